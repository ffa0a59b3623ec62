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

#include "plugin_test_host.h"

/* json_filter counts one thing. */
static void assert_counts_only_filtered(const ph_context *host)
{
    for (size_t i = 0; i < host->counter_count; i++)
        assert_string_equal(host->counters[i].name, "filtered");
}

static int setup(void **state)
{
    *state = plugin_test_new(SHIPPED_PLUGIN_DIR "/json_filter.so");
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    plugin_test *fixture = *state;

    assert_counts_only_filtered(&fixture->host);
    plugin_test_free(fixture);
    return 0;
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

/* Emit index is origin passed through: the same key and value. */
static void assert_emitted(const plugin_test *fixture, size_t index, const ph_record *origin)
{
    const test_emit *out;

    assert_true(index < fixture->host.emit_count);
    out = &fixture->host.emits[index];
    assert_ptr_equal(out->origin, origin);
    assert_int_equal(out->value_len, origin->value_len);
    assert_memory_equal(out->value, origin->value, origin->value_len);
    assert_int_equal(out->key_len, origin->key_len);
    if (origin->key == NULL)
        assert_null(out->key);
    else
        assert_memory_equal(out->key, origin->key, origin->key_len);
}

static int64_t filtered(const plugin_test *fixture)
{
    return test_host_counter(&fixture->host, "filtered");
}

/* ---- tests ------------------------------------------------------------------ */

static void test_descriptor(void **state)
{
    plugin_test *fixture = *state;
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
    plugin_test *fixture = *state;
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

    plugin_test_start(fixture, "{\"field\": \"type\", \"in\": [\"page_view\", \"purchase\"]}");
    assert_int_equal(plugin_test_process(fixture, records, sizeof(records) / sizeof(records[0])),
                     PH_OK);

    assert_int_equal(fixture->host.emit_count, 2);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[6]);

    assert_int_equal(fixture->host.reject_count, 4);
    assert_ptr_equal(fixture->host.rejects[0].record, &records[7]);
    assert_string_equal(fixture->host.rejects[0].reason, "value is not a JSON object");
    assert_ptr_equal(fixture->host.rejects[1].record, &records[8]);
    assert_string_equal(fixture->host.rejects[1].reason, "value is not a JSON object");
    assert_ptr_equal(fixture->host.rejects[2].record, &records[9]);
    assert_string_equal(fixture->host.rejects[2].reason,
                        "value is not JSON: " TEST_HOST_PARSE_ERROR);
    assert_ptr_equal(fixture->host.rejects[3].record, &records[10]);
    assert_string_equal(fixture->host.rejects[3].reason, "value is not JSON: " TEST_HOST_NO_VALUE);

    /* k1, the absent field, k3, k4 and k5. */
    assert_int_equal(filtered(fixture), 5);
}

static void test_counts_nothing_when_nothing_is_filtered(void **state)
{
    plugin_test *fixture = *state;
    ph_record records[] = {record_of("a", "{\"t\": \"x\"}", 1)};

    plugin_test_start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    assert_int_equal(plugin_test_process(fixture, records, 1), PH_OK);
    assert_int_equal(fixture->host.emit_count, 1);
    assert_int_equal(fixture->host.count_calls, 0);
    assert_int_equal(plugin_test_process(fixture, records, 0), PH_OK);
    assert_int_equal(fixture->host.emit_count, 1);
}

static void test_large_list(void **state)
{
    plugin_test *fixture = *state;
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
    plugin_test_start(fixture, config);
    free(config);

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        records[i] = record_of(NULL, texts[i], (int64_t)i);
    assert_int_equal(plugin_test_process(fixture, records, sizeof(texts) / sizeof(texts[0])),
                     PH_OK);
    assert_int_equal(fixture->host.emit_count, 4);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[1]);
    assert_emitted(fixture, 2, &records[2]);
    assert_emitted(fixture, 3, &records[6]);
    assert_int_equal(filtered(fixture), 3);
}

