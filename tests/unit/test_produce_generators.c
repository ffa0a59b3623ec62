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

static bool prefixed_string(const json_t *value, const char *prefix)
{
    return json_is_string(value) &&
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
        return json_is_integer(value) ||
               (json_is_string(value) && iso_time(json_string_value(value), true, true, &ms));
    if (strcmp(name, "temperature") == 0 || strcmp(name, "pressure") == 0 ||
        strcmp(name, "humidity") == 0)
        return json_is_number(value);
    return false;
}

static const char *check_iot(const json_t *root, int64_t *event_ms)
{
    static const char *const metrics[] = { "temperature", "pressure", "humidity" };
    const json_t *ts = json_object_get(root, "ts");
    int metric_count = 0;

    if (!iot_field_ok(root, "device_id"))
        return "device_id";
    if (!iot_field_ok(root, "ts"))
        return "ts";
    for (size_t i = 0; i < 3; i++) {
        if (json_object_get(root, metrics[i]) == NULL)
            continue;
        if (!iot_field_ok(root, metrics[i]))
            return metrics[i];
        metric_count++;
    }
    if (metric_count == 0)
        return "metric";
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
    struct event_generator *clean = new_generator("clickstream", 5, 0);
    struct event_generator *dirty = new_generator("clickstream", 5, 0.3);
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

static void test_event_time_spans_minutes_mostly_in_order(void **unused)
{
    for (size_t p = 0; p < 3; p++) {
        struct event_generator *generator = new_generator(all_profiles[p], 3, 0);
        const int n = 100000;
        int64_t newest = INT64_MIN, first = 0;
        int out_of_order = 0, very_late = 0;

        for (int i = 0; i < n; i++) {
            struct generated_record record;

            next(generator, &record);
            if (i == 0)
                first = record.event_ms;
            assert_true(record.event_ms >= START_MS - 10 * 60 * 1000);
            if (record.event_ms < newest) {
                out_of_order++;
                very_late += newest - record.event_ms > 60 * 1000;
            } else {
                newest = record.event_ms;
            }
        }
        assert_true(first >= START_MS && first < START_MS + 60 * 1000);
        /* At least 15 one-minute windows, at most a few days. */
        assert_true(newest - START_MS > 15 * 60 * 1000);
        assert_true(newest - START_MS < INT64_C(4) * 24 * 3600 * 1000);
        assert_in_range(out_of_order, n / 200, n * 3 / 100);
        assert_in_range(very_late, 1, n / 500);
        event_generator_free(generator);
    }
}

/* Checks one malformed record against the fault it claims. */
static void assert_malformed_as_claimed(const struct profile_checks *profile,
                                        const struct generated_record *record)
{
    /* Any JSON value at the top, so a string is seen as a string. */
    json_t *root = json_loadb(record->value, record->value_len, JSON_DECODE_ANY, NULL);
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
        if (strcmp(field, "metric") == 0) {
            assert_null(json_object_get(root, "temperature"));
            assert_null(json_object_get(root, "pressure"));
            assert_null(json_object_get(root, "humidity"));
        } else {
            assert_null(json_object_get(root, field));
        }
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
        for (int kind = 1; kind < MALFORMED_KIND_COUNT; kind++)
            assert_true(by_kind[kind] > 50);
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

static void test_chat_conversations(void **unused)
{
    enum { N = 100000, MAX_CONVERSATIONS = 40000 };
    struct event_generator *generator = new_generator("chat", 2, 0);
    static unsigned char seen[MAX_CONVERSATIONS], closed[MAX_CONVERSATIONS];
    int open_now = 0, most_open = 0, non_ascii = 0, started = 0, finished = 0;
    int first_half_started = 0, first_half_closed = 0;

    memset(seen, 0, sizeof(seen));
    memset(closed, 0, sizeof(closed));
    for (int i = 0; i < N; i++) {
        struct generated_record record;
        json_t *root;
        const json_t *text;
        int conversation;

        next(generator, &record);
        root = json_loadb(record.value, record.value_len, 0, NULL);
        conversation = atoi(json_string_value(json_object_get(root, "conversation_id")) + 5);
        assert_in_range(conversation, 1, MAX_CONVERSATIONS - 1);
        assert_int_equal(closed[conversation], 0); /* nothing after closing */
        if (!seen[conversation]) {
            seen[conversation] = 1;
            started++;
            open_now++;
            /* A conversation opens with the customer. */
            assert_string_equal(json_string_value(json_object_get(root, "sender")), "customer");
        }
        if (json_object_get(root, "event") != NULL) {
            closed[conversation] = 1;
            finished++;
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
    /* Conversations started in the first half have had time to finish. */
    for (int c = 1; c < MAX_CONVERSATIONS && c <= started / 2; c++) {
        first_half_started += seen[c];
        first_half_closed += closed[c];
    }
    assert_true(most_open >= 100);
    assert_true(first_half_closed > first_half_started * 8 / 10);
    assert_true(first_half_closed < first_half_started * 97 / 100);
    assert_true(finished > 0 && started > 1000);
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
        cmocka_unit_test(test_every_record_bad_at_ratio_one),
        cmocka_unit_test(test_clickstream_popularity_and_ratings),
        cmocka_unit_test(test_clickstream_users_come_in_sessions),
        cmocka_unit_test(test_iot_episodes_cross_thresholds_and_recover),
        cmocka_unit_test(test_chat_conversations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
