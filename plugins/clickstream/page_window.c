/*
 * One clickstream window's aggregates.
 */
#include "page_window.h"

#include <stdlib.h>
#include <string.h>

/* Group keys up to this size are composed on the stack. */
#define SHORT_KEY_SIZE 256

page_window *page_window_create(void)
{
    page_window *window = calloc(1, sizeof(*window));

    if (window == NULL)
        return NULL;
    if (ph_key_table_init(&window->pages, sizeof(page_counts)) != 0 ||
        ph_key_table_init(&window->users, 0) != 0 || pair_set_init(&window->viewers) != 0) {
        page_window_destroy(window);
        return NULL;
    }
    return window;
}

void page_window_destroy(page_window *window)
{
    if (window == NULL)
        return;
    ph_key_table_free(&window->pages);
    ph_key_table_free(&window->users);
    pair_set_free(&window->viewers);
    free(window);
}

void page_window_clear(page_window *window)
{
    ph_key_table_clear(&window->pages);
    ph_key_table_clear(&window->users);
    pair_set_clear(&window->viewers);
}

/* The entry number of (partition, page), added if new; -1 out of memory.
 * The key is the partition's 4 bytes followed by the page. */
static int64_t page_entry(page_window *window, int32_t partition, const char *page,
                          size_t page_len)
{
    char short_key[SHORT_KEY_SIZE];
    char *key = short_key;
    size_t key_len = sizeof(partition) + page_len;
    int64_t entry;

    if (key_len > sizeof(short_key)) {
        key = malloc(key_len);
        if (key == NULL)
            return -1;
    }
    memcpy(key, &partition, sizeof(partition));
    memcpy(key + sizeof(partition), page, page_len);
    entry = ph_key_table_add(&window->pages, key, key_len, NULL);
    if (key != short_key)
        free(key);
    return entry;
}

int page_window_add(page_window *window, int32_t partition, const char *page, size_t page_len,
                    const char *userid, size_t userid_len, click_action action, int rating)
{
    int64_t page_number = page_entry(window, partition, page, page_len);
    page_counts *counts;
    int64_t user_number;
    int new_viewer = 0;

    if (page_number < 0)
        return -1;
    if (action == CLICK_VIEW) {
        user_number = ph_key_table_add(&window->users, userid, userid_len, NULL);
        if (user_number < 0)
            return -1;
        new_viewer = pair_set_add(&window->viewers, (uint32_t)page_number, (uint32_t)user_number);
        if (new_viewer < 0)
            return -1;
    }
    counts = ph_key_table_value(&window->pages, (size_t)page_number);
    counts->events++;
    if (action == CLICK_VIEW) {
        counts->views++;
        counts->users += new_viewer;
    } else if (action == CLICK_RATING) {
        counts->ratings++;
        counts->rating_sum += rating;
    }
    return 0;
}

size_t page_window_page_count(const page_window *window)
{
    return ph_key_table_count(&window->pages);
}

page_group page_window_page(const page_window *window, size_t index)
{
    size_t key_len;
    const char *key = ph_key_table_key(&window->pages, index, &key_len);
    page_group group;

    memcpy(&group.partition, key, sizeof(group.partition));
    group.page = key + sizeof(group.partition);
    group.page_len = key_len - sizeof(group.partition);
    group.counts = ph_key_table_value(&window->pages, index);
    return group;
}
