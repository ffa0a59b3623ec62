/*
 * pipehost/record_fields.h against a fake host: the reason each reader
 * rejects with.
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

/* The record's value is the fields to hand out: {count, fields}, or NULL
 * for a value that is not an object. */
typedef struct fake_fields {
    size_t count;
    const ph_field *fields;
} fake_fields;

static int fake_record_fields(ph_context *ctx, const ph_record *record, const char *const names[],
                              size_t count, ph_field fields[], const char **error)
{
    const fake_fields *given = record->value;

    (void)ctx;
    (void)names;
    if (given == NULL) {
        *error = "value is not a JSON object";
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        fields[i] = i < given->count ? given->fields[i] : (ph_field){.type = PH_JSON_ABSENT};
    return 0;
}

/* Epoch milliseconds only, like the host's for integers. */
static int fake_field_time(const ph_field *field, int64_t *epoch_ms)
{
    if (field->type != PH_JSON_INTEGER || field->integer < 0)
        return -1;
    *epoch_ms = field->integer;
    return 0;
}

static const ph_host_api fake_host = {
    .struct_size = sizeof(ph_host_api),
    .reject = fake_reject,
    .record_json = fake_record_json,
    .record_fields = fake_record_fields,
    .field_time = fake_field_time,
};

static const ph_field absent = {.type = PH_JSON_ABSENT};

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

static void test_record_fields(void **state)
{
    static const char *const names[] = {"page", "ts"};
    const ph_field given[] = {{.type = PH_JSON_STRING, .text = "/a", .length = 2},
                              {.type = PH_JSON_INTEGER, .integer = 5, .number = 5.0}};
    const fake_fields value = {2, given};
    ph_context ctx = {0};
    ph_record record = {.value = &value};
    ph_field fields[2];

    assert_int_equal(ph_record_fields(&fake_host, &ctx, &record, names, 2, fields), 0);
    assert_int_equal(fields[0].type, PH_JSON_STRING);
    assert_int_equal(fields[1].integer, 5);
    assert_int_equal(ctx.rejections, 0);
    record.value = NULL;
    assert_int_equal(ph_record_fields(&fake_host, &ctx, &record, names, 2, fields), -1);
    assert_string_equal(ctx.reason, "value is not a JSON object");
    assert_int_equal(ctx.rejections, 1);
}

static void test_string_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    const ph_field good = {.type = PH_JSON_STRING, .text = "abcdef", .length = 3};
    const ph_field empty = {.type = PH_JSON_STRING, .text = "", .length = 0};
    const ph_field with_nul = {.type = PH_JSON_STRING, .text = "a\0b", .length = 3};
    const ph_field number = {.type = PH_JSON_INTEGER, .integer = 3, .number = 3.0};
    const char *text = NULL;
    size_t length = 0;

    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", &good, &text, &length),
                     0);
    assert_ptr_equal(text, good.text);
    assert_int_equal(length, 3);
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", &absent, &text, &length),
                     -1);
    assert_string_equal(ctx.reason, "missing field 'page'");
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", &empty, &text, &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    ctx.reason[0] = '\0';
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", &with_nul, &text,
                                     &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    ctx.reason[0] = '\0';
    assert_int_equal(ph_field_string(&fake_host, &ctx, &record, "page", &number, &text, &length),
                     -1);
    assert_string_equal(ctx.reason, "field 'page' must be a non-empty string");
    assert_int_equal(ctx.rejections, 4);
}

static void test_number_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    const ph_field integer = {.type = PH_JSON_INTEGER, .integer = -4, .number = -4.0};
    const ph_field real = {.type = PH_JSON_REAL, .number = 2.5};
    const ph_field boolean = {.type = PH_JSON_TRUE};
    double value = 0;

    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", &integer, &value), 0);
    assert_true(value == -4.0);
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", &real, &value), 0);
    assert_true(value == 2.5);
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", &boolean, &value), -1);
    assert_string_equal(ctx.reason, "field 't' must be a number");
    assert_int_equal(ph_field_number(&fake_host, &ctx, &record, "t", &absent, &value), -1);
    assert_string_equal(ctx.reason, "missing field 't'");
}

static void test_time_field(void **state)
{
    ph_context ctx = {0};
    ph_record record = {0};
    const ph_field good = {.type = PH_JSON_INTEGER, .integer = 1640995200000};
    const ph_field last = {.type = PH_JSON_INTEGER, .integer = PH_WINDOW_TIME_MAX};
    const ph_field beyond = {.type = PH_JSON_INTEGER, .integer = PH_WINDOW_TIME_MAX + 1};
    const ph_field text = {.type = PH_JSON_STRING, .text = "yesterday", .length = 9};
    int64_t ms = 0;

    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", &good, &ms), 0);
    assert_int_equal(ms, 1640995200000);
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", &last, &ms), 0);
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", &beyond, &ms), -1);
    assert_string_equal(ctx.reason, "field 'ts' is out of range (years 0000 to 9999)");
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", &text, &ms), -1);
    assert_string_equal(ctx.reason, "field 'ts' must be an ISO-8601 time or epoch milliseconds");
    assert_int_equal(ph_field_time(&fake_host, &ctx, &record, "ts", &absent, &ms), -1);
    assert_string_equal(ctx.reason, "missing field 'ts'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_object),
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_string_field),
        cmocka_unit_test(test_number_field),
        cmocka_unit_test(test_time_field),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
