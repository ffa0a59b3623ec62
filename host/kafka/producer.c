#include "kafka/producer.h"

#include <stdio.h>
#include <stdlib.h>

#include "services/log.h"

#define MAX_DELIVERY_ERRORS_LOGGED 10

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
        log_error("producer", "delivery to %s[%d] failed: %s", rd_kafka_topic_name(msg->rkt),
                  (int)msg->partition, rd_kafka_err2str(msg->err));
}

producer *producer_create(rd_kafka_conf_t *conf, char *err, size_t err_size)
{
    producer *p = calloc(1, sizeof(*p));
    if (!p) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
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
    free(p);
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
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p->rk, 10); /* serve delivery reports to make room */
            continue;
        }
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        atomic_fetch_add(&p->failed, 1);
        log_error("producer", "cannot produce to %s: %s", topic, rd_kafka_err2str(err));
        return -1;
    }
    rd_kafka_poll(p->rk, 0);
    return 0;
}

int producer_flush(producer *p, int timeout_ms)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_error("producer", "%d records not delivered after %d ms",
                  rd_kafka_outq_len(p->rk), timeout_ms);
        return -1;
    }
    long long failed = atomic_load(&p->failed);
    if (failed != p->failed_seen) {
        log_error("producer", "%lld records failed delivery since the last flush",
                  failed - p->failed_seen);
        p->failed_seen = failed;
        return -1;
    }
    return 0;
}
