/*
 * pipehost test kit: run a plugin without Kafka and without the host.
 *
 * Three parts, in libpipehost_testkit (CMake: pipehost::testkit):
 *
 *   - A fake host: test_host_api, a complete ph_host_api whose ph_context
 *     keeps everything a plugin hands the host (emitted records,
 *     rejections, log lines, counters, checkpoint texts) for the test to
 *     look at. Event times and durations go through pipehost's own
 *     parsers, so a plugin sees what it sees in pipehost. What differs:
 *     record_json parses on every call and fails with fixed messages, and
 *     the test decides when emits fail and when output is dropped as
 *     during a replay.
 *   - A plugin instance on that host (plugin_test): the .so loaded and
 *     ABI-checked as pipehost loads it, then init, process, flush and
 *     destroy called as pipehost calls them.
 *   - The golden-test transcript: the JSON lines `pipehost test-plugin`
 *     prints and compares ({"emit":...}, {"reject":...}, {"flush":...},
 *     {"restart":...}), built from either a run of the host's partition
 *     task or the fake host's capture, written out and diffed against an
 *     expected file.
 *
 * Nothing here aborts or depends on a test framework: failures are
 * returned or counted, and reported through ph_context.on_failure when
 * the test sets it.
 */
#ifndef PIPEHOST_TESTKIT_H
#define PIPEHOST_TESTKIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pipehost/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the fake host ------------------------------------------------------- */

/* record_json's *error for a value that is not JSON, for no value, and
 * when the fake is out of memory. */
#define TEST_HOST_PARSE_ERROR "fake parse error"
#define TEST_HOST_NO_VALUE "no value"
#define TEST_HOST_NO_MEMORY "out of memory"

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
    size_t call;     /* how many plugin calls had ended before it */
    json_t *json;    /* the value parsed, once test_host_emit_value asked */
} test_emit;

/* A record the plugin rejected. */
typedef struct test_reject {
    const ph_record *record; /* as passed, for identity checks only */
    int64_t offset;
    char *reason;
    size_t sequence;
    size_t call;
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
    /* An emit without a key is a failure (counted in keyless_emits, then
     * taken all the same). */
    int keys_required;
    /* As the host does while it replays records whose output has already
     * gone out: emits and rejects are dropped and counted in suppressed. */
    int replaying;
    /* Called with a message on each failure: a keyless emit while
     * keys_required, a call the fake could not record for want of memory.
     * A test framework's fail (cmocka's fail_msg, say) ends the test
     * there; NULL: failures are only counted. */
    void (*on_failure)(const char *message);

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
    size_t keyless_emits;
    size_t out_of_memory; /* calls the fake could not record */

    /* The fake's own. */
    size_t emit_capacity;
    size_t reject_capacity;
    size_t log_capacity;
    size_t output_count;           /* emits and rejects taken */
    size_t calls_ended;            /* plugin calls ended (test_host_end_call) */
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

/* A plugin call ended: drop the JSON values record_json lent during it
 * and count it. The plugin_test calls do this after each process and
 * flush. */
void test_host_end_call(ph_context *host);

/* The total a counter reached, 0 if never counted. */
int64_t test_host_counter(const ph_context *host, const char *name);

/* How many log lines came at level. */
size_t test_host_logs_at(const ph_context *host, ph_log_level level);

/* Emit index's value parsed as JSON, owned by the host (parsed once);
 * NULL when index is out of range or the value is not JSON. */
json_t *test_host_emit_value(ph_context *host, size_t index);

/* ---- a plugin instance on the fake host ----------------------------------- */

struct loaded_plugin;

typedef struct plugin_test {
    struct loaded_plugin *plugin; /* the loaded .so; see plugin_test_descriptor */
    ph_context host;
    void *instance; /* NULL until init */
} plugin_test;

/* The plugin at path loaded and checked as pipehost does, with an empty
 * host and no instance yet; NULL, with "PATH: reason" in err, when it is
 * refused. */
plugin_test *plugin_test_load(const char *path, char *err, size_t err_size);

/* The loaded plugin's descriptor and name. */
const ph_descriptor *plugin_test_descriptor(const plugin_test *test);
const char *plugin_test_name(const plugin_test *test);

/* Destroy the instance, release the host, unload the plugin and free.
 * NULL is fine. */
void plugin_test_free(plugin_test *test);

/* The plugin's init on the test's host with config (a JSON object with
 * the declared fields, as pipehost builds it); the instance goes to
 * test->instance. Returns init's result, or -1 with a message when an
 * instance already exists. */
int plugin_test_init(plugin_test *test, const json_t *config, char *err, size_t err_size);

/* Init from JSON config text (NUL escapes allowed). -1 with "config is
 * not JSON: ..." in err when it is not; otherwise init's result. */
int plugin_test_init_text(plugin_test *test, const char *config_text, char *err,
                          size_t err_size);

/* The plugin's process and flush, as the host calls them: the records'
 * JSON values are released after the call. */
ph_status plugin_test_process(plugin_test *test, const ph_record *records, size_t count);
ph_status plugin_test_flush(plugin_test *test, ph_flush_mode mode, int64_t *retain_offset);

/* Destroy the instance (none is fine); the host keeps what it captured. */
void plugin_test_destroy(plugin_test *test);

/* ---- the golden-test transcript ----------------------------------------- */

/* A transcript is a JSON array of the lines below; each adder returns 0,
 * or -1 out of memory. */

/* {"emit": VALUE, "key": KEY|null, "offset": N}: VALUE is the value's JSON
 * (a JSON string of the bytes when they are not JSON; null for none). */
int test_transcript_emit(json_t *lines, const void *key, size_t key_len, const void *value,
                         size_t value_len, int64_t offset);
/* {"reject": REASON, "offset": N} */
int test_transcript_reject(json_t *lines, const char *reason, int64_t offset);
/* {"flush": "checkpoint"|"final", "retain_offset": N|null} */
int test_transcript_flush(json_t *lines, ph_flush_mode mode, int64_t retain_offset);
/* {"restart": OFFSET, "checkpoint": TEXT|null} */
int test_transcript_restart(json_t *lines, int64_t offset, const char *checkpoint);

/* The fake host's emits and rejects in the order pipehost reports them:
 * per plugin call, its rejections (sent to the dead letter as they come),
 * then its emits (delivered when the call's batch is done). */
int test_host_transcript(const ph_context *host, json_t *lines);

/* One compact line per entry, keys sorted. 0, or -1 on a write error. */
int test_transcript_write(const json_t *lines, FILE *out);

/* Compare with the JSON lines of expect_path (as JSON values: key order
 * and spacing aside). Returns 0 when equal; 1 when they differ, with each
 * differing line and a count written to report; -1 when the file cannot
 * be read (the reason on report). */
int test_transcript_diff(const json_t *lines, const char *expect_path, FILE *report);

/* Every line of a file, without its newline; NULL with the reason in err
 * when it cannot be read. Free with test_lines_free. */
char **test_lines_read(const char *path, size_t *count, char *err, size_t err_size);
void test_lines_free(char **lines, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_TESTKIT_H */
