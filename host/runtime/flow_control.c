/*
 * Flow control: how many fetched records the host holds at once.
 *
 * librdkafka fetches far faster than records are processed, so something
 * must stop it, or a backlog is read into memory whole. Its own limits
 * (queued.min.messages, queued.max.messages.kbytes) do stop it, but in
 * 2.0 a partition stopped by them is looked at again only when its broker
 * thread wakes, up to a second later: set low, they leave the workers idle
 * most of that second; set high, they hold hundreds of megabytes.
 *
 * So the host pauses its partitions itself once it holds FLOW_PAUSE_AT
 * records (in its workers' inboxes and librdkafka's queue together), and
 * resumes them at FLOW_RESUME_AT. A resume takes effect at once: fetching
 * starts again from the record after the last one taken, while the
 * workers still have FLOW_RESUME_AT records to go. Pausing drops what
 * librdkafka had fetched but not yet handed over (it is fetched again
 * after the resume), so the loop takes records as fast as they come and
 * little is ever dropped. Called only from the consume loop's thread: in
 * 2.0, pause and resume must not run beside a batch consume.
 */
#include <stdlib.h>

#include "runtime/engine.h"
#include "services/log.h"

/* Every assigned partition, or NULL when out of memory. */
static rd_kafka_topic_partition_list_t *assigned_partitions(const engine *e)
{
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new((int)(e->slot_count ? e->slot_count : 1));
    if (!parts)
        return NULL;
    for (size_t i = 0; i < e->slot_count; i++)
        rd_kafka_topic_partition_list_add(parts, e->slots[i]->task->topic,
                                          e->slots[i]->task->partition);
    return parts;
}

static void set_paused(engine *e, int paused)
{
    rd_kafka_topic_partition_list_t *parts = assigned_partitions(e);
    if (!parts) {
        engine_fail(e, "out of memory pausing partitions");
        return;
    }
    rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(e->consumer, parts)
                                     : rd_kafka_resume_partitions(e->consumer, parts);
    if (!err && !paused) {
        fetch_waker_wake(&e->waker, parts, e->assignment_changes);
        parts = NULL;
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        log_warn("pipeline", "%s partitions: %s", paused ? "pausing" : "resuming",
                 rd_kafka_err2str(err));
        return;
    }
    e->paused = paused;
    e->paused_assignment = e->assignment_changes;
    if (paused)
        e->pauses++;
}

void engine_flow_control(engine *e)
{
    pthread_mutex_lock(&e->lock);
    long held = e->in_flight;
    pthread_mutex_unlock(&e->lock);
    held += rd_kafka_queue_length(e->queue);

    if (!e->paused && held >= FLOW_PAUSE_AT)
        set_paused(e, 1);
    else if (e->paused && held <= FLOW_RESUME_AT)
        set_paused(e, 0);
    else if (e->paused && e->paused_assignment != e->assignment_changes)
        set_paused(e, 1); /* partitions assigned meanwhile start paused too */
}
