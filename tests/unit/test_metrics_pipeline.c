/* The pipeline's metrics as the engine reports them: stage counts, the
 * stall watchdog with a clock the test drives, readiness and the status
 * line's text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/pipeline_metrics.h"
#include "metrics/prometheus_text.h"
#include "metrics/stall_watchdog.h"
#include "metrics/status_line.h"

static void assert_line(const char *text, const char *line)
{
    size_t length = strlen(line);
    for (const char *at = text; (at = strstr(at, line)) != NULL; at++) {
        if ((at == text || at[-1] == '\n') && (at[length] == '\n' || at[length] == '\0'))
            return;
    }
    fail_msg("no line \"%s\" in:\n%s", line, text);
}

static char *render(pipeline_metrics *m)
{
    size_t length;
    char *text = prometheus_render(m->registry, &length);
    assert_non_null(text);
    return text;
}

static void test_stage_counts_add_up_across_instances(void **state)
{
    (void)state;
    pipeline_metrics *m = pipeline_metrics_create();
    /* Two partitions' instances of one stage share its metrics. */
    stage_metrics *a = pipeline_metrics_stage(m, "parse");
    stage_metrics *b = pipeline_metrics_stage(m, "parse");
    stage_metrics *sink = pipeline_metrics_stage(m, "archive \"v2\"");
    assert_ptr_equal(a, b);
    stage_metrics_batch(a, 100, 97);
    stage_metrics_batch(b, 50, 50);
    stage_metrics_rejected(a, 3);
    stage_metrics_flushed(b, 2);
    stage_metrics_count(a, "late", 2);
    stage_metrics_count(b, "late", 1);
    stage_metrics_count(a, "filtered", 40);
    stage_metrics_count(b, "filtered", 2);
    stage_metrics_process_time(a, 2000000);   /* 2 ms */
    stage_metrics_process_time(b, 20000000);  /* 20 ms */
    stage_metrics_batch(sink, 147, 0);

    char *text = render(m);
    assert_line(text, "pipehost_stage_records_in_total{stage=\"parse\"} 150");
    assert_line(text, "pipehost_stage_records_out_total{stage=\"parse\"} 149");
    assert_line(text, "pipehost_stage_records_rejected_total{stage=\"parse\"} 3");
    assert_line(text, "pipehost_stage_records_late_total{stage=\"parse\"} 3");
    assert_line(text,
                "pipehost_stage_plugin_counter_total{stage=\"parse\",counter=\"filtered\"} 42");
    assert_line(text, "pipehost_stage_process_seconds_bucket{stage=\"parse\",le=\"0.001\"} 0");
    assert_line(text, "pipehost_stage_process_seconds_bucket{stage=\"parse\",le=\"0.005\"} 1");
    assert_line(text, "pipehost_stage_process_seconds_bucket{stage=\"parse\",le=\"0.05\"} 2");
    assert_line(text, "pipehost_stage_process_seconds_sum{stage=\"parse\"} 0.022");
    assert_line(text, "pipehost_stage_process_seconds_count{stage=\"parse\"} 2");
    assert_line(text, "pipehost_stage_records_in_total{stage=\"archive \\\"v2\\\"\"} 147");
    assert_line(text, "pipehost_stage_records_late_total{stage=\"archive \\\"v2\\\"\"} 0");
    free(text);

    /* NULL handles (no metrics) are ignored. */
    assert_null(pipeline_metrics_stage(NULL, "x"));
    stage_metrics_batch(NULL, 1, 1);
    stage_metrics_count(NULL, "late", 1);
    pipeline_metrics_free(m);
}

static void test_plugin_counters_stop_at_the_table_size(void **state)
{
    (void)state;
    pipeline_metrics *m = pipeline_metrics_create();
    stage_metrics *s = pipeline_metrics_stage(m, "noisy");
    char name[32];
    for (int i = 0; i < STAGE_PLUGIN_COUNTERS_MAX + 4; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        stage_metrics_count(s, name, i);
    }
    char *text = render(m);
    snprintf(name, sizeof(name), "counter=\"c%d\"", STAGE_PLUGIN_COUNTERS_MAX - 1);
    assert_non_null(strstr(text, name));
    snprintf(name, sizeof(name), "counter=\"c%d\"", STAGE_PLUGIN_COUNTERS_MAX);
    assert_null(strstr(text, name));
    free(text);
    pipeline_metrics_free(m);
}

