/*
 * The shipped clickstream plugin against a fake host: exact distinct-user
 * counts at a size the golden files cannot show, several partitions in
 * one instance, emit failures, the watermark checkpoint, and init errors.
 * Window semantics are covered by the golden files in
 * plugins/clickstream/tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/plugin_loader.h"

#define MAX_EMITTED 256

/* The fake host's per-instance state, as the plugin's ctx. */
struct ph_context {
    json_t *values[MAX_EMITTED];
    char *keys[MAX_EMITTED];
    size_t emitted_count;
    size_t rejected_count;
    char last_reason[256];
    int emit_fails;
    size_t log_count;
    const char *committed_checkpoint; /* what checkpoint() hands init */
    char checkpoint[PH_CHECKPOINT_MAX + 1]; /* the last set_checkpoint */
};

static void fake_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    ctx->log_count++;
}

/* Keeps the value parsed, and the key as a C string. */
static int fake_emit(ph_context *ctx, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    json_error_t error;

    if (ctx->emit_fails)
        return -1;
    assert_true(ctx->emitted_count < MAX_EMITTED);
    assert_non_null(key);
    ctx->values[ctx->emitted_count] = json_loadb(value, value_len, 0, &error);
    if (ctx->values[ctx->emitted_count] == NULL)
        fail_msg("emitted value is not JSON: %s", error.text);
    ctx->keys[ctx->emitted_count] = strndup(key, key_len);
    assert_non_null(ctx->keys[ctx->emitted_count]);
    ctx->emitted_count++;
    return 0;
}

static ph_status fake_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->last_reason, sizeof(ctx->last_reason), fmt, ap);
    va_end(ap);
    ctx->rejected_count++;
    return PH_REJECT;
}

/* The record's value is a json_t built by the test (no parsing). */
static json_t *fake_record_json(ph_context *ctx, const ph_record *record, const char **error)
{
    return (json_t *)record->value;
}

/* Epoch milliseconds only: enough for these tests. */
static int fake_parse_time(const json_t *value, int64_t *epoch_ms)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return -1;
    *epoch_ms = json_integer_value(value);
    return 0;
}

