/*
 * `pipehost demo`: one use case end to end in one process. It starts the
 * embedded broker, produces synthetic events, runs the use case's SQLite
 * pipeline file from configs/ to the end of the topic, and summarizes the
 * results with SQL queries over the tables its sqlite_sink wrote.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli/commands.h"
#include "cli/demo_summary.h"
#include "config/pipeline_config.h"
#include "kafka/embedded_broker.h"
#include "produce/produce.h"
#include "runtime/pipeline.h"
#include "runtime/pipeline_plan.h"
#include "services/log.h"

static const char demo_usage[] =
    "usage: pipehost demo clickstream|iot|chat [--count N] [--seed S] [--bad-ratio F]\n"
    "\n"
    "Run a use case end to end: start the embedded broker, produce N synthetic\n"
    "events (default 200000, 1%% malformed), run configs/USE_CASE-sqlite.yaml\n"
    "until the topic is consumed, and print a summary of the results, from SQL\n"
    "queries over the SQLite tables the pipeline wrote, with the records per\n"
    "second it reached. The database stays in a folder under /tmp, which the\n"
    "summary names.\n";

typedef struct use_case {
    const char *name;
    const char *profile; /* of `pipehost produce` */
    const char *config;  /* file in the configs folder, writing to SQLite */
    int (*summarize)(FILE *out, sqlite3 *db);
} use_case;

static const use_case use_cases[] = {
    {"clickstream", "clickstream", "clickstream-sqlite.yaml", demo_summarize_clickstream},
    {"iot", "iot", "iot-sqlite.yaml", demo_summarize_iot},
    {"chat", "chat", "chat-sqlite.yaml", demo_summarize_chat},
};

/* configs/NAME installed beside the binary (share/pipehost/configs), or in
 * the source tree it was built from. Caller frees. */
