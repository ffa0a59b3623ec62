#include "produce/line_key.h"

void line_key_find(struct line_key *key, const char *line, size_t len, const char *field)
{
    const json_t *value;

    key->bytes = NULL;
    key->len = 0;
    key->root = json_loadb(line, len, 0, NULL);
    if (key->root == NULL || !json_is_object(key->root))
        return;
    value = json_object_get(key->root, field);
    if (json_is_string(value)) {
        key->bytes = json_string_value(value);
        key->len = json_string_length(value);
    } else if (json_is_number(value)) {
        size_t needed = json_dumpb(value, key->number, sizeof(key->number), JSON_ENCODE_ANY);

        if (needed > 0 && needed <= sizeof(key->number)) {
            key->bytes = key->number;
            key->len = needed;
        }
    }
}

void line_key_release(struct line_key *key)
{
    json_decref(key->root);
    key->root = NULL;
    key->bytes = NULL;
    key->len = 0;
}
