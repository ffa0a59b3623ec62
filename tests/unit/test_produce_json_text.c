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
    bool skip[EVENT_RECORD_MAX_FIELDS] = { false };

    event_record_init(&record);
    /* 2022-01-01T12:22:25.120Z is 1641039745120 ms. */
    event_record_add_time(&record, "timestamp", FIELD_REQUIRED, INT64_C(1641039745120),
                          TIME_ISO_SECONDS);
    event_record_add_time(&record, "ts", FIELD_REQUIRED, INT64_C(1641039745120), TIME_ISO_UTC);
    event_record_add_time(&record, "ms", FIELD_REQUIRED, INT64_C(1641039745120), TIME_EPOCH_MS);
    event_record_add_time(&record, "before", FIELD_OPTIONAL, -1, TIME_ISO_SECONDS);
    event_record_add_string(&record, "userid", FIELD_REQUIRED, "user1", 5);
    event_record_add_decimal(&record, "t", FIELD_METRIC, 2153, 2);
    assert_false(record.overflow);
    assert_int_equal(event_record_find(&record, "userid"), 4);
    assert_int_equal(event_record_find(&record, "nope"), -1);

    reset(&f);
    event_record_write_object(&record, NULL, &f.text);
    assert_text(&f, "{\"timestamp\": \"2022-01-01T12:22:25\", "
                    "\"ts\": \"2022-01-01T12:22:25.120Z\", \"ms\": 1641039745120, "
                    "\"before\": \"1969-12-31T23:59:59\", \"userid\": \"user1\", \"t\": 21.53}");

    skip[0] = skip[1] = skip[2] = skip[3] = true;
    reset(&f);
    event_record_write_object(&record, skip, &f.text);
    assert_text(&f, "{\"userid\": \"user1\", \"t\": 21.53}");
}

static void test_record_refuses_too_many_fields(void **unused)
{
    struct event_record record;

    event_record_init(&record);
    for (int i = 0; i < EVENT_RECORD_MAX_FIELDS; i++)
        event_record_add_int(&record, "n", FIELD_OPTIONAL, i);
    assert_false(record.overflow);
    event_record_add_int(&record, "n", FIELD_OPTIONAL, 99);
    assert_true(record.overflow);
    assert_int_equal(record.field_count, EVENT_RECORD_MAX_FIELDS);
}

/* A record of a device reading, broken in each way the malformed writer
 * knows; every variant is checked against what it claims. */
static void make_reading(struct event_record *record)
{
    event_record_init(record);
    event_record_add_string(record, "device_id", FIELD_REQUIRED, "dev-0001", 8);
    event_record_add_int(record, "ts", FIELD_REQUIRED, 1000);
    event_record_add_decimal(record, "temperature", FIELD_METRIC, 2153, 2);
    event_record_add_decimal(record, "pressure", FIELD_METRIC, 10132, 1);
}

static json_t *load(const struct text_fixture *f)
{
    return json_loadb(f->text.data, f->text.len, 0, NULL);
}

static void test_missing_metric_drops_every_reading(void **unused)
{
    struct event_record record;
    struct text_fixture f;
    struct prng rng;
    int saw_metric = 0, saw_device = 0, saw_ts = 0;

    make_reading(&record);
    prng_seed(&rng, 1);
    for (int i = 0; i < 60; i++) {
        const char *field;
        json_t *root;

        reset(&f);
        field = malformed_record_write(MALFORMED_MISSING_FIELD, &record, NULL, 0, &rng, &f.text);
        root = load(&f);
        assert_non_null(root);
        assert_non_null(field);
        if (strcmp(field, MALFORMED_METRIC_FIELD) == 0) {
            saw_metric++;
            assert_null(json_object_get(root, "temperature"));
            assert_null(json_object_get(root, "pressure"));
            assert_non_null(json_object_get(root, "device_id"));
        } else {
            saw_device += strcmp(field, "device_id") == 0;
            saw_ts += strcmp(field, "ts") == 0;
            assert_null(json_object_get(root, field));
            assert_int_equal(json_object_size(root), 3);
        }
        json_decref(root);
    }
    assert_true(saw_metric > 0 && saw_device > 0 && saw_ts > 0);
}

static void test_wrong_value_replaces_or_appends_with_companion(void **unused)
{
    static const struct wrong_value quoted[] = { { "temperature", NULL, NULL, NULL } };
    static const struct wrong_value with_companion[] = {
        { "rating", "6", "device_id", "\"rated\"" },
    };
    struct event_record record;
    struct text_fixture f;
    struct prng rng;
    const char *field;

    make_reading(&record);
    prng_seed(&rng, 1);
    reset(&f);
    field = malformed_record_write(MALFORMED_WRONG_TYPE, &record, quoted, 1, &rng, &f.text);
    assert_string_equal(field, "temperature");
    assert_text(&f, "{\"device_id\": \"dev-0001\", \"ts\": 1000, \"temperature\": \"21.53\", "
                    "\"pressure\": 1013.2}");

    reset(&f);
    field = malformed_record_write(MALFORMED_WRONG_TYPE, &record, with_companion, 1, &rng,
                                   &f.text);
    assert_string_equal(field, "rating");
    assert_text(&f, "{\"device_id\": \"rated\", \"ts\": 1000, \"temperature\": 21.53, "
                    "\"pressure\": 1013.2, \"rating\": 6}");
}

static void test_wrong_value_falls_back_to_an_object(void **unused)
{
    static const struct wrong_value unrelated[] = { { "page", "404", NULL, NULL } };
    struct event_record record;
    struct text_fixture f;
    struct prng rng;

    make_reading(&record);
    prng_seed(&rng, 1);
    reset(&f);
    assert_string_equal(malformed_record_write(MALFORMED_WRONG_TYPE, &record, unrelated, 1,
                                               &rng, &f.text),
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
        cmocka_unit_test(test_record_refuses_too_many_fields),
        cmocka_unit_test(test_missing_metric_drops_every_reading),
        cmocka_unit_test(test_wrong_value_replaces_or_appends_with_companion),
        cmocka_unit_test(test_wrong_value_falls_back_to_an_object),
        cmocka_unit_test(test_invalid_utf8_lands_in_a_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
