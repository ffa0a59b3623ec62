#include "kafka/kafka_conf.h"

#include <stdio.h>
#include <string.h>

#include "services/log.h"
#include "services/secret_redact.h"

/* Properties of kafka.properties the producer shares: how to reach and
 * authenticate to the cluster. */
static const char *const shared_prefixes[] = {
    "security.", "sasl.", "ssl.", "ssl_", "enable.ssl.", "client.", "socket.", "broker.",
    "reconnect.", "api.version", "metadata.", "topic.metadata.", "debug", "log_level",
    "connections.max.idle.ms", "retry.backoff.ms", "resolve.", "allow.auto.create.topics",
};

static int is_shared(const char *name)
{
    for (size_t i = 0; i < sizeof(shared_prefixes) / sizeof(shared_prefixes[0]); i++) {
        if (strncmp(name, shared_prefixes[i], strlen(shared_prefixes[i])) == 0)
            return 1;
    }
    return 0;
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                   const config_mark *mark, config_error *err)
{
    char reason[512];
    if (rd_kafka_conf_set(conf, name, value, reason, sizeof(reason)) == RD_KAFKA_CONF_OK)
        return 0;
    /* Some of librdkafka's reasons end in a newline: the message is one line. */
    for (size_t n = strlen(reason); n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == ' ');)
        reason[--n] = '\0';
    /* librdkafka's reason may quote the value: config_error_set redacts
     * secrets, and so does this branch. */
    if (mark) {
        config_error_set(err, mark, "kafka property '%s': %s", name, reason);
    } else {
        snprintf(err->text, sizeof(err->text), "kafka property '%s': %s", name, reason);
        secret_redact(err->text, sizeof(err->text));
    }
    return -1;
}

void kafka_conf_log(const rd_kafka_t *rk, int level, const char *facility, const char *message)
{
    /* syslog levels: 0-3 errors, 4 warning, 5-6 notice/info, 7 debug */
    ph_log_level ours = level <= 3 ? PH_LOG_ERROR
                        : level == 4 ? PH_LOG_WARN
                        : level <= 6 ? PH_LOG_INFO
                                     : PH_LOG_DEBUG;
    char scope[128];
    snprintf(scope, sizeof(scope), "kafka %s", facility);
    log_write(ours, scope, "%s: %s", rd_kafka_name(rk), message);
}

void kafka_conf_route_logs(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, kafka_conf_log);
}

static rd_kafka_conf_t *conf_base(const char *bootstrap, config_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_conf_route_logs(conf);
    if (kafka_conf_set(conf, "bootstrap.servers", bootstrap, NULL, err) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

static int apply(rd_kafka_conf_t *conf, const kafka_property *props, size_t count,
                 int shared_only, config_error *err)
{
    for (size_t i = 0; i < count; i++) {
        if (shared_only && !is_shared(props[i].name))
            continue;
        if (kafka_conf_set(conf, props[i].name, props[i].value, &props[i].mark, err) != 0)
            return -1;
    }
    return 0;
}

rd_kafka_conf_t *kafka_conf_consumer(const pipeline_config *config, const char *bootstrap,
                                     config_error *err)
{
    rd_kafka_conf_t *conf = conf_base(bootstrap, err);
    if (!conf)
        return NULL;
    /* Defaults a pipeline may override. The prefetch queue is sized so
     * that librdkafka 2.0's fixed 1 s fetch backoff (taken when the queue
     * passes queued.min.messages) does not cap backlog catch-up. */
    static const char *const defaults[][2] = {
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"auto.offset.reset", "earliest"},
        {"queued.min.messages", "1000000"},
        {"queued.max.messages.kbytes", "262144"},
        {"fetch.wait.max.ms", "100"},
        {"client.id", "pipehost"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (kafka_conf_set(conf, defaults[i][0], defaults[i][1], NULL, err) != 0)
            goto fail;
    }
    if (apply(conf, config->properties, config->property_count, 0, err) != 0)
        goto fail;
    /* The commit protocol's own settings come last: nothing overrides them. */
    static const char *const owned[][2] = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
    };
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        if (kafka_conf_set(conf, owned[i][0], owned[i][1], NULL, err) != 0)
            goto fail;
    }
    if (kafka_conf_set(conf, "group.id", config->group, NULL, err) != 0)
        goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_conf_t *kafka_conf_producer(const pipeline_config *config, const char *bootstrap,
                                     config_error *err)
{
    rd_kafka_conf_t *conf = conf_base(bootstrap, err);
    if (!conf)
        return NULL;
    static const char *const defaults[][2] = {
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", "1000000"},
        {"client.id", "pipehost"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (kafka_conf_set(conf, defaults[i][0], defaults[i][1], NULL, err) != 0)
            goto fail;
    }
    if (config) {
        if (apply(conf, config->properties, config->property_count, 1, err) != 0 ||
            apply(conf, config->producer_properties, config->producer_property_count, 0,
                  err) != 0)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int kafka_conf_check(const pipeline_config *config, config_error *err)
{
    /* Any address will do: building a configuration connects nowhere. */
    rd_kafka_conf_t *conf = kafka_conf_consumer(config, "127.0.0.1:9092", err);

    if (conf == NULL)
        return -1;
    rd_kafka_conf_destroy(conf);
    if ((conf = kafka_conf_producer(config, "127.0.0.1:9092", err)) == NULL)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}

const char *kafka_conf_property(const pipeline_config *config, const char *name)
{
    for (size_t i = 0; i < config->property_count; i++) {
        if (strcmp(config->properties[i].name, name) == 0)
            return config->properties[i].value;
    }
    return NULL;
}
