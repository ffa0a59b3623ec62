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

/* Take broker `id` (1-based) down or up: for fault tests. 0 or -1. */
int embedded_broker_set_up(embedded_broker *broker, int id, int up);

void embedded_broker_stop(embedded_broker *broker);

#endif
