/*
 * The lexicon's hash table. Its size is known before the first insert
 * (the configuration says how many keywords there are), so it never
 * grows, and the words' bytes live in one buffer: no allocation per word.
 */
#include "lexicon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv_hash.h"
#include "word_scan.h"

static const char *const polarity_lists[] = {
    [POLARITY_POSITIVE] = "positive",
    [POLARITY_NEGATIVE] = "negative",
};

/* The slot holding word, or the empty slot where it would go. */
static lexicon_word *slot_for(const lexicon *lex, const char *word, size_t length,
                              uint64_t hash)
{
    size_t index = (size_t)hash & lex->mask;

    for (;;) {
        lexicon_word *slot = &lex->slots[index];

        if (slot->length == 0)
            return slot;
        if (slot->hash == hash && slot->length == length &&
            memcmp(lex->bytes + slot->offset, word, length) == 0)
            return slot;
        index = (index + 1) & lex->mask;
    }
}

const lexicon_word *lexicon_find(const lexicon *lex, const char *word, size_t length)
{
    const lexicon_word *slot;

    if (length == 0 || length > WORD_MAX_BYTES)
        return NULL;
    slot = slot_for(lex, word, length, fnv_hash(word, length));
    return slot->length != 0 ? slot : NULL;
}

/*
 * The entry for a configured keyword, added if new. The keyword is
 * lowercased as message words are and must be exactly one word. where
 * names the list for messages ("lexicon.positive", "topics.billing").
 */
static lexicon_word *add_keyword(lexicon *lex, const json_t *keyword, size_t index,
                                 const char *where, char *err, size_t err_size)
{
    char word[WORD_MAX_BYTES];
    word_scanner scanner;
    size_t length, keyword_length;
    const char *text;
    uint64_t hash;
    lexicon_word *slot;

    if (!json_is_string(keyword)) {
        snprintf(err, err_size, "%s: item %zu is not a string", where, index);
        return NULL;
    }
    text = json_string_value(keyword);
    keyword_length = json_string_length(keyword);
    if (keyword_length > WORD_MAX_BYTES) {
        snprintf(err, err_size, "%s: \"%s\" is longer than %d bytes", where, text,
                 WORD_MAX_BYTES);
        return NULL;
    }
    word_scanner_init(&scanner, text, keyword_length);
    length = word_scanner_next(&scanner, word);
    if (keyword_length == 0 || length != keyword_length) {
        snprintf(err, err_size,
                 "%s: \"%s\" is not a single word (letters, digits and non-ASCII characters)",
                 where, text);
        return NULL;
    }
    hash = fnv_hash(word, length);
    slot = slot_for(lex, word, length, hash);
    if (slot->length == 0) {
        memcpy(lex->bytes + lex->bytes_used, word, length);
        slot->offset = (uint32_t)lex->bytes_used;
        slot->length = (uint8_t)length;
        slot->hash = hash;
        lex->bytes_used += length;
    }
    return slot;
}

/* Whether list is a JSON array (non-empty unless allow_empty). The items
 * are checked as they are added. */
static int check_keyword_list(const json_t *list, const char *where, int allow_empty,
                              char *err, size_t err_size)
{
    if (!json_is_array(list)) {
        snprintf(err, err_size, "%s: expected a list of words", where);
        return -1;
    }
    if (!allow_empty && json_array_size(list) == 0) {
        snprintf(err, err_size, "%s: expected at least one keyword", where);
        return -1;
    }
    return 0;
}

