#include "services/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "services/event_time.h"
#include "services/secret_redact.h"

/* Back to the line's start, then erase to its end (ANSI). */
#define WIPE_LINE "\r\033[K"

static ph_log_level current_level = PH_LOG_INFO;
static int json_format;
static int status_shown; /* guarded by log_lock */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(ph_log_level level) { current_level = level; }
ph_log_level log_get_level(void) { return current_level; }
void log_set_json(int json) { json_format = json; }

int log_level_parse(const char *text, ph_log_level *level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *level = (ph_log_level)i;
            return 0;
        }
    }
    return -1;
}

static void wipe_status(void)
{
    if (status_shown) {
        fputs(WIPE_LINE, stderr);
        status_shown = 0;
    }
}

static json_t *json_line(ph_log_level level, const char *stamp, const char *scope,
                         const char *message, const log_field *fields, size_t field_count)
{
    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "time", stamp, "level", level_names[level],
                             "scope", scope ? scope : "", "message", message);
    if (!line) {
        /* Not UTF-8 (a plugin's bytes): keep the ASCII of it. */
        char ascii[2048];
        size_t i = 0;
        for (; message[i] && i + 1 < sizeof(ascii); i++)
            ascii[i] = (unsigned char)message[i] < 0x80 ? message[i] : '?';
        ascii[i] = '\0';
        line = json_pack("{s:s, s:s, s:s, s:s}", "time", stamp, "level", level_names[level],
                         "scope", scope ? scope : "", "message", ascii);
    }
    for (size_t i = 0; line && i < field_count; i++) {
        const log_field *f = &fields[i];
        json_object_set_new(line, f->name,
                            f->text ? json_string(f->text) : json_integer(f->number));
    }
    return line;
}

void log_writev_fields(ph_log_level level, const char *scope, const log_field *fields,
                       size_t field_count, const char *fmt, va_list ap)
{
    if (level > current_level)
        return;
    char message[2048];
    vsnprintf(message, sizeof(message), fmt, ap);
    secret_redact(message, sizeof(message)); /* librdkafka's and plugins' text too */

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char stamp[40];
    event_time_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, stamp, sizeof(stamp));

    /* Built before taking the lock: the lock only orders whole lines. */
    json_t *line = json_format ? json_line(level, stamp, scope, message, fields, field_count)
                               : NULL;
    pthread_mutex_lock(&log_lock);
    wipe_status();
    if (line) {
        json_dumpf(line, stderr, JSON_COMPACT | JSON_ENSURE_ASCII);
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s %-5s [%s] %s\n", stamp, level_names[level],
                scope ? scope : "pipehost", message);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    json_decref(line);
}

void log_writev(ph_log_level level, const char *scope, const char *fmt, va_list ap)
{
    log_writev_fields(level, scope, NULL, 0, fmt, ap);
}

void log_write(ph_log_level level, const char *scope, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, scope, fmt, ap);
    va_end(ap);
}

void log_status_show(const char *text)
{
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "\r%s\033[K", text);
    fflush(stderr);
    status_shown = 1;
    pthread_mutex_unlock(&log_lock);
}

void log_status_clear(void)
{
    pthread_mutex_lock(&log_lock);
    wipe_status();
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
