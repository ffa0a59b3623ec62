/*
 * A connection to PostgreSQL and what a new session needs before it can
 * write: the table, the temporary staging table (COPY) and the prepared
 * upsert. After the server went away the sink opens a new session, and
 * all of it is set up again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conninfo_redact.h"
#include "postgres_sink.h"

const sql_dialect postgres_dialect = {
    .type_names = {[COLUMN_TEXT] = "text",
                   [COLUMN_INTEGER] = "bigint",
                   [COLUMN_REAL] = "double precision",
                   [COLUMN_BOOLEAN] = "boolean",
                   [COLUMN_JSON] = "jsonb"},
    .numbered_placeholders = 1,
};

/* Errors after which a new session can succeed: the connection or the
 * server going away or starting, and conflicts with other writers. */
static int transient_state(const char *state)
{
    static const char *const passing[] = {
        "57P01", /* admin_shutdown: the server is stopping */
        "57P02", /* crash_shutdown */
        "57P03", /* cannot_connect_now: the server is starting */
        "53300", /* too_many_connections */
        "40001", /* serialization_failure */
        "40P01", /* deadlock_detected */
    };

    if (state == NULL)
        return 0;
    if (strncmp(state, "08", 2) == 0) /* connection_exception */
        return 1;
    for (size_t i = 0; i < sizeof(passing) / sizeof(passing[0]); i++) {
        if (strcmp(state, passing[i]) == 0)
            return 1;
    }
    return 0;
}

/* A libpq message on one line, without the conninfo's secrets. libpq's
 * messages end with a newline and may hold several lines. */
static void scrub_message(const postgres_sink *sink, const char *message, char *out, size_t size)
{
    conninfo_scrub(sink->conninfo, message, out, size);
    for (char *end = out + strlen(out); end > out && end[-1] == '\n'; end--)
        end[-1] = '\0';
    /* A line break and the indentation after it become one space. */
    char *to = out;
    for (const char *from = out; *from != '\0'; from++) {
        if (*from == '\n') {
            while (from[1] == '\t' || from[1] == ' ')
                from++;
            *to++ = ' ';
        } else {
            *to++ = *from;
        }
    }
    *to = '\0';
}

int pg_session_fail(postgres_sink *sink, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *message = primary ? primary : PQerrorMessage(sink->conn);
    char scrubbed[768];

    scrub_message(sink, message, scrubbed, sizeof(scrubbed));
    snprintf(sink->error, sizeof(sink->error), "%s: %s", what, scrubbed);
    sink->error_transient = PQstatus(sink->conn) != CONNECTION_OK || transient_state(state);
    PQclear(res);
    return -1;
}

int pg_session_execute(postgres_sink *sink, const char *sql)
{
    PGresult *res = PQexec(sink->conn, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_session_fail(sink, res, sql);
    PQclear(res);
    return 0;
}

/* Notices ("relation already exists, skipping") go to the host's log,
 * not to libpq's default of stderr. */
static void log_notice(void *arg, const char *message)
{
    postgres_sink *sink = arg;
    size_t length = strlen(message);

    while (length > 0 && message[length - 1] == '\n')
        length--;
    sink->host->log(sink->ctx, PH_LOG_DEBUG, "%s: %.*s", sink->target, (int)length, message);
}

static int connect_to_server(postgres_sink *sink)
{
    /* Later entries override earlier ones: the conninfo (expanded from
     * "dbname") may set its own connect_timeout and application_name,
     * but the text the sink sends is UTF-8 whatever it says. */
    static const char *const keywords[] = {"connect_timeout", "application_name", "dbname",
                                           "client_encoding", NULL};
    const char *values[] = {"10", "pipehost", sink->conninfo, "UTF8", NULL};

    sink->conn = PQconnectdbParams(keywords, values, 1);
    if (sink->conn == NULL) {
        snprintf(sink->error, sizeof(sink->error), "cannot connect to %s: out of memory",
                 sink->target);
        sink->error_transient = 0;
        return -1;
    }
    if (PQstatus(sink->conn) != CONNECTION_OK) {
        char scrubbed[768];

        scrub_message(sink, PQerrorMessage(sink->conn), scrubbed, sizeof(scrubbed));
        snprintf(sink->error, sizeof(sink->error), "cannot connect to %s: %s", sink->target,
                 scrubbed);
        /* The server may be restarting; whether it comes back is for the
         * caller's patience to find out. */
        sink->error_transient = 1;
        return -1;
    }
    PQsetNoticeProcessor(sink->conn, log_notice, sink);
    return 0;
}

/* CREATE TABLE IF NOT EXISTS is not atomic: two sessions creating the
 * same table at once can collide in the catalog. The loser's retry then
 * finds the table. */
static int create_table(postgres_sink *sink)
{
    char *sql = table_sql_create(&sink->schema, &postgres_dialect);
    int rc = -1;

    for (int attempt = 0; sql != NULL && attempt < 3 && rc != 0; attempt++) {
        PGresult *res = PQexec(sink->conn, sql);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            rc = 0;
            PQclear(res);
        } else if (state != NULL && (strcmp(state, "23505") == 0 || strcmp(state, "42P07") == 0)) {
            PQclear(res);
        } else {
            pg_session_fail(sink, res, "creating the table");
            break;
        }
    }
    if (sql == NULL)
        snprintf(sink->error, sizeof(sink->error), "out of memory");
    free(sql);
    return rc;
}

/* Preparing the upsert also checks an existing table against the config:
 * its columns, and a unique key the conflict target matches. */
static int prepare_upsert(postgres_sink *sink)
{
    char *sql = NULL;
    int rc;

    if (sink->method == WRITE_COPY) {
        char *staging = NULL;
        size_t length = 0;
        FILE *out = open_memstream(&staging, &length);

        if (out == NULL)
            return -1;
        fprintf(out, "CREATE TEMPORARY TABLE \"" STAGING_TABLE "\" (");
        table_sql_column_definitions(out, &sink->schema, &postgres_dialect);
        fprintf(out, ") ON COMMIT DELETE ROWS");
        if (fclose(out) != 0) {
            free(staging);
            return -1;
        }
        rc = pg_session_execute(sink, staging);
        free(staging);
        if (rc != 0)
            return -1;
        sql = table_sql_upsert_select(&sink->schema, STAGING_TABLE);
    } else {
        sql = table_sql_upsert_values(&sink->schema, &postgres_dialect, sink->rows_per_insert);
    }
    if (sql == NULL) {
        snprintf(sink->error, sizeof(sink->error), "out of memory");
        return -1;
    }
    PGresult *res = PQprepare(sink->conn, UPSERT_STATEMENT, sql, 0, NULL);
    free(sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[128];
        snprintf(what, sizeof(what), "table %s", sink->schema.table);
        return pg_session_fail(sink, res, what);
    }
    PQclear(res);
    return 0;
}

int pg_session_open(postgres_sink *sink)
{
    pg_session_close(sink);
    if (connect_to_server(sink) == 0 && create_table(sink) == 0 && prepare_upsert(sink) == 0)
        return 0;
    pg_session_close(sink);
    return -1;
}

void pg_session_close(postgres_sink *sink)
{
    if (sink->conn != NULL)
        PQfinish(sink->conn);
    sink->conn = NULL;
}
