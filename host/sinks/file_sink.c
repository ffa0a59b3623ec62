/*
 * The file and stdout sinks: JSON lines (each record's value, one a line).
 *
 * Lines go out at once, one write per batch, so that a reader of the file
 * sees records as they are processed; they are durable at the next flush
 * (fsync). What happens when the disk misbehaves:
 *
 * - Every line since the last good fsync stays in memory (`pending`, of
 *   which the first `written` bytes reached write()). A write that fails
 *   keeps the rest: later batches queue behind it, and the next attempt
 *   starts at the first unwritten byte, so a short write never tears or
 *   repeats a line.
 * - A failed fsync may have lost written pages (Linux reports a writeback
 *   error once, then forgets it), so the file is cut back to its size at
 *   the last good fsync and everything since is written again.
 * - Either way the sink answers SINK_RETRY until a flush gets everything
 *   written and synced: the commit protocol retries the flush with
 *   backoff and commits nothing meanwhile. Errors that waiting cannot cure
 *   (EPIPE from a reader that left, EBADF, EROFS...) answer SINK_FAILED.
 * - Memory stays bounded: past PENDING_SYNC_LIMIT bytes a write syncs
 *   early. stdout is never synced and keeps only what is not written yet.
 *
 * Because of the cut-back, a sink's file must have one writer: another
 * process appending to it could lose lines at a truncation.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/log.h"
#include "sinks/sink.h"

#define FILE_SINK_BUFFER (1 << 20)        /* initial pending capacity, kept between flushes */
#define PENDING_SYNC_LIMIT (16 << 20)     /* sync early past this many unsynced bytes */

typedef struct file_sink {
    sink base;
    pthread_mutex_t lock;
    int fd;
    int owns_fd;
    int sync; /* fsync at flush: regular files yes, stdout no */
    char *pending; /* lines since the last good fsync (stdout: not yet written) */
    size_t used;
    size_t capacity;
    size_t written;       /* bytes of pending that reached the file */
    off_t durable_size;   /* file size at the last good fsync */
    int cut_back;         /* a failed fsync: truncate to durable_size before writing */
    int error;            /* errno of the failure that holds output back, 0 if none */
    int permanent;        /* error cannot be cured by waiting */
} file_sink;

/* Failures that may pass: a full disk or quota, a flaky device, a full pipe. */
static int transient(int error)
{
    return error == ENOSPC || error == EDQUOT || error == EIO || error == EFBIG ||
           error == EAGAIN || error == ENOMEM || error == ETIMEDOUT;
}

static void fail(file_sink *f, int error)
{
    if (!f->error)
        f->error = error;
    if (!transient(error))
        f->permanent = 1;
}

/* Write out what is pending and not written yet; stops at the first error. */
static void write_out(file_sink *f)
{
    if (f->cut_back) {
        if (ftruncate(f->fd, f->durable_size) != 0) {
            fail(f, errno);
            return;
        }
        f->cut_back = 0;
        f->written = 0;
    }
    while (f->written < f->used) {
        ssize_t n = write(f->fd, f->pending + f->written, f->used - f->written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(f, errno);
            return;
        }
        f->written += (size_t)n;
    }
    if (!f->sync)
        f->used = f->written = 0; /* nothing to write again: stdout is never cut back */
}

/* Make what was written durable, or arrange for it to be written again. */
static void sync_out(file_sink *f)
{
    if (fsync(f->fd) != 0 && errno != EINVAL) {
        fail(f, errno);
        f->cut_back = 1;
        return;
    }
    f->durable_size += (off_t)f->used;
    f->used = f->written = 0;
    if (f->capacity > FILE_SINK_BUFFER) {
        char *smaller = realloc(f->pending, FILE_SINK_BUFFER);
        if (smaller) {
            f->pending = smaller;
            f->capacity = FILE_SINK_BUFFER;
        }
    }
}

