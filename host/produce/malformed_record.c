#include "produce/malformed_record.h"

#include <stdbool.h>
#include <string.h>

const char *malformed_kind_name(enum malformed_kind kind)
{
    switch (kind) {
    case MALFORMED_NONE: return "none";
    case MALFORMED_NOT_JSON: return "not JSON";
    case MALFORMED_NOT_OBJECT: return "not an object";
    case MALFORMED_MISSING_FIELD: return "missing field";
    case MALFORMED_WRONG_TYPE: return "wrong type";
    case MALFORMED_EMPTY: return "empty";
    case MALFORMED_INVALID_UTF8: return "invalid UTF-8";
    case MALFORMED_LATE: return "late";
    case MALFORMED_UNMATCHED: return "unmatched";
    }
    return "unknown";
}

static void write_not_json(const struct event_record *record, struct prng *rng,
                           struct json_text *out)
{
    size_t start = out->len;

    switch (prng_below(rng, 3)) {
    case 0: /* cut off mid-record, as by a writer that died */
        event_record_write_object(record, out);
        out->len = start + (out->len - start) / 2;
        break;
    case 1: /* a second closing brace after a complete object */
        event_record_write_object(record, out);
        json_text_char(out, '}');
        break;
    default: /* a log line where JSON was expected: name=value ... */
        for (size_t i = 0; i < record->field_count; i++) {
            if (i > 0)
                json_text_char(out, ' ');
            json_text_cstr(out, record->fields[i].name);
            json_text_char(out, '=');
            json_text_raw(out, event_record_value(record, i), record->fields[i].value_len);
        }
        break;
    }
}

static void write_not_object(const struct event_record *record, struct prng *rng,
                             struct json_text *out)
{
    switch (prng_below(rng, 3)) {
    case 0: /* the values without their names */
        json_text_char(out, '[');
        for (size_t i = 0; i < record->field_count; i++) {
            if (i > 0)
                json_text_raw(out, ", ", 2);
            json_text_raw(out, event_record_value(record, i), record->fields[i].value_len);
        }
        json_text_char(out, ']');
        break;
    case 1: { /* encoded twice: the object's text as a JSON string */
        char storage[EVENT_RECORD_VALUE_BYTES + 512];
        struct json_text inner;

        json_text_init(&inner, storage, sizeof(storage));
        event_record_write_object(record, &inner);
        if (inner.overflow)
            out->overflow = true;
        json_text_string(out, inner.data, inner.len);
        break;
    }
    default: /* a batch of one where a single event was expected */
        json_text_char(out, '[');
        event_record_write_object(record, out);
        json_text_char(out, ']');
        break;
    }
}

/* One "name": value member; quoted writes the value text as a JSON string. */
static void write_member(struct json_text *out, bool *first, const char *name,
                         const char *value, size_t value_len, bool quoted)
{
    if (!*first)
        json_text_raw(out, ", ", 2);
    *first = false;
    json_text_string(out, name, strlen(name));
    json_text_raw(out, ": ", 2);
    if (quoted)
        json_text_string(out, value, value_len);
    else
        json_text_raw(out, value, value_len);
}

static const struct field_edit *find_edit(const struct field_fault *fault, const char *field)
{
    for (size_t i = 0; i < FIELD_FAULT_EDITS && fault->edits[i].field != NULL; i++) {
        if (strcmp(fault->edits[i].field, field) == 0)
            return &fault->edits[i];
    }
    return NULL;
}

/* The record with the fault's edits applied: fields edited in place,
 * those the edits add appended in the order of the edits. */
static void write_with_fault(const struct event_record *record, const struct field_fault *fault,
                             struct json_text *out)
{
    bool first = true;

    json_text_char(out, '{');
    for (size_t i = 0; i < record->field_count; i++) {
        const struct field_edit *edit = find_edit(fault, record->fields[i].name);
        const char *value = event_record_value(record, i);
        size_t value_len = record->fields[i].value_len;

        if (edit != NULL && edit->op == FIELD_REMOVE)
            continue;
        if (edit != NULL && edit->op == FIELD_SET) {
            value = edit->json;
            value_len = strlen(edit->json);
        }
        write_member(out, &first, record->fields[i].name, value, value_len,
                     edit != NULL && edit->op == FIELD_QUOTE);
    }
    for (size_t i = 0; i < FIELD_FAULT_EDITS && fault->edits[i].field != NULL; i++) {
        const struct field_edit *edit = &fault->edits[i];

        if (edit->op != FIELD_REMOVE && event_record_find(record, edit->field) < 0)
            write_member(out, &first, edit->field, edit->json, strlen(edit->json), false);
    }
    json_text_char(out, '}');
}

