/*
 * The shipped chat_analytics plugin, loaded as pipehost loads it and run
 * against a fake host. The golden tests in plugins/chat_analytics/tests
 * cover the analytics record by record; this covers what they cannot:
 * configuration errors, a host that refuses output, many conversations at
 * once (table growth and deletion, the deadline heap), checkpoint texts,
 * and restarts at every commit point of generated streams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test_host.h"

static int setup(void **state)
{
    plugin_test *fixture = plugin_test_new(SHIPPED_PLUGIN_DIR "/chat_analytics.so");

    if (fixture == NULL)
        return -1;
    fixture->host.keys_required = 1;
    *state = fixture;
    return 0;
}

#define SMALL_LEXICON "\"lexicon\": {\"positive\": [\"thanks\"], \"negative\": [\"bad\"]}"
#define SMALL_TOPICS "\"topics\": {\"billing\": [\"invoice\"]}"

/* The config the host would build: every field set, durations in ms. */
#define CONFIG(gap_ms, lateness_ms, rest)                                                 \
    "{\"session_gap\": " #gap_ms ", \"allowed_lateness\": " #lateness_ms ", " rest "}"

static ph_status process_text(plugin_test *fixture, const char *text, int64_t offset)
{
    ph_record record = {
        .value = text,
        .value_len = strlen(text),
        .topic = "chat",
        .offset = offset,
        .timestamp_ms = -1,
    };

    return plugin_test_process(fixture, &record, 1);
}

static ph_status flush(plugin_test *fixture, ph_flush_mode mode, int64_t *retain)
{
    return plugin_test_flush(fixture, mode, retain);
}

/* ---- tests -------------------------------------------------------------------- */

static void test_descriptor(void **state)
{
    plugin_test *fixture = *state;
    const ph_descriptor *descriptor = fixture->plugin->descriptor;
    static const struct {
        const char *name;
        ph_config_type type;
        const char *default_value;
    } expected[] = {
        {"session_gap", PH_CONFIG_DURATION, "30m"},
        {"allowed_lateness", PH_CONFIG_DURATION, "10s"},
        {"lexicon", PH_CONFIG_MAP, NULL},
        {"topics", PH_CONFIG_MAP, NULL},
    };

    assert_string_equal(fixture->plugin->name, "chat_analytics");
    assert_int_equal(descriptor->kind, PH_KIND_PROCESSOR);
    assert_int_equal(descriptor->config_field_count, 4);
    for (size_t i = 0; i < 4; i++) {
        const ph_config_field *field = &descriptor->config_fields[i];

        assert_string_equal(field->name, expected[i].name);
        assert_int_equal(field->type, expected[i].type);
        assert_false(field->required);
        assert_non_null(field->default_value);
        if (expected[i].default_value != NULL)
            assert_string_equal(field->default_value, expected[i].default_value);
    }
}

