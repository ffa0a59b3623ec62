/*
 * postgres_sink's instance, shared by its files: the plugin's callbacks
 * (postgres_sink.c), the connection and what each session sets up
 * (pg_session.c), and the writing of a flush's rows (pg_write.c).
 */
#ifndef PIPEHOST_POSTGRES_SINK_H
#define PIPEHOST_POSTGRES_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include <pipehost/plugin.h>

#include "row_buffer.h"
#include "table_schema.h"
#include "table_sql.h"

/* How a flush's rows reach the table (see README.md for the measurements). */
typedef enum write_method {
    WRITE_COPY = 0,  /* COPY into a temporary table, then one INSERT ... SELECT upsert */
    WRITE_INSERT = 1 /* multi-row INSERT ... VALUES upserts with bound parameters */
} write_method;

/* The session's temporary table and prepared statements. */
#define STAGING_TABLE "pipehost_staging"
#define UPSERT_STATEMENT "pipehost_upsert"

extern const sql_dialect postgres_dialect;

typedef struct postgres_sink {
    const ph_host_api *host;
    ph_context *ctx;
    table_schema schema;
    row_buffer rows;
    char *conninfo;
    char target[512]; /* the conninfo without its secrets, for messages */
    write_method method;
    size_t rows_per_insert; /* WRITE_INSERT: rows of the prepared statement */
    char *copy_command;     /* WRITE_COPY: COPY staging (columns) FROM STDIN */
    int64_t reconnect_timeout_ms;
    PGconn *conn; /* NULL while disconnected */
    char error[1536]; /* the last failure, scrubbed of secrets */
    int error_transient; /* the last failure may pass: reconnect and try again */
} postgres_sink;

/*
 * Connect and set the session up: the table created if absent, the
 * statements of the write method prepared. 0, or -1 with sink->error and
 * sink->error_transient set (and no connection kept).
 */
int pg_session_open(postgres_sink *sink);

/* Drop the connection (a no-op without one). */
void pg_session_close(postgres_sink *sink);

/* Run sql, which returns no rows. 0, or -1 with the failure recorded. */
int pg_session_execute(postgres_sink *sink, const char *sql);

/* Record a failed result (res may be NULL) as sink->error, saying what
 * failed, and whether it may pass. Frees res. Returns -1. */
int pg_session_fail(postgres_sink *sink, PGresult *res, const char *what);

/* Write every held row in one transaction, by sink->method. 0, or -1
 * with the failure recorded (the transaction is then rolled back, or gone
 * with the connection). */
int pg_write_rows(postgres_sink *sink);

#endif
