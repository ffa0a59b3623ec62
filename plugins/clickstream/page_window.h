/*
 * The aggregates of one clickstream window: per (source partition, page)
 * the event, view and rating counts, and the distinct users among the
 * views, counted exactly.
 *
 * Distinct users: each window numbers its users (a key table of userids)
 * and keeps the set of (page, user) pairs seen viewing; a page's user
 * count goes up when a pair is new. A userid is stored once per window
 * however many pages it views, and a pair costs about 11 bytes.
 */
#ifndef CLICKSTREAM_PAGE_WINDOW_H
#define CLICKSTREAM_PAGE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include <pipehost/key_table.h>

#include "pair_set.h"

typedef enum click_action {
    CLICK_OTHER, /* counted as an event only */
    CLICK_VIEW,
    CLICK_RATING,
} click_action;

typedef struct page_counts {
    int64_t events;
    int64_t views;
    int64_t users;
    int64_t ratings;
    int64_t rating_sum;
} page_counts;

typedef struct page_window {
    ph_key_table pages; /* partition (4 bytes) and page -> page_counts */
    ph_key_table users; /* userid -> nothing: numbers the viewers */
    pair_set viewers;   /* (page entry number, user entry number) */
} page_window;

/* One page of a window, as page_window_page hands it out. */
typedef struct page_group {
    int32_t partition;
    const char *page; /* not NUL-terminated */
    size_t page_len;
    const page_counts *counts;
} page_group;

/* A window with no events, or NULL out of memory. */
page_window *page_window_create(void);
void page_window_destroy(page_window *window);

/* Empty the window for reuse by the next one, keeping its memory. */
void page_window_clear(page_window *window);

/* Count one accepted event; rating is used for CLICK_RATING only. 0, or
 * -1 out of memory. */
int page_window_add(page_window *window, int32_t partition, const char *page, size_t page_len,
                    const char *userid, size_t userid_len, click_action action, int rating);

/* Pages in the order of their first event in the window. */
size_t page_window_page_count(const page_window *window);
page_group page_window_page(const page_window *window, size_t index);

#endif
