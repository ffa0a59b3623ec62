#include "cli/demo_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP_ROWS 10

static const char *text(const json_t *row, const char *field)
{
    const char *value = json_string_value(json_object_get(row, field));
    return value ? value : "";
}

static double number(const json_t *row, const char *field)
{
    return json_number_value(json_object_get(row, field));
}

/* The key a use case's plugin gives a row, or NULL for an event row. */
static int row_key(const char *use_case, const json_t *row, char *key, size_t size)
{
    if (strcmp(use_case, "clickstream") == 0) {
        snprintf(key, size, "%s|%s|%lld", text(row, "page"), text(row, "window_start"),
                 (long long)json_integer_value(json_object_get(row, "partition")));
    } else if (strcmp(use_case, "iot") == 0) {
        if (strcmp(text(row, "type"), "stats") != 0)
            return 0;
        snprintf(key, size, "%s|%s", text(row, "device_id"), text(row, "window_start"));
    } else {
        snprintf(key, size, "%s", text(row, "conversation_id"));
    }
    return 1;
}

int demo_output_read(const char *use_case, const char *path, demo_output *out)
{
    out->latest = json_object();
    out->events = json_array();
    out->lines = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t size = 0;
    while (getline(&line, &size, f) > 0) {
        json_t *row = json_loads(line, 0, NULL);
        if (!json_is_object(row)) {
            json_decref(row);
            continue;
        }
        out->lines++;
        char key[512];
        if (row_key(use_case, row, key, sizeof(key)))
            json_object_set_new(out->latest, key, row);
        else
            json_array_append_new(out->events, row);
    }
    free(line);
    fclose(f);
    return 0;
}

void demo_output_free(demo_output *out)
{
    json_decref(out->latest);
    json_decref(out->events);
}

/* Sum numeric fields of rows into one object per group (by group_field). */
static json_t *sum_by(const json_t *rows, const char *group_field, const char *const *fields,
                      size_t field_count)
{
    json_t *groups = json_object();
    const char *key;
    json_t *row;
    json_object_foreach((json_t *)rows, key, row) {
        const char *group = text(row, group_field);
        json_t *sums = json_object_get(groups, group);
        if (!sums) {
            sums = json_object();
            json_object_set_new(groups, group, sums);
        }
        for (size_t i = 0; i < field_count; i++) {
            double sum = number(sums, fields[i]) + number(row, fields[i]);
            json_object_set_new(sums, fields[i], json_real(sum));
        }
    }
    return groups;
}

typedef struct ranked {
    const char *name;
    json_t *values;
    double score;
} ranked;

