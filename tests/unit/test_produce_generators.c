/*
 * The synthetic event generators, checked against the documented record
 * formats with checks written here from the documentation, not from the
 * generator code: determinism, field types, event-time behaviour, the
 * share and honesty of malformed records, and each profile's model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "produce/event_generator.h"

#define START_MS INT64_C(1640995200000) /* 2022-01-01T00:00:00Z */
#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

static const char *const all_profiles[] = { "clickstream", "iot", "chat" };

static struct event_generator *new_generator(const char *profile, uint64_t seed, double bad_ratio)
{
    struct event_generator_options options = {
        .profile = profile, .seed = seed, .bad_ratio = bad_ratio, .start_ms = START_MS,
    };
    struct event_generator *generator = event_generator_new(&options);

    assert_non_null(generator);
    return generator;
}

static void next(struct event_generator *generator, struct generated_record *record)
{
    assert_int_equal(event_generator_next(generator, record), 0);
}

/* ---- independent format checks ---------------------------------------- */

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static int number_at(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* "YYYY-MM-DDTHH:MM:SS", then an optional ".mmm" and "Z" as asked. */
static bool iso_time(const char *s, bool zone, bool allow_ms, int64_t *epoch_ms)
{
    size_t len = strlen(s), expected = 19;
    struct tm tm = { 0 };
    int ms = 0;

    if (len < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return false;
    if (allow_ms && len > 19 && s[19] == '.') {
        if (len < 23 || !digits(s + 20, 3))
            return false;
        ms = number_at(s + 20, 3);
        expected = 23;
    }
    if (zone) {
        if (len != expected + 1 || s[expected] != 'Z')
            return false;
    } else if (len != expected) {
        return false;
    }
    tm.tm_year = number_at(s, 4) - 1900;
    tm.tm_mon = number_at(s + 5, 2) - 1;
    tm.tm_mday = number_at(s + 8, 2);
    tm.tm_hour = number_at(s + 11, 2);
    tm.tm_min = number_at(s + 14, 2);
    tm.tm_sec = number_at(s + 17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 59)
        return false;
    *epoch_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return true;
}

static bool string_in(const json_t *value, const char *const *choices)
{
    if (!json_is_string(value))
        return false;
    for (; *choices != NULL; choices++) {
        if (strcmp(json_string_value(value), *choices) == 0)
            return true;
    }
    return false;
}

/* A string starting with prefix, without NUL characters. */
static bool prefixed_string(const json_t *value, const char *prefix)
{
    return json_is_string(value) &&
           strlen(json_string_value(value)) == json_string_length(value) &&
           strncmp(json_string_value(value), prefix, strlen(prefix)) == 0;
}

/* Each check returns NULL for a valid record, or what is wrong with it.
 * *event_ms gets the record's event time. `field_ok` checks one field as
 * present in the object (NULL when absent). */

static const char *const click_actions[] = {
    "view", "search", "add_to_cart", "remove_from_cart", "purchase", "rating", NULL,
};

static bool click_field_ok(const json_t *root, const char *name)
{
    const json_t *value = json_object_get(root, name);
    int64_t ms;

    if (strcmp(name, "timestamp") == 0)
        return json_is_string(value) && iso_time(json_string_value(value), false, false, &ms);
    if (strcmp(name, "userid") == 0)
        return prefixed_string(value, "user");
    if (strcmp(name, "page") == 0)
        return prefixed_string(value, "/");
    if (strcmp(name, "action") == 0)
        return string_in(value, click_actions);
    if (strcmp(name, "rating") == 0)
        return json_is_integer(value) && json_integer_value(value) >= 1 &&
               json_integer_value(value) <= 5;
    return false;
}

static const char *check_clickstream(const json_t *root, int64_t *event_ms)
{
    static const char *const required[] = { "timestamp", "userid", "page", "action" };
    const json_t *action = json_object_get(root, "action");
    bool is_rating;

    for (size_t i = 0; i < 4; i++) {
        if (json_object_get(root, required[i]) == NULL)
            return required[i];
        if (!click_field_ok(root, required[i]))
            return required[i];
    }
    is_rating = strcmp(json_string_value(action), "rating") == 0;
    if (is_rating != (json_object_get(root, "rating") != NULL))
        return "rating present exactly for action rating";
    if (is_rating && !click_field_ok(root, "rating"))
        return "rating";
    if (json_object_size(root) != 4u + is_rating)
        return "unexpected fields";
    iso_time(json_string_value(json_object_get(root, "timestamp")), false, false, event_ms);
    return NULL;
}

static bool iot_field_ok(const json_t *root, const char *name)
{
    const json_t *value = json_object_get(root, name);
    int64_t ms;

    if (strcmp(name, "device_id") == 0)
        return prefixed_string(value, "dev-");
    if (strcmp(name, "ts") == 0)
        return (json_is_integer(value) && json_integer_value(value) >= 0 &&
                json_integer_value(value) <= TIME_MAX_MS) ||
               (json_is_string(value) && iso_time(json_string_value(value), true, true, &ms));
    if (strcmp(name, "temperature") == 0 || strcmp(name, "pressure") == 0 ||
        strcmp(name, "humidity") == 0)
        return json_is_number(value);
    return false;
}

/* Every metric of the shipped pipeline's config is required. */
static const char *check_iot(const json_t *root, int64_t *event_ms)
{
    static const char *const metrics[] = { "temperature", "pressure", "humidity" };
    const json_t *ts = json_object_get(root, "ts");

    if (!iot_field_ok(root, "device_id"))
        return "device_id";
    if (!iot_field_ok(root, "ts"))
        return "ts";
    for (size_t i = 0; i < 3; i++) {
        if (!iot_field_ok(root, metrics[i]))
            return metrics[i];
    }
    if (json_object_size(root) != 5)
        return "unexpected fields";
    if (json_is_integer(ts))
        *event_ms = json_integer_value(ts);
    else
        iso_time(json_string_value(ts), true, true, event_ms);
    return NULL;
}

static const char *const chat_senders[] = { "customer", "agent", "bot", NULL };

static bool chat_field_ok(const json_t *root, const char *name)
{
    static const char *const events[] = { "closed", NULL };
    const json_t *value = json_object_get(root, name);
    int64_t ms;

    if (strcmp(name, "conversation_id") == 0)
        return prefixed_string(value, "conv-");
    if (strcmp(name, "ts") == 0)
        return json_is_string(value) && iso_time(json_string_value(value), true, true, &ms);
    if (strcmp(name, "sender") == 0)
        return string_in(value, chat_senders);
    if (strcmp(name, "agent_id") == 0)
        return prefixed_string(value, "agent-");
    if (strcmp(name, "text") == 0)
        return json_is_string(value) && json_string_length(value) > 0;
    if (strcmp(name, "event") == 0)
        return string_in(value, events);
    return false;
}

static const char *check_chat(const json_t *root, int64_t *event_ms)
{
    const char *key;
    const json_t *value;

    if (!chat_field_ok(root, "conversation_id"))
        return "conversation_id";
    if (!chat_field_ok(root, "ts"))
        return "ts";
    if (json_object_get(root, "event") != NULL) {
        if (!chat_field_ok(root, "event"))
            return "event";
        if (json_object_size(root) != 3)
            return "closed event with more fields";
    } else {
        const json_t *sender = json_object_get(root, "sender");

        if (!chat_field_ok(root, "sender"))
            return "sender";
        if ((strcmp(json_string_value(sender), "agent") == 0) !=
            (json_object_get(root, "agent_id") != NULL))
            return "agent_id present exactly for agents";
        if (json_object_get(root, "text") == NULL)
            return "text";
        json_object_foreach((json_t *)root, key, value) {
            if (!chat_field_ok(root, key))
                return key;
        }
    }
    iso_time(json_string_value(json_object_get(root, "ts")), true, true, event_ms);
    return NULL;
}

typedef const char *(*record_check)(const json_t *root, int64_t *event_ms);
typedef bool (*field_check)(const json_t *root, const char *name);

struct profile_checks {
    const char *name;
    record_check check;
    field_check field_ok;
    const char *key_field;
};

static const struct profile_checks checks[] = {
    { "clickstream", check_clickstream, click_field_ok, "userid" },
    { "iot", check_iot, iot_field_ok, "device_id" },
    { "chat", check_chat, chat_field_ok, "conversation_id" },
};

static const struct profile_checks *checks_for(const char *profile)
{
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(checks[i].name, profile) == 0)
            return &checks[i];
    }
    fail();
    return NULL;
}

