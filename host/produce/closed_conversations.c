#include "produce/closed_conversations.h"

static struct closed_conversation *entry_at(struct closed_conversations *closed, size_t age)
{
    return &closed->entries[(closed->first + age) % CLOSED_CONVERSATIONS_MAX];
}

void closed_conversations_init(struct closed_conversations *closed)
{
    closed->first = 0;
    closed->count = 0;
}

void closed_conversations_add(struct closed_conversations *closed, uint64_t number,
                              int64_t closed_ms, unsigned mood)
{
    struct closed_conversation *entry;

    if (closed->count == CLOSED_CONVERSATIONS_MAX) {
        closed->first = (closed->first + 1) % CLOSED_CONVERSATIONS_MAX;
        closed->count--;
    }
    entry = entry_at(closed, closed->count++);
    entry->number = number;
    entry->closed_ms = closed_ms;
    entry->mood = mood;
}

struct closed_conversation *closed_conversations_pick(struct closed_conversations *closed,
                                                      struct prng *rng, int64_t cutoff_ms)
{
    size_t low = 0, high = closed->count, start;

    /* The entries closed by cutoff_ms are the oldest `low` ones. */
    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (entry_at(closed, middle)->closed_ms <= cutoff_ms)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return NULL;
    /* From a random one on, the first not reopened. */
    start = prng_below(rng, (uint32_t)low);
    for (size_t n = 0; n < low; n++) {
        struct closed_conversation *entry = entry_at(closed, (start + n) % low);

        if (entry->number != 0)
            return entry;
    }
    return NULL;
}
