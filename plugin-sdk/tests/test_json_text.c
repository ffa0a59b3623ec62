/*
 * pipehost/json_text.h: commas, escapes, numbers, and reuse of the
 * buffer. Every text is also read back with jansson.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <jansson.h>

#include <pipehost/json_text.h>

/* The text is valid JSON and equal to expected, byte for byte. */
static void assert_text(const ph_json_text *text, const char *expected)
{
    json_t *parsed;

    assert_false(ph_json_text_failed(text));
    assert_string_equal(text->data, expected);
    assert_int_equal(text->length, strlen(expected));
    parsed = json_loadb(text->data, text->length, JSON_ALLOW_NUL, NULL);
    assert_non_null(parsed);
    json_decref(parsed);
}

static void test_object_and_nesting(void **state)
{
    ph_json_text text;

    ph_json_text_init(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_end_object(&text);
    assert_text(&text, "{}");

    ph_json_text_reset(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "a");
    ph_json_text_int(&text, 1);
    ph_json_text_key(&text, "inner");
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "x");
    ph_json_text_bool(&text, 1);
    ph_json_text_key(&text, "y");
    ph_json_text_bool(&text, 0);
    ph_json_text_end_object(&text);
    ph_json_text_key(&text, "empty");
    ph_json_text_begin_object(&text);
    ph_json_text_end_object(&text);
    ph_json_text_key(&text, "s");
    ph_json_text_string(&text, "v", 1);
    ph_json_text_end_object(&text);
    assert_text(&text, "{\"a\":1,\"inner\":{\"x\":true,\"y\":false},\"empty\":{},\"s\":\"v\"}");
    ph_json_text_free(&text);
    ph_json_text_free(&text);
}

static void test_escapes(void **state)
{
    ph_json_text text;
    static const char raw[] = "q\"b\\n\nr\rt\tb\bf\f\x01\x1f\x7f caf\xc3\xa9 /";

    ph_json_text_init(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "k\"");
    ph_json_text_string(&text, raw, sizeof(raw) - 1);
    ph_json_text_key(&text, "nul");
    ph_json_text_string(&text, "a\0b", 3);
    ph_json_text_end_object(&text);
    assert_text(&text, "{\"k\\\"\":\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\x7f caf\xc3\xa9 /\","
                       "\"nul\":\"a\\u0000b\"}");
    ph_json_text_free(&text);
}

static void test_integers(void **state)
{
    ph_json_text text;

    ph_json_text_init(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "zero");
    ph_json_text_int(&text, 0);
    ph_json_text_key(&text, "neg");
    ph_json_text_int(&text, -42);
    ph_json_text_key(&text, "max");
    ph_json_text_int(&text, INT64_MAX);
    ph_json_text_key(&text, "min");
    ph_json_text_int(&text, INT64_MIN);
    ph_json_text_end_object(&text);
    assert_text(&text, "{\"zero\":0,\"neg\":-42,\"max\":9223372036854775807,"
                       "\"min\":-9223372036854775808}");
    ph_json_text_free(&text);
}

/* value written alone in an object as {"v":...}: the part after "v":. */
static void assert_real(double value, const char *expected)
{
    ph_json_text text;
    char wanted[64];

    ph_json_text_init(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "v");
    ph_json_text_real(&text, value);
    ph_json_text_end_object(&text);
    snprintf(wanted, sizeof(wanted), "{\"v\":%s}", expected);
    assert_text(&text, wanted);
    ph_json_text_free(&text);
}

static void test_reals(void **state)
{
    assert_real(21.5, "21.5");
    assert_real(21.0, "21.0");
    assert_real(-3.0, "-3.0");
    assert_real(0.0, "0.0");
    assert_real(1013.25, "1013.25");
    assert_real(21.8, "21.8");               /* 15 digits suffice */
    assert_real(0.1 + 0.2, "0.30000000000000004"); /* 17 needed */
    assert_real(1e300, "1e+300");
    assert_real(1.5e-7, "1.5e-07");
    assert_real(NAN, "null");
    assert_real(INFINITY, "null");
}

static void test_reset_reuses_the_buffer(void **state)
{
    ph_json_text text;
    char *first;
    char big[1000];

    memset(big, 'x', sizeof(big));
    ph_json_text_init(&text);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "big");
    ph_json_text_string(&text, big, sizeof(big));
    ph_json_text_end_object(&text);
    assert_int_equal(text.length, sizeof(big) + 10);
    first = text.data;
    ph_json_text_reset(&text);
    assert_int_equal(text.length, 0);
    ph_json_text_begin_object(&text);
    ph_json_text_key(&text, "a");
    ph_json_text_int(&text, 1);
    ph_json_text_end_object(&text);
    assert_ptr_equal(text.data, first);
    assert_text(&text, "{\"a\":1}");
    ph_json_text_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_and_nesting),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_reset_reuses_the_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
