/*
 * Loading plugin shared objects and checking their ABI.
 *
 * A plugin file replaced on disk while the old version is loaded (a hot
 * reload) is loaded anew: the dynamic linker would hand back the object
 * it already has under that path name, so the new version is loaded from
 * a private copy instead (see plugin_loader.c).
 *
 * A plugin is refused, with a message that names the file and the reason,
 * when it cannot be opened, exports no ph_plugin_descriptor, or its
 * descriptor has the wrong magic, another ABI major, a newer ABI minor, a
 * struct shorter than its minor requires, an unknown kind or a missing
 * callback. The host never calls into a plugin it refused.
 */
#ifndef PIPEHOST_PLUGIN_PLUGIN_LOADER_H
#define PIPEHOST_PLUGIN_PLUGIN_LOADER_H

#include <stddef.h>

#include "pipehost/plugin.h"
#include "services/file_identity.h"

typedef struct loaded_plugin {
    char *name; /* descriptor name */
    char *path; /* absolute path of the .so */
    void *handle;
    /* The plugin's descriptor in this host's layout: members of minors
     * newer than the plugin's are zero. Valid until plugin_unload. */
    const ph_descriptor *descriptor;
    file_identity file; /* the file at path as it was loaded */
} loaded_plugin;

/*
 * Resolve path to an absolute path without symlinks, check that nobody
 * but root and this user can replace the file (plugin_trust.h; unless
 * PIPEHOST_ALLOW_INSECURE_PLUGINS=1), dlopen(RTLD_NOW | RTLD_LOCAL) it and
 * check the descriptor. Returns NULL and writes "PATH: reason" into err
 * on refusal, PATH as given; a refused plugin is closed again and nothing
 * of it is called but its ph_plugin_descriptor(). The reasons:
 *   <strerror>                       (the file cannot be resolved)
 *   "F" is writable by everyone ...  (and the other plugin_trust_check reasons)
 *   cannot load: <dlerror>
 *   exports no ph_plugin_descriptor(): not a pipehost plugin
 *   ph_plugin_descriptor() returned NULL
 *   wrong magic 0x%08x, expected 0x50485047: not a pipehost plugin descriptor
 *   built for ABI major M, this pipehost speaks N
 *   built for ABI M.m, newer than this pipehost's M.n: upgrade pipehost
 *   descriptor is S bytes, ABI M.m needs at least N
 *   unknown plugin kind K
 *   descriptor has no name
 *   descriptor has no init|process|flush|destroy callback
 *   descriptor declares N config fields but config_fields is NULL
 *   config_fields[I] has no name
 *   config field "F" has unknown type T
 *   config field "F" is declared twice
 */
loaded_plugin *plugin_load(const char *path, char *err, size_t err_size);

typedef struct plugin_load_options {
    int allow_insecure; /* skip the plugin_trust check (allow_insecure_plugins: true) */
} plugin_load_options;

/* plugin_load with options (NULL: the defaults). */
loaded_plugin *plugin_load_checked(const char *path, const plugin_load_options *options,
                                   char *err, size_t err_size);

/* dlclose and free. Only once no instance of the plugin lives. */
void plugin_unload(loaded_plugin *plugin);

#endif
