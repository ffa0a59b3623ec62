#ifndef PIPEHOST_PRODUCE_RATE_LIMITER_H
#define PIPEHOST_PRODUCE_RATE_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Paces records to a rate on the monotonic clock. Each record is due one
 * interval after the previous one; a sender that falls behind (a slow
 * poll, a sleep that overshot) may catch up with a burst of at most
 * RATE_LIMITER_BURST_NS worth of records, never more, so the average holds
 * without spinning on microsecond sleeps at high rates.
 */
#define RATE_LIMITER_BURST_NS INT64_C(20000000) /* 20 ms */

struct rate_limiter {
    double interval_ns; /* 0: no limit */
    double next_due_ns; /* when the next record may go */
    bool started;
};

/* per_second 0 means unlimited. */
void rate_limiter_init(struct rate_limiter *limiter, double per_second);

/* At now_ns: 0 if a record may go now (and it is counted as sent), else
 * how many nanoseconds to wait before asking again. */
int64_t rate_limiter_poll(struct rate_limiter *limiter, int64_t now_ns);

/* Blocks until a record may go. */
void rate_limiter_acquire(struct rate_limiter *limiter);

#endif
