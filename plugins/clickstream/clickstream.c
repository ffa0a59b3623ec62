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

typedef struct clickstream {
    const ph_host_api *host;
    ph_context *ctx;
    ph_window_aggregator aggregator; /* each window's state is a page_window */
    click_event event;               /* the event read last */
} clickstream;

/* The action's kind; a rating must come with an integer rating 1..5. 0, or
 * -1 after rejecting the record. */
static int read_action(const clickstream *self, const ph_record *record, const char *action,
                       size_t action_len, const ph_field *rating, click_event *event)
{
    event->action = CLICK_OTHER;
    event->rating = 0;
    if (action_len == 4 && memcmp(action, "view", 4) == 0) {
        event->action = CLICK_VIEW;
    } else if (action_len == 6 && memcmp(action, "rating", 6) == 0) {
        if (rating->type == PH_JSON_ABSENT) {
            self->host->reject(self->ctx, record, "missing field 'rating'");
            return -1;
        }
        if (rating->type != PH_JSON_INTEGER || rating->integer < 1 || rating->integer > 5) {
            self->host->reject(self->ctx, record, "field 'rating' must be an integer from 1 to 5");
            return -1;
        }
        event->action = CLICK_RATING;
        event->rating = (int)rating->integer;
    }
    return 0;
}

/* Read the event a record carries into self->event: 0 with its time, or
 * -1 after rejecting the record. */
static int read_event(void *plugin, const ph_record *record, int64_t *time_ms)
{
    clickstream *self = plugin;
    click_event *event = &self->event;
    const ph_host_api *host = self->host;
    ph_field fields[FIELD_COUNT];
    const char *action;
    size_t action_len;

    if (ph_record_fields(host, self->ctx, record, field_names, FIELD_COUNT, fields) != 0 ||
        ph_field_time(host, self->ctx, record, field_names[FIELD_TIMESTAMP],
                      &fields[FIELD_TIMESTAMP], &event->time_ms) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_USERID], &fields[FIELD_USERID],
                        &event->userid, &event->userid_len) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_PAGE], &fields[FIELD_PAGE],
                        &event->page, &event->page_len) != 0 ||
        ph_field_string(host, self->ctx, record, field_names[FIELD_ACTION], &fields[FIELD_ACTION],
                        &action, &action_len) != 0 ||
        read_action(self, record, action, action_len, &fields[FIELD_RATING], event) != 0)
        return -1;
    *time_ms = event->time_ms;
    return 0;
}

static void *create_window(void *plugin)
{
    (void)plugin;
    return page_window_create();
}

/* Count the event read last in its window. 0, or -1 out of memory. */
static int add_event(void *plugin, void *window, const ph_record *record)
{
    const click_event *event = &((clickstream *)plugin)->event;

    return page_window_add(window, record->partition, event->page, event->page_len,
                           event->userid, event->userid_len, event->action, event->rating);
}

static size_t page_count(const void *window)
{
    return page_window_page_count(window);
}

/* One page of a window: keyed PAGE|WINDOW_START|PARTITION (the page may
 * hold '|': the last two parts are always the time and partition). 0, or
 * -1 out of memory. */
static int write_page(void *plugin, const void *window, size_t index, ph_window_result *result)
{
    page_group group = page_window_page(window, index);
    const page_counts *counts = group.counts;
    ph_json_text *text = &result->value;

    (void)plugin;
    if (ph_window_result_key(result, group.page, group.page_len, group.partition) != 0)
        return -1;
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "window_start");
    ph_json_text_string(text, result->start, strlen(result->start));
    ph_json_text_key(text, "window_end");
    ph_json_text_string(text, result->end, strlen(result->end));
    ph_json_text_key(text, "page");
    ph_json_text_string(text, group.page, group.page_len);
    ph_json_text_key(text, "partition");
    ph_json_text_int(text, group.partition);
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
    ph_json_text_bool(text, result->final);
    ph_json_text_end_object(text);
    return 0;
}

static void clear_window(void *window)
{
    page_window_clear(window);
}

static void destroy_window(void *window)
{
    page_window_destroy(window);
}

static const ph_window_aggregator_ops clickstream_ops = {
    .read = read_event,
    .create = create_window,
    .add = add_event,
    .result_count = page_count,
    .write_result = write_page,
    .clear = clear_window,
    .destroy = destroy_window,
    .add_failure = "out of memory counting an event",
};

static void clickstream_destroy(void *instance)
{
    clickstream *self = instance;

    if (self == NULL)
        return;
    ph_window_aggregator_free(&self->aggregator);
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
    return ph_window_aggregator_init(&self->aggregator, &clickstream_ops, self, host, ctx, config,
                                     err, err_size);
}

static ph_status clickstream_process(void *instance, const ph_record *records, size_t count)
{
    return ph_window_aggregator_process(&((clickstream *)instance)->aggregator, records, count);
}

static ph_status clickstream_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    return ph_window_aggregator_flush(&((clickstream *)instance)->aggregator, mode, retain_offset);
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
