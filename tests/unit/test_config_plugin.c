/*
 * plugin_config_build(): a stage's config checked against a declared
 * schema with one field of every type, and turned into JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/pipeline_config.h"
#include "config/yaml_tree.h"

static const ph_config_field probe_fields[] = {
    {"field", PH_CONFIG_STRING, NULL, 1, "the field to read"},
    {"label", PH_CONFIG_STRING, "unnamed", 0, "a label"},
    {"limit", PH_CONFIG_INT, "100", 0, "a count"},
    {"ratio", PH_CONFIG_FLOAT, "0.5", 0, "a fraction"},
    {"strict", PH_CONFIG_BOOL, "false", 0, "refuse unknown input"},
    {"window", PH_CONFIG_DURATION, "1m", 0, "window length"},
    {"names", PH_CONFIG_STRING_LIST, "[temperature, pressure]", 0, "names to keep"},
    {"rules", PH_CONFIG_LIST, NULL, 0, "rules, no default"},
    {"labels", PH_CONFIG_MAP, "{}", 0, "extra labels"},
};

static const ph_descriptor probe = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "probe",
    .config_fields = probe_fields,
    .config_field_count = sizeof(probe_fields) / sizeof(probe_fields[0]),
};

static const ph_descriptor bare = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "bare",
};

static const ph_config_field bad_default_fields[] = {
    {"window", PH_CONFIG_DURATION, "10 minutes", 0, "a default that is no duration"},
};

static const ph_descriptor bad_default = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "bad_default",
    .config_fields = bad_default_fields,
    .config_field_count = 1,
};

/* yaml is a stage mapping, named p1; returns the built config or NULL. */
static json_t *build(const char *yaml, const ph_descriptor *plugin, config_error *err)
{
    yaml_tree *tree = yaml_tree_load_text(yaml, strlen(yaml), "stage.yaml", err);
    stage_config stage;
    json_t *config;

    if (tree == NULL)
        fail_msg("%s", err->text);
    memset(&stage, 0, sizeof(stage));
    stage.plugin = (char *)plugin->name;
    stage.name = "p1";
    stage.mark = tree->root->mark;
    stage.config = yaml_mapping_get(tree->root, "config");
    config = plugin_config_build(&stage, plugin, err);
    yaml_tree_free(tree);
    return config;
}

static void assert_builds(const char *yaml, const ph_descriptor *plugin, const char *json)
{
    config_error err;
    json_t *actual = build(yaml, plugin, &err);
    json_t *expected = json_loads(json, 0, NULL);

    assert_non_null(expected);
    if (actual == NULL)
        fail_msg("%s", err.text);
    if (!json_equal(actual, expected)) {
        char *text = json_dumps(actual, JSON_SORT_KEYS);
        print_error("built %s\nexpected %s\n", text, json);
        free(text);
        fail();
    }
    json_decref(actual);
    json_decref(expected);
}

static void assert_fails(const char *yaml, const ph_descriptor *plugin, const char *message)
{
    config_error err;
    json_t *config = build(yaml, plugin, &err);

    if (config != NULL) {
        json_decref(config);
        fail_msg("built, expected: %s", message);
    }
    assert_string_equal(err.text, message);
}

static void test_every_type_converts(void **state)
{
    (void)state;
    assert_builds("plugin: probe\n"
                  "config:\n"
                  "  field: temperature\n"
                  "  label: \"007\"\n"
                  "  limit: 0x10\n"
                  "  ratio: 2\n"
                  "  strict: true\n"
                  "  window: 90s\n"
                  "  names: [a, 2024, \"b\"]\n"
                  "  rules: [{above: 30, alert: \"hot\"}, 1.5, ~, \"12\", yes, -7]\n"
                  "  labels: {site: north, floor: 3, shared: &x [1, 2], again: *x}\n",
                  &probe,
                  "{\"field\": \"temperature\", \"label\": \"007\", \"limit\": 16,"
                  " \"ratio\": 2.0, \"strict\": true, \"window\": 90000,"
                  " \"names\": [\"a\", \"2024\", \"b\"],"
                  " \"rules\": [{\"above\": 30, \"alert\": \"hot\"}, 1.5, null, \"12\","
                  " \"yes\", -7],"
                  " \"labels\": {\"site\": \"north\", \"floor\": 3, \"shared\": [1, 2],"
                  " \"again\": [1, 2]}}");
}

static void test_defaults_fill_unset_fields(void **state)
{
    (void)state;
    /* rules has no default: it stays out. A null value counts as unset. */
    assert_builds("plugin: probe\nconfig: {field: x, label: ~, rules: null}\n", &probe,
                  "{\"field\": \"x\", \"label\": \"unnamed\", \"limit\": 100, \"ratio\": 0.5,"
                  " \"strict\": false, \"window\": 60000,"
                  " \"names\": [\"temperature\", \"pressure\"], \"labels\": {}}");
    assert_builds("plugin: bare\n", &bare, "{}");
}

