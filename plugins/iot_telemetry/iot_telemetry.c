/*
 * iot_telemetry: per device and tumbling event-time window, the count
 * and the minimum, maximum and mean of each configured metric; and
 * threshold alerts, emitted as readings arrive.
 *
 * One instance serves one partition. A window's statistics are emitted
 * once, with "final": true, when the partition's watermark reaches its
 * end; a reading for a window already emitted is rejected as late. The
 * final flush emits the windows still open with "final": false, and
 * every flush reports the oldest offset those windows hold, so that a
 * restart rebuilds them by replay, and checkpoints the watermark that
 * replay starts from, so that it takes every reading as the first run
 * did. Statistics are keyed DEVICE|WINDOW_START and alerts DEVICE: a
 * provisional window emitted again overwrites the same key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/json_text.h>
#include <pipehost/plugin.h>
#include <pipehost/record_fields.h>
#include <pipehost/window.h>

#include "alert_state.h"
#include "device_window.h"
#include "telemetry_config.h"

/* One accepted reading: its values sit in self->values and self->present. */
typedef struct reading {
    const char *device_id;
    size_t device_id_len;
    int64_t time_ms;
} reading;

typedef struct iot_telemetry {
    const ph_host_api *host;
    ph_context *ctx;
    telemetry_config config;
    ph_window_aggregator aggregator; /* each window's state is a device_window */
    alert_state alerts;
    reading in; /* the reading read last */
    /* What it holds per field, indexed like config.fields; allocated once. */
    ph_field *found;
    double *values;
    unsigned char *present;
    ph_json_text alert; /* the alert being written */
} iot_telemetry;

/*
 * Read a record into self->in: device_id, ts, every aggregated metric
 * (required) and the metrics only rules use (when present). 0 with its
 * time, or -1 after rejecting it.
 */
static int read_reading(void *plugin, const ph_record *record, int64_t *time_ms)
{
    iot_telemetry *self = plugin;
    reading *out = &self->in;
    const ph_host_api *host = self->host;
    const telemetry_config *config = &self->config;
    size_t metrics_end = FIRST_METRIC_FIELD + config->metric_count;

    if (ph_record_fields(host, self->ctx, record, (const char *const *)config->fields,
                         config->field_count, self->found) != 0 ||
        ph_field_string(host, self->ctx, record, config->fields[FIELD_DEVICE_ID],
                        &self->found[FIELD_DEVICE_ID], &out->device_id,
                        &out->device_id_len) != 0 ||
        ph_field_time(host, self->ctx, record, config->fields[FIELD_TS], &self->found[FIELD_TS],
                      &out->time_ms) != 0)
        return -1;
    for (size_t i = FIRST_METRIC_FIELD; i < config->field_count; i++) {
        self->present[i] = i < metrics_end || self->found[i].type != PH_JSON_ABSENT;
        if (self->present[i] && ph_field_number(host, self->ctx, record, config->fields[i],
                                                &self->found[i], &self->values[i]) != 0)
            return -1;
    }
    *time_ms = out->time_ms;
    return 0;
}

/* Emit one alert for a rule a reading crossed. 0, or -1 when out of
 * memory or the host could not take it. */
static int emit_alert(iot_telemetry *self, const ph_record *record, const reading *in,
                      const alert_rule *rule)
{
    ph_json_text *text = &self->alert;
    char ts[PH_WINDOW_TIME_TEXT_SIZE];

    self->host->format_time(in->time_ms, ts, sizeof(ts));
    ph_json_text_reset(text);
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "type");
    ph_json_text_string(text, "alert", 5);
    ph_json_text_key(text, "device_id");
    ph_json_text_string(text, in->device_id, in->device_id_len);
    ph_json_text_key(text, "ts");
    ph_json_text_string(text, ts, strlen(ts));
    ph_json_text_key(text, "rule");
    ph_json_text_string(text, rule->name, strlen(rule->name));
    ph_json_text_key(text, "metric");
    ph_json_text_string(text, self->config.fields[rule->field],
                        strlen(self->config.fields[rule->field]));
    ph_json_text_key(text, "value");
    ph_json_text_real(text, self->values[rule->field]);
    ph_json_text_key(text, "threshold");
    ph_json_text_real(text, rule->threshold);
    ph_json_text_end_object(text);
    if (ph_json_text_failed(text))
        return -1;
    return self->host->emit(self->ctx, record, in->device_id, in->device_id_len, text->data,
                            text->length);
}

/* Evaluate every rule whose metric the reading has: fire on crossing,
 * re-arm when back inside. 0, or -1 on failure. */
static int check_rules(iot_telemetry *self, const ph_record *record, const reading *in)
{
    unsigned char *in_alert = NULL;

    for (size_t r = 0; r < self->config.rule_count; r++) {
        const alert_rule *rule = &self->config.rules[r];
        double value = self->values[rule->field];
        int crossed;

        if (!self->present[rule->field])
            continue;
        if (in_alert == NULL) {
            in_alert = alert_state_flags(&self->alerts, in->device_id, in->device_id_len);
            if (in_alert == NULL)
                return -1;
        }
        crossed = rule->direction == RULE_ABOVE ? value > rule->threshold
                                                : value < rule->threshold;
        if (crossed && !in_alert[r] && emit_alert(self, record, in, rule) != 0)
            return -1;
        in_alert[r] = (unsigned char)crossed;
    }
    return 0;
}

static void *create_window(void *plugin)
{
    return device_window_create(((iot_telemetry *)plugin)->config.metric_count);
}

