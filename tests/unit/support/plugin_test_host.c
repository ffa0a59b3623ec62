#include "plugin_test_host.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/duration.h"
#include "services/event_time.h"
#include "services/json_fields.h"

/* ---- capture ---------------------------------------------------------------- */

/* Room for one more item in a growing array. */
static void reserve_one(void **items, size_t *capacity, size_t count, size_t item_size)
{
    size_t grown;
    void *moved;

    if (count < *capacity)
        return;
    grown = *capacity > 0 ? *capacity * 2 : 16;
    moved = realloc(*items, grown * item_size);
    assert_non_null(moved);
    *items = moved;
    *capacity = grown;
}

/* A NUL-terminated copy of len bytes. */
static char *copy_bytes(const void *bytes, size_t len)
{
    char *copy = malloc(len + 1);

    assert_non_null(copy);
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
    assert_true(len >= 0);
    text = malloc((size_t)len + 1);
    assert_non_null(text);
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
    reserve_one((void **)&host->logs, &host->log_capacity, host->log_count, sizeof(*host->logs));
    host->logs[host->log_count++] = (test_log_line){.level = level, .text = text};
}

/* 1: the emit goes ahead; 0: it is dropped as during a replay; -1: it fails. */
static int emit_allowed(ph_context *host, const void *key)
{
    if (host->emit_fails)
        return -1;
    if (host->keys_required)
        assert_non_null(key);
    if (host->replaying) {
        host->suppressed++;
        return 0;
    }
    return 1;
}

static void take_emit(ph_context *host, const ph_record *origin, const void *key,
                      size_t key_len, const void *value, size_t value_len)
{
    test_emit *out;

    reserve_one((void **)&host->emits, &host->emit_capacity, host->emit_count,
                sizeof(*host->emits));
    out = &host->emits[host->emit_count++];
    *out = (test_emit){
        .key = key != NULL ? copy_bytes(key, key_len) : NULL,
        .key_len = key_len,
        .value = copy_bytes(value, value_len),
        .value_len = value_len,
        .origin = origin,
        .origin_offset = origin != NULL ? origin->offset : host->default_origin_offset,
        .sequence = host->output_count++,
    };
}

static int fake_emit(ph_context *host, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    int allowed = emit_allowed(host, key);

    if (allowed <= 0)
        return allowed;
    take_emit(host, origin, key, key_len, value, value_len);
    return 0;
}

