/*
 * One iot_telemetry window's per-device statistics.
 */
#include "device_window.h"

#include <stdlib.h>

device_window *device_window_create(size_t metric_count)
{
    device_window *window = calloc(1, sizeof(*window));

    if (window == NULL)
        return NULL;
    window->metric_count = metric_count;
    if (ph_key_table_init(&window->devices,
                          sizeof(device_stats) + metric_count * sizeof(metric_stats)) != 0) {
        device_window_destroy(window);
        return NULL;
    }
    return window;
}

void device_window_destroy(device_window *window)
{
    if (window == NULL)
        return;
    ph_key_table_free(&window->devices);
    free(window);
}

int device_window_add(device_window *window, const char *device_id, size_t device_id_len,
                      const double *values)
{
    int added;
    int64_t entry = ph_key_table_add(&window->devices, device_id, device_id_len, &added);
    device_stats *stats;

    if (entry < 0)
        return -1;
    stats = ph_key_table_value(&window->devices, (size_t)entry);
    for (size_t i = 0; i < window->metric_count; i++) {
        metric_stats *metric = &stats->metrics[i];

        if (added || values[i] < metric->min)
            metric->min = values[i];
        if (added || values[i] > metric->max)
            metric->max = values[i];
        metric->sum += values[i];
    }
    stats->count++;
    return 0;
}

size_t device_window_count(const device_window *window)
{
    return ph_key_table_count(&window->devices);
}

const device_stats *device_window_stats(const device_window *window, size_t index,
                                        const char **device_id, size_t *device_id_len)
{
    *device_id = ph_key_table_key(&window->devices, index, device_id_len);
    return ph_key_table_value(&window->devices, index);
}
