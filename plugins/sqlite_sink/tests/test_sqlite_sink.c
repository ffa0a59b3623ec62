/*
 * The sqlite_sink plugin, loaded as pipehost loads it, run against the
 * fake host; what it wrote is read back with SQLite directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "plugin_test_host.h"

typedef struct fixture {
    plugin_test *test;
    char folder[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->folder, sizeof(f->folder), "/tmp/sqlite-sink-test-XXXXXX");
    if (mkdtemp(f->folder) == NULL)
        return -1;
    /* A folder that does not exist yet: the sink creates it. */
    snprintf(f->path, sizeof(f->path), "%s/sub/out.db", f->folder);
    f->test = plugin_test_new(SQLITE_SINK_PLUGIN);
    *state = f;
    return f->test != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char command[256];

    plugin_test_free(f->test);
    snprintf(command, sizeof(command), "rm -rf '%s'", f->folder);
    if (system(command) != 0)
        return -1;
    free(f);
    return 0;
}

static ph_record record_of(const char *text, int64_t offset)
{
    return (ph_record){.value = text, .value_len = text ? strlen(text) : 0, .topic = "t",
                       .partition = 0, .offset = offset, .timestamp_ms = -1};
}

/* Process each text as one record, in one batch. */
static void process_texts(plugin_test *test, const char *const *texts, size_t count)
{
    ph_record *records = calloc(count, sizeof(*records));

    assert_non_null(records);
    for (size_t i = 0; i < count; i++)
        records[i] = record_of(texts[i], (int64_t)i);
    assert_int_equal(plugin_test_process(test, records, count), PH_OK);
    free(records);
}

static void flush_ok(plugin_test *test)
{
    int64_t retain = 0;

    assert_int_equal(plugin_test_flush(test, PH_FLUSH_CHECKPOINT, &retain), PH_OK);
    assert_int_equal(retain, PH_OFFSET_NONE);
}

/* The rows of query, one line each, columns separated by '|', NULL as
 * "NULL", reals as %.17g: compared as text with what the test expects. */
static char *query_text(const char *path, const char *query)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);

    assert_non_null(out);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &statement, NULL), SQLITE_OK);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(statement); c++) {
            if (c > 0)
                fputc('|', out);
            switch (sqlite3_column_type(statement, c)) {
            case SQLITE_NULL:
                fputs("NULL", out);
                break;
            case SQLITE_INTEGER:
                fprintf(out, "%lld", (long long)sqlite3_column_int64(statement, c));
                break;
            case SQLITE_FLOAT:
                fprintf(out, "%.17g", sqlite3_column_double(statement, c));
                break;
            default:
                fprintf(out, "'%s'", (const char *)sqlite3_column_text(statement, c));
                break;
            }
        }
        fputc('\n', out);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    fclose(out);
    return text;
}

static void assert_query(const char *path, const char *query, const char *expected)
{
    char *text = query_text(path, query);

    assert_string_equal(text, expected);
    free(text);
}

static char *config_for(const fixture *f, const char *rest)
{
    char *config = NULL;

    assert_true(asprintf(&config, "{\"path\": \"%s\", %s}", f->path, rest) > 0);
    return config;
}

static const char typed_table[] =
    "\"table\": \"stats\", \"key_columns\": [\"page\", \"part\"], "
    "\"columns\": {\"page\": \"text\", \"part\": \"integer\", \"views\": \"integer\", "
    "\"mean\": \"real\", \"final\": \"boolean\", \"extra\": \"json\"}";

/* ---- tests ------------------------------------------------------------------ */

static void test_descriptor(void **state)
{
    fixture *f = *state;
    const ph_descriptor *d = plugin_test_descriptor(f->test);

    assert_int_equal(d->kind, PH_KIND_SINK);
    assert_string_equal(d->name, "sqlite_sink");
}

