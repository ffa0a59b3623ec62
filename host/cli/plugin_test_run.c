#include "cli/plugin_test_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/task.h"

static json_t *value_as_json(const ph_record *r)
{
    if (!r->value)
        return json_null();
    json_t *parsed = json_loadb(r->value, r->value_len, JSON_DECODE_ANY, NULL);
    return parsed ? parsed : json_stringn(r->value, r->value_len);
}

static int log_output(void *opaque, task *t, const record_batch *output)
{
    (void)t;
    json_t *lines = opaque;
    for (size_t i = 0; i < output->count; i++) {
        const ph_record *r = &output->records[i];
        json_t *key = r->key ? json_stringn(r->key, r->key_len) : json_null();
        json_array_append_new(lines, json_pack("{s:o, s:o, s:I}", "emit", value_as_json(r),
                                               "key", key, "offset", (json_int_t)r->offset));
    }
    return 0;
}

static void log_reject(void *opaque, task *t, const ph_record *record, const char *stage_name,
                       const char *reason)
{
    (void)t;
    (void)stage_name;
    json_array_append_new(opaque, json_pack("{s:s, s:I}", "reject", reason, "offset",
                                            (json_int_t)record->offset));
}

static void log_flush(json_t *lines, ph_flush_mode mode, int64_t retain)
{
    json_array_append_new(lines,
                          json_pack("{s:s, s:o}", "flush",
                                    mode == PH_FLUSH_FINAL ? "final" : "checkpoint",
                                    "retain_offset",
                                    retain >= 0 ? json_integer(retain) : json_null()));
}

/* What the fake host knows of one run of the input. */
typedef struct test_run {
    const ph_descriptor *plugin;
    const char *name;
    json_t *config;
    char *const *values;
    size_t count;
    plugin_test_options options;
    json_t *lines;
    task_env env;
    int64_t committed;  /* the last commit point, as the host would commit */
    char *checkpoints;  /* committed with it */
} test_run;

static task *start_task(test_run *run, char *err, size_t err_size)
{
    stage_plan plan = {.name = run->name, .plugin = run->plugin, .config = run->config};
    int sink = run->plugin->kind == PH_KIND_SINK;
    task *t = task_create("test", run->options.partition, sink ? NULL : &plan, sink ? 0 : 1,
                          sink ? &plan : NULL, sink ? 1 : 0, run->checkpoints, &run->env, err,
                          err_size);
    if (t)
        offset_tracker_init(&t->offsets, run->committed);
    return t;
}

/* Flush as the host does at a commit point, and commit as it would. */
static void checkpoint(test_run *run, task *t)
{
    int64_t retain;
    if (task_flush(t, PH_FLUSH_CHECKPOINT, &retain) != 0)
        return;
    log_flush(run->lines, PH_FLUSH_CHECKPOINT, retain);
    int64_t point = offset_tracker_commit_point(&t->offsets, retain);
    if (point == OFFSET_UNSET)
        return;
    offset_tracker_committed(&t->offsets, point);
    run->committed = point;
    free(run->checkpoints);
    run->checkpoints = task_checkpoint(t);
}

/* Feed records [from, to) in batches, with checkpoints between them. */
static void feed(test_run *run, task *t, size_t from, size_t to)
{
    record_batch batch;
    record_batch_init(&batch);
    size_t step = run->options.checkpoint_every ? run->options.checkpoint_every : 1000;
    for (size_t at = from; at < to && !t->failed; at += step) {
        record_batch_reset(&batch);
        for (size_t i = at; i < to && i < at + step; i++) {
            ph_record r = {.value = run->values[i], .value_len = strlen(run->values[i]),
                           .topic = "test", .partition = run->options.partition,
                           .offset = (int64_t)i, .timestamp_ms = -1};
            record_batch_add_borrowed(&batch, &r);
        }
        task_process(t, &batch);
        if (run->options.checkpoint_every && !t->failed)
            checkpoint(run, t);
    }
    record_batch_free(&batch);
}

static int run_task(test_run *run, char *err, size_t err_size)
{
    task *t = start_task(run, err, err_size);
    if (!t)
        return 2;
    size_t crash_after = run->options.crash_after;
    size_t crash_at = crash_after && crash_after < run->count ? crash_after : run->count;
    feed(run, t, 0, crash_at);
    if (crash_at < run->count && !t->failed) {
        /* A crash: no final flush; a new instance resumes from the last
         * commit with the checkpoint committed there. */
        task_destroy(t);
        size_t resume = run->committed >= 0 ? (size_t)run->committed : 0;
        json_array_append_new(run->lines,
                              json_pack("{s:I, s:o}", "restart", (json_int_t)resume, "checkpoint",
                                        run->checkpoints ? json_string(run->checkpoints)
                                                         : json_null()));
        char reason[512];
        if (!(t = start_task(run, reason, sizeof(reason)))) {
            snprintf(err, err_size, "after the restart: %s", reason);
            return 1;
        }
        feed(run, t, resume, run->count);
    }
    int64_t retain;
    if (!t->failed && task_flush(t, PH_FLUSH_FINAL, &retain) == 0)
        log_flush(run->lines, PH_FLUSH_FINAL, retain);
    int failed = t->failed;
    if (failed)
        snprintf(err, err_size, "%s", t->failure);
    task_destroy(t);
    return failed ? 1 : 0;
}

int plugin_test_run(const ph_descriptor *plugin, const char *name, json_t *config,
                    char *const *values, size_t count, const plugin_test_options *options,
                    json_t *lines, char *err, size_t err_size)
{
    test_run run = {.plugin = plugin, .name = name, .config = config, .values = values,
                    .count = count, .options = *options, .lines = lines,
                    .committed = OFFSET_UNSET};
    run.env = (task_env){.opaque = lines, .on_error = ON_ERROR_DEAD_LETTER,
                         .deliver = log_output, .dead_letter = log_reject};
    int rc = run_task(&run, err, err_size);
    free(run.checkpoints);
    return rc;
}
