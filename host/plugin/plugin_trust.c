#include "plugin/plugin_trust.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipehost/plugin.h"

#define ADVICE \
    " (make it writable only by its owner, or set allow_insecure_plugins: true in the " \
    "pipeline to load it anyway)"

static int refuse(char *reason, size_t reason_size, const char *fmt, ...) PH_PRINTF(3, 4);

static int refuse(char *reason, size_t reason_size, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    va_start(ap, fmt);
    vsnprintf(reason, reason_size, fmt, ap);
    va_end(ap);
    used = strlen(reason);
    if (used < reason_size)
        snprintf(reason + used, reason_size - used, "%s", ADVICE);
    return -1;
}

int plugin_trust_allowed_by_environment(void)
{
    const char *value = getenv(PLUGIN_TRUST_ENV);

    return value != NULL && (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
                             strcasecmp(value, "yes") == 0);
}

static int trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

/* The rules of plugin_trust.h for one file or folder, whose entry below
 * (in a folder) is owned by child_uid. */
static int check_component(const char *path, const struct stat *st, int has_child,
                           uid_t child_uid, char *reason, size_t reason_size)
{
    unsigned mode = (unsigned)st->st_mode & 07777;

    if (st->st_mode & S_IWOTH) {
        if (!S_ISDIR(st->st_mode) || !(st->st_mode & S_ISVTX))
            return refuse(reason, reason_size, "\"%s\" is writable by everyone (mode %04o)",
                          path, mode);
        /* Sticky: others may add entries, but only an entry's owner can
         * rename or remove it. */
        if (has_child && !trusted_owner(child_uid))
            return refuse(reason, reason_size,
                          "what lies in \"%s\" (sticky, writable by everyone) is owned by "
                          "uid %u, neither root nor you",
                          path, (unsigned)child_uid);
    }
    if ((st->st_mode & S_IWGRP) && !trusted_owner(st->st_uid))
        return refuse(reason, reason_size,
                      "\"%s\" is writable by group %u and owned by uid %u, neither root nor you "
                      "(mode %04o)",
                      path, (unsigned)st->st_gid, (unsigned)st->st_uid, mode);
    return 0;
}

/* Check path (absolute, no symlinks) and every folder above it; the
 * entry of path is owned by leaf_uid when has_leaf (a symlink in it). */
static int check_chain(const char *path, int has_leaf, uid_t leaf_uid, char *reason,
                       size_t reason_size)
{
    char *walk = strdup(path);
    int has_child = has_leaf;
    uid_t child_uid = leaf_uid;
    int rc = 0;

    if (walk == NULL)
        return refuse(reason, reason_size, "out of memory");
    for (;;) {
        struct stat st;
        char *slash;

        if (lstat(walk[0] != '\0' ? walk : "/", &st) != 0) {
            rc = refuse(reason, reason_size, "\"%s\": %s", walk[0] ? walk : "/",
                        strerror(errno));
            break;
        }
        if ((rc = check_component(walk[0] != '\0' ? walk : "/", &st, has_child, child_uid,
                                  reason, reason_size)) != 0 ||
            walk[0] == '\0')
            break;
        has_child = 1;
        child_uid = st.st_uid;
        /* Up one folder: "/a/b" -> "/a" -> "" (the root). */
        slash = strrchr(walk, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    free(walk);
    return rc;
}

/* The folder a symlinked plugin was found in, resolved, with the link's
 * owner: replacing the link would load another file. */
static int check_link_folder(const char *found_path, char *reason, size_t reason_size)
{
    struct stat link;
    char *copy = strdup(found_path);
    char *folder;
    int rc;

    if (copy == NULL)
        return refuse(reason, reason_size, "out of memory");
    if (lstat(found_path, &link) != 0 || (folder = realpath(dirname(copy), NULL)) == NULL) {
        rc = refuse(reason, reason_size, "\"%s\": %s", found_path, strerror(errno));
        free(copy);
        return rc;
    }
    free(copy);
    rc = check_chain(folder, 1, link.st_uid, reason, reason_size);
    free(folder);
    return rc;
}

int plugin_trust_check(const char *found_path, const char *real_path, char *reason,
                       size_t reason_size)
{
    if (check_chain(real_path, 0, 0, reason, reason_size) != 0)
        return -1;
    if (strcmp(found_path, real_path) != 0)
        return check_link_folder(found_path, reason, reason_size);
    return 0;
}
