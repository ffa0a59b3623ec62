/* `pipehost produce`: argument parsing; the work is in produce/. */
#include "cli/produce_command.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "produce/event_generator.h"
#include "produce/produce.h"
#include "services/event_time.h"

#define DEFAULT_START_TIME "2022-01-01T00:00:00Z"
#define DEFAULT_SEED 1

static const char produce_usage[] =
    "usage: pipehost produce --profile clickstream|iot|chat --brokers B --topic T --count N\n"
    "                        [--rate PER_SECOND] [--seed S] [--bad-ratio F]\n"
    "                        [--start-time ISO] [--partitions P]\n"
    "       pipehost produce --from-file FILE [--key-field F] --brokers B --topic T\n"
    "                        [--rate PER_SECOND] [--partitions P]\n"
    "\n"
    "Write synthetic events, or the lines of a file, to a Kafka topic and wait\n"
    "until the broker has every record. The same profile, seed, bad ratio and\n"
    "start time give byte-identical records on any machine.\n"
    "\n"
    "  --profile NAME      clickstream: shop page views, carts, purchases, ratings\n"
    "                        (key: userid); iot: sensor readings with threshold\n"
    "                        episodes (key: device_id); chat: support conversations\n"
    "                        (key: conversation_id)\n"
    "  --count N           number of records to write\n"
    "  --seed S            random seed, an unsigned integer (default 1)\n"
    "  --bad-ratio F       share of records, 0 to 1, replaced by ones the profile's\n"
    "                        plugin rejects: not JSON, not an object, empty, invalid\n"
    "                        UTF-8, a required field missing, a wrong type or value,\n"
    "                        late (minutes behind the watermark) and, for chat, a close\n"
    "                        of a conversation never opened. Good records are out of\n"
    "                        order only within 10 s; \"bad\" in the summary counts every\n"
    "                        record the plugin will reject (default 0)\n"
    "  --start-time ISO    event time of the first record (default " DEFAULT_START_TIME ")\n"
    "  --from-file FILE    one record per line, written as is ('-': standard input)\n"
    "  --key-field F       with --from-file: key each line by its top-level field F\n"
    "                        (a string, or a number as text); no key where absent\n"
    "  --brokers B         bootstrap servers (default: $KAFKA_BROKERS)\n"
    "  --topic T           topic to write to\n"
    "  --rate R            at most R records per second (default: as fast as possible)\n"
    "  --partitions P      create the topic with P partitions if it does not exist\n"
    "  --help              this text\n"
    "\n"
    "Exit status: 0 when every record was delivered, 1 on a Kafka failure, 2 on\n"
    "bad arguments. A summary line goes to stderr.\n";

enum produce_option {
    OPT_PROFILE = 256,
    OPT_BROKERS,
    OPT_TOPIC,
    OPT_COUNT,
    OPT_RATE,
    OPT_SEED,
    OPT_BAD_RATIO,
    OPT_START_TIME,
    OPT_PARTITIONS,
    OPT_FROM_FILE,
    OPT_KEY_FIELD,
    OPT_HELP,
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list args;

