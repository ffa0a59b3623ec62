#ifndef PIPEHOST_PRODUCE_EVENT_PROFILE_H
#define PIPEHOST_PRODUCE_EVENT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "produce/event_record.h"
#include "produce/malformed_record.h"
#include "produce/prng.h"

/*
 * A fault that depends on the stream, not on one record: rewrites the
 * event just drawn into a well-formed one that the plugin still rejects
 * (one behind its watermark, a close of a conversation never opened).
 * Returns the field the rejection concerns, or NULL, leaving the record
 * alone, while the stream cannot have such a fault yet (it is too young
 * for anything to lie far behind). Draws from rng, never from the event
 * stream, and changes nothing the next events depend on.
 */
typedef const char *(*stream_fault)(void *state, struct prng *rng, int64_t start_ms,
                                    struct event_record *record);

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
    /*
     * Fills the cleared record with the next event, its key and event
     * time. `delivered` is false when the generator will send a bad
     * record in its place, so the plugin never sees this event; a
     * profile whose events refer to earlier ones sets
     * record->dangling_field on an event whose reference was lost that
     * way.
     */
    void (*next)(void *state, struct prng *rng, bool delivered, struct event_record *record);
    stream_fault write_late;      /* MALFORMED_LATE */
    stream_fault write_unmatched; /* MALFORMED_UNMATCHED; NULL: the profile has none */
    const struct field_fault *faults;
    size_t fault_count;
};

extern const struct event_profile clickstream_profile;
extern const struct event_profile iot_profile;
extern const struct event_profile chat_profile;

#endif
