#include "conninfo_redact.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

/* A text being written into a fixed buffer, truncated at its end. */
typedef struct bounded_text {
    char *out;
    size_t size;
    size_t used;
} bounded_text;

static void append(bounded_text *text, const char *bytes, size_t length)
{
    if (text->size == 0)
        return;
    size_t room = text->size - 1 - text->used;
    size_t n = length < room ? length : room;

    memcpy(text->out + text->used, bytes, n);
    text->used += n;
    text->out[text->used] = '\0';
}

static int is_secret(const PQconninfoOption *option)
{
    return option->dispchar != NULL && strchr(option->dispchar, '*') != NULL;
}

void conninfo_describe(const char *conninfo, char *out, size_t size)
{
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    bounded_text text = {out, size, 0};

    if (size > 0)
        out[0] = '\0';
    if (options == NULL) {
        append(&text, "an unparsable conninfo", strlen("an unparsable conninfo"));
        return;
    }
    for (PQconninfoOption *option = options; option->keyword != NULL; option++) {
        const char *value = option->val;

        if (value == NULL || value[0] == '\0')
            continue;
        if (is_secret(option))
            value = CONNINFO_REDACTED;
        if (text.used > 0)
            append(&text, " ", 1);
        append(&text, option->keyword, strlen(option->keyword));
        append(&text, "=", 1);
        append(&text, value, strlen(value));
    }
    PQconninfoFree(options);
}

/* Whether name is one of libpq's option names. */
static int is_option_name(const char *name, size_t length)
{
    PQconninfoOption *defaults = PQconndefaults();
    int found = 0;

    for (PQconninfoOption *option = defaults; option && option->keyword && !found; option++)
        found = strlen(option->keyword) == length && memcmp(option->keyword, name, length) == 0;
    PQconninfoFree(defaults);
    return found;
}

/* Replace each "..." of message, except an option name, by "***". */
static void scrub_quoted(const char *message, bounded_text *text)
{
    const char *p = message;

    for (;;) {
        const char *open = strchr(p, '"');
        const char *close = open ? strchr(open + 1, '"') : NULL;

        if (close == NULL) {
            append(text, p, strlen(p));
            return;
        }
        append(text, p, (size_t)(open - p) + 1);
        /* libpq's own "=" and option names are no secrets. */
        if ((close - open == 2 && open[1] == '=') ||
            is_option_name(open + 1, (size_t)(close - open - 1)))
            append(text, open + 1, (size_t)(close - open - 1));
        else
            append(text, CONNINFO_REDACTED, strlen(CONNINFO_REDACTED));
        append(text, "\"", 1);
        p = close + 1;
    }
}

/* The earliest occurrence in p of any secret; its length in *length. */
static const char *next_secret(const char *p, const PQconninfoOption *options, size_t *length)
{
    const char *earliest = NULL;

    *length = 0;
    for (const PQconninfoOption *option = options; option->keyword != NULL; option++) {
        if (!is_secret(option) || option->val == NULL || option->val[0] == '\0')
            continue;
        const char *at = strstr(p, option->val);
        size_t n = strlen(option->val);
        /* At one place, hide the longest secret that starts there. */
        if (at != NULL && (earliest == NULL || at < earliest || (at == earliest && n > *length))) {
            earliest = at;
            *length = n;
        }
    }
    return earliest;
}

void conninfo_scrub(const char *conninfo, const char *message, char *out, size_t size)
{
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    bounded_text text = {out, size, 0};

    if (size > 0)
        out[0] = '\0';
    if (options == NULL) {
        scrub_quoted(message, &text);
        return;
    }
    const char *p = message;
    size_t length = 0;
    for (const char *at; (at = next_secret(p, options, &length)) != NULL; p = at + length) {
        append(&text, p, (size_t)(at - p));
        append(&text, CONNINFO_REDACTED, strlen(CONNINFO_REDACTED));
    }
    append(&text, p, strlen(p));
    PQconninfoFree(options);
}
