/* One plugin instance on the fake host, loaded and called as pipehost does. */
#include "pipehost/testkit.h"

#include <stdio.h>
#include <stdlib.h>

#include "plugin/plugin_loader.h"

plugin_test *plugin_test_load(const char *path, char *err, size_t err_size)
{
    plugin_test *test = calloc(1, sizeof(*test));

    if (test == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    test_host_init(&test->host);
    test->plugin = plugin_load(path, err, err_size);
    if (test->plugin == NULL) {
        free(test);
        return NULL;
    }
    return test;
}

const ph_descriptor *plugin_test_descriptor(const plugin_test *test)
{
    return test->plugin->descriptor;
}

const char *plugin_test_name(const plugin_test *test)
{
    return test->plugin->name;
}

void plugin_test_free(plugin_test *test)
{
    if (test == NULL)
        return;
    plugin_test_destroy(test);
    test_host_release(&test->host);
    plugin_unload(test->plugin);
    free(test);
}

int plugin_test_init(plugin_test *test, const json_t *config, char *err, size_t err_size)
{
    /* A second init would leak the first instance. */
    if (test->instance != NULL) {
        snprintf(err, err_size, "the test already has an instance: destroy it first");
        return -1;
    }
    return test->plugin->descriptor->init(&test_host_api, &test->host, config, &test->instance,
                                          err, err_size);
}

int plugin_test_init_text(plugin_test *test, const char *config_text, char *err,
                          size_t err_size)
{
    json_error_t error;
    json_t *config = json_loads(config_text, JSON_ALLOW_NUL, &error);
    int result;

    if (config == NULL) {
        snprintf(err, err_size, "config is not JSON: %s", error.text);
        return -1;
    }
    result = plugin_test_init(test, config, err, err_size);
    json_decref(config);
    return result;
}

ph_status plugin_test_process(plugin_test *test, const ph_record *records, size_t count)
{
    ph_status status;

    if (count > 0)
        test->host.default_origin_offset = records[count - 1].offset;
    status = test->plugin->descriptor->process(test->instance, records, count);
    test_host_end_call(&test->host);
    return status;
}

ph_status plugin_test_flush(plugin_test *test, ph_flush_mode mode, int64_t *retain_offset)
{
    ph_status status = test->plugin->descriptor->flush(test->instance, mode, retain_offset);

    test_host_end_call(&test->host);
    return status;
}

void plugin_test_destroy(plugin_test *test)
{
    test->plugin->descriptor->destroy(test->instance);
    test->instance = NULL;
}
