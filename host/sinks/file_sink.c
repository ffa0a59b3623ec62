/* The file and stdout sinks: JSON lines (each record's value, one a line). */
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

#define FILE_SINK_BUFFER (1 << 20)

typedef struct file_sink {
    sink base;
    pthread_mutex_t lock;
    int fd;
    int owns_fd;
    int sync; /* fsync at flush: regular files yes, stdout no */
    char *buffer;
    size_t used;
    int error; /* errno of the first failed write since the last flush */
} file_sink;

/* Write the buffer out; keeps the first error for flush to report. */
static void drain(file_sink *f)
{
    size_t done = 0;
    while (done < f->used) {
        ssize_t n = write(f->fd, f->buffer + done, f->used - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (!f->error)
                f->error = errno;
            break;
        }
        done += (size_t)n;
    }
    f->used = 0;
}

static void append(file_sink *f, const void *bytes, size_t len)
{
    if (len > FILE_SINK_BUFFER - f->used)
        drain(f);
    if (len > FILE_SINK_BUFFER) {
        f->used = 0;
        /* Larger than the buffer: write it straight through. */
        const char *p = bytes;
        while (len > 0) {
            ssize_t n = write(f->fd, p, len);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (!f->error)
                    f->error = errno;
                return;
            }
            p += n;
            len -= (size_t)n;
        }
        return;
    }
    memcpy(f->buffer + f->used, bytes, len);
    f->used += len;
}

static int file_sink_write(sink *s, const ph_record *records, size_t count)
{
    file_sink *f = (file_sink *)s;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < count; i++) {
        if (records[i].value)
            append(f, records[i].value, records[i].value_len);
        append(f, "\n", 1);
    }
    /* Out at once, one write per batch, so that a reader of the file sees
     * records as they are processed; durable at the next flush. */
    drain(f);
    int rc = f->error ? -1 : 0;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int file_sink_flush(sink *s)
{
    file_sink *f = (file_sink *)s;
    pthread_mutex_lock(&f->lock);
    drain(f);
    if (f->sync && !f->error && fsync(f->fd) != 0 && errno != EINVAL)
        f->error = errno;
    int error = f->error;
    f->error = 0;
    pthread_mutex_unlock(&f->lock);
    if (error) {
        log_error("sink", "%s: %s", s->description, strerror(error));
        return -1;
    }
    return 0;
}

static void file_sink_destroy(sink *s)
{
    file_sink *f = (file_sink *)s;
    drain(f);
    if (f->owns_fd)
        close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f->buffer);
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
    char *buffer = malloc(FILE_SINK_BUFFER);
    if (!f || !buffer) {
        free(f);
        free(buffer);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    f->base.ops = &file_sink_ops;
    snprintf(f->base.description, sizeof(f->base.description), "%s", description);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = fd;
    f->owns_fd = owns_fd;
    f->sync = sync;
    f->buffer = buffer;
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