/* Check both objects' shape and count their keywords and bytes. */
static int measure(const json_t *sentiment_words, const json_t *topics, size_t *keywords,
                   size_t *bytes, char *err, size_t err_size)
{
    const char *name;
    const json_t *list;
    char where[320];

    *keywords = 0;
    *bytes = 0;
    if (!json_is_object(sentiment_words)) {
        snprintf(err, err_size, "lexicon: expected a mapping with 'positive' and 'negative'");
        return -1;
    }
    if (!json_is_object(topics)) {
        snprintf(err, err_size, "topics: expected a mapping of topic name to keywords");
        return -1;
    }
    json_object_foreach ((json_t *)sentiment_words, name, list) {
        if (strcmp(name, "positive") != 0 && strcmp(name, "negative") != 0) {
            snprintf(err, err_size, "lexicon: unknown list '%s' (expected positive or negative)",
                     name);
            return -1;
        }
        snprintf(where, sizeof(where), "lexicon.%s", name);
        if (check_keyword_list(list, where, 1, err, err_size) != 0)
            return -1;
        *keywords += json_array_size(list);
    }
    if (json_object_size(topics) > LEXICON_MAX_TOPICS) {
        snprintf(err, err_size, "topics: at most %d topics", LEXICON_MAX_TOPICS);
        return -1;
    }
    json_object_foreach ((json_t *)topics, name, list) {
        if (name[0] == '\0') {
            snprintf(err, err_size, "topics: a topic name must not be empty");
            return -1;
        }
        snprintf(where, sizeof(where), "topics.%s", name);
        if (check_keyword_list(list, where, 0, err, err_size) != 0)
            return -1;
        *keywords += json_array_size(list);
    }
    /* Lowercasing keeps a word's length: a keyword takes at most its own. */
    json_object_foreach ((json_t *)sentiment_words, name, list) {
        for (size_t i = 0; i < json_array_size(list); i++)
            *bytes += json_string_length(json_array_get(list, i));
    }
    json_object_foreach ((json_t *)topics, name, list) {
        for (size_t i = 0; i < json_array_size(list); i++)
            *bytes += json_string_length(json_array_get(list, i));
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* topic_names: the topics' names, sorted, so bit i is the i-th name. */
static int collect_topic_names(lexicon *lex, const json_t *topics)
{
    const char *name;
    const json_t *list;

    lex->topic_names = calloc(json_object_size(topics) + 1, sizeof(char *));
    if (lex->topic_names == NULL)
        return -1;
    json_object_foreach ((json_t *)topics, name, list) {
        lex->topic_names[lex->topic_count] = strdup(name);
        if (lex->topic_names[lex->topic_count] == NULL)
            return -1;
        lex->topic_count++;
    }
    qsort(lex->topic_names, lex->topic_count, sizeof(char *), compare_names);
    return 0;
}

static int add_sentiment_words(lexicon *lex, const json_t *sentiment_words, char *err,
                               size_t err_size)
{
    for (int polarity = POLARITY_POSITIVE; polarity <= POLARITY_NEGATIVE; polarity++) {
        const json_t *list = json_object_get(sentiment_words, polarity_lists[polarity]);
        char where[32];

        snprintf(where, sizeof(where), "lexicon.%s", polarity_lists[polarity]);
        for (size_t i = 0; i < json_array_size(list); i++) {
            lexicon_word *entry =
                add_keyword(lex, json_array_get(list, i), i, where, err, err_size);

            if (entry == NULL)
                return -1;
            if (entry->polarity != POLARITY_NONE && entry->polarity != polarity) {
                snprintf(err, err_size, "lexicon: \"%s\" is both positive and negative",
                         json_string_value(json_array_get(list, i)));
                return -1;
            }
            entry->polarity = (uint8_t)polarity;
        }
    }
    return 0;
}

static int add_topic_keywords(lexicon *lex, const json_t *topics, char *err,
                              size_t err_size)
{
    for (size_t topic = 0; topic < lex->topic_count; topic++) {
        const char *name = lex->topic_names[topic];
        const json_t *list = json_object_get(topics, name);
        char where[320];

        snprintf(where, sizeof(where), "topics.%s", name);
        for (size_t i = 0; i < json_array_size(list); i++) {
            lexicon_word *entry =
                add_keyword(lex, json_array_get(list, i), i, where, err, err_size);

            if (entry == NULL)
                return -1;
            entry->topics |= UINT64_C(1) << topic;
        }
    }
    return 0;
}

int lexicon_build(lexicon *lex, const json_t *sentiment_words, const json_t *topics,
                  char *err, size_t err_size)
{
    size_t keywords, bytes, slot_count = 8;

    memset(lex, 0, sizeof(*lex));
    if (measure(sentiment_words, topics, &keywords, &bytes, err, err_size) != 0)
        return -1;
    while (slot_count < keywords * 2)
        slot_count *= 2;
    lex->slots = calloc(slot_count, sizeof(*lex->slots));
    lex->mask = slot_count - 1;
    lex->bytes = malloc(bytes + 1);
    if (lex->slots == NULL || lex->bytes == NULL ||
        collect_topic_names(lex, topics) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (add_sentiment_words(lex, sentiment_words, err, err_size) != 0 ||
        add_topic_keywords(lex, topics, err, err_size) != 0)
        return -1;
    return 0;
}

void lexicon_free(lexicon *lex)
{
    if (lex->topic_names != NULL) {
        for (size_t i = 0; i < lex->topic_count; i++)
            free(lex->topic_names[i]);
        free(lex->topic_names);
    }
    free(lex->slots);
    free(lex->bytes);
    memset(lex, 0, sizeof(*lex));
}
