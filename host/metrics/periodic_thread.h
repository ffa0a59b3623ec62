/* A thread that calls a function at a fixed interval until stopped; the
 * stop wakes it at once rather than after the interval. */
#ifndef PIPEHOST_METRICS_PERIODIC_THREAD_H
#define PIPEHOST_METRICS_PERIODIC_THREAD_H

typedef struct periodic_thread periodic_thread;

/* NULL when the thread cannot start. */
periodic_thread *periodic_thread_start(int interval_ms, void (*tick)(void *arg), void *arg);

/* Wake, join and free; a tick under way finishes first. Accepts NULL. */
void periodic_thread_stop(periodic_thread *t);

#endif
