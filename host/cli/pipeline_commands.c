/* `pipehost run` and `pipehost validate`: the two commands on a pipeline file. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/pipeline_loading.h"
#include "config/pipeline_config.h"
#include "metrics/http_server.h"
#include "metrics/pipeline_metrics.h"
#include "metrics/stall_watchdog.h"
#include "metrics/status_line.h"
#include "runtime/pipeline.h"
#include "runtime/pipeline_plan.h"
#include "services/listen_address.h"
#include "services/log.h"
#include "services/secret_redact.h"

static const char run_usage[] =
    "usage: pipehost run PIPELINE.yaml [--exit-at-end] [--log-level LEVEL] [--log-format text|json]\n"
    "\n"
    "Consume the pipeline's topics and run every record through its processors\n"
    "to its sinks, until SIGINT or SIGTERM: then flush, commit and exit 0. A\n"
    "second signal, or a stop that takes over 10 s, exits at once without the\n"
    "last commit (exit 130 or 1): a restart replays from the commit before.\n"
    "SIGHUP, or with `watch: true` a change of the file or of one of its plugins,\n"
    "reloads the file: checked first (a bad edit is logged and changes nothing),\n"
    "then taken in at the next flush boundary.\n"
    "\n"
    "  --exit-at-end        stop once every assigned partition is consumed up to\n"
    "                       the end it had when assigned: flush, commit, exit 0\n"
    "  --log-level LEVEL    error, warn, info (default) or debug\n"
    "  --log-format FORMAT  text (default) or json: one object per line with\n"
    "                       time, level, scope, message and the event's fields\n"
    "\n"
    "On a terminal, stderr shows a live status line: records/s, lag and\n"
    "dead-lettered records (with --exit-at-end, progress towards the end).\n"
    "With `http: {listen: 127.0.0.1:9464}` in the pipeline file, /metrics\n"
    "(Prometheus), /health and /ready are served there; `stall_after` (default\n"
    "60s) is how long a partition may hold records without progress before it\n"
    "is reported stalled.\n"
    "\n"
    "Exit codes: 0 stopped cleanly, 1 failed at run time (nothing after the\n"
    "failure was committed), 2 bad pipeline file, plugin or arguments, 130 a\n"
    "second signal (exited at once, uncommitted).\n";

static const char validate_usage[] =
    "usage: pipehost validate PIPELINE.yaml\n"
    "\n"
    "Check a pipeline file completely without connecting to Kafka: the YAML,\n"
    "${VAR} references, every plugin (found, loaded, ABI checked) and its\n"
    "config against the plugin's schema, and the Kafka properties.\n"
    "Errors are printed as FILE:LINE:COL: message. Exit 0 if valid, 2 if not.\n";

typedef struct loaded_pipeline {
    pipeline_config *config;
    pipeline_plan *plan;
} loaded_pipeline;

static int load_pipeline(const char *path, loaded_pipeline *out)
{
    config_error err;
    if (pipeline_load_checked(path, &out->config, &out->plan, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        return -1;
    }
    return 0;
}

static void unload_pipeline(loaded_pipeline *p)
{
    pipeline_plan_free(p->plan);
    pipeline_config_free(p->config);
}

/* How long a stop may take: flushing, committing and leaving the group. */
#define STOP_DEADLINE_SECONDS 10

static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t status_line_shown; /* a status line may be on stderr */

static void say(const char *msg, size_t len)
{
    static const char wipe[] = "\r\033[K"; /* the status line, if any */
    ssize_t ignored = status_line_shown ? write(STDERR_FILENO, wipe, sizeof(wipe) - 1) : 0;
    ignored = write(STDERR_FILENO, msg, len);
    (void)ignored;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    if (signals_seen++ > 0) {
        static const char msg[] = "pipehost: second signal: exiting at once, uncommitted\n";
        say(msg, sizeof(msg) - 1);
        _exit(130);
    }
    pipeline_request_stop();
    alarm(STOP_DEADLINE_SECONDS);
}

/* Reload the pipeline file (runtime/reload.c says how). */
static void on_reload_signal(int sig)
{
    (void)sig;
    pipeline_request_reload();
}

/* The stop took too long (a sink or the broker hangs): exit without the
 * commit; a restart replays from the last one. */
