/*
 * The partition task: records through a chain of real plugin .so files,
 * emitted records to the next stage, rejections to the dead letter, the
 * retain offset of a stateful stage, retries and failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/plugin_loader.h"
#include "runtime/task.h"

typedef struct captured {
    char lines[64][256]; /* "offset value" of each delivered record */
    size_t count;
    char dead[16][256];  /* "offset stage: reason" of each rejection */
    size_t dead_count;
    int fail_delivery;
} captured;

static int capture_output(void *opaque, task *t, const record_batch *output)
{
    (void)t;
    captured *c = opaque;
    if (c->fail_delivery)
        return -1;
    for (size_t i = 0; i < output->count; i++) {
        const ph_record *r = &output->records[i];
        snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%lld %.*s", (long long)r->offset,
                 (int)r->value_len, (const char *)r->value);
    }
    return 0;
}

static void capture_dead_letter(void *opaque, task *t, const ph_record *record,
                                const char *stage_name, const char *reason)
{
    (void)t;
    captured *c = opaque;
    snprintf(c->dead[c->dead_count++], sizeof(c->dead[0]), "%lld %s: %s",
             (long long)record->offset, stage_name, reason);
}

typedef struct fixture {
    loaded_plugin *counter;
    loaded_plugin *filter;
    captured out;
    task_env env;
    stage_plan plans[2];
    size_t plan_count;
    task *t;
    record_batch input;
} fixture;

static loaded_plugin *load(const char *dir, const char *name)
{
    char path[1024], err[1024];
    snprintf(path, sizeof(path), "%s/%s.so", dir, name);
    loaded_plugin *p = plugin_load(path, err, sizeof(err));
    if (!p)
        fail_msg("%s", err);
    return p;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->counter = load(TEST_PLUGIN_DIR, "group_counter");
    f->filter = load(SHIPPED_PLUGIN_DIR, "json_filter");
    f->env = (task_env){.opaque = &f->out, .on_error = ON_ERROR_DEAD_LETTER,
                        .deliver = capture_output, .dead_letter = capture_dead_letter};
    record_batch_init(&f->input);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    task_destroy(f->t);
    for (size_t i = 0; i < f->plan_count; i++)
        json_decref(f->plans[i].config);
    record_batch_free(&f->input);
    plugin_unload(f->counter);
    plugin_unload(f->filter);
    free(f);
    return 0;
}

static void add_stage(fixture *f, const char *name, loaded_plugin *p, json_t *config)
{
    f->plans[f->plan_count++] = (stage_plan){.name = name, .plugin = p->descriptor,
                                             .config = config};
}

static void start(fixture *f)
{
    char err[512];
    f->t = task_create("events", 3, f->plans, f->plan_count, NULL, 0, NULL, &f->env, err, sizeof(err));
    if (!f->t)
        fail_msg("%s", err);
}

/* Feed values as consecutive offsets from first_offset. */
static int feed(fixture *f, int64_t first_offset, const char *const *values, size_t count)
{
    record_batch_reset(&f->input);
    for (size_t i = 0; i < count; i++) {
        ph_record r = {.value = values[i], .value_len = strlen(values[i]), .topic = "events",
                       .partition = 3, .offset = first_offset + (int64_t)i, .timestamp_ms = -1};
        record_batch_add_borrowed(&f->input, &r);
    }
    return task_process(f->t, &f->input);
}

