#include "produce/json_text.h"

#include <pipehost/json_text.h>

#include <string.h>

void json_text_init(struct json_text *text, char *storage, size_t cap)
{
    text->data = storage;
    text->cap = cap;
    json_text_reset(text);
}

void json_text_reset(struct json_text *text)
{
    text->len = 0;
    text->overflow = false;
}

void json_text_raw(struct json_text *text, const char *bytes, size_t len)
{
    if (len > text->cap - text->len) {
        text->overflow = true;
        return;
    }
    memcpy(text->data + text->len, bytes, len);
    text->len += len;
}

void json_text_cstr(struct json_text *text, const char *str)
{
    json_text_raw(text, str, strlen(str));
}

void json_text_char(struct json_text *text, char c)
{
    json_text_raw(text, &c, 1);
}

static void append_piece(void *context, const char *bytes, size_t len)
{
    json_text_raw(context, bytes, len);
}

void json_text_string(struct json_text *text, const char *bytes, size_t len)
{
    ph_json_quote(bytes, len, append_piece, text);
}

void json_text_int(struct json_text *text, int64_t value)
{
    char digits[24];
    size_t n = sizeof(digits);
    /* Negate in unsigned arithmetic so INT64_MIN is no overflow. */
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;

    do {
        digits[--n] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0)
        digits[--n] = '-';
    json_text_raw(text, digits + n, sizeof(digits) - n);
}

void json_text_decimal(struct json_text *text, int64_t scaled, unsigned decimals)
{
    uint64_t magnitude = scaled < 0 ? 0 - (uint64_t)scaled : (uint64_t)scaled;
    uint64_t unit = 1;
    char fraction[20];

    for (unsigned i = 0; i < decimals; i++)
        unit *= 10;
    if (scaled < 0)
        json_text_char(text, '-');
    json_text_int(text, (int64_t)(magnitude / unit));
    if (decimals == 0)
        return;
    json_text_char(text, '.');
    magnitude %= unit;
    for (unsigned i = decimals; i > 0; i--) {
        fraction[i - 1] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    }
    json_text_raw(text, fraction, decimals);
}
