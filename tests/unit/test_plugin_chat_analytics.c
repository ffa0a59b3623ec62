/*
 * The shipped chat_analytics plugin, loaded as pipehost loads it and run
 * against a fake host. The golden tests in plugins/chat_analytics/tests
 * cover the analytics record by record; this covers what they cannot:
 * configuration errors, a host that refuses output, and many
 * conversations at once (table growth and deletion, the deadline heap).
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
};

static void fake_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
}

static int fake_emit_json(ph_context *ctx, const ph_record *origin, const char *key,
                          json_t *value)
{
    if (ctx->emit_fails)
        return -1;
    assert_non_null(key);
    assert_int_equal(json_array_append_new(ctx->emitted,
                                           json_pack("{s:s, s:O}", "key", key, "value", value)),
                     0);
    return 0;
}

static ph_status fake_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->last_reason, sizeof(ctx->last_reason), fmt, ap);
    va_end(ap);
    ctx->rejected++;
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
    int64_t oldest_open = -1, latest_s = 0;
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
        if (ends_open(i, GAP_S, latest_s) &&
            (oldest_open < 0 || first_offset[i] < oldest_open))
            oldest_open = first_offset[i];
    }
    assert_true(oldest_open >= 0);
    assert_int_equal(flush(fixture, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, oldest_open);
    assert_int_equal(json_array_size(fixture->ctx.emitted),
                     COUNT - count_open(COUNT, GAP_S, latest_s));
    assert_int_equal(flush(fixture, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, oldest_open);
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
        cmocka_unit_test_setup_teardown(test_destroy_accepts_null, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