static void test_strings_compare_as_bytes(void **state)
{
    plugin_test *fixture = *state;
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"a\\u0000b\"}", 1), /* kept: the listed bytes */
        record_of(NULL, "{\"t\": \"a\"}", 2),         /* a prefix only */
        record_of(NULL, "{\"t\": \"\"}", 3),          /* kept: "" is listed */
        record_of(NULL, "{\"t\": \"caf\\u00e9\"}", 4), /* kept: escaped UTF-8 */
        record_of(NULL, "{\"t\": \"cafe\"}", 5),
    };

    plugin_test_start(fixture,
                      "{\"field\": \"t\", \"in\": [\"a\\u0000b\", \"\", \"\", \"caf\xc3\xa9\"]}");
    assert_int_equal(plugin_test_process(fixture, records, 5), PH_OK);
    assert_int_equal(fixture->host.emit_count, 3);
    assert_emitted(fixture, 0, &records[0]);
    assert_emitted(fixture, 1, &records[2]);
    assert_emitted(fixture, 2, &records[3]);
    assert_int_equal(filtered(fixture), 2);
}

static void test_flush_retains_nothing(void **state)
{
    plugin_test *fixture = *state;
    ph_record records[] = {record_of(NULL, "{\"t\": \"x\"}", 7)};
    int64_t retain = 42;

    plugin_test_start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    assert_int_equal(plugin_test_process(fixture, records, 1), PH_OK);
    assert_int_equal(plugin_test_flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
    retain = 42;
    assert_int_equal(plugin_test_flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
    assert_int_equal(fixture->host.emit_count, 1);
}

static void test_emit_failure_is_fatal(void **state)
{
    plugin_test *fixture = *state;
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"y\"}", 1),
        record_of(NULL, "{\"t\": \"x\"}", 2),
        record_of(NULL, "{\"t\": \"y\"}", 3),
    };

    plugin_test_start(fixture, "{\"field\": \"t\", \"in\": [\"x\"]}");
    fixture->host.emit_fails = 1;
    assert_int_equal(plugin_test_process(fixture, records, 3), PH_FATAL);
    assert_int_equal(fixture->host.log_count, 1);
    /* What was filtered before the failure is still counted. */
    assert_int_equal(filtered(fixture), 1);
}

static void test_instances_are_independent(void **state)
{
    plugin_test *fixture = *state;
    plugin_test other = {.plugin = fixture->plugin};
    char err[256] = "";
    json_t *config = json_loads("{\"field\": \"t\", \"in\": [\"b\"]}", 0, NULL);
    ph_record records[] = {
        record_of(NULL, "{\"t\": \"a\"}", 1),
        record_of(NULL, "{\"t\": \"b\"}", 2),
    };

    test_host_init(&other.host);
    plugin_test_start(fixture, "{\"field\": \"t\", \"in\": [\"a\"]}");
    assert_non_null(config);
    assert_int_equal(plugin_test_init(&other, config, err, sizeof(err)), 0);
    json_decref(config);

    assert_int_equal(plugin_test_process(fixture, records, 2), PH_OK);
    assert_int_equal(plugin_test_process(&other, records, 2), PH_OK);
    assert_int_equal(fixture->host.emit_count, 1);
    assert_emitted(fixture, 0, &records[0]);
    assert_int_equal(other.host.emit_count, 1);
    assert_ptr_equal(other.host.emits[0].origin, &records[1]);
    assert_counts_only_filtered(&other.host);

    plugin_test_destroy(&other);
    test_host_release(&other.host);
}

static void test_init_errors(void **state)
{
    plugin_test *fixture = *state;

    plugin_test_assert_init_fails(fixture, "{\"field\": \"t\", \"in\": []}",
                                  "in: expected at least one value (with none, every record "
                                  "would be filtered)");
    plugin_test_assert_init_fails(fixture, "{\"field\": \"\", \"in\": [\"x\"]}",
                                  "field: expected a non-empty field name");
    plugin_test_assert_init_fails(fixture, "{\"in\": [\"x\"]}",
                                  "field: expected a non-empty field name");
    plugin_test_assert_init_fails(fixture, "{\"field\": \"t\", \"in\": [\"x\", 3]}",
                                  "in: item 1 is not a string");
}

static void test_destroy_accepts_null(void **state)
{
    plugin_test *fixture = *state;

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
