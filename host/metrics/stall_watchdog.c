/* Flagging partitions that stopped making progress. */
#include "metrics/stall_watchdog.h"

#include <stdlib.h>

#include "metrics/periodic_thread.h"
#include "services/log.h"

/* How often the thread looks: a stall is seen at most this late. */
#define CHECK_INTERVAL_MS 250

struct stall_watchdog {
    pipeline_metrics *metrics;
    int64_t stall_after_ms;
    periodic_thread *thread;
};

static void set_stalled(pipeline_metrics *m, partition_metrics *p, int stalled)
{
    metric_set(p->stalled, stalled);
    metric_add(m->stalled_partitions, stalled ? 1 : -1);
    atomic_fetch_add(&m->stalled_count, stalled ? 1 : -1);
}

void stall_watchdog_check(pipeline_metrics *m, int64_t now_ms, int64_t stall_after_ms)
{
    if (!m || stall_after_ms <= 0)
        return;
    pthread_mutex_lock(&m->lock);
    for (partition_metrics *p = m->partitions; p; p = p->next) {
        int64_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
        int64_t taken = atomic_load_explicit(&p->taken, memory_order_relaxed);
        int stalled = metric_value(p->stalled) != 0;
        int in_progress = taken > done;
        if (done != p->watched_done || !in_progress) {
            /* The stall clock starts when a batch is first seen in
             * progress, so nothing is flagged before stall_after. */
            p->watched_done = done;
            p->waiting_since_ms = in_progress ? now_ms : -1;
            if (stalled) {
                set_stalled(m, p, 0);
                log_info("watchdog", "%s[%d] is moving again (at offset %lld)", p->topic,
                         (int)p->partition, (long long)done);
            }
            continue;
        }
        if (p->waiting_since_ms < 0)
            p->waiting_since_ms = now_ms;
        int64_t idle_ms = now_ms - p->waiting_since_ms;
        if (!stalled && idle_ms >= stall_after_ms) {
            set_stalled(m, p, 1);
            log_warn("watchdog",
                     "%s[%d] is stalled: records up to offset %lld are in progress and "
                     "nothing has been done for %lld ms (stall_after %lld ms)",
                     p->topic, (int)p->partition, (long long)taken - 1, (long long)idle_ms,
                     (long long)stall_after_ms);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static void check_now(void *arg)
{
    stall_watchdog *w = arg;
    stall_watchdog_check(w->metrics, metrics_clock_ns() / 1000000, w->stall_after_ms);
}

stall_watchdog *stall_watchdog_start(pipeline_metrics *m, int64_t stall_after_ms)
{
    if (!m || stall_after_ms <= 0)
        return NULL;
    stall_watchdog *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->metrics = m;
    w->stall_after_ms = stall_after_ms;
    if (!(w->thread = periodic_thread_start(CHECK_INTERVAL_MS, check_now, w))) {
        log_warn("watchdog", "cannot start the stall watchdog's thread");
        free(w);
        return NULL;
    }
    return w;
}

void stall_watchdog_stop(stall_watchdog *w)
{
    if (!w)
        return;
    periodic_thread_stop(w->thread);
    free(w);
}
