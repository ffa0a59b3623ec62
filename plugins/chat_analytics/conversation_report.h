/*
 * The output record of one conversation:
 *   {"type": "conversation", "conversation_id", "started", "ended",
 *    "messages": {"customer", "agent", "bot"}, "agents", "first_response_s",
 *    "avg_response_s", "duration_s", "sentiment", "topics", "final"}
 */
#ifndef CHAT_CONVERSATION_REPORT_H
#define CHAT_CONVERSATION_REPORT_H

#include <pipehost/plugin.h>

#include "conversation.h"
#include "lexicon.h"

/*
 * The report of an open conversation with at least one message, as ended
 * at end_ms (the close time, or the last message's). final: whether it is
 * the conversation's last word. A new reference, or NULL out of memory.
 */
json_t *conversation_report(const conversation *conv, const lexicon *lex,
                            const ph_host_api *host, int64_t end_ms, int final);

#endif
