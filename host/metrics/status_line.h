/*
 * The live status line of `pipehost run` on a terminal: about once a
 * second, on stderr, records per second, the lag and the dead-lettered
 * count; with --exit-at-end, progress towards the end offsets. The log
 * wipes it before each line; stopping wipes it for good.
 *
 *   pipehost: 52,310 records/s | lag 120,400 | 12 dead-lettered
 *   pipehost: 40,000/100,000 to the end (40%) | 52,310 records/s | lag ...
 *   pipehost: waiting for the group to assign partitions
 */
#ifndef PIPEHOST_METRICS_STATUS_LINE_H
#define PIPEHOST_METRICS_STATUS_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/pipeline_metrics.h"

/* The line's text for a snapshot, with records_per_second measured by
 * the caller; progress shown when to_the_end is set. */
void status_line_format(const pipeline_snapshot *now, double records_per_second, int to_the_end,
                        char *buf, size_t size);

typedef struct status_line status_line;

/* Start refreshing; NULL when m is NULL or the thread cannot start. The
 * caller decides whether stderr is a terminal. */
status_line *status_line_start(pipeline_metrics *m, int to_the_end);

/* Stop and wipe the line. Accepts NULL. */
void status_line_stop(status_line *s);

#endif
