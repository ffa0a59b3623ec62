/* The pipeline's metric families and the handles the engine reports to. */
#include "metrics/pipeline_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/kafka_statistics.h"
#include "services/log.h"

/* Process time per call, from 10 µs to 10 s, in nanoseconds. */
static const int64_t process_bounds_ns[] = {
    10000,    50000,     100000,    500000,     1000000,    5000000,
    10000000, 50000000,  100000000, 500000000,  1000000000, 10000000000,
};

#define STAGE {"stage", NULL, NULL}
#define PARTITION {"topic", "partition", NULL}
#define NO_LABELS {NULL, NULL, NULL}

static const metric_definition stage_in_def = {
    "pipehost_stage_records_in_total", METRIC_COUNTER,
    "Records a stage's process calls took in.", STAGE, NULL, 0, 0};
static const metric_definition stage_out_def = {
    "pipehost_stage_records_out_total", METRIC_COUNTER,
    "Records a stage emitted (at process and at flush).", STAGE, NULL, 0, 0};
static const metric_definition stage_rejected_def = {
    "pipehost_stage_records_rejected_total", METRIC_COUNTER,
    "Records a stage rejected (to the dead letter, skipped or stopping).", STAGE, NULL, 0, 0};
static const metric_definition stage_late_def = {
    "pipehost_stage_records_late_total", METRIC_COUNTER,
    "Records a stage counted as late (host->count \"late\").", STAGE, NULL, 0, 0};
static const metric_definition stage_counter_def = {
    "pipehost_stage_plugin_counter_total", METRIC_COUNTER,
    "Other counters a stage's plugin reports through host->count.",
    {"stage", "counter", NULL}, NULL, 0, 0};
static const metric_definition stage_seconds_def = {
    "pipehost_stage_process_seconds", METRIC_HISTOGRAM,
    "Time of a stage's process calls, one observation per batch.", STAGE, process_bounds_ns,
    sizeof(process_bounds_ns) / sizeof(process_bounds_ns[0]), 1e-9};
static const metric_definition records_consumed_def = {
    "pipehost_records_consumed_total", METRIC_COUNTER,
    "Records taken from Kafka and run through the partition tasks.", NO_LABELS, NULL, 0, 0};
static const metric_definition dead_lettered_def = {
    "pipehost_dead_lettered_total", METRIC_COUNTER,
    "Rejected records sent to the dead-letter topic.", NO_LABELS, NULL, 0, 0};
static const metric_definition lag_def = {
    "pipehost_partition_consumer_lag", METRIC_GAUGE,
    "Records between the partition's high watermark and the committed offset (librdkafka "
    "statistics).", PARTITION, NULL, 0, 0};
static const metric_definition committed_def = {
    "pipehost_partition_committed_offset", METRIC_GAUGE,
    "The group's committed offset of the partition (librdkafka statistics).", PARTITION, NULL,
    0, 0};
static const metric_definition stalled_def = {
    "pipehost_partition_stalled", METRIC_GAUGE,
    "1 while the partition has records in progress and has made no progress for "
    "stall_after.", PARTITION, NULL, 0, 0};
static const metric_definition assigned_def = {
    "pipehost_assigned_partitions", METRIC_GAUGE, "Partitions assigned to this process.",
    NO_LABELS, NULL, 0, 0};
static const metric_definition stalled_partitions_def = {
    "pipehost_stalled_partitions", METRIC_GAUGE, "Assigned partitions that are stalled.",
    NO_LABELS, NULL, 0, 0};
static const metric_definition commits_def = {
    "pipehost_commits_total", METRIC_COUNTER, "Offset commits the broker accepted.", NO_LABELS,
    NULL, 0, 0};
static const metric_definition commit_failures_def = {
    "pipehost_commit_failures_total", METRIC_COUNTER,
    "Offset commits that failed (the next commit covers them).", NO_LABELS, NULL, 0, 0};
static const metric_definition rebalances_def = {
    "pipehost_rebalances_total", METRIC_COUNTER,
    "Rebalance events: partitions assigned, revoked, lost, or a failed rebalance.",
    {"event", NULL, NULL}, NULL, 0, 0};
static const metric_definition sink_failures_def = {
    "pipehost_sink_failures_total", METRIC_COUNTER,
    "Writes or flushes a sink could not complete (each stops the pipeline uncommitted).",
    {"sink", NULL, NULL}, NULL, 0, 0};

