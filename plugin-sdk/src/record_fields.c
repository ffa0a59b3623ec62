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

int ph_record_fields(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                     const char *const names[], size_t count, ph_field fields[])
{
    const char *error = NULL;

    if (host->record_fields(ctx, record, names, count, fields, &error) != 0) {
        host->reject(ctx, record, "%s", error != NULL ? error : "value is not a JSON object");
        return -1;
    }
    return 0;
}

static int reject_missing(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                          const char *name)
{
    host->reject(ctx, record, "missing field '%s'", name);
    return -1;
}

int ph_field_string(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const ph_field *field, const char **text, size_t *length)
{
    if (field->type == PH_JSON_ABSENT)
        return reject_missing(host, ctx, record, name);
    if (field->type != PH_JSON_STRING || field->length == 0 ||
        memchr(field->text, '\0', field->length) != NULL) {
        host->reject(ctx, record, "field '%s' must be a non-empty string", name);
        return -1;
    }
    *text = field->text;
    *length = field->length;
    return 0;
}

int ph_field_number(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const ph_field *field, double *value)
{
    if (field->type == PH_JSON_ABSENT)
        return reject_missing(host, ctx, record, name);
    if (field->type != PH_JSON_INTEGER && field->type != PH_JSON_REAL) {
        host->reject(ctx, record, "field '%s' must be a number", name);
        return -1;
    }
    *value = field->number;
    return 0;
}

int ph_field_time(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                  const char *name, const ph_field *field, int64_t *epoch_ms)
{
    if (field->type == PH_JSON_ABSENT)
        return reject_missing(host, ctx, record, name);
    if (host->field_time(field, epoch_ms) != 0) {
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
