/*
 * Reading and checking the metrics and rules of an iot_telemetry stage.
 */
#include "telemetry_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names the output of a stats record uses for itself, so no metric may
 * take them; "ts" is the input's time. */
static const char *const reserved_names[] = {
    "type", "device_id", "ts", "window_start", "window_end", "count", "final",
};

void telemetry_config_free(telemetry_config *config)
{
    for (size_t i = 0; i < config->field_count; i++)
        free(config->fields[i]);
    for (size_t i = 0; i < config->rule_count; i++)
        free(config->rules[i].name);
    free(config->fields);
    free(config->rules);
    memset(config, 0, sizeof(*config));
}

/* Index of name among the fields, or -1. */
static long find_field(const telemetry_config *config, const char *name)
{
    for (size_t i = 0; i < config->field_count; i++) {
        if (strcmp(config->fields[i], name) == 0)
            return (long)i;
    }
    return -1;
}

/* Append a copy of name to the fields (room was made at the start). */
static int add_field(telemetry_config *config, const char *name)
{
    config->fields[config->field_count] = strdup(name);
    if (config->fields[config->field_count] == NULL)
        return -1;
    config->field_count++;
    return 0;
}

static int is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++) {
        if (strcmp(name, reserved_names[i]) == 0)
            return 1;
    }
    return 0;
}

/* A non-empty string without NUL, as field and rule names must be. */
static const char *name_of(const json_t *value)
{
    if (!json_is_string(value) || json_string_length(value) == 0 ||
        strlen(json_string_value(value)) != json_string_length(value))
        return NULL;
    return json_string_value(value);
}

static int read_metrics(telemetry_config *config, const json_t *metrics, char *err,
                        size_t err_size)
{
    size_t i;
    const json_t *item;

    if (!json_is_array(metrics)) {
        snprintf(err, err_size, "metrics: expected a list of field names");
        return -1;
    }
    json_array_foreach(metrics, i, item) {
        const char *name = name_of(item);

        if (name == NULL) {
            snprintf(err, err_size, "metrics: item %zu must be a non-empty field name", i);
            return -1;
        }
        if (is_reserved(name)) {
            snprintf(err, err_size, "metrics: item %zu: '%s' is a name the output uses for "
                                    "itself", i, name);
            return -1;
        }
        if (find_field(config, name) >= 0) {
            snprintf(err, err_size, "metrics: item %zu: '%s' is listed twice", i, name);
            return -1;
        }
        if (add_field(config, name) != 0) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        config->metric_count++;
    }
    return 0;
}

/* The threshold of a rule: exactly one of above and below, a number. */
static int read_threshold(alert_rule *rule, const json_t *object, size_t index, char *err,
                          size_t err_size)
{
    const json_t *above = json_object_get(object, "above");
    const json_t *below = json_object_get(object, "below");
    const json_t *threshold = above != NULL ? above : below;

    if ((above == NULL) == (below == NULL)) {
        snprintf(err, err_size, "rules[%zu]: set exactly one of above and below", index);
        return -1;
    }
    if (!json_is_number(threshold)) {
        snprintf(err, err_size, "rules[%zu]: %s must be a number", index,
                 above != NULL ? "above" : "below");
        return -1;
    }
    rule->direction = above != NULL ? RULE_ABOVE : RULE_BELOW;
    rule->threshold = json_number_value(threshold);
    return 0;
}

static int read_rule(telemetry_config *config, const json_t *object, size_t index, char *err,
                     size_t err_size)
{
    alert_rule *rule = &config->rules[index];
    const char *key, *name, *metric;
    const json_t *value;
    long field;

    if (!json_is_object(object)) {
        snprintf(err, err_size, "rules[%zu]: expected a mapping of name, metric and above "
                                "or below", index);
        return -1;
    }
    json_object_foreach((json_t *)object, key, value) {
        if (strcmp(key, "name") != 0 && strcmp(key, "metric") != 0 &&
            strcmp(key, "above") != 0 && strcmp(key, "below") != 0) {
            snprintf(err, err_size, "rules[%zu]: unknown key '%s' (expected name, metric, "
                                    "above or below)", index, key);
            return -1;
        }
    }
    name = name_of(json_object_get(object, "name"));
    if (name == NULL) {
        snprintf(err, err_size, "rules[%zu]: name must be a non-empty string", index);
        return -1;
    }
    for (size_t i = 0; i < index; i++) {
        if (strcmp(config->rules[i].name, name) == 0) {
            snprintf(err, err_size, "rules[%zu]: name '%s' is already used by rules[%zu]",
                     index, name, i);
            return -1;
        }
    }
    metric = name_of(json_object_get(object, "metric"));
    if (metric == NULL) {
        snprintf(err, err_size, "rules[%zu]: metric must be a non-empty field name", index);
        return -1;
    }
    if (read_threshold(rule, object, index, err, err_size) != 0)
        return -1;
    field = find_field(config, metric);
    if (field == FIELD_DEVICE_ID || field == FIELD_TS) {
        snprintf(err, err_size, "rules[%zu]: metric '%s' is not a numeric field", index,
                 metric);
        return -1;
    }
    /* A metric only rules use is read when present, not required. */
    if (field < 0) {
        if (add_field(config, metric) != 0)
            goto out_of_memory;
        field = (long)config->field_count - 1;
    }
    rule->field = (size_t)field;
    rule->name = strdup(name);
    if (rule->name == NULL)
        goto out_of_memory;
    config->rule_count++;
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

int telemetry_config_read(telemetry_config *config, const json_t *json, char *err,
                          size_t err_size)
{
    const json_t *metrics = json_object_get(json, "metrics");
    const json_t *rules = json_object_get(json, "rules");
    size_t i;
    const json_t *item;

    memset(config, 0, sizeof(*config));
    if (!json_is_array(rules)) {
        snprintf(err, err_size, "rules: expected a list of rules");
        return -1;
    }
    /* Room for every name there can be: device_id, ts, each metric and a
     * metric per rule. */
    config->fields = calloc(FIRST_METRIC_FIELD + json_array_size(metrics) + json_array_size(rules),
                            sizeof(*config->fields));
    config->rules = calloc(json_array_size(rules) + 1, sizeof(*config->rules));
    if (config->fields == NULL || config->rules == NULL || add_field(config, "device_id") != 0 ||
        add_field(config, "ts") != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (read_metrics(config, metrics, err, err_size) != 0)
        return -1;
    json_array_foreach(rules, i, item) {
        if (read_rule(config, item, i, err, err_size) != 0)
            return -1;
    }
    return 0;
}
