/*
 * rename_fields on the SDK test kit's fake host: what the golden files
 * cannot show (config errors, keys, counters), and one golden case run
 * through the fake host and diffed against the same expected file that
 * `pipehost test-plugin` checks.
 *
 * Plain C, no test framework: each check prints what failed; the exit
 * code is the number of failed checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/testkit.h>

static int failures;

#define CHECK(condition)                                                         \
    do {                                                                         \
        if (!(condition)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
                    #condition);                                                 \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static plugin_test *load(void)
{
    char err[512];
    plugin_test *test = plugin_test_load(PLUGIN_PATH, err, sizeof(err));

    if (test == NULL) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return test;
}

/* init with config_text fails with exactly message. */
static void check_init_error(const char *config_text, const char *message)
{
    plugin_test *test = load();
    char err[512] = "";

    CHECK(plugin_test_init_text(test, config_text, err, sizeof(err)) != 0);
    if (strcmp(err, message) != 0) {
        fprintf(stderr, "init error: expected \"%s\", got \"%s\"\n", message, err);
        failures++;
    }
    plugin_test_free(test);
}

static void test_config_errors(void)
{
    check_init_error("{\"renames\": {}, \"require\": false}",
                     "renames: name at least one field to rename");
    check_init_error("{\"renames\": {\"a\": 1}, \"require\": false}",
                     "renames: 'a' must map to a new field name");
    check_init_error("{\"renames\": {\"a\": \"\"}, \"require\": false}",
                     "renames: 'a' must map to a new field name");
    check_init_error("{\"renames\": {\"a\": \"x\", \"b\": \"x\"}, \"require\": false}",
                     "renames: 'a' and 'b' would both become 'x'");
}

/* The record's key goes out unchanged, bytes and all; the counter counts. */
static void test_keys_and_counter(void)
{
    plugin_test *test = load();
    char err[512] = "";
    static const char key[] = {'u', 0, '7'};
    static const char value[] = "{\"user_id\": 7, \"ts\": 1}";
    ph_record records[] = {
        {.key = key, .key_len = sizeof(key), .value = value, .value_len = strlen(value),
         .topic = "events", .offset = 41, .timestamp_ms = -1},
        {.value = value, .value_len = strlen(value), .topic = "events", .offset = 42,
         .timestamp_ms = -1},
    };
    int64_t retain = 0;

    CHECK(plugin_test_init_text(test, "{\"renames\": {\"user_id\": \"user\", \"ts\": \"time\"}, "
                                      "\"require\": false}", err, sizeof(err)) == 0);
    CHECK(plugin_test_process(test, records, 2) == PH_OK);
    CHECK(test->host.emit_count == 2);
    if (test->host.emit_count == 2) {
        CHECK(test->host.emits[0].key_len == sizeof(key));
        CHECK(memcmp(test->host.emits[0].key, key, sizeof(key)) == 0);
        CHECK(test->host.emits[0].origin_offset == 41);
        CHECK(test->host.emits[1].key == NULL);
        CHECK(strcmp(test->host.emits[1].value, "{\"user\":7,\"time\":1}") == 0);
    }
    CHECK(test_host_counter(&test->host, "renamed") == 4);
    CHECK(plugin_test_flush(test, PH_FLUSH_FINAL, &retain) == PH_OK);
    CHECK(retain == PH_OFFSET_NONE);
    CHECK(test->host.out_of_memory == 0);
    plugin_test_free(test);
}

/* The golden case `require` through the fake host: the same transcript. */
static void test_golden_case_on_fake_host(void)
{
    plugin_test *test = load();
    char err[512] = "";
    size_t count = 0;
    char **values = test_lines_read(GOLDEN_DIR "/require.input.jsonl", &count, err, sizeof(err));
    ph_record *records = calloc(count > 0 ? count : 1, sizeof(*records));
    json_t *transcript = json_array();
    int64_t retain = 0;

    CHECK(values != NULL && records != NULL && transcript != NULL);
    if (values == NULL || records == NULL || transcript == NULL) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < count; i++)
        records[i] = (ph_record){.value = values[i], .value_len = strlen(values[i]),
                                 .topic = "test", .offset = (int64_t)i, .timestamp_ms = -1};
    CHECK(plugin_test_init_text(test, "{\"renames\": {\"user_id\": \"user\", \"ts\": \"time\"}, "
                                      "\"require\": true}", err, sizeof(err)) == 0);
    CHECK(plugin_test_process(test, records, count) == PH_OK);
    CHECK(plugin_test_flush(test, PH_FLUSH_FINAL, &retain) == PH_OK);
    CHECK(test_host_transcript(&test->host, transcript) == 0);
    CHECK(test_transcript_flush(transcript, PH_FLUSH_FINAL, retain) == 0);
    CHECK(test_transcript_diff(transcript, GOLDEN_DIR "/require.expect.jsonl", stderr) == 0);
    json_decref(transcript);
    free(records);
    test_lines_free(values, count);
    plugin_test_free(test);
}

int main(void)
{
    test_config_errors();
    test_keys_and_counter();
    test_golden_case_on_fake_host();
    printf("%s\n", failures == 0 ? "all checks passed" : "some checks failed");
    return failures;
}
