/*
 * FNV-1a over bytes: the hash of both the plugin's tables (conversation
 * ids and lexicon words). Keys are short, and the tables probe linearly at
 * a load factor of at most one half, so a simple hash spreads well enough.
 */
#ifndef CHAT_FNV_HASH_H
#define CHAT_FNV_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t fnv_hash(const void *bytes, size_t length)
{
    const unsigned char *p = bytes;
    uint64_t hash = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < length; i++) {
        hash ^= p[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

#endif