/* RFC 3629 UTF-8, written out here: no overlongs, no surrogates. */
static bool valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n >= len - i)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* The record's value as the host hands it to plugins: any JSON value,
 * NUL allowed in strings. NULL when it does not parse. */
static json_t *load_as_host(const struct generated_record *record)
{
    return json_loadb(record->value, record->value_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

/* ---- the plugins, as their READMEs describe them ------------------------ */

/* The settings of the shipped pipelines (configs/). */
#define LATENESS_MS (10 * 1000)
#define WINDOW_MS (60 * 1000)
#define SESSION_GAP_MS (30 * 60 * 1000)

/* Writes the reason into buf; returns it. */
static const char *reason(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *reason(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(buf, size, fmt, args);
    va_end(args);
    return buf;
}

/* Non-empty and without NUL: it can become a key. */
static bool identifier(const json_t *value)
{
    return json_is_string(value) && json_string_length(value) > 0 &&
           strlen(json_string_value(value)) == json_string_length(value);
}

static const char *check_identifier(const json_t *root, const char *name, char *buf, size_t size)
{
    const json_t *value = json_object_get(root, name);

    if (value == NULL)
        return reason(buf, size, "missing field '%s'", name);
    if (!identifier(value))
        return reason(buf, size, "field '%s' must be a non-empty string", name);
    return NULL;
}

/* An ISO-8601 time (with or without "Z", with or without milliseconds)
 * or epoch milliseconds from 0 to year 9999. out_of_range is the
 * plugin's wording for numbers past that. */
static const char *check_time(const json_t *root, const char *name, const char *out_of_range,
                              int64_t *ms, char *buf, size_t size)
{
    const json_t *value = json_object_get(root, name);
    const char *text = json_string_value(value);

    if (value == NULL)
        return reason(buf, size, "missing field '%s'", name);
    if (text != NULL && (iso_time(text, true, true, ms) || iso_time(text, false, true, ms)))
        return NULL;
    if (json_is_integer(value) && json_integer_value(value) >= 0) {
        if (json_integer_value(value) > TIME_MAX_MS)
            return reason(buf, size, "field '%s' %s", name, out_of_range);
        *ms = json_integer_value(value);
        return NULL;
    }
    return reason(buf, size, "field '%s' must be an ISO-8601 time or epoch milliseconds", name);
}

#define WINDOW_OUT_OF_RANGE "is out of range (years 0000 to 9999)"

static const char *clickstream_fields(const json_t *root, int64_t *ms, char *buf, size_t size)
{
    static const char *const strings[] = { "userid", "page", "action" };
    const char *problem = check_time(root, "timestamp", WINDOW_OUT_OF_RANGE, ms, buf, size);
    const json_t *rating;

    for (size_t i = 0; i < 3 && problem == NULL; i++)
        problem = check_identifier(root, strings[i], buf, size);
    if (problem != NULL ||
        strcmp(json_string_value(json_object_get(root, "action")), "rating") != 0)
        return problem;
    rating = json_object_get(root, "rating");
    if (rating == NULL)
        return reason(buf, size, "missing field 'rating'");
    if (!json_is_integer(rating) || json_integer_value(rating) < 1 ||
        json_integer_value(rating) > 5)
        return reason(buf, size, "field 'rating' must be an integer from 1 to 5");
    return NULL;
}

static const char *iot_fields(const json_t *root, int64_t *ms, char *buf, size_t size)
{
    static const char *const metrics[] = { "temperature", "pressure", "humidity" };
    const char *problem = check_identifier(root, "device_id", buf, size);

    if (problem == NULL)
        problem = check_time(root, "ts", WINDOW_OUT_OF_RANGE, ms, buf, size);
    for (size_t i = 0; i < 3 && problem == NULL; i++) {
        const json_t *value = json_object_get(root, metrics[i]);

        if (value == NULL)
            problem = reason(buf, size, "missing field '%s'", metrics[i]);
        else if (!json_is_number(value))
            problem = reason(buf, size, "field '%s' must be a number", metrics[i]);
    }
    return problem;
}

static const char *chat_fields(const json_t *root, int64_t *ms, bool *is_close, char *buf,
                               size_t size)
{
    const char *problem = check_identifier(root, "conversation_id", buf, size);
    const json_t *event = json_object_get(root, "event");
    const json_t *sender, *text;

    if (problem == NULL)
        problem = check_time(root, "ts", "must be a time from year 0000 to 9999", ms, buf, size);
    if (problem != NULL)
        return problem;
    *is_close = event != NULL && !json_is_null(event);
    if (*is_close) {
        if (!json_is_string(event) || strcmp(json_string_value(event), "closed") != 0 ||
            json_string_length(event) != 6)
            return reason(buf, size, "field 'event' must be \"closed\"");
        return NULL;
    }
    sender = json_object_get(root, "sender");
    if (sender == NULL)
        return reason(buf, size, "missing field 'sender'");
    if (!string_in(sender, chat_senders) || json_string_length(sender) != strlen(json_string_value(sender)))
        return reason(buf, size, "field 'sender' must be customer, agent or bot");
    if (strcmp(json_string_value(sender), "agent") == 0 &&
        (problem = check_identifier(root, "agent_id", buf, size)) != NULL)
        return problem;
    text = json_object_get(root, "text");
    if (text == NULL)
        return reason(buf, size, "missing field 'text'");
    if (!json_is_string(text))
        return reason(buf, size, "field 'text' must be a string");
    return NULL;
}

/* One conversation id, across its sessions. */
struct chat_session {
    bool open;
    bool ended;
    bool closed;     /* ended by a close event */
    int64_t last_ms; /* open: its latest message */
    int64_t end_ms;  /* ended: the close time, else the last message's */
    int sessions;
};

#define MODEL_MAX_IDS 100000

struct plugin_model {
    const char *profile;
    bool seen_time;
    int64_t latest_ms; /* of the records that count, per the plugin */
    /* chat */
    json_t *ids; /* conversation_id to its index in sessions */
    struct chat_session *sessions;
    size_t session_count;
    size_t *open; /* indices of the open sessions */
    size_t open_count;
    int returning; /* sessions begun a session gap after their id's close */
};

static void model_init(struct plugin_model *model, const char *profile)
{
    memset(model, 0, sizeof(*model));
    model->profile = profile;
    model->ids = json_object();
    model->sessions = calloc(MODEL_MAX_IDS, sizeof(*model->sessions));
    model->open = calloc(MODEL_MAX_IDS, sizeof(*model->open));
    assert_non_null(model->ids);
    assert_non_null(model->sessions);
    assert_non_null(model->open);
}

static void model_free(struct plugin_model *model)
{
    json_decref(model->ids);
    free(model->sessions);
    free(model->open);
}

static struct chat_session *find_session(struct plugin_model *model, const char *id, bool add)
{
    const json_t *index = json_object_get(model->ids, id);

    if (index != NULL)
        return &model->sessions[json_integer_value(index)];
    if (!add)
        return NULL;
    assert_true(model->session_count < MODEL_MAX_IDS);
    assert_int_equal(json_object_set_new(model->ids, id,
                                         json_integer((json_int_t)model->session_count)), 0);
    return &model->sessions[model->session_count++];
}

/* The watermark moved: conversations silent for a session gap end. */
static void expire_sessions(struct plugin_model *model, int64_t watermark)
{
    for (size_t i = 0; i < model->open_count;) {
        struct chat_session *session = &model->sessions[model->open[i]];

        if (session->last_ms + SESSION_GAP_MS <= watermark) {
            session->open = false;
            session->ended = true;
            session->closed = false;
            session->end_ms = session->last_ms;
            model->open[i] = model->open[--model->open_count];
        } else {
            i++;
        }
    }
}

static void close_session(struct plugin_model *model, struct chat_session *session, int64_t ms)
{
    size_t index = (size_t)(session - model->sessions);

    session->open = false;
    session->ended = true;
    session->closed = true;
    session->end_ms = ms;
    for (size_t i = 0; i < model->open_count; i++) {
        if (model->open[i] == index) {
            model->open[i] = model->open[--model->open_count];
            return;
        }
    }
    fail();
}

static const char *chat_apply(struct plugin_model *model, const json_t *root, int64_t ms,
                              bool is_close, int64_t *behind_ms, char *buf, size_t size)
{
    const char *id = json_string_value(json_object_get(root, "conversation_id"));
    struct chat_session *session;
    int64_t watermark;

    /* Every valid record moves the watermark, a late one included. */
    if (!model->seen_time || ms > model->latest_ms) {
        model->seen_time = true;
        model->latest_ms = ms;
        expire_sessions(model, ms - LATENESS_MS);
    }
    watermark = model->latest_ms - LATENESS_MS;
    session = find_session(model, id, false);
    if (session != NULL && session->open) {
        if (is_close)
            close_session(model, session, ms);
        else if (ms > session->last_ms)
            session->last_ms = ms;
        return NULL;
    }
    if ((session != NULL && session->ended && ms < session->end_ms + SESSION_GAP_MS) ||
        ms + SESSION_GAP_MS <= watermark) {
        *behind_ms = watermark - (ms + SESSION_GAP_MS);
        return reason(buf, size, "late event");
    }
    if (is_close)
        return reason(buf, size, "field 'event' closes a conversation with no messages");
    if (session == NULL)
        session = find_session(model, id, true);
    if (session->ended && session->closed && ms - session->end_ms > SESSION_GAP_MS)
        model->returning++;
    session->open = true;
    session->last_ms = ms;
    session->sessions++;
    model->open[model->open_count++] = (size_t)(session - model->sessions);
    return NULL;
}

/* Tumbling windows: a record whose window the watermark has passed is
 * late; rejected records do not move the watermark. */
static const char *window_apply(struct plugin_model *model, int64_t ms, int64_t *behind_ms,
                                char *buf, size_t size)
{
    int64_t window_end = ms - ms % WINDOW_MS + WINDOW_MS;

    if (model->seen_time && window_end <= model->latest_ms - LATENESS_MS) {
        *behind_ms = model->latest_ms - LATENESS_MS - window_end;
        return reason(buf, size, "late event");
    }
    if (!model->seen_time || ms > model->latest_ms) {
        model->seen_time = true;
        model->latest_ms = ms;
    }
    return NULL;
}

/*
 * What the profile's plugin does with the record: NULL when it takes it,
 * else the reason it gives (the parser's message after "value is not
 * JSON" left out). For a late record, *behind_ms is how far beyond the
 * point of being late it lies.
 */
static const char *model_apply(struct plugin_model *model, const struct generated_record *record,
                               int64_t *behind_ms, char *buf, size_t size)
{
    json_t *root = load_as_host(record);
    const char *problem;
    bool is_close = false;
    int64_t ms = 0;

    if (root == NULL)
        return reason(buf, size, "value is not JSON");
    if (!json_is_object(root)) {
        json_decref(root);
        return reason(buf, size, "value is not a JSON object");
    }
    if (strcmp(model->profile, "clickstream") == 0)
        problem = clickstream_fields(root, &ms, buf, size);
    else if (strcmp(model->profile, "iot") == 0)
        problem = iot_fields(root, &ms, buf, size);
    else
        problem = chat_fields(root, &ms, &is_close, buf, size);
    if (problem == NULL)
        problem = strcmp(model->profile, "chat") == 0
                      ? chat_apply(model, root, ms, is_close, behind_ms, buf, size)
                      : window_apply(model, ms, behind_ms, buf, size);
    json_decref(root);
    return problem;
}

/* ---- tests -------------------------------------------------------------- */

static void test_unknown_profile_is_refused(void **unused)
{
    struct event_generator_options options = { .profile = "weather", .seed = 1 };

    assert_false(event_generator_has_profile("weather"));
    assert_true(event_generator_has_profile("chat"));
    assert_null(event_generator_new(&options));
}

static void test_same_seed_same_bytes_other_seed_other_bytes(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        struct event_generator *a = new_generator(all_profiles[p], 11, 0.1);
        struct event_generator *b = new_generator(all_profiles[p], 11, 0.1);
        struct event_generator *c = new_generator(all_profiles[p], 12, 0.1);
        int differing = 0;

        for (int i = 0; i < 1000; i++) {
            struct generated_record ra, rb, rc;
            char copy[4096];
            size_t copy_len;

            next(a, &ra);
            assert_true(ra.value_len <= sizeof(copy));
            memcpy(copy, ra.value, ra.value_len);
            copy_len = ra.value_len;
            next(b, &rb);
            next(c, &rc);
            assert_int_equal(copy_len, rb.value_len);
            assert_memory_equal(copy, rb.value, copy_len);
            assert_int_equal(ra.key_len, rb.key_len);
            assert_int_equal(ra.malformed, rb.malformed);
            differing += copy_len != rc.value_len || memcmp(copy, rc.value, copy_len) != 0;
        }
        assert_true(differing > 900);
        event_generator_free(a);
        event_generator_free(b);
        event_generator_free(c);
    }
}

/* Faults have their own random stream: the events underneath do not move
 * when the bad ratio changes. */
static void test_bad_ratio_leaves_good_records_in_place(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        struct event_generator *clean = new_generator(all_profiles[p], 5, 0);
        struct event_generator *dirty = new_generator(all_profiles[p], 5, 0.3);
        int compared = 0;

        for (int i = 0; i < 2000; i++) {
            struct generated_record rc, rd;
            char copy[4096];
            size_t copy_len;

            next(clean, &rc);
            memcpy(copy, rc.value, rc.value_len);
            copy_len = rc.value_len;
            next(dirty, &rd);
            if (rd.malformed != MALFORMED_NONE)
                continue;
            assert_int_equal(copy_len, rd.value_len);
            assert_memory_equal(copy, rd.value, copy_len);
            compared++;
        }
        assert_in_range(compared, 1200, 1600);
        event_generator_free(clean);
        event_generator_free(dirty);
    }
}

static void test_good_records_match_their_format(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        const struct profile_checks *profile = checks_for(all_profiles[p]);
        struct event_generator *generator = new_generator(profile->name, 21, 0);

        for (int i = 0; i < 20000; i++) {
            struct generated_record record;
            json_error_t error;
            json_t *root;
            const char *problem;
            int64_t event_ms = 0;
            const json_t *key;

            next(generator, &record);
            assert_int_equal(record.malformed, MALFORMED_NONE);
            root = json_loadb(record.value, record.value_len, 0, &error);
            if (root == NULL)
                fail_msg("%s record %d: %s: %.*s", profile->name, i, error.text,
                         (int)record.value_len, record.value);
            problem = profile->check(root, &event_ms);
            if (problem != NULL)
                fail_msg("%s record %d: %s: %.*s", profile->name, i, problem,
                         (int)record.value_len, record.value);
            /* The key is the record's key field. */
            key = json_object_get(root, profile->key_field);
            assert_int_equal(record.key_len, json_string_length(key));
            assert_memory_equal(record.key, json_string_value(key), record.key_len);
            /* The text carries the event time the generator reports,
             * to the second for clickstream. */
            if (strcmp(profile->name, "clickstream") == 0)
                assert_true(event_ms == record.event_ms - (record.event_ms % 1000));
            else
                assert_true(event_ms == record.event_ms);
            json_decref(root);
        }
        event_generator_free(generator);
    }
}

