#ifndef PIPEHOST_PRODUCE_PRODUCE_PROGRESS_H
#define PIPEHOST_PRODUCE_PRODUCE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * What a produce run tells the user: on a terminal, a line rewritten about
 * four times a second; always, a closing summary line.
 */
struct produce_progress {
    FILE *out;
    bool live;           /* out is a terminal: draw the progress line */
    uint64_t total;      /* records planned; 0 when unknown */
    int64_t started_ns;
    int64_t next_draw_ns;
};

void produce_progress_start(struct produce_progress *progress, FILE *out, uint64_t total);

/* Called per record: costs a clock read unless a redraw is due. */
void produce_progress_update(struct produce_progress *progress, uint64_t produced);

/* Erases the progress line, before printing anything else. */
void produce_progress_clear(struct produce_progress *progress);

/* Clears the progress line and prints the summary. */
void produce_progress_finish(struct produce_progress *progress, uint64_t produced,
                             uint64_t bad, const char *topic);

/* "produced N records (B bad) to TOPIC in S s (R records/s)". Returns
 * what snprintf returns. */
int produce_summary_format(char *buf, size_t size, uint64_t produced, uint64_t bad,
                           const char *topic, double seconds);

#endif
