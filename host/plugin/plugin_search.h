/*
 * Where plugins are looked for, in order:
 *   1. the pipeline's plugin_dirs (relative entries against the YAML
 *      file's folder),
 *   2. PIPEHOST_PLUGIN_PATH, colon-separated,
 *   3. the shipped plugins: <folder of the pipehost binary>/../PIPEHOST_PLUGIN_SUBDIR,
 *      which is right both in the build tree and once installed.
 * A plugin NAME is the file NAME.so in one of these folders; a name is
 * never a path. Every folder is resolved to an absolute path without
 * symlinks, and appears once, at its first place. What is found there is
 * checked when it is loaded (plugin_loader.h, plugin_trust.h): resolved
 * again, and refused when others than root and this user could replace
 * it. A plugin_dirs entry that does not exist is an error (a typo in the
 * pipeline); PIPEHOST_PLUGIN_PATH entries that do not exist are skipped,
 * as PATH's are.
 *
 * PIPEHOST_SHIPPED_PLUGIN_DIR, when set, replaces the shipped folder
 * (for binaries that do not live in the install layout, such as tests).
 */
#ifndef PIPEHOST_PLUGIN_PLUGIN_SEARCH_H
#define PIPEHOST_PLUGIN_PLUGIN_SEARCH_H

#include <stddef.h>

typedef struct plugin_search_path {
    char **dirs; /* absolute */
    size_t count;
} plugin_search_path;

/* Build the search path. config_dirs may be NULL/0; base_dir resolves
 * relative entries (NULL: the current folder). Returns 0, or -1 with a
 * message in err:
 *   plugin folder "DIR": <strerror>
 *   plugin folder "DIR" (BASE_DIR/DIR): <strerror>   (a relative DIR)
 *   out of memory */
int plugin_search_path_init(plugin_search_path *search, const char *const *config_dirs,
                            size_t config_dir_count, const char *base_dir, char *err,
                            size_t err_size);

void plugin_search_path_free(plugin_search_path *search);

/* Whether name is a plugin name: [A-Za-z0-9_-]+, so that it names a file
 * in a search folder and nothing else. */
int plugin_name_is_valid(const char *name);

/* Absolute path of NAME.so in the first folder that has it, or NULL (also
 * when name is not a valid plugin name, or out of memory). Caller frees. */
char *plugin_search_find(const plugin_search_path *search, const char *name);

/* The shipped plugin folder (absolute, symlinks resolved), or NULL if it
 * does not exist. Caller frees. */
char *plugin_search_shipped_dir(void);

#endif
