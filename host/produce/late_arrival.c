#include "produce/late_arrival.h"

#define LATE_CHANCE 0.015
#define VERY_LATE_CHANCE 0.0005

int64_t late_arrival_time(struct prng *rng, int64_t now_ms)
{
    double u = prng_unit(rng);

    if (u < VERY_LATE_CHANCE)
        return now_ms - prng_between(rng, 2 * 60 * 1000, 10 * 60 * 1000);
    if (u < VERY_LATE_CHANCE + LATE_CHANCE)
        return now_ms - prng_between(rng, 1000, 5000);
    return now_ms;
}
