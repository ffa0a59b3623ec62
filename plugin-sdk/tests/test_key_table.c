/*
 * pipehost/key_table.h: dense numbering in insertion order, values kept
 * across growth, keys compared as bytes, and the word mixer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <pipehost/key_table.h>

static void test_add_and_find(void **state)
{
    ph_key_table table;
    int added = -1;
    int64_t *value;

    assert_int_equal(ph_key_table_init(&table, sizeof(int64_t)), 0);
    assert_int_equal(ph_key_table_find(&table, "a", 1), -1);
    assert_int_equal(ph_key_table_add(&table, "a", 1, &added), 0);
    assert_int_equal(added, 1);
    value = ph_key_table_value(&table, 0);
    assert_int_equal(*value, 0); /* zeroed */
    *value = 41;
    assert_int_equal(ph_key_table_add(&table, "b", 1, &added), 1);
    assert_int_equal(added, 1);
    assert_int_equal(ph_key_table_add(&table, "a", 1, &added), 0);
    assert_int_equal(added, 0);
    assert_int_equal(*(int64_t *)ph_key_table_value(&table, 0), 41);
    assert_int_equal(ph_key_table_find(&table, "b", 1), 1);
    assert_int_equal(ph_key_table_count(&table), 2);
    ph_key_table_free(&table);
    ph_key_table_free(&table); /* twice is safe */
}

static void test_keys_are_bytes(void **state)
{
    ph_key_table table;
    size_t length;
    const void *key;

    assert_int_equal(ph_key_table_init(&table, 0), 0);
    assert_int_equal(ph_key_table_add(&table, "a\0b", 3, NULL), 0);
    assert_int_equal(ph_key_table_add(&table, "a", 1, NULL), 1);
    assert_int_equal(ph_key_table_add(&table, "a\0", 2, NULL), 2);
    assert_int_equal(ph_key_table_add(&table, "", 0, NULL), 3);
    assert_int_equal(ph_key_table_add(&table, NULL, 0, NULL), 3);
    assert_int_equal(ph_key_table_add(&table, "A", 1, NULL), 4);
    assert_int_equal(ph_key_table_find(&table, "a\0b", 3), 0);
    assert_int_equal(ph_key_table_find(&table, "a\0c", 3), -1);
    key = ph_key_table_key(&table, 0, &length);
    assert_int_equal(length, 3);
    assert_memory_equal(key, "a\0b", 3);
    key = ph_key_table_key(&table, 3, &length);
    assert_int_equal(length, 0);
    assert_null(ph_key_table_value(&table, 0)); /* a set has no values */
    ph_key_table_free(&table);
}

static void test_growth_keeps_numbers_and_values(void **state)
{
    enum { KEYS = 200000 };
    ph_key_table table;
    char text[32];

    assert_int_equal(ph_key_table_init(&table, sizeof(uint32_t)), 0);
    for (uint32_t i = 0; i < KEYS; i++) {
        int length = snprintf(text, sizeof(text), "user%u", i);
        int64_t number = ph_key_table_add(&table, text, (size_t)length, NULL);

        assert_int_equal(number, i);
        *(uint32_t *)ph_key_table_value(&table, (size_t)number) = i * 3;
    }
    assert_int_equal(ph_key_table_count(&table), KEYS);
    for (uint32_t i = 0; i < KEYS; i++) {
        int length = snprintf(text, sizeof(text), "user%u", i);
        size_t key_length;
        const void *key = ph_key_table_key(&table, i, &key_length);

        assert_int_equal(ph_key_table_find(&table, text, (size_t)length), i);
        assert_int_equal(*(uint32_t *)ph_key_table_value(&table, i), i * 3);
        assert_int_equal(key_length, (size_t)length);
        assert_memory_equal(key, text, key_length);
    }
    assert_int_equal(ph_key_table_find(&table, "user200000", 10), -1);
    ph_key_table_free(&table);
}

static void test_long_keys(void **state)
{
    enum { LONG = 40000 };
    static char long_key[LONG];
    ph_key_table table;
    size_t length;

    memset(long_key, 'x', sizeof(long_key));
    assert_int_equal(ph_key_table_init(&table, 0), 0);
    assert_int_equal(ph_key_table_add(&table, "short", 5, NULL), 0);
    assert_int_equal(ph_key_table_add(&table, long_key, LONG, NULL), 1);
    /* One byte less is another key. */
    assert_int_equal(ph_key_table_add(&table, long_key, LONG - 1, NULL), 2);
    assert_int_equal(ph_key_table_add(&table, "after", 5, NULL), 3);
    assert_int_equal(ph_key_table_find(&table, long_key, LONG), 1);
    assert_memory_equal(ph_key_table_key(&table, 0, &length), "short", 5);
    assert_memory_equal(ph_key_table_key(&table, 3, &length), "after", 5);
    ph_key_table_free(&table);
}

static void test_clear_and_refill(void **state)
{
    ph_key_table table;
    char text[32];

    assert_int_equal(ph_key_table_init(&table, sizeof(int)), 0);
    for (int round = 0; round < 3; round++) {
        /* Numbers start again from 0; values are zeroed again. */
        for (int i = 0; i < 5000; i++) {
            int length = snprintf(text, sizeof(text), "r%d-%d", round, i);
            int64_t number = ph_key_table_add(&table, text, (size_t)length, NULL);

            assert_int_equal(number, i);
            assert_int_equal(*(int *)ph_key_table_value(&table, (size_t)number), 0);
            *(int *)ph_key_table_value(&table, (size_t)number) = round + 1;
        }
        assert_int_equal(ph_key_table_count(&table), 5000);
        if (round > 0)
            assert_int_equal(ph_key_table_find(&table, "r0-1", 4), -1);
        ph_key_table_clear(&table);
        assert_int_equal(ph_key_table_count(&table), 0);
        assert_int_equal(ph_key_table_find(&table, "r0-1", 4), -1);
    }
    ph_key_table_free(&table);
}

static void test_hash_mix(void **state)
{
    unsigned char seen[1024] = {0};
    int buckets = 0;

    /* Worked out with Python's big integers, reduced mod 2^64. */
    assert_true(ph_hash_mix64(0) == 0);
    assert_true(ph_hash_mix64(1) == UINT64_C(0xccde22c1faa4d20f));
    assert_true(ph_hash_mix64(UINT64_C(0x100000002)) == UINT64_C(0x50ec452d494102b6));
    assert_true(ph_hash_mix64(UINT64_MAX) == UINT64_C(0x304d694125b70b60));
    /* Words that differ only in their high half (packed pairs (p, 0))
     * still spread over the low bits a table indexes by: 1024 of them
     * fill 648 of 1024 buckets, about what random placement fills. */
    for (uint64_t p = 1; p <= 1024; p++) {
        size_t bucket = (size_t)(ph_hash_mix64(p << 32) & 1023);

        buckets += !seen[bucket];
        seen[bucket] = 1;
    }
    assert_int_equal(buckets, 648);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_find),
        cmocka_unit_test(test_keys_are_bytes),
        cmocka_unit_test(test_growth_keeps_numbers_and_values),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_clear_and_refill),
        cmocka_unit_test(test_hash_mix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
