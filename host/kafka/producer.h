/*
 * The pipeline's one Kafka producer, shared by the Kafka sinks and the
 * dead letter. Success means delivered: producer_flush() waits for every
 * delivery report and fails if any record since the last flush was not
 * delivered, so nothing is committed past output that was lost.
 */
#ifndef PIPEHOST_KAFKA_PRODUCER_H
#define PIPEHOST_KAFKA_PRODUCER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct producer {
    rd_kafka_t *rk;
    atomic_llong delivered;
    atomic_llong failed;
    long long failed_seen; /* failures already reported by a flush */
    atomic_int errors_logged;
} producer;

/* Takes ownership of conf. NULL with a message in err. */
producer *producer_create(rd_kafka_conf_t *conf, char *err, size_t err_size);

/* Waits for outstanding deliveries, then destroys. */
void producer_destroy(producer *p);

typedef struct produce_header {
    const char *name;
    const void *value;
    size_t value_len;
} produce_header;

/* Queue one record (bytes are copied), waiting while the local queue is
 * full. 0, or -1 when librdkafka refuses it (logged). */
int producer_send(producer *p, const char *topic, int32_t partition, const void *key,
                  size_t key_len, const void *value, size_t value_len,
                  const produce_header *headers, size_t header_count);

/* Wait up to timeout_ms for every queued record's delivery. 0 when all
 * were delivered, -1 when some were not (or time ran out). */
int producer_flush(producer *p, int timeout_ms);

#endif
