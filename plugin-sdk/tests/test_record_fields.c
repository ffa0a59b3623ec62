/*
 * pipehost/record_fields.h against a fake host: one-pass lookup, and the
 * reason each reader rejects with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <pipehost/record_fields.h>
#include <pipehost/window.h>

struct ph_context {
    char reason[256];
    int rejections;
};

static ph_status fake_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, ap);
    va_end(ap);
    ctx->rejections++;
    return PH_REJECT;
}

/* The record's value is a json_t, or NULL for "not JSON". */
static json_t *fake_record_json(ph_context *ctx, const ph_record *record, const char **error)
{
    if (record->value == NULL)
        *error = "broken";
    return (json_t *)record->value;
}

/* Epoch milliseconds only, like the host's for numbers. */
static int fake_parse_time(const json_t *value, int64_t *epoch_ms)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return -1;
    *epoch_ms = json_integer_value(value);
    return 0;
}

static const ph_host_api fake_host = {
    .struct_size = sizeof(ph_host_api),
    .reject = fake_reject,
    .record_json = fake_record_json,
    .parse_time = fake_parse_time,
};

static void test_record_object(void **state)
{
    ph_context ctx = {0};
    json_t *array = json_array();
    json_t *object = json_object();
    ph_record record = {.value = NULL};

    assert_null(ph_record_object(&fake_host, &ctx, &record));
    assert_string_equal(ctx.reason, "value is not JSON: broken");
    record.value = array;
    assert_null(ph_record_object(&fake_host, &ctx, &record));
    assert_string_equal(ctx.reason, "value is not a JSON object");
    record.value = object;
    assert_ptr_equal(ph_record_object(&fake_host, &ctx, &record), object);
    assert_int_equal(ctx.rejections, 2);
    json_decref(array);
    json_decref(object);
}

static void test_object_fields(void **state)
{
    static const char *const names[] = {"page", "ts", "absent", "pager"};
    json_t *fields[4];
    json_t *small = json_pack("{s:i, s:i, s:i}", "ts", 1, "page", 2, "pag", 3);
    json_t *large = json_object();

    assert_non_null(small);
    ph_object_fields(small, names, 4, fields);
    assert_int_equal(json_integer_value(fields[0]), 2);
    assert_int_equal(json_integer_value(fields[1]), 1);
    assert_null(fields[2]);
    assert_null(fields[3]);

    /* Larger than 2 * 4 + 4 members: looked up by name instead. */
    for (int i = 0; i < 20; i++) {
        char name[16];

        snprintf(name, sizeof(name), "f%d", i);
        json_object_set_new(large, name, json_integer(i));
    }
    json_object_set_new(large, "pager", json_integer(99));
    ph_object_fields(large, names, 4, fields);
    assert_null(fields[0]);
    assert_null(fields[1]);
    assert_null(fields[2]);
    assert_int_equal(json_integer_value(fields[3]), 99);
    json_decref(small);
    json_decref(large);
}

static void test_string_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    json_t *good = json_string("abc");
    json_t *empty = json_string("");
    json_t *with_nul = json_stringn("a\0b", 3);
    json_t *number = json_integer(3);
    const char *text = NULL;
    size_t length = 0;

    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", good, &text, &length), 0);
    assert_string_equal(text, "abc");
    assert_int_equal(length, 3);
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", NULL, &text, &length), -1);
    assert_string_equal(ctx.reason, "missing field 'page'");
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", empty, &text, &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    ctx.reason[0] = '\0';
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", with_nul, &text,
                                     &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    ctx.reason[0] = '\0';
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", number, &text, &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    json_decref(good);
    json_decref(empty);
    json_decref(with_nul);
    json_decref(number);
}

static void test_number_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    json_t *integer = json_integer(-4);
    json_t *real = json_real(2.5);
    json_t *boolean = json_true();
    double value = 0;

    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", integer, &value), 0);
    assert_true(value == -4.0);
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", real, &value), 0);
    assert_true(value == 2.5);
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", boolean, &value), -1);
    assert_string_equal(ctx.reason, "field 't' must be a number");
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", NULL, &value), -1);
    assert_string_equal(ctx.reason, "missing field 't'");
    json_decref(integer);
    json_decref(real);
    json_decref(boolean);
}

static void test_time_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    json_t *good = json_integer(1640995200000);
    json_t *last = json_integer(PH_WINDOW_TIME_MAX);
    json_t *beyond = json_integer(PH_WINDOW_TIME_MAX + 1);
    json_t *text = json_string("yesterday");
    int64_t ms = 0;

    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", good, &ms), 0);
    assert_int_equal(ms, 1640995200000);
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", last, &ms), 0);
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", beyond, &ms), -1);
    assert_string_equal(ctx.reason, "field 'ts' is out of range (years 0000 to 9999)");
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", text, &ms), -1);
    assert_string_equal(ctx.reason, "field 'ts' must be an ISO-8601 time or epoch milliseconds");
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", NULL, &ms), -1);
    assert_string_equal(ctx.reason, "missing field 'ts'");
    json_decref(good);
    json_decref(last);
    json_decref(beyond);
    json_decref(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_object),
        cmocka_unit_test(test_object_fields),
        cmocka_unit_test(test_string_field),
        cmocka_unit_test(test_number_field),
        cmocka_unit_test(test_time_field),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
