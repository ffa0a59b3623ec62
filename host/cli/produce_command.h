/*
 * `pipehost produce`: write deterministic synthetic events, or the lines of
 * a file, to a Kafka topic. argv[0] is "produce".
 */
#ifndef PIPEHOST_CLI_PRODUCE_COMMAND_H
#define PIPEHOST_CLI_PRODUCE_COMMAND_H

/* 0 when every record was delivered, 1 on a Kafka failure, 2 on bad
 * arguments. */
int produce_command(int argc, char **argv);

#endif
