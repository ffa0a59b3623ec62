/*
 * What `pipehost demo` prints about a use case's results: SQL queries over
 * the tables the use case's sqlite_sink wrote (configs/USE_CASE-sqlite.yaml).
 * The rows there are upserts, one per key, so totals are plain sums: the
 * views of a page are the SUM over its windows and partitions.
 */
#ifndef PIPEHOST_CLI_DEMO_SUMMARY_H
#define PIPEHOST_CLI_DEMO_SUMMARY_H

#include <stdio.h>

#include <sqlite3.h>

/* Each prints its summary of db's tables to out: 0, or -1 with the
 * reason on stderr. */
int demo_summarize_clickstream(FILE *out, sqlite3 *db);
int demo_summarize_iot(FILE *out, sqlite3 *db);
int demo_summarize_chat(FILE *out, sqlite3 *db);

#endif