static int by_score_descending(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The groups sorted by score_field, highest first. Caller frees. */
static ranked *rank(json_t *groups, const char *score_field, size_t *count)
{
    *count = json_object_size(groups);
    ranked *items = calloc(*count ? *count : 1, sizeof(*items));
    if (!items) {
        *count = 0;
        return NULL;
    }
    size_t i = 0;
    const char *name;
    json_t *values;
    json_object_foreach(groups, name, values) {
        items[i++] = (ranked){name, values, number(values, score_field)};
    }
    qsort(items, *count, sizeof(*items), by_score_descending);
    return items;
}

void demo_summarize_clickstream(FILE *out, const demo_output *rows)
{
    static const char *const fields[] = {"events", "views", "users", "ratings", "rating_sum"};
    json_t *pages = sum_by(rows->latest, "page", fields, 5);
    size_t count;
    ranked *top = rank(pages, "views", &count);
    fprintf(out, "%zu (page, window, partition) rows for %zu pages. Top pages by views\n"
                 "(users: distinct viewers per window, summed over windows):\n\n",
            json_object_size(rows->latest), count);
    fprintf(out, "  %-16s %9s %9s %8s %10s\n", "page", "views", "users", "ratings", "avg rating");
    for (size_t i = 0; i < count && i < TOP_ROWS; i++) {
        double ratings = number(top[i].values, "ratings");
        char average[16] = "-";
        if (ratings > 0)
            snprintf(average, sizeof(average), "%.2f", number(top[i].values, "rating_sum") / ratings);
        fprintf(out, "  %-16s %9.0f %9.0f %8.0f %10s\n", top[i].name,
                number(top[i].values, "views"), number(top[i].values, "users"), ratings, average);
    }
    free(top);
    json_decref(pages);
}

/* Fold one window's min/max/mean of metric into a device's totals. */
static void fold_metric(json_t *device, const json_t *window, const char *metric)
{
    const json_t *stats = json_object_get(window, metric);
    double count = number(window, "count");
    if (!stats || count <= 0)
        return;
    char name[64];
    snprintf(name, sizeof(name), "%s_min", metric);
    double min = number(stats, "min");
    if (!json_object_get(device, name) || min < number(device, name))
        json_object_set_new(device, name, json_real(min));
    snprintf(name, sizeof(name), "%s_max", metric);
    double max = number(stats, "max");
    if (!json_object_get(device, name) || max > number(device, name))
        json_object_set_new(device, name, json_real(max));
    snprintf(name, sizeof(name), "%s_sum", metric);
    json_object_set_new(device, name,
                        json_real(number(device, name) + number(stats, "mean") * count));
}

static json_t *device_entry(json_t *devices, const char *id)
{
    json_t *device = json_object_get(devices, id);
    if (!device) {
        device = json_object();
        json_object_set_new(devices, id, device);
    }
    return device;
}

void demo_summarize_iot(FILE *out, const demo_output *rows)
{
    json_t *devices = json_object();
    const char *key;
    json_t *row;
    json_object_foreach(rows->latest, key, row) {
        json_t *device = device_entry(devices, text(row, "device_id"));
        json_object_set_new(device, "readings",
                            json_real(number(device, "readings") + number(row, "count")));
        fold_metric(device, row, "temperature");
        fold_metric(device, row, "pressure");
    }
    size_t i;
    json_array_foreach(rows->events, i, row) {
        json_t *device = device_entry(devices, text(row, "device_id"));
        json_object_set_new(device, "alerts", json_real(number(device, "alerts") + 1));
        char rule[128];
        snprintf(rule, sizeof(rule), "rule:%s", text(row, "rule"));
        json_object_set_new(device, rule, json_real(number(device, rule) + 1));
    }
    size_t count;
    ranked *top = rank(devices, "alerts", &count);
    size_t alerting = 0;
    for (size_t d = 0; d < count; d++)
        alerting += number(top[d].values, "alerts") > 0;
    fprintf(out, "%zu devices, %zu (device, window) rows, %zu alerts from %zu devices.\n"
                 "Devices with the most alerts:\n\n",
            count, json_object_size(rows->latest), json_array_size(rows->events), alerting);
    fprintf(out, "  %-12s %6s %11s %11s  %-24s %-24s\n", "device", "alerts", "overheating",
            "low-press.", "temperature min/mean/max", "pressure min/mean/max");
    for (size_t d = 0; d < count && d < TOP_ROWS && number(top[d].values, "alerts") > 0; d++) {
        const json_t *v = top[d].values;
        double readings = number(v, "readings");
        char temperature[64], pressure[64];
        snprintf(temperature, sizeof(temperature), "%.1f / %.1f / %.1f", number(v, "temperature_min"),
                 readings ? number(v, "temperature_sum") / readings : NAN, number(v, "temperature_max"));
        snprintf(pressure, sizeof(pressure), "%.1f / %.1f / %.1f", number(v, "pressure_min"),
                 readings ? number(v, "pressure_sum") / readings : NAN, number(v, "pressure_max"));
        fprintf(out, "  %-12s %6.0f %11.0f %11.0f  %-24s %-24s\n", top[d].name,
                number(v, "alerts"), number(v, "rule:overheating"), number(v, "rule:low-pressure"),
                temperature, pressure);
    }
    free(top);
    json_decref(devices);
}

void demo_summarize_chat(FILE *out, const demo_output *rows)
{
    json_t *agents = json_object();
    json_t *topics = json_object();
    size_t closed = 0;
    const char *key;
    json_t *row;
    json_object_foreach(rows->latest, key, row) {
        closed += json_is_true(json_object_get(row, "final"));
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(row, "topics"), i, item) {
            const char *topic = json_string_value(item);
            json_object_set_new(topics, topic, json_real(number(topics, topic) + 1));
        }
        json_array_foreach(json_object_get(row, "agents"), i, item) {
            json_t *agent = device_entry(agents, json_string_value(item));
            json_object_set_new(agent, "conversations",
                                json_real(number(agent, "conversations") + 1));
            json_object_set_new(agent, "sentiment_sum",
                                json_real(number(agent, "sentiment_sum") + number(row, "sentiment")));
            json_t *first = json_object_get(row, "first_response_s");
            if (json_is_number(first)) {
                json_object_set_new(agent, "answered", json_real(number(agent, "answered") + 1));
                json_object_set_new(agent, "first_sum",
                                    json_real(number(agent, "first_sum") + json_number_value(first)));
            }
        }
    }
    size_t count;
    ranked *top = rank(agents, "conversations", &count);
    fprintf(out, "%zu conversations (%zu ended, %zu still open at the end), %zu agents.\n"
                 "Agents with the most conversations:\n\n",
            json_object_size(rows->latest), closed, json_object_size(rows->latest) - closed, count);
    fprintf(out, "  %-12s %13s %22s %19s\n", "agent", "conversations", "mean first response s",
            "mean sentiment");
    for (size_t i = 0; i < count && i < TOP_ROWS; i++) {
        const json_t *v = top[i].values;
        double answered = number(v, "answered");
        fprintf(out, "  %-12s %13.0f %22.1f %19.2f\n", top[i].name, number(v, "conversations"),
                answered ? number(v, "first_sum") / answered : NAN,
                number(v, "sentiment_sum") / number(v, "conversations"));
    }
    free(top);
    fprintf(out, "\nConversations per topic:");
    const char *name;
    json_t *value;
    json_object_foreach(topics, name, value) {
        fprintf(out, " %s %.0f", name, json_number_value(value));
    }
    fprintf(out, "\n");
    json_decref(agents);
    json_decref(topics);
}
