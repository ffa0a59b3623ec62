/*
 * Redacting secrets from printed text: every occurrence, the longer of
 * two overlapping secrets whole, results cut to the buffer, and the
 * passwords found inside conninfo strings and URIs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "services/secret_redact.h"

static int forget(void **state)
{
    (void)state;
    secret_forget_all();
    return 0;
}

static void assert_redacted(const char *text, const char *expected)
{
    char buf[256];

    strcpy(buf, text);
    secret_redact(buf, sizeof(buf));
    assert_string_equal(buf, expected);
}

static void test_nothing_registered_changes_nothing(void **state)
{
    (void)state;
    assert_int_equal(secret_count(), 0);
    assert_redacted("sasl.password hunter2", "sasl.password hunter2");
}

static void test_every_occurrence_is_redacted(void **state)
{
    (void)state;
    assert_int_equal(secret_register("hunter2"), 0);
    assert_int_equal(secret_register("hunter2"), 0); /* once */
    assert_int_equal(secret_register(""), 0);        /* nothing to hide */
    assert_int_equal(secret_count(), 1);
    assert_redacted("Invalid value \"hunter2\" (hunter2hunter2)",
                    "Invalid value \"[redacted]\" ([redacted][redacted])");
}

static void test_the_longer_of_overlapping_secrets_goes_whole(void **state)
{
    (void)state;
    assert_int_equal(secret_register("abc"), 0);
    assert_int_equal(secret_register("abcdef"), 0);
    assert_redacted("x abcdef y abc z", "x [redacted] y [redacted] z");
}

static void test_the_result_is_cut_to_the_buffer(void **state)
{
    char buf[12] = "key=ab end";

    (void)state;
    assert_int_equal(secret_register("ab"), 0);
    secret_redact(buf, sizeof(buf));
    /* "key=" + "[redacted]" is 14 characters: 11 fit. */
    assert_string_equal(buf, "key=[redact");
}

static void test_passwords_inside_values(void **state)
{
    (void)state;
    assert_int_equal(
        secret_register_embedded("host=db user=app password='s3 cr3t' dbname=events"), 0);
    assert_int_equal(secret_register_embedded("password = plain1 sslmode=require"), 0);
    assert_int_equal(secret_register_embedded("postgresql://app:uri-pw@db:5432/events"), 0);
    assert_int_equal(secret_register_embedded("https://host/path?user=me:no@x"), 0);
    assert_int_equal(secret_count(), 3);
    assert_redacted("s3 cr3t plain1 uri-pw no", "[redacted] [redacted] [redacted] no");
}

static void test_sensitive_key_names(void **state)
{
    (void)state;
    assert_true(secret_key_is_sensitive("sasl.password"));
    assert_true(secret_key_is_sensitive("ssl.key.password"));
    assert_true(secret_key_is_sensitive("sasl.oauthbearer.client.secret"));
    assert_true(secret_key_is_sensitive("DB_PASSWORD"));
    assert_true(secret_key_is_sensitive("ssl.key.pem"));
    assert_true(secret_key_is_sensitive("sasl.oauthbearer.config"));
    assert_false(secret_key_is_sensitive("sasl.username"));
    assert_false(secret_key_is_sensitive("ssl.certificate.pem"));
    assert_false(secret_key_is_sensitive("ssl.key.location"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_nothing_registered_changes_nothing, forget),
        cmocka_unit_test_teardown(test_every_occurrence_is_redacted, forget),
        cmocka_unit_test_teardown(test_the_longer_of_overlapping_secrets_goes_whole, forget),
        cmocka_unit_test_teardown(test_the_result_is_cut_to_the_buffer, forget),
        cmocka_unit_test_teardown(test_passwords_inside_values, forget),
        cmocka_unit_test(test_sensitive_key_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
