#ifndef PIPEHOST_SERVICES_EVENT_TIME_H
#define PIPEHOST_SERVICES_EVENT_TIME_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pipehost/plugin.h"

/* ISO-8601 date-time text ("2022-01-01T12:22:25", optional fraction,
 * "Z" or +hh:mm/-hh:mm/+hhmm/+hh; no zone is UTC; a space may stand for
 * "T") to epoch milliseconds. Years 0000-9999 (before 1970 is negative);
 * seconds 00-59; fraction digits past the millisecond are dropped. Reads
 * exactly len bytes. 0 or -1. */
int event_time_parse_text(const char *text, size_t len, int64_t *epoch_ms);

/* A JSON string as above, or a non-negative JSON integer/real of epoch
 * milliseconds (a real is truncated). 0 or -1. */
int event_time_parse_json(const json_t *value, int64_t *epoch_ms);

/* The same for a field read by record_fields. 0 or -1. */
int event_time_parse_field(const ph_field *field, int64_t *epoch_ms);

/* "2022-01-01T12:22:25Z", or "...25.120Z" when ms != 0. Cut to fit
 * buf_size, always terminated; returns the length written. */
size_t event_time_format(int64_t epoch_ms, char *buf, size_t buf_size);

#endif
