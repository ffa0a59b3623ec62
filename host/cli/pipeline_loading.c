#include "cli/pipeline_loading.h"

#include "kafka/kafka_conf.h"

/* Check the Kafka properties by building both configurations. */
static int check_kafka_properties(const pipeline_config *config, config_error *err)
{
    rd_kafka_conf_t *consumer = kafka_conf_consumer(config, "127.0.0.1:9092", err);
    if (!consumer)
        return -1;
    rd_kafka_conf_destroy(consumer);
    rd_kafka_conf_t *producer = kafka_conf_producer(config, "127.0.0.1:9092", err);
    if (!producer)
        return -1;
    rd_kafka_conf_destroy(producer);
    return 0;
}

int pipeline_load_checked(const char *path, pipeline_config **config, pipeline_plan **plan,
                          config_error *err)
{
    *plan = NULL;
    *config = pipeline_config_load(path, err);
    if (!*config || !(*plan = pipeline_plan_build(*config, err)) ||
        check_kafka_properties(*config, err) != 0) {
        pipeline_plan_free(*plan);
        pipeline_config_free(*config);
        *plan = NULL;
        *config = NULL;
        return -1;
    }
    return 0;
}
