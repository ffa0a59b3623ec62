/*
 * Loading a pipeline file: parse, expand ${VAR}, check every key.
 *
 * Checks run in file-reading order and stop at the first error, so a
 * message always points at one node. A key set to null counts as not set.
 */
#include "config/pipeline_config.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_read.h"
#include "config/config_secrets.h"
#include "config/env_expand.h"
#include "config/yaml_scalar.h"
#include "config/yaml_tree.h"
#include "services/listen_address.h"

#define TOP_LEVEL "the pipeline"
#define PATH_SIZE 256

#define DEFAULT_BROKERS "embedded"
#define DEFAULT_EMBEDDED_PARTITIONS 4
#define MAX_EMBEDDED_PARTITIONS 1024
#define DEFAULT_COMMIT_INTERVAL_MS 1000
#define MIN_COMMIT_INTERVAL_MS 10
#define MAX_COMMIT_INTERVAL_MS (24 * 3600 * 1000) /* keeps now + interval far from overflow */
#define MAX_WORKERS 256
#define DEFAULT_HTTP_LISTEN "127.0.0.1:9464"
#define DEFAULT_STALL_AFTER_MS 60000
#define MIN_STALL_AFTER_MS 500 /* the watchdog looks four times a second */

static const char *const pipeline_keys[] = {
    "name",     "kafka",       "plugin_dirs",        "processors", "sinks",
    "on_error", "dead_letter", "commit_interval_ms", "workers",    "allow_insecure_plugins",
    "http",     "stall_after", "watch",  NULL,
};
static const char *const kafka_keys[] = {
    "brokers",    "group",      "topics", "properties", "producer_properties",
    "embedded_partitions", NULL,
};
static const char *const stage_keys[] = {"plugin", "name", "config", NULL};
static const char *const http_keys[] = {"listen", NULL};
static const char *const dead_letter_keys[] = {"topic", NULL};
/* In the order of on_error_policy. */
static const char *const on_error_names[] = {"dead_letter", "skip", "stop", NULL};

/* The built-in sinks, in the order of builtin_sink_types, each with the
 * one setting it needs, if any. */
typedef struct builtin_sink {
    sink_type kind;
    const char *setting;
    const char *const *keys;
} builtin_sink;

static const char *const stdout_sink_keys[] = {"type", NULL};
static const char *const file_sink_keys[] = {"type", "path", NULL};
static const char *const kafka_sink_keys[] = {"type", "topic", NULL};
static const char *const builtin_sink_types[] = {"stdout", "file", "kafka", NULL};
static const builtin_sink builtin_sinks[] = {
    {SINK_STDOUT, NULL, stdout_sink_keys},
    {SINK_FILE, "path", file_sink_keys},
    {SINK_KAFKA, "topic", kafka_sink_keys},
};

/* librdkafka properties the host sets itself: the commit protocol, the
 * group and brokers (which have their own keys) and callbacks. */
typedef struct reserved_property {
    const char *name;
    const char *reason;
} reserved_property;

static const reserved_property reserved_properties[] = {
    {"enable.auto.commit", "pipehost commits offsets itself, once every sink is durable"},
    {"enable.auto.offset.store", "pipehost stores offsets itself, once every sink is durable"},
    {"group.id", "set kafka.group instead"},
    {"bootstrap.servers", "set kafka.brokers instead"},
    {"metadata.broker.list", "set kafka.brokers instead"},
    {"enable.partition.eof", "pipehost decides when it needs end-of-partition events"},
    /* Both make librdkafka dlopen a library named in the pipeline file,
     * past the checks plugins go through. */
    {"plugin.library.paths", "pipehost loads code only as plugins, from its plugin folders"},
    {"ssl.engine.location", "pipehost loads code only as plugins, from its plugin folders"},
};

static void join_path(char *buf, const char *parent, const char *key)
{
    /* A path longer than the buffer is only cut short in a message. */
    if (snprintf(buf, PATH_SIZE, "%s.%s", parent, key) >= PATH_SIZE)
        buf[PATH_SIZE - 1] = '\0';
}

