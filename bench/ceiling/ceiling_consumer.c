/*
 * The benchmark's ceiling: a consumer that joins a group, batch-consumes a
 * topic with librdkafka and does nothing with the records but count them.
 * No consumer built on librdkafka can catch up a backlog faster on the
 * same machine, so it bounds what pipehost could reach.
 *
 * It stops when it has counted --expect records and prints one JSON line,
 * {"records": N, "seconds": S}, S running from the return of the first
 * batch that held a record to the moment the last one was counted: the
 * definition pipehost's own "records/s" line uses.
 *
 * With --follow FILE it is instead the floor of the latency runs: it
 * appends each record's value to FILE as a line as soon as it is consumed,
 * until SIGTERM or SIGINT, so the time from produce to that line is what
 * the broker and librdkafka cost before any pipeline does anything.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define BATCH_SIZE 1000
#define IDLE_WAIT_MS 100 /* how long to wait for a record when none is queued */
#define MAX_PROPERTIES 64

static const char usage[] =
    "usage: bench_ceiling --brokers B --topic T --group G --expect N\n"
    "                     [--timeout SECONDS] [-X PROPERTY=VALUE]...\n"
    "       bench_ceiling --brokers B --topic T --group G --follow FILE\n"
    "                     [--timeout SECONDS] [-X PROPERTY=VALUE]...\n"
    "\n"
    "Consume topic T from the earliest offset as a member of the new group G,\n"
    "count N records without looking at them, print {\"records\": N, \"seconds\": S}\n"
    "and exit 0. Exit 1 when N records did not come within the timeout\n"
    "(default 300 s) or Kafka failed, 2 on bad arguments. -X sets a librdkafka\n"
    "consumer property. Each partition assigned is logged to stderr as\n"
    "\"assigned T[P]\".\n"
    "\n"
    "--follow FILE: append every record's value to FILE as a line as soon as it\n"
    "is consumed, until SIGTERM or SIGINT (exit 0) or the timeout (exit 1).\n";

static volatile sig_atomic_t stop_requested;

static void request_stop(int signo)
{
    (void)signo;
    stop_requested = 1;
}

struct options {
    const char *brokers;
    const char *topic;
    const char *group;
    long long expect;
    const char *follow; /* the file to append records to, or NULL */
    double timeout_seconds;
    const char *properties[MAX_PROPERTIES]; /* "name=value" */
    int property_count;
};

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
    static const struct option long_options[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'g'},
        {"expect", required_argument, NULL, 'n'},
        {"follow", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int opt;

    opts->timeout_seconds = 300;
    while ((opt = getopt_long(argc, argv, "X:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            opts->brokers = optarg;
            break;
        case 't':
            opts->topic = optarg;
            break;
        case 'g':
            opts->group = optarg;
            break;
        case 'n':
            errno = 0;
            opts->expect = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || opts->expect < 1) {
                fprintf(stderr, "bench_ceiling: --expect: '%s' is not a positive count\n", optarg);
                return -1;
            }
            break;
        case 'f':
            opts->follow = optarg;
            break;
        case 'w':
            opts->timeout_seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(opts->timeout_seconds > 0)) {
                fprintf(stderr, "bench_ceiling: --timeout: '%s' is not a positive number\n", optarg);
                return -1;
            }
            break;
        case 'X':
            if (!strchr(optarg, '=') || opts->property_count == MAX_PROPERTIES) {
                fprintf(stderr, "bench_ceiling: -X '%s': expected PROPERTY=VALUE (at most %d)\n",
                        optarg, MAX_PROPERTIES);
                return -1;
            }
            opts->properties[opts->property_count++] = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (optind != argc || !opts->brokers || !opts->topic || !opts->group ||
        !opts->expect == !opts->follow) {
        fprintf(stderr, "bench_ceiling: --brokers, --topic, --group and one of --expect and "
                        "--follow are required\n");
        return -1;
    }
    return 0;
}

static int set_property(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char reason[512];

    if (rd_kafka_conf_set(conf, name, value, reason, sizeof(reason)) == RD_KAFKA_CONF_OK)
        return 0;
    fprintf(stderr, "bench_ceiling: property %s: %s\n", name, reason);
    return -1;
}

/* Log each assigned partition, then take the assignment (the eager
 * protocol of librdkafka's default assignors). */
static void on_rebalance(rd_kafka_t *consumer, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < partitions->cnt; i++)
            fprintf(stderr, "assigned %s[%d]\n", partitions->elems[i].topic,
                    (int)partitions->elems[i].partition);
        rd_kafka_assign(consumer, partitions);
    } else {
        rd_kafka_assign(consumer, NULL);
    }
}