/* Count the reading read last in its window, then check it against the
 * rules. 0, or -1 on failure. */
static int add_reading(void *plugin, void *window, const ph_record *record)
{
    iot_telemetry *self = plugin;

    if (device_window_add(window, self->in.device_id, self->in.device_id_len,
                          self->values + FIRST_METRIC_FIELD) != 0)
        return -1;
    return check_rules(self, record, &self->in);
}

static size_t device_count(const void *window)
{
    return device_window_count(window);
}

/* The stats of one device of a window, keyed DEVICE|WINDOW_START. 0, or
 * -1 out of memory. */
static int write_stats(void *plugin, const void *window, size_t index, ph_window_result *result)
{
    const iot_telemetry *self = plugin;
    const char *device_id;
    size_t device_id_len;
    const device_stats *stats = device_window_stats(window, index, &device_id, &device_id_len);
    ph_json_text *text = &result->value;

    if (ph_window_result_key(result, device_id, device_id_len, -1) != 0)
        return -1;
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "type");
    ph_json_text_string(text, "stats", 5);
    ph_json_text_key(text, "device_id");
    ph_json_text_string(text, device_id, device_id_len);
    ph_json_text_key(text, "window_start");
    ph_json_text_string(text, result->start, strlen(result->start));
    ph_json_text_key(text, "window_end");
    ph_json_text_string(text, result->end, strlen(result->end));
    ph_json_text_key(text, "count");
    ph_json_text_int(text, stats->count);
    for (size_t i = 0; i < self->config.metric_count; i++) {
        const metric_stats *metric = &stats->metrics[i];

        ph_json_text_key(text, self->config.fields[FIRST_METRIC_FIELD + i]);
        ph_json_text_begin_object(text);
        ph_json_text_key(text, "min");
        ph_json_text_real(text, metric->min);
        ph_json_text_key(text, "max");
        ph_json_text_real(text, metric->max);
        ph_json_text_key(text, "mean");
        ph_json_text_real(text, metric->sum / (double)stats->count);
        ph_json_text_end_object(text);
    }
    ph_json_text_key(text, "final");
    ph_json_text_bool(text, result->final);
    ph_json_text_end_object(text);
    return 0;
}

static void destroy_window(void *window)
{
    device_window_destroy(window);
}

static const ph_window_aggregator_ops iot_telemetry_ops = {
    .read = read_reading,
    .create = create_window,
    .add = add_reading,
    .result_count = device_count,
    .write_result = write_stats,
    .clear = NULL,
    .destroy = destroy_window,
    .add_failure = "could not count a reading or emit an alert (out of memory)",
};

static void iot_telemetry_destroy(void *instance)
{
    iot_telemetry *self = instance;

    if (self == NULL)
        return;
    ph_window_aggregator_free(&self->aggregator);
    alert_state_free(&self->alerts);
    telemetry_config_free(&self->config);
    free(self->found);
    free(self->values);
    free(self->present);
    ph_json_text_free(&self->alert);
    free(self);
}

static int iot_telemetry_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                              void **instance, char *err, size_t err_size)
{
    iot_telemetry *self = calloc(1, sizeof(*self));
    size_t field_count;

    *instance = self;
    if (self == NULL)
        goto out_of_memory;
    self->host = host;
    self->ctx = ctx;
    ph_json_text_init(&self->alert);
    if (ph_window_aggregator_init(&self->aggregator, &iot_telemetry_ops, self, host, ctx, config,
                                  err, err_size) != 0 ||
        telemetry_config_read(&self->config, config, err, err_size) != 0)
        return -1;
    field_count = self->config.field_count;
    self->found = calloc(field_count, sizeof(*self->found));
    self->values = calloc(field_count, sizeof(*self->values));
    self->present = calloc(field_count, sizeof(*self->present));
    if (self->found == NULL || self->values == NULL || self->present == NULL ||
        alert_state_init(&self->alerts, self->config.rule_count) != 0)
        goto out_of_memory;
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static ph_status iot_telemetry_process(void *instance, const ph_record *records, size_t count)
{
    return ph_window_aggregator_process(&((iot_telemetry *)instance)->aggregator, records, count);
}

static ph_status iot_telemetry_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    return ph_window_aggregator_flush(&((iot_telemetry *)instance)->aggregator, mode,
                                      retain_offset);
}

static const ph_config_field iot_telemetry_fields[] = {
    PH_WINDOW_CONFIG_FIELDS("1m", "10s"),
    {.name = "metrics", .type = PH_CONFIG_STRING_LIST,
     .default_value = "[temperature, pressure, humidity]",
     .description = "numeric fields of each reading to aggregate; a reading must have them all"},
    {.name = "rules", .type = PH_CONFIG_LIST, .default_value = "[]",
     .description = "alert rules: {name, metric, above: N} or {name, metric, below: N}; "
                    "one alert per crossing, re-armed when the value is back inside"},
};

static const ph_descriptor iot_telemetry_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "iot_telemetry",
    .version = "1.0.0",
    .description = "per device and event-time window: count, min, max, mean; threshold alerts",
    .config_fields = iot_telemetry_fields,
    .config_field_count = sizeof(iot_telemetry_fields) / sizeof(iot_telemetry_fields[0]),
    .init = iot_telemetry_init,
    .process = iot_telemetry_process,
    .flush = iot_telemetry_flush,
    .destroy = iot_telemetry_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &iot_telemetry_descriptor;
}
