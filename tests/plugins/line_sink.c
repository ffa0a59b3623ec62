/*
 * line_sink: a test sink plugin. It appends each record's value as a line
 * "PARTITION OFFSET VALUE" to the file `path`, and fsyncs it at flush.
 * Records whose value is "reject" are rejected, to show that a sink's
 * rejections reach the dead letter like a processor's. flush_delay_ms
 * makes every flush that long, to test shutdown deadlines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipehost/plugin.h"

typedef struct line_sink {
    const ph_host_api *host;
    ph_context *ctx;
    FILE *file;
    int64_t flush_delay_ms;
} line_sink;

static const ph_config_field fields[] = {
    {"path", PH_CONFIG_STRING, NULL, 1, "file to append lines to"},
    {"flush_delay_ms", PH_CONFIG_INT, "0", 0, "how long every flush takes"},
};

static int ls_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                   void **instance, char *err, size_t err_size)
{
    line_sink *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    *instance = s;
    s->host = host;
    s->ctx = ctx;
    s->flush_delay_ms = json_integer_value(json_object_get(config, "flush_delay_ms"));
    const char *path = json_string_value(json_object_get(config, "path"));
    s->file = fopen(path, "a");
    if (!s->file) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static ph_status ls_process(void *instance, const ph_record *records, size_t count)
{
    line_sink *s = instance;
    for (size_t i = 0; i < count; i++) {
        const ph_record *r = &records[i];
        if (r->value_len == 6 && memcmp(r->value, "reject", 6) == 0) {
            s->host->reject(s->ctx, r, "line_sink refuses this record");
            continue;
        }
        fprintf(s->file, "%d %lld %.*s\n", (int)r->partition, (long long)r->offset,
                (int)r->value_len, (const char *)r->value);
    }
    return ferror(s->file) ? PH_FATAL : PH_OK;
}

static ph_status ls_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    line_sink *s = instance;
    *retain_offset = PH_OFFSET_NONE;
    if (s->flush_delay_ms > 0) {
        struct timespec pause = {.tv_sec = s->flush_delay_ms / 1000,
                                 .tv_nsec = (s->flush_delay_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    if (fflush(s->file) != 0 || fsync(fileno(s->file)) != 0)
        return PH_FATAL;
    return PH_OK;
}

static void ls_destroy(void *instance)
{
    line_sink *s = instance;
    if (!s)
        return;
    if (s->file)
        fclose(s->file);
    free(s);
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_SINK,
    .name = "line_sink",
    .version = "1.0",
    .description = "appends records to a file, for the host's sink tests",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    .init = ls_init,
    .process = ls_process,
    .flush = ls_flush,
    .destroy = ls_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void) { return &descriptor; }
