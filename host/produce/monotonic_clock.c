#include "produce/monotonic_clock.h"

#include <errno.h>
#include <time.h>

int64_t monotonic_now_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * NS_PER_SECOND + now.tv_nsec;
}

void monotonic_sleep_ns(int64_t ns)
{
    struct timespec left = {
        .tv_sec = (time_t)(ns / NS_PER_SECOND),
        .tv_nsec = (long)(ns % NS_PER_SECOND),
    };

    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}
