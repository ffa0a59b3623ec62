/*
 * json_fields: the values it reads, and its verdicts on validity held
 * against jansson's json_loadb, the parser it stands in for (any text the
 * scan accepts, jansson must accept, with the same members).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "services/json_fields.h"

static const char *const names[] = {"page", "n", "x", "ok", ""};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

static json_fields_result scan(const char *text, ph_field fields[NAME_COUNT], byte_arena *arena)
{
    return json_fields_scan(text, strlen(text), names, NAME_COUNT, fields, arena);
}

static void assert_string_field(const ph_field *field, const char *expected, size_t length)
{
    assert_int_equal(field->type, PH_JSON_STRING);
    assert_int_equal(field->length, length);
    assert_memory_equal(field->text, expected, length);
}

static void test_reads_members(void **state)
{
    (void)state;
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    assert_int_equal(scan(" {\"page\": \"/cart\", \"n\": -42, \"x\": 2.5e1, \"other\": [1, {\"page\": 1}],"
                          " \"ok\": true}\n", f, &arena),
                     JSON_FIELDS_OBJECT);
    assert_string_field(&f[0], "/cart", 5);
    assert_int_equal(f[1].type, PH_JSON_INTEGER);
    assert_int_equal(f[1].integer, -42);
    assert_true(f[1].number == -42.0);
    assert_int_equal(f[2].type, PH_JSON_REAL);
    assert_true(f[2].number == 25.0);
    assert_int_equal(f[3].type, PH_JSON_TRUE);
    assert_int_equal(f[4].type, PH_JSON_ABSENT);
    byte_arena_free(&arena);
}

static void test_last_duplicate_wins_and_nested_names_ignored(void **state)
{
    (void)state;
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    assert_int_equal(scan("{\"n\": 1, \"o\": {\"n\": 7}, \"n\": 3, \"\": null, \"x\": {}, \"ok\": []}",
                          f, &arena),
                     JSON_FIELDS_OBJECT);
    assert_int_equal(f[1].type, PH_JSON_INTEGER);
    assert_int_equal(f[1].integer, 3);
    assert_int_equal(f[4].type, PH_JSON_NULL);
    assert_int_equal(f[2].type, PH_JSON_OBJECT);
    assert_int_equal(f[3].type, PH_JSON_ARRAY);
    assert_int_equal(f[0].type, PH_JSON_ABSENT);
    byte_arena_free(&arena);
}

static void test_decodes_escapes(void **state)
{
    (void)state;
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    /* The key is escaped too: "p\u0061ge" is "page". */
    assert_int_equal(scan("{\"p\\u0061ge\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"}",
                          f, &arena),
                     JSON_FIELDS_OBJECT);
    /* a " b \ c / d LF é € 😀 NUL z */
    static const char expected[] = "a\"b\\c/d\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    assert_string_field(&f[0], expected, sizeof(expected) - 1);
    byte_arena_free(&arena);
}

static void test_not_an_object(void **state)
{
    (void)state;
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    const char *values[] = {"[1,2]", "\"page\"", "12", "null", " true "};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(scan(values[i], f, &arena), JSON_FIELDS_NOT_OBJECT);
        assert_int_equal(f[0].type, PH_JSON_ABSENT);
    }
    byte_arena_free(&arena);
}

/* jansson's verdict and the scan's must agree; when both accept an
 * object, the members must match. */
