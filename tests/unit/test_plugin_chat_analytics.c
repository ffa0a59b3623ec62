/*
 * The shipped chat_analytics plugin, loaded as pipehost loads it and run
 * against a fake host. The golden tests in plugins/chat_analytics/tests
 * cover the analytics record by record; this covers what they cannot:
 * configuration errors, a host that refuses output, many conversations at
 * once (table growth and deletion, the deadline heap), checkpoint texts,
 * and restarts at every commit point of generated streams.
 *
 * The fake host reads event times as epoch milliseconds only and writes
 * them back as the decimal number of milliseconds.
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

#include "plugin/plugin_loader.h"

/* What the fake host was handed. */
struct ph_context {
    json_t *emitted; /* array of {"key": K, "value": V} */
    size_t rejected;
    char last_reason[256];
    int emit_fails;
    json_t *parsed; /* the values record_json handed out, freed at the end */
    size_t warnings;
    const char *restored; /* what checkpoint() returns */
    char committed[PH_CHECKPOINT_MAX + 1]; /* the last set_checkpoint text */
    size_t checkpoints_set;
    /* Replaying, as the host does after a restart: emissions and
     * rejections are dropped (and counted). */
    int replaying;
    size_t suppressed;
    json_t *events; /* NULL, or an array every emission and rejection is logged to */
    int64_t position; /* logged with each event: the record offset, or -1 in flush */
};

static void fake_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    (void)fmt;
    if (level == PH_LOG_WARN)
        ctx->warnings++;
}

static int fake_emit_json(ph_context *ctx, const ph_record *origin, const char *key,
                          json_t *value)
{
    (void)origin;
    if (ctx->emit_fails)
        return -1;
    assert_non_null(key);
    if (ctx->replaying) {
        ctx->suppressed++;
        return 0;
    }
    assert_int_equal(json_array_append_new(ctx->emitted,
                                           json_pack("{s:s, s:O}", "key", key, "value", value)),
                     0);
    if (ctx->events != NULL)
        assert_int_equal(json_array_append_new(ctx->events,
                                               json_pack("{s:s, s:O, s:I}", "key", key, "value",
                                                         value, "at", (json_int_t)ctx->position)),
                         0);
    return 0;
}

static ph_status fake_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->last_reason, sizeof(ctx->last_reason), fmt, ap);
    va_end(ap);
    if (ctx->replaying) {
        ctx->suppressed++;
        return PH_REJECT;
    }
    ctx->rejected++;
    if (ctx->events != NULL)
        assert_int_equal(json_array_append_new(ctx->events,
                                               json_pack("{s:s, s:I}", "reject", ctx->last_reason,
                                                         "at", (json_int_t)record->offset)),
                         0);
    return PH_REJECT;
}

static json_t *fake_record_json(ph_context *ctx, const ph_record *record, const char **error)
{
    json_t *value = json_loadb(record->value, record->value_len, JSON_DECODE_ANY, NULL);

    if (value == NULL) {
        *error = "fake parse error";
        return NULL;
    }
    json_array_append_new(ctx->parsed, value);
    return value;
}

static void fake_count(ph_context *ctx, const char *counter, int64_t delta)
{
}

static int fake_parse_time(const json_t *value, int64_t *epoch_ms)
{
    if (!json_is_integer(value))
        return -1;
    *epoch_ms = json_integer_value(value);
    return 0;
}

static size_t fake_format_time(int64_t epoch_ms, char *buf, size_t buf_size)
{
    return (size_t)snprintf(buf, buf_size, "%" PRId64, epoch_ms);
}

static int fake_set_checkpoint(ph_context *ctx, const char *text)
{
    assert_non_null(text);
    if (strlen(text) > PH_CHECKPOINT_MAX)
        return -1;
    strcpy(ctx->committed, text);
    ctx->checkpoints_set++;
    return 0;
}

static const char *fake_checkpoint(ph_context *ctx)
{
    return ctx->restored;
}

static const ph_host_api fake_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = fake_log,
    .emit_json = fake_emit_json,
    .reject = fake_reject,
    .record_json = fake_record_json,
    .count = fake_count,
    .parse_time = fake_parse_time,
    .format_time = fake_format_time,
    .set_checkpoint = fake_set_checkpoint,
    .checkpoint = fake_checkpoint,
};

/* ---- fixture ---------------------------------------------------------------- */

typedef struct chat_fixture {
    loaded_plugin *plugin;
    ph_context ctx;
    void *instance;
} chat_fixture;

