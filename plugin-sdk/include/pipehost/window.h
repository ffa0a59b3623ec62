/*
 * Tumbling event-time windows with a watermark, for plugins that
 * aggregate a partition's records by time.
 *
 * Model (one ph_window_clock per partition task):
 *
 *   - Windows are tumbling and aligned to the epoch: the window of event
 *     time t is [start, start + length) with start = floor(t / length) *
 *     length, computed with floor division so that times before 1970 fall
 *     in the right window too. An event exactly at a window's end belongs
 *     to the next window.
 *
 *   - The watermark is the largest event time seen so far minus
 *     allowed_lateness. Before the first event there is none, and no
 *     window is closed.
 *
 *   - A window is closed once watermark >= its end: every event still to
 *     come for it is at least allowed_lateness older than an event already
 *     seen. A record whose window is closed is late, and is rejected.
 *
 *   - A ph_window_set holds the open windows in ascending start order,
 *     each with the smallest source offset of the records it holds: the
 *     retain offset a plugin reports from flush is the smallest of those.
 *     The closed windows are always the oldest ones, so a plugin closes
 *     windows by taking the oldest while it is closed.
 *
 *   - Restart: the host commits no further than the retain offset, and
 *     after a restart replays from there, suppressing what the replayed
 *     records cause. Each open window also remembers the watermark as it
 *     stood when its oldest record arrived; the checkpoint a plugin sets
 *     at every flush is that watermark for the window at the retain
 *     offset (the current watermark when no window is open), and the next
 *     instance starts its clock there. Replay then takes every record
 *     from the retain offset on exactly as the first run did: the same
 *     records are accepted and rejected as late, the same windows close
 *     at the same records, and the state reached where processing had
 *     stopped is the state the first run had there. A window emitted as
 *     final before the commit is never rebuilt into a partial one that
 *     would be emitted later: either replay closes it again (its
 *     emission is suppressed as replayed), or its records are late. (If
 *     the host resumes from an older offset, because another stage
 *     retains one, the records before this stage's retain offset may
 *     meet a watermark ahead of the one they first met: those of windows
 *     emitted before that offset are late, and the windows of the others
 *     close again during the replay. Windows come out the same.)
 *
 * A plugin's record loop then reads:
 *
 *     if (ph_window_is_closed(&clock, ph_window_start(&clock, t)))
 *         reject "late event";
 *     window = ph_window_set_open(&set, &clock, ph_window_start(&clock, t), offset);
 *     ...add the record to window->state...
 *     ph_window_observe(&clock, t);
 *     while ((window = ph_window_set_oldest_closed(&set, &clock)) != NULL) {
 *         ...emit window->state as final, free it...
 *         ph_window_set_remove_oldest(&set);
 *     }
 *
 * init calls ph_window_clock_restore after configuring the clock, and
 * every flush calls ph_window_clock_checkpoint and reports
 * ph_window_set_retain_offset. ph_window_aggregator, at the end of this
 * header, is that loop and that flush, written once: a plugin hands it
 * callbacks for what is its own (reading a record, counting it into a
 * window's state, writing a window's results).
 *
 * Everything here is plain data and functions without globals; link the
 * static library pipehost_window.
 */
#ifndef PIPEHOST_WINDOW_H
#define PIPEHOST_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <pipehost/json_text.h>
#include <pipehost/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event times the windowing accepts: years 0000 to 9999, the years an
 * ISO-8601 timestamp can write. Keeping times and durations bounded keeps
 * every window boundary and watermark free of overflow. */
#define PH_WINDOW_TIME_MIN INT64_C(-62167219200000) /* 0000-01-01T00:00:00Z */
#define PH_WINDOW_TIME_MAX INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

/* The longest window and the longest allowed lateness: 3650 days. */
#define PH_WINDOW_DURATION_MAX INT64_C(315360000000)

/* "No time": the watermark before the first event. */
#define PH_WINDOW_NO_TIME INT64_MIN

/*
 * The two configuration fields every windowed plugin declares, for its
 * ph_config_field array, with its own defaults as YAML duration text:
 *
 *     static const ph_config_field fields[] = {
 *         PH_WINDOW_CONFIG_FIELDS("1m", "10s"),
 *         ...
 *     };
 */
