/*
 * Customer-support chat: a couple of hundred conversations at once, each
 * a customer opening on a topic, a bot acknowledging, then an agent and
 * the customer taking turns, the agent answering after seconds to
 * minutes. Most conversations end with a "closed" event; some are left
 * open. Now and then a customer whose conversation closed a while ago
 * comes back under the same id, which makes a second session. Messages
 * carry topic keywords and positive or negative words for the analytics
 * plugins, and some text outside ASCII. A few events per second of event
 * time.
 *
 * The times are set against the shipped pipeline (configs/chat.yaml:
 * session_gap 30m, allowed_lateness 10s), so that good events are all
 * accepted and late ones all rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "produce/closed_conversations.h"
#include "produce/event_profile.h"
#include "produce/json_text.h"
#include "produce/late_arrival.h"

#define CONCURRENT_CONVERSATIONS 200
#define AGENT_COUNT 20
#define CLOSE_CHANCE 0.9
#define SECOND 1000
#define MINUTE (60 * SECOND)
#define SESSION_GAP (30 * MINUTE)
/* A customer comes back this long after the close at the earliest: past
 * the session gap, whatever the lateness of either message. */
#define RETURN_CHANCE 0.03
#define RETURN_AFTER (45 * MINUTE)
/* A late message belongs to a conversation closed this long ago at least,
 * so that its time plus the session gap is minutes behind the watermark. */
#define LATE_AFTER (40 * MINUTE)

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

enum topic { TOPIC_BILLING, TOPIC_SHIPPING, TOPIC_ACCOUNT, TOPIC_PRODUCT, TOPIC_COUNT };
enum mood { MOOD_NEGATIVE, MOOD_NEUTRAL, MOOD_POSITIVE, MOOD_COUNT };

static const char *const customer_openings[TOPIC_COUNT][4] = {
    [TOPIC_BILLING] = {
        "I was charged twice, please check my invoice.",
        "Where is the refund for my last invoice?",
        "My billing statement shows a charge I don't recognise.",
        "Can I get a corrected invoice? The billing address is wrong.",
    },
    [TOPIC_SHIPPING] = {
        "My package has not arrived and the tracking page shows nothing.",
        "When will my delivery arrive? Order placed a week ago.",
        "Shipping was supposed to take two days.",
        "Tracking says delivered but there is no package at my door.",
    },
    [TOPIC_ACCOUNT] = {
        "I can't login to my account.",
        "The password reset email never arrives.",
        "My account is locked after too many login attempts.",
        "How do I change the email address on my account? Mon adresse a changé.",
    },
    [TOPIC_PRODUCT] = {
        "The blender I bought last month is broken.",
        "The app keeps crashing when I open the settings.",
        "Is this charger compatible with the X200 model?",
        "The screen arrived scratched, the box was damaged.",
    },
};

static const char *const agent_answers[TOPIC_COUNT][3] = {
    [TOPIC_BILLING] = {
        "I've issued a refund for the duplicate charge, it takes 3-5 days.",
        "I've sent a corrected invoice to your email.",
        "The charge is the annual billing renewal; I can refund it if you wish.",
    },
    [TOPIC_SHIPPING] = {
        "Your delivery is on its way, here is the new tracking link.",
        "The carrier lost the package; I'm shipping a replacement today.",
        "Shipping was delayed at the depot, it should arrive tomorrow.",
    },
    [TOPIC_ACCOUNT] = {
        "I've unlocked your account, please try to login again.",
        "I've sent a new password reset link, check your spam folder too.",
        "Your account email is updated.",
    },
    [TOPIC_PRODUCT] = {
        "I'm sorry it's broken, we'll send a replacement under warranty.",
        "Please update the app to version 4.2, it fixes that crash.",
        "Yes, it works with the X200 and the X300.",
    },
};

static const char *const mood_closers[MOOD_COUNT][4] = {
    [MOOD_NEGATIVE] = {
        " This is terrible.",
        " I'm really angry about this.",
        " Worst service ever, I want a refund!",
        " Still broken 😡",
    },
    [MOOD_NEUTRAL] = {
        "",
        " Please advise.",
        " Danke für die Hilfe über den Chat.",
        " Merci.",
    },
    [MOOD_POSITIVE] = {
        " Thanks!",
        " Love your products, great job.",
        " Thanks a lot, you are great 🙏",
        " Merci beaucoup, très gentil! 😀",
    },
};

static const char *const customer_replies[MOOD_COUNT][3] = {
    [MOOD_NEGATIVE] = {
        "That's not good enough.",
        "Nothing works and I'm still waiting.",
        "It is still broken. I want a refund.",
    },
    [MOOD_NEUTRAL] = {
        "OK, let me check.",
        "Where do I find that?",
        "Ça marche, je vérifie.",
    },
    [MOOD_POSITIVE] = {
        "Great, that works.",
        "Perfect, that was quick.",
        "Awesome, problem solved.",
    },
};

