/*
 * pipehost/window.h: alignment, the watermark, closing, the set of open
 * windows with its retain offset, and the watermark checkpoint. Expected
 * values are worked out by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <pipehost/window.h>

static ph_window_clock clock_of(int64_t length_ms, int64_t lateness_ms)
{
    ph_window_clock clock;
    char err[128] = "";

    if (ph_window_clock_init(&clock, length_ms, lateness_ms, err, sizeof(err)) != 0)
        fail_msg("clock: %s", err);
    return clock;
}

static void test_alignment(void **state)
{
    ph_window_clock minute = clock_of(60000, 0);
    ph_window_clock odd = clock_of(7, 0);

    assert_int_equal(ph_window_start(&minute, 0), 0);
    assert_int_equal(ph_window_start(&minute, 59999), 0);
    /* The end belongs to the next window. */
    assert_int_equal(ph_window_start(&minute, 60000), 60000);
    /* 2022-01-01T12:22:25Z = 1641039745000; the minute starts 25 s earlier. */
    assert_int_equal(ph_window_start(&minute, INT64_C(1641039745000)), INT64_C(1641039720000));
    assert_int_equal(ph_window_end(&minute, INT64_C(1641039720000)), INT64_C(1641039780000));
    /* Before 1970 the floor goes down: -1 ms is in [-60000, 0). */
    assert_int_equal(ph_window_start(&minute, -1), -60000);
    assert_int_equal(ph_window_start(&minute, -60000), -60000);
    assert_int_equal(ph_window_start(&minute, -60001), -120000);
    assert_int_equal(ph_window_start(&odd, -7), -7);
    assert_int_equal(ph_window_start(&odd, -8), -14);
    assert_int_equal(ph_window_start(&odd, 13), 7);
    assert_int_equal(ph_window_start(&minute, PH_WINDOW_TIME_MIN), PH_WINDOW_TIME_MIN);
    assert_int_equal(ph_window_start(&minute, PH_WINDOW_TIME_MAX), PH_WINDOW_TIME_MAX - 59999);
}

static void test_watermark_and_closing(void **state)
{
    /* 10 s windows, 3 s lateness. */
    ph_window_clock clock = clock_of(10000, 3000);

    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_NO_TIME);
    assert_false(ph_window_is_closed(&clock, -10000));
    assert_false(ph_window_is_closed(&clock, PH_WINDOW_TIME_MIN));

    ph_window_observe(&clock, 12000);
    assert_int_equal(ph_window_watermark(&clock), 9000);
    assert_false(ph_window_is_closed(&clock, 0)); /* ends at 10000 > 9000 */
    assert_true(ph_window_is_closed(&clock, -10000));

    ph_window_observe(&clock, 11000); /* older: no change */
    assert_int_equal(ph_window_watermark(&clock), 9000);

    ph_window_observe(&clock, 12999);
    assert_false(ph_window_is_closed(&clock, 0)); /* 9999 < 10000 */
    ph_window_observe(&clock, 13000);
    assert_true(ph_window_is_closed(&clock, 0)); /* 10000 >= 10000 */
    assert_false(ph_window_is_closed(&clock, 10000));
}

static void test_zero_lateness_and_negative_times(void **state)
{
    ph_window_clock clock = clock_of(1000, 0);

    ph_window_observe(&clock, -2500);
    assert_int_equal(ph_window_watermark(&clock), -2500);
    assert_true(ph_window_is_closed(&clock, -4000));   /* ends at -3000 */
    assert_false(ph_window_is_closed(&clock, -3000));  /* ends at -2000 */
    ph_window_observe(&clock, -2000);
    assert_true(ph_window_is_closed(&clock, -3000));
}

