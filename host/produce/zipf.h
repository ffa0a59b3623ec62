#ifndef PIPEHOST_PRODUCE_ZIPF_H
#define PIPEHOST_PRODUCE_ZIPF_H

#include <stdint.h>

#include "produce/prng.h"

/*
 * Zipf-distributed ranks: rank k (1-based) is drawn with weight k^-s.
 * The exponent is given in eighths (s = eighths / 8) because k^(1/8) is
 * three square roots, which IEEE-754 rounds exactly: the table, and so
 * every draw, is the same on every machine, unlike with libm's pow().
 */
struct zipf {
    double *cdf; /* cdf[i] = P(rank <= i + 1); cdf[n - 1] == 1 */
    uint32_t n;
};

/* 0, or -1 when out of memory. n > 0. */
int zipf_init(struct zipf *zipf, uint32_t n, unsigned exponent_eighths);
void zipf_free(struct zipf *zipf);

/* A rank in [0, n): 0 is the most popular. */
uint32_t zipf_draw(const struct zipf *zipf, struct prng *rng);

#endif
