/*
 * The commit protocol: flush every task stage by stage, then the sinks,
 * and commit only what every sink made durable. Tasks are created on
 * assign and flushed, committed and destroyed on revoke.
 *
 * Sink failures. A sink that cannot make its output durable for a
 * transient reason (a full disk, an I/O error, a Kafka outage or produce
 * errors) keeps that output (see sink.h) and answers SINK_RETRY. The
 * flush is then tried again, after 100 ms, doubling up to 5 s, each wait
 * logged, until every sink answers SINK_OK: only then is anything
 * committed. Meanwhile the workers are idle and the consume loop, which
 * runs this, takes no new records, so held output stays bounded by what
 * was in flight. Consumption resumes where it was: nothing is rewound,
 * nothing is written twice by the retry. Once a stop is asked, retrying
 * ends after 7 s (inside the 10 s stop deadline) with nothing committed
 * past the held output: a restart replays it. A sink that answers
 * SINK_FAILED (a closed pipe; a record the topic can never take, such as
 * one over message.max.bytes) stops the pipeline at once, also with
 * nothing committed past it.
 *
 * A sink failing for longer than the consumer's max.poll.interval.ms
 * (5 min by default) costs the member its place in the group: its
 * partitions go to another member, which replays them from the last
 * commit (duplicates, no loss).
 *
 * Commit failures. An asynchronous commit that fails (a rebalance under
 * way, a coordinator gone) marks its partitions for a resend, so the next
 * commit sends the offset again even if nothing new was processed. No
 * periodic commit is sent while the member rejoins its group (see
 * consumer_watch.c). A synchronous commit (on revoke, at shutdown) waits
 * out a rebalance or a coordinator move for up to 3 s, and at shutdown
 * the last commit first waits up to 4 s for a rebalance under way to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/kafka_conf.h"
#include "metrics/pipeline_metrics.h"
#include "runtime/engine.h"
#include "runtime/pipeline.h"
#include "services/log.h"

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static int has_kafka_sink(const engine *e)
{
    for (size_t i = 0; i < e->config->sink_count; i++) {
        if (e->config->sinks[i].type == SINK_KAFKA)
            return 1;
    }
    return 0;
}

/* One flush of every sink: the worst outcome. */
static sink_outcome flush_sinks_once(engine *e)
{
    sink_outcome worst = SINK_OK;
    for (size_t i = 0; i < e->sink_count; i++) {
        sink_outcome outcome = sink_flush(e->sinks[i]);
        if (outcome != SINK_OK)
            pipeline_metrics_sink_failure(e->metrics, e->sinks[i]->description);
        if (outcome == SINK_FAILED || (outcome == SINK_RETRY && worst == SINK_OK))
            worst = outcome;
    }
    /* The dead letter rides on the producer even with no Kafka sink (a
     * Kafka sink's flush is the producer's). */
    if (e->producer && worst != SINK_FAILED && !has_kafka_sink(e)) {
        producer_outcome outcome = producer_flush(e->producer, SINK_FLUSH_TIMEOUT_MS);
        if (outcome != PRODUCER_DELIVERED)
            pipeline_metrics_sink_failure(e->metrics, "kafka producer");
        if (outcome == PRODUCER_REFUSED)
            worst = SINK_FAILED;
        else if (outcome == PRODUCER_RETRY)
            worst = SINK_RETRY;
    }
    return worst;
}

/* Flush the sinks until their output is durable, retrying transient
 * failures with backoff. 0, or -1 when it cannot be made durable. */
static int flush_sinks(engine *e)
{
    atomic_store(&e->flush_soon, 0);
    int wait_ms = SINK_RETRY_FIRST_MS;
    int64_t first_failure = 0, stop_seen = 0;
    for (int attempt = 1;; attempt++) {
        sink_outcome outcome = flush_sinks_once(e);
        if (outcome == SINK_OK) {
            if (attempt > 1)
                log_info("pipeline", "the sinks recovered after %d attempts in %.1f s: output "
                                     "durable, committing", attempt,
                         (monotonic_ms() - first_failure) / 1000.0);
            return 0;
        }
        if (outcome == SINK_FAILED || atomic_load(&e->failed))
            return -1;
        int64_t now = monotonic_ms();
        if (attempt == 1)
            first_failure = now;
        if (pipeline_stop_requested()) {
            if (!stop_seen)
                stop_seen = now;
            if (now - stop_seen >= SINK_RETRY_AT_STOP_MS) {
                log_error("pipeline", "stopping with output still not durable after %d "
                                      "attempts: nothing past it is committed", attempt);
                return -1;
            }
        }
        log_warn("pipeline", "output not durable (attempt %d, failing for %.1f s): consumption "
                             "paused, nothing committed; flushing again in %d ms", attempt,
                 (now - first_failure) / 1000.0, wait_ms);
        sleep_ms(wait_ms);
        wait_ms = wait_ms * 2 > SINK_RETRY_MAX_MS ? SINK_RETRY_MAX_MS : wait_ms * 2;
    }
}

/* Commit errors a synchronous commit waits out: the coordinator moving or
 * unreachable for a moment, or a rebalance that completes without us. */
static int commit_may_pass_later(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
           err == RD_KAFKA_RESP_ERR__WAIT_COORD ||
           err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
           err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
           err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
           err == RD_KAFKA_RESP_ERR__TIMED_OUT;
}

/* Send the commit; a synchronous one is tried again for a few seconds
 * while its error may pass. */
