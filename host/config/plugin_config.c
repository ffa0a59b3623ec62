/*
 * A stage's `config:` checked against its plugin's declared fields and
 * turned into the JSON object the plugin's init receives: exactly the
 * declared fields that have a value, defaults filled in, durations in
 * milliseconds. A field set to null counts as not set.
 */
#include "config/pipeline_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_read.h"
#include "config/yaml_json.h"
#include "config/yaml_scalar.h"
#include "config/yaml_tree.h"

#define OWNER_SIZE 320

typedef struct build_context {
    const stage_config *stage;
    const ph_descriptor *plugin;
    char owner[OWNER_SIZE]; /* "the config of 'views-only'" */
    config_error *err;
} build_context;

static const char *type_name(ph_config_type type)
{
    switch (type) {
    case PH_CONFIG_STRING:
        return "a string";
    case PH_CONFIG_INT:
        return "an integer";
    case PH_CONFIG_FLOAT:
        return "a number";
    case PH_CONFIG_BOOL:
        return "a boolean";
    case PH_CONFIG_DURATION:
        return "a duration";
    case PH_CONFIG_STRING_LIST:
        return "a list of strings";
    case PH_CONFIG_LIST:
        return "a list";
    case PH_CONFIG_MAP:
        return "a mapping";
    }
    return NULL;
}

/* Where a missing key is reported: the config mapping, else the stage. */
static const config_mark *config_mark_of(const stage_config *stage)
{
    return stage->config != NULL ? &stage->config->mark : &stage->mark;
}

static json_t *json_text(const yaml_node *node, const char *text, config_error *err)
{
    json_t *value = json_string(text);

    if (value == NULL)
        config_error_set(err, &node->mark, "cannot store \"%s\" as JSON (invalid UTF-8)", text);
    return value;
}

static json_t *string_list_value(const yaml_node *node, const config_subject *what,
                                 config_error *err)
{
    char **items;
    size_t count;
    json_t *array;

    if (config_read_string_list(node, what, 1, &items, &count, err) != 0)
        return NULL;
    if ((array = json_array()) == NULL)
        config_error_set(err, &node->mark, "out of memory");
    for (size_t i = 0; array != NULL && i < count; i++) {
        json_t *item = json_text(node->items[i], items[i], err);
        if (item != NULL && json_array_append_new(array, item) == 0)
            continue;
        if (item != NULL)
            config_error_set(err, &node->mark, "out of memory");
        json_decref(array);
        array = NULL;
    }
    config_free_strings(items, count);
    return array;
}

static json_t *scalar_value(const yaml_node *node, ph_config_type type,
                            const config_subject *what, config_error *err)
{
    int64_t integer;
    double number;
    int boolean;
    char *text;
    json_t *value;

    switch (type) {
    case PH_CONFIG_INT:
        return config_read_int(node, what, INT64_MIN, INT64_MAX, &integer, err) == 0
                   ? json_integer(integer) : NULL;
    case PH_CONFIG_FLOAT:
        return config_read_number(node, what, &number, err) == 0 ? json_real(number) : NULL;
    case PH_CONFIG_BOOL:
        return config_read_bool(node, what, &boolean, err) == 0 ? json_boolean(boolean) : NULL;
    case PH_CONFIG_DURATION:
        return config_read_duration(node, what, &integer, err) == 0 ? json_integer(integer)
                                                                      : NULL;
    default:
        break; /* PH_CONFIG_STRING */
    }
    if (config_read_string(node, what, 1, &text, err) != 0)
        return NULL;
    value = json_text(node, text, err);
    free(text);
    return value;
}

