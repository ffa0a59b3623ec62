#ifndef PIPEHOST_PRODUCE_LATE_ARRIVAL_H
#define PIPEHOST_PRODUCE_LATE_ARRIVAL_H

#include <stdint.h>

#include "produce/event_record.h"
#include "produce/prng.h"

/*
 * The event time a record carries when the generator's clock reads
 * now_ms. Real streams are mostly in order: about 1.5% of records arrive
 * one to five seconds late (a phone that buffered a little). That stays
 * within the plugins' allowed lateness (10 s in the shipped pipelines),
 * so every such record is still counted.
 */
int64_t late_arrival_time(struct prng *rng, int64_t now_ms);

/*
 * The late fault of the windowed profiles (a stream_fault): the event
 * moved two to ten minutes into the past, as from a device back from a
 * dead zone. With one-minute windows and 10 s of lateness its window has
 * closed on every partition that took a record in the last 50 seconds.
 * None in the stream's first minute, before every partition has a
 * watermark to be behind. state is unused.
 */
const char *late_arrival_past_window(void *state, struct prng *rng, int64_t start_ms,
                                     struct event_record *record);

#endif
