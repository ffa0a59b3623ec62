/*
 * JSON object text in a reusable buffer.
 */
#include <pipehost/json_text.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAPACITY 256

void ph_json_text_init(ph_json_text *text)
{
    memset(text, 0, sizeof(*text));
}

void ph_json_text_free(ph_json_text *text)
{
    free(text->data);
    ph_json_text_init(text);
}

void ph_json_text_reset(ph_json_text *text)
{
    text->length = 0;
    text->need_comma = 0;
    text->failed = 0;
    if (text->data != NULL)
        text->data[0] = '\0';
}

int ph_json_text_failed(const ph_json_text *text)
{
    return text->failed;
}

/* Room for extra more bytes and the NUL; 0, or -1 (and failed) when not. */
static int reserve(ph_json_text *text, size_t extra)
{
    size_t capacity;
    char *data;

    if (text->failed)
        return -1;
    if (text->capacity - text->length > extra)
        return 0;
    capacity = text->capacity > 0 ? text->capacity : FIRST_CAPACITY;
    while (capacity - text->length <= extra)
        capacity *= 2;
    data = realloc(text->data, capacity);
    if (data == NULL) {
        text->failed = 1;
        return -1;
    }
    text->data = data;
    text->capacity = capacity;
    return 0;
}

static void append(ph_json_text *text, const char *bytes, size_t length)
{
    if (reserve(text, length) != 0)
        return;
    memcpy(text->data + text->length, bytes, length);
    text->length += length;
    text->data[text->length] = '\0';
}

static void separate(ph_json_text *text)
{
    if (text->need_comma)
        append(text, ",", 1);
}

void ph_json_text_begin_object(ph_json_text *text)
{
    separate(text);
    append(text, "{", 1);
    text->need_comma = 0;
}

void ph_json_text_end_object(ph_json_text *text)
{
    append(text, "}", 1);
    text->need_comma = 1;
}

void ph_json_quote(const char *value, size_t length,
                   void (*append_to)(void *context, const char *bytes, size_t length),
                   void *context)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    append_to(context, "\"", 1);
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)value[i];
        char escape[6];
        size_t escape_len = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        append_to(context, value + run, i - run);
        run = i + 1;
        escape[0] = '\\';
        switch (c) {
        case '"': escape[1] = '"'; break;
        case '\\': escape[1] = '\\'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        case '\b': escape[1] = 'b'; break;
        case '\f': escape[1] = 'f'; break;
        default:
            memcpy(escape + 1, "u00", 3);
            escape[4] = hex[c >> 4];
            escape[5] = hex[c & 0xf];
            escape_len = 6;
        }
        append_to(context, escape, escape_len);
    }
    append_to(context, value + run, length - run);
    append_to(context, "\"", 1);
}

static void append_piece(void *context, const char *bytes, size_t length)
{
    append(context, bytes, length);
}

static void quote(ph_json_text *text, const char *value, size_t length)
{
    ph_json_quote(value, length, append_piece, text);
}

void ph_json_text_key(ph_json_text *text, const char *name)
{
    separate(text);
    quote(text, name, strlen(name));
    append(text, ":", 1);
    text->need_comma = 0;
}

void ph_json_text_string(ph_json_text *text, const char *value, size_t length)
{
    separate(text);
    quote(text, value, length);
    text->need_comma = 1;
}

void ph_json_text_int(ph_json_text *text, int64_t value)
{
    char digits[24];
    char *first = digits + sizeof(digits);
    /* Negated as unsigned: INT64_MIN has no positive int64_t. */
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

    /* Written backwards by hand: counts go out on every emitted record,
     * and snprintf costs more than the rest of the record. */
    do {
        *--first = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0)
        *--first = '-';
    separate(text);
    append(text, first, (size_t)(digits + sizeof(digits) - first));
    text->need_comma = 1;
}

void ph_json_text_bool(ph_json_text *text, int value)
{
    separate(text);
    if (value)
        append(text, "true", 4);
    else
        append(text, "false", 5);
    text->need_comma = 1;
}

void ph_json_text_real(ph_json_text *text, double value)
{
    char digits[40];
    int length = 0;

    separate(text);
    text->need_comma = 1;
    if (!isfinite(value)) {
        append(text, "null", 4);
        return;
    }
    /* 17 significant digits always read back; fewer usually do. */
    for (int precision = 15; precision <= 17; precision++) {
        length = snprintf(digits, sizeof(digits), "%.*g", precision, value);
        if (strtod(digits, NULL) == value)
            break;
    }
    if (strpbrk(digits, ".e") == NULL) {
        memcpy(digits + length, ".0", 3);
        length += 2;
    }
    append(text, digits, (size_t)length);
}
