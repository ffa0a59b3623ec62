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

#include "plugin/plugin_loader.h"

/* A host without checkpoints: init then calls nothing of it. */
static const ph_host_api header_only_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
};

static int setup(void **state)
{
    char err[1024] = "";
    loaded_plugin *plugin = plugin_load(SHIPPED_PLUGIN_DIR "/iot_telemetry.so", err,
                                        sizeof(err));

    if (plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = plugin;
    return 0;
}

static int teardown(void **state)
{
    plugin_unload(*state);
    return 0;
}

/* Init with the defaults the host would fill in, overridden by the
 * members of overrides (JSON text). Returns init's result; err gets the
 * message. */
static int init_with(const loaded_plugin *plugin, const char *overrides, char *err,
                     size_t err_size)
{
    json_t *config = json_pack("{s:i, s:i, s:[sss], s:[]}", "window", 60000,
                               "allowed_lateness", 10000, "metrics", "temperature", "pressure",
                               "humidity", "rules");
    json_t *changes = json_loads(overrides, 0, NULL);
    void *instance = NULL;
    int result;

    assert_non_null(config);
    assert_non_null(changes);
    assert_int_equal(json_object_update(config, changes), 0);
    err[0] = '\0';
    result = plugin->descriptor->init(&header_only_host, NULL, config, &instance, err, err_size);
    plugin->descriptor->destroy(instance);
    json_decref(changes);
    json_decref(config);
    return result;
}

static void assert_init_fails(const loaded_plugin *plugin, const char *overrides,
                              const char *message)
{
    char err[256];

    assert_int_not_equal(init_with(plugin, overrides, err, sizeof(err)), 0);
    assert_string_equal(err, message);
}

static void test_descriptor(void **state)
{
    const loaded_plugin *plugin = *state;
    const ph_descriptor *d = plugin->descriptor;

    assert_string_equal(plugin->name, "iot_telemetry");
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
    const loaded_plugin *plugin = *state;
    char err[256];

    assert_int_equal(init_with(plugin, "{}", err, sizeof(err)), 0);
    assert_int_equal(init_with(plugin, "{\"metrics\": []}", err, sizeof(err)), 0);
    /* A rule on a metric that is not aggregated, and one on a metric that
     * is, with an integer and a real threshold. */
    assert_int_equal(init_with(plugin,
                               "{\"rules\": [{\"name\": \"shaking\", \"metric\": \"vibration\", "
                               "\"above\": 5}, {\"name\": \"cold\", \"metric\": "
                               "\"temperature\", \"below\": -3.5}]}",
                               err, sizeof(err)),
                     0);
}

static void test_metric_errors(void **state)
{
    const loaded_plugin *plugin = *state;

    assert_init_fails(plugin, "{\"metrics\": \"temperature\"}",
                      "metrics: expected a list of field names");
    assert_init_fails(plugin, "{\"metrics\": [\"temperature\", 3]}",
                      "metrics: item 1 must be a non-empty field name");
    assert_init_fails(plugin, "{\"metrics\": [\"\"]}",
                      "metrics: item 0 must be a non-empty field name");
    assert_init_fails(plugin, "{\"metrics\": [\"temperature\", \"temperature\"]}",
                      "metrics: item 1: 'temperature' is listed twice");
    assert_init_fails(plugin, "{\"metrics\": [\"count\"]}",
                      "metrics: item 0: 'count' is a name the output uses for itself");
    assert_init_fails(plugin, "{\"metrics\": [\"device_id\"]}",
                      "metrics: item 0: 'device_id' is a name the output uses for itself");
}

static void test_rule_errors(void **state)
{
    const loaded_plugin *plugin = *state;

    assert_init_fails(plugin, "{\"rules\": {}}", "rules: expected a list of rules");
    assert_init_fails(plugin, "{\"rules\": [\"hot\"]}",
                      "rules[0]: expected a mapping of name, metric and above or below");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"over\": 30}]}",
                      "rules[0]: unknown key 'over' (expected name, metric, above or below)");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30}, {\"metric\": \"pressure\", \"below\": 990}]}",
                      "rules[1]: name must be a non-empty string");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30}, {\"name\": \"hot\", \"metric\": \"pressure\", "
                      "\"below\": 990}]}",
                      "rules[1]: name 'hot' is already used by rules[0]");
    assert_init_fails(plugin, "{\"rules\": [{\"name\": \"hot\", \"above\": 30}]}",
                      "rules[0]: metric must be a non-empty field name");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": 30, \"below\": 10}]}",
                      "rules[0]: set exactly one of above and below");
    assert_init_fails(plugin, "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\"}]}",
                      "rules[0]: set exactly one of above and below");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"hot\", \"metric\": \"temperature\", "
                      "\"above\": \"30\"}]}",
                      "rules[0]: above must be a number");
    assert_init_fails(plugin,
                      "{\"rules\": [{\"name\": \"late\", \"metric\": \"ts\", \"below\": 0}]}",
                      "rules[0]: metric 'ts' is not a numeric field");
}

/* What init sees of a host with checkpoints. */
struct ph_context {
    const char *committed; /* the previous instance's checkpoint, or NULL */
    int warnings;
};

static void counting_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    assert_int_equal(level, PH_LOG_WARN);
    ctx->warnings++;
}

static const char *committed_checkpoint(ph_context *ctx)
{
    return ctx->committed;
}

static const ph_host_api checkpoint_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = counting_log,
    .checkpoint = committed_checkpoint,
};

/* Warnings from init with the default config and a committed checkpoint;
 * init must succeed whatever the checkpoint holds. */
static int checkpoint_warnings(const loaded_plugin *plugin, const char *committed)
{
    json_t *config = json_pack("{s:i, s:i, s:[s], s:[]}", "window", 60000, "allowed_lateness",
                               10000, "metrics", "temperature", "rules");
    ph_context ctx = {.committed = committed};
    void *instance = NULL;
    char err[256] = "";

    assert_non_null(config);
    if (plugin->descriptor->init(&checkpoint_host, &ctx, config, &instance, err,
                                 sizeof(err)) != 0)
        fail_msg("init: %s", err);
    plugin->descriptor->destroy(instance);
    json_decref(config);
    return ctx.warnings;
}

static void test_checkpoint_in_init(void **state)
{
    const loaded_plugin *plugin = *state;

    assert_int_equal(checkpoint_warnings(plugin, NULL), 0);
    assert_int_equal(checkpoint_warnings(plugin, "{\"watermark\":1640995200000}"), 0);
    assert_int_equal(checkpoint_warnings(plugin, "{\"watermark\":null}"), 0);
    assert_int_equal(checkpoint_warnings(plugin, "{\"watermark\":\"yesterday\"}"), 1);
    assert_int_equal(checkpoint_warnings(plugin, "not json"), 1);
}

static void test_window_errors(void **state)
{
    const loaded_plugin *plugin = *state;

    assert_init_fails(plugin, "{\"window\": 0}", "window: must be from 1ms to 3650d, not 0ms");
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

    return cmocka_run_group_tests(tests, setup, teardown);
}
