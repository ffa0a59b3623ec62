#include "runtime/pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafka/embedded_broker.h"
#include "kafka/kafka_conf.h"
#include "kafka/producer.h"
#include "runtime/task.h"
#include "runtime/worker_pool.h"
#include "services/log.h"
#include "sinks/sink.h"

#define MAX_IN_FLIGHT 65536     /* records handed to workers, not yet done */
#define CONSUME_BATCH 4096      /* records taken from librdkafka at once */
#define POLL_TIMEOUT_MS 100     /* how long the loop waits for a record */
#define KAFKA_TIMEOUT_MS 10000  /* watermarks, committed offsets, sync commits */
#define SINK_FLUSH_TIMEOUT_MS 60000

static volatile sig_atomic_t stop_requested;

void pipeline_request_stop(void) { stop_requested = 1; }
int pipeline_stop_requested(void) { return stop_requested != 0; }

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
} partition_slot;

typedef struct engine {
    const pipeline_config *config;
    const pipeline_plan *plan;
    int exit_at_end;

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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void engine_fail(engine *e, const char *why)
{
    if (!atomic_exchange(&e->failed, 1))
        log_error("pipeline", "%s: stopping", why);
}

/* ---- the task environment -------------------------------------------------- */

static int deliver_to_sinks(void *opaque, task *t, const record_batch *output)
{
    (void)t;
    engine *e = opaque;
    atomic_fetch_add(&e->records_out, (long long)output->count);
    int rc = 0;
    for (size_t i = 0; i < e->sink_count; i++) {
        if (sink_write(e->sinks[i], output->records, output->count) != 0)
            rc = -1;
    }
    return rc;
}

static void send_to_dead_letter(void *opaque, task *t, const ph_record *record,
                                const char *stage_name, const char *reason)
{
    engine *e = opaque;
    char partition[16], offset[24];
    snprintf(partition, sizeof(partition), "%d", (int)t->partition);
    snprintf(offset, sizeof(offset), "%" PRId64, record->offset);
    const produce_header headers[] = {
        {"pipehost.error", reason, strlen(reason)},
        {"pipehost.stage", stage_name, strlen(stage_name)},
        {"pipehost.source.topic", t->topic, strlen(t->topic)},
        {"pipehost.source.partition", partition, strlen(partition)},
        {"pipehost.source.offset", offset, strlen(offset)},
    };
    if (producer_send(e->producer, e->dead_letter_topic, RD_KAFKA_PARTITION_UA, record->key,
                      record->key_len, record->value, record->value_len, headers,
                      sizeof(headers) / sizeof(headers[0])) == 0)
        atomic_fetch_add(&e->dead_lettered, 1);
}

static int engine_stopping(void *opaque)
{
    engine *e = opaque;
    return stop_requested || atomic_load(&e->failed);
}

/* ---- partition slots ------------------------------------------------------ */

static void slot_run(work_item *item);

static partition_slot *slot_create(engine *e, const char *topic, int32_t partition,
                                   const char *checkpoints)
{
    partition_slot *slot = calloc(1, sizeof(*slot));
    if (!slot)
        return NULL;
    char err[1024];
    slot->task = task_create(topic, partition, e->plan->processors, e->plan->processor_count,
                             e->plan->sinks, e->plan->sink_count, checkpoints, &e->env, err,
                             sizeof(err));
    if (!slot->task) {
        log_error("pipeline", "%s[%d]: %s", topic, (int)partition, err);
        free(slot);
        return NULL;
    }
    slot->work.run = slot_run;
    slot->engine = e;
    pthread_mutex_init(&slot->lock, NULL);
    return slot;
}

/* Fold the task's counts into the totals and free the slot. */
static void slot_destroy(engine *e, partition_slot *slot)
{
    task *t = slot->task;
    for (size_t i = 0; i < t->stage_count; i++)
        e->records_rejected += t->stages[i].records_rejected;
    for (size_t i = 0; i < slot->inbox_count; i++)
        rd_kafka_message_destroy(slot->inbox[i]);
    task_destroy(t);
    free(slot->inbox);
    free(slot->running);
    free(slot->headers);
    pthread_mutex_destroy(&slot->lock);
    if (e->last_slot == slot)
        e->last_slot = NULL;
    free(slot);
}

static partition_slot *find_slot(engine *e, const char *topic, int32_t partition)
{
    partition_slot *cached = e->last_slot;
    if (cached && cached->task->partition == partition && strcmp(cached->task->topic, topic) == 0)
        return cached;
    for (size_t i = 0; i < e->slot_count; i++) {
        partition_slot *slot = e->slots[i];
        if (slot->task->partition == partition && strcmp(slot->task->topic, topic) == 0) {
            e->last_slot = slot;
            return slot;
        }
    }
    return NULL;
}

static void records_done(engine *e, size_t count)
{
    pthread_mutex_lock(&e->lock);
    e->in_flight -= (long)count;
    if (e->in_flight <= MAX_IN_FLIGHT / 2)
        pthread_cond_broadcast(&e->drained);
    pthread_mutex_unlock(&e->lock);
}

/* Fill the task's input batch from Kafka messages, without copying. */
static int build_input(partition_slot *slot, rd_kafka_message_t **msgs, size_t count)
{
    task *t = slot->task;
    size_t header_total = 0;
    for (size_t i = 0; i < count; i++) {
        rd_kafka_headers_t *hdrs;
        if (rd_kafka_message_headers(msgs[i], &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
            header_total += rd_kafka_header_cnt(hdrs);
    }
    if (header_total > slot->header_capacity) {
        ph_header *headers = realloc(slot->headers, header_total * sizeof(*headers));
        if (!headers)
            return -1;
        slot->headers = headers;
        slot->header_capacity = header_total;
    }
    record_batch_reset(&t->input);
    size_t header_at = 0;
    for (size_t i = 0; i < count; i++) {
        rd_kafka_message_t *m = msgs[i];
        ph_record record = {
            .key = m->key, .key_len = m->key_len,
            .value = m->payload, .value_len = m->len,
            .topic = t->topic, .partition = m->partition, .offset = m->offset,
            .timestamp_ms = rd_kafka_message_timestamp(m, NULL),
        };
        rd_kafka_headers_t *hdrs;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            record.headers = &slot->headers[header_at];
            const char *name;
            const void *value;
            size_t size;
            for (size_t h = 0;
                 rd_kafka_header_get_all(hdrs, h, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
                 h++) {
                slot->headers[header_at++] = (ph_header){name, value, size};
                record.header_count++;
            }
        }
        if (!record_batch_add_borrowed(&t->input, &record))
            return -1;
    }
    return 0;
}

/* A worker's turn at a partition: process what waits, then requeue if
 * more arrived meanwhile. */
static void slot_run(work_item *item)
{
    partition_slot *slot = (partition_slot *)item;
    engine *e = slot->engine;

    pthread_mutex_lock(&slot->lock);
    rd_kafka_message_t **batch = slot->inbox;
    size_t batch_capacity = slot->inbox_capacity;
    size_t count = slot->inbox_count;
    slot->inbox = slot->running;
    slot->inbox_capacity = slot->running_capacity;
    slot->inbox_count = 0;
    slot->running = batch;
    slot->running_capacity = batch_capacity;
    pthread_mutex_unlock(&slot->lock);

    if (count > 0 && !slot->task->failed) {
        if (build_input(slot, batch, count) != 0) {
            slot->task->failed = 1;
            snprintf(slot->task->failure, sizeof(slot->task->failure), "out of memory");
            offset_tracker_stop_at(&slot->task->offsets, batch[0]->offset);
        } else {
            task_process(slot->task, &slot->task->input);
            atomic_fetch_add(&e->records_in, (long long)count);
        }
        record_batch_reset(&slot->task->input);
        if (slot->task->failed)
            engine_fail(e, slot->task->failure);
    }
    for (size_t i = 0; i < count; i++)
        rd_kafka_message_destroy(batch[i]);

    pthread_mutex_lock(&slot->lock);
    int again = slot->inbox_count > 0;
    if (!again)
        slot->scheduled = 0;
    pthread_mutex_unlock(&slot->lock);
    records_done(e, count);
    if (again)
        worker_pool_submit(&e->pool, &slot->work);
}

/* Queue a record for its partition's task. */
static void dispatch(engine *e, rd_kafka_message_t *m)
{
    partition_slot *slot = find_slot(e, rd_kafka_topic_name(m->rkt), m->partition);
    if (!slot) {
        rd_kafka_message_destroy(m); /* from a partition no longer ours */
        return;
    }
    pthread_mutex_lock(&slot->lock);
    if (slot->inbox_count == slot->inbox_capacity) {
        size_t capacity = slot->inbox_capacity ? slot->inbox_capacity * 2 : 1024;
        rd_kafka_message_t **inbox = realloc(slot->inbox, capacity * sizeof(*inbox));
        if (!inbox) {
            pthread_mutex_unlock(&slot->lock);
            rd_kafka_message_destroy(m);
            engine_fail(e, "out of memory queueing records");
            return;
        }
        slot->inbox = inbox;
        slot->inbox_capacity = capacity;
    }
    slot->inbox[slot->inbox_count++] = m;
    int submit = !slot->scheduled;
    slot->scheduled = 1;
    pthread_mutex_unlock(&slot->lock);

    pthread_mutex_lock(&e->lock);
    e->in_flight++;
    pthread_mutex_unlock(&e->lock);
    if (submit)
        worker_pool_submit(&e->pool, &slot->work);
}

/* Wait until no record is in flight: every task is idle. */
static void wait_idle(engine *e)
{
    pthread_mutex_lock(&e->lock);
    while (e->in_flight > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 50 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->drained, &e->lock, &until);
    }
    pthread_mutex_unlock(&e->lock);
}

/* ---- the commit protocol ---------------------------------------------------- */

static int flush_sinks(engine *e)
{
    int rc = 0;
    for (size_t i = 0; i < e->sink_count; i++) {
        if (sink_flush(e->sinks[i]) != 0)
            rc = -1;
    }
    /* The dead letter rides on the producer even with no Kafka sink. */
    if (e->producer && producer_flush(e->producer, SINK_FLUSH_TIMEOUT_MS) != 0)
        rc = -1;
    return rc;
}

/*
 * Flush the given slots' tasks, then the sinks; commit only if every
 * sink made its output durable. Tasks must be idle.
 */
static int flush_and_commit(engine *e, partition_slot **slots, size_t count, ph_flush_mode mode,
                            int sync)
{
    int64_t *points = calloc(count ? count : 1, sizeof(*points));
    if (!points) {
        engine_fail(e, "out of memory at a commit");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        task *t = slots[i]->task;
        int64_t retain = PH_OFFSET_NONE;
        if (!t->failed && task_flush(t, mode, &retain) != 0)
            engine_fail(e, t->failure);
        points[i] = offset_tracker_commit_point(&t->offsets, retain);
    }
    if (flush_sinks(e) != 0) {
        engine_fail(e, "a sink could not make its output durable; nothing was committed");
        free(points);
        return -1;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)count);
    for (size_t i = 0; i < count; i++) {
        if (points[i] == OFFSET_UNSET)
            continue;
        task *t = slots[i]->task;
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_add(list, t->topic,
                                                                          t->partition);
        p->offset = points[i];
        /* The list frees metadata with itself. */
        char *checkpoints = task_checkpoint(t);
        if (checkpoints) {
            p->metadata = checkpoints;
            p->metadata_size = strlen(checkpoints);
        }
    }
    int rc = 0;
    if (list->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_commit(e->consumer, list, sync ? 0 : 1);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_error("pipeline", "commit failed: %s", rd_kafka_err2str(err));
            rc = -1;
        } else {
            for (size_t i = 0; i < count; i++) {
                if (points[i] != OFFSET_UNSET)
                    offset_tracker_committed(&slots[i]->task->offsets, points[i]);
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    free(points);
    return rc;
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    if (err) {
        log_warn("pipeline", "commit failed: %s (the next commit covers it)",
                 rd_kafka_err2str(err));
        return;
    }
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        if (offsets->elems[i].err)
            log_warn("pipeline", "commit of %s[%d] failed: %s", offsets->elems[i].topic,
                     (int)offsets->elems[i].partition, rd_kafka_err2str(offsets->elems[i].err));
    }
}

/* ---- rebalancing ---------------------------------------------------------- */

static void assign_partitions(engine *e, rd_kafka_topic_partition_list_t *parts)
{
    /* Where each partition starts, to know when --exit-at-end is reached
     * and so that commits never move backwards. */
    rd_kafka_committed(e->consumer, parts, KAFKA_TIMEOUT_MS);
    const char *reset = kafka_conf_property(e->config, "auto.offset.reset");
    int reset_to_end = reset && (strcmp(reset, "latest") == 0 || strcmp(reset, "end") == 0 ||
                                 strcmp(reset, "largest") == 0);
    partition_slot **slots = realloc(e->slots, (e->slot_count + (size_t)parts->cnt + 1) *
                                                   sizeof(*slots));
    if (!slots) {
        engine_fail(e, "out of memory at assignment");
        return;
    }
    e->slots = slots;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        /* The stages' checkpoints were committed with the offset. */
        char *checkpoints = NULL;
        if (p->offset >= 0 && p->metadata && p->metadata_size > 0)
            checkpoints = strndup(p->metadata, p->metadata_size);
        partition_slot *slot = slot_create(e, p->topic, p->partition, checkpoints);
        free(checkpoints);
        if (!slot) {
            engine_fail(e, "a stage could not start");
            return;
        }
        int64_t committed = p->offset >= 0 ? p->offset : OFFSET_UNSET;
        offset_tracker_init(&slot->task->offsets, committed);
        slot->end_offset = -1;
        if (e->exit_at_end) {
            int64_t low = 0, high = 0;
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                e->consumer, p->topic, p->partition, &low, &high, KAFKA_TIMEOUT_MS);
            if (err) {
                log_warn("pipeline", "%s[%d]: cannot read the end offset: %s", p->topic,
                         (int)p->partition, rd_kafka_err2str(err));
            } else {
                slot->low_offset = low;
                slot->end_offset = high;
            }
            slot->starts_at_end = committed == OFFSET_UNSET && reset_to_end;
        }
        e->slots[e->slot_count++] = slot;
        log_info("pipeline", "assigned %s[%d] (committed offset %lld%s)", p->topic,
                 (int)p->partition, (long long)committed, committed < 0 ? ": none" : "");
        /* The position is the committed one (or the reset policy's); the
         * offsets above were only read. */
        p->offset = RD_KAFKA_OFFSET_INVALID;
    }
}

