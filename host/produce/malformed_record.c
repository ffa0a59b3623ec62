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
    }
    return "unknown";
}

static void write_not_json(const struct event_record *record, struct prng *rng,
                           struct json_text *out)
{
    size_t start = out->len;

    switch (prng_below(rng, 3)) {
    case 0: /* cut off mid-record, as by a writer that died */
        event_record_write_object(record, NULL, out);
        out->len = start + (out->len - start) / 2;
        break;
    case 1: /* a second closing brace after a complete object */
        event_record_write_object(record, NULL, out);
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
        event_record_write_object(record, NULL, &inner);
        if (inner.overflow)
            out->overflow = true;
        json_text_string(out, inner.data, inner.len);
        break;
    }
    default: /* a batch of one where a single event was expected */
        json_text_char(out, '[');
        event_record_write_object(record, NULL, out);
        json_text_char(out, ']');
        break;
    }
}

static const char *write_missing_field(const struct event_record *record, struct prng *rng,
                                       struct json_text *out)
{
    bool skip[EVENT_RECORD_MAX_FIELDS] = { false };
    size_t required[EVENT_RECORD_MAX_FIELDS];
    size_t required_count = 0;
    bool has_metrics = false;
    uint32_t choice;

    for (size_t i = 0; i < record->field_count; i++) {
        if (record->fields[i].role == FIELD_REQUIRED)
            required[required_count++] = i;
        else if (record->fields[i].role == FIELD_METRIC)
            has_metrics = true;
    }
    if (required_count == 0 && !has_metrics) {
        event_record_write_object(record, NULL, out);
        return NULL;
    }
    choice = prng_below(rng, (uint32_t)required_count + (has_metrics ? 1 : 0));
    if (choice < required_count) {
        skip[required[choice]] = true;
        event_record_write_object(record, skip, out);
        return record->fields[required[choice]].name;
    }
    /* All readings gone: an event that measures nothing. */
    for (size_t i = 0; i < record->field_count; i++)
        skip[i] = record->fields[i].role == FIELD_METRIC;
    event_record_write_object(record, skip, out);
    return MALFORMED_METRIC_FIELD;
}

static bool wrong_value_applies(const struct wrong_value *wrong, const struct event_record *record)
{
    if (event_record_find(record, wrong->field) >= 0)
        return true;
    return wrong->companion_field != NULL &&
           event_record_find(record, wrong->companion_field) >= 0;
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

/* The record with wrong->field (and its companion) set to the wrong
 * value, replacing the field where present, appended where not. */
static void write_with_wrong_value(const struct event_record *record,
                                   const struct wrong_value *wrong, struct json_text *out)
{
    bool first = true;
    bool wrote_field = false, wrote_companion = wrong->companion_field == NULL;

    json_text_char(out, '{');
    for (size_t i = 0; i < record->field_count; i++) {
        const char *name = record->fields[i].name;
        const char *value = event_record_value(record, i);
        size_t value_len = record->fields[i].value_len;
        bool quoted = false;

        if (strcmp(name, wrong->field) == 0) {
            wrote_field = true;
            if (wrong->json == NULL) {
                quoted = true;
            } else {
                value = wrong->json;
                value_len = strlen(wrong->json);
            }
        } else if (wrong->companion_field != NULL &&
                   strcmp(name, wrong->companion_field) == 0) {
            wrote_companion = true;
            value = wrong->companion_json;
            value_len = strlen(wrong->companion_json);
        }
        write_member(out, &first, name, value, value_len, quoted);
    }
    if (!wrote_companion)
        write_member(out, &first, wrong->companion_field, wrong->companion_json,
                     strlen(wrong->companion_json), false);
    if (!wrote_field && wrong->json != NULL)
        write_member(out, &first, wrong->field, wrong->json, strlen(wrong->json), false);
    json_text_char(out, '}');
}

static const char *write_wrong_type(const struct event_record *record,
                                    const struct wrong_value *wrong_values,
                                    size_t wrong_value_count, struct prng *rng,
                                    struct json_text *out)
{
    static const struct wrong_value object_instead = { NULL, "{}", NULL, NULL };
    uint32_t start = wrong_value_count > 0 ? prng_below(rng, (uint32_t)wrong_value_count) : 0;
    struct wrong_value fallback;

    /* The first wrong value, from a random start, that fits this event. */
    for (size_t n = 0; n < wrong_value_count; n++) {
        const struct wrong_value *wrong = &wrong_values[(start + n) % wrong_value_count];

        if (wrong_value_applies(wrong, record)) {
            write_with_wrong_value(record, wrong, out);
            return wrong->field;
        }
    }
    /* No profile value fits: an object where a plain value belongs is
     * wrong for every field the profiles define. */
    fallback = object_instead;
    fallback.field = record->fields[0].name;
    write_with_wrong_value(record, &fallback, out);
    return fallback.field;
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
        event_record_write_object(record, NULL, out);
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
                                   const struct wrong_value *wrong_values,
                                   size_t wrong_value_count, struct prng *rng,
                                   struct json_text *out)
{
    switch (kind) {
    case MALFORMED_NONE:
        event_record_write_object(record, NULL, out);
        return NULL;
    case MALFORMED_NOT_JSON:
        write_not_json(record, rng, out);
        return NULL;
    case MALFORMED_NOT_OBJECT:
        write_not_object(record, rng, out);
        return NULL;
    case MALFORMED_MISSING_FIELD:
        return write_missing_field(record, rng, out);
    case MALFORMED_WRONG_TYPE:
        return write_wrong_type(record, wrong_values, wrong_value_count, rng, out);
    case MALFORMED_EMPTY:
        return NULL;
    case MALFORMED_INVALID_UTF8:
        return write_invalid_utf8(record, rng, out);
    }
    return NULL;
}
