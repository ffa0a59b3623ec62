/*
 * The plugin test kit's run: one plugin in a partition task, fed records
 * the way the pipeline would feed them, with the host's own task, stages,
 * record_json and checkpoints, and the output written down as JSON. It is
 * what `pipehost test-plugin` runs, and what the plugin fuzzers drive.
 */
#ifndef PIPEHOST_CLI_PLUGIN_TEST_RUN_H
#define PIPEHOST_CLI_PLUGIN_TEST_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pipehost/plugin.h"

typedef struct plugin_test_options {
    int32_t partition;
    size_t checkpoint_every; /* a checkpoint flush and commit every N records; 0: none */
    size_t crash_after;      /* drop the task after M records, resume from the last
                                commit with its checkpoint; 0: no crash */
} plugin_test_options;

/*
 * Run values[0..count) (record values at offsets 0, 1, ... without keys)
 * through one instance of plugin (named name, configured with config as
 * plugin_config_build made it), then a final flush. Each event is appended
 * to lines as one JSON object:
 *   {"emit": VALUE, "key": KEY|null, "offset": N}
 *   {"reject": REASON, "offset": N}
 *   {"flush": "checkpoint"|"final", "retain_offset": N|null}
 *   {"restart": OFFSET, "checkpoint": TEXT|null}
 * Returns 0; 1 when the task failed (a stage returned FATAL) or could not
 * restart; 2 when the plugin's init failed. err says why when not 0.
 */
int plugin_test_run(const ph_descriptor *plugin, const char *name, json_t *config,
                    char *const *values, size_t count, const plugin_test_options *options,
                    json_t *lines, char *err, size_t err_size);

#endif
