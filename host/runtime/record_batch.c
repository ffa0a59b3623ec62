#include "runtime/record_batch.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_INITIAL_RECORDS 256
#define ARENA_INITIAL_BYTES (64 * 1024)

void record_batch_init(record_batch *batch)
{
    memset(batch, 0, sizeof(*batch));
    batch->sealed = 1;
}

void record_batch_reset(record_batch *batch)
{
    for (size_t i = 0; i < batch->count; i++) {
        if (batch->meta[i].json)
            json_decref(batch->meta[i].json);
    }
    batch->count = 0;
    batch->arena_used = 0;
    batch->sealed = 1;
}

void record_batch_free(record_batch *batch)
{
    record_batch_reset(batch);
    free(batch->records);
    free(batch->meta);
    free(batch->arena);
    record_batch_init(batch);
}

static int reserve_records(record_batch *batch)
{
    if (batch->count < batch->capacity)
        return 0;
    size_t capacity = batch->capacity ? batch->capacity * 2 : BATCH_INITIAL_RECORDS;
    ph_record *records = realloc(batch->records, capacity * sizeof(*records));
    if (!records)
        return -1;
    batch->records = records;
    record_meta *meta = realloc(batch->meta, capacity * sizeof(*meta));
    if (!meta)
        return -1;
    batch->meta = meta;
    batch->capacity = capacity;
    /* host_private points into meta, which may have moved. */
    for (size_t i = 0; i < batch->count; i++)
        batch->records[i].host_private = &batch->meta[i];
    return 0;
}

static size_t arena_copy(record_batch *batch, const void *bytes, size_t len)
{
    if (!bytes)
        return SIZE_MAX;
    if (batch->arena_used + len > batch->arena_size) {
        size_t size = batch->arena_size ? batch->arena_size : ARENA_INITIAL_BYTES;
        while (size < batch->arena_used + len)
            size *= 2;
        char *arena = realloc(batch->arena, size);
        if (!arena)
            return SIZE_MAX - 1;
        batch->arena = arena;
        batch->arena_size = size;
    }
    size_t at = batch->arena_used;
    memcpy(batch->arena + at, bytes, len);
    batch->arena_used += len;
    return at;
}

ph_record *record_batch_add_borrowed(record_batch *batch, const ph_record *source)
{
    if (reserve_records(batch) != 0)
        return NULL;
    size_t i = batch->count++;
    batch->records[i] = *source;
    batch->records[i].host_private = &batch->meta[i];
    batch->meta[i] = (record_meta){.json = NULL, .json_state = 0,
                                   .key_at = SIZE_MAX, .value_at = SIZE_MAX};
    return &batch->records[i];
}

int record_batch_add_copy(record_batch *batch, const char *topic, int32_t partition,
                          int64_t offset, int64_t timestamp_ms, const void *key,
                          size_t key_len, const void *value, size_t value_len, json_t *json)
{
    if (reserve_records(batch) != 0)
        return -1;
    size_t key_at = arena_copy(batch, key, key_len);
    size_t value_at = arena_copy(batch, value, value_len);
    if (key_at == SIZE_MAX - 1 || value_at == SIZE_MAX - 1)
        return -1;
    size_t i = batch->count++;
    batch->records[i] = (ph_record){
        .key = NULL, .key_len = key ? key_len : 0,
        .value = NULL, .value_len = value ? value_len : 0,
        .topic = topic, .partition = partition, .offset = offset,
        .timestamp_ms = timestamp_ms, .headers = NULL, .header_count = 0,
        .host_private = &batch->meta[i]};
    batch->meta[i] = (record_meta){.json = json ? json_incref(json) : NULL,
                                   .json_state = json ? 1 : 0,
                                   .key_at = key_at, .value_at = value_at};
    batch->sealed = 0;
    return 0;
}

void record_batch_seal(record_batch *batch)
{
    if (batch->sealed)
        return;
    for (size_t i = 0; i < batch->count; i++) {
        record_meta *meta = &batch->meta[i];
        if (meta->key_at != SIZE_MAX)
            batch->records[i].key = batch->arena + meta->key_at;
        if (meta->value_at != SIZE_MAX)
            batch->records[i].value = batch->arena + meta->value_at;
    }
    batch->sealed = 1;
}

json_t *record_batch_json(ph_record *record, json_error_t *error)
{
    record_meta *meta = record->host_private;
    if (meta->json_state == 1)
        return meta->json;
    if (meta->json_state == 0 || error) {
        json_error_t local;
        json_t *json = NULL;
        if (record->value)
            json = json_loadb(record->value, record->value_len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                              error ? error : &local);
        else if (error)
            snprintf(error->text, sizeof(error->text), "value is empty (a tombstone)");
        if (json) {
            meta->json = json;
            meta->json_state = 1;
            return json;
        }
        meta->json_state = -1;
    }
    return NULL;
}
