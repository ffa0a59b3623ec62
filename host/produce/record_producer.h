#ifndef PIPEHOST_PRODUCE_RECORD_PRODUCER_H
#define PIPEHOST_PRODUCE_RECORD_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A librdkafka producer tuned for preloading millions of records: large
 * lz4-compressed batches (the embedded broker keeps 5 MiB per partition,
 * so compression keeps more of them), a deep local queue, and back-pressure
 * instead of failure when that queue is full. A record counts as produced
 * only once its delivery report says so.
 */
struct record_producer;

/* NULL on failure, with the reason in err. */
struct record_producer *record_producer_new(const char *brokers, const char *topic, char *err,
                                            size_t err_size);

/* Flushes nothing: call record_producer_finish first to keep the records. */
void record_producer_free(struct record_producer *producer);

enum topic_check {
    TOPIC_EXISTS,         /* *partitions is set to its partition count */
    TOPIC_CREATED,
    TOPIC_NOT_CREATABLE,  /* the broker cannot create topics (the embedded one) */
    TOPIC_CHECK_FAILED,
};

/* Creates the topic with `partitions` partitions unless it exists. */
enum topic_check record_producer_ensure_topic(struct record_producer *producer, int partitions,
                                              int *existing_partitions, char *err,
                                              size_t err_size);

/* Queues one record (key NULL or key_len 0: no key), waiting while the
 * local queue is full. 0, or -1 when librdkafka refuses it. */
int record_producer_send(struct record_producer *producer, const void *key, size_t key_len,
                         const void *value, size_t value_len, char *err, size_t err_size);

/* Waits up to timeout_ms for every queued record's delivery report.
 * 0 when all records sent were delivered. */
int record_producer_finish(struct record_producer *producer, int timeout_ms);

uint64_t record_producer_delivered(const struct record_producer *producer);
/* Records whose delivery failed, or still unreported after finish. */
uint64_t record_producer_failed(const struct record_producer *producer);
/* The first delivery error, or "". */
const char *record_producer_first_error(const struct record_producer *producer);

#endif
