/*
 * A registry in the Prometheus text exposition format (version 0.0.4):
 * per family a HELP and a TYPE line, then one line per series; label
 * values escaped (\\, \", \n), histograms as cumulative _bucket lines
 * ending in le="+Inf", then _sum and _count. A family with no series is
 * left out.
 */
#ifndef PIPEHOST_METRICS_PROMETHEUS_TEXT_H
#define PIPEHOST_METRICS_PROMETHEUS_TEXT_H

#include <stddef.h>

#include "metrics/metric_registry.h"

#define PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text, NUL-terminated, its length in *length; caller frees. NULL
 * when out of memory. */
char *prometheus_render(metric_registry *registry, size_t *length);

#endif
