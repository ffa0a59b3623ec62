/*
 * pipeline_config_load() on valid files: every field as written, the
 * defaults, ${VAR} expansion and the folder relative paths resolve from.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/pipeline_config.h"
#include "config/yaml_tree.h"

#define VALID_DIR TEST_DATA_DIR "/config/valid"

static pipeline_config *load(const char *path)
{
    config_error err;
    pipeline_config *config = pipeline_config_load(path, &err);

    if (config == NULL)
        fail_msg("%s", err.text);
    return config;
}

/* realpath(TEST_DATA_DIR) + suffix: where the loader must place base_dir. */
static void data_dir_path(const char *suffix, char *buf, size_t size)
{
    char *root = realpath(TEST_DATA_DIR, NULL);

    assert_non_null(root);
    snprintf(buf, size, "%s%s", root, suffix);
    free(root);
}

static void assert_property(const kafka_property *property, const char *name, const char *value)
{
    assert_string_equal(property->name, name);
    assert_string_equal(property->value, value);
}

static void assert_mark(const config_mark *mark, const char *file, int line, int col)
{
    assert_string_equal(mark->file, file);
    assert_int_equal(mark->line, line);
    assert_int_equal(mark->col, col);
}

static void test_full_file_loads_every_field(void **state)
{
    const char *path = VALID_DIR "/full.yaml";
    pipeline_config *config = load(path);
    char folder[PATH_MAX];

    (void)state;
    data_dir_path("/config/valid", folder, sizeof(folder));
    assert_string_equal(config->file, path);
    assert_string_equal(config->base_dir, folder);
    assert_string_equal(config->name, "page-views");

    assert_string_equal(config->brokers, "broker-1:9092,broker-2:9092");
    assert_string_equal(config->group, "page-views-group");
    assert_int_equal(config->topic_count, 2);
    assert_string_equal(config->topics[0], "clickstream");
    assert_string_equal(config->topics[1], "clicks-replay");
    assert_int_equal(config->property_count, 3);
    assert_property(&config->properties[0], "auto.offset.reset", "earliest");
    assert_property(&config->properties[1], "fetch.wait.max.ms", "50");
    assert_property(&config->properties[2], "check.crcs", "true");
    assert_mark(&config->properties[0].mark, path, 7, 16);
    assert_int_equal(config->producer_property_count, 1);
    assert_property(&config->producer_properties[0], "linger.ms", "5");
    assert_int_equal(config->embedded_partitions, 8);

    assert_int_equal(config->plugin_dir_count, 2);
    assert_string_equal(config->plugin_dirs[0], "plugins");
    assert_string_equal(config->plugin_dirs[1], "/opt/pipehost/plugins");

    assert_int_equal(config->processor_count, 2);
    assert_string_equal(config->processors[0].plugin, "json_filter");
    assert_string_equal(config->processors[0].name, "views-only");
    assert_mark(&config->processors[0].mark, path, 12, 5);
    assert_mark(&config->processors[0].plugin_mark, path, 12, 13);
    assert_non_null(config->processors[0].config);
    assert_int_equal(config->processors[0].config->count, 2);
    assert_string_equal(yaml_mapping_get(config->processors[0].config, "field")->text, "action");
    assert_string_equal(config->processors[1].plugin, "sessionize");
    assert_string_equal(config->processors[1].name, "sessionize");
    assert_null(config->processors[1].config);

    assert_int_equal(config->sink_count, 4);
    assert_int_equal(config->sinks[0].type, SINK_FILE);
    assert_string_equal(config->sinks[0].path, "out/views.jsonl");
    assert_mark(&config->sinks[0].mark, path, 17, 5);
    assert_int_equal(config->sinks[1].type, SINK_KAFKA);
    assert_string_equal(config->sinks[1].topic, "page-views");
    assert_int_equal(config->sinks[2].type, SINK_STDOUT);
    assert_int_equal(config->sinks[3].type, SINK_PLUGIN);
    assert_string_equal(config->sinks[3].stage.plugin, "http_sink");
    assert_string_equal(config->sinks[3].stage.name, "archive");
    assert_string_equal(yaml_mapping_get(config->sinks[3].stage.config, "url")->text,
                        "http://localhost:8080");
    assert_mark(&config->sinks[3].stage.mark, path, 20, 5);

    assert_int_equal(config->on_error, ON_ERROR_SKIP);
    assert_string_equal(config->dead_letter_topic, "page-views-dlq");
    assert_int_equal(config->commit_interval_ms, 250);
    assert_int_equal(config->workers, 2);
    pipeline_config_free(config);
}

