/*
 * Clickstream: users browsing a shop. Pages and users are Zipf-popular;
 * a user acts in a session of several events, and a couple of dozen
 * sessions run at once, so one user's events come close together but
 * interleaved with others'. About 80 events per second of event time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "produce/event_profile.h"
#include "produce/late_arrival.h"
#include "produce/zipf.h"

#define PAGE_COUNT 1000
#define PAGE_EXPONENT_EIGHTHS 9 /* s = 1.125 */
#define USER_COUNT 10000
#define USER_EXPONENT_EIGHTHS 6 /* s = 0.75: heavy users, but no single one dominates */
#define CONCURRENT_SESSIONS 24
#define MAX_STEP_MS 24          /* a step of 1..24 ms: ~80 events per second */

/* Popularity rank to id: a bijection, so the most popular page is not
 * simply /product1. The multipliers are primes coprime to the counts. */
#define PAGE_ID(rank) (((rank) * 617u + 137u) % PAGE_COUNT + 1)
#define USER_ID(rank) (((rank) * 7919u + 1234u) % USER_COUNT + 1)

enum click_action {
    ACTION_VIEW,
    ACTION_SEARCH,
    ACTION_ADD_TO_CART,
    ACTION_REMOVE_FROM_CART,
    ACTION_PURCHASE,
    ACTION_RATING,
};

static const char *const action_names[] = {
    [ACTION_VIEW] = "view",
    [ACTION_SEARCH] = "search",
    [ACTION_ADD_TO_CART] = "add_to_cart",
    [ACTION_REMOVE_FROM_CART] = "remove_from_cart",
    [ACTION_PURCHASE] = "purchase",
    [ACTION_RATING] = "rating",
};

struct session {
    uint32_t user_id;
    uint32_t events_left;
    uint32_t cart_items;
    uint32_t product_id; /* the product page the user is on; 0 for none */
};

struct clickstream {
    struct zipf pages;
    struct zipf users;
    struct session sessions[CONCURRENT_SESSIONS];
    int64_t now_ms;
};

static void *clickstream_create(struct prng *rng, int64_t start_ms)
{
    struct clickstream *state = calloc(1, sizeof(*state));

    if (state == NULL)
        return NULL;
    if (zipf_init(&state->pages, PAGE_COUNT, PAGE_EXPONENT_EIGHTHS) != 0 ||
        zipf_init(&state->users, USER_COUNT, USER_EXPONENT_EIGHTHS) != 0) {
        zipf_free(&state->pages);
        zipf_free(&state->users);
        free(state);
        return NULL;
    }
    state->now_ms = start_ms;
    return state;
}

static void clickstream_destroy(void *opaque)
{
    struct clickstream *state = opaque;

    zipf_free(&state->pages);
    zipf_free(&state->users);
    free(state);
}

static enum click_action next_action(struct prng *rng, const struct session *session,
                                     bool first_in_session)
{
    uint32_t roll = prng_below(rng, 100);

    if (first_in_session)
        return roll < 85 ? ACTION_VIEW : ACTION_SEARCH;
    if (roll < 66)
        return ACTION_VIEW;
    if (roll < 74)
        return ACTION_SEARCH;
    if (roll < 86)
        return ACTION_ADD_TO_CART;
    if (roll < 90)
        return session->cart_items > 0 ? ACTION_REMOVE_FROM_CART : ACTION_VIEW;
    if (roll < 95)
        return session->cart_items > 0 ? ACTION_PURCHASE : ACTION_VIEW;
    return ACTION_RATING;
}

/* Ratings lean to the extremes, as real ones do. */
static int draw_rating(struct prng *rng)
{
    uint32_t roll = prng_below(rng, 100);

    if (roll < 40)
        return 5;
    if (roll < 65)
        return 4;
    if (roll < 77)
        return 3;
    if (roll < 85)
        return 2;
    return 1;
}

static void clickstream_next(void *opaque, struct prng *rng, bool delivered,
                             struct event_record *record)
{
    struct clickstream *state = opaque;
    struct session *session = &state->sessions[prng_below(rng, CONCURRENT_SESSIONS)];
    bool first_in_session = session->events_left == 0;
    enum click_action action;
    char userid[32], page[32];
    int userid_len, page_len;

