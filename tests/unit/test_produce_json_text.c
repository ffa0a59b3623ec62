/* Writing JSON text and event records, and breaking them on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "produce/event_record.h"
#include "produce/json_text.h"
#include "produce/malformed_record.h"

struct text_fixture {
    struct json_text text;
    char storage[256];
};

static void reset(struct text_fixture *f)
{
    json_text_init(&f->text, f->storage, sizeof(f->storage));
}

static void assert_text(const struct text_fixture *f, const char *expected)
{
    assert_false(f->text.overflow);
    assert_int_equal(f->text.len, strlen(expected));
    assert_memory_equal(f->text.data, expected, f->text.len);
}

static void test_integers(void **unused)
{
    struct text_fixture f;

    reset(&f);
    json_text_int(&f.text, 0);
    json_text_char(&f.text, ' ');
    json_text_int(&f.text, -42);
    json_text_char(&f.text, ' ');
    json_text_int(&f.text, INT64_MIN);
    json_text_char(&f.text, ' ');
    json_text_int(&f.text, INT64_MAX);
    assert_text(&f, "0 -42 -9223372036854775808 9223372036854775807");
}

static void test_decimals(void **unused)
{
    struct text_fixture f;

    reset(&f);
    json_text_decimal(&f.text, 2153, 2);
    json_text_char(&f.text, ' ');
    json_text_decimal(&f.text, -5, 2);
    json_text_char(&f.text, ' ');
    json_text_decimal(&f.text, 10132, 1);
    json_text_char(&f.text, ' ');
    json_text_decimal(&f.text, 0, 1);
    json_text_char(&f.text, ' ');
    json_text_decimal(&f.text, 7, 0);
    json_text_char(&f.text, ' ');
    json_text_decimal(&f.text, -100, 2);
    assert_text(&f, "21.53 -0.05 1013.2 0.0 7 -1.00");
}

static void test_string_escapes(void **unused)
{
    struct text_fixture f;
    const char raw[] = "a\"b\\c\nd\te\x01 \xc3\xa9";

    reset(&f);
    json_text_string(&f.text, raw, sizeof(raw) - 1);
    assert_text(&f, "\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9\"");
}

static void test_overflow_is_reported_not_written_past(void **unused)
{
    struct json_text text;
    char storage[8];

    memset(storage, 'x', sizeof(storage));
    json_text_init(&text, storage, 4);
    json_text_cstr(&text, "abc");
    assert_false(text.overflow);
    json_text_cstr(&text, "de");
    assert_true(text.overflow);
    assert_int_equal(text.len, 3);
    assert_int_equal(storage[4], 'x');
}

static void test_record_object_and_times(void **unused)
{
    struct event_record record;
    struct text_fixture f;

    event_record_init(&record);
    /* 2022-01-01T12:22:25.120Z is 1641039745120 ms. */
    event_record_add_time(&record, "timestamp", INT64_C(1641039745120), TIME_ISO_SECONDS);
    event_record_add_time(&record, "ts", INT64_C(1641039745120), TIME_ISO_UTC);
    event_record_add_time(&record, "ms", INT64_C(1641039745120), TIME_EPOCH_MS);
    event_record_add_time(&record, "before", -1, TIME_ISO_SECONDS);
    event_record_add_string(&record, "userid", "user1", 5);
    event_record_add_decimal(&record, "t", 2153, 2);
    assert_false(record.overflow);
    assert_int_equal(event_record_find(&record, "userid"), 4);
    assert_int_equal(event_record_find(&record, "nope"), -1);
    /* The last time written is the record's event time. */
    assert_int_equal(record.event_ms, -1);
    assert_int_equal(record.time_field, 3);

    reset(&f);
    event_record_write_object(&record, &f.text);
    assert_text(&f, "{\"timestamp\": \"2022-01-01T12:22:25\", "
                    "\"ts\": \"2022-01-01T12:22:25.120Z\", \"ms\": 1641039745120, "
                    "\"before\": \"1969-12-31T23:59:59\", \"userid\": \"user1\", \"t\": 21.53}");
}

/* Moving an event in time rewrites its time field in the same style and
 * leaves the rest alone. */