static void test_init_errors(void **state)
{
    plugin_test *fixture = *state;
    char many_topics[4096];
    size_t used;

    plugin_test_assert_init_fails(fixture, CONFIG(0, 0, SMALL_LEXICON ", " SMALL_TOPICS),
                                  "session_gap: expected a duration from 1ms to 365d");
    plugin_test_assert_init_fails(fixture, CONFIG(31536000001, 0, SMALL_LEXICON ", " SMALL_TOPICS),
                                  "session_gap: expected a duration from 1ms to 365d");
    plugin_test_assert_init_fails(fixture, CONFIG(1000, -1, SMALL_LEXICON ", " SMALL_TOPICS),
                                  "allowed_lateness: expected a duration from 0s to 365d");
    plugin_test_assert_init_fails(fixture, CONFIG(1000, 0, "\"lexicon\": [], " SMALL_TOPICS),
                                  "lexicon: expected a mapping with 'positive' and 'negative'");
    plugin_test_assert_init_fails(
        fixture, CONFIG(1000, 0, "\"lexicon\": {\"neutral\": []}, " SMALL_TOPICS),
        "lexicon: unknown list 'neutral' (expected positive or negative)");
    plugin_test_assert_init_fails(
        fixture, CONFIG(1000, 0, "\"lexicon\": {\"positive\": \"x\"}, " SMALL_TOPICS),
        "lexicon.positive: expected a list of words");
    plugin_test_assert_init_fails(
        fixture, CONFIG(1000, 0, "\"lexicon\": {\"positive\": [\"a\", 5]}, " SMALL_TOPICS),
        "lexicon.positive: item 1 is not a string");
    plugin_test_assert_init_fails(
        fixture, CONFIG(1000, 0, "\"lexicon\": {\"negative\": [\"log in\"]}, " SMALL_TOPICS),
        "lexicon.negative: \"log in\" is not a single word (letters, digits "
        "and non-ASCII characters)");
    plugin_test_assert_init_fails(
        fixture, CONFIG(1000, 0, "\"lexicon\": {\"negative\": [\"\"]}, " SMALL_TOPICS),
        "lexicon.negative: \"\" is not a single word (letters, digits and "
        "non-ASCII characters)");
    plugin_test_assert_init_fails(
        fixture,
        CONFIG(1000, 0,
               "\"lexicon\": {\"positive\": [\"Fine\"], \"negative\": [\"fINE\"]}, " SMALL_TOPICS),
        "lexicon: \"fINE\" is both positive and negative");
    plugin_test_assert_init_fails(
        fixture,
        CONFIG(1000, 0,
               "\"lexicon\": {\"positive\": [\"a123456789b123456789c123456789"
               "d123456789e123456789f123456789g12345\"]}, " SMALL_TOPICS),
        "lexicon.positive: \"a123456789b123456789c123456789d123456789e1234567"
        "89f123456789g12345\" is longer than 64 bytes");
    plugin_test_assert_init_fails(fixture, CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": 3"),
                                  "topics: expected a mapping of topic name to keywords");
    plugin_test_assert_init_fails(fixture,
                                  CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": {\"x\": []}"),
                                  "topics.x: expected at least one keyword");
    plugin_test_assert_init_fails(fixture,
                                  CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": {\"\": [\"a\"]}"),
                                  "topics: a topic name must not be empty");
    plugin_test_assert_init_fails(fixture,
                                  CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": {\"x\": [\"a-b\"]}"),
                                  "topics.x: \"a-b\" is not a single word (letters, digits and "
                                  "non-ASCII characters)");

    used = (size_t)snprintf(many_topics, sizeof(many_topics),
                            "{\"session_gap\": 1000, \"allowed_lateness\": 0, " SMALL_LEXICON
                            ", \"topics\": {");
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(many_topics + used, sizeof(many_topics) - used,
                                 "%s\"t%d\": [\"w%d\"]", i > 0 ? ", " : "", i, i);
    snprintf(many_topics + used, sizeof(many_topics) - used, "}}");
    plugin_test_assert_init_fails(fixture, many_topics, "topics: at most 64 topics");
}

/* 64 topics is the limit, and the last one still reports. */
static void test_sixty_four_topics(void **state)
{
    plugin_test *fixture = *state;
    char config[4096];
    size_t used;
    json_t *value;
    char *topics;
    int64_t retain;

    used = (size_t)snprintf(config, sizeof(config),
                            "{\"session_gap\": 1000, \"allowed_lateness\": 0, " SMALL_LEXICON
                            ", \"topics\": {");
    for (int i = 0; i < 64; i++)
        used += (size_t)snprintf(config + used, sizeof(config) - used, "%s\"t%02d\": [\"w%d\"]",
                                 i > 0 ? ", " : "", i, i);
    snprintf(config + used, sizeof(config) - used, "}}");
    plugin_test_start(fixture, config);

    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"c\", \"ts\": 5, \"sender\": "
                                  "\"customer\", \"text\": \"W63 w0 w7\"}",
                                  0),
                     PH_OK);
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 0);
    assert_int_equal(fixture->host.emit_count, 1);
    value = test_host_emitted_json(&fixture->host, 0);
    topics = json_dumps(json_object_get(value, "topics"), JSON_COMPACT);
    assert_non_null(topics);
    assert_string_equal(topics, "[\"t00\",\"t07\",\"t63\"]");
    free(topics);
}

