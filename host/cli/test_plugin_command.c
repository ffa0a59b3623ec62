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

#include "cli/commands.h"
#include "config/pipeline_config.h"
#include "config/env_expand.h"
#include "config/yaml_tree.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_search.h"
#include "runtime/task.h"

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

typedef struct run_log {
    json_t *lines; /* array */
} run_log;

static json_t *value_as_json(const ph_record *r)
{
    if (!r->value)
        return json_null();
    json_t *parsed = json_loadb(r->value, r->value_len, JSON_DECODE_ANY, NULL);
    return parsed ? parsed : json_stringn(r->value, r->value_len);
}

static int log_output(void *opaque, task *t, const record_batch *output)
{
    (void)t;
    run_log *log = opaque;
    for (size_t i = 0; i < output->count; i++) {
        const ph_record *r = &output->records[i];
        json_t *key = r->key ? json_stringn(r->key, r->key_len) : json_null();
        json_array_append_new(log->lines, json_pack("{s:o, s:o, s:I}", "emit", value_as_json(r),
                                                    "key", key, "offset", (json_int_t)r->offset));
    }
    return 0;
}

static void log_reject(void *opaque, task *t, const ph_record *record, const char *stage_name,
                       const char *reason)
{
    (void)t;
    (void)stage_name;
    run_log *log = opaque;
    json_array_append_new(log->lines, json_pack("{s:s, s:I}", "reject", reason, "offset",
                                                (json_int_t)record->offset));
}

static void log_flush(run_log *log, ph_flush_mode mode, int64_t retain)
{
    json_array_append_new(log->lines,
                          json_pack("{s:s, s:o}", "flush",
                                    mode == PH_FLUSH_FINAL ? "final" : "checkpoint",
                                    "retain_offset",
                                    retain >= 0 ? json_integer(retain) : json_null()));
}

/* Read every line of path (without its newline). */
static char **read_lines(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "pipehost test-plugin: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char **lines = NULL;
    size_t n = 0, capacity = 0;
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    while ((len = getline(&line, &size, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            char **grown = realloc(lines, capacity * sizeof(*lines));
            if (!grown)
                break;
            lines = grown;
        }
        lines[n++] = line;
        line = NULL;
        size = 0;
    }
    free(line);
    fclose(f);
    *count = n;
    return lines ? lines : calloc(1, sizeof(char *));
}

static void free_lines(char **lines, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(lines[i]);
    free(lines);
}

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

/* What the fake host knows of one run of the input. */
typedef struct test_run {
    const loaded_plugin *plugin;
    json_t *config;
    char **values;
    size_t count;
    int32_t partition;
    size_t checkpoint_every; /* 0: no checkpoint flushes */
    size_t crash_after;      /* 0: no crash */
    run_log *log;
    task_env env;
    int64_t committed;  /* the last commit point, as the host would commit */
    char *checkpoints;  /* committed with it */
} test_run;

static task *start_task(test_run *run, char *err, size_t err_size)
{
    stage_plan plan = {.name = run->plugin->name, .plugin = run->plugin->descriptor,
                       .config = run->config};
    int sink = run->plugin->descriptor->kind == PH_KIND_SINK;
    task *t = task_create("test", run->partition, sink ? NULL : &plan, sink ? 0 : 1,
                          sink ? &plan : NULL, sink ? 1 : 0, run->checkpoints, &run->env, err,
                          err_size);
    if (t)
        offset_tracker_init(&t->offsets, run->committed);
    return t;
}

/* Flush as the host does at a commit point, and commit as it would. */
static void checkpoint(test_run *run, task *t)
{
    int64_t retain;
    if (task_flush(t, PH_FLUSH_CHECKPOINT, &retain) != 0)
        return;
    log_flush(run->log, PH_FLUSH_CHECKPOINT, retain);
    int64_t point = offset_tracker_commit_point(&t->offsets, retain);
    if (point == OFFSET_UNSET)
        return;
    offset_tracker_committed(&t->offsets, point);
    run->committed = point;
    free(run->checkpoints);
    run->checkpoints = task_checkpoint(t);
}

/* Feed records [from, to) in batches, with checkpoints between them. */
static void feed(test_run *run, task *t, size_t from, size_t to)
{
    record_batch batch;
    record_batch_init(&batch);
    size_t step = run->checkpoint_every ? run->checkpoint_every : 1000;
    for (size_t at = from; at < to && !t->failed; at += step) {
        record_batch_reset(&batch);
        for (size_t i = at; i < to && i < at + step; i++) {
            ph_record r = {.value = run->values[i], .value_len = strlen(run->values[i]),
                           .topic = "test", .partition = run->partition, .offset = (int64_t)i,
                           .timestamp_ms = -1};
            record_batch_add_borrowed(&batch, &r);
        }
        task_process(t, &batch);
        if (run->checkpoint_every && !t->failed)
            checkpoint(run, t);
    }
    record_batch_free(&batch);
}

static int run_plugin(test_run *run)
{
    char err[1024];
    run->env = (task_env){.opaque = run->log, .on_error = ON_ERROR_DEAD_LETTER,
                          .deliver = log_output, .dead_letter = log_reject};
    run->committed = OFFSET_UNSET;
    task *t = start_task(run, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "pipehost test-plugin: %s\n", err);
        return EXIT_USAGE;
    }
    size_t crash_at = run->crash_after && run->crash_after < run->count ? run->crash_after
                                                                         : run->count;
    feed(run, t, 0, crash_at);
    if (crash_at < run->count && !t->failed) {
        /* A crash: no final flush; a new instance resumes from the last
         * commit with the checkpoint committed there. */
        task_destroy(t);
        size_t resume = run->committed >= 0 ? (size_t)run->committed : 0;
        json_array_append_new(run->log->lines,
                              json_pack("{s:I, s:o}", "restart", (json_int_t)resume, "checkpoint",
                                        run->checkpoints ? json_string(run->checkpoints)
                                                         : json_null()));
        if (!(t = start_task(run, err, sizeof(err)))) {
            fprintf(stderr, "pipehost test-plugin: after the restart: %s\n", err);
            return 1;
        }
        feed(run, t, resume, run->count);
    }
    int64_t retain;
    if (!t->failed && task_flush(t, PH_FLUSH_FINAL, &retain) == 0)
        log_flush(run->log, PH_FLUSH_FINAL, retain);
    int failed = t->failed;
    if (failed)
        fprintf(stderr, "pipehost test-plugin: %s\n", t->failure);
    task_destroy(t);
    return failed ? 1 : 0;
}