static void test_record_retime(void **unused)
{
    struct event_record record;
    struct text_fixture f;

    event_record_init(&record);
    event_record_add_string(&record, "device_id", "dev-0001", 8);
    assert_int_equal(event_record_retime(&record, 0), -1);
    event_record_add_time(&record, "ts", INT64_C(1641039745120), TIME_ISO_UTC);
    event_record_add_int(&record, "n", 7);
    assert_int_equal(event_record_retime(&record, INT64_C(1641039625000)), 0);
    assert_int_equal(record.event_ms, INT64_C(1641039625000));
    reset(&f);
    event_record_write_object(&record, &f.text);
    assert_text(&f, "{\"device_id\": \"dev-0001\", \"ts\": \"2022-01-01T12:20:25Z\", \"n\": 7}");

    event_record_clear(&record);
    assert_int_equal(record.time_field, -1);
    event_record_add_time(&record, "ms", 5000, TIME_EPOCH_MS);
    assert_int_equal(event_record_retime(&record, 1234), 0);
    reset(&f);
    event_record_write_object(&record, &f.text);
    assert_text(&f, "{\"ms\": 1234}");

    event_record_clear(&record);
    event_record_add_time(&record, "timestamp", INT64_C(1641039745120), TIME_ISO_SECONDS);
    assert_int_equal(event_record_retime(&record, INT64_C(1641039700999)), 0);
    reset(&f);
    event_record_write_object(&record, &f.text);
    assert_text(&f, "{\"timestamp\": \"2022-01-01T12:21:40\"}");
}

static void test_record_refuses_too_many_fields(void **unused)
{
    struct event_record record;

    event_record_init(&record);
    for (int i = 0; i < EVENT_RECORD_MAX_FIELDS; i++)
        event_record_add_int(&record, "n", i);
    assert_false(record.overflow);
    event_record_add_int(&record, "n", 99);
    assert_true(record.overflow);
    assert_int_equal(record.field_count, EVENT_RECORD_MAX_FIELDS);
}

/* A record of a device reading, broken in each way the malformed writer
 * knows; every variant is checked against what it claims. */
static void make_reading(struct event_record *record)
{
    event_record_init(record);
    event_record_add_string(record, "device_id", "dev-0001", 8);
    event_record_add_int(record, "ts", 1000);
    event_record_add_decimal(record, "temperature", 2153, 2);
    event_record_add_decimal(record, "pressure", 10132, 1);
}

static json_t *load(const struct text_fixture *f)
{
    return json_loadb(f->text.data, f->text.len, 0, NULL);
}

static const char *write_one(const struct field_fault *fault, struct text_fixture *f)
{
    struct event_record record;
    struct prng rng;

    make_reading(&record);
    prng_seed(&rng, 1);
    reset(f);
    return malformed_record_write(fault->kind, &record, fault, 1, &rng, &f->text);
}

/* Each edit: in place where the field is, appended in edit order where
 * not; a removal of an absent field changes nothing. */
static void test_field_fault_edits(void **unused)
{
    static const struct field_fault faults[] = {
        { MALFORMED_MISSING_FIELD, "temperature", { { "temperature", FIELD_REMOVE, NULL },
                                                    { "pressure", FIELD_REMOVE, NULL },
                                                    { "humidity", FIELD_REMOVE, NULL } } },
        { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "6" },
                                            { "device_id", FIELD_SET, "\"rated\"" } } },
        { MALFORMED_WRONG_TYPE, "temperature", { { "temperature", FIELD_QUOTE, "\"0\"" },
                                                 { "humidity", FIELD_QUOTE, "\"40\"" } } },
        { MALFORMED_MISSING_FIELD, "agent_id", { { "agent_id", FIELD_REMOVE, NULL },
                                                 { "sender", FIELD_ADD, "\"agent\"" },
                                                 { "ts", FIELD_ADD, "2" } } },
        FIELD_WRONG("ts", "true"),
        FIELD_MISSING("device_id"),
    };
    static const char *const expected[] = {
        "{\"device_id\": \"dev-0001\", \"ts\": 1000}",
        "{\"device_id\": \"rated\", \"ts\": 1000, \"temperature\": 21.53, \"pressure\": 1013.2, "
        "\"rating\": 6}",
        "{\"device_id\": \"dev-0001\", \"ts\": 1000, \"temperature\": \"21.53\", "
        "\"pressure\": 1013.2, \"humidity\": \"40\"}",
        "{\"device_id\": \"dev-0001\", \"ts\": 1000, \"temperature\": 21.53, \"pressure\": 1013.2, "
        "\"sender\": \"agent\"}",
        "{\"device_id\": \"dev-0001\", \"ts\": true, \"temperature\": 21.53, \"pressure\": 1013.2}",
        "{\"ts\": 1000, \"temperature\": 21.53, \"pressure\": 1013.2}",
    };
    struct text_fixture f;

    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        assert_string_equal(write_one(&faults[i], &f), faults[i].field);
        assert_text(&f, expected[i]);
    }
}

