/* `pipehost broker`: the embedded broker as a standalone process. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/broker_control.h"
#include "cli/commands.h"
#include "kafka/embedded_broker.h"
#include "services/log.h"

static const char broker_usage[] =
    "usage: pipehost broker [--brokers N] [--topic NAME[:PARTITIONS]]... [--partitions N]\n"
    "                       [--control]\n"
    "\n"
    "Run a Kafka-protocol broker (librdkafka's mock cluster) on 127.0.0.1 until\n"
    "SIGINT or SIGTERM. The first line of stdout is the bootstrap list, for\n"
    "bootstrap.servers, kcat -b or KAFKA_BROKERS. Data lives in memory only, and\n"
    "each partition keeps at most 5 MiB. A topic a client asks for that was\n"
    "not created here is created with 4 partitions.\n"
    "\n"
    "  --brokers N        number of brokers (default 1), with ids 1 to N\n"
    "  --topic NAME[:P]   create topic NAME with P partitions (default --partitions)\n"
    "  --partitions N     partitions of --topic without :P (default 4)\n"
    "  --control          read fault-injection commands from stdin, one a line, and\n"
    "                     answer each on stdout with 'ok' or 'error: WHY'; the\n"
    "                     broker stops at the end of stdin as on SIGTERM. Commands:\n";

/* Parse a positive int in [1, max]. 0 or -1. */
static int parse_count(const char *text, int max, int *out)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || *end || value < 1 || value > max)
        return -1;
    *out = (int)value;
    return 0;
}

/* Run the command in line and answer it on stdout. */
static void answer(embedded_broker *broker, const char *line)
{
    char reply[512];
    if (broker_control_execute(broker, line, reply, sizeof(reply)) == 0)
        log_info("broker", "control: %s", line);
    else
        log_warn("broker", "control: %s: %s", line, reply);
    printf("%s\n", reply);
    fflush(stdout);
}

/* Answer control commands from stdin until a stop signal or the end of
 * stdin. The stop signals are blocked and read from a signalfd, so that
 * one poll waits for both. 0, or 1 if stdin or the signalfd failed. */
static int serve_control(embedded_broker *broker, const sigset_t *stop_signals)
{
    int sfd = signalfd(-1, stop_signals, SFD_CLOEXEC);
    if (sfd < 0) {
        log_error("broker", "signalfd: %s", strerror(errno));
        return 1;
    }
    char line[512];
    size_t used = 0;
    int rc = 0, overlong = 0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("broker", "poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (fds[1].revents) {
            struct signalfd_siginfo info;
            if (read(sfd, &info, sizeof(info)) == (ssize_t)sizeof(info))
                log_info("broker", "stopping on signal %u", info.ssi_signo);
            break;
        }
        if (!fds[0].revents)
            continue;
        ssize_t n = read(STDIN_FILENO, line + used, sizeof(line) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_info("broker", "stopping at the end of the control input");
            break;
        }
        used += (size_t)n;
        line[used] = '\0';
        char *start = line, *newline;
        while ((newline = strchr(start, '\n')) != NULL) {
            *newline = '\0';
            if (overlong) {
                overlong = 0; /* the end of a line already refused */
            } else {
                answer(broker, start);
            }
            start = newline + 1;
        }
        used = strlen(start);
        memmove(line, start, used + 1);
        if (used == sizeof(line) - 1) {
            if (!overlong) {
                printf("error: command longer than %zu bytes\n", sizeof(line) - 2);
                fflush(stdout);
            }
            overlong = 1;
            used = 0;
        }
    }
    close(sfd);
    return rc;
}

int broker_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"partitions", required_argument, NULL, 'p'},
        {"control", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int brokers = 1, default_partitions = 4, control = 0;
    char **topics = calloc((size_t)argc, sizeof(*topics));
    size_t topic_count = 0;
    int opt, rc = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            if (parse_count(optarg, 32, &brokers) != 0) {
                fprintf(stderr, "pipehost broker: --brokers: '%s' is not a number from 1 to 32\n", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case 't':
            topics[topic_count++] = optarg;
            break;
        case 'p':
            if (parse_count(optarg, 10000, &default_partitions) != 0) {
                fprintf(stderr, "pipehost broker: --partitions: '%s' is not a number from 1 to 10000\n", optarg);
                rc = EXIT_USAGE;
            }
            break;
        case 'c':
            control = 1;
            break;
        case 'h':
            fputs(broker_usage, stdout);
            fputs(broker_control_usage, stdout);
            free(topics);
            return 0;
        default:
            rc = EXIT_USAGE;
        }
    }
    if (rc == 0 && optind != argc) {
        fprintf(stderr, "pipehost broker: unexpected argument '%s'\n", argv[optind]);
        rc = EXIT_USAGE;
    }
    if (rc != 0) {
        fputs(broker_usage, stderr);
        fputs(broker_control_usage, stderr);
        free(topics);
        return rc;
    }

    /* Block the stop signals before any thread starts, then wait for one. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    embedded_broker *broker = embedded_broker_start(brokers, err, sizeof(err));
    if (!broker) {
        fprintf(stderr, "pipehost broker: %s\n", err);
        free(topics);
        return 1;
    }
    for (size_t i = 0; i < topic_count; i++) {
        char *name = topics[i];
        int partitions = default_partitions;
        char *colon = strrchr(name, ':');
        if (colon) {
            *colon = '\0';
            if (parse_count(colon + 1, 10000, &partitions) != 0 || !*name) {
                fprintf(stderr, "pipehost broker: --topic '%s:%s': expected NAME[:PARTITIONS]\n",
                        name, colon + 1);
                rc = EXIT_USAGE;
                break;
            }
        }
        if (embedded_broker_create_topic(broker, name, partitions, err, sizeof(err)) != 0) {
            fprintf(stderr, "pipehost broker: %s\n", err);
            rc = 1;
            break;
        }
        log_info("broker", "topic %s: %d partitions", name, partitions);
    }
    if (rc == 0) {
        printf("%s\n", embedded_broker_bootstraps(broker));
        fflush(stdout);
        log_info("broker", "serving on %s until SIGINT or SIGTERM%s",
                 embedded_broker_bootstraps(broker), control ? ", or the end of stdin" : "");
        if (control) {
            rc = serve_control(broker, &stop_signals);
        } else {
            int sig;
            sigwait(&stop_signals, &sig);
            log_info("broker", "stopping on signal %d", sig);
        }
    }
    embedded_broker_stop(broker);
    free(topics);
    return rc;
}
