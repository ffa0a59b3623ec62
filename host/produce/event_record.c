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
    record->time_field = -1;
    record->time_style = TIME_ISO_UTC;
    record->dangling_field = NULL;
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
                                       bool is_string)
{
    struct event_field *field;

    if (record->field_count == EVENT_RECORD_MAX_FIELDS) {
        record->overflow = true;
        return NULL;
    }
    field = &record->fields[record->field_count++];
    field->name = name;
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

void event_record_add_string(struct event_record *record, const char *name, const char *value,
                             size_t len)
{
    struct event_field *field = begin_field(record, name, true);

    if (field == NULL)
        return;
    json_text_string(&record->values, value, len);
    end_field(record, field);
}

void event_record_add_int(struct event_record *record, const char *name, int64_t value)
{
    struct event_field *field = begin_field(record, name, false);

    if (field == NULL)
        return;
    json_text_int(&record->values, value);
    end_field(record, field);
}

void event_record_add_decimal(struct event_record *record, const char *name, int64_t scaled,
                              unsigned decimals)
{
    struct event_field *field = begin_field(record, name, false);

    if (field == NULL)
        return;
    json_text_decimal(&record->values, scaled, decimals);
    end_field(record, field);
}

/* Appends the time's JSON value to record->values; false when it cannot
 * be written. */
static bool append_time_value(struct event_record *record, int64_t epoch_ms,
                              enum time_style style)
{
    char text[48];
    size_t len;

    if (style == TIME_EPOCH_MS) {
        json_text_int(&record->values, epoch_ms);
        return true;
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
    if (len == 0 || len >= sizeof(text))
        return false;
    json_text_string(&record->values, text, len);
    return true;
}

void event_record_add_time(struct event_record *record, const char *name, int64_t epoch_ms,
                           enum time_style style)
{
    struct event_field *field = begin_field(record, name, style != TIME_EPOCH_MS);
    bool written;

    if (field == NULL)
        return;
    written = append_time_value(record, epoch_ms, style);
    end_field(record, field);
    if (!written) {
        record->overflow = true;
        return;
    }
    record->time_field = (int)(record->field_count - 1);
    record->time_style = style;
    record->event_ms = epoch_ms;
}

int event_record_retime(struct event_record *record, int64_t epoch_ms)
{
    struct event_field *field;
    bool written;

    if (record->time_field < 0)
        return -1;
    /* The new text goes after the others; the old one is left unused. */
    field = &record->fields[record->time_field];
    field->value_offset = record->values.len;
    written = append_time_value(record, epoch_ms, record->time_style);
    end_field(record, field);
    if (!written) {
        record->overflow = true;
        return -1;
    }
    record->event_ms = epoch_ms;
    return 0;
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

void event_record_write_object(const struct event_record *record, struct json_text *out)
{
    json_text_char(out, '{');
    for (size_t i = 0; i < record->field_count; i++) {
        const struct event_field *field = &record->fields[i];

        if (i > 0)
            json_text_raw(out, ", ", 2);
        json_text_string(out, field->name, strlen(field->name));
        json_text_raw(out, ": ", 2);
        json_text_raw(out, event_record_value(record, i), field->value_len);
    }
    json_text_char(out, '}');
}
