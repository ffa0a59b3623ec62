#include "plugin/plugin_search.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipehost/plugin.h"

#define PLUGIN_PATH_ENV "PIPEHOST_PLUGIN_PATH"
#define SHIPPED_DIR_ENV "PIPEHOST_SHIPPED_PLUGIN_DIR"

static void set_error(char *err, size_t err_size, const char *fmt, ...) PH_PRINTF(3, 4);

static void set_error(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

/* Append dir (taking ownership) unless the path already has it. 0, or -1
 * out of memory (dir is freed either way on failure). */
static int search_path_add(plugin_search_path *search, char *dir)
{
    char **grown;

    for (size_t i = 0; i < search->count; i++) {
        if (strcmp(search->dirs[i], dir) == 0) {
            free(dir);
            return 0;
        }
    }
    grown = realloc(search->dirs, (search->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(dir);
        return -1;
    }
    search->dirs = grown;
    search->dirs[search->count++] = dir;
    return 0;
}

static int add_config_dir(plugin_search_path *search, const char *dir, const char *base_dir,
                          char *err, size_t err_size)
{
    char *joined;
    char *resolved;

    if (dir[0] == '/' || base_dir == NULL)
        joined = strdup(dir);
    else if (asprintf(&joined, "%s/%s", base_dir, dir) < 0)
        joined = NULL;
    if (joined == NULL) {
        set_error(err, err_size, "out of memory");
        return -1;
    }
    resolved = realpath(joined, NULL);
    if (resolved == NULL) {
        int error = errno;

        /* Show what a relative entry became: it is not where the user stands. */
        if (strcmp(joined, dir) == 0)
            set_error(err, err_size, "plugin folder \"%s\": %s", dir, strerror(error));
        else
            set_error(err, err_size, "plugin folder \"%s\" (%s): %s", dir, joined,
                      strerror(error));
        free(joined);
        return -1;
    }
    free(joined);
    if (search_path_add(search, resolved) != 0) {
        set_error(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

/* PIPEHOST_PLUGIN_PATH: colon-separated; empty and missing entries are
 * skipped, as PATH's are. */
static int add_environment_dirs(plugin_search_path *search, char *err, size_t err_size)
{
    const char *value = getenv(PLUGIN_PATH_ENV);
    const char *entry = value;

    while (entry != NULL && *entry != '\0') {
        const char *colon = strchr(entry, ':');
        size_t length = colon != NULL ? (size_t)(colon - entry) : strlen(entry);

        if (length > 0) {
            char *dir = strndup(entry, length);
            char *resolved;

            if (dir == NULL) {
                set_error(err, err_size, "out of memory");
                return -1;
            }
            resolved = realpath(dir, NULL);
            free(dir);
            if (resolved != NULL && search_path_add(search, resolved) != 0) {
                set_error(err, err_size, "out of memory");
                return -1;
            }
        }
        entry = colon != NULL ? colon + 1 : NULL;
    }
    return 0;
}

int plugin_search_path_init(plugin_search_path *search, const char *const *config_dirs,
                            size_t config_dir_count, const char *base_dir, char *err,
                            size_t err_size)
{
    char *shipped;

    search->dirs = NULL;
    search->count = 0;
    for (size_t i = 0; i < config_dir_count; i++) {
        if (add_config_dir(search, config_dirs[i], base_dir, err, err_size) != 0)
            goto fail;
    }
    if (add_environment_dirs(search, err, err_size) != 0)
        goto fail;
    shipped = plugin_search_shipped_dir();
    if (shipped != NULL && search_path_add(search, shipped) != 0) {
        set_error(err, err_size, "out of memory");
        goto fail;
    }
    return 0;

fail:
    plugin_search_path_free(search);
    return -1;
}

void plugin_search_path_free(plugin_search_path *search)
{
    for (size_t i = 0; i < search->count; i++)
        free(search->dirs[i]);
    free(search->dirs);
    search->dirs = NULL;
    search->count = 0;
}

int plugin_name_is_valid(const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    for (const char *c = name; *c != '\0'; c++) {
        int letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        int digit = *c >= '0' && *c <= '9';

        if (!letter && !digit && *c != '_' && *c != '-')
            return 0;
    }
    return 1;
}

char *plugin_search_find(const plugin_search_path *search, const char *name)
{
    if (!plugin_name_is_valid(name))
        return NULL;
    for (size_t i = 0; i < search->count; i++) {
        char *candidate;
        struct stat st;

        if (asprintf(&candidate, "%s/%s.so", search->dirs[i], name) < 0)
            return NULL;
        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode))
            return candidate;
        free(candidate);
    }
    return NULL;
}

char *plugin_search_shipped_dir(void)
{
    const char *override = getenv(SHIPPED_DIR_ENV);
    char exe[PATH_MAX];
    char *slash;
    char *candidate;
    char *resolved;
    ssize_t length;

    if (override != NULL && *override != '\0')
        return realpath(override, NULL);

    /* The kernel's link names the running binary with symlinks resolved,
     * so a pipehost reached through a symlink still finds its own tree. */
    length = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (length <= 0 || (size_t)length >= sizeof(exe) - 1)
        return NULL;
    exe[length] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    if (asprintf(&candidate, "%s/../%s", exe, PIPEHOST_PLUGIN_SUBDIR) < 0)
        return NULL;
    resolved = realpath(candidate, NULL);
    free(candidate);
    return resolved;
}
