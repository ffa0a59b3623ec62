/* The random stream and the Zipf table under every generator: their
 * values are pinned, so a change that would alter generated data on some
 * machine fails here first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "produce/prng.h"
#include "produce/zipf.h"

/* Reference values from an independent implementation of splitmix64 and
 * xoshiro256** (the published algorithms). */
static void test_seed_and_first_outputs(void **unused)
{
    struct prng rng;

    prng_seed(&rng, 0);
    assert_true(rng.state[0] == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(rng.state[1] == UINT64_C(0x6e789e6aa1b965f4));
    assert_true(rng.state[2] == UINT64_C(0x06c45d188009454f));
    assert_true(rng.state[3] == UINT64_C(0xf88bb8a8724c81ec));
    assert_true(prng_next(&rng) == UINT64_C(0x99ec5f36cb75f2b4));
    assert_true(prng_next(&rng) == UINT64_C(0xbf6e1f784956452a));
    assert_true(prng_next(&rng) == UINT64_C(0x1a5f849d4933e6e0));

    prng_seed(&rng, 42);
    assert_true(prng_next(&rng) == UINT64_C(0x15780b2e0c2ec716));
    assert_true(prng_next(&rng) == UINT64_C(0x6104d9866d113a7e));
}

static void test_below_is_multiply_high(void **unused)
{
    static const uint32_t expected[] = { 0, 3, 6, 9, 9, 7, 7, 8 };
    struct prng rng;

    prng_seed(&rng, 42);
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_int_equal(prng_below(&rng, 10), expected[i]);
}

static void test_unit_uses_top_53_bits(void **unused)
{
    struct prng rng;

    prng_seed(&rng, 42);
    /* 0x15780b2e0c2ec716 >> 11, times 2^-53 */
    assert_true(prng_unit(&rng) == (double)(UINT64_C(0x15780b2e0c2ec716) >> 11) * 0x1.0p-53);
}

static void test_between_stays_in_range_and_reaches_both_ends(void **unused)
{
    struct prng rng;
    int seen_low = 0, seen_high = 0;

    prng_seed(&rng, 7);
    for (int i = 0; i < 10000; i++) {
        int64_t v = prng_between(&rng, -3, 3);

        assert_true(v >= -3 && v <= 3);
        seen_low |= v == -3;
        seen_high |= v == 3;
    }
    assert_true(seen_low && seen_high);
}

static void test_noise_is_bounded_and_centred(void **unused)
{
    struct prng rng;
    double sum = 0, sum_squares = 0;
    const int n = 100000;

    prng_seed(&rng, 9);
    for (int i = 0; i < n; i++) {
        double x = prng_noise(&rng);

        /* Four uniforms: |x| < 2 * sqrt(3). */
        assert_true(x > -3.4642 && x < 3.4642);
        sum += x;
        sum_squares += x * x;
    }
    assert_true(sum / n > -0.02 && sum / n < 0.02);
    assert_true(sum_squares / n > 0.97 && sum_squares / n < 1.03);
}

/* Exponent 1 (8 eighths) over three ranks: weights 1, 1/2, 1/3, total 11/6. */
static void test_zipf_table(void **unused)
{
    struct zipf zipf;

    assert_int_equal(zipf_init(&zipf, 3, 8), 0);
    assert_true(zipf.cdf[0] > 6.0 / 11 - 1e-12 && zipf.cdf[0] < 6.0 / 11 + 1e-12);
    assert_true(zipf.cdf[1] > 9.0 / 11 - 1e-12 && zipf.cdf[1] < 9.0 / 11 + 1e-12);
    assert_true(zipf.cdf[2] == 1.0);
    zipf_free(&zipf);

    /* Exponent 2 (16 eighths) over two ranks: weights 1 and 1/4. */
    assert_int_equal(zipf_init(&zipf, 2, 16), 0);
    assert_true(zipf.cdf[0] > 0.8 - 1e-12 && zipf.cdf[0] < 0.8 + 1e-12);
    zipf_free(&zipf);
}

static void test_zipf_draws_follow_the_weights(void **unused)
{
    struct zipf zipf;
    struct prng rng;
    int counts[3] = { 0 };
    const int n = 110000;

    assert_int_equal(zipf_init(&zipf, 3, 8), 0);
    prng_seed(&rng, 3);
    for (int i = 0; i < n; i++) {
        uint32_t rank = zipf_draw(&zipf, &rng);

        assert_true(rank < 3);
        counts[rank]++;
    }
    /* Expected 60000, 30000, 20000; allow ~1.5%. */
    assert_in_range(counts[0], 59100, 60900);
    assert_in_range(counts[1], 29550, 30450);
    assert_in_range(counts[2], 19700, 20300);
    zipf_free(&zipf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_and_first_outputs),
        cmocka_unit_test(test_below_is_multiply_high),
        cmocka_unit_test(test_unit_uses_top_53_bits),
        cmocka_unit_test(test_between_stays_in_range_and_reaches_both_ends),
        cmocka_unit_test(test_noise_is_bounded_and_centred),
        cmocka_unit_test(test_zipf_table),
        cmocka_unit_test(test_zipf_draws_follow_the_weights),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
