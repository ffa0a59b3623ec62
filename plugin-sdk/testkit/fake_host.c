/* The fake host: a ph_host_api that keeps what the plugin hands it. */
#include "pipehost/testkit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/duration.h"
#include "services/event_time.h"
#include "services/json_fields.h"

static void report_failure(ph_context *host, const char *message)
{
    if (host->on_failure != NULL)
        host->on_failure(message);
}

static void out_of_memory(ph_context *host, const char *what)
{
    char message[128];

    host->out_of_memory++;
    snprintf(message, sizeof(message), "test host: out of memory recording %s", what);
    report_failure(host, message);
}

/* ---- capture ---------------------------------------------------------------- */

/* Room for one more item in a growing array; -1 out of memory. */
static int reserve_one(void **items, size_t *capacity, size_t count, size_t item_size)
{
    size_t grown;
    void *moved;

    if (count < *capacity)
        return 0;
    grown = *capacity > 0 ? *capacity * 2 : 16;
    moved = realloc(*items, grown * item_size);
    if (moved == NULL)
        return -1;
    *items = moved;
    *capacity = grown;
    return 0;
}

/* A NUL-terminated copy of len bytes, or NULL. */
static char *copy_bytes(const void *bytes, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, bytes, len);
    copy[len] = '\0';
    return copy;
}

static char *format_text(const char *fmt, va_list ap)
{
    va_list measure;
    int len;
    char *text;

    va_copy(measure, ap);
    len = vsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (len < 0)
        return NULL;
    text = malloc((size_t)len + 1);
    if (text != NULL)
        vsnprintf(text, (size_t)len + 1, fmt, ap);
    return text;
}

/* ---- the host API ------------------------------------------------------------ */

static void fake_log(ph_context *host, ph_log_level level, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    text = format_text(fmt, ap);
    va_end(ap);
    if (text == NULL || reserve_one((void **)&host->logs, &host->log_capacity, host->log_count,
                                    sizeof(*host->logs)) != 0) {
        free(text);
        out_of_memory(host, "a log line");
        return;
    }
    host->logs[host->log_count++] = (test_log_line){.level = level, .text = text};
}

/* 1: the emit goes ahead; 0: it is dropped as during a replay; -1: it fails. */
static int emit_allowed(ph_context *host, const void *key)
{
    if (host->emit_fails)
        return -1;
    if (host->keys_required && key == NULL) {
        host->keyless_emits++;
        report_failure(host, "test host: an emit without a key while keys are required");
    }
    if (host->replaying) {
        host->suppressed++;
        return 0;
    }
    return 1;
}

/* 0, or -1 (as pipehost: the host could not take it) out of memory. */
static int take_emit(ph_context *host, const ph_record *origin, const void *key,
                     size_t key_len, const void *value, size_t value_len)
{
    char *key_copy = NULL;
    char *value_copy;

    if (reserve_one((void **)&host->emits, &host->emit_capacity, host->emit_count,
                    sizeof(*host->emits)) != 0)
        goto no_memory;
    if (key != NULL && (key_copy = copy_bytes(key, key_len)) == NULL)
        goto no_memory;
    if ((value_copy = copy_bytes(value, value_len)) == NULL) {
        free(key_copy);
        goto no_memory;
    }
    host->emits[host->emit_count++] = (test_emit){
        .key = key_copy,
        .key_len = key_len,
        .value = value_copy,
        .value_len = value_len,
        .origin = origin,
        .origin_offset = origin != NULL ? origin->offset : host->default_origin_offset,
        .sequence = host->output_count++,
        .call = host->calls_ended,
    };
    return 0;
no_memory:
    out_of_memory(host, "an emit");
    return -1;
}

static int fake_emit(ph_context *host, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    int allowed = emit_allowed(host, key);

    if (allowed <= 0)
        return allowed;
    return take_emit(host, origin, key, key_len, value, value_len);
}

