#include "produce/json_text.h"

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

void json_text_string(struct json_text *text, const char *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t plain_start = 0;

    json_text_char(text, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        char escape[6];
        size_t escape_len = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        json_text_raw(text, bytes + plain_start, i - plain_start);
        plain_start = i + 1;
        escape[0] = '\\';
        switch (c) {
        case '"': escape[1] = '"'; break;
        case '\\': escape[1] = '\\'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        default:
            memcpy(escape + 1, "u00", 3);
            escape[4] = hex[c >> 4];
            escape[5] = hex[c & 0xf];
            escape_len = 6;
            break;
        }
        json_text_raw(text, escape, escape_len);
    }
    json_text_raw(text, bytes + plain_start, len - plain_start);
    json_text_char(text, '"');
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