static void test_clock_limits(void **state)
{
    ph_window_clock clock;
    char err[128];

    assert_int_equal(ph_window_clock_init(&clock, 0, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "window: must be from 1ms to 3650d, not 0ms");
    assert_int_equal(ph_window_clock_init(&clock, PH_WINDOW_DURATION_MAX + 1, 0, err,
                                          sizeof(err)),
                     -1);
    assert_string_equal(err, "window: must be from 1ms to 3650d, not 315360000001ms");
    assert_int_equal(ph_window_clock_init(&clock, 1000, -1, err, sizeof(err)), -1);
    assert_string_equal(err, "allowed_lateness: must be from 0ms to 3650d, not -1ms");
    assert_int_equal(ph_window_clock_init(&clock, PH_WINDOW_DURATION_MAX,
                                          PH_WINDOW_DURATION_MAX, err, sizeof(err)),
                     0);
    assert_true(ph_window_time_in_range(PH_WINDOW_TIME_MIN));
    assert_true(ph_window_time_in_range(PH_WINDOW_TIME_MAX));
    assert_false(ph_window_time_in_range(PH_WINDOW_TIME_MIN - 1));
    assert_false(ph_window_time_in_range(PH_WINDOW_TIME_MAX + 1));
}

static void test_configure(void **state)
{
    ph_window_clock clock;
    char err[128] = "";
    json_t *config = json_pack("{s:i, s:i}", "window", 60000, "allowed_lateness", 10000);
    json_t *bad = json_pack("{s:s, s:i}", "window", "1m", "allowed_lateness", 10000);

    assert_non_null(config);
    assert_non_null(bad);
    assert_int_equal(ph_window_clock_configure(&clock, config, err, sizeof(err)), 0);
    assert_int_equal(clock.length_ms, 60000);
    assert_int_equal(clock.allowed_lateness_ms, 10000);
    assert_int_equal(ph_window_clock_configure(&clock, bad, err, sizeof(err)), -1);
    assert_string_equal(err, "window: expected a duration");
    json_object_set_new(bad, "window", json_integer(1000));
    json_object_del(bad, "allowed_lateness");
    assert_int_equal(ph_window_clock_configure(&clock, bad, err, sizeof(err)), -1);
    assert_string_equal(err, "allowed_lateness: expected a duration");
    json_decref(config);
    json_decref(bad);
}

static void test_set_order_and_retain(void **state)
{
    ph_window_clock clock = clock_of(1000, 500);
    ph_window_set set;
    ph_open_window *window;
    static const int64_t starts[] = {2000, 0, 5000, 1000, 3000};

    ph_window_set_init(&set);
    assert_int_equal(ph_window_set_retain_offset(&set), PH_OFFSET_NONE);
    assert_null(ph_window_set_oldest_closed(&set, &clock));

    /* Offsets 10, 11, ... in arrival order, windows out of order. */
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        window = ph_window_set_open(&set, &clock, starts[i], 10 + (int64_t)i);
        assert_non_null(window);
        assert_int_equal(window->start_ms, starts[i]);
        assert_null(window->state);
        window->state = &set; /* any non-NULL marker */
    }
    assert_int_equal(set.count, 5);
    for (size_t i = 1; i < set.count; i++)
        assert_true(set.windows[i - 1].start_ms < set.windows[i].start_ms);

    /* Opening again keeps the state and the smaller offset. */
    window = ph_window_set_open(&set, &clock, 2000, 30);
    assert_ptr_equal(window->state, &set);
    assert_int_equal(window->oldest_offset, 10);
    window = ph_window_set_open(&set, &clock, 3000, 4);
    assert_int_equal(window->oldest_offset, 4);
    assert_int_equal(set.count, 5);
    /* Oldest offsets: 0 -> 11, 1000 -> 13, 2000 -> 10, 3000 -> 4, 5000 -> 12. */
    assert_int_equal(ph_window_set_retain_offset(&set), 4);

    /* Max event 2600: watermark 2100 closes [0,1000) and [1000,2000). */
    ph_window_observe(&clock, 2600);
    window = ph_window_set_oldest_closed(&set, &clock);
    assert_non_null(window);
    assert_int_equal(window->start_ms, 0);
    ph_window_set_remove_oldest(&set);
    window = ph_window_set_oldest_closed(&set, &clock);
    assert_non_null(window);
    assert_int_equal(window->start_ms, 1000);
    ph_window_set_remove_oldest(&set);
    assert_null(ph_window_set_oldest_closed(&set, &clock));
    assert_int_equal(set.count, 3);
    assert_int_equal(set.windows[0].start_ms, 2000);
    assert_int_equal(ph_window_set_retain_offset(&set), 4);

    /* Max event 6000: watermark 5500 closes all but [5000,6000). */
    ph_window_observe(&clock, 6000);
    while (ph_window_set_oldest_closed(&set, &clock) != NULL)
        ph_window_set_remove_oldest(&set);
    assert_int_equal(set.count, 1);
    assert_int_equal(ph_window_set_retain_offset(&set), 12);
    ph_window_set_remove_oldest(&set);
    assert_int_equal(ph_window_set_retain_offset(&set), PH_OFFSET_NONE);
    ph_window_set_remove_oldest(&set); /* empty: no-op */
    ph_window_set_free(&set);
}

