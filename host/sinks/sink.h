/*
 * Built-in sinks, shared by every task of a pipeline: stdout, file and
 * Kafka. Each is safe to write from several workers at once. flush makes
 * everything written so far durable (file: written and fsync'd; Kafka:
 * delivered) and reports whether anything failed since the last flush.
 */
#ifndef PIPEHOST_SINKS_SINK_H
#define PIPEHOST_SINKS_SINK_H

#include <stddef.h>

#include "config/pipeline_config.h"
#include "kafka/producer.h"
#include "pipehost/plugin.h"

typedef struct sink sink;

typedef struct sink_ops {
    int (*write)(sink *s, const ph_record *records, size_t count);
    int (*flush)(sink *s);
    void (*destroy)(sink *s);
} sink_ops;

struct sink {
    const sink_ops *ops;
    char description[256]; /* for logs: "file out/views.jsonl" */
};

/* One line per record: its value then "\n", written out batch by batch
 * and fsync'd at flush. stdout is the same sink on fd 1 without fsync.
 * NULL with err set. */
sink *file_sink_open(const char *path, char *err, size_t err_size);
sink *stdout_sink_open(char *err, size_t err_size);

/* Produce each record with its key to topic, through the shared producer. */
sink *kafka_sink_open(producer *shared, const char *topic, char *err, size_t err_size);

static inline int sink_write(sink *s, const ph_record *records, size_t count)
{
    return s->ops->write(s, records, count);
}

static inline int sink_flush(sink *s) { return s->ops->flush(s); }
static inline void sink_destroy(sink *s) { s->ops->destroy(s); }

#endif
