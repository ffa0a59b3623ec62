/*
 * The YAML tree: marks, plain and quoted scalars, the core schema,
 * anchors and aliases, and the errors of composing a document.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/yaml_json.h"
#include "config/yaml_scalar.h"
#include "config/yaml_tree.h"

static yaml_tree *parse(const char *text)
{
    config_error err;
    yaml_tree *tree = yaml_tree_load_text(text, strlen(text), "t.yaml", &err);

    if (tree == NULL)
        fail_msg("%s", err.text);
    return tree;
}

static void assert_parse_error(const char *text, const char *message)
{
    config_error err;
    yaml_tree *tree = yaml_tree_load_text(text, strlen(text), "t.yaml", &err);

    if (tree != NULL) {
        yaml_tree_free(tree);
        fail_msg("parsed, expected: %s", message);
    }
    assert_string_equal(err.text, message);
}

static void test_nodes_know_where_they_were_written(void **state)
{
    yaml_tree *tree = parse("# comment\nkafka:\n  topics:\n    - a\n    - \"b\"\n");
    const yaml_node *kafka = yaml_mapping_get(tree->root, "kafka");
    const yaml_node *topics = yaml_mapping_get(kafka, "topics");

    (void)state;
    assert_int_equal(tree->root->kind, YAML_TREE_MAPPING);
    assert_int_equal(tree->root->mark.line, 2);
    assert_int_equal(tree->root->mark.col, 1);
    assert_string_equal(tree->root->mark.file, "t.yaml");
    assert_int_equal(kafka->mark.line, 3);
    assert_int_equal(kafka->mark.col, 3);
    assert_int_equal(topics->kind, YAML_TREE_SEQUENCE);
    assert_int_equal(topics->count, 2);
    assert_int_equal(topics->items[1]->mark.line, 5);
    assert_int_equal(topics->items[1]->mark.col, 7);
    assert_true(topics->items[0]->plain);
    assert_false(topics->items[1]->plain);
    assert_true(kafka->pairs[0].key->is_key);
    assert_false(topics->items[0]->is_key);
    assert_null(yaml_mapping_get(kafka, "brokers"));
    yaml_tree_free(tree);
}

static void test_core_schema_types(void **state)
{
    static const struct {
        const char *text;
        yaml_core_type type;
    } cases[] = {
        {"", YAML_CORE_NULL},        {"~", YAML_CORE_NULL},        {"null", YAML_CORE_NULL},
        {"Null", YAML_CORE_NULL},    {"NULL", YAML_CORE_NULL},     {"nULL", YAML_CORE_STRING},
        {"true", YAML_CORE_BOOL},    {"False", YAML_CORE_BOOL},    {"TRUE", YAML_CORE_BOOL},
        {"yes", YAML_CORE_STRING},   {"no", YAML_CORE_STRING},     {"on", YAML_CORE_STRING},
        {"123", YAML_CORE_INT},      {"-5", YAML_CORE_INT},        {"+5", YAML_CORE_INT},
        {"0o17", YAML_CORE_INT},     {"0x1F", YAML_CORE_INT},      {"0x", YAML_CORE_STRING},
        {"0o8", YAML_CORE_STRING},   {"1_000", YAML_CORE_STRING},  {"1.5", YAML_CORE_FLOAT},
        {".5", YAML_CORE_FLOAT},     {"1.", YAML_CORE_FLOAT},      {"1e3", YAML_CORE_FLOAT},
        {"-1.5E-3", YAML_CORE_FLOAT}, {".inf", YAML_CORE_FLOAT},   {"-.Inf", YAML_CORE_FLOAT},
        {".NaN", YAML_CORE_FLOAT},   {"-.nan", YAML_CORE_STRING},  {"1e", YAML_CORE_STRING},
        {".", YAML_CORE_STRING},     {"12:30", YAML_CORE_STRING},  {"abc", YAML_CORE_STRING},
    };
    char text[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        yaml_tree *tree;
        snprintf(text, sizeof(text), "v: %s\n", cases[i].text);
        tree = parse(text);
        if (yaml_scalar_type(yaml_mapping_get(tree->root, "v")) != cases[i].type)
            fail_msg("\"%s\" resolved to %d, expected %d", cases[i].text,
                     (int)yaml_scalar_type(yaml_mapping_get(tree->root, "v")),
                     (int)cases[i].type);
        yaml_tree_free(tree);
    }
}

static void test_quoted_block_and_tagged_scalars_are_strings(void **state)
{
    yaml_tree *tree = parse("a: \"123\"\nb: '~'\nc: !!str true\nd: |\n  5\ne: 123\n");

    (void)state;
    assert_int_equal(yaml_scalar_type(yaml_mapping_get(tree->root, "a")), YAML_CORE_STRING);
    assert_int_equal(yaml_scalar_type(yaml_mapping_get(tree->root, "b")), YAML_CORE_STRING);
    assert_int_equal(yaml_scalar_type(yaml_mapping_get(tree->root, "c")), YAML_CORE_STRING);
    assert_int_equal(yaml_scalar_type(yaml_mapping_get(tree->root, "d")), YAML_CORE_STRING);
    assert_string_equal(yaml_mapping_get(tree->root, "d")->text, "5\n");
    assert_int_equal(yaml_scalar_type(yaml_mapping_get(tree->root, "e")), YAML_CORE_INT);
    yaml_tree_free(tree);
}

static void test_scalar_values(void **state)
{
    yaml_tree *tree = parse("hex: 0x1F\noct: 0o17\nmin: -9223372036854775808\n"
                            "max: 9223372036854775807\nover: 9223372036854775808\n"
                            "exp: 1e3\nhalf: .5\nninf: -.inf\nt: True\nf: false\n");
    const yaml_node *root = tree->root;
    int64_t integer;
    double number;
    int boolean;

    (void)state;
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "hex"), &integer), 0);
    assert_int_equal(integer, 31);
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "oct"), &integer), 0);
    assert_int_equal(integer, 15);
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "min"), &integer), 0);
    assert_true(integer == INT64_MIN);
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "max"), &integer), 0);
    assert_true(integer == INT64_MAX);
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "over"), &integer), -1);
    assert_int_equal(yaml_scalar_int(yaml_mapping_get(root, "exp"), &integer), -1);
    assert_int_equal(yaml_scalar_float(yaml_mapping_get(root, "exp"), &number), 0);
    assert_true(number == 1000.0);
    assert_int_equal(yaml_scalar_float(yaml_mapping_get(root, "half"), &number), 0);
    assert_true(number == 0.5);
    assert_int_equal(yaml_scalar_float(yaml_mapping_get(root, "hex"), &number), 0);
    assert_true(number == 31.0);
    assert_int_equal(yaml_scalar_float(yaml_mapping_get(root, "ninf"), &number), 0);
    assert_true(isinf(number) && number < 0);
    assert_int_equal(yaml_scalar_bool(yaml_mapping_get(root, "t"), &boolean), 0);
    assert_int_equal(boolean, 1);
    assert_int_equal(yaml_scalar_bool(yaml_mapping_get(root, "f"), &boolean), 0);
    assert_int_equal(boolean, 0);
    assert_int_equal(yaml_scalar_bool(yaml_mapping_get(root, "hex"), &boolean), -1);
    yaml_tree_free(tree);
}

static void test_aliases_share_the_anchored_node(void **state)
{
    yaml_tree *tree = parse("base: &b {k: v}\ncopy: *b\nx: &n 1\nx2: &n 2\ny: *n\n");

    (void)state;
    assert_ptr_equal(yaml_mapping_get(tree->root, "base"), yaml_mapping_get(tree->root, "copy"));
    assert_string_equal(yaml_mapping_get(tree->root, "y")->text, "2"); /* the latest &n */
    yaml_tree_free(tree);
}

