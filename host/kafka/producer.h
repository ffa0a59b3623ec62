/*
 * The pipeline's one Kafka producer, shared by the Kafka sinks and the
 * dead letter. Success means delivered: producer_flush() waits for every
 * delivery report, and a record whose delivery failed is kept and
 * produced again at the next flush, so that nothing is committed past
 * output that was lost and nothing is lost to an outage.
 */
#ifndef PIPEHOST_KAFKA_PRODUCER_H
#define PIPEHOST_KAFKA_PRODUCER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct undelivered;

typedef struct producer {
    rd_kafka_t *rk;
    atomic_llong delivered;
    atomic_llong failed; /* delivery reports with an error, ever */
    atomic_int errors_logged;
    pthread_mutex_t lock; /* the undelivered records */
    struct undelivered *undelivered;
    long long undelivered_count;
    int refused; /* one of them can never be delivered (too large, invalid) */
} producer;

/* What producer_flush() found. */
typedef enum producer_outcome {
    PRODUCER_DELIVERED = 0, /* every record so far reached the broker */
    PRODUCER_RETRY = 1,     /* some did not yet: kept, produced again at the next flush */
    PRODUCER_REFUSED = -1   /* a record was refused for good (too large, invalid) */
} producer_outcome;

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
 * full. 0, or -1 when librdkafka refuses it for good (logged): a record
 * larger than message.max.bytes. A NULL value is a tombstone. */
int producer_send(producer *p, const char *topic, int32_t partition, const void *key,
                  size_t key_len, const void *value, size_t value_len,
                  const produce_header *headers, size_t header_count);

/* Produce again the records whose delivery failed, then wait up to
 * timeout_ms for every queued record's delivery. */
producer_outcome producer_flush(producer *p, int timeout_ms);

#endif
