/*
 * The shipped iot_telemetry plugin's init: every configuration error
 * names the item or rule at fault, and a malformed checkpoint is a
 * warning, never an error. (Readings, windows, alerts and restarts are
 * covered by the golden files in plugins/iot_telemetry/tests.)
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

static int setup(void **state)
{
    *state = plugin_test_new(SHIPPED_PLUGIN_DIR "/iot_telemetry.so");
    return *state != NULL ? 0 : -1;
}

/* An instance created and destroyed on a fresh host (no checkpoint to
 * restore) with config; init's result, its message in err. */
static int init_and_destroy(plugin_test *test, const json_t *config, const char *restored,
                            char *err, size_t err_size)
{
    int result;

    test_host_release(&test->host);
    test->host.restored_checkpoint = restored;
    err[0] = '\0';
    result = plugin_test_init(test, config, err, err_size);
    plugin_test_destroy(test);
    return result;
}

/* Init with the defaults the host would fill in, overridden by the
 * members of overrides (JSON text). Returns init's result; err gets the
 * message. With no checkpoint to restore, the instance tells the host
 * nothing. */
static int init_with(plugin_test *test, const char *overrides, char *err, size_t err_size)
{
    json_t *config = json_pack("{s:i, s:i, s:[sss], s:[]}", "window", 60000,
                               "allowed_lateness", 10000, "metrics", "temperature", "pressure",
                               "humidity", "rules");
    json_t *changes = json_loads(overrides, 0, NULL);
    int result;

    assert_non_null(config);
    assert_non_null(changes);
    assert_int_equal(json_object_update(config, changes), 0);
    result = init_and_destroy(test, config, NULL, err, err_size);
    json_decref(changes);
    json_decref(config);
    assert_int_equal(test->host.log_count, 0);
    assert_int_equal(test->host.emit_count, 0);
    assert_int_equal(test->host.reject_count, 0);
    assert_int_equal(test->host.count_calls, 0);
    assert_int_equal(test->host.checkpoints_set + test->host.checkpoints_refused, 0);
    return result;
}

static void assert_init_fails(plugin_test *test, const char *overrides, const char *message)
{
    char err[256];

    assert_int_not_equal(init_with(test, overrides, err, sizeof(err)), 0);
    assert_string_equal(err, message);
}

static void test_descriptor(void **state)
{
    plugin_test *test = *state;
    const ph_descriptor *d = test->plugin->descriptor;

    assert_string_equal(test->plugin->name, "iot_telemetry");
    assert_int_equal(d->kind, PH_KIND_PROCESSOR);
    assert_int_equal(d->config_field_count, 4);
    assert_string_equal(d->config_fields[0].name, "window");
    assert_string_equal(d->config_fields[0].default_value, "1m");
    assert_string_equal(d->config_fields[1].name, "allowed_lateness");
    assert_string_equal(d->config_fields[1].default_value, "10s");
    assert_string_equal(d->config_fields[2].name, "metrics");
    assert_int_equal(d->config_fields[2].type, PH_CONFIG_STRING_LIST);
    assert_string_equal(d->config_fields[2].default_value, "[temperature, pressure, humidity]");
    assert_string_equal(d->config_fields[3].name, "rules");
    assert_int_equal(d->config_fields[3].type, PH_CONFIG_LIST);
    assert_string_equal(d->config_fields[3].default_value, "[]");
}

static void test_valid_configs(void **state)
{
    plugin_test *test = *state;
    char err[256];

    assert_int_equal(init_with(test, "{}", err, sizeof(err)), 0);
    assert_int_equal(init_with(test, "{\"metrics\": []}", err, sizeof(err)), 0);
    /* A rule on a metric that is not aggregated, and one on a metric that
     * is, with an integer and a real threshold. */
    assert_int_equal(init_with(test,
                               "{\"rules\": [{\"name\": \"shaking\", \"metric\": \"vibration\", "
                               "\"above\": 5}, {\"name\": \"cold\", \"metric\": "
                               "\"temperature\", \"below\": -3.5}]}",
                               err, sizeof(err)),
                     0);
}

