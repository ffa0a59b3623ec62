/*
 * The commit protocol: flush every task stage by stage, then the sinks,
 * and commit only what every sink made durable. Tasks are created on
 * assign and flushed, committed and destroyed on revoke.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka_conf.h"
#include "runtime/engine.h"
#include "services/log.h"

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

void engine_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
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
        assign_partitions(e, parts);
        e->assigned_once = 1;
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        engine_revoke(e, cooperative ? parts : NULL, rd_kafka_assignment_lost(rk));
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rd_kafka_assign(rk, NULL);
    } else {
        log_error("pipeline", "rebalance failed: %s", rd_kafka_err2str(err));
        engine_revoke(e, NULL, 1);
        rd_kafka_assign(rk, NULL);
    }
    if (error) {
        log_error("pipeline", "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}