static int slot_in_list(const partition_slot *slot, const rd_kafka_topic_partition_list_t *parts)
{
    return rd_kafka_topic_partition_list_find(parts, slot->task->topic, slot->task->partition) !=
           NULL;
}

/* Flush, commit (unless lost) and destroy the tasks of parts (NULL: all). */
static void revoke_partitions(engine *e, const rd_kafka_topic_partition_list_t *parts, int lost)
{
    wait_idle(e);
    size_t count = 0;
    partition_slot **revoked = calloc(e->slot_count + 1, sizeof(*revoked));
    if (!revoked) {
        engine_fail(e, "out of memory at revoke");
        return;
    }
    size_t kept = 0;
    for (size_t i = 0; i < e->slot_count; i++) {
        if (!parts || slot_in_list(e->slots[i], parts))
            revoked[count++] = e->slots[i];
        else
            e->slots[kept++] = e->slots[i];
    }
    e->slot_count = kept;
    if (count > 0) {
        if (lost)
            log_warn("pipeline", "%zu partitions lost: their state is dropped uncommitted", count);
        else
            flush_and_commit(e, revoked, count, PH_FLUSH_FINAL, 1);
    }
    for (size_t i = 0; i < count; i++) {
        log_info("pipeline", "revoked %s[%d]", revoked[i]->task->topic,
                 (int)revoked[i]->task->partition);
        slot_destroy(e, revoked[i]);
    }
    free(revoked);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    engine *e = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign_partitions(e, parts);
        e->assigned_once = 1;
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoke_partitions(e, cooperative ? parts : NULL, rd_kafka_assignment_lost(rk));
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    } else {
        log_error("pipeline", "rebalance failed: %s", rd_kafka_err2str(err));
        revoke_partitions(e, NULL, 1);
        rd_kafka_assign(rk, NULL);
    }
    if (error) {
        log_error("pipeline", "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

/* ---- the loop --------------------------------------------------------------- */

static int slot_at_end(const partition_slot *slot)
{
    if (slot->end_offset < 0)
        return 0;
    if (slot->starts_at_end || slot->end_offset <= slot->low_offset)
        return 1;
    const offset_tracker *o = &slot->task->offsets;
    return o->next_offset >= slot->end_offset || o->committed_offset >= slot->end_offset ||
           slot->task->failed;
}

static int all_at_end(engine *e)
{
    if (!e->assigned_once)
        return 0;
    pthread_mutex_lock(&e->lock);
    long in_flight = e->in_flight;
    pthread_mutex_unlock(&e->lock);
    if (in_flight > 0)
        return 0;
    for (size_t i = 0; i < e->slot_count; i++) {
        if (!slot_at_end(e->slots[i]))
            return 0;
    }
    return 1;
}

static void handle_consumer_error(engine *e, rd_kafka_message_t *m)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return;
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "-";
    log_warn("pipeline", "consumer: %s[%d]: %s", topic, (int)m->partition,
             rd_kafka_message_errstr(m));
    char reason[512];
    if (rd_kafka_fatal_error(e->consumer, reason, sizeof(reason)))
        engine_fail(e, reason);
}

static void wait_for_room(engine *e)
{
    pthread_mutex_lock(&e->lock);
    while (e->in_flight >= MAX_IN_FLIGHT && !atomic_load(&e->failed)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->drained, &e->lock, &until);
    }
    pthread_mutex_unlock(&e->lock);
}

