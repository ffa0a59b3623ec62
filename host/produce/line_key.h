#ifndef PIPEHOST_PRODUCE_LINE_KEY_H
#define PIPEHOST_PRODUCE_LINE_KEY_H

#include <stddef.h>

#include <jansson.h>

/*
 * The Kafka key of a line replayed from a file: the text of one top-level
 * field when the line is a JSON object that has it as a string (its
 * characters) or a number (its JSON text, as 42 or 3.5). Otherwise the
 * record has no key.
 */
struct line_key {
    const char *bytes; /* NULL: no key */
    size_t len;
    json_t *root;      /* keeps `bytes` alive when they point into it */
    char number[64];
};

void line_key_find(struct line_key *key, const char *line, size_t len, const char *field);

/* Drops what line_key_find kept; the key is gone after. */
void line_key_release(struct line_key *key);

#endif
