#include "cli/demo_summary.h"

#include <stdlib.h>

#define TOP_ROWS "10"

/* A query's statement, or NULL after saying why on stderr. */
static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *statement = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
        fprintf(stderr, "pipehost demo: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
        sqlite3_finalize(statement);
        return NULL;
    }
    return statement;
}

/* Finish a statement stepped to its end: 0, or -1 if a step failed. */
static int finish(sqlite3 *db, sqlite3_stmt *statement, int last_step)
{
    sqlite3_finalize(statement);
    if (last_step != SQLITE_DONE) {
        fprintf(stderr, "pipehost demo: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* The integers of a query's one row. 0 or -1. */
static int query_integers(sqlite3 *db, const char *sql, long long *values, int count)
{
    sqlite3_stmt *statement = prepare(db, sql);

    for (int i = 0; i < count; i++)
        values[i] = 0;
    if (statement == NULL)
        return -1;
    int step = sqlite3_step(statement);
    if (step == SQLITE_ROW) {
        for (int i = 0; i < count; i++)
            values[i] = sqlite3_column_int64(statement, i);
        step = sqlite3_step(statement);
    }
    return finish(db, statement, step);
}

static const char *column_text(sqlite3_stmt *statement, int column)
{
    const unsigned char *text = sqlite3_column_text(statement, column);

    return text ? (const char *)text : "";
}

/* A real column as "%.*f", or "-" when NULL. */
static const char *format_real(sqlite3_stmt *statement, int column, int decimals, char *buf,
                               size_t size)
{
    if (sqlite3_column_type(statement, column) == SQLITE_NULL)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", decimals, sqlite3_column_double(statement, column));
    return buf;
}

static const char top_pages[] =
    "SELECT page, SUM(views), SUM(users), SUM(ratings), SUM(rating_sum) FROM page_stats "
    "GROUP BY page ORDER BY SUM(views) DESC, page LIMIT " TOP_ROWS;

int demo_summarize_clickstream(FILE *out, sqlite3 *db)
{
    long long counts[2];

    if (query_integers(db, "SELECT count(*), count(DISTINCT page) FROM page_stats", counts, 2))
        return -1;
    sqlite3_stmt *statement = prepare(db, top_pages);
    if (statement == NULL)
        return -1;
    fprintf(out, "%lld (page, window, partition) rows for %lld pages in page_stats. Top pages by "
                 "views\n(users: distinct viewers per window, summed over windows):\n\n  %s\n\n",
            counts[0], counts[1], top_pages);
    fprintf(out, "  %-16s %9s %9s %8s %10s\n", "page", "views", "users", "ratings", "avg rating");
    int step;
    while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
        long long ratings = sqlite3_column_int64(statement, 3);
        char average[32] = "-";
        if (ratings > 0)
            snprintf(average, sizeof(average), "%.2f",
                     (double)sqlite3_column_int64(statement, 4) / (double)ratings);
        fprintf(out, "  %-16s %9lld %9lld %8lld %10s\n", column_text(statement, 0),
                (long long)sqlite3_column_int64(statement, 1),
                (long long)sqlite3_column_int64(statement, 2), ratings, average);
    }
    return finish(db, statement, step);
}

/* Per alerting device: its alerts by rule, and the min, count-weighted
 * mean and max of temperature and pressure over its windows. */
static const char top_devices[] =
    "SELECT a.device_id, a.alerts, a.overheating, a.low_pressure, "
    "min(s.temperature->>'min'), sum((s.temperature->>'mean') * s.count) / sum(s.count), "
    "max(s.temperature->>'max'), "
    "min(s.pressure->>'min'), sum((s.pressure->>'mean') * s.count) / sum(s.count), "
    "max(s.pressure->>'max') "
    "FROM (SELECT device_id, count(*) AS alerts, sum(rule = 'overheating') AS overheating, "
    "sum(rule = 'low-pressure') AS low_pressure FROM alerts GROUP BY device_id) AS a "
    "LEFT JOIN device_stats AS s ON s.device_id = a.device_id "
    "GROUP BY a.device_id, a.alerts, a.overheating, a.low_pressure "
    "ORDER BY a.alerts DESC, a.device_id LIMIT " TOP_ROWS;

/* "min / mean / max" of three real columns from first. */
static const char *format_range(sqlite3_stmt *statement, int first, char *buf, size_t size)
{
    char parts[3][32];

    for (int i = 0; i < 3; i++)
        format_real(statement, first + i, 1, parts[i], sizeof(parts[i]));
    snprintf(buf, size, "%s / %s / %s", parts[0], parts[1], parts[2]);
    return buf;
}

int demo_summarize_iot(FILE *out, sqlite3 *db)
{
    long long counts[4];

    if (query_integers(db,
                       "SELECT (SELECT count(*) FROM (SELECT device_id FROM device_stats UNION "
                       "SELECT device_id FROM alerts)), (SELECT count(*) FROM device_stats), "
                       "(SELECT count(*) FROM alerts), (SELECT count(DISTINCT device_id) FROM "
                       "alerts)",
                       counts, 4))
        return -1;
    sqlite3_stmt *statement = prepare(db, top_devices);
    if (statement == NULL)
        return -1;
    fprintf(out, "%lld devices, %lld (device, window) rows in device_stats, %lld alerts from %lld "
                 "devices in alerts.\nDevices with the most alerts:\n\n",
            counts[0], counts[1], counts[2], counts[3]);
    fprintf(out, "  %-12s %6s %11s %11s  %-24s %-24s\n", "device", "alerts", "overheating",
            "low-press.", "temperature min/mean/max", "pressure min/mean/max");
    int step;
    while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
        char temperature[100], pressure[100];
        fprintf(out, "  %-12s %6lld %11lld %11lld  %-24s %-24s\n", column_text(statement, 0),
                (long long)sqlite3_column_int64(statement, 1),
                (long long)sqlite3_column_int64(statement, 2),
                (long long)sqlite3_column_int64(statement, 3),
                format_range(statement, 4, temperature, sizeof(temperature)),
                format_range(statement, 7, pressure, sizeof(pressure)));
    }
    return finish(db, statement, step);
}

/* An agent's conversations, mean first response (over the answered ones)
 * and mean sentiment. */
static const char top_agents[] =
    "SELECT a.value, count(*), avg(c.first_response_s), avg(c.sentiment) "
    "FROM conversations AS c, json_each(c.agents) AS a "
    "GROUP BY a.value ORDER BY count(*) DESC, a.value LIMIT " TOP_ROWS;

static const char per_topic[] =
    "SELECT t.value, count(*) FROM conversations AS c, json_each(c.topics) AS t "
    "GROUP BY t.value ORDER BY t.value";

int demo_summarize_chat(FILE *out, sqlite3 *db)
{
    long long counts[3];

    if (query_integers(db,
                       "SELECT count(*), coalesce(sum(final), 0), (SELECT count(DISTINCT a.value) "
                       "FROM conversations AS c, json_each(c.agents) AS a) FROM conversations",
                       counts, 3))
        return -1;
    sqlite3_stmt *statement = prepare(db, top_agents);
    if (statement == NULL)
        return -1;
    fprintf(out, "%lld conversations (%lld ended, %lld still open at the end), %lld agents.\n"
                 "Agents with the most conversations:\n\n",
            counts[0], counts[1], counts[0] - counts[1], counts[2]);
    fprintf(out, "  %-12s %13s %22s %19s\n", "agent", "conversations", "mean first response s",
            "mean sentiment");
    int step;
    while ((step = sqlite3_step(statement)) == SQLITE_ROW) {
        char first[32], sentiment[32];
        fprintf(out, "  %-12s %13lld %22s %19s\n", column_text(statement, 0),
                (long long)sqlite3_column_int64(statement, 1),
                format_real(statement, 2, 1, first, sizeof(first)),
                format_real(statement, 3, 2, sentiment, sizeof(sentiment)));
    }
    if (finish(db, statement, step) != 0 || (statement = prepare(db, per_topic)) == NULL)
        return -1;
    fprintf(out, "\nConversations per topic:");
    while ((step = sqlite3_step(statement)) == SQLITE_ROW)
        fprintf(out, " %s %lld", column_text(statement, 0),
                (long long)sqlite3_column_int64(statement, 1));
    fprintf(out, "\n");
    return finish(db, statement, step);
}
