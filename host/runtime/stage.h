/*
 * A stage: one plugin instance in one partition task, with the context the
 * plugin hands back on every host call (struct ph_context is the stage).
 */
#ifndef PIPEHOST_RUNTIME_STAGE_H
#define PIPEHOST_RUNTIME_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pipehost/plugin.h"
#include "runtime/record_batch.h"
#include "services/byte_arena.h"

struct task;

typedef struct stage_counter {
    char *name;
    int64_t value;
} stage_counter;

/* A rejection made during a call, applied once the call has returned. */
typedef struct pending_reject {
    const ph_record *record;
    char *reason;
} pending_reject;

struct ph_context {
    const char *name; /* stage name from the pipeline (borrowed) */
    const ph_descriptor *plugin;
    void *instance;
    struct task *task;

    record_batch out;              /* emitted during the current call */
    int64_t default_origin_offset; /* source offset of an emit with no origin */
    int64_t default_origin_timestamp;
    int emit_failed;               /* out of memory while emitting */

    byte_arena scratch;        /* record_fields' decoded strings, for the call */
    char field_error[600];     /* record_fields' last refusal */

    pending_reject *rejects;
    size_t reject_count;
    size_t reject_capacity;

    const char *checkpoint_in; /* restored for init (borrowed), or NULL */
    char checkpoint_out[PH_CHECKPOINT_MAX + 1]; /* set by the last flush */
    int has_checkpoint;

    int64_t records_in;
    int64_t records_out;
    int64_t records_rejected;
    stage_counter *counters;
    size_t counter_count;
    struct stage_metrics *metrics; /* shared by the stage's instances, or NULL */
};
typedef struct ph_context stage;

/* The services table every plugin receives. */
extern const ph_host_api stage_host_api;

/* Create the plugin instance. Returns 0, or -1 with the plugin's message
 * in err (the half-built instance is destroyed). */
int stage_init(stage *s, struct task *owner, const char *name, const ph_descriptor *plugin,
               const json_t *config, const char *checkpoint, char *err, size_t err_size);

/* Destroy the instance and free what the stage holds. */
void stage_destroy(stage *s);

/* Run process over batch into s->out. Rejections wait in s->rejects. */
ph_status stage_process(stage *s, record_batch *batch);

/* Run flush into s->out. */
ph_status stage_flush(stage *s, ph_flush_mode mode, int64_t *retain_offset);

/* Forget what the last call emitted and rejected (before a retry). */
void stage_discard_call(stage *s);

/* The value of a named counter (0 if never counted). */
int64_t stage_counter_value(const stage *s, const char *name);

#endif
