/*
 * Every file in tests/data/config/broken holds one mistake and says, on
 * its first line, the exact error it must produce:
 *   # expect: LINE:COL: message            the pipeline loader finds it
 *   # expect-validate: LINE:COL: message   only the plugins or librdkafka do
 * "$ABI_FIXTURE_DIR" in the message stands for the ABI fixtures' folder.
 *
 * The loader must report "<path>:" followed by that text (or, for
 * expect-validate, load the file). And the real binary, `pipehost
 * validate <path>`, must print exactly that line on stderr, nothing on
 * stdout, and exit 2: under ASan+UBSan, a sanitizer report or abort
 * fails this test.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/pipeline_config.h"
#include "services/secret_redact.h"

#define BROKEN_DIR TEST_DATA_DIR "/config/broken"
#define EXPECT_PREFIX "# expect: "
#define EXPECT_VALIDATE_PREFIX "# expect-validate: "
#define ABI_PLACEHOLDER "$ABI_FIXTURE_DIR"
#define MIN_BROKEN_FILES 40
#define OUTPUT_MAX 8192

typedef struct expectation {
    char text[1200]; /* "<path>:LINE:COL: message" */
    int loader_refuses; /* "# expect:" rather than "# expect-validate:" */
} expectation;

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

/* text with ABI_PLACEHOLDER replaced by the fixtures' folder, into out. */
static void expand_placeholder(const char *text, char *out, size_t size)
{
    const char *at = strstr(text, ABI_PLACEHOLDER);

    if (at == NULL)
        snprintf(out, size, "%s", text);
    else
        snprintf(out, size, "%.*s%s%s", (int)(at - text), text, ABI_FIXTURE_DIR,
                 at + strlen(ABI_PLACEHOLDER));
}

/* "<path>:" + the message on the file's first line. */
static void read_expectation(const char *path, expectation *expected)
{
    FILE *file = fopen(path, "rb");
    char line[1024], message[1200];
    const char *text = NULL;

    assert_non_null(file);
    assert_non_null(fgets(line, sizeof(line), file));
    fclose(file);
    line[strcspn(line, "\n")] = '\0';
    expected->loader_refuses = strncmp(line, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) == 0;
    if (expected->loader_refuses)
        text = line + strlen(EXPECT_PREFIX);
    else if (strncmp(line, EXPECT_VALIDATE_PREFIX, strlen(EXPECT_VALIDATE_PREFIX)) == 0)
        text = line + strlen(EXPECT_VALIDATE_PREFIX);
    if (text == NULL)
        fail_msg("%s: the first line must start with \"" EXPECT_PREFIX
                 "\" or \"" EXPECT_VALIDATE_PREFIX "\"", path);
    expand_placeholder(text, message, sizeof(message));
    if (snprintf(expected->text, sizeof(expected->text), "%s:%s", path, message) >=
        (int)sizeof(expected->text))
        fail_msg("%s: the expectation is too long", path);
}

/* 0 when the loader refuses path with exactly its expected message, or
 * loads it when only validate refuses it. */
static int check_loader(const char *path, const expectation *expected)
{
    config_error err;
    pipeline_config *config;

    memset(&err, 0, sizeof(err));
    config = pipeline_config_load(path, &err);
    if (config != NULL) {
        pipeline_config_free(config);
        if (!expected->loader_refuses)
            return 0;
        print_error("%s: loaded, expected: %s\n", path, expected->text);
        return -1;
    }
    if (!expected->loader_refuses) {
        print_error("%s: the loader refused it (validate should):\n  %s\n", path, err.text);
        return -1;
    }
    if (strcmp(err.text, expected->text) != 0) {
        print_error("%s:\n  expected: %s\n  actual:   %s\n", path, expected->text, err.text);
        return -1;
    }
    return 0;
}

/* What a file holds from its start, cut at size - 1, NUL-terminated. */
static void read_back(FILE *file, char *buf, size_t size)
{
    size_t used;

    rewind(file);
    used = fread(buf, 1, size - 1, file);
    buf[used] = '\0';
    fclose(file);
}

/* Run `pipehost validate path`: its exit status (-1 if it did not exit),
 * stdout and stderr (through files: however much it writes, nothing
 * blocks). */
static int run_validate(const char *path, char *out, char *errors)
{
    FILE *out_file = tmpfile(), *err_file = tmpfile();
    int status;
    pid_t pid;

    assert_non_null(out_file);
    assert_non_null(err_file);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(out_file), STDOUT_FILENO);
        dup2(fileno(err_file), STDERR_FILENO);
        execl(PIPEHOST_BINARY, PIPEHOST_BINARY, "validate", path, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    read_back(out_file, out, OUTPUT_MAX);
    read_back(err_file, errors, OUTPUT_MAX);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* 0 when the binary refuses path with exactly the expected line, exit 2. */
static int check_binary(const char *path, const expectation *expected)
{
    char out[OUTPUT_MAX], errors[OUTPUT_MAX], line[1300];
    int status = run_validate(path, out, errors);

    snprintf(line, sizeof(line), "%s\n", expected->text);
    if (status == 2 && out[0] == '\0' && strcmp(errors, line) == 0)
        return 0;
    print_error("%s: pipehost validate\n  expected: exit 2, %s  actual:   exit %d, %s%s%s", path,
                line, status, errors, out[0] ? "  stdout: " : "", out);
    return -1;
}

static int check_broken_file(const char *path, int through_binary)
{
    expectation expected;

    read_expectation(path, &expected);
    if (through_binary)
        return check_binary(path, &expected);
    return check_loader(path, &expected);
}

/* Every broken file through the loader, or through the binary. */
static void check_every_broken_file(int through_binary)
{
    char **names;
    size_t count = list_broken_files(&names);
    int failures = 0;
    char path[1024];

    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof(path), "%s/%s", BROKEN_DIR, names[i]);
        failures += check_broken_file(path, through_binary) != 0;
        free(names[i]);
    }
    free(names);
    if (count < MIN_BROKEN_FILES)
        fail_msg("only %zu broken files in %s, expected at least %d", count, BROKEN_DIR,
                 MIN_BROKEN_FILES);
    assert_int_equal(failures, 0);
}

static void test_every_broken_file_fails_as_its_first_line_says(void **state)
{
    (void)state;
    check_every_broken_file(0);
    secret_forget_all();
}

static void test_validate_refuses_every_broken_file_with_exit_2(void **state)
{
    (void)state;
    check_every_broken_file(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_broken_file_fails_as_its_first_line_says),
        cmocka_unit_test(test_validate_refuses_every_broken_file_with_exit_2),
    };

    /* The corpus reads these: one set, one never set, a secret that no
     * message may show, and the ABI fixtures' folder. */
    setenv("PH_BROKEN_WORKERS", "two", 1);
    setenv("PH_BROKEN_SECRET", "hunter2", 1);
    setenv("PH_BROKEN_ABI_DIR", ABI_FIXTURE_DIR, 1);
    unsetenv("PIPEHOST_PLUGIN_PATH");
    unsetenv("PIPEHOST_SHIPPED_PLUGIN_DIR");
    unsetenv("PIPEHOST_ALLOW_INSECURE_PLUGINS");
    unsetenv("PH_BROKEN_UNSET");
    unsetenv("KAFKA_BROKERS");
    unsetenv("MY");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
