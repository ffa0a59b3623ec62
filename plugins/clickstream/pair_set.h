/*
 * A set of (page number, user number) pairs: which users viewed which
 * pages in one window. Open addressing over bare 64-bit words, so a pair
 * costs 8 bytes of table at most three quarters full: memory matters when
 * thousands of pages each have thousands of viewers in one window.
 */
#ifndef CLICKSTREAM_PAIR_SET_H
#define CLICKSTREAM_PAIR_SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct pair_set {
    uint64_t *slots; /* (first + 1) << 32 | second; 0: empty */
    size_t mask;     /* slot count - 1, a power of two */
    size_t count;
} pair_set;

/* 0, or -1 out of memory (pair_set_free is then still safe). */
int pair_set_init(pair_set *set);
void pair_set_free(pair_set *set);

/* Empty the set, keeping its memory for the next pairs. */
void pair_set_clear(pair_set *set);

/* Add (first, second); first < UINT32_MAX. 1 when it was new, 0 when it
 * was there already, -1 out of memory (the set is then unchanged). */
int pair_set_add(pair_set *set, uint32_t first, uint32_t second);

#endif