/* Faults of the kind asked for, each of them in turn, none of another. */
static void test_field_faults_drawn_by_kind(void **unused)
{
    static const struct field_fault faults[] = {
        FIELD_WRONG("ts", "true"),
        FIELD_MISSING("ts"),
        FIELD_WRONG("device_id", "42"),
    };
    struct event_record record;
    struct text_fixture f;
    struct prng rng;
    int ts = 0, device_id = 0;

    make_reading(&record);
    prng_seed(&rng, 3);
    for (int i = 0; i < 200; i++) {
        const char *field;

        reset(&f);
        field = malformed_record_write(MALFORMED_WRONG_TYPE, &record, faults, 3, &rng, &f.text);
        if (strcmp(field, "ts") == 0) {
            ts++;
            assert_text(&f, "{\"device_id\": \"dev-0001\", \"ts\": true, \"temperature\": 21.53, "
                            "\"pressure\": 1013.2}");
        } else {
            device_id++;
            assert_string_equal(field, "device_id");
            assert_text(&f, "{\"device_id\": 42, \"ts\": 1000, \"temperature\": 21.53, "
                            "\"pressure\": 1013.2}");
        }
    }
    assert_in_range(ts, 70, 130);
    assert_int_equal(ts + device_id, 200);
}

/* A profile with no fault of a kind still gets a record broken that way,
 * in its first field. */
static void test_field_fault_fallback(void **unused)
{
    static const struct field_fault only_wrong[] = { FIELD_WRONG("page", "404") };
    struct event_record record;
    struct text_fixture f;
    struct prng rng;

    make_reading(&record);
    prng_seed(&rng, 1);
    reset(&f);
    assert_string_equal(malformed_record_write(MALFORMED_MISSING_FIELD, &record, only_wrong, 1,
                                               &rng, &f.text),
                        "device_id");
    assert_text(&f, "{\"ts\": 1000, \"temperature\": 21.53, \"pressure\": 1013.2}");
    reset(&f);
    assert_string_equal(malformed_record_write(MALFORMED_WRONG_TYPE, &record, NULL, 0, &rng,
                                               &f.text),
                        "device_id");
    assert_text(&f, "{\"device_id\": {}, \"ts\": 1000, \"temperature\": 21.53, "
                    "\"pressure\": 1013.2}");
}

static void test_invalid_utf8_lands_in_a_string(void **unused)
{
    struct event_record record;
    struct text_fixture f;
    struct prng rng;

    make_reading(&record);
    prng_seed(&rng, 5);
    for (int i = 0; i < 20; i++) {
        const char *field;

        reset(&f);
        field = malformed_record_write(MALFORMED_INVALID_UTF8, &record, NULL, 0, &rng, &f.text);
        /* device_id is the only string field. */
        assert_string_equal(field, "device_id");
        assert_true(memcmp(f.text.data, "{\"device_id\": \"", 15) == 0);
        assert_true((unsigned char)f.text.data[15] >= 0x80);
        assert_null(load(&f));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_overflow_is_reported_not_written_past),
        cmocka_unit_test(test_record_object_and_times),
        cmocka_unit_test(test_record_retime),
        cmocka_unit_test(test_record_refuses_too_many_fields),
        cmocka_unit_test(test_field_fault_edits),
        cmocka_unit_test(test_field_faults_drawn_by_kind),
        cmocka_unit_test(test_field_fault_fallback),
        cmocka_unit_test(test_invalid_utf8_lands_in_a_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
