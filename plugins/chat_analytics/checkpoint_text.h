/*
 * The text this stage commits with each checkpoint: the partition's latest
 * event time before the oldest record it still holds (see chat_analytics.c),
 * as "latest=<epoch milliseconds>", or "latest=none" when there was none.
 */
#ifndef CHAT_CHECKPOINT_TEXT_H
#define CHAT_CHECKPOINT_TEXT_H

#include <stddef.h>

#include "latest_time.h"

/* Room for the longest text, "latest=-62167219200000", and its NUL. */
#define CHECKPOINT_TEXT_SIZE 32

void checkpoint_text_write(const latest_time *latest, char text[CHECKPOINT_TEXT_SIZE]);

/* 0 and *latest set, or -1 (*latest untouched) when text is not one that
 * checkpoint_text_write writes for a time from year 0000 to 9999. */
int checkpoint_text_read(const char *text, latest_time *latest);

#endif
