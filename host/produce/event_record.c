#include "produce/event_record.h"

#include <string.h>

#include "services/event_time.h"

void event_record_init(struct event_record *record)
{
    json_text_init(&record->values, record->value_storage, sizeof(record->value_storage));
    event_record_clear(record);
}

void event_record_clear(struct event_record *record)
{
    record->field_count = 0;
    json_text_reset(&record->values);
    record->key_len = 0;
    record->event_ms = 0;
    record->overflow = false;
}

void event_record_set_key(struct event_record *record, const char *key, size_t len)
{
    if (len > sizeof(record->key)) {
        record->overflow = true;
        return;
    }
    memcpy(record->key, key, len);
    record->key_len = len;
}

/* Opens a field whose value the caller appends to record->values next. */
static struct event_field *begin_field(struct event_record *record, const char *name,
                                       enum field_role role, bool is_string)
{
    struct event_field *field;

    if (record->field_count == EVENT_RECORD_MAX_FIELDS) {
        record->overflow = true;
        return NULL;
    }
    field = &record->fields[record->field_count++];
    field->name = name;
    field->role = role;
    field->is_string = is_string;
    field->value_offset = record->values.len;
    return field;
}

static void end_field(struct event_record *record, struct event_field *field)
{
    field->value_len = record->values.len - field->value_offset;
    if (record->values.overflow)
        record->overflow = true;
}

void event_record_add_string(struct event_record *record, const char *name,
                             enum field_role role, const char *value, size_t len)
{
    struct event_field *field = begin_field(record, name, role, true);

    if (field == NULL)
        return;
    json_text_string(&record->values, value, len);
    end_field(record, field);
}

void event_record_add_int(struct event_record *record, const char *name,
                          enum field_role role, int64_t value)
{
    struct event_field *field = begin_field(record, name, role, false);

    if (field == NULL)
        return;
    json_text_int(&record->values, value);
    end_field(record, field);
}

void event_record_add_decimal(struct event_record *record, const char *name,
                              enum field_role role, int64_t scaled, unsigned decimals)
{
    struct event_field *field = begin_field(record, name, role, false);

    if (field == NULL)
        return;
    json_text_decimal(&record->values, scaled, decimals);
    end_field(record, field);
}

void event_record_add_time(struct event_record *record, const char *name,
                           enum field_role role, int64_t epoch_ms, enum time_style style)
{
    char text[48];
    size_t len;

    if (style == TIME_EPOCH_MS) {
        event_record_add_int(record, name, role, epoch_ms);
        return;
    }
    if (style == TIME_ISO_SECONDS) {
        /* Whole seconds, rounding toward the past, and no zone letter. */
        int64_t seconds = epoch_ms / 1000 - (epoch_ms % 1000 < 0);

        len = event_time_format(seconds * 1000, text, sizeof(text));
        if (len > 0 && text[len - 1] == 'Z')
            len--;
    } else {
        len = event_time_format(epoch_ms, text, sizeof(text));
    }
    if (len == 0 || len >= sizeof(text)) {
        record->overflow = true;
        return;
    }
    event_record_add_string(record, name, role, text, len);
}

int event_record_find(const struct event_record *record, const char *name)
{
    for (size_t i = 0; i < record->field_count; i++) {
        if (strcmp(record->fields[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

const char *event_record_value(const struct event_record *record, size_t index)
{
    return record->value_storage + record->fields[index].value_offset;
}

void event_record_write_object(const struct event_record *record, const bool *skip,
                               struct json_text *out)
{
    bool first = true;

    json_text_char(out, '{');
    for (size_t i = 0; i < record->field_count; i++) {
        const struct event_field *field = &record->fields[i];

        if (skip != NULL && skip[i])
            continue;
        if (!first)
            json_text_raw(out, ", ", 2);
        first = false;
        json_text_string(out, field->name, strlen(field->name));
        json_text_raw(out, ": ", 2);
        json_text_raw(out, event_record_value(record, i), field->value_len);
    }
    json_text_char(out, '}');
}
