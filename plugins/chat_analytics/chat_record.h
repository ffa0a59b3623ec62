/*
 * Reading one input record: a message
 *   {"conversation_id", "ts", "sender": "customer"|"agent"|"bot",
 *    "agent_id" (agents only), "text"}
 * or an event
 *   {"conversation_id", "ts", "event": "closed"}.
 * A record with a non-null "event" field is an event, whatever else it
 * holds.
 */
#ifndef CHAT_RECORD_H
#define CHAT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <pipehost/plugin.h>

typedef enum chat_sender {
    SENDER_CUSTOMER = 0,
    SENDER_AGENT = 1,
    SENDER_BOT = 2,
    SENDER_COUNT = 3
} chat_sender;

typedef struct chat_record {
    const char *conversation_id; /* borrowed from the record's JSON */
    size_t conversation_id_len;
    int64_t ts_ms;
    int is_close;       /* an {"event": "closed"} record */
    chat_sender sender; /* the rest: messages only */
    const char *agent_id;
    size_t agent_id_len;
    const char *text;
    size_t text_len;
} chat_record;

/* The earliest and latest event times accepted: years 0000 to 9999. */
#define CHAT_TIME_MIN_MS INT64_C(-62167219200000)
#define CHAT_TIME_MAX_MS INT64_C(253402300799999)

/*
 * Fill *out from the record's parsed JSON value. Returns NULL, or the
 * reason the record is rejected (a constant string naming the field).
 * The strings in *out are borrowed from value.
 */
const char *chat_record_read(const ph_host_api *host, const json_t *value, chat_record *out);

#endif
