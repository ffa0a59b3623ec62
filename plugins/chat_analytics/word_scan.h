/*
 * Splitting message text into lowercased words.
 *
 * A word is a maximal run of ASCII letters, ASCII digits and bytes >= 0x80
 * (so every multi-byte UTF-8 character, emoji included, counts as part of
 * a word and is never cut in half). ASCII A-Z is lowercased; so are the
 * capitals of Latin-1 Supplement, Latin Extended-A, basic Greek and basic
 * Cyrillic, each of which keeps its two-byte UTF-8 length. Every other
 * byte is copied as it is. Everything else (spaces, punctuation, control
 * bytes) separates words.
 */
#ifndef CHAT_WORD_SCAN_H
#define CHAT_WORD_SCAN_H

#include <stddef.h>

/* The longest word that can match a lexicon or topic keyword. */
#define WORD_MAX_BYTES 64

typedef struct word_scanner {
    const unsigned char *next;
    const unsigned char *end;
} word_scanner;

void word_scanner_init(word_scanner *scanner, const char *text, size_t length);

/*
 * The next word, lowercased into word[WORD_MAX_BYTES]. Returns its length
 * in bytes, or 0 when the text is used up. A word longer than
 * WORD_MAX_BYTES returns its full length but only its first
 * WORD_MAX_BYTES bytes are written: no keyword can match it.
 */
size_t word_scanner_next(word_scanner *scanner, char word[WORD_MAX_BYTES]);

#endif
