/*
 * Secrets never printed: passwords, keys and tokens that reach pipehost
 * through a pipeline file are registered here as they are read, and every
 * log line and configuration error is redacted before it is written: each
 * occurrence of a registered value becomes "[redacted]".
 *
 * Redacting by value, not by where a value came from, also covers text
 * pipehost does not compose itself: librdkafka's error strings and log
 * lines (which echo property values) and a plugin's own log lines.
 *
 * The registry is process-wide and safe from any thread.
 */
#ifndef PIPEHOST_SERVICES_SECRET_REDACT_H
#define PIPEHOST_SERVICES_SECRET_REDACT_H

#include <stddef.h>

#define SECRET_REDACTED "[redacted]"

/* Never print value (a copy is kept; an empty value is ignored).
 * 0, or -1 out of memory. */
int secret_register(const char *value);

/* Register the passwords written inside value: the value of a libpq
 * `password=...` keyword (plain or single-quoted) and the password of a
 * URI's user info (scheme://user:PASSWORD@host). 0, or -1 out of memory. */
int secret_register_embedded(const char *value);

/* Whether a configuration key names a secret: any key containing
 * "password" or "secret" (any case), and librdkafka's
 * sasl.oauthbearer.config, sasl.oauthbearer.extensions and ssl.key.pem. */
int secret_key_is_sensitive(const char *key);

/* Replace every registered value in text (NUL-terminated, in a buffer of
 * size bytes) by SECRET_REDACTED, cutting the result to fit. */
void secret_redact(char *text, size_t size);

/* How many values are registered. */
size_t secret_count(void);

/* Forget every registered value (tests and the fuzzers start afresh). */
void secret_forget_all(void);

#endif
