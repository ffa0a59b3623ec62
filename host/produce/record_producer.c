#include "produce/record_producer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define METADATA_TIMEOUT_MS 10000
#define CREATE_TOPIC_TIMEOUT_MS 15000
#define QUEUE_FULL_WAIT_MS 50

struct record_producer {
    rd_kafka_t *kafka;
    char *topic_name;
    rd_kafka_topic_t *topic; /* opened on the first send: see open_topic */
    uint64_t delivered;
    uint64_t failed;
    char first_error[256];
};

/* Throughput settings; see the header. A record is given up on after a
 * minute without delivery, so an unreachable broker ends the run. */
static const char *const producer_settings[][2] = {
    { "linger.ms", "10" },
    { "batch.num.messages", "10000" },
    { "compression.codec", "lz4" },
    { "queue.buffering.max.messages", "1000000" },
    { "message.timeout.ms", "60000" },
};

static void on_delivery(rd_kafka_t *kafka, const rd_kafka_message_t *message, void *opaque)
{
    struct record_producer *producer = opaque;

    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        producer->delivered++;
        return;
    }
    if (producer->failed++ == 0)
        snprintf(producer->first_error, sizeof(producer->first_error), "%s",
                 rd_kafka_err2str(message->err));
}

struct record_producer *record_producer_new(const char *brokers, const char *topic, char *err,
                                            size_t err_size)
{
    struct record_producer *producer = calloc(1, sizeof(*producer));
    rd_kafka_conf_t *conf;
    char errstr[512];

    if (producer == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        goto conf_failed;
    for (size_t i = 0; i < sizeof(producer_settings) / sizeof(producer_settings[0]); i++) {
        if (rd_kafka_conf_set(conf, producer_settings[i][0], producer_settings[i][1], errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK)
            goto conf_failed;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, producer);

    producer->topic_name = strdup(topic);
    if (producer->topic_name == NULL) {
        snprintf(errstr, sizeof(errstr), "out of memory");
        goto conf_failed;
    }
    /* On success rd_kafka_new owns conf. */
    producer->kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (producer->kafka == NULL)
        goto conf_failed;
    return producer;

conf_failed:
    snprintf(err, err_size, "%s", errstr);
    rd_kafka_conf_destroy(conf);
    free(producer->topic_name);
    free(producer);
    return NULL;
}

void record_producer_free(struct record_producer *producer)
{
    if (producer == NULL)
        return;
    if (producer->topic != NULL)
        rd_kafka_topic_destroy(producer->topic);
    rd_kafka_destroy(producer->kafka);
    free(producer->topic_name);
    free(producer);
}

/* What the cluster says about the topic: its partition count (0 when it
 * does not have it), and whether a controller, which creating a topic
 * needs, is among its brokers. The embedded broker names none. Asks for
 * all topics: asking for one by name would make a broker that
 * auto-creates topics create it. 0, or -1 when metadata could not be had. */
static int describe_cluster(struct record_producer *producer, int *partition_count,
                            bool *has_controller, char *err, size_t err_size)
{
    const rd_kafka_metadata_t *metadata;
    rd_kafka_resp_err_t rc;
    int32_t controller;

    rc = rd_kafka_metadata(producer->kafka, 1, NULL, &metadata, METADATA_TIMEOUT_MS);
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "cannot read the cluster's topics: %s", rd_kafka_err2str(rc));
        return -1;
    }
    *partition_count = 0;
    for (int i = 0; i < metadata->topic_cnt; i++) {
        if (strcmp(metadata->topics[i].topic, producer->topic_name) == 0 &&
            metadata->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
            *partition_count = metadata->topics[i].partition_cnt;
    }
    controller = rd_kafka_controllerid(producer->kafka, METADATA_TIMEOUT_MS);
    *has_controller = false;
    for (int i = 0; i < metadata->broker_cnt; i++)
        *has_controller |= metadata->brokers[i].id == controller;
    rd_kafka_metadata_destroy(metadata);
    return 0;
}

static enum topic_check create_topic(struct record_producer *producer, int partitions,
                                     char *err, size_t err_size)
{
    const char *name = producer->topic_name;
    rd_kafka_NewTopic_t *new_topic;
    rd_kafka_AdminOptions_t *options;
    rd_kafka_queue_t *queue;
    rd_kafka_event_t *event;
    enum topic_check result = TOPIC_CHECK_FAILED;
    char errstr[512];

    /* Replication factor -1: the cluster's default. */
    new_topic = rd_kafka_NewTopic_new(name, partitions, -1, errstr, sizeof(errstr));
    if (new_topic == NULL) {
        snprintf(err, err_size, "%s", errstr);
        return TOPIC_CHECK_FAILED;
    }
    queue = rd_kafka_queue_new(producer->kafka);
    options = rd_kafka_AdminOptions_new(producer->kafka, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(options, CREATE_TOPIC_TIMEOUT_MS, errstr,
                                              sizeof(errstr));
    rd_kafka_AdminOptions_set_operation_timeout(options, CREATE_TOPIC_TIMEOUT_MS, errstr,
                                                sizeof(errstr));
    rd_kafka_CreateTopics(producer->kafka, &new_topic, 1, options, queue);
    event = rd_kafka_queue_poll(queue, CREATE_TOPIC_TIMEOUT_MS + 5000);

    if (event == NULL) {
        snprintf(err, err_size, "no answer to CreateTopics");
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_resp_err_t code = rd_kafka_event_error(event);

        snprintf(err, err_size, "%s", rd_kafka_event_error_string(event));
        if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
            code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION)
            result = TOPIC_NOT_CREATABLE;
    } else {
        size_t count;
        const rd_kafka_CreateTopics_result_t *created = rd_kafka_event_CreateTopics_result(event);
        const rd_kafka_topic_result_t **topics =
            rd_kafka_CreateTopics_result_topics(created, &count);
        rd_kafka_resp_err_t code = count == 1 ? rd_kafka_topic_result_error(topics[0])
                                              : RD_KAFKA_RESP_ERR__FAIL;

        if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
            result = TOPIC_CREATED;
        } else if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            result = TOPIC_EXISTS; /* created by someone else meanwhile */
        } else {
            snprintf(err, err_size, "%s", count == 1 ? rd_kafka_topic_result_error_string(topics[0])
                                                     : rd_kafka_err2str(code));
            if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
                code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION)
                result = TOPIC_NOT_CREATABLE;
        }
    }
    if (event != NULL)
        rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
    return result;
}