static void filter_then_group(void **state)
{
    fixture *f = *state;
    add_stage(f, "views", f->filter, json_pack("{s:s, s:[s]}", "field", "action", "in", "view"));
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 2));
    start(f);
    const char *values[] = {
        "{\"action\":\"view\"}",   /* 10 */
        "{\"action\":\"click\"}",  /* 11: filtered out */
        "not json",                /* 12: rejected by views */
        "{\"action\":\"view\"}",   /* 13: second view: a group of 2 */
        "{\"action\":\"view\"}",   /* 14: opens the next group */
    };
    assert_int_equal(feed(f, 10, values, 5), 0);
    assert_int_equal(f->out.count, 1);
    /* Emitted with no origin: positioned at the batch's last record. */
    assert_string_equal(f->out.lines[0], "14 {\"first\":10,\"last\":13,\"count\":2,\"final\":true}");
    assert_int_equal(f->out.dead_count, 1);
    assert_string_equal(f->out.dead[0],
                        "12 views: value is not JSON: invalid token near 'not'");

    /* A checkpoint keeps the open group and retains its first offset. */
    int64_t retain = 0;
    assert_int_equal(task_flush(f->t, PH_FLUSH_CHECKPOINT, &retain), 0);
    assert_int_equal(retain, 14);
    assert_int_equal(f->out.count, 1);
    assert_int_equal(offset_tracker_commit_point(&f->t->offsets, retain), 14);

    /* The final flush emits it as provisional, and still retains it. */
    assert_int_equal(task_flush(f->t, PH_FLUSH_FINAL, &retain), 0);
    assert_int_equal(retain, 14);
    assert_int_equal(f->out.count, 2);
    assert_string_equal(f->out.lines[1], "14 {\"first\":14,\"last\":14,\"count\":1,\"final\":false}");
    assert_int_equal(f->t->stages[0].records_in, 5);
    assert_int_equal(f->t->stages[0].records_out, 3);
    assert_int_equal(f->t->stages[0].records_rejected, 1);
    assert_int_equal(stage_counter_value(&f->t->stages[0], "filtered"), 1);
}

static void a_checkpoint_reaches_the_next_instance(void **state)
{
    fixture *f = *state;
    add_stage(f, "views", f->filter, json_pack("{s:s, s:[s]}", "field", "action", "in", "view"));
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 2));
    start(f);
    assert_null(task_checkpoint(f->t)); /* nothing flushed yet */
    const char *values[] = {"{\"action\":\"view\"}", "{\"action\":\"view\"}",
                            "{\"action\":\"view\"}"};
    assert_int_equal(feed(f, 20, values, 3), 0);
    int64_t retain;
    assert_int_equal(task_flush(f->t, PH_FLUSH_CHECKPOINT, &retain), 0);
    assert_int_equal(retain, 22);
    /* Only the stage that set a checkpoint appears, under its name. */
    char *text = task_checkpoint(f->t);
    assert_string_equal(text, "{\"next\":23,\"stages\":{\"groups\":\"last=22\"}}");

    char err[256];
    task *next = task_create("events", 3, f->plans, f->plan_count, NULL, 0, text, &f->env, err,
                             sizeof(err));
    free(text);
    assert_non_null(next);
    task_destroy(f->t);
    f->t = next;
    assert_int_equal(feed(f, 22, values, 2), 0);
    assert_string_equal(f->out.lines[f->out.count - 1],
                        "23 {\"first\":22,\"last\":23,\"count\":2,\"final\":true,"
                        "\"resumed\":\"last=22\"}");

    /* Text that is not a checkpoint is ignored: the stage starts afresh. */
    next = task_create("events", 3, f->plans, f->plan_count, NULL, 0, "not json", &f->env, err,
                       sizeof(err));
    assert_non_null(next);
    task_destroy(f->t);
    f->t = next;
    size_t before = f->out.count;
    assert_int_equal(feed(f, 30, values, 2), 0);
    assert_string_equal(f->out.lines[before],
                        "31 {\"first\":30,\"last\":31,\"count\":2,\"final\":true}");
}

static void a_replay_rebuilds_state_and_emits_nothing_twice(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 3));
    char err[256];
    /* As committed at offset 10 after processing up to offset 14. */
    f->t = task_create("events", 3, f->plans, f->plan_count, NULL, 0,
                       "{\"next\":15,\"stages\":{\"groups\":\"last=14\"}}", &f->env, err,
                       sizeof(err));
    assert_non_null(f->t);
    /* One batch across the end of the replay: 10..14 replayed, 15..16 new. */
    const char *values[] = {"a", "b", "c", "reject", "d", "e", "f"};
    assert_int_equal(feed(f, 10, values, 7), 0);
    /* 10, 11, 12 made a group during the replay: emitted before, not now;
     * the rejection of 13 was dead-lettered before, not now. */
    assert_int_equal(f->out.dead_count, 0);
    assert_int_equal(f->out.count, 1);
    assert_string_equal(f->out.lines[0], "16 {\"first\":14,\"last\":16,\"count\":3,"
                                         "\"final\":true,\"resumed\":\"last=14\"}");
    assert_int_equal(f->t->records_replayed, 5);
    assert_int_equal(f->t->offsets.next_offset, 17);
}

