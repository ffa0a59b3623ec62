/*
 * The pipeline definition: what a pipeline YAML file says, validated.
 *
 * Loading happens in two steps because a plugin's configuration can only
 * be checked against the plugin's own schema once the plugin is loaded:
 *   1. pipeline_config_load() parses the file, expands ${VAR} references,
 *      and checks the pipeline's own keys;
 *   2. plugin_config_build() checks one stage's `config:` against the
 *      stage's declared schema and turns it into the JSON object the
 *      plugin's init receives.
 * Every error carries FILE:LINE:COL of the node at fault.
 */
#ifndef PIPEHOST_CONFIG_PIPELINE_CONFIG_H
#define PIPEHOST_CONFIG_PIPELINE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config_error.h"
#include "pipehost/plugin.h"

struct yaml_tree;
struct yaml_node;

typedef struct kafka_property {
    char *name;
    char *value;      /* as written: 5, true and "5" are all "5"/"true" text */
    config_mark mark; /* of the property's name */
} kafka_property;

typedef struct stage_config {
    char *plugin;                  /* plugin name, as in `plugin:` */
    char *name;                    /* `name:` or the plugin name: logs, dead letters */
    const struct yaml_node *config; /* the `config:` mapping, NULL if absent */
    config_mark mark;              /* of the stage's mapping */
    config_mark plugin_mark;       /* of the `plugin:` value */
} stage_config;

typedef enum sink_type {
    SINK_STDOUT = 1,
    SINK_FILE = 2,
    SINK_KAFKA = 3,
    SINK_PLUGIN = 4
} sink_type;

typedef struct sink_config {
    sink_type type;
    char *path;        /* SINK_FILE */
    char *topic;       /* SINK_KAFKA */
    stage_config stage; /* SINK_PLUGIN: plugin, name, config */
    config_mark mark;
} sink_config;

typedef enum on_error_policy {
    ON_ERROR_DEAD_LETTER = 0,
    ON_ERROR_SKIP = 1,
    ON_ERROR_STOP = 2
} on_error_policy;

typedef struct pipeline_config {
    char *file;     /* the path as given */
    char *base_dir; /* absolute folder of the file: relative plugin_dirs */
    char *name;

    char *brokers; /* "embedded" or a bootstrap list */
    char *group;   /* defaults to name */
    char **topics;
    size_t topic_count;
    kafka_property *properties; /* kafka.properties: consumer (and security keys to the producer) */
    size_t property_count;
    kafka_property *producer_properties; /* kafka.producer_properties */
    size_t producer_property_count;
    int embedded_partitions; /* partitions of topics the embedded broker creates */

    char **plugin_dirs; /* as written; resolve with base_dir */
    size_t plugin_dir_count;

    stage_config *processors;
    size_t processor_count;
    sink_config *sinks;
    size_t sink_count;

    on_error_policy on_error;
    char *dead_letter_topic; /* NULL: defaults to "<name>-dlq" when on_error is dead_letter */

    int64_t commit_interval_ms;
    int workers; /* 0: the number of online cores */
    /* allow_insecure_plugins: load plugin files and folders that users
     * other than root and this one could write (plugin_trust.h). */
    int allow_insecure_plugins;
    /* http.listen: where /metrics, /health and /ready are served (HOST:PORT,
     * services/listen_address.h); NULL: no endpoint. */
    char *http_listen;
    int64_t stall_after_ms; /* the stall watchdog's threshold; 0: off */
    int watch;   /* `run` reloads when this file or one of its plugins changes */

    struct yaml_tree *tree; /* owns every node the stages point at */
} pipeline_config;

/* Parse and check path. Returns NULL and fills err on any error. */
pipeline_config *pipeline_config_load(const char *path, config_error *err);

/* The same for a file's text already in memory; path names it in
 * messages, and its folder resolves relative plugin_dirs. */
pipeline_config *pipeline_config_load_text(const char *text, size_t length, const char *path,
                                           config_error *err);

void pipeline_config_free(pipeline_config *config);

/*
 * Check a stage's `config:` mapping against a plugin's declared schema and
 * build the JSON object for init: exactly the declared fields, defaults
 * filled in, durations converted to milliseconds. Unknown keys, wrong
 * types and missing required keys are errors at the offending node (or at
 * the stage, for a missing key). Returns NULL and fills err on error.
 */
json_t *plugin_config_build(const stage_config *stage, const ph_descriptor *plugin,
                            config_error *err);

/* config_mark, config_error and config_error_set() live in config_error.h. */

#endif
