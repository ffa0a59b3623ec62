#include "cli/broker_control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>

const char broker_control_usage[] =
    "\n"
    "    down ID          take broker ID down: its connections close, new ones are\n"
    "                     refused\n"
    "    up ID            bring broker ID back\n"
    "    rtt ID MS        delay broker ID's responses by MS ms (0: no delay)\n"
    "    fail-requests API COUNT ERROR\n"
    "                     fail the next COUNT requests of API (Produce, Fetch,\n"
    "                     ListOffsets, Metadata, OffsetCommit, OffsetFetch,\n"
    "                     FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup,\n"
    "                     or the API's number), on every broker, with ERROR: a Kafka\n"
    "                     error name such as REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION\n"
    "                     or UNKNOWN, or its code; _TRANSPORT disconnects the client\n"
    "                     instead of answering\n";

#define MAX_WORDS 4
#define MAX_FAILED_REQUESTS 1000000

static const struct {
    const char *name;
    int key;
} api_names[] = {
    {"Produce", 0},       {"Fetch", 1},          {"ListOffsets", 2},
    {"Metadata", 3},      {"OffsetCommit", 8},   {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},  {"Heartbeat", 12},
    {"LeaveGroup", 13},   {"SyncGroup", 14},     {"DescribeGroups", 15},
    {"ListGroups", 16},   {"ApiVersions", 18},   {"InitProducerId", 22},
};

/* A whole decimal number in [min, max]. 0 or -1. */
static int parse_int(const char *text, long min, long max, int *out)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || *end || value < min || value > max)
        return -1;
    *out = (int)value;
    return 0;
}

static int parse_api(const char *text, int *key)
{
    for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
        if (strcasecmp(text, api_names[i].name) == 0) {
            *key = api_names[i].key;
            return 0;
        }
    }
    return parse_int(text, 0, 100, key);
}

/* A Kafka error by librdkafka's name for it (REQUEST_TIMED_OUT, _TRANSPORT)
 * or by its code. */
static int parse_error(const char *text, int *code)
{
    const struct rd_kafka_err_desc *descs;
    size_t count;
    rd_kafka_get_err_descs(&descs, &count);
    for (size_t i = 0; i < count; i++) {
        if (descs[i].name && strcasecmp(text, descs[i].name) == 0) {
            *code = descs[i].code;
            return 0;
        }
    }
    return parse_int(text, -200, 200, code);
}

static int reply_error(char *reply, size_t reply_size, const char *fmt, const char *word)
{
    int n = snprintf(reply, reply_size, "error: ");
    snprintf(reply + n, reply_size - (size_t)n, fmt, word);
    return -1;
}

int broker_control_execute(embedded_broker *broker, const char *line, char *reply,
                           size_t reply_size)
{
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", line);
    char *words[MAX_WORDS + 1];
    size_t count = 0;
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (count == MAX_WORDS + 1)
            break;
        words[count++] = w;
    }
    if (count == 0)
        return reply_error(reply, reply_size, "%s", "empty command");
    const char *command = words[0];
    int id, value, api, error;
    if ((strcmp(command, "down") == 0 || strcmp(command, "up") == 0) && count == 2) {
        if (parse_int(words[1], 1, 1000, &id) != 0 ||
            embedded_broker_set_up(broker, id, command[0] == 'u') != 0)
            return reply_error(reply, reply_size, "no broker '%s'", words[1]);
    } else if (strcmp(command, "rtt") == 0 && count == 3) {
        if (parse_int(words[2], 0, 600000, &value) != 0)
            return reply_error(reply, reply_size, "rtt: '%s' is not milliseconds from 0 to 600000",
                               words[2]);
        if (parse_int(words[1], 1, 1000, &id) != 0 ||
            embedded_broker_set_rtt(broker, id, value) != 0)
            return reply_error(reply, reply_size, "no broker '%s'", words[1]);
    } else if (strcmp(command, "fail-requests") == 0 && count == 4) {
        if (parse_api(words[1], &api) != 0)
            return reply_error(reply, reply_size, "fail-requests: unknown API '%s'", words[1]);
        if (parse_int(words[2], 1, MAX_FAILED_REQUESTS, &value) != 0)
            return reply_error(reply, reply_size,
                               "fail-requests: '%s' is not a count from 1 to 1000000", words[2]);
        if (parse_error(words[3], &error) != 0)
            return reply_error(reply, reply_size, "fail-requests: unknown error '%s'", words[3]);
        if (embedded_broker_fail_requests(broker, api, value, error) != 0)
            return reply_error(reply, reply_size, "%s", "out of memory");
    } else {
        return reply_error(reply, reply_size, "cannot run '%s': expected down ID, up ID, "
                                              "rtt ID MS or fail-requests API COUNT ERROR",
                           command);
    }
    snprintf(reply, reply_size, "ok");
    return 0;
}
