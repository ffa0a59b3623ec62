/*
 * Where a configuration value was written, and errors that say so.
 */
#ifndef PIPEHOST_CONFIG_CONFIG_ERROR_H
#define PIPEHOST_CONFIG_CONFIG_ERROR_H

#include "pipehost/plugin.h"

/* Where a value was written. file points into the owning config. */
typedef struct config_mark {
    const char *file;
    int line; /* 1-based */
    int col;  /* 1-based */
} config_mark;

/* "FILE:LINE:COL: message", ready to print. */
typedef struct config_error {
    char text[1024];
} config_error;

/* Format "FILE:LINE:COL: " + message into err. */
void config_error_set(config_error *err, const config_mark *mark, const char *fmt, ...)
    PH_PRINTF(3, 4);

/* Format "FILE: " + message into err, for errors about the whole file. */
void config_error_set_file(config_error *err, const char *file, const char *fmt, ...)
    PH_PRINTF(3, 4);

#endif
