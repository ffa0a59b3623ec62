/*
 * The plugin loader against the ABI fixtures (tests/abi): every way a
 * descriptor can be wrong is refused with its own message, naming the
 * file, and the refused file is closed again; valid plugins load and
 * their callbacks work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/plugin_loader.h"

static void fixture_path(char *path, size_t size, const char *fixture)
{
    int length = snprintf(path, size, "%s/%s.so", ABI_FIXTURE_DIR, fixture);

    assert_true(length > 0 && (size_t)length < size);
}

/* Whether the dynamic linker still holds path (refused plugins must not). */
static int is_still_loaded(const char *path)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);

    if (handle == NULL)
        return 0;
    dlclose(handle);
    return 1;
}

static void assert_refused(const char *fixture, const char *reason)
{
    char path[PATH_MAX];
    char expected[PATH_MAX + 512];
    char err[1024] = "";
    loaded_plugin *plugin;

    fixture_path(path, sizeof(path), fixture);
    plugin = plugin_load(path, err, sizeof(err));
    assert_null(plugin);
    snprintf(expected, sizeof(expected), "%s: %s", path, reason);
    assert_string_equal(err, expected);
    assert_false(is_still_loaded(path));
}

/* ---- refusals ------------------------------------------------------------ */

static void test_no_descriptor(void **state)
{
    assert_refused("no_descriptor", "exports no ph_plugin_descriptor(): not a pipehost plugin");
}

static void test_null_descriptor(void **state)
{
    assert_refused("null_descriptor", "ph_plugin_descriptor() returned NULL");
}

static void test_wrong_magic(void **state)
{
    assert_refused("wrong_magic",
                   "wrong magic 0xdeadbeef, expected 0x50485047: not a pipehost plugin descriptor");
}

static void test_wrong_major(void **state)
{
    assert_refused("wrong_major", "built for ABI major 2, this pipehost speaks 1");
}

static void test_newer_minor(void **state)
{
    assert_refused("newer_minor",
                   "built for ABI 1.7, newer than this pipehost's 1.1: upgrade pipehost");
}

static void test_short_struct(void **state)
{
    char reason[128];

    /* The fixture's descriptor stops before init; ABI 1.0's is the whole
     * of today's ph_descriptor. */
    snprintf(reason, sizeof(reason), "descriptor is %zu bytes, ABI 1.0 needs at least %zu",
             offsetof(ph_descriptor, init), sizeof(ph_descriptor));
    assert_refused("short_struct", reason);
}

static void test_unknown_kind(void **state)
{
    assert_refused("unknown_kind", "unknown plugin kind 3");
}

static void test_missing_name(void **state)
{
    assert_refused("missing_name", "descriptor has no name");
}

static void test_missing_process(void **state)
{
    assert_refused("missing_process", "descriptor has no process callback");
}

static void test_null_config_fields(void **state)
{
    assert_refused("null_config_fields",
                   "descriptor declares 2 config fields but config_fields is NULL");
}

static void test_unnamed_field(void **state)
{
    assert_refused("unnamed_field", "config_fields[1] has no name");
}

static void test_bad_schema(void **state)
{
    assert_refused("bad_schema", "config field \"mode\" has unknown type 42");
}

static void test_duplicate_field(void **state)
{
    assert_refused("duplicate_field", "config field \"label\" is declared twice");
}

static void test_missing_file(void **state)
{
    char path[PATH_MAX];
    char expected[PATH_MAX + 64];
    char err[1024] = "";

    fixture_path(path, sizeof(path), "does_not_exist");
    assert_null(plugin_load(path, err, sizeof(err)));
    snprintf(expected, sizeof(expected), "%s: No such file or directory", path);
    assert_string_equal(err, expected);
}