static void consume_loop(engine *e)
{
    rd_kafka_message_t **msgs = malloc(CONSUME_BATCH * sizeof(*msgs));
    if (!msgs) {
        engine_fail(e, "out of memory");
        return;
    }
    int64_t next_commit = now_ms() + e->config->commit_interval_ms;
    while (!stop_requested && !atomic_load(&e->failed)) {
        wait_for_room(e);
        ssize_t n = rd_kafka_consume_batch_queue(e->queue, 0, msgs, CONSUME_BATCH);
        if (n == 0) {
            rd_kafka_message_t *m = rd_kafka_consume_queue(e->queue, POLL_TIMEOUT_MS);
            if (m) {
                msgs[0] = m;
                n = 1;
            }
        }
        if (n > 0 && !e->first_record_ms)
            e->first_record_ms = now_ms();
        for (ssize_t i = 0; i < n; i++) {
            if (msgs[i]->err) {
                handle_consumer_error(e, msgs[i]);
                rd_kafka_message_destroy(msgs[i]);
            } else {
                dispatch(e, msgs[i]);
            }
        }
        if (now_ms() >= next_commit) {
            wait_idle(e);
            flush_and_commit(e, e->slots, e->slot_count, PH_FLUSH_CHECKPOINT, 0);
            next_commit = now_ms() + e->config->commit_interval_ms;
        }
        if (e->exit_at_end && all_at_end(e)) {
            log_info("pipeline", "every assigned partition is consumed to its end");
            break;
        }
    }
    wait_idle(e);
    e->last_record_ms = now_ms();
    free(msgs);
}

