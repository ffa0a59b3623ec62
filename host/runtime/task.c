#include "runtime/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/pipeline_metrics.h"
#include "services/log.h"

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

static void task_fail(task *t, int64_t stop_offset, const char *fmt, ...) PH_PRINTF(3, 4);

static void task_fail(task *t, int64_t stop_offset, const char *fmt, ...)
{
    offset_tracker_stop_at(&t->offsets, stop_offset);
    if (t->failed)
        return;
    t->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->failure, sizeof(t->failure), fmt, ap);
    va_end(ap);
    log_error("task", "%s[%d]: %s; nothing at or after offset %lld will be committed",
              t->topic, (int)t->partition, t->failure, (long long)stop_offset);
}

task *task_create(const char *topic, int32_t partition, const stage_plan *processors,
                  size_t processor_count, const stage_plan *sinks, size_t sink_count,
                  const char *checkpoints, const task_env *env, char *err, size_t err_size)
{
    task *t = calloc(1, sizeof(*t));
    if (!t || !(t->topic = strdup(topic))) {
        free(t);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    t->partition = partition;
    t->env = env;
    offset_tracker_init(&t->offsets, OFFSET_UNSET);
    record_batch_init(&t->input);
    size_t total = processor_count + sink_count;
    t->stages = calloc(total ? total : 1, sizeof(*t->stages));
    if (!t->stages) {
        task_destroy(t);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    t->processor_count = processor_count;
    /* A checkpoint that is not what task_checkpoint() writes is ignored:
     * the stages then start as if nothing had been committed. */
    json_t *restored = checkpoints ? json_loads(checkpoints, 0, NULL) : NULL;
    json_t *next = json_object_get(restored, "next");
    t->replay_until = json_is_integer(next) ? json_integer_value(next) : OFFSET_UNSET;
    json_t *stage_texts = json_object_get(restored, "stages");
    for (size_t i = 0; i < total; i++) {
        const stage_plan *plan = i < processor_count ? &processors[i] : &sinks[i - processor_count];
        const char *text = json_string_value(json_object_get(stage_texts, plan->name));
        if (stage_init(&t->stages[i], t, plan->name, plan->plugin, plan->config, text, err,
                       err_size) != 0) {
            json_decref(restored);
            task_destroy(t);
            return NULL;
        }
        t->stage_count = i + 1;
    }
    json_decref(restored);
    return t;
}

void task_destroy(task *t)
{
    if (!t)
        return;
    for (size_t i = t->stage_count; i > 0; i--)
        stage_destroy(&t->stages[i - 1]);
    free(t->stages);
    record_batch_free(&t->input);
    free(t->topic);
    free(t);
}

static void sleep_ms(int ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* Hand the stage's rejections of the last call to on_error. */
static void apply_rejects(task *t, stage *s)
{
    if (t->replaying)
        return; /* handled when first processed */
    stage_metrics_rejected(s->metrics, s->reject_count);
    for (size_t i = 0; i < s->reject_count; i++) {
        const pending_reject *r = &s->rejects[i];
        s->records_rejected++;
        switch (t->env->on_error) {
        case ON_ERROR_DEAD_LETTER:
            t->env->dead_letter(t->env->opaque, t, r->record, s->name, r->reason);
            break;
        case ON_ERROR_SKIP:
            log_debug(s->name, "%s[%d] offset %lld skipped: %s", t->topic, (int)t->partition,
                      (long long)r->record->offset, r->reason);
            break;
        case ON_ERROR_STOP:
            task_fail(t, t->fail_floor, "stage '%s' rejected offset %lld: %s (on_error: stop)",
                      s->name, (long long)r->record->offset, r->reason);
            break;
        }
    }
}

/* Call process, retrying with backoff while the plugin asks to. */
static ph_status process_with_retry(task *t, stage *s, record_batch *batch)
{
    int backoff = RETRY_FIRST_MS;
    for (;;) {
        ph_status status = stage_process(s, batch);
        if (status != PH_RETRY)
            return status;
        if (t->env->stopping && t->env->stopping(t->env->opaque))
            return PH_RETRY;
        log_warn(s->name, "%s[%d]: process asked to retry; again in %d ms", t->topic,
                 (int)t->partition, backoff);
        sleep_ms(backoff);
        backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
    }
}

/* Give the chain's final output to every sink plugin and to the
 * environment's sinks. */
static int deliver(task *t, record_batch *batch)
{
    if (batch->count == 0 || t->replaying)
        return 0;
    for (size_t i = t->processor_count; i < t->stage_count; i++) {
        stage *s = &t->stages[i];
        ph_status status = process_with_retry(t, s, batch);
        if (status != PH_OK) {
            task_fail(t, t->fail_floor, "sink '%s' failed to write%s", s->name,
                      status == PH_RETRY ? " (still retrying at shutdown)" : "");
            return -1;
        }
        apply_rejects(t, s);
        if (t->failed)
            return -1;
    }
    if (t->env->deliver(t->env->opaque, t, batch) != 0) {
        task_fail(t, t->fail_floor, "a sink failed to write");
        return -1;
    }
    return 0;
}

/* Run batch through processors [from, processor_count), then deliver. */
static int run_chain(task *t, size_t from, record_batch *batch)
{
    for (size_t i = from; i < t->processor_count && batch->count > 0; i++) {
        stage *s = &t->stages[i];
        ph_status status = process_with_retry(t, s, batch);
        if (status == PH_RETRY) {
            task_fail(t, t->fail_floor, "stage '%s' still retrying at shutdown", s->name);
            return -1;
        }
        if (status != PH_OK) {
            task_fail(t, t->fail_floor, "stage '%s' failed (process returned FATAL%s)",
                      s->name, s->emit_failed ? ", out of memory" : "");
            return -1;
        }
        apply_rejects(t, s);
        if (t->failed)
            return -1;
        batch = &s->out;
    }
    return deliver(t, batch);
}

/* Run records [from, to) of input as one call. */
static int process_range(task *t, record_batch *input, size_t from, size_t to)
{
    record_batch part = *input;
    part.records += from;
    part.meta += from;
    part.count = to - from;
    t->replaying = part.records[0].offset < t->replay_until;
    if (t->replaying)
        t->records_replayed += (int64_t)part.count;
    /* Nothing of a call that fails is delivered: stop before all of it. */
    t->fail_floor = part.records[0].offset;
    int rc = run_chain(t, 0, &part);
    t->replaying = 0;
    if (rc != 0)
        return -1;
    offset_tracker_processed(&t->offsets, part.records[part.count - 1].offset + 1);
    return 0;
}

int task_process(task *t, record_batch *input)
{
    if (t->failed)
        return -1;
    if (input->count == 0)
        return 0;
    /* A batch that reaches past the replay goes as two calls, so that
     * the replayed part emits nothing and the rest emits as usual. */
    size_t split = 0;
    while (split < input->count && input->records[split].offset < t->replay_until)
        split++;
    if (split > 0 && process_range(t, input, 0, split) != 0)
        return -1;
    if (split < input->count && process_range(t, input, split, input->count) != 0)
        return -1;
    return 0;
}

static int flush_stages(task *t, ph_flush_mode mode, int64_t *retain_offset);

int task_flush(task *t, ph_flush_mode mode, int64_t *retain_offset)
{
    *retain_offset = PH_OFFSET_NONE;
    /* Output of a failed flush is lost: commit nothing further. */
    t->fail_floor = t->offsets.committed_offset >= 0 ? t->offsets.committed_offset : 0;
    /* Mid-replay, state is behind what was already emitted: hold it back. */
    t->replaying = t->offsets.next_offset < t->replay_until;
    int rc = flush_stages(t, mode, retain_offset);
    t->replaying = 0;
    return rc;
}

static int flush_stages(task *t, ph_flush_mode mode, int64_t *retain_offset)
{
    for (size_t i = 0; i < t->stage_count; i++) {
        stage *s = &t->stages[i];
        int64_t retain = PH_OFFSET_NONE;
        ph_status status = stage_flush(s, mode, &retain);
        if (status != PH_OK) {
            task_fail(t, t->fail_floor, "stage '%s' failed to flush (%s)", s->name,
                      status == PH_RETRY ? "RETRY" : "FATAL");
            return -1;
        }
        if (retain >= 0 && (*retain_offset < 0 || retain < *retain_offset))
            *retain_offset = retain;
        apply_rejects(t, s);
        if (t->failed)
            return -1;
        /* What a processor emits at flush goes through the rest of the
         * chain; sinks emit nothing. */
        if (i < t->processor_count && run_chain(t, i + 1, &s->out) != 0)
            return -1;
    }
    return 0;
}

char *task_checkpoint(const task *t)
{
    /* Mid-replay, processing had already reached replay_until. */
    int64_t next = t->offsets.next_offset > t->replay_until ? t->offsets.next_offset
                                                             : t->replay_until;
    /* Past a failure nothing is durable: the next owner must not take
     * those records' output as already written. */
    if (t->offsets.stop_offset != OFFSET_UNSET && t->offsets.stop_offset < next)
        next = t->offsets.stop_offset;
    if (next < 0)
        return NULL;
    json_t *texts = json_object();
    for (size_t i = 0; i < t->stage_count; i++) {
        const stage *s = &t->stages[i];
        if (s->has_checkpoint)
            json_object_set_new(texts, s->name, json_string(s->checkpoint_out));
    }
    json_t *checkpoint = json_pack("{s:I, s:o}", "next", (json_int_t)next, "stages", texts);
    char *text = checkpoint ? json_dumps(checkpoint, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(checkpoint);
    return text;
}
