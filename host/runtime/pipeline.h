/*
 * Running a pipeline: the Kafka source, the partition tasks on worker
 * threads, the sinks and the dead letter, and the commit protocol that
 * ties them together.
 *
 * One task per assigned partition is created on assign and flushed,
 * committed and destroyed on revoke. Every commit_interval_ms the host
 * waits for the records in flight, flushes every task stage by stage,
 * flushes the sinks (file: fsync; Kafka: every delivery report), and only
 * then commits, no further than any stage's retain offset.
 */
#ifndef PIPEHOST_RUNTIME_PIPELINE_H
#define PIPEHOST_RUNTIME_PIPELINE_H

#include "config/pipeline_config.h"
#include "runtime/pipeline_plan.h"

struct pipeline_metrics;

/* What a run did, for a caller that reports it. */
typedef struct pipeline_stats {
    long long records_in;
    long long records_out; /* to the sinks */
    long long records_rejected;
    long long dead_lettered;
    double seconds; /* from the first record to the last one done */
} pipeline_stats;

/* Reads and checks a pipeline file completely, as `validate` does: how a
 * hot reload gets the new version. 0, or -1 with err (FILE:LINE:COL). */
typedef int (*pipeline_loader)(const char *path, pipeline_config **config, pipeline_plan **plan,
                               config_error *err);

typedef struct pipeline_run_options {
    /* Stop once every assigned partition has been consumed up to the end
     * it had when it was assigned. */
    int exit_at_end;
    pipeline_stats *stats; /* filled at the end when not NULL */
    struct pipeline_metrics *metrics; /* reported to while running, or NULL */
    /* Hot reload (SIGHUP, `watch: true`) reads the file with this; NULL:
     * no reload. */
    pipeline_loader reload_loader;
    /* The run takes config and plan over: it frees them when a reload
     * replaces them (unloading plugins no task uses any more) or at its
     * end, and the caller must not. */
    int owns_pipeline;
} pipeline_run_options;

/* Exit codes of a run. */
enum {
    PIPELINE_EXIT_OK = 0,
    PIPELINE_EXIT_FAILED = 1, /* a stage, sink or Kafka failed at run time */
    PIPELINE_EXIT_CONFIG = 2  /* refused before it started */
};

/* Run until a stop is requested (or the end, with exit_at_end). */
int pipeline_run(const pipeline_config *config, const pipeline_plan *plan,
                 const pipeline_run_options *options);

/* Ask a running pipeline to stop: async-signal-safe. */
void pipeline_request_stop(void);

/* Whether a stop has been requested. */
int pipeline_stop_requested(void);

/* Ask a running pipeline to reload its file (reload.c): async-signal-safe. */
void pipeline_request_reload(void);

#endif
