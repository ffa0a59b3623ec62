/*
 * The iot_telemetry configuration beyond the window: the metrics to
 * aggregate and the alert rules, checked at init with errors that name
 * the item or rule at fault.
 */
#ifndef IOT_TELEMETRY_CONFIG_H
#define IOT_TELEMETRY_CONFIG_H

#include <stddef.h>

#include <jansson.h>

typedef enum rule_direction {
    RULE_ABOVE, /* alert when value > threshold */
    RULE_BELOW, /* alert when value < threshold */
} rule_direction;

typedef struct alert_rule {
    char *name;
    size_t field;     /* index of its metric in telemetry_config.fields */
    rule_direction direction;
    double threshold;
} alert_rule;

typedef struct telemetry_config {
    /* The fields read from each reading: "device_id", "ts", the
     * aggregated metrics, then the metrics only rules use. */
    char **fields;
    size_t field_count;
    size_t metric_count; /* fields[FIRST_METRIC_FIELD ..] aggregated */
    alert_rule *rules;
    size_t rule_count;
} telemetry_config;

enum { FIELD_DEVICE_ID, FIELD_TS, FIRST_METRIC_FIELD };

/* Read metrics and rules from the plugin config. 0, or -1 with a message
 * in err; telemetry_config_free is safe either way. */
int telemetry_config_read(telemetry_config *config, const json_t *json, char *err,
                          size_t err_size);
void telemetry_config_free(telemetry_config *config);

#endif