static void test_writes_typed_rows_at_flush(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);
    static const char *const texts[] = {
        "{\"page\": \"/a\", \"part\": 0, \"views\": 3, \"mean\": 2.5, \"final\": true, "
        "\"extra\": {\"x\": [1, \"two\"]}, \"ignored\": 1}",
        "{\"page\": \"/b\", \"part\": 1, \"views\": 9007199254740993, \"mean\": 7, "
        "\"final\": false, \"extra\": \"s\"}",
        /* Absent and null fields outside the key are NULL. */
        "{\"page\": \"/c\", \"part\": 0, \"mean\": null}",
        /* Quotes and non-ASCII go through bound parameters as they are. */
        "{\"page\": \"it's \\\"q\\\" \\u00e9\", \"part\": -2, \"mean\": 0.1}",
    };

    plugin_test_start(f->test, config);
    process_texts(f->test, texts, 4);
    /* Nothing is written before the flush. */
    assert_query(f->path, "SELECT count(*) FROM stats", "0\n");
    flush_ok(f->test);
    assert_query(f->path, "SELECT page, part, views, mean, final, extra FROM stats ORDER BY page",
                 "'/a'|0|3|2.5|1|'{\"x\":[1,\"two\"]}'\n"
                 "'/b'|1|9007199254740993|7|0|'\"s\"'\n"
                 "'/c'|0|NULL|NULL|NULL|NULL\n"
                 "'it's \"q\" \xc3\xa9'|-2|NULL|0.10000000000000001|NULL|NULL\n");
    assert_int_equal(test_host_counter(&f->test->host, "rows_written"), 4);
    assert_int_equal(f->test->host.reject_count, 0);
    free(config);
}

static void test_upsert_keeps_the_latest_per_key(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);
    static const char *const first[] = {
        "{\"page\": \"/a\", \"part\": 0, \"views\": 1}",
        "{\"page\": \"/a\", \"part\": 1, \"views\": 5}",
        "{\"page\": \"/a\", \"part\": 0, \"views\": 2}", /* the same key in one flush */
    };
    static const char *const second[] = {
        "{\"page\": \"/a\", \"part\": 0, \"views\": 3, \"final\": true}",
    };

    plugin_test_start(f->test, config);
    process_texts(f->test, first, 3);
    flush_ok(f->test);
    assert_query(f->path, "SELECT page, part, views, final FROM stats ORDER BY part",
                 "'/a'|0|2|NULL\n'/a'|1|5|NULL\n");
    assert_int_equal(test_host_counter(&f->test->host, "rows_written"), 2);
    process_texts(f->test, second, 1);
    flush_ok(f->test);
    assert_query(f->path, "SELECT page, part, views, final FROM stats ORDER BY part",
                 "'/a'|0|3|1\n'/a'|1|5|NULL\n");
    /* A replay of everything leaves the same rows. */
    process_texts(f->test, first, 3);
    process_texts(f->test, second, 1);
    flush_ok(f->test);
    assert_query(f->path, "SELECT page, part, views, final FROM stats ORDER BY part",
                 "'/a'|0|3|1\n'/a'|1|5|NULL\n");
    /* An empty flush writes nothing and succeeds. */
    flush_ok(f->test);
    free(config);
}

