#include "produce/zipf.h"

#include <math.h>
#include <stdlib.h>

static double rank_weight(uint32_t rank, unsigned exponent_eighths)
{
    double eighth_root = sqrt(sqrt(sqrt((double)rank)));
    double power = 1.0;

    for (unsigned i = 0; i < exponent_eighths; i++)
        power *= eighth_root;
    return 1.0 / power;
}

int zipf_init(struct zipf *zipf, uint32_t n, unsigned exponent_eighths)
{
    double total = 0.0;

    zipf->n = n;
    zipf->cdf = malloc(n * sizeof(*zipf->cdf));
    if (zipf->cdf == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        total += rank_weight(i + 1, exponent_eighths);
        zipf->cdf[i] = total;
    }
    for (uint32_t i = 0; i < n; i++)
        zipf->cdf[i] /= total;
    zipf->cdf[n - 1] = 1.0;
    return 0;
}

void zipf_free(struct zipf *zipf)
{
    free(zipf->cdf);
    zipf->cdf = NULL;
    zipf->n = 0;
}

uint32_t zipf_draw(const struct zipf *zipf, struct prng *rng)
{
    double u = prng_unit(rng);
    uint32_t low = 0, high = zipf->n - 1;

    /* The first rank whose cumulative probability exceeds u. */
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;

        if (zipf->cdf[mid] > u)
            high = mid;
        else
            low = mid + 1;
    }
    return low;
}
