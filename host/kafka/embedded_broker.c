#include "kafka/embedded_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/kafka_conf.h"

struct embedded_broker {
    rd_kafka_t *owner; /* the mock cluster lives on this handle */
    rd_kafka_mock_cluster_t *cluster;
    char *bootstraps;
    char **topics; /* created so far: creating twice is harmless, but quiet */
    size_t topic_count;
};

embedded_broker *embedded_broker_start(int broker_count, char *err, size_t err_size)
{
    embedded_broker *broker = calloc(1, sizeof(*broker));
    if (!broker) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_conf_route_logs(conf);
    rd_kafka_conf_set(conf, "client.id", "pipehost-embedded-broker", NULL, 0);
    broker->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
    if (!broker->owner) {
        rd_kafka_conf_destroy(conf);
        free(broker);
        return NULL;
    }
    broker->cluster = rd_kafka_mock_cluster_new(broker->owner, broker_count);
    if (!broker->cluster) {
        snprintf(err, err_size, "cannot start the embedded broker");
        embedded_broker_stop(broker);
        return NULL;
    }
    broker->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(broker->cluster));
    if (!broker->bootstraps) {
        snprintf(err, err_size, "out of memory");
        embedded_broker_stop(broker);
        return NULL;
    }
    return broker;
}

const char *embedded_broker_bootstraps(const embedded_broker *broker)
{
    return broker->bootstraps;
}

int embedded_broker_create_topic(embedded_broker *broker, const char *topic, int partitions,
                                 char *err, size_t err_size)
{
    for (size_t i = 0; i < broker->topic_count; i++) {
        if (strcmp(broker->topics[i], topic) == 0)
            return 0;
    }
    rd_kafka_resp_err_t rc = rd_kafka_mock_topic_create(broker->cluster, topic, partitions, 1);
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "cannot create topic '%s': %s", topic, rd_kafka_err2str(rc));
        return -1;
    }
    char **topics = realloc(broker->topics, (broker->topic_count + 1) * sizeof(*topics));
    char *copy = strdup(topic);
    if (!topics || !copy) {
        free(copy);
        if (topics)
            broker->topics = topics;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    broker->topics = topics;
    broker->topics[broker->topic_count++] = copy;
    return 0;
}

int embedded_broker_set_up(embedded_broker *broker, int id, int up)
{
    rd_kafka_resp_err_t rc = up ? rd_kafka_mock_broker_set_up(broker->cluster, id)
                                : rd_kafka_mock_broker_set_down(broker->cluster, id);
    return rc == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

int embedded_broker_set_rtt(embedded_broker *broker, int id, int rtt_ms)
{
    return rd_kafka_mock_broker_set_rtt(broker->cluster, id, rtt_ms) == RD_KAFKA_RESP_ERR_NO_ERROR
               ? 0
               : -1;
}

int embedded_broker_fail_requests(embedded_broker *broker, int api_key, int count, int error)
{
    rd_kafka_resp_err_t *errors = malloc((size_t)(count > 0 ? count : 1) * sizeof(*errors));
    if (!errors)
        return -1;
    for (int i = 0; i < count; i++)
        errors[i] = (rd_kafka_resp_err_t)error;
    rd_kafka_mock_push_request_errors_array(broker->cluster, (int16_t)api_key, (size_t)count,
                                            errors);
    free(errors);
    return 0;
}

void embedded_broker_stop(embedded_broker *broker)
{
    if (!broker)
        return;
    if (broker->cluster)
        rd_kafka_mock_cluster_destroy(broker->cluster);
    if (broker->owner)
        rd_kafka_destroy(broker->owner);
    for (size_t i = 0; i < broker->topic_count; i++)
        free(broker->topics[i]);
    free(broker->topics);
    free(broker->bootstraps);
    free(broker);
}
