/*
 * Reading typed values out of YAML nodes, with messages that name the key,
 * what was expected and what was found:
 *   'workers' must be an integer, got string "two"
 *   unknown key 'colour' in kafka (expected one of: brokers, group, ...)
 *   missing required key 'topics' in kafka
 * A null value of an optional key means the key is not set.
 */
#ifndef PIPEHOST_CONFIG_CONFIG_READ_H
#define PIPEHOST_CONFIG_CONFIG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "config/config_error.h"
#include "config/yaml_tree.h"

/* How a message names a value: 'PATH', then " in OWNER" when owner is set
 * ('kafka.topics'; 'window' in the config of 'views'). */
typedef struct config_subject {
    const char *path;
    const char *owner;
} config_subject;

/* The subject of item index of a list: PATH[index], written into buf. */
config_subject config_item(const config_subject *list, size_t index, char *buf, size_t size);

/* Every key of mapping must be one of allowed (NULL-terminated). where
 * names the mapping: "kafka", "sinks[0]", "the pipeline". */
int config_check_keys(const yaml_node *mapping, const char *const *allowed, const char *where,
                      config_error *err);

/* The value of key, or NULL when it is absent or null. */
const yaml_node *config_optional(const yaml_node *mapping, const char *key);

/* The value of key (perhaps null, for the type check to refuse), or NULL
 * with "missing required key" at the mapping. */
const yaml_node *config_required(const yaml_node *mapping, const char *key, const char *where,
                                 config_error *err);

/* "SUBJECT must be EXPECTED, got WHAT-NODE-IS" at node. */
void config_report_type(const yaml_node *node, const config_subject *what, const char *expected,
                        config_error *err);

/* node must be a mapping or a sequence (kind). */
int config_expect(const yaml_node *node, yaml_node_kind kind, const config_subject *what,
                  config_error *err);

/* Any scalar but null, as written (a plain 2024 is "2024"). Caller frees. */
int config_read_string(const yaml_node *node, const config_subject *what, int allow_empty,
                       char **value, config_error *err);

/* An integer scalar in [min, max]. */
int config_read_int(const yaml_node *node, const config_subject *what, int64_t min,
                    int64_t max, int64_t *value, config_error *err);

/* An integer or a finite float. */
int config_read_number(const yaml_node *node, const config_subject *what, double *value,
                       config_error *err);

int config_read_bool(const yaml_node *node, const config_subject *what, int *value,
                     config_error *err);

/* "500ms", "10s", "1m", "2h", "1d", or a bare integer of milliseconds. */
int config_read_duration(const yaml_node *node, const config_subject *what, int64_t *ms,
                         config_error *err);

/* One of choices (NULL-terminated); *index is its position. */
int config_read_choice(const yaml_node *node, const config_subject *what,
                       const char *const *choices, size_t *index, config_error *err);

/* A list of strings, each as config_read_string. Free with
 * config_free_strings(). */
int config_read_string_list(const yaml_node *node, const config_subject *what, int allow_empty,
                            char ***items, size_t *count, config_error *err);

void config_free_strings(char **items, size_t count);

#endif
