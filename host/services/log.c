#include "services/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "services/event_time.h"

static ph_log_level current_level = PH_LOG_INFO;
static int json_format;
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

void log_writev(ph_log_level level, const char *scope, const char *fmt, va_list ap)
{
    if (level > current_level)
        return;
    char message[2048];
    vsnprintf(message, sizeof(message), fmt, ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char stamp[40];
    event_time_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, stamp, sizeof(stamp));

    pthread_mutex_lock(&log_lock);
    if (json_format) {
        json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", stamp, "level",
                                 level_names[level], "scope", scope ? scope : "",
                                 "msg", message);
        if (line) {
            json_dumpf(line, stderr, JSON_COMPACT | JSON_ENSURE_ASCII);
            fputc('\n', stderr);
            json_decref(line);
        }
    } else {
        fprintf(stderr, "%s %-5s [%s] %s\n", stamp, level_names[level],
                scope ? scope : "pipehost", message);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_write(ph_log_level level, const char *scope, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_writev(level, scope, fmt, ap);
    va_end(ap);
}