/* Good events are out of order, but never by the plugins' allowed
 * lateness (10 s in the shipped pipelines): they are all counted. */
static void test_event_time_spans_minutes_mostly_in_order(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        struct event_generator *generator = new_generator(all_profiles[p], 3, 0);
        const int n = 100000;
        int64_t newest = INT64_MIN, first = 0, most_behind = 0;
        int out_of_order = 0;

        for (int i = 0; i < n; i++) {
            struct generated_record record;

            next(generator, &record);
            if (i == 0)
                first = record.event_ms;
            if (record.event_ms < newest) {
                out_of_order++;
                if (newest - record.event_ms > most_behind)
                    most_behind = newest - record.event_ms;
            } else {
                newest = record.event_ms;
            }
        }
        assert_true(first >= START_MS && first < START_MS + 60 * 1000);
        /* At least 15 one-minute windows, at most a few days. */
        assert_true(newest - START_MS > 15 * 60 * 1000);
        assert_true(newest - START_MS < INT64_C(4) * 24 * 3600 * 1000);
        assert_in_range(out_of_order, n / 200, n * 3 / 100);
        assert_in_range(most_behind, 1000, 10 * 1000 - 1);
        event_generator_free(generator);
    }
}

/* Checks one bad record against the fault it claims, from its text. */
static void assert_malformed_as_claimed(const struct profile_checks *profile,
                                        const struct generated_record *record)
{
    json_t *root = load_as_host(record);
    int64_t event_ms;
    const char *field = record->malformed_field;

    switch (record->malformed) {
    case MALFORMED_NONE:
        fail();
        break;
    case MALFORMED_NOT_JSON:
        assert_true(record->value_len > 0);
        assert_null(root);
        break;
    case MALFORMED_NOT_OBJECT:
        assert_non_null(root);
        assert_true(json_is_array(root) || json_is_string(root));
        break;
    case MALFORMED_MISSING_FIELD:
        assert_non_null(root);
        assert_true(json_is_object(root));
        assert_non_null(field);
        assert_null(json_object_get(root, field));
        assert_non_null(profile->check(root, &event_ms));
        break;
    case MALFORMED_WRONG_TYPE:
        assert_non_null(root);
        assert_true(json_is_object(root));
        assert_non_null(field);
        assert_non_null(json_object_get(root, field));
        if (profile->field_ok(root, field))
            fail_msg("%s: field %s claimed wrong: %.*s", profile->name, field,
                     (int)record->value_len, record->value);
        assert_non_null(profile->check(root, &event_ms));
        break;
    case MALFORMED_EMPTY:
        assert_int_equal(record->value_len, 0);
        break;
    case MALFORMED_INVALID_UTF8:
        assert_null(root);
        assert_false(valid_utf8((const unsigned char *)record->value, record->value_len));
        break;
    case MALFORMED_LATE:
    case MALFORMED_UNMATCHED:
        /* Well-formed: only the stream around it makes it wrong. */
        assert_non_null(root);
        assert_true(json_is_object(root));
        if (profile->check(root, &event_ms) != NULL)
            fail_msg("%s: %s record not well-formed: %.*s", profile->name,
                     malformed_kind_name(record->malformed), (int)record->value_len,
                     record->value);
        assert_true(event_ms == record->event_ms - (strcmp(profile->name, "clickstream") == 0
                                                        ? record->event_ms % 1000 : 0));
        assert_non_null(field);
        assert_non_null(json_object_get(root, field));
        if (record->malformed == MALFORMED_UNMATCHED)
            assert_string_equal(json_string_value(json_object_get(root, "event")), "closed");
        break;
    }
    json_decref(root);
}