    fputs("pipehost produce: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("\n(see 'pipehost produce --help')\n", stderr);
    return EXIT_USAGE;
}

/* A whole unsigned decimal number: no sign, no trailing text. */
static bool parse_unsigned(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long value;

    if (text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max)
        return false;
    *out = value;
    return true;
}

static bool parse_real(const char *text, double min, double max, double *out)
{
    char *end;
    double value;

    errno = 0;
    value = strtod(text, &end);
    /* The comparisons are false for NaN. */
    if (end == text || *end != '\0' || errno != 0 || !(value >= min && value <= max))
        return false;
    *out = value;
    return true;
}

int produce_command(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "brokers", required_argument, NULL, OPT_BROKERS },
        { "topic", required_argument, NULL, OPT_TOPIC },
        { "count", required_argument, NULL, OPT_COUNT },
        { "rate", required_argument, NULL, OPT_RATE },
        { "seed", required_argument, NULL, OPT_SEED },
        { "bad-ratio", required_argument, NULL, OPT_BAD_RATIO },
        { "start-time", required_argument, NULL, OPT_START_TIME },
        { "partitions", required_argument, NULL, OPT_PARTITIONS },
        { "from-file", required_argument, NULL, OPT_FROM_FILE },
        { "key-field", required_argument, NULL, OPT_KEY_FIELD },
        { "help", no_argument, NULL, OPT_HELP },
        { NULL, 0, NULL, 0 },
    };
    struct produce_options options = { .seed = DEFAULT_SEED };
    const char *from_file = NULL, *start_time = NULL, *generator_option = NULL;
    bool have_count = false;
    uint64_t number;
    int opt, rc;

    options.brokers = getenv("KAFKA_BROKERS");
    opterr = 0; /* messages below say which option and why */
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_PROFILE:
            if (!event_generator_has_profile(optarg))
                return usage_error("--profile: unknown profile '%s' (clickstream, iot or chat)",
                                   optarg);
            options.profile = optarg;
            break;
        case OPT_BROKERS:
            options.brokers = optarg;
            break;
        case OPT_TOPIC:
            options.topic = optarg;
            break;
        case OPT_COUNT:
            if (!parse_unsigned(optarg, UINT64_MAX, &options.count) || options.count == 0)
                return usage_error("--count: '%s' is not a positive whole number", optarg);
            have_count = true;
            generator_option = "--count";
            break;
        case OPT_RATE:
            if (!parse_real(optarg, 1e-9, 1e12, &options.rate) || options.rate <= 0)
                return usage_error("--rate: '%s' is not a positive number of records per second",
                                   optarg);
            break;
        case OPT_SEED:
            if (!parse_unsigned(optarg, UINT64_MAX, &options.seed))
                return usage_error("--seed: '%s' is not an unsigned whole number", optarg);
            generator_option = "--seed";
            break;
        case OPT_BAD_RATIO:
            if (!parse_real(optarg, 0, 1, &options.bad_ratio))
                return usage_error("--bad-ratio: '%s' is not a number from 0 to 1", optarg);
            generator_option = "--bad-ratio";
            break;
        case OPT_START_TIME:
            start_time = optarg;
            generator_option = "--start-time";
            break;
        case OPT_PARTITIONS:
            if (!parse_unsigned(optarg, 100000, &number) || number == 0)
                return usage_error("--partitions: '%s' is not a number from 1 to 100000", optarg);
            options.partitions = (int)number;
            break;
        case OPT_FROM_FILE:
            from_file = optarg;
            break;
        case OPT_KEY_FIELD:
            if (optarg[0] == '\0')
                return usage_error("--key-field: the field name is empty");
            options.key_field = optarg;
            break;
        case OPT_HELP:
            fputs(produce_usage, stdout);
            return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);

    if ((options.profile == NULL) == (from_file == NULL))
        return usage_error("give either --profile or --from-file");
    if (options.brokers == NULL || options.brokers[0] == '\0')
        return usage_error("--brokers is required (or set KAFKA_BROKERS)");
    if (options.topic == NULL || options.topic[0] == '\0')
        return usage_error("--topic is required");
    if (options.profile != NULL) {
        if (!have_count)
            return usage_error("--count is required with --profile");
        if (options.key_field != NULL)
            return usage_error("--key-field goes with --from-file; %s records have their own key",
                               options.profile);
        if (start_time == NULL)
            start_time = DEFAULT_START_TIME;
        if (event_time_parse_text(start_time, strlen(start_time), &options.start_ms) != 0)
            return usage_error("--start-time: '%s' is not an ISO-8601 time "
                               "(like 2022-01-01T00:00:00Z)", start_time);
        return produce_run(&options);
    }

    if (generator_option != NULL)
        return usage_error("%s goes with --profile, not --from-file", generator_option);
    options.lines_name = from_file;
    options.lines = strcmp(from_file, "-") == 0 ? stdin : fopen(from_file, "r");
    if (options.lines == NULL) {
        fprintf(stderr, "pipehost produce: --from-file: %s: %s\n", from_file, strerror(errno));
        return EXIT_USAGE;
    }
    rc = produce_run(&options);
    if (options.lines != stdin)
        fclose(options.lines);
    return rc;
}