static void test_empty_documents(void **state)
{
    yaml_tree *tree;

    (void)state;
    tree = parse("");
    assert_null(tree->root);
    yaml_tree_free(tree);
    tree = parse("# only a comment\n");
    assert_null(tree->root);
    yaml_tree_free(tree);
    tree = parse("---\n");
    assert_true(yaml_node_is_null(tree->root));
    yaml_tree_free(tree);
}

static void test_composition_errors(void **state)
{
    char deep[200];

    (void)state;
    assert_parse_error("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first set at 1:1)");
    assert_parse_error("? [a]\n: b\n", "t.yaml:1:3: a mapping key must be a scalar");
    assert_parse_error("a: *nope\n",
                       "t.yaml:1:4: alias '*nope' refers to no anchor '&nope' completed before "
                       "it");
    assert_parse_error("a: &s [*s]\n",
                       "t.yaml:1:8: alias '*s' refers to no anchor '&s' completed before it");
    assert_parse_error("a: !custom 1\n",
                       "t.yaml:1:4: unsupported tag '!custom' (only !!str, !!seq and !!map are)");
    assert_parse_error("a: 1\n---\nb: 2\n",
                       "t.yaml:2:1: a second YAML document starts here; a file holds one");
    assert_parse_error("a: [1, 2\n",
                       "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow "
                       "sequence at 1:4)");
    assert_parse_error("a: \"x\\0y\"\n", "t.yaml:1:4: a scalar may not contain a NUL character");
    memset(deep, '[', 70);
    memset(deep + 70, ']', 70);
    deep[140] = '\0';
    assert_parse_error(deep, "t.yaml:1:65: nested deeper than 64 levels");
}

