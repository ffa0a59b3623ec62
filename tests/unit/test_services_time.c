/*
 * Durations and event time. Expected epoch values were worked out by hand
 * (and with an independent calendar), never with the code under test;
 * gmtime_r/timegm serve as a second, independent calendar for a sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "services/duration.h"
#include "services/event_time.h"

static void assert_duration(const char *text, int64_t expected)
{
    int64_t ms = -42;

    if (duration_parse(text, &ms) != 0)
        fail_msg("duration \"%s\" refused", text);
    assert_int_equal(ms, expected);
}

static void assert_bad_duration(const char *text)
{
    int64_t ms = -42;

    if (duration_parse(text, &ms) == 0)
        fail_msg("duration \"%s\" accepted as %lld", text ? text : "(null)", (long long)ms);
    assert_int_equal(ms, -42); /* untouched */
}

static void test_durations(void **state)
{
    (void)state;
    assert_duration("500ms", 500);
    assert_duration("10s", 10000);
    assert_duration("1m", 60000);
    assert_duration("2h", 7200000);
    assert_duration("1d", 86400000);
    assert_duration("0", 0);
    assert_duration("0s", 0);
    assert_duration("250", 250);
    assert_duration("007s", 7000);
    assert_duration("9223372036854775807", INT64_MAX);
    assert_duration("106751991167d", INT64_C(9223372036828800000));
    assert_duration("2562047788015h", INT64_C(9223372036854000000));
}

