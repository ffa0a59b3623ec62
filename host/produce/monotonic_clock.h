#ifndef PIPEHOST_PRODUCE_MONOTONIC_CLOCK_H
#define PIPEHOST_PRODUCE_MONOTONIC_CLOCK_H

#include <stdint.h>

#define NS_PER_SECOND INT64_C(1000000000)

/* Nanoseconds on CLOCK_MONOTONIC: for intervals, never for dates. */
int64_t monotonic_now_ns(void);

/* Sleeps ns nanoseconds (resuming after signals). */
void monotonic_sleep_ns(int64_t ns);

#endif
