/*
 * Reading librdkafka's statistics (the JSON handed to the stats callback
 * every statistics.interval.ms): per topic and partition, the consumer
 * lag, the committed offset and the watermarks. librdkafka's internal
 * partition -1 is left out; a value librdkafka does not know is -1.
 */
#ifndef PIPEHOST_METRICS_KAFKA_STATISTICS_H
#define PIPEHOST_METRICS_KAFKA_STATISTICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct kafka_partition_statistics {
    char *topic;
    int32_t partition;
    int64_t consumer_lag;     /* high watermark - committed offset */
    int64_t committed_offset; /* the group's committed offset */
    int64_t low_offset;
    int64_t high_offset;
} kafka_partition_statistics;

typedef struct kafka_statistics {
    kafka_partition_statistics *partitions;
    size_t count;
} kafka_statistics;

/* Parse json (json_len bytes, not necessarily NUL-terminated). 0, or -1
 * with a reason in err when it is not librdkafka's statistics object. */
int kafka_statistics_read(const char *json, size_t json_len, kafka_statistics *out, char *err,
                          size_t err_size);

void kafka_statistics_free(kafka_statistics *statistics);

#endif
