/*
 * Built-in sinks, shared by every task of a pipeline: stdout, file and
 * Kafka. Each is safe to write from several workers at once. flush makes
 * everything written so far durable (file: written and fsync'd; Kafka:
 * delivered). A sink keeps what it could not make durable through a
 * transient failure (a full disk, an I/O error, a Kafka outage) and tries
 * it again at the next flush, so the caller retries flushes with backoff
 * and commits only after one returns SINK_OK.
 */
#ifndef PIPEHOST_SINKS_SINK_H
#define PIPEHOST_SINKS_SINK_H

#include <stddef.h>

#include "config/pipeline_config.h"
#include "kafka/producer.h"
#include "pipehost/plugin.h"

typedef struct sink sink;

typedef enum sink_outcome {
    SINK_OK = 0,     /* written (write) or durable (flush) */
    SINK_RETRY = 1,  /* a transient failure: kept, tried again at the next flush */
    SINK_FAILED = -1 /* cannot succeed (a closed pipe, a record the topic refuses) */
} sink_outcome;

typedef struct sink_ops {
    sink_outcome (*write)(sink *s, const ph_record *records, size_t count);
    sink_outcome (*flush)(sink *s);
    void (*destroy)(sink *s);
} sink_ops;

struct sink {
    const sink_ops *ops;
    char description[256]; /* for logs: "file out/views.jsonl" */
};

/* One line per record: its value then "\n", written out batch by batch
 * and fsync'd at flush. stdout is the same sink on fd 1 without fsync.
 * The file has one writer: after a failed fsync it is cut back to its
 * size at the last good one and written again. NULL with err set. */
sink *file_sink_open(const char *path, char *err, size_t err_size);
sink *stdout_sink_open(char *err, size_t err_size);

/* Produce each record with its key to topic, through the shared producer
 * (which keeps and produces again what failed delivery). */
sink *kafka_sink_open(producer *shared, const char *topic, char *err, size_t err_size);

static inline sink_outcome sink_write(sink *s, const ph_record *records, size_t count)
{
    return s->ops->write(s, records, count);
}

static inline sink_outcome sink_flush(sink *s) { return s->ops->flush(s); }
static inline void sink_destroy(sink *s) { s->ops->destroy(s); }

#endif
