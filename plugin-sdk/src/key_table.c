/*
 * Byte-string keys to fixed-size values: dense entries in insertion order,
 * found through an open-addressing index of (hash tag, entry number)
 * slots with linear probing.
 */
#include <pipehost/key_table.h>

#include <stdlib.h>
#include <string.h>

#define FIRST_SLOT_COUNT 16
#define FIRST_ENTRY_CAPACITY 8
#define KEY_BLOCK_SIZE 16384

typedef struct ph_key_entry {
    const unsigned char *key;
    size_t key_len;
    uint64_t hash;
} ph_key_entry;

/* Key bytes live in blocks; a key longer than a block gets its own. */
typedef struct ph_key_block {
    struct ph_key_block *next;
    size_t size;
    size_t used;
    unsigned char bytes[];
} ph_key_block;

uint64_t ph_hash_mix64(uint64_t word)
{
    word ^= word >> 31;
    word *= UINT64_C(0x7fb5d329728ea185);
    word ^= word >> 27;
    word *= UINT64_C(0x81dadef4bc2dd44d);
    word ^= word >> 33;
    return word;
}

/* Eight bytes at a time; the length goes in first so that keys differing
 * only in trailing zero bytes hash apart. */
static uint64_t hash_key(const unsigned char *key, size_t key_len)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (key_len * UINT64_C(0xff51afd7ed558ccd));
    uint64_t word;

    while (key_len >= 8) {
        memcpy(&word, key, 8);
        h = (h ^ word) * UINT64_C(0xc4ceb9fe1a85ec53);
        h ^= h >> 29;
        key += 8;
        key_len -= 8;
    }
    word = 0;
    if (key_len > 0)
        memcpy(&word, key, key_len);
    h = (h ^ word) * UINT64_C(0xc4ceb9fe1a85ec53);
    return ph_hash_mix64(h);
}

static uint64_t slot_of(uint64_t hash, size_t entry_number)
{
    return (hash & UINT64_C(0xffffffff00000000)) | (uint64_t)(entry_number + 1);
}

int ph_key_table_init(ph_key_table *table, size_t value_size)
{
    memset(table, 0, sizeof(*table));
    table->value_size = value_size;
    table->slots = calloc(FIRST_SLOT_COUNT, sizeof(*table->slots));
    if (table->slots == NULL)
        return -1;
    table->slot_mask = FIRST_SLOT_COUNT - 1;
    return 0;
}

void ph_key_table_free(ph_key_table *table)
{
    ph_key_block *block = table->blocks;

    while (block != NULL) {
        ph_key_block *next = block->next;

        free(block);
        block = next;
    }
    free(table->slots);
    free(table->entries);
    free(table->values);
    memset(table, 0, sizeof(*table));
}

void ph_key_table_clear(ph_key_table *table)
{
    ph_key_block *keep = table->blocks;

    /* Keep the newest block (a shared one: a long key's own block goes
     * behind it) and free the rest. */
    if (keep != NULL) {
        ph_key_block *block = keep->next;

        while (block != NULL) {
            ph_key_block *next = block->next;

            free(block);
            block = next;
        }
        keep->next = NULL;
        keep->used = 0;
    }
    if (table->slots != NULL)
        memset(table->slots, 0, (table->slot_mask + 1) * sizeof(*table->slots));
    table->count = 0;
}

/* The slot holding the entry for key, or the empty slot where it goes. */
static uint64_t *find_slot(const ph_key_table *table, const unsigned char *key, size_t key_len,
                           uint64_t hash)
{
    uint64_t tag = hash & UINT64_C(0xffffffff00000000);
    size_t index = (size_t)hash & table->slot_mask;

    for (;;) {
        uint64_t *slot = &table->slots[index];

        if (*slot == 0)
            return slot;
        if ((*slot & UINT64_C(0xffffffff00000000)) == tag) {
            const ph_key_entry *entry = &table->entries[(*slot & 0xffffffffu) - 1];

            if (entry->key_len == key_len &&
                (key_len == 0 || memcmp(entry->key, key, key_len) == 0))
                return slot;
        }
        index = (index + 1) & table->slot_mask;
    }
}

