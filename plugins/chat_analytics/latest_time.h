/*
 * A partition's latest event time: the largest event time of the valid
 * records it has seen, once it has seen one. The watermark trails it by
 * allowed_lateness.
 */
#ifndef CHAT_LATEST_TIME_H
#define CHAT_LATEST_TIME_H

#include <stdint.h>

typedef struct latest_time {
    int known; /* 0: no valid record seen yet; ms is then meaningless */
    int64_t ms;
} latest_time;

#endif
