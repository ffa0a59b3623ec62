/*
 * tagger: a test processor built twice, as tagger-v1/tagger.so and
 * tagger-v2/tagger.so (TAGGER_VERSION "v1" or "v2"), to tell which build
 * of a plugin handled a record when a file is replaced on disk. It passes
 * each JSON object on with two members added: "version" (the build) and
 * "label" (its config, default "none"), which tells which version of a
 * pipeline file's config handled it. Anything but a JSON object is
 * rejected.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pipehost/plugin.h"

#ifndef TAGGER_VERSION
#error "build with -DTAGGER_VERSION=\"vN\""
#endif

typedef struct tagger {
    const ph_host_api *host;
    ph_context *ctx;
    json_t *label;
} tagger;

static const ph_config_field fields[] = {
    {"label", PH_CONFIG_STRING, "none", 0, "added to every record as \"label\""},
};

static int tagger_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                       void **instance, char *err, size_t err_size)
{
    tagger *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    t->host = host;
    t->ctx = ctx;
    t->label = json_string(json_string_value(json_object_get(config, "label")));
    *instance = t;
    if (!t->label) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

static ph_status tagger_process(void *instance, const ph_record *records, size_t count)
{
    tagger *t = instance;
    for (size_t i = 0; i < count; i++) {
        json_t *value = t->host->record_json(t->ctx, &records[i], NULL);
        if (!json_is_object(value)) {
            t->host->reject(t->ctx, &records[i], "not a JSON object");
            continue;
        }
        json_t *copy = json_copy(value);
        if (!copy || json_object_set_new(copy, "version", json_string(TAGGER_VERSION)) != 0 ||
            json_object_set(copy, "label", t->label) != 0) {
            json_decref(copy);
            return PH_FATAL;
        }
        int rc = t->host->emit_json(t->ctx, &records[i], NULL, copy);
        json_decref(copy);
        if (rc != 0)
            return PH_FATAL;
    }
    return PH_OK;
}

static ph_status tagger_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    *retain_offset = PH_OFFSET_NONE; /* holds no state */
    return PH_OK;
}

static void tagger_destroy(void *instance)
{
    tagger *t = instance;
    if (!t)
        return;
    json_decref(t->label);
    free(t);
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "tagger",
    .version = TAGGER_VERSION,
    .description = "adds its build's version and its label to every JSON object",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    .init = tagger_init,
    .process = tagger_process,
    .flush = tagger_flush,
    .destroy = tagger_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void) { return &descriptor; }
