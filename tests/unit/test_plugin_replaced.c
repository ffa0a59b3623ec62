/*
 * A plugin file replaced on disk while its old version is loaded (what a
 * hot reload meets) is loaded anew: the new code runs beside the old, an
 * unchanged file still shares one object, and nothing stays open once
 * every plugin is unloaded. The two versions are the ABI fixtures good.so
 * and good_v1_0.so copied in turn to one path; their descriptors name
 * them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/plugin_loader.h"

typedef struct scratch {
    char dir[64];
    char path[PATH_MAX]; /* the plugin path every load uses */
} scratch;

static size_t open_fd_count(void)
{
    DIR *dir = opendir("/proc/self/fd");
    size_t count = 0;
    assert_non_null(dir);
    while (readdir(dir) != NULL)
        count++;
    closedir(dir);
    return count;
}

/* Put fixture's bytes at s->path by writing a new file and renaming it
 * over the old one, as `install` or a build does. */
static void replace_with(const scratch *s, const char *fixture)
{
    char source[PATH_MAX], temporary[PATH_MAX + 8];
    snprintf(source, sizeof(source), "%s/%s.so", ABI_FIXTURE_DIR, fixture);
    snprintf(temporary, sizeof(temporary), "%s.new", s->path);
    FILE *in = fopen(source, "rb");
    FILE *out = fopen(temporary, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buffer[8192];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0)
        assert_int_equal(fwrite(buffer, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(rename(temporary, s->path), 0);
}

static loaded_plugin *load(const scratch *s)
{
    char err[1024] = "";
    loaded_plugin *plugin = plugin_load(s->path, err, sizeof(err));
    if (!plugin)
        fail_msg("%s", err);
    return plugin;
}

/* The name the object's own code gives, not the loader's copy of it. */
static const char *code_name(const loaded_plugin *plugin)
{
    const ph_descriptor *(*describe)(void);
    *(void **)&describe = dlsym(plugin->handle, PH_DESCRIPTOR_SYMBOL);
    assert_non_null(describe);
    return describe()->name;
}

static int setup(void **state)
{
    scratch *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    snprintf(s->dir, sizeof(s->dir), "/tmp/ph_replaced_XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/plugin.so", s->dir);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    scratch *s = *state;
    unlink(s->path);
    rmdir(s->dir);
    free(s);
    return 0;
}

static void test_a_replaced_file_loads_its_new_version_beside_the_old(void **state)
{
    scratch *s = *state;
    size_t fds_before = open_fd_count();
    replace_with(s, "good");
    loaded_plugin *old = load(s);
    assert_string_equal(old->descriptor->name, "good");

    replace_with(s, "good_v1_0");
    loaded_plugin *new = load(s);
    assert_string_equal(new->descriptor->name, "good_v1_0");
    assert_ptr_not_equal(new->handle, old->handle);
    /* Both run their own code. */
    assert_string_equal(code_name(old), "good");
    assert_string_equal(code_name(new), "good_v1_0");
    assert_false(file_identity_equal(&old->file, &new->file));

    plugin_unload(old);
    assert_string_equal(code_name(new), "good_v1_0");
    plugin_unload(new);
    assert_int_equal(open_fd_count(), fds_before);
}

static void test_an_unchanged_file_shares_its_object(void **state)
{
    scratch *s = *state;
    replace_with(s, "good");
    loaded_plugin *first = load(s);
    loaded_plugin *second = load(s);
    assert_ptr_equal(second->handle, first->handle);
    assert_true(file_identity_equal(&first->file, &second->file));
    plugin_unload(first);
    plugin_unload(second);
}

/* The new version, loaded from a private copy, is shared by later loads
 * of the same file, also once the old version is gone. */
static void test_the_new_version_is_shared_after_the_old_one_is_unloaded(void **state)
{
    scratch *s = *state;
    size_t fds_before = open_fd_count();
    replace_with(s, "good");
    loaded_plugin *old = load(s);
    replace_with(s, "good_v1_0");
    loaded_plugin *new = load(s);
    plugin_unload(old);
    loaded_plugin *again = load(s);
    assert_ptr_equal(again->handle, new->handle);
    assert_string_equal(code_name(again), "good_v1_0");
    plugin_unload(new);
    assert_string_equal(code_name(again), "good_v1_0");

    /* A third version while the second is loaded (from its copy). */
    replace_with(s, "good");
    loaded_plugin *third = load(s);
    assert_ptr_not_equal(third->handle, again->handle);
    assert_string_equal(code_name(third), "good");
    assert_string_equal(code_name(again), "good_v1_0");
    plugin_unload(again);
    plugin_unload(third);
    assert_int_equal(open_fd_count(), fds_before);

    /* With nothing loaded, the file is opened by its own path again. */
    loaded_plugin *plain = load(s);
    assert_string_equal(code_name(plain), "good");
    void *by_path = dlopen(s->path, RTLD_NOW | RTLD_NOLOAD);
    assert_ptr_equal(by_path, plain->handle);
    dlclose(by_path);
    plugin_unload(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_replaced_file_loads_its_new_version_beside_the_old,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_unchanged_file_shares_its_object, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_the_new_version_is_shared_after_the_old_one_is_unloaded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