static void assert_defaults(const pipeline_config *config, const char *name)
{
    assert_string_equal(config->name, name);
    assert_string_equal(config->brokers, "embedded");
    assert_string_equal(config->group, name);
    assert_int_equal(config->topic_count, 1);
    assert_string_equal(config->topics[0], "in");
    assert_int_equal(config->property_count, 0);
    assert_int_equal(config->producer_property_count, 0);
    assert_int_equal(config->embedded_partitions, 4);
    assert_int_equal(config->plugin_dir_count, 0);
    assert_int_equal(config->processor_count, 0);
    assert_int_equal(config->sink_count, 1);
    assert_int_equal(config->sinks[0].type, SINK_STDOUT);
    assert_int_equal(config->on_error, ON_ERROR_DEAD_LETTER);
    assert_null(config->dead_letter_topic);
    assert_int_equal(config->commit_interval_ms, 1000);
    assert_int_equal(config->workers, 0);
    assert_int_equal(config->watch, 0);
}

static void test_defaults_fill_what_the_file_leaves_out(void **state)
{
    pipeline_config *config = load(VALID_DIR "/defaults.yaml");

    (void)state;
    assert_defaults(config, "minimal");
    pipeline_config_free(config);
}

static void test_null_values_take_the_defaults(void **state)
{
    pipeline_config *config = load(VALID_DIR "/nulls.yaml");

    (void)state;
    assert_defaults(config, "nulls");
    pipeline_config_free(config);
}

static void test_environment_references_expand(void **state)
{
    pipeline_config *config;

    (void)state;
    setenv("PH_TEST_NAME", "orders", 1);
    setenv("PH_TEST_EMPTY", "", 1);
    setenv("PH_TEST_INTERVAL", "500", 1);
    unsetenv("PH_TEST_UNSET");
    config = load(VALID_DIR "/env.yaml");
    assert_string_equal(config->name, "orders");
    assert_string_equal(config->brokers, "localhost:9092");       /* unset: the default */
    assert_string_equal(config->group, "fallback-group");         /* empty: the default */
    assert_int_equal(config->topic_count, 3);
    assert_string_equal(config->topics[0], "pre-orders-post");    /* empty, no default */
    assert_string_equal(config->topics[1], "cost-$5");            /* $$ */
    assert_string_equal(config->topics[2], "price$5");            /* a lone $ */
    assert_int_equal(config->property_count, 2);
    assert_property(&config->properties[0], "client.rack", "");   /* empty default */
    /* Keys are never expanded; $${...} is the literal text. */
    assert_property(&config->properties[1], "x.${PH_TEST_NAME}", "${PH_TEST_NAME}");
    assert_string_equal(config->sinks[0].path, "/tmp/pipehost/out.jsonl");
    assert_int_equal(config->commit_interval_ms, 500);            /* typed after expansion */
    assert_int_equal(config->workers, 3);
    pipeline_config_free(config);
}

/* base_dir is absolute whatever the path given; file stays as given. */
static void test_relative_paths_resolve_base_dir(void **state)
{
    char *saved = getcwd(NULL, 0);
    char folder[PATH_MAX];
    pipeline_config *config;

    (void)state;
    assert_non_null(saved);
    data_dir_path("/config/valid", folder, sizeof(folder));
    assert_int_equal(chdir(TEST_DATA_DIR "/config"), 0);
    config = load("valid/defaults.yaml");
    assert_string_equal(config->file, "valid/defaults.yaml");
    assert_string_equal(config->base_dir, folder);
    assert_string_equal(config->sinks[0].mark.file, "valid/defaults.yaml");
    pipeline_config_free(config);

    assert_int_equal(chdir("valid"), 0);
    config = load("defaults.yaml");
    assert_string_equal(config->base_dir, folder);
    pipeline_config_free(config);
    assert_int_equal(chdir(saved), 0);
    free(saved);
}

static void test_missing_file_names_the_path(void **state)
{
    config_error err;

    (void)state;
    assert_null(pipeline_config_load(VALID_DIR "/no-such-file.yaml", &err));
    assert_string_equal(err.text,
                        VALID_DIR "/no-such-file.yaml: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file_loads_every_field),
        cmocka_unit_test(test_defaults_fill_what_the_file_leaves_out),
        cmocka_unit_test(test_null_values_take_the_defaults),
        cmocka_unit_test(test_environment_references_expand),
        cmocka_unit_test(test_relative_paths_resolve_base_dir),
        cmocka_unit_test(test_missing_file_names_the_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
