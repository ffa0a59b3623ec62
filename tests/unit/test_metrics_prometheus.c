/* The registry and its Prometheus text rendering, compared with text
 * written out by hand from the exposition format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/metric_registry.h"
#include "metrics/prometheus_text.h"

static const int64_t bounds_ms[] = {5, 10, 100};

static const metric_definition requests = {
    "test_requests_total", METRIC_COUNTER, "Requests served.", {"path", "code", NULL}, NULL, 0, 0};
static const metric_definition temperature = {
    "test_temperature", METRIC_GAUGE, "Degrees; a help line with \\ and\na newline.",
    {NULL, NULL, NULL}, NULL, 0, 0};
static const metric_definition latency = {
    "test_latency_seconds", METRIC_HISTOGRAM, "Latency.", {"stage", NULL, NULL}, bounds_ms, 3,
    1e-3};
static const metric_definition unused = {
    "test_unused", METRIC_GAUGE, "Never given a series.", {"x", NULL, NULL}, NULL, 0, 0};

static char *render(metric_registry *r)
{
    size_t length = 0;
    char *text = prometheus_render(r, &length);
    assert_non_null(text);
    assert_int_equal(length, strlen(text));
    return text;
}

static void test_counter_gauge_and_histogram_render_exactly(void **state)
{
    (void)state;
    metric_registry *r = metric_registry_create();
    metric_family *req = metric_family_add(r, &requests);
    metric_family *temp = metric_family_add(r, &temperature);
    metric_family *lat = metric_family_add(r, &latency);
    assert_non_null(metric_family_add(r, &unused));
    assert_non_null(req);
    assert_non_null(temp);
    assert_non_null(lat);

    const char *plain[] = {"/metrics", "200"};
    const char *odd[] = {"a \"quoted\" \\ path\nwith a newline", "500"};
    metric_add(metric_series_get(r, req, plain), 3);
    metric_add(metric_series_get(r, req, plain), 4); /* the same series again */
    metric_add(metric_series_get(r, req, odd), 1);
    metric_set(metric_series_get(r, temp, NULL), -12);
    const char *stage[] = {"parse"};
    metric_series *h = metric_series_get(r, lat, stage);
    /* 5 is in le=0.005 (bounds are inclusive), 6 and 10 in le=0.01, 250 past all. */
    metric_observe(h, 5);
    metric_observe(h, 6);
    metric_observe(h, 10);
    metric_observe(h, 250);

    char *text = render(r);
    assert_string_equal(text,
        "# HELP test_requests_total Requests served.\n"
        "# TYPE test_requests_total counter\n"
        "test_requests_total{path=\"/metrics\",code=\"200\"} 7\n"
        "test_requests_total{path=\"a \\\"quoted\\\" \\\\ path\\nwith a newline\",code=\"500\"} 1\n"
        "# HELP test_temperature Degrees; a help line with \\\\ and\\na newline.\n"
        "# TYPE test_temperature gauge\n"
        "test_temperature -12\n"
        "# HELP test_latency_seconds Latency.\n"
        "# TYPE test_latency_seconds histogram\n"
        "test_latency_seconds_bucket{stage=\"parse\",le=\"0.005\"} 1\n"
        "test_latency_seconds_bucket{stage=\"parse\",le=\"0.01\"} 3\n"
        "test_latency_seconds_bucket{stage=\"parse\",le=\"0.1\"} 3\n"
        "test_latency_seconds_bucket{stage=\"parse\",le=\"+Inf\"} 4\n"
        "test_latency_seconds_sum{stage=\"parse\"} 0.271\n"
        "test_latency_seconds_count{stage=\"parse\"} 4\n");
    free(text);
    metric_registry_free(r);
}

static void test_a_removed_series_leaves_the_text(void **state)
{
    (void)state;
    metric_registry *r = metric_registry_create();
    metric_family *req = metric_family_add(r, &requests);
    const char *a[] = {"/a", "200"}, *b[] = {"/b", "200"};
    metric_series *first = metric_series_get(r, req, a);
    metric_add(metric_series_get(r, req, b), 2);
    metric_add(first, 1);
    metric_series_remove(r, first);
    char *text = render(r);
    assert_string_equal(text,
        "# HELP test_requests_total Requests served.\n"
        "# TYPE test_requests_total counter\n"
        "test_requests_total{path=\"/b\",code=\"200\"} 2\n");
    free(text);
    metric_series_remove(r, metric_series_get(r, req, b));
    text = render(r);
    assert_string_equal(text, ""); /* a family without series is left out */
    free(text);
    metric_registry_free(r);
}

static void test_bad_definitions_are_refused(void **state)
{
    (void)state;
    static const int64_t descending[] = {10, 5};
    static const metric_definition bad[] = {
        {"9starts_with_a_digit", METRIC_GAUGE, "h", {NULL, NULL, NULL}, NULL, 0, 0},
        {"has-dash", METRIC_GAUGE, "h", {NULL, NULL, NULL}, NULL, 0, 0},
        {"ok_name", METRIC_GAUGE, "h", {"bad:label", NULL, NULL}, NULL, 0, 0},
        {"ok_name", METRIC_GAUGE, "h", {"__reserved", NULL, NULL}, NULL, 0, 0},
        {"ok_name", METRIC_HISTOGRAM, "h", {"le", NULL, NULL}, bounds_ms, 3, 1e-3},
        {"ok_name", METRIC_GAUGE, "h", {"a", NULL, "gap"}, NULL, 0, 0},
        {"ok_name", METRIC_HISTOGRAM, "h", {NULL, NULL, NULL}, descending, 2, 1e-3},
        {"ok_name", METRIC_HISTOGRAM, "h", {NULL, NULL, NULL}, NULL, 0, 1e-3},
        {"ok_name", METRIC_GAUGE, NULL, {NULL, NULL, NULL}, NULL, 0, 0},
    };
    metric_registry *r = metric_registry_create();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (metric_family_add(r, &bad[i]) != NULL)
            fail_msg("definition %zu was accepted", i);
    }
    metric_registry_free(r);
}

static void test_null_series_are_ignored(void **state)
{
    (void)state;
    metric_add(NULL, 1);
    metric_set(NULL, 1);
    metric_observe(NULL, 1);
    assert_int_equal(metric_value(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_gauge_and_histogram_render_exactly),
        cmocka_unit_test(test_a_removed_series_leaves_the_text),
        cmocka_unit_test(test_bad_definitions_are_refused),
        cmocka_unit_test(test_null_series_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
