/* The terminal status line of a running pipeline. */
#include "metrics/status_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "metrics/periodic_thread.h"
#include "services/log.h"

#define REFRESH_INTERVAL_MS 1000

struct status_line {
    pipeline_metrics *metrics;
    int to_the_end;
    periodic_thread *thread;
    int64_t last_ns;
    int64_t last_records;
};

/* 1234567 as "1,234,567": counts read at a glance. */
static void grouped(int64_t value, char *buf, size_t size)
{
    char digits[32];
    int negative = value < 0;
    int length = snprintf(digits, sizeof(digits), "%lld",
                          negative ? -(long long)value : (long long)value);
    size_t at = 0;
    if (negative && at + 1 < size)
        buf[at++] = '-';
    for (int i = 0; i < length && at + 1 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0 && at + 1 < size)
            buf[at++] = ',';
        if (at + 1 < size)
            buf[at++] = digits[i];
    }
    buf[at] = '\0';
}

void status_line_format(const pipeline_snapshot *now, double records_per_second, int to_the_end,
                        char *buf, size_t size)
{
    char rate[32], lag[32], dead[32], done[32], total[32];
    if (!now->assigned) {
        snprintf(buf, size, "pipehost: waiting for the group to assign partitions");
        return;
    }
    grouped((int64_t)(records_per_second + 0.5), rate, sizeof(rate));
    grouped(now->lag, lag, sizeof(lag));
    grouped(now->dead_lettered, dead, sizeof(dead));
    char progress[128] = "";
    /* Progress only once it means something: partitions assigned, and
     * the end of each known (a line between assignment and the watermark
     * query, or after the final revoke, would read 0/0). */
    if (to_the_end && now->partitions > 0 && now->progress_unknown == 0) {
        grouped(now->progress_done, done, sizeof(done));
        grouped(now->progress_total, total, sizeof(total));
        int percent = now->progress_total > 0
                          ? (int)(now->progress_done * 100 / now->progress_total)
                          : 100; /* nothing to do is done */
        snprintf(progress, sizeof(progress), "%s/%s to the end (%d%%) | ", done, total,
                 percent);
    }
    const char *stalled = now->stalled ? " | STALLED: " : "";
    snprintf(buf, size, "pipehost: %s%s records/s | lag %s | %s dead-lettered%s%s", progress,
             rate, now->lag_known ? lag : "?", dead, stalled,
             now->stalled ? now->stalled_names : "");
}

static void refresh(void *arg)
{
    status_line *s = arg;
    pipeline_snapshot now;
    pipeline_metrics_snapshot(s->metrics, &now);
    int64_t now_ns = metrics_clock_ns();
    double seconds = (double)(now_ns - s->last_ns) / 1e9;
    double rate = seconds > 0 ? (double)(now.records_consumed - s->last_records) / seconds : 0;
    s->last_ns = now_ns;
    s->last_records = now.records_consumed;
    char text[512];
    status_line_format(&now, rate, s->to_the_end, text, sizeof(text));
    /* A line longer than the terminal wraps, and \r would then redraw
     * only its last row. */
    struct winsize window;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &window) == 0 && window.ws_col > 1 &&
        strlen(text) >= window.ws_col)
        text[window.ws_col - 1] = '\0';
    log_status_show(text);
}

status_line *status_line_start(pipeline_metrics *m, int to_the_end)
{
    if (!m)
        return NULL;
    status_line *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->metrics = m;
    s->to_the_end = to_the_end;
    s->last_ns = metrics_clock_ns();
    if (!(s->thread = periodic_thread_start(REFRESH_INTERVAL_MS, refresh, s))) {
        free(s);
        return NULL;
    }
    return s;
}

void status_line_stop(status_line *s)
{
    if (!s)
        return;
    periodic_thread_stop(s->thread);
    log_status_clear();
    free(s);
}
