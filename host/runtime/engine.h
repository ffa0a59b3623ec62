/*
 * The running pipeline's shared state, for the files that make it up:
 *   pipeline.c         setup, the consume loop, teardown;
 *   partition_slots.c  records to their partition's task, on worker threads;
 *   commit_protocol.c  flush and commit; tasks created on assign, flushed,
 *                      committed and destroyed on revoke.
 * Only pipeline.h is the runtime's interface to the rest of the host.
 */
#ifndef PIPEHOST_RUNTIME_ENGINE_H
#define PIPEHOST_RUNTIME_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "config/pipeline_config.h"
#include "kafka/embedded_broker.h"
#include "kafka/producer.h"
#include "runtime/pipeline_plan.h"
#include "runtime/task.h"
#include "runtime/worker_pool.h"
#include "sinks/sink.h"

#define MAX_IN_FLIGHT 65536    /* records handed to workers, not yet done */
#define KAFKA_TIMEOUT_MS 10000 /* watermarks, committed offsets, sync commits */
#define SINK_FLUSH_TIMEOUT_MS 60000
#define SINK_RETRY_FIRST_MS 100   /* first wait before flushing a failing sink again */
#define SINK_RETRY_MAX_MS 5000    /* the wait doubles up to this */
#define SINK_RETRY_AT_STOP_MS 7000 /* once a stop is asked, give up after this (< the 10 s cut-off) */
#define SYNC_COMMIT_RETRY_MS 3000  /* a synchronous commit waits out a rebalance this long */
#define SYNC_COMMIT_RETRY_WAIT_MS 200
#define STEADY_GROUP_WAIT_MS 4000  /* at shutdown, wait this long for a rebalance to end */

struct engine;


/* One assigned partition: its task and the records waiting for it. */
typedef struct partition_slot {
    work_item work; /* first: the worker pool hands this back */
    struct engine *engine;
    task *task;
    pthread_mutex_t lock;
    rd_kafka_message_t **inbox; /* guarded by lock */
    size_t inbox_count;
    size_t inbox_capacity;
    rd_kafka_message_t **running; /* the worker's batch */
    size_t running_capacity;
    ph_header *headers; /* the worker's header scratch */
    size_t header_capacity;
    int scheduled; /* queued or running; guarded by lock */
    int64_t end_offset; /* high watermark when assigned */
    int64_t low_offset;
    int starts_at_end; /* nothing committed and reset to latest */
    struct partition_metrics *metrics; /* its position, for the watchdog; or NULL */
} partition_slot;

typedef struct engine {
    const pipeline_config *config;
    const pipeline_plan *plan;
    int exit_at_end;
    struct pipeline_metrics *metrics; /* metrics/pipeline_metrics.h, or NULL */

    embedded_broker *broker;
    producer *producer;
    sink **sinks;
    size_t sink_count;
    char *dead_letter_topic;

    rd_kafka_t *consumer;
    rd_kafka_queue_t *queue;
    worker_pool pool;
    task_env env;

    partition_slot **slots;
    size_t slot_count;
    partition_slot *last_slot; /* dispatch cache: records come in runs */

    pthread_mutex_t lock; /* in_flight */
    pthread_cond_t drained;
    long in_flight;

    atomic_int failed;
    atomic_int flush_soon; /* a sink is failing: flush (and retry) before the interval ends */
    int commit_failures;   /* commits failed in a row, to say when they succeed again */
    atomic_int group_joining; /* rejoining the group: no periodic commit (consumer_watch.c) */
    int kafka_debug_added;    /* librdkafka debug lines are ours alone: drop them */
    int64_t unreachable_since; /* when the cluster became unreachable, 0 if it is not */
    int assigned_once;
    int exit_code;

    /* totals, gathered from tasks as they are destroyed */
    atomic_llong records_in;
    atomic_llong records_out;
    int64_t records_rejected;
    atomic_llong dead_lettered;
    int64_t first_record_ms; /* when the first record arrived, 0 before */
    int64_t last_record_ms;  /* when the last record was done */
} engine;

/* Stop the pipeline for why (logged once). */
void engine_fail(engine *e, const char *why);

/* partition_slots.c */
partition_slot *slot_create(engine *e, const char *topic, int32_t partition,
                            const char *checkpoints);
void slot_destroy(engine *e, partition_slot *slot);
void engine_dispatch(engine *e, rd_kafka_message_t *m);
void engine_wait_idle(engine *e);
void engine_wait_for_room(engine *e);

/* consumer_watch.c: watch the consumer's join state and its errors (call
 * before rd_kafka_new, with e as the conf's opaque). 0, or -1 with err. */
int consumer_watch(engine *e, rd_kafka_conf_t *conf, char *err, size_t err_size);
/* Whether the member is rejoining its group: no periodic commit then. */
int group_joining(engine *e);
/* A commit succeeded: say so if the cluster was unreachable. */
void consumer_reached_cluster(engine *e);

/* commit_protocol.c */
int engine_flush_and_commit(engine *e, partition_slot **slots, size_t count, ph_flush_mode mode,
                            int sync);
void engine_revoke(engine *e, const rd_kafka_topic_partition_list_t *parts, int lost);
/* At shutdown: flush and commit every task once the group is steady. */
void engine_final_commit(engine *e);
void engine_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque);
void engine_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);

#endif