static void test_bad_records_share_and_honesty(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        const struct profile_checks *profile = checks_for(all_profiles[p]);
        struct event_generator *generator = new_generator(profile->name, 99, 0.1);
        int bad = 0, by_kind[MALFORMED_KIND_COUNT] = { 0 };

        for (int i = 0; i < 10000; i++) {
            struct generated_record record;

            next(generator, &record);
            by_kind[record.malformed]++;
            if (record.malformed == MALFORMED_NONE) {
                json_t *root = json_loadb(record.value, record.value_len, 0, NULL);
                int64_t event_ms;

                assert_non_null(root);
                assert_null(profile->check(root, &event_ms));
                json_decref(root);
                continue;
            }
            bad++;
            assert_malformed_as_claimed(profile, &record);
        }
        assert_in_range(bad, 800, 1200);
        for (int kind = MALFORMED_NOT_JSON; kind <= MALFORMED_LAST_RECORD_KIND; kind++)
            assert_true(by_kind[kind] > 50);
        /* Only conversations end: there is nothing else to close. */
        if (strcmp(profile->name, "chat") != 0)
            assert_int_equal(by_kind[MALFORMED_UNMATCHED], 0);
        event_generator_free(generator);
    }
}

/* The plugin's reason for a bad record is the one its fault claims. */
static void assert_reason_fits_claim(const struct generated_record *record, const char *why,
                                     int64_t behind_ms)
{
    static const char *const unmatched = "field 'event' closes a conversation with no messages";
    const char *field = record->malformed_field;
    char expected[128];

    switch (record->malformed) {
    case MALFORMED_NONE:
        fail();
        break;
    case MALFORMED_NOT_JSON:
    case MALFORMED_EMPTY:
    case MALFORMED_INVALID_UTF8:
        assert_string_equal(why, "value is not JSON");
        break;
    case MALFORMED_NOT_OBJECT:
        assert_string_equal(why, "value is not a JSON object");
        break;
    case MALFORMED_MISSING_FIELD:
        snprintf(expected, sizeof(expected), "missing field '%s'", field);
        assert_string_equal(why, expected);
        break;
    case MALFORMED_WRONG_TYPE:
        snprintf(expected, sizeof(expected), "field '%s' ", field);
        if (strncmp(why, expected, strlen(expected)) != 0 || strcmp(why, unmatched) == 0)
            fail_msg("claimed a wrong %s, rejected as: %s", field, why);
        break;
    case MALFORMED_LATE:
        assert_string_equal(why, "late event");
        /* Far behind: late as well on a partition whose newest record is
         * half a minute older than the stream's. */
        assert_true(behind_ms >= 30 * 1000);
        break;
    case MALFORMED_UNMATCHED:
        assert_string_equal(field, "event");
        assert_string_equal(why, unmatched);
        break;
    }
}

