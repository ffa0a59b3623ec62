/*
 * sqlite_sink: write records as rows of a table in an SQLite database
 * file, as upserts on the table's key columns, so that a replayed record
 * overwrites what it wrote the first time.
 *
 * process reads each record into typed cells (rejecting one that does not
 * fit the columns) and holds them, one row per key; flush writes them in
 * one transaction and returns once SQLite has synced the write-ahead log
 * (WAL mode, synchronous=FULL), so the host commits only what is on disk.
 * Writing at flush rather than as records arrive keeps the write lock
 * short: the instances of every partition share the file, and SQLite
 * lets one of them write at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <pipehost/plugin.h>

#include "row_buffer.h"
#include "table_schema.h"
#include "table_sql.h"

/* How long a writer waits for another connection's write lock. */
#define BUSY_TIMEOUT_MS 10000

static const sql_dialect sqlite_dialect = {
    .type_names = {[COLUMN_TEXT] = "TEXT",
                   [COLUMN_INTEGER] = "INTEGER",
                   [COLUMN_REAL] = "REAL",
                   [COLUMN_BOOLEAN] = "INTEGER", /* SQLite's booleans are 0 and 1 */
                   [COLUMN_JSON] = "TEXT"},      /* SQLite's json functions read text */
    .numbered_placeholders = 0,
};

typedef struct sqlite_sink {
    const ph_host_api *host;
    ph_context *ctx;
    table_schema schema;
    row_buffer rows;
    char *path;
    sqlite3 *db;
    sqlite3_stmt *upsert;
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
} sqlite_sink;

static void sqlite_sink_destroy(void *instance)
{
    sqlite_sink *sink = instance;

    if (sink == NULL)
        return;
    sqlite3_finalize(sink->upsert);
    sqlite3_finalize(sink->begin);
    sqlite3_finalize(sink->commit);
    sqlite3_finalize(sink->rollback);
    sqlite3_close_v2(sink->db);
    row_buffer_free(&sink->rows);
    table_schema_free(&sink->schema);
    free(sink->path);
    free(sink);
}

/* mkdir -p of the folder path is in, as the file sink does. 0 or -1. */
static int make_parent_folders(const char *path, char *err, size_t err_size)
{
    char *folder = strdup(path);
    int rc = 0;

    if (folder == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    char *slash = strrchr(folder, '/');
    if (slash != NULL && slash != folder) {
        *slash = '\0';
        for (char *p = folder + 1; rc == 0; p++) {
            if (*p != '/' && *p != '\0')
                continue;
            char end = *p;
            *p = '\0';
            if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
                snprintf(err, err_size, "%s: cannot create the folder %s: %s", path, folder,
                         strerror(errno));
                rc = -1;
            }
            *p = end;
            if (end == '\0')
                break;
        }
    }
    free(folder);
    return rc;
}

static int prepare(sqlite_sink *sink, const char *sql, sqlite3_stmt **statement, char *err,
                   size_t err_size)
{
    if (sql == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (sqlite3_prepare_v2(sink->db, sql, -1, statement, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s: table %s: %s", sink->path, sink->schema.table,
                 sqlite3_errmsg(sink->db));
        return -1;
    }
    return 0;
}

static int execute(sqlite_sink *sink, const char *sql, char *err, size_t err_size)
{
    char *message = NULL;

    if (sql == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (sqlite3_exec(sink->db, sql, NULL, NULL, &message) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", sink->path,
                 message ? message : sqlite3_errmsg(sink->db));
        sqlite3_free(message);
        return -1;
    }
    return 0;
}

/* WAL: readers (a dashboard, the demo's summary) never block the writer.
 * synchronous=FULL: a commit syncs the log, so it is durable on return. */
static int set_journal(sqlite_sink *sink, char *err, size_t err_size)
{
    sqlite3_stmt *statement = NULL;
    int rc = -1;

    if (prepare(sink, "PRAGMA journal_mode=WAL", &statement, err, err_size) != 0)
        return -1;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(statement, 0);
        if (mode != NULL && strcmp(mode, "wal") == 0)
            rc = 0;
        else
            snprintf(err, err_size, "%s: cannot use WAL mode (the journal mode stays %s)",
                     sink->path, mode ? mode : "unknown");
    } else {
        snprintf(err, err_size, "%s: cannot use WAL mode: %s", sink->path,
                 sqlite3_errmsg(sink->db));
    }
    sqlite3_finalize(statement);
    return rc == 0 ? execute(sink, "PRAGMA synchronous=FULL", err, err_size) : -1;
}

