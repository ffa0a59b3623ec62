/*
 * A YAML document as a tree of scalars, sequences and mappings.
 *
 * Every node knows where it was written (1-based line and column), and a
 * scalar knows whether it was plain: only a plain scalar can be a number,
 * a boolean or null (YAML 1.2 core schema, see yaml_scalar.h); any quoted
 * or block scalar, or one tagged !!str, is a string. Mapping keys are
 * scalars and unique. An alias is the anchored node itself, shared; an
 * anchor is known only once its node is complete, so a tree never holds
 * a cycle.
 */
#ifndef PIPEHOST_CONFIG_YAML_TREE_H
#define PIPEHOST_CONFIG_YAML_TREE_H

#include <stddef.h>

#include "config/config_error.h"

typedef enum yaml_node_kind {
    YAML_TREE_SCALAR = 1,
    YAML_TREE_SEQUENCE = 2,
    YAML_TREE_MAPPING = 3
} yaml_node_kind;

struct yaml_node;

typedef struct yaml_pair {
    struct yaml_node *key; /* always a scalar */
    struct yaml_node *value;
} yaml_pair;

typedef struct yaml_node {
    yaml_node_kind kind;
    config_mark mark; /* file points to the tree's file name */

    /* YAML_TREE_SCALAR: NUL-terminated text, no NUL inside. */
    char *text;
    int plain;  /* written plain and untagged: resolved by the core schema */
    int is_key; /* used as a mapping key: never expanded */

    /* YAML_TREE_SEQUENCE: items; YAML_TREE_MAPPING: pairs, in file order. */
    struct yaml_node **items;
    yaml_pair *pairs;
    size_t count;

    struct yaml_node *next_in_tree; /* every node of the tree, once */
} yaml_node;

typedef struct yaml_tree {
    char *file;          /* name used in marks and messages */
    yaml_node *root;     /* NULL when the document is empty */
    yaml_node *nodes;    /* every node in file order, through next_in_tree */
} yaml_tree;

/* Load the single document of a file. Returns NULL and fills err with
 * "FILE:LINE:COL: problem" on a syntax error. */
yaml_tree *yaml_tree_load_file(const char *path, config_error *err);

/* The same for text in memory; name stands for the file in marks. */
yaml_tree *yaml_tree_load_text(const char *text, size_t length, const char *name,
                               config_error *err);

void yaml_tree_free(yaml_tree *tree);

/* The value of key in mapping, or NULL if the mapping has no such key. */
const yaml_node *yaml_mapping_get(const yaml_node *mapping, const char *key);

#endif
