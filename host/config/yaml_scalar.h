/*
 * What a scalar means, by the YAML 1.2 core schema: a plain scalar is null
 * (empty, ~, null), a boolean (true, false), an integer (123, -5, 0o17,
 * 0x1F), a float (1.5, 1e3, .inf, .nan) or else a string. A quoted, block
 * or !!str scalar is always a string: "123" is text. "yes" and "on" are
 * strings, unlike YAML 1.1.
 */
#ifndef PIPEHOST_CONFIG_YAML_SCALAR_H
#define PIPEHOST_CONFIG_YAML_SCALAR_H

#include <stddef.h>
#include <stdint.h>

#include "config/yaml_tree.h"

typedef enum yaml_core_type {
    YAML_CORE_NULL = 1,
    YAML_CORE_BOOL = 2,
    YAML_CORE_INT = 3,
    YAML_CORE_FLOAT = 4,
    YAML_CORE_STRING = 5
} yaml_core_type;

/* The type of a scalar node. */
yaml_core_type yaml_scalar_type(const yaml_node *scalar);

/* Whether node is a null scalar. */
int yaml_node_is_null(const yaml_node *node);

/* The value of an integer scalar. 0, or -1 when it is not an integer or
 * does not fit in 64 bits. */
int yaml_scalar_int(const yaml_node *scalar, int64_t *value);

/* The value of an integer or float scalar (.inf and .nan included). 0, or
 * -1 when it is neither or its magnitude overflows a double. */
int yaml_scalar_float(const yaml_node *scalar, double *value);

/* The value of a boolean scalar, 1 or 0. 0, or -1 when it is not one. */
int yaml_scalar_bool(const yaml_node *scalar, int *value);

/* What a node is, for messages: `string "two"`, `integer 5`, `null`,
 * `a list`, `a mapping`. One line: long text is cut, newlines escaped.
 * Returns buf. */
const char *yaml_node_describe(const yaml_node *node, char *buf, size_t size);

#endif
