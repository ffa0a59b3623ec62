/*
 * A hash table from byte-string keys to fixed-size values, for the
 * per-key state of aggregating plugins (a window's pages, a device's
 * readings, the distinct users of a window).
 *
 * Entries are numbered densely from 0 in the order they were added, and
 * keep their number for the life of the table: a plugin can use the
 * number as a compact id of the key (4 bytes instead of the string), and
 * iterating over 0 .. count-1 visits the keys in insertion order, which
 * makes output order deterministic.
 *
 * Lookup is open addressing over an array of (hash tag, entry number)
 * slots kept at most half full, so a lookup costs one hash of the key and
 * usually one key comparison. Keys are copied into blocks owned by the
 * table, not allocated one by one.
 *
 * Link the static library pipehost_window.
 */
#ifndef PIPEHOST_KEY_TABLE_H
#define PIPEHOST_KEY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest number of entries a table holds. */
#define PH_KEY_TABLE_MAX_ENTRIES (UINT32_MAX - 1)

struct ph_key_entry;
struct ph_key_block;

/* Embed it by value; the members are private. */
typedef struct ph_key_table {
    uint64_t *slots;              /* hash tag << 32 | (entry number + 1); 0: empty */
    size_t slot_mask;             /* slot count - 1, a power of two */
    struct ph_key_entry *entries; /* count used, capacity allocated */
    unsigned char *values;        /* value_size bytes per entry */
    size_t count;
    size_t capacity;
    size_t value_size;
    struct ph_key_block *blocks; /* key bytes; the newest block first */
} ph_key_table;

/* An empty table whose values are value_size bytes (0: a set). 0, or -1
 * when out of memory (ph_key_table_free is then still safe). */
int ph_key_table_init(ph_key_table *table, size_t value_size);

/* Remove every entry, keeping the memory for the next ones: cheaper than
 * free and init for a table that fills up again to a similar size. */
void ph_key_table_clear(ph_key_table *table);

/* Free everything the table holds. Safe on a zeroed table and twice. */
void ph_key_table_free(ph_key_table *table);

/*
 * The number of the entry for key, adding it with a zeroed value when
 * absent (*added, if not NULL, says which). -1 when out of memory or full;
 * the table is then unchanged. Adding may move the values: pointers from
 * ph_key_table_value are valid until the next add.
 */
int64_t ph_key_table_add(ph_key_table *table, const void *key, size_t key_len, int *added);

/* The number of the entry for key, or -1 when absent. */
int64_t ph_key_table_find(const ph_key_table *table, const void *key, size_t key_len);

/* Number of entries. */
size_t ph_key_table_count(const ph_key_table *table);

/* The value of entry number index (< count). */
void *ph_key_table_value(const ph_key_table *table, size_t index);

/* The key of entry number index (< count); *key_len its length. The bytes
 * are not NUL-terminated. */
const void *ph_key_table_key(const ph_key_table *table, size_t index, size_t *key_len);

/*
 * Scramble a 64-bit word so that each of its bits moves about half the
 * bits of the result: the last step of the table's key hash, and a hash
 * of its own for a plugin whose keys are packed into 64-bit words (two
 * entry numbers, say) and which keeps them in a table of its own.
 */
uint64_t ph_hash_mix64(uint64_t word);

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_KEY_TABLE_H */