static const char *const bot_greetings[] = {
    "Hi! I'm the virtual assistant 🤖 An agent will join shortly.",
    "Thanks for reaching out. An agent will be with you soon.",
    "Hello! Your request is in the queue, average wait is 2 minutes.",
};

static const char *const agent_followups[] = {
    "Is there anything else I can help with?",
    "Let me know if that works for you.",
    "Could you confirm your order number, please?",
};

/* Who speaks next. */
enum turn {
    TURN_CUSTOMER_OPENS,
    TURN_BOT,
    TURN_AGENT,
    TURN_CUSTOMER,
    TURN_CLOSE,
};

struct conversation {
    uint64_t number;
    enum topic topic;
    enum mood mood;
    uint32_t agent;
    enum turn turn;
    uint32_t messages_left; /* after the bot's greeting */
    bool will_close;
    int64_t next_ms;
    /* The plugin's view: whether any of its messages reached it, and the
     * latest time among those. */
    bool heard;
    int64_t last_heard_ms;
};

struct chat {
    struct conversation conversations[CONCURRENT_CONVERSATIONS];
    uint64_t conversations_started;
    struct closed_conversations closed;
    uint64_t unmatched_closes; /* ids for closes of conversations never opened */
};

static void start_conversation(struct chat *state, struct conversation *conversation,
                               struct prng *rng, int64_t at_ms)
{
    struct closed_conversation *returning = NULL;

    if (prng_chance(rng, RETURN_CHANCE))
        returning = closed_conversations_pick(&state->closed, rng, at_ms - RETURN_AFTER);
    if (returning != NULL) {
        conversation->number = returning->number;
        returning->number = 0;
    } else {
        conversation->number = ++state->conversations_started;
    }
    conversation->topic = (enum topic)prng_below(rng, TOPIC_COUNT);
    conversation->mood = (enum mood)prng_below(rng, MOOD_COUNT);
    conversation->agent = 1 + prng_below(rng, AGENT_COUNT);
    conversation->turn = TURN_CUSTOMER_OPENS;
    conversation->messages_left = (uint32_t)prng_between(rng, 1, 10);
    conversation->will_close = prng_chance(rng, CLOSE_CHANCE);
    conversation->next_ms = at_ms;
    conversation->heard = false;
    conversation->last_heard_ms = 0;
}

static void *chat_create(struct prng *rng, int64_t start_ms)
{
    struct chat *state = calloc(1, sizeof(*state));

    if (state == NULL)
        return NULL;
    closed_conversations_init(&state->closed);
    /* Staggered, so the first minutes already interleave. */
    for (size_t i = 0; i < CONCURRENT_CONVERSATIONS; i++)
        start_conversation(state, &state->conversations[i], rng,
                           start_ms + prng_between(rng, 0, 2 * MINUTE));
    return state;
}

static void chat_destroy(void *state)
{
    free(state);
}

static struct conversation *earliest(struct chat *state)
{
    struct conversation *first = &state->conversations[0];

    for (size_t i = 1; i < CONCURRENT_CONVERSATIONS; i++) {
        if (state->conversations[i].next_ms < first->next_ms)
            first = &state->conversations[i];
    }
    return first;
}

static const char *pick(struct prng *rng, const char *const *choices, size_t count)
{
    return choices[prng_below(rng, (uint32_t)count)];
}

/* Moves the conversation past the message just sent: who is next, when. */
static void schedule_next_turn(struct chat *state, struct conversation *conversation,
                               struct prng *rng)
{
    int64_t now = conversation->next_ms;

    switch (conversation->turn) {
    case TURN_CUSTOMER_OPENS:
        conversation->turn = TURN_BOT;
        conversation->next_ms = now + prng_between(rng, 1 * SECOND, 3 * SECOND);
        return;
    case TURN_BOT:
        conversation->turn = TURN_AGENT;
        conversation->next_ms = now + prng_between(rng, 10 * SECOND, 5 * MINUTE);
        return;
    case TURN_AGENT:
    case TURN_CUSTOMER:
        if (conversation->messages_left > 0) {
            conversation->messages_left--;
            if (conversation->turn == TURN_AGENT) {
                conversation->turn = TURN_CUSTOMER;
                conversation->next_ms = now + prng_between(rng, 5 * SECOND, 90 * SECOND);
            } else {
                conversation->turn = TURN_AGENT;
                conversation->next_ms = now + prng_between(rng, 5 * SECOND, 3 * MINUTE);
            }
            return;
        }
        if (conversation->will_close) {
            conversation->turn = TURN_CLOSE;
            conversation->next_ms = now + prng_between(rng, 10 * SECOND, 2 * MINUTE);
            return;
        }
        break; /* left open: the customer just went away */
    case TURN_CLOSE:
        closed_conversations_add(&state->closed, conversation->number, now,
                                 (unsigned)conversation->mood);
        break;
    }
    start_conversation(state, conversation, rng, now + prng_between(rng, 0, 20 * SECOND));
}

