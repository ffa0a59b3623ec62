#include "produce/prng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void prng_seed(struct prng *rng, uint64_t seed)
{
    uint64_t x = seed;

    /* splitmix64 never yields four zero words in a row, which is the one
     * state xoshiro cannot leave. */
    for (int i = 0; i < 4; i++)
        rng->state[i] = splitmix64(&x);
}

uint64_t prng_next(struct prng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t prng_below(struct prng *rng, uint32_t bound)
{
    /* Lemire's multiply-and-reject: no modulo bias, rarely loops. */
    uint64_t m = (prng_next(rng) >> 32) * bound;
    uint32_t low = (uint32_t)m;

    if (low < bound) {
        uint32_t threshold = (uint32_t)-bound % bound;

        while (low < threshold) {
            m = (prng_next(rng) >> 32) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

int64_t prng_between(struct prng *rng, int64_t low, int64_t high)
{
    return low + (int64_t)prng_below(rng, (uint32_t)(high - low + 1));
}

double prng_unit(struct prng *rng)
{
    return (double)(prng_next(rng) >> 11) * 0x1.0p-53;
}

bool prng_chance(struct prng *rng, double p)
{
    return prng_unit(rng) < p;
}

double prng_noise(struct prng *rng)
{
    double sum = 0.0;

    for (int i = 0; i < 4; i++)
        sum += prng_unit(rng);
    /* Four uniforms: mean 2, variance 4/12; 1/sqrt(1/3) = sqrt(3). */
    return (sum - 2.0) * 1.7320508075688772;
}
