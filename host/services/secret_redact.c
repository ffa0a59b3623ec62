#include "services/secret_redact.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Registered values, longest first: where two overlap at one place, the
 * longer is redacted whole. */
static char **secrets;
static size_t secret_total;
static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_registered(const char *value)
{
    for (size_t i = 0; i < secret_total; i++) {
        if (strcmp(secrets[i], value) == 0)
            return 1;
    }
    return 0;
}

static int add_secret(const char *value, size_t length)
{
    char *copy;
    char **grown;
    size_t at;
    int rc = 0;

    if (length == 0)
        return 0;
    if ((copy = strndup(value, length)) == NULL)
        return -1;
    pthread_mutex_lock(&secret_lock);
    if (is_registered(copy)) {
        free(copy);
        goto done;
    }
    if ((grown = realloc(secrets, (secret_total + 1) * sizeof(*grown))) == NULL) {
        free(copy);
        rc = -1;
        goto done;
    }
    secrets = grown;
    at = 0;
    while (at < secret_total && strlen(secrets[at]) >= length)
        at++;
    memmove(&secrets[at + 1], &secrets[at], (secret_total - at) * sizeof(*secrets));
    secrets[at] = copy;
    secret_total++;
done:
    pthread_mutex_unlock(&secret_lock);
    return rc;
}

int secret_register(const char *value)
{
    return value != NULL ? add_secret(value, strlen(value)) : 0;
}

/* libpq keyword/value text: password=VALUE or password='VAL UE'. */
static int register_keyword_passwords(const char *text)
{
    static const char keyword[] = "password";

    for (const char *p = strstr(text, keyword); p != NULL; p = strstr(p + 1, keyword)) {
        const char *value = p + strlen(keyword);
        size_t length;

        while (*value == ' ')
            value++;
        if (*value != '=')
            continue;
        value++;
        while (*value == ' ')
            value++;
        if (*value == '\'') {
            const char *close = strchr(++value, '\'');
            length = close != NULL ? (size_t)(close - value) : strlen(value);
        } else {
            length = strcspn(value, " \t\r\n");
        }
        if (add_secret(value, length) != 0)
            return -1;
    }
    return 0;
}

/* scheme://user:PASSWORD@host: the password of every URI in text. */
static int register_uri_passwords(const char *text)
{
    for (const char *p = strstr(text, "://"); p != NULL; p = strstr(p + 1, "://")) {
        const char *authority = p + 3;
        size_t span = strcspn(authority, "/?# \t\r\n");
        const char *at = memchr(authority, '@', span);
        const char *colon;

        if (at == NULL)
            continue;
        colon = memchr(authority, ':', (size_t)(at - authority));
        if (colon != NULL && add_secret(colon + 1, (size_t)(at - colon - 1)) != 0)
            return -1;
    }
    return 0;
}

int secret_register_embedded(const char *value)
{
    if (value == NULL)
        return 0;
    if (register_keyword_passwords(value) != 0 || register_uri_passwords(value) != 0)
        return -1;
    return 0;
}

int secret_key_is_sensitive(const char *key)
{
    static const char *const named[] = {
        "sasl.oauthbearer.config",
        "sasl.oauthbearer.extensions",
        "ssl.key.pem",
    };
    static const char *const words[] = {"password", "secret"};
    size_t length = strlen(key);

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (strcmp(key, named[i]) == 0)
            return 1;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t word = strlen(words[i]);
        for (size_t at = 0; at + word <= length; at++) {
            if (strncasecmp(key + at, words[i], word) == 0)
                return 1;
        }
    }
    return 0;
}

/* The longest registered value that starts at text, or NULL. */
static const char *secret_at(const char *text, size_t *length)
{
    for (size_t i = 0; i < secret_total; i++) {
        size_t n = strlen(secrets[i]);
        if (strncmp(text, secrets[i], n) == 0) {
            *length = n;
            return secrets[i];
        }
    }
    return NULL;
}

void secret_redact(char *text, size_t size)
{
    char *out;
    size_t used = 0;

    if (text == NULL || size == 0)
        return;
    pthread_mutex_lock(&secret_lock);
    if (secret_total == 0 || (out = malloc(size)) == NULL) {
        /* Without room to redact into, blank the text rather than leak. */
        if (secret_total > 0)
            text[0] = '\0';
        pthread_mutex_unlock(&secret_lock);
        return;
    }
    for (const char *p = text; *p != '\0' && used + 1 < size;) {
        size_t length;
        if (secret_at(p, &length) != NULL) {
            size_t room = size - 1 - used;
            size_t n = strlen(SECRET_REDACTED) < room ? strlen(SECRET_REDACTED) : room;
            memcpy(out + used, SECRET_REDACTED, n);
            used += n;
            p += length;
        } else {
            out[used++] = *p++;
        }
    }
    out[used] = '\0';
    memcpy(text, out, used + 1);
    free(out);
    pthread_mutex_unlock(&secret_lock);
}

size_t secret_count(void)
{
    size_t count;

    pthread_mutex_lock(&secret_lock);
    count = secret_total;
    pthread_mutex_unlock(&secret_lock);
    return count;
}

void secret_forget_all(void)
{
    pthread_mutex_lock(&secret_lock);
    for (size_t i = 0; i < secret_total; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    secret_total = 0;
    pthread_mutex_unlock(&secret_lock);
}
