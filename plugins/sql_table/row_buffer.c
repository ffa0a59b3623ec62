#include "row_buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/record_fields.h>

int row_buffer_init(row_buffer *buffer, const table_schema *schema)
{
    size_t columns = schema->column_count;

    memset(buffer, 0, sizeof(*buffer));
    buffer->schema = schema;
    buffer->names = calloc(columns, sizeof(*buffer->names));
    buffer->fields = calloc(columns, sizeof(*buffer->fields));
    /* One row more than the capacity: the record being read is built there. */
    buffer->row_capacity = 64;
    buffer->cells = calloc((buffer->row_capacity + 1) * columns, sizeof(*buffer->cells));
    if (buffer->names == NULL || buffer->fields == NULL || buffer->cells == NULL ||
        ph_key_table_init(&buffer->keys, 0) != 0)
        return -1;
    for (size_t i = 0; i < columns; i++)
        buffer->names[i] = schema->columns[i].name;
    return 0;
}

void row_buffer_free(row_buffer *buffer)
{
    free(buffer->names);
    free(buffer->fields);
    free(buffer->cells);
    free(buffer->text);
    free(buffer->key);
    ph_key_table_free(&buffer->keys);
    memset(buffer, 0, sizeof(*buffer));
}

void row_buffer_clear(row_buffer *buffer)
{
    buffer->row_count = 0;
    buffer->text_used = 0;
    ph_key_table_clear(&buffer->keys);
}

int row_bytes_reserve(char **bytes, size_t *capacity, size_t used, size_t more)
{
    size_t wanted = *capacity ? *capacity : 256;

    if (used + more <= *capacity)
        return 0;
    while (wanted < used + more)
        wanted *= 2;
    char *grown = realloc(*bytes, wanted);
    if (grown == NULL)
        return -1;
    *bytes = grown;
    *capacity = wanted;
    return 0;
}

/* Copy bytes into the text, NUL-terminated, as cell's value. */
static int keep_text(row_buffer *buffer, row_cell *cell, const char *bytes, size_t length)
{
    if (row_bytes_reserve(&buffer->text, &buffer->text_capacity, buffer->text_used,
                          length + 1) != 0)
        return -1;
    memcpy(buffer->text + buffer->text_used, bytes, length);
    buffer->text[buffer->text_used + length] = '\0';
    cell->kind = CELL_TEXT;
    cell->as.text.offset = buffer->text_used;
    cell->as.text.length = length;
    buffer->text_used += length + 1;
    return 0;
}

/* A JSON value's compact text, written straight into the text. */
static int keep_json(row_buffer *buffer, row_cell *cell, const json_t *value)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t length = json_dumpb(value, NULL, 0, flags);

    if (length == 0 || row_bytes_reserve(&buffer->text, &buffer->text_capacity,
                                         buffer->text_used, length + 1) != 0)
        return -1;
    json_dumpb(value, buffer->text + buffer->text_used, length, flags);
    buffer->text[buffer->text_used + length] = '\0';
    cell->kind = CELL_TEXT;
    cell->as.text.offset = buffer->text_used;
    cell->as.text.length = length;
    buffer->text_used += length + 1;
    return 0;
}

typedef enum cell_result { CELL_OK, CELL_REJECTED, CELL_NO_MEMORY } cell_result;

/* Read one field into cell as column's type; reject when it does not fit. */
static cell_result read_cell(row_buffer *buffer, const table_column *column, const json_t *field,
                             row_cell *cell, const ph_host_api *host, ph_context *ctx,
                             const ph_record *record)
{
    const char *name = column->name;

    if (field == NULL || json_is_null(field)) {
        if (column->is_key) {
            if (field == NULL)
                host->reject(ctx, record, "missing key field '%s'", name);
            else
                host->reject(ctx, record, "key field '%s' is null", name);
            return CELL_REJECTED;
        }
        cell->kind = CELL_NULL;
        return CELL_OK;
    }
    switch (column->type) {
    case COLUMN_TEXT:
        if (!json_is_string(field)) {
            host->reject(ctx, record, "field '%s' must be a string", name);
            return CELL_REJECTED;
        }
        if (memchr(json_string_value(field), '\0', json_string_length(field)) != NULL) {
            host->reject(ctx, record, "field '%s' contains a NUL character", name);
            return CELL_REJECTED;
        }
        return keep_text(buffer, cell, json_string_value(field), json_string_length(field)) == 0
                   ? CELL_OK
                   : CELL_NO_MEMORY;
    case COLUMN_INTEGER:
        if (!json_is_integer(field)) {
            host->reject(ctx, record, "field '%s' must be an integer", name);
            return CELL_REJECTED;
        }
        cell->kind = CELL_INTEGER;
        cell->as.integer = json_integer_value(field);
        return CELL_OK;
    case COLUMN_REAL:
        if (!json_is_number(field)) {
            host->reject(ctx, record, "field '%s' must be a number", name);
            return CELL_REJECTED;
        }
        cell->kind = CELL_REAL;
        cell->as.real = json_number_value(field);
        return CELL_OK;
    case COLUMN_BOOLEAN:
        if (!json_is_boolean(field)) {
            host->reject(ctx, record, "field '%s' must be true or false", name);
            return CELL_REJECTED;
        }
        cell->kind = CELL_INTEGER;
        cell->as.integer = json_is_true(field);
        return CELL_OK;
    case COLUMN_JSON:
        if (keep_json(buffer, cell, field) != 0)
            return CELL_NO_MEMORY;
        /* PostgreSQL's jsonb cannot hold \u0000; refused for both sinks alike. */
        if (strstr(row_buffer_text(buffer, cell), "\\u0000") != NULL) {
            host->reject(ctx, record, "field '%s' contains a NUL character", name);
            return CELL_REJECTED;
        }
        return CELL_OK;
    }
    return CELL_REJECTED;
}

