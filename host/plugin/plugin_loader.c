#include "plugin/plugin_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin_names.h"

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
} plugin_allocation;

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

loaded_plugin *plugin_load(const char *path, char *err, size_t err_size)
{
    char reason[512];
    char *real_path;
    void *handle;
    void *symbol;
    const ph_descriptor *descriptor;
    plugin_allocation *allocation;
    size_t copy_size;

    real_path = realpath(path, NULL);
    if (real_path == NULL) {
        write_error(err, err_size, path, strerror(errno));
        return NULL;
    }

    handle = dlopen(real_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        snprintf(reason, sizeof(reason), "cannot load: %s", dlerror());
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
    return &allocation->plugin;

refuse:
    write_error(err, err_size, path, reason);
    dlclose(handle);
    free(real_path);
    return NULL;
}

void plugin_unload(loaded_plugin *plugin)
{
    /* Every loaded_plugin is the first member of a plugin_allocation. */
    plugin_allocation *allocation = (plugin_allocation *)plugin;

    if (plugin == NULL)
        return;
    dlclose(plugin->handle);
    free(plugin->name);
    free(plugin->path);
    free(allocation);
}
