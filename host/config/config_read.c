#include "config/config_read.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_scalar.h"
#include "services/duration.h"

/* Room for a described node: a cut, escaped scalar and its kind. */
#define DESCRIPTION_SIZE 320

/* "a, b, c" or, with last_separator " or ", "a, b or c". */
static void join_words(const char *const *words, const char *last_separator, char *buf,
                       size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; words[i] != NULL && used < size; i++) {
        const char *separator = i == 0 ? "" : words[i + 1] == NULL ? last_separator : ", ";
        used += (size_t)snprintf(buf + used, size - used, "%s%s", separator, words[i]);
    }
}

/* Messages start with the subject: 'PATH' or 'PATH' in OWNER. */
static void subject_text(const config_subject *what, char *buf, size_t size)
{
    snprintf(buf, size, "'%s'%s%s", what->path, what->owner ? " in " : "",
             what->owner ? what->owner : "");
}

config_subject config_item(const config_subject *list, size_t index, char *buf, size_t size)
{
    config_subject item = {buf, list->owner};

    snprintf(buf, size, "%s[%zu]", list->path, index);
    return item;
}

int config_check_keys(const yaml_node *mapping, const char *const *allowed, const char *where,
                      config_error *err)
{
    char expected[512];

    for (size_t i = 0; i < mapping->count; i++) {
        const yaml_node *key = mapping->pairs[i].key;
        size_t k = 0;
        while (allowed[k] != NULL && strcmp(allowed[k], key->text) != 0)
            k++;
        if (allowed[k] != NULL)
            continue;
        join_words(allowed, ", ", expected, sizeof(expected));
        config_error_set(err, &key->mark, "unknown key '%s' in %s (expected one of: %s)",
                         key->text, where, expected);
        return -1;
    }
    return 0;
}

const yaml_node *config_optional(const yaml_node *mapping, const char *key)
{
    const yaml_node *value = yaml_mapping_get(mapping, key);

    return value == NULL || yaml_node_is_null(value) ? NULL : value;
}

const yaml_node *config_required(const yaml_node *mapping, const char *key, const char *where,
                                 config_error *err)
{
    const yaml_node *value = yaml_mapping_get(mapping, key);

    if (value == NULL)
        config_error_set(err, &mapping->mark, "missing required key '%s' in %s", key, where);
    return value;
}

void config_report_type(const yaml_node *node, const config_subject *what, const char *expected,
                        config_error *err)
{
    char subject[320], found[DESCRIPTION_SIZE];

    subject_text(what, subject, sizeof(subject));
    config_error_set(err, &node->mark, "%s must be %s, got %s", subject, expected,
                     yaml_node_describe(node, found, sizeof(found)));
}

int config_expect(const yaml_node *node, yaml_node_kind kind, const config_subject *what,
                  config_error *err)
{
    if (node->kind == kind)
        return 0;
    config_report_type(node, what, kind == YAML_TREE_MAPPING ? "a mapping" : "a list", err);
    return -1;
}

static int report_empty(const yaml_node *node, const config_subject *what, config_error *err)
{
    char subject[320];

    subject_text(what, subject, sizeof(subject));
    config_error_set(err, &node->mark, "%s must not be empty", subject);
    return -1;
}

int config_read_string(const yaml_node *node, const config_subject *what, int allow_empty,
                       char **value, config_error *err)
{
    if (node->kind != YAML_TREE_SCALAR || yaml_node_is_null(node)) {
        config_report_type(node, what, "a string", err);
        return -1;
    }
    if (!allow_empty && node->text[0] == '\0')
        return report_empty(node, what, err);
    if ((*value = strdup(node->text)) == NULL) {
        config_error_set(err, &node->mark, "out of memory");
        return -1;
    }
    return 0;
}

static void report_range(const yaml_node *node, const config_subject *what, int64_t min,
                         int64_t max, config_error *err)
{
    char subject[320];

    subject_text(what, subject, sizeof(subject));
    if (max == INT64_MAX)
        config_error_set(err, &node->mark, "%s must be at least %" PRId64 ", got %s", subject,
                         min, node->text);
    else
        config_error_set(err, &node->mark,
                         "%s must be between %" PRId64 " and %" PRId64 ", got %s", subject, min,
                         max, node->text);
}

int config_read_int(const yaml_node *node, const config_subject *what, int64_t min,
                    int64_t max, int64_t *value, config_error *err)
{
    if (node->kind != YAML_TREE_SCALAR || yaml_scalar_type(node) != YAML_CORE_INT) {
        config_report_type(node, what, "an integer", err);
        return -1;
    }
    if (yaml_scalar_int(node, value) != 0 || *value < min || *value > max) {
        report_range(node, what, min, max, err);
        return -1;
    }
    return 0;
}

int config_read_number(const yaml_node *node, const config_subject *what, double *value,
                       config_error *err)
{
    if (node->kind != YAML_TREE_SCALAR || yaml_scalar_float(node, value) != 0 ||
        !isfinite(*value)) {
        config_report_type(node, what, "a finite number", err);
        return -1;
    }
    return 0;
}

int config_read_bool(const yaml_node *node, const config_subject *what, int *value,
                     config_error *err)
{
    if (node->kind != YAML_TREE_SCALAR || yaml_scalar_bool(node, value) != 0) {
        config_report_type(node, what, "true or false", err);
        return -1;
    }
    return 0;
}

int config_read_duration(const yaml_node *node, const config_subject *what, int64_t *ms,
                         config_error *err)
{
    yaml_core_type type = node->kind == YAML_TREE_SCALAR ? yaml_scalar_type(node)
                                                         : YAML_CORE_NULL;

    if ((type != YAML_CORE_STRING && type != YAML_CORE_INT) ||
        duration_parse(node->text, ms) != 0) {
        config_report_type(node, what,
                           "a duration such as 500ms, 10s, 1m, 2h or 1d (or a whole number of "
                           "milliseconds)",
                           err);
        return -1;
    }
    return 0;
}

int config_read_choice(const yaml_node *node, const config_subject *what,
                       const char *const *choices, size_t *index, config_error *err)
{
    char expected[256];

    if (node->kind == YAML_TREE_SCALAR) {
        for (size_t i = 0; choices[i] != NULL; i++) {
            if (strcmp(node->text, choices[i]) == 0) {
                *index = i;
                return 0;
            }
        }
    }
    join_words(choices, " or ", expected, sizeof(expected));
    config_report_type(node, what, expected, err);
    return -1;
}

int config_read_string_list(const yaml_node *node, const config_subject *what, int allow_empty,
                            char ***items, size_t *count, config_error *err)
{
    char path[320];

    *items = NULL;
    *count = 0;
    if (node->kind != YAML_TREE_SEQUENCE) {
        config_report_type(node, what, "a list of strings", err);
        return -1;
    }
    if (node->count > 0 && (*items = calloc(node->count, sizeof(**items))) == NULL) {
        config_error_set(err, &node->mark, "out of memory");
        return -1;
    }
    for (; *count < node->count; (*count)++) {
        config_subject item = config_item(what, *count, path, sizeof(path));
        if (config_read_string(node->items[*count], &item, allow_empty, &(*items)[*count],
                               err) != 0) {
            config_free_strings(*items, *count);
            *items = NULL;
            *count = 0;
            return -1;
        }
    }
    return 0;
}

void config_free_strings(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}
