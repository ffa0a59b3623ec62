#include "runtime/worker_pool.h"

#include <stdlib.h>
#include <string.h>

static void *worker_main(void *arg)
{
    worker_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->ready, &pool->lock);
        work_item *item = pool->head;
        if (!item)
            break; /* stopping, and nothing left */
        pool->head = item->next;
        if (!pool->head)
            pool->tail = NULL;
        item->next = NULL;
        pthread_mutex_unlock(&pool->lock);
        item->run(item);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int worker_pool_start(worker_pool *pool, size_t count)
{
    memset(pool, 0, sizeof(*pool));
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->ready, NULL);
    pool->threads = calloc(count ? count : 1, sizeof(*pool->threads));
    if (!pool->threads)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0) {
            worker_pool_stop(pool);
            return -1;
        }
        pool->thread_count = i + 1;
    }
    return 0;
}

void worker_pool_submit(worker_pool *pool, work_item *item)
{
    item->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail)
        pool->tail->next = item;
    else
        pool->head = item;
    pool->tail = item;
    pthread_cond_signal(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
}

void worker_pool_stop(worker_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pool->threads = NULL;
    pool->thread_count = 0;
    pthread_cond_destroy(&pool->ready);
    pthread_mutex_destroy(&pool->lock);
}
