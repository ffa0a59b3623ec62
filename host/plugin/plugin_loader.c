/*
 * Loading plugins, and loading a replaced plugin file anew.
 *
 * glibc's dlopen hands back the object it already has when the path names
 * one that is loaded (or the file has the same device and inode). During a
 * hot reload the old version of a plugin is still loaded while the new
 * plan loads its plugins, so a file replaced on disk would silently give
 * the old code again. The loader therefore remembers, for every plugin it
 * has loaded and not yet unloaded, which version of the file it came from
 * (device, inode, size, mtime). Loading a path then goes one of three
 * ways:
 *   - a live plugin came from the same version of the file: share its
 *     object (dlopen again, the linker counts references);
 *   - the linker holds an object under that path that is not this version
 *     of the file: load a private copy of the file (a memfd, opened by the
 *     name /proc/self/fd/N, which glibc has not seen), so that the new
 *     code runs beside the old until the old plugin is unloaded;
 *   - otherwise: dlopen the path itself.
 * The list is process-wide because the linker's namespace is.
 */
#include "plugin/plugin_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plugin/plugin_names.h"
#include "plugin/plugin_trust.h"

#define LOAD_NAME_SIZE 64
#define FREE_NAME_ATTEMPTS 8 /* fd numbers tried for a private copy's name */

/* Where a descriptor member ends: a descriptor built for some minor
 * reaches at least the end of the last member that minor introduced. */
#define DESCRIPTOR_END(member) \
    (offsetof(ph_descriptor, member) + sizeof(((ph_descriptor *)0)->member))

/*
 * The smallest struct_size each ABI minor of the current major can have.
 * A minor that appends members adds an entry: the DESCRIPTOR_END of its
 * last member.
 */
static const size_t descriptor_size_for_minor[] = {
    [0] = DESCRIPTOR_END(destroy),
    [1] = DESCRIPTOR_END(destroy), /* 1.1 appended to ph_host_api only */
};

_Static_assert(sizeof(descriptor_size_for_minor) / sizeof(descriptor_size_for_minor[0]) ==
                   PH_ABI_MINOR + 1,
               "descriptor_size_for_minor needs one entry per ABI minor");
_Static_assert(DESCRIPTOR_END(destroy) == sizeof(ph_descriptor),
               "members were appended to ph_descriptor: give their minor an entry in "
               "descriptor_size_for_minor and check the new last member here");

/*
 * A loaded plugin keeps its own copy of the descriptor in this host's
 * layout. A plugin built for an older minor has a shorter descriptor; in
 * the copy the members it lacks are zero, so nobody reads past its end.
 */
typedef struct plugin_allocation {
    loaded_plugin plugin;
    ph_descriptor descriptor;
    /* How the object was opened: the path itself (copy_fd -1), or the
     * private copy in copy_fd by a /proc/self/fd name. The copy stays open
     * while the plugin lives, so its inode cannot go to another file. */
    int copy_fd;
    struct plugin_allocation *next_live;
} plugin_allocation;

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static plugin_allocation *live_plugins; /* guarded by live_lock */

typedef const ph_descriptor *(*descriptor_function)(void);

static int fail(char *reason, size_t reason_size, const char *fmt, ...) PH_PRINTF(3, 4);

static int fail(char *reason, size_t reason_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, reason_size, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *missing_callback(const ph_descriptor *descriptor)
{
    if (descriptor->init == NULL)
        return "init";
    if (descriptor->process == NULL)
        return "process";
    if (descriptor->flush == NULL)
        return "flush";
    if (descriptor->destroy == NULL)
        return "destroy";
    return NULL;
}

static int check_config_schema(const ph_descriptor *descriptor, char *reason, size_t reason_size)
{
    const ph_config_field *fields = descriptor->config_fields;
    size_t count = descriptor->config_field_count;

    if (count > 0 && fields == NULL)
        return fail(reason, reason_size,
                    "descriptor declares %zu config fields but config_fields is NULL", count);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].name == NULL || fields[i].name[0] == '\0')
            return fail(reason, reason_size, "config_fields[%zu] has no name", i);
        if (plugin_config_type_name((int)fields[i].type) == NULL)
            return fail(reason, reason_size, "config field \"%s\" has unknown type %d",
                        fields[i].name, (int)fields[i].type);
        /* Schemas are a handful of fields: a quadratic scan is the simplest. */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(fields[j].name, fields[i].name) == 0)
                return fail(reason, reason_size, "config field \"%s\" is declared twice",
                            fields[i].name);
        }
    }
    return 0;
}

/* Check what the host relies on before it may call into the plugin. The
 * header is checked first: until it is, no other member can be trusted to
 * exist. */
