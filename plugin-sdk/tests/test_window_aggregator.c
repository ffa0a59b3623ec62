/*
 * pipehost/window.h, the aggregator: a test plugin that counts events per
 * group and window, run through the aggregator against a fake host that
 * records what it is given. Expected values are worked out by hand in the
 * comments; the fake host writes a time as "T" and its milliseconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/window.h>

#define MAX_OUTPUT 8
#define TEXT_SIZE 160

/* ---- the host: it records what it is given ------------------------------------------------------- */

struct ph_context {
    size_t emitted;
    char keys[MAX_OUTPUT][TEXT_SIZE];
    char values[MAX_OUTPUT][TEXT_SIZE];
    int64_t origins[MAX_OUTPUT]; /* the origin's offset, -1 for NULL */
    size_t rejected;
    char reasons[MAX_OUTPUT][TEXT_SIZE];
    int64_t rejected_offsets[MAX_OUTPUT];
    size_t errors;
    char last_error[TEXT_SIZE];
    char checkpoint[TEXT_SIZE];
    const char *committed;
    int refuse_emit;
};

static void recording_log(ph_context *ctx, ph_log_level level, const char *fmt, ...)
{
    va_list args;

    if (level != PH_LOG_ERROR)
        return;
    ctx->errors++;
    va_start(args, fmt);
    vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, args);
    va_end(args);
}

static int recording_emit(ph_context *ctx, const ph_record *origin, const void *key, size_t key_len,
                     const void *value, size_t value_len)
{
    if (ctx->refuse_emit)
        return -1;
    assert_true(ctx->emitted < MAX_OUTPUT);
    assert_true(key_len < TEXT_SIZE && value_len < TEXT_SIZE);
    memcpy(ctx->keys[ctx->emitted], key, key_len);
    ctx->keys[ctx->emitted][key_len] = '\0';
    memcpy(ctx->values[ctx->emitted], value, value_len);
    ctx->values[ctx->emitted][value_len] = '\0';
    ctx->origins[ctx->emitted] = origin != NULL ? origin->offset : -1;
    ctx->emitted++;
    return 0;
}

static ph_status recording_reject(ph_context *ctx, const ph_record *record, const char *fmt, ...)
{
    va_list args;

    assert_true(ctx->rejected < MAX_OUTPUT);
    va_start(args, fmt);
    vsnprintf(ctx->reasons[ctx->rejected], TEXT_SIZE, fmt, args);
    va_end(args);
    ctx->rejected_offsets[ctx->rejected++] = record->offset;
    return PH_REJECT;
}

static size_t recording_format_time(int64_t epoch_ms, char *buf, size_t buf_size)
{
    return (size_t)snprintf(buf, buf_size, "T%lld", (long long)epoch_ms);
}

static int recording_set_checkpoint(ph_context *ctx, const char *text)
{
    snprintf(ctx->checkpoint, sizeof(ctx->checkpoint), "%s", text);
    return 0;
}

static const char *recording_checkpoint(ph_context *ctx)
{
    return ctx->committed;
}

static const ph_host_api recording_host = {
    .struct_size = sizeof(ph_host_api),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .log = recording_log,
    .emit = recording_emit,
    .reject = recording_reject,
    .format_time = recording_format_time,
    .set_checkpoint = recording_set_checkpoint,
    .checkpoint = recording_checkpoint,
};

/* ---- the test plugin: events per group and window ------------------------- */

/* The event of the record at an offset; group NULL: one read rejects. */
typedef struct test_event {
    const char *group;
    int64_t time_ms;
} test_event;

#define MAX_GROUPS 4

struct counter;

typedef struct group_counts {
    struct counter *owner; /* counts the calls of clear and destroy */
    size_t group_count;
    const char *groups[MAX_GROUPS]; /* in the order of their first event */
    int64_t counts[MAX_GROUPS];
} group_counts;

typedef struct counter {
    const ph_host_api *host;
    ph_context *ctx;
    ph_window_aggregator aggregator;
    const test_event *events; /* indexed by record offset */
    const test_event *current;
    int fail_create;
    int creates, clears, destroys;
    group_counts states[8]; /* create hands them out in turn */
} counter;

static int read_test_event(void *plugin, const ph_record *record, int64_t *event_ms)
{
    counter *self = plugin;

    self->current = &self->events[record->offset];
    if (self->current->group == NULL) {
        self->host->reject(self->ctx, record, "unreadable");
        return -1;
    }
    *event_ms = self->current->time_ms;
    return 0;
}

