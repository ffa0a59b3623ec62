/*
 * The embedded broker: librdkafka's mock cluster, a Kafka-protocol broker
 * on 127.0.0.1 that lives in this process. It keeps at most 5 MiB per
 * partition and implements no CreateTopics: topics are created here, and
 * a client asking for an unknown topic gets one with 4 partitions.
 */
#ifndef PIPEHOST_KAFKA_EMBEDDED_BROKER_H
#define PIPEHOST_KAFKA_EMBEDDED_BROKER_H

#include <stddef.h>

typedef struct embedded_broker embedded_broker;

/* Start broker_count brokers. NULL with a message in err. */
embedded_broker *embedded_broker_start(int broker_count, char *err, size_t err_size);

/* "127.0.0.1:PORT,..." for bootstrap.servers. */
const char *embedded_broker_bootstraps(const embedded_broker *broker);

/* Create a topic (an existing one is left as it is). 0 or -1. */
int embedded_broker_create_topic(embedded_broker *broker, const char *topic, int partitions,
                                 char *err, size_t err_size);

/* Fault injection, for tests and `pipehost broker --control`. Broker ids
 * are 1-based; each returns 0, or -1 for an unknown broker. */

/* Take broker `id` down (close its connections, refuse new ones) or up. */
int embedded_broker_set_up(embedded_broker *broker, int id, int up);

/* Delay every response of broker `id` by rtt_ms. */
int embedded_broker_set_rtt(embedded_broker *broker, int id, int rtt_ms);

/* Fail the next `count` requests of protocol API `api_key` (0 Produce, 8
 * OffsetCommit, ...) on any broker with `error` (a Kafka error code;
 * RD_KAFKA_RESP_ERR__TRANSPORT disconnects instead of answering). 0, or -1
 * out of memory. */
int embedded_broker_fail_requests(embedded_broker *broker, int api_key, int count,
                                   int error);

void embedded_broker_stop(embedded_broker *broker);

#endif