static void test_a_partition_stalls_after_stall_after_and_recovers(void **state)
{
    (void)state;
    pipeline_metrics *m = pipeline_metrics_create();
    partition_metrics *p = pipeline_metrics_partition_open(m, "events", 3);
    partition_metrics *idle = pipeline_metrics_partition_open(m, "events", 4);
    assert_false(pipeline_metrics_ready(m)); /* not assigned by the group yet */
    pipeline_metrics_rebalance(m, "assign");
    assert_true(pipeline_metrics_ready(m));

    partition_metrics_batch_taken(p, 10);
    partition_metrics_batch_done(m, p, 10, 10);
    partition_metrics_batch_taken(p, 25); /* records 10..24 in progress */
    stall_watchdog_check(m, 1000, 2000);  /* first seen in progress */
    stall_watchdog_check(m, 2999, 2000);
    assert_true(pipeline_metrics_ready(m));
    stall_watchdog_check(m, 3000, 2000);
    assert_false(pipeline_metrics_ready(m));

    pipeline_snapshot snapshot;
    pipeline_metrics_snapshot(m, &snapshot);
    assert_int_equal(snapshot.stalled, 1);
    assert_string_equal(snapshot.stalled_names, "events[3]");
    assert_int_equal(snapshot.records_consumed, 10);
    char *text = render(m);
    assert_line(text, "pipehost_partition_stalled{topic=\"events\",partition=\"3\"} 1");
    assert_line(text, "pipehost_partition_stalled{topic=\"events\",partition=\"4\"} 0");
    assert_line(text, "pipehost_stalled_partitions 1");
    free(text);

    /* Still stuck: flagged once, not twice. */
    stall_watchdog_check(m, 9000, 2000);
    pipeline_metrics_snapshot(m, &snapshot);
    assert_int_equal(snapshot.stalled, 1);

    partition_metrics_batch_done(m, p, 25, 15);
    stall_watchdog_check(m, 9250, 2000);
    assert_true(pipeline_metrics_ready(m));
    text = render(m);
    assert_line(text, "pipehost_partition_stalled{topic=\"events\",partition=\"3\"} 0");
    assert_line(text, "pipehost_stalled_partitions 0");
    assert_line(text, "pipehost_records_consumed_total 25");
    free(text);

    /* A partition revoked while stalled takes its stall with it. */
    partition_metrics_batch_taken(p, 30);
    stall_watchdog_check(m, 10000, 2000);
    stall_watchdog_check(m, 12000, 2000);
    assert_false(pipeline_metrics_ready(m));
    pipeline_metrics_partition_close(m, p);
    assert_true(pipeline_metrics_ready(m));
    pipeline_metrics_partition_close(m, idle);
    pipeline_metrics_free(m);
}

static void test_progress_runs_from_the_start_to_the_end(void **state)
{
    (void)state;
    pipeline_metrics *m = pipeline_metrics_create();
    partition_metrics *committed = pipeline_metrics_partition_open(m, "t", 0);
    partition_metrics *fresh = pipeline_metrics_partition_open(m, "t", 1);
    partition_metrics *latest = pipeline_metrics_partition_open(m, "t", 2);
    partition_metrics_range(committed, 400, 0, 1000, 0); /* 600 to go */
    partition_metrics_range(fresh, -1, 100, 300, 0);      /* from low: 200 */
    partition_metrics_range(latest, -1, 0, 5000, 1);      /* at the end: 0 */
    partition_metrics_batch_done(m, committed, 700, 300);
    partition_metrics_batch_done(m, fresh, 150, 50);
    pipeline_snapshot snapshot;
    pipeline_metrics_snapshot(m, &snapshot);
    assert_int_equal(snapshot.progress_total, 800);
    assert_int_equal(snapshot.progress_done, 350);
    pipeline_metrics_partition_close(m, committed);
    pipeline_metrics_partition_close(m, fresh);
    pipeline_metrics_partition_close(m, latest);
    pipeline_metrics_free(m);
}

static void test_the_status_line_reads_at_a_glance(void **state)
{
    (void)state;
    pipeline_snapshot s = {.assigned = 1, .partitions = 4, .dead_lettered = 1234,
                           .lag = 1234567, .lag_known = 1, .progress_done = 40000,
                           .progress_total = 160000};
    char line[256];
    status_line_format(&s, 52310.4, 0, line, sizeof(line));
    assert_string_equal(line, "pipehost: 52,310 records/s | lag 1,234,567 | 1,234 dead-lettered");
    status_line_format(&s, 999.5, 1, line, sizeof(line));
    assert_string_equal(line, "pipehost: 40,000/160,000 to the end (25%) | 1,000 records/s | "
                              "lag 1,234,567 | 1,234 dead-lettered");
    pipeline_snapshot waiting = {0};
    status_line_format(&waiting, 0, 1, line, sizeof(line));
    assert_string_equal(line, "pipehost: waiting for the group to assign partitions");
    /* Partitions whose end is known, with nothing between start and end. */
    pipeline_snapshot nothing_to_do = {.assigned = 1, .partitions = 2};
    status_line_format(&nothing_to_do, 0, 1, line, sizeof(line));
    assert_string_equal(line, "pipehost: 0/0 to the end (100%) | 0 records/s | lag ? | "
                              "0 dead-lettered");
    /* No progress yet while an end is unknown, nor once nothing is assigned. */
    pipeline_snapshot measuring = {.assigned = 1, .partitions = 2, .progress_unknown = 1,
                                   .progress_total = 500};
    status_line_format(&measuring, 0, 1, line, sizeof(line));
    assert_string_equal(line, "pipehost: 0 records/s | lag ? | 0 dead-lettered");
    pipeline_snapshot revoked = {.assigned = 1};
    status_line_format(&revoked, 0, 1, line, sizeof(line));
    assert_string_equal(line, "pipehost: 0 records/s | lag ? | 0 dead-lettered");
    pipeline_snapshot stalled = {.assigned = 1, .stalled = 2, .lag = 5, .lag_known = 1};
    strcpy(stalled.stalled_names, "a[0], b[1]");
    status_line_format(&stalled, 0, 0, line, sizeof(line));
    assert_string_equal(line, "pipehost: 0 records/s | lag 5 | 0 dead-lettered | STALLED: "
                              "a[0], b[1]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_counts_add_up_across_instances),
        cmocka_unit_test(test_plugin_counters_stop_at_the_table_size),
        cmocka_unit_test(test_a_partition_stalls_after_stall_after_and_recovers),
        cmocka_unit_test(test_progress_runs_from_the_start_to_the_end),
        cmocka_unit_test(test_the_status_line_reads_at_a_glance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
