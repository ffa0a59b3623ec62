/*
 * Worker threads serving a FIFO of work items. An item is queued at most
 * once at a time by its owner, which is what keeps a partition's records
 * on one thread at a time and in order.
 */
#ifndef PIPEHOST_RUNTIME_WORKER_POOL_H
#define PIPEHOST_RUNTIME_WORKER_POOL_H

#include <pthread.h>
#include <stddef.h>

typedef struct work_item {
    void (*run)(struct work_item *item);
    struct work_item *next;
} work_item;

typedef struct worker_pool {
    pthread_t *threads;
    size_t thread_count;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    work_item *head;
    work_item *tail;
    int stopping;
} worker_pool;

/* Start count threads. 0 or -1. */
int worker_pool_start(worker_pool *pool, size_t count);

void worker_pool_submit(worker_pool *pool, work_item *item);

/* Finish queued items, then join the threads. */
void worker_pool_stop(worker_pool *pool);

#endif
