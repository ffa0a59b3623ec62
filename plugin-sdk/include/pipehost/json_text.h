/*
 * Writing a JSON object as text into a reusable buffer, for plugins that
 * emit many small records: one buffer reused for every record costs no
 * allocation per record, where building a json_t costs one per member.
 * Pass the text to host->emit.
 *
 *     ph_json_text_reset(&text);
 *     ph_json_text_begin_object(&text);
 *     ph_json_text_key(&text, "page");
 *     ph_json_text_string(&text, page, page_len);
 *     ph_json_text_key(&text, "views");
 *     ph_json_text_int(&text, views);
 *     ph_json_text_end_object(&text);
 *     if (ph_json_text_failed(&text)) ...out of memory...
 *
 * Commas are placed by the writer. An allocation failure is sticky: the
 * writer stops writing and ph_json_text_failed says so, so a caller checks
 * once at the end. Link the static library pipehost_window.
 */
#ifndef PIPEHOST_JSON_TEXT_H
#define PIPEHOST_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ph_json_text {
    char *data; /* NUL-terminated while not failed */
    size_t length;
    size_t capacity;
    int need_comma; /* a value was just written in the current object */
    int failed;
} ph_json_text;

/*
 * value as a quoted JSON string, handed out in pieces through
 * append(context, bytes, length): runs that need no escape go whole, so
 * valid UTF-8 stays valid and invalid UTF-8 stays as it is. The one
 * string escaper behind ph_json_text and any other JSON writer.
 */
void ph_json_quote(const char *value, size_t length,
                   void (*append)(void *context, const char *bytes, size_t length),
                   void *context);

/* An empty writer; allocates on first use. */
void ph_json_text_init(ph_json_text *text);
void ph_json_text_free(ph_json_text *text);

/* Empty the text, keeping the buffer (and clearing a failure). */
void ph_json_text_reset(ph_json_text *text);

void ph_json_text_begin_object(ph_json_text *text);
void ph_json_text_end_object(ph_json_text *text);

/* A member name (NUL-terminated), escaped as needed. */
void ph_json_text_key(ph_json_text *text, const char *name);

/* A string value of length bytes of UTF-8; quotes, backslashes and
 * control characters are escaped. */
void ph_json_text_string(ph_json_text *text, const char *value, size_t length);

void ph_json_text_int(ph_json_text *text, int64_t value);
void ph_json_text_bool(ph_json_text *text, int value);

/* A finite double in the fewest digits that read back as the same double
 * (21.5, not 21.500000000000001), always with a fraction or exponent so
 * that it reads back as a real (21.0, not 21). Not finite: null. */
void ph_json_text_real(ph_json_text *text, double value);

/* Whether an allocation failed since the last reset. */
int ph_json_text_failed(const ph_json_text *text);

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_JSON_TEXT_H */
