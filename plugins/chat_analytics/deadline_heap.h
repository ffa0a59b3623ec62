/*
 * Conversations ordered by deadline: a binary min-heap, ties broken by id
 * so that conversations ending together are emitted in a documented,
 * repeatable order. Each conversation knows its position (heap_index), so
 * a changed deadline is repaired in O(log n) without a search.
 */
#ifndef CHAT_DEADLINE_HEAP_H
#define CHAT_DEADLINE_HEAP_H

#include <stddef.h>

#include "conversation.h"

typedef struct deadline_heap {
    conversation **items;
    size_t count;
    size_t capacity;
} deadline_heap;

/* Add a conversation with its deadline set. 0, or -1 out of memory. */
int deadline_heap_push(deadline_heap *heap, conversation *conv);

/* The conversation with the earliest deadline, or NULL when empty. */
conversation *deadline_heap_first(const deadline_heap *heap);

/* Restore the order after conv->deadline changed. */
void deadline_heap_update(deadline_heap *heap, conversation *conv);

void deadline_heap_remove(deadline_heap *heap, conversation *conv);

void deadline_heap_free(deadline_heap *heap);

#endif
