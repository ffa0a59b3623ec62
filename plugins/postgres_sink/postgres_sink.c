/*
 * postgres_sink: write records as rows of a PostgreSQL table, as upserts
 * (INSERT ... ON CONFLICT DO UPDATE) on the table's key columns, so that a
 * replayed record overwrites what it wrote the first time.
 *
 * process reads each record into typed cells (rejecting one that does not
 * fit the columns) and holds them, one row per key; flush writes them in
 * one transaction and returns PH_OK only once it has committed. When the
 * server goes away, flush reconnects with growing pauses and writes the
 * held rows again, for up to reconnect_timeout; after that it fails, and
 * the host commits nothing of what the rows came from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conninfo_redact.h"
#include "postgres_sink.h"

/* Pauses between reconnection attempts grow from the first to the last. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
/* A bound on attempts besides reconnect_timeout. */
#define RECONNECT_ATTEMPTS_MAX 10000
/* PostgreSQL takes at most 65535 parameters in one statement. */
#define INSERT_ROWS_MAX 500
#define PARAMETERS_MAX 65535

static int64_t now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    nanosleep(&pause, NULL);
}

static void postgres_sink_destroy(void *instance)
{
    postgres_sink *sink = instance;

    if (sink == NULL)
        return;
    pg_session_close(sink);
    row_buffer_free(&sink->rows);
    table_schema_free(&sink->schema);
    free(sink->conninfo);
    free(sink->copy_command);
    free(sink);
}

static int read_method(postgres_sink *sink, const json_t *config, char *err, size_t err_size)
{
    const char *method = json_string_value(json_object_get(config, "write_method"));

    if (method != NULL && strcmp(method, "copy") == 0) {
        sink->method = WRITE_COPY;
    } else if (method != NULL && strcmp(method, "insert") == 0) {
        sink->method = WRITE_INSERT;
    } else {
        snprintf(err, err_size, "write_method: '%s' is neither copy nor insert",
                 method ? method : "");
        return -1;
    }
    size_t by_parameters = PARAMETERS_MAX / sink->schema.column_count;
    sink->rows_per_insert = by_parameters < INSERT_ROWS_MAX ? by_parameters : INSERT_ROWS_MAX;
    return 0;
}

