#include "config/config_error.h"

#include <stdarg.h>
#include <stdio.h>

#include "services/secret_redact.h"

static void append_message(config_error *err, int prefix_length, const char *fmt, va_list args)
{
    size_t used = prefix_length < 0 ? 0 : (size_t)prefix_length;

    if (used >= sizeof(err->text))
        return; /* the prefix alone filled the buffer, already terminated */
    vsnprintf(err->text + used, sizeof(err->text) - used, fmt, args);
    /* A message may quote a value: never one that is a secret. (The file
     * name before it is the user's own, and stays readable.) */
    secret_redact(err->text + used, sizeof(err->text) - used);
}

void config_error_set(config_error *err, const config_mark *mark, const char *fmt, ...)
{
    va_list args;
    int n = snprintf(err->text, sizeof(err->text), "%s:%d:%d: ", mark->file, mark->line,
                     mark->col);

    va_start(args, fmt);
    append_message(err, n, fmt, args);
    va_end(args);
}

void config_error_set_file(config_error *err, const char *file, const char *fmt, ...)
{
    va_list args;
    int n = snprintf(err->text, sizeof(err->text), "%s: ", file);

    va_start(args, fmt);
    append_message(err, n, fmt, args);
    va_end(args);
}