/* One of the profile's faults of this kind, drawn evenly. */
static const char *write_field_fault(enum malformed_kind kind, const struct event_record *record,
                                     const struct field_fault *faults, size_t fault_count,
                                     struct prng *rng, struct json_text *out)
{
    uint32_t of_kind = 0, chosen;

    for (size_t i = 0; i < fault_count; i++)
        of_kind += faults[i].kind == kind;
    if (of_kind == 0) {
        /* A profile without such a fault: its first field, which every
         * profile requires, goes missing or holds an object. */
        struct field_fault fallback = {
            .kind = kind,
            .field = record->fields[0].name,
            .edits = { { record->fields[0].name,
                         kind == MALFORMED_MISSING_FIELD ? FIELD_REMOVE : FIELD_SET, "{}" } },
        };

        write_with_fault(record, &fallback, out);
        return fallback.field;
    }
    chosen = prng_below(rng, of_kind);
    for (size_t i = 0; i < fault_count; i++) {
        if (faults[i].kind != kind)
            continue;
        if (chosen-- == 0) {
            write_with_fault(record, &faults[i], out);
            return faults[i].field;
        }
    }
    return NULL;
}

static const char *write_invalid_utf8(const struct event_record *record, struct prng *rng,
                                      struct json_text *out)
{
    /* A lone byte that never starts UTF-8, a lead byte with a bad
     * continuation, a truncated sequence, an overlong '/', a surrogate. */
    static const char *const bad_bytes[] = {
        "\xff", "\xc3\x28", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80",
    };
    size_t strings[EVENT_RECORD_MAX_FIELDS];
    size_t string_count = 0;
    size_t target;
    bool first = true;
    const char *bad = bad_bytes[prng_below(rng, sizeof(bad_bytes) / sizeof(bad_bytes[0]))];

    for (size_t i = 0; i < record->field_count; i++) {
        if (record->fields[i].is_string)
            strings[string_count++] = i;
    }
    if (string_count == 0) {
        json_text_cstr(out, bad);
        event_record_write_object(record, out);
        return NULL;
    }
    target = strings[prng_below(rng, (uint32_t)string_count)];
    json_text_char(out, '{');
    for (size_t i = 0; i < record->field_count; i++) {
        const char *value = event_record_value(record, i);
        size_t value_len = record->fields[i].value_len;
        char tampered[EVENT_RECORD_VALUE_BYTES + 8];

        if (i == target) {
            /* The bad bytes go right after the opening quote. */
            size_t bad_len = strlen(bad);

            tampered[0] = '"';
            memcpy(tampered + 1, bad, bad_len);
            memcpy(tampered + 1 + bad_len, value + 1, value_len - 1);
            value = tampered;
            value_len += bad_len;
        }
        write_member(out, &first, record->fields[i].name, value, value_len, false);
    }
    json_text_char(out, '}');
    return record->fields[target].name;
}

const char *malformed_record_write(enum malformed_kind kind, const struct event_record *record,
                                   const struct field_fault *faults, size_t fault_count,
                                   struct prng *rng, struct json_text *out)
{
    switch (kind) {
    case MALFORMED_NONE:
    case MALFORMED_LATE:
    case MALFORMED_UNMATCHED:
        /* Nothing to break: the event itself is what is wrong, if anything. */
        event_record_write_object(record, out);
        return NULL;
    case MALFORMED_NOT_JSON:
        write_not_json(record, rng, out);
        return NULL;
    case MALFORMED_NOT_OBJECT:
        write_not_object(record, rng, out);
        return NULL;
    case MALFORMED_MISSING_FIELD:
    case MALFORMED_WRONG_TYPE:
        return write_field_fault(kind, record, faults, fault_count, rng, out);
    case MALFORMED_EMPTY:
        return NULL;
    case MALFORMED_INVALID_UTF8:
        return write_invalid_utf8(record, rng, out);
    }
    return NULL;
}
