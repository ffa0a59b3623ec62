/*
 * A fake host for plugin unit tests.
 *
 * A test loads a shipped plugin as pipehost does and runs one instance of
 * it against test_host_api, a complete ph_host_api whose ph_context keeps
 * everything the plugin hands the host: emitted records, rejections, log
 * lines, counters and checkpoint texts. Event times and durations go
 * through the host's own services, so a plugin sees the same parsing and
 * formatting as in pipehost. What differs from pipehost is told where it
 * matters: record_json parses on every call and fails with fixed
 * messages, and the test decides when emits fail and when output is
 * dropped as during a replay.
 *
 * Failures of the fake itself (out of memory) fail the running test.
 */
#ifndef PIPEHOST_TESTS_PLUGIN_TEST_HOST_H
#define PIPEHOST_TESTS_PLUGIN_TEST_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "pipehost/plugin.h"
#include "plugin/plugin_loader.h"

/* record_json's *error for a value that is not JSON, and for no value. */
#define TEST_HOST_PARSE_ERROR "fake parse error"
#define TEST_HOST_NO_VALUE "no value"

/* A record the plugin emitted, copied. */
typedef struct test_emit {
    char *key; /* NUL-terminated copy; NULL when the record had no key */
    size_t key_len;
    /* NUL-terminated copy of the value bytes; through emit_json, the
     * value's compact JSON text, as pipehost writes it. */
    char *value;
    size_t value_len;
    /* The origin as passed, for identity checks only (it is borrowed
     * and may be gone); NULL for the default. */
    const ph_record *origin;
    /* The origin's offset, or the default's: the last record of the
     * batch being processed, or -1 before any. */
    int64_t origin_offset;
    size_t sequence; /* place among every emit and reject the host took */
    json_t *json;    /* the value parsed, once a test asked for it */
} test_emit;

/* A record the plugin rejected. */
typedef struct test_reject {
    const ph_record *record; /* as passed, for identity checks only */
    int64_t offset;
    char *reason;
    size_t sequence;
} test_reject;

typedef struct test_log_line {
    ph_log_level level;
    char *text;
} test_log_line;

typedef struct test_counter {
    char *name;
    int64_t total;
} test_counter;

/* The plugin's ctx: one fake host for one instance. */
struct ph_context {
    /* Set by the test. */
    const char *restored_checkpoint; /* what checkpoint() returns */
    int emit_fails;                  /* emit and emit_json return -1 */
    int keys_required;               /* an emit without a key fails the test */
    /* As the host does while it replays records whose output has already
     * gone out: emits and rejects are dropped and counted in suppressed. */
    int replaying;

    /* What the plugin did. */
    test_emit *emits;
    size_t emit_count;
    test_reject *rejects;
    size_t reject_count;
    test_log_line *logs;
    size_t log_count;
    test_counter *counters;
    size_t counter_count;
    size_t count_calls;
    char checkpoint[PH_CHECKPOINT_MAX + 1]; /* the last text set_checkpoint took */
    size_t checkpoints_set;
    size_t checkpoints_refused; /* texts longer than PH_CHECKPOINT_MAX */
    size_t suppressed;

    /* The fake's own. */
    size_t emit_capacity;
    size_t reject_capacity;
    size_t log_capacity;
    size_t output_count;           /* emits and rejects taken */
    int64_t default_origin_offset; /* see test_emit.origin_offset */
    json_t *lent;                  /* what record_json handed out during the call */
    char field_error[600];         /* record_fields' last refusal */
};

/* Every member set; host is the ph_context. */
extern const ph_host_api test_host_api;

/* An empty host: nothing set, nothing captured. */
void test_host_init(ph_context *host);

/* Free and forget what the plugin did; keep what the test set. */
void test_host_clear(ph_context *host);

/* Free everything the host holds and leave it empty. */
void test_host_release(ph_context *host);

/* The total a counter reached, 0 if never counted. */
int64_t test_host_counter(const ph_context *host, const char *name);

/* How many log lines came at level. */
size_t test_host_logs_at(const ph_context *host, ph_log_level level);

/* Emit index's value parsed as JSON, owned by the host; fails the test
 * when it is not JSON. */
json_t *test_host_emitted_json(ph_context *host, size_t index);

/* The reason of the latest rejection; fails the test when there is none. */
const char *test_host_last_reason(const ph_context *host);

/* ---- a plugin instance on the fake host ----------------------------------- */

typedef struct plugin_test {
    loaded_plugin *plugin;
    ph_context host;
    void *instance; /* NULL until init */
} plugin_test;

/* The plugin at path loaded, with an empty host and no instance yet; NULL,
 * with the reason on stderr, when it cannot be loaded. */
plugin_test *plugin_test_new(const char *path);

/* Destroy the instance, release the host, unload the plugin and free. */
void plugin_test_free(plugin_test *test);

/* plugin_test_free(*state), as a cmocka teardown. */
int plugin_test_teardown(void **state);

/* The plugin's init on the test's host with config; the instance goes to
 * test->instance. Returns init's result. */
int plugin_test_init(plugin_test *test, const json_t *config, char *err, size_t err_size);

/* Init from JSON config text (NUL escapes allowed); fails the test when
 * the text is not JSON or init fails. */
void plugin_test_start(plugin_test *test, const char *config_text);

/* Init from JSON config text must fail with exactly message. What init
 * left behind is destroyed, as the host does. */
void plugin_test_assert_init_fails(plugin_test *test, const char *config_text,
                                   const char *message);

/* The plugin's process and flush, as the host calls them: the records'
 * JSON values are released after the call. */
ph_status plugin_test_process(plugin_test *test, const ph_record *records, size_t count);
ph_status plugin_test_flush(plugin_test *test, ph_flush_mode mode, int64_t *retain_offset);

/* Destroy the instance (NULL is fine); the host keeps what it captured. */
void plugin_test_destroy(plugin_test *test);

#endif
