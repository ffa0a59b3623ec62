/*
 * pipeline_config_changes(): two versions of a pipeline file, compared key
 * by key, as a hot reload does to log what changed and to choose how to
 * take the new version in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/pipeline_changes.h"
#include "config/pipeline_config.h"

/* The version every test starts from; each test edits one copy of it. */
static const char base[] =
    "name: orders\n"
    "kafka:\n"
    "  brokers: 127.0.0.1:9092\n"
    "  topics: [clicks]\n"
    "  properties: {fetch.wait.max.ms: 10}\n"
    "processors:\n"
    "  - plugin: json_filter\n"
    "    config: {field: kind, in: [a, b]}\n"
    "sinks:\n"
    "  - {type: file, path: out.jsonl}\n"
    "commit_interval_ms: 200\n";

static pipeline_config *load_text(const char *text)
{
    char path[] = "/tmp/ph_changes_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    fputs(text, file);
    assert_int_equal(fclose(file), 0);
    config_error err;
    pipeline_config *config = pipeline_config_load(path, &err);
    unlink(path);
    if (!config)
        fail_msg("%s", err.text);
    return config;
}

/* base with the first occurrence of from replaced by to. */
static char *edited(const char *from, const char *to)
{
    const char *at = strstr(base, from);
    assert_non_null(at);
    size_t size = sizeof(base) - strlen(from) + strlen(to);
    char *text = malloc(size);
    assert_non_null(text);
    snprintf(text, size, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return text;
}

static void assert_changes(const char *from, const char *to, unsigned bits, const char *what)
{
    char *text = edited(from, to);
    pipeline_config *before = load_text(base);
    pipeline_config *after = load_text(text);
    char found[512];
    assert_int_equal(pipeline_config_changes(before, after, found, sizeof(found)), bits);
    assert_string_equal(found, what);
    pipeline_config_free(before);
    pipeline_config_free(after);
    free(text);
}

static void test_the_same_file_is_no_change(void **state)
{
    assert_changes("orders", "orders", 0, "");
}

static void test_a_config_written_another_way_is_no_change(void **state)
{
    /* Block style, other order, quoted: the same values. */
    assert_changes("    config: {field: kind, in: [a, b]}\n",
                   "    config:\n      in: [\"a\", 'b']\n      field: kind\n", 0, "");
}

static void test_a_processor_config_is_a_stage_change(void **state)
{
    assert_changes("in: [a, b]", "in: [a]", PIPELINE_CHANGE_STAGES, "processors[0].config");
}

static void test_a_new_processor_is_a_stage_change(void **state)
{
    assert_changes("sinks:\n",
                   "  - {plugin: tagger, config: {label: x}}\nsinks:\n",
                   PIPELINE_CHANGE_STAGES, "processors");
}

static void test_a_renamed_stage_is_a_stage_change(void **state)
{
    assert_changes("  - plugin: json_filter\n", "  - plugin: json_filter\n    name: keep\n",
                   PIPELINE_CHANGE_STAGES, "processors[0].name");
}

static void test_topics_are_a_subscription_change(void **state)
{
    assert_changes("topics: [clicks]", "topics: [clicks, views]", PIPELINE_CHANGE_TOPICS,
                   "kafka.topics");
}

static void test_brokers_and_properties_are_a_consumer_change(void **state)
{
    assert_changes("127.0.0.1:9092", "127.0.0.1:9093", PIPELINE_CHANGE_CONSUMER, "kafka.brokers");
    assert_changes("fetch.wait.max.ms: 10", "fetch.wait.max.ms: 20", PIPELINE_CHANGE_CONSUMER,
                   "kafka.properties");
}

/* The group defaults to the name, which also names the dead letter. */
static void test_a_new_name_changes_the_default_group(void **state)
{
    assert_changes("name: orders", "name: sales",
                   PIPELINE_CHANGE_SINKS | PIPELINE_CHANGE_CONSUMER, "name, kafka.group");
}

static void test_sinks_and_errors_are_a_sink_change(void **state)
{
    assert_changes("out.jsonl", "other.jsonl", PIPELINE_CHANGE_SINKS, "sinks[0]");
    assert_changes("commit_interval_ms: 200\n", "commit_interval_ms: 200\non_error: skip\n",
                   PIPELINE_CHANGE_SINKS, "on_error");
}

static void test_settings_of_the_loop(void **state)
{
    assert_changes("commit_interval_ms: 200\n",
                   "commit_interval_ms: 500\nworkers: 3\nwatch: true\n",
                   PIPELINE_CHANGE_COMMIT_INTERVAL | PIPELINE_CHANGE_WORKERS |
                       PIPELINE_CHANGE_WATCH,
                   "commit_interval_ms, workers, watch");
}

static void test_watch_reads_as_a_boolean(void **state)
{
    char *text = edited("commit_interval_ms: 200\n", "commit_interval_ms: 200\nwatch: true\n");
    pipeline_config *config = load_text(text);
    assert_int_equal(config->watch, 1);
    pipeline_config_free(config);
    free(text);
}

/* ${VAR} is expanded before the comparison: the environment at reload
 * time counts. */
static void test_an_environment_change_is_a_change(void **state)
{
    char *text = edited("field: kind", "field: \"${PH_CHANGES_FIELD}\"");
    setenv("PH_CHANGES_FIELD", "kind", 1);
    pipeline_config *before = load_text(text);
    pipeline_config *same = load_text(base);
    char found[64];
    assert_int_equal(pipeline_config_changes(before, same, found, sizeof(found)), 0);
    setenv("PH_CHANGES_FIELD", "type", 1);
    pipeline_config *after = load_text(text);
    assert_int_equal(pipeline_config_changes(before, after, found, sizeof(found)),
                     PIPELINE_CHANGE_STAGES);
    assert_string_equal(found, "processors[0].config");
    pipeline_config_free(before);
    pipeline_config_free(same);
    pipeline_config_free(after);
    free(text);
    unsetenv("PH_CHANGES_FIELD");
}

static void test_the_list_is_cut_to_its_buffer(void **state)
{
    char *text = edited("commit_interval_ms: 200\n", "commit_interval_ms: 500\nworkers: 3\n");
    pipeline_config *before = load_text(base);
    pipeline_config *after = load_text(text);
    char found[12];
    assert_int_equal(pipeline_config_changes(before, after, found, sizeof(found)),
                     PIPELINE_CHANGE_COMMIT_INTERVAL | PIPELINE_CHANGE_WORKERS);
    assert_string_equal(found, "commit_inte");
    pipeline_config_free(before);
    pipeline_config_free(after);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_same_file_is_no_change),
        cmocka_unit_test(test_a_config_written_another_way_is_no_change),
        cmocka_unit_test(test_a_processor_config_is_a_stage_change),
        cmocka_unit_test(test_a_new_processor_is_a_stage_change),
        cmocka_unit_test(test_a_renamed_stage_is_a_stage_change),
        cmocka_unit_test(test_topics_are_a_subscription_change),
        cmocka_unit_test(test_brokers_and_properties_are_a_consumer_change),
        cmocka_unit_test(test_a_new_name_changes_the_default_group),
        cmocka_unit_test(test_sinks_and_errors_are_a_sink_change),
        cmocka_unit_test(test_settings_of_the_loop),
        cmocka_unit_test(test_watch_reads_as_a_boolean),
        cmocka_unit_test(test_an_environment_change_is_a_change),
        cmocka_unit_test(test_the_list_is_cut_to_its_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
