/* librdkafka's statistics JSON: read per partition, and applied to the
 * pipeline's lag and committed-offset metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/kafka_statistics.h"
#include "metrics/pipeline_metrics.h"
#include "metrics/prometheus_text.h"

/* The shape librdkafka 2.0 emits for a consumer (most fields left out):
 * a topic's partitions keyed by id, with the internal partition -1, and
 * negative logical offsets (-1001) for what it does not know. */
static const char statistics_json[] =
    "{\"name\": \"pipehost#consumer-1\", \"type\": \"consumer\", \"ts\": 1234,"
    " \"brokers\": {},"
    " \"topics\": {"
    "  \"events\": {\"topic\": \"events\", \"metadata_age\": 900, \"partitions\": {"
    "   \"0\": {\"partition\": 0, \"desired\": true, \"fetchq_cnt\": 3,"
    "          \"committed_offset\": 880, \"lo_offset\": 0, \"hi_offset\": 1000,"
    "          \"consumer_lag\": 120, \"consumer_lag_stored\": 100},"
    "   \"1\": {\"partition\": 1, \"desired\": true, \"committed_offset\": -1001,"
    "          \"lo_offset\": 10, \"hi_offset\": 50, \"consumer_lag\": -1},"
    "   \"-1\": {\"partition\": -1, \"committed_offset\": -1001, \"lo_offset\": -1,"
    "           \"hi_offset\": -1, \"consumer_lag\": -1}}},"
    "  \"other\": {\"topic\": \"other\", \"partitions\": {"
    "   \"3\": {\"partition\": 3, \"committed_offset\": 7, \"lo_offset\": 0,"
    "          \"hi_offset\": 7, \"consumer_lag\": 0}}}},"
    " \"cgrp\": {\"state\": \"up\", \"rebalance_cnt\": 1}}";

static void test_partitions_are_read_without_the_internal_one(void **state)
{
    (void)state;
    kafka_statistics s;
    char err[128];
    assert_int_equal(kafka_statistics_read(statistics_json, strlen(statistics_json), &s, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.partitions[0].topic, "events");
    assert_int_equal(s.partitions[0].partition, 0);
    assert_int_equal(s.partitions[0].consumer_lag, 120);
    assert_int_equal(s.partitions[0].committed_offset, 880);
    assert_int_equal(s.partitions[0].low_offset, 0);
    assert_int_equal(s.partitions[0].high_offset, 1000);
    assert_string_equal(s.partitions[1].topic, "events");
    assert_int_equal(s.partitions[1].partition, 1);
    assert_int_equal(s.partitions[1].consumer_lag, -1);
    assert_int_equal(s.partitions[1].committed_offset, -1); /* -1001: unknown */
    assert_int_equal(s.partitions[1].low_offset, 10);
    assert_int_equal(s.partitions[1].high_offset, 50);
    assert_string_equal(s.partitions[2].topic, "other");
    assert_int_equal(s.partitions[2].partition, 3);
    assert_int_equal(s.partitions[2].consumer_lag, 0);
    assert_int_equal(s.partitions[2].committed_offset, 7);
    kafka_statistics_free(&s);
}

static void test_what_is_not_statistics_is_refused(void **state)
{
    (void)state;
    kafka_statistics s;
    char err[128];
    assert_int_equal(kafka_statistics_read("{\"topics\": ", 11, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "statistics are not JSON"));
    assert_int_equal(kafka_statistics_read("[1, 2]", 6, &s, err, sizeof(err)), -1);
    assert_string_equal(err, "statistics are not librdkafka's object");
    assert_int_equal(kafka_statistics_read("{\"topics\": 5}", 13, &s, err, sizeof(err)), -1);
    /* No topics yet (before the first metadata): nothing, no error. */
    assert_int_equal(kafka_statistics_read("{\"name\": \"x\"}", 13, &s, err, sizeof(err)), 0);
    assert_int_equal(s.count, 0);
    kafka_statistics_free(&s);
}

/* The line of text that starts with prefix, without its newline. */
static void assert_line(const char *text, const char *line)
{
    size_t length = strlen(line);
    for (const char *at = text; (at = strstr(at, line)) != NULL; at++) {
        if ((at == text || at[-1] == '\n') && (at[length] == '\n' || at[length] == '\0'))
            return;
    }
    fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_statistics_reach_the_assigned_partitions_only(void **state)
{
    (void)state;
    pipeline_metrics *m = pipeline_metrics_create();
    assert_non_null(m);
    partition_metrics *p0 = pipeline_metrics_partition_open(m, "events", 0);
    partition_metrics *p1 = pipeline_metrics_partition_open(m, "events", 1);
    partition_metrics *p2 = pipeline_metrics_partition_open(m, "events", 2);
    assert_non_null(p0);
    assert_non_null(p1);
    assert_non_null(p2);
    pipeline_metrics_read_statistics(m, statistics_json, strlen(statistics_json));

    size_t length;
    char *text = prometheus_render(m->registry, &length);
    assert_line(text, "pipehost_partition_consumer_lag{topic=\"events\",partition=\"0\"} 120");
    assert_line(text, "pipehost_partition_committed_offset{topic=\"events\",partition=\"0\"} 880");
    assert_line(text, "pipehost_partition_consumer_lag{topic=\"events\",partition=\"1\"} -1");
    assert_line(text, "pipehost_partition_committed_offset{topic=\"events\",partition=\"1\"} -1");
    /* Not in the statistics yet: unknown. */
    assert_line(text, "pipehost_partition_consumer_lag{topic=\"events\",partition=\"2\"} -1");
    assert_line(text, "pipehost_assigned_partitions 3");
    /* other[3] is in the statistics but not assigned here. */
    assert_null(strstr(text, "topic=\"other\""));
    free(text);

    pipeline_snapshot snapshot;
    pipeline_metrics_snapshot(m, &snapshot);
    assert_int_equal(snapshot.partitions, 3);
    assert_int_equal(snapshot.lag, 120); /* the known lags only */
    assert_true(snapshot.lag_known);

    /* A revoked partition's series go. */
    pipeline_metrics_partition_close(m, p0);
    text = prometheus_render(m->registry, &length);
    assert_null(strstr(text, "partition=\"0\""));
    assert_line(text, "pipehost_assigned_partitions 2");
    free(text);
    pipeline_metrics_partition_close(m, p1);
    pipeline_metrics_partition_close(m, p2);
    pipeline_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions_are_read_without_the_internal_one),
        cmocka_unit_test(test_what_is_not_statistics_is_refused),
        cmocka_unit_test(test_statistics_reach_the_assigned_partitions_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