static void test_rejects_what_does_not_fit(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);
    static const char *const texts[] = {
        "not json",
        "[1, 2]",
        "{\"part\": 0}",
        "{\"page\": null, \"part\": 0}",
        "{\"page\": 5, \"part\": 0}",
        "{\"page\": \"/a\", \"part\": 1.0}",
        "{\"page\": \"/a\", \"part\": \"1\"}",
        "{\"page\": \"/a\", \"part\": 0, \"views\": 2.5}",
        "{\"page\": \"/a\", \"part\": 0, \"views\": true}",
        "{\"page\": \"/a\", \"part\": 0, \"mean\": \"1.5\"}",
        "{\"page\": \"/a\", \"part\": 0, \"final\": 1}",
        "{\"page\": \"a\\u0000b\", \"part\": 0}",
        "{\"page\": \"/a\", \"part\": 0, \"extra\": [\"\\u0000\"]}",
        "{\"page\": \"/ok\", \"part\": 0, \"views\": 1}",
    };
    static const char *const reasons[] = {
        NULL, /* the host's parse error */
        "value is not a JSON object",
        "missing key field 'page'",
        "key field 'page' is null",
        "field 'page' must be a string",
        "field 'part' must be an integer",
        "field 'part' must be an integer",
        "field 'views' must be an integer",
        "field 'views' must be an integer",
        "field 'mean' must be a number",
        "field 'final' must be true or false",
        "field 'page' contains a NUL character",
        "field 'extra' contains a NUL character",
    };
    size_t rejected = sizeof(reasons) / sizeof(reasons[0]);

    plugin_test_start(f->test, config);
    process_texts(f->test, texts, sizeof(texts) / sizeof(texts[0]));
    assert_int_equal(f->test->host.reject_count, rejected);
    for (size_t i = 0; i < rejected; i++) {
        assert_int_equal(f->test->host.rejects[i].offset, (int64_t)i);
        if (reasons[i] != NULL)
            assert_string_equal(f->test->host.rejects[i].reason, reasons[i]);
        else
            assert_true(strncmp(f->test->host.rejects[i].reason, "value is not JSON", 17) == 0);
    }
    flush_ok(f->test);
    assert_query(f->path, "SELECT page, part, views FROM stats", "'/ok'|0|1\n");
    free(config);
}

static void test_where_skips_other_records(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, "\"table\": \"alerts\", \"key_columns\": [\"id\"], "
                                 "\"columns\": {\"id\": \"text\", \"v\": \"real\"}, "
                                 "\"where\": {\"type\": \"alert\", \"final\": true, "
                                 "\"test\": null}");
    static const char *const texts[] = {
        "{\"type\": \"alert\", \"final\": true, \"id\": \"x\", \"v\": 1}",
        "{\"type\": \"stats\", \"final\": true, \"id\": \"y\", \"v\": 2}",
        "{\"type\": \"alert\", \"id\": \"z\", \"v\": 3}",
        "{\"type\": \"alert\", \"final\": true, \"v\": 3}", /* matches, then lacks its key */
        "{\"type\": \"alert\", \"final\": true, \"id\": \"w\", \"test\": true}",
        "{\"type\": \"alert\", \"final\": true, \"id\": \"n\", \"test\": null}",
    };

    plugin_test_start(f->test, config);
    process_texts(f->test, texts, 6);
    assert_int_equal(test_host_counter(&f->test->host, "skipped"), 3);
    assert_int_equal(f->test->host.reject_count, 1);
    assert_string_equal(test_host_last_reason(&f->test->host), "missing key field 'id'");
    flush_ok(f->test);
    assert_query(f->path, "SELECT id, v FROM alerts ORDER BY id", "'n'|NULL\n'x'|1\n");
    free(config);
}

static void test_wal_mode_and_key(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);

    plugin_test_start(f->test, config);
    assert_query(f->path, "PRAGMA journal_mode", "'wal'\n");
    assert_query(f->path, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('stats') "
                          "ORDER BY cid",
                 "'page'|'TEXT'|1|1\n'part'|'INTEGER'|1|2\n'views'|'INTEGER'|0|0\n"
                 "'mean'|'REAL'|0|0\n'final'|'INTEGER'|0|0\n'extra'|'TEXT'|0|0\n");
    free(config);
}

/* Partition tasks each have an instance; they share the file. */
static void test_two_instances_share_the_file(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);
    plugin_test *other = plugin_test_new(SQLITE_SINK_PLUGIN);
    static const char *const mine[] = {"{\"page\": \"/a\", \"part\": 0, \"views\": 1}"};
    static const char *const theirs[] = {"{\"page\": \"/a\", \"part\": 1, \"views\": 2}"};

    assert_non_null(other);
    plugin_test_start(f->test, config);
    plugin_test_start(other, config);
    process_texts(f->test, mine, 1);
    process_texts(other, theirs, 1);
    flush_ok(other);
    flush_ok(f->test);
    assert_query(f->path, "SELECT part, views FROM stats ORDER BY part", "0|1\n1|2\n");
    plugin_test_free(other);
    free(config);
}

