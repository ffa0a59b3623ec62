/*
 * The word scanner: one pass over the text, no allocation. Lowercasing
 * beyond ASCII decodes only well-formed two-byte UTF-8 sequences; a
 * malformed byte is kept as it is, so scanning never fails.
 */
#include "word_scan.h"

#include <stdint.h>

static int is_word_byte(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
           (byte >= '0' && byte <= '9') || byte >= 0x80;
}

/*
 * The lowercase of a code point between U+0080 and U+07FF, when it is a
 * capital whose lowercase also takes two bytes; otherwise the code point
 * itself. U+0130 (dotted capital I, lowercase "i" plus a combining dot)
 * is left alone.
 */
static uint32_t lower_two_byte(uint32_t code)
{
    if (code >= 0xC0 && code <= 0xDE && code != 0xD7) /* Latin-1: À..Þ but × */
        return code + 0x20;
    if ((code >= 0x100 && code <= 0x12F) || (code >= 0x132 && code <= 0x137) ||
        (code >= 0x14A && code <= 0x177)) /* Latin Extended-A, capital even */
        return code % 2 == 0 ? code + 1 : code;
    if ((code >= 0x139 && code <= 0x148) || (code >= 0x179 && code <= 0x17E))
        return code % 2 == 1 ? code + 1 : code; /* capital odd */
    if (code == 0x178) /* Ÿ */
        return 0xFF;
    if ((code >= 0x391 && code <= 0x3A1) || (code >= 0x3A3 && code <= 0x3AB)) /* Greek */
        return code + 0x20;
    if (code >= 0x400 && code <= 0x40F) /* Cyrillic Ѐ..Џ */
        return code + 0x50;
    if (code >= 0x410 && code <= 0x42F) /* Cyrillic А..Я */
        return code + 0x20;
    return code;
}

void word_scanner_init(word_scanner *scanner, const char *text, size_t length)
{
    scanner->next = (const unsigned char *)text;
    scanner->end = scanner->next + length;
}

/* Append byte to the word being built, if it still fits. */
static void put(char *word, size_t *length, unsigned char byte)
{
    if (*length < WORD_MAX_BYTES)
        word[*length] = (char)byte;
    (*length)++;
}

size_t word_scanner_next(word_scanner *scanner, char word[WORD_MAX_BYTES])
{
    const unsigned char *p = scanner->next;
    const unsigned char *end = scanner->end;
    size_t length = 0;

    while (p < end && !is_word_byte(*p))
        p++;
    while (p < end && is_word_byte(*p)) {
        unsigned char byte = *p;

        if (byte >= 'A' && byte <= 'Z') {
            put(word, &length, (unsigned char)(byte + ('a' - 'A')));
            p++;
        } else if (byte >= 0xC2 && byte <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
            uint32_t code = lower_two_byte(((uint32_t)(byte & 0x1F) << 6) | (p[1] & 0x3F));

            put(word, &length, (unsigned char)(0xC0 | (code >> 6)));
            put(word, &length, (unsigned char)(0x80 | (code & 0x3F)));
            p += 2;
        } else {
            put(word, &length, byte);
            p++;
        }
    }
    scanner->next = p;
    return length;
}
