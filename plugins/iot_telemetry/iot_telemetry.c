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

/* "2022-01-01T12:22:25.123Z" and room to spare. */
#define TIME_TEXT_SIZE 40

typedef struct iot_telemetry {
    const ph_host_api *host;
    ph_context *ctx;
    ph_window_clock clock;
    telemetry_config config;
    ph_window_set windows; /* each state is a device_window */
    alert_state alerts;
    /* Per reading, indexed like config.fields; allocated once. */
    json_t **found;
    double *values;
    unsigned char *present;
    ph_json_text value; /* the output record being written */
    char *key;          /* the output key being written */
    size_t key_capacity;
} iot_telemetry;

/* One accepted reading: its values sit in self->values and self->present. */
typedef struct reading {
    const char *device_id;
    size_t device_id_len;
    int64_t time_ms;
} reading;

static void iot_telemetry_destroy(void *instance)
{
    iot_telemetry *self = instance;

    if (self == NULL)
        return;
    for (size_t i = 0; i < self->windows.count; i++)
        device_window_destroy(self->windows.windows[i].state);
    ph_window_set_free(&self->windows);
    alert_state_free(&self->alerts);
    telemetry_config_free(&self->config);
    free(self->found);
    free(self->values);
    free(self->present);
    ph_json_text_free(&self->value);
    free(self->key);
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
    ph_window_set_init(&self->windows);
    ph_json_text_init(&self->value);
    if (ph_window_clock_configure(&self->clock, config, err, err_size) != 0 ||
        telemetry_config_read(&self->config, config, err, err_size) != 0)
        return -1;
    field_count = self->config.field_count;
    self->found = calloc(field_count, sizeof(*self->found));
    self->values = calloc(field_count, sizeof(*self->values));
    self->present = calloc(field_count, sizeof(*self->present));
    if (self->found == NULL || self->values == NULL || self->present == NULL ||
        alert_state_init(&self->alerts, self->config.rule_count) != 0)
        goto out_of_memory;
    /* After a restart: resume the watermark where replay starts. */
    ph_window_clock_restore(&self->clock, host, ctx);
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

/*
 * Read a record: device_id, ts, every aggregated metric (required) and
 * the metrics only rules use (when present). 0, or -1 after rejecting it.
 */
static int read_reading(iot_telemetry *self, const ph_record *record, reading *out)
{
    const ph_host_api *host = self->host;
    const telemetry_config *config = &self->config;
    const json_t *object = ph_record_object(host, self->ctx, record);
    size_t metrics_end = FIRST_METRIC_FIELD + config->metric_count;

    if (object == NULL)
        return -1;
    ph_object_fields(object, (const char *const *)config->fields, config->field_count,
                     self->found);
    if (ph_field_string(host, self->ctx, record, config->fields[FIELD_DEVICE_ID],
                        self->found[FIELD_DEVICE_ID], &out->device_id,
                        &out->device_id_len) != 0 ||
        ph_field_time(host, self->ctx, record, config->fields[FIELD_TS], self->found[FIELD_TS],
                      &out->time_ms) != 0)
        return -1;
    for (size_t i = FIRST_METRIC_FIELD; i < config->field_count; i++) {
        self->present[i] = i < metrics_end || self->found[i] != NULL;
        if (self->present[i] && ph_field_number(host, self->ctx, record, config->fields[i],
                                                self->found[i], &self->values[i]) != 0)
            return -1;
    }
    return 0;
}

/* Emit one alert for a rule a reading crossed. 0, or -1 when out of
 * memory or the host could not take it. */
static int emit_alert(iot_telemetry *self, const ph_record *record, const reading *in,
                      const alert_rule *rule)
{
    ph_json_text *text = &self->value;
    char ts[TIME_TEXT_SIZE];

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

/* The output key DEVICE|WINDOW_START into self->key; its length, or -1
 * out of memory. */
static int write_stats_key(iot_telemetry *self, const char *device_id, size_t device_id_len,
                           const char *start)
{
    size_t start_len = strlen(start);
    size_t needed = device_id_len + 1 + start_len;

    if (needed > self->key_capacity) {
        char *key = realloc(self->key, needed);

        if (key == NULL)
            return -1;
        self->key = key;
        self->key_capacity = needed;
    }
    memcpy(self->key, device_id, device_id_len);
    self->key[device_id_len] = '|';
    memcpy(self->key + device_id_len + 1, start, start_len);
    return (int)needed;
}

/* The stats record of one device of a window into self->value. */
static int write_stats(iot_telemetry *self, const char *device_id, size_t device_id_len,
                       const device_stats *stats, const char *start, const char *end, int final)
{
    ph_json_text *text = &self->value;

    ph_json_text_reset(text);
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "type");
    ph_json_text_string(text, "stats", 5);
    ph_json_text_key(text, "device_id");
    ph_json_text_string(text, device_id, device_id_len);
    ph_json_text_key(text, "window_start");
    ph_json_text_string(text, start, strlen(start));
    ph_json_text_key(text, "window_end");
    ph_json_text_string(text, end, strlen(end));
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
    ph_json_text_bool(text, final);
    ph_json_text_end_object(text);
    return ph_json_text_failed(text) ? -1 : 0;
}

/* Emit the stats of every device of a window. origin: the record that
 * closed it, or NULL in a flush. 0, or -1 on failure. */
static int emit_window(iot_telemetry *self, const ph_open_window *open, const ph_record *origin,
                       int final)
{
    const device_window *window = open->state;
    char start[TIME_TEXT_SIZE], end[TIME_TEXT_SIZE];
    size_t device_count;

    if (window == NULL) /* opened, then out of memory: holds nothing */
        return 0;
    device_count = device_window_count(window);
    self->host->format_time(open->start_ms, start, sizeof(start));
    self->host->format_time(ph_window_end(&self->clock, open->start_ms), end, sizeof(end));
    for (size_t i = 0; i < device_count; i++) {
        const char *device_id;
        size_t device_id_len;
        const device_stats *stats = device_window_stats(window, i, &device_id, &device_id_len);
        int key_len = write_stats_key(self, device_id, device_id_len, start);

        if (key_len < 0 ||
            write_stats(self, device_id, device_id_len, stats, start, end, final) != 0 ||
            self->host->emit(self->ctx, origin, self->key, (size_t)key_len, self->value.data,
                             self->value.length) != 0)
            return -1;
    }
    return 0;
}

/* Emit as final, and drop, every window the watermark has closed. */
static int close_windows(iot_telemetry *self, const ph_record *origin)
{
    ph_open_window *open;

    while ((open = ph_window_set_oldest_closed(&self->windows, &self->clock)) != NULL) {
        if (emit_window(self, open, origin, 1) != 0)
            return -1;
        device_window_destroy(open->state);
        ph_window_set_remove_oldest(&self->windows);
    }
    return 0;
}

/* Count a reading in its window. 0, or -1 out of memory. */
static int add_reading(iot_telemetry *self, const ph_record *record, const reading *in)
{
    int64_t start = ph_window_start(&self->clock, in->time_ms);
    ph_open_window *open =
        ph_window_set_open(&self->windows, &self->clock, start, record->offset);

    if (open == NULL)
        return -1;
    if (open->state == NULL) {
        open->state = device_window_create(self->config.metric_count);
        if (open->state == NULL)
            return -1;
    }
    return device_window_add(open->state, in->device_id, in->device_id_len,
                             self->values + FIRST_METRIC_FIELD);
}

static ph_status iot_telemetry_process(void *instance, const ph_record *records, size_t count)
{
    iot_telemetry *self = instance;

    for (size_t i = 0; i < count; i++) {
        const ph_record *record = &records[i];
        reading in;

        if (read_reading(self, record, &in) != 0)
            continue;
        if (ph_window_is_closed(&self->clock, ph_window_start(&self->clock, in.time_ms))) {
            self->host->reject(self->ctx, record, "late event");
            continue;
        }
        if (add_reading(self, record, &in) != 0 || check_rules(self, record, &in) != 0) {
            self->host->log(self->ctx, PH_LOG_ERROR, "could not count a reading or emit an "
                                                     "alert (out of memory)");
            return PH_FATAL;
        }
        ph_window_observe(&self->clock, in.time_ms);
        if (close_windows(self, record) != 0) {
            self->host->log(self->ctx, PH_LOG_ERROR, "could not emit a closed window");
            return PH_FATAL;
        }
    }
    return PH_OK;
}

static ph_status iot_telemetry_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    iot_telemetry *self = instance;

    *retain_offset = ph_window_set_retain_offset(&self->windows);
    ph_window_clock_checkpoint(&self->clock, &self->windows, self->host, self->ctx);
    if (mode != PH_FLUSH_FINAL)
        return PH_OK;
    /* Going away: the open windows as they stand, provisional. */
    for (size_t i = 0; i < self->windows.count; i++) {
        if (emit_window(self, &self->windows.windows[i], NULL, 0) != 0) {
            self->host->log(self->ctx, PH_LOG_ERROR, "could not emit an open window");
            return PH_FATAL;
        }
    }
    return PH_OK;
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