/* The key cells of row as bytes that are equal exactly when the database
 * would find the keys equal. Sets *length. 0 or -1. */
static int encode_key(row_buffer *buffer, const row_cell *row, size_t *length)
{
    const table_schema *schema = buffer->schema;
    size_t used = 0;

    for (size_t k = 0; k < schema->key_count; k++) {
        const row_cell *cell = &row[schema->key_index[k]];
        size_t text_length = cell->kind == CELL_TEXT ? cell->as.text.length : 0;
        size_t need = 1 + sizeof(uint64_t) + text_length;

        if (row_bytes_reserve(&buffer->key, &buffer->key_capacity, used, need) != 0)
            return -1;
        buffer->key[used++] = (char)cell->kind;
        if (cell->kind == CELL_INTEGER) {
            memcpy(buffer->key + used, &cell->as.integer, sizeof(int64_t));
        } else if (cell->kind == CELL_REAL) {
            double real = cell->as.real == 0 ? 0.0 : cell->as.real; /* -0 equals 0 */
            memcpy(buffer->key + used, &real, sizeof(double));
        } else {
            uint64_t n = text_length;
            memcpy(buffer->key + used, &n, sizeof(n));
        }
        used += sizeof(uint64_t);
        if (text_length > 0) {
            memcpy(buffer->key + used, row_buffer_text(buffer, cell), text_length);
            used += text_length;
        }
    }
    *length = used;
    return 0;
}

static int matches_where(const json_t *object, const json_t *where)
{
    const char *field;
    json_t *value;

    json_object_foreach((json_t *)where, field, value) {
        const json_t *actual = json_object_get(object, field);

        /* null stands for "absent or null". */
        if (json_is_null(value) ? actual != NULL && !json_is_null(actual)
                                : !json_equal(actual, value))
            return 0;
    }
    return 1;
}

row_result row_buffer_add(row_buffer *buffer, const ph_host_api *host, ph_context *ctx,
                          const ph_record *record)
{
    const table_schema *schema = buffer->schema;
    size_t columns = schema->column_count;
    size_t text_before = buffer->text_used;
    json_t *object = ph_record_object(host, ctx, record);

    if (object == NULL)
        return ROW_REJECTED;
    if (!matches_where(object, schema->where))
        return ROW_SKIPPED;
    if (buffer->row_count == buffer->row_capacity) {
        size_t capacity = buffer->row_capacity * 2;
        row_cell *grown = realloc(buffer->cells, (capacity + 1) * columns * sizeof(*grown));
        if (grown == NULL)
            return ROW_NO_MEMORY;
        buffer->cells = grown;
        buffer->row_capacity = capacity;
    }
    for (size_t i = 0; i < columns; i++)
        buffer->fields[i] = json_object_get(object, buffer->names[i]);

    /* Read into the spare row after the last one. */
    row_cell *incoming = &buffer->cells[buffer->row_count * columns];
    for (size_t i = 0; i < columns; i++) {
        cell_result result = read_cell(buffer, &schema->columns[i], buffer->fields[i],
                                       &incoming[i], host, ctx, record);
        if (result != CELL_OK) {
            buffer->text_used = text_before;
            return result == CELL_REJECTED ? ROW_REJECTED : ROW_NO_MEMORY;
        }
    }

    size_t key_length;
    int added;
    if (encode_key(buffer, incoming, &key_length) != 0)
        goto out_of_memory;
    int64_t number = ph_key_table_add(&buffer->keys, buffer->key, key_length, &added);
    if (number < 0)
        goto out_of_memory;
    if (!added) {
        /* The latest record of a key replaces the row; its old text stays
         * unused until the buffer is cleared. */
        memcpy(&buffer->cells[(size_t)number * columns], incoming, columns * sizeof(*incoming));
        return ROW_ADDED;
    }
    buffer->row_count++; /* the spare row becomes the key's row */
    return ROW_ADDED;

out_of_memory:
    buffer->text_used = text_before;
    return ROW_NO_MEMORY;
}

const char *row_cell_text(const row_buffer *buffer, const table_column *column,
                          const row_cell *cell, char scratch[32], size_t *length)
{
    int n;

    switch (cell->kind) {
    case CELL_INTEGER:
        if (column->type == COLUMN_BOOLEAN) {
            *length = 1;
            return cell->as.integer ? "t" : "f";
        }
        n = snprintf(scratch, 32, "%lld", (long long)cell->as.integer);
        break;
    case CELL_REAL:
        n = snprintf(scratch, 32, "%.17g", cell->as.real);
        break;
    case CELL_TEXT:
        *length = cell->as.text.length;
        return row_buffer_text(buffer, cell);
    case CELL_NULL:
    default:
        *length = 0;
        return NULL;
    }
    *length = n > 0 ? (size_t)n : 0;
    return scratch;
}

ph_status row_buffer_add_batch(row_buffer *buffer, const ph_host_api *host, ph_context *ctx,
                               const ph_record *records, size_t count)
{
    int64_t skipped = 0;

    for (size_t i = 0; i < count; i++) {
        row_result result = row_buffer_add(buffer, host, ctx, &records[i]);

        if (result == ROW_NO_MEMORY) {
            host->log(ctx, PH_LOG_ERROR, "out of memory holding rows for %s",
                      buffer->schema->table);
            return PH_FATAL;
        }
        skipped += result == ROW_SKIPPED;
    }
    if (skipped > 0)
        host->count(ctx, "skipped", skipped);
    return PH_OK;
}
