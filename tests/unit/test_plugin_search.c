/*
 * Where plugins are found: the pipeline's folders, then
 * PIPEHOST_PLUGIN_PATH, then the shipped folder; names that could reach
 * outside a folder are refused. Each test builds its folders under a
 * fresh /tmp directory with symlinks to an ABI fixture.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/plugin_search.h"

typedef struct search_fixture {
    char root[PATH_MAX]; /* realpath of the temporary folder */
} search_fixture;

static void join(char *out, size_t size, const char *dir, const char *name)
{
    int length = snprintf(out, size, "%s/%s", dir, name);

    assert_true(length > 0 && (size_t)length < size);
}

static void make_dir(const search_fixture *fixture, const char *relative)
{
    char path[PATH_MAX];

    join(path, sizeof(path), fixture->root, relative);
    assert_int_equal(mkdir(path, 0755), 0);
}

/* ROOT/relative -> the good fixture. */
static void make_plugin(const search_fixture *fixture, const char *relative)
{
    char path[PATH_MAX];

    join(path, sizeof(path), fixture->root, relative);
    assert_int_equal(symlink(ABI_FIXTURE_DIR "/good.so", path), 0);
}

static void expect_path(const search_fixture *fixture, const char *relative, char *actual)
{
    char expected[PATH_MAX];

    join(expected, sizeof(expected), fixture->root, relative);
    assert_non_null(actual);
    assert_string_equal(actual, expected);
    free(actual);
}

static int setup(void **state)
{
    search_fixture *fixture = calloc(1, sizeof(*fixture));
    char dir[] = "/tmp/ph_search_XXXXXX";

    if (fixture == NULL || mkdtemp(dir) == NULL || realpath(dir, fixture->root) == NULL) {
        free(fixture);
        return -1;
    }
    unsetenv("PIPEHOST_PLUGIN_PATH");
    unsetenv("PIPEHOST_SHIPPED_PLUGIN_DIR");
    *state = fixture;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    search_fixture *fixture = *state;
    int result = nftw(fixture->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

    unsetenv("PIPEHOST_PLUGIN_PATH");
    unsetenv("PIPEHOST_SHIPPED_PLUGIN_DIR");
    free(fixture);
    return result;
}

/* Point PIPEHOST_SHIPPED_PLUGIN_DIR at ROOT/relative. */
static void set_shipped(const search_fixture *fixture, const char *relative)
{
    char path[PATH_MAX];

    join(path, sizeof(path), fixture->root, relative);
    assert_int_equal(setenv("PIPEHOST_SHIPPED_PLUGIN_DIR", path, 1), 0);
}

static void test_search_order(void **state)
{
    search_fixture *fixture = *state;
    const char *config_dirs[] = {"config1", "config2"};
    char env[2 * PATH_MAX + 2];
    char env1[PATH_MAX];
    char env2[PATH_MAX];
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "config1");
    make_dir(fixture, "config2");
    make_dir(fixture, "env1");
    make_dir(fixture, "env2");
    make_dir(fixture, "shipped");
    /* everywhere: in all five; later: not in config1; env: env2 and
     * shipped; shipped: only there. */
    make_plugin(fixture, "config1/everywhere.so");
    make_plugin(fixture, "config2/everywhere.so");
    make_plugin(fixture, "env1/everywhere.so");
    make_plugin(fixture, "env2/everywhere.so");
    make_plugin(fixture, "shipped/everywhere.so");
    make_plugin(fixture, "config2/later.so");
    make_plugin(fixture, "env1/later.so");
    make_plugin(fixture, "env2/env.so");
    make_plugin(fixture, "shipped/env.so");
    make_plugin(fixture, "shipped/shipped.so");

    join(env1, sizeof(env1), fixture->root, "env1");
    join(env2, sizeof(env2), fixture->root, "env2");
    snprintf(env, sizeof(env), "%s:%s", env1, env2);
    assert_int_equal(setenv("PIPEHOST_PLUGIN_PATH", env, 1), 0);
    set_shipped(fixture, "shipped");

    assert_int_equal(plugin_search_path_init(&search, config_dirs, 2, fixture->root, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(search.count, 5);
    expect_path(fixture, "config1", strdup(search.dirs[0]));
    expect_path(fixture, "config2", strdup(search.dirs[1]));
    expect_path(fixture, "env1", strdup(search.dirs[2]));
    expect_path(fixture, "env2", strdup(search.dirs[3]));
    expect_path(fixture, "shipped", strdup(search.dirs[4]));

    expect_path(fixture, "config1/everywhere.so", plugin_search_find(&search, "everywhere"));
    expect_path(fixture, "config2/later.so", plugin_search_find(&search, "later"));
    expect_path(fixture, "env2/env.so", plugin_search_find(&search, "env"));
    expect_path(fixture, "shipped/shipped.so", plugin_search_find(&search, "shipped"));
    assert_null(plugin_search_find(&search, "nowhere"));
    plugin_search_path_free(&search);
    assert_null(search.dirs);
    assert_int_equal(search.count, 0);
}

static void test_relative_config_dirs_use_base_dir(void **state)
{
    search_fixture *fixture = *state;
    char base[PATH_MAX];
    char absolute[PATH_MAX];
    const char *config_dirs[3];
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "pipelines");
    make_dir(fixture, "pipelines/plugins");
    make_dir(fixture, "elsewhere");
    make_plugin(fixture, "elsewhere/mine.so");
    join(base, sizeof(base), fixture->root, "pipelines");
    join(absolute, sizeof(absolute), fixture->root, "elsewhere");
    config_dirs[0] = "plugins";
    config_dirs[1] = "../elsewhere";
    config_dirs[2] = absolute; /* absolute entries ignore base_dir */

    set_shipped(fixture, "no_shipped_folder");
    /* The current folder plays no part. */
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(plugin_search_path_init(&search, config_dirs, 3, base, err, sizeof(err)),
                     0);
    /* ../elsewhere and the absolute entry are one folder, listed once. */
    assert_int_equal(search.count, 2);
    expect_path(fixture, "pipelines/plugins", strdup(search.dirs[0]));
    expect_path(fixture, "elsewhere", strdup(search.dirs[1]));
    expect_path(fixture, "elsewhere/mine.so", plugin_search_find(&search, "mine"));
    plugin_search_path_free(&search);
}

static void test_relative_config_dir_without_base_uses_cwd(void **state)
{
    search_fixture *fixture = *state;
    const char *config_dirs[] = {"here"};
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "here");
    set_shipped(fixture, "no_shipped_folder");
    assert_int_equal(chdir(fixture->root), 0);
    assert_int_equal(plugin_search_path_init(&search, config_dirs, 1, NULL, err, sizeof(err)), 0);
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(search.count, 1);
    expect_path(fixture, "here", strdup(search.dirs[0]));
    plugin_search_path_free(&search);
}