static void *create_counts(void *plugin)
{
    counter *self = plugin;
    group_counts *counts;

    if (self->fail_create)
        return NULL;
    assert_true((size_t)self->creates < sizeof(self->states) / sizeof(self->states[0]));
    counts = &self->states[self->creates++];
    memset(counts, 0, sizeof(*counts));
    counts->owner = self;
    return counts;
}

static int add_test_event(void *plugin, void *state, const ph_record *record)
{
    const counter *self = plugin;
    group_counts *counts = state;
    size_t i = 0;

    (void)record;
    while (i < counts->group_count && strcmp(counts->groups[i], self->current->group) != 0)
        i++;
    if (i == counts->group_count) {
        assert_true(i < MAX_GROUPS);
        counts->groups[counts->group_count++] = self->current->group;
    }
    counts->counts[i]++;
    return 0;
}

static size_t counted_groups(const void *state)
{
    return ((const group_counts *)state)->group_count;
}

static int write_group(void *plugin, const void *state, size_t index, ph_window_result *result)
{
    const group_counts *counts = state;
    ph_json_text *text = &result->value;

    (void)plugin;
    if (ph_window_result_key(result, counts->groups[index], strlen(counts->groups[index]), -1) !=
        0)
        return -1;
    ph_json_text_begin_object(text);
    ph_json_text_key(text, "group");
    ph_json_text_string(text, counts->groups[index], strlen(counts->groups[index]));
    ph_json_text_key(text, "count");
    ph_json_text_int(text, counts->counts[index]);
    ph_json_text_key(text, "start");
    ph_json_text_string(text, result->start, strlen(result->start));
    ph_json_text_key(text, "end");
    ph_json_text_string(text, result->end, strlen(result->end));
    ph_json_text_key(text, "final");
    ph_json_text_bool(text, result->final);
    ph_json_text_end_object(text);
    return 0;
}

static void clear_counts(void *state)
{
    group_counts *counts = state;

    counts->owner->clears++;
    counts->group_count = 0;
    memset(counts->counts, 0, sizeof(counts->counts));
}

static void destroy_counts(void *state)
{
    ((group_counts *)state)->owner->destroys++;
}

static const ph_window_aggregator_ops counting_ops = {
    .read = read_test_event,
    .create = create_counts,
    .add = add_test_event,
    .result_count = counted_groups,
    .write_result = write_group,
    .clear = clear_counts,
    .destroy = destroy_counts,
    .add_failure = "out of memory counting a test event",
};

/* A counter under test and the host it runs against. */
typedef struct fixture {
    ph_context ctx;
    counter plugin;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    *state = f;
    return f != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;

    /* Safe when the test freed it already. */
    ph_window_aggregator_free(&f->plugin.aggregator);
    free(f);
    return 0;
}

/* Start the counter over events, with windows of window_ms. */
static void start(fixture *f, const ph_window_aggregator_ops *ops, const test_event *events,
                  int64_t window_ms, int64_t lateness_ms)
{
    json_t *config = json_pack("{s:I, s:I}", "window", (json_int_t)window_ms, "allowed_lateness",
                               (json_int_t)lateness_ms);
    counter *c = &f->plugin;
    char err[128] = "";

    assert_non_null(config);
    c->host = &recording_host;
    c->ctx = &f->ctx;
    c->events = events;
    if (ph_window_aggregator_init(&c->aggregator, ops, c, &recording_host, &f->ctx, config, err,
                                  sizeof(err)) != 0)
        fail_msg("init: %s", err);
    json_decref(config);
}

/* Records at offsets first .. first + count - 1 of partition 0. */
static ph_status process_offsets(fixture *f, int64_t first, size_t count)
{
    ph_record records[8];

    assert_true(count <= 8);
    for (size_t i = 0; i < count; i++)
        records[i] = (ph_record){.value = "", .offset = first + (int64_t)i, .timestamp_ms = -1};
    return ph_window_aggregator_process(&f->plugin.aggregator, records, count);
}

static ph_status flush(fixture *f, ph_flush_mode mode, int64_t *retain_offset)
{
    return ph_window_aggregator_flush(&f->plugin.aggregator, mode, retain_offset);
}

/* ---- tests --------------------------------------------------------------- */

/* 10 s windows, no lateness: a window closes at the first event at or
 * after its end. */
static const test_event in_order[] = {
    {"a", 1000}, {"b", 2000}, {"a", 3000}, {"a", 12000}, {"b", 25000},
};