static void test_emit_failure_is_fatal(void **state)
{
    plugin_test *fixture = *state;
    int64_t retain;

    plugin_test_start(fixture, CONFIG(1000, 0, SMALL_LEXICON ", " SMALL_TOPICS));
    fixture->host.emit_fails = 1;
    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"a\", \"ts\": 0, \"sender\": "
                                  "\"customer\", \"text\": \"hi\"}",
                                  0),
                     PH_OK);
    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"b\", \"ts\": 10, \"sender\": "
                                  "\"customer\", \"text\": \"hi\"}",
                                  1),
                     PH_OK);
    /* Closing emits at once. */
    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"a\", \"ts\": 20, \"event\": "
                                  "\"closed\"}",
                                  2),
                     PH_FATAL);
    /* Expiry by the watermark emits too. */
    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"c\", \"ts\": 5000, \"sender\": "
                                  "\"customer\", \"text\": \"hi\"}",
                                  3),
                     PH_FATAL);
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_FATAL);
    assert_int_equal(fixture->host.emit_count, 0);
}

/* The emitted values by key; each key must come once. */
static json_t *emitted_by_key(plugin_test *fixture)
{
    json_t *by_key = json_object();

    assert_non_null(by_key);
    for (size_t i = 0; i < fixture->host.emit_count; i++) {
        const char *key = fixture->host.emits[i].key;

        assert_null(json_object_get(by_key, key));
        assert_int_equal(json_object_set(by_key, key, test_host_emitted_json(&fixture->host, i)),
                         0);
    }
    return by_key;
}

static int64_t integer_at(const json_t *object, const char *key)
{
    const json_t *value = json_object_get(object, key);

    assert_true(json_is_integer(value));
    return json_integer_value(value);
}

/* Whether conversation i of test_many_conversations is open at the end:
 * not closed, and its last message + the gap beyond the watermark (the
 * latest time seen, as there is no lateness). */
static int ends_open(int64_t i, int64_t gap_s, int64_t latest_s)
{
    return i % 3 != 0 && i + 60 + gap_s > latest_s;
}

/* Whether conversation i is still held at the end: open, or ended and the
 * watermark short of its latest record (the close at 90 s, else the
 * customer's message at 60 s) + 2 gaps. */
static int ends_held(int64_t i, int64_t gap_s, int64_t latest_s)
{
    int64_t last_record_s = i + (i % 3 == 0 ? 90 : 60);

    return ends_open(i, gap_s, latest_s) || last_record_s + 2 * gap_s > latest_s;
}

static size_t count_open(int64_t count, int64_t gap_s, int64_t latest_s)
{
    size_t open = 0;

    for (int64_t i = 0; i < count; i++)
        open += (size_t)ends_open(i, gap_s, latest_s);
    return open;
}

/*
 * Many conversations at once, interleaved: conversation i (of COUNT)
 * opens at i seconds with a customer message, the agent answers i % 50
 * seconds later, and the customer writes again 60 s after opening. Every
 * third one is closed at 90 s after opening; the others end by the
 * 10-minute session gap, but for the last few, still open at the end.
 * Records arrive in event-time order.
 */
