/* The Kafka sink: each record to a topic, keyed as emitted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sink.h"

/* How long a flush waits for delivery reports before it fails. */
#define KAFKA_SINK_FLUSH_TIMEOUT_MS 60000

typedef struct kafka_sink {
    sink base;
    producer *shared;
    char *topic;
} kafka_sink;

static sink_outcome kafka_sink_write(sink *s, const ph_record *records, size_t count)
{
    kafka_sink *k = (kafka_sink *)s;
    sink_outcome outcome = SINK_OK;
    for (size_t i = 0; i < count; i++) {
        /* Refused only when it can never be produced (too large). */
        if (producer_send(k->shared, k->topic, RD_KAFKA_PARTITION_UA, records[i].key,
                          records[i].key_len, records[i].value, records[i].value_len, NULL,
                          0) != 0)
            outcome = SINK_FAILED;
    }
    return outcome;
}

static sink_outcome kafka_sink_flush(sink *s)
{
    kafka_sink *k = (kafka_sink *)s;
    switch (producer_flush(k->shared, KAFKA_SINK_FLUSH_TIMEOUT_MS)) {
    case PRODUCER_DELIVERED:
        return SINK_OK;
    case PRODUCER_RETRY:
        return SINK_RETRY;
    case PRODUCER_REFUSED:
        break;
    }
    return SINK_FAILED;
}

static void kafka_sink_destroy(sink *s)
{
    kafka_sink *k = (kafka_sink *)s;
    free(k->topic);
    free(k);
}

static const sink_ops kafka_sink_ops = {
    .write = kafka_sink_write,
    .flush = kafka_sink_flush,
    .destroy = kafka_sink_destroy,
};

sink *kafka_sink_open(producer *shared, const char *topic, char *err, size_t err_size)
{
    kafka_sink *k = calloc(1, sizeof(*k));
    if (!k || !(k->topic = strdup(topic))) {
        free(k);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    k->base.ops = &kafka_sink_ops;
    snprintf(k->base.description, sizeof(k->base.description), "kafka topic %s", topic);
    k->shared = shared;
    return &k->base;
}
