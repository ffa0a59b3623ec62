/*
 * How far a partition may be committed.
 *
 * A task has processed records up to next_offset (exclusive). A stage that
 * holds unemitted state reports a retain offset: the oldest source offset
 * it still needs, which must be replayed after a restart. A failure pins a
 * stop offset: the first record whose effect is not complete. The commit
 * offset (Kafka's "next offset to read") is the smallest of the three, and
 * never moves backwards. A commit also carries how far processing had
 * reached (its metadata): while a retained offset holds the commit offset
 * still, the same offset is committed again whenever processing moved on
 * (and no failure is pinned), so that the next owner of the partition
 * knows which replayed records' output already went out.
 */
#ifndef PIPEHOST_RUNTIME_OFFSET_TRACKER_H
#define PIPEHOST_RUNTIME_OFFSET_TRACKER_H

#include <stdint.h>

#define OFFSET_UNSET INT64_C(-1)

typedef struct offset_tracker {
    int64_t next_offset;      /* after the last record fully processed */
    int64_t stop_offset;      /* first record not to commit past */
    int64_t committed_offset; /* last offset committed (or found committed) */
    int64_t committed_next;   /* next_offset when it was committed */
    int resend;               /* the commit of committed_offset failed: send it again */
} offset_tracker;

void offset_tracker_init(offset_tracker *tracker, int64_t committed_offset);

/* Record that every record before next_offset has been processed. */
void offset_tracker_processed(offset_tracker *tracker, int64_t next_offset);

/* Pin a stop: nothing at or after offset may be committed. */
void offset_tracker_stop_at(offset_tracker *tracker, int64_t offset);

/* The offset to commit given the stages' retain offset (PH_OFFSET_NONE
 * when none), or OFFSET_UNSET when there is nothing new to commit. */
int64_t offset_tracker_commit_point(const offset_tracker *tracker, int64_t retain_offset);

/* Record a commit sent (an asynchronous one is confirmed later). */
void offset_tracker_committed(offset_tracker *tracker, int64_t offset);

/* A commit of offset failed: unless a later one was sent since, the next
 * commit point sends committed_offset again even if nothing moved. */
void offset_tracker_commit_failed(offset_tracker *tracker, int64_t offset);

#endif
