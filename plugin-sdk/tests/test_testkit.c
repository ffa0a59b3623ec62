/* The test kit's fake host and transcript, driven through test_host_api
 * as a plugin would call it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipehost/testkit.h"

static ph_record record_at(int64_t offset, const char *value)
{
    return (ph_record){.value = value, .value_len = value != NULL ? strlen(value) : 0,
                       .topic = "t", .offset = offset, .timestamp_ms = -1};
}

/* A JSON-lines file with text; its path is written into path. */
static void write_file(char *path, size_t size, const char *text)
{
    snprintf(path, size, "/tmp/pipehost-testkit-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *transcript_text(const json_t *lines)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    assert_int_equal(test_transcript_write(lines, out), 0);
    fclose(out);
    return text;
}

/* Per call, the rejections come before the emits, as pipehost reports them. */
static void test_transcript_orders_each_call_as_pipehost(void **state)
{
    (void)state;
    ph_context host;
    ph_record first = record_at(10, "{}"), second = record_at(11, "{}");
    json_t *lines = json_array();

    test_host_init(&host);
    assert_int_equal(test_host_api.emit(&host, &first, "k", 1, "{\"a\":1}", 7), 0);
    assert_int_equal(test_host_api.reject(&host, &second, "bad %d", 2), PH_REJECT);
    test_host_end_call(&host);
    json_t *value = json_pack("{s:i}", "b", 2);
    assert_int_equal(test_host_api.emit_json(&host, NULL, NULL, value), 0);
    json_decref(value);
    test_host_end_call(&host);
    assert_int_equal(test_host_transcript(&host, lines), 0);
    assert_int_equal(test_transcript_flush(lines, PH_FLUSH_FINAL, PH_OFFSET_NONE), 0);
    char *text = transcript_text(lines);
    assert_string_equal(text,
                        "{\"offset\":11,\"reject\":\"bad 2\"}\n"
                        "{\"emit\":{\"a\":1},\"key\":\"k\",\"offset\":10}\n"
                        "{\"emit\":{\"b\":2},\"key\":null,\"offset\":-1}\n"
                        "{\"flush\":\"final\",\"retain_offset\":null}\n");
    free(text);
    json_decref(lines);
    test_host_release(&host);
}

static void test_transcript_lines(void **state)
{
    (void)state;
    json_t *lines = json_array();

    assert_int_equal(test_transcript_emit(lines, NULL, 0, "not json", 8, 3), 0);
    assert_int_equal(test_transcript_emit(lines, "k", 1, NULL, 0, 4), 0);
    assert_int_equal(test_transcript_flush(lines, PH_FLUSH_CHECKPOINT, 5), 0);
    assert_int_equal(test_transcript_restart(lines, 2, "{\"next\":5}"), 0);
    assert_int_equal(test_transcript_restart(lines, 0, NULL), 0);
    char *text = transcript_text(lines);
    assert_string_equal(text,
                        "{\"emit\":\"not json\",\"key\":null,\"offset\":3}\n"
                        "{\"emit\":null,\"key\":\"k\",\"offset\":4}\n"
                        "{\"flush\":\"checkpoint\",\"retain_offset\":5}\n"
                        "{\"checkpoint\":\"{\\\"next\\\":5}\",\"restart\":2}\n"
                        "{\"checkpoint\":null,\"restart\":0}\n");
    free(text);
    json_decref(lines);
}

/* Equal as JSON whatever the spacing and key order; each difference told. */
static void test_diff(void **state)
{
    (void)state;
    char path[64], *report = NULL;
    size_t size = 0;
    json_t *lines = json_array();

    test_transcript_reject(lines, "late", 1);
    test_transcript_flush(lines, PH_FLUSH_FINAL, 0);
    write_file(path, sizeof(path), "{ \"offset\": 1, \"reject\": \"late\" }\n"
                                   "{\"retain_offset\": 0, \"flush\": \"final\"}\n");
    FILE *out = open_memstream(&report, &size);
    assert_int_equal(test_transcript_diff(lines, path, out), 0);
    fclose(out);
    assert_string_equal(report, "");
    free(report);
    unlink(path);

    write_file(path, sizeof(path), "{\"offset\": 1, \"reject\": \"early\"}\n");
    out = open_memstream(&report, &size);
    assert_int_equal(test_transcript_diff(lines, path, out), 1);
    fclose(out);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "%s:1:\n  expected {\"offset\":1,\"reject\":\"early\"}\n"
             "  actual   {\"offset\":1,\"reject\":\"late\"}\n"
             "%s:2:\n  expected (nothing)\n"
             "  actual   {\"flush\":\"final\",\"retain_offset\":0}\n"
             "2 of 2 lines differ\n", path, path);
    assert_string_equal(report, expected);
    free(report);
    unlink(path);

    out = open_memstream(&report, &size);
    assert_int_equal(test_transcript_diff(lines, "/nonexistent/expect.jsonl", out), -1);
    fclose(out);
    assert_string_equal(report, "/nonexistent/expect.jsonl: No such file or directory\n");
    free(report);
    json_decref(lines);
}

static int failures_seen;
static char last_failure[256];

static void record_failure(const char *message)
{
    failures_seen++;
    snprintf(last_failure, sizeof(last_failure), "%s", message);
}

/* keys_required: a keyless emit is reported, and still taken. */
static void test_keyless_emit_is_a_failure(void **state)
{
    (void)state;
    ph_context host;
    ph_record origin = record_at(0, "1");

    test_host_init(&host);
    host.keys_required = 1;
    host.on_failure = record_failure;
    assert_int_equal(test_host_api.emit(&host, &origin, "k", 1, "1", 1), 0);
    assert_int_equal(failures_seen, 0);
    assert_int_equal(test_host_api.emit(&host, &origin, NULL, 0, "2", 1), 0);
    assert_int_equal(failures_seen, 1);
    assert_string_equal(last_failure, "test host: an emit without a key while keys are required");
    assert_int_equal(host.keyless_emits, 1);
    assert_int_equal(host.emit_count, 2);
    test_host_clear(&host);
    assert_int_equal(host.emit_count, 0);
    assert_true(host.on_failure == record_failure);
    test_host_release(&host);
}

static void test_lines_read_keeps_empty_lines(void **state)
{
    (void)state;
    char path[64], err[128] = "";
    size_t count = 0;

    write_file(path, sizeof(path), "a\n\nc");
    char **lines = test_lines_read(path, &count, err, sizeof(err));
    assert_non_null(lines);
    assert_int_equal(count, 3);
    assert_string_equal(lines[0], "a");
    assert_string_equal(lines[1], "");
    assert_string_equal(lines[2], "c");
    test_lines_free(lines, count);
    unlink(path);
    assert_null(test_lines_read("/nonexistent/in.jsonl", &count, err, sizeof(err)));
    assert_string_equal(err, "/nonexistent/in.jsonl: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcript_orders_each_call_as_pipehost),
        cmocka_unit_test(test_transcript_lines),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_keyless_emit_is_a_failure),
        cmocka_unit_test(test_lines_read_keeps_empty_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
