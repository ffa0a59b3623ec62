/*
 * Keeping a libpq connection string's secrets out of messages.
 *
 * A conninfo may hold a password (password=, sslpassword=, or a URI's
 * user:password@). Whatever postgres_sink logs or reports about a
 * connection goes through here: the target is described without its
 * secrets, and libpq's own messages are scrubbed of them. libpq marks its
 * secret options itself (PQconninfoOption.dispchar '*'), so an option it
 * adds later is covered too.
 */
#ifndef PIPEHOST_POSTGRES_CONNINFO_REDACT_H
#define PIPEHOST_POSTGRES_CONNINFO_REDACT_H

#include <stddef.h>

/* What replaces a secret. */
#define CONNINFO_REDACTED "***"

/*
 * The connection string's options, as "host=H port=P dbname=D user=U", a
 * secret option shown as password=***; only options set in the string.
 * When libpq cannot parse the string: "an unparsable conninfo".
 */
void conninfo_describe(const char *conninfo, char *out, size_t size);

/*
 * message, with every secret of conninfo replaced by CONNINFO_REDACTED.
 * When libpq cannot parse conninfo, which secrets it holds is unknown:
 * then every double-quoted part of the message (libpq quotes the piece
 * of the string it stumbled on) is replaced, except an option name and
 * libpq's "=".
 */
void conninfo_scrub(const char *conninfo, const char *message, char *out, size_t size);

#endif