    state->now_ms += prng_between(rng, 1, MAX_STEP_MS);
    if (first_in_session) {
        session->user_id = USER_ID(zipf_draw(&state->users, rng));
        session->events_left = (uint32_t)prng_between(rng, 2, 30);
        session->cart_items = 0;
        session->product_id = 0;
    }
    session->events_left--;
    action = next_action(rng, session, first_in_session);

    switch (action) {
    case ACTION_VIEW:
        session->product_id = PAGE_ID(zipf_draw(&state->pages, rng));
        break;
    case ACTION_SEARCH:
        session->product_id = 0;
        break;
    case ACTION_ADD_TO_CART:
    case ACTION_RATING:
        /* On the product page the user is looking at, if any. */
        if (session->product_id == 0)
            session->product_id = PAGE_ID(zipf_draw(&state->pages, rng));
        if (action == ACTION_ADD_TO_CART)
            session->cart_items++;
        break;
    case ACTION_REMOVE_FROM_CART:
        session->cart_items--;
        session->product_id = 0;
        break;
    case ACTION_PURCHASE:
        session->cart_items = 0;
        session->product_id = 0;
        break;
    }

    if (action == ACTION_SEARCH)
        page_len = snprintf(page, sizeof(page), "/search");
    else if (action == ACTION_REMOVE_FROM_CART)
        page_len = snprintf(page, sizeof(page), "/cart");
    else if (action == ACTION_PURCHASE)
        page_len = snprintf(page, sizeof(page), "/checkout");
    else
        page_len = snprintf(page, sizeof(page), "/product%u", session->product_id);
    userid_len = snprintf(userid, sizeof(userid), "user%u", session->user_id);

    (void)delivered; /* events stand alone */
    event_record_add_time(record, "timestamp", late_arrival_time(rng, state->now_ms),
                          TIME_ISO_SECONDS);
    event_record_add_string(record, "userid", userid, (size_t)userid_len);
    event_record_add_string(record, "page", page, (size_t)page_len);
    event_record_add_string(record, "action", action_names[action],
                            strlen(action_names[action]));
    if (action == ACTION_RATING)
        event_record_add_int(record, "rating", draw_rating(rng));
    event_record_set_key(record, userid, (size_t)userid_len);
}

#define AS_RATING { "action", FIELD_SET, "\"rating\"" }

/* A rating is only checked when the action is one. */
static const struct field_fault clickstream_faults[] = {
    FIELD_MISSING("timestamp"),
    FIELD_MISSING("userid"),
    FIELD_MISSING("page"),
    FIELD_MISSING("action"),
    { MALFORMED_MISSING_FIELD, "rating", { { "rating", FIELD_REMOVE, NULL }, AS_RATING } },
    FIELD_WRONG("timestamp", "\"yesterday\""),
    FIELD_WRONG("timestamp", "\"2022-01-01T25:61:00\""),
    FIELD_WRONG("timestamp", "true"),
    FIELD_WRONG("timestamp", "-1640995200000"),    /* before 1970: a sign error */
    FIELD_WRONG("timestamp", "253402300800000"),   /* 10000-01-01: past year 9999 */
    FIELD_WRONG("timestamp", "1640995200000000"),  /* microseconds for milliseconds */
    FIELD_WRONG("userid", "123"),
    FIELD_WRONG("userid", "\"\""),
    FIELD_WRONG("userid", "\"user\\u00001\""),
    FIELD_WRONG("page", "404"),
    FIELD_WRONG("page", "null"),
    FIELD_WRONG("page", "\"\""),
    FIELD_WRONG("page", "\"/product\\u00002\""),
    FIELD_WRONG("action", "true"),
    FIELD_WRONG("action", "\"\""),
    { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "0" }, AS_RATING } },
    { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "6" }, AS_RATING } },
    { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "3.5" }, AS_RATING } },
    { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "5.0" }, AS_RATING } },
    { MALFORMED_WRONG_TYPE, "rating", { { "rating", FIELD_SET, "\"five\"" }, AS_RATING } },
};

const struct event_profile clickstream_profile = {
    .name = "clickstream",
    .create = clickstream_create,
    .destroy = clickstream_destroy,
    .next = clickstream_next,
    .write_late = late_arrival_past_window,
    .faults = clickstream_faults,
    .fault_count = sizeof(clickstream_faults) / sizeof(clickstream_faults[0]),
};
