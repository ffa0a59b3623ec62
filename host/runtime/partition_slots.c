/* Records to their partition's task: one inbox per assigned partition,
 * served by the worker pool one turn at a time, so that a partition's
 * records are processed in order by one thread at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/pipeline_metrics.h"
#include "runtime/engine.h"
#include "services/log.h"

static void slot_run(work_item *item);

partition_slot *slot_create(engine *e, const char *topic, int32_t partition,
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
    slot->metrics = pipeline_metrics_partition_open(e->metrics, topic, partition);
    e->assignment_changes++;
    pthread_mutex_init(&slot->lock, NULL);
    return slot;
}

partition_slot *slot_resume(engine *e, const rd_kafka_topic_partition_t *committed)
{
    /* The stages' checkpoints were committed with the offset. */
    char *checkpoints = NULL;
    if (committed->offset >= 0 && committed->metadata && committed->metadata_size > 0)
        checkpoints = strndup(committed->metadata, committed->metadata_size);
    partition_slot *slot = slot_create(e, committed->topic, committed->partition, checkpoints);
    free(checkpoints);
    if (slot)
        offset_tracker_init(&slot->task->offsets,
                            committed->offset >= 0 ? committed->offset : OFFSET_UNSET);
    return slot;
}

/* Fold the task's counts into the totals and free the slot. */
void slot_destroy(engine *e, partition_slot *slot)
{
    task *t = slot->task;
    for (size_t i = 0; i < t->stage_count; i++)
        e->records_rejected += t->stages[i].records_rejected;
    for (size_t i = 0; i < slot->inbox_count; i++)
        rd_kafka_message_destroy(slot->inbox[i]);
    task_destroy(t);
    pipeline_metrics_partition_close(e->metrics, slot->metrics);
    free(slot->inbox);
    free(slot->running);
    free(slot->headers);
    pthread_mutex_destroy(&slot->lock);
    if (e->last_slot == slot)
        e->last_slot = NULL;
    e->assignment_changes++;
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

/* Fill the task's input batch from Kafka messages, without copying.
 * librdkafka parses a message's headers on each rd_kafka_message_headers
 * call that finds none (an allocation and a free), so it is asked once per
 * message: the first pass notes which messages have headers. */
static int build_input(partition_slot *slot, rd_kafka_message_t **msgs, size_t count)
{
    task *t = slot->task;
    size_t header_total = 0;
    size_t with_headers = 0;
    for (size_t i = 0; i < count; i++) {
        rd_kafka_headers_t *hdrs;
        if (rd_kafka_message_headers(msgs[i], &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            header_total += rd_kafka_header_cnt(hdrs);
            with_headers++;
        }
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
        if (with_headers > 0 &&
            rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
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
            int64_t batch_end = batch[count - 1]->offset + 1;
            partition_metrics_batch_taken(slot->metrics, batch_end);
            task_process(slot->task, &slot->task->input);
            atomic_fetch_add(&e->records_in, (long long)count);
            partition_metrics_batch_done(e->metrics, slot->metrics, batch_end, count);
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

/* Queue count records of one partition (a run, as librdkafka hands them
 * over) for its task. */
static void dispatch_run(engine *e, rd_kafka_message_t **msgs, size_t count)
{
    partition_slot *slot = find_slot(e, rd_kafka_topic_name(msgs[0]->rkt), msgs[0]->partition);
    if (!slot) {
        for (size_t i = 0; i < count; i++)
            rd_kafka_message_destroy(msgs[i]); /* from a partition no longer ours */
        records_done(e, count);
        return;
    }
    pthread_mutex_lock(&slot->lock);
    if (slot->inbox_count + count > slot->inbox_capacity) {
        size_t capacity = slot->inbox_capacity ? slot->inbox_capacity : 1024;
        while (capacity < slot->inbox_count + count)
            capacity *= 2;
        rd_kafka_message_t **inbox = realloc(slot->inbox, capacity * sizeof(*inbox));
        if (!inbox) {
            pthread_mutex_unlock(&slot->lock);
            for (size_t i = 0; i < count; i++)
                rd_kafka_message_destroy(msgs[i]);
            records_done(e, count);
            engine_fail(e, "out of memory queueing records");
            return;
        }
        slot->inbox = inbox;
        slot->inbox_capacity = capacity;
    }
    memcpy(slot->inbox + slot->inbox_count, msgs, count * sizeof(*msgs));
    slot->inbox_count += count;
    int submit = !slot->scheduled;
    slot->scheduled = 1;
    pthread_mutex_unlock(&slot->lock);
    if (submit)
        worker_pool_submit(&e->pool, &slot->work);
}

void engine_dispatch(engine *e, rd_kafka_message_t **msgs, size_t count)
{
    if (count == 0)
        return;
    /* Counted in flight before any worker can finish one of them. */
    pthread_mutex_lock(&e->lock);
    e->in_flight += (long)count;
    pthread_mutex_unlock(&e->lock);
    size_t start = 0;
    for (size_t i = 1; i <= count; i++) {
        if (i == count || msgs[i]->rkt != msgs[start]->rkt ||
            msgs[i]->partition != msgs[start]->partition) {
            dispatch_run(e, msgs + start, i - start);
            start = i;
        }
    }
}

/* Wait until no record is in flight: every task is idle. */
void engine_wait_idle(engine *e)
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

void engine_wait_for_room(engine *e)
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
