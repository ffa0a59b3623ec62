/*
 * json_filter: keep the records whose JSON value has a top-level string
 * field equal to one of a configured set of strings; drop the others.
 *
 * The set can be large (an allow-list of ids), so it is an open-addressing
 * hash table built once at init: a lookup costs one hash of the field's
 * bytes and, at a load factor of at most one half, a probe or two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/plugin.h>

/* One member of the set. Members are compared as bytes, so a JSON string
 * with an embedded NUL matches only itself. bytes == NULL: empty slot. */
typedef struct set_slot {
    char *bytes;
    size_t length;
    uint64_t hash;
} set_slot;

typedef struct string_set {
    set_slot *slots;
    size_t mask; /* slot count - 1; the slot count is a power of two */
} string_set;

typedef struct json_filter {
    const ph_host_api *host;
    ph_context *ctx;
    char *field;
    string_set allowed;
} json_filter;

/* FNV-1a: short keys, no state, good enough spread for linear probing. */
static uint64_t hash_bytes(const char *bytes, size_t length)
{
    uint64_t hash = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char)bytes[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

/* The slot holding bytes, or the empty slot where it would go. */
static set_slot *set_slot_for(const string_set *set, const char *bytes, size_t length,
                              uint64_t hash)
{
    size_t index = (size_t)hash & set->mask;

    for (;;) {
        set_slot *slot = &set->slots[index];

        if (slot->bytes == NULL)
            return slot;
        if (slot->hash == hash && slot->length == length &&
            memcmp(slot->bytes, bytes, length) == 0)
            return slot;
        index = (index + 1) & set->mask;
    }
}

static int string_set_init(string_set *set, size_t expected)
{
    size_t slot_count = 8;

    while (slot_count < expected * 2)
        slot_count *= 2;
    set->slots = calloc(slot_count, sizeof(*set->slots));
    if (set->slots == NULL)
        return -1;
    set->mask = slot_count - 1;
    return 0;
}

/* Add a copy of bytes (a duplicate is a no-op). 0, or -1 out of memory. The
 * set never holds more than the expected count given to string_set_init. */
static int string_set_add(string_set *set, const char *bytes, size_t length)
{
    uint64_t hash = hash_bytes(bytes, length);
    set_slot *slot = set_slot_for(set, bytes, length, hash);

    if (slot->bytes != NULL)
        return 0;
    slot->bytes = malloc(length + 1);
    if (slot->bytes == NULL)
        return -1;
    memcpy(slot->bytes, bytes, length);
    slot->bytes[length] = '\0';
    slot->length = length;
    slot->hash = hash;
    return 0;
}

static int string_set_contains(const string_set *set, const char *bytes, size_t length)
{
    return set_slot_for(set, bytes, length, hash_bytes(bytes, length))->bytes != NULL;
}

static void string_set_free(string_set *set)
{
    if (set->slots == NULL)
        return;
    for (size_t i = 0; i <= set->mask; i++)
        free(set->slots[i].bytes);
    free(set->slots);
    set->slots = NULL;
}

static void json_filter_destroy(void *instance)
{
    json_filter *self = instance;

    if (self == NULL)
        return;
    string_set_free(&self->allowed);
    free(self->field);
    free(self);
}

static int json_filter_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                            void **instance, char *err, size_t err_size)
{
    json_t *field = json_object_get(config, "field");
    json_t *in = json_object_get(config, "in");
    json_filter *self;

    *instance = NULL;
    if (!json_is_string(field) || json_string_length(field) == 0) {
        snprintf(err, err_size, "field: expected a non-empty field name");
        return -1;
    }
    if (!json_is_array(in) || json_array_size(in) == 0) {
        snprintf(err, err_size, "in: expected at least one value (with none, every record "
                                "would be filtered)");
        return -1;
    }

    self = calloc(1, sizeof(*self));
    if (self == NULL)
        goto out_of_memory;
    *instance = self;
    self->host = host;
    self->ctx = ctx;
    self->field = strdup(json_string_value(field));
    if (self->field == NULL || string_set_init(&self->allowed, json_array_size(in)) != 0)
        goto out_of_memory;
    for (size_t i = 0; i < json_array_size(in); i++) {
        json_t *value = json_array_get(in, i);

        if (!json_is_string(value)) {
            snprintf(err, err_size, "in: item %zu is not a string", i);
            return -1;
        }
        if (string_set_add(&self->allowed, json_string_value(value),
                           json_string_length(value)) != 0)
            goto out_of_memory;
    }
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

/* Whether the parsed value's field is one of the allowed strings. */
static int json_filter_keeps(const json_filter *self, const json_t *object)
{
    json_t *field = json_object_get(object, self->field);

    return json_is_string(field) &&
           string_set_contains(&self->allowed, json_string_value(field),
                               json_string_length(field));
}

static ph_status json_filter_process(void *instance, const ph_record *records, size_t count)
{
    json_filter *self = instance;
    const ph_host_api *host = self->host;
    int64_t filtered = 0;
    ph_status status = PH_OK;

    for (size_t i = 0; i < count; i++) {
        const ph_record *record = &records[i];
        const char *error = NULL;
        json_t *value = host->record_json(self->ctx, record, &error);

        if (value == NULL) {
            if (error != NULL)
                host->reject(self->ctx, record, "value is not JSON: %s", error);
            else
                host->reject(self->ctx, record, "value is not JSON");
            continue;
        }
        if (!json_is_object(value)) {
            host->reject(self->ctx, record, "value is not a JSON object");
            continue;
        }
        if (!json_filter_keeps(self, value)) {
            filtered++;
            continue;
        }
        if (host->emit(self->ctx, record, record->key, record->key_len, record->value,
                       record->value_len) != 0) {
            host->log(self->ctx, PH_LOG_ERROR, "the host could not take a record (out of memory)");
            status = PH_FATAL;
            break;
        }
    }
    /* One counter update per batch: the total is what is reported. */
    if (filtered > 0)
        host->count(self->ctx, "filtered", filtered);
    return status;
}

static ph_status json_filter_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    /* Every record is decided as it arrives: nothing is ever pending. */
    *retain_offset = PH_OFFSET_NONE;
    return PH_OK;
}

static const ph_config_field json_filter_fields[] = {
    {.name = "field", .type = PH_CONFIG_STRING, .required = 1,
     .description = "top-level field of the record's JSON object to test"},
    {.name = "in", .type = PH_CONFIG_STRING_LIST, .required = 1,
     .description = "keep a record when its field is a string equal to one of these"},
};

static const ph_descriptor json_filter_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "json_filter",
    .version = "1.0.0",
    .description = "keep records whose JSON field is one of a set of strings",
    .config_fields = json_filter_fields,
    .config_field_count = sizeof(json_filter_fields) / sizeof(json_filter_fields[0]),
    .init = json_filter_init,
    .process = json_filter_process,
    .flush = json_filter_flush,
    .destroy = json_filter_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &json_filter_descriptor;
}
