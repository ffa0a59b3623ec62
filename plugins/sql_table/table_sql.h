/*
 * The SQL text a database sink sends for its table: the CREATE TABLE and
 * the upsert, in the small dialect differences between SQLite and
 * PostgreSQL (type names, placeholders). Identifiers are always quoted;
 * table_schema has already checked they are plain, so quoting needs no
 * escaping. Values never appear in the text: they are bound parameters.
 */
#ifndef PIPEHOST_SQL_TABLE_SQL_H
#define PIPEHOST_SQL_TABLE_SQL_H

#include <stddef.h>
#include <stdio.h>

#include "table_schema.h"

typedef struct sql_dialect {
    const char *type_names[COLUMN_TYPE_COUNT]; /* the column types, by column_type */
    int numbered_placeholders;                 /* $1, $2... (PostgreSQL) rather than ? */
} sql_dialect;

/* CREATE TABLE IF NOT EXISTS "table" (columns..., PRIMARY KEY (keys...)).
 * Key columns are NOT NULL. Caller frees; NULL when out of memory. */
char *table_sql_create(const table_schema *schema, const sql_dialect *dialect);

/*
 * INSERT INTO "table" (columns) VALUES (...), ... (rows tuples of
 * placeholders, numbered on across tuples) ON CONFLICT (keys) DO UPDATE
 * SET every other column to the incoming value (DO NOTHING when every
 * column is a key). Caller frees; NULL when out of memory.
 */
char *table_sql_upsert_values(const table_schema *schema, const sql_dialect *dialect,
                              size_t rows);

/* INSERT INTO "table" (columns) SELECT columns FROM "source" WHERE true
 * ON CONFLICT ... as above. Caller frees; NULL when out of memory. */
char *table_sql_upsert_select(const table_schema *schema, const char *source);

/* "c1" TYPE, "c2" TYPE, ... (key columns NOT NULL). */
void table_sql_column_definitions(FILE *out, const table_schema *schema,
                                  const sql_dialect *dialect);

/* "c1", "c2", ... */
void table_sql_column_names(FILE *out, const table_schema *schema);

#endif