static rd_kafka_t *create_consumer(const struct options *opts)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char reason[512];
    rd_kafka_t *consumer;

    if (set_property(conf, "bootstrap.servers", opts->brokers) != 0 ||
        set_property(conf, "group.id", opts->group) != 0 ||
        set_property(conf, "auto.offset.reset", "earliest") != 0)
        goto failed;
    for (int i = 0; i < opts->property_count; i++) {
        char name[256];
        const char *equals = strchr(opts->properties[i], '=');
        size_t length = (size_t)(equals - opts->properties[i]);

        if (length >= sizeof(name)) {
            fprintf(stderr, "bench_ceiling: property name too long: %s\n", opts->properties[i]);
            goto failed;
        }
        memcpy(name, opts->properties[i], length);
        name[length] = '\0';
        if (set_property(conf, name, equals + 1) != 0)
            goto failed;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    /* On success rd_kafka_new owns conf. */
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof(reason));
    if (consumer)
        return consumer;
    fprintf(stderr, "bench_ceiling: %s\n", reason);
failed:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static int subscribe(rd_kafka_t *consumer, const char *topic)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t err;

    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "bench_ceiling: subscribe %s: %s\n", topic, rd_kafka_err2str(err));
        return -1;
    }
    /* Rebalances and errors then come through the consumer queue that
     * the batch call serves. */
    rd_kafka_poll_set_consumer(consumer);
    return 0;
}

/* Whatever is queued, up to a batch, without waiting; when nothing is, one
 * record within IDLE_WAIT_MS. (A batch call with a timeout would wait for
 * a full batch.) The count taken, or -1. */
static ssize_t next_batch(rd_kafka_queue_t *queue, rd_kafka_message_t **batch)
{
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch, BATCH_SIZE);

    if (n == 0) {
        batch[0] = rd_kafka_consume_queue(queue, IDLE_WAIT_MS);
        n = batch[0] != NULL;
    }
    return n;
}

/* Append the batch's records to `out` as lines, and flush them out. */
static int write_records(FILE *out, rd_kafka_message_t **batch, ssize_t n)
{
    for (ssize_t i = 0; i < n; i++) {
        if (batch[i]->err)
            continue;
        if (fwrite(batch[i]->payload, 1, batch[i]->len, out) != batch[i]->len ||
            putc('\n', out) == EOF)
            return -1;
    }
    return fflush(out);
}

/* Consume until `expect` records were counted, or with --follow until a
 * stop signal; 0, or -1 on timeout or a failure. */
static int consume(rd_kafka_t *consumer, const struct options *opts, FILE *follow,
                   long long *counted, double *seconds)
{
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(consumer);
    rd_kafka_message_t *batch[BATCH_SIZE];
    double deadline = monotonic_seconds() + opts->timeout_seconds;
    double first = 0, last = 0;
    long long count = 0;
    int rc = 0;

    while (follow ? !stop_requested : count < opts->expect) {
        if (monotonic_seconds() > deadline) {
            fprintf(stderr, "bench_ceiling: timed out with %lld records\n", count);
            rc = -1;
            break;
        }
        ssize_t n = next_batch(queue, batch);
        if (n < 0) {
            fprintf(stderr, "bench_ceiling: consume: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            rc = -1;
            break;
        }
        if (n > 0 && first == 0)
            first = monotonic_seconds();
        if (follow && write_records(follow, batch, n) != 0) {
            fprintf(stderr, "bench_ceiling: --follow: %s\n", strerror(errno));
            rc = -1;
        }
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *message = batch[i];

            if (!message->err)
                count++;
            else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "bench_ceiling: %s\n", rd_kafka_message_errstr(message));
            rd_kafka_message_destroy(message);
        }
        if (n > 0)
            last = monotonic_seconds();
        char reason[512];
        if (rd_kafka_fatal_error(consumer, reason, sizeof(reason))) {
            fprintf(stderr, "bench_ceiling: fatal: %s\n", reason);
            rc = -1;
        }
        if (rc != 0)
            break;
    }
    rd_kafka_queue_destroy(queue);
    *counted = count;
    *seconds = last - first;
    return rc;
}

int main(int argc, char **argv)
{
    struct options opts = {0};
    struct sigaction stop = {.sa_handler = request_stop};
    rd_kafka_t *consumer;
    FILE *follow = NULL;
    long long counted = 0;
    double seconds = 0;
    int rc;

    if (parse_options(argc, argv, &opts) != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (opts.follow && !(follow = fopen(opts.follow, "a"))) {
        fprintf(stderr, "bench_ceiling: %s: %s\n", opts.follow, strerror(errno));
        return 1;
    }
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    consumer = create_consumer(&opts);
    if (!consumer) {
        if (follow)
            fclose(follow);
        return 2;
    }
    rc = subscribe(consumer, opts.topic) == 0
             ? consume(consumer, &opts, follow, &counted, &seconds)
             : -1;
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    if (follow && fclose(follow) != 0)
        rc = -1;
    if (rc != 0)
        return 1;
    printf("{\"records\": %lld, \"seconds\": %.6f}\n", counted, seconds);
    return 0;
}