static void write_message_text(const struct conversation *conversation, struct prng *rng,
                               struct json_text *text)
{
    switch (conversation->turn) {
    case TURN_CUSTOMER_OPENS:
        json_text_cstr(text, pick(rng, customer_openings[conversation->topic],
                                  COUNT_OF(customer_openings[conversation->topic])));
        json_text_cstr(text, pick(rng, mood_closers[conversation->mood],
                                  COUNT_OF(mood_closers[conversation->mood])));
        break;
    case TURN_BOT:
        json_text_cstr(text, pick(rng, bot_greetings, COUNT_OF(bot_greetings)));
        break;
    case TURN_AGENT:
        json_text_cstr(text, pick(rng, agent_answers[conversation->topic],
                                  COUNT_OF(agent_answers[conversation->topic])));
        if (prng_below(rng, 2) == 0) {
            json_text_char(text, ' ');
            json_text_cstr(text, pick(rng, agent_followups, COUNT_OF(agent_followups)));
        }
        break;
    case TURN_CUSTOMER:
        json_text_cstr(text, pick(rng, customer_replies[conversation->mood],
                                  COUNT_OF(customer_replies[conversation->mood])));
        json_text_cstr(text, pick(rng, mood_closers[conversation->mood],
                                  COUNT_OF(mood_closers[conversation->mood])));
        break;
    case TURN_CLOSE:
        break;
    }
}

/* The fields every chat event starts with, and its key. */
static void begin_event(struct event_record *record, const char *conversation_id,
                        int conversation_id_len, int64_t ts_ms)
{
    if (conversation_id_len < 0) {
        record->overflow = true;
        return;
    }
    event_record_add_string(record, "conversation_id", conversation_id,
                            (size_t)conversation_id_len);
    event_record_add_time(record, "ts", ts_ms, TIME_ISO_UTC);
    event_record_set_key(record, conversation_id, (size_t)conversation_id_len);
}

/* The conversation's event of its current turn, at ts_ms. */
static void write_event(struct event_record *record, const struct conversation *conversation,
                        int64_t ts_ms, struct prng *rng)
{
    static const char *const senders[] = {
        [TURN_CUSTOMER_OPENS] = "customer",
        [TURN_BOT] = "bot",
        [TURN_AGENT] = "agent",
        [TURN_CUSTOMER] = "customer",
    };
    char conversation_id[32], agent_id[16];
    char text_storage[512];
    struct json_text text;
    const char *sender;

    begin_event(record, conversation_id,
                snprintf(conversation_id, sizeof(conversation_id), "conv-%06llu",
                         (unsigned long long)conversation->number),
                ts_ms);
    if (conversation->turn == TURN_CLOSE) {
        event_record_add_string(record, "event", "closed", strlen("closed"));
        return;
    }
    sender = senders[conversation->turn];
    event_record_add_string(record, "sender", sender, strlen(sender));
    if (conversation->turn == TURN_AGENT) {
        int agent_id_len = snprintf(agent_id, sizeof(agent_id), "agent-%02u",
                                    conversation->agent);

        event_record_add_string(record, "agent_id", agent_id, (size_t)agent_id_len);
    }
    json_text_init(&text, text_storage, sizeof(text_storage));
    write_message_text(conversation, rng, &text);
    if (text.overflow)
        record->overflow = true;
    event_record_add_string(record, "text", text.data, text.len);
}

static void chat_next(void *opaque, struct prng *rng, bool delivered, struct event_record *record)
{
    struct chat *state = opaque;
    struct conversation *conversation = earliest(state);
    int64_t ts_ms = late_arrival_time(rng, conversation->next_ms);

    write_event(record, conversation, ts_ms, rng);
    if (conversation->turn == TURN_CLOSE) {
        /* The plugin ends a conversation a session gap after the last
         * message it got, so a close after bad records took every
         * message, or a session gap's worth of them, closes nothing. */
        if (delivered && (!conversation->heard ||
                          conversation->next_ms - conversation->last_heard_ms >= SESSION_GAP))
            record->dangling_field = "event";
    } else if (delivered) {
        if (!conversation->heard || ts_ms > conversation->last_heard_ms)
            conversation->last_heard_ms = ts_ms;
        conversation->heard = true;
    }
    schedule_next_turn(state, conversation, rng);
}

