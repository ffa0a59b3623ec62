/*
 * The partition's conversations by id: an open-addressing hash table with
 * linear probing and backward-shift deletion, grown to keep the load at
 * most one half. The table owns the conversations it holds.
 */
#ifndef CHAT_CONVERSATION_TABLE_H
#define CHAT_CONVERSATION_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "conversation.h"

typedef struct conversation_table {
    conversation **slots; /* NULL: empty */
    size_t mask;          /* slot count - 1; a power of two */
    size_t count;
} conversation_table;

/* 0, or -1 out of memory. */
int conversation_table_init(conversation_table *table);

/* The conversation with this id (hash = fnv_hash(id)), or NULL. */
conversation *conversation_table_find(const conversation_table *table, const char *id,
                                      size_t id_len, uint64_t hash);

/* Add a conversation whose id is not in the table. 0, or -1 out of memory
 * (the table is unchanged and the caller still owns it). */
int conversation_table_insert(conversation_table *table, conversation *conv);

/* Take a conversation out of the table; the caller then owns it. */
void conversation_table_remove(conversation_table *table, conversation *conv);

/* Free the table and every conversation in it. */
void conversation_table_free(conversation_table *table);

#endif
