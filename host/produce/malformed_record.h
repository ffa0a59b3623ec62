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
    /* Well-formed events the stream around them makes wrong: */
    MALFORMED_LATE,         /* timed behind what the plugin still accepts */
    MALFORMED_UNMATCHED,    /* ends what never began: a close of a conversation never opened */
};
#define MALFORMED_KIND_COUNT (MALFORMED_UNMATCHED + 1)

/* The last kind malformed_record_write makes from the event alone. */
#define MALFORMED_LAST_RECORD_KIND MALFORMED_INVALID_UTF8

/*
 * A fault a profile knows for its fields, as up to three edits of an
 * event: the fault itself, and what makes it count on any event of the
 * profile (a rating of 6 only matters when the action is "rating", a
 * missing agent_id only on an agent's message).
 */
enum field_edit_op {
    FIELD_SET,    /* the field becomes `json`, added where absent */
    FIELD_ADD,    /* the field is added as `json` where absent, else kept */
    FIELD_QUOTE,  /* the field's own value as a JSON string (a number sent
                     as "21.53"); added as `json` where absent */
    FIELD_REMOVE,
};

struct field_edit {
    const char *field; /* NULL: no edit */
    enum field_edit_op op;
    const char *json;
};

#define FIELD_FAULT_EDITS 3

struct field_fault {
    enum malformed_kind kind; /* MALFORMED_MISSING_FIELD or MALFORMED_WRONG_TYPE */
    const char *field;        /* the field at fault: the first one the plugin
                                 checks of those the edits break */
    struct field_edit edits[FIELD_FAULT_EDITS];
};

/* The plain faults: a field left out, a field set to a wrong value. */
#define FIELD_MISSING(name) { MALFORMED_MISSING_FIELD, name, { { name, FIELD_REMOVE, NULL } } }
#define FIELD_WRONG(name, json) { MALFORMED_WRONG_TYPE, name, { { name, FIELD_SET, json } } }

const char *malformed_kind_name(enum malformed_kind kind);

/*
 * Writes `record` broken as `kind` says (MALFORMED_NOT_JSON to
 * MALFORMED_LAST_RECORD_KIND) into out. A missing field or wrong type is
 * one of the profile's `faults` of that kind, drawn evenly; a profile
 * should list some of each. Returns the name of the field the fault
 * concerns, or NULL when the fault is about the whole record.
 */
const char *malformed_record_write(enum malformed_kind kind, const struct event_record *record,
                                   const struct field_fault *faults, size_t fault_count,
                                   struct prng *rng, struct json_text *out);

#endif