static void test_windows_close_in_order(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    start(f, &counting_ops, in_order, 10000, 0);
    assert_int_equal(process_offsets(f, 0, 3), PH_OK);
    assert_int_equal(f->ctx.emitted, 0);
    /* 12000 closes [0, 10000): its groups in first-event order. */
    assert_int_equal(process_offsets(f, 3, 1), PH_OK);
    assert_int_equal(f->ctx.emitted, 2);
    assert_string_equal(f->ctx.keys[0], "a|T0");
    assert_string_equal(f->ctx.values[0],
                        "{\"group\":\"a\",\"count\":2,\"start\":\"T0\",\"end\":\"T10000\","
                        "\"final\":true}");
    assert_int_equal(f->ctx.origins[0], 3);
    assert_string_equal(f->ctx.keys[1], "b|T0");
    assert_string_equal(f->ctx.values[1],
                        "{\"group\":\"b\",\"count\":1,\"start\":\"T0\",\"end\":\"T10000\","
                        "\"final\":true}");
    /* 25000 closes [10000, 20000) and opens [20000, 30000). */
    assert_int_equal(process_offsets(f, 4, 1), PH_OK);
    assert_int_equal(f->ctx.emitted, 3);
    assert_string_equal(f->ctx.keys[2], "a|T10000");
    assert_int_equal(f->ctx.origins[2], 4);

    /* A checkpoint emits nothing; the open window holds offset 4, which
     * met the watermark 12000 (the newest time before it, no lateness). */
    assert_int_equal(flush(f, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, 4);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":12000}");
    assert_int_equal(f->ctx.emitted, 3);

    /* The final flush: the open window, provisional, from no record. */
    assert_int_equal(flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 4);
    assert_int_equal(f->ctx.emitted, 4);
    assert_string_equal(f->ctx.keys[3], "b|T20000");
    assert_string_equal(f->ctx.values[3],
                        "{\"group\":\"b\",\"count\":1,\"start\":\"T20000\",\"end\":\"T30000\","
                        "\"final\":false}");
    assert_int_equal(f->ctx.origins[3], -1);
    assert_int_equal(f->ctx.rejected + f->ctx.errors, 0);

    /* States: [0, 10000) and [10000, 20000) were created; the first, once
     * closed, was emptied and reused for [20000, 30000); the second, once
     * closed, was emptied and kept. Freeing frees those two. */
    assert_int_equal(f->plugin.creates, 2);
    assert_int_equal(f->plugin.clears, 2);
    assert_int_equal(f->plugin.destroys, 0);
    ph_window_aggregator_free(&f->plugin.aggregator);
    assert_int_equal(f->plugin.destroys, 2);
}

static void test_without_clear_closed_states_are_freed(void **state)
{
    fixture *f = *state;
    ph_window_aggregator_ops freeing_ops = counting_ops;

    freeing_ops.clear = NULL;
    start(f, &freeing_ops, in_order, 10000, 0);
    assert_int_equal(process_offsets(f, 0, 5), PH_OK);
    assert_int_equal(f->ctx.emitted, 3);
    /* One state per window; the two closed ones freed at once. */
    assert_int_equal(f->plugin.creates, 3);
    assert_int_equal(f->plugin.clears, 0);
    assert_int_equal(f->plugin.destroys, 2);
    ph_window_aggregator_free(&f->plugin.aggregator);
    assert_int_equal(f->plugin.destroys, 3);
}

/* 10 s windows, 2 s lateness. */
static const test_event with_late[] = {
    {"a", 15000}, /* watermark 13000: [0, 10000) is closed */
    {"a", 9000},  /* in [0, 10000): late */
    {NULL, 0},    /* the plugin's read rejects it */
    {"a", 11000}, /* in [10000, 20000), ending after 13000: counted */
};

static void test_late_and_unreadable_records(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    start(f, &counting_ops, with_late, 10000, 2000);
    assert_int_equal(process_offsets(f, 0, 4), PH_OK);
    assert_int_equal(f->ctx.rejected, 2);
    assert_string_equal(f->ctx.reasons[0], "late event");
    assert_int_equal(f->ctx.rejected_offsets[0], 1);
    assert_string_equal(f->ctx.reasons[1], "unreadable");
    assert_int_equal(f->ctx.rejected_offsets[1], 2);
    assert_int_equal(f->ctx.emitted, 0);
    assert_int_equal(flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(retain, 0);
    /* The window held offset 0, the first event: no watermark before it. */
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":null}");
    assert_string_equal(f->ctx.values[0],
                        "{\"group\":\"a\",\"count\":2,\"start\":\"T10000\",\"end\":\"T20000\","
                        "\"final\":false}");
}

