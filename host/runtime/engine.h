/*
 * The running pipeline's shared state, for the files that make it up:
 *   pipeline.c         setup, the consume loop, teardown;
 *   partition_slots.c  records to their partition's task, on worker threads;
 *   commit_protocol.c  flush and commit; tasks created on assign, flushed,
 *                      committed and destroyed on revoke;
 *   flow_control.c     pausing and resuming the partitions to bound memory;
 *   fetch_waker.c      waking the fetcher after a resume;
 *   reload.c           hot reload: a new version of the pipeline file
 *                      taken in at a flush boundary.
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
#include "runtime/pipeline.h"
#include "runtime/pipeline_plan.h"
#include "runtime/task.h"
#include "runtime/worker_pool.h"
#include "services/file_identity.h"
#include "sinks/sink.h"

/* Records fetched and not yet done: the partitions are paused at
 * FLOW_PAUSE_AT and resumed at FLOW_RESUME_AT (flow_control.c); the loop
 * stops taking records at MAX_IN_FLIGHT, should librdkafka hand over many
 * before the pause takes effect. */
#define FLOW_PAUSE_AT 98304
#define FLOW_RESUME_AT 24576
#define MAX_IN_FLIGHT (2 * FLOW_PAUSE_AT)
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

/* Wakes the broker threads that fetch after a resume (fetch_waker.c). */
typedef struct fetch_waker {
    work_item work; /* first: the worker pool hands this back */
    struct engine *engine;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    rd_kafka_topic_partition_list_t *wanted; /* guarded by lock */
    unsigned wanted_generation;
    int scheduled;                           /* guarded by lock */
    rd_kafka_topic_partition_list_t *leaders; /* the job's: one per leader */
    unsigned leaders_generation;
} fetch_waker;

/* Hot reload (reload.c). */
typedef struct reload_state {
    pipeline_loader loader; /* NULL: reload is off */
    /* The running version, when the run owns it (a reload installed it,
     * or pipeline_run's caller handed it over). */
    pipeline_config *owned_config;
    pipeline_plan *owned_plan;
    /* watch: the pipeline file then each plugin file, as the running
     * version was read from them, and as the last poll saw them. */
    char **watched;
    size_t watched_count;
    file_identity *read_as;
    file_identity *polled;
    int64_t next_poll_ms;
    long reloads;         /* versions taken in */
} reload_state;

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
    unsigned assignment_changes; /* slots created or destroyed so far */

    int paused;                  /* flow control has paused the partitions */
    unsigned paused_assignment;  /* assignment_changes when they were paused */
    long pauses;
    fetch_waker waker;
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

    reload_state reload;
} engine;

/* Stop the pipeline for why (logged once). */
void engine_fail(engine *e, const char *why);

/* pipeline.c: setup pieces a reload repeats */
char *engine_dead_letter_topic(const pipeline_config *config);
size_t engine_worker_count(const pipeline_config *config);
/* Create and destroy one task of plan: a stage whose init fails is
 * reported before anything depends on it. 0, or -1 with err. */
int engine_probe_stages(engine *e, const pipeline_plan *plan, const char *topic, char *err,
                        size_t err_size);
/* Open e->config's sinks (and the producer) into e->sinks, e->producer. */
int engine_open_sinks(engine *e, const char *bootstrap, char *err, size_t err_size);
/* Close the sinks, the producer, and free the dead-letter topic name. */
void engine_close_sinks(engine *e);
/* Create e->config's topics (sources, Kafka sinks, the dead letter) in
 * e->broker. */
int engine_create_embedded_topics(engine *e, char *err, size_t err_size);
/* Create e->consumer for e->config and subscribe. */
int engine_start_consumer(engine *e, const char *bootstrap, char *err, size_t err_size);
/* Subscribe e->consumer to e->config's topics. */
int engine_subscribe(engine *e, char *err, size_t err_size);

/* reload.c */
/* owned_config and owned_plan (may be NULL): the running version, when
 * the run owns it. */
void reload_init(engine *e, pipeline_loader loader, pipeline_config *owned_config,
                 pipeline_plan *owned_plan);
/* Called by the consume loop at each turn, between batches: take in a new
 * version of the pipeline file when SIGHUP asked for it or `watch` saw
 * the files change. Returns 1 when the running pipeline changed. */
int reload_poll(engine *e);
/* Free the versions reloads installed (after teardown). */
void reload_finish(engine *e);

/* partition_slots.c */
partition_slot *slot_create(engine *e, const char *topic, int32_t partition,
                            const char *checkpoints);
/* A slot for a partition taking up from its commit: committed holds the
 * committed offset and metadata (the stages' checkpoints), as
 * rd_kafka_committed gives them. */
partition_slot *slot_resume(engine *e, const rd_kafka_topic_partition_t *committed);
void slot_destroy(engine *e, partition_slot *slot);
/* Queue records (no errors among them) for their partitions' tasks. */
void engine_dispatch(engine *e, rd_kafka_message_t **msgs, size_t count);
void engine_wait_idle(engine *e);
void engine_wait_for_room(engine *e);

/* consumer_watch.c: watch the consumer's join state and its errors (call
 * before rd_kafka_new, with e as the conf's opaque). 0, or -1 with err. */
int consumer_watch(engine *e, rd_kafka_conf_t *conf, char *err, size_t err_size);
/* Whether the member is rejoining its group: no periodic commit then. */
int group_joining(engine *e);
/* A commit succeeded: say so if the cluster was unreachable. */
void consumer_reached_cluster(engine *e);
/* flow_control.c: pause or resume the partitions by what the host holds. */
void engine_flow_control(engine *e);

/* fetch_waker.c */
void fetch_waker_init(fetch_waker *waker, engine *e);
/* Wake the fetchers of parts (taken over); generation names the
 * assignment, for the cached leaders. */
void fetch_waker_wake(fetch_waker *waker, rd_kafka_topic_partition_list_t *parts,
                      unsigned generation);
/* Wait for a wake in progress, then free the waker. */
void fetch_waker_finish(fetch_waker *waker);

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
