#ifndef PIPEHOST_PRODUCE_CLOSED_CONVERSATIONS_H
#define PIPEHOST_PRODUCE_CLOSED_CONVERSATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "produce/prng.h"

/*
 * The chat conversations that ended with a close, oldest first: where
 * customers come back from, and where messages that arrive long after
 * their conversation are addressed. A fixed ring: at a few thousand,
 * hours of closes, the oldest are forgotten. Nothing is allocated.
 */
#define CLOSED_CONVERSATIONS_MAX 4096

struct closed_conversation {
    uint64_t number;   /* the conversation's; 0 once it is reopened */
    int64_t closed_ms; /* when the close was due */
    unsigned mood;     /* the customer's, for what they write next */
};

struct closed_conversations {
    struct closed_conversation entries[CLOSED_CONVERSATIONS_MAX];
    size_t first; /* index of the oldest */
    size_t count;
};

void closed_conversations_init(struct closed_conversations *closed);

/* Remembers a close; closes come in time order, closed_ms never falling. */
void closed_conversations_add(struct closed_conversations *closed, uint64_t number,
                              int64_t closed_ms, unsigned mood);

/* One of the remembered conversations closed at or before cutoff_ms and
 * not reopened, drawn at random, or NULL when there is none. */
struct closed_conversation *closed_conversations_pick(struct closed_conversations *closed,
                                                      struct prng *rng, int64_t cutoff_ms);

#endif