static const char *const rebalance_events[] = {"assign", "revoke", "lost", "error"};

int64_t metrics_clock_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static metric_series *single_series(pipeline_metrics *m, const metric_definition *d)
{
    metric_family *family = metric_family_add(m->registry, d);
    return family ? metric_series_get(m->registry, family, NULL) : NULL;
}

pipeline_metrics *pipeline_metrics_create(void)
{
    pipeline_metrics *m = calloc(1, sizeof(*m));
    if (!m || !(m->registry = metric_registry_create())) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    metric_registry *r = m->registry;
    /* Rendered in this order. */
    m->stage_in = metric_family_add(r, &stage_in_def);
    m->stage_out = metric_family_add(r, &stage_out_def);
    m->stage_rejected = metric_family_add(r, &stage_rejected_def);
    m->stage_late = metric_family_add(r, &stage_late_def);
    m->stage_counter = metric_family_add(r, &stage_counter_def);
    m->stage_seconds = metric_family_add(r, &stage_seconds_def);
    m->records_consumed = single_series(m, &records_consumed_def);
    m->dead_lettered = single_series(m, &dead_lettered_def);
    m->lag = metric_family_add(r, &lag_def);
    m->committed = metric_family_add(r, &committed_def);
    m->stalled = metric_family_add(r, &stalled_def);
    m->assigned_partitions = single_series(m, &assigned_def);
    m->stalled_partitions = single_series(m, &stalled_partitions_def);
    m->commits = single_series(m, &commits_def);
    m->commit_failures = single_series(m, &commit_failures_def);
    m->rebalances = metric_family_add(r, &rebalances_def);
    m->sink_failures = metric_family_add(r, &sink_failures_def);
    int complete = m->stage_in && m->stage_out && m->stage_rejected && m->stage_late &&
                   m->stage_counter && m->stage_seconds && m->records_consumed &&
                   m->dead_lettered && m->lag && m->committed && m->stalled &&
                   m->assigned_partitions && m->stalled_partitions && m->commits &&
                   m->commit_failures && m->rebalances && m->sink_failures;
    /* Every rebalance event shows, at 0 until it happens. */
    for (size_t i = 0; complete && i < sizeof(rebalance_events) / sizeof(*rebalance_events); i++)
        complete = metric_series_get(r, m->rebalances, &rebalance_events[i]) != NULL;
    if (!complete) {
        pipeline_metrics_free(m);
        return NULL;
    }
    return m;
}

