/*
 * The host's log: one line per event on stderr, safe from any thread.
 * Text: "2026-11-25T19:20:26.123Z INFO  [pipeline] message".
 * JSON (for log shippers), one object per line:
 *   {"time":"2026-11-25T19:20:26.123Z","level":"info","scope":"pipeline",
 *    "message":"...", FIELDS...}
 * where FIELDS are the event's own (a plugin's lines carry stage, topic
 * and partition).
 *
 * A terminal status line (see metrics/status_line.h) shares stderr: the
 * log wipes it before writing a line, and it is drawn again later.
 */
#ifndef PIPEHOST_SERVICES_LOG_H
#define PIPEHOST_SERVICES_LOG_H

#include <stdarg.h>
#include <stdint.h>

#include "pipehost/plugin.h"

void log_set_level(ph_log_level level);
ph_log_level log_get_level(void);
void log_set_json(int json);

/* Parse "error", "warn", "info", "debug". 0 or -1. */
int log_level_parse(const char *text, ph_log_level *level);

void log_write(ph_log_level level, const char *scope, const char *fmt, ...) PH_PRINTF(3, 4);
void log_writev(ph_log_level level, const char *scope, const char *fmt, va_list ap);

/* A field of a JSON log line: text, or (text NULL) a number. Text lines
 * leave fields out: the message already says what they hold. */
typedef struct log_field {
    const char *name;
    const char *text;
    int64_t number;
} log_field;

void log_writev_fields(ph_log_level level, const char *scope, const log_field *fields,
                       size_t field_count, const char *fmt, va_list ap);

#define log_error(scope, ...) log_write(PH_LOG_ERROR, scope, __VA_ARGS__)
#define log_warn(scope, ...) log_write(PH_LOG_WARN, scope, __VA_ARGS__)
#define log_info(scope, ...) log_write(PH_LOG_INFO, scope, __VA_ARGS__)
#define log_debug(scope, ...) log_write(PH_LOG_DEBUG, scope, __VA_ARGS__)

/* Draw text as the status line at the bottom of a terminal (replacing
 * the one shown), and wipe it. */
void log_status_show(const char *text);
void log_status_clear(void);

#endif