static int fake_emit_json(ph_context *host, const ph_record *origin, const char *key,
                          json_t *value)
{
    int allowed = emit_allowed(host, key);
    char *text;
    int result;

    if (allowed <= 0)
        return allowed;
    /* As pipehost: a value that does not encode is not taken. */
    text = json_dumps(value, JSON_COMPACT);
    if (text == NULL)
        return -1;
    result = take_emit(host, origin, key, key != NULL ? strlen(key) : 0, text, strlen(text));
    free(text);
    return result;
}

static ph_status fake_reject(ph_context *host, const ph_record *record, const char *fmt, ...)
{
    va_list ap;
    char *reason;

    if (host->replaying) {
        host->suppressed++;
        return PH_REJECT;
    }
    va_start(ap, fmt);
    reason = format_text(fmt, ap);
    va_end(ap);
    if (reason == NULL || reserve_one((void **)&host->rejects, &host->reject_capacity,
                                      host->reject_count, sizeof(*host->rejects)) != 0) {
        free(reason);
        out_of_memory(host, "a rejection");
        return PH_REJECT;
    }
    host->rejects[host->reject_count++] = (test_reject){
        .record = record,
        .offset = record->offset,
        .reason = reason,
        .sequence = host->output_count++,
        .call = host->calls_ended,
    };
    return PH_REJECT;
}

/* Parses on every call (pipehost parses once per record); any JSON value
 * counts, and strings may hold NUL. The values live until the plugin's
 * call returns. */
static json_t *fake_record_json(ph_context *host, const ph_record *record, const char **error)
{
    const char *failure = TEST_HOST_NO_VALUE;
    json_t *value = NULL;

    if (record->value != NULL) {
        value = json_loadb(record->value, record->value_len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                           NULL);
        failure = TEST_HOST_PARSE_ERROR;
    }
    if (value != NULL && host->lent == NULL && (host->lent = json_array()) == NULL) {
        json_decref(value);
        value = NULL;
        failure = TEST_HOST_NO_MEMORY;
        out_of_memory(host, "a parsed value");
    }
    if (value != NULL && json_array_append_new(host->lent, value) != 0) {
        value = NULL;
        failure = TEST_HOST_NO_MEMORY;
        out_of_memory(host, "a parsed value");
    }
    if (value == NULL && error != NULL)
        *error = failure;
    return value;
}

/* Reads the members from record_json's document: the in-place scan
 * pipehost reads them with has its own tests, against jansson. */
static int fake_record_fields(ph_context *host, const ph_record *record, const char *const names[],
                              size_t count, ph_field fields[], const char **error)
{
    const char *why = NULL;
    json_t *value = fake_record_json(host, record, &why);

    if (json_fields_from_document(value, why, names, count, fields, host->field_error,
                                  sizeof(host->field_error)) == 0)
        return 0;
    if (error != NULL)
        *error = host->field_error;
    return -1;
}

static void fake_count(ph_context *host, const char *counter, int64_t delta)
{
    test_counter *grown;
    char *name;

    host->count_calls++;
    for (size_t i = 0; i < host->counter_count; i++) {
        if (strcmp(host->counters[i].name, counter) == 0) {
            host->counters[i].total += delta;
            return;
        }
    }
    grown = realloc(host->counters, (host->counter_count + 1) * sizeof(*grown));
    if (grown != NULL)
        host->counters = grown;
    if (grown == NULL || (name = copy_bytes(counter, strlen(counter))) == NULL) {
        out_of_memory(host, "a counter");
        return;
    }
    grown[host->counter_count++] = (test_counter){.name = name, .total = delta};
}

static int fake_parse_time(const json_t *value, int64_t *epoch_ms)
{
    return event_time_parse_json(value, epoch_ms);
}

static size_t fake_format_time(int64_t epoch_ms, char *buf, size_t buf_size)
{
    return event_time_format(epoch_ms, buf, buf_size);
}

static int fake_parse_duration(const char *text, int64_t *ms)
{
    return duration_parse(text, ms);
}

/* As pipehost: NULL clears, a text too long is refused. */
static int fake_set_checkpoint(ph_context *host, const char *text)
{
    size_t len = text != NULL ? strlen(text) : 0;

    if (len > PH_CHECKPOINT_MAX) {
        host->checkpoints_refused++;
        return -1;
    }
    memcpy(host->checkpoint, text != NULL ? text : "", len + 1);
    host->checkpoints_set++;
    return 0;
}

