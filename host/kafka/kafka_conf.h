/*
 * librdkafka configurations built from a pipeline: the consumer gets
 * kafka.properties; the producer (sinks, dead letter) gets
 * kafka.producer_properties plus the connection and security keys of
 * kafka.properties, so one `properties:` block serves a SASL/TLS cluster.
 * A property librdkafka refuses is reported at its FILE:LINE:COL.
 */
#ifndef PIPEHOST_KAFKA_KAFKA_CONF_H
#define PIPEHOST_KAFKA_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

#include "config/pipeline_config.h"

/* Set one property; on refusal fill err at mark (or without a mark when
 * mark is NULL). 0 or -1. */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                   const config_mark *mark, config_error *err);

/* The consumer's configuration for config, with bootstrap as brokers.
 * NULL and err on a refused property. */
rd_kafka_conf_t *kafka_conf_consumer(const pipeline_config *config, const char *bootstrap,
                                     config_error *err);

/* The producer's configuration. */
rd_kafka_conf_t *kafka_conf_producer(const pipeline_config *config, const char *bootstrap,
                                     config_error *err);

/* Check every Kafka property of config by building both configurations,
 * connecting nowhere: what `validate` and `run` do before anything else.
 * 0, or -1 with err at the property librdkafka refused. */
int kafka_conf_check(const pipeline_config *config, config_error *err);

/* Send librdkafka's log lines to the host's log. */
void kafka_conf_route_logs(rd_kafka_conf_t *conf);

/* The log callback kafka_conf_route_logs() installs, for a callback of
 * its own that passes lines on. */
void kafka_conf_log(const rd_kafka_t *rk, int level, const char *facility, const char *message);

/* The value a property has in config (kafka.properties), or NULL. */
const char *kafka_conf_property(const pipeline_config *config, const char *name);

#endif
