/*
 * Input validation. The first problem found is the reason given, fields
 * checked in the order conversation_id, ts, event or sender, agent_id,
 * text.
 */
#include "chat_record.h"

#include <string.h>

static const char *const sender_names[SENDER_COUNT] = {
    [SENDER_CUSTOMER] = "customer",
    [SENDER_AGENT] = "agent",
    [SENDER_BOT] = "bot",
};

/* Whether value is a JSON string holding exactly the C string text. */
static int string_is(const json_t *value, const char *text)
{
    size_t length = strlen(text);

    return json_is_string(value) && json_string_length(value) == length &&
           memcmp(json_string_value(value), text, length) == 0;
}

/* A non-empty string without NUL (ids become keys, which are C strings). */
static int is_identifier(const json_t *value)
{
    return json_is_string(value) && json_string_length(value) > 0 &&
           strlen(json_string_value(value)) == json_string_length(value);
}

static const char *read_message(const json_t *value, chat_record *out)
{
    const json_t *sender = json_object_get(value, "sender");
    const json_t *agent_id, *text;
    int found = 0;

    if (sender == NULL)
        return "missing field 'sender'";
    for (int i = 0; i < SENDER_COUNT && !found; i++) {
        if (string_is(sender, sender_names[i])) {
            out->sender = (chat_sender)i;
            found = 1;
        }
    }
    if (!found)
        return "field 'sender' must be customer, agent or bot";
    if (out->sender == SENDER_AGENT) {
        agent_id = json_object_get(value, "agent_id");
        if (agent_id == NULL)
            return "missing field 'agent_id'";
        if (!is_identifier(agent_id))
            return "field 'agent_id' must be a non-empty string";
        out->agent_id = json_string_value(agent_id);
        out->agent_id_len = json_string_length(agent_id);
    }
    text = json_object_get(value, "text");
    if (text == NULL)
        return "missing field 'text'";
    if (!json_is_string(text))
        return "field 'text' must be a string";
    out->text = json_string_value(text);
    out->text_len = json_string_length(text);
    return NULL;
}

const char *chat_record_read(const ph_host_api *host, const json_t *value, chat_record *out)
{
    const json_t *conversation_id, *ts, *event;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(value))
        return "value is not a JSON object";

    conversation_id = json_object_get(value, "conversation_id");
    if (conversation_id == NULL)
        return "missing field 'conversation_id'";
    if (!is_identifier(conversation_id))
        return "field 'conversation_id' must be a non-empty string";
    out->conversation_id = json_string_value(conversation_id);
    out->conversation_id_len = json_string_length(conversation_id);

    ts = json_object_get(value, "ts");
    if (ts == NULL)
        return "missing field 'ts'";
    if (host->parse_time(ts, &out->ts_ms) != 0)
        return "field 'ts' must be an ISO-8601 time or epoch milliseconds";
    if (out->ts_ms < CHAT_TIME_MIN_MS || out->ts_ms > CHAT_TIME_MAX_MS)
        return "field 'ts' must be a time from year 0000 to 9999";

    /* "event": null is a message that says so, as serialisers write it. */
    event = json_object_get(value, "event");
    if (event != NULL && !json_is_null(event)) {
        if (!string_is(event, "closed"))
            return "field 'event' must be \"closed\"";
        out->is_close = 1;
        return NULL;
    }
    return read_message(value, out);
}
