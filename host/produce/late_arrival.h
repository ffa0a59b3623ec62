#ifndef PIPEHOST_PRODUCE_LATE_ARRIVAL_H
#define PIPEHOST_PRODUCE_LATE_ARRIVAL_H

#include <stdint.h>

#include "produce/prng.h"

/*
 * The event time a record carries when the generator's clock reads
 * now_ms. Real streams are mostly in order: about 1.5% of records arrive
 * one to five seconds late (a phone that buffered a little) and one in two
 * thousand several minutes late (a device back from a dead zone), which is
 * what windowed aggregations must cope with.
 */
int64_t late_arrival_time(struct prng *rng, int64_t now_ms);

#endif
