#include "produce/rate_limiter.h"

#include <math.h>

#include "produce/monotonic_clock.h"

void rate_limiter_init(struct rate_limiter *limiter, double per_second)
{
    limiter->interval_ns = per_second > 0 ? (double)NS_PER_SECOND / per_second : 0;
    limiter->next_due_ns = 0;
    limiter->started = false;
}

int64_t rate_limiter_poll(struct rate_limiter *limiter, int64_t now_ns)
{
    double now = (double)now_ns;

    if (limiter->interval_ns == 0)
        return 0;
    if (!limiter->started) {
        limiter->started = true;
        limiter->next_due_ns = now;
    }
    if (limiter->next_due_ns > now)
        return (int64_t)ceil(limiter->next_due_ns - now);
    /* Behind schedule: forgive all but one burst of the debt. */
    if (limiter->next_due_ns < now - (double)RATE_LIMITER_BURST_NS)
        limiter->next_due_ns = now - (double)RATE_LIMITER_BURST_NS;
    limiter->next_due_ns += limiter->interval_ns;
    return 0;
}

void rate_limiter_acquire(struct rate_limiter *limiter)
{
    int64_t wait_ns;

    if (limiter->interval_ns == 0)
        return;
    while ((wait_ns = rate_limiter_poll(limiter, monotonic_now_ns())) > 0)
        monotonic_sleep_ns(wait_ns);
}