static void test_missing_config_dir_is_an_error(void **state)
{
    search_fixture *fixture = *state;
    const char *relative[] = {"typo"};
    const char *absolute[] = {"/nonexistent/pipehost/plugins"};
    plugin_search_path search;
    char expected[PATH_MAX + 128];
    char err[PATH_MAX + 128] = "";

    assert_int_equal(plugin_search_path_init(&search, relative, 1, fixture->root, err,
                                             sizeof(err)),
                     -1);
    snprintf(expected, sizeof(expected),
             "plugin folder \"typo\" (%s/typo): No such file or directory", fixture->root);
    assert_string_equal(err, expected);
    assert_null(search.dirs);
    assert_int_equal(search.count, 0);

    assert_int_equal(plugin_search_path_init(&search, absolute, 1, fixture->root, err,
                                             sizeof(err)),
                     -1);
    assert_string_equal(err, "plugin folder \"/nonexistent/pipehost/plugins\": "
                             "No such file or directory");
}

static void test_environment_skips_empty_and_missing_entries(void **state)
{
    search_fixture *fixture = *state;
    char env[3 * PATH_MAX + 64];
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "env");
    snprintf(env, sizeof(env), "::%s/missing:%s/env:%s/env:", fixture->root, fixture->root,
             fixture->root);
    assert_int_equal(setenv("PIPEHOST_PLUGIN_PATH", env, 1), 0);
    set_shipped(fixture, "no_shipped_folder");

    assert_int_equal(plugin_search_path_init(&search, NULL, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(search.count, 1);
    expect_path(fixture, "env", strdup(search.dirs[0]));
    plugin_search_path_free(&search);
}

static void test_nothing_to_search(void **state)
{
    search_fixture *fixture = *state;
    plugin_search_path search;
    char err[512] = "";

    set_shipped(fixture, "no_shipped_folder");
    assert_int_equal(plugin_search_path_init(&search, NULL, 0, NULL, err, sizeof(err)), 0);
    assert_int_equal(search.count, 0);
    assert_null(plugin_search_find(&search, "good"));
    plugin_search_path_free(&search);
}

static void test_plugin_names(void **state)
{
    static const char *const valid[] = {"json_filter", "a", "Z9", "geo-enrich", "_", "-x"};
    static const char *const invalid[] = {"", "../good", "a/b", "good.so", ".hidden",
                                          "a b", "tab\t", "caf\xc3\xa9", "~user", "a:b"};

    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        assert_true(plugin_name_is_valid(valid[i]));
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        assert_false(plugin_name_is_valid(invalid[i]));
    assert_false(plugin_name_is_valid(NULL));
}

/* Files exist for each refused name, so only the name check keeps them
 * out. */
static void test_find_refuses_invalid_names(void **state)
{
    search_fixture *fixture = *state;
    const char *config_dirs[] = {"plugins"};
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "plugins");
    make_dir(fixture, "plugins/sub");
    make_dir(fixture, "outside");
    make_plugin(fixture, "plugins/sub/nested.so");
    make_plugin(fixture, "plugins/dotted.so.so");
    make_plugin(fixture, "plugins/.hidden.so");
    make_plugin(fixture, "outside/escape.so");
    set_shipped(fixture, "no_shipped_folder");

    assert_int_equal(plugin_search_path_init(&search, config_dirs, 1, fixture->root, err,
                                             sizeof(err)),
                     0);
    assert_null(plugin_search_find(&search, "sub/nested"));
    assert_null(plugin_search_find(&search, "dotted.so"));
    assert_null(plugin_search_find(&search, ".hidden"));
    assert_null(plugin_search_find(&search, "../outside/escape"));
    assert_null(plugin_search_find(&search, ""));
    plugin_search_path_free(&search);
}