static void test_not_a_shared_object(void **state)
{
    char dir[] = "/tmp/ph_loader_XXXXXX";
    char path[PATH_MAX];
    char prefix[PATH_MAX + 32];
    char err[1024] = "";
    FILE *file;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/text.so", dir);
    file = fopen(path, "w");
    assert_non_null(file);
    fputs("this is not an ELF file, only text that ends in .so\n", file);
    assert_int_equal(fclose(file), 0);

    assert_null(plugin_load(path, err, sizeof(err)));
    /* After the prefix comes the dynamic linker's own words, which are
     * glibc's to choose; they must be there. */
    snprintf(prefix, sizeof(prefix), "%s: cannot load: ", path);
    assert_memory_equal(err, prefix, strlen(prefix));
    assert_true(strlen(err) > strlen(prefix));

    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_message_uses_the_path_as_given(void **state)
{
    char cwd[PATH_MAX];
    char err[1024] = "";

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(ABI_FIXTURE_DIR), 0);
    assert_null(plugin_load("./wrong_major.so", err, sizeof(err)));
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(err, "./wrong_major.so: built for ABI major 2, this pipehost speaks 1");
}

static void test_message_is_truncated_to_the_buffer(void **state)
{
    char path[PATH_MAX];
    char err[8];

    memset(err, 'x', sizeof(err));
    fixture_path(path, sizeof(path), "wrong_major");
    assert_null(plugin_load(path, err, sizeof(err)));
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_memory_equal(err, path, sizeof(err) - 1);
    /* No buffer at all is allowed too. */
    assert_null(plugin_load(path, NULL, 0));
}

/* ---- valid plugins -------------------------------------------------------- */

/* Enough of a host for the pass-through fixtures: they only emit. */
struct ph_context {
    char values[4][16];
    const ph_record *origins[4];
    size_t emitted;
};

static int fake_emit(ph_context *ctx, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    assert_true(ctx->emitted < 4);
    assert_true(value_len < sizeof(ctx->values[0]));
    memcpy(ctx->values[ctx->emitted], value, value_len);
    ctx->values[ctx->emitted][value_len] = '\0';
    ctx->origins[ctx->emitted++] = origin;
    return 0;
}

static ph_host_api fake_host(void)
{
    return (ph_host_api){
        .struct_size = sizeof(ph_host_api),
        .abi_major = PH_ABI_MAJOR,
        .abi_minor = PH_ABI_MINOR,
        .emit = fake_emit,
    };
}

static loaded_plugin *load_fixture(const char *fixture)
{
    char path[PATH_MAX];
    char err[1024] = "";
    loaded_plugin *plugin;

    fixture_path(path, sizeof(path), fixture);
    plugin = plugin_load(path, err, sizeof(err));
    if (plugin == NULL)
        fail_msg("%s", err);
    return plugin;
}

static void test_good_loads_with_its_descriptor(void **state)
{
    char path[PATH_MAX];
    char *resolved;
    loaded_plugin *plugin = load_fixture("good");
    const ph_descriptor *descriptor = plugin->descriptor;

    fixture_path(path, sizeof(path), "good");
    resolved = realpath(path, NULL);
    assert_non_null(resolved);
    assert_string_equal(plugin->path, resolved);
    free(resolved);
    assert_string_equal(plugin->name, "good");
    assert_non_null(plugin->handle);
    assert_int_equal(descriptor->kind, PH_KIND_PROCESSOR);
    assert_string_equal(descriptor->version, "1.2.3");
    assert_string_equal(descriptor->description, "passes records through");
    assert_int_equal(descriptor->abi_major, 1);
    assert_int_equal(descriptor->abi_minor, 1);

    assert_int_equal(descriptor->config_field_count, 2);
    assert_string_equal(descriptor->config_fields[0].name, "label");
    assert_int_equal(descriptor->config_fields[0].type, PH_CONFIG_STRING);
    assert_int_equal(descriptor->config_fields[0].required, 1);
    assert_null(descriptor->config_fields[0].default_value);
    assert_string_equal(descriptor->config_fields[0].description, "names the stage in tests");
    assert_string_equal(descriptor->config_fields[1].name, "window");
    assert_int_equal(descriptor->config_fields[1].type, PH_CONFIG_DURATION);
    assert_int_equal(descriptor->config_fields[1].required, 0);
    assert_string_equal(descriptor->config_fields[1].default_value, "1m");

    assert_true(is_still_loaded(plugin->path));
    plugin_unload(plugin);
    assert_false(is_still_loaded(path));
}