static void a_flush_mid_replay_emits_nothing_and_keeps_the_replay_end(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 5));
    char err[256];
    f->t = task_create("events", 3, f->plans, f->plan_count, NULL, 0,
                       "{\"next\":40,\"stages\":{}}", &f->env, err, sizeof(err));
    assert_non_null(f->t);
    const char *values[] = {"a", "b"};
    assert_int_equal(feed(f, 30, values, 2), 0);
    int64_t retain;
    assert_int_equal(task_flush(f->t, PH_FLUSH_FINAL, &retain), 0);
    assert_int_equal(retain, 30);
    assert_int_equal(f->out.count, 0); /* the open group stays unsaid */
    char *text = task_checkpoint(f->t);
    assert_string_equal(text, "{\"next\":40,\"stages\":{\"groups\":\"last=31\"}}");
    free(text);
}

static void a_retry_redelivers_the_batch_once(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 3));
    start(f);
    const char *values[] = {"a", "retry", "reject", "b"};
    assert_int_equal(feed(f, 0, values, 4), 0);
    /* a, retry, b make one group of 3; the reject is dead-lettered once. */
    assert_int_equal(f->out.count, 1);
    assert_string_equal(f->out.lines[0], "3 {\"first\":0,\"last\":3,\"count\":3,\"final\":true}");
    assert_int_equal(f->out.dead_count, 1);
    assert_string_equal(f->out.dead[0], "2 groups: asked to reject offset 2");
    assert_int_equal(f->t->offsets.next_offset, 4);
}

static void a_fatal_stage_stops_the_task_before_its_batch(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 1));
    start(f);
    const char *ok[] = {"a", "b"};
    assert_int_equal(feed(f, 0, ok, 2), 0);
    const char *bad[] = {"c", "fatal", "d"};
    assert_int_equal(feed(f, 2, bad, 3), -1);
    assert_true(f->t->failed);
    assert_int_equal(offset_tracker_commit_point(&f->t->offsets, PH_OFFSET_NONE), 2);
    /* Nothing more is processed once failed. */
    assert_int_equal(feed(f, 5, ok, 2), -1);
    assert_int_equal(f->out.count, 2);
}

static void on_error_stop_pins_the_rejected_offset(void **state)
{
    fixture *f = *state;
    f->env.on_error = ON_ERROR_STOP;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 1));
    start(f);
    const char *values[] = {"a", "b", "reject", "c"};
    const char *first[] = {"x", "y"};
    assert_int_equal(feed(f, 98, first, 2), 0);
    assert_int_equal(f->out.count, 2);
    assert_int_equal(feed(f, 100, values, 4), -1);
    assert_int_equal(f->out.dead_count, 0);
    /* Nothing of the failed batch was delivered: the commit stays before it. */
    assert_int_equal(f->out.count, 2);
    assert_int_equal(offset_tracker_commit_point(&f->t->offsets, PH_OFFSET_NONE), 100);
}

static void a_failing_sink_stops_the_task(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 1));
    start(f);
    f->out.fail_delivery = 1;
    const char *values[] = {"a"};
    assert_int_equal(feed(f, 7, values, 1), -1);
    assert_int_equal(offset_tracker_commit_point(&f->t->offsets, PH_OFFSET_NONE), OFFSET_UNSET);
    assert_string_equal(f->t->failure, "a sink failed to write");
}

static void init_failure_names_the_stage(void **state)
{
    fixture *f = *state;
    add_stage(f, "groups", f->counter, json_pack("{s:i}", "every", 0));
    char err[512];
    task *t = task_create("events", 0, f->plans, f->plan_count, NULL, 0, NULL, &f->env, err,
                          sizeof(err));
    assert_null(t);
    assert_string_equal(err,
                        "stage 'groups' (plugin group_counter): init failed: every must be at least 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(filter_then_group, setup, teardown),
        cmocka_unit_test_setup_teardown(a_checkpoint_reaches_the_next_instance, setup, teardown),
        cmocka_unit_test_setup_teardown(a_replay_rebuilds_state_and_emits_nothing_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(a_flush_mid_replay_emits_nothing_and_keeps_the_replay_end, setup, teardown),
        cmocka_unit_test_setup_teardown(a_retry_redelivers_the_batch_once, setup, teardown),
        cmocka_unit_test_setup_teardown(a_fatal_stage_stops_the_task_before_its_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(on_error_stop_pins_the_rejected_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_sink_stops_the_task, setup, teardown),
        cmocka_unit_test_setup_teardown(init_failure_names_the_stage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
