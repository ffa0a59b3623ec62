/* Keys of records replayed from a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "produce/line_key.h"

/* The key of `line` by field "id", or NULL for none. */
static void assert_key(const char *line, const char *expected)
{
    struct line_key key;

    line_key_find(&key, line, strlen(line), "id");
    if (expected == NULL) {
        assert_null(key.bytes);
        assert_int_equal(key.len, 0);
    } else {
        assert_non_null(key.bytes);
        assert_int_equal(key.len, strlen(expected));
        assert_memory_equal(key.bytes, expected, key.len);
    }
    line_key_release(&key);
}

static void test_strings_are_their_characters(void **unused)
{
    assert_key("{\"id\": \"user42\", \"page\": \"/\"}", "user42");
    assert_key("{\"page\": \"/\", \"id\": \"caf\\u00e9\"}", "caf\xc3\xa9");
    assert_key("{\"id\": \"\"}", "");
}

static void test_numbers_are_their_text(void **unused)
{
    assert_key("{\"id\": 42}", "42");
    assert_key("{\"id\": -7}", "-7");
    assert_key("{\"id\": 3.5}", "3.5");
}

static void test_no_key_otherwise(void **unused)
{
    assert_key("{\"other\": \"x\"}", NULL);
    assert_key("{\"nested\": {\"id\": \"x\"}}", NULL);
    assert_key("{\"id\": null}", NULL);
    assert_key("{\"id\": true}", NULL);
    assert_key("{\"id\": [1]}", NULL);
    assert_key("[{\"id\": \"x\"}]", NULL);
    assert_key("id=x", NULL);
    assert_key("", NULL);
    assert_key("{\"id\": \"x\"", NULL);
}

static void test_line_need_not_be_terminated(void **unused)
{
    const char buffer[] = "{\"id\": \"a\"}{\"id\": \"b\"}";
    struct line_key key;

    /* Only the first 11 bytes are the line. */
    line_key_find(&key, buffer, 11, "id");
    assert_int_equal(key.len, 1);
    assert_memory_equal(key.bytes, "a", 1);
    line_key_release(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_are_their_characters),
        cmocka_unit_test(test_numbers_are_their_text),
        cmocka_unit_test(test_no_key_otherwise),
        cmocka_unit_test(test_line_need_not_be_terminated),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
