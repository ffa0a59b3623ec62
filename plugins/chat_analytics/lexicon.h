/*
 * The words the plugin looks for: sentiment words (positive or negative)
 * and topic keywords, built once at init from the `lexicon` and `topics`
 * configuration into one open-addressing hash table of lowercased words.
 * A message's words are looked up as they are scanned; a word costs one
 * hash and, at a load factor of at most one half, a probe or two.
 */
#ifndef CHAT_LEXICON_H
#define CHAT_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Topics are a bit set in one 64-bit word. */
#define LEXICON_MAX_TOPICS 64

typedef enum word_polarity {
    POLARITY_NONE = 0,
    POLARITY_POSITIVE = 1,
    POLARITY_NEGATIVE = 2
} word_polarity;

/* What one word means. */
typedef struct lexicon_word {
    uint64_t hash;
    uint64_t topics; /* bit i: topic i, in the order of lexicon.topic_names */
    uint32_t offset; /* of the word's bytes in lexicon.bytes */
    uint8_t length;  /* 0: empty slot (words are never empty) */
    uint8_t polarity;
} lexicon_word;

typedef struct lexicon {
    lexicon_word *slots;
    size_t mask; /* slot count - 1; the slot count is a power of two */
    char *bytes; /* every word's bytes, back to back */
    size_t bytes_used;
    char **topic_names; /* sorted by byte value: bit order is output order */
    size_t topic_count;
} lexicon;

/*
 * Build from the configuration's `lexicon` object ({"positive": [...],
 * "negative": [...]}, a list left out is empty) and `topics` object (topic
 * name to keyword list). Keywords are lowercased as message words are;
 * each must be a single word of at most WORD_MAX_BYTES bytes. Returns 0,
 * or -1 with a message in err; lexicon_free is safe either way.
 */
int lexicon_build(lexicon *lex, const json_t *sentiment_words, const json_t *topics,
                  char *err, size_t err_size);

/* The entry for a lowercased word, or NULL. */
const lexicon_word *lexicon_find(const lexicon *lex, const char *word, size_t length);

void lexicon_free(lexicon *lex);

#endif