/* Particular wrong values that must be among a profile's faults. */
enum variant_test { VALUE_IS, EMPTY_STRING, HOLDS_NUL, A_STRING, NEGATIVE, PAST_YEAR_9999 };

struct variant {
    const char *field;
    enum variant_test test;
    const char *json; /* for VALUE_IS */
};

static bool variant_matches(const struct variant *variant, const json_t *value)
{
    json_t *wanted;
    bool equal;

    switch (variant->test) {
    case VALUE_IS:
        wanted = json_loads(variant->json, JSON_DECODE_ANY, NULL);
        assert_non_null(wanted);
        equal = json_equal(wanted, value);
        json_decref(wanted);
        return equal;
    case EMPTY_STRING:
        return json_is_string(value) && json_string_length(value) == 0;
    case HOLDS_NUL:
        return json_is_string(value) &&
               strlen(json_string_value(value)) < json_string_length(value);
    case A_STRING:
        return json_is_string(value);
    case NEGATIVE:
        return json_is_integer(value) && json_integer_value(value) < 0;
    case PAST_YEAR_9999:
        return json_is_integer(value) && json_integer_value(value) > TIME_MAX_MS;
    }
    return false;
}

static const char *const clickstream_reasons[] = {
    "value is not JSON",
    "value is not a JSON object",
    "missing field 'timestamp'",
    "missing field 'userid'",
    "missing field 'page'",
    "missing field 'action'",
    "missing field 'rating'",
    "field 'timestamp' must be an ISO-8601 time or epoch milliseconds",
    "field 'timestamp' is out of range (years 0000 to 9999)",
    "field 'userid' must be a non-empty string",
    "field 'page' must be a non-empty string",
    "field 'action' must be a non-empty string",
    "field 'rating' must be an integer from 1 to 5",
    "late event",
    NULL,
};

