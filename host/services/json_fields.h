/*
 * Named top-level members of a JSON object, read straight from its text:
 * the fast path behind the host's record_fields. Most stages read three
 * to six fields of each record; building a jansson document for that
 * costs several times more than the scan, nearly all of it in malloc.
 *
 * The scan validates the whole text as strictly as jansson's json_loadb
 * (with JSON_DECODE_ANY | JSON_ALLOW_NUL) does. What it cannot vouch for
 * (nesting past 1024, integers of 19 digits or more, numbers of over 400
 * characters, reals that overflow) it reports as JSON_FIELDS_UNSURE rather than guessing: the
 * caller then parses with jansson, which has the last word and the error
 * message.
 */
#ifndef PIPEHOST_SERVICES_JSON_FIELDS_H
#define PIPEHOST_SERVICES_JSON_FIELDS_H

#include <stddef.h>

#include <jansson.h>

#include "pipehost/plugin.h"
#include "services/byte_arena.h"

typedef enum json_fields_result {
    JSON_FIELDS_OBJECT = 0,     /* an object: fields are filled in */
    JSON_FIELDS_NOT_OBJECT = 1, /* valid JSON, but not an object */
    JSON_FIELDS_UNSURE = 2      /* not JSON as far as the scan can tell */
} json_fields_result;

/*
 * Scan text. For an object, fields[i] gets the member named names[i] (the
 * last one when a name repeats), or type PH_JSON_ABSENT. Unescaped string
 * values live in scratch (running out of memory there gives UNSURE); the
 * others point into text.
 */
json_fields_result json_fields_scan(const char *text, size_t length, const char *const names[],
                                    size_t count, ph_field fields[], byte_arena *scratch);

/* The same from a parsed object. */
void json_fields_from_object(const json_t *object, const char *const names[], size_t count,
                             ph_field fields[]);

/*
 * record_fields' answer from the value's document: 0 with fields filled
 * when it is an object; otherwise -1 with the reason in error ("value is
 * not a JSON object", or "value is not JSON: WHY" when document is NULL).
 */
int json_fields_from_document(const json_t *document, const char *why, const char *const names[],
                              size_t count, ph_field fields[], char *error, size_t error_size);

/* One parsed value as a field. */
void json_field_from_value(const json_t *value, ph_field *field);

#endif