static rd_kafka_resp_err_t commit_offsets(engine *e, rd_kafka_topic_partition_list_t *list,
                                          int sync)
{
    if (!sync)
        return rd_kafka_commit(e->consumer, list, 1);
    int64_t deadline = monotonic_ms() + SYNC_COMMIT_RETRY_MS;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_commit(e->consumer, list, 0);
        if (!commit_may_pass_later(err) || monotonic_ms() >= deadline)
            return err;
        log_warn("pipeline", "commit failed: %s; trying again", rd_kafka_err2str(err));
        sleep_ms(SYNC_COMMIT_RETRY_WAIT_MS);
    }
}

/*
 * Flush the given slots' tasks, then the sinks; commit only if every
 * sink made its output durable. Tasks must be idle.
 */
int engine_flush_and_commit(engine *e, partition_slot **slots, size_t count, ph_flush_mode mode,
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
        engine_fail(e, "a sink could not make its output durable; nothing past it was committed");
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
    if (list->cnt > 0 && !sync && group_joining(e)) {
        /* Rejoining the group: a commit now would cost the assignment
         * (group_join.c). The next interval commits it. */
        log_debug("pipeline", "commit deferred: the consumer is rejoining its group");
    } else if (list->cnt > 0) {
        rd_kafka_resp_err_t err = commit_offsets(e, list, sync);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_warn("pipeline", "commit failed: %s (the next commit covers it)",
                     rd_kafka_err2str(err));
            if (!sync) /* a synchronous commit's result reaches engine_on_commit too */
                pipeline_metrics_commit(e->metrics, 0);
            rc = -1;
        }
        /* Asynchronous: sent now, confirmed (or marked for a resend) in
         * engine_on_commit. Synchronous: each partition's own result. */
        for (size_t i = 0, at = 0; i < count && err == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
            if (points[i] == OFFSET_UNSET)
                continue;
            if (!sync || !list->elems[at].err)
                offset_tracker_committed(&slots[i]->task->offsets, points[i]);
            at++;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    free(points);
    return rc;
}

static partition_slot *slot_of(engine *e, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < e->slot_count; i++) {
        task *t = e->slots[i]->task;
        if (t->partition == partition && strcmp(t->topic, topic) == 0)
            return e->slots[i];
    }
    return NULL;
}

/* The result of a commit, on the consume loop's thread. */
void engine_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    engine *e = opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    int failed = 0;
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &offsets->elems[i];
        rd_kafka_resp_err_t perr = err ? err : p->err;
        if (!perr)
            continue;
        failed = 1;
        if (!err)
            log_warn("pipeline", "commit of %s[%d] failed: %s (the next commit covers it)",
                     p->topic, (int)p->partition, rd_kafka_err2str(perr));
        partition_slot *slot = slot_of(e, p->topic, p->partition);
        if (slot)
            offset_tracker_commit_failed(&slot->task->offsets, p->offset);
    }
    if (err)
        log_warn("pipeline", "commit failed: %s (the next commit covers it)",
                 rd_kafka_err2str(err));
    pipeline_metrics_commit(e->metrics, !(failed || err));
    if (failed || err) {
        e->commit_failures++;
        return;
    }
    consumer_reached_cluster(e);
    if (e->commit_failures > 0) {
        log_info("pipeline", "commits succeed again after %d failed", e->commit_failures);
        e->commit_failures = 0;
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
        partition_slot *slot = slot_resume(e, p);
        if (!slot) {
            engine_fail(e, "a stage could not start");
            return;
        }
        int64_t committed = p->offset >= 0 ? p->offset : OFFSET_UNSET;
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
            partition_metrics_range(slot->metrics, committed, slot->low_offset, slot->end_offset,
                                    slot->starts_at_end);
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

/* Serve the consumer (rebalance callbacks; records are dropped: nothing
 * past what was processed is committed) until it is no longer rejoining
 * its group, or until deadline. */
static void wait_for_steady_group(engine *e, int64_t deadline)
{
    int said = 0;
    while (group_joining(e) && monotonic_ms() < deadline) {
        if (!said++)
            log_info("pipeline", "waiting for the group's rebalance to end before the last commit");
        rd_kafka_message_t *m = rd_kafka_consumer_poll(e->consumer, 100);
        if (m)
            rd_kafka_message_destroy(m);
    }
}

void engine_final_commit(engine *e)
{
    engine_wait_idle(e);
    wait_for_steady_group(e, monotonic_ms() + STEADY_GROUP_WAIT_MS);
    engine_revoke(e, NULL, 0);
}

/* Flush, commit (unless lost) and destroy the tasks of parts (NULL: all). */
void engine_revoke(engine *e, const rd_kafka_topic_partition_list_t *parts, int lost)
{
    engine_wait_idle(e);
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
            engine_flush_and_commit(e, revoked, count, PH_FLUSH_FINAL, 1);
    }
    for (size_t i = 0; i < count; i++) {
        log_info("pipeline", "revoked %s[%d]", revoked[i]->task->topic,
                 (int)revoked[i]->task->partition);
        slot_destroy(e, revoked[i]);
    }
    free(revoked);
}

void engine_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    engine *e = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        pipeline_metrics_rebalance(e->metrics, "assign");
        assign_partitions(e, parts);
        e->assigned_once = 1;
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        pipeline_metrics_rebalance(e->metrics, rd_kafka_assignment_lost(rk) ? "lost" : "revoke");
        engine_revoke(e, cooperative ? parts : NULL, rd_kafka_assignment_lost(rk));
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    } else {
        log_error("pipeline", "rebalance failed: %s", rd_kafka_err2str(err));
        pipeline_metrics_rebalance(e->metrics, "error");
        engine_revoke(e, NULL, 1);
        rd_kafka_assign(rk, NULL);
    }
    if (error) {
        log_error("pipeline", "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}
