/*
 * Waking librdkafka's fetcher after flow control resumes the partitions.
 *
 * In librdkafka 2.0 a resume is handled on its main thread and does not
 * wake the broker threads that fetch: with every partition paused there
 * is no fetch in flight to wake them either, so fetching would restart
 * only at their next timed wake-up, up to a second later. What does wake
 * a broker thread is a request on its connection. So after a resume a
 * worker asks each leader broker for one of its partitions' watermarks:
 * the reply wakes the thread, which then sees its partitions fetchable.
 * The query blocks for a round trip, hence a worker rather than the
 * consume loop. Which broker leads which partition comes from a metadata
 * request, made again only when the assignment changes.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/engine.h"
#include "services/log.h"

#define WAKE_TIMEOUT_MS 2000

/* One partition per leader broker among parts, or parts itself when the
 * metadata cannot be had. */
static rd_kafka_topic_partition_list_t *one_per_leader(rd_kafka_t *rk,
                                                       const rd_kafka_topic_partition_list_t *parts)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, NULL, &md, WAKE_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_topic_partition_list_t *chosen = rd_kafka_topic_partition_list_new(8);
    int32_t *leaders = calloc((size_t)md->broker_cnt + 1, sizeof(*leaders));
    int leader_count = 0;
    for (int i = 0; chosen && leaders && i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        int32_t leader = -1;
        for (int t = 0; t < md->topic_cnt && leader < 0; t++) {
            const struct rd_kafka_metadata_topic *topic = &md->topics[t];
            if (strcmp(topic->topic, p->topic) != 0)
                continue;
            for (int k = 0; k < topic->partition_cnt; k++) {
                if (topic->partitions[k].id == p->partition)
                    leader = topic->partitions[k].leader;
            }
        }
        int known = 0;
        for (int l = 0; l < leader_count; l++)
            known |= leaders[l] == leader;
        if (!known && leader_count <= md->broker_cnt) {
            leaders[leader_count++] = leader;
            rd_kafka_topic_partition_list_add(chosen, p->topic, p->partition);
        }
    }
    free(leaders);
    rd_kafka_metadata_destroy(md);
    return chosen;
}

static void wake_job(work_item *item)
{
    fetch_waker *waker = (fetch_waker *)item;
    engine *e = waker->engine;
    for (;;) {
        pthread_mutex_lock(&waker->lock);
        rd_kafka_topic_partition_list_t *wanted = waker->wanted;
        unsigned generation = waker->wanted_generation;
        waker->wanted = NULL;
        if (!wanted) {
            waker->scheduled = 0;
            pthread_cond_broadcast(&waker->idle);
            pthread_mutex_unlock(&waker->lock);
            return;
        }
        pthread_mutex_unlock(&waker->lock);

        if (!waker->leaders || waker->leaders_generation != generation) {
            if (waker->leaders)
                rd_kafka_topic_partition_list_destroy(waker->leaders);
            waker->leaders = one_per_leader(e->consumer, wanted);
            waker->leaders_generation = generation;
        }
        for (int i = 0; waker->leaders && i < waker->leaders->cnt; i++) {
            int64_t low, high;
            const rd_kafka_topic_partition_t *p = &waker->leaders->elems[i];
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                e->consumer, p->topic, p->partition, &low, &high, WAKE_TIMEOUT_MS);
            if (err)
                log_debug("pipeline", "waking the fetcher of %s[%d]: %s", p->topic,
                          (int)p->partition, rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(wanted);
    }
}

void fetch_waker_init(fetch_waker *waker, engine *e)
{
    memset(waker, 0, sizeof(*waker));
    waker->work.run = wake_job;
    waker->engine = e;
    pthread_mutex_init(&waker->lock, NULL);
    pthread_cond_init(&waker->idle, NULL);
}

void fetch_waker_wake(fetch_waker *waker, rd_kafka_topic_partition_list_t *parts,
                      unsigned generation)
{
    pthread_mutex_lock(&waker->lock);
    if (waker->wanted)
        rd_kafka_topic_partition_list_destroy(waker->wanted);
    waker->wanted = parts;
    waker->wanted_generation = generation;
    int submit = !waker->scheduled;
    waker->scheduled = 1;
    pthread_mutex_unlock(&waker->lock);
    if (submit)
        worker_pool_submit(&waker->engine->pool, &waker->work);
}

void fetch_waker_finish(fetch_waker *waker)
{
    pthread_mutex_lock(&waker->lock);
    if (waker->wanted) {
        rd_kafka_topic_partition_list_destroy(waker->wanted);
        waker->wanted = NULL;
    }
    while (waker->scheduled)
        pthread_cond_wait(&waker->idle, &waker->lock);
    pthread_mutex_unlock(&waker->lock);
    if (waker->leaders)
        rd_kafka_topic_partition_list_destroy(waker->leaders);
    waker->leaders = NULL;
    pthread_cond_destroy(&waker->idle);
    pthread_mutex_destroy(&waker->lock);
}