static void test_metric_errors(void **state)
{
    plugin_test *test = *state;

    assert_init_fails(test, "{\"metrics\": \"temperature\"}",
                      "metrics: expected a list of field names");
    assert_init_fails(test, "{\"metrics\": [\"temperature\", 3]}",
                      "metrics: item 1 must be a non-empty field name");
    assert_init_fails(test, "{\"metrics\": [\"\"]}",
                      "metrics: item 0 must be a non-empty field name");
    assert_init_fails(test, "{\"metrics\": [\"temperature\", \"temperature\"]}",
                      "metrics: item 1: 'temperature' is listed twice");
    assert_init_fails(test, "{\"metrics\": [\"count\"]}",
                      "metrics: item 0: 'count' is a name the output uses for itself");
    assert_init_fails(test, "{\"metrics\": [\"device_id\"]}",
                      "metrics: item 0: 'device_id' is a name the output uses for itself");
}

static void test_rule_errors(void **state)
{
    plugin_test *test = *state;

    assert_init_fails(test, "{\"rules\": {}}", "rules: expected a list of rules");
    assert_init_fails(test, "{\"rules\": [\"hot\"]}",
                      "rules[0]: expected a mapping of name, metric and above or below");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"over\": 30}]}",
                      "rules[0]: unknown key 'over' (expected name, metric, above or below)");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30}, {\"metric\": \"pressure\", \"below\": 990}]}",
                      "rules[1]: name must be a non-empty string");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30}, {\"name\": \"hot\", \"metric\": \"pressure\", "
                      "\"below\": 990}]}",
                      "rules[1]: name 'hot' is already used by rules[0]");
    assert_init_fails(test, "{\"rules\": [{\"name\": \"hot\", \"above\": 30}]}",
                      "rules[0]: metric must be a non-empty field name");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30, \"below\": 10}]}",
                      "rules[0]: set exactly one of above and below");
    assert_init_fails(test, "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\"}]}",
                      "rules[0]: set exactly one of above and below");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": \"30\"}]}",
                      "rules[0]: above must be a number");
    assert_init_fails(test,
                      "{\"rules\": [{\"name\": \"late\", \"metric\": \"ts\", \"below\": 0}]}",
                      "rules[0]: metric 'ts' is not a numeric field");
}

/* Warnings from init with the default config and a committed checkpoint;
 * init must succeed whatever the checkpoint holds, and say nothing but
 * warnings. */
static size_t checkpoint_warnings(plugin_test *test, const char *committed)
{
    json_t *config = json_pack("{s:i, s:i, s:[s], s:[]}", "window", 60000, "allowed_lateness",
                               10000, "metrics", "temperature", "rules");
    char err[256];
    int result;

    assert_non_null(config);
    result = init_and_destroy(test, config, committed, err, sizeof(err));
    json_decref(config);
    if (result != 0)
        fail_msg("init: %s", err);
    assert_int_equal(test_host_logs_at(&test->host, PH_LOG_WARN), test->host.log_count);
    return test->host.log_count;
}

static void test_checkpoint_in_init(void **state)
{
    plugin_test *test = *state;

    assert_int_equal(checkpoint_warnings(test, NULL), 0);
    assert_int_equal(checkpoint_warnings(test, "{\"watermark\":1640995200000}"), 0);
    assert_int_equal(checkpoint_warnings(test, "{\"watermark\":null}"), 0);
    assert_int_equal(checkpoint_warnings(test, "{\"watermark\":\"yesterday\"}"), 1);
    assert_int_equal(checkpoint_warnings(test, "not json"), 1);
}

static void test_window_errors(void **state)
{
    plugin_test *test = *state;

    assert_init_fails(test, "{\"window\": 0}", "window: must be from 1ms to 3650d, not 0ms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_valid_configs),
        cmocka_unit_test(test_metric_errors),
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_window_errors),
        cmocka_unit_test(test_checkpoint_in_init),
    };

    return cmocka_run_group_tests(tests, setup, plugin_test_teardown);
}