/* Whole seconds only, through the C library. */
static size_t fake_format_time(int64_t epoch_ms, char *buf, size_t buf_size)
{
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm tm;

    assert_int_equal(epoch_ms % 1000, 0);
    gmtime_r(&seconds, &tm);
    return strftime(buf, buf_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int fake_set_checkpoint(ph_context *ctx, const char *text)
{
    assert_true(strlen(text) <= PH_CHECKPOINT_MAX);
    strcpy(ctx->checkpoint, text);
    return 0;
}

static const char *fake_checkpoint(ph_context *ctx)
{
    return ctx->committed_checkpoint;
}

static const ph_host_api fake_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = fake_log,
    .emit = fake_emit,
    .reject = fake_reject,
    .record_json = fake_record_json,
    .parse_time = fake_parse_time,
    .format_time = fake_format_time,
    .set_checkpoint = fake_set_checkpoint,
    .checkpoint = fake_checkpoint,
};

static void context_clear(ph_context *ctx)
{
    for (size_t i = 0; i < ctx->emitted_count; i++) {
        json_decref(ctx->values[i]);
        free(ctx->keys[i]);
    }
    memset(ctx, 0, sizeof(*ctx));
}

typedef struct fixture {
    loaded_plugin *plugin;
    ph_context ctx;
    void *instance;
} fixture;

static int setup(void **state)
{
    char err[1024] = "";
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->plugin = plugin_load(SHIPPED_PLUGIN_DIR "/clickstream.so", err, sizeof(err));
    if (f->plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    f->plugin->descriptor->destroy(f->instance);
    context_clear(&f->ctx);
    plugin_unload(f->plugin);
    free(f);
    return 0;
}

static void start(fixture *f, int64_t window_ms, int64_t lateness_ms)
{
    char err[256] = "";
    json_t *config = json_pack("{s:I, s:I}", "window", (json_int_t)window_ms,
                               "allowed_lateness", (json_int_t)lateness_ms);

    assert_non_null(config);
    if (f->plugin->descriptor->init(&fake_host, &f->ctx, config, &f->instance, err,
                                    sizeof(err)) != 0)
        fail_msg("init: %s", err);
    json_decref(config);
}

/* Process one event; the JSON value lives only for the call, as a host's. */
static ph_status process_event(fixture *f, int32_t partition, int64_t offset, int64_t time_ms,
                               const char *userid, const char *page, const char *action)
{
    json_t *value = json_pack("{s:I, s:s, s:s, s:s}", "timestamp", (json_int_t)time_ms,
                              "userid", userid, "page", page, "action", action);
    ph_record record = {.value = value, .partition = partition, .offset = offset,
                        .timestamp_ms = -1, .topic = "clicks"};
    ph_status status;

    assert_non_null(value);
    status = f->plugin->descriptor->process(f->instance, &record, 1);
    json_decref(value);
    return status;
}

static json_int_t emitted_int(const fixture *f, size_t index, const char *field)
{
    json_t *value = json_object_get(f->ctx.values[index], field);

    assert_true(json_is_integer(value));
    return json_integer_value(value);
}

static void test_descriptor(void **state)
{
    fixture *f = *state;
    const ph_descriptor *d = f->plugin->descriptor;

    assert_string_equal(f->plugin->name, "clickstream");
    assert_int_equal(d->kind, PH_KIND_PROCESSOR);
    assert_int_equal(d->config_field_count, 2);
    assert_string_equal(d->config_fields[0].name, "window");
    assert_int_equal(d->config_fields[0].type, PH_CONFIG_DURATION);
    assert_string_equal(d->config_fields[0].default_value, "1m");
    assert_string_equal(d->config_fields[1].name, "allowed_lateness");
    assert_int_equal(d->config_fields[1].type, PH_CONFIG_DURATION);
    assert_string_equal(d->config_fields[1].default_value, "10s");
}

/*
 * One window, PAGES pages and USERS users: user u views page p twice when
 * p + 1 divides u, so page p has ceil(USERS / (p + 1)) distinct viewers
 * (u = 0 counts) and twice as many views.
 */
static void test_distinct_users_at_scale(void **state)
{
    enum { PAGES = 40, USERS = 20000 };
    fixture *f = *state;
    int64_t offset = 0;
    char userid[32], page[32];

    start(f, 60000, 0);
    for (int round = 0; round < 2; round++) {
        for (int u = 0; u < USERS; u++) {
            snprintf(userid, sizeof(userid), "user%d", u);
            for (int p = 0; p < PAGES; p++) {
                if (u % (p + 1) != 0)
                    continue;
                snprintf(page, sizeof(page), "/product%d", p);
                assert_int_equal(process_event(f, 0, offset++, 1000, userid, page, "view"),
                                 PH_OK);
            }
        }
    }
    assert_int_equal(f->ctx.emitted_count, 0);
    /* An event at the window's end moves the watermark there: it closes. */
    assert_int_equal(process_event(f, 0, offset, 60000, "late-comer", "/next", "click"), PH_OK);
    assert_int_equal(f->ctx.rejected_count, 0);
    assert_int_equal(f->ctx.emitted_count, PAGES);
    for (int p = 0; p < PAGES; p++) {
        json_int_t viewers = (USERS + p) / (p + 1);

        snprintf(page, sizeof(page), "/product%d", p);
        /* Pages come out in the order of their first event: user0 viewed
         * them all in order. */
        assert_string_equal(json_string_value(json_object_get(f->ctx.values[p], "page")), page);
        assert_int_equal(emitted_int(f, (size_t)p, "users"), viewers);
        assert_int_equal(emitted_int(f, (size_t)p, "views"), 2 * viewers);
        assert_int_equal(emitted_int(f, (size_t)p, "events"), 2 * viewers);
        assert_true(json_is_true(json_object_get(f->ctx.values[p], "final")));
    }
}

static void test_partitions_are_kept_apart(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    start(f, 60000, 0);
    assert_int_equal(process_event(f, 1, 10, 5000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(process_event(f, 2, 20, 6000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(process_event(f, 1, 11, 7000, "u2", "/a", "view"), PH_OK);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 10);
    assert_int_equal(f->ctx.emitted_count, 2);
    assert_string_equal(f->ctx.keys[0], "/a|1970-01-01T00:00:00Z|1");
    assert_int_equal(emitted_int(f, 0, "partition"), 1);
    assert_int_equal(emitted_int(f, 0, "users"), 2);
    assert_string_equal(f->ctx.keys[1], "/a|1970-01-01T00:00:00Z|2");
    assert_int_equal(emitted_int(f, 1, "partition"), 2);
    assert_int_equal(emitted_int(f, 1, "users"), 1);
    assert_true(json_is_false(json_object_get(f->ctx.values[1], "final")));
}

static void test_long_page_names(void **state)
{
    fixture *f = *state;
    char page[1001];
    int64_t retain = 0;
    json_t *emitted_page;

    memset(page, 'p', sizeof(page) - 1);
    page[sizeof(page) - 1] = '\0';
    start(f, 60000, 0);
    assert_int_equal(process_event(f, 0, 0, 1000, "u1", page, "view"), PH_OK);
    assert_int_equal(process_event(f, 0, 1, 2000, "u2", page, "view"), PH_OK);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(f->ctx.emitted_count, 1);
    emitted_page = json_object_get(f->ctx.values[0], "page");
    assert_int_equal(json_string_length(emitted_page), 1000);
    assert_string_equal(json_string_value(emitted_page), page);
    assert_int_equal(emitted_int(f, 0, "users"), 2);
}

static void test_emit_failure_is_fatal(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    start(f, 1000, 0);
    assert_int_equal(process_event(f, 0, 0, 500, "u1", "/a", "view"), PH_OK);
    f->ctx.emit_fails = 1;
    assert_int_equal(process_event(f, 0, 1, 1500, "u1", "/a", "view"), PH_FATAL);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_FINAL, &retain),
                     PH_FATAL);
    assert_int_equal(f->ctx.log_count, 2);
}

/*
 * 1-minute windows, 10 s lateness. Offset 0 at 5 s opens [0,60s) before
 * any event; offset 1 at 65 s opens [60s,120s) at watermark 5 - 10 =
 * -5 s; offset 2 at 75 s makes the watermark 65 s and closes [0,60s).
 * The checkpoint is the watermark where replay from the retain offset 1
 * starts: -5000.
 */
static void test_checkpoint_at_flush(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    start(f, 60000, 10000);
    assert_int_equal(process_event(f, 0, 0, 5000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_CHECKPOINT, &retain),
                     PH_OK);
    assert_int_equal(retain, 0);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":null}");
    assert_int_equal(process_event(f, 0, 1, 65000, "u1", "/b", "view"), PH_OK);
    assert_int_equal(process_event(f, 0, 2, 75000, "u2", "/b", "view"), PH_OK);
    assert_int_equal(f->ctx.emitted_count, 1);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_CHECKPOINT, &retain),
                     PH_OK);
    assert_int_equal(retain, 1);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":-5000}");
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":-5000}");
}