static void test_bad_durations(void **state)
{
    static const char *const bad[] = {
        "",     "ms",   "10x",   "10 s",  " 10s",  "10s ", "-1s", "+1s", "1.5s",
        "10S",  "1sm",  "1mss",  "0x10",  "s10",   "1e3",  "10sec",
        "9223372036854775808", "106751991168d", "2562047788016h",
        "99999999999999999999999ms",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_bad_duration(bad[i]);
    assert_bad_duration(NULL);
}

static void assert_time(const char *text, int64_t expected)
{
    int64_t ms = -42;

    if (event_time_parse_text(text, strlen(text), &ms) != 0)
        fail_msg("time \"%s\" refused", text);
    assert_int_equal(ms, expected);
}

static void assert_bad_time(const char *text)
{
    int64_t ms = -42;

    if (event_time_parse_text(text, strlen(text), &ms) == 0)
        fail_msg("time \"%s\" accepted as %lld", text, (long long)ms);
    assert_int_equal(ms, -42);
}

static void test_event_time_text(void **state)
{
    (void)state;
    assert_time("1970-01-01T00:00:00Z", 0);
    assert_time("2022-01-01T12:22:25", INT64_C(1641039745000));
    assert_time("2022-01-01T12:22:25Z", INT64_C(1641039745000));
    assert_time("2022-01-01t12:22:25z", INT64_C(1641039745000));
    assert_time("2022-01-01 12:22:25", INT64_C(1641039745000));
    assert_time("2022-01-01T14:22:25+02:00", INT64_C(1641039745000));
    assert_time("2022-01-01T14:22:25+0200", INT64_C(1641039745000));
    assert_time("2022-01-01T14:22:25+02", INT64_C(1641039745000));
    assert_time("2022-01-01T07:22:25-05:00", INT64_C(1641039745000));
    assert_time("2022-01-01T12:52:25+00:30", INT64_C(1641039745000));
    assert_time("2022-01-01T12:22:25.120Z", INT64_C(1641039745120));
    assert_time("2022-01-01T12:22:25.1", INT64_C(1641039745100));
    assert_time("2022-01-01T12:22:25.123456789+00:00", INT64_C(1641039745123));
    assert_time("2022-01-01T12:22:25.9999Z", INT64_C(1641039745999));
    assert_time("2024-02-29T00:00:00Z", INT64_C(1709164800000));
    assert_time("2024-03-01T01:02:03Z", INT64_C(1709254923000));
    assert_time("2000-02-29T00:00:00Z", INT64_C(951782400000));
    assert_time("9999-12-31T23:59:59.999Z", INT64_C(253402300799999));
    assert_time("1969-12-31T23:59:59Z", -1000);
    assert_time("0001-01-01T00:00:00Z", INT64_C(-62135596800000));
}

static void test_bad_event_time_text(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "2023-02-29T00:00:00Z", /* 2023 is no leap year */
        "2100-02-29T00:00:00Z", /* nor is 2100 */
        "2022-13-01T00:00:00Z",
        "2022-00-10T00:00:00Z",
        "2022-04-31T00:00:00Z",
        "2022-01-00T00:00:00Z",
        "2022-01-01T24:00:00Z",
        "2022-01-01T12:60:00Z",
        "2022-01-01T12:00:60Z",
        "2022-01-01",
        "2022-01-01T12:22",
        "2022-01-01T12:22:25.",
        "2022-01-01T12:22:25+2",
        "2022-01-01T12:22:25+02:0",
        "2022-01-01T12:22:25+24:00",
        "2022-01-01T12:22:25+02:60",
        "2022-01-01T12:22:25Z ",
        "2022-01-01T12:22:25 Z",
        "2022-1-01T12:22:25Z",
        "22-01-01T12:22:25Z",
        "2022/01/01T12:22:25Z",
        "2022-01-01X12:22:25Z",
        "1641039745000",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_bad_time(bad[i]);
}

static void test_event_time_reads_only_len_bytes(void **state)
{
    const char *text = "2022-01-01T12:22:25Zjunk";
    int64_t ms;

    (void)state;
    assert_int_equal(event_time_parse_text(text, 20, &ms), 0);
    assert_int_equal(ms, INT64_C(1641039745000));
    assert_int_equal(event_time_parse_text(text, 19, &ms), 0); /* no zone: UTC */
    assert_int_equal(event_time_parse_text(text, 18, &ms), -1);
}

static void assert_json_time(json_t *value, int rc, int64_t expected)
{
    int64_t ms = -42;

    assert_non_null(value);
    assert_int_equal(event_time_parse_json(value, &ms), rc);
    assert_int_equal(ms, rc == 0 ? expected : -42);
    json_decref(value);
}

static void test_event_time_json(void **state)
{
    (void)state;
    assert_json_time(json_string("2022-01-01T12:22:25.5Z"), 0, INT64_C(1641039745500));
    assert_json_time(json_integer(INT64_C(1641039745000)), 0, INT64_C(1641039745000));
    assert_json_time(json_integer(0), 0, 0);
    assert_json_time(json_real(1641039745000.9), 0, INT64_C(1641039745000));
    assert_json_time(json_integer(-1), -1, 0);
    assert_json_time(json_real(-0.5), -1, 0);
    assert_json_time(json_real(1e19), -1, 0);
    assert_json_time(json_string("yesterday"), -1, 0);
    assert_json_time(json_true(), -1, 0);
    assert_json_time(json_null(), -1, 0);
    assert_json_time(json_object(), -1, 0);
    assert_int_equal(event_time_parse_json(NULL, &(int64_t){0}), -1);
}

static void assert_format(int64_t ms, const char *expected)
{
    char buf[64];

    assert_int_equal(event_time_format(ms, buf, sizeof(buf)), strlen(expected));
    assert_string_equal(buf, expected);
}

static void test_event_time_format(void **state)
{
    char small[5];

    (void)state;
    assert_format(0, "1970-01-01T00:00:00Z");
    assert_format(INT64_C(1641039745000), "2022-01-01T12:22:25Z");
    assert_format(INT64_C(1641039745120), "2022-01-01T12:22:25.120Z");
    assert_format(INT64_C(1641039745007), "2022-01-01T12:22:25.007Z");
    assert_format(INT64_C(1709164800000), "2024-02-29T00:00:00Z");
    assert_format(INT64_C(951782400000), "2000-02-29T00:00:00Z");
    assert_format(INT64_C(253402300799999), "9999-12-31T23:59:59.999Z");
    assert_format(-1, "1969-12-31T23:59:59.999Z");
    assert_format(INT64_C(-62135596800000), "0001-01-01T00:00:00Z");
    /* The ends of the range: no overflow on the way. */
    assert_format(INT64_MAX, "292278994-08-17T07:12:55.807Z");
    assert_format(INT64_MIN, "-292275055-05-16T16:47:04.192Z");
    /* Truncated to the buffer, always terminated. */
    assert_int_equal(event_time_format(0, small, sizeof(small)), 4);
    assert_string_equal(small, "1970");
    assert_int_equal(event_time_format(0, small, 0), 0);
}

/* Every 7919 s and some odd milliseconds from 1901 to 2200, against
 * the C library's calendar, both ways. */
static void test_event_time_agrees_with_gmtime(void **state)
{
    char expected[64], formatted[64];
    struct tm tm;
    int64_t parsed;

    (void)state;
    for (int64_t t = INT64_C(-2145916800); t < INT64_C(7258118400); t += 7919 * 13) {
        time_t seconds = (time_t)t;
        int millis = (int)(t % 1000 + 1000) % 1000;
        int64_t ms = t * 1000 + millis;
        size_t n;
        assert_non_null(gmtime_r(&seconds, &tm));
        n = strftime(expected, sizeof(expected), "%Y-%m-%dT%H:%M:%S", &tm);
        if (millis != 0)
            snprintf(expected + n, sizeof(expected) - n, ".%03dZ", millis);
        else
            snprintf(expected + n, sizeof(expected) - n, "Z");
        event_time_format(ms, formatted, sizeof(formatted));
        assert_string_equal(formatted, expected);
        assert_int_equal(event_time_parse_text(expected, strlen(expected), &parsed), 0);
        assert_int_equal(parsed, ms);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_bad_durations),
        cmocka_unit_test(test_event_time_text),
        cmocka_unit_test(test_bad_event_time_text),
        cmocka_unit_test(test_event_time_reads_only_len_bytes),
        cmocka_unit_test(test_event_time_json),
        cmocka_unit_test(test_event_time_format),
        cmocka_unit_test(test_event_time_agrees_with_gmtime),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
