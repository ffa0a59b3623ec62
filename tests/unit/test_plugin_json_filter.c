/*
 * The shipped json_filter plugin, loaded as pipehost loads it and run
 * against a fake host that records what the plugin emits, rejects and
 * counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin_loader.h"

#define MAX_EVENTS 64
#define FAKE_PARSE_ERROR "fake parse error"
#define FAKE_NO_VALUE "no value"

typedef struct emitted_record {
    const ph_record *origin;
    void *key; /* NULL when the record had none */
    size_t key_len;
    char *value;
    size_t value_len;
} emitted_record;

/* The fake host's per-instance state, as the plugin's ctx. */
struct ph_context {
    emitted_record emitted[MAX_EVENTS];
    size_t emitted_count;
    const ph_record *rejected[MAX_EVENTS];
    char reasons[MAX_EVENTS][256];
    size_t rejected_count;
    int64_t filtered;
    size_t count_calls;
    size_t log_count;
    int emit_fails;
    json_t *parsed[MAX_EVENTS]; /* what record_json handed out */
    size_t parsed_count;
};

static void fake_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    ctx->log_count++;
}

static int fake_emit(ph_context *ctx, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    emitted_record *out;

    if (ctx->emit_fails)
        return -1;
    assert_true(ctx->emitted_count < MAX_EVENTS);
    out = &ctx->emitted[ctx->emitted_count++];
    out->origin = origin;
    out->key = NULL;
    if (key != NULL) {
        out->key = malloc(key_len + 1);
        assert_non_null(out->key);
        memcpy(out->key, key, key_len);
    }
    out->key_len = key_len;
    out->value = malloc(value_len + 1);
    assert_non_null(out->value);
    memcpy(out->value, value, value_len);
    out->value[value_len] = '\0';
    out->value_len = value_len;
    return 0;
}

static ph_status fake_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list ap;

    assert_true(ctx->rejected_count < MAX_EVENTS);
    va_start(ap, fmt);
    vsnprintf(ctx->reasons[ctx->rejected_count], sizeof(ctx->reasons[0]), fmt, ap);
    va_end(ap);
    ctx->rejected[ctx->rejected_count++] = record;
    return PH_REJECT;
}

/* Parses on every call (the real host caches); any JSON value counts, and
 * strings may hold NUL. */
static json_t *fake_record_json(ph_context *ctx, const ph_record *record, const char **error)
{
    json_t *value;

    if (record->value == NULL) {
        *error = FAKE_NO_VALUE;
        return NULL;
    }
    value = json_loadb(record->value, record->value_len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                       NULL);
    if (value == NULL) {
        *error = FAKE_PARSE_ERROR;
        return NULL;
    }
    assert_true(ctx->parsed_count < MAX_EVENTS);
    ctx->parsed[ctx->parsed_count++] = value;
    return value;
}

static void fake_count(ph_context *ctx, const char *counter, int64_t delta)
{
    assert_string_equal(counter, "filtered");
    ctx->filtered += delta;
    ctx->count_calls++;
}

static const ph_host_api fake_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = fake_log,
    .emit = fake_emit,
    .reject = fake_reject,
    .record_json = fake_record_json,
    .count = fake_count,
};

static void context_clear(ph_context *ctx)
{
    for (size_t i = 0; i < ctx->emitted_count; i++) {
        free(ctx->emitted[i].key);
        free(ctx->emitted[i].value);
    }
    for (size_t i = 0; i < ctx->parsed_count; i++)
        json_decref(ctx->parsed[i]);
    memset(ctx, 0, sizeof(*ctx));
}

/* ---- fixture: the loaded plugin and one instance ------------------------- */

typedef struct filter_fixture {
    loaded_plugin *plugin;
    ph_context ctx;
    void *instance;
} filter_fixture;

static int setup(void **state)
{
    char err[1024] = "";
    filter_fixture *fixture = calloc(1, sizeof(*fixture));

    if (fixture == NULL)
        return -1;
    fixture->plugin = plugin_load(SHIPPED_PLUGIN_DIR "/json_filter.so", err, sizeof(err));
    if (fixture->plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        free(fixture);
        return -1;
    }
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    filter_fixture *fixture = *state;

    fixture->plugin->descriptor->destroy(fixture->instance);
    context_clear(&fixture->ctx);
    plugin_unload(fixture->plugin);
    free(fixture);
    return 0;
}

