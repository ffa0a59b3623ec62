#include "config/yaml_json.h"

#include <math.h>

#include "config/yaml_scalar.h"

/* Aliases share nodes, so a small file can stand for a huge value
 * ("billion laughs"). No configuration comes near these. */
#define MAX_JSON_NODES 100000
#define MAX_JSON_DEPTH 128

typedef struct json_conversion {
    size_t nodes;
    config_error *err;
} json_conversion;

static json_t *convert(const yaml_node *node, int depth, json_conversion *conv);

static json_t *scalar_to_json(const yaml_node *node, json_conversion *conv)
{
    int64_t integer;
    double number;
    int boolean;
    json_t *value;

    switch (yaml_scalar_type(node)) {
    case YAML_CORE_NULL:
        return json_null();
    case YAML_CORE_BOOL:
        yaml_scalar_bool(node, &boolean);
        return json_boolean(boolean);
    case YAML_CORE_INT:
        if (yaml_scalar_int(node, &integer) == 0)
            return json_integer(integer);
        config_error_set(conv->err, &node->mark, "integer %s does not fit in 64 bits",
                         node->text);
        return NULL;
    case YAML_CORE_FLOAT:
        if (yaml_scalar_float(node, &number) == 0 && isfinite(number))
            return json_real(number);
        config_error_set(conv->err, &node->mark, "number %s has no JSON form (JSON numbers "
                         "are finite)", node->text);
        return NULL;
    case YAML_CORE_STRING:
        break;
    }
    value = json_string(node->text);
    if (value == NULL)
        config_error_set(conv->err, &node->mark, "out of memory");
    return value;
}

static json_t *sequence_to_json(const yaml_node *node, int depth, json_conversion *conv)
{
    json_t *array = json_array();

    if (array == NULL) {
        config_error_set(conv->err, &node->mark, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < node->count; i++) {
        json_t *item = convert(node->items[i], depth + 1, conv);
        if (item == NULL || json_array_append_new(array, item) != 0) {
            if (item != NULL)
                config_error_set(conv->err, &node->mark, "out of memory");
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *mapping_to_json(const yaml_node *node, int depth, json_conversion *conv)
{
    json_t *object = json_object();

    if (object == NULL) {
        config_error_set(conv->err, &node->mark, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < node->count; i++) {
        const yaml_pair *pair = &node->pairs[i];
        json_t *value = convert(pair->value, depth + 1, conv);
        /* json_object_set_new releases value on failure. */
        if (value == NULL || json_object_set_new(object, pair->key->text, value) != 0) {
            if (value != NULL)
                config_error_set(conv->err, &pair->key->mark, "out of memory");
            json_decref(object);
            return NULL;
        }
    }
    return object;
}

static json_t *convert(const yaml_node *node, int depth, json_conversion *conv)
{
    if (++conv->nodes > MAX_JSON_NODES || depth > MAX_JSON_DEPTH) {
        config_error_set(conv->err, &node->mark,
                         "value too large once aliases are expanded (over %d nodes or %d "
                         "levels)", MAX_JSON_NODES, MAX_JSON_DEPTH);
        return NULL;
    }
    switch (node->kind) {
    case YAML_TREE_SEQUENCE:
        return sequence_to_json(node, depth, conv);
    case YAML_TREE_MAPPING:
        return mapping_to_json(node, depth, conv);
    case YAML_TREE_SCALAR:
        break;
    }
    return scalar_to_json(node, conv);
}

json_t *yaml_to_json(const yaml_node *node, config_error *err)
{
    json_conversion conv = {0, err};

    return convert(node, 0, &conv);
}
