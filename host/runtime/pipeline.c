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
#include "metrics/pipeline_metrics.h"
#include "runtime/engine.h"
#include "services/log.h"
#include "sinks/sink.h"

#define CONSUME_BATCH 4096      /* records taken from librdkafka at once */
#define POLL_TIMEOUT_MS 100     /* how long the loop waits for a record */

static volatile sig_atomic_t stop_requested;

void pipeline_request_stop(void) { stop_requested = 1; }
int pipeline_stop_requested(void) { return stop_requested != 0; }

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void engine_fail(engine *e, const char *why)
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
        sink_outcome outcome = sink_write(e->sinks[i], output->records, output->count);
        if (outcome != SINK_OK)
            pipeline_metrics_sink_failure(e->metrics, e->sinks[i]->description);
        if (outcome == SINK_FAILED)
            rc = -1;
        else if (outcome == SINK_RETRY)
            atomic_store(&e->flush_soon, 1); /* kept by the sink: retry it at a flush now */
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
                      sizeof(headers) / sizeof(headers[0])) == 0) {
        atomic_fetch_add(&e->dead_lettered, 1);
        pipeline_metrics_dead_lettered(e->metrics, 1);
    } else {
        /* Refused for good (over message.max.bytes): stop rather than lose it. */
        offset_tracker_stop_at(&t->offsets, record->offset);
        engine_fail(e, "a rejected record could not be sent to the dead letter");
    }
}

