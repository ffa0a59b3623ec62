/*
 * Conversation state. Messages mostly arrive in event-time order, so the
 * sorted insert is an append plus, for the rare late one, a short shift.
 */
#include "conversation.h"

#include <stdlib.h>
#include <string.h>

conversation *conversation_create(const char *id, size_t id_len, uint64_t hash)
{
    conversation *created = calloc(1, sizeof(*created));

    if (created == NULL)
        return NULL;
    created->id = malloc(id_len + 1);
    if (created->id == NULL) {
        free(created);
        return NULL;
    }
    memcpy(created->id, id, id_len);
    created->id[id_len] = '\0';
    created->id_len = id_len;
    created->hash = hash;
    return created;
}

/* Release the per-conversation analytics, keeping id and table position. */
static void release_state(conversation *conversation)
{
    for (size_t i = 0; i < conversation->agent_count; i++)
        free(conversation->agents[i]);
    free(conversation->agents);
    free(conversation->messages);
    conversation->agents = NULL;
    conversation->agent_count = 0;
    conversation->agent_capacity = 0;
    conversation->messages = NULL;
    conversation->message_count = 0;
    conversation->message_capacity = 0;
    conversation->positive_words = 0;
    conversation->negative_words = 0;
    conversation->topics = 0;
}

void conversation_restart(conversation *conversation)
{
    release_state(conversation);
    conversation->ended = 0;
    conversation->closed = 0;
    conversation->close_ms = 0;
    conversation->end_ms = 0;
    conversation->first_offset = 0;
}

/* items with room for one more, possibly moved; NULL (items untouched)
 * when out of memory. */
static void *reserve_one(void *items, size_t *capacity, size_t count, size_t item_size)
{
    size_t grown;
    void *moved;

    if (count < *capacity)
        return items;
    grown = *capacity == 0 ? 8 : *capacity * 2;
    moved = realloc(items, grown * item_size);
    if (moved != NULL)
        *capacity = grown;
    return moved;
}

int conversation_add_message(conversation *conversation, int64_t ts_ms, chat_sender sender)
{
    chat_message *messages = reserve_one(conversation->messages,
                                         &conversation->message_capacity,
                                         conversation->message_count, sizeof(chat_message));
    size_t at;

    if (messages == NULL)
        return -1;
    conversation->messages = messages;
    /* After every message at or before ts_ms: equal times keep arrival order. */
    at = conversation->message_count;
    while (at > 0 && conversation->messages[at - 1].ts_ms > ts_ms)
        at--;
    memmove(&conversation->messages[at + 1], &conversation->messages[at],
            (conversation->message_count - at) * sizeof(chat_message));
    conversation->messages[at] = (chat_message){.ts_ms = ts_ms, .sender = sender};
    conversation->message_count++;
    return 0;
}

int conversation_add_agent(conversation *conversation, const char *agent_id, size_t length)
{
    size_t low = 0, high = conversation->agent_count;
    char **agents;
    char *copy;

    /* Binary search for the first id not below agent_id. */
    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (strcmp(conversation->agents[middle], agent_id) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < conversation->agent_count && strcmp(conversation->agents[low], agent_id) == 0)
        return 0;
    agents = reserve_one(conversation->agents, &conversation->agent_capacity,
                         conversation->agent_count, sizeof(char *));
    if (agents == NULL)
        return -1;
    conversation->agents = agents;
    copy = malloc(length + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, agent_id, length);
    copy[length] = '\0';
    memmove(&conversation->agents[low + 1], &conversation->agents[low],
            (conversation->agent_count - low) * sizeof(char *));
    conversation->agents[low] = copy;
    conversation->agent_count++;
    return 0;
}

int64_t conversation_last_message_ms(const conversation *conversation)
{
    return conversation->messages[conversation->message_count - 1].ts_ms;
}

void conversation_end(conversation *conversation, int64_t end_ms)
{
    release_state(conversation);
    conversation->ended = 1;
    conversation->end_ms = end_ms;
}

void conversation_free(conversation *conversation)
{
    if (conversation == NULL)
        return;
    release_state(conversation);
    free(conversation->id);
    free(conversation);
}
