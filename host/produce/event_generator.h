#ifndef PIPEHOST_PRODUCE_EVENT_GENERATOR_H
#define PIPEHOST_PRODUCE_EVENT_GENERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "produce/malformed_record.h"

/*
 * Deterministic synthetic events: the same profile, seed, bad ratio and
 * start time give byte-identical records on every machine. Records are
 * written into the generator's own buffers; nothing is allocated per
 * record.
 */

struct event_generator;

struct event_generator_options {
    const char *profile;   /* "clickstream", "iot" or "chat" */
    uint64_t seed;
    double bad_ratio;      /* 0..1: the share of records replaced by malformed ones */
    int64_t start_ms;      /* event time of the first record, epoch milliseconds */
};

/* One record; the pointers stay valid until the next call. */
struct generated_record {
    const char *value;
    size_t value_len;
    const char *key;
    size_t key_len;
    int64_t event_ms;               /* the event time the record carries */
    enum malformed_kind malformed;  /* MALFORMED_NONE for a good record */
    const char *malformed_field;    /* the field a fault concerns, or NULL */
};

bool event_generator_has_profile(const char *name);

/* NULL when the profile is unknown or memory runs out. */
struct event_generator *event_generator_new(const struct event_generator_options *options);
void event_generator_free(struct event_generator *generator);

/* Writes the next record. 0, or -1 if a record did not fit its buffer. */
int event_generator_next(struct event_generator *generator, struct generated_record *out);

#endif