static void item_path(char *buf, const char *list, size_t index)
{
    if (snprintf(buf, PATH_SIZE, "%s[%zu]", list, index) >= PATH_SIZE)
        buf[PATH_SIZE - 1] = '\0';
}

static int out_of_memory(const yaml_node *node, config_error *err)
{
    config_error_set(err, &node->mark, "out of memory");
    return -1;
}

/* Names that become file or topic names: letters, digits, '.', '_', '-'. */
static int check_identifier(const yaml_node *node, const char *path, const char *role,
                            config_error *err)
{
    static const char allowed[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    char found[320];

    if (strspn(node->text, allowed) == strlen(node->text))
        return 0;
    config_error_set(err, &node->mark,
                     "'%s' may hold only letters, digits, '.', '_' and '-' (%s), got %s", path,
                     role, yaml_node_describe(node, found, sizeof(found)));
    return -1;
}

/* An optional non-empty string; fallback (may be NULL) when not set. */
static int read_optional_string(const yaml_node *mapping, const char *key, const char *path,
                                const char *fallback, char **value, config_error *err)
{
    const yaml_node *node = config_optional(mapping, key);
    config_subject what = {path, NULL};

    if (node != NULL)
        return config_read_string(node, &what, 0, value, err);
    *value = NULL;
    if (fallback != NULL && (*value = strdup(fallback)) == NULL)
        return out_of_memory(mapping, err);
    return 0;
}

static int read_required_string(const yaml_node *mapping, const char *key, const char *where,
                                const char *path, char **value, const yaml_node **node,
                                config_error *err)
{
    config_subject what = {path, NULL};

    if ((*node = config_required(mapping, key, where, err)) == NULL)
        return -1;
    return config_read_string(*node, &what, 0, value, err);
}

static int read_optional_int(const yaml_node *mapping, const char *key, const char *path,
                             int64_t min, int64_t max, int64_t fallback, int64_t *value,
                             config_error *err)
{
    const yaml_node *node = config_optional(mapping, key);
    config_subject what = {path, NULL};

    *value = fallback;
    return node != NULL ? config_read_int(node, &what, min, max, value, err) : 0;
}

/* A mapping the caller requires or allows, checked for unknown keys. */
static int check_mapping(const yaml_node *node, const char *path, const char *const *keys,
                         config_error *err)
{
    config_subject what = {path, NULL};

    if (config_expect(node, YAML_TREE_MAPPING, &what, err) != 0)
        return -1;
    return config_check_keys(node, keys, path, err);
}

static const char *reserved_reason(const char *name)
{
    size_t length = strlen(name);

    for (size_t i = 0; i < sizeof(reserved_properties) / sizeof(reserved_properties[0]); i++) {
        if (strcmp(name, reserved_properties[i].name) == 0)
            return reserved_properties[i].reason;
    }
    if (length >= 3 && strcmp(name + length - 3, "_cb") == 0)
        return "callbacks belong to pipehost";
    return NULL;
}

static int read_property(const yaml_pair *pair, const char *path, kafka_property *property,
                         config_error *err)
{
    const char *name = pair->key->text;
    const char *reason = reserved_reason(name);
    config_subject what = {name, path};

    if (reason != NULL) {
        config_error_set(err, &pair->key->mark, "property '%s' in %s is reserved: %s", name,
                         path, reason);
        return -1;
    }
    /* Numbers and booleans are handed over as written: librdkafka takes text. */
    if (pair->value->kind != YAML_TREE_SCALAR || yaml_node_is_null(pair->value)) {
        config_report_type(pair->value, &what, "a scalar (text, number or boolean)", err);
        return -1;
    }
    property->mark = pair->key->mark;
    if ((property->name = strdup(name)) == NULL ||
        (property->value = strdup(pair->value->text)) == NULL)
        return out_of_memory(pair->key, err);
    return 0;
}

static int read_properties(const yaml_node *kafka, const char *key, kafka_property **properties,
                           size_t *count, config_error *err)
{
    const yaml_node *node = config_optional(kafka, key);
    char path[PATH_SIZE];
    config_subject what = {path, NULL};

    join_path(path, "kafka", key);
    if (node == NULL)
        return 0;
    if (config_expect(node, YAML_TREE_MAPPING, &what, err) != 0)
        return -1;
    if (node->count == 0)
        return 0;
    if ((*properties = calloc(node->count, sizeof(**properties))) == NULL)
        return out_of_memory(node, err);
    while (*count < node->count) {
        size_t i = (*count)++; /* counted first: free releases a half-read one */
        if (read_property(&node->pairs[i], path, &(*properties)[i], err) != 0)
            return -1;
    }
    return 0;
}

static int read_topics(pipeline_config *config, const yaml_node *kafka, config_error *err)
{
    const yaml_node *node = config_required(kafka, "topics", "kafka", err);
    config_subject what = {"kafka.topics", NULL};

    if (node == NULL || config_read_string_list(node, &what, 0, &config->topics,
                                                &config->topic_count, err) != 0)
        return -1;
    if (config->topic_count == 0) {
        config_error_set(err, &node->mark, "'kafka.topics' must not be empty");
        return -1;
    }
    return 0;
}

static int read_kafka(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *kafka = config_required(root, "kafka", TOP_LEVEL, err);
    int64_t partitions;

    if (kafka == NULL || check_mapping(kafka, "kafka", kafka_keys, err) != 0)
        return -1;
    if (read_optional_string(kafka, "brokers", "kafka.brokers", DEFAULT_BROKERS,
                             &config->brokers, err) != 0 ||
        read_optional_string(kafka, "group", "kafka.group", config->name, &config->group,
                             err) != 0 ||
        read_topics(config, kafka, err) != 0 ||
        read_properties(kafka, "properties", &config->properties, &config->property_count,
                        err) != 0 ||
        read_properties(kafka, "producer_properties", &config->producer_properties,
                        &config->producer_property_count, err) != 0)
        return -1;
    if (read_optional_int(kafka, "embedded_partitions", "kafka.embedded_partitions", 1,
                          MAX_EMBEDDED_PARTITIONS, DEFAULT_EMBEDDED_PARTITIONS, &partitions,
                          err) != 0)
        return -1;
    config->embedded_partitions = (int)partitions;
    return 0;
}

/* A processor, or a sink that is a plugin: plugin, name, config. */
static int read_stage(stage_config *stage, const yaml_node *node, const char *where,
                      config_error *err)
{
    char path[PATH_SIZE];
    const yaml_node *plugin, *settings;

    if (check_mapping(node, where, stage_keys, err) != 0)
        return -1;
    stage->mark = node->mark;
    join_path(path, where, "plugin");
    if (read_required_string(node, "plugin", where, path, &stage->plugin, &plugin, err) != 0 ||
        check_identifier(plugin, path, "it names the file PLUGIN.so", err) != 0)
        return -1;
    stage->plugin_mark = plugin->mark;
    join_path(path, where, "name");
    if (read_optional_string(node, "name", path, stage->plugin, &stage->name, err) != 0)
        return -1;
    if ((settings = config_optional(node, "config")) != NULL) {
        config_subject what = {path, NULL};

        join_path(path, where, "config");
        if (config_expect(settings, YAML_TREE_MAPPING, &what, err) != 0)
            return -1;
        stage->config = settings;
    }
    return 0;
}

/* Stage names label logs, counters and dead letters: they must differ. */
static int check_stage_names(const pipeline_config *config, config_error *err)
{
    for (size_t i = 0; i < config->processor_count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(config->processors[i].name, config->processors[j].name) != 0)
                continue;
            config_error_set(err, &config->processors[i].mark,
                             "duplicate stage name '%s' in processors[%zu] (processors[%zu] has "
                             "it too; set 'name' to tell them apart)",
                             config->processors[i].name, i, j);
            return -1;
        }
    }
    return 0;
}