static void test_set_many_windows(void **state)
{
    ph_window_clock clock = clock_of(10, 0);
    ph_window_set set;

    /* Descending starts: every open inserts at the front. */
    ph_window_set_init(&set);
    for (int64_t i = 999; i >= 0; i--)
        assert_non_null(ph_window_set_open(&set, &clock, i * 10, 1000 - i));
    assert_int_equal(set.count, 1000);
    for (size_t i = 0; i < set.count; i++) {
        assert_int_equal(set.windows[i].start_ms, (int64_t)i * 10);
        assert_int_equal(set.windows[i].oldest_offset, 1000 - (int64_t)i);
    }
    assert_int_equal(ph_window_set_retain_offset(&set), 1);
    ph_window_set_free(&set);
    assert_int_equal(set.count, 0);
}

/* What a plugin does with one accepted record: open its window, then
 * observe its time. */
static ph_open_window *count_record(ph_window_set *set, ph_window_clock *clock, int64_t time_ms,
                                    int64_t offset)
{
    ph_open_window *window = ph_window_set_open(set, clock, ph_window_start(clock, time_ms),
                                                offset);

    assert_non_null(window);
    ph_window_observe(clock, time_ms);
    return window;
}

static void assert_checkpoint(const ph_window_set *set, const ph_window_clock *clock,
                              const char *expected)
{
    char text[PH_WINDOW_CHECKPOINT_SIZE];

    assert_int_equal(ph_window_checkpoint_write(set, clock, text, sizeof(text)),
                     (int)strlen(expected));
    assert_string_equal(text, expected);
}

static void test_resume_watermark(void **state)
{
    /* 1 s windows, 500 ms lateness. */
    ph_window_clock clock = clock_of(1000, 500);
    ph_window_set set;

    ph_window_set_init(&set);
    assert_int_equal(ph_window_resume_watermark(&set, &clock), PH_WINDOW_NO_TIME);
    assert_checkpoint(&set, &clock, "{\"watermark\":null}");

    /* Offset 0 at 200 ms, before any event: [0,1000) opens at no watermark. */
    assert_int_equal(count_record(&set, &clock, 200, 0)->oldest_watermark, PH_WINDOW_NO_TIME);
    /* Offset 1 at 1300 ms: [1000,2000) opens at 200 - 500 = -300; the
     * watermark becomes 800. */
    assert_int_equal(count_record(&set, &clock, 1300, 1)->oldest_watermark, -300);
    /* Offset 2 at 900 ms joins [0,1000): its oldest record stays offset 0. */
    assert_int_equal(count_record(&set, &clock, 900, 2)->oldest_watermark, PH_WINDOW_NO_TIME);
    assert_int_equal(ph_window_set_retain_offset(&set), 0);
    assert_int_equal(ph_window_resume_watermark(&set, &clock), PH_WINDOW_NO_TIME);
    assert_checkpoint(&set, &clock, "{\"watermark\":null}");

    /* Offset 3 at 1600 ms: watermark 1100 closes [0,1000). Replay would
     * start at offset 1, where the watermark was -300. */
    count_record(&set, &clock, 1600, 3);
    assert_non_null(ph_window_set_oldest_closed(&set, &clock));
    ph_window_set_remove_oldest(&set);
    assert_int_equal(ph_window_set_retain_offset(&set), 1);
    assert_int_equal(ph_window_resume_watermark(&set, &clock), -300);
    assert_checkpoint(&set, &clock, "{\"watermark\":-300}");

    /* Offset 4 at 2100 ms opens [2000,3000) at watermark 1100; offset 5
     * at 2600 ms makes it 2100, which closes [1000,2000). */
    assert_int_equal(count_record(&set, &clock, 2100, 4)->oldest_watermark, 1100);
    count_record(&set, &clock, 2600, 5);
    assert_non_null(ph_window_set_oldest_closed(&set, &clock));
    ph_window_set_remove_oldest(&set);
    assert_int_equal(ph_window_set_retain_offset(&set), 4);
    assert_checkpoint(&set, &clock, "{\"watermark\":1100}");

    /* An older offset for a window takes the watermark of now. */
    assert_int_equal(ph_window_set_open(&set, &clock, 2000, 2)->oldest_watermark, 2100);
    assert_int_equal(ph_window_set_retain_offset(&set), 2);
    assert_int_equal(ph_window_resume_watermark(&set, &clock), 2100);

    /* Nothing open: a restart resumes after the last record, at the
     * watermark of now. */
    ph_window_set_remove_oldest(&set);
    assert_int_equal(ph_window_set_retain_offset(&set), PH_OFFSET_NONE);
    assert_checkpoint(&set, &clock, "{\"watermark\":2100}");
    ph_window_set_free(&set);
}

