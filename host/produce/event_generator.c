#include "produce/event_generator.h"

#include <stdlib.h>
#include <string.h>

#include "produce/event_profile.h"
#include "produce/event_record.h"
#include "produce/json_text.h"
#include "produce/prng.h"

#define RECORD_BYTES (EVENT_RECORD_VALUE_BYTES + 1024)

/* Faults are drawn from their own stream, so the events underneath are the
 * same whatever the bad ratio. */
#define FAULT_STREAM_SALT UINT64_C(0x6261642072656373)

static const struct event_profile *const profiles[] = {
    &clickstream_profile,
    &iot_profile,
    &chat_profile,
};

struct event_generator {
    const struct event_profile *profile;
    void *profile_state;
    struct prng event_rng;
    struct prng fault_rng;
    double bad_ratio;
    int64_t start_ms;
    /* The kinds of bad record this profile has, drawn evenly. */
    enum malformed_kind kinds[MALFORMED_KIND_COUNT];
    uint32_t kind_count;
    struct event_record record;
    struct json_text text;
    char text_storage[RECORD_BYTES];
};

static const struct event_profile *find_profile(const char *name)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        if (strcmp(profiles[i]->name, name) == 0)
            return profiles[i];
    }
    return NULL;
}

bool event_generator_has_profile(const char *name)
{
    return find_profile(name) != NULL;
}

struct event_generator *event_generator_new(const struct event_generator_options *options)
{
    const struct event_profile *profile = find_profile(options->profile);
    struct event_generator *generator;

    if (profile == NULL)
        return NULL;
    generator = malloc(sizeof(*generator));
    if (generator == NULL)
        return NULL;
    generator->profile = profile;
    generator->bad_ratio = options->bad_ratio;
    generator->start_ms = options->start_ms;
    generator->kind_count = 0;
    for (int kind = MALFORMED_NOT_JSON; kind <= MALFORMED_LAST_RECORD_KIND; kind++)
        generator->kinds[generator->kind_count++] = (enum malformed_kind)kind;
    generator->kinds[generator->kind_count++] = MALFORMED_LATE;
    if (profile->write_unmatched != NULL)
        generator->kinds[generator->kind_count++] = MALFORMED_UNMATCHED;
    prng_seed(&generator->event_rng, options->seed);
    prng_seed(&generator->fault_rng, options->seed ^ FAULT_STREAM_SALT);
    event_record_init(&generator->record);
    json_text_init(&generator->text, generator->text_storage, sizeof(generator->text_storage));
    generator->profile_state = profile->create(&generator->event_rng, options->start_ms);
    if (generator->profile_state == NULL) {
        free(generator);
        return NULL;
    }
    return generator;
}

void event_generator_free(struct event_generator *generator)
{
    if (generator == NULL)
        return;
    generator->profile->destroy(generator->profile_state);
    free(generator);
}

/* Draws the kind of a bad record and, for the kinds that come from the
 * stream, rewrites the event; *field gets what the fault concerns. */
static enum malformed_kind draw_fault(struct event_generator *generator, const char **field)
{
    const struct event_profile *profile = generator->profile;
    struct prng *rng = &generator->fault_rng;
    enum malformed_kind kind = generator->kinds[prng_below(rng, generator->kind_count)];
    stream_fault rewrite = kind == MALFORMED_LATE ? profile->write_late
                           : kind == MALFORMED_UNMATCHED ? profile->write_unmatched
                           : NULL;

    *field = NULL;
    if (rewrite == NULL)
        return kind;
    *field = rewrite(generator->profile_state, rng, generator->start_ms, &generator->record);
    if (*field != NULL)
        return kind;
    /* Too early in the stream for that one: a fault of the record instead. */
    return (enum malformed_kind)(MALFORMED_NOT_JSON +
                                 prng_below(rng, MALFORMED_LAST_RECORD_KIND - MALFORMED_NOT_JSON + 1));
}

int event_generator_next(struct event_generator *generator, struct generated_record *out)
{
    struct event_record *record = &generator->record;
    const struct event_profile *profile = generator->profile;
    enum malformed_kind kind = MALFORMED_NONE;
    const char *field = NULL;
    bool bad = generator->bad_ratio > 0 &&
               prng_chance(&generator->fault_rng, generator->bad_ratio);

    event_record_clear(record);
    json_text_reset(&generator->text);
    profile->next(generator->profile_state, &generator->event_rng, !bad, record);
    if (bad) {
        kind = draw_fault(generator, &field);
    } else if (record->dangling_field != NULL) {
        /* Sent as it is, but the plugin will reject it all the same. */
        kind = MALFORMED_UNMATCHED;
        field = record->dangling_field;
    }
    if (kind <= MALFORMED_LAST_RECORD_KIND && kind != MALFORMED_NONE)
        field = malformed_record_write(kind, record, profile->faults, profile->fault_count,
                                       &generator->fault_rng, &generator->text);
    else
        event_record_write_object(record, &generator->text);
    if (record->overflow || generator->text.overflow)
        return -1;
    out->value = generator->text.data;
    out->value_len = generator->text.len;
    out->key = record->key;
    out->key_len = record->key_len;
    out->event_ms = record->event_ms;
    out->malformed = kind;
    out->malformed_field = field;
    return 0;
}