static int read_processors(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *list = config_optional(root, "processors");
    config_subject what = {"processors", NULL};
    char where[PATH_SIZE];

    if (list == NULL)
        return 0;
    if (config_expect(list, YAML_TREE_SEQUENCE, &what, err) != 0)
        return -1;
    if (list->count == 0)
        return 0;
    if ((config->processors = calloc(list->count, sizeof(*config->processors))) == NULL)
        return out_of_memory(list, err);
    while (config->processor_count < list->count) {
        size_t i = config->processor_count++;
        item_path(where, "processors", i);
        if (read_stage(&config->processors[i], list->items[i], where, err) != 0)
            return -1;
    }
    return check_stage_names(config, err);
}

static int read_builtin_sink(sink_config *sink, const yaml_node *node, const char *where,
                             config_error *err)
{
    char path[PATH_SIZE];
    config_subject what = {path, NULL};
    const builtin_sink *builtin;
    const yaml_node *setting;
    size_t index;

    join_path(path, where, "type");
    if (config_read_choice(yaml_mapping_get(node, "type"), &what, builtin_sink_types, &index,
                           err) != 0)
        return -1;
    builtin = &builtin_sinks[index];
    if (config_check_keys(node, builtin->keys, where, err) != 0)
        return -1;
    sink->type = builtin->kind;
    if (builtin->setting == NULL)
        return 0;
    join_path(path, where, builtin->setting);
    return read_required_string(node, builtin->setting, where, path,
                                builtin->kind == SINK_FILE ? &sink->path : &sink->topic,
                                &setting, err);
}

