#include "plugin_test_host.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

static void fail_test(const char *message)
{
    fail_msg("%s", message);
}

plugin_test *plugin_test_new(const char *path)
{
    char err[1024] = "";
    plugin_test *test = plugin_test_load(path, err, sizeof(err));

    if (test == NULL) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    test->host.on_failure = fail_test;
    return test;
}

int plugin_test_teardown(void **state)
{
    plugin_test_free(*state);
    return 0;
}

void plugin_test_start(plugin_test *test, const char *config_text)
{
    char err[256] = "";

    if (plugin_test_init_text(test, config_text, err, sizeof(err)) != 0)
        fail_msg("init: %s", err);
}

void plugin_test_assert_init_fails(plugin_test *test, const char *config_text,
                                   const char *message)
{
    char err[256] = "";
    int result = plugin_test_init_text(test, config_text, err, sizeof(err));

    plugin_test_destroy(test);
    assert_int_not_equal(result, 0);
    assert_string_equal(err, message);
}

json_t *test_host_emitted_json(ph_context *host, size_t index)
{
    json_t *value;

    assert_true(index < host->emit_count);
    value = test_host_emit_value(host, index);
    if (value == NULL)
        fail_msg("emitted value %zu is not JSON: %s", index, host->emits[index].value);
    return value;
}

const char *test_host_last_reason(const ph_context *host)
{
    assert_true(host->reject_count > 0);
    return host->rejects[host->reject_count - 1].reason;
}