static void test_init_errors(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *rest;
        const char *message;
    } cases[] = {
        {"\"table\": \"bad-name\", \"key_columns\": [\"a\"], \"columns\": {\"a\": \"text\"}",
         "table: name 'bad-name' is not a plain identifier: use letters, digits and '_', not "
         "starting with a digit, at most 63 characters"},
        {"\"table\": \"t\", \"key_columns\": [\"a\"], \"columns\": {\"a\": \"text\", "
         "\"1b\": \"text\"}",
         "columns: column name '1b' is not a plain identifier: use letters, digits and '_', "
         "not starting with a digit, at most 63 characters"},
        {"\"table\": \"t\", \"key_columns\": [\"a\"], \"columns\": {\"a\": \"varchar\"}",
         "columns: column 'a' has type 'varchar'; expected text, integer, real, boolean or json"},
        {"\"table\": \"t\", \"key_columns\": [\"a\"], \"columns\": {\"a\": 5}",
         "columns: column 'a' has type that is not a name; expected text, integer, real, "
         "boolean or json"},
        {"\"table\": \"t\", \"key_columns\": [\"b\"], \"columns\": {\"a\": \"text\"}",
         "key_columns: 'b' is not one of the columns"},
        {"\"table\": \"t\", \"key_columns\": [\"a\", \"a\"], \"columns\": {\"a\": \"text\"}",
         "key_columns: 'a' is named twice"},
        {"\"table\": \"t\", \"key_columns\": [], \"columns\": {\"a\": \"text\"}",
         "key_columns: expected at least one column (the upsert key)"},
        {"\"table\": \"t\", \"key_columns\": [\"a\"], \"columns\": {}",
         "columns: expected at least one column (name: type)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *config = config_for(f, cases[i].rest);
        plugin_test_assert_init_fails(f->test, config, cases[i].message);
        free(config);
    }
}

/* A table that exists with other columns or another key is refused at
 * init, with SQLite's reason, rather than at the first flush. */
static void test_existing_table_must_fit(void **state)
{
    fixture *f = *state;
    char *config = config_for(f, typed_table);
    char *message = NULL;
    sqlite3 *db = NULL;

    plugin_test_start(f->test, config);
    plugin_test_destroy(f->test);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE narrow (page TEXT PRIMARY KEY); "
                                      "CREATE TABLE keyless (page TEXT, part INTEGER, views "
                                      "INTEGER, mean REAL, final INTEGER, extra TEXT)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    free(config);

    config = config_for(f, "\"table\": \"narrow\", \"key_columns\": [\"page\"], "
                           "\"columns\": {\"page\": \"text\", \"views\": \"integer\"}");
    assert_true(asprintf(&message, "%s: table narrow: table narrow has no column named views",
                         f->path) > 0);
    plugin_test_assert_init_fails(f->test, config, message);
    free(config);
    free(message);

    config = config_for(f, "\"table\": \"keyless\", \"key_columns\": [\"page\"], "
                           "\"columns\": {\"page\": \"text\", \"views\": \"integer\"}");
    assert_true(asprintf(&message,
                         "%s: table keyless: ON CONFLICT clause does not match any PRIMARY KEY or "
                         "UNIQUE constraint",
                         f->path) > 0);
    plugin_test_assert_init_fails(f->test, config, message);
    free(config);
    free(message);
}

static void test_unwritable_path(void **state)
{
    fixture *f = *state;

    plugin_test_assert_init_fails(
        f->test,
        "{\"path\": \"/dev/null/x/y.db\", \"table\": \"t\", \"key_columns\": [\"a\"], "
        "\"columns\": {\"a\": \"text\"}}",
        "/dev/null/x/y.db: cannot create the folder /dev/null/x: Not a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_typed_rows_at_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_keeps_the_latest_per_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_what_does_not_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_skips_other_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_mode_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_instances_share_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_table_must_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
