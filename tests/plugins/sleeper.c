/*
 * sleeper: a test processor that passes every record through unchanged,
 * except two kinds the metrics tests ask for:
 *   - a value "sleep MS" makes process sleep MS milliseconds (at most
 *     max_sleep_ms) before going on, so a partition stalls on demand;
 *     the sleep is logged through host->log;
 *   - a value "late" is counted with host->count(ctx, "late", 1) and
 *     rejected as "late event", the way windowed plugins treat late data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipehost/plugin.h"

typedef struct sleeper {
    const ph_host_api *host;
    ph_context *ctx;
    int64_t max_sleep_ms;
} sleeper;

static const ph_config_field fields[] = {
    {"max_sleep_ms", PH_CONFIG_INT, "30000", 0, "the longest sleep a record may ask for"},
};

static int sleeper_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                        void **instance, char *err, size_t err_size)
{
    sleeper *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    s->host = host;
    s->ctx = ctx;
    s->max_sleep_ms = json_integer_value(json_object_get(config, "max_sleep_ms"));
    *instance = s;
    return 0;
}

/* The milliseconds a "sleep MS" value asks for, or -1. */
static long long requested_sleep(const ph_record *r)
{
    char text[32];
    if (!r->value || r->value_len < 7 || r->value_len >= sizeof(text) ||
        memcmp(r->value, "sleep ", 6) != 0)
        return -1;
    memcpy(text, r->value, r->value_len);
    text[r->value_len] = '\0';
    char *end;
    long long ms = strtoll(text + 6, &end, 10);
    return *end == '\0' && ms >= 0 ? ms : -1;
}

static void sleep_ms(long long ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0)
        ;
}

static ph_status sleeper_process(void *instance, const ph_record *records, size_t count)
{
    sleeper *s = instance;
    for (size_t i = 0; i < count; i++) {
        const ph_record *r = &records[i];
        if (r->value_len == 4 && memcmp(r->value, "late", 4) == 0) {
            s->host->count(s->ctx, "late", 1);
            s->host->reject(s->ctx, r, "late event");
            continue;
        }
        long long ms = requested_sleep(r);
        if (ms >= 0) {
            if (ms > s->max_sleep_ms)
                ms = s->max_sleep_ms;
            s->host->log(s->ctx, PH_LOG_INFO, "sleeping %lld ms at offset %lld", ms,
                         (long long)r->offset);
            sleep_ms(ms);
        }
        if (s->host->emit(s->ctx, r, r->key, r->key_len, r->value, r->value_len) != 0)
            return PH_FATAL;
    }
    return PH_OK;
}

static ph_status sleeper_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    (void)instance;
    (void)mode;
    *retain_offset = PH_OFFSET_NONE;
    return PH_OK;
}

static void sleeper_destroy(void *instance) { free(instance); }

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "sleeper",
    .version = "1.0",
    .description = "passes records through; sleeps or counts late records on demand (tests)",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    .init = sleeper_init,
    .process = sleeper_process,
    .flush = sleeper_flush,
    .destroy = sleeper_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void) { return &descriptor; }
