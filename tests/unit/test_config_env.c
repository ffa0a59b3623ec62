/*
 * ${VAR}, ${VAR:-default} and $$ in configuration text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/env_expand.h"

static const config_mark where = {"pipeline.yaml", 3, 7};

static void assert_expands(const char *text, const char *expected)
{
    config_error err;
    char *expanded = env_expand(text, &where, &err);

    if (expanded == NULL)
        fail_msg("\"%s\": %s", text, err.text);
    assert_string_equal(expanded, expected);
    free(expanded);
}

static void assert_refused(const char *text, const char *message)
{
    config_error err;
    char *expanded = env_expand(text, &where, &err);

    if (expanded != NULL) {
        free(expanded);
        fail_msg("\"%s\" expanded, expected: %s", text, message);
    }
    assert_string_equal(err.text, message);
}

static void test_text_without_references_stays(void **state)
{
    (void)state;
    assert_expands("", "");
    assert_expands("plain text", "plain text");
    assert_expands("a$", "a$");
    assert_expands("$HOME", "$HOME");
    assert_expands("cost: 5$ {x}", "cost: 5$ {x}");
}

static void test_dollar_dollar_is_one_dollar(void **state)
{
    (void)state;
    assert_expands("$$", "$");
    assert_expands("$$$$", "$$");
    assert_expands("$${PH_ENV_SET}", "${PH_ENV_SET}");
    assert_expands("a$$b", "a$b");
}

static void test_variables_and_defaults(void **state)
{
    (void)state;
    assert_expands("${PH_ENV_SET}", "value");
    assert_expands("x${PH_ENV_SET}y${PH_ENV_SET}z", "xvalueyvaluez");
    assert_expands("${PH_ENV_SET:-fallback}", "value");
    assert_expands("${PH_ENV_UNSET:-fallback}", "fallback");
    assert_expands("${PH_ENV_UNSET:-}", "");
    assert_expands("${PH_ENV_EMPTY:-fallback}", "fallback"); /* as in sh */
    assert_expands("${PH_ENV_EMPTY}", "");
    assert_expands("${PH_ENV_UNSET:-host:9092}", "host:9092");
    assert_expands("${PH_ENV_UNSET:-$$}", "$$"); /* a default is literal */
    assert_expands("${PH_ENV_UNSET:-a}b}", "ab}");
    assert_expands("${_PH_ENV_2}", "underscore");
}

static void test_malformed_and_unset_references(void **state)
{
    (void)state;
    assert_refused("${PH_ENV_UNSET}",
                   "pipeline.yaml:3:7: environment variable 'PH_ENV_UNSET' is not set (use "
                   "${PH_ENV_UNSET:-default} for a default)");
    assert_refused("pre-${PH_ENV_SET}-${PH_ENV_UNSET}",
                   "pipeline.yaml:3:7: environment variable 'PH_ENV_UNSET' is not set (use "
                   "${PH_ENV_UNSET:-default} for a default)");
    assert_refused("${", "pipeline.yaml:3:7: unterminated variable reference '${' (missing '}')");
    assert_refused("x ${PH_ENV_SET",
                   "pipeline.yaml:3:7: unterminated variable reference '${PH_ENV_SET' "
                   "(missing '}')");
    assert_refused("${PH_ENV_SET:-open",
                   "pipeline.yaml:3:7: unterminated variable reference '${PH_ENV_SET:-open' "
                   "(missing '}')");
    assert_refused("${}", "pipeline.yaml:3:7: malformed variable reference '${}' (expected "
                          "${NAME} or ${NAME:-default}, NAME made of letters, digits and '_')");
    assert_refused("${1A}", "pipeline.yaml:3:7: malformed variable reference '${1A}' (expected "
                            "${NAME} or ${NAME:-default}, NAME made of letters, digits and "
                            "'_')");
    assert_refused("${A-b}", "pipeline.yaml:3:7: malformed variable reference '${A-b}' "
                             "(expected ${NAME} or ${NAME:-default}, NAME made of letters, "
                             "digits and '_')");
    assert_refused("${A:b}", "pipeline.yaml:3:7: malformed variable reference '${A:b}' "
                             "(expected ${NAME} or ${NAME:-default}, NAME made of letters, "
                             "digits and '_')");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_without_references_stays),
        cmocka_unit_test(test_dollar_dollar_is_one_dollar),
        cmocka_unit_test(test_variables_and_defaults),
        cmocka_unit_test(test_malformed_and_unset_references),
    };

    setenv("PH_ENV_SET", "value", 1);
    setenv("PH_ENV_EMPTY", "", 1);
    setenv("_PH_ENV_2", "underscore", 1);
    unsetenv("PH_ENV_UNSET");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