/* A customer's message from a conversation closed long ago, delivered
 * only now: a phone that was offline since. */
static const char *chat_write_late(void *opaque, struct prng *rng, int64_t start_ms,
                                   struct event_record *record)
{
    struct chat *state = opaque;
    const struct closed_conversation *closed =
        closed_conversations_pick(&state->closed, rng, record->event_ms - LATE_AFTER);
    struct conversation gone = { .turn = TURN_CUSTOMER };

    (void)start_ms;
    if (closed == NULL)
        return NULL;
    gone.number = closed->number;
    gone.mood = (enum mood)closed->mood;
    event_record_clear(record);
    write_event(record, &gone, closed->closed_ms - prng_between(rng, 10 * SECOND, 2 * MINUTE),
                rng);
    return "ts";
}

/* A close for a conversation whose messages went elsewhere: its id, in a
 * form of its own, is never opened. */
static const char *chat_write_unmatched(void *opaque, struct prng *rng, int64_t start_ms,
                                        struct event_record *record)
{
    struct chat *state = opaque;
    int64_t ts_ms = record->event_ms;
    char conversation_id[32];

    (void)rng;
    (void)start_ms;
    event_record_clear(record);
    begin_event(record, conversation_id,
                snprintf(conversation_id, sizeof(conversation_id), "conv-lost-%06llu",
                         (unsigned long long)++state->unmatched_closes),
                ts_ms);
    event_record_add_string(record, "event", "closed", strlen("closed"));
    return "event";
}

#define AS_MESSAGE { "event", FIELD_REMOVE, NULL }
#define AS_AGENT { "sender", FIELD_SET, "\"agent\"" }
#define WITH_SENDER { "sender", FIELD_ADD, "\"customer\"" }

/*
 * A record with an event field is an event, whatever else it holds, and
 * the fields of a message are only checked on messages: faults of those
 * make the event a message (and a message an agent's, for agent_id).
 */
static const struct field_fault chat_faults[] = {
    FIELD_MISSING("conversation_id"),
    FIELD_MISSING("ts"),
    { MALFORMED_MISSING_FIELD, "sender", { { "sender", FIELD_REMOVE, NULL }, AS_MESSAGE } },
    { MALFORMED_MISSING_FIELD, "agent_id",
      { { "agent_id", FIELD_REMOVE, NULL }, AS_AGENT, AS_MESSAGE } },
    { MALFORMED_MISSING_FIELD, "text",
      { { "text", FIELD_REMOVE, NULL }, AS_MESSAGE, WITH_SENDER } },
    FIELD_WRONG("conversation_id", "123"),
    FIELD_WRONG("conversation_id", "null"),
    FIELD_WRONG("conversation_id", "\"\""),
    FIELD_WRONG("conversation_id", "\"conv-\\u0000\""),
    FIELD_WRONG("ts", "\"soon\""),
    FIELD_WRONG("ts", "\"2022-01-01T25:61:00Z\""),
    FIELD_WRONG("ts", "true"),
    FIELD_WRONG("ts", "253402300800000"),     /* 10000-01-01: past year 9999 */
    FIELD_WRONG("ts", "1640995200000000"),    /* microseconds for milliseconds */
    FIELD_WRONG("event", "\"reopened\""),
    FIELD_WRONG("event", "\"Closed\""),
    FIELD_WRONG("event", "true"),
    { MALFORMED_WRONG_TYPE, "sender", { { "sender", FIELD_SET, "3" }, AS_MESSAGE } },
    { MALFORMED_WRONG_TYPE, "sender", { { "sender", FIELD_SET, "\"Agent\"" }, AS_MESSAGE } },
    { MALFORMED_WRONG_TYPE, "sender", { { "sender", FIELD_SET, "\"system\"" }, AS_MESSAGE } },
    { MALFORMED_WRONG_TYPE, "agent_id",
      { { "agent_id", FIELD_SET, "\"\"" }, AS_AGENT, AS_MESSAGE } },
    { MALFORMED_WRONG_TYPE, "agent_id",
      { { "agent_id", FIELD_SET, "7" }, AS_AGENT, AS_MESSAGE } },
    { MALFORMED_WRONG_TYPE, "text", { { "text", FIELD_SET, "42" }, AS_MESSAGE, WITH_SENDER } },
    { MALFORMED_WRONG_TYPE, "text",
      { { "text", FIELD_SET, "null" }, AS_MESSAGE, WITH_SENDER } },
};

const struct event_profile chat_profile = {
    .name = "chat",
    .create = chat_create,
    .destroy = chat_destroy,
    .next = chat_next,
    .write_late = chat_write_late,
    .write_unmatched = chat_write_unmatched,
    .faults = chat_faults,
    .fault_count = COUNT_OF(chat_faults),
};
