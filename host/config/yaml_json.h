/*
 * YAML nodes as JSON values, for plugin configuration.
 */
#ifndef PIPEHOST_CONFIG_YAML_JSON_H
#define PIPEHOST_CONFIG_YAML_JSON_H

#include <jansson.h>

#include "config/config_error.h"
#include "config/yaml_tree.h"

/*
 * A node as JSON: a plain scalar by the core schema (null, true/false,
 * integer, number, string), any other scalar as a string, a sequence as
 * an array, a mapping as an object. Returns NULL with err filled at the
 * node at fault: an integer beyond 64 bits, .inf or .nan (JSON numbers
 * are finite), or aliases that would expand the value past a sane size.
 */
json_t *yaml_to_json(const yaml_node *node, config_error *err);

#endif