/* Restored at watermark 65 s: [0,60s) is closed, [60s,120s) open. */
static void test_restore_from_checkpoint(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    f->ctx.committed_checkpoint = "{\"watermark\":65000}";
    start(f, 60000, 10000);
    assert_int_equal(process_event(f, 0, 7, 30000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->ctx.rejected_count, 1);
    assert_string_equal(f->ctx.last_reason, "late event");
    assert_int_equal(process_event(f, 0, 8, 61000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->ctx.rejected_count, 1);
    assert_int_equal(f->plugin->descriptor->flush(f->instance, PH_FLUSH_CHECKPOINT, &retain),
                     PH_OK);
    assert_int_equal(retain, 8);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":65000}");
    assert_int_equal(f->ctx.log_count, 0);
}

/* A malformed checkpoint: a warning, and a start with no watermark. */
static void test_malformed_checkpoint(void **state)
{
    fixture *f = *state;

    f->ctx.committed_checkpoint = "watermark=65000";
    start(f, 60000, 10000);
    assert_int_equal(f->ctx.log_count, 1);
    assert_int_equal(process_event(f, 0, 7, 30000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->ctx.rejected_count, 0);
}

static void assert_init_fails(fixture *f, json_t *config, const char *message)
{
    char err[256] = "";

    assert_non_null(config);
    assert_int_not_equal(f->plugin->descriptor->init(&fake_host, &f->ctx, config, &f->instance,
                                                     err, sizeof(err)),
                         0);
    json_decref(config);
    assert_string_equal(err, message);
    f->plugin->descriptor->destroy(f->instance);
    f->instance = NULL;
}

static void test_init_errors(void **state)
{
    fixture *f = *state;

    assert_init_fails(f, json_pack("{s:i, s:i}", "window", 0, "allowed_lateness", 0),
                      "window: must be from 1ms to 3650d, not 0ms");
    assert_init_fails(f, json_pack("{s:i, s:I}", "window", 1000, "allowed_lateness",
                                   (json_int_t)400000000000),
                      "allowed_lateness: must be from 0ms to 3650d, not 400000000000ms");
    f->plugin->descriptor->destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_distinct_users_at_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partitions_are_kept_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_page_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_failure_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_at_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_from_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