static char *find_config(const char *name)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *path = NULL;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        if (asprintf(&path, "%s/../share/pipehost/configs/%s", exe, name) > 0 &&
            access(path, R_OK) == 0)
            return path;
        free(path);
    }
    if (asprintf(&path, "%s/%s", PIPEHOST_SOURCE_CONFIG_DIR, name) > 0 && access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

/* The database file of the pipeline's (first) sqlite_sink, or NULL. */
static const char *database_path(const pipeline_plan *plan)
{
    for (size_t i = 0; i < plan->sink_count; i++) {
        if (strcmp(plan->sinks[i].plugin->name, "sqlite_sink") == 0)
            return json_string_value(json_object_get(plan->sinks[i].config, "path"));
    }
    return NULL;
}

/* Print the use case's summary from its database. 0 or -1. */
static int summarize(const use_case *uc, const char *path)
{
    sqlite3 *db = NULL;
    int rc = -1;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fprintf(stderr, "pipehost demo: %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
    else
        rc = uc->summarize(stdout, db);
    sqlite3_close(db);
    return rc;
}

static int create_topics(embedded_broker *broker, const pipeline_config *config)
{
    char err[512];
    int partitions = config->embedded_partitions;
    for (size_t i = 0; i < config->topic_count; i++) {
        if (embedded_broker_create_topic(broker, config->topics[i], partitions, err, sizeof(err)))
            goto fail;
    }
    for (size_t i = 0; i < config->sink_count; i++) {
        if (config->sinks[i].type == SINK_KAFKA &&
            embedded_broker_create_topic(broker, config->sinks[i].topic, partitions, err,
                                         sizeof(err)))
            goto fail;
    }
    if (config->dead_letter_topic &&
        embedded_broker_create_topic(broker, config->dead_letter_topic, partitions, err,
                                     sizeof(err)))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "pipehost demo: %s\n", err);
    return -1;
}

static int run_demo(const use_case *uc, unsigned long long count, unsigned long long seed,
                    double bad_ratio)
{
    char *config_path = find_config(uc->config);
    if (!config_path) {
        fprintf(stderr, "pipehost demo: cannot find configs/%s\n", uc->config);
        return 1;
    }
    char out_dir[] = "/tmp/pipehost-demo-XXXXXX";
    if (!mkdtemp(out_dir)) {
        perror("pipehost demo: mkdtemp");
        free(config_path);
        return 1;
    }
    char err[512];
    embedded_broker *broker = embedded_broker_start(1, err, sizeof(err));
    if (!broker) {
        fprintf(stderr, "pipehost demo: %s\n", err);
        free(config_path);
        return 1;
    }
    /* The pipeline file reads both from the environment. */
    setenv("KAFKA_BROKERS", embedded_broker_bootstraps(broker), 1);
    setenv("PIPEHOST_OUT", out_dir, 1);

    int rc = 1;
    config_error cerr;
    pipeline_plan *plan = NULL;
    pipeline_config *config = pipeline_config_load(config_path, &cerr);
    if (!config || !(plan = pipeline_plan_build(config, &cerr))) {
        fprintf(stderr, "%s\n", cerr.text);
        goto done;
    }
    const char *database = database_path(plan);
    if (database == NULL) {
        fprintf(stderr, "pipehost demo: %s has no sqlite_sink to summarize\n", config_path);
        goto done;
    }
    if (create_topics(broker, config) != 0)
        goto done;

    printf("== %s: embedded broker on %s, pipeline %s\n", uc->name,
           embedded_broker_bootstraps(broker), config_path);
    printf("== producing %llu %s events (%.1f%% malformed) to %s\n", count, uc->profile,
           bad_ratio * 100, config->topics[0]);
    fflush(stdout);
    struct produce_options produce = {
        .brokers = embedded_broker_bootstraps(broker),
        .topic = config->topics[0],
        .profile = uc->profile,
        .count = count,
        .seed = seed,
        .bad_ratio = bad_ratio,
        .start_ms = 1640995200000LL, /* 2022-01-01T00:00:00Z */
    };
    if (produce_run(&produce) != 0)
        goto done;

    printf("== running the pipeline to the end of the topic\n");
    fflush(stdout);
    pipeline_stats stats = {0};
    pipeline_run_options options = {.exit_at_end = 1, .stats = &stats};
    if (pipeline_run(config, plan, &options) != PIPELINE_EXIT_OK)
        goto done;

    printf("\n%lld records in %.2f s: %.0f records/s; %lld rejected to %s; results in %s\n\n",
           stats.records_in, stats.seconds, stats.seconds > 0 ? stats.records_in / stats.seconds : 0,
           stats.dead_lettered, config->dead_letter_topic ? config->dead_letter_topic : "the dead letter",
           database);
    fflush(stdout);
    rc = summarize(uc, database) == 0 ? 0 : 1;
done:
    pipeline_plan_free(plan);
    pipeline_config_free(config);
    embedded_broker_stop(broker);
    free(config_path);
    return rc;
}

int demo_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"bad-ratio", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long count = 200000, seed = 1;
    double bad_ratio = 0.01;
    int opt;
    char *end;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'n':
            count = strtoull(optarg, &end, 10);
            if (*end || end == optarg || count == 0 || optarg[0] == '-') {
                fprintf(stderr, "pipehost demo: --count: '%s' is not a positive number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg || optarg[0] == '-') {
                fprintf(stderr, "pipehost demo: --seed: '%s' is not a number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            bad_ratio = strtod(optarg, &end);
            if (*end || end == optarg || !(bad_ratio >= 0 && bad_ratio <= 1)) {
                fprintf(stderr, "pipehost demo: --bad-ratio: '%s' is not from 0 to 1\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(demo_usage, stdout);
            return 0;
        default:
            fputs(demo_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(demo_usage, stderr);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(use_cases) / sizeof(use_cases[0]); i++) {
        if (strcmp(argv[optind], use_cases[i].name) == 0) {
            if (log_get_level() == PH_LOG_INFO)
                log_set_level(PH_LOG_WARN);
            return run_demo(&use_cases[i], count, seed, bad_ratio);
        }
    }
    fprintf(stderr, "pipehost demo: unknown use case '%s' (clickstream, iot or chat)\n",
            argv[optind]);
    return EXIT_USAGE;
}