static void assert_describes(const char *value, const char *expected)
{
    char text[256], description[320];
    yaml_tree *tree;

    snprintf(text, sizeof(text), "v: %s\n", value);
    tree = parse(text);
    assert_string_equal(yaml_node_describe(yaml_mapping_get(tree->root, "v"), description,
                                           sizeof(description)),
                        expected);
    yaml_tree_free(tree);
}

static void test_descriptions_for_messages(void **state)
{
    (void)state;
    assert_describes("two", "string \"two\"");
    assert_describes("\"5\"", "string \"5\"");
    assert_describes("\"a\\\"b\\nc\\td\"", "string \"a\\\"b\\nc\\td\"");
    assert_describes("5", "integer 5");
    assert_describes("1.5", "number 1.5");
    assert_describes("true", "boolean true");
    assert_describes("~", "null");
    assert_describes("[1]", "a list");
    assert_describes("{a: 1}", "a mapping");
    assert_describes("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij",
                     "string \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij...\"");
    assert_describes("123456789012345678901234567890123456789012345678901234567890123",
                     "integer 123456789012345678901234567890123456789012345678901234567890...");
}

static void test_json_conversion(void **state)
{
    yaml_tree *tree = parse("v: {n: ~, b: false, i: -3, f: 2.5, s: \"7\", l: [x, 0x10], "
                            "m: {k: [ ]}}\n");
    config_error err;
    json_t *value = yaml_to_json(yaml_mapping_get(tree->root, "v"), &err);
    json_t *expected = json_loads("{\"n\": null, \"b\": false, \"i\": -3, \"f\": 2.5, "
                                  "\"s\": \"7\", \"l\": [\"x\", 16], \"m\": {\"k\": []}}",
                                  0, NULL);

    (void)state;
    assert_non_null(value);
    assert_true(json_equal(value, expected));
    json_decref(value);
    json_decref(expected);
    yaml_tree_free(tree);
}

static void test_json_conversion_refuses(void **state)
{
    yaml_tree *tree = parse("nan: [.nan]\n"
                            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n");
    const char *too_large = "value too large once aliases are expanded (over 100000 nodes or "
                            "128 levels)";
    config_error err;
    json_t *value;

    (void)state;
    assert_null(yaml_to_json(yaml_mapping_get(tree->root, "nan"), &err));
    assert_string_equal(err.text, "t.yaml:1:7: number .nan has no JSON form (JSON numbers are "
                                  "finite)");
    /* d expands to 11111 nodes: fine; e to 111111: refused. */
    value = yaml_to_json(yaml_mapping_get(tree->root, "d"), &err);
    assert_non_null(value);
    json_decref(value);
    assert_null(yaml_to_json(yaml_mapping_get(tree->root, "e"), &err));
    assert_non_null(strstr(err.text, too_large));
    assert_string_equal(strstr(err.text, too_large), too_large);
    yaml_tree_free(tree);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_know_where_they_were_written),
        cmocka_unit_test(test_core_schema_types),
        cmocka_unit_test(test_quoted_block_and_tagged_scalars_are_strings),
        cmocka_unit_test(test_scalar_values),
        cmocka_unit_test(test_aliases_share_the_anchored_node),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_composition_errors),
        cmocka_unit_test(test_descriptions_for_messages),
        cmocka_unit_test(test_json_conversion),
        cmocka_unit_test(test_json_conversion_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