static void test_durations_become_milliseconds(void **state)
{
    static const struct {
        const char *written;
        const char *json;
    } cases[] = {
        {"500ms", "500"},     {"10s", "10000"},    {"1m", "60000"},   {"2h", "7200000"},
        {"1d", "86400000"},   {"250", "250"},      {"\"750\"", "750"}, {"0s", "0"},
    };
    char yaml[128], json[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(yaml, sizeof(yaml), "config: {field: f, window: %s}\n", cases[i].written);
        snprintf(json, sizeof(json),
                 "{\"field\": \"f\", \"label\": \"unnamed\", \"limit\": 100, \"ratio\": 0.5,"
                 " \"strict\": false, \"window\": %s,"
                 " \"names\": [\"temperature\", \"pressure\"], \"labels\": {}}",
                 cases[i].json);
        assert_builds(yaml, &probe, json);
    }
}

static void test_unknown_key_lists_the_accepted_ones(void **state)
{
    (void)state;
    assert_fails("plugin: probe\nconfig:\n  field: x\n  feild: y\n", &probe,
                 "stage.yaml:4:3: unknown key 'feild' in the config of 'p1' (expected one of: "
                 "field, label, limit, ratio, strict, window, names, rules, labels)");
    assert_fails("plugin: bare\nconfig: {verbose: true}\n", &bare,
                 "stage.yaml:2:10: unknown key 'verbose' in the config of 'p1' (plugin 'bare' "
                 "takes no configuration)");
}

static void test_missing_required_key(void **state)
{
    (void)state;
    /* At the config mapping when there is one, else at the stage. */
    assert_fails("plugin: probe\nconfig:\n  limit: 5\n", &probe,
                 "stage.yaml:3:3: missing required key 'field' in the config of 'p1'");
    assert_fails("plugin: probe\n", &probe,
                 "stage.yaml:1:1: missing required key 'field' in the config of 'p1'");
}

static void test_wrong_types_name_field_and_value(void **state)
{
    static const struct {
        const char *line; /* the 4th line of the stage, after a valid field */
        const char *message;
    } cases[] = {
        {"  limit: \"10\"", "stage.yaml:4:10: 'limit' in the config of 'p1' must be an integer, "
                            "got string \"10\""},
        {"  limit: 1.5", "stage.yaml:4:10: 'limit' in the config of 'p1' must be an integer, "
                         "got number 1.5"},
        {"  ratio: .inf", "stage.yaml:4:10: 'ratio' in the config of 'p1' must be a finite "
                          "number, got number .inf"},
        {"  ratio: high", "stage.yaml:4:10: 'ratio' in the config of 'p1' must be a finite "
                          "number, got string \"high\""},
        {"  strict: yes", "stage.yaml:4:11: 'strict' in the config of 'p1' must be true or "
                          "false, got string \"yes\""},
        {"  window: 10 minutes", "stage.yaml:4:11: 'window' in the config of 'p1' must be a "
                                 "duration such as 500ms, 10s, 1m, 2h or 1d (or a whole number "
                                 "of milliseconds), got string \"10 minutes\""},
        {"  window: -5", "stage.yaml:4:11: 'window' in the config of 'p1' must be a duration "
                         "such as 500ms, 10s, 1m, 2h or 1d (or a whole number of "
                         "milliseconds), got integer -5"},
        {"  names: a", "stage.yaml:4:10: 'names' in the config of 'p1' must be a list of "
                       "strings, got string \"a\""},
        {"  names: [a, [b]]", "stage.yaml:4:14: 'names[1]' in the config of 'p1' must be a "
                              "string, got a list"},
        {"  rules: {a: 1}", "stage.yaml:4:10: 'rules' in the config of 'p1' must be a list, "
                            "got a mapping"},
        {"  rules: [99999999999999999999]", "stage.yaml:4:11: integer 99999999999999999999 "
                                            "does not fit in 64 bits"},
        {"  labels: [a]", "stage.yaml:4:11: 'labels' in the config of 'p1' must be a mapping, "
                          "got a list"},
        {"  label: [a]", "stage.yaml:4:10: 'label' in the config of 'p1' must be a string, "
                         "got a list"},
    };
    char yaml[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(yaml, sizeof(yaml), "plugin: probe\nconfig:\n  field: x\n%s\n", cases[i].line);
        assert_fails(yaml, &probe, cases[i].message);
    }
    /* A required field set to null is no string. */
    assert_fails("plugin: probe\nconfig:\n  field: ~\n", &probe,
                 "stage.yaml:3:10: 'field' in the config of 'p1' must be a string, got null");
    assert_fails("plugin: probe\nconfig: [field]\n", &probe,
                 "stage.yaml:2:9: 'config' in stage 'p1' must be a mapping, got a list");
}

static void test_invalid_default_blames_the_plugin(void **state)
{
    (void)state;
    assert_fails("plugin: bad_default\n", &bad_default,
                 "stage.yaml:1:1: plugin 'bad_default' declares an invalid default \"10 minutes\" "
                 "for 'window' (expected a duration)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_converts),
        cmocka_unit_test(test_defaults_fill_unset_fields),
        cmocka_unit_test(test_durations_become_milliseconds),
        cmocka_unit_test(test_unknown_key_lists_the_accepted_ones),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_wrong_types_name_field_and_value),
        cmocka_unit_test(test_invalid_default_blames_the_plugin),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
