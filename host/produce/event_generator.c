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

int event_generator_next(struct event_generator *generator, struct generated_record *out)
{
    struct event_record *record = &generator->record;
    const struct event_profile *profile = generator->profile;
    enum malformed_kind kind = MALFORMED_NONE;

    event_record_clear(record);
    json_text_reset(&generator->text);
    profile->next(generator->profile_state, &generator->event_rng, record);
    if (generator->bad_ratio > 0 && prng_chance(&generator->fault_rng, generator->bad_ratio))
        kind = (enum malformed_kind)(1 + prng_below(&generator->fault_rng,
                                                    MALFORMED_KIND_COUNT - 1));
    out->malformed_field = malformed_record_write(kind, record, profile->wrong_values,
                                                  profile->wrong_value_count,
                                                  &generator->fault_rng, &generator->text);
    if (record->overflow || generator->text.overflow)
        return -1;
    out->value = generator->text.data;
    out->value_len = generator->text.len;
    out->key = record->key;
    out->key_len = record->key_len;
    out->event_ms = record->event_ms;
    out->malformed = kind;
    return 0;
}