static int append(file_sink *f, const void *bytes, size_t len)
{
    if (len > f->capacity - f->used) {
        size_t capacity = f->capacity;
        while (len > capacity - f->used)
            capacity *= 2;
        char *grown = realloc(f->pending, capacity);
        if (!grown)
            return -1;
        f->pending = grown;
        f->capacity = capacity;
    }
    memcpy(f->pending + f->used, bytes, len);
    f->used += len;
    return 0;
}

static sink_outcome outcome_of(const file_sink *f)
{
    return f->permanent ? SINK_FAILED : f->error ? SINK_RETRY : SINK_OK;
}

static sink_outcome file_sink_write(sink *s, const ph_record *records, size_t count)
{
    file_sink *f = (file_sink *)s;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < count; i++) {
        if ((records[i].value && append(f, records[i].value, records[i].value_len) != 0) ||
            append(f, "\n", 1) != 0) {
            fail(f, ENOMEM);
            break;
        }
    }
    /* While a failure holds output back, new lines queue behind it
     * until the next flush tries again. */
    if (!f->error) {
        write_out(f);
        if (f->sync && !f->error && f->used > PENDING_SYNC_LIMIT)
            sync_out(f);
    }
    sink_outcome outcome = outcome_of(f);
    pthread_mutex_unlock(&f->lock);
    return outcome;
}

static sink_outcome file_sink_flush(sink *s)
{
    file_sink *f = (file_sink *)s;
    pthread_mutex_lock(&f->lock);
    if (!f->permanent) {
        f->error = 0;
        write_out(f);
        if (f->sync && !f->error)
            sync_out(f);
    }
    sink_outcome outcome = outcome_of(f);
    int error = f->error;
    size_t held = f->used;
    pthread_mutex_unlock(&f->lock);
    if (outcome == SINK_FAILED)
        log_error("sink", "%s: %s", s->description, strerror(error));
    else if (outcome == SINK_RETRY)
        log_warn("sink", "%s: %s; %zu bytes kept to be written again", s->description,
                 strerror(error), held);
    return outcome;
}

static void file_sink_destroy(sink *s)
{
    file_sink *f = (file_sink *)s;
    if (!f->error)
        write_out(f);
    if (f->owns_fd)
        close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f->pending);
    free(f);
}

static const sink_ops file_sink_ops = {
    .write = file_sink_write,
    .flush = file_sink_flush,
    .destroy = file_sink_destroy,
};

static sink *open_fd(int fd, int owns_fd, int sync, const char *description, char *err,
                     size_t err_size)
{
    file_sink *f = calloc(1, sizeof(*f));
    char *pending = malloc(FILE_SINK_BUFFER);
    if (!f || !pending) {
        free(f);
        free(pending);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    f->base.ops = &file_sink_ops;
    snprintf(f->base.description, sizeof(f->base.description), "%s", description);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = fd;
    f->owns_fd = owns_fd;
    f->sync = sync;
    f->pending = pending;
    f->capacity = FILE_SINK_BUFFER;
    struct stat st;
    f->durable_size = sync && fstat(fd, &st) == 0 ? st.st_size : 0;
    return &f->base;
}

/* mkdir -p of path's folder. */
static int make_parent_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    char *dir = dirname(copy);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = (mkdir(dir, 0777) == 0 || errno == EEXIST) ? 0 : -1;
    free(copy);
    return rc;
}

sink *file_sink_open(const char *path, char *err, size_t err_size)
{
    if (make_parent_dirs(path) != 0) {
        snprintf(err, err_size, "file sink %s: cannot create its folder: %s", path,
                 strerror(errno));
        return NULL;
    }
    /* Append: a restarted pipeline adds to what earlier runs wrote. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, err_size, "file sink %s: %s", path, strerror(errno));
        return NULL;
    }
    char description[256];
    snprintf(description, sizeof(description), "file %s", path);
    sink *s = open_fd(fd, 1, 1, description, err, err_size);
    if (!s)
        close(fd);
    return s;
}

sink *stdout_sink_open(char *err, size_t err_size)
{
    return open_fd(STDOUT_FILENO, 0, 0, "stdout", err, err_size);
}
