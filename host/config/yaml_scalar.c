#include "config/yaml_scalar.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest scalar text quoted whole in a message. */
#define DESCRIBE_MAX 60

static int is_one_of(const char *text, const char *const *words)
{
    for (; *words != NULL; words++) {
        if (strcmp(text, *words) == 0)
            return 1;
    }
    return 0;
}

static int digit_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return 99;
}

/* How many leading characters of text are digits of base. */
static size_t count_digits(const char *text, int base)
{
    size_t n = 0;

    while (text[n] != '\0' && digit_value(text[n]) < base)
        n++;
    return n;
}

static const char *skip_sign(const char *text)
{
    return *text == '-' || *text == '+' ? text + 1 : text;
}

/* Where the digits of an integer start, and their base; NULL when text is
 * not an integer: [-+]?[0-9]+, 0o[0-7]+ or 0x[0-9a-fA-F]+. */
static const char *integer_digits(const char *text, int *base)
{
    const char *digits;

    if (text[0] == '0' && (text[1] == 'o' || text[1] == 'x')) {
        *base = text[1] == 'o' ? 8 : 16;
        digits = text + 2;
    } else {
        *base = 10;
        digits = skip_sign(text);
    }
    if (*digits == '\0' || count_digits(digits, *base) != strlen(digits))
        return NULL;
    return digits;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf or .nan */
static int is_float_text(const char *text)
{
    static const char *const infinities[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    const char *p = skip_sign(text);
    size_t whole, fraction = 0, exponent;

    if (is_one_of(p, infinities) || is_one_of(text, nans))
        return 1;
    whole = count_digits(p, 10);
    p += whole;
    if (*p == '.') {
        fraction = count_digits(++p, 10);
        p += fraction;
    }
    if (whole == 0 && fraction == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p = skip_sign(p + 1);
        exponent = count_digits(p, 10);
        if (exponent == 0)
            return 0;
        p += exponent;
    }
    return *p == '\0';
}

yaml_core_type yaml_scalar_type(const yaml_node *scalar)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const booleans[] = {"true", "True", "TRUE", "false", "False", "FALSE",
                                           NULL};
    int base;

    if (!scalar->plain)
        return YAML_CORE_STRING;
    if (is_one_of(scalar->text, nulls))
        return YAML_CORE_NULL;
    if (is_one_of(scalar->text, booleans))
        return YAML_CORE_BOOL;
    if (integer_digits(scalar->text, &base) != NULL)
        return YAML_CORE_INT;
    if (is_float_text(scalar->text))
        return YAML_CORE_FLOAT;
    return YAML_CORE_STRING;
}

int yaml_node_is_null(const yaml_node *node)
{
    return node->kind == YAML_TREE_SCALAR && yaml_scalar_type(node) == YAML_CORE_NULL;
}

int yaml_scalar_int(const yaml_node *scalar, int64_t *value)
{
    int base, negative = scalar->text[0] == '-';
    const char *digits;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;

    if (yaml_scalar_type(scalar) != YAML_CORE_INT ||
        (digits = integer_digits(scalar->text, &base)) == NULL)
        return -1;
    for (; *digits != '\0'; digits++) {
        uint64_t d = (uint64_t)digit_value(*digits);
        if (v > (limit - d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + d;
    }
    if (!negative)
        *value = (int64_t)v;
    else
        *value = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return 0;
}

int yaml_scalar_float(const yaml_node *scalar, double *value)
{
    const char *text = scalar->text;
    const char *unsigned_text = skip_sign(text);
    int64_t whole;
    double v;

    switch (yaml_scalar_type(scalar)) {
    case YAML_CORE_INT:
        if (yaml_scalar_int(scalar, &whole) != 0)
            return -1;
        *value = (double)whole;
        return 0;
    case YAML_CORE_FLOAT:
        break;
    default:
        return -1;
    }
    if (unsigned_text[0] == '.' && (unsigned_text[1] == 'i' || unsigned_text[1] == 'I')) {
        *value = text[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (text[0] == '.' && (text[1] == 'n' || text[1] == 'N')) {
        *value = NAN;
        return 0;
    }
    errno = 0;
    v = strtod(text, NULL);
    if (errno == ERANGE && isinf(v))
        return -1;
    *value = v;
    return 0;
}

int yaml_scalar_bool(const yaml_node *scalar, int *value)
{
    if (yaml_scalar_type(scalar) != YAML_CORE_BOOL)
        return -1;
    *value = scalar->text[0] == 't' || scalar->text[0] == 'T';
    return 0;
}

/* text in double quotes, escaped and cut to one short line. */
static void quote_text(const char *text, char *buf, size_t size)
{
    size_t used = 0;
    size_t shown = 0;

    used += (size_t)snprintf(buf, size, "\"");
    for (const char *p = text; *p != '\0' && used + 8 < size; p++, shown++) {
        unsigned char ch = (unsigned char)*p;
        if (shown == DESCRIBE_MAX) {
            used += (size_t)snprintf(buf + used, size - used, "...");
            break;
        }
        if (ch == '"' || ch == '\\')
            used += (size_t)snprintf(buf + used, size - used, "\\%c", ch);
        else if (ch == '\n')
            used += (size_t)snprintf(buf + used, size - used, "\\n");
        else if (ch == '\t')
            used += (size_t)snprintf(buf + used, size - used, "\\t");
        else if (ch < 0x20 || ch == 0x7f)
            used += (size_t)snprintf(buf + used, size - used, "\\x%02x", ch);
        else
            buf[used++] = (char)ch;
    }
    snprintf(buf + used, size - used, "\"");
}

const char *yaml_node_describe(const yaml_node *node, char *buf, size_t size)
{
    static const char *const scalar_kinds[] = {
        [YAML_CORE_NULL] = "null",       [YAML_CORE_BOOL] = "boolean",
        [YAML_CORE_INT] = "integer",     [YAML_CORE_FLOAT] = "number",
        [YAML_CORE_STRING] = "string",
    };
    yaml_core_type type;
    char quoted[DESCRIBE_MAX * 4 + 16];

    if (node->kind == YAML_TREE_SEQUENCE) {
        snprintf(buf, size, "a list");
    } else if (node->kind == YAML_TREE_MAPPING) {
        snprintf(buf, size, "a mapping");
    } else if ((type = yaml_scalar_type(node)) == YAML_CORE_NULL) {
        snprintf(buf, size, "null");
    } else if (type == YAML_CORE_STRING) {
        quote_text(node->text, quoted, sizeof(quoted));
        snprintf(buf, size, "string %s", quoted);
    } else {
        quote_text(node->text, quoted, sizeof(quoted));
        /* Numbers and booleans read better bare: integer 5, not "5". */
        quoted[strlen(quoted) - 1] = '\0';
        snprintf(buf, size, "%s %s", scalar_kinds[type], quoted + 1);
    }
    return buf;
}