static const struct variant clickstream_variants[] = {
    { "rating", VALUE_IS, "0" },
    { "rating", VALUE_IS, "6" },
    { "rating", VALUE_IS, "3.5" },
    { "rating", VALUE_IS, "\"five\"" },
    { "userid", EMPTY_STRING, NULL },
    { "page", EMPTY_STRING, NULL },
    { "action", EMPTY_STRING, NULL },
    { "userid", HOLDS_NUL, NULL },
    { "page", HOLDS_NUL, NULL },
    { "timestamp", NEGATIVE, NULL },
    { "timestamp", PAST_YEAR_9999, NULL },
    { NULL, VALUE_IS, NULL },
};

static const char *const iot_reasons[] = {
    "value is not JSON",
    "value is not a JSON object",
    "missing field 'device_id'",
    "missing field 'ts'",
    "missing field 'temperature'",
    "missing field 'pressure'",
    "missing field 'humidity'",
    "field 'device_id' must be a non-empty string",
    "field 'ts' must be an ISO-8601 time or epoch milliseconds",
    "field 'ts' is out of range (years 0000 to 9999)",
    "field 'temperature' must be a number",
    "field 'pressure' must be a number",
    "field 'humidity' must be a number",
    "late event",
    NULL,
};

static const struct variant iot_variants[] = {
    { "temperature", A_STRING, NULL },
    { "humidity", A_STRING, NULL },
    { "device_id", EMPTY_STRING, NULL },
    { "device_id", HOLDS_NUL, NULL },
    { "ts", NEGATIVE, NULL },
    { "ts", PAST_YEAR_9999, NULL },
    { NULL, VALUE_IS, NULL },
};

static const char *const chat_reasons[] = {
    "value is not JSON",
    "value is not a JSON object",
    "missing field 'conversation_id'",
    "field 'conversation_id' must be a non-empty string",
    "missing field 'ts'",
    "field 'ts' must be an ISO-8601 time or epoch milliseconds",
    "field 'ts' must be a time from year 0000 to 9999",
    "field 'event' must be \"closed\"",
    "missing field 'sender'",
    "field 'sender' must be customer, agent or bot",
    "missing field 'agent_id'",
    "field 'agent_id' must be a non-empty string",
    "missing field 'text'",
    "field 'text' must be a string",
    "late event",
    "field 'event' closes a conversation with no messages",
    NULL,
};

static const struct variant chat_variants[] = {
    { "conversation_id", EMPTY_STRING, NULL },
    { "conversation_id", HOLDS_NUL, NULL },
    { "agent_id", EMPTY_STRING, NULL },
    { "ts", PAST_YEAR_9999, NULL },
    { NULL, VALUE_IS, NULL },
};

struct rejection_expectations {
    const char *profile;
    const char *const *reasons;
    const struct variant *variants;
};

static const struct rejection_expectations rejection_expectations[] = {
    { "clickstream", clickstream_reasons, clickstream_variants },
    { "iot", iot_reasons, iot_variants },
    { "chat", chat_reasons, chat_variants },
};

#define MAX_REASONS 32

/*
 * At 5% bad, 20,000 records of each profile meet every rejection reason of
 * its plugin's README, and the wrong values asked of them; each bad record
 * is rejected for what it claims, and each good one taken, by a model of
 * the plugin written from its README (one partition).
 */