/* Create the fixture's instance from a JSON config text; assert success. */
static void start(filter_fixture *fixture, const char *config_text)
{
    char err[256] = "";
    json_t *config = json_loads(config_text, JSON_ALLOW_NUL, NULL);
    int result;

    assert_non_null(config);
    result = fixture->plugin->descriptor->init(&fake_host, &fixture->ctx, config,
                                               &fixture->instance, err, sizeof(err));
    json_decref(config);
    if (result != 0)
        fail_msg("init: %s", err);
}

/* A record whose value is text (NULL: a tombstone) and key is key. */
static ph_record record_of(const char *key, const char *text, int64_t offset)
{
    return (ph_record){
        .key = key,
        .key_len = key != NULL ? strlen(key) : 0,
        .value = text,
        .value_len = text != NULL ? strlen(text) : 0,
        .topic = "events",
        .partition = 0,
        .offset = offset,
        .timestamp_ms = -1,
    };
}

static ph_status process(filter_fixture *fixture, const ph_record *records, size_t count)
{
    return fixture->plugin->descriptor->process(fixture->instance, records, count);
}

static void assert_emitted(const filter_fixture *fixture, size_t index, const ph_record *origin)
{
    const emitted_record *out = &fixture->ctx.emitted[index];

    assert_ptr_equal(out->origin, origin);
    assert_int_equal(out->value_len, origin->value_len);
    assert_memory_equal(out->value, origin->value, origin->value_len);
    assert_int_equal(out->key_len, origin->key_len);
    if (origin->key == NULL)
        assert_null(out->key);
    else
        assert_memory_equal(out->key, origin->key, origin->key_len);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_descriptor(void **state)
{
    filter_fixture *fixture = *state;
    const ph_descriptor *descriptor = fixture->plugin->descriptor;

    assert_string_equal(fixture->plugin->name, "json_filter");
    assert_int_equal(descriptor->kind, PH_KIND_PROCESSOR);
    assert_int_equal(descriptor->config_field_count, 2);
    assert_string_equal(descriptor->config_fields[0].name, "field");
    assert_int_equal(descriptor->config_fields[0].type, PH_CONFIG_STRING);
    assert_true(descriptor->config_fields[0].required);
    assert_string_equal(descriptor->config_fields[1].name, "in");
    assert_int_equal(descriptor->config_fields[1].type, PH_CONFIG_STRING_LIST);
    assert_true(descriptor->config_fields[1].required);
}

static void test_keeps_drops_and_rejects(void **state)
{
    filter_fixture *fixture = *state;
    ph_record records[] = {
        record_of("k0", "{\"type\": \"page_view\", \"page\": \"/\"}", 100), /* kept */
        record_of("k1", "{\"type\": \"scroll\"}", 101),                   /* not listed */
        record_of(NULL, "{\"page\": \"/cart\"}", 102),                    /* field absent */
        record_of("k3", "{\"type\": 5}", 103),                            /* not a string */
        record_of("k4", "{\"type\": \"PURCHASE\"}", 104),                 /* case differs */
        record_of("k5", "{\"data\": {\"type\": \"purchase\"}}", 105),     /* nested only */
        record_of(NULL, "{\"type\":\"purchase\",\"amount\":12.5}", 106),  /* kept, no key */
        record_of("k7", "[\"page_view\"]", 107),                          /* not an object */
        record_of("k8", "\"page_view\"", 108),                            /* not an object */
        record_of("k9", "{\"type\": ", 109),                              /* not JSON */
        record_of("k10", NULL, 110),                                      /* tombstone */
    };

    start(fixture, "{\"field\": \"type\", \"in\": [\"page_view\", \"purchase\"]}");
    assert_int_equal(process(fixture, records, sizeof(records) / sizeof(records[0])), PH_OK);

    assert_int_equal(fixture->ctx.emitted_count, 2);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[6]);

    assert_int_equal(fixture->ctx.rejected_count, 4);
    assert_ptr_equal(fixture->ctx.rejected[0], &records[7]);
    assert_string_equal(fixture->ctx.reasons[0], "value is not a JSON object");
    assert_ptr_equal(fixture->ctx.rejected[1], &records[8]);
    assert_string_equal(fixture->ctx.reasons[1], "value is not a JSON object");
    assert_ptr_equal(fixture->ctx.rejected[2], &records[9]);
    assert_string_equal(fixture->ctx.reasons[2], "value is not JSON: " FAKE_PARSE_ERROR);
    assert_ptr_equal(fixture->ctx.rejected[3], &records[10]);
    assert_string_equal(fixture->ctx.reasons[3], "value is not JSON: " FAKE_NO_VALUE);

    /* k1, the absent field, k3, k4 and k5. */
    assert_int_equal(fixture->ctx.filtered, 5);
}