static void test_find_wants_a_regular_file(void **state)
{
    search_fixture *fixture = *state;
    const char *config_dirs[] = {"plugins"};
    char dangling[PATH_MAX];
    plugin_search_path search;
    char err[512] = "";

    make_dir(fixture, "plugins");
    make_dir(fixture, "plugins/folder.so");
    join(dangling, sizeof(dangling), fixture->root, "plugins/dangling.so");
    assert_int_equal(symlink("/nonexistent/dangling.so", dangling), 0);
    set_shipped(fixture, "no_shipped_folder");

    assert_int_equal(plugin_search_path_init(&search, config_dirs, 1, fixture->root, err,
                                             sizeof(err)),
                     0);
    assert_null(plugin_search_find(&search, "folder"));
    assert_null(plugin_search_find(&search, "dangling"));
    plugin_search_path_free(&search);
}

static void test_shipped_dir_from_environment(void **state)
{
    search_fixture *fixture = *state;
    char link_path[PATH_MAX];

    make_dir(fixture, "real_shipped");
    join(link_path, sizeof(link_path), fixture->root, "linked_shipped");
    assert_int_equal(symlink("real_shipped", link_path), 0);
    assert_int_equal(setenv("PIPEHOST_SHIPPED_PLUGIN_DIR", link_path, 1), 0);
    /* Symlinks are resolved. */
    expect_path(fixture, "real_shipped", plugin_search_shipped_dir());

    set_shipped(fixture, "no_shipped_folder");
    assert_null(plugin_search_shipped_dir());
}

/* Test binaries sit in the build tree's bin/ as pipehost does, so the
 * folder next to them is the build's shipped plugin folder. */
static void test_shipped_dir_from_executable(void **state)
{
    char *expected = realpath(SHIPPED_PLUGIN_DIR, NULL);
    char *actual = plugin_search_shipped_dir();

    assert_non_null(expected);
    assert_non_null(actual);
    assert_string_equal(actual, expected);
    free(expected);
    free(actual);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_search_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_config_dirs_use_base_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_config_dir_without_base_uses_cwd, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_config_dir_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_skips_empty_and_missing_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_search, setup, teardown),
        cmocka_unit_test(test_plugin_names),
        cmocka_unit_test_setup_teardown(test_find_refuses_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_wants_a_regular_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_dir_from_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shipped_dir_from_executable, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
