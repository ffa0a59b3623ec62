/*
 * clickstream: per page, per tumbling event-time window, count a shop's
 * click events, its views and the distinct users who viewed, and its
 * ratings.
 *
 * One instance serves one partition. A window is emitted once, with
 * "final": true, when the partition's watermark reaches its end; a record
 * for a window already emitted is rejected as late. The final flush emits
 * the windows still open with "final": false, and every flush reports the
 * oldest offset those windows hold, so that a restart rebuilds them by
 * replay, and checkpoints the watermark that replay starts from, so that
 * it takes every record as the first run did. Each output record is
 * keyed PAGE|WINDOW_START|PARTITION: a provisional window emitted again
 * overwrites the same key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/json_text.h>
#include <pipehost/plugin.h>
#include <pipehost/record_fields.h>
#include <pipehost/window.h>

#include "page_window.h"

/* "2022-01-01T12:22:25.123Z" and room to spare. */
#define TIME_TEXT_SIZE 40

typedef struct clickstream {
    const ph_host_api *host;
    ph_context *ctx;
    ph_window_clock clock;
    ph_window_set windows; /* each state is a page_window */
    page_window *spare;    /* the last closed window, emptied, for the next */
    ph_json_text value;    /* the output record being written */
    char *key;             /* the output key being written */
    size_t key_capacity;
} clickstream;

/* The fields read from an input record, in the order of field_names. */
enum click_field { FIELD_TIMESTAMP, FIELD_USERID, FIELD_PAGE, FIELD_ACTION, FIELD_RATING,
                   FIELD_COUNT };

static const char *const field_names[FIELD_COUNT] = {
    [FIELD_TIMESTAMP] = "timestamp",
    [FIELD_USERID] = "userid",
    [FIELD_PAGE] = "page",
    [FIELD_ACTION] = "action",
    [FIELD_RATING] = "rating",
};

/* One accepted event, read from a record. */
typedef struct click_event {
    int64_t time_ms;
    const char *userid;
    size_t userid_len;
    const char *page;
    size_t page_len;
    click_action action;
    int rating;
} click_event;

static void clickstream_destroy(void *instance)
{
    clickstream *self = instance;

    if (self == NULL)
        return;
    for (size_t i = 0; i < self->windows.count; i++)
        page_window_destroy(self->windows.windows[i].state);
    page_window_destroy(self->spare);
    ph_window_set_free(&self->windows);
    ph_json_text_free(&self->value);
    free(self->key);
    free(self);
}

static int clickstream_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                            void **instance, char *err, size_t err_size)
{
    clickstream *self = calloc(1, sizeof(*self));

    *instance = self;
    if (self == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->host = host;
    self->ctx = ctx;
    ph_window_set_init(&self->windows);
    ph_json_text_init(&self->value);
    if (ph_window_clock_configure(&self->clock, config, err, err_size) != 0)
        return -1;
    /* After a restart: resume the watermark where replay starts. */
    ph_window_clock_restore(&self->clock, host, ctx);
    return 0;
}

/* The action's kind; a rating must come with an integer rating 1..5. 0, or
 * -1 after rejecting the record. */
static int read_action(const clickstream *self, const ph_record *record, const char *action,
                       size_t action_len, const json_t *rating, click_event *event)
{
    event->action = CLICK_OTHER;
    event->rating = 0;
    if (action_len == 4 && memcmp(action, "view", 4) == 0) {
        event->action = CLICK_VIEW;
    } else if (action_len == 6 && memcmp(action, "rating", 6) == 0) {
        if (rating == NULL) {
            self->host->reject(self->ctx, record, "missing field 'rating'");
            return -1;
        }
        if (!json_is_integer(rating) || json_integer_value(rating) < 1 ||
            json_integer_value(rating) > 5) {
            self->host->reject(self->ctx, record, "field 'rating' must be an integer from 1 to 5");
            return -1;
        }
        event->action = CLICK_RATING;
        event->rating = (int)json_integer_value(rating);
    }
    return 0;
}

/* The event a record carries, or -1 after rejecting the record. */
static int read_event(const clickstream *self, const ph_record *record, click_event *event)
{
    const ph_host_api *host = self->host;
    const json_t *object = ph_record_object(host, self->ctx, record);
    json_t *fields[FIELD_COUNT];
    const char *action;
    size_t action_len;

    if (object == NULL)
        return -1;
    ph_object_fields(object, field_names, FIELD_COUNT, fields);
    if (ph_field_time(host, self->ctx, record, field_names[FIELD_TIMESTAMP],
                      fields[FIELD_TIMESTAMP], &event->time_ms) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_USERID], fields[FIELD_USERID],
                        &event->userid, &event->userid_len) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_PAGE], fields[FIELD_PAGE],
                        &event->page, &event->page_len) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_ACTION], fields[FIELD_ACTION],
                        &action, &action_len) != 0)
        return -1;
    return read_action(self, record, action, action_len, fields[FIELD_RATING], event);
}

/* The output key PAGE|WINDOW_START|PARTITION into self->key (the page
 * may hold '|': the last two parts are always the time and partition).
 * Its length, or -1 out of memory. */
static int write_key(clickstream *self, const page_group *group, const char *start)
{
    size_t needed = group->page_len + TIME_TEXT_SIZE + 16;
    int length;

    if (needed > self->key_capacity) {
        char *key = realloc(self->key, needed);

        if (key == NULL)
            return -1;
        self->key = key;
        self->key_capacity = needed;
    }
    memcpy(self->key, group->page, group->page_len);
    length = snprintf(self->key + group->page_len, self->key_capacity - group->page_len,
                      "|%s|%d", start, (int)group->partition);
    return (int)group->page_len + length;
}