static int read_conninfo(postgres_sink *sink, const json_t *config, char *err, size_t err_size)
{
    const char *conninfo = json_string_value(json_object_get(config, "conninfo"));
    char *parse_error = NULL;

    if (conninfo == NULL) {
        snprintf(err, err_size, "conninfo: expected a libpq connection string");
        return -1;
    }
    PQconninfoOption *options = PQconninfoParse(conninfo, &parse_error);
    if (options == NULL) {
        char scrubbed[256];

        conninfo_scrub(conninfo, parse_error ? parse_error : "out of memory", scrubbed,
                       sizeof(scrubbed));
        scrubbed[strcspn(scrubbed, "\n")] = '\0';
        snprintf(err, err_size, "conninfo: %s", scrubbed);
        PQfreemem(parse_error);
        return -1;
    }
    PQconninfoFree(options);
    if ((sink->conninfo = strdup(conninfo)) == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    conninfo_describe(conninfo, sink->target, sizeof(sink->target));
    return 0;
}

static char *copy_command_for(const table_schema *schema)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);

    if (out == NULL)
        return NULL;
    fprintf(out, "COPY \"" STAGING_TABLE "\" (");
    table_sql_column_names(out, schema);
    fprintf(out, ") FROM STDIN");
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int postgres_sink_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                              void **instance, char *err, size_t err_size)
{
    postgres_sink *sink = calloc(1, sizeof(*sink));

    *instance = sink;
    if (sink == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    sink->host = host;
    sink->ctx = ctx;
    sink->reconnect_timeout_ms = json_integer_value(json_object_get(config, "reconnect_timeout"));
    if (table_schema_init(&sink->schema, config, err, err_size) != 0 ||
        read_method(sink, config, err, err_size) != 0 ||
        read_conninfo(sink, config, err, err_size) != 0)
        return -1;
    if (row_buffer_init(&sink->rows, &sink->schema) != 0 ||
        (sink->copy_command = copy_command_for(&sink->schema)) == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (pg_session_open(sink) != 0) {
        snprintf(err, err_size, "%s", sink->error);
        return -1;
    }
    host->log(ctx, PH_LOG_DEBUG, "writing to table %s at %s", sink->schema.table, sink->target);
    return 0;
}

static ph_status postgres_sink_process(void *instance, const ph_record *records, size_t count)
{
    postgres_sink *sink = instance;

    return row_buffer_add_batch(&sink->rows, sink->host, sink->ctx, records, count);
}

/* One attempt: a session (a new one if needed), then the transaction. */
static int write_once(postgres_sink *sink)
{
    if (sink->conn == NULL && pg_session_open(sink) != 0)
        return -1;
    return pg_write_rows(sink);
}

static ph_status postgres_sink_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    postgres_sink *sink = instance;
    size_t rows = row_buffer_count(&sink->rows);
    int64_t started = now_ms();
    int64_t backoff = BACKOFF_FIRST_MS;
    int failures = 0;

    *retain_offset = PH_OFFSET_NONE;
    if (rows == 0)
        return PH_OK;
    for (int attempt = 0; attempt < RECONNECT_ATTEMPTS_MAX; attempt++) {
        if (write_once(sink) == 0) {
            if (failures > 0)
                sink->host->log(sink->ctx, PH_LOG_WARN,
                                "%s: reconnected; wrote %zu rows to %s after %d failed attempts "
                                "in %.1f s",
                                sink->target, rows, sink->schema.table, failures,
                                (now_ms() - started) / 1000.0);
            sink->host->count(sink->ctx, "rows_written", (int64_t)rows);
            row_buffer_clear(&sink->rows);
            return PH_OK;
        }
        failures++;
        if (!sink->error_transient) {
            sink->host->log(sink->ctx, PH_LOG_ERROR,
                            "%s: writing %zu rows to %s failed, none was written: %s",
                            sink->target, rows, sink->schema.table, sink->error);
            return PH_FATAL;
        }
        /* The session is unusable or its transaction lost: start anew. */
        pg_session_close(sink);
        int64_t elapsed = now_ms() - started;
        if (elapsed + backoff > sink->reconnect_timeout_ms) {
            sink->host->log(sink->ctx, PH_LOG_ERROR,
                            "%s: still failing after %.1f s (%d attempts), %zu rows for %s are "
                            "not written and nothing of them is committed: %s",
                            sink->target, elapsed / 1000.0, failures, rows, sink->schema.table,
                            sink->error);
            return PH_RETRY;
        }
        if (failures == 1)
            sink->host->log(sink->ctx, PH_LOG_WARN,
                            "%s: %s; reconnecting for up to %.0f s to write %zu rows to %s",
                            sink->target, sink->error, sink->reconnect_timeout_ms / 1000.0, rows,
                            sink->schema.table);
        sleep_ms(backoff);
        backoff = backoff * 2 < BACKOFF_MAX_MS ? backoff * 2 : BACKOFF_MAX_MS;
    }
    return PH_RETRY;
}

static const ph_config_field postgres_sink_fields[] = {
    {.name = "conninfo", .type = PH_CONFIG_STRING, .required = 1,
     .description = "libpq connection string (\"host=H port=P dbname=D user=U\"); leave the "
                    "password out and set PGPASSWORD or use ~/.pgpass"},
    TABLE_SCHEMA_CONFIG_FIELDS,
    {.name = "write_method", .type = PH_CONFIG_STRING, .default_value = "copy",
     .description = "copy: COPY into a temporary table, then one upsert; insert: multi-row "
                    "INSERT upserts"},
    {.name = "reconnect_timeout", .type = PH_CONFIG_DURATION, .default_value = "30s",
     .description = "how long a flush keeps reconnecting before it fails (and nothing is "
                    "committed)"},
};

static const ph_descriptor postgres_sink_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_SINK,
    .name = "postgres_sink",
    .version = "1.0.0",
    .description = "upsert records as rows of a PostgreSQL table, one transaction per flush",
    .config_fields = postgres_sink_fields,
    .config_field_count = sizeof(postgres_sink_fields) / sizeof(postgres_sink_fields[0]),
    .init = postgres_sink_init,
    .process = postgres_sink_process,
    .flush = postgres_sink_flush,
    .destroy = postgres_sink_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void)
{
    return &postgres_sink_descriptor;
}
