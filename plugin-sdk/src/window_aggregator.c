/*
 * The windowed aggregator: the record loop and flush of a plugin that
 * counts records into tumbling event-time windows, around the plugin's
 * own callbacks (see window.h).
 */
#include <pipehost/window.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ph_window_result_key(ph_window_result *result, const char *group, size_t group_len,
                         int32_t partition)
{
    size_t start_len = strlen(result->start);
    /* GROUP|START, then "|2147483647" at the longest, and a NUL. */
    size_t needed = group_len + 1 + start_len + 12;
    char *key;

    if (needed > result->key_capacity) {
        key = realloc(result->key, needed);
        if (key == NULL)
            return -1;
        result->key = key;
        result->key_capacity = needed;
    }
    key = result->key;
    memcpy(key, group, group_len);
    key[group_len] = '|';
    memcpy(key + group_len + 1, result->start, start_len);
    result->key_len = group_len + 1 + start_len;
    if (partition >= 0)
        result->key_len += (size_t)snprintf(key + result->key_len,
                                            result->key_capacity - result->key_len, "|%d",
                                            (int)partition);
    return 0;
}

int ph_window_aggregator_init(ph_window_aggregator *aggregator,
                              const ph_window_aggregator_ops *ops, void *plugin,
                              const ph_host_api *host, ph_context *ctx, const json_t *config,
                              char *err, size_t err_size)
{
    memset(aggregator, 0, sizeof(*aggregator));
    aggregator->ops = ops;
    aggregator->plugin = plugin;
    aggregator->host = host;
    aggregator->ctx = ctx;
    ph_window_set_init(&aggregator->windows);
    ph_json_text_init(&aggregator->result.value);
    if (ph_window_clock_configure(&aggregator->clock, config, err, err_size) != 0)
        return -1;
    /* After a restart: resume the watermark where replay starts. */
    ph_window_clock_restore(&aggregator->clock, host, ctx);
    return 0;
}

void ph_window_aggregator_free(ph_window_aggregator *aggregator)
{
    for (size_t i = 0; i < aggregator->windows.count; i++) {
        if (aggregator->windows.windows[i].state != NULL)
            aggregator->ops->destroy(aggregator->windows.windows[i].state);
    }
    if (aggregator->spare != NULL)
        aggregator->ops->destroy(aggregator->spare);
    ph_window_set_free(&aggregator->windows);
    ph_json_text_free(&aggregator->result.value);
    free(aggregator->result.key);
    memset(aggregator, 0, sizeof(*aggregator));
}

/* Emit every result of a window. origin: the record that closed it, or
 * NULL in a flush. 0, or -1 when out of memory or the host could not take
 * a record. */
static int emit_window(ph_window_aggregator *aggregator, const ph_open_window *window,
                       const ph_record *origin, int final)
{
    const ph_host_api *host = aggregator->host;
    ph_window_result *result = &aggregator->result;
    size_t count;

    if (window->state == NULL) /* opened, then out of memory: holds nothing */
        return 0;
    count = aggregator->ops->result_count(window->state);
    host->format_time(window->start_ms, result->start, sizeof(result->start));
    host->format_time(ph_window_end(&aggregator->clock, window->start_ms), result->end,
                      sizeof(result->end));
    result->final = final;
    for (size_t i = 0; i < count; i++) {
        ph_json_text_reset(&result->value);
        result->key_len = 0;
        if (aggregator->ops->write_result(aggregator->plugin, window->state, i, result) != 0 ||
            ph_json_text_failed(&result->value) ||
            host->emit(aggregator->ctx, origin, result->key, result->key_len,
                       result->value.data, result->value.length) != 0)
            return -1;
    }
    return 0;
}

/* The state of a window just opened: the spare one if there is, else a new
 * one. NULL out of memory. */
static void *window_state(ph_window_aggregator *aggregator, ph_open_window *window)
{
    if (window->state == NULL) {
        window->state = aggregator->spare != NULL ? aggregator->spare
                                                  : aggregator->ops->create(aggregator->plugin);
        aggregator->spare = NULL;
    }
    return window->state;
}

/* A closed window's state: kept, emptied, as the spare when the plugin can
 * empty one and there is none yet; freed otherwise. */
static void retire_state(ph_window_aggregator *aggregator, void *state)
{
    if (state == NULL)
        return;
    if (aggregator->spare == NULL && aggregator->ops->clear != NULL) {
        aggregator->ops->clear(state);
        aggregator->spare = state;
    } else {
        aggregator->ops->destroy(state);
    }
}

/* Emit as final, and drop, every window the watermark has closed. */
static int close_windows(ph_window_aggregator *aggregator, const ph_record *origin)
{
    ph_open_window *window;

    while ((window = ph_window_set_oldest_closed(&aggregator->windows, &aggregator->clock)) !=
           NULL) {
        if (emit_window(aggregator, window, origin, 1) != 0)
            return -1;
        retire_state(aggregator, window->state);
        ph_window_set_remove_oldest(&aggregator->windows);
    }
    return 0;
}

/* One record: read, late or counted, then the windows it closes. */
static ph_status take_record(ph_window_aggregator *aggregator, const ph_record *record)
{
    const ph_window_aggregator_ops *ops = aggregator->ops;
    ph_window_clock *clock = &aggregator->clock;
    ph_open_window *window;
    int64_t event_ms, start_ms;

    if (ops->read(aggregator->plugin, record, &event_ms) != 0)
        return PH_OK; /* rejected */
    start_ms = ph_window_start(clock, event_ms);
    if (ph_window_is_closed(clock, start_ms)) {
        aggregator->host->reject(aggregator->ctx, record, "late event");
        return PH_OK;
    }
    window = ph_window_set_open(&aggregator->windows, clock, start_ms, record->offset);
    if (window == NULL || window_state(aggregator, window) == NULL ||
        ops->add(aggregator->plugin, window->state, record) != 0) {
        aggregator->host->log(aggregator->ctx, PH_LOG_ERROR, "%s", ops->add_failure);
        return PH_FATAL;
    }
    ph_window_observe(clock, event_ms);
    if (close_windows(aggregator, record) != 0) {
        aggregator->host->log(aggregator->ctx, PH_LOG_ERROR, "could not emit a closed window");
        return PH_FATAL;
    }
    return PH_OK;
}

ph_status ph_window_aggregator_process(ph_window_aggregator *aggregator,
                                       const ph_record *records, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (take_record(aggregator, &records[i]) != PH_OK)
            return PH_FATAL;
    }
    return PH_OK;
}

ph_status ph_window_aggregator_flush(ph_window_aggregator *aggregator, ph_flush_mode mode,
                                     int64_t *retain_offset)
{
    *retain_offset = ph_window_set_retain_offset(&aggregator->windows);
    ph_window_clock_checkpoint(&aggregator->clock, &aggregator->windows, aggregator->host,
                               aggregator->ctx);
    if (mode != PH_FLUSH_FINAL)
        return PH_OK;
    /* Going away: the open windows as they stand, provisional. */
    for (size_t i = 0; i < aggregator->windows.count; i++) {
        if (emit_window(aggregator, &aggregator->windows.windows[i], NULL, 0) != 0) {
            aggregator->host->log(aggregator->ctx, PH_LOG_ERROR, "could not emit an open window");
            return PH_FATAL;
        }
    }
    return PH_OK;
}