static void test_every_rejection_reason_at_five_percent(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        const struct rejection_expectations *expect = &rejection_expectations[p];
        const struct profile_checks *profile = checks_for(expect->profile);
        struct event_generator *generator = new_generator(expect->profile, 17, 0.05);
        json_t *unmatched_ids = json_array();
        int reasons_seen[MAX_REASONS] = { 0 }, variants_seen[MAX_REASONS] = { 0 };
        int never_opened = 0;
        struct plugin_model model;

        model_init(&model, expect->profile);
        for (int i = 0; i < 20000; i++) {
            struct generated_record record;
            int64_t behind_ms = 0;
            char buf[160];
            const char *why;
            size_t r;

            next(generator, &record);
            why = model_apply(&model, &record, &behind_ms, buf, sizeof(buf));
            if (record.malformed == MALFORMED_NONE) {
                if (why != NULL)
                    fail_msg("%s record %d is good but rejected (%s): %.*s", profile->name, i,
                             why, (int)record.value_len, record.value);
                continue;
            }
            if (why == NULL)
                fail_msg("%s record %d is %s but accepted: %.*s", profile->name, i,
                         malformed_kind_name(record.malformed), (int)record.value_len,
                         record.value);
            assert_malformed_as_claimed(profile, &record);
            assert_reason_fits_claim(&record, why, behind_ms);
            for (r = 0; expect->reasons[r] != NULL && strcmp(expect->reasons[r], why) != 0; r++)
                ;
            if (expect->reasons[r] == NULL)
                fail_msg("%s: a reason the README does not list: %s", profile->name, why);
            reasons_seen[r]++;
            if (record.malformed == MALFORMED_WRONG_TYPE) {
                json_t *root = load_as_host(&record);

                for (size_t v = 0; expect->variants[v].field != NULL; v++) {
                    const struct variant *variant = &expect->variants[v];

                    if (strcmp(variant->field, record.malformed_field) == 0 &&
                        variant_matches(variant, json_object_get(root, variant->field)))
                        variants_seen[v]++;
                }
                json_decref(root);
            }
            if (record.malformed == MALFORMED_UNMATCHED)
                json_array_append_new(unmatched_ids,
                                      json_stringn(record.key, record.key_len));
        }
        for (size_t r = 0; expect->reasons[r] != NULL; r++) {
            if (reasons_seen[r] == 0)
                fail_msg("%s: never rejected as: %s", profile->name, expect->reasons[r]);
        }
        for (size_t v = 0; expect->variants[v].field != NULL; v++) {
            if (variants_seen[v] == 0)
                fail_msg("%s: no wrong value of kind %d for %s", profile->name,
                         (int)expect->variants[v].test, expect->variants[v].field);
        }
        if (strcmp(expect->profile, "chat") == 0) {
            size_t index;
            json_t *id;

            /* Closes for ids no message ever opened, to the end. */
            json_array_foreach(unmatched_ids, index, id) {
                struct chat_session *session = find_session(&model, json_string_value(id), false);

                never_opened += session == NULL || session->sessions == 0;
            }
            assert_true(never_opened > 10);
            /* Customers back after their conversation closed: second sessions. */
            assert_true(model.returning > 10);
        }
        json_decref(unmatched_ids);
        model_free(&model);
        event_generator_free(generator);
    }
}

static void test_every_record_bad_at_ratio_one(void **unused)
{
    struct event_generator *generator = new_generator("iot", 1, 1.0);

    for (int i = 0; i < 1000; i++) {
        struct generated_record record;

        next(generator, &record);
        assert_int_not_equal(record.malformed, MALFORMED_NONE);
        assert_malformed_as_claimed(checks_for("iot"), &record);
    }
    event_generator_free(generator);
}

static int compare_descending(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x < y) - (x > y);
}

static void test_clickstream_popularity_and_ratings(void **unused)
{
    struct event_generator *generator = new_generator("clickstream", 8, 0);
    static int page_views[1001];
    int users[10001] = { 0 }, ratings[6] = { 0 }, actions_seen = 0;
    int distinct_users = 0;

    memset(page_views, 0, sizeof(page_views));
    for (int i = 0; i < 200000; i++) {
        struct generated_record record;
        json_t *root;
        const char *page, *action;

        next(generator, &record);
        root = json_loadb(record.value, record.value_len, 0, NULL);
        assert_non_null(root);
        page = json_string_value(json_object_get(root, "page"));
        action = json_string_value(json_object_get(root, "action"));
        if (strncmp(page, "/product", 8) == 0 && strcmp(action, "view") == 0) {
            int id = atoi(page + 8);

            assert_in_range(id, 1, 1000);
            page_views[id]++;
        }
        users[atoi(json_string_value(json_object_get(root, "userid")) + 4)]++;
        if (strcmp(action, "rating") == 0)
            ratings[json_integer_value(json_object_get(root, "rating"))]++;
        actions_seen |= 1 << (strcmp(action, "view") == 0 ? 0 :
                              strcmp(action, "search") == 0 ? 1 :
                              strcmp(action, "add_to_cart") == 0 ? 2 :
                              strcmp(action, "remove_from_cart") == 0 ? 3 :
                              strcmp(action, "purchase") == 0 ? 4 : 5);
        json_decref(root);
    }
    qsort(page_views, 1001, sizeof(int), compare_descending);
    /* Zipf with s = 1.125: rank 1 expects 100^1.125 (~178) times rank 100. */
    assert_true(page_views[0] > 20 * page_views[99]);
    assert_true(page_views[99] > 0);
    for (int i = 1; i <= 10000; i++)
        distinct_users += users[i] > 0;
    assert_true(distinct_users > 5000);
    assert_int_equal(ratings[0], 0);
    for (int r = 1; r <= 5; r++)
        assert_true(ratings[r] > 100);
    assert_int_equal(actions_seen, 0x3f);
    event_generator_free(generator);
}

