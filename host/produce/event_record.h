#ifndef PIPEHOST_PRODUCE_EVENT_RECORD_H
#define PIPEHOST_PRODUCE_EVENT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "produce/json_text.h"

/*
 * One generated event as a list of named JSON values, before it becomes
 * record bytes. Keeping the fields apart lets the same event be written
 * well-formed or broken in a chosen way (a field left out, a value of the
 * wrong type) without each profile knowing how to break records.
 */

enum time_style {
    TIME_ISO_SECONDS, /* "2022-01-01T12:22:25", UTC without a zone */
    TIME_ISO_UTC,     /* "2022-01-01T12:22:25Z", ".120Z" when ms != 0 */
    TIME_EPOCH_MS,    /* 1641039745120 */
};

#define EVENT_RECORD_MAX_FIELDS 8
#define EVENT_RECORD_VALUE_BYTES 2048
#define EVENT_RECORD_KEY_BYTES 64

struct event_field {
    const char *name; /* a string literal */
    bool is_string;
    size_t value_offset; /* the JSON value text, in `values` */
    size_t value_len;
};

struct event_record {
    struct event_field fields[EVENT_RECORD_MAX_FIELDS];
    size_t field_count;
    struct json_text values;
    char value_storage[EVENT_RECORD_VALUE_BYTES];
    char key[EVENT_RECORD_KEY_BYTES];
    size_t key_len;
    int64_t event_ms; /* event time, for callers that check time order */
    int time_field;   /* the field event_record_add_time wrote, or -1 */
    enum time_style time_style;
    /* Set by a profile when the event, written as it is, refers to
     * something its plugin never saw (a close of a conversation none of
     * whose messages got through): the field concerned. Such an event is
     * rejected, and counts as bad. */
    const char *dangling_field;
    bool overflow;    /* a field or the key did not fit; the event is unusable */
};

void event_record_init(struct event_record *record);
void event_record_clear(struct event_record *record);

void event_record_set_key(struct event_record *record, const char *key, size_t len);

void event_record_add_string(struct event_record *record, const char *name, const char *value,
                             size_t len);
void event_record_add_int(struct event_record *record, const char *name, int64_t value);
void event_record_add_decimal(struct event_record *record, const char *name, int64_t scaled,
                              unsigned decimals);
/* The event time: also sets record->event_ms. */
void event_record_add_time(struct event_record *record, const char *name, int64_t epoch_ms,
                           enum time_style style);

/* Moves the event to another time, rewriting the field event_record_add_time
 * wrote in the same style. -1 when there is none. */
int event_record_retime(struct event_record *record, int64_t epoch_ms);

/* Index of the field, or -1. */
int event_record_find(const struct event_record *record, const char *name);

const char *event_record_value(const struct event_record *record, size_t index);

/* Writes {"name": value, ...}. */
void event_record_write_object(const struct event_record *record, struct json_text *out);

#endif
