/*
 * A registry of metrics: families (a name, a type, a help line, label
 * names) and their series (one per set of label values). Values are
 * atomics, so worker threads update them without a lock; the lock only
 * guards adding and removing series, and reading them all for rendering.
 *
 * Every value is a whole number. A histogram observes whole numbers in
 * its own unit (nanoseconds, say) and is rendered in base units (seconds)
 * through the family's unit_scale.
 */
#ifndef PIPEHOST_METRICS_METRIC_REGISTRY_H
#define PIPEHOST_METRICS_METRIC_REGISTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define METRIC_MAX_LABELS 3
#define METRIC_MAX_BUCKETS 16

typedef enum metric_type {
    METRIC_COUNTER = 0,
    METRIC_GAUGE = 1,
    METRIC_HISTOGRAM = 2
} metric_type;

struct metric_family;

typedef struct metric_series {
    struct metric_series *next; /* in creation order; guarded by the registry lock */
    const struct metric_family *family;
    char *label_values[METRIC_MAX_LABELS];
    atomic_llong value; /* counter, gauge */
    /* histogram: observations per bucket (not cumulative), the last one
     * past every bound; the sum in the family's unit */
    atomic_llong buckets[METRIC_MAX_BUCKETS + 1];
    atomic_llong sum;
} metric_series;

/* What a family is, as its creator writes it down. */
typedef struct metric_definition {
    const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]* */
    metric_type type;
    const char *help;
    const char *labels[METRIC_MAX_LABELS]; /* names; unused ones NULL */
    /* histogram: upper bounds in the observed unit, ascending */
    const int64_t *bounds;
    size_t bound_count;
    double unit_scale; /* base units per observed unit (1e-9: ns to s) */
} metric_definition;

typedef struct metric_family {
    struct metric_family *next;
    metric_definition definition; /* borrowed strings: static definitions */
    size_t label_count;
    metric_series *series;
} metric_family;

typedef struct metric_registry {
    pthread_mutex_t lock;
    metric_family *families; /* in registration order */
    metric_family *last_family;
} metric_registry;

metric_registry *metric_registry_create(void);
void metric_registry_free(metric_registry *registry);

/* Register a family; the definition (and its strings) must outlive the
 * registry. NULL when out of memory or when the definition is not valid
 * (a bad name, too many labels or buckets, bounds not ascending). */
metric_family *metric_family_add(metric_registry *registry, const metric_definition *definition);

/* The series with these label values (one per label name), created at 0
 * if new. NULL when out of memory. */
metric_series *metric_series_get(metric_registry *registry, metric_family *family,
                                 const char *const *label_values);

/* Remove and free a series; no one may use it afterwards. */
void metric_series_remove(metric_registry *registry, metric_series *series);

/* A counter or gauge. Accepts NULL (does nothing). */
static inline void metric_add(metric_series *series, int64_t delta)
{
    if (series)
        atomic_fetch_add_explicit(&series->value, delta, memory_order_relaxed);
}

static inline void metric_set(metric_series *series, int64_t value)
{
    if (series)
        atomic_store_explicit(&series->value, value, memory_order_relaxed);
}

static inline int64_t metric_value(const metric_series *series)
{
    return series ? atomic_load_explicit(&series->value, memory_order_relaxed) : 0;
}

/* A histogram observation, in the family's unit. Accepts NULL. */
void metric_observe(metric_series *series, int64_t value);

#endif
