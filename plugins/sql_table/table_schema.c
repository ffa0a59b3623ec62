#include "table_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[COLUMN_TYPE_COUNT] = {"text", "integer", "real", "boolean",
                                                          "json"};

const char *column_type_name(column_type type)
{
    return (unsigned)type < COLUMN_TYPE_COUNT ? type_names[type] : "?";
}

int table_identifier_valid(const char *text)
{
    size_t length = strlen(text);

    if (length == 0 || length > TABLE_IDENTIFIER_MAX)
        return 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        int digit = c >= '0' && c <= '9';

        if (!letter && !(digit && i > 0))
            return 0;
    }
    return 1;
}

static int identifier_error(const char *what, const char *text, char *err, size_t err_size)
{
    snprintf(err, err_size,
             "%s '%s' is not a plain identifier: use letters, digits and '_', not starting "
             "with a digit, at most %d characters",
             what, text, TABLE_IDENTIFIER_MAX);
    return -1;
}

static int parse_type(const char *text, column_type *type)
{
    for (int i = 0; i < COLUMN_TYPE_COUNT; i++) {
        if (strcmp(text, type_names[i]) == 0) {
            *type = (column_type)i;
            return 0;
        }
    }
    return -1;
}

static int read_columns(table_schema *schema, const json_t *columns, char *err, size_t err_size)
{
    size_t count = json_object_size(columns);
    const char *name;
    json_t *type;

    if (!json_is_object(columns) || count == 0) {
        snprintf(err, err_size, "columns: expected at least one column (name: type)");
        return -1;
    }
    if (count > TABLE_COLUMNS_MAX) {
        snprintf(err, err_size, "columns: %zu columns, more than the %d allowed", count,
                 TABLE_COLUMNS_MAX);
        return -1;
    }
    schema->columns = calloc(count, sizeof(*schema->columns));
    if (schema->columns == NULL)
        goto out_of_memory;
    json_object_foreach((json_t *)columns, name, type) {
        table_column *column = &schema->columns[schema->column_count];

        if (!table_identifier_valid(name))
            return identifier_error("columns: column name", name, err, err_size);
        if (!json_is_string(type) || parse_type(json_string_value(type), &column->type) != 0) {
            snprintf(err, err_size,
                     "columns: column '%s' has type %s%s%s; expected text, integer, real, boolean "
                     "or json",
                     name, json_is_string(type) ? "'" : "",
                     json_is_string(type) ? json_string_value(type) : "that is not a name",
                     json_is_string(type) ? "'" : "");
            return -1;
        }
        if ((column->name = strdup(name)) == NULL)
            goto out_of_memory;
        schema->column_count++;
    }
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static int read_keys(table_schema *schema, const json_t *keys, char *err, size_t err_size)
{
    size_t count = json_array_size(keys);

    if (count == 0) {
        snprintf(err, err_size, "key_columns: expected at least one column (the upsert key)");
        return -1;
    }
    schema->key_index = calloc(count, sizeof(*schema->key_index));
    if (schema->key_index == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < count; k++) {
        const char *name = json_string_value(json_array_get(keys, k));
        size_t c = 0;

        if (name == NULL) {
            snprintf(err, err_size, "key_columns: item %zu is not a string", k);
            return -1;
        }
        while (c < schema->column_count && strcmp(schema->columns[c].name, name) != 0)
            c++;
        if (c == schema->column_count) {
            snprintf(err, err_size, "key_columns: '%s' is not one of the columns", name);
            return -1;
        }
        if (schema->columns[c].is_key) {
            snprintf(err, err_size, "key_columns: '%s' is named twice", name);
            return -1;
        }
        schema->columns[c].is_key = 1;
        schema->key_index[schema->key_count++] = c;
    }
    return 0;
}

int table_schema_init(table_schema *schema, const json_t *config, char *err, size_t err_size)
{
    const char *table = json_string_value(json_object_get(config, "table"));
    const json_t *where = json_object_get(config, "where");

    memset(schema, 0, sizeof(*schema));
    if (table == NULL || !table_identifier_valid(table))
        return identifier_error("table: name", table ? table : "", err, err_size);
    if ((schema->table = strdup(table)) == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (read_columns(schema, json_object_get(config, "columns"), err, err_size) != 0 ||
        read_keys(schema, json_object_get(config, "key_columns"), err, err_size) != 0)
        return -1;
    schema->where = where != NULL ? json_deep_copy(where) : json_object();
    if (!json_is_object(schema->where)) {
        snprintf(err, err_size, "where: expected a mapping of field: value");
        return -1;
    }
    return 0;
}

void table_schema_free(table_schema *schema)
{
    for (size_t i = 0; i < schema->column_count; i++)
        free(schema->columns[i].name);
    free(schema->columns);
    free(schema->key_index);
    free(schema->table);
    json_decref(schema->where);
    memset(schema, 0, sizeof(*schema));
}