static void test_many_conversations(void **state)
{
    enum { COUNT = 20000, GAP_S = 600 };
    plugin_test *fixture = *state;
    char text[256];
    int64_t offset = 0, retain = -2;
    int64_t *first_offset = calloc(COUNT, sizeof(*first_offset));
    int64_t oldest_held = -1, latest_s = 0;
    json_t *by_key;
    size_t final_count = 0, open_count = 0;

    assert_non_null(first_offset);
    plugin_test_start(fixture, CONFIG(600000, 0, SMALL_LEXICON ", " SMALL_TOPICS));

    /* Event time runs in seconds from 0 to COUNT + 90; at second s, send
     * every record due then, step by step, in conversation order. */
    for (int64_t s = 0; s <= COUNT + 90; s++) {
        struct {
            int64_t delay;
            const char *body;
        } steps[] = {
            {0, "\"sender\": \"customer\", \"text\": \"bad\""},
            {-1, "\"sender\": \"agent\", \"agent_id\": \"ag\", \"text\": \"invoice\""},
            {60, "\"sender\": \"customer\", \"text\": \"thanks\""},
            {90, "\"event\": \"closed\""},
        };

        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
            for (int64_t i = s - 90; i <= s; i++) {
                int64_t delay = steps[k].delay < 0 ? i % 50 : steps[k].delay;

                if (i < 0 || i >= COUNT || i + delay != s)
                    continue;
                if (k == 3 && i % 3 != 0)
                    continue;
                if (k == 0)
                    first_offset[i] = offset;
                latest_s = s;
                snprintf(text, sizeof(text),
                         "{\"conversation_id\": \"conv-%" PRId64 "\", \"ts\": %" PRId64 ", %s}",
                         i, s * 1000, steps[k].body);
                assert_int_equal(process_text(fixture, text, offset++), PH_OK);
            }
        }
    }
    assert_int_equal(fixture->host.reject_count, 0);
    for (int64_t i = 0; i < COUNT; i++) {
        if (ends_held(i, GAP_S, latest_s) &&
            (oldest_held < 0 || first_offset[i] < oldest_held))
            oldest_held = first_offset[i];
    }
    assert_true(oldest_held >= 0);
    assert_int_equal(flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, oldest_held);
    assert_int_equal(fixture->host.emit_count,
                     COUNT - count_open(COUNT, GAP_S, latest_s));
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, oldest_held);
    free(first_offset);

    by_key = emitted_by_key(fixture);
    assert_int_equal(json_object_size(by_key), COUNT);
    for (int64_t i = 0; i < COUNT; i++) {
        char key[32];
        const json_t *value, *messages;
        int64_t answer = i % 50;
        int closed = i % 3 == 0;

        snprintf(key, sizeof(key), "conv-%" PRId64, i);
        value = json_object_get(by_key, key);
        assert_non_null(value);
        messages = json_object_get(value, "messages");
        assert_int_equal(integer_at(messages, "customer"), 2);
        assert_int_equal(integer_at(messages, "agent"), 1);
        assert_int_equal(integer_at(value, "first_response_s"), answer);
        assert_int_equal(integer_at(value, "avg_response_s"), answer);
        assert_int_equal(integer_at(value, "duration_s"), closed ? 90 : 60);
        assert_int_equal(integer_at(value, "sentiment"), 0);
        if (json_is_true(json_object_get(value, "final"))) {
            assert_false(ends_open(i, GAP_S, latest_s));
            final_count++;
        } else {
            open_count++;
            assert_true(ends_open(i, GAP_S, latest_s));
        }
    }
    assert_int_equal(open_count, count_open(COUNT, GAP_S, latest_s));
    assert_int_equal(final_count, COUNT - count_open(COUNT, GAP_S, latest_s));
    json_decref(by_key);
}

/* ---- checkpoints and restarts ------------------------------------------------ */

#define GAP_1S CONFIG(1000, 0, SMALL_LEXICON ", " SMALL_TOPICS)

static void assert_flush(plugin_test *fixture, ph_flush_mode mode, int64_t retain,
                         const char *checkpoint)
{
    int64_t actual = -2;
    size_t set_before = fixture->host.checkpoints_set;

    assert_int_equal(flush(fixture, mode, &actual), PH_OK);
    assert_int_equal(actual, retain);
    assert_int_equal(fixture->host.checkpoints_set, set_before + 1);
    assert_string_equal(fixture->host.checkpoint, checkpoint);
}