static int write_output(const run_log *log, FILE *out)
{
    size_t i;
    json_t *line;
    json_array_foreach(log->lines, i, line) {
        json_dumpf(line, out, JSON_COMPACT | JSON_SORT_KEYS);
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

/* Compare with the expected file; print each difference. 0 if equal. */
static int compare_output(const run_log *log, const char *expect_path)
{
    size_t count;
    char **lines = read_lines(expect_path, &count);
    if (!lines)
        return EXIT_USAGE;
    size_t actual = json_array_size(log->lines);
    int differences = 0;
    for (size_t i = 0; i < count || i < actual; i++) {
        json_t *want = NULL;
        if (i < count) {
            json_error_t error;
            want = json_loads(lines[i], JSON_DECODE_ANY, &error);
            if (!want) {
                fprintf(stderr, "%s:%zu: not JSON: %s\n", expect_path, i + 1, error.text);
                differences++;
                continue;
            }
        }
        json_t *got = json_array_get(log->lines, i);
        if (!want || !got || !json_equal(want, got)) {
            char *got_text = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            char *want_text = want ? json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            fprintf(stderr, "%s:%zu:\n  expected %s\n  actual   %s\n", expect_path, i + 1,
                    want_text ? want_text : "(nothing)", got_text ? got_text : "(nothing)");
            free(got_text);
            free(want_text);
            differences++;
        }
        json_decref(want);
    }
    free_lines(lines, count);
    if (differences)
        fprintf(stderr, "%d of %zu lines differ\n", differences, count > actual ? count : actual);
    return differences ? 1 : 0;
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
    run_log log = {.lines = json_array()};
    json_t *config = load_config(config_path, plugin);
    if (!config || !(values = read_lines(input, &count)))
        goto done;
    test_run run = {.plugin = plugin, .config = config, .values = values, .count = count,
                    .partition = (int32_t)partition, .checkpoint_every = checkpoint_every,
                    .crash_after = crash_after, .log = &log};
    rc = run_plugin(&run);
    free(run.checkpoints);
    if (rc == EXIT_USAGE)
        goto done;
    if (expect && write_expect) {
        FILE *out = fopen(expect, "w");
        if (!out || write_output(&log, out) != 0) {
            fprintf(stderr, "pipehost test-plugin: %s: %s\n", expect, strerror(errno));
            rc = EXIT_USAGE;
        }
        if (out)
            fclose(out);
    } else if (expect) {
        int differs = compare_output(&log, expect);
        rc = differs ? differs : rc;
    } else {
        write_output(&log, stdout);
    }
done:
    free_lines(values, count);
    json_decref(log.lines);
    json_decref(config);
    plugin_unload(plugin);
    return rc;
}
