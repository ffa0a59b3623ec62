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

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test_host.h"

static int setup(void **state)
{
    plugin_test *f = plugin_test_new(SHIPPED_PLUGIN_DIR "/clickstream.so");

    if (f == NULL)
        return -1;
    f->host.keys_required = 1;
    *state = f;
    return 0;
}

/* Every emitted value is a JSON object, and every checkpoint fits. */
static int teardown(void **state)
{
    plugin_test *f = *state;

    for (size_t i = 0; i < f->host.emit_count; i++)
        assert_true(json_is_object(test_host_emitted_json(&f->host, i)));
    assert_int_equal(f->host.checkpoints_refused, 0);
    plugin_test_free(f);
    return 0;
}

static void start(plugin_test *f, int64_t window_ms, int64_t lateness_ms)
{
    char config[128];

    snprintf(config, sizeof(config),
             "{\"window\": %" PRId64 ", \"allowed_lateness\": %" PRId64 "}", window_ms,
             lateness_ms);
    plugin_test_start(f, config);
}

/* Process one event; its JSON text lives only for the call, as a host's. */
static ph_status process_event(plugin_test *f, int32_t partition, int64_t offset, int64_t time_ms,
                               const char *userid, const char *page, const char *action)
{
    json_t *value = json_pack("{s:I, s:s, s:s, s:s}", "timestamp", (json_int_t)time_ms,
                              "userid", userid, "page", page, "action", action);
    char *text = json_dumps(value, JSON_COMPACT);
    ph_record record = {.value = text, .partition = partition, .offset = offset,
                        .timestamp_ms = -1, .topic = "clicks"};
    ph_status status;

    json_decref(value);
    assert_non_null(text);
    record.value_len = strlen(text);
    status = plugin_test_process(f, &record, 1);
    free(text);
    return status;
}

static json_t *emitted_value(plugin_test *f, size_t index)
{
    return test_host_emitted_json(&f->host, index);
}

static json_int_t emitted_int(plugin_test *f, size_t index, const char *field)
{
    json_t *value = json_object_get(emitted_value(f, index), field);

    assert_true(json_is_integer(value));
    return json_integer_value(value);
}

static void test_descriptor(void **state)
{
    plugin_test *f = *state;
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
    plugin_test *f = *state;
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
    assert_int_equal(f->host.emit_count, 0);
    /* An event at the window's end moves the watermark there: it closes. */
    assert_int_equal(process_event(f, 0, offset, 60000, "late-comer", "/next", "click"), PH_OK);
    assert_int_equal(f->host.reject_count, 0);
    assert_int_equal(f->host.emit_count, PAGES);
    for (int p = 0; p < PAGES; p++) {
        json_int_t viewers = (USERS + p) / (p + 1);

        snprintf(page, sizeof(page), "/product%d", p);
        /* Pages come out in the order of their first event: user0 viewed
         * them all in order. */
        assert_string_equal(json_string_value(json_object_get(emitted_value(f, (size_t)p), "page")),
                            page);
        assert_int_equal(emitted_int(f, (size_t)p, "users"), viewers);
        assert_int_equal(emitted_int(f, (size_t)p, "views"), 2 * viewers);
        assert_int_equal(emitted_int(f, (size_t)p, "events"), 2 * viewers);
        assert_true(json_is_true(json_object_get(emitted_value(f, (size_t)p), "final")));
    }
}

