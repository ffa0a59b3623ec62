/*
 * `pipehost test-plugin`: one plugin against a fake host, the way the
 * pipeline would run it in one partition task. Each input line is a
 * record value; emissions, rejections and flushes become JSON lines that
 * are printed or compared with an expected file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipehost/testkit.h"

#include "cli/commands.h"
#include "cli/plugin_test_run.h"
#include "config/pipeline_config.h"
#include "config/env_expand.h"
#include "config/yaml_tree.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_search.h"

static const char test_plugin_usage[] =
    "usage: pipehost test-plugin NAME|PATH.so --input IN.jsonl [--config CFG.yaml]\n"
    "                            [--expect OUT.jsonl [--write-expect]]\n"
    "                            [--partition P] [--checkpoint-every N [--crash-after M]]\n"
    "\n"
    "Run one plugin against a fake host. Each line of IN.jsonl is a record value\n"
    "(offsets 0, 1, 2... of partition P, no key). CFG.yaml is the stage's config\n"
    "mapping, checked against the plugin's schema. A checkpoint flush follows\n"
    "every N records, a final flush the input. --crash-after M drops the\n"
    "instance after M records with no flush and resumes a new one from the\n"
    "last commit point with the checkpoint committed there, as after a crash\n"
    "and restart. Output, one JSON line each:\n"
    "  {\"emit\": VALUE, \"key\": KEY|null, \"offset\": N}\n"
    "  {\"reject\": REASON, \"offset\": N}\n"
    "  {\"flush\": \"checkpoint\"|\"final\", \"retain_offset\": N|null}\n"
    "  {\"restart\": OFFSET, \"checkpoint\": TEXT|null}\n"
    "With --expect, compare (as JSON, key order aside) and exit 0 when equal,\n"
    "1 with the differences; --write-expect writes the output there instead.\n"
    "Exit 2 on bad arguments, a plugin that fails to load, or a bad config.\n";

static loaded_plugin *find_and_load(const char *name_or_path)
{
    char err[1024];
    char *path = NULL;
    if (strchr(name_or_path, '/') || strstr(name_or_path, ".so")) {
        path = strdup(name_or_path);
    } else {
        plugin_search_path search;
        if (plugin_search_path_init(&search, NULL, 0, NULL, err, sizeof(err)) != 0) {
            fprintf(stderr, "pipehost test-plugin: %s\n", err);
            return NULL;
        }
        path = plugin_search_find(&search, name_or_path);
        plugin_search_path_free(&search);
        if (!path) {
            fprintf(stderr, "pipehost test-plugin: plugin '%s' not found in "
                            "PIPEHOST_PLUGIN_PATH or the shipped plugins\n", name_or_path);
            return NULL;
        }
    }
    loaded_plugin *plugin = path ? plugin_load(path, err, sizeof(err)) : NULL;
    if (!plugin)
        fprintf(stderr, "pipehost test-plugin: %s\n", path ? err : "out of memory");
    free(path);
    return plugin;
}

/* The plugin's configuration from a YAML mapping file (NULL: defaults). */
static json_t *load_config(const char *path, const loaded_plugin *plugin)
{
    config_error err;
    yaml_tree *tree = NULL;
    if (path && (!(tree = yaml_tree_load_file(path, &err)) ||
                 yaml_tree_expand_env(tree, &err) != 0)) {
        fprintf(stderr, "%s\n", err.text);
        yaml_tree_free(tree);
        return NULL;
    }
    stage_config stage_cfg = {
        .plugin = plugin->name,
        .name = plugin->name,
        .config = tree ? tree->root : NULL,
        .mark = {.file = path ? path : "(defaults)", .line = 1, .col = 1},
        .plugin_mark = {.file = path ? path : "(defaults)", .line = 1, .col = 1},
    };
    json_t *config = plugin_config_build(&stage_cfg, plugin->descriptor, &err);
    if (!config)
        fprintf(stderr, "%s\n", err.text);
    yaml_tree_free(tree);
    return config;
}

static int parse_size(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-')
        return -1;
    *out = (size_t)value;
    return 0;
}

int test_plugin_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"input", required_argument, NULL, 'i'},
        {"expect", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'c'},
        {"partition", required_argument, NULL, 'p'},
        {"checkpoint-every", required_argument, NULL, 'n'},
        {"crash-after", required_argument, NULL, 'x'},
        {"write-expect", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *expect = NULL, *config_path = NULL;
    size_t partition = 0, checkpoint_every = 0, crash_after = 0;
    int write_expect = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'i': input = optarg; break;
        case 'e': expect = optarg; break;
        case 'c': config_path = optarg; break;
        case 'w': write_expect = 1; break;
        case 'p':
            if (parse_size(optarg, &partition) != 0 || partition > INT32_MAX) {
                fprintf(stderr, "pipehost test-plugin: --partition: '%s' is not a partition number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'n':
            if (parse_size(optarg, &checkpoint_every) != 0 || checkpoint_every == 0) {
                fprintf(stderr, "pipehost test-plugin: --checkpoint-every: '%s' is not a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'x':
            if (parse_size(optarg, &crash_after) != 0 || crash_after == 0) {
                fprintf(stderr, "pipehost test-plugin: --crash-after: '%s' is not a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(test_plugin_usage, stdout);
            return 0;
        default:
            fputs(test_plugin_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !input || (write_expect && !expect) ||
        (crash_after && !checkpoint_every)) {
        fputs(test_plugin_usage, stderr);
        return EXIT_USAGE;
    }
    loaded_plugin *plugin = find_and_load(argv[optind]);
    if (!plugin)
        return EXIT_USAGE;
    int rc = EXIT_USAGE;
    size_t count = 0;
    char **values = NULL;
    json_t *lines = json_array();
    json_t *config = load_config(config_path, plugin);
    char err[1024];
    if (!config || !lines)
        goto done;
    if (!(values = test_lines_read(input, &count, err, sizeof(err)))) {
        fprintf(stderr, "pipehost test-plugin: %s\n", err);
        goto done;
    }
    plugin_test_options run_options = {.partition = (int32_t)partition,
                                       .checkpoint_every = checkpoint_every,
                                       .crash_after = crash_after};
    rc = plugin_test_run(plugin->descriptor, plugin->name, config, values, count, &run_options,
                         lines, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "pipehost test-plugin: %s\n", err);
    if (rc == EXIT_USAGE)
        goto done;
    if (expect && write_expect) {
        FILE *out = fopen(expect, "w");
        if (!out || test_transcript_write(lines, out) != 0) {
            fprintf(stderr, "pipehost test-plugin: %s: %s\n", expect, strerror(errno));
            rc = EXIT_USAGE;
        }
        if (out)
            fclose(out);
    } else if (expect) {
        int differs = test_transcript_diff(lines, expect, stderr);
        rc = differs < 0 ? EXIT_USAGE : differs ? differs : rc;
    } else {
        test_transcript_write(lines, stdout);
    }
done:
    test_lines_free(values, count);
    json_decref(lines);
    json_decref(config);
    plugin_unload(plugin);
    return rc;
}