static void test_checkpoint_round_trip(void **state)
{
    /* 10 s windows, 3 s lateness. */
    ph_window_clock clock = clock_of(10000, 3000);
    ph_window_clock later = clock_of(10000, 0);
    ph_window_set set;
    char text[PH_WINDOW_CHECKPOINT_SIZE];

    ph_window_set_init(&set);
    ph_window_observe(&clock, 21000); /* watermark 18000 */
    assert_checkpoint(&set, &clock, "{\"watermark\":18000}");

    /* A fresh clock resumes at watermark 18000: [0,10000) is closed,
     * [10000,20000) open, and an event at 20500 leaves it at 18000. */
    clock = clock_of(10000, 3000);
    assert_int_equal(ph_window_checkpoint_read(&clock, "{\"watermark\":18000}"), 0);
    assert_int_equal(ph_window_watermark(&clock), 18000);
    assert_true(ph_window_is_closed(&clock, 0));
    assert_false(ph_window_is_closed(&clock, 10000));
    ph_window_observe(&clock, 20500);
    assert_int_equal(ph_window_watermark(&clock), 18000);
    ph_window_observe(&clock, 23000);
    assert_true(ph_window_is_closed(&clock, 10000));

    /* Under another lateness the same windows are closed. */
    assert_int_equal(ph_window_checkpoint_read(&later, "{\"watermark\":18000}"), 0);
    assert_int_equal(ph_window_watermark(&later), 18000);
    assert_true(ph_window_is_closed(&later, 0));
    assert_false(ph_window_is_closed(&later, 10000));

    /* null: no event seen; extra members and spaces are fine. */
    assert_int_equal(ph_window_checkpoint_read(&later, " {\"watermark\": null, \"v\": 2} "), 0);
    assert_int_equal(ph_window_watermark(&later), PH_WINDOW_NO_TIME);
    assert_false(ph_window_is_closed(&later, PH_WINDOW_TIME_MIN));

    /* The extreme watermarks: the earliest time less the longest
     * lateness, and the latest time. */
    snprintf(text, sizeof(text), "{\"watermark\":%lld}",
             (long long)(PH_WINDOW_TIME_MIN - PH_WINDOW_DURATION_MAX));
    assert_int_equal(ph_window_checkpoint_read(&clock, text), 0);
    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_TIME_MIN - PH_WINDOW_DURATION_MAX);
    snprintf(text, sizeof(text), "{\"watermark\":%lld}", (long long)PH_WINDOW_TIME_MAX);
    assert_int_equal(ph_window_checkpoint_read(&clock, text), 0);
    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_TIME_MAX);

    /* Too small a buffer: "{"watermark":18000}" needs 20 bytes. */
    ph_window_observe(&later, 18000);
    assert_int_equal(ph_window_checkpoint_write(&set, &later, text, 19), -1);
    assert_int_equal(ph_window_checkpoint_write(&set, &later, text, 20), 19);
    ph_window_set_free(&set);
}