/* ---- setup and teardown ------------------------------------------------------ */

static int open_sinks(engine *e, const char *bootstrap, char *err, size_t err_size)
{
    const pipeline_config *c = e->config;
    int needs_producer = c->on_error == ON_ERROR_DEAD_LETTER;
    for (size_t i = 0; i < c->sink_count; i++)
        needs_producer |= c->sinks[i].type == SINK_KAFKA;
    if (needs_producer) {
        config_error cerr;
        rd_kafka_conf_t *conf = kafka_conf_producer(c, bootstrap, &cerr);
        if (!conf) {
            snprintf(err, err_size, "%s", cerr.text);
            return -1;
        }
        e->producer = producer_create(conf, err, err_size);
        if (!e->producer)
            return -1;
    }
    e->sinks = calloc(c->sink_count + 1, sizeof(*e->sinks));
    if (!e->sinks) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < c->sink_count; i++) {
        const sink_config *sc = &c->sinks[i];
        sink *s = NULL;
        switch (sc->type) {
        case SINK_STDOUT:
            s = stdout_sink_open(err, err_size);
            break;
        case SINK_FILE:
            s = file_sink_open(sc->path, err, err_size);
            break;
        case SINK_KAFKA:
            s = kafka_sink_open(e->producer, sc->topic, err, err_size);
            break;
        case SINK_PLUGIN:
            continue; /* an instance per task */
        }
        if (!s)
            return -1;
        e->sinks[e->sink_count++] = s;
    }
    return 0;
}