static void test_good_passes_records_through(void **state)
{
    loaded_plugin *plugin = load_fixture("good");
    const ph_descriptor *descriptor = plugin->descriptor;
    ph_host_api host = fake_host();
    ph_context ctx = {0};
    ph_record records[2] = {
        {.value = "first", .value_len = 5, .offset = 10},
        {.value = "second", .value_len = 6, .offset = 11},
    };
    void *instance = NULL;
    int64_t retain = 0;
    char err[256] = "";

    assert_int_equal(descriptor->init(&host, &ctx, NULL, &instance, err, sizeof(err)), 0);
    assert_int_equal(descriptor->process(instance, records, 2), PH_OK);
    assert_int_equal(ctx.emitted, 2);
    assert_string_equal(ctx.values[0], "first");
    assert_string_equal(ctx.values[1], "second");
    assert_ptr_equal(ctx.origins[0], &records[0]);
    assert_ptr_equal(ctx.origins[1], &records[1]);
    assert_int_equal(descriptor->flush(instance, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
    descriptor->destroy(instance);
    plugin_unload(plugin);
}

static void test_good_v1_0_loads(void **state)
{
    loaded_plugin *plugin = load_fixture("good_v1_0");

    assert_string_equal(plugin->name, "good_v1_0");
    assert_int_equal(plugin->descriptor->abi_minor, 0);
    assert_int_equal(plugin->descriptor->config_field_count, 0);
    assert_non_null(plugin->descriptor->destroy);
    plugin_unload(plugin);
}

static void test_loading_twice_gives_two_plugins(void **state)
{
    loaded_plugin *first = load_fixture("good");
    loaded_plugin *second = load_fixture("good");
    char *path = strdup(first->path);

    assert_non_null(path);
    assert_ptr_not_equal(first, second);
    plugin_unload(first);
    /* The linker counts references: the second still works. */
    assert_true(is_still_loaded(path));
    assert_string_equal(second->descriptor->name, "good");
    plugin_unload(second);
    assert_false(is_still_loaded(path));
    free(path);
}

static void test_init_failure_reports_its_message(void **state)
{
    loaded_plugin *plugin = load_fixture("init_fails");
    ph_host_api host = fake_host();
    ph_context ctx = {0};
    void *instance = &ctx; /* init must set it */
    char err[256] = "";

    assert_int_not_equal(plugin->descriptor->init(&host, &ctx, NULL, &instance, err, sizeof(err)),
                         0);
    assert_string_equal(err, "init_fails: refusing to start");
    assert_null(instance);
    plugin->descriptor->destroy(instance);
    plugin_unload(plugin);
}

static void test_process_fatal_returns_fatal(void **state)
{
    loaded_plugin *plugin = load_fixture("process_fatal");
    ph_host_api host = fake_host();
    ph_context ctx = {0};
    ph_record record = {.value = "x", .value_len = 1};
    void *instance = NULL;
    char err[256] = "";

    assert_int_equal(plugin->descriptor->init(&host, &ctx, NULL, &instance, err, sizeof(err)), 0);
    assert_int_equal(plugin->descriptor->process(instance, &record, 1), PH_FATAL);
    assert_int_equal(ctx.emitted, 0);
    plugin->descriptor->destroy(instance);
    plugin_unload(plugin);
}

static void test_unload_accepts_null(void **state)
{
    plugin_unload(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_descriptor),
        cmocka_unit_test(test_null_descriptor),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_wrong_major),
        cmocka_unit_test(test_newer_minor),
        cmocka_unit_test(test_short_struct),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_missing_name),
        cmocka_unit_test(test_missing_process),
        cmocka_unit_test(test_null_config_fields),
        cmocka_unit_test(test_unnamed_field),
        cmocka_unit_test(test_bad_schema),
        cmocka_unit_test(test_duplicate_field),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_a_shared_object),
        cmocka_unit_test(test_message_uses_the_path_as_given),
        cmocka_unit_test(test_message_is_truncated_to_the_buffer),
        cmocka_unit_test(test_good_loads_with_its_descriptor),
        cmocka_unit_test(test_good_passes_records_through),
        cmocka_unit_test(test_good_v1_0_loads),
        cmocka_unit_test(test_loading_twice_gives_two_plugins),
        cmocka_unit_test(test_init_failure_reports_its_message),
        cmocka_unit_test(test_process_fatal_returns_fatal),
        cmocka_unit_test(test_unload_accepts_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