/* The output value of one page of a window into self->value. 0, or -1 out
 * of memory. */
static int write_value(clickstream *self, const page_group *group, const char *start,
                       const char *end, int final)
{
    ph_json_text *text = &self->value;
    const page_counts *counts = group->counts;

    ph_json_text_reset(text);
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "window_start");
    ph_json_text_string(text, start, strlen(start));
    ph_json_text_key(text, "window_end");
    ph_json_text_string(text, end, strlen(end));
    ph_json_text_key(text, "page");
    ph_json_text_string(text, group->page, group->page_len);
    ph_json_text_key(text, "partition");
    ph_json_text_int(text, group->partition);
    ph_json_text_key(text, "events");
    ph_json_text_int(text, counts->events);
    ph_json_text_key(text, "views");
    ph_json_text_int(text, counts->views);
    ph_json_text_key(text, "users");
    ph_json_text_int(text, counts->users);
    ph_json_text_key(text, "ratings");
    ph_json_text_int(text, counts->ratings);
    ph_json_text_key(text, "rating_sum");
    ph_json_text_int(text, counts->rating_sum);
    ph_json_text_key(text, "final");
    ph_json_text_bool(text, final);
    ph_json_text_end_object(text);
    return ph_json_text_failed(text) ? -1 : 0;
}

/* Emit every page of a window. origin: the record that closed it, or NULL
 * in a flush. 0, or -1 when out of memory or the host could not take a
 * record. */
static int emit_window(clickstream *self, const ph_open_window *open, const ph_record *origin,
                       int final)
{
    const page_window *window = open->state;
    char start[TIME_TEXT_SIZE], end[TIME_TEXT_SIZE];
    size_t page_count;

    if (window == NULL) /* opened, then out of memory: holds nothing */
        return 0;
    page_count = page_window_page_count(window);
    self->host->format_time(open->start_ms, start, sizeof(start));
    self->host->format_time(ph_window_end(&self->clock, open->start_ms), end, sizeof(end));
    for (size_t i = 0; i < page_count; i++) {
        page_group group = page_window_page(window, i);
        int key_len = write_key(self, &group, start);

        if (key_len < 0 || write_value(self, &group, start, end, final) != 0 ||
            self->host->emit(self->ctx, origin, self->key, (size_t)key_len, self->value.data,
                             self->value.length) != 0)
            return -1;
    }
    return 0;
}

/* Emit as final, and drop, every window the watermark has closed. */
static int close_windows(clickstream *self, const ph_record *origin)
{
    ph_open_window *open;

    while ((open = ph_window_set_oldest_closed(&self->windows, &self->clock)) != NULL) {
        if (emit_window(self, open, origin, 1) != 0)
            return -1;
        /* Windows follow one another with similar contents: keep one's
         * tables for the next instead of freeing and growing them again. */
        if (self->spare == NULL && open->state != NULL) {
            page_window_clear(open->state);
            self->spare = open->state;
        } else {
            page_window_destroy(open->state);
        }
        ph_window_set_remove_oldest(&self->windows);
    }
    return 0;
}

/* Count an event in its window. 0, or -1 out of memory. */
static int add_event(clickstream *self, const ph_record *record, const click_event *event)
{
    int64_t start = ph_window_start(&self->clock, event->time_ms);
    ph_open_window *open =
        ph_window_set_open(&self->windows, &self->clock, start, record->offset);

    if (open == NULL)
        return -1;
    if (open->state == NULL) {
        open->state = self->spare != NULL ? self->spare : page_window_create();
        self->spare = NULL;
        if (open->state == NULL)
            return -1;
    }
    return page_window_add(open->state, record->partition, event->page, event->page_len,
                           event->userid, event->userid_len, event->action, event->rating);
}

static ph_status clickstream_process(void *instance, const ph_record *records, size_t count)
{
    clickstream *self = instance;

    for (size_t i = 0; i < count; i++) {
        const ph_record *record = &records[i];
        click_event event;

        if (read_event(self, record, &event) != 0)
            continue;
        if (ph_window_is_closed(&self->clock, ph_window_start(&self->clock, event.time_ms))) {
            self->host->reject(self->ctx, record, "late event");
            continue;
        }
        if (add_event(self, record, &event) != 0) {
            self->host->log(self->ctx, PH_LOG_ERROR, "out of memory counting an event");
            return PH_FATAL;
        }
        ph_window_observe(&self->clock, event.time_ms);
        if (close_windows(self, record) != 0) {
            self->host->log(self->ctx, PH_LOG_ERROR, "could not emit a closed window");
            return PH_FATAL;
        }
    }
    return PH_OK;
}

static ph_status clickstream_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    clickstream *self = instance;

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

static const ph_config_field clickstream_fields[] = {
    PH_WINDOW_CONFIG_FIELDS("1m", "10s"),
};

static const ph_descriptor clickstream_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "clickstream",
    .version = "1.0.0",
    .description = "per page and event-time window: events, views, distinct viewers, ratings",
    .config_fields = clickstream_fields,
    .config_field_count = sizeof(clickstream_fields) / sizeof(clickstream_fields[0]),
    .init = clickstream_init,
    .process = clickstream_process,
    .flush = clickstream_flush,
    .destroy = clickstream_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &clickstream_descriptor;
}