enum topic_check record_producer_ensure_topic(struct record_producer *producer, int partitions,
                                              int *existing_partitions, char *err,
                                              size_t err_size)
{
    int count;
    bool has_controller;

    if (describe_cluster(producer, &count, &has_controller, err, err_size) != 0)
        return TOPIC_CHECK_FAILED;
    if (count > 0) {
        *existing_partitions = count;
        return TOPIC_EXISTS;
    }
    if (!has_controller) {
        snprintf(err, err_size, "it names no controller broker");
        return TOPIC_NOT_CREATABLE;
    }
    return create_topic(producer, partitions, err, err_size);
}

/* A topic handle makes librdkafka ask the cluster about the topic, and
 * a broker that auto-creates topics then creates it: so not before
 * record_producer_ensure_topic has had its say. */
static int open_topic(struct record_producer *producer, char *err, size_t err_size)
{
    producer->topic = rd_kafka_topic_new(producer->kafka, producer->topic_name, NULL);
    if (producer->topic == NULL) {
        snprintf(err, err_size, "topic %s: %s", producer->topic_name,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    return 0;
}

int record_producer_send(struct record_producer *producer, const void *key, size_t key_len,
                         const void *value, size_t value_len, char *err, size_t err_size)
{
    rd_kafka_resp_err_t rc;

    if (producer->topic == NULL && open_topic(producer, err, err_size) != 0)
        return -1;
    if (key_len == 0)
        key = NULL;
    for (;;) {
        rc = rd_kafka_producev(producer->kafka, RD_KAFKA_V_RKT(producer->topic),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_KEY(key, key_len),
                               RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_END);
        if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        /* Serve delivery reports until the queue has room. */
        rd_kafka_poll(producer->kafka, QUEUE_FULL_WAIT_MS);
    }
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "%s", rd_kafka_err2str(rc));
        return -1;
    }
    rd_kafka_poll(producer->kafka, 0);
    return 0;
}

int record_producer_finish(struct record_producer *producer, int timeout_ms)
{
    int unreported;

    rd_kafka_flush(producer->kafka, timeout_ms);
    unreported = rd_kafka_outq_len(producer->kafka);
    if (unreported > 0) {
        if (producer->failed == 0)
            snprintf(producer->first_error, sizeof(producer->first_error),
                     "no delivery report within %d ms", timeout_ms);
        producer->failed += (uint64_t)unreported;
    }
    return producer->failed == 0 ? 0 : -1;
}

uint64_t record_producer_delivered(const struct record_producer *producer)
{
    return producer->delivered;
}

uint64_t record_producer_failed(const struct record_producer *producer)
{
    return producer->failed;
}

const char *record_producer_first_error(const struct record_producer *producer)
{
    return producer->first_error;
}
