/*
 * The SDK test kit's fake host (pipehost/testkit.h), with the cmocka
 * conveniences the plugins' unit tests share: a failure of the fake (a
 * keyless emit while keys are required, a capture lost for want of
 * memory) or of a step below fails the running test.
 */
#ifndef PIPEHOST_TESTS_PLUGIN_TEST_HOST_H
#define PIPEHOST_TESTS_PLUGIN_TEST_HOST_H

#include <stddef.h>

#include "pipehost/testkit.h"
#include "plugin/plugin_loader.h"

/* The plugin at path on a fake host that fails the running test on each
 * failure; NULL, with the reason on stderr, when it cannot be loaded. */
plugin_test *plugin_test_new(const char *path);

/* plugin_test_free(*state), as a cmocka teardown. */
int plugin_test_teardown(void **state);

/* Init from JSON config text; fails the test when the text is not JSON or
 * init fails. */
void plugin_test_start(plugin_test *test, const char *config_text);

/* Init from JSON config text must fail with exactly message. What init
 * left behind is destroyed, as the host does. */
void plugin_test_assert_init_fails(plugin_test *test, const char *config_text,
                                   const char *message);

/* Emit index's value parsed as JSON, owned by the host; fails the test
 * when there is no such emit or it is not JSON. */
json_t *test_host_emitted_json(ph_context *host, size_t index);

/* The reason of the latest rejection; fails the test when there is none. */
const char *test_host_last_reason(const ph_context *host);

#endif