static void process_ok(plugin_test *fixture, const char *text, int64_t offset)
{
    assert_int_equal(process_text(fixture, text, offset), PH_OK);
}

/*
 * The retain offset follows the oldest held id, open or ended, and the
 * checkpoint is the latest event time before its first record. Session gap
 * 1 s, no lateness: an ended id is let go when the watermark reaches the
 * latest time of its records + 2 s.
 */
static void test_checkpoint_follows_oldest_held(void **state)
{
    plugin_test *fixture = *state;

    plugin_test_start(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=none");

    /* A close with no conversation holds nothing, but sets the time. */
    process_ok(fixture, "{\"conversation_id\": \"z\", \"ts\": 5000, \"event\": \"closed\"}", 0);
    assert_string_equal(test_host_last_reason(&fixture->host),
                        "field 'event' closes a conversation with no messages");
    /* 4500 + 1000 > 5000: not late; a is held from offset 1. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 4500, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 1, "latest=5000");
    /* Closed (emitted) at 4600, a stays held until the watermark is 6600. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 4600, \"event\": \"closed\"}", 2);
    assert_int_equal(fixture->host.emit_count, 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 1, "latest=5000");
    /* b is held from offset 3; the latest time before it is still 5000. */
    process_ok(fixture, "{\"conversation_id\": \"b\", \"ts\": 6000, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 3);
    /* Late for a (5500 < 4600 + 1000), and keeps a held until 7500. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 5500, \"sender\": \"customer\", "
                        "\"text\": \"and\"}", 4);
    assert_string_equal(test_host_last_reason(&fixture->host), "late event");
    /* The watermark 7000 ends b (deadline 7000; held until 8000) but not a. */
    process_ok(fixture, "{\"conversation_id\": \"c\", \"ts\": 7000, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 5);
    assert_int_equal(fixture->host.emit_count, 2);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 1, "latest=5000");
    /* 7600 lets a go: b is now the oldest. */
    process_ok(fixture, "{\"conversation_id\": \"c\", \"ts\": 7600, \"sender\": \"agent\", "
                        "\"agent_id\": \"x\", \"text\": \"yes\"}", 6);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 3, "latest=5000");
    /* 8100 lets b go: c, held from 5, came after the latest time 6000. */
    process_ok(fixture, "{\"conversation_id\": \"c\", \"ts\": 8100, \"sender\": \"customer\", "
                        "\"text\": \"ok\"}", 7);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 5, "latest=6000");
    process_ok(fixture, "{\"conversation_id\": \"c\", \"ts\": 8200, \"event\": \"closed\"}", 8);
    assert_int_equal(fixture->host.emit_count, 3);
    /* 20000 lets c go: nothing is held, the checkpoint is the latest time. */
    process_ok(fixture, "{\"conversation_id\": \"d\", \"ts\": 20000, \"event\": \"closed\"}", 9);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=20000");
    assert_flush(fixture, PH_FLUSH_FINAL, PH_OFFSET_NONE, "latest=20000");
    assert_int_equal(fixture->host.emit_count, 3);
    assert_int_equal(fixture->host.reject_count, 3);
    assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), 0);
}

