/*
 * The golden-test transcript: what a plugin did as JSON lines, the format
 * `pipehost test-plugin` prints and the golden files (CASE.expect.jsonl)
 * hold.
 */
#include "pipehost/testkit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int append(json_t *lines, json_t *line)
{
    return line != NULL ? json_array_append_new(lines, line) : -1;
}

/* The value's JSON, or its bytes as a JSON string when they are not JSON. */
static json_t *value_as_json(const void *value, size_t value_len)
{
    if (value == NULL)
        return json_null();
    json_t *parsed = json_loadb(value, value_len, JSON_DECODE_ANY, NULL);
    return parsed != NULL ? parsed : json_stringn(value, value_len);
}

int test_transcript_emit(json_t *lines, const void *key, size_t key_len, const void *value,
                         size_t value_len, int64_t offset)
{
    json_t *key_json = key != NULL ? json_stringn(key, key_len) : json_null();
    return append(lines, json_pack("{s:o, s:o, s:I}", "emit", value_as_json(value, value_len),
                                   "key", key_json, "offset", (json_int_t)offset));
}

int test_transcript_reject(json_t *lines, const char *reason, int64_t offset)
{
    return append(lines, json_pack("{s:s, s:I}", "reject", reason, "offset", (json_int_t)offset));
}

int test_transcript_flush(json_t *lines, ph_flush_mode mode, int64_t retain_offset)
{
    return append(lines, json_pack("{s:s, s:o}", "flush",
                                   mode == PH_FLUSH_FINAL ? "final" : "checkpoint",
                                   "retain_offset",
                                   retain_offset >= 0 ? json_integer(retain_offset)
                                                      : json_null()));
}

int test_transcript_restart(json_t *lines, int64_t offset, const char *checkpoint)
{
    return append(lines, json_pack("{s:I, s:o}", "restart", (json_int_t)offset, "checkpoint",
                                   checkpoint != NULL ? json_string(checkpoint) : json_null()));
}

int test_transcript_write(const json_t *lines, FILE *out)
{
    size_t i;
    json_t *line;

    json_array_foreach(lines, i, line) {
        if (json_dumpf(line, out, JSON_COMPACT | JSON_SORT_KEYS) != 0)
            return -1;
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

/* Print one differing line; want or got may be NULL (missing). */
static void report_difference(FILE *report, const char *expect_path, size_t line_number,
                              const json_t *want, const json_t *got)
{
    char *want_text = want != NULL ? json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *got_text = got != NULL ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    fprintf(report, "%s:%zu:\n  expected %s\n  actual   %s\n", expect_path, line_number,
            want_text != NULL ? want_text : "(nothing)", got_text != NULL ? got_text : "(nothing)");
    free(want_text);
    free(got_text);
}

int test_transcript_diff(const json_t *lines, const char *expect_path, FILE *report)
{
    char err[512];
    size_t count;
    char **expected = test_lines_read(expect_path, &count, err, sizeof(err));

    if (expected == NULL) {
        fprintf(report, "%s\n", err);
        return -1;
    }
    size_t actual = json_array_size(lines);
    size_t differences = 0;
    for (size_t i = 0; i < count || i < actual; i++) {
        json_t *want = NULL;
        if (i < count) {
            json_error_t error;
            want = json_loads(expected[i], JSON_DECODE_ANY, &error);
            if (want == NULL) {
                fprintf(report, "%s:%zu: not JSON: %s\n", expect_path, i + 1, error.text);
                differences++;
                continue;
            }
        }
        json_t *got = json_array_get(lines, i);
        if (want == NULL || got == NULL || !json_equal(want, got)) {
            report_difference(report, expect_path, i + 1, want, got);
            differences++;
        }
        json_decref(want);
    }
    test_lines_free(expected, count);
    if (differences > 0)
        fprintf(report, "%zu of %zu lines differ\n", differences, count > actual ? count : actual);
    return differences > 0 ? 1 : 0;
}

char **test_lines_read(const char *path, size_t *count, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char **lines = NULL;
    size_t n = 0, capacity = 0;
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    int failed = 0;
    while (!failed && (len = getline(&line, &size, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (n == capacity) {
            capacity = capacity > 0 ? capacity * 2 : 64;
            char **grown = realloc(lines, capacity * sizeof(*lines));
            if (grown == NULL) {
                failed = 1;
                break;
            }
            lines = grown;
        }
        lines[n++] = line;
        line = NULL;
        size = 0;
    }
    free(line);
    int read_error = ferror(f);
    fclose(f);
    if (!failed && !read_error && lines == NULL && (lines = calloc(1, sizeof(*lines))) == NULL)
        failed = 1;
    if (failed || read_error) {
        snprintf(err, err_size, "%s: %s", path, failed ? "out of memory" : "read error");
        test_lines_free(lines, n);
        return NULL;
    }
    *count = n;
    return lines;
}

void test_lines_free(char **lines, size_t count)
{
    if (lines == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(lines[i]);
    free(lines);
}
