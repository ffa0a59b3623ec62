/* The metric registry: families and series, updated with atomics. */
#include "metrics/metric_registry.h"

#include <stdlib.h>
#include <string.h>

static int name_char(char c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')
        return 1;
    return !first && c >= '0' && c <= '9';
}

/* Prometheus metric names; label names are the same without ':'. */
static int valid_name(const char *name, int allow_colon)
{
    if (!name || !name[0])
        return 0;
    for (size_t i = 0; name[i]; i++) {
        if (!name_char(name[i], i == 0) || (!allow_colon && name[i] == ':'))
            return 0;
    }
    return 1;
}

static int valid_definition(const metric_definition *d, size_t *label_count)
{
    if (!valid_name(d->name, 1) || !d->help)
        return 0;
    size_t labels = 0;
    while (labels < METRIC_MAX_LABELS && d->labels[labels]) {
        /* "le" is the histogram's own; names starting "__" are reserved. */
        if (!valid_name(d->labels[labels], 0) || strncmp(d->labels[labels], "__", 2) == 0 ||
            strcmp(d->labels[labels], "le") == 0)
            return 0;
        labels++;
    }
    for (size_t i = labels; i < METRIC_MAX_LABELS; i++) {
        if (d->labels[i])
            return 0; /* a gap in the label names */
    }
    if (d->type == METRIC_HISTOGRAM) {
        if (d->bound_count == 0 || d->bound_count > METRIC_MAX_BUCKETS || !d->bounds ||
            !(d->unit_scale > 0))
            return 0;
        for (size_t i = 1; i < d->bound_count; i++) {
            if (d->bounds[i] <= d->bounds[i - 1])
                return 0;
        }
    }
    *label_count = labels;
    return 1;
}

metric_registry *metric_registry_create(void)
{
    metric_registry *registry = calloc(1, sizeof(*registry));
    if (registry)
        pthread_mutex_init(&registry->lock, NULL);
    return registry;
}

static void free_series(metric_series *series, size_t label_count)
{
    for (size_t i = 0; i < label_count; i++)
        free(series->label_values[i]);
    free(series);
}

void metric_registry_free(metric_registry *registry)
{
    if (!registry)
        return;
    metric_family *family = registry->families;
    while (family) {
        metric_family *next_family = family->next;
        metric_series *series = family->series;
        while (series) {
            metric_series *next = series->next;
            free_series(series, family->label_count);
            series = next;
        }
        free(family);
        family = next_family;
    }
    pthread_mutex_destroy(&registry->lock);
    free(registry);
}

metric_family *metric_family_add(metric_registry *registry, const metric_definition *definition)
{
    size_t label_count;
    if (!valid_definition(definition, &label_count))
        return NULL;
    metric_family *family = calloc(1, sizeof(*family));
    if (!family)
        return NULL;
    family->definition = *definition;
    family->label_count = label_count;
    pthread_mutex_lock(&registry->lock);
    if (registry->last_family)
        registry->last_family->next = family;
    else
        registry->families = family;
    registry->last_family = family;
    pthread_mutex_unlock(&registry->lock);
    return family;
}

static int same_labels(const metric_series *series, size_t count,
                       const char *const *label_values)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(series->label_values[i], label_values[i]) != 0)
            return 0;
    }
    return 1;
}

metric_series *metric_series_get(metric_registry *registry, metric_family *family,
                                 const char *const *label_values)
{
    size_t count = family->label_count;
    pthread_mutex_lock(&registry->lock);
    metric_series **tail = &family->series;
    for (; *tail; tail = &(*tail)->next) {
        if (same_labels(*tail, count, label_values)) {
            metric_series *found = *tail;
            pthread_mutex_unlock(&registry->lock);
            return found;
        }
    }
    metric_series *series = calloc(1, sizeof(*series));
    if (series) {
        series->family = family;
        for (size_t i = 0; i < count; i++) {
            if (!(series->label_values[i] = strdup(label_values[i]))) {
                free_series(series, i);
                series = NULL;
                break;
            }
        }
    }
    if (series)
        *tail = series;
    pthread_mutex_unlock(&registry->lock);
    return series;
}

void metric_series_remove(metric_registry *registry, metric_series *series)
{
    if (!series)
        return;
    metric_family *family = (metric_family *)series->family;
    pthread_mutex_lock(&registry->lock);
    for (metric_series **link = &family->series; *link; link = &(*link)->next) {
        if (*link == series) {
            *link = series->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry->lock);
    free_series(series, family->label_count);
}

void metric_observe(metric_series *series, int64_t value)
{
    if (!series)
        return;
    const metric_definition *d = &series->family->definition;
    size_t bucket = 0;
    while (bucket < d->bound_count && value > d->bounds[bucket])
        bucket++;
    atomic_fetch_add_explicit(&series->buckets[bucket], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&series->sum, value, memory_order_relaxed);
}
