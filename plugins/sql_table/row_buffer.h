/*
 * The rows a database sink holds between flushes: each record turned into
 * typed cells, one row per key, the latest record of a key replacing the
 * earlier one (the upsert would do the same, and PostgreSQL refuses a
 * statement that touches one row twice).
 *
 * A record is read by the column types of its table_schema:
 *   text     a JSON string without NUL characters
 *   integer  a JSON integer
 *   real     a JSON number (an integer is widened)
 *   boolean  true or false
 *   json     any JSON value, kept as its compact text
 * A field that is absent or null leaves its column NULL, except in a key
 * column. A record that does not fit is rejected through host->reject
 * with a reason naming the field; one whose `where` fields do not match
 * is skipped (a value matches a field equal to it as JSON; null matches
 * a field that is null or absent).
 */
#ifndef PIPEHOST_SQL_ROW_BUFFER_H
#define PIPEHOST_SQL_ROW_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include <pipehost/key_table.h>
#include <pipehost/plugin.h>

#include "table_schema.h"

typedef enum cell_kind {
    CELL_NULL = 0,
    CELL_INTEGER = 1, /* integer and boolean (0, 1) columns */
    CELL_REAL = 2,
    CELL_TEXT = 3 /* text and json columns */
} cell_kind;

typedef struct row_cell {
    cell_kind kind;
    union {
        int64_t integer;
        double real;
        struct {
            size_t offset; /* into the buffer's text, NUL-terminated there */
            size_t length;
        } text;
    } as;
} row_cell;

typedef struct row_buffer {
    const table_schema *schema;
    const char **names; /* the columns' names */
    json_t **fields;    /* scratch: the fields of the record being read */
    row_cell *cells;    /* row_count rows of column_count cells */
    size_t row_count;
    size_t row_capacity;
    char *text; /* the text cells' bytes */
    size_t text_used;
    size_t text_capacity;
    char *key; /* scratch: the encoded key of the record being read */
    size_t key_capacity;
    ph_key_table keys; /* encoded key -> row number (its entry number) */
} row_buffer;

typedef enum row_result {
    ROW_ADDED = 0,    /* a new key, or the latest for a key already held */
    ROW_SKIPPED = 1,  /* not matched by `where` */
    ROW_REJECTED = 2, /* rejected through host->reject */
    ROW_NO_MEMORY = 3
} row_result;

/* 0, or -1 when out of memory (row_buffer_free is then still safe). */
int row_buffer_init(row_buffer *buffer, const table_schema *schema);

void row_buffer_free(row_buffer *buffer);

/* Read one record into the buffer. */
row_result row_buffer_add(row_buffer *buffer, const ph_host_api *host, ph_context *ctx,
                          const ph_record *record);

/* A sink's process(): read a batch of records into the buffer, counting
 * those `where` skips under "skipped". PH_OK, or PH_FATAL (logged) when
 * out of memory. */
ph_status row_buffer_add_batch(row_buffer *buffer, const ph_host_api *host, ph_context *ctx,
                               const ph_record *records, size_t count);

/* Forget every row, keeping the memory. */
void row_buffer_clear(row_buffer *buffer);

static inline size_t row_buffer_count(const row_buffer *buffer)
{
    return buffer->row_count;
}

/* Row index's cells (column_count of them, in column order). */
static inline const row_cell *row_buffer_row(const row_buffer *buffer, size_t index)
{
    return &buffer->cells[index * buffer->schema->column_count];
}

/* A text cell's bytes, NUL-terminated; valid until the next add or clear. */
static inline const char *row_buffer_text(const row_buffer *buffer, const row_cell *cell)
{
    return buffer->text + cell->as.text.offset;
}

/*
 * A non-NULL cell of column as the text the database reads for its type:
 * integers in decimal, reals with 17 significant digits (they read back
 * exactly), booleans as t and f, text and json as they are. scratch holds
 * the digits; the result points into it or into the buffer.
 */
const char *row_cell_text(const row_buffer *buffer, const table_column *column,
                          const row_cell *cell, char scratch[32], size_t *length);

/* Room for more bytes after used in a growing byte array (*bytes may
 * move; NULL and 0 to start). 0, or -1 when out of memory. */
int row_bytes_reserve(char **bytes, size_t *capacity, size_t used, size_t more);

#endif
