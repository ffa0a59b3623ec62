#include "services/json_fields.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this goes to jansson, which counts every value
 * (scalars too) against its limit of 2048 and reports the error. */
#define MAX_DEPTH 1024
/* Numbers longer than this go to jansson instead of a stack copy. */
#define NUMBER_TEXT_MAX 400

typedef struct scanner {
    const unsigned char *at;
    const unsigned char *end;
    int depth;
    byte_arena *scratch;
} scanner;

/* A string as found in the text, between its quotes. */
typedef struct raw_string {
    const unsigned char *start;
    size_t length;
    int escaped;      /* holds a backslash: must be decoded to be read */
    int escaped_nul;  /* holds \u0000 */
} raw_string;

static void skip_space(scanner *s)
{
    while (s->at < s->end &&
           (*s->at == ' ' || *s->at == '\n' || *s->at == '\r' || *s->at == '\t'))
        s->at++;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller). */
static long hex4(const unsigned char *p)
{
    long value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = hex_value(p[i]);
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

/* One UTF-8 sequence starting with a byte >= 0x80, as jansson accepts it:
 * no overlong forms, no surrogates, nothing past U+10FFFF. Its length, or
 * 0 when invalid. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t length;
    uint32_t code;
    if (c >= 0xC2 && c <= 0xDF) {
        length = 2;
        code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        length = 3;
        code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        length = 4;
        code = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < length)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        code = (code << 6) | (p[i] & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) ||
        (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
        return 0;
    return length;
}

/* A string at s->at (its opening quote). 0, or -1 when invalid. */
static int scan_string(scanner *s, raw_string *out)
{
    const unsigned char *p = s->at + 1;
    const unsigned char *end = s->end;
    out->start = p;
    out->escaped = 0;
    out->escaped_nul = 0;
    for (;;) {
        /* The common case: printable ASCII. */
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p >= end)
            return -1;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return -1; /* a control character must be escaped */
        if (c >= 0x80) {
            size_t length = utf8_sequence(p, end);
            if (length == 0)
                return -1;
            p += length;
            continue;
        }
        /* A backslash. */
        out->escaped = 1;
        if (end - p < 2)
            return -1;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        case 'u':
            break;
        default:
            return -1;
        }
        if (end - p < 6)
            return -1;
        long code = hex4(p + 2);
        if (code < 0)
            return -1;
        p += 6;
        if (code >= 0xDC00 && code <= 0xDFFF)
            return -1; /* a low surrogate alone */
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                return -1;
            long low = hex4(p + 2);
            if (low < 0xDC00 || low > 0xDFFF)
                return -1;
            p += 6;
        }
        if (code == 0)
            out->escaped_nul = 1;
    }
    out->length = (size_t)(p - out->start);
    s->at = p + 1;
    return 0;
}