/* A restart: the previous instance committed the watermark 5000. */
static const test_event after_restart[] = {
    {"a", -1},   /* in [-10000, 0), ending at 0 <= 5000: late */
    {"a", 4000}, /* in [0, 10000), ending at 10000 > 5000: counted */
};

static void test_restart_from_checkpoint(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    f->ctx.committed = "{\"watermark\":5000}";
    start(f, &counting_ops, after_restart, 10000, 0);
    assert_int_equal(process_offsets(f, 0, 2), PH_OK);
    assert_int_equal(f->ctx.rejected_offsets[0], 0);
    assert_int_equal(flush(f, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, 1);
    assert_string_equal(f->ctx.checkpoint, "{\"watermark\":5000}");
}

static void test_no_state_fails_the_batch(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    f->plugin.fail_create = 1;
    start(f, &counting_ops, in_order, 10000, 0);
    assert_int_equal(process_offsets(f, 0, 1), PH_FATAL);
    assert_int_equal(f->ctx.errors, 1);
    assert_string_equal(f->ctx.last_error, "out of memory counting a test event");
    /* The window opened without a state holds nothing to emit. */
    assert_int_equal(flush(f, PH_FLUSH_FINAL, &retain), PH_OK);
    assert_int_equal(f->ctx.emitted, 0);
}

static void test_refused_results_fail(void **state)
{
    fixture *f = *state;
    int64_t retain = 0;

    f->ctx.refuse_emit = 1;
    start(f, &counting_ops, in_order, 10000, 0);
    assert_int_equal(process_offsets(f, 0, 3), PH_OK);
    assert_int_equal(process_offsets(f, 3, 1), PH_FATAL);
    assert_string_equal(f->ctx.last_error, "could not emit a closed window");
    /* At the final flush too, which still reports the retain offset:
     * [0, 10000) still holds offset 0. */
    assert_int_equal(flush(f, PH_FLUSH_FINAL, &retain), PH_FATAL);
    assert_string_equal(f->ctx.last_error, "could not emit an open window");
    assert_int_equal(retain, 0);
    assert_int_equal(f->ctx.errors, 2);
    ph_window_aggregator_free(&f->plugin.aggregator);
    assert_int_equal(f->plugin.destroys, f->plugin.creates);
}

static void test_result_key(void **state)
{
    ph_window_result result;
    char long_group[300];

    memset(&result, 0, sizeof(result));
    snprintf(result.start, sizeof(result.start), "2022-01-01T12:22:00Z");
    /* The group may hold '|'; the partition follows the start. */
    assert_int_equal(ph_window_result_key(&result, "/a|b", 4, 3), 0);
    assert_int_equal(result.key_len, 27);
    assert_memory_equal(result.key, "/a|b|2022-01-01T12:22:00Z|3", 27);
    assert_int_equal(ph_window_result_key(&result, "dev-1", 5, -1), 0);
    assert_int_equal(result.key_len, 26);
    assert_memory_equal(result.key, "dev-1|2022-01-01T12:22:00Z", 26);
    assert_int_equal(ph_window_result_key(&result, "p", 1, INT32_MAX), 0);
    assert_int_equal(result.key_len, 33);
    assert_memory_equal(result.key, "p|2022-01-01T12:22:00Z|2147483647", 33);
    /* A longer group grows the key: 300 bytes, '|', 20, "|0". */
    memset(long_group, 'x', sizeof(long_group));
    assert_int_equal(ph_window_result_key(&result, long_group, sizeof(long_group), 0), 0);
    assert_int_equal(result.key_len, 323);
    assert_memory_equal(result.key, long_group, sizeof(long_group));
    assert_memory_equal(result.key + 300, "|2022-01-01T12:22:00Z|0", 23);
    free(result.key);
}

static void test_init_errors(void **state)
{
    ph_window_aggregator aggregator;
    ph_context ctx = {0};
    json_t *config = json_pack("{s:s, s:I}", "window", "1m", "allowed_lateness", (json_int_t)0);
    char err[128] = "";

    assert_int_equal(ph_window_aggregator_init(&aggregator, &counting_ops, NULL, &recording_host,
                                               &ctx, config, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "window: expected a duration");
    ph_window_aggregator_free(&aggregator);
    /* A zeroed one, as in an instance whose init failed before. */
    memset(&aggregator, 0, sizeof(aggregator));
    ph_window_aggregator_free(&aggregator);
    json_decref(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_windows_close_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_clear_closed_states_are_freed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_late_and_unreadable_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_from_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_state_fails_the_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_results_fail, setup, teardown),
        cmocka_unit_test(test_result_key),
        cmocka_unit_test(test_init_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
