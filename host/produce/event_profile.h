#ifndef PIPEHOST_PRODUCE_EVENT_PROFILE_H
#define PIPEHOST_PRODUCE_EVENT_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "produce/event_record.h"
#include "produce/malformed_record.h"
#include "produce/prng.h"

/*
 * A kind of synthetic data: how its events are modelled and which wrong
 * values its fields can take. The generator owns the random stream and
 * the record; a profile only decides what the next event says.
 */
struct event_profile {
    const char *name;
    /* NULL when out of memory. */
    void *(*create)(struct prng *rng, int64_t start_ms);
    void (*destroy)(void *state);
    /* Fills the cleared record with the next event, its key and event time. */
    void (*next)(void *state, struct prng *rng, struct event_record *record);
    const struct wrong_value *wrong_values;
    size_t wrong_value_count;
};

extern const struct event_profile clickstream_profile;
extern const struct event_profile iot_profile;
extern const struct event_profile chat_profile;

#endif