static void assert_agrees_with_jansson(const char *text, size_t length)
{
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    json_fields_result scanned = json_fields_scan(text, length, names, NAME_COUNT, f, &arena);
    json_error_t error;
    json_t *parsed = json_loadb(text, length, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (scanned == JSON_FIELDS_UNSURE) {
        /* The scan may defer to jansson; it must never accept what
         * jansson refuses, and it defers only on rare shapes. */
        json_decref(parsed);
        byte_arena_free(&arena);
        return;
    }
    if (!parsed)
        fail_msg("scan accepted what jansson refuses (%s): [%.*s]", error.text, (int)length,
                 text);
    assert_int_equal(scanned == JSON_FIELDS_OBJECT, json_is_object(parsed));
    if (json_is_object(parsed)) {
        ph_field expected[NAME_COUNT];
        json_fields_from_object(parsed, names, NAME_COUNT, expected);
        for (size_t i = 0; i < NAME_COUNT; i++) {
            assert_int_equal(f[i].type, expected[i].type);
            if (f[i].type == PH_JSON_STRING) {
                assert_int_equal(f[i].length, expected[i].length);
                assert_memory_equal(f[i].text, expected[i].text, f[i].length);
            }
            if (f[i].type == PH_JSON_INTEGER)
                assert_int_equal(f[i].integer, expected[i].integer);
            if (f[i].type == PH_JSON_REAL)
                assert_true(f[i].number == expected[i].number);
        }
    }
    json_decref(parsed);
    byte_arena_free(&arena);
}

/* Texts on the edges of the grammar, with the scan's verdict by the JSON
 * grammar (RFC 8259) and jansson's limits: UNSURE for every invalid text
 * and for the valid ones it leaves to jansson (19-digit integers, reals
 * that overflow). */
static const struct {
    const char *text;
    json_fields_result verdict;
} edge_cases[] = {
    {"{}", JSON_FIELDS_OBJECT},
    {"{ }", JSON_FIELDS_OBJECT},
    {"{\"a\":1,}", JSON_FIELDS_UNSURE},
    {"{,}", JSON_FIELDS_UNSURE},
    {"{\"a\" 1}", JSON_FIELDS_UNSURE},
    {"{\"a\":}", JSON_FIELDS_UNSURE},
    {"{\"a\":1", JSON_FIELDS_UNSURE},
    {"{\"a\":1}}", JSON_FIELDS_UNSURE},
    {"{\"a\":1} x", JSON_FIELDS_UNSURE},
    {"{\"a\":1}\t\r\n", JSON_FIELDS_OBJECT},
    {"{'a':1}", JSON_FIELDS_UNSURE},
    {"{a:1}", JSON_FIELDS_UNSURE},
    {"{\"a\":01}", JSON_FIELDS_UNSURE},
    {"{\"a\":-0}", JSON_FIELDS_OBJECT},
    {"{\"a\":-}", JSON_FIELDS_UNSURE},
    {"{\"a\":1.}", JSON_FIELDS_UNSURE},
    {"{\"a\":.5}", JSON_FIELDS_UNSURE},
    {"{\"a\":+1}", JSON_FIELDS_UNSURE},
    {"{\"a\":1e}", JSON_FIELDS_UNSURE},
    {"{\"a\":1e+}", JSON_FIELDS_UNSURE},
    {"{\"a\":1E-2}", JSON_FIELDS_OBJECT},
    {"{\"a\":0.0e0}", JSON_FIELDS_OBJECT},
    {"{\"a\":1e400}", JSON_FIELDS_UNSURE},
    {"{\"a\":-1e400}", JSON_FIELDS_UNSURE},
    {"{\"a\":1e-400}", JSON_FIELDS_OBJECT},
    {"{\"a\":9223372036854775807}", JSON_FIELDS_UNSURE},
    {"{\"a\":9223372036854775808}", JSON_FIELDS_UNSURE},
    {"{\"a\":-9223372036854775808}", JSON_FIELDS_UNSURE},
    {"{\"a\":-9223372036854775809}", JSON_FIELDS_UNSURE},
    {"{\"a\":123456789012345678}", JSON_FIELDS_OBJECT},
    {"{\"a\":tru}", JSON_FIELDS_UNSURE},
    {"{\"a\":truex}", JSON_FIELDS_UNSURE},
    {"{\"a\":nul}", JSON_FIELDS_UNSURE},
    {"{\"a\":falsey}", JSON_FIELDS_UNSURE},
    {"{\"a\":[1,2,]}", JSON_FIELDS_UNSURE},
    {"{\"a\":[,]}", JSON_FIELDS_UNSURE},
    {"{\"a\":[]}", JSON_FIELDS_OBJECT},
    {"{\"a\":[[[]]]}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"\\x\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\u12\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\u12G4\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\ud800\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\udc00\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\ud800\\u0041\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\ud800\\udbff\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\ud800\\udc00\"}", JSON_FIELDS_OBJECT},
    {"{\"\\u0000\":1}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\\u0000\"}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"tab\there\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\x7f\"}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"\xc3\xa9\"}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"\xc3\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\xc0\x80\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\xe0\x80\x80\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\xed\xa0\x80\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\xf4\x90\x80\x80\"}", JSON_FIELDS_UNSURE},
    {"{\"a\":\"\xf0\x9f\x98\x80\"}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"\xff\"}", JSON_FIELDS_UNSURE},
    {"\xef\xbb\xbf{}", JSON_FIELDS_UNSURE},
    {"", JSON_FIELDS_UNSURE},
    {" ", JSON_FIELDS_UNSURE},
    {"[", JSON_FIELDS_UNSURE},
    {"]", JSON_FIELDS_UNSURE},
    {"\"abc", JSON_FIELDS_UNSURE},
    {"\"abc\"", JSON_FIELDS_NOT_OBJECT},
    {"nulll", JSON_FIELDS_UNSURE},
    {"{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}", JSON_FIELDS_OBJECT},
    {"{\"a\":[1 2]}", JSON_FIELDS_UNSURE},
    {"{\"a\":1 \"b\":2}", JSON_FIELDS_UNSURE},
    {"{\"page\":\"x\",\"page\":5}", JSON_FIELDS_OBJECT},
    {"{\"a\":\"\\/\"}", JSON_FIELDS_OBJECT},
    {"-", JSON_FIELDS_UNSURE},
    {"-0", JSON_FIELDS_NOT_OBJECT},
    {"0", JSON_FIELDS_NOT_OBJECT},
    {"00", JSON_FIELDS_UNSURE},
    {"1.5", JSON_FIELDS_NOT_OBJECT},
    {"[1e5]", JSON_FIELDS_NOT_OBJECT},
};

static void test_edge_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(edge_cases) / sizeof(edge_cases[0]); i++) {
        const char *text = edge_cases[i].text;
        byte_arena arena = BYTE_ARENA_INIT;
        ph_field f[NAME_COUNT];
        json_fields_result verdict =
            json_fields_scan(text, strlen(text), names, NAME_COUNT, f, &arena);
        if (verdict != edge_cases[i].verdict)
            fail_msg("[%s]: verdict %d, expected %d", text, verdict, edge_cases[i].verdict);
        byte_arena_free(&arena);
        assert_agrees_with_jansson(text, strlen(text));
    }
    /* A NUL byte after the object is text after the value. */
    assert_agrees_with_jansson("{\"a\":1}\0", 8);
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field f[NAME_COUNT];
    assert_int_equal(json_fields_scan("{\"a\":1}\0", 8, names, NAME_COUNT, f, &arena),
                     JSON_FIELDS_UNSURE);
    byte_arena_free(&arena);
}

