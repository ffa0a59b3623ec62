/* The observability keys of a pipeline file: http.listen and stall_after
 * (their mistakes are in tests/data/config/broken). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/pipeline_config.h"

#define BASE "name: orders\nkafka:\n  topics: [clickstream]\nsinks:\n  - type: stdout\n"

/* Load BASE followed by extra, through a file as pipehost reads one. */
static pipeline_config *load(const char *extra)
{
    char path[] = "/tmp/pipehost-test-http-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    fprintf(file, "%s%s", BASE, extra);
    fclose(file);
    config_error err;
    pipeline_config *config = pipeline_config_load(path, &err);
    unlink(path);
    if (!config)
        fail_msg("%s", err.text);
    return config;
}

static void test_without_http_there_is_no_endpoint(void **state)
{
    (void)state;
    pipeline_config *config = load("");
    assert_null(config->http_listen);
    assert_int_equal(config->stall_after_ms, 60000);
    pipeline_config_free(config);
    config = load("http:\n"); /* null: not set */
    assert_null(config->http_listen);
    pipeline_config_free(config);
}

static void test_http_listens_where_it_is_told(void **state)
{
    (void)state;
    pipeline_config *config = load("http: {}\n");
    assert_string_equal(config->http_listen, "127.0.0.1:9464");
    pipeline_config_free(config);
    config = load("http: {listen: \"0.0.0.0:9100\"}\n");
    assert_string_equal(config->http_listen, "0.0.0.0:9100");
    pipeline_config_free(config);
    config = load("http:\n  listen: \"[::1]:0\"\n");
    assert_string_equal(config->http_listen, "[::1]:0");
    pipeline_config_free(config);
}

static void test_stall_after_is_a_duration(void **state)
{
    (void)state;
    pipeline_config *config = load("stall_after: 2s\n");
    assert_int_equal(config->stall_after_ms, 2000);
    pipeline_config_free(config);
    config = load("stall_after: 5m\n");
    assert_int_equal(config->stall_after_ms, 300000);
    pipeline_config_free(config);
    config = load("stall_after: 0\n"); /* off */
    assert_int_equal(config->stall_after_ms, 0);
    pipeline_config_free(config);
    config = load("stall_after: 500ms\n");
    assert_int_equal(config->stall_after_ms, 500);
    pipeline_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_http_there_is_no_endpoint),
        cmocka_unit_test(test_http_listens_where_it_is_told),
        cmocka_unit_test(test_stall_after_is_a_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
