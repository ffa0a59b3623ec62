/*
 * What differs between two versions of a pipeline file, key by key: what
 * a hot reload logs, and what decides how it takes effect.
 */
#ifndef PIPEHOST_CONFIG_PIPELINE_CHANGES_H
#define PIPEHOST_CONFIG_PIPELINE_CHANGES_H

#include <stddef.h>

#include "config/pipeline_config.h"

typedef enum pipeline_change {
    /* kafka.brokers, kafka.group, kafka.properties: the consumer is built
     * from them */
    PIPELINE_CHANGE_CONSUMER = 1u << 0,
    /* kafka.topics, kafka.embedded_partitions (of topics created from
     * then on): the subscription */
    PIPELINE_CHANGE_TOPICS = 1u << 1,
    PIPELINE_CHANGE_STAGES = 1u << 2, /* plugin_dirs, processors: the tasks' stages */
    /* name (the default dead letter), sinks, on_error, dead_letter,
     * kafka.producer_properties: the sinks, and the tasks' sink plugins */
    PIPELINE_CHANGE_SINKS = 1u << 3,
    PIPELINE_CHANGE_COMMIT_INTERVAL = 1u << 4,
    PIPELINE_CHANGE_WORKERS = 1u << 5,
    PIPELINE_CHANGE_WATCH = 1u << 6,
} pipeline_change;

/* The pipeline_change bits from before to after (0: the same pipeline),
 * with the keys that differ named in what, comma-separated
 * ("processors[0].config, commit_interval_ms"; "" when none). */
unsigned pipeline_config_changes(const pipeline_config *before, const pipeline_config *after,
                                 char *what, size_t what_size);

/* Add text to the comma-separated list in what (size bytes), cut short
 * when full. */
void pipeline_changes_append(char *what, size_t size, const char *text);

#endif
