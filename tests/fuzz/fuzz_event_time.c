/*
 * Event time parsing (host/services/event_time.c), as every plugin gets it
 * through the host: ISO-8601 text read for exactly its length, and JSON
 * values. What parses formats back to text that parses to the same
 * instant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "services/event_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The instants text can name: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
#define FIRST_TEXT_MS INT64_C(-62167219200000)
#define LAST_TEXT_MS INT64_C(253402300799999)

static void check_round_trip(int64_t ms)
{
    char text[64];
    int64_t again;
    size_t length;

    if (ms < FIRST_TEXT_MS || ms > LAST_TEXT_MS)
        return;
    length = event_time_format(ms, text, sizeof(text));
    if (length == 0 || length >= sizeof(text) || event_time_parse_text(text, length, &again) != 0 ||
        again != ms)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: a read past the end is an ASan report. */
    char *text = malloc(size > 0 ? size : 1);
    int64_t ms;
    json_t *value;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    if (event_time_parse_text(text, size, &ms) == 0)
        check_round_trip(ms);
    value = json_loadb(text, size, JSON_DECODE_ANY, NULL);
    if (value != NULL && event_time_parse_json(value, &ms) == 0)
        check_round_trip(ms);
    json_decref(value);
    free(text);
    return 0;
}
