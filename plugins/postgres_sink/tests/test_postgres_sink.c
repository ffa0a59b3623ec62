/*
 * postgres_sink without a server: its config checks, and a conninfo's
 * secrets kept out of every message (conninfo_redact, and the plugin's
 * init errors on the fake host). Writing is tested against a real server
 * by tests/integration/test_postgres_sink.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conninfo_redact.h"
#include "plugin_test_host.h"

#define SECRET "s3cr3t-Pa55"

static int setup(void **state)
{
    *state = plugin_test_new(POSTGRES_SINK_PLUGIN);
    return *state != NULL ? 0 : -1;
}

static const char table_config[] =
    "\"table\": \"t\", \"key_columns\": [\"id\"], \"columns\": {\"id\": \"text\"}";

/* init with conninfo must fail; its message goes to err. */
static void init_fails(plugin_test *test, const char *conninfo, char *err, size_t size)
{
    char *config = NULL;

    assert_true(asprintf(&config, "{\"conninfo\": \"%s\", %s, \"write_method\": \"copy\"}",
                         conninfo, table_config) > 0);
    assert_int_not_equal(plugin_test_init_text(test, config, err, size), 0);
    plugin_test_destroy(test);
    free(config);
}

static void test_descriptor(void **state)
{
    const ph_descriptor *d = plugin_test_descriptor(*state);

    assert_int_equal(d->kind, PH_KIND_SINK);
    assert_string_equal(d->name, "postgres_sink");
}

static void test_describe_hides_secrets(void **state)
{
    char text[256];

    conninfo_describe("host=127.0.0.1 port=5432 dbname=db user=u password=" SECRET, text,
                      sizeof(text));
    assert_string_equal(text, "user=u password=*** dbname=db host=127.0.0.1 port=5432");
    conninfo_describe("postgresql://u:" SECRET "@localhost:6000/db?sslpassword=" SECRET, text,
                      sizeof(text));
    assert_string_equal(text, "user=u password=*** dbname=db host=localhost port=6000 "
                              "sslpassword=***");
    conninfo_describe("host=h password='unterminated", text, sizeof(text));
    assert_string_equal(text, "an unparsable conninfo");
    /* Truncated, still NUL-terminated. */
    conninfo_describe("host=127.0.0.1", text, 8);
    assert_string_equal(text, "host=12");
}

static void test_scrub_replaces_every_secret(void **state)
{
    char text[256];

    conninfo_scrub("host=h password=" SECRET,
                   "it was " SECRET " and " SECRET "x, not s3cr3t", text, sizeof(text));
    assert_string_equal(text, "it was *** and ***x, not s3cr3t");
    /* A quoted value with a space is one secret. */
    conninfo_scrub("host=h password='two words'", "said two words, two, words", text,
                   sizeof(text));
    assert_string_equal(text, "said ***, two, words");
    /* Nothing to hide: the message as it is. */
    conninfo_scrub("host=h", "connection to server at \"h\" failed", text, sizeof(text));
    assert_string_equal(text, "connection to server at \"h\" failed");
}

static void test_scrub_of_an_unparsable_conninfo(void **state)
{
    char text[256];

    /* libpq quotes the piece it stumbled on, here a piece of the password. */
    conninfo_scrub("host=h password=s3cr3t extra", "missing \"=\" after \"extra\" in connection "
                   "info string", text, sizeof(text));
    assert_string_equal(text, "missing \"=\" after \"***\" in connection info string");
    /* An option name is no secret. */
    conninfo_scrub("hots=h", "invalid connection option \"hots\"", text, sizeof(text));
    assert_string_equal(text, "invalid connection option \"***\"");
    conninfo_scrub("host=h password x", "invalid connection option \"password\"", text,
                   sizeof(text));
    assert_string_equal(text, "invalid connection option \"password\"");
}

static void test_init_error_keeps_the_password_out(void **state)
{
    plugin_test *test = *state;
    char err[512] = "";

    /* Nothing listens on port 1: libpq's message names the server. */
    init_fails(test, "host=127.0.0.1 port=1 dbname=db user=u password=" SECRET, err, sizeof(err));
    assert_null(strstr(err, SECRET));
    assert_string_equal(strstr(err, "cannot connect to ") == err ? "ok" : err, "ok");
    assert_non_null(strstr(err, "password=***"));
    assert_non_null(strstr(err, "Connection refused"));

    init_fails(test, "postgresql://u:" SECRET "@127.0.0.1:1/db", err, sizeof(err));
    assert_null(strstr(err, SECRET));
    assert_non_null(strstr(err, "password=***"));

    init_fails(test, "host=127.0.0.1 password=" SECRET " oops", err, sizeof(err));
    assert_string_equal(err, "conninfo: missing \"=\" after \"***\" in connection info string");

    init_fails(test, "postgresql://u:" SECRET "@[::1/db", err, sizeof(err));
    assert_null(strstr(err, SECRET));
}

static void test_config_errors(void **state)
{
    plugin_test *test = *state;

    plugin_test_assert_init_fails(
        test,
        "{\"conninfo\": \"host=h\", \"table\": \"t\", \"key_columns\": [\"id\"], "
        "\"columns\": {\"id\": \"text\"}, \"write_method\": \"fast\"}",
        "write_method: 'fast' is neither copy nor insert");
    plugin_test_assert_init_fails(
        test,
        "{\"conninfo\": \"host=h\", \"table\": \"t; drop table x\", \"key_columns\": [\"id\"], "
        "\"columns\": {\"id\": \"text\"}, \"write_method\": \"copy\"}",
        "table: name 't; drop table x' is not a plain identifier: use letters, digits and '_', "
        "not starting with a digit, at most 63 characters");
    plugin_test_assert_init_fails(
        test,
        "{\"conninfo\": \"host=h\", \"table\": "
        "\"a234567890123456789012345678901234567890123456789012345678901234\", "
        "\"key_columns\": [\"id\"], \"columns\": {\"id\": \"text\"}, \"write_method\": \"copy\"}",
        "table: name 'a234567890123456789012345678901234567890123456789012345678901234' is not "
        "a plain identifier: use letters, digits and '_', not starting with a digit, at most 63 "
        "characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, plugin_test_teardown),
        cmocka_unit_test(test_describe_hides_secrets),
        cmocka_unit_test(test_scrub_replaces_every_secret),
        cmocka_unit_test(test_scrub_of_an_unparsable_conninfo),
        cmocka_unit_test_setup_teardown(test_init_error_keeps_the_password_out, setup,
                                        plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, setup, plugin_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
