/*
 * Delivery that survives outages. librdkafka retries a produce request
 * by itself while the error is retriable and message.timeout.ms has not
 * passed; what it gives up on comes back as a failed delivery report.
 * Such a record is copied (topic, key, value, headers) into the
 * undelivered list, and the next producer_flush() produces it again
 * before waiting for deliveries: the caller retries flushes with backoff
 * and commits only once a flush finds every record delivered. A record
 * the cluster can never take (larger than message.max.bytes, invalid) is
 * kept too but makes the flush report PRODUCER_REFUSED: the pipeline
 * stops rather than drop it. Records produced again may land after later
 * ones: order across a failure is not kept.
 */
#include "kafka/producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/log.h"

#define MAX_DELIVERY_ERRORS_LOGGED 10

typedef struct undelivered {
    struct undelivered *next;
    char *topic;
    int32_t partition; /* as asked: RD_KAFKA_PARTITION_UA lets the partitioner choose */
    void *key;         /* NULL: no key */
    size_t key_len;
    void *value; /* NULL: a tombstone */
    size_t value_len;
    rd_kafka_headers_t *headers;
    rd_kafka_resp_err_t err;
} undelivered;

/* Errors of the record itself: producing it again cannot succeed. */
static int refused_for_good(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
           err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
           err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
           err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

static void *copy_bytes(const void *bytes, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (copy && len)
        memcpy(copy, bytes, len);
    return copy;
}

static void undelivered_free(undelivered *u)
{
    free(u->topic);
    free(u->key);
    free(u->value);
    if (u->headers)
        rd_kafka_headers_destroy(u->headers);
    free(u);
}

/* Keep a record to produce again; takes headers. -1 out of memory (the
 * record is then lost: counted as refused, so nothing is committed). */
static int keep_undelivered(producer *p, const char *topic, int32_t partition, const void *key,
                            size_t key_len, const void *value, size_t value_len,
                            rd_kafka_headers_t *headers, rd_kafka_resp_err_t err)
{
    undelivered *u = calloc(1, sizeof(*u));
    if (u) {
        u->topic = strdup(topic);
        u->partition = partition;
        u->key = key ? copy_bytes(key, key_len) : NULL;
        u->key_len = key_len;
        u->value = value ? copy_bytes(value, value_len) : NULL;
        u->value_len = value_len;
        u->headers = headers;
        u->err = err;
        headers = NULL;
    }
    int complete = u && u->topic && (!key || u->key) && (!value || u->value);
    pthread_mutex_lock(&p->lock);
    if (complete) {
        u->next = p->undelivered;
        p->undelivered = u;
        p->undelivered_count++;
    }
    if (!complete || refused_for_good(err))
        p->refused = 1;
    pthread_mutex_unlock(&p->lock);
    if (!complete) {
        log_error("producer", "out of memory keeping an undelivered record for %s", topic);
        if (u)
            undelivered_free(u);
        else if (headers)
            rd_kafka_headers_destroy(headers);
        return -1;
    }
    return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    producer *p = opaque;
    if (!msg->err) {
        atomic_fetch_add(&p->delivered, 1);
        return;
    }
    atomic_fetch_add(&p->failed, 1);
    if (atomic_fetch_add(&p->errors_logged, 1) < MAX_DELIVERY_ERRORS_LOGGED)
        log_warn("producer", "delivery to %s[%d] failed: %s", rd_kafka_topic_name(msg->rkt),
                 (int)msg->partition, rd_kafka_err2str(msg->err));
    rd_kafka_headers_t *headers = NULL, *copy = NULL;
    if (rd_kafka_message_headers(msg, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
        copy = rd_kafka_headers_copy(headers);
    keep_undelivered(p, rd_kafka_topic_name(msg->rkt), (int32_t)(intptr_t)msg->_private,
                     msg->key, msg->key_len, msg->payload, msg->len, copy, msg->err);
}

producer *producer_create(rd_kafka_conf_t *conf, char *err, size_t err_size)
{
    producer *p = calloc(1, sizeof(*p));
    if (!p) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void producer_destroy(producer *p)
{
    if (!p)
        return;
    rd_kafka_flush(p->rk, 10000);
    rd_kafka_destroy(p->rk);
    if (p->undelivered_count > 0)
        log_warn("producer", "%lld records left undelivered at exit; nothing after them was "
                             "committed, so a restart produces them again",
                 p->undelivered_count);
    while (p->undelivered) {
        undelivered *next = p->undelivered->next;
        undelivered_free(p->undelivered);
        p->undelivered = next;
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Queue one record; takes headers whatever happens. The librdkafka error
 * when it was not queued. */
static rd_kafka_resp_err_t enqueue(producer *p, const char *topic, int32_t partition,
                                   const void *key, size_t key_len, const void *value,
                                   size_t value_len, rd_kafka_headers_t *headers)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE((void *)(intptr_t)partition),
            RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return err;
        rd_kafka_poll(p->rk, 10); /* serve delivery reports to make room */
    }
}

int producer_send(producer *p, const char *topic, int32_t partition, const void *key,
                  size_t key_len, const void *value, size_t value_len,
                  const produce_header *headers, size_t header_count)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (header_count) {
        hdrs = rd_kafka_headers_new(header_count);
        for (size_t i = 0; i < header_count; i++)
            rd_kafka_header_add(hdrs, headers[i].name, -1, headers[i].value,
                                (ssize_t)headers[i].value_len);
    }
    rd_kafka_resp_err_t err = enqueue(p, topic, partition, key, key_len, value, value_len, hdrs);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_poll(p->rk, 0);
        return 0;
    }
    if (refused_for_good(err)) {
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        atomic_fetch_add(&p->failed, 1);
        log_error("producer", "cannot produce to %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    /* Not queued for now (an unknown topic, a fatal producer state):
     * kept for the next flush, like a failed delivery. */
    log_warn("producer", "cannot queue a record for %s: %s (produced again at the next flush)",
             topic, rd_kafka_err2str(err));
    return keep_undelivered(p, topic, partition, key, key_len, value, value_len, hdrs, err);
}

/* Produce the undelivered records again. */
static void produce_again(producer *p)
{
    pthread_mutex_lock(&p->lock);
    undelivered *list = p->undelivered;
    long long count = p->undelivered_count;
    p->undelivered = NULL;
    p->undelivered_count = 0;
    p->refused = 0;
    pthread_mutex_unlock(&p->lock);
    if (count > 0)
        log_info("producer", "producing %lld undelivered records again", count);
    while (list) {
        undelivered *u = list;
        list = u->next;
        rd_kafka_resp_err_t err = enqueue(p, u->topic, u->partition, u->key, u->key_len,
                                          u->value, u->value_len, u->headers);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            u->headers = NULL; /* librdkafka has them now */
            undelivered_free(u);
            continue;
        }
        /* Still not accepted: back on the list. */
        u->err = err;
        pthread_mutex_lock(&p->lock);
        u->next = p->undelivered;
        p->undelivered = u;
        p->undelivered_count++;
        if (refused_for_good(err))
            p->refused = 1;
        pthread_mutex_unlock(&p->lock);
    }
}

producer_outcome producer_flush(producer *p, int timeout_ms)
{
    produce_again(p);
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_warn("producer", "%d records not delivered yet after %d ms",
                 rd_kafka_outq_len(p->rk), timeout_ms);
        return PRODUCER_RETRY;
    }
    pthread_mutex_lock(&p->lock);
    long long count = p->undelivered_count;
    int refused = p->refused;
    /* The error to report: a refusal if there is one. */
    rd_kafka_resp_err_t first = p->undelivered ? p->undelivered->err : RD_KAFKA_RESP_ERR_NO_ERROR;
    for (const undelivered *u = p->undelivered; u && refused; u = u->next) {
        if (refused_for_good(u->err)) {
            first = u->err;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (count == 0)
        return PRODUCER_DELIVERED;
    if (refused) {
        log_error("producer", "%lld records not delivered; one can never be (%s)", count,
                  rd_kafka_err2str(first));
        return PRODUCER_REFUSED;
    }
    log_warn("producer", "%lld records not delivered (%s): kept to be produced again", count,
             rd_kafka_err2str(first));
    return PRODUCER_RETRY;
}
