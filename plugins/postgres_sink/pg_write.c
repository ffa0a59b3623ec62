/*
 * Writing a flush's rows: one transaction, in which the upsert on the key
 * columns makes a replayed row overwrite itself. Two ways, chosen by the
 * config's write_method: COPY the rows into the session's temporary table
 * and upsert from it with one statement, or send multi-row INSERT ...
 * VALUES upserts with bound parameters. The row buffer holds one row per
 * key, which is what PostgreSQL requires of a single upsert statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_sink.h"

/* COPY data goes to libpq in pieces about this large. */
#define COPY_CHUNK_BYTES (64 * 1024)

typedef struct copy_text {
    char *bytes;
    size_t used;
    size_t capacity;
} copy_text;

static int copy_reserve(copy_text *text, size_t more)
{
    return row_bytes_reserve(&text->bytes, &text->capacity, text->used, more);
}

/* One value in COPY's text format: backslash escapes for the bytes that
 * would end a value, a row or an escape. */
static int copy_value(copy_text *text, const char *value, size_t length)
{
    if (copy_reserve(text, 2 * length) != 0)
        return -1;
    for (size_t i = 0; i < length; i++) {
        char c = value[i];
        char escaped = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;

        if (escaped) {
            text->bytes[text->used++] = '\\';
            text->bytes[text->used++] = escaped;
        } else {
            text->bytes[text->used++] = c;
        }
    }
    return 0;
}

static int copy_row(postgres_sink *sink, copy_text *text, const row_cell *row)
{
    const table_schema *schema = &sink->schema;

    for (size_t i = 0; i < schema->column_count; i++) {
        char scratch[32];
        size_t length;
        const char *value = row_cell_text(&sink->rows, &schema->columns[i], &row[i], scratch,
                                          &length);

        if (copy_reserve(text, 3) != 0)
            return -1;
        if (i > 0)
            text->bytes[text->used++] = '\t';
        if (value == NULL) {
            memcpy(text->bytes + text->used, "\\N", 2);
            text->used += 2;
        } else if (copy_value(text, value, length) != 0) {
            return -1;
        }
    }
    if (copy_reserve(text, 1) != 0)
        return -1;
    text->bytes[text->used++] = '\n';
    return 0;
}

static int copy_send(postgres_sink *sink, copy_text *text)
{
    if (text->used > 0 && PQputCopyData(sink->conn, text->bytes, (int)text->used) != 1)
        return pg_session_fail(sink, NULL, "COPY");
    text->used = 0;
    return 0;
}

/* The rows into the staging table, by COPY. */
static int copy_rows(postgres_sink *sink)
{
    copy_text text = {0};
    int rc = 0;
    PGresult *res = PQexec(sink->conn, sink->copy_command);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return pg_session_fail(sink, res, "COPY");
    PQclear(res);
    for (size_t r = 0; r < row_buffer_count(&sink->rows) && rc == 0; r++) {
        if (copy_row(sink, &text, row_buffer_row(&sink->rows, r)) != 0) {
            snprintf(sink->error, sizeof(sink->error), "COPY: out of memory");
            sink->error_transient = 0;
            rc = -1;
        } else if (text.used >= COPY_CHUNK_BYTES) {
            rc = copy_send(sink, &text);
        }
    }
    if (rc == 0)
        rc = copy_send(sink, &text);
    free(text.bytes);
    /* Ending with an error message aborts the COPY (and the transaction). */
    if (PQputCopyEnd(sink->conn, rc == 0 ? NULL : "pipehost: abandoned") != 1 && rc == 0)
        return pg_session_fail(sink, NULL, "COPY");
    while ((res = PQgetResult(sink->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
            rc = pg_session_fail(sink, res, "COPY");
        else
            PQclear(res);
    }
    return rc;
}

static int run_prepared(postgres_sink *sink, int parameters, const char *const *values)
{
    PGresult *res = PQexecPrepared(sink->conn, UPSERT_STATEMENT, parameters, values, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[128];
        snprintf(what, sizeof(what), "upserting into %s", sink->schema.table);
        return pg_session_fail(sink, res, what);
    }
    PQclear(res);
    return 0;
}

/* Rows [from, from + count) as one multi-row upsert: the prepared one for
 * a full statement, a one-off for the remainder. */
static int insert_rows(postgres_sink *sink, size_t from, size_t count, const char **values,
                       char (*scratch)[32])
{
    size_t columns = sink->schema.column_count;
    size_t n = 0;

    for (size_t r = from; r < from + count; r++) {
        const row_cell *row = row_buffer_row(&sink->rows, r);
        for (size_t i = 0; i < columns; i++, n++) {
            size_t length;
            values[n] = row_cell_text(&sink->rows, &sink->schema.columns[i], &row[i], scratch[n],
                                      &length);
        }
    }
    if (count == sink->rows_per_insert)
        return run_prepared(sink, (int)n, values);

    char *sql = table_sql_upsert_values(&sink->schema, &postgres_dialect, count);
    if (sql == NULL) {
        snprintf(sink->error, sizeof(sink->error), "out of memory");
        sink->error_transient = 0;
        return -1;
    }
    PGresult *res = PQexecParams(sink->conn, sql, (int)n, NULL, values, NULL, NULL, 0);
    free(sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[128];
        snprintf(what, sizeof(what), "upserting into %s", sink->schema.table);
        return pg_session_fail(sink, res, what);
    }
    PQclear(res);
    return 0;
}

static int insert_all(postgres_sink *sink)
{
    size_t per_statement = sink->rows_per_insert * sink->schema.column_count;
    const char **values = calloc(per_statement, sizeof(*values));
    char(*scratch)[32] = calloc(per_statement, sizeof(*scratch));
    size_t total = row_buffer_count(&sink->rows);
    int rc = 0;

    if (values == NULL || scratch == NULL) {
        snprintf(sink->error, sizeof(sink->error), "out of memory");
        sink->error_transient = 0;
        rc = -1;
    }
    for (size_t from = 0; from < total && rc == 0; from += sink->rows_per_insert) {
        size_t count = total - from < sink->rows_per_insert ? total - from : sink->rows_per_insert;
        rc = insert_rows(sink, from, count, values, scratch);
    }
    free(values);
    free(scratch);
    return rc;
}

int pg_write_rows(postgres_sink *sink)
{
    if (pg_session_execute(sink, "BEGIN") != 0)
        return -1;
    int rc = sink->method == WRITE_COPY ? copy_rows(sink) : insert_all(sink);
    if (rc == 0 && sink->method == WRITE_COPY)
        rc = run_prepared(sink, 0, NULL);
    if (rc == 0) {
        PGresult *res = PQexec(sink->conn, "COMMIT");
        /* A transaction that failed unnoticed would end in "ROLLBACK". */
        if (PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0) {
            PQclear(res);
            return 0;
        }
        return pg_session_fail(sink, res, "COMMIT");
    }
    if (PQstatus(sink->conn) == CONNECTION_OK) {
        /* Keep the failure's message, not the rollback's. */
        PGresult *res = PQexec(sink->conn, "ROLLBACK");
        PQclear(res);
    }
    return -1;
}