/* A restored checkpoint is the latest event time: the watermark trails it. */
static void test_checkpoint_restored(void **state)
{
    plugin_test *fixture = *state;

    fixture->host.restored_checkpoint = "latest=5000";
    plugin_test_start(fixture, CONFIG(1000, 500, SMALL_LEXICON ", " SMALL_TOPICS));
    /* Watermark 4500: 3499 + 1000 <= 4500 is late, 3501 is not. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 3499, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 10);
    assert_int_equal(fixture->host.reject_count, 1);
    assert_string_equal(test_host_last_reason(&fixture->host), "late event");
    process_ok(fixture, "{\"conversation_id\": \"b\", \"ts\": 3501, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 11);
    assert_int_equal(fixture->host.reject_count, 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 11, "latest=5000");
    assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), 0);
}

/* A text the plugin did not write: one warning, and a fresh start. */
static void test_checkpoint_malformed(void **state)
{
    static const struct {
        const char *text;
        size_t warnings;
    } cases[] = {
        {"", 1},
        {"latest=", 1},
        {"latest=abc", 1},
        {"latest=+5", 1},
        {"latest= 5", 1},
        {"latest=5x", 1},
        {"latest=-", 1},
        {"latest=99999999999999999999", 1},
        {"latest=253402300800000", 1}, /* year 10000 */
        {"Latest=5", 1},
        {"watermark=5", 1},
        {"{\"latest\": 5}", 1},
        {"latest=none", 0},
    };
    plugin_test *fixture = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_host_clear(&fixture->host);
        fixture->host.restored_checkpoint = cases[i].text;
        plugin_test_start(fixture, GAP_1S);
        assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), cases[i].warnings);
        /* With no watermark, the oldest time there is is not late. */
        process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": \"0000-01-01T00:00:00Z\", "
                            "\"sender\": \"customer\", \"text\": \"hi\"}", 0);
        assert_int_equal(fixture->host.reject_count, 0);
        assert_flush(fixture, PH_FLUSH_CHECKPOINT, 0, "latest=none");
        plugin_test_destroy(fixture);
    }
    /* The extremes of the accepted range restore. */
    fixture->host.restored_checkpoint = "latest=-62167219200000";
    plugin_test_start(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=-62167219200000");
    plugin_test_destroy(fixture);
    fixture->host.restored_checkpoint = "latest=253402300799999";
    plugin_test_start(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=253402300799999");
    assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), 0);
}

/* ---- restarts of generated streams ---- */

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64* */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C(2685821657736338717);
}

static int64_t random_below(uint64_t *state, int64_t bound)
{
    return (int64_t)(next_random(state) % (uint64_t)bound);
}

enum { STREAM_LENGTH = 240, RECORD_TEXT_MAX = 160 };

/*
 * A partition of support chats over a few ids: event time advances 0-4 s
 * per record, most records trail it by up to 2 s, some by up to 40 s
 * (late, or out of order within a conversation); one in ten is a close,
 * a few are invalid. With a 10 s gap and 3 s lateness, conversations end
 * by gap and by close, restart under the same id, get late records, and
 * ids are let go and held again.
 */
static void generate_stream(uint64_t seed, size_t id_count,
                            char records[STREAM_LENGTH][RECORD_TEXT_MAX])
{
    static const char *const words[] = {"thanks", "bad", "invoice", "hello", "ok"};
    uint64_t random = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    int64_t now = 1000000;

    for (size_t i = 0; i < STREAM_LENGTH; i++) {
        int64_t ts, roll = random_below(&random, 100);
        char id[8];

        now += random_below(&random, 4001);
        ts = now - (random_below(&random, 100) < 15 ? random_below(&random, 40001)
                                                     : random_below(&random, 2001));
        snprintf(id, sizeof(id), "k%d", (int)random_below(&random, (int64_t)id_count));
        if (roll < 3)
            snprintf(records[i], RECORD_TEXT_MAX,
                     "{\"conversation_id\": \"%s\", \"ts\": %" PRId64 ", \"sender\": \"bot\"}",
                     id, ts);
        else if (roll < 13)
            snprintf(records[i], RECORD_TEXT_MAX,
                     "{\"conversation_id\": \"%s\", \"ts\": %" PRId64 ", \"event\": \"closed\"}",
                     id, ts);
        else if (roll < 50)
            snprintf(records[i], RECORD_TEXT_MAX,
                     "{\"conversation_id\": \"%s\", \"ts\": %" PRId64 ", \"sender\": \"agent\", "
                     "\"agent_id\": \"ag%d\", \"text\": \"%s\"}",
                     id, ts, (int)random_below(&random, 2), words[random_below(&random, 5)]);
        else
            snprintf(records[i], RECORD_TEXT_MAX,
                     "{\"conversation_id\": \"%s\", \"ts\": %" PRId64 ", \"sender\": \"%s\", "
                     "\"text\": \"%s\"}",
                     id, ts, roll < 90 ? "customer" : "bot", words[random_below(&random, 5)]);
    }
}

