#include "config/env_expand.h"

#include <stdlib.h>
#include <string.h>

#include "services/secret_redact.h"

/* ${secret:NAME}: the value is registered as a secret, never printed. */
#define SECRET_PREFIX "secret:"

/* A growing NUL-terminated string. */
typedef struct expansion {
    char *text;
    size_t length;
    size_t size;
} expansion;

static int append(expansion *out, const char *text, size_t length)
{
    if (out->length + length + 1 > out->size) {
        size_t size = (out->length + length + 1) * 2;
        char *bigger = realloc(out->text, size);
        if (bigger == NULL)
            return -1;
        out->text = bigger;
        out->size = size;
    }
    memcpy(out->text + out->length, text, length);
    out->length += length;
    out->text[out->length] = '\0';
    return 0;
}

static int is_name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int is_name_char(char ch)
{
    return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

static void report_malformed(const char *reference, const config_mark *mark, config_error *err)
{
    const char *close = strchr(reference, '}');

    if (close == NULL) {
        config_error_set(err, mark, "unterminated variable reference '%s' (missing '}')",
                         reference);
        return;
    }
    config_error_set(err, mark,
                     "malformed variable reference '%.*s' (expected ${NAME} or "
                     "${NAME:-default}, NAME made of letters, digits and '_')",
                     (int)(close - reference + 1), reference);
}

/*
 * Expand the reference starting at "${" in *cursor and move past it. The
 * value of a set, non-empty variable wins; an empty one also gives way to
 * a default.
 */
static int expand_reference(const char **cursor, expansion *out, const config_mark *mark,
                            config_error *err)
{
    const char *reference = *cursor;
    const char *name = reference + 2;
    const char *p, *fallback = NULL, *close, *value;
    char *variable;
    size_t start = out->length;
    /* Not ${secret:-default}: that is the variable "secret" with a default. */
    int secret = strncmp(name, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0 &&
                 is_name_start(name[strlen(SECRET_PREFIX)]);
    int rc;

    if (secret)
        name += strlen(SECRET_PREFIX);
    p = name;
    if (is_name_start(*p))
        while (is_name_char(*p))
            p++;
    if (p > name && p[0] == ':' && p[1] == '-')
        fallback = p + 2;
    close = strchr(fallback != NULL ? fallback : p, '}');
    if (p == name || close == NULL || (fallback == NULL && close != p)) {
        report_malformed(reference, mark, err);
        return -1;
    }
    if ((variable = strndup(name, (size_t)(p - name))) == NULL)
        goto out_of_memory;
    value = getenv(variable);
    if (value == NULL && fallback == NULL) {
        config_error_set(err, mark,
                         "environment variable '%s' is not set (use ${%s:-default} for a default)",
                         variable, variable);
        free(variable);
        return -1;
    }
    free(variable);
    if (fallback != NULL && (value == NULL || *value == '\0'))
        rc = append(out, fallback, (size_t)(close - fallback));
    else
        rc = append(out, value, strlen(value));
    if (rc != 0 || (secret && secret_register(out->text + start) != 0))
        goto out_of_memory;
    *cursor = close + 1;
    return 0;

out_of_memory:
    config_error_set(err, mark, "out of memory");
    return -1;
}

char *env_expand(const char *text, const config_mark *mark, config_error *err)
{
    expansion out = {NULL, 0, 0};
    const char *p = text;

    if (append(&out, "", 0) != 0)
        goto out_of_memory;
    while (*p != '\0') {
        size_t plain = strcspn(p, "$");
        if (append(&out, p, plain) != 0)
            goto out_of_memory;
        p += plain;
        if (*p == '\0')
            break;
        if (p[1] == '{') {
            if (expand_reference(&p, &out, mark, err) != 0) {
                free(out.text);
                return NULL;
            }
            continue;
        }
        /* "$$" is one '$'; a '$' before anything else is itself. */
        if (append(&out, "$", 1) != 0)
            goto out_of_memory;
        p += p[1] == '$' ? 2 : 1;
    }
    return out.text;

out_of_memory:
    free(out.text);
    config_error_set(err, mark, "out of memory");
    return NULL;
}

int yaml_tree_expand_env(yaml_tree *tree, config_error *err)
{
    for (yaml_node *node = tree->nodes; node != NULL; node = node->next_in_tree) {
        char *expanded;
        if (node->kind != YAML_TREE_SCALAR || node->is_key || strchr(node->text, '$') == NULL)
            continue;
        if ((expanded = env_expand(node->text, &node->mark, err)) == NULL)
            return -1;
        free(node->text);
        node->text = expanded;
    }
    return 0;
}
