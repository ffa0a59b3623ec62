#ifndef PIPEHOST_PRODUCE_JSON_TEXT_H
#define PIPEHOST_PRODUCE_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * JSON text appended into caller-owned storage of fixed size: records are
 * written millions of times, so nothing here allocates. Appending past the
 * end sets `overflow` and drops the rest; callers check it once at the end.
 */
struct json_text {
    char *data;
    size_t len;
    size_t cap;
    bool overflow;
};

void json_text_init(struct json_text *text, char *storage, size_t cap);
void json_text_reset(struct json_text *text);

void json_text_raw(struct json_text *text, const char *bytes, size_t len);
void json_text_cstr(struct json_text *text, const char *str);
void json_text_char(struct json_text *text, char c);

/* A quoted JSON string. Bytes >= 0x80 pass through untouched, so valid
 * UTF-8 stays valid and invalid UTF-8 stays invalid. */
void json_text_string(struct json_text *text, const char *bytes, size_t len);

void json_text_int(struct json_text *text, int64_t value);

/* A fixed-point number: value 2153 with 2 decimals is 21.53. Formatting
 * integers keeps output byte-identical across C libraries. decimals <= 18. */
void json_text_decimal(struct json_text *text, int64_t scaled, unsigned decimals);

#endif
