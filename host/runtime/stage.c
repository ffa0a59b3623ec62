#include "runtime/stage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/pipeline_metrics.h"
#include "runtime/task.h"
#include "services/duration.h"
#include "services/event_time.h"
#include "services/json_fields.h"
#include "services/log.h"

/* ---- host services -------------------------------------------------------- */

static void host_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    if (level > log_get_level())
        return;
    char scope[256];
    snprintf(scope, sizeof(scope), "%s %s[%d]", ctx->name, ctx->task->topic,
             (int)ctx->task->partition);
    /* JSON log lines carry them as fields. */
    const log_field fields[] = {
        {"stage", ctx->name, 0},
        {"topic", ctx->task->topic, 0},
        {"partition", NULL, ctx->task->partition},
    };
    va_list ap;
    va_start(ap, fmt);
    log_writev_fields(level, scope, fields, sizeof(fields) / sizeof(fields[0]), fmt, ap);
    va_end(ap);
}

/* Where an emitted record comes from: its origin, or the default. */
static void origin_position(const ph_context *ctx, const ph_record *origin, int64_t *offset,
                            int64_t *timestamp_ms)
{
    if (origin) {
        *offset = origin->offset;
        *timestamp_ms = origin->timestamp_ms;
    } else {
        *offset = ctx->default_origin_offset;
        *timestamp_ms = ctx->default_origin_timestamp;
    }
}

static int host_emit(ph_context *ctx, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    int64_t offset, timestamp_ms;
    origin_position(ctx, origin, &offset, &timestamp_ms);
    if (record_batch_add_copy(&ctx->out, ctx->task->topic, ctx->task->partition, offset,
                              timestamp_ms, key, key_len, value, value_len, NULL) != 0) {
        ctx->emit_failed = 1;
        return -1;
    }
    return 0;
}

static int host_emit_json(ph_context *ctx, const ph_record *origin, const char *key,
                          json_t *value)
{
    char stack_buffer[4096];
    size_t needed = json_dumpb(value, NULL, 0, JSON_COMPACT);
    if (needed == 0) {
        ctx->emit_failed = 1;
        return -1;
    }
    char *text = needed <= sizeof(stack_buffer) ? stack_buffer : malloc(needed);
    if (!text) {
        ctx->emit_failed = 1;
        return -1;
    }
    json_dumpb(value, text, needed, JSON_COMPACT);
    int64_t offset, timestamp_ms;
    origin_position(ctx, origin, &offset, &timestamp_ms);
    int rc = record_batch_add_copy(&ctx->out, ctx->task->topic, ctx->task->partition, offset,
                                   timestamp_ms, key, key ? strlen(key) : 0, text, needed,
                                   value);
    if (text != stack_buffer)
        free(text);
    if (rc != 0)
        ctx->emit_failed = 1;
    return rc;
}

static ph_status host_reject(ph_context *ctx, const ph_record *record, const char *reason_fmt,
                             ...)
{
    if (ctx->reject_count == ctx->reject_capacity) {
        size_t capacity = ctx->reject_capacity ? ctx->reject_capacity * 2 : 16;
        pending_reject *rejects = realloc(ctx->rejects, capacity * sizeof(*rejects));
        if (!rejects) {
            ctx->emit_failed = 1;
            return PH_REJECT;
        }
        ctx->rejects = rejects;
        ctx->reject_capacity = capacity;
    }
    char reason[512];
    va_list ap;
    va_start(ap, reason_fmt);
    vsnprintf(reason, sizeof(reason), reason_fmt, ap);
    va_end(ap);
    char *copy = strdup(reason);
    if (!copy) {
        ctx->emit_failed = 1;
        return PH_REJECT;
    }
    ctx->rejects[ctx->reject_count++] = (pending_reject){.record = record, .reason = copy};
    return PH_REJECT;
}

static json_t *host_record_json(ph_context *ctx, const ph_record *record, const char **error)
{
    (void)ctx;
    /* The record is borrowed as const by the plugin, but its bookkeeping
     * is the host's own. */
    ph_record *mutable_record = (ph_record *)record;
    if (!error)
        return record_batch_json(mutable_record, NULL);
    static _Thread_local json_error_t parse_error;
    json_t *json = record_batch_json(mutable_record, &parse_error);
    *error = json ? NULL : parse_error.text;
    return json;
}

static int host_record_fields(ph_context *ctx, const ph_record *record,
                              const char *const names[], size_t count, ph_field fields[],
                              const char **error)
{
    const record_meta *meta = record->host_private;
    /* A value already parsed (or emitted as JSON) is read from its
     * document; otherwise the scan reads the text in place, and only what
     * it cannot read as an object (rare) is parsed, for the answer. */
    if (meta->json_state == 0 && record->value &&
        json_fields_scan(record->value, record->value_len, names, count, fields,
                         &ctx->scratch) == JSON_FIELDS_OBJECT)
        return 0;
    const char *why = NULL;
    json_t *json = host_record_json(ctx, record, &why);
    if (json_fields_from_document(json, why, names, count, fields, ctx->field_error,
                                  sizeof(ctx->field_error)) == 0)
        return 0;
    if (error)
        *error = ctx->field_error;
    return -1;
}

static int host_field_time(const ph_field *field, int64_t *epoch_ms)
{
    return event_time_parse_field(field, epoch_ms);
}

