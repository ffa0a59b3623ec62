/*
 * Whether a plugin file may be loaded: loading a .so runs its code with
 * pipehost's rights, so nobody but root and the user pipehost runs as may
 * be able to put another file in its place.
 *
 * The file and every folder from it up to / (after symlinks are resolved,
 * and also the folder it was found in when that was through a symlink)
 * are checked. A component is refused when
 *   - everyone may write it (o+w), unless it is a folder with the sticky
 *     bit (/tmp): there only an entry's owner can replace it, so the entry
 *     below must be owned by root or the user;
 *   - its group may write it (g+w) and it is owned by neither root nor the
 *     user (a user who shares their own folder with their group chose to).
 *
 * A pipeline allows such files with `allow_insecure_plugins: true`; the
 * environment with PIPEHOST_ALLOW_INSECURE_PLUGINS=1 (for `pipehost
 * plugins` and `test-plugin`, which read no pipeline).
 */
#ifndef PIPEHOST_PLUGIN_PLUGIN_TRUST_H
#define PIPEHOST_PLUGIN_PLUGIN_TRUST_H

#include <stddef.h>

#define PLUGIN_TRUST_ENV "PIPEHOST_ALLOW_INSECURE_PLUGINS"

/* Whether PIPEHOST_ALLOW_INSECURE_PLUGINS is set to 1, true or yes. */
int plugin_trust_allowed_by_environment(void);

/* 0 when the plugin found at found_path, resolved to real_path (absolute,
 * no symlinks), can be replaced by nobody but root and this user. -1 with
 * the reason in reason, such as
 *   "/opt/plugins" is writable by everyone (mode 0777)
 *   "/srv/p/x.so" is writable by group 100 and owned by uid 1001, neither root nor you
 *   "/tmp/p" is in a sticky world-writable folder and owned by uid 1001, neither root nor you
 * followed by what to do about it. */
int plugin_trust_check(const char *found_path, const char *real_path, char *reason,
                       size_t reason_size);

#endif
