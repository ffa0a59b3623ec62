/*
 * duration_parse(): any text is refused or gives a non-negative number of
 * milliseconds, and the number agrees with the text's own digits and unit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The unit's milliseconds for a suffix duration_parse accepts, else 0. */
static int64_t unit_ms(const char *suffix)
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(suffix, units[i].suffix) == 0)
            return units[i].ms;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    int64_t ms = -1;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (duration_parse(text, &ms) == 0) {
        /* Accepted: digits, then a known unit; the value divides back. */
        size_t digits = strspn(text, "0123456789");
        int64_t unit = unit_ms(text + digits);
        if (digits == 0 || unit == 0 || ms < 0 || ms % unit != 0)
            abort();
        /* The count, re-read independently, matches (it fits: no overflow). */
        int64_t count = 0;
        for (size_t i = 0; i < digits; i++) {
            if (__builtin_mul_overflow(count, 10, &count) ||
                __builtin_add_overflow(count, text[i] - '0', &count))
                abort();
        }
        if (ms / unit != count)
            abort();
    }
    free(text);
    return 0;
}
