/*
 * The table a database sink writes, as its pipeline config describes it:
 *
 *   table: page_stats
 *   key_columns: [page, window_start, partition]
 *   columns: {page: text, window_start: text, partition: integer, views: integer}
 *   where: {type: stats}            # optional: only records whose fields equal these
 *
 * Each column is filled from the record's top-level JSON field of the same
 * name. The names end up in SQL, so they are checked here, once, to be
 * plain identifiers ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes: PostgreSQL
 * truncates longer ones); the sinks still quote them, so that reserved
 * words such as "user" or "order" work as column names.
 *
 * Shared by sqlite_sink and postgres_sink (this folder has no build file
 * of its own: each of them compiles it in).
 */
#ifndef PIPEHOST_SQL_TABLE_SCHEMA_H
#define PIPEHOST_SQL_TABLE_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

/* The longest identifier either database keeps whole. */
#define TABLE_IDENTIFIER_MAX 63
/* More columns than any aggregate needs, and below both databases' limits. */
#define TABLE_COLUMNS_MAX 1000

typedef enum column_type {
    COLUMN_TEXT = 0,    /* a JSON string */
    COLUMN_INTEGER = 1, /* a JSON integer */
    COLUMN_REAL = 2,    /* a JSON number (integers widened) */
    COLUMN_BOOLEAN = 3, /* true or false */
    COLUMN_JSON = 4     /* any JSON value, stored as its compact text */
} column_type;

#define COLUMN_TYPE_COUNT 5

typedef struct table_column {
    char *name;
    column_type type;
    int is_key;
} table_column;

typedef struct table_schema {
    char *table;
    table_column *columns; /* in the order of `columns:` */
    size_t column_count;
    size_t *key_index; /* the key columns' places in columns, in key order */
    size_t key_count;
    json_t *where; /* object: field -> required value; empty: every record */
} table_schema;

/*
 * Read table, key_columns, columns and where from a sink's config (a JSON
 * object holding them, as the host hands it to init). 0, or -1 with a
 * message for the pipeline's author in err. table_schema_free is safe
 * either way.
 */
int table_schema_init(table_schema *schema, const json_t *config, char *err, size_t err_size);

void table_schema_free(table_schema *schema);

/* Whether text is an identifier this schema accepts. */
int table_identifier_valid(const char *text);

/* The type's name in configs ("text", "integer", ...). */
const char *column_type_name(column_type type);

/* The config fields table_schema_init reads, for a sink's descriptor:
 * {fields..., TABLE_SCHEMA_CONFIG_FIELDS}. */
#define TABLE_SCHEMA_CONFIG_FIELDS                                                          \
    {.name = "table", .type = PH_CONFIG_STRING, .required = 1,                             \
     .description = "the table to write (created if absent); an identifier"},             \
    {.name = "key_columns", .type = PH_CONFIG_STRING_LIST, .required = 1,                  \
     .description = "the columns that identify a row: the upsert's conflict target"},     \
    {.name = "columns", .type = PH_CONFIG_MAP, .required = 1,                              \
     .description = "column name (the record's JSON field of that name) to type: text, "  \
                    "integer, real, boolean or json"},                                     \
    {.name = "where", .type = PH_CONFIG_MAP, .default_value = "{}",                        \
     .description = "write only records whose fields equal these values (others are "     \
                    "counted as skipped)"}

#endif
