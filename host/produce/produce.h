#ifndef PIPEHOST_PRODUCE_PRODUCE_H
#define PIPEHOST_PRODUCE_PRODUCE_H

#include <stdint.h>
#include <stdio.h>

/*
 * `pipehost produce`: write synthetic events, or the lines of a file, to a
 * Kafka topic, and wait until every record is delivered.
 */
struct produce_options {
    const char *brokers;
    const char *topic;

    /* Synthetic events, when profile is set... */
    const char *profile;
    uint64_t count;
    uint64_t seed;
    double bad_ratio;
    int64_t start_ms;

    /* ...or one record per line of `lines`, keyed by the top-level field
     * key_field (NULL: no keys). lines_name names it in messages. */
    FILE *lines;
    const char *lines_name;
    const char *key_field;

    double rate;    /* records per second; 0: as fast as the broker takes them */
    int partitions; /* create the topic with this many partitions if missing; 0: don't */
};

/* 0 when every record was delivered, else 1; says why on stderr. */
int produce_run(const struct produce_options *options);

#endif