void pipeline_metrics_free(pipeline_metrics *m)
{
    if (!m)
        return;
    for (stage_metrics *s = m->stages; s;) {
        stage_metrics *next = s->next;
        for (size_t i = 0; i < atomic_load(&s->counter_count); i++)
            free((char *)s->counter_names[i]);
        free(s->name);
        free(s);
        s = next;
    }
    for (partition_metrics *p = m->partitions; p;) {
        partition_metrics *next = p->next;
        free(p->topic);
        free(p);
        p = next;
    }
    metric_registry_free(m->registry);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- stages ------------------------------------------------------------------ */

stage_metrics *pipeline_metrics_stage(pipeline_metrics *m, const char *stage_name)
{
    if (!m)
        return NULL;
    pthread_mutex_lock(&m->lock);
    stage_metrics *s = m->stages;
    while (s && strcmp(s->name, stage_name) != 0)
        s = s->next;
    if (!s && (s = calloc(1, sizeof(*s))) != NULL) {
        const char *labels[] = {stage_name};
        metric_registry *r = m->registry;
        s->owner = m;
        s->name = strdup(stage_name);
        s->records_in = metric_series_get(r, m->stage_in, labels);
        s->records_out = metric_series_get(r, m->stage_out, labels);
        s->records_rejected = metric_series_get(r, m->stage_rejected, labels);
        s->records_late = metric_series_get(r, m->stage_late, labels);
        s->process_seconds = metric_series_get(r, m->stage_seconds, labels);
        if (!s->name) {
            free(s);
            s = NULL; /* out of memory: the stage goes uncounted */
        } else {
            s->next = m->stages;
            m->stages = s;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return s;
}

void stage_metrics_batch(stage_metrics *s, size_t in, size_t out)
{
    if (!s)
        return;
    metric_add(s->records_in, (int64_t)in);
    if (out)
        metric_add(s->records_out, (int64_t)out);
}

void stage_metrics_rejected(stage_metrics *s, size_t rejected)
{
    if (s && rejected)
        metric_add(s->records_rejected, (int64_t)rejected);
}

void stage_metrics_flushed(stage_metrics *s, size_t out)
{
    if (s && out)
        metric_add(s->records_out, (int64_t)out);
}

void stage_metrics_process_time(stage_metrics *s, int64_t nanoseconds)
{
    if (s)
        metric_observe(s->process_seconds, nanoseconds);
}

static metric_series *find_counter(stage_metrics *s, const char *counter)
{
    size_t count = atomic_load_explicit(&s->counter_count, memory_order_acquire);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(s->counter_names[i], counter) == 0)
            return s->counters[i];
    }
    return NULL;
}

/* Add a named counter under the lock; NULL when the table is full. */
static metric_series *add_counter(stage_metrics *s, const char *counter)
{
    pipeline_metrics *m = s->owner;
    pthread_mutex_lock(&m->lock);
    metric_series *series = find_counter(s, counter); /* another thread's, meanwhile */
    size_t count = atomic_load(&s->counter_count);
    if (!series && count < STAGE_PLUGIN_COUNTERS_MAX) {
        const char *labels[] = {s->name, counter};
        char *name = strdup(counter);
        series = name ? metric_series_get(m->registry, m->stage_counter, labels) : NULL;
        if (series) {
            s->counter_names[count] = name;
            s->counters[count] = series;
            atomic_store_explicit(&s->counter_count, count + 1, memory_order_release);
        } else {
            free(name);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return series;
}

void stage_metrics_count(stage_metrics *s, const char *counter, int64_t delta)
{
    if (!s || !counter)
        return;
    if (strcmp(counter, "late") == 0) {
        metric_add(s->records_late, delta);
        return;
    }
    metric_series *series = find_counter(s, counter);
    if (!series)
        series = add_counter(s, counter);
    metric_add(series, delta);
}

/* ---- partitions ---------------------------------------------------------------- */

static void remove_partition_series(pipeline_metrics *m, partition_metrics *p)
{
    metric_series_remove(m->registry, p->consumer_lag);
    metric_series_remove(m->registry, p->committed_offset);
    metric_series_remove(m->registry, p->stalled);
}

partition_metrics *pipeline_metrics_partition_open(pipeline_metrics *m, const char *topic,
                                                   int32_t partition)
{
    if (!m)
        return NULL;
    partition_metrics *p = calloc(1, sizeof(*p));
    if (!p || !(p->topic = strdup(topic))) {
        free(p);
        return NULL;
    }
    char number[16];
    snprintf(number, sizeof(number), "%d", (int)partition);
    const char *labels[] = {topic, number};
    p->partition = partition;
    atomic_init(&p->taken, -1);
    atomic_init(&p->done, -1);
    atomic_init(&p->range_start, -1);
    atomic_init(&p->range_end, -1);
    p->watched_done = -1;
    p->waiting_since_ms = -1;
    p->consumer_lag = metric_series_get(m->registry, m->lag, labels);
    p->committed_offset = metric_series_get(m->registry, m->committed, labels);
    p->stalled = metric_series_get(m->registry, m->stalled, labels);
    /* Unknown until librdkafka's statistics tell. */
    metric_set(p->consumer_lag, -1);
    metric_set(p->committed_offset, -1);
    pthread_mutex_lock(&m->lock);
    p->next = m->partitions;
    m->partitions = p;
    metric_add(m->assigned_partitions, 1);
    pthread_mutex_unlock(&m->lock);
    return p;
}

void pipeline_metrics_partition_close(pipeline_metrics *m, partition_metrics *p)
{
    if (!m || !p)
        return;
    pthread_mutex_lock(&m->lock);
    for (partition_metrics **link = &m->partitions; *link; link = &(*link)->next) {
        if (*link == p) {
            *link = p->next;
            break;
        }
    }
    metric_add(m->assigned_partitions, -1);
    if (metric_value(p->stalled)) {
        atomic_fetch_sub(&m->stalled_count, 1);
        metric_add(m->stalled_partitions, -1);
    }
    pthread_mutex_unlock(&m->lock);
    remove_partition_series(m, p);
    free(p->topic);
    free(p);
}

void partition_metrics_batch_taken(partition_metrics *p, int64_t next_offset)
{
    if (p)
        atomic_store_explicit(&p->taken, next_offset, memory_order_relaxed);
}

void partition_metrics_batch_done(pipeline_metrics *m, partition_metrics *p,
                                  int64_t next_offset, size_t records)
{
    if (p)
        atomic_store_explicit(&p->done, next_offset, memory_order_relaxed);
    if (m)
        metric_add(m->records_consumed, (int64_t)records);
}

void partition_metrics_range(partition_metrics *p, int64_t committed, int64_t low, int64_t end,
                             int starts_at_end)
{
    if (!p || end < 0)
        return;
    int64_t start = starts_at_end ? end : committed > low ? committed : low;
    atomic_store(&p->range_start, start < end ? start : end);
    atomic_store(&p->range_end, end);
}

/* ---- events ------------------------------------------------------------------------ */

void pipeline_metrics_commit(pipeline_metrics *m, int succeeded)
{
    if (m)
        metric_add(succeeded ? m->commits : m->commit_failures, 1);
}

void pipeline_metrics_rebalance(pipeline_metrics *m, const char *event)
{
    if (!m)
        return;
    const char *labels[] = {event};
    metric_add(metric_series_get(m->registry, m->rebalances, labels), 1);
    if (strcmp(event, "assign") == 0)
        atomic_store(&m->assigned, 1);
}

void pipeline_metrics_sink_failure(pipeline_metrics *m, const char *sink)
{
    if (!m)
        return;
    const char *labels[] = {sink};
    metric_add(metric_series_get(m->registry, m->sink_failures, labels), 1);
}

void pipeline_metrics_dead_lettered(pipeline_metrics *m, int64_t records)
{
    if (m)
        metric_add(m->dead_lettered, records);
}

void pipeline_metrics_read_statistics(pipeline_metrics *m, const char *json, size_t json_len)
{
    if (!m)
        return;
    kafka_statistics statistics;
    char err[256];
    if (kafka_statistics_read(json, json_len, &statistics, err, sizeof(err)) != 0) {
        log_warn("metrics", "librdkafka statistics: %s", err);
        return;
    }
    pthread_mutex_lock(&m->lock);
    for (partition_metrics *p = m->partitions; p; p = p->next) {
        for (size_t i = 0; i < statistics.count; i++) {
            const kafka_partition_statistics *s = &statistics.partitions[i];
            if (s->partition != p->partition || strcmp(s->topic, p->topic) != 0)
                continue;
            metric_set(p->consumer_lag, s->consumer_lag);
            metric_set(p->committed_offset, s->committed_offset);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    kafka_statistics_free(&statistics);
}

/* ---- readers -------------------------------------------------------------------------- */

static void append_name(char *names, size_t size, const partition_metrics *p)
{
    size_t used = strlen(names);
    if (used + 1 >= size)
        return;
    snprintf(names + used, size - used, "%s%s[%d]", used ? ", " : "", p->topic,
             (int)p->partition);
}

void pipeline_metrics_snapshot(pipeline_metrics *m, pipeline_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    if (!m)
        return;
    out->assigned = atomic_load(&m->assigned);
    out->records_consumed = metric_value(m->records_consumed);
    out->dead_lettered = metric_value(m->dead_lettered);
    pthread_mutex_lock(&m->lock);
    for (const partition_metrics *p = m->partitions; p; p = p->next) {
        out->partitions++;
        if (metric_value(p->stalled)) {
            out->stalled++;
            append_name(out->stalled_names, sizeof(out->stalled_names), p);
        }
        int64_t lag = metric_value(p->consumer_lag);
        if (lag >= 0) {
            out->lag += lag;
            out->lag_known = 1;
        }
        int64_t start = atomic_load(&p->range_start), end = atomic_load(&p->range_end);
        if (start < 0 || end < start) {
            out->progress_unknown++;
            continue;
        }
        int64_t done = atomic_load_explicit(&p->done, memory_order_relaxed) - start;
        out->progress_total += end - start;
        out->progress_done += done < 0 ? 0 : done > end - start ? end - start : done;
    }
    pthread_mutex_unlock(&m->lock);
}

int pipeline_metrics_ready(pipeline_metrics *m)
{
    return m && atomic_load(&m->assigned) && atomic_load(&m->stalled_count) == 0;
}