static int read_sink(sink_config *sink, const yaml_node *node, const char *where,
                     config_error *err)
{
    config_subject what = {where, NULL};
    int has_type, has_plugin;

    if (config_expect(node, YAML_TREE_MAPPING, &what, err) != 0)
        return -1;
    sink->mark = node->mark;
    has_type = config_optional(node, "type") != NULL;
    has_plugin = config_optional(node, "plugin") != NULL;
    if (has_type && has_plugin) {
        config_error_set(err, &node->mark,
                         "%s sets both 'type' and 'plugin' (a sink is a built-in type or a "
                         "plugin, not both)", where);
        return -1;
    }
    if (!has_type && !has_plugin) {
        config_error_set(err, &node->mark,
                         "%s needs 'type' (stdout, file or kafka) or 'plugin'", where);
        return -1;
    }
    if (has_type)
        return read_builtin_sink(sink, node, where, err);
    sink->type = SINK_PLUGIN;
    return read_stage(&sink->stage, node, where, err);
}

static int read_sinks(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *list = config_required(root, "sinks", TOP_LEVEL, err);
    config_subject what = {"sinks", NULL};
    char where[PATH_SIZE];

    if (list == NULL || config_expect(list, YAML_TREE_SEQUENCE, &what, err) != 0)
        return -1;
    if (list->count == 0) {
        config_error_set(err, &list->mark, "'sinks' must not be empty");
        return -1;
    }
    if ((config->sinks = calloc(list->count, sizeof(*config->sinks))) == NULL)
        return out_of_memory(list, err);
    while (config->sink_count < list->count) {
        size_t i = config->sink_count++;
        item_path(where, "sinks", i);
        if (read_sink(&config->sinks[i], list->items[i], where, err) != 0)
            return -1;
    }
    return 0;
}

static int read_on_error(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *node = config_optional(root, "on_error");
    config_subject what = {"on_error", NULL};
    size_t index;

    config->on_error = ON_ERROR_DEAD_LETTER;
    if (node == NULL)
        return 0;
    if (config_read_choice(node, &what, on_error_names, &index, err) != 0)
        return -1;
    config->on_error = (on_error_policy)index;
    return 0;
}

