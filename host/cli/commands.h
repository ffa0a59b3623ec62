/*
 * The pipehost subcommands. Each takes argv with argv[0] the command's
 * name and returns the process exit code: 0 success, 1 failure at run
 * time, 2 bad usage or a bad pipeline/plugin.
 */
#ifndef PIPEHOST_CLI_COMMANDS_H
#define PIPEHOST_CLI_COMMANDS_H

enum { EXIT_USAGE = 2 };

int run_command(int argc, char **argv);
int validate_command(int argc, char **argv);
int broker_command(int argc, char **argv);
int test_plugin_command(int argc, char **argv);
int demo_command(int argc, char **argv);

#endif
