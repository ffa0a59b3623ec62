/* Pacing records to a rate, on a clock the test controls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "produce/monotonic_clock.h"
#include "produce/rate_limiter.h"

#define MS INT64_C(1000000)
#define T0 (INT64_C(5) * NS_PER_SECOND)

static void test_unlimited_never_waits(void **unused)
{
    struct rate_limiter limiter;

    rate_limiter_init(&limiter, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rate_limiter_poll(&limiter, T0), 0);
}

static void test_one_record_per_interval(void **unused)
{
    struct rate_limiter limiter;

    rate_limiter_init(&limiter, 1000); /* one per millisecond */
    assert_int_equal(rate_limiter_poll(&limiter, T0), 0);
    assert_int_equal(rate_limiter_poll(&limiter, T0), 1 * MS);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 1 * MS - 1), 1);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 1 * MS), 0);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 1 * MS), 1 * MS);
    /* Half an interval late: the next one is still due on schedule. */
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 2 * MS + MS / 2), 0);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 2 * MS + MS / 2), MS / 2);
}

static void test_catch_up_is_one_burst_at_most(void **unused)
{
    struct rate_limiter limiter;
    int passed = 0;
    const int64_t later = T0 + 10 * NS_PER_SECOND;

    rate_limiter_init(&limiter, 1000);
    assert_int_equal(rate_limiter_poll(&limiter, T0), 0);
    /* Ten idle seconds buy 20 ms of records (the burst), plus the one
     * due now: 21, not 10,000. */
    while (rate_limiter_poll(&limiter, later) == 0)
        passed++;
    assert_int_equal(passed, 21);
    assert_int_equal(rate_limiter_poll(&limiter, later), 1 * MS);
}

static void test_slow_rates(void **unused)
{
    struct rate_limiter limiter;

    rate_limiter_init(&limiter, 0.5); /* one every two seconds */
    assert_int_equal(rate_limiter_poll(&limiter, T0), 0);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + NS_PER_SECOND), NS_PER_SECOND);
    assert_int_equal(rate_limiter_poll(&limiter, T0 + 2 * NS_PER_SECOND), 0);
}

static void test_acquire_sleeps_on_the_real_clock(void **unused)
{
    struct rate_limiter limiter;
    int64_t start = monotonic_now_ns(), elapsed;

    rate_limiter_init(&limiter, 1000);
    for (int i = 0; i < 51; i++)
        rate_limiter_acquire(&limiter);
    elapsed = monotonic_now_ns() - start;
    /* The first goes at once, fifty more one millisecond apart. */
    assert_true(elapsed >= 50 * MS - MS / 10);
    assert_true(elapsed < 500 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlimited_never_waits),
        cmocka_unit_test(test_one_record_per_interval),
        cmocka_unit_test(test_catch_up_is_one_burst_at_most),
        cmocka_unit_test(test_slow_rates),
        cmocka_unit_test(test_acquire_sleeps_on_the_real_clock),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