static int check_descriptor(const ph_descriptor *descriptor, char *reason, size_t reason_size)
{
    const char *callback;

    if (descriptor == NULL)
        return fail(reason, reason_size, "%s() returned NULL", PH_DESCRIPTOR_SYMBOL);
    if (descriptor->magic != PH_PLUGIN_MAGIC)
        return fail(reason, reason_size,
                    "wrong magic 0x%08" PRIx32 ", expected 0x%08" PRIx32
                    ": not a pipehost plugin descriptor",
                    descriptor->magic, (uint32_t)PH_PLUGIN_MAGIC);
    if (descriptor->abi_major != PH_ABI_MAJOR)
        return fail(reason, reason_size, "built for ABI major %u, this pipehost speaks %u",
                    (unsigned)descriptor->abi_major, (unsigned)PH_ABI_MAJOR);
    if (descriptor->abi_minor > PH_ABI_MINOR)
        return fail(reason, reason_size,
                    "built for ABI %u.%u, newer than this pipehost's %u.%u: upgrade pipehost",
                    (unsigned)descriptor->abi_major, (unsigned)descriptor->abi_minor,
                    (unsigned)PH_ABI_MAJOR, (unsigned)PH_ABI_MINOR);
    if (descriptor->struct_size < descriptor_size_for_minor[descriptor->abi_minor])
        return fail(reason, reason_size,
                    "descriptor is %" PRIu32 " bytes, ABI %u.%u needs at least %zu",
                    descriptor->struct_size, (unsigned)descriptor->abi_major,
                    (unsigned)descriptor->abi_minor,
                    descriptor_size_for_minor[descriptor->abi_minor]);
    if (plugin_kind_name((int)descriptor->kind) == NULL)
        return fail(reason, reason_size, "unknown plugin kind %d", (int)descriptor->kind);
    if (descriptor->name == NULL || descriptor->name[0] == '\0')
        return fail(reason, reason_size, "descriptor has no name");
    callback = missing_callback(descriptor);
    if (callback != NULL)
        return fail(reason, reason_size, "descriptor has no %s callback", callback);
    return check_config_schema(descriptor, reason, reason_size);
}

static void write_error(char *err, size_t err_size, const char *path, const char *reason)
{
    if (err != NULL && err_size > 0)
        snprintf(err, err_size, "%s: %s", path, reason);
}

/* A live plugin loaded from this version of real_path, or NULL. */
static plugin_allocation *find_live(const char *real_path, const file_identity *file)
{
    for (plugin_allocation *a = live_plugins; a; a = a->next_live) {
        if (strcmp(a->plugin.path, real_path) == 0 && file_identity_equal(&a->plugin.file, file))
            return a;
    }
    return NULL;
}

static void forget_live(plugin_allocation *allocation)
{
    for (plugin_allocation **a = &live_plugins; *a; a = &(*a)->next_live) {
        if (*a == allocation) {
            *a = allocation->next_live;
            return;
        }
    }
}

/* Whether the linker already holds an object under name. */
static int name_is_loaded(const char *name)
{
    void *resident = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (resident == NULL)
        return 0;
    dlclose(resident);
    return 1;
}

/*
 * dlopen the file open in fd by a name /proc/self/fd/N. An object can
 * outlive the copy it came from and keep its old name, so a name the
 * linker already holds for another object is skipped: a fresh copy
 * (expected NULL) needs a name nobody holds; a shared copy must come back
 * as the expected object. Tries other numbers for fd (dup) a few times.
 * Returns the handle with *used_fd the number kept open, or NULL.
 */
static void *open_copy(int fd, void *expected, int *used_fd, char *reason, size_t reason_size)
{
    int tried[FREE_NAME_ATTEMPTS];
    int tried_count = 0;
    void *handle = NULL;
    *used_fd = -1;
    snprintf(reason, reason_size, "cannot load the new version: every name tried is in use");
    for (int attempt = 0; attempt < FREE_NAME_ATTEMPTS && fd >= 0; attempt++) {
        char name[LOAD_NAME_SIZE];
        snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
        if (!expected && !name_is_loaded(name)) {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
            if (!handle)
                snprintf(reason, reason_size, "cannot load: %s", dlerror());
            break;
        }
        if (expected) {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
            if (handle == expected)
                break;
            if (handle)
                dlclose(handle);
            else
                snprintf(reason, reason_size, "cannot load: %s", dlerror());
            handle = NULL;
        }
        tried[tried_count++] = fd; /* held open so that the next dup differs */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }
    for (int i = 0; i < tried_count; i++)
        close(tried[i]);
    if (handle)
        *used_fd = fd;
    else if (fd >= 0)
        close(fd);
    return handle;
}

/* Copy the open file into a new memfd. Returns it, or -1 with errno. */
static int private_copy(int source, const char *plugin_file, off_t size)
{
    char memfd_name[80];
    snprintf(memfd_name, sizeof(memfd_name), "pipehost-plugin:%s", plugin_file);
    int copy = memfd_create(memfd_name, MFD_CLOEXEC);
    if (copy < 0)
        return -1;
    char buffer[65536];
    off_t done = 0;
    while (done < size) {
        ssize_t n = pread(source, buffer, sizeof(buffer), done);
        if (n == 0) /* the file shrank under us: copy what there is */
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        for (ssize_t written = 0; written < n;) {
            ssize_t w = write(copy, buffer + written, (size_t)(n - written));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                goto fail;
            }
            written += w;
        }
        done += n;
    }
    return copy;
fail:;
    int saved = errno;
    close(copy);
    errno = saved;
    return -1;
}

