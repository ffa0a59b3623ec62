/*
 * The stall watchdog: a partition whose task has a batch in progress (a
 * worker took records and has not finished them) and whose position has
 * not moved for stall_after is stalled: a warning in the log, its
 * pipehost_partition_stalled series at 1, and /ready answering 503 until
 * it moves again (logged too).
 */
#ifndef PIPEHOST_METRICS_STALL_WATCHDOG_H
#define PIPEHOST_METRICS_STALL_WATCHDOG_H

#include <stdint.h>

#include "metrics/pipeline_metrics.h"

#define STALL_AFTER_DEFAULT_MS 60000

typedef struct stall_watchdog stall_watchdog;

/* Look at every partition now (monotonic milliseconds): flag those
 * stalled for stall_after_ms, clear those that moved. */
void stall_watchdog_check(pipeline_metrics *m, int64_t now_ms, int64_t stall_after_ms);

/* A thread that checks a few times a second. NULL when stall_after_ms is
 * 0 (off), m is NULL, or the thread cannot start (logged). */
stall_watchdog *stall_watchdog_start(pipeline_metrics *m, int64_t stall_after_ms);
void stall_watchdog_stop(stall_watchdog *w);

#endif