static int start_embedded_broker(engine *e, char *err, size_t err_size)
{
    const pipeline_config *c = e->config;
    e->broker = embedded_broker_start(1, err, err_size);
    if (!e->broker)
        return -1;
    for (size_t i = 0; i < c->topic_count; i++) {
        if (embedded_broker_create_topic(e->broker, c->topics[i], c->embedded_partitions, err,
                                         err_size) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->sink_count; i++) {
        if (c->sinks[i].type == SINK_KAFKA &&
            embedded_broker_create_topic(e->broker, c->sinks[i].topic, c->embedded_partitions,
                                         err, err_size) != 0)
            return -1;
    }
    if (e->dead_letter_topic &&
        embedded_broker_create_topic(e->broker, e->dead_letter_topic, c->embedded_partitions, err,
                                     err_size) != 0)
        return -1;
    log_info("pipeline", "embedded broker listening on %s", embedded_broker_bootstraps(e->broker));
    return 0;
}

static int start_consumer(engine *e, const char *bootstrap, char *err, size_t err_size)
{
    config_error cerr;
    rd_kafka_conf_t *conf = kafka_conf_consumer(e->config, bootstrap, &cerr);
    if (!conf) {
        snprintf(err, err_size, "%s", cerr.text);
        return -1;
    }
    rd_kafka_conf_set_opaque(conf, e);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    e->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size);
    if (!e->consumer) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_poll_set_consumer(e->consumer);
    e->queue = rd_kafka_queue_get_consumer(e->consumer);
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)e->config->topic_count);
    for (size_t i = 0; i < e->config->topic_count; i++)
        rd_kafka_topic_partition_list_add(topics, e->config->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rc = rd_kafka_subscribe(e->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (rc) {
        snprintf(err, err_size, "cannot subscribe: %s", rd_kafka_err2str(rc));
        return -1;
    }
    return 0;
}

/* Create and destroy one task before joining the group, so that a stage
 * whose init fails is reported at once instead of at the first assign. */
static int probe_stages(engine *e, char *err, size_t err_size)
{
    task *probe = task_create(e->config->topics[0], -1, e->plan->processors,
                              e->plan->processor_count, e->plan->sinks, e->plan->sink_count,
                              NULL, &e->env, err, err_size);
    if (!probe)
        return -1;
    task_destroy(probe);
    return 0;
}

static void engine_teardown(engine *e)
{
    if (e->consumer) {
        /* Final flush and commit of every task, then leave the group. */
        wait_idle(e);
        revoke_partitions(e, NULL, 0);
        rd_kafka_consumer_close(e->consumer);
        if (e->queue)
            rd_kafka_queue_destroy(e->queue);
        rd_kafka_destroy(e->consumer);
    }
    if (e->pool.threads)
        worker_pool_stop(&e->pool);
    for (size_t i = 0; i < e->slot_count; i++)
        slot_destroy(e, e->slots[i]);
    free(e->slots);
    for (size_t i = 0; i < e->sink_count; i++)
        sink_destroy(e->sinks[i]);
    free(e->sinks);
    producer_destroy(e->producer);
    embedded_broker_stop(e->broker);
    free(e->dead_letter_topic);
    pthread_cond_destroy(&e->drained);
    pthread_mutex_destroy(&e->lock);
}

static size_t worker_count(const pipeline_config *config)
{
    if (config->workers > 0)
        return (size_t)config->workers;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (size_t)cores : 1;
}

int pipeline_run(const pipeline_config *config, const pipeline_plan *plan,
                 const pipeline_run_options *options)
{
    engine e = {0};
    e.config = config;
    e.plan = plan;
    e.exit_at_end = options->exit_at_end;
    pthread_mutex_init(&e.lock, NULL);
    pthread_cond_init(&e.drained, NULL);
    e.env = (task_env){.opaque = &e, .on_error = config->on_error,
                       .deliver = deliver_to_sinks, .dead_letter = send_to_dead_letter,
                       .stopping = engine_stopping};
    if (config->on_error == ON_ERROR_DEAD_LETTER) {
        if (config->dead_letter_topic) {
            e.dead_letter_topic = strdup(config->dead_letter_topic);
        } else if (asprintf(&e.dead_letter_topic, "%s-dlq", config->name) < 0) {
            e.dead_letter_topic = NULL;
        }
    }

    char err[1024];
    int exit_code = PIPELINE_EXIT_OK;
    const char *bootstrap = config->brokers;
    if (probe_stages(&e, err, sizeof(err)) != 0) {
        log_error("pipeline", "%s", err);
        exit_code = PIPELINE_EXIT_CONFIG;
        goto done;
    }
    if (strcmp(config->brokers, "embedded") == 0) {
        if (start_embedded_broker(&e, err, sizeof(err)) != 0) {
            log_error("pipeline", "embedded broker: %s", err);
            exit_code = PIPELINE_EXIT_FAILED;
            goto done;
        }
        bootstrap = embedded_broker_bootstraps(e.broker);
    }
    if (open_sinks(&e, bootstrap, err, sizeof(err)) != 0) {
        log_error("pipeline", "%s", err);
        exit_code = PIPELINE_EXIT_CONFIG;
        goto done;
    }
    if (worker_pool_start(&e.pool, worker_count(config)) != 0) {
        log_error("pipeline", "cannot start worker threads");
        exit_code = PIPELINE_EXIT_FAILED;
        goto done;
    }
    if (start_consumer(&e, bootstrap, err, sizeof(err)) != 0) {
        log_error("pipeline", "%s", err);
        exit_code = PIPELINE_EXIT_CONFIG;
        goto done;
    }
    log_info("pipeline", "%s: consuming %s as group %s with %zu workers", config->name,
             config->topics[0], config->group, worker_count(config));
    consume_loop(&e);

done:
    engine_teardown(&e);
    if (atomic_load(&e.failed) && exit_code == PIPELINE_EXIT_OK)
        exit_code = PIPELINE_EXIT_FAILED;
    long long records_in = atomic_load(&e.records_in);
    double seconds = e.first_record_ms ? (e.last_record_ms - e.first_record_ms) / 1000.0 : 0;
    log_info("pipeline",
             "%s: %lld records in, %lld out, %lld rejected (%lld to the dead letter) in %.2f s "
             "from the first record (%.0f records/s)%s",
             config->name, records_in, (long long)atomic_load(&e.records_out),
             (long long)e.records_rejected, (long long)atomic_load(&e.dead_lettered), seconds,
             seconds > 0 ? records_in / seconds : 0.0,
             exit_code == PIPELINE_EXIT_OK ? "" : "; failed");
    if (options->stats)
        *options->stats = (pipeline_stats){
            .records_in = records_in,
            .records_out = atomic_load(&e.records_out),
            .records_rejected = e.records_rejected,
            .dead_lettered = atomic_load(&e.dead_lettered),
            .seconds = seconds,
        };
    return exit_code;
}
