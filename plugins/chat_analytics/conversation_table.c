#include "conversation_table.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 64

int conversation_table_init(conversation_table *table)
{
    table->slots = calloc(INITIAL_SLOTS, sizeof(*table->slots));
    table->mask = INITIAL_SLOTS - 1;
    table->count = 0;
    return table->slots != NULL ? 0 : -1;
}

/* The index of the slot holding id, or of the empty slot where it would go. */
static size_t slot_index(conversation *const *slots, size_t mask, const char *id,
                         size_t id_len, uint64_t hash)
{
    size_t index = (size_t)hash & mask;

    while (slots[index] != NULL) {
        const conversation *held = slots[index];

        if (held->hash == hash && held->id_len == id_len && memcmp(held->id, id, id_len) == 0)
            break;
        index = (index + 1) & mask;
    }
    return index;
}

conversation *conversation_table_find(const conversation_table *table, const char *id,
                                      size_t id_len, uint64_t hash)
{
    return table->slots[slot_index(table->slots, table->mask, id, id_len, hash)];
}

static int grow(conversation_table *table)
{
    size_t slot_count = (table->mask + 1) * 2;
    conversation **slots = calloc(slot_count, sizeof(*slots));

    if (slots == NULL)
        return -1;
    for (size_t i = 0; i <= table->mask; i++) {
        conversation *moving = table->slots[i];

        if (moving != NULL)
            slots[slot_index(slots, slot_count - 1, moving->id, moving->id_len,
                             moving->hash)] = moving;
    }
    free(table->slots);
    table->slots = slots;
    table->mask = slot_count - 1;
    return 0;
}

int conversation_table_insert(conversation_table *table, conversation *conv)
{
    if ((table->count + 1) * 2 > table->mask + 1 && grow(table) != 0)
        return -1;
    table->slots[slot_index(table->slots, table->mask, conv->id,
                            conv->id_len, conv->hash)] = conv;
    table->count++;
    return 0;
}

/*
 * Backward-shift deletion: after emptying a slot, move back every later
 * member of the same probe run whose home slot is at or before the hole,
 * so that no lookup stops early at the hole.
 */
void conversation_table_remove(conversation_table *table, conversation *conv)
{
    size_t hole = slot_index(table->slots, table->mask, conv->id,
                             conv->id_len, conv->hash);
    size_t next = (hole + 1) & table->mask;

    table->slots[hole] = NULL;
    while (table->slots[next] != NULL) {
        size_t home = (size_t)table->slots[next]->hash & table->mask;

        /* Whether home lies cyclically outside (hole, next]: then the
         * member may move back into the hole. */
        if (((next - home) & table->mask) >= ((next - hole) & table->mask)) {
            table->slots[hole] = table->slots[next];
            table->slots[next] = NULL;
            hole = next;
        }
        next = (next + 1) & table->mask;
    }
    table->count--;
}

void conversation_table_free(conversation_table *table)
{
    if (table->slots == NULL)
        return;
    for (size_t i = 0; i <= table->mask; i++)
        conversation_free(table->slots[i]);
    free(table->slots);
    table->slots = NULL;
    table->count = 0;
}