/* dlopen the version of real_path that file describes (source is that
 * file, open): see the top of this file. Sets copy_fd (-1: none). */
static void *open_object(const char *real_path, int source, const file_identity *file,
                         int *copy_fd, char *reason, size_t reason_size)
{
    void *handle = NULL;
    *copy_fd = -1;
    pthread_mutex_lock(&live_lock);
    plugin_allocation *same = find_live(real_path, file);
    if (same && same->copy_fd >= 0) {
        /* The shared copy, by another number (the linker matches its inode). */
        int fd = fcntl(same->copy_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            snprintf(reason, reason_size, "cannot load: %s", strerror(errno));
        else
            handle = open_copy(fd, same->plugin.handle, copy_fd, reason, reason_size);
    } else if (!same && name_is_loaded(real_path)) {
        /* The linker holds another version under this path. */
        int fd = private_copy(source, real_path, file->size);
        if (fd < 0)
            snprintf(reason, reason_size, "cannot make a private copy to load the new version: %s",
                     strerror(errno));
        else
            handle = open_copy(fd, NULL, copy_fd, reason, reason_size);
    } else {
        handle = dlopen(real_path, RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            snprintf(reason, reason_size, "cannot load: %s", dlerror());
    }
    pthread_mutex_unlock(&live_lock);
    return handle;
}

loaded_plugin *plugin_load(const char *path, char *err, size_t err_size)
{
    return plugin_load_checked(path, NULL, err, err_size);
}

loaded_plugin *plugin_load_checked(const char *path, const plugin_load_options *options,
                                   char *err, size_t err_size)
{
    char reason[512];
    file_identity file;
    void *symbol;
    const ph_descriptor *descriptor;
    plugin_allocation *allocation;
    size_t copy_size;
    int copy_fd = -1;

    char *real_path = realpath(path, NULL);
    if (real_path == NULL) {
        write_error(err, err_size, path, strerror(errno));
        return NULL;
    }
    if (!(options != NULL && options->allow_insecure) &&
        !plugin_trust_allowed_by_environment() &&
        plugin_trust_check(path, real_path, reason, sizeof(reason)) != 0) {
        write_error(err, err_size, path, reason);
        free(real_path);
        return NULL;
    }

    /* The version loaded is the one opened here, whatever replaces the
     * file meanwhile. */
    int source = open(real_path, O_RDONLY | O_CLOEXEC);
    if (source < 0 || file_identity_of_fd(source, &file) != 0) {
        write_error(err, err_size, path, strerror(errno));
        if (source >= 0)
            close(source);
        free(real_path);
        return NULL;
    }
    void *handle = open_object(real_path, source, &file, &copy_fd, reason, sizeof(reason));
    close(source);
    if (handle == NULL) {
        write_error(err, err_size, path, reason);
        free(real_path);
        return NULL;
    }

    /* POSIX guarantees that a function's address survives the trip
     * through dlsym's void pointer. */
    symbol = dlsym(handle, PH_DESCRIPTOR_SYMBOL);
    if (symbol == NULL) {
        snprintf(reason, sizeof(reason), "exports no %s(): not a pipehost plugin",
                 PH_DESCRIPTOR_SYMBOL);
        goto refuse;
    }
    descriptor = ((descriptor_function)symbol)();
    if (check_descriptor(descriptor, reason, sizeof(reason)) != 0)
        goto refuse;

    allocation = calloc(1, sizeof(*allocation));
    if (allocation == NULL) {
        snprintf(reason, sizeof(reason), "out of memory");
        goto refuse;
    }
    copy_size = descriptor->struct_size < sizeof(ph_descriptor) ? descriptor->struct_size
                                                                 : sizeof(ph_descriptor);
    memcpy(&allocation->descriptor, descriptor, copy_size);
    allocation->plugin.name = strdup(descriptor->name);
    if (allocation->plugin.name == NULL) {
        free(allocation);
        snprintf(reason, sizeof(reason), "out of memory");
        goto refuse;
    }
    allocation->plugin.path = real_path;
    allocation->plugin.handle = handle;
    allocation->plugin.descriptor = &allocation->descriptor;
    allocation->plugin.file = file;
    allocation->copy_fd = copy_fd;
    pthread_mutex_lock(&live_lock);
    allocation->next_live = live_plugins;
    live_plugins = allocation;
    pthread_mutex_unlock(&live_lock);
    return &allocation->plugin;

refuse:
    write_error(err, err_size, path, reason);
    dlclose(handle);
    if (copy_fd >= 0)
        close(copy_fd);
    free(real_path);
    return NULL;
}

void plugin_unload(loaded_plugin *plugin)
{
    /* Every loaded_plugin is the first member of a plugin_allocation. */
    plugin_allocation *allocation = (plugin_allocation *)plugin;

    if (plugin == NULL)
        return;
    pthread_mutex_lock(&live_lock);
    forget_live(allocation);
    dlclose(plugin->handle);
    pthread_mutex_unlock(&live_lock);
    if (allocation->copy_fd >= 0)
        close(allocation->copy_fd);
    free(plugin->name);
    free(plugin->path);
    free(allocation);
}
