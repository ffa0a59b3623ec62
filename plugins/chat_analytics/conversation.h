/*
 * One conversation id of one partition while it is held: from the message
 * that opens a conversation under it, through that conversation (emitted
 * as final when it ends), then, reduced to its id and end time, for as
 * long as a record could still arrive late for it or a replay could still
 * need it, and through any later conversation that starts meanwhile under
 * the same id (see chat_analytics.c).
 *
 * An open conversation keeps every message's (time, sender), sorted by
 * event time, because response times are computed over that order and
 * messages may arrive out of order. Word counts, topics and agents are
 * folded in as messages arrive.
 */
#ifndef CHAT_CONVERSATION_H
#define CHAT_CONVERSATION_H

#include <stddef.h>
#include <stdint.h>

#include "chat_record.h"
#include "latest_time.h"

typedef struct chat_message {
    int64_t ts_ms;
    chat_sender sender;
} chat_message;

typedef struct conversation {
    char *id; /* NUL-terminated; ids hold no NUL */
    size_t id_len;
    uint64_t hash;

    int ended; /* emitted as final; only the id, end_ms and the fields for a restart remain */
    /* Open: when the watermark reaching it ends the conversation (last
     * message + session gap). Ended: when the id is let go. */
    int64_t deadline;
    size_t heap_index; /* position in the deadline heap */

    /* What a restart needs (see chat_analytics.c): the source offset of
     * the record that made the id held, kept through every conversation
     * under it since; the partition's latest event time before that
     * record; the latest event time of any valid record for the id since,
     * late ones included. */
    int64_t held_from_offset;
    latest_time latest_before;
    int64_t last_record_ms;

    int64_t end_ms; /* ended: the close time, else the last message's */

    chat_message *messages; /* sorted by ts_ms; equal times keep arrival order */
    size_t message_count;
    size_t message_capacity;
    char **agents; /* sorted by byte value, no duplicates */
    size_t agent_count;
    size_t agent_capacity;
    uint64_t positive_words; /* the customer's */
    uint64_t negative_words;
    uint64_t topics; /* bit set, as in lexicon.h */
} conversation;

/* A new, open, empty conversation with a copy of id. NULL: out of memory. */
conversation *conversation_create(const char *id, size_t id_len, uint64_t hash);

/* Make an ended conversation open and empty again: a new conversation
 * under the same id, which stays held as before. */
void conversation_restart(conversation *conv);

/* Record a message's time and sender. 0, or -1 out of memory. */
int conversation_add_message(conversation *conv, int64_t ts_ms, chat_sender sender);

/* Add an agent id if not there yet. 0, or -1 out of memory. */
int conversation_add_agent(conversation *conv, const char *agent_id, size_t length);

/* The latest message time; the conversation has at least one message. */
int64_t conversation_last_message_ms(const conversation *conv);

/* Mark ended at end_ms and release everything but the id. */
void conversation_end(conversation *conv, int64_t end_ms);

void conversation_free(conversation *conv);

#endif
