/*
 * json_fields_scan() against jansson, the parser it stands in for: the
 * scan may defer to jansson (UNSURE) but must never accept a text jansson
 * refuses, must tell an object from any other value as jansson does, and
 * must read the same members as jansson's document holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/json_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"page", "timestamp", "n", "", "a"};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    byte_arena arena = BYTE_ARENA_INIT;
    ph_field scanned[NAME_COUNT];
    json_fields_result result = json_fields_scan(text, size, names, NAME_COUNT, scanned, &arena);
    json_t *parsed = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

    if (result != JSON_FIELDS_UNSURE) {
        if (parsed == NULL)
            abort(); /* accepted what jansson refuses */
        if ((result == JSON_FIELDS_OBJECT) != json_is_object(parsed))
            abort();
    }
    if (result == JSON_FIELDS_OBJECT) {
        ph_field expected[NAME_COUNT];
        json_fields_from_object(parsed, names, NAME_COUNT, expected);
        for (size_t i = 0; i < NAME_COUNT; i++) {
            if (scanned[i].type != expected[i].type)
                abort();
            if (scanned[i].type == PH_JSON_STRING &&
                (scanned[i].length != expected[i].length ||
                 memcmp(scanned[i].text, expected[i].text, scanned[i].length) != 0))
                abort();
            if (scanned[i].type == PH_JSON_INTEGER && scanned[i].integer != expected[i].integer)
                abort();
            if (scanned[i].type == PH_JSON_REAL && scanned[i].number != expected[i].number)
                abort();
        }
    }
    json_decref(parsed);
    byte_arena_free(&arena);
    return 0;
}