/* Deterministic mutations of valid events: flipped, dropped and inserted
 * bytes chosen among JSON's own characters, so that most mutants sit near
 * the grammar's edges. */
static void test_mutants_agree_with_jansson(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"page\":\"/p/1\",\"n\":12,\"x\":-0.5e-3,\"ok\":false,\"tags\":[\"a\",{\"b\":null}]}",
        "{\"\":\"\\u00e9\\ud83d\\ude00\",\"page\":\"caf\xc3\xa9\",\"n\":0}",
    };
    static const char alphabet[] = "{}[]\":,\\u0123456789eE+-.tfnrl \x80\xc3\xa9\xed\xf0";
    uint64_t prng = 0x9E3779B97F4A7C15u;
    char buffer[256];
    for (int round = 0; round < 200000; round++) {
        const char *seed = seeds[round % 2];
        size_t length = strlen(seed);
        memcpy(buffer, seed, length);
        for (int edits = 1 + round % 3; edits > 0; edits--) {
            prng ^= prng << 13;
            prng ^= prng >> 7;
            prng ^= prng << 17;
            size_t at = (size_t)(prng % length);
            char c = alphabet[(prng >> 20) % (sizeof(alphabet) - 1)];
            switch ((prng >> 40) % 3) {
            case 0:
                buffer[at] = c;
                break;
            case 1:
                memmove(buffer + at, buffer + at + 1, length - at - 1);
                length--;
                break;
            default:
                if (length + 1 < sizeof(buffer)) {
                    memmove(buffer + at + 1, buffer + at, length - at);
                    buffer[at] = c;
                    length++;
                }
            }
        }
        assert_agrees_with_jansson(buffer, length);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_members),
        cmocka_unit_test(test_last_duplicate_wins_and_nested_names_ignored),
        cmocka_unit_test(test_decodes_escapes),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_mutants_agree_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
