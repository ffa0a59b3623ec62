/*
 * The readings of one window, per device: a count, and the minimum,
 * maximum and sum of each aggregated metric.
 */
#ifndef IOT_TELEMETRY_DEVICE_WINDOW_H
#define IOT_TELEMETRY_DEVICE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include <pipehost/key_table.h>

typedef struct metric_stats {
    double min;
    double max;
    double sum;
} metric_stats;

typedef struct device_stats {
    int64_t count;
    metric_stats metrics[]; /* the window's metric_count */
} device_stats;

typedef struct device_window {
    ph_key_table devices; /* device_id -> device_stats */
    size_t metric_count;
} device_window;

/* A window with no readings, or NULL out of memory. */
device_window *device_window_create(size_t metric_count);
void device_window_destroy(device_window *window);

/* Count a reading of metric_count values. 0, or -1 out of memory. */
int device_window_add(device_window *window, const char *device_id, size_t device_id_len,
                      const double *values);

/* Devices in the order of their first reading in the window. */
size_t device_window_count(const device_window *window);
const device_stats *device_window_stats(const device_window *window, size_t index,
                                        const char **device_id, size_t *device_id_len);

#endif
