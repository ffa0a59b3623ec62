#ifndef PIPEHOST_PRODUCE_MALFORMED_RECORD_H
#define PIPEHOST_PRODUCE_MALFORMED_RECORD_H

#include <stddef.h>

#include "produce/event_record.h"
#include "produce/json_text.h"
#include "produce/prng.h"

/*
 * Records a pipeline must reject, one kind for each way input goes wrong
 * in practice. Each is written from a real event, so a broken record
 * looks like its neighbours except for the fault.
 */
enum malformed_kind {
    MALFORMED_NONE,         /* a well-formed record */
    MALFORMED_NOT_JSON,     /* truncated, trailing garbage, or a log line */
    MALFORMED_NOT_OBJECT,   /* valid JSON, but an array or a string */
    MALFORMED_MISSING_FIELD, /* an object without a required field */
    MALFORMED_WRONG_TYPE,   /* an object with a field of the wrong type or value */
    MALFORMED_EMPTY,        /* zero bytes */
    MALFORMED_INVALID_UTF8, /* JSON whose string bytes are not UTF-8 */
};
#define MALFORMED_KIND_COUNT (MALFORMED_INVALID_UTF8 + 1)

/* The name a field group takes in reports: FIELD_METRIC fields go missing
 * together, as "metric". */
#define MALFORMED_METRIC_FIELD "metric"

/*
 * A wrong value a profile knows for one of its fields. json NULL means the
 * field's own value quoted as a string (a number sent as "21.53"). A
 * companion override makes some wrong values meaningful: a rating of 6
 * only matters on an event whose action is "rating".
 */
struct wrong_value {
    const char *field;
    const char *json;
    const char *companion_field;
    const char *companion_json;
};

const char *malformed_kind_name(enum malformed_kind kind);

/*
 * Writes `record` broken as `kind` says (not MALFORMED_NONE) into out.
 * Returns the name of the field the fault concerns, or NULL when the fault
 * is about the whole record.
 */
const char *malformed_record_write(enum malformed_kind kind, const struct event_record *record,
                                   const struct wrong_value *wrong_values,
                                   size_t wrong_value_count, struct prng *rng,
                                   struct json_text *out);

#endif