static int setup(void **state)
{
    char err[1024] = "";
    chat_fixture *fixture = calloc(1, sizeof(*fixture));

    if (fixture == NULL)
        return -1;
    fixture->plugin = plugin_load(SHIPPED_PLUGIN_DIR "/chat_analytics.so", err, sizeof(err));
    if (fixture->plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        free(fixture);
        return -1;
    }
    fixture->ctx.emitted = json_array();
    fixture->ctx.parsed = json_array();
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    chat_fixture *fixture = *state;

    fixture->plugin->descriptor->destroy(fixture->instance);
    json_decref(fixture->ctx.emitted);
    json_decref(fixture->ctx.parsed);
    json_decref(fixture->ctx.events);
    plugin_unload(fixture->plugin);
    free(fixture);
    return 0;
}

#define SMALL_LEXICON "\"lexicon\": {\"positive\": [\"thanks\"], \"negative\": [\"bad\"]}"
#define SMALL_TOPICS "\"topics\": {\"billing\": [\"invoice\"]}"

/* The config the host would build: every field set, durations in ms. */
#define CONFIG(gap_ms, lateness_ms, rest)                                                 \
    "{\"session_gap\": " #gap_ms ", \"allowed_lateness\": " #lateness_ms ", " rest "}"

static int start(chat_fixture *fixture, const char *config_text, char *err, size_t err_size)
{
    json_t *config = json_loads(config_text, 0, NULL);
    int result;

    assert_non_null(config);
    result = fixture->plugin->descriptor->init(&fake_host, &fixture->ctx, config,
                                               &fixture->instance, err, err_size);
    json_decref(config);
    return result;
}

static void start_or_fail(chat_fixture *fixture, const char *config_text)
{
    char err[256] = "";

    if (start(fixture, config_text, err, sizeof(err)) != 0)
        fail_msg("init: %s", err);
}

static ph_status process_text(chat_fixture *fixture, const char *text, int64_t offset)
{
    ph_record record = {
        .value = text,
        .value_len = strlen(text),
        .topic = "chat",
        .offset = offset,
        .timestamp_ms = -1,
    };

    return fixture->plugin->descriptor->process(fixture->instance, &record, 1);
}

static ph_status flush(chat_fixture *fixture, ph_flush_mode mode, int64_t *retain)
{
    return fixture->plugin->descriptor->flush(fixture->instance, mode, retain);
}

/* ---- tests -------------------------------------------------------------------- */

static void test_descriptor(void **state)
{
    chat_fixture *fixture = *state;
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

static void assert_init_fails(chat_fixture *fixture, const char *config_text,
                              const char *message)
{
    char err[256] = "";

    assert_int_not_equal(start(fixture, config_text, err, sizeof(err)), 0);
    assert_string_equal(err, message);
    /* As the host does: destroy whatever init left behind. */
    fixture->plugin->descriptor->destroy(fixture->instance);
    fixture->instance = NULL;
}

static void test_init_errors(void **state)
{
    chat_fixture *fixture = *state;
    char many_topics[4096];
    size_t used;

    assert_init_fails(fixture, CONFIG(0, 0, SMALL_LEXICON ", " SMALL_TOPICS),
                      "session_gap: expected a duration from 1ms to 365d");
    assert_init_fails(fixture, CONFIG(31536000001, 0, SMALL_LEXICON ", " SMALL_TOPICS),
                      "session_gap: expected a duration from 1ms to 365d");
    assert_init_fails(fixture, CONFIG(1000, -1, SMALL_LEXICON ", " SMALL_TOPICS),
                      "allowed_lateness: expected a duration from 0s to 365d");
    assert_init_fails(fixture, CONFIG(1000, 0, "\"lexicon\": [], " SMALL_TOPICS),
                      "lexicon: expected a mapping with 'positive' and 'negative'");
    assert_init_fails(fixture,
                      CONFIG(1000, 0, "\"lexicon\": {\"neutral\": []}, " SMALL_TOPICS),
                      "lexicon: unknown list 'neutral' (expected positive or negative)");
    assert_init_fails(fixture,
                      CONFIG(1000, 0, "\"lexicon\": {\"positive\": \"x\"}, " SMALL_TOPICS),
                      "lexicon.positive: expected a list of words");
    assert_init_fails(fixture,
                      CONFIG(1000, 0, "\"lexicon\": {\"positive\": [\"a\", 5]}, " SMALL_TOPICS),
                      "lexicon.positive: item 1 is not a string");
    assert_init_fails(fixture,
                      CONFIG(1000, 0,
                             "\"lexicon\": {\"negative\": [\"log in\"]}, " SMALL_TOPICS),
                      "lexicon.negative: \"log in\" is not a single word (letters, digits "
                      "and non-ASCII characters)");
    assert_init_fails(fixture,
                      CONFIG(1000, 0, "\"lexicon\": {\"negative\": [\"\"]}, " SMALL_TOPICS),
                      "lexicon.negative: \"\" is not a single word (letters, digits and "
                      "non-ASCII characters)");
    assert_init_fails(fixture,
                      CONFIG(1000, 0,
                             "\"lexicon\": {\"positive\": [\"Fine\"], \"negative\": [\"fINE\"]}, "
                             SMALL_TOPICS),
                      "lexicon: \"fINE\" is both positive and negative");
    assert_init_fails(fixture,
                      CONFIG(1000, 0,
                             "\"lexicon\": {\"positive\": [\"a123456789b123456789c123456789"
                             "d123456789e123456789f123456789g12345\"]}, " SMALL_TOPICS),
                      "lexicon.positive: \"a123456789b123456789c123456789d123456789e1234567"
                      "89f123456789g12345\" is longer than 64 bytes");
    assert_init_fails(fixture, CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": 3"),
                      "topics: expected a mapping of topic name to keywords");
    assert_init_fails(fixture, CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": {\"x\": []}"),
                      "topics.x: expected at least one keyword");
    assert_init_fails(fixture, CONFIG(1000, 0, SMALL_LEXICON ", \"topics\": {\"\": [\"a\"]}"),
                      "topics: a topic name must not be empty");
    assert_init_fails(fixture,
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
    assert_init_fails(fixture, many_topics, "topics: at most 64 topics");
}