static void on_stop_deadline(int sig)
{
    (void)sig;
    static const char msg[] = "pipehost: could not stop within 10 s: exiting uncommitted\n";
    say(msg, sizeof(msg) - 1);
    _exit(1);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_stop_deadline;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_reload_signal;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* What watches a run: its metrics, the HTTP endpoint, the stall
 * watchdog and the terminal status line. */
typedef struct run_observers {
    pipeline_metrics *metrics;
    http_server *http;
    stall_watchdog *watchdog;
    status_line *status;
} run_observers;

static void stop_observers(run_observers *o)
{
    status_line_stop(o->status);
    stall_watchdog_stop(o->watchdog);
    http_server_stop(o->http);
    pipeline_metrics_free(o->metrics);
}

static int start_observers(const pipeline_config *config, int exit_at_end, run_observers *o)
{
    memset(o, 0, sizeof(*o));
    if (!(o->metrics = pipeline_metrics_create())) {
        log_error("metrics", "out of memory");
        return -1;
    }
    if (config->http_listen) {
        listen_address address;
        char err[256] = "http.listen is not HOST:PORT", where[80];
        if (listen_address_parse(config->http_listen, &address) != 0 ||
            !(o->http = http_server_start(&address, o->metrics, err, sizeof(err)))) {
            log_error("http", "%s", err);
            stop_observers(o);
            return -1;
        }
        listen_address_format(&address, http_server_port(o->http), where, sizeof(where));
        log_info("http", "serving /metrics, /health and /ready on http://%s", where);
        if (!listen_address_is_loopback(&address))
            log_warn("http", "%s is reachable from other machines, and the endpoint asks for "
                             "no credentials", where);
    }
    o->watchdog = stall_watchdog_start(o->metrics, config->stall_after_ms);
    if (isatty(STDERR_FILENO)) {
        o->status = status_line_start(o->metrics, exit_at_end);
        status_line_shown = o->status != NULL;
    }
    return 0;
}

int run_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"exit-at-end", no_argument, NULL, 'e'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pipeline_run_options run_options = {.reload_loader = pipeline_load_checked,
                                        .owns_pipeline = 1};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'e':
            run_options.exit_at_end = 1;
            break;
        case 'l': {
            ph_log_level level;
            if (log_level_parse(optarg, &level) != 0) {
                fprintf(stderr, "pipehost run: --log-level: '%s' is not one of error, warn, info, debug\n", optarg);
                return EXIT_USAGE;
            }
            log_set_level(level);
            break;
        }
        case 'f':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "pipehost run: --log-format: '%s' is not text or json\n", optarg);
                return EXIT_USAGE;
            }
            log_set_json(strcmp(optarg, "json") == 0);
            break;
        case 'h':
            fputs(run_usage, stdout);
            return 0;
        default:
            fputs(run_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(run_usage, stderr);
        return EXIT_USAGE;
    }
    loaded_pipeline pipeline;
    if (load_pipeline(argv[optind], &pipeline) != 0)
        return EXIT_USAGE;
    run_observers observers;
    if (start_observers(pipeline.config, run_options.exit_at_end, &observers) != 0) {
        unload_pipeline(&pipeline);
        return PIPELINE_EXIT_FAILED;
    }
    run_options.metrics = observers.metrics;
    install_signal_handlers();
    /* The run frees the pipeline (a reload may replace it). */
    int rc = pipeline_run(pipeline.config, pipeline.plan, &run_options);
    stop_observers(&observers);
    status_line_shown = 0;
    return rc;
}

int validate_command(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(validate_usage, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(validate_usage, stderr);
        return EXIT_USAGE;
    }
    loaded_pipeline pipeline;
    if (load_pipeline(argv[1], &pipeline) != 0)
        return EXIT_USAGE;
    /* The summary names the topics: a ${secret:...} one reads [redacted]. */
    char summary[4096];
    size_t used = (size_t)snprintf(summary, sizeof(summary),
                                   "pipeline '%s': %zu processors, %zu sinks, topics:",
                                   pipeline.config->name, pipeline.config->processor_count,
                                   pipeline.config->sink_count);
    for (size_t i = 0; i < pipeline.config->topic_count && used < sizeof(summary); i++)
        used += (size_t)snprintf(summary + used, sizeof(summary) - used, " %s",
                                 pipeline.config->topics[i]);
    secret_redact(summary, sizeof(summary));
    printf("%s: ok (%s)\n", argv[1], summary);
    unload_pipeline(&pipeline);
    return 0;
}
