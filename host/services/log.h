/*
 * The host's log: one line per event on stderr, safe from any thread.
 * Text: "2026-11-25T19:20:26.123Z INFO  [pipeline] message".
 * JSON (for log shippers): {"ts":..., "level":..., "scope":..., "msg":...}.
 */
#ifndef PIPEHOST_SERVICES_LOG_H
#define PIPEHOST_SERVICES_LOG_H

#include <stdarg.h>

#include "pipehost/plugin.h"

void log_set_level(ph_log_level level);
ph_log_level log_get_level(void);
void log_set_json(int json);

/* Parse "error", "warn", "info", "debug". 0 or -1. */
int log_level_parse(const char *text, ph_log_level *level);

void log_write(ph_log_level level, const char *scope, const char *fmt, ...) PH_PRINTF(3, 4);
void log_writev(ph_log_level level, const char *scope, const char *fmt, va_list ap);

#define log_error(scope, ...) log_write(PH_LOG_ERROR, scope, __VA_ARGS__)
#define log_warn(scope, ...) log_write(PH_LOG_WARN, scope, __VA_ARGS__)
#define log_info(scope, ...) log_write(PH_LOG_INFO, scope, __VA_ARGS__)
#define log_debug(scope, ...) log_write(PH_LOG_DEBUG, scope, __VA_ARGS__)

#endif
