/* librdkafka's statistics JSON, reduced to what the metrics export. */
#include "metrics/kafka_statistics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* librdkafka writes offsets it does not know as negative logical offsets
 * (-1001 and the like): all of them mean unknown here. */
static int64_t offset_field(const json_t *partition, const char *name)
{
    const json_t *value = json_object_get(partition, name);
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return -1;
    return json_integer_value(value);
}

static int add_partition(kafka_statistics *out, const char *topic, const json_t *partition)
{
    const json_t *id = json_object_get(partition, "partition");
    if (!json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) > INT32_MAX)
        return 0; /* the internal unassigned partition, -1 */
    kafka_partition_statistics *grown =
        realloc(out->partitions, (out->count + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    out->partitions = grown;
    kafka_partition_statistics *p = &out->partitions[out->count];
    if (!(p->topic = strdup(topic)))
        return -1;
    p->partition = (int32_t)json_integer_value(id);
    p->consumer_lag = offset_field(partition, "consumer_lag");
    p->committed_offset = offset_field(partition, "committed_offset");
    p->low_offset = offset_field(partition, "lo_offset");
    p->high_offset = offset_field(partition, "hi_offset");
    out->count++;
    return 0;
}

int kafka_statistics_read(const char *json, size_t json_len, kafka_statistics *out, char *err,
                          size_t err_size)
{
    json_error_t parse_error;
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(json, json_len, 0, &parse_error);
    if (!root) {
        snprintf(err, err_size, "statistics are not JSON: %s", parse_error.text);
        return -1;
    }
    const json_t *topics = json_object_get(root, "topics");
    if (!json_is_object(root) || (topics && !json_is_object(topics))) {
        snprintf(err, err_size, "statistics are not librdkafka's object");
        json_decref(root);
        return -1;
    }
    const char *topic_name;
    const json_t *topic;
    json_object_foreach((json_t *)topics, topic_name, topic) {
        const json_t *partitions = json_object_get(topic, "partitions");
        const char *name;
        const json_t *partition;
        json_object_foreach((json_t *)partitions, name, partition) {
            if (add_partition(out, topic_name, partition) != 0) {
                snprintf(err, err_size, "out of memory");
                json_decref(root);
                kafka_statistics_free(out);
                return -1;
            }
        }
    }
    json_decref(root);
    return 0;
}

void kafka_statistics_free(kafka_statistics *statistics)
{
    for (size_t i = 0; i < statistics->count; i++)
        free(statistics->partitions[i].topic);
    free(statistics->partitions);
    statistics->partitions = NULL;
    statistics->count = 0;
}
