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
static void release_state(conversation *conv)
{
    for (size_t i = 0; i < conv->agent_count; i++)
        free(conv->agents[i]);
    free(conv->agents);
    free(conv->messages);
    conv->agents = NULL;
    conv->agent_count = 0;
    conv->agent_capacity = 0;
    conv->messages = NULL;
    conv->message_count = 0;
    conv->message_capacity = 0;
    conv->positive_words = 0;
    conv->negative_words = 0;
    conv->topics = 0;
}

void conversation_restart(conversation *conv)
{
    release_state(conv);
    conv->ended = 0;
    conv->end_ms = 0;
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

int conversation_add_message(conversation *conv, int64_t ts_ms, chat_sender sender)
{
    chat_message *messages = reserve_one(conv->messages,
                                         &conv->message_capacity,
                                         conv->message_count, sizeof(chat_message));
    size_t at;

    if (messages == NULL)
        return -1;
    conv->messages = messages;
    /* After every message at or before ts_ms: equal times keep arrival order. */
    at = conv->message_count;
    while (at > 0 && conv->messages[at - 1].ts_ms > ts_ms)
        at--;
    memmove(&conv->messages[at + 1], &conv->messages[at],
            (conv->message_count - at) * sizeof(chat_message));
    conv->messages[at] = (chat_message){.ts_ms = ts_ms, .sender = sender};
    conv->message_count++;
    return 0;
}

int conversation_add_agent(conversation *conv, const char *agent_id, size_t length)
{
    size_t low = 0, high = conv->agent_count;
    char **agents;
    char *copy;

    /* Binary search for the first id not below agent_id. */
    while (low < high) {
        size_t middle = low + (high - low) / 2;

        if (strcmp(conv->agents[middle], agent_id) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < conv->agent_count && strcmp(conv->agents[low], agent_id) == 0)
        return 0;
    agents = reserve_one(conv->agents, &conv->agent_capacity,
                         conv->agent_count, sizeof(char *));
    if (agents == NULL)
        return -1;
    conv->agents = agents;
    copy = malloc(length + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, agent_id, length);
    copy[length] = '\0';
    memmove(&conv->agents[low + 1], &conv->agents[low],
            (conv->agent_count - low) * sizeof(char *));
    conv->agents[low] = copy;
    conv->agent_count++;
    return 0;
}

int64_t conversation_last_message_ms(const conversation *conv)
{
    return conv->messages[conv->message_count - 1].ts_ms;
}

void conversation_end(conversation *conv, int64_t end_ms)
{
    release_state(conv);
    conv->ended = 1;
    conv->end_ms = end_ms;
}

void conversation_free(conversation *conv)
{
    if (conv == NULL)
        return;
    release_state(conv);
    free(conv->id);
    free(conv);
}