static void test_malformed_checkpoints(void **state)
{
    static const char *const malformed[] = {
        "",
        "watermark=18000",
        "{\"watermark\":18000",
        "[18000]",
        "18000",
        "{}",
        "{\"watermark\":\"18000\"}",
        "{\"watermark\":18000.0}",
        "{\"watermark\":true}",
        "{\"watermark\":1,\"watermark\":2}",
        "{\"watermark\":253402300800000}",  /* PH_WINDOW_TIME_MAX + 1 */
        "{\"watermark\":-62482579200001}", /* TIME_MIN - DURATION_MAX - 1 */
        "{\"watermark\":-9223372036854775808}",
    };
    ph_window_clock clock = clock_of(10000, 3000);

    ph_window_observe(&clock, 21000);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        if (ph_window_checkpoint_read(&clock, malformed[i]) != -1)
            fail_msg("accepted %s", malformed[i]);
        assert_int_equal(ph_window_watermark(&clock), 18000);
    }
    assert_int_equal(ph_window_checkpoint_read(&clock, NULL), -1);
}

/* A host's checkpoint services, as the window library uses them. */
struct ph_context {
    const char *committed; /* what checkpoint() returns */
    char set[PH_CHECKPOINT_MAX + 1];
    int set_calls;
    int refuse;
    int warnings;
};

static void fake_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    assert_int_equal(level, PH_LOG_WARN);
    ctx->warnings++;
}

static int fake_set_checkpoint(ph_context *ctx, const char *text)
{
    ctx->set_calls++;
    if (ctx->refuse)
        return -1;
    snprintf(ctx->set, sizeof(ctx->set), "%s", text);
    return 0;
}

static const char *fake_checkpoint(ph_context *ctx)
{
    return ctx->committed;
}

static const ph_host_api checkpoint_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = fake_log,
    .set_checkpoint = fake_set_checkpoint,
    .checkpoint = fake_checkpoint,
};

static void test_checkpoint_through_the_host(void **state)
{
    ph_window_clock clock = clock_of(10000, 3000);
    ph_window_set set;
    ph_context ctx = {.committed = "{\"watermark\":18000}"};
    ph_host_api old_host = checkpoint_host;

    ph_window_set_init(&set);
    ph_window_clock_restore(&clock, &checkpoint_host, &ctx);
    assert_int_equal(ph_window_watermark(&clock), 18000);
    assert_int_equal(ctx.warnings, 0);
    ph_window_clock_checkpoint(&clock, &set, &checkpoint_host, &ctx);
    assert_int_equal(ctx.set_calls, 1);
    assert_string_equal(ctx.set, "{\"watermark\":18000}");

    /* A refused checkpoint is a warning. */
    ctx.refuse = 1;
    ph_window_clock_checkpoint(&clock, &set, &checkpoint_host, &ctx);
    assert_int_equal(ctx.warnings, 1);

    /* Malformed: a warning, and the clock starts with no event seen. */
    clock = clock_of(10000, 3000);
    ctx = (ph_context){.committed = "watermark=18000"};
    ph_window_clock_restore(&clock, &checkpoint_host, &ctx);
    assert_int_equal(ctx.warnings, 1);
    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_NO_TIME);

    /* None committed: nothing to say. */
    ctx = (ph_context){.committed = NULL};
    ph_window_clock_restore(&clock, &checkpoint_host, &ctx);
    assert_int_equal(ctx.warnings, 0);
    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_NO_TIME);

    /* A host whose table ends before the checkpoint services: not called. */
    old_host.struct_size = offsetof(ph_host_api, set_checkpoint);
    ctx = (ph_context){.committed = "{\"watermark\":18000}"};
    ph_window_clock_restore(&clock, &old_host, &ctx);
    ph_window_clock_checkpoint(&clock, &set, &old_host, &ctx);
    assert_int_equal(ctx.set_calls, 0);
    assert_int_equal(ph_window_watermark(&clock), PH_WINDOW_NO_TIME);
    ph_window_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_watermark_and_closing),
        cmocka_unit_test(test_zero_lateness_and_negative_times),
        cmocka_unit_test(test_clock_limits),
        cmocka_unit_test(test_configure),
        cmocka_unit_test(test_set_order_and_retain),
        cmocka_unit_test(test_set_many_windows),
        cmocka_unit_test(test_resume_watermark),
        cmocka_unit_test(test_checkpoint_round_trip),
        cmocka_unit_test(test_malformed_checkpoints),
        cmocka_unit_test(test_checkpoint_through_the_host),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
