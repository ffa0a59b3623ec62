/*
 * Field readers that reject a record with a reason naming the field.
 */
#include <pipehost/record_fields.h>

#include <string.h>

#include <pipehost/window.h>

json_t *ph_record_object(const ph_host_api *host, ph_context *ctx, const ph_record *record)
{
    const char *error = NULL;
    json_t *value = host->record_json(ctx, record, &error);

    if (value == NULL) {
        if (error != NULL)
            host->reject(ctx, record, "value is not JSON: %s", error);
        else
            host->reject(ctx, record, "value is not JSON");
        return NULL;
    }
    if (!json_is_object(value)) {
        host->reject(ctx, record, "value is not a JSON object");
        return NULL;
    }
    return value;
}

void ph_object_fields(const json_t *object, const char *const names[], size_t count,
                      json_t *fields[])
{
    json_t *mutable_object = (json_t *)object; /* jansson's iterators take no const */
    size_t missing = count;

    /* A large object: hashing the few names beats walking it all. */
    if (json_object_size(object) > 2 * count + 4) {
        for (size_t i = 0; i < count; i++)
            fields[i] = json_object_get(object, names[i]);
        return;
    }
    for (size_t i = 0; i < count; i++)
        fields[i] = NULL;
    for (void *iter = json_object_iter(mutable_object); iter != NULL && missing > 0;
         iter = json_object_iter_next(mutable_object, iter)) {
        const char *key = json_object_iter_key(iter);

        for (size_t i = 0; i < count; i++) {
            /* The first byte settles most mismatches without a call. */
            if (fields[i] == NULL && key[0] == names[i][0] && strcmp(key, names[i]) == 0) {
                fields[i] = json_object_iter_value(iter);
                missing--;
                break;
            }
        }
    }
}

static int reject_missing(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                          const char *name)
{
    host->reject(ctx, record, "missing field '%s'", name);
    return -1;
}

int ph_field_string(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const json_t *field, const char **text, size_t *length)
{
    if (field == NULL)
        return reject_missing(host, ctx, record, name);
    if (!json_is_string(field) || json_string_length(field) == 0 ||
        memchr(json_string_value(field), '\0', json_string_length(field)) != NULL) {
        host->reject(ctx, record, "field '%s' must be a non-empty string", name);
        return -1;
    }
    *text = json_string_value(field);
    *length = json_string_length(field);
    return 0;
}

int ph_field_number(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const json_t *field, double *value)
{
    if (field == NULL)
        return reject_missing(host, ctx, record, name);
    if (!json_is_number(field)) {
        host->reject(ctx, record, "field '%s' must be a number", name);
        return -1;
    }
    *value = json_number_value(field);
    return 0;
}

int ph_field_time(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                  const char *name, const json_t *field, int64_t *epoch_ms)
{
    if (field == NULL)
        return reject_missing(host, ctx, record, name);
    if (host->parse_time(field, epoch_ms) != 0) {
        host->reject(ctx, record, "field '%s' must be an ISO-8601 time or epoch milliseconds",
                     name);
        return -1;
    }
    if (!ph_window_time_in_range(*epoch_ms)) {
        host->reject(ctx, record, "field '%s' is out of range (years 0000 to 9999)", name);
        return -1;
    }
    return 0;
}
