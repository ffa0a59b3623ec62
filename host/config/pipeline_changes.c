#include "config/pipeline_changes.h"

#include <stdio.h>
#include <string.h>

#include "config/yaml_json.h"

void pipeline_changes_append(char *what, size_t size, const char *text)
{
    if (size == 0)
        return;
    size_t used = strlen(what);
    const char *pieces[2] = {used ? ", " : "", text};
    for (int k = 0; k < 2; k++) {
        for (const char *c = pieces[k]; *c && used + 1 < size; c++)
            what[used++] = *c;
    }
    what[used] = '\0';
}

/* The changes found so far. */
typedef struct change_list {
    unsigned bits;
    char *text;
    size_t size;
} change_list;

static void note(change_list *changes, unsigned bit, const char *key)
{
    changes->bits |= bit;
    pipeline_changes_append(changes->text, changes->size, key);
}

static int same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int same_strings(char *const *a, size_t a_count, char *const *b, size_t b_count)
{
    if (a_count != b_count)
        return 0;
    for (size_t i = 0; i < a_count; i++) {
        if (!same_text(a[i], b[i]))
            return 0;
    }
    return 1;
}

static int same_properties(const kafka_property *a, size_t a_count, const kafka_property *b,
                           size_t b_count)
{
    if (a_count != b_count)
        return 0;
    for (size_t i = 0; i < a_count; i++) {
        if (!same_text(a[i].name, b[i].name) || !same_text(a[i].value, b[i].value))
            return 0;
    }
    return 1;
}

/* Two `config:` mappings as the plugin would get them (before defaults). */
static int same_settings(const yaml_node *a, const yaml_node *b)
{
    if (!a || !b)
        return a == b;
    config_error err;
    json_t *a_json = yaml_to_json(a, &err);
    json_t *b_json = yaml_to_json(b, &err);
    int same = a_json && b_json && json_equal(a_json, b_json);
    json_decref(a_json);
    json_decref(b_json);
    return same;
}

static void compare_stage(change_list *changes, unsigned bit, const char *where,
                          const stage_config *a, const stage_config *b)
{
    char key[300];
    if (!same_text(a->plugin, b->plugin)) {
        snprintf(key, sizeof(key), "%s.plugin", where);
        note(changes, bit, key);
    }
    if (!same_text(a->name, b->name)) {
        snprintf(key, sizeof(key), "%s.name", where);
        note(changes, bit, key);
    }
    if (!same_settings(a->config, b->config)) {
        snprintf(key, sizeof(key), "%s.config", where);
        note(changes, bit, key);
    }
}

static void compare_processors(change_list *changes, const pipeline_config *a,
                               const pipeline_config *b)
{
    if (a->processor_count != b->processor_count) {
        note(changes, PIPELINE_CHANGE_STAGES, "processors");
        return;
    }
    for (size_t i = 0; i < a->processor_count; i++) {
        char where[48];
        snprintf(where, sizeof(where), "processors[%zu]", i);
        compare_stage(changes, PIPELINE_CHANGE_STAGES, where, &a->processors[i],
                      &b->processors[i]);
    }
}

static void compare_sinks(change_list *changes, const pipeline_config *a,
                          const pipeline_config *b)
{
    if (a->sink_count != b->sink_count) {
        note(changes, PIPELINE_CHANGE_SINKS, "sinks");
        return;
    }
    for (size_t i = 0; i < a->sink_count; i++) {
        const sink_config *x = &a->sinks[i], *y = &b->sinks[i];
        char where[48];
        snprintf(where, sizeof(where), "sinks[%zu]", i);
        if (x->type != y->type || !same_text(x->path, y->path) || !same_text(x->topic, y->topic))
            note(changes, PIPELINE_CHANGE_SINKS, where);
        else if (x->type == SINK_PLUGIN)
            compare_stage(changes, PIPELINE_CHANGE_SINKS, where, &x->stage, &y->stage);
    }
}

unsigned pipeline_config_changes(const pipeline_config *before, const pipeline_config *after,
                                 char *what, size_t what_size)
{
    change_list changes = {0, what, what_size};
    const pipeline_config *a = before, *b = after;
    if (what_size > 0)
        what[0] = '\0';

    if (!same_text(a->name, b->name))
        note(&changes, PIPELINE_CHANGE_SINKS, "name");
    if (!same_text(a->brokers, b->brokers))
        note(&changes, PIPELINE_CHANGE_CONSUMER, "kafka.brokers");
    if (!same_text(a->group, b->group))
        note(&changes, PIPELINE_CHANGE_CONSUMER, "kafka.group");
    if (!same_strings(a->topics, a->topic_count, b->topics, b->topic_count))
        note(&changes, PIPELINE_CHANGE_TOPICS, "kafka.topics");
    if (!same_properties(a->properties, a->property_count, b->properties, b->property_count))
        note(&changes, PIPELINE_CHANGE_CONSUMER, "kafka.properties");
    if (!same_properties(a->producer_properties, a->producer_property_count,
                         b->producer_properties, b->producer_property_count))
        note(&changes, PIPELINE_CHANGE_SINKS, "kafka.producer_properties");
    if (a->embedded_partitions != b->embedded_partitions)
        note(&changes, PIPELINE_CHANGE_TOPICS, "kafka.embedded_partitions");
    if (!same_strings(a->plugin_dirs, a->plugin_dir_count, b->plugin_dirs, b->plugin_dir_count) ||
        !same_text(a->base_dir, b->base_dir))
        note(&changes, PIPELINE_CHANGE_STAGES, "plugin_dirs");
    compare_processors(&changes, a, b);
    compare_sinks(&changes, a, b);
    if (a->on_error != b->on_error)
        note(&changes, PIPELINE_CHANGE_SINKS, "on_error");
    if (!same_text(a->dead_letter_topic, b->dead_letter_topic))
        note(&changes, PIPELINE_CHANGE_SINKS, "dead_letter");
    if (a->commit_interval_ms != b->commit_interval_ms)
        note(&changes, PIPELINE_CHANGE_COMMIT_INTERVAL, "commit_interval_ms");
    if (a->workers != b->workers)
        note(&changes, PIPELINE_CHANGE_WORKERS, "workers");
    if (a->watch != b->watch)
        note(&changes, PIPELINE_CHANGE_WATCH, "watch");
    return changes.bits;
}