static int read_dead_letter(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *node = config_optional(root, "dead_letter");
    const yaml_node *topic;

    if (node == NULL)
        return 0;
    if (check_mapping(node, "dead_letter", dead_letter_keys, err) != 0)
        return -1;
    return read_required_string(node, "topic", "dead_letter", "dead_letter.topic",
                                &config->dead_letter_topic, &topic, err);
}

static int read_name(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *node;

    if (read_required_string(root, "name", TOP_LEVEL, "name", &config->name, &node, err) != 0)
        return -1;
    return check_identifier(node, "name", "it names the default group and dead-letter topic",
                            err);
}

/* Where plugins come from: plugin_dirs and allow_insecure_plugins. */
static int read_plugin_settings(pipeline_config *config, const yaml_node *root,
                                config_error *err)
{
    const yaml_node *dirs = config_optional(root, "plugin_dirs");
    const yaml_node *insecure = config_optional(root, "allow_insecure_plugins");
    config_subject what = {"plugin_dirs", NULL};
    config_subject insecure_what = {"allow_insecure_plugins", NULL};

    if (dirs != NULL && config_read_string_list(dirs, &what, 0, &config->plugin_dirs,
                                                &config->plugin_dir_count, err) != 0)
        return -1;
    return insecure != NULL ? config_read_bool(insecure, &insecure_what,
                                               &config->allow_insecure_plugins, err)
                            : 0;
}

static int read_limits(pipeline_config *config, const yaml_node *root, config_error *err)
{
    int64_t workers;

    if (read_optional_int(root, "commit_interval_ms", "commit_interval_ms",
                          MIN_COMMIT_INTERVAL_MS, MAX_COMMIT_INTERVAL_MS,
                          DEFAULT_COMMIT_INTERVAL_MS, &config->commit_interval_ms, err) != 0 ||
        read_optional_int(root, "workers", "workers", 0, MAX_WORKERS, 0, &workers, err) != 0)
        return -1;
    config->workers = (int)workers;
    return 0;
}

/* http: {listen: HOST:PORT}; no http key, no endpoint. */
static int read_http(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *http = config_optional(root, "http");
    const yaml_node *listen;
    listen_address address;
    char found[320];

    if (http == NULL)
        return 0;
    if (check_mapping(http, "http", http_keys, err) != 0 ||
        read_optional_string(http, "listen", "http.listen", DEFAULT_HTTP_LISTEN,
                             &config->http_listen, err) != 0)
        return -1;
    listen = config_optional(http, "listen");
    if (listen == NULL || listen_address_parse(config->http_listen, &address) == 0)
        return 0;
    config_error_set(err, &listen->mark,
                     "'http.listen' must be HOST:PORT with HOST an IP address or localhost "
                     "(127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464) and PORT from 0 to 65535, "
                     "got %s",
                     yaml_node_describe(listen, found, sizeof(found)));
    return -1;
}

/* stall_after: a duration, 0 to turn the stall watchdog off. */
static int read_stall_after(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *node = config_optional(root, "stall_after");
    config_subject what = {"stall_after", NULL};

    config->stall_after_ms = DEFAULT_STALL_AFTER_MS;
    if (node == NULL)
        return 0;
    if (config_read_duration(node, &what, &config->stall_after_ms, err) != 0)
        return -1;
    if (config->stall_after_ms == 0 || config->stall_after_ms >= MIN_STALL_AFTER_MS)
        return 0;
    config_error_set(err, &node->mark,
                     "'stall_after' must be 0 (off) or at least %dms, got %s", MIN_STALL_AFTER_MS,
                     node->text);
    return -1;
}

/* watch: reload when the file or one of its plugins changes. */
static int read_watch(pipeline_config *config, const yaml_node *root, config_error *err)
{
    const yaml_node *node = config_optional(root, "watch");
    config_subject what = {"watch", NULL};

    config->watch = 0;
    return node != NULL ? config_read_bool(node, &what, &config->watch, err) : 0;
}