/* Twice the slots, every entry placed anew from its stored hash. */
static int grow_slots(ph_key_table *table)
{
    size_t slot_count = (table->slot_mask + 1) * 2;
    uint64_t *slots = calloc(slot_count, sizeof(*slots));

    if (slots == NULL)
        return -1;
    free(table->slots);
    table->slots = slots;
    table->slot_mask = slot_count - 1;
    for (size_t i = 0; i < table->count; i++) {
        uint64_t hash = table->entries[i].hash;
        size_t index = (size_t)hash & table->slot_mask;

        while (slots[index] != 0)
            index = (index + 1) & table->slot_mask;
        slots[index] = slot_of(hash, i);
    }
    return 0;
}

static int grow_entries(ph_key_table *table)
{
    size_t capacity = table->capacity > 0 ? table->capacity * 2 : FIRST_ENTRY_CAPACITY;
    ph_key_entry *entries = realloc(table->entries, capacity * sizeof(*entries));

    if (entries == NULL)
        return -1;
    table->entries = entries;
    if (table->value_size > 0) {
        unsigned char *values = realloc(table->values, capacity * table->value_size);

        if (values == NULL)
            return -1; /* the larger entry array is kept; capacity is not raised */
        table->values = values;
    }
    table->capacity = capacity;
    return 0;
}

/* A copy of key in the newest block, or in a new one. */
static const unsigned char *store_key(ph_key_table *table, const unsigned char *key,
                                      size_t key_len)
{
    ph_key_block *block = table->blocks;

    if (block == NULL || block->size - block->used < key_len) {
        size_t size = key_len > KEY_BLOCK_SIZE ? key_len : KEY_BLOCK_SIZE;

        block = malloc(sizeof(*block) + size);
        if (block == NULL)
            return NULL;
        block->size = size;
        block->used = 0;
        /* A key of its own size goes behind the current block, which may
         * still have room for small keys. */
        if (size > KEY_BLOCK_SIZE && table->blocks != NULL) {
            block->next = table->blocks->next;
            table->blocks->next = block;
        } else {
            block->next = table->blocks;
            table->blocks = block;
        }
    }
    if (key_len > 0)
        memcpy(block->bytes + block->used, key, key_len);
    block->used += key_len;
    return block->bytes + block->used - key_len;
}

int64_t ph_key_table_add(ph_key_table *table, const void *key, size_t key_len, int *added)
{
    uint64_t hash = hash_key(key, key_len);
    uint64_t *slot = find_slot(table, key, key_len, hash);
    ph_key_entry *entry;
    const unsigned char *stored;

    if (added != NULL)
        *added = 0;
    if (*slot != 0)
        return (int64_t)((*slot & 0xffffffffu) - 1);
    if (table->count >= PH_KEY_TABLE_MAX_ENTRIES)
        return -1;
    if (table->count == table->capacity && grow_entries(table) != 0)
        return -1;
    stored = store_key(table, key, key_len);
    if (stored == NULL)
        return -1;
    /* At most half full: grow first, then look for the empty slot again. */
    if ((table->count + 1) * 2 > table->slot_mask + 1) {
        if (grow_slots(table) != 0)
            return -1;
        slot = find_slot(table, key, key_len, hash);
    }
    entry = &table->entries[table->count];
    entry->key = stored;
    entry->key_len = key_len;
    entry->hash = hash;
    if (table->value_size > 0)
        memset(table->values + table->count * table->value_size, 0, table->value_size);
    *slot = slot_of(hash, table->count);
    if (added != NULL)
        *added = 1;
    return (int64_t)table->count++;
}

int64_t ph_key_table_find(const ph_key_table *table, const void *key, size_t key_len)
{
    uint64_t *slot = find_slot(table, key, key_len, hash_key(key, key_len));

    return *slot != 0 ? (int64_t)((*slot & 0xffffffffu) - 1) : -1;
}

size_t ph_key_table_count(const ph_key_table *table)
{
    return table->count;
}

void *ph_key_table_value(const ph_key_table *table, size_t index)
{
    return table->value_size > 0 ? table->values + index * table->value_size : NULL;
}

const void *ph_key_table_key(const ph_key_table *table, size_t index, size_t *key_len)
{
    *key_len = table->entries[index].key_len;
    return table->entries[index].key;
}