/* Users act in sessions: their events come close together. */
static void test_clickstream_users_come_in_sessions(void **unused)
{
    struct event_generator *generator = new_generator("clickstream", 4, 0);
    char previous[64][32];
    int repeats = 0;
    const int n = 20000;

    for (int i = 0; i < n; i++) {
        struct generated_record record;

        next(generator, &record);
        assert_true(record.key_len < 32);
        for (int k = 0; k < 64 && k < i; k++) {
            if (strlen(previous[k]) == record.key_len &&
                memcmp(previous[k], record.key, record.key_len) == 0) {
                repeats++;
                break;
            }
        }
        memcpy(previous[i % 64], record.key, record.key_len);
        previous[i % 64][record.key_len] = '\0';
    }
    /* Independent draws from 10,000 users would repeat within 64 events
     * rarely (well under 10%); sessions make it the common case. */
    assert_true(repeats > n / 2);
    event_generator_free(generator);
}

static void test_iot_episodes_cross_thresholds_and_recover(void **unused)
{
    struct event_generator *generator = new_generator("iot", 6, 0);
    bool last_hot[201] = { false }, last_low[201] = { false };
    bool ever_hot[201] = { false }, ever_low[201] = { false };
    int hot = 0, low = 0, epoch_ts = 0, devices = 0, still_in_episode = 0;
    const int n = 200000;

    for (int i = 0; i < n; i++) {
        struct generated_record record;
        json_t *root;
        int device;
        double temperature, pressure;

        next(generator, &record);
        root = json_loadb(record.value, record.value_len, 0, NULL);
        device = atoi(json_string_value(json_object_get(root, "device_id")) + 4);
        assert_in_range(device, 1, 200);
        temperature = json_number_value(json_object_get(root, "temperature"));
        pressure = json_number_value(json_object_get(root, "pressure"));
        epoch_ts += json_is_integer(json_object_get(root, "ts"));
        last_hot[device] = temperature > 30;
        last_low[device] = pressure < 990;
        ever_hot[device] |= last_hot[device];
        ever_low[device] |= last_low[device];
        hot += last_hot[device];
        low += last_low[device];
        json_decref(root);
    }
    assert_true(hot > 0 && hot < n / 20);
    assert_true(low > 0 && low < n / 20);
    /* Both ts forms occur. */
    assert_true(epoch_ts > n / 10 && epoch_ts < n * 6 / 10);
    for (int d = 1; d <= 200; d++) {
        devices += ever_hot[d] || ever_low[d];
        still_in_episode += last_hot[d] || last_low[d];
    }
    /* Many devices had an episode; episodes are short, so few are still
     * in one at the end. */
    assert_true(devices > 10);
    assert_true(still_in_episode < devices / 2);
    event_generator_free(generator);
}

/*
 * Conversations open with the customer and end with a close or not at
 * all; a customer may come back under the same id, as a new session that
 * starts a session gap (beyond any lateness) after the close.
 */
static void test_chat_conversations(void **unused)
{
    enum { N = 100000, MAX_CONVERSATIONS = 40000 };
    struct event_generator *generator = new_generator("chat", 2, 0);
    static bool open[MAX_CONVERSATIONS], closed_before[MAX_CONVERSATIONS];
    static int64_t closed_at[MAX_CONVERSATIONS];
    static int session_start[MAX_CONVERSATIONS];
    int open_now = 0, most_open = 0, non_ascii = 0, sessions = 0, closes = 0, returning = 0;
    int first_half_started = 0, first_half_closed = 0;

    memset(open, 0, sizeof(open));
    memset(closed_before, 0, sizeof(closed_before));
    for (int i = 0; i < N; i++) {
        struct generated_record record;
        json_t *root;
        const json_t *text;
        int conversation;
        bool is_close;

        next(generator, &record);
        root = json_loadb(record.value, record.value_len, 0, NULL);
        conversation = atoi(json_string_value(json_object_get(root, "conversation_id")) + 5);
        assert_in_range(conversation, 1, MAX_CONVERSATIONS - 1);
        is_close = json_object_get(root, "event") != NULL;
        if (!open[conversation]) {
            /* A session opens with the customer... */
            assert_false(is_close);
            assert_string_equal(json_string_value(json_object_get(root, "sender")), "customer");
            /* ...and a second one a session gap after the first closed. */
            if (closed_before[conversation]) {
                assert_true(record.event_ms - closed_at[conversation] >
                            SESSION_GAP_MS + LATENESS_MS);
                returning++;
            }
            open[conversation] = true;
            session_start[conversation] = i;
            sessions++;
            first_half_started += i < N / 2;
            open_now++;
        }
        if (is_close) {
            open[conversation] = false;
            closed_before[conversation] = true;
            closed_at[conversation] = record.event_ms;
            closes++;
            first_half_closed += session_start[conversation] < N / 2;
            open_now--;
        }
        if (open_now > most_open)
            most_open = open_now;
        text = json_object_get(root, "text");
        if (text != NULL) {
            for (const char *c = json_string_value(text); *c; c++) {
                if ((unsigned char)*c >= 0x80) {
                    non_ascii++;
                    break;
                }
            }
        }
        json_decref(root);
    }
    /* Sessions started in the first half have had time to finish: about
     * nine in ten close, the others are left open. */
    assert_true(most_open >= 100);
    assert_true(first_half_closed > first_half_started * 8 / 10);
    assert_true(first_half_closed < first_half_started * 97 / 100);
    assert_true(closes > 0 && sessions > 1000);
    assert_in_range(returning, 50, sessions / 10);
    assert_true(non_ascii > N / 50);
    event_generator_free(generator);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_profile_is_refused),
        cmocka_unit_test(test_same_seed_same_bytes_other_seed_other_bytes),
        cmocka_unit_test(test_bad_ratio_leaves_good_records_in_place),
        cmocka_unit_test(test_good_records_match_their_format),
        cmocka_unit_test(test_event_time_spans_minutes_mostly_in_order),
        cmocka_unit_test(test_bad_records_share_and_honesty),
        cmocka_unit_test(test_every_rejection_reason_at_five_percent),
        cmocka_unit_test(test_every_record_bad_at_ratio_one),
        cmocka_unit_test(test_clickstream_popularity_and_ratings),
        cmocka_unit_test(test_clickstream_users_come_in_sessions),
        cmocka_unit_test(test_iot_episodes_cross_thresholds_and_recover),
        cmocka_unit_test(test_chat_conversations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
