/*
 * Durations as pipeline files write them: a whole number and a unit.
 */
#include "services/duration.h"

#include <string.h>

typedef struct duration_unit {
    const char *suffix;
    int64_t ms;
} duration_unit;

/* Bare digits are milliseconds. "m" is minutes: there is no month unit. */
static const duration_unit duration_units[] = {
    {"", 1},           {"ms", 1},          {"s", 1000},
    {"m", 60 * 1000},  {"h", 3600 * 1000}, {"d", 86400 * 1000},
};

/* Read the leading digits of text into *count; NULL if there are none or
 * they overflow. Returns where the digits end. */
static const char *read_count(const char *text, int64_t *count)
{
    const char *p = text;
    int64_t value = 0;

    while (*p >= '0' && *p <= '9') {
        int digit = *p - '0';
        if (value > (INT64_MAX - digit) / 10)
            return NULL;
        value = value * 10 + digit;
        p++;
    }
    if (p == text)
        return NULL;
    *count = value;
    return p;
}

int duration_parse(const char *text, int64_t *ms)
{
    int64_t count;
    const char *unit;

    if (text == NULL || (unit = read_count(text, &count)) == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
        const duration_unit *u = &duration_units[i];
        if (strcmp(unit, u->suffix) != 0)
            continue;
        if (count > INT64_MAX / u->ms)
            return -1;
        *ms = count * u->ms;
        return 0;
    }
    return -1;
}