static void host_count(ph_context *ctx, const char *counter, int64_t delta)
{
    stage_metrics_count(ctx->metrics, counter, delta);
    for (size_t i = 0; i < ctx->counter_count; i++) {
        if (strcmp(ctx->counters[i].name, counter) == 0) {
            ctx->counters[i].value += delta;
            return;
        }
    }
    stage_counter *counters = realloc(ctx->counters, (ctx->counter_count + 1) * sizeof(*counters));
    if (!counters)
        return;
    ctx->counters = counters;
    char *name = strdup(counter);
    if (!name)
        return;
    counters[ctx->counter_count++] = (stage_counter){.name = name, .value = delta};
}

static int host_parse_time(const json_t *value, int64_t *epoch_ms)
{
    return event_time_parse_json(value, epoch_ms);
}

static size_t host_format_time(int64_t epoch_ms, char *buf, size_t buf_size)
{
    return event_time_format(epoch_ms, buf, buf_size);
}

static int host_parse_duration(const char *text, int64_t *ms)
{
    return duration_parse(text, ms);
}

static int host_set_checkpoint(ph_context *ctx, const char *text)
{
    size_t len = text ? strlen(text) : 0;
    if (len > PH_CHECKPOINT_MAX)
        return -1;
    memcpy(ctx->checkpoint_out, text ? text : "", len + 1);
    ctx->has_checkpoint = text != NULL;
    return 0;
}

static const char *host_checkpoint(ph_context *ctx)
{
    return ctx->checkpoint_in;
}

const ph_host_api stage_host_api = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = host_log,
    .emit = host_emit,
    .emit_json = host_emit_json,
    .reject = host_reject,
    .record_json = host_record_json,
    .count = host_count,
    .parse_time = host_parse_time,
    .format_time = host_format_time,
    .parse_duration = host_parse_duration,
    .set_checkpoint = host_set_checkpoint,
    .checkpoint = host_checkpoint,
    .record_fields = host_record_fields,
    .field_time = host_field_time,
};

/* ---- the stage ------------------------------------------------------------ */

int stage_init(stage *s, struct task *owner, const char *name, const ph_descriptor *plugin,
               const json_t *config, const char *checkpoint, char *err, size_t err_size)
{
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->plugin = plugin;
    s->task = owner;
    s->metrics = pipeline_metrics_stage(owner->env ? owner->env->metrics : NULL, name);
    s->default_origin_offset = -1;
    s->default_origin_timestamp = -1;
    s->checkpoint_in = checkpoint;
    record_batch_init(&s->out);

    char plugin_error[512] = "";
    void *instance = NULL;
    int rc = plugin->init(&stage_host_api, s, config, &instance, plugin_error,
                          sizeof(plugin_error));
    if (rc != 0) {
        plugin_error[sizeof(plugin_error) - 1] = '\0';
        snprintf(err, err_size, "stage '%s' (plugin %s): init failed: %s", name, plugin->name,
                 plugin_error[0] ? plugin_error : "no reason given");
        plugin->destroy(instance);
        record_batch_free(&s->out);
        return -1;
    }
    s->instance = instance;
    s->checkpoint_in = NULL; /* borrowed: valid during init only */
    return 0;
}

void stage_discard_call(stage *s)
{
    record_batch_reset(&s->out);
    for (size_t i = 0; i < s->reject_count; i++)
        free(s->rejects[i].reason);
    s->reject_count = 0;
    s->emit_failed = 0;
    byte_arena_reset(&s->scratch);
}

void stage_destroy(stage *s)
{
    if (!s->plugin)
        return;
    s->plugin->destroy(s->instance);
    s->instance = NULL;
    stage_discard_call(s);
    record_batch_free(&s->out);
    byte_arena_free(&s->scratch);
    free(s->rejects);
    for (size_t i = 0; i < s->counter_count; i++)
        free(s->counters[i].name);
    free(s->counters);
    s->plugin = NULL;
}

ph_status stage_process(stage *s, record_batch *batch)
{
    stage_discard_call(s);
    if (batch->count == 0)
        return PH_OK;
    const ph_record *last = &batch->records[batch->count - 1];
    s->default_origin_offset = last->offset;
    s->default_origin_timestamp = last->timestamp_ms;
    int64_t started_ns = s->metrics ? metrics_clock_ns() : 0;
    ph_status status = s->plugin->process(s->instance, batch->records, batch->count);
    if (s->metrics)
        stage_metrics_process_time(s->metrics, metrics_clock_ns() - started_ns);
    record_batch_seal(&s->out);
    if (s->emit_failed)
        return PH_FATAL;
    if (status == PH_OK || status == PH_REJECT) {
        s->records_in += (int64_t)batch->count;
        s->records_out += (int64_t)s->out.count;
        stage_metrics_batch(s->metrics, batch->count, s->out.count);
        return PH_OK;
    }
    return status == PH_RETRY ? PH_RETRY : PH_FATAL;
}

ph_status stage_flush(stage *s, ph_flush_mode mode, int64_t *retain_offset)
{
    stage_discard_call(s);
    *retain_offset = PH_OFFSET_NONE;
    int64_t next = s->task->offsets.next_offset;
    s->default_origin_offset = next > 0 ? next - 1 : -1;
    s->default_origin_timestamp = -1;
    ph_status status = s->plugin->flush(s->instance, mode, retain_offset);
    record_batch_seal(&s->out);
    if (s->emit_failed)
        return PH_FATAL;
    if (status == PH_OK) {
        s->records_out += (int64_t)s->out.count;
        stage_metrics_flushed(s->metrics, s->out.count);
        return PH_OK;
    }
    return status == PH_RETRY ? PH_RETRY : PH_FATAL;
}

int64_t stage_counter_value(const stage *s, const char *name)
{
    for (size_t i = 0; i < s->counter_count; i++) {
        if (strcmp(s->counters[i].name, name) == 0)
            return s->counters[i].value;
    }
    return 0;
}
