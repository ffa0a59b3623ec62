#ifndef PIPEHOST_SERVICES_DURATION_H
#define PIPEHOST_SERVICES_DURATION_H

#include <stdint.h>

/* "500ms", "10s", "1m", "2h", "1d", or bare digits (milliseconds). A
 * non-negative whole number and one unit; no overflow. 0 or -1. */
int duration_parse(const char *text, int64_t *ms);

#endif