static int engine_stopping(void *opaque)
{
    engine *e = opaque;
    return stop_requested || atomic_load(&e->failed);
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

static void consume_loop(engine *e)
{
    rd_kafka_message_t **msgs = malloc(CONSUME_BATCH * sizeof(*msgs));
    if (!msgs) {
        engine_fail(e, "out of memory");
        return;
    }
    int64_t next_commit = now_ms() + e->config->commit_interval_ms;
    while (!stop_requested && !atomic_load(&e->failed)) {
        engine_flow_control(e);
        engine_wait_for_room(e);
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
        /* Records go on in runs between the errors librdkafka reports. */
        ssize_t run_start = 0;
        for (ssize_t i = 0; i < n; i++) {
            if (msgs[i]->err) {
                engine_dispatch(e, msgs + run_start, (size_t)(i - run_start));
                handle_consumer_error(e, msgs[i]);
                rd_kafka_message_destroy(msgs[i]);
                run_start = i + 1;
            }
        }
        if (n > 0)
            engine_dispatch(e, msgs + run_start, (size_t)(n - run_start));
        if (reload_poll(e))
            next_commit = now_ms() + e->config->commit_interval_ms;
        if (now_ms() >= next_commit || atomic_load(&e->flush_soon)) {
            engine_wait_idle(e);
            engine_flush_and_commit(e, e->slots, e->slot_count, PH_FLUSH_CHECKPOINT, 0);
            next_commit = now_ms() + e->config->commit_interval_ms;
        }
        if (e->exit_at_end && all_at_end(e)) {
            log_info("pipeline", "every assigned partition is consumed to its end");
            break;
        }
    }
    engine_wait_idle(e);
    e->last_record_ms = now_ms();
    free(msgs);
}

/* ---- setup and teardown ------------------------------------------------------ */

int engine_open_sinks(engine *e, const char *bootstrap, char *err, size_t err_size)
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

int engine_create_embedded_topics(engine *e, char *err, size_t err_size)
{
    const pipeline_config *c = e->config;
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
    return 0;
}

static int start_embedded_broker(engine *e, char *err, size_t err_size)
{
    e->broker = embedded_broker_start(1, err, err_size);
    if (!e->broker || engine_create_embedded_topics(e, err, err_size) != 0)
        return -1;
    log_info("pipeline", "embedded broker listening on %s", embedded_broker_bootstraps(e->broker));
    return 0;
}

/* librdkafka's statistics: the lag and committed offset metrics. */
static int on_statistics(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    (void)rk;
    engine *e = opaque;
    pipeline_metrics_read_statistics(e->metrics, json, json_len);
    return 0; /* librdkafka frees json */
}

int engine_start_consumer(engine *e, const char *bootstrap, char *err, size_t err_size)
{
    config_error cerr;
    rd_kafka_conf_t *conf = kafka_conf_consumer(e->config, bootstrap, &cerr);
    if (!conf) {
        snprintf(err, err_size, "%s", cerr.text);
        return -1;
    }
    rd_kafka_conf_set_opaque(conf, e);
    rd_kafka_conf_set_rebalance_cb(conf, engine_on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, engine_on_commit);
    if (consumer_watch(e, conf, err, err_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    if (e->metrics) {
        rd_kafka_conf_set_stats_cb(conf, on_statistics);
        if (!kafka_conf_property(e->config, "statistics.interval.ms"))
            rd_kafka_conf_set(conf, "statistics.interval.ms", METRICS_STATISTICS_INTERVAL_MS,
                              NULL, 0);
    }
    e->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size);
    if (!e->consumer) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_poll_set_consumer(e->consumer);
    e->queue = rd_kafka_queue_get_consumer(e->consumer);
    return engine_subscribe(e, err, err_size);
}

int engine_subscribe(engine *e, char *err, size_t err_size)
{
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
int engine_probe_stages(engine *e, const pipeline_plan *plan, const char *topic, char *err,
                        size_t err_size)
{
    task *probe = task_create(topic, -1, plan->processors, plan->processor_count, plan->sinks,
                              plan->sink_count, NULL, &e->env, err, err_size);
    if (!probe)
        return -1;
    task_destroy(probe);
    return 0;
}

void engine_close_sinks(engine *e)
{
    for (size_t i = 0; i < e->sink_count; i++)
        sink_destroy(e->sinks[i]);
    free(e->sinks);
    e->sinks = NULL;
    e->sink_count = 0;
    producer_destroy(e->producer);
    e->producer = NULL;
    free(e->dead_letter_topic);
    e->dead_letter_topic = NULL;
}

static void engine_teardown(engine *e)
{
    if (e->consumer) {
        /* Final flush and commit of every task, then leave the group. */
        fetch_waker_finish(&e->waker);
        engine_final_commit(e);
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
    engine_close_sinks(e);
    embedded_broker_stop(e->broker);
    if (!e->consumer)
        fetch_waker_finish(&e->waker);
    pthread_cond_destroy(&e->drained);
    pthread_mutex_destroy(&e->lock);
}

size_t engine_worker_count(const pipeline_config *config)
{
    if (config->workers > 0)
        return (size_t)config->workers;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (size_t)cores : 1;
}

char *engine_dead_letter_topic(const pipeline_config *config)
{
    char *topic = NULL;
    if (config->on_error != ON_ERROR_DEAD_LETTER)
        return NULL;
    if (config->dead_letter_topic)
        return strdup(config->dead_letter_topic);
    if (asprintf(&topic, "%s-dlq", config->name) < 0)
        return NULL;
    return topic;
}

int pipeline_run(const pipeline_config *config, const pipeline_plan *plan,
                 const pipeline_run_options *options)
{
    engine e = {0};
    e.config = config;
    e.plan = plan;
    e.exit_at_end = options->exit_at_end;
    e.metrics = options->metrics;
    pthread_mutex_init(&e.lock, NULL);
    pthread_cond_init(&e.drained, NULL);
    fetch_waker_init(&e.waker, &e);
    e.env = (task_env){.opaque = &e, .on_error = config->on_error,
                       .deliver = deliver_to_sinks, .dead_letter = send_to_dead_letter,
                       .stopping = engine_stopping, .metrics = options->metrics};
    e.dead_letter_topic = engine_dead_letter_topic(config);
    /* A run that owns its pipeline frees it like any later version: the
     * parameters are const only for the run's own use. */
    int owns = options->owns_pipeline;
    reload_init(&e, options->reload_loader, owns ? (pipeline_config *)config : NULL,
                owns ? (pipeline_plan *)plan : NULL);

    char err[1024];
    int exit_code = PIPELINE_EXIT_OK;
    const char *bootstrap = config->brokers;
    if (engine_probe_stages(&e, plan, config->topics[0], err, sizeof(err)) != 0) {
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
    if (engine_open_sinks(&e, bootstrap, err, sizeof(err)) != 0) {
        log_error("pipeline", "%s", err);
        exit_code = PIPELINE_EXIT_CONFIG;
        goto done;
    }
    if (worker_pool_start(&e.pool, engine_worker_count(config)) != 0) {
        log_error("pipeline", "cannot start worker threads");
        exit_code = PIPELINE_EXIT_FAILED;
        goto done;
    }
    if (engine_start_consumer(&e, bootstrap, err, sizeof(err)) != 0) {
        log_error("pipeline", "%s", err);
        exit_code = PIPELINE_EXIT_CONFIG;
        goto done;
    }
    log_info("pipeline", "%s: consuming %s as group %s with %zu workers", config->name,
             config->topics[0], config->group, engine_worker_count(config));
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
             e.config->name, records_in, (long long)atomic_load(&e.records_out),
             (long long)e.records_rejected, (long long)atomic_load(&e.dead_lettered), seconds,
             seconds > 0 ? records_in / seconds : 0.0,
             exit_code == PIPELINE_EXIT_OK ? "" : "; failed");
    log_debug("pipeline", "flow control paused the partitions %ld times", e.pauses);
    if (options->stats)
        *options->stats = (pipeline_stats){
            .records_in = records_in,
            .records_out = atomic_load(&e.records_out),
            .records_rejected = e.records_rejected,
            .dead_lettered = atomic_load(&e.dead_lettered),
            .seconds = seconds,
        };
    reload_finish(&e);
    return exit_code;
}