/* The JSON value of a field's node, checked against its type. */
static json_t *field_value(const yaml_node *node, const ph_config_field *field,
                           const config_subject *what, config_error *err)
{
    switch (field->type) {
    case PH_CONFIG_STRING:
    case PH_CONFIG_INT:
    case PH_CONFIG_FLOAT:
    case PH_CONFIG_BOOL:
    case PH_CONFIG_DURATION:
        return scalar_value(node, field->type, what, err);
    case PH_CONFIG_STRING_LIST:
        return string_list_value(node, what, err);
    case PH_CONFIG_LIST:
        if (config_expect(node, YAML_TREE_SEQUENCE, what, err) != 0)
            return NULL;
        return yaml_to_json(node, err);
    case PH_CONFIG_MAP:
        if (config_expect(node, YAML_TREE_MAPPING, what, err) != 0)
            return NULL;
        return yaml_to_json(node, err);
    }
    config_error_set(err, &node->mark, "plugin field '%s' has an unknown type %d", field->name,
                     (int)field->type);
    return NULL;
}

/* A default is YAML text and converts like a written value. */
static json_t *default_value(const ph_config_field *field, build_context *ctx)
{
    config_subject what = {field->name, ctx->owner};
    config_error inner;
    yaml_tree *tree;
    json_t *value = NULL;

    tree = yaml_tree_load_text(field->default_value, strlen(field->default_value), "default",
                               &inner);
    if (tree != NULL && tree->root != NULL)
        value = field_value(tree->root, field, &what, &inner);
    yaml_tree_free(tree);
    if (value == NULL)
        config_error_set(ctx->err, &ctx->stage->mark,
                         "plugin '%s' declares an invalid default \"%s\" for '%s' (expected %s)",
                         ctx->plugin->name, field->default_value, field->name,
                         type_name(field->type) ? type_name(field->type) : "a known type");
    return value;
}

static int build_field(json_t *object, const ph_config_field *field, build_context *ctx)
{
    const yaml_node *node = yaml_mapping_get(ctx->stage->config, field->name);
    config_subject what = {field->name, ctx->owner};
    json_t *value;

    /* A required field set to null fails the type check: "got null". */
    if (node != NULL && (field->required || !yaml_node_is_null(node))) {
        value = field_value(node, field, &what, ctx->err);
    } else if (field->required) {
        config_error_set(ctx->err, config_mark_of(ctx->stage),
                         "missing required key '%s' in %s", field->name, ctx->owner);
        return -1;
    } else if (field->default_value != NULL) {
        value = default_value(field, ctx);
    } else {
        return 0;
    }
    if (value == NULL)
        return -1;
    if (json_object_set_new(object, field->name, value) != 0) {
        config_error_set(ctx->err, config_mark_of(ctx->stage), "out of memory");
        return -1;
    }
    return 0;
}

static int check_keys(const build_context *ctx)
{
    const yaml_node *config = ctx->stage->config;
    size_t count = ctx->plugin->config_field_count;
    const char **names;
    int rc;

    if (config == NULL || config->count == 0)
        return 0;
    if (count == 0) {
        config_error_set(ctx->err, &config->pairs[0].key->mark,
                         "unknown key '%s' in %s (plugin '%s' takes no configuration)",
                         config->pairs[0].key->text, ctx->owner, ctx->plugin->name);
        return -1;
    }
    if ((names = calloc(count + 1, sizeof(*names))) == NULL) {
        config_error_set(ctx->err, &config->mark, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        names[i] = ctx->plugin->config_fields[i].name;
    rc = config_check_keys(config, names, ctx->owner, ctx->err);
    free(names);
    return rc;
}

json_t *plugin_config_build(const stage_config *stage, const ph_descriptor *plugin,
                            config_error *err)
{
    build_context ctx = {stage, plugin, "", err};
    json_t *object;

    if (stage->config != NULL && stage->config->kind != YAML_TREE_MAPPING) {
        config_subject what = {"config", ctx.owner};
        snprintf(ctx.owner, sizeof(ctx.owner), "stage '%s'", stage->name);
        config_expect(stage->config, YAML_TREE_MAPPING, &what, err);
        return NULL;
    }
    snprintf(ctx.owner, sizeof(ctx.owner), "the config of '%s'", stage->name);
    if (check_keys(&ctx) != 0)
        return NULL;
    if ((object = json_object()) == NULL) {
        config_error_set(err, &stage->mark, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < plugin->config_field_count; i++) {
        if (build_field(object, &plugin->config_fields[i], &ctx) != 0) {
            json_decref(object);
            return NULL;
        }
    }
    return object;
}