#define PH_WINDOW_CONFIG_FIELDS(default_window, default_lateness)                             \
    {.name = "window", .type = PH_CONFIG_DURATION, .default_value = (default_window),         \
     .description = "length of the tumbling event-time windows, aligned to the epoch"},       \
    {.name = "allowed_lateness", .type = PH_CONFIG_DURATION,                                  \
     .default_value = (default_lateness),                                                     \
     .description = "how far behind the newest event time a record may be; a window "        \
                    "closes once the newest event time minus this reaches its end"}

/* ---- the clock: alignment and watermark ------------------------------------ */

typedef struct ph_window_clock {
    int64_t length_ms;
    int64_t allowed_lateness_ms;
    int64_t max_event_ms; /* PH_WINDOW_NO_TIME before the first event */
} ph_window_clock;

/*
 * Set up a clock with no event seen. length_ms must be from 1 to
 * PH_WINDOW_DURATION_MAX, allowed_lateness_ms from 0 to
 * PH_WINDOW_DURATION_MAX. Returns 0, or -1 with a message naming the
 * config field ("window: ..." or "allowed_lateness: ...") in err.
 */
int ph_window_clock_init(ph_window_clock *clock, int64_t length_ms, int64_t allowed_lateness_ms,
                         char *err, size_t err_size);

/* ph_window_clock_init from a plugin config holding the fields of
 * PH_WINDOW_CONFIG_FIELDS (integers of milliseconds, as the host passes
 * durations). 0, or -1 with a message in err. */
int ph_window_clock_configure(ph_window_clock *clock, const json_t *config, char *err,
                              size_t err_size);

/* Whether event_ms lies in [PH_WINDOW_TIME_MIN, PH_WINDOW_TIME_MAX]. The
 * functions below expect times in that range. */
int ph_window_time_in_range(int64_t event_ms);

/* Start of the window holding event_ms (floor, also below zero). */
int64_t ph_window_start(const ph_window_clock *clock, int64_t event_ms);

/* End (exclusive) of the window starting at window_start. */
int64_t ph_window_end(const ph_window_clock *clock, int64_t window_start);

/* Largest event time seen minus allowed lateness; PH_WINDOW_NO_TIME
 * before the first event. */
int64_t ph_window_watermark(const ph_window_clock *clock);

/* Whether the window starting at window_start is closed: watermark >= its
 * end. Never true before the first event. */
int ph_window_is_closed(const ph_window_clock *clock, int64_t window_start);

/* Account for an accepted event: the watermark moves up when event_ms is
 * the largest time seen, and never moves down. */
void ph_window_observe(ph_window_clock *clock, int64_t event_ms);

/* ---- the open windows of one partition ----------------------------------- */

typedef struct ph_open_window {
    int64_t start_ms;
    int64_t oldest_offset; /* smallest source offset of a record in it */
    /* The watermark just before the record at oldest_offset was counted
     * (PH_WINDOW_NO_TIME if it was the first event): where a replay from
     * that offset starts the clock. */
    int64_t oldest_watermark;
    void *state; /* the plugin's aggregates; NULL when just opened */
} ph_open_window;

typedef struct ph_window_set {
    ph_open_window *windows; /* ascending start_ms; windows[0] is the oldest */
    size_t count;
    size_t capacity;
} ph_window_set;

/* An empty set. Needs no allocation, so it cannot fail. */
void ph_window_set_init(ph_window_set *set);

/* Free the set's array. The plugin frees the states first. */
void ph_window_set_free(ph_window_set *set);

/*
 * The open window starting at start_ms, added with state NULL if absent,
 * with offset taken into its oldest offset. Call it before observing the
 * record's time: a new oldest offset records the clock's watermark as it
 * stands. NULL when out of memory. The pointer is valid until the set
 * changes next.
 */
ph_open_window *ph_window_set_open(ph_window_set *set, const ph_window_clock *clock,
                                   int64_t start_ms, int64_t offset);

/* The oldest window if the clock has closed it, else NULL. */
ph_open_window *ph_window_set_oldest_closed(const ph_window_set *set,
                                            const ph_window_clock *clock);

