/*
 * Tumbling event-time windows: alignment, the watermark, and the set of a
 * partition's open windows with the offsets they still need. The
 * aggregator built on them is in window_aggregator.c.
 */
#include <pipehost/window.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ph_window_clock_init(ph_window_clock *clock, int64_t length_ms, int64_t allowed_lateness_ms,
                         char *err, size_t err_size)
{
    if (length_ms < 1 || length_ms > PH_WINDOW_DURATION_MAX) {
        snprintf(err, err_size, "window: must be from 1ms to 3650d, not %" PRId64 "ms",
                 length_ms);
        return -1;
    }
    if (allowed_lateness_ms < 0 || allowed_lateness_ms > PH_WINDOW_DURATION_MAX) {
        snprintf(err, err_size, "allowed_lateness: must be from 0ms to 3650d, not %" PRId64 "ms",
                 allowed_lateness_ms);
        return -1;
    }
    clock->length_ms = length_ms;
    clock->allowed_lateness_ms = allowed_lateness_ms;
    clock->max_event_ms = PH_WINDOW_NO_TIME;
    return 0;
}

int ph_window_clock_configure(ph_window_clock *clock, const json_t *config, char *err,
                              size_t err_size)
{
    const json_t *window = json_object_get(config, "window");
    const json_t *lateness = json_object_get(config, "allowed_lateness");

    if (!json_is_integer(window)) {
        snprintf(err, err_size, "window: expected a duration");
        return -1;
    }
    if (!json_is_integer(lateness)) {
        snprintf(err, err_size, "allowed_lateness: expected a duration");
        return -1;
    }
    return ph_window_clock_init(clock, json_integer_value(window), json_integer_value(lateness),
                                err, err_size);
}

int ph_window_time_in_range(int64_t event_ms)
{
    return event_ms >= PH_WINDOW_TIME_MIN && event_ms <= PH_WINDOW_TIME_MAX;
}

int64_t ph_window_start(const ph_window_clock *clock, int64_t event_ms)
{
    int64_t into_window = event_ms % clock->length_ms;

    /* C's % truncates toward zero: below zero, step back one window. */
    if (into_window < 0)
        into_window += clock->length_ms;
    return event_ms - into_window;
}

int64_t ph_window_end(const ph_window_clock *clock, int64_t window_start)
{
    return window_start + clock->length_ms;
}

int64_t ph_window_watermark(const ph_window_clock *clock)
{
    if (clock->max_event_ms == PH_WINDOW_NO_TIME)
        return PH_WINDOW_NO_TIME;
    return clock->max_event_ms - clock->allowed_lateness_ms;
}

int ph_window_is_closed(const ph_window_clock *clock, int64_t window_start)
{
    int64_t watermark = ph_window_watermark(clock);

    return watermark != PH_WINDOW_NO_TIME && watermark >= ph_window_end(clock, window_start);
}

void ph_window_observe(ph_window_clock *clock, int64_t event_ms)
{
    if (clock->max_event_ms == PH_WINDOW_NO_TIME || event_ms > clock->max_event_ms)
        clock->max_event_ms = event_ms;
}

void ph_window_set_init(ph_window_set *set)
{
    set->windows = NULL;
    set->count = 0;
    set->capacity = 0;
}

void ph_window_set_free(ph_window_set *set)
{
    free(set->windows);
    ph_window_set_init(set);
}

/* Index of the first window starting at or after start_ms. Records mostly
 * land in the newest window, so that one is tried before the search. */
static size_t window_position(const ph_window_set *set, int64_t start_ms)
{
    size_t low = 0, high = set->count;

    if (set->count > 0 && set->windows[set->count - 1].start_ms <= start_ms)
        return set->windows[set->count - 1].start_ms == start_ms ? set->count - 1 : set->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (set->windows[middle].start_ms < start_ms)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

ph_open_window *ph_window_set_open(ph_window_set *set, const ph_window_clock *clock,
                                   int64_t start_ms, int64_t offset)
{
    size_t position = window_position(set, start_ms);
    ph_open_window *window;

    if (position < set->count && set->windows[position].start_ms == start_ms) {
        window = &set->windows[position];
        if (offset < window->oldest_offset) {
            window->oldest_offset = offset;
            window->oldest_watermark = ph_window_watermark(clock);
        }
        return window;
    }
    if (set->count == set->capacity) {
        size_t capacity = set->capacity > 0 ? set->capacity * 2 : 4;
        ph_open_window *grown = realloc(set->windows, capacity * sizeof(*grown));

        if (grown == NULL)
            return NULL;
        set->windows = grown;
        set->capacity = capacity;
    }
    window = &set->windows[position];
    memmove(window + 1, window, (set->count - position) * sizeof(*window));
    set->count++;
    window->start_ms = start_ms;
    window->oldest_offset = offset;
    window->oldest_watermark = ph_window_watermark(clock);
    window->state = NULL;
    return window;
}

ph_open_window *ph_window_set_oldest_closed(const ph_window_set *set,
                                            const ph_window_clock *clock)
{
    if (set->count == 0 || !ph_window_is_closed(clock, set->windows[0].start_ms))
        return NULL;
    return &set->windows[0];
}

void ph_window_set_remove_oldest(ph_window_set *set)
{
    if (set->count == 0)
        return;
    set->count--;
    memmove(&set->windows[0], &set->windows[1], set->count * sizeof(set->windows[0]));
}

/* The open window holding the retain offset, or NULL when none is open. */
static const ph_open_window *retaining_window(const ph_window_set *set)
{
    const ph_open_window *retaining = NULL;

    for (size_t i = 0; i < set->count; i++) {
        if (retaining == NULL || set->windows[i].oldest_offset < retaining->oldest_offset)
            retaining = &set->windows[i];
    }
    return retaining;
}

int64_t ph_window_set_retain_offset(const ph_window_set *set)
{
    const ph_open_window *retaining = retaining_window(set);

    return retaining != NULL ? retaining->oldest_offset : PH_OFFSET_NONE;
}

int64_t ph_window_resume_watermark(const ph_window_set *set, const ph_window_clock *clock)
{
    const ph_open_window *retaining = retaining_window(set);

    return retaining != NULL ? retaining->oldest_watermark : ph_window_watermark(clock);
}