static void test_counts_nothing_when_nothing_is_filtered(void **state)
{
    filter_fixture *fixture = *state;
    ph_record records[] = {record_of("a", "{\"t\": \"x\"}", 1)};

    start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    assert_int_equal(process(fixture, records, 1), PH_OK);
    assert_int_equal(fixture->ctx.emitted_count, 1);
    assert_int_equal(fixture->ctx.count_calls, 0);
    assert_int_equal(process(fixture, records, 0), PH_OK);
    assert_int_equal(fixture->ctx.emitted_count, 1);
}

static void test_large_list(void **state)
{
    filter_fixture *fixture = *state;
    enum { VALUES = 20000 };
    /* "id-0" .. "id-19999" as a JSON config, built here. */
    size_t capacity = 64 + (size_t)VALUES * 12;
    char *config = malloc(capacity);
    size_t used;
    static const char *const texts[] = {
        "{\"id\": \"id-0\"}",     "{\"id\": \"id-19999\"}", "{\"id\": \"id-12345\"}",
        "{\"id\": \"id-20000\"}", "{\"id\": \"id-\"}",      "{\"id\": \"id-00\"}",
        "{\"id\": \"id-7\"}",
    };
    ph_record records[sizeof(texts) / sizeof(texts[0])];

    assert_non_null(config);
    used = (size_t)snprintf(config, capacity, "{\"field\": \"id\", \"in\": [");
    for (int i = 0; i < VALUES; i++)
        used += (size_t)snprintf(config + used, capacity - used, "%s\"id-%d\"", i > 0 ? "," : "",
                                 i);
    snprintf(config + used, capacity - used, "]}");
    start(fixture, config);
    free(config);

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        records[i] = record_of(NULL, texts[i], (int64_t)i);
    assert_int_equal(process(fixture, records, sizeof(texts) / sizeof(texts[0])), PH_OK);
    assert_int_equal(fixture->ctx.emitted_count, 4);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[1]);
    assert_emitted(fixture, 2, &records[2]);
    assert_emitted(fixture, 3, &records[6]);
    assert_int_equal(fixture->ctx.filtered, 3);
}

static void test_strings_compare_as_bytes(void **state)
{
    filter_fixture *fixture = *state;
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"a\\u0000b\"}", 1), /* kept: the listed bytes */
        record_of(NULL, "{\"t\": \"a\"}", 2),         /* a prefix only */
        record_of(NULL, "{\"t\": \"\"}", 3),          /* kept: "" is listed */
        record_of(NULL, "{\"t\": \"caf\\u00e9\"}", 4), /* kept: escaped UTF-8 */
        record_of(NULL, "{\"t\": \"cafe\"}", 5),
    };

    start(fixture, "{\"field\": \"t\", \"in\": [\"a\\u0000b\", \"\", \"\", \"caf\xc3\xa9\"]}");
    assert_int_equal(process(fixture, records, 5), PH_OK);
    assert_int_equal(fixture->ctx.emitted_count, 3);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[2]);
    assert_emitted(fixture, 2, &records[3]);
    assert_int_equal(fixture->ctx.filtered, 2);
}