static size_t put_utf8(unsigned char *out, uint32_t code)
{
    if (code < 0x80) {
        out[0] = (unsigned char)code;
        return 1;
    }
    if (code < 0x800) {
        out[0] = (unsigned char)(0xC0 | (code >> 6));
        out[1] = (unsigned char)(0x80 | (code & 0x3F));
        return 2;
    }
    if (code < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (code >> 12));
        out[1] = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (code & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (code >> 18));
    out[1] = (unsigned char)(0x80 | ((code >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((code >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (code & 0x3F));
    return 4;
}

/* Decode a string already validated by scan_string into out (room for
 * raw->length bytes: decoding never grows). Returns the decoded length. */
static size_t decode_string(const raw_string *raw, unsigned char *out)
{
    const unsigned char *p = raw->start;
    const unsigned char *end = raw->start + raw->length;
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        unsigned char c = p[1];
        p += 2;
        switch (c) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            uint32_t code = (uint32_t)hex4(p);
            p += 4;
            if (code >= 0xD800 && code <= 0xDBFF) {
                uint32_t low = (uint32_t)hex4(p + 2);
                p += 6;
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            n += put_utf8(out + n, code);
            break;
        }
        default: out[n++] = c; break; /* " \ / */
        }
    }
    return n;
}

/* The string's bytes: in place, or decoded into scratch. 0, or -1 when out
 * of memory. */
static int string_bytes(scanner *s, const raw_string *raw, const char **text, size_t *length)
{
    if (!raw->escaped) {
        *text = (const char *)raw->start;
        *length = raw->length;
        return 0;
    }
    unsigned char *out = byte_arena_alloc(s->scratch, raw->length ? raw->length : 1);
    if (!out)
        return -1;
    *length = decode_string(raw, out);
    *text = (const char *)out;
    return 0;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

typedef enum scan_status { SCAN_OK = 0, SCAN_INVALID = -1, SCAN_UNSURE = -2 } scan_status;

/*
 * A number at s->at, to the grammar jansson's lexer follows. Its value
 * goes into field when field is not NULL. A real is converted (strtod, as
 * jansson does) when asked for, or when it could overflow, which jansson
 * reports as an error.
 */
static scan_status scan_number(scanner *s, ph_field *field)
{
    const unsigned char *start = s->at;
    const unsigned char *p = start;
    const unsigned char *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return SCAN_INVALID;
    const unsigned char *int_start = p;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return SCAN_INVALID;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    size_t int_digits = (size_t)(p - int_start);
    int is_real = 0, has_exponent = 0;
    if (p < end && *p == '.') {
        is_real = 1;
        p++;
        if (p >= end || !is_digit(*p))
            return SCAN_INVALID;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_real = has_exponent = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return SCAN_INVALID;
        while (p < end && is_digit(*p))
            p++;
    }
    s->at = p;
    size_t length = (size_t)(p - start);

    if (!is_real) {
        if (int_digits > 18)
            return SCAN_UNSURE; /* may not fit in 64 bits: jansson decides */
        if (field) {
            int64_t value = 0;
            for (const unsigned char *d = int_start; d < p; d++)
                value = value * 10 + (*d - '0');
            if (*start == '-')
                value = -value;
            *field = (ph_field){.type = PH_JSON_INTEGER, .integer = value,
                                .number = (double)value};
        }
        return SCAN_OK;
    }
    if (!field && !has_exponent && int_digits < 300)
        return SCAN_OK; /* cannot overflow a double */
    if (length > NUMBER_TEXT_MAX)
        return SCAN_UNSURE;
    char copy[NUMBER_TEXT_MAX + 1];
    memcpy(copy, start, length);
    copy[length] = '\0';
    errno = 0;
    double value = strtod(copy, NULL);
    if (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL))
        return SCAN_UNSURE; /* jansson: "real number overflow" */
    if (field)
        *field = (ph_field){.type = PH_JSON_REAL, .number = value};
    return SCAN_OK;
}

static scan_status scan_literal(scanner *s, const char *word, size_t length)
{
    if ((size_t)(s->end - s->at) < length || memcmp(s->at, word, length) != 0)
        return SCAN_INVALID;
    s->at += length;
    return SCAN_OK;
}

static scan_status scan_value(scanner *s, ph_field *field);

/* After a member of an array or object: its closing bracket (*closed set)
 * or a comma, and the space after it. */
static scan_status after_member(scanner *s, unsigned char close, int *closed)
{
    skip_space(s);
    if (s->at >= s->end)
        return SCAN_INVALID;
    *closed = *s->at == close;
    if (!*closed && *s->at != ',')
        return SCAN_INVALID;
    s->at++;
    if (!*closed)
        skip_space(s);
    return SCAN_OK;
}

static scan_status scan_array(scanner *s)
{
    s->at++; /* [ */
    skip_space(s);
    if (s->at < s->end && *s->at == ']') {
        s->at++;
        return SCAN_OK;
    }
    for (;;) {
        int closed = 0;
        scan_status status = scan_value(s, NULL);
        if (status == SCAN_OK)
            status = after_member(s, ']', &closed);
        if (status != SCAN_OK || closed)
            return status;
    }
}

/* Which of names a key is, or -1. */
static int find_name(scanner *s, const raw_string *key, const char *const names[], size_t count,
                     scan_status *status)
{
    const char *text;
    size_t length;
    if (string_bytes(s, key, &text, &length) != 0) {
        *status = SCAN_UNSURE;
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (names[i][0] == (length ? text[0] : '\0') && strncmp(names[i], text, length) == 0 &&
            names[i][length] == '\0')
            return (int)i;
    }
    return -1;
}

/* An object at s->at; its members named in names go into fields. */
static scan_status scan_object(scanner *s, const char *const names[], size_t count,
                               ph_field fields[])
{
    s->at++; /* { */
    skip_space(s);
    if (s->at < s->end && *s->at == '}') {
        s->at++;
        return SCAN_OK;
    }
    for (;;) {
        if (s->at >= s->end || *s->at != '"')
            return SCAN_INVALID;
        raw_string key;
        if (scan_string(s, &key) != 0)
            return SCAN_INVALID;
        if (key.escaped_nul)
            return SCAN_INVALID; /* jansson: "NUL byte in object key not supported" */
        scan_status status = SCAN_OK;
        int wanted = count ? find_name(s, &key, names, count, &status) : -1;
        if (status != SCAN_OK)
            return status;
        skip_space(s);
        if (s->at >= s->end || *s->at != ':')
            return SCAN_INVALID;
        s->at++;
        skip_space(s);
        int closed = 0;
        status = scan_value(s, wanted >= 0 ? &fields[wanted] : NULL);
        if (status == SCAN_OK)
            status = after_member(s, '}', &closed);
        if (status != SCAN_OK || closed)
            return status;
    }
}

/* A value at s->at (no space before it); into field if not NULL. */
static scan_status scan_value(scanner *s, ph_field *field)
{
    if (s->at >= s->end)
        return SCAN_INVALID;
    scan_status status;
    ph_json_type type;
    switch (*s->at) {
    case '"': {
        raw_string raw;
        if (scan_string(s, &raw) != 0)
            return SCAN_INVALID;
        if (field) {
            *field = (ph_field){.type = PH_JSON_STRING};
            if (string_bytes(s, &raw, &field->text, &field->length) != 0)
                return SCAN_UNSURE;
        }
        return SCAN_OK;
    }
    case '{':
    case '[':
        if (++s->depth > MAX_DEPTH)
            return SCAN_UNSURE;
        if (*s->at == '{') {
            type = PH_JSON_OBJECT;
            status = scan_object(s, NULL, 0, NULL);
        } else {
            type = PH_JSON_ARRAY;
            status = scan_array(s);
        }
        s->depth--;
        break;
    case 't':
        type = PH_JSON_TRUE;
        status = scan_literal(s, "true", 4);
        break;
    case 'f':
        type = PH_JSON_FALSE;
        status = scan_literal(s, "false", 5);
        break;
    case 'n':
        type = PH_JSON_NULL;
        status = scan_literal(s, "null", 4);
        break;
    default:
        return scan_number(s, field);
    }
    if (status == SCAN_OK && field)
        *field = (ph_field){.type = type};
    return status;
}

json_fields_result json_fields_scan(const char *text, size_t length, const char *const names[],
                                    size_t count, ph_field fields[], byte_arena *scratch)
{
    scanner s = {.at = (const unsigned char *)text,
                 .end = (const unsigned char *)text + length,
                 .depth = 0,
                 .scratch = scratch};
    for (size_t i = 0; i < count; i++)
        fields[i] = (ph_field){.type = PH_JSON_ABSENT};
    skip_space(&s);
    scan_status status;
    int is_object = s.at < s.end && *s.at == '{';
    if (is_object) {
        s.depth = 1;
        status = scan_object(&s, names, count, fields);
    } else {
        status = scan_value(&s, NULL);
    }
    if (status != SCAN_OK)
        return JSON_FIELDS_UNSURE;
    skip_space(&s);
    if (s.at != s.end)
        return JSON_FIELDS_UNSURE; /* something after the value */
    if (!is_object) {
        for (size_t i = 0; i < count; i++)
            fields[i] = (ph_field){.type = PH_JSON_ABSENT};
        return JSON_FIELDS_NOT_OBJECT;
    }
    return JSON_FIELDS_OBJECT;
}

/* ---- from a parsed document ---------------------------------------------- */

void json_field_from_value(const json_t *value, ph_field *field)
{
    *field = (ph_field){.type = PH_JSON_ABSENT};
    switch (json_typeof(value)) {
    case JSON_STRING:
        field->type = PH_JSON_STRING;
        field->text = json_string_value(value);
        field->length = json_string_length(value);
        break;
    case JSON_INTEGER:
        field->type = PH_JSON_INTEGER;
        field->integer = json_integer_value(value);
        field->number = (double)field->integer;
        break;
    case JSON_REAL:
        field->type = PH_JSON_REAL;
        field->number = json_real_value(value);
        break;
    case JSON_TRUE:
        field->type = PH_JSON_TRUE;
        break;
    case JSON_FALSE:
        field->type = PH_JSON_FALSE;
        break;
    case JSON_NULL:
        field->type = PH_JSON_NULL;
        break;
    case JSON_OBJECT:
        field->type = PH_JSON_OBJECT;
        break;
    case JSON_ARRAY:
        field->type = PH_JSON_ARRAY;
        break;
    }
}

void json_fields_from_object(const json_t *object, const char *const names[], size_t count,
                             ph_field fields[])
{
    for (size_t i = 0; i < count; i++) {
        json_t *value = json_object_get(object, names[i]);
        if (value)
            json_field_from_value(value, &fields[i]);
        else
            fields[i] = (ph_field){.type = PH_JSON_ABSENT};
    }
}

int json_fields_from_document(const json_t *document, const char *why, const char *const names[],
                              size_t count, ph_field fields[], char *error, size_t error_size)
{
    if (json_is_object(document)) {
        json_fields_from_object(document, names, count, fields);
        return 0;
    }
    if (document)
        snprintf(error, error_size, "value is not a JSON object");
    else
        snprintf(error, error_size, "value is not JSON: %s", why ? why : "unreadable");
    return -1;
}
