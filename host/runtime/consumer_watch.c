/*
 * What librdkafka tells of the consumer's state, beyond records: whether
 * the member is rejoining its group, and whether the cluster is reachable.
 *
 * Rejoining. librdkafka 2.0 sends an offset commit even while its own
 * JoinGroup is pending. The coordinator answers requests on a connection
 * in order, so the commit is answered after the join, against the new
 * generation: ILLEGAL_GENERATION, and librdkafka then declares the whole
 * assignment lost. The partitions are dropped uncommitted (their output
 * since the last commit is written again by their next owner) and the
 * member rejoins, which makes the others' commits fail the same way.
 * Measured with the embedded broker: three members committing every
 * 500 ms, one killed, and the group never settled. The Java client
 * refuses to commit while it rejoins; this host does the same. librdkafka
 * reports its join state as it changes only in its "cgrp" debug lines
 * ('Group "g" changed join state steady -> init (state up)'; the
 * statistics' cgrp.join_state lags by the statistics interval), so the
 * consumer gets "cgrp" added to its debug contexts and a log callback
 * that reads those lines and drops the debug lines nobody asked for.
 *
 * Reachability. An error callback turns librdkafka's "all brokers down"
 * into one line when the cluster becomes unreachable and one when a
 * commit succeeds again, instead of a line per failed connection attempt.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kafka/kafka_conf.h"
#include "runtime/engine.h"
#include "services/log.h"

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void watch_join_state(const rd_kafka_t *rk, int level, const char *facility,
                             const char *message)
{
    engine *e = rd_kafka_opaque(rk);
    if (strcmp(facility, "CGRPJOINSTATE") == 0) {
        const char *arrow = strstr(message, " -> ");
        if (arrow) {
            int steady = strncmp(arrow + 4, "steady", 6) == 0 &&
                         (arrow[10] == ' ' || arrow[10] == '\0');
            atomic_store(&e->group_joining, !steady);
        }
    }
    if (level >= 7 && e->kafka_debug_added)
        return; /* debug output nobody asked for */
    kafka_conf_log(rk, level, facility, message);
}

/* Served on the consume loop's thread. */
static void on_consumer_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    engine *e = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof(why));
        engine_fail(e, why);
        return;
    }
    /* One connection failing is not the cluster going away: librdkafka
     * reconnects by itself, and a failure of a connection it was already
     * replacing can be reported after a commit has gone through again. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT) {
        log_debug("pipeline", "consumer: %s", reason);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__RESOLVE) {
        if (!e->unreachable_since) {
            e->unreachable_since = monotonic_ms();
            log_warn("pipeline", "the Kafka cluster is unreachable (%s): consuming and "
                                 "committing wait for it", reason);
        } else {
            log_debug("pipeline", "still unreachable: %s", reason);
        }
        return;
    }
    log_warn("pipeline", "consumer: %s", reason);
}

void consumer_reached_cluster(engine *e)
{
    if (!e->unreachable_since)
        return;
    log_info("pipeline", "the Kafka cluster is reachable again: a commit succeeded %.1f s after "
                         "it became unreachable", (monotonic_ms() - e->unreachable_since) / 1000.0);
    e->unreachable_since = 0;
}

int consumer_watch(engine *e, rd_kafka_conf_t *conf, char *err, size_t err_size)
{
    char debug[512];
    size_t size = sizeof(debug);
    if (rd_kafka_conf_get(conf, "debug", debug, &size) != RD_KAFKA_CONF_OK)
        debug[0] = '\0';
    e->kafka_debug_added = debug[0] == '\0';
    char contexts[600];
    snprintf(contexts, sizeof(contexts), "%s%scgrp", debug, debug[0] ? "," : "");
    if (rd_kafka_conf_set(conf, "debug", contexts, err, err_size) != RD_KAFKA_CONF_OK)
        return -1;
    rd_kafka_conf_set_log_cb(conf, watch_join_state);
    rd_kafka_conf_set_error_cb(conf, on_consumer_error);
    return 0;
}

int group_joining(engine *e)
{
    return atomic_load(&e->group_joining);
}
