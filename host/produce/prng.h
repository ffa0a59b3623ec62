#ifndef PIPEHOST_PRODUCE_PRNG_H
#define PIPEHOST_PRODUCE_PRNG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A small deterministic pseudo-random generator: xoshiro256** seeded by
 * splitmix64. Only integer arithmetic and exact floating-point operations
 * are used, so a seed yields the same sequence on every machine.
 */
struct prng {
    uint64_t state[4];
};

void prng_seed(struct prng *rng, uint64_t seed);
uint64_t prng_next(struct prng *rng);

/* Uniform in [0, bound); bound > 0. Unbiased. */
uint32_t prng_below(struct prng *rng, uint32_t bound);

/* Uniform in [low, high], both inclusive; 0 <= high - low < 2^32 - 1. */
int64_t prng_between(struct prng *rng, int64_t low, int64_t high);

/* Uniform in [0, 1) with 53 random bits. */
double prng_unit(struct prng *rng);

/* True with probability p. */
bool prng_chance(struct prng *rng, double p);

/* Roughly normal with mean 0 and standard deviation 1: the sum of four
 * uniforms, rescaled. Plenty for sensor noise, and free of libm. */
double prng_noise(struct prng *rng);

#endif
