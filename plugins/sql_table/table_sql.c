#include "table_sql.h"

#include <stdlib.h>

/* A statement is written into a memory stream: closing it yields the text. */
typedef struct sql_text {
    FILE *out;
    char *text;
    size_t length;
} sql_text;

static int sql_open(sql_text *sql)
{
    sql->text = NULL;
    sql->out = open_memstream(&sql->text, &sql->length);
    return sql->out != NULL ? 0 : -1;
}

static char *sql_close(sql_text *sql)
{
    int failed = ferror(sql->out);

    if (fclose(sql->out) != 0 || failed) {
        free(sql->text);
        return NULL;
    }
    return sql->text;
}

void table_sql_column_names(FILE *out, const table_schema *schema)
{
    for (size_t i = 0; i < schema->column_count; i++)
        fprintf(out, "%s\"%s\"", i ? ", " : "", schema->columns[i].name);
}

void table_sql_column_definitions(FILE *out, const table_schema *schema,
                                  const sql_dialect *dialect)
{
    for (size_t i = 0; i < schema->column_count; i++) {
        const table_column *column = &schema->columns[i];

        fprintf(out, "%s\"%s\" %s%s", i ? ", " : "", column->name,
                dialect->type_names[column->type], column->is_key ? " NOT NULL" : "");
    }
}

static void write_key_names(FILE *out, const table_schema *schema)
{
    for (size_t k = 0; k < schema->key_count; k++)
        fprintf(out, "%s\"%s\"", k ? ", " : "", schema->columns[schema->key_index[k]].name);
}

char *table_sql_create(const table_schema *schema, const sql_dialect *dialect)
{
    sql_text sql;

    if (sql_open(&sql) != 0)
        return NULL;
    fprintf(sql.out, "CREATE TABLE IF NOT EXISTS \"%s\" (", schema->table);
    table_sql_column_definitions(sql.out, schema, dialect);
    fprintf(sql.out, ", PRIMARY KEY (");
    write_key_names(sql.out, schema);
    fprintf(sql.out, "))");
    return sql_close(&sql);
}

/* ON CONFLICT (keys) DO UPDATE SET c = excluded.c, ... */
static void write_conflict_clause(FILE *out, const table_schema *schema)
{
    int first = 1;

    fprintf(out, " ON CONFLICT (");
    write_key_names(out, schema);
    fprintf(out, ")");
    for (size_t i = 0; i < schema->column_count; i++) {
        const table_column *column = &schema->columns[i];

        if (column->is_key)
            continue;
        fprintf(out, "%s\"%s\" = excluded.\"%s\"", first ? " DO UPDATE SET " : ", ",
                column->name, column->name);
        first = 0;
    }
    if (first)
        fprintf(out, " DO NOTHING");
}

char *table_sql_upsert_values(const table_schema *schema, const sql_dialect *dialect, size_t rows)
{
    sql_text sql;
    size_t parameter = 0;

    if (sql_open(&sql) != 0)
        return NULL;
    fprintf(sql.out, "INSERT INTO \"%s\" (", schema->table);
    table_sql_column_names(sql.out, schema);
    fprintf(sql.out, ") VALUES ");
    for (size_t r = 0; r < rows; r++) {
        fprintf(sql.out, "%s(", r ? ", " : "");
        for (size_t i = 0; i < schema->column_count; i++) {
            parameter++;
            if (dialect->numbered_placeholders)
                fprintf(sql.out, "%s$%zu", i ? ", " : "", parameter);
            else
                fprintf(sql.out, "%s?", i ? ", " : "");
        }
        fprintf(sql.out, ")");
    }
    write_conflict_clause(sql.out, schema);
    return sql_close(&sql);
}

char *table_sql_upsert_select(const table_schema *schema, const char *source)
{
    sql_text sql;

    if (sql_open(&sql) != 0)
        return NULL;
    fprintf(sql.out, "INSERT INTO \"%s\" (", schema->table);
    table_sql_column_names(sql.out, schema);
    fprintf(sql.out, ") SELECT ");
    table_sql_column_names(sql.out, schema);
    /* WHERE true: without it SQLite would read ON as part of a join. */
    fprintf(sql.out, " FROM \"%s\" WHERE true", source);
    write_conflict_clause(sql.out, schema);
    return sql_close(&sql);
}