static int open_table(sqlite_sink *sink, char *err, size_t err_size)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    if (make_parent_folders(sink->path, err, err_size) != 0)
        return -1;
    if (sqlite3_open_v2(sink->path, &sink->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", sink->path,
                 sink->db ? sqlite3_errmsg(sink->db) : "out of memory");
        return -1;
    }
    sqlite3_extended_result_codes(sink->db, 1);
    sqlite3_busy_timeout(sink->db, BUSY_TIMEOUT_MS);
    if (set_journal(sink, err, err_size) != 0)
        return -1;

    char *create = table_sql_create(&sink->schema, &sqlite_dialect);
    int rc = execute(sink, create, err, err_size);
    free(create);
    if (rc != 0)
        return -1;
    /* Preparing the upsert checks an existing table against the config:
     * its columns, and a key the conflict target matches. */
    char *upsert = table_sql_upsert_values(&sink->schema, &sqlite_dialect, 1);
    rc = prepare(sink, upsert, &sink->upsert, err, err_size);
    free(upsert);
    if (rc != 0)
        return -1;
    /* IMMEDIATE: take the write lock at the start, or wait for it there. */
    return prepare(sink, "BEGIN IMMEDIATE", &sink->begin, err, err_size) != 0 ||
                   prepare(sink, "COMMIT", &sink->commit, err, err_size) != 0 ||
                   prepare(sink, "ROLLBACK", &sink->rollback, err, err_size) != 0
               ? -1
               : 0;
}

static int sqlite_sink_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                            void **instance, char *err, size_t err_size)
{
    const char *path = json_string_value(json_object_get(config, "path"));
    sqlite_sink *sink = calloc(1, sizeof(*sink));

    *instance = sink;
    if (sink == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    sink->host = host;
    sink->ctx = ctx;
    if (table_schema_init(&sink->schema, config, err, err_size) != 0)
        return -1;
    if (path == NULL || path[0] == '\0') {
        snprintf(err, err_size, "path: expected the database file's path");
        return -1;
    }
    if ((sink->path = strdup(path)) == NULL || row_buffer_init(&sink->rows, &sink->schema) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return open_table(sink, err, err_size);
}

static ph_status sqlite_sink_process(void *instance, const ph_record *records, size_t count)
{
    sqlite_sink *sink = instance;

    return row_buffer_add_batch(&sink->rows, sink->host, sink->ctx, records, count);
}

static int bind_row(sqlite_sink *sink, const row_cell *row)
{
    for (size_t i = 0; i < sink->schema.column_count; i++) {
        const row_cell *cell = &row[i];
        int column = (int)i + 1;
        int rc;

        switch (cell->kind) {
        case CELL_INTEGER:
            rc = sqlite3_bind_int64(sink->upsert, column, cell->as.integer);
            break;
        case CELL_REAL:
            rc = sqlite3_bind_double(sink->upsert, column, cell->as.real);
            break;
        case CELL_TEXT:
            /* Static: the buffer keeps the bytes until the flush ends. */
            rc = sqlite3_bind_text(sink->upsert, column, row_buffer_text(&sink->rows, cell),
                                   (int)cell->as.text.length, SQLITE_STATIC);
            break;
        case CELL_NULL:
        default:
            rc = sqlite3_bind_null(sink->upsert, column);
            break;
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* Run a statement that returns no rows; its result code. */
static int run(sqlite3_stmt *statement)
{
    int rc = sqlite3_step(statement);

    sqlite3_reset(statement);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Every held row, in one transaction. SQLITE_OK or the failing code. */
static int write_rows(sqlite_sink *sink)
{
    int rc = run(sink->begin);

    if (rc != SQLITE_OK)
        return rc;
    for (size_t r = 0; r < row_buffer_count(&sink->rows) && rc == SQLITE_OK; r++) {
        rc = bind_row(sink, row_buffer_row(&sink->rows, r));
        if (rc == SQLITE_OK)
            rc = run(sink->upsert);
    }
    sqlite3_clear_bindings(sink->upsert);
    if (rc == SQLITE_OK)
        rc = run(sink->commit);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(sink->db))
        run(sink->rollback);
    return rc;
}

static ph_status sqlite_sink_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    sqlite_sink *sink = instance;
    size_t rows = row_buffer_count(&sink->rows);

    *retain_offset = PH_OFFSET_NONE;
    if (rows == 0)
        return PH_OK;
    int rc = write_rows(sink);
    if (rc != SQLITE_OK) {
        int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        sink->host->log(sink->ctx, PH_LOG_ERROR,
                        "%s: writing %zu rows to %s failed, nothing of them was written: %s%s",
                        sink->path, rows, sink->schema.table, sqlite3_errstr(rc),
                        busy ? " (another connection held the write lock too long)" : "");
        return busy ? PH_RETRY : PH_FATAL;
    }
    sink->host->count(sink->ctx, "rows_written", (int64_t)rows);
    row_buffer_clear(&sink->rows);
    return PH_OK;
}

static const ph_config_field sqlite_sink_fields[] = {
    {.name = "path", .type = PH_CONFIG_STRING, .required = 1,
     .description = "the database file (created with its folders if absent; relative to the "
                    "working folder)"},
    TABLE_SCHEMA_CONFIG_FIELDS,
};

static const ph_descriptor sqlite_sink_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_SINK,
    .name = "sqlite_sink",
    .version = "1.0.0",
    .description = "upsert records as rows of an SQLite table, one transaction per flush",
    .config_fields = sqlite_sink_fields,
    .config_field_count = sizeof(sqlite_sink_fields) / sizeof(sqlite_sink_fields[0]),
    .init = sqlite_sink_init,
    .process = sqlite_sink_process,
    .flush = sqlite_sink_flush,
    .destroy = sqlite_sink_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void)
{
    return &sqlite_sink_descriptor;
}