/* A commit the host made: resume at offset, replay up to next. */
typedef struct commit_point {
    int64_t offset;
    int64_t next;
    char checkpoint[PH_CHECKPOINT_MAX + 1];
} commit_point;

/* The events of a run: emissions (at the offset being processed, or
 * STREAM_LENGTH in the final flush), rejections (at their record's
 * offset) and flushes, in the order they came. */
typedef struct stream_log {
    json_t *events;
    size_t emits_seen;
    size_t rejects_seen;
} stream_log;

/* Log what the host took since the last look, in the order it took it. */
static void log_outputs(ph_context *host, stream_log *log, int64_t at)
{
    while (log->emits_seen < host->emit_count || log->rejects_seen < host->reject_count) {
        int emit_next = log->rejects_seen == host->reject_count ||
                        (log->emits_seen < host->emit_count &&
                         host->emits[log->emits_seen].sequence <
                             host->rejects[log->rejects_seen].sequence);
        json_t *event;

        if (emit_next) {
            size_t i = log->emits_seen++;

            event = json_pack("{s:s, s:O, s:I}", "key", host->emits[i].key, "value",
                              test_host_emitted_json(host, i), "at", (json_int_t)at);
        } else {
            const test_reject *reject = &host->rejects[log->rejects_seen++];

            event = json_pack("{s:s, s:I}", "reject", reject->reason, "at",
                              (json_int_t)reject->offset);
        }
        assert_int_equal(json_array_append_new(log->events, event), 0);
    }
}

/* Log a flush: the retain offset under name, and the checkpoint text. */
static void log_flush(ph_context *host, stream_log *log, const char *name, int64_t retain,
                      int64_t at)
{
    assert_int_equal(json_array_append_new(log->events,
                                           json_pack("{s:I, s:s, s:I}", name, (json_int_t)retain,
                                                     "checkpoint", host->checkpoint, "at",
                                                     (json_int_t)at)),
                     0);
}

/*
 * Run records [from, STREAM_LENGTH) with a checkpoint flush after every
 * multiple of every records and a final flush, replaying (output
 * suppressed) below replay_until. Flushes at or below replay_until are
 * left out, as they came before the crash. Returns the run's events;
 * commits, as the host would make them (never backwards), go to commits.
 */
static json_t *run_stream(plugin_test *fixture, char records[STREAM_LENGTH][RECORD_TEXT_MAX],
                          int64_t from, int64_t replay_until, int64_t every,
                          commit_point *commits, size_t *commit_count)
{
    ph_context *host = &fixture->host;
    stream_log log = {
        .events = json_array(),
        .emits_seen = host->emit_count,
        .rejects_seen = host->reject_count,
    };
    int64_t committed = -1, retain;

    assert_non_null(log.events);
    for (int64_t offset = from; offset < STREAM_LENGTH; offset++) {
        int64_t point;

        host->replaying = offset < replay_until;
        process_ok(fixture, records[offset], offset);
        host->replaying = 0;
        log_outputs(host, &log, offset);
        if ((offset + 1) % every != 0 || offset + 1 <= replay_until)
            continue;
        assert_int_equal(flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
        log_outputs(host, &log, offset);
        log_flush(host, &log, "retain", retain, offset + 1);
        point = retain == PH_OFFSET_NONE || retain > offset + 1 ? offset + 1 : retain;
        if (commits != NULL && point > committed) {
            committed = point;
            commits[*commit_count].offset = point;
            commits[*commit_count].next = offset + 1;
            strcpy(commits[*commit_count].checkpoint, host->checkpoint);
            (*commit_count)++;
        }
    }
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    log_outputs(host, &log, STREAM_LENGTH);
    log_flush(host, &log, "final_retain", retain, STREAM_LENGTH);
    return log.events;
}

/* The events of an uninterrupted run from next on: what a restart must
 * reproduce (flushes up to next came before the crash). */
static json_t *events_from(const json_t *events, int64_t next)
{
    json_t *tail = json_array();
    size_t i;
    json_t *event;

    json_array_foreach (events, i, event) {
        int64_t at = json_integer_value(json_object_get(event, "at"));
        int is_flush = json_object_get(event, "retain") != NULL;

        if (at > next || (at == next && !is_flush))
            json_array_append(tail, event);
    }
    return tail;
}

/* Start the plugin afresh with a restored checkpoint, on a host that
 * forgot the last run: no run so far may have warned. */
static void restart(plugin_test *fixture, const char *checkpoint, const char *config)
{
    plugin_test_destroy(fixture);
    assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), 0);
    test_host_clear(&fixture->host);
    fixture->host.restored_checkpoint = checkpoint;
    plugin_test_start(fixture, config);
}

