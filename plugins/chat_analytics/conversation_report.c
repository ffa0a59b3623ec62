/*
 * Building a conversation's report, response times included.
 *
 * Turns are read off the messages in event-time order. A customer turn
 * starts at a customer message that opens the conversation or follows a
 * message of the agent or the bot; it is answered by the first agent
 * message after it. A bot message answers nothing, and a customer message
 * after one starts a new turn, so one agent message may answer several
 * turns.
 *
 * Durations are written in seconds: an integer when whole, else a number
 * with the milliseconds as its fraction. The sentiment is also an integer
 * when whole (-1, 0, 1).
 */
#include "conversation_report.h"

#include <math.h>
#include <stdbool.h>

typedef struct response_times {
    int64_t first_ms; /* when answered > 0 */
    size_t answered;
    double total_ms; /* exact below 2^53 ms: far beyond any real total */
} response_times;

static bool starts_turn(const chat_message *messages, size_t index)
{
    return messages[index].sender == SENDER_CUSTOMER &&
           (index == 0 || messages[index - 1].sender != SENDER_CUSTOMER);
}

/* The first turn is the first customer message, and the agent message that
 * answers any turn answers every earlier one too: so the first turn
 * answered is the first turn. */
static response_times measure_responses(const conversation *conv)
{
    const chat_message *messages = conv->messages;
    response_times times = {0};
    size_t unanswered_from = 0; /* the turns from here on have no answer yet */

    for (size_t i = 0; i < conv->message_count; i++) {
        if (messages[i].sender != SENDER_AGENT)
            continue;
        for (size_t turn = unanswered_from; turn < i; turn++) {
            int64_t response_ms;

            if (!starts_turn(messages, turn))
                continue;
            response_ms = messages[i].ts_ms - messages[turn].ts_ms;
            if (times.answered == 0)
                times.first_ms = response_ms;
            times.answered++;
            times.total_ms += (double)response_ms;
        }
        unanswered_from = i + 1;
    }
    return times;
}

/* Milliseconds as seconds. */
static json_t *seconds(int64_t ms)
{
    if (ms % 1000 == 0)
        return json_integer(ms / 1000);
    return json_real((double)ms / 1000.0);
}

/* (positive - negative) / (positive + negative), 0 when neither. */
static json_t *sentiment(const conversation *conv)
{
    double positive = (double)conv->positive_words;
    double negative = (double)conv->negative_words;
    double score;

    if (positive + negative == 0)
        return json_integer(0);
    score = (positive - negative) / (positive + negative);
    if (score == floor(score))
        return json_integer((json_int_t)score);
    return json_real(score);
}

static json_t *agents_array(const conversation *conv)
{
    json_t *agents = json_array();

    for (size_t i = 0; agents != NULL && i < conv->agent_count; i++) {
        if (json_array_append_new(agents, json_string(conv->agents[i])) != 0) {
            json_decref(agents);
            agents = NULL;
        }
    }
    return agents;
}

static json_t *topics_array(const conversation *conv, const lexicon *lex)
{
    json_t *topics = json_array();

    for (size_t i = 0; topics != NULL && i < lex->topic_count; i++) {
        if ((conv->topics & (UINT64_C(1) << i)) == 0)
            continue;
        if (json_array_append_new(topics, json_string(lex->topic_names[i])) != 0) {
            json_decref(topics);
            topics = NULL;
        }
    }
    return topics;
}

json_t *conversation_report(const conversation *conv, const lexicon *lex,
                            const ph_host_api *host, int64_t end_ms, int final)
{
    int64_t started_ms = conv->messages[0].ts_ms;
    response_times times = measure_responses(conv);
    json_int_t counts[SENDER_COUNT] = {0};
    char started[64], ended[64];
    json_t *first_response, *average_response;

    for (size_t i = 0; i < conv->message_count; i++)
        counts[conv->messages[i].sender]++;
    host->format_time(started_ms, started, sizeof(started));
    host->format_time(end_ms, ended, sizeof(ended));
    first_response = times.answered > 0 ? seconds(times.first_ms) : json_null();
    average_response = times.answered > 0
                           ? seconds(llround(times.total_ms / (double)times.answered))
                           : json_null();

    /* json_pack takes the "o" references, also when it fails, and fails
     * on a NULL one: one check covers every allocation. */
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I}, s:o, s:o, s:o, s:o, s:o, "
                     "s:o, s:b}",
                     "type", "conversation",
                     "conversation_id", conv->id,
                     "started", started,
                     "ended", ended,
                     "messages",
                         "customer", counts[SENDER_CUSTOMER],
                         "agent", counts[SENDER_AGENT],
                         "bot", counts[SENDER_BOT],
                     "agents", agents_array(conv),
                     "first_response_s", first_response,
                     "avg_response_s", average_response,
                     "duration_s", seconds(end_ms - started_ms),
                     "sentiment", sentiment(conv),
                     "topics", topics_array(conv, lex),
                     "final", final);
}