/* Drop the oldest window (its state is the plugin's to free first). */
void ph_window_set_remove_oldest(ph_window_set *set);

/* The smallest oldest offset of the open windows, or PH_OFFSET_NONE when
 * there is none: the retain offset for flush. */
int64_t ph_window_set_retain_offset(const ph_window_set *set);

/* The watermark a restart must start from: that of the window holding
 * the retain offset when its oldest record arrived, or, with no window
 * open, the clock's watermark now (a restart then resumes after the last
 * record processed). PH_WINDOW_NO_TIME when that is before any event. */
int64_t ph_window_resume_watermark(const ph_window_set *set, const ph_window_clock *clock);

/* ---- checkpoints: the watermark across a restart -------------------------- */

/*
 * The checkpoint text is a JSON object, {"watermark": MS} or
 * {"watermark": null} before any event; at most PH_WINDOW_CHECKPOINT_SIZE
 * bytes with its NUL, well under PH_CHECKPOINT_MAX. The watermark, not
 * the newest event time, is kept: a restart with another
 * allowed_lateness then still treats exactly the windows already emitted
 * as closed.
 */
#define PH_WINDOW_CHECKPOINT_SIZE 40

/* Write the checkpoint text of ph_window_resume_watermark into buf.
 * Returns its length, or -1 if buf is too small. */
int ph_window_checkpoint_write(const ph_window_set *set, const ph_window_clock *clock, char *buf,
                               size_t size);

/* Start a configured clock, with no event seen, at the watermark of a
 * checkpoint text. 0, or -1 when the text is not one
 * ph_window_checkpoint_write writes (the clock is then unchanged). */
int ph_window_checkpoint_read(ph_window_clock *clock, const char *text);

/* At every flush: hand the host the checkpoint text (host->set_checkpoint),
 * to be committed with the partition's offset. A host without
 * checkpoints is left alone; one that refuses the text gets a warning in
 * its log. */
void ph_window_clock_checkpoint(const ph_window_clock *clock, const ph_window_set *set,
                                const ph_host_api *host, ph_context *ctx);

/* In init, after configuring the clock: start it at the watermark of the
 * checkpoint the previous instance committed (host->checkpoint), if any.
 * A malformed checkpoint is logged as a warning and ignored: the clock
 * then starts with no event seen, as without a checkpoint. */
void ph_window_clock_restore(ph_window_clock *clock, const ph_host_api *host, ph_context *ctx);

/* ---- the aggregator: a windowed plugin's record loop and flush ------------- */

/*
 * A plugin embeds a ph_window_aggregator in its instance, sets it up in
 * init with its callbacks, and forwards process and flush to it. For each
 * record the aggregator
 *
 *   - reads it (read; the plugin keeps what it read for add),
 *   - rejects it as "late event" when its window is closed,
 *   - opens its window, with a state from create (or a closed window's
 *     state emptied by clear), and counts the record in it (add),
 *   - observes its time, and emits every window that closed as final:
 *     each of the window's results (result_count, write_result) goes to
 *     host->emit with the record as origin, and the state is freed
 *     (destroy) or kept for the next window (clear).
 *
 * Its flush reports the retain offset, sets the checkpoint and, on
 * PH_FLUSH_FINAL, emits the open windows' results as provisional.
 *
 *     static const ph_window_aggregator_ops ops = {.read = ..., .add = ..., ...};
 *
 *     init:    ph_window_aggregator_init(&self->aggregator, &ops, self, host, ctx,
 *                                        config, err, err_size)
 *     process: return ph_window_aggregator_process(&self->aggregator, records, count);
 *     flush:   return ph_window_aggregator_flush(&self->aggregator, mode, retain_offset);
 *     destroy: ph_window_aggregator_free(&self->aggregator);
 */

/* Room for a window time as ISO-8601 text: "2022-01-01T12:22:25.123Z". */
#define PH_WINDOW_TIME_TEXT_SIZE 40