static void test_flush_retains_nothing(void **state)
{
    filter_fixture *fixture = *state;
    ph_record records[] = {record_of(NULL, "{\"t\": \"x\"}", 7)};
    int64_t retain = 42;

    start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    assert_int_equal(process(fixture, records, 1), PH_OK);
    assert_int_equal(fixture->plugin->descriptor->flush(fixture->instance, PH_FLUSH_CHECKPOINT,
                                                        &retain),
                     PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
    retain = 42;
    assert_int_equal(fixture->plugin->descriptor->flush(fixture->instance, PH_FLUSH_FINAL,
                                                        &retain),
                     PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
    assert_int_equal(fixture->ctx.emitted_count, 1);
}

static void test_emit_failure_is_fatal(void **state)
{
    filter_fixture *fixture = *state;
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"y\"}", 1),
        record_of(NULL, "{\"t\": \"x\"}", 2),
        record_of(NULL, "{\"t\": \"y\"}", 3),
    };

    start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    fixture->ctx.emit_fails = 1;
    assert_int_equal(process(fixture, records, 3), PH_FATAL);
    assert_int_equal(fixture->ctx.log_count, 1);
    /* What was filtered before the failure is still counted. */
    assert_int_equal(fixture->ctx.filtered, 1);
}

static void test_instances_are_independent(void **state)
{
    filter_fixture *fixture = *state;
    ph_context other_ctx = {0};
    void *other = NULL;
    char err[256] = "";
    json_t *config = json_loads("{\"field\": \"t\", \"in\": [\"b\"]}", 0, NULL);
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"a\"}", 1),
        record_of(NULL, "{\"t\": \"b\"}", 2),
    };

    start(fixture, "{\"field\": \"t\", \"in\": [\"a\"]}");
    assert_non_null(config);
    assert_int_equal(fixture->plugin->descriptor->init(&fake_host, &other_ctx, config, &other,
                                                       err, sizeof(err)),
                     0);
    json_decref(config);

    assert_int_equal(process(fixture, records, 2), PH_OK);
    assert_int_equal(fixture->plugin->descriptor->process(other, records, 2), PH_OK);
    assert_int_equal(fixture->ctx.emitted_count, 1);
    assert_emitted(fixture, 0, &records[0]);
    assert_int_equal(other_ctx.emitted_count, 1);
    assert_ptr_equal(other_ctx.emitted[0].origin, &records[1]);

    fixture->plugin->descriptor->destroy(other);
    context_clear(&other_ctx);
}

static void assert_init_fails(filter_fixture *fixture, const char *config_text,
                              const char *message)
{
    char err[256] = "";
    json_t *config = json_loads(config_text, JSON_ALLOW_NUL, NULL);

    assert_non_null(config);
    assert_int_not_equal(fixture->plugin->descriptor->init(&fake_host, &fixture->ctx, config,
                                                           &fixture->instance, err, sizeof(err)),
                         0);
    json_decref(config);
    assert_string_equal(err, message);
    /* As the host does: destroy whatever init left behind. */
    fixture->plugin->descriptor->destroy(fixture->instance);
    fixture->instance = NULL;
}

static void test_init_errors(void **state)
{
    filter_fixture *fixture = *state;

    assert_init_fails(fixture, "{\"field\": \"t\", \"in\": []}",
                      "in: expected at least one value (with none, every record would be "
                      "filtered)");
    assert_init_fails(fixture, "{\"field\": \"\", \"in\": [\"x\"]}",
                      "field: expected a non-empty field name");
    assert_init_fails(fixture, "{\"in\": [\"x\"]}", "field: expected a non-empty field name");
    assert_init_fails(fixture, "{\"field\": \"t\", \"in\": [\"x\", 3]}",
                      "in: item 1 is not a string");
}

static void test_destroy_accepts_null(void **state)
{
    filter_fixture *fixture = *state;

    fixture->plugin->descriptor->destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeps_drops_and_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts_nothing_when_nothing_is_filtered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_large_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_compare_as_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_retains_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_failure_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances_are_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_accepts_null, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