static int read_pipeline(pipeline_config *config, const yaml_node *root, config_error *err)
{
    if (config_check_keys(root, pipeline_keys, TOP_LEVEL, err) != 0 ||
        read_name(config, root, err) != 0 || read_kafka(config, root, err) != 0 ||
        read_plugin_settings(config, root, err) != 0 || read_processors(config, root, err) != 0 ||
        read_sinks(config, root, err) != 0 || read_on_error(config, root, err) != 0 ||
        read_dead_letter(config, root, err) != 0 || read_limits(config, root, err) != 0 ||
        read_http(config, root, err) != 0 || read_stall_after(config, root, err) != 0 ||
        read_watch(config, root, err) != 0)
        return -1;
    return 0;
}

static int check_root(const yaml_tree *tree, config_error *err)
{
    config_mark start = {tree->file, 1, 1};
    char found[320];

    if (tree->root == NULL) {
        config_error_set(err, &start,
                         "the file is empty (a pipeline needs at least name, kafka and sinks)");
        return -1;
    }
    if (tree->root->kind == YAML_TREE_MAPPING)
        return 0;
    config_error_set(err, &tree->root->mark, "the top level must be a mapping, got %s",
                     yaml_node_describe(tree->root, found, sizeof(found)));
    return -1;
}

/* The absolute folder of path. */
static char *folder_of(const char *path, config_error *err)
{
    char *copy = strdup(path);
    char *folder;

    if (copy == NULL) {
        config_error_set_file(err, path, "out of memory");
        return NULL;
    }
    folder = realpath(dirname(copy), NULL);
    if (folder == NULL)
        config_error_set_file(err, path, "cannot resolve its folder: %s", strerror(errno));
    free(copy);
    return folder;
}

/* Check a parsed tree (taking it over, NULL when it did not parse). */
static pipeline_config *load_tree(yaml_tree *tree, const char *path, config_error *err)
{
    pipeline_config *config = calloc(1, sizeof(*config));

    if (config == NULL || (config->file = strdup(path)) == NULL) {
        free(config);
        yaml_tree_free(tree);
        config_error_set_file(err, path, "out of memory");
        return NULL;
    }
    /* Secrets are known before any check could quote one. */
    if ((config->tree = tree) == NULL || (config->base_dir = folder_of(path, err)) == NULL ||
        yaml_tree_expand_env(config->tree, err) != 0 ||
        config_register_secrets(config->tree, err) != 0 || check_root(config->tree, err) != 0 ||
        read_pipeline(config, config->tree->root, err) != 0) {
        pipeline_config_free(config);
        return NULL;
    }
    return config;
}

pipeline_config *pipeline_config_load(const char *path, config_error *err)
{
    return load_tree(yaml_tree_load_file(path, err), path, err);
}

pipeline_config *pipeline_config_load_text(const char *text, size_t length, const char *path,
                                           config_error *err)
{
    return load_tree(yaml_tree_load_text(text, length, path, err), path, err);
}

static void free_properties(kafka_property *properties, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(properties[i].name);
        free(properties[i].value);
    }
    free(properties);
}

static void free_stage(stage_config *stage)
{
    free(stage->plugin);
    free(stage->name);
}

void pipeline_config_free(pipeline_config *config)
{
    if (config == NULL)
        return;
    free(config->file);
    free(config->base_dir);
    free(config->name);
    free(config->brokers);
    free(config->group);
    config_free_strings(config->topics, config->topic_count);
    free_properties(config->properties, config->property_count);
    free_properties(config->producer_properties, config->producer_property_count);
    config_free_strings(config->plugin_dirs, config->plugin_dir_count);
    for (size_t i = 0; i < config->processor_count; i++)
        free_stage(&config->processors[i]);
    free(config->processors);
    for (size_t i = 0; i < config->sink_count; i++) {
        free(config->sinks[i].path);
        free(config->sinks[i].topic);
        free_stage(&config->sinks[i].stage);
    }
    free(config->sinks);
    free(config->dead_letter_topic);
    free(config->http_listen);
    yaml_tree_free(config->tree);
    free(config);
}
