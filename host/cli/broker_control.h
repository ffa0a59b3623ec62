/*
 * The control language of `pipehost broker --control`: one command a
 * line, for tests that break the broker on purpose.
 *
 *   down ID                        take broker ID down (connections closed, new ones refused)
 *   up ID                          bring it back
 *   rtt ID MS                      delay broker ID's responses by MS milliseconds (0: none)
 *   fail-requests API COUNT ERROR  fail the next COUNT requests of API (a name such as
 *                                  Produce or OffsetCommit, or its number) with ERROR
 *                                  (a Kafka error name such as REQUEST_TIMED_OUT, or its
 *                                  code; _TRANSPORT disconnects instead of answering)
 */
#ifndef PIPEHOST_CLI_BROKER_CONTROL_H
#define PIPEHOST_CLI_BROKER_CONTROL_H

#include <stddef.h>

#include "kafka/embedded_broker.h"

/* The usage text of the commands above, for --help. */
extern const char broker_control_usage[];

/* Run one command line. Writes "ok" or "error: WHY" into reply; returns 0
 * or -1 accordingly. */
int broker_control_execute(embedded_broker *broker, const char *line, char *reply,
                           size_t reply_size);

#endif