static void test_partitions_are_kept_apart(void **state)
{
    plugin_test *f = *state;
    int64_t retain = 0;

    start(f, 60000, 0);
    assert_int_equal(process_event(f, 1, 10, 5000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(process_event(f, 2, 20, 6000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(process_event(f, 1, 11, 7000, "u2", "/a", "view"), PH_OK);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 10);
    assert_int_equal(f->host.emit_count, 2);
    assert_string_equal(f->host.emits[0].key, "/a|1970-01-01T00:00:00Z|1");
    assert_int_equal(emitted_int(f, 0, "partition"), 1);
    assert_int_equal(emitted_int(f, 0, "users"), 2);
    assert_string_equal(f->host.emits[1].key, "/a|1970-01-01T00:00:00Z|2");
    assert_int_equal(emitted_int(f, 1, "partition"), 2);
    assert_int_equal(emitted_int(f, 1, "users"), 1);
    assert_true(json_is_false(json_object_get(emitted_value(f, 1), "final")));
}

static void test_long_page_names(void **state)
{
    plugin_test *f = *state;
    char page[1001];
    int64_t retain = 0;
    json_t *emitted_page;

    memset(page, 'p', sizeof(page) - 1);
    page[sizeof(page) - 1] = '\0';
    start(f, 60000, 0);
    assert_int_equal(process_event(f, 0, 0, 1000, "u1", page, "view"), PH_OK);
    assert_int_equal(process_event(f, 0, 1, 2000, "u2", page, "view"), PH_OK);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(f->host.emit_count, 1);
    emitted_page = json_object_get(emitted_value(f, 0), "page");
    assert_int_equal(json_string_length(emitted_page), 1000);
    assert_string_equal(json_string_value(emitted_page), page);
    assert_int_equal(emitted_int(f, 0, "users"), 2);
}

static void test_emit_failure_is_fatal(void **state)
{
    plugin_test *f = *state;
    int64_t retain = 0;

    start(f, 1000, 0);
    assert_int_equal(process_event(f, 0, 0, 500, "u1", "/a", "view"), PH_OK);
    f->host.emit_fails = 1;
    assert_int_equal(process_event(f, 0, 1, 1500, "u1", "/a", "view"), PH_FATAL);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_FINAL, &retain), PH_FATAL);
    assert_int_equal(f->host.log_count, 2);
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
    plugin_test *f = *state;
    int64_t retain = 0;

    start(f, 60000, 10000);
    assert_int_equal(process_event(f, 0, 0, 5000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, 0);
    assert_string_equal(f->host.checkpoint, "{\"watermark\":null}");
    assert_int_equal(process_event(f, 0, 1, 65000, "u1", "/b", "view"), PH_OK);
    assert_int_equal(process_event(f, 0, 2, 75000, "u2", "/b", "view"), PH_OK);
    assert_int_equal(f->host.emit_count, 1);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, 1);
    assert_string_equal(f->host.checkpoint, "{\"watermark\":-5000}");
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_string_equal(f->host.checkpoint, "{\"watermark\":-5000}");
}

/* Restored at watermark 65 s: [0,60s) is closed, [60s,120s) open. */
static void test_restore_from_checkpoint(void **state)
{
    plugin_test *f = *state;
    int64_t retain = 0;

    f->host.restored_checkpoint = "{\"watermark\":65000}";
    start(f, 60000, 10000);
    assert_int_equal(process_event(f, 0, 7, 30000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->host.reject_count, 1);
    assert_string_equal(test_host_last_reason(&f->host), "late event");
    assert_int_equal(process_event(f, 0, 8, 61000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->host.reject_count, 1);
    assert_int_equal(plugin_test_flush(f, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, 8);
    assert_string_equal(f->host.checkpoint, "{\"watermark\":65000}");
    assert_int_equal(f->host.log_count, 0);
}

/* A malformed checkpoint: a warning, and a start with no watermark. */
static void test_malformed_checkpoint(void **state)
{
    plugin_test *f = *state;

    f->host.restored_checkpoint = "watermark=65000";
    start(f, 60000, 10000);
    assert_int_equal(f->host.log_count, 1);
    assert_int_equal(process_event(f, 0, 7, 30000, "u1", "/a", "view"), PH_OK);
    assert_int_equal(f->host.reject_count, 0);
}

static void test_init_errors(void **state)
{
    plugin_test *f = *state;

    plugin_test_assert_init_fails(f, "{\"window\": 0, \"allowed_lateness\": 0}",
                                  "window: must be from 1ms to 3650d, not 0ms");
    plugin_test_assert_init_fails(f,
                                  "{\"window\": 1000, \"allowed_lateness\": 400000000000}",
                                  "allowed_lateness: must be from 0ms to 3650d, not "
                                  "400000000000ms");
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
