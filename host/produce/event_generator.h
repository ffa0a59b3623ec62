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
 *
 * A good record is one the profile's plugin, run with the shipped
 * pipeline's settings (configs/), accepts: events are out of order only
 * within its allowed lateness. A bad one is one it rejects, and each
 * kind of bad record covers some of the plugin's rejection reasons:
 * broken JSON, missing fields, wrong types and values, events behind
 * the watermark (late), and for chat closes of conversations never
 * opened. Besides the bad_ratio share drawn, a chat close whose
 * conversation lost every message to bad records is itself bad
 * (MALFORMED_UNMATCHED), so the bad share of chat is a little above the
 * ratio.
 */

struct event_generator;

struct event_generator_options {
    const char *profile;   /* "clickstream", "iot" or "chat" */
    uint64_t seed;
    double bad_ratio;      /* 0..1: the share of records replaced by bad ones */
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
    const char *malformed_field;    /* the field a fault concerns, or NULL; for a
                                       missing or wrong field the one the plugin
                                       names first */
};

bool event_generator_has_profile(const char *name);

/* NULL when the profile is unknown or memory runs out. */
struct event_generator *event_generator_new(const struct event_generator_options *options);
void event_generator_free(struct event_generator *generator);

/* Writes the next record. 0, or -1 if a record did not fit its buffer. */
int event_generator_next(struct event_generator *generator, struct generated_record *out);

#endif
