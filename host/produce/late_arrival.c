#include "produce/late_arrival.h"

#include <stddef.h>

#define SECOND 1000
#define MINUTE (60 * SECOND)
#define LATE_CHANCE 0.015
#define PAST_WINDOW_MIN (2 * MINUTE)
#define PAST_WINDOW_MAX (10 * MINUTE)
#define PAST_WINDOW_WARMUP (1 * MINUTE)

int64_t late_arrival_time(struct prng *rng, int64_t now_ms)
{
    if (prng_chance(rng, LATE_CHANCE))
        return now_ms - prng_between(rng, 1 * SECOND, 5 * SECOND);
    return now_ms;
}

const char *late_arrival_past_window(void *state, struct prng *rng, int64_t start_ms,
                                     struct event_record *record)
{
    (void)state;
    if (record->time_field < 0 || record->event_ms - start_ms < PAST_WINDOW_WARMUP)
        return NULL;
    if (event_record_retime(record, record->event_ms -
                                        prng_between(rng, PAST_WINDOW_MIN, PAST_WINDOW_MAX)) != 0)
        return NULL;
    return record->fields[record->time_field].name;
}
