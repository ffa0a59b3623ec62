/*
 * group_counter: a stateful test processor. It groups records `every` at a
 * time and emits {"first": F, "last": L, "count": N, "final": B} per group,
 * so it holds state between emissions the way a window does:
 *   - checkpoint flush: keeps the open group, retains its first offset;
 *   - final flush: emits the open group with "final": false, still retains.
 * A record whose value is "reject" is rejected; "retry" makes process ask
 * for a retry once; "fatal" makes it fail. Each flush checkpoints
 * "last=OFFSET"; an instance that resumes from a checkpoint adds
 * "resumed": TEXT to what it emits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipehost/plugin.h"

typedef struct group_counter {
    const ph_host_api *host;
    ph_context *ctx;
    int64_t every;
    int64_t first;
    int64_t last;
    int64_t count;
    int retried;
    char *resumed; /* the checkpoint this instance started from, or NULL */
} group_counter;

static const ph_config_field fields[] = {
    {"every", PH_CONFIG_INT, "3", 0, "records per group"},
};

static int gc_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                   void **instance, char *err, size_t err_size)
{
    group_counter *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    g->host = host;
    g->ctx = ctx;
    g->every = json_integer_value(json_object_get(config, "every"));
    g->last = -1;
    const char *resumed = host->checkpoint(ctx);
    if (resumed && !(g->resumed = strdup(resumed))) {
        free(g);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    *instance = g;
    if (g->every < 1) {
        snprintf(err, err_size, "every must be at least 1");
        return -1;
    }
    return 0;
}

static void emit_group(group_counter *g, int final)
{
    json_t *out = json_pack("{s:I, s:I, s:I, s:b}", "first", (json_int_t)g->first, "last",
                            (json_int_t)g->last, "count", (json_int_t)g->count, "final", final);
    if (g->resumed)
        json_object_set_new(out, "resumed", json_string(g->resumed));
    char key[32];
    snprintf(key, sizeof(key), "group-%lld", (long long)g->first);
    g->host->emit_json(g->ctx, NULL, key, out);
    json_decref(out);
}

static int value_is(const ph_record *r, const char *text)
{
    return r->value && r->value_len == strlen(text) && memcmp(r->value, text, r->value_len) == 0;
}

static ph_status gc_process(void *instance, const ph_record *records, size_t count)
{
    group_counter *g = instance;
    for (size_t i = 0; i < count; i++) {
        const ph_record *r = &records[i];
        if (value_is(r, "fatal"))
            return PH_FATAL;
        if (value_is(r, "retry") && !g->retried) {
            g->retried = 1;
            return PH_RETRY; /* nothing of this batch was applied yet */
        }
    }
    for (size_t i = 0; i < count; i++) {
        const ph_record *r = &records[i];
        if (value_is(r, "reject")) {
            g->host->reject(g->ctx, r, "asked to reject offset %lld", (long long)r->offset);
            continue;
        }
        if (g->count == 0)
            g->first = r->offset;
        g->last = r->offset;
        if (++g->count == g->every) {
            emit_group(g, 1);
            g->count = 0;
        }
    }
    return PH_OK;
}

static ph_status gc_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    group_counter *g = instance;
    if (g->count > 0 && mode == PH_FLUSH_FINAL)
        emit_group(g, 0);
    *retain_offset = g->count > 0 ? g->first : PH_OFFSET_NONE;
    char text[32];
    snprintf(text, sizeof(text), "last=%lld", (long long)g->last);
    g->host->set_checkpoint(g->ctx, text);
    return PH_OK;
}

static void gc_destroy(void *instance)
{
    group_counter *g = instance;
    if (g)
        free(g->resumed);
    free(g);
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "group_counter",
    .version = "1.0",
    .description = "groups records for the host's task tests",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    .init = gc_init,
    .process = gc_process,
    .flush = gc_flush,
    .destroy = gc_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void) { return &descriptor; }
