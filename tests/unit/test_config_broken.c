/*
 * Every file in tests/data/config/broken holds one mistake and says, on
 * its first line, the exact error it must produce:
 *   # expect: LINE:COL: message
 * The loader must report "<path>:" followed by that text.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/pipeline_config.h"

#define BROKEN_DIR TEST_DATA_DIR "/config/broken"
#define EXPECT_PREFIX "# expect: "
#define MIN_BROKEN_FILES 25

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_yaml(const char *name)
{
    size_t length = strlen(name);

    return length > 5 && strcmp(name + length - 5, ".yaml") == 0;
}

/* The .yaml files of BROKEN_DIR, sorted so failures read in order. */
static size_t list_broken_files(char ***names)
{
    DIR *dir = opendir(BROKEN_DIR);
    struct dirent *entry;
    size_t count = 0;

    assert_non_null(dir);
    *names = NULL;
    while ((entry = readdir(dir)) != NULL) {
        if (!is_yaml(entry->d_name))
            continue;
        *names = realloc(*names, (count + 1) * sizeof(**names));
        assert_non_null(*names);
        (*names)[count] = strdup(entry->d_name);
        assert_non_null((*names)[count++]);
    }
    closedir(dir);
    qsort(*names, count, sizeof(**names), compare_names);
    return count;
}

/* "<path>:" + the text after "# expect: " on the file's first line. */
static void read_expectation(const char *path, char *expected, size_t size)
{
    FILE *file = fopen(path, "rb");
    char line[1024];
    size_t length;

    assert_non_null(file);
    assert_non_null(fgets(line, sizeof(line), file));
    fclose(file);
    if (strncmp(line, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) != 0)
        fail_msg("%s: the first line must start with \"" EXPECT_PREFIX "\"", path);
    length = strcspn(line, "\n");
    line[length] = '\0';
    if (snprintf(expected, size, "%s:%s", path, line + strlen(EXPECT_PREFIX)) >= (int)size)
        fail_msg("%s: the expectation is too long", path);
}

/* 0 when path fails to load with exactly its expected message. */
static int check_broken_file(const char *path)
{
    char expected[1200];
    config_error err;
    pipeline_config *config;

    read_expectation(path, expected, sizeof(expected));
    memset(&err, 0, sizeof(err));
    config = pipeline_config_load(path, &err);
    if (config != NULL) {
        print_error("%s: loaded, expected: %s\n", path, expected);
        pipeline_config_free(config);
        return -1;
    }
    if (strcmp(err.text, expected) != 0) {
        print_error("%s:\n  expected: %s\n  actual:   %s\n", path, expected, err.text);
        return -1;
    }
    return 0;
}

static void test_every_broken_file_fails_as_its_first_line_says(void **state)
{
    char **names;
    size_t count = list_broken_files(&names);
    int failures = 0;
    char path[1024];

    (void)state;
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof(path), "%s/%s", BROKEN_DIR, names[i]);
        failures += check_broken_file(path) != 0;
        free(names[i]);
    }
    free(names);
    if (count < MIN_BROKEN_FILES)
        fail_msg("only %zu broken files in %s, expected at least %d", count, BROKEN_DIR,
                 MIN_BROKEN_FILES);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_broken_file_fails_as_its_first_line_says),
    };

    /* The corpus reads these: one set, one never set. */
    setenv("PH_BROKEN_WORKERS", "two", 1);
    unsetenv("PH_BROKEN_UNSET");
    unsetenv("KAFKA_BROKERS");
    unsetenv("MY");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
