/*
 * One shipped plugin's process path, driven by the plugin test kit
 * (cli/plugin_test_run.h: the host's own task, stages, record_json and
 * checkpoints), with the plugin's sources compiled into this harness.
 * FUZZ_PLUGIN names the plugin, FUZZ_PIPELINE the shipped pipeline file
 * whose stage config it runs with.
 *
 * Input: byte 0 picks a checkpoint interval (0-7 records, 0: none), byte
 * 1 a crash point (0-31 records, 0: none), the rest is record values, one
 * per line (at most MAX_RECORDS).
 *
 * Besides the sanitizers, the at-least-once promise is checked: the run
 * with a crash and restart, and the same run without it,
 *   - lose nothing: every distinct record the uninterrupted run emitted,
 *     the crashed run emitted too;
 *   - agree on the latest value of every key (results are upserts), but
 *     for event records: with FUZZ_EVENT_TYPE set, emitted objects whose
 *     "type" is that are events, which a restart may repeat (the
 *     iot_telemetry README: alert state not covered by the replay);
 *   - reject the same offsets for the same reasons.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/plugin_test_run.h"
#include "config/pipeline_config.h"

#define MAX_RECORDS 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The plugin compiled in. */
const ph_descriptor *ph_plugin_descriptor(void);

static json_t *plugin_config;

/* The plugin's config as the shipped pipeline file sets it. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    config_error err;
    pipeline_config *pipeline = pipeline_config_load(FUZZ_PIPELINE, &err);

    (void)argc;
    (void)argv;
    if (pipeline == NULL) {
        fprintf(stderr, "%s\n", err.text);
        exit(2);
    }
    for (size_t i = 0; i < pipeline->processor_count && plugin_config == NULL; i++) {
        if (strcmp(pipeline->processors[i].plugin, FUZZ_PLUGIN) == 0 &&
            (plugin_config = plugin_config_build(&pipeline->processors[i],
                                                ph_plugin_descriptor(), &err)) == NULL) {
            fprintf(stderr, "%s\n", err.text);
            exit(2);
        }
    }
    pipeline_config_free(pipeline);
    if (plugin_config == NULL) {
        fprintf(stderr, "%s has no stage of plugin %s\n", FUZZ_PIPELINE, FUZZ_PLUGIN);
        exit(2);
    }
    return 0;
}

/* Split text at newlines, in place: at most MAX_RECORDS values. */
static size_t split_lines(char *text, char **values)
{
    size_t count = 0;

    while (count < MAX_RECORDS) {
        char *newline = strchr(text, '\n');
        values[count++] = text;
        if (newline == NULL)
            break;
        *newline = '\0';
        text = newline + 1;
    }
    return count;
}

static int is_event(const json_t *value)
{
#ifdef FUZZ_EVENT_TYPE
    const char *type = json_string_value(json_object_get(value, "type"));
    return type != NULL && strcmp(type, FUZZ_EVENT_TYPE) == 0;
#else
    (void)value;
    return 0;
#endif
}

/* What a consumer of the output keeps: every distinct record (key and
 * value), the latest value per key of upserts, every rejection. */
static json_t *outcome(json_t *lines)
{
    json_t *distinct = json_object(), *latest = json_object(), *rejects = json_object();
    size_t i;
    json_t *line;

    json_array_foreach(lines, i, line) {
        json_t *emit = json_object_get(line, "emit");
        json_t *reject = json_object_get(line, "reject");
        if (emit != NULL) {
            json_t *key = json_object_get(line, "key");
            json_t *record = json_pack("[O, O]", key, emit);
            char *text = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
            if (text != NULL)
                json_object_set_new(distinct, text, json_true());
            if (json_is_string(key) && !is_event(emit))
                json_object_set(latest, json_string_value(key), emit);
            free(text);
            json_decref(record);
        } else if (reject != NULL) {
            char name[64];
            snprintf(name, sizeof(name), "%lld",
                     (long long)json_integer_value(json_object_get(line, "offset")));
            json_object_set(rejects, name, reject);
        }
    }
    return json_pack("{s:o, s:o, s:o}", "distinct", distinct, "latest", latest, "rejects",
                     rejects);
}

/* Whether the crashed run kept the promise the uninterrupted run sets. */
static int same_outcome(json_t *crashed, json_t *uninterrupted)
{
    json_t *emitted = json_object_get(crashed, "distinct");
    const char *record;
    json_t *unused;

    json_object_foreach(json_object_get(uninterrupted, "distinct"), record, unused) {
        if (json_object_get(emitted, record) == NULL)
            return 0;
    }
    return json_equal(json_object_get(crashed, "latest"),
                      json_object_get(uninterrupted, "latest")) &&
           json_equal(json_object_get(crashed, "rejects"),
                      json_object_get(uninterrupted, "rejects"));
}

static int run(char *const *values, size_t count, const plugin_test_options *options,
               json_t *lines)
{
    char err[1024];
    const ph_descriptor *plugin = ph_plugin_descriptor();

    return plugin_test_run(plugin, plugin->name, plugin_config, values, count, options, lines,
                           err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plugin_test_options options = {.partition = 0};
    char *values[MAX_RECORDS];
    json_t *crashed, *uninterrupted;
    char *text;
    size_t count;

    if (size < 2)
        return 0;
    options.checkpoint_every = data[0] % 8;
    options.crash_after = data[1] % 32;
    if ((text = malloc(size - 1)) == NULL)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    count = split_lines(text, values);

    crashed = json_array();
    uninterrupted = json_array();
    int crashed_rc = run(values, count, &options, crashed);
    options.crash_after = 0;
    int uninterrupted_rc = run(values, count, &options, uninterrupted);
    if (crashed_rc == 0 && uninterrupted_rc == 0) {
        json_t *a = outcome(crashed), *b = outcome(uninterrupted);
        if (!same_outcome(a, b)) {
            char *with = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
            char *without = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
            fprintf(stderr, "a crash and restart changed the outcome\n  with:    %s\n"
                            "  without: %s\n", with, without);
            abort();
        }
        json_decref(a);
        json_decref(b);
    }
    json_decref(crashed);
    json_decref(uninterrupted);
    free(text);
    return 0;
}