static int fake_emit_json(ph_context *host, const ph_record *origin, const char *key,
                          json_t *value)
{
    int allowed = emit_allowed(host, key);
    char *text;

    if (allowed <= 0)
        return allowed;
    /* As pipehost: a value that does not encode is not taken. */
    text = json_dumps(value, JSON_COMPACT);
    if (text == NULL)
        return -1;
    take_emit(host, origin, key, key != NULL ? strlen(key) : 0, text, strlen(text));
    free(text);
    return 0;
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
    reserve_one((void **)&host->rejects, &host->reject_capacity, host->reject_count,
                sizeof(*host->rejects));
    host->rejects[host->reject_count++] = (test_reject){
        .record = record,
        .offset = record->offset,
        .reason = reason,
        .sequence = host->output_count++,
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
    if (value == NULL) {
        if (error != NULL)
            *error = failure;
        return NULL;
    }
    if (host->lent == NULL) {
        host->lent = json_array();
        assert_non_null(host->lent);
    }
    assert_int_equal(json_array_append_new(host->lent, value), 0);
    return value;
}

/* Reads the members from record_json's document: the scan pipehost reads
 * them with has its own tests, against jansson. */
static int fake_record_fields(ph_context *host, const ph_record *record, const char *const names[],
                              size_t count, ph_field fields[], const char **error)
{
    const char *why = NULL;
    json_t *value = fake_record_json(host, record, &why);

    if (value != NULL && json_is_object(value)) {
        json_fields_from_object(value, names, count, fields);
        return 0;
    }
    if (value != NULL)
        snprintf(host->field_error, sizeof(host->field_error), "value is not a JSON object");
    else
        snprintf(host->field_error, sizeof(host->field_error), "value is not JSON: %s", why);
    if (error != NULL)
        *error = host->field_error;
    return -1;
}

static void fake_count(ph_context *host, const char *counter, int64_t delta)
{
    size_t i;
    test_counter *grown;

    host->count_calls++;
    for (i = 0; i < host->counter_count; i++) {
        if (strcmp(host->counters[i].name, counter) == 0) {
            host->counters[i].total += delta;
            return;
        }
    }
    grown = realloc(host->counters, (host->counter_count + 1) * sizeof(*grown));
    assert_non_null(grown);
    host->counters = grown;
    grown[host->counter_count++] = (test_counter){
        .name = copy_bytes(counter, strlen(counter)),
        .total = delta,
    };
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

/* Drop the values record_json lent during a plugin call. */
static void end_call(ph_context *host)
{
    json_decref(host->lent);
    host->lent = NULL;
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
    end_call(host);
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
    host->default_origin_offset = settings.default_origin_offset;
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

json_t *test_host_emitted_json(ph_context *host, size_t index)
{
    test_emit *emit;
    json_error_t error;

    assert_true(index < host->emit_count);
    emit = &host->emits[index];
    if (emit->json == NULL) {
        emit->json = json_loadb(emit->value, emit->value_len, JSON_DECODE_ANY, &error);
        if (emit->json == NULL)
            fail_msg("emitted value %zu is not JSON: %s", index, error.text);
    }
    return emit->json;
}

const char *test_host_last_reason(const ph_context *host)
{
    assert_true(host->reject_count > 0);
    return host->rejects[host->reject_count - 1].reason;
}

/* ---- a plugin instance on the fake host ----------------------------------------- */

plugin_test *plugin_test_new(const char *path)
{
    char err[1024] = "";
    plugin_test *test = calloc(1, sizeof(*test));

    if (test == NULL) {
        fprintf(stderr, "out of memory\n");
        return NULL;
    }
    test_host_init(&test->host);
    test->plugin = plugin_load(path, err, sizeof(err));
    if (test->plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        free(test);
        return NULL;
    }
    return test;
}

void plugin_test_free(plugin_test *test)
{
    plugin_test_destroy(test);
    test_host_release(&test->host);
    plugin_unload(test->plugin);
    free(test);
}

int plugin_test_teardown(void **state)
{
    plugin_test_free(*state);
    return 0;
}

int plugin_test_init(plugin_test *test, const json_t *config, char *err, size_t err_size)
{
    /* A second init would leak the first instance. */
    assert_null(test->instance);
    return test->plugin->descriptor->init(&test_host_api, &test->host, config, &test->instance,
                                          err, err_size);
}

/* Config text as JSON; fails the test when it is not. */
static json_t *config_of(const char *config_text)
{
    json_error_t error;
    json_t *config = json_loads(config_text, JSON_ALLOW_NUL, &error);

    if (config == NULL)
        fail_msg("config is not JSON: %s", error.text);
    return config;
}

void plugin_test_start(plugin_test *test, const char *config_text)
{
    char err[256] = "";
    json_t *config = config_of(config_text);
    int result = plugin_test_init(test, config, err, sizeof(err));

    json_decref(config);
    if (result != 0)
        fail_msg("init: %s", err);
}

void plugin_test_assert_init_fails(plugin_test *test, const char *config_text,
                                   const char *message)
{
    char err[256] = "";
    json_t *config = config_of(config_text);
    int result = plugin_test_init(test, config, err, sizeof(err));

    json_decref(config);
    plugin_test_destroy(test);
    assert_int_not_equal(result, 0);
    assert_string_equal(err, message);
}

ph_status plugin_test_process(plugin_test *test, const ph_record *records, size_t count)
{
    ph_status status;

    if (count > 0)
        test->host.default_origin_offset = records[count - 1].offset;
    status = test->plugin->descriptor->process(test->instance, records, count);
    end_call(&test->host);
    return status;
}

ph_status plugin_test_flush(plugin_test *test, ph_flush_mode mode, int64_t *retain_offset)
{
    ph_status status = test->plugin->descriptor->flush(test->instance, mode, retain_offset);

    end_call(&test->host);
    return status;
}

void plugin_test_destroy(plugin_test *test)
{
    test->plugin->descriptor->destroy(test->instance);
    test->instance = NULL;
}
