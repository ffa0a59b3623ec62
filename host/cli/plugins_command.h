/*
 * `pipehost plugins`: list the plugins this pipehost finds, or describe
 * one with its configuration schema. argv[0] is "plugins".
 */
#ifndef PIPEHOST_CLI_PLUGINS_COMMAND_H
#define PIPEHOST_CLI_PLUGINS_COMMAND_H

/* Returns the exit status (see the command's --help). */
int plugins_command(int argc, char **argv);

#endif