static const char *fake_checkpoint(ph_context *host)
{
    return host->restored_checkpoint;
}

const ph_host_api test_host_api = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = fake_log,
    .emit = fake_emit,
    .emit_json = fake_emit_json,
    .reject = fake_reject,
    .record_json = fake_record_json,
    .count = fake_count,
    .parse_time = fake_parse_time,
    .format_time = fake_format_time,
    .parse_duration = fake_parse_duration,
    .set_checkpoint = fake_set_checkpoint,
    .checkpoint = fake_checkpoint,
    .record_fields = fake_record_fields,
    .field_time = event_time_parse_field,
};

/* ---- the host's life and what it captured -------------------------------------- */

void test_host_init(ph_context *host)
{
    memset(host, 0, sizeof(*host));
    host->default_origin_offset = -1;
}

void test_host_end_call(ph_context *host)
{
    json_decref(host->lent);
    host->lent = NULL;
    host->calls_ended++;
}

void test_host_release(ph_context *host)
{
    for (size_t i = 0; i < host->emit_count; i++) {
        free(host->emits[i].key);
        free(host->emits[i].value);
        json_decref(host->emits[i].json);
    }
    for (size_t i = 0; i < host->reject_count; i++)
        free(host->rejects[i].reason);
    for (size_t i = 0; i < host->log_count; i++)
        free(host->logs[i].text);
    for (size_t i = 0; i < host->counter_count; i++)
        free(host->counters[i].name);
    free(host->emits);
    free(host->rejects);
    free(host->logs);
    free(host->counters);
    test_host_end_call(host);
    test_host_init(host);
}

void test_host_clear(ph_context *host)
{
    ph_context settings = *host;

    test_host_release(host);
    host->restored_checkpoint = settings.restored_checkpoint;
    host->emit_fails = settings.emit_fails;
    host->keys_required = settings.keys_required;
    host->replaying = settings.replaying;
    host->on_failure = settings.on_failure;
    host->default_origin_offset = settings.default_origin_offset;
    host->calls_ended = settings.calls_ended;
}

int64_t test_host_counter(const ph_context *host, const char *name)
{
    for (size_t i = 0; i < host->counter_count; i++) {
        if (strcmp(host->counters[i].name, name) == 0)
            return host->counters[i].total;
    }
    return 0;
}

size_t test_host_logs_at(const ph_context *host, ph_log_level level)
{
    size_t count = 0;

    for (size_t i = 0; i < host->log_count; i++)
        count += host->logs[i].level == level;
    return count;
}

json_t *test_host_emit_value(ph_context *host, size_t index)
{
    test_emit *emit;

    if (index >= host->emit_count)
        return NULL;
    emit = &host->emits[index];
    if (emit->json == NULL)
        emit->json = json_loadb(emit->value, emit->value_len, JSON_DECODE_ANY, NULL);
    return emit->json;
}

/* ---- the capture as a golden-test transcript ------------------------------------ */

int test_host_transcript(const ph_context *host, json_t *lines)
{
    size_t e = 0, r = 0;

    /* Both arrays are in order of sequence, hence of call. */
    while (e < host->emit_count || r < host->reject_count) {
        size_t call = e < host->emit_count ? host->emits[e].call : SIZE_MAX;
        if (r < host->reject_count && host->rejects[r].call < call)
            call = host->rejects[r].call;
        for (; r < host->reject_count && host->rejects[r].call == call; r++) {
            const test_reject *reject = &host->rejects[r];
            if (test_transcript_reject(lines, reject->reason, reject->offset) != 0)
                return -1;
        }
        for (; e < host->emit_count && host->emits[e].call == call; e++) {
            const test_emit *emit = &host->emits[e];
            if (test_transcript_emit(lines, emit->key, emit->key_len, emit->value,
                                     emit->value_len, emit->origin_offset) != 0)
                return -1;
        }
    }
    return 0;
}
