/*
 * A batch of records with the host's bookkeeping beside them.
 *
 * A source batch borrows its bytes from Kafka messages. An output batch
 * (what one stage emitted during one call) owns copies in one growing
 * arena, so emitting costs no allocation per record once warm. While a
 * stage is emitting, record pointers into the arena are not yet valid:
 * record_batch_seal() fixes them once the call returns.
 */
#ifndef PIPEHOST_RUNTIME_RECORD_BATCH_H
#define PIPEHOST_RUNTIME_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pipehost/plugin.h"

/* What the host knows of one record beyond ph_record. */
typedef struct record_meta {
    json_t *json;   /* parsed or emitted value (owned reference), or NULL */
    int json_state; /* 0: not parsed yet, 1: json holds it, -1: not JSON */
    size_t key_at;  /* arena offsets while unsealed; SIZE_MAX: none */
    size_t value_at;
} record_meta;

typedef struct record_batch {
    ph_record *records;
    record_meta *meta;
    size_t count;
    size_t capacity;
    char *arena;
    size_t arena_used;
    size_t arena_size;
    int sealed;
} record_batch;

void record_batch_init(record_batch *batch);
void record_batch_free(record_batch *batch);

/* Drop the records (and their JSON references), keep the memory. */
void record_batch_reset(record_batch *batch);

/* Append a record whose bytes stay owned by the caller (a source record).
 * Returns the new record, or NULL when out of memory. */
ph_record *record_batch_add_borrowed(record_batch *batch, const ph_record *source);

/* Append a copy of key and value, positioned like origin's position.
 * json, if not NULL, is the parsed value: the batch takes a reference.
 * Returns 0 or -1 (out of memory). */
int record_batch_add_copy(record_batch *batch, const char *topic, int32_t partition,
                          int64_t offset, int64_t timestamp_ms, const void *key,
                          size_t key_len, const void *value, size_t value_len, json_t *json);

/* Point every copied record at its bytes in the arena. */
void record_batch_seal(record_batch *batch);

/* The record's value as JSON, parsed at most once. NULL if it is not JSON;
 * then error (if given) receives jansson's description. */
json_t *record_batch_json(ph_record *record, json_error_t *error);

#endif
