/*
 * The (page, user) pair set: linear probing over packed 64-bit words.
 */
#include "pair_set.h"

#include <stdlib.h>
#include <string.h>

#include <pipehost/key_table.h>

#define FIRST_SLOT_COUNT 16

int pair_set_init(pair_set *set)
{
    set->count = 0;
    set->slots = calloc(FIRST_SLOT_COUNT, sizeof(*set->slots));
    set->mask = set->slots != NULL ? FIRST_SLOT_COUNT - 1 : 0;
    return set->slots != NULL ? 0 : -1;
}

void pair_set_free(pair_set *set)
{
    free(set->slots);
    set->slots = NULL;
    set->mask = 0;
    set->count = 0;
}

void pair_set_clear(pair_set *set)
{
    if (set->slots != NULL)
        memset(set->slots, 0, (set->mask + 1) * sizeof(*set->slots));
    set->count = 0;
}

static uint64_t *slot_for(uint64_t *slots, size_t mask, uint64_t pair)
{
    /* The packed pairs differ mostly in their low bits: mix them all in. */
    size_t index = (size_t)ph_hash_mix64(pair) & mask;

    while (slots[index] != 0 && slots[index] != pair)
        index = (index + 1) & mask;
    return &slots[index];
}

static int grow(pair_set *set)
{
    size_t mask = set->mask * 2 + 1;
    uint64_t *slots = calloc(mask + 1, sizeof(*slots));

    if (slots == NULL)
        return -1;
    for (size_t i = 0; i <= set->mask; i++) {
        if (set->slots[i] != 0)
            *slot_for(slots, mask, set->slots[i]) = set->slots[i];
    }
    free(set->slots);
    set->slots = slots;
    set->mask = mask;
    return 0;
}

int pair_set_add(pair_set *set, uint32_t first, uint32_t second)
{
    uint64_t pair = ((uint64_t)first + 1) << 32 | second;
    uint64_t *slot = slot_for(set->slots, set->mask, pair);

    if (*slot == pair)
        return 0;
    /* At most three quarters full. */
    if ((set->count + 1) * 4 > (set->mask + 1) * 3) {
        if (grow(set) != 0)
            return -1;
        slot = slot_for(set->slots, set->mask, pair);
    }
    *slot = pair;
    set->count++;
    return 1;
}