/*
 * A crash after any commit, and a restart from it: replaying from the
 * commit offset with its checkpoint (output suppressed up to where the
 * first run had reached), then going on, gives exactly what the
 * uninterrupted run gave from there: emissions, rejections, retain offsets
 * and checkpoints. Also when the replay starts earlier than the commit
 * offset, as when another stage retains more.
 */
static void test_restart_matches_uninterrupted_run(void **state)
{
    static char records[STREAM_LENGTH][RECORD_TEXT_MAX];
    static commit_point commits[STREAM_LENGTH];
    const char *config = CONFIG(10000, 3000, SMALL_LEXICON ", " SMALL_TOPICS);
    plugin_test *fixture = *state;
    size_t restarts = 0, replays_with_output = 0;

    for (uint64_t seed = 1; seed <= 40; seed++) {
        int64_t every = 1 + (int64_t)(seed % 5);
        size_t id_count = 2 + (seed * 7) % 29;
        size_t commit_count = 0;
        json_t *uninterrupted;

        generate_stream(seed, id_count, records);
        restart(fixture, NULL, config);
        uninterrupted = run_stream(fixture, records, 0, 0, every, commits, &commit_count);
        assert_int_equal(test_host_logs_at(&fixture->host, PH_LOG_WARN), 0);

        for (size_t c = 0; c < commit_count; c++) {
            const commit_point *commit = &commits[c];
            int64_t starts[2] = {commit->offset, commit->offset / 2};

            for (size_t s = 0; s < 2; s++) {
                json_t *expected = events_from(uninterrupted, commit->next), *actual;

                restart(fixture, commit->checkpoint, config);
                fixture->host.suppressed = 0;
                actual = run_stream(fixture, records, starts[s], commit->next, every, NULL, NULL);
                if (!json_equal(actual, expected)) {
                    char *want = json_dumps(expected, JSON_COMPACT);
                    char *got = json_dumps(actual, JSON_COMPACT);

                    fail_msg("seed %" PRIu64 ", restart at %" PRId64 " (commit %" PRId64
                             ", next %" PRId64 ", %s):\nexpected %s\nactual   %s",
                             seed, starts[s], commit->offset, commit->next, commit->checkpoint,
                             want, got);
                }
                json_decref(actual);
                json_decref(expected);
                restarts++;
                replays_with_output += fixture->host.suppressed > 0;
            }
        }
        json_decref(uninterrupted);
    }
    /* The streams exercise what they are meant to. */
    assert_true(restarts > 500);
    assert_true(replays_with_output > restarts / 4);
}

static void test_destroy_accepts_null(void **state)
{
    plugin_test *fixture = *state;

    fixture->plugin->descriptor->destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_sixty_four_topics, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_emit_failure_is_fatal, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_many_conversations, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_follows_oldest_held, setup,
                                        plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_restored, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_malformed, setup, plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_restart_matches_uninterrupted_run, setup,
                                        plugin_test_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_accepts_null, setup, plugin_test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
