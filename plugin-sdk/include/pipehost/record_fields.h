/*
 * Reading the fields of a record's JSON object, rejecting the record with
 * a reason that names the field when one is missing or malformed, so that
 * every plugin's dead-letter reasons read alike:
 *
 *   value is not JSON: <parse error>
 *   value is not a JSON object
 *   missing field 'NAME'
 *   field 'NAME' must be a non-empty string
 *   field 'NAME' must be a number
 *   field 'NAME' must be an ISO-8601 time or epoch milliseconds
 *   field 'NAME' is out of range (years 0000 to 9999)
 *
 * Each reader returns 0 when the field is good, and otherwise rejects the
 * record through host->reject and returns -1: the caller then moves on to
 * the next record. Link the static library pipehost_window.
 */
#ifndef PIPEHOST_RECORD_FIELDS_H
#define PIPEHOST_RECORD_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <pipehost/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read count top-level fields of the record's JSON object in one pass,
 * through host->record_fields (no document is built): fields[i] is the
 * member named names[i], type PH_JSON_ABSENT when there is none. 0, or -1
 * after rejecting the record ("value is not JSON: ..." / "value is not a
 * JSON object").
 */
int ph_record_fields(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                     const char *const names[], size_t count, ph_field fields[]);

/* The record's value as a parsed JSON object (borrowed from the host, valid
 * during the call), for plugins that need the whole document; or NULL
 * after rejecting the record. */
json_t *ph_record_object(const ph_host_api *host, ph_context *ctx, const ph_record *record);

/*
 * The readers below check one field as ph_record_fields read it; name is
 * the field's name, for the reason.
 */

/* A non-empty string without NUL characters. *text and *length are
 * borrowed from the field (not NUL-terminated). */
int ph_field_string(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const ph_field *field, const char **text, size_t *length);

/* A JSON number (integer or real; not a boolean). */
int ph_field_number(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                    const char *name, const ph_field *field, double *value);

/* An event time: an ISO-8601 string or epoch milliseconds, read with
 * host->field_time, from PH_WINDOW_TIME_MIN to PH_WINDOW_TIME_MAX
 * (pipehost/window.h). */
int ph_field_time(const ph_host_api *host, ph_context *ctx, const ph_record *record,
                  const char *name, const ph_field *field, int64_t *epoch_ms);

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_RECORD_FIELDS_H */
