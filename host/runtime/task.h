/*
 * A partition task: the chain of stage instances serving one partition of
 * one topic. It is the unit of state, order and parallelism: records of
 * the partition go through it in order, on one thread at a time.
 *
 * The task knows nothing of Kafka: it takes batches of records, reports
 * final output and rejections to its environment, and tracks how far it
 * may be committed. The Kafka source (or the plugin test kit) supplies the
 * environment.
 */
#ifndef PIPEHOST_RUNTIME_TASK_H
#define PIPEHOST_RUNTIME_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "config/pipeline_config.h"
#include "runtime/offset_tracker.h"
#include "runtime/record_batch.h"
#include "runtime/stage.h"

struct task;

/* One stage as planned: a loaded plugin and its validated configuration. */
typedef struct stage_plan {
    const char *name;
    const ph_descriptor *plugin;
    json_t *config;
} stage_plan;

typedef struct task_env {
    void *opaque;
    on_error_policy on_error;
    /* Final output of the chain, after the plugin sinks: 0, or -1 when a
     * sink failed (the task then stops and commits nothing further). */
    int (*deliver)(void *opaque, struct task *task, const record_batch *output);
    /* A rejected record, for the dead letter (on_error: dead_letter). */
    void (*dead_letter)(void *opaque, struct task *task, const ph_record *record,
                        const char *stage_name, const char *reason);
    /* Nonzero once the host is shutting down: stop retrying. */
    int (*stopping)(void *opaque);
    /* Where stages report their counts and times (metrics/), or NULL. */
    struct pipeline_metrics *metrics;
} task_env;

typedef struct task {
    char *topic;
    int32_t partition;
    const task_env *env;

    stage *stages; /* processors, then sink plugins */
    size_t processor_count;
    size_t stage_count;

    offset_tracker offsets;
    int64_t fail_floor; /* where a failure in the current call stops commits */

    /* Records before replay_until were processed before the commit this
     * task resumes from, and everything they caused reached the sinks
     * then. Replaying them rebuilds state and emits nothing. */
    int64_t replay_until;
    int replaying; /* the current call replays */
    int64_t records_replayed;
    int failed;         /* a stage failed (FATAL, on_error: stop, sink error) */
    char failure[512];  /* why */

    record_batch input; /* scratch for the source batch */
} task;

/* Build the task's stages (processors then sink plugins). checkpoints,
 * if not NULL, is what task_checkpoint() gave at the commit this task
 * resumes from: each stage gets its own text back. Returns NULL with err
 * set when a plugin's init fails. */
task *task_create(const char *topic, int32_t partition, const stage_plan *processors,
                  size_t processor_count, const stage_plan *sinks, size_t sink_count,
                  const char *checkpoints, const task_env *env, char *err, size_t err_size);

void task_destroy(task *t);

/* Run a batch of source records (in offset order) through the chain.
 * Returns 0, or -1 once the task has failed (see t->failure). */
int task_process(task *t, record_batch *input);

/* Flush stage by stage (what a stage emits goes through the stages after
 * it), then the sink plugins. Sets *retain_offset to the smallest offset
 * any stage retains (PH_OFFSET_NONE if none). 0 or -1. */
int task_flush(task *t, ph_flush_mode mode, int64_t *retain_offset);

/* What to commit with the partition's offset: how far processing has
 * reached and the stages' checkpoint texts from the last flush,
 * {"next": OFFSET, "stages": {"STAGE": "TEXT", ...}}; NULL before anything
 * was processed. Caller frees. */
char *task_checkpoint(const task *t);

#endif
