/* pipehost: a Kafka pipeline host with C plugins. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/plugins_command.h"
#include "cli/produce_command.h"
#include "pipehost/plugin.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"demo", demo_command, "run a use case end to end against the embedded broker"},
    {"run", run_command, "run a pipeline file"},
    {"validate", validate_command, "check a pipeline file, its plugins and their configs"},
    {"plugins", plugins_command, "list the plugins found, or describe one's config"},
    {"broker", broker_command, "run the embedded Kafka-protocol broker standalone"},
    {"produce", produce_command, "write synthetic events (or a JSON-lines file) to a topic"},
    {"test-plugin", test_plugin_command, "run one plugin on JSON lines against a fake host"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: pipehost COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'pipehost COMMAND --help' describes a command. 'pipehost --version'.\n");
    fprintf(out, "\nexit codes:\n"
                 "  0    success (run: stopped cleanly, everything committed)\n"
                 "  1    a failure at run time: a stage, sink or Kafka failed (nothing after\n"
                 "       it was committed), or a stop took over 10 s\n"
                 "  2    a bad pipeline file, plugin or argument (nothing was started)\n"
                 "  130  a second SIGINT/SIGTERM: exited at once, without the last commit\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("pipehost %s (plugin ABI %d.%d)\n", PIPEHOST_VERSION, PH_ABI_MAJOR, PH_ABI_MINOR);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "pipehost: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
