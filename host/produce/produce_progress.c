#include "produce/produce_progress.h"

#include <inttypes.h>
#include <unistd.h>

#include "produce/monotonic_clock.h"

#define DRAW_INTERVAL_NS (NS_PER_SECOND / 4)

static double seconds_since(int64_t start_ns, int64_t now_ns)
{
    return (double)(now_ns - start_ns) / (double)NS_PER_SECOND;
}

static double per_second(uint64_t count, double seconds)
{
    return seconds > 0 ? (double)count / seconds : 0;
}

void produce_progress_start(struct produce_progress *progress, FILE *out, uint64_t total)
{
    progress->out = out;
    progress->live = isatty(fileno(out)) == 1;
    progress->total = total;
    progress->started_ns = monotonic_now_ns();
    progress->next_draw_ns = progress->started_ns + DRAW_INTERVAL_NS;
}

void produce_progress_update(struct produce_progress *progress, uint64_t produced)
{
    int64_t now;
    double seconds;

    if (!progress->live)
        return;
    now = monotonic_now_ns();
    if (now < progress->next_draw_ns)
        return;
    progress->next_draw_ns = now + DRAW_INTERVAL_NS;
    seconds = seconds_since(progress->started_ns, now);
    if (progress->total > 0)
        fprintf(progress->out,
                "\rproduced %" PRIu64 " of %" PRIu64 " records (%.0f%%, %.0f records/s) ",
                produced, progress->total, 100.0 * (double)produced / (double)progress->total,
                per_second(produced, seconds));
    else
        fprintf(progress->out, "\rproduced %" PRIu64 " records (%.0f records/s) ", produced,
                per_second(produced, seconds));
    fflush(progress->out);
}

int produce_summary_format(char *buf, size_t size, uint64_t produced, uint64_t bad,
                           const char *topic, double seconds)
{
    return snprintf(buf, size,
                    "produced %" PRIu64 " records (%" PRIu64 " bad) to %s in %.2f s "
                    "(%.0f records/s)",
                    produced, bad, topic, seconds, per_second(produced, seconds));
}

void produce_progress_clear(struct produce_progress *progress)
{
    if (progress->live)
        fputs("\r\033[K", progress->out);
}

void produce_progress_finish(struct produce_progress *progress, uint64_t produced,
                             uint64_t bad, const char *topic)
{
    char summary[512];

    produce_summary_format(summary, sizeof(summary), produced, bad, topic,
                           seconds_since(progress->started_ns, monotonic_now_ns()));
    produce_progress_clear(progress);
    fprintf(progress->out, "%s\n", summary);
    fflush(progress->out);
}
