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

/* object[name], or NULL after rejecting the record as missing it. */
static const json_t *required_field(const ph_host_api *host, ph_context *ctx,
                                    const ph_record *record, const json_t *object,
                                    const char *name)
{
    const json_t *field = json_object_get(object, name);

    if (field == NULL)
        host->reject(ctx, record, "missing field '%s'", name);
    return field;
}

int ph_field_string(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const json_t *object, const char *name, const char **text, size_t *length)
{
    const json_t *field = required_field(host, ctx, record, object, name);

    if (field == NULL)
        return -1;
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
                    const json_t *object, const char *name, double *value)
{
    const json_t *field = required_field(host, ctx, record, object, name);

    if (field == NULL)
        return -1;
    if (!json_is_number(field)) {
        host->reject(ctx, record, "field '%s' must be a number", name);
        return -1;
    }
    *value = json_number_value(field);
    return 0;
}

int ph_field_time(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                  const json_t *object, const char *name, int64_t *epoch_ms)
{
    const json_t *field = required_field(host, ctx, record, object, name);

    if (field == NULL)
        return -1;
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