/* 64 topics is the limit, and the last one still reports. */
static void test_sixty_four_topics(void **state)
{
    chat_fixture *fixture = *state;
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
    start_or_fail(fixture, config);

    assert_int_equal(process_text(fixture,
                                  "{\"conversation_id\": \"c\", \"ts\": 5, \"sender\": "
                                  "\"customer\", \"text\": \"W63 w0 w7\"}",
                                  0),
                     PH_OK);
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 0);
    assert_int_equal(json_array_size(fixture->ctx.emitted), 1);
    value = json_object_get(json_array_get(fixture->ctx.emitted, 0), "value");
    topics = json_dumps(json_object_get(value, "topics"), JSON_COMPACT);
    assert_non_null(topics);
    assert_string_equal(topics, "[\"t00\",\"t07\",\"t63\"]");
    free(topics);
}

static void test_emit_failure_is_fatal(void **state)
{
    chat_fixture *fixture = *state;
    int64_t retain;

    start_or_fail(fixture, CONFIG(1000, 0, SMALL_LEXICON ", " SMALL_TOPICS));
    fixture->ctx.emit_fails = 1;
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
    assert_int_equal(json_array_size(fixture->ctx.emitted), 0);
}

/* The emitted values by key; each key must come once. */
static json_t *emitted_by_key(const chat_fixture *fixture)
{
    json_t *by_key = json_object();
    size_t i;
    json_t *line;

    json_array_foreach (fixture->ctx.emitted, i, line) {
        const char *key = json_string_value(json_object_get(line, "key"));

        assert_null(json_object_get(by_key, key));
        json_object_set(by_key, key, json_object_get(line, "value"));
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
    chat_fixture *fixture = *state;
    char text[256];
    int64_t offset = 0, retain = -2;
    int64_t *first_offset = calloc(COUNT, sizeof(*first_offset));
    int64_t oldest_held = -1, latest_s = 0;
    json_t *by_key;
    size_t final_count = 0, open_count = 0;

    assert_non_null(first_offset);
    start_or_fail(fixture, CONFIG(600000, 0, SMALL_LEXICON ", " SMALL_TOPICS));

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
    assert_int_equal(fixture->ctx.rejected, 0);
    for (int64_t i = 0; i < COUNT; i++) {
        if (ends_held(i, GAP_S, latest_s) &&
            (oldest_held < 0 || first_offset[i] < oldest_held))
            oldest_held = first_offset[i];
    }
    assert_true(oldest_held >= 0);
    assert_int_equal(flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, oldest_held);
    assert_int_equal(json_array_size(fixture->ctx.emitted),
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

static void assert_flush(chat_fixture *fixture, ph_flush_mode mode, int64_t retain,
                         const char *checkpoint)
{
    int64_t actual = -2;
    size_t set_before = fixture->ctx.checkpoints_set;

    assert_int_equal(flush(fixture, mode, &actual), PH_OK);
    assert_int_equal(actual, retain);
    assert_int_equal(fixture->ctx.checkpoints_set, set_before + 1);
    assert_string_equal(fixture->ctx.committed, checkpoint);
}

static void process_ok(chat_fixture *fixture, const char *text, int64_t offset)
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
    chat_fixture *fixture = *state;

    start_or_fail(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=none");

    /* A close with no conversation holds nothing, but sets the time. */
    process_ok(fixture, "{\"conversation_id\": \"z\", \"ts\": 5000, \"event\": \"closed\"}", 0);
    assert_string_equal(fixture->ctx.last_reason,
                        "field 'event' closes a conversation with no messages");
    /* 4500 + 1000 > 5000: not late; a is held from offset 1. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 4500, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 1, "latest=5000");
    /* Closed (emitted) at 4600, a stays held until the watermark is 6600. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 4600, \"event\": \"closed\"}", 2);
    assert_int_equal(json_array_size(fixture->ctx.emitted), 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 1, "latest=5000");
    /* b is held from offset 3; the latest time before it is still 5000. */
    process_ok(fixture, "{\"conversation_id\": \"b\", \"ts\": 6000, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 3);
    /* Late for a (5500 < 4600 + 1000), and keeps a held until 7500. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 5500, \"sender\": \"customer\", "
                        "\"text\": \"and\"}", 4);
    assert_string_equal(fixture->ctx.last_reason, "late event");
    /* The watermark 7000 ends b (deadline 7000; held until 8000) but not a. */
    process_ok(fixture, "{\"conversation_id\": \"c\", \"ts\": 7000, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 5);
    assert_int_equal(json_array_size(fixture->ctx.emitted), 2);
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
    assert_int_equal(json_array_size(fixture->ctx.emitted), 3);
    /* 20000 lets c go: nothing is held, the checkpoint is the latest time. */
    process_ok(fixture, "{\"conversation_id\": \"d\", \"ts\": 20000, \"event\": \"closed\"}", 9);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=20000");
    assert_flush(fixture, PH_FLUSH_FINAL, PH_OFFSET_NONE, "latest=20000");
    assert_int_equal(json_array_size(fixture->ctx.emitted), 3);
    assert_int_equal(fixture->ctx.rejected, 3);
    assert_int_equal(fixture->ctx.warnings, 0);
}

/* A restored checkpoint is the latest event time: the watermark trails it. */
static void test_checkpoint_restored(void **state)
{
    chat_fixture *fixture = *state;

    fixture->ctx.restored = "latest=5000";
    start_or_fail(fixture, CONFIG(1000, 500, SMALL_LEXICON ", " SMALL_TOPICS));
    /* Watermark 4500: 3499 + 1000 <= 4500 is late, 3501 is not. */
    process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": 3499, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 10);
    assert_int_equal(fixture->ctx.rejected, 1);
    assert_string_equal(fixture->ctx.last_reason, "late event");
    process_ok(fixture, "{\"conversation_id\": \"b\", \"ts\": 3501, \"sender\": \"customer\", "
                        "\"text\": \"hi\"}", 11);
    assert_int_equal(fixture->ctx.rejected, 1);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, 11, "latest=5000");
    assert_int_equal(fixture->ctx.warnings, 0);
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
    chat_fixture *fixture = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture->ctx.restored = cases[i].text;
        fixture->ctx.warnings = 0;
        fixture->ctx.rejected = 0;
        start_or_fail(fixture, GAP_1S);
        assert_int_equal(fixture->ctx.warnings, cases[i].warnings);
        /* With no watermark, the oldest time there is is not late. */
        process_ok(fixture, "{\"conversation_id\": \"a\", \"ts\": -62167219200000, "
                            "\"sender\": \"customer\", \"text\": \"hi\"}", 0);
        assert_int_equal(fixture->ctx.rejected, 0);
        assert_flush(fixture, PH_FLUSH_CHECKPOINT, 0, "latest=none");
        fixture->plugin->descriptor->destroy(fixture->instance);
        fixture->instance = NULL;
    }
    /* The extremes of the accepted range restore. */
    fixture->ctx.restored = "latest=-62167219200000";
    start_or_fail(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=-62167219200000");
    fixture->plugin->descriptor->destroy(fixture->instance);
    fixture->ctx.restored = "latest=253402300799999";
    start_or_fail(fixture, GAP_1S);
    assert_flush(fixture, PH_FLUSH_CHECKPOINT, PH_OFFSET_NONE, "latest=253402300799999");
    assert_int_equal(fixture->ctx.warnings, 0);
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

/*
 * Run records [from, STREAM_LENGTH) with a checkpoint flush after every
 * multiple of every records and a final flush, replaying (output
 * suppressed) below replay_until. Flushes at or below replay_until are
 * left out, as they came before the crash. Events go to ctx->events;
 * commits, as the host would make them (never backwards), to commits.
 */
static void run_stream(chat_fixture *fixture, char records[STREAM_LENGTH][RECORD_TEXT_MAX],
                       int64_t from, int64_t replay_until, int64_t every,
                       commit_point *commits, size_t *commit_count)
{
    int64_t committed = -1;

    for (int64_t offset = from; offset < STREAM_LENGTH; offset++) {
        int64_t retain, point;

        fixture->ctx.replaying = offset < replay_until;
        fixture->ctx.position = offset;
        process_ok(fixture, records[offset], offset);
        fixture->ctx.replaying = 0;
        if ((offset + 1) % every != 0 || offset + 1 <= replay_until)
            continue;
        assert_int_equal(flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
        assert_int_equal(json_array_append_new(
                             fixture->ctx.events,
                             json_pack("{s:I, s:s, s:I}", "retain", (json_int_t)retain,
                                       "checkpoint", fixture->ctx.committed, "at",
                                       (json_int_t)(offset + 1))),
                         0);
        point = retain == PH_OFFSET_NONE || retain > offset + 1 ? offset + 1 : retain;
        if (commits != NULL && point > committed) {
            committed = point;
            commits[*commit_count].offset = point;
            commits[*commit_count].next = offset + 1;
            strcpy(commits[*commit_count].checkpoint, fixture->ctx.committed);
            (*commit_count)++;
        }
    }
    fixture->ctx.position = STREAM_LENGTH;
    {
        int64_t retain;

        assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
        assert_int_equal(json_array_append_new(
                             fixture->ctx.events,
                             json_pack("{s:I, s:s, s:I}", "final_retain", (json_int_t)retain,
                                       "checkpoint", fixture->ctx.committed, "at",
                                       (json_int_t)STREAM_LENGTH)),
                         0);
    }
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

/* Start the plugin afresh with a restored checkpoint and its own log. */
static void restart(chat_fixture *fixture, const char *checkpoint, const char *config)
{
    fixture->plugin->descriptor->destroy(fixture->instance);
    fixture->instance = NULL;
    json_decref(fixture->ctx.events);
    fixture->ctx.events = json_array();
    fixture->ctx.restored = checkpoint;
    start_or_fail(fixture, config);
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
    chat_fixture *fixture = *state;
    size_t restarts = 0, replays_with_output = 0;

    for (uint64_t seed = 1; seed <= 40; seed++) {
        int64_t every = 1 + (int64_t)(seed % 5);
        size_t id_count = 2 + (seed * 7) % 29;
        size_t commit_count = 0;
        json_t *uninterrupted;

        generate_stream(seed, id_count, records);
        restart(fixture, NULL, config);
        run_stream(fixture, records, 0, 0, every, commits, &commit_count);
        uninterrupted = json_incref(fixture->ctx.events);
        assert_int_equal(fixture->ctx.warnings, 0);

        for (size_t c = 0; c < commit_count; c++) {
            const commit_point *commit = &commits[c];
            int64_t starts[2] = {commit->offset, commit->offset / 2};

            for (size_t s = 0; s < 2; s++) {
                json_t *expected = events_from(uninterrupted, commit->next);

                restart(fixture, commit->checkpoint, config);
                fixture->ctx.suppressed = 0;
                run_stream(fixture, records, starts[s], commit->next, every, NULL, NULL);
                if (!json_equal(fixture->ctx.events, expected)) {
                    char *want = json_dumps(expected, JSON_COMPACT);
                    char *got = json_dumps(fixture->ctx.events, JSON_COMPACT);

                    fail_msg("seed %" PRIu64 ", restart at %" PRId64 " (commit %" PRId64
                             ", next %" PRId64 ", %s):\nexpected %s\nactual   %s",
                             seed, starts[s], commit->offset, commit->next, commit->checkpoint,
                             want, got);
                }
                json_decref(expected);
                restarts++;
                replays_with_output += fixture->ctx.suppressed > 0;
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
    chat_fixture *fixture = *state;

    fixture->plugin->descriptor->destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sixty_four_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_failure_is_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_conversations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_follows_oldest_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_matches_uninterrupted_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_destroy_accepts_null, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