/* The window result being emitted, for the plugin's write_result. */
typedef struct ph_window_result {
    char start[PH_WINDOW_TIME_TEXT_SIZE]; /* the window's start, ISO-8601 UTC */
    char end[PH_WINDOW_TIME_TEXT_SIZE];   /* its end (exclusive) */
    int final;          /* 1: the window has closed; 0: still open, at a final flush */
    ph_json_text value; /* the value: empty when write_result is called */
    char *key;          /* the key, set with ph_window_result_key */
    size_t key_len;
    size_t key_capacity;
} ph_window_result;

/*
 * Set the result's key to GROUP|WINDOW_START, the key a consumer upserts
 * the window's result under, followed by |PARTITION when partition is not
 * negative (for results of several partitions that meet in one topic).
 * The group may hold '|': the parts after it never do. 0, or -1 out of
 * memory.
 */
int ph_window_result_key(ph_window_result *result, const char *group, size_t group_len,
                         int32_t partition);

/* What is the plugin's own. plugin is the pointer given to
 * ph_window_aggregator_init; state a window's state. */
typedef struct ph_window_aggregator_ops {
    /* Read a record, keeping what add needs in the plugin: 0 with its
     * event time in *event_ms, or -1 after rejecting the record. */
    int (*read)(void *plugin, const ph_record *record, int64_t *event_ms);

    /* A new window state holding nothing, or NULL out of memory. */
    void *(*create)(void *plugin);

    /* Count the record read last in its window's state, and do whatever
     * else the plugin does for an accepted record before its time moves
     * the watermark. 0, or -1 on failure: the batch then fails. */
    int (*add)(void *plugin, void *state, const ph_record *record);

    /* How many results a window's state holds, in the order they go out. */
    size_t (*result_count)(const void *state);

    /* Write result number index of a window's state into result: its key
     * (ph_window_result_key) and its value (result->value). 0, or -1 out of
     * memory; a failed value text also counts as out of memory. */
    int (*write_result)(void *plugin, const void *state, size_t index,
                        ph_window_result *result);

    /* Empty a closed window's state for the next window to use; NULL to
     * free every closed window's state instead. Windows follow one another
     * with similar contents: a kept state does not grow its tables again. */
    void (*clear)(void *state);

    /* Free a window's state (never called with NULL). */
    void (*destroy)(void *state);

    /* Logged as an error when opening a window or add fails, after which
     * the batch fails: "out of memory counting an event". */
    const char *add_failure;
} ph_window_aggregator_ops;

/* Embed it by value; the members are the aggregator's. */
typedef struct ph_window_aggregator {
    const ph_window_aggregator_ops *ops;
    void *plugin;
    const ph_host_api *host;
    ph_context *ctx;
    ph_window_clock clock;
    ph_window_set windows; /* each state is the plugin's */
    void *spare;           /* a closed window's state, emptied, for the next one */
    ph_window_result result;
} ph_window_aggregator;

/*
 * In init: set up the aggregator with the plugin's callbacks (ops must
 * outlive it), configure its clock from the fields of
 * PH_WINDOW_CONFIG_FIELDS and start the clock at the previous instance's
 * checkpoint (ph_window_clock_restore). 0, or -1 with a message in err;
 * ph_window_aggregator_free is safe either way, and on a zeroed
 * aggregator.
 */
int ph_window_aggregator_init(ph_window_aggregator *aggregator,
                              const ph_window_aggregator_ops *ops, void *plugin,
                              const ph_host_api *host, ph_context *ctx, const json_t *config,
                              char *err, size_t err_size);

/* Free the aggregator and every window state it holds. */
void ph_window_aggregator_free(ph_window_aggregator *aggregator);

/* The plugin's process: take every record in turn. PH_OK, or PH_FATAL
 * after logging why (out of memory, or the host could not take a result). */
ph_status ph_window_aggregator_process(ph_window_aggregator *aggregator,
                                       const ph_record *records, size_t count);

/* The plugin's flush: the retain offset, the checkpoint, and on
 * PH_FLUSH_FINAL the open windows' results, provisional. PH_OK, or
 * PH_FATAL after logging why. */
ph_status ph_window_aggregator_flush(ph_window_aggregator *aggregator, ph_flush_mode mode,
                                     int64_t *retain_offset);

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_WINDOW_H */
