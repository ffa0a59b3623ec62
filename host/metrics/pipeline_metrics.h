/*
 * A running pipeline's metrics, as the engine reports them and as
 * /metrics, /ready, the stall watchdog and the status line read them.
 *
 * The engine reports per batch, never per record: a stage's records in,
 * out and rejected and its process time after each process call; a
 * partition's position before and after each batch. Every function
 * accepts NULL handles and then does nothing, so code that runs without
 * metrics (the plugin test kit) passes NULL.
 *
 * Metrics (all prefixed pipehost_):
 *   stage_records_in_total, stage_records_out_total,
 *   stage_records_rejected_total, stage_records_late_total {stage}
 *   stage_plugin_counter_total {stage, counter}  other host->count names
 *   stage_process_seconds {stage}                histogram per process call
 *   records_consumed_total, dead_lettered_total
 *   partition_consumer_lag, partition_committed_offset,
 *   partition_stalled {topic, partition}          assigned partitions only
 *   assigned_partitions, stalled_partitions
 *   commits_total, commit_failures_total, rebalances_total {event}
 *   sink_failures_total {sink}
 */
#ifndef PIPEHOST_METRICS_PIPELINE_METRICS_H
#define PIPEHOST_METRICS_PIPELINE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/metric_registry.h"

#define STAGE_PLUGIN_COUNTERS_MAX 16
/* statistics.interval.ms when the pipeline does not set it. */
#define METRICS_STATISTICS_INTERVAL_MS "1000"

typedef struct stage_metrics {
    struct stage_metrics *next;
    char *name;
    metric_series *records_in;
    metric_series *records_out;
    metric_series *records_rejected;
    metric_series *records_late;
    metric_series *process_seconds;
    /* host->count names other than "late": appended under the pipeline
     * lock, read without it up to counter_count */
    const char *counter_names[STAGE_PLUGIN_COUNTERS_MAX];
    metric_series *counters[STAGE_PLUGIN_COUNTERS_MAX];
    atomic_size_t counter_count;
    struct pipeline_metrics *owner;
} stage_metrics;

typedef struct partition_metrics {
    struct partition_metrics *next;
    char *topic;
    int32_t partition;
    /* offset after the last record of the batch a worker took, and of the
     * last batch it finished: taken > done means a batch is in progress */
    atomic_llong taken;
    atomic_llong done;
    /* where this assignment started and the end it had then (-1 unknown),
     * for progress towards the end with --exit-at-end */
    atomic_llong range_start;
    atomic_llong range_end;
    metric_series *consumer_lag;
    metric_series *committed_offset;
    metric_series *stalled;
    /* the stall watchdog's own, guarded by the pipeline lock */
    int64_t watched_done;
    int64_t waiting_since_ms; /* first seen in progress at that position; -1 idle */
} partition_metrics;

typedef struct pipeline_metrics {
    metric_registry *registry;
    pthread_mutex_t lock; /* stages, partitions, stalled names */
    stage_metrics *stages;
    partition_metrics *partitions;
    atomic_int assigned; /* the group has assigned partitions at least once */
    atomic_int stalled_count;

    metric_family *stage_in, *stage_out, *stage_rejected, *stage_late, *stage_counter,
        *stage_seconds;
    metric_family *lag, *committed, *stalled, *sink_failures, *rebalances;
    metric_series *records_consumed, *dead_lettered, *assigned_partitions, *stalled_partitions,
        *commits, *commit_failures;
} pipeline_metrics;

pipeline_metrics *pipeline_metrics_create(void);
void pipeline_metrics_free(pipeline_metrics *m);

/* ---- stages ---------------------------------------------------------------- */

/* The metrics of the stage of that name (shared by every partition's
 * instance), created on first use. NULL when m is NULL. */
stage_metrics *pipeline_metrics_stage(pipeline_metrics *m, const char *stage_name);

/* One process call: records in and emitted. */
void stage_metrics_batch(stage_metrics *s, size_t in, size_t out);
/* Rejections handed to on_error (not those of a replay). */
void stage_metrics_rejected(stage_metrics *s, size_t rejected);
/* Records emitted at flush. */
void stage_metrics_flushed(stage_metrics *s, size_t out);
void stage_metrics_process_time(stage_metrics *s, int64_t nanoseconds);
/* A host->count call: "late" is its own metric, other names are labels
 * of stage_plugin_counter_total (at most STAGE_PLUGIN_COUNTERS_MAX). */
void stage_metrics_count(stage_metrics *s, const char *counter, int64_t delta);

/* CLOCK_MONOTONIC in nanoseconds, to time a batch. */
int64_t metrics_clock_ns(void);

/* ---- partitions -------------------------------------------------------------- */

partition_metrics *pipeline_metrics_partition_open(pipeline_metrics *m, const char *topic,
                                                   int32_t partition);
/* Forget a revoked partition: its series leave /metrics. */
void pipeline_metrics_partition_close(pipeline_metrics *m, partition_metrics *p);

/* A worker takes a batch ending before next_offset; then it is done. */
void partition_metrics_batch_taken(partition_metrics *p, int64_t next_offset);
void partition_metrics_batch_done(pipeline_metrics *m, partition_metrics *p,
                                  int64_t next_offset, size_t records);
/* The assignment's range for progress: it starts at the committed offset
 * (negative: none, then at low, or at end when reset to the end) and
 * runs to the end the partition had when assigned (negative: unknown). */
void partition_metrics_range(partition_metrics *p, int64_t committed, int64_t low, int64_t end,
                             int starts_at_end);

/* ---- events -------------------------------------------------------------------- */

void pipeline_metrics_commit(pipeline_metrics *m, int succeeded);
/* event: "assign", "revoke", "lost" or "error". */
void pipeline_metrics_rebalance(pipeline_metrics *m, const char *event);
void pipeline_metrics_sink_failure(pipeline_metrics *m, const char *sink);
void pipeline_metrics_dead_lettered(pipeline_metrics *m, int64_t records);
/* librdkafka's statistics JSON: lag and committed offset per partition. */
void pipeline_metrics_read_statistics(pipeline_metrics *m, const char *json, size_t json_len);

/* ---- readers --------------------------------------------------------------------- */

typedef struct pipeline_snapshot {
    int assigned;            /* assigned partitions at least once */
    size_t partitions;       /* assigned now */
    size_t stalled;          /* stalled now */
    char stalled_names[256]; /* "events[0], events[3]" (cut short if long) */
    int64_t records_consumed;
    int64_t dead_lettered;
    int64_t lag;              /* sum over partitions with a known lag */
    int lag_known;            /* some partition's lag is known */
    int64_t progress_done;    /* records processed towards the ends */
    int64_t progress_total;   /* records from each start to its end */
    size_t progress_unknown;  /* assigned partitions whose range is not known yet */
} pipeline_snapshot;

void pipeline_metrics_snapshot(pipeline_metrics *m, pipeline_snapshot *out);

/* Ready: partitions assigned (at least once) and none stalled. */
int pipeline_metrics_ready(pipeline_metrics *m);

#endif
