/* Rendering the registry as Prometheus text. */
#include "metrics/prometheus_text.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* HELP text escapes \ and newline; label values also escape ". */
static void write_escaped(FILE *out, const char *text, int escape_quote)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", out);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '"' && escape_quote)
            fputs("\\\"", out);
        else
            fputc(*p, out);
    }
}

/* {a="x",b="y"} with an optional extra le label; nothing when empty. */
static void write_labels(FILE *out, const metric_family *family, const metric_series *series,
                         const char *le)
{
    if (family->label_count == 0 && !le)
        return;
    fputc('{', out);
    for (size_t i = 0; i < family->label_count; i++) {
        fprintf(out, "%s%s=\"", i ? "," : "", family->definition.labels[i]);
        write_escaped(out, series->label_values[i], 1);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%sle=\"%s\"", family->label_count ? "," : "", le);
    fputc('}', out);
}

static void write_histogram(FILE *out, const metric_family *family, const metric_series *series)
{
    const metric_definition *d = &family->definition;
    long long cumulative = 0;
    char le[64];
    /* The count is the +Inf bucket itself, so the two always agree even
     * while workers observe. */
    for (size_t i = 0; i <= d->bound_count; i++) {
        cumulative += atomic_load_explicit(&series->buckets[i], memory_order_relaxed);
        if (i < d->bound_count)
            snprintf(le, sizeof(le), "%.9g", (double)d->bounds[i] * d->unit_scale);
        else
            snprintf(le, sizeof(le), "+Inf");
        fprintf(out, "%s_bucket", d->name);
        write_labels(out, family, series, le);
        fprintf(out, " %lld\n", cumulative);
    }
    fprintf(out, "%s_sum", d->name);
    write_labels(out, family, series, NULL);
    fprintf(out, " %.9g\n",
            (double)atomic_load_explicit(&series->sum, memory_order_relaxed) * d->unit_scale);
    fprintf(out, "%s_count", d->name);
    write_labels(out, family, series, NULL);
    fprintf(out, " %lld\n", cumulative);
}

static void write_family(FILE *out, const metric_family *family)
{
    const metric_definition *d = &family->definition;
    if (!family->series)
        return;
    fprintf(out, "# HELP %s ", d->name);
    write_escaped(out, d->help, 0);
    fprintf(out, "\n# TYPE %s %s\n", d->name, type_names[d->type]);
    for (const metric_series *s = family->series; s; s = s->next) {
        if (d->type == METRIC_HISTOGRAM) {
            write_histogram(out, family, s);
            continue;
        }
        fputs(d->name, out);
        write_labels(out, family, s, NULL);
        fprintf(out, " %lld\n", (long long)metric_value(s));
    }
}

char *prometheus_render(metric_registry *registry, size_t *length)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    pthread_mutex_lock(&registry->lock);
    for (const metric_family *f = registry->families; f; f = f->next)
        write_family(out, f);
    pthread_mutex_unlock(&registry->lock);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    *length = size;
    return text;
}
