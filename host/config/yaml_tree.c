/*
 * Building a yaml_tree from libyaml's event stream.
 *
 * libyaml's own document loader would do, but it cannot tell a plain
 * scalar that happens to carry the default tag from an explicit !!str,
 * and it registers an anchor before the node is complete, which lets
 * "&a [*a]" build a cycle. Composing from events avoids both.
 */
#include "config/yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Far deeper than any configuration; bounds the recursion. */
#define MAX_DEPTH 64

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_SEQ "tag:yaml.org,2002:seq"
#define TAG_MAP "tag:yaml.org,2002:map"

typedef struct anchor {
    char *name;
    yaml_node *node;
    struct anchor *next;
} anchor;

typedef struct composer {
    yaml_parser_t parser;
    const char *text; /* the whole input: locates reader errors */
    size_t length;
    yaml_tree *tree;
    anchor *anchors; /* newest first: a redefined anchor shadows the old */
    yaml_node *last; /* the tree's newest node: nodes are listed in file order */
    int depth;
    config_error *err;
} composer;

static config_mark mark_at(const composer *c, yaml_mark_t mark)
{
    config_mark m = {c->tree->file, (int)mark.line + 1, (int)mark.column + 1};
    return m;
}

/* The reader reports a byte offset, not a mark: count lines up to it. */
static config_mark mark_at_offset(const composer *c, size_t offset)
{
    config_mark m = {c->tree->file, 1, 1};

    for (size_t i = 0; i < offset && i < c->length; i++) {
        if (c->text[i] == '\n') {
            m.line++;
            m.col = 1;
        } else {
            m.col++;
        }
    }
    return m;
}

static void report_reader_error(composer *c)
{
    const yaml_parser_t *p = &c->parser;
    config_mark mark = mark_at_offset(c, p->problem_offset);

    if (p->problem_value != -1)
        config_error_set(c->err, &mark, "%s 0x%02X (the file must be UTF-8 or UTF-16)",
                         p->problem, (unsigned)p->problem_value);
    else
        config_error_set(c->err, &mark, "%s", p->problem);
}

static int is_tab_at(const composer *c, yaml_mark_t mark)
{
    return mark.index < c->length && c->text[mark.index] == '\t';
}

static void report_parser_error(composer *c)
{
    const yaml_parser_t *p = &c->parser;
    config_mark mark = mark_at(c, p->problem_mark);
    char context[160] = "";

    if (p->error == YAML_MEMORY_ERROR) {
        config_error_set_file(c->err, c->tree->file, "out of memory");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        report_reader_error(c);
        return;
    }
    if (is_tab_at(c, p->problem_mark)) {
        snprintf(context, sizeof(context), " (a tab: YAML indents with spaces only)");
    } else if (p->context != NULL) {
        config_mark at = mark_at(c, p->context_mark);
        if (at.line == mark.line && at.col == mark.col)
            snprintf(context, sizeof(context), " (%s)", p->context);
        else
            snprintf(context, sizeof(context), " (%s at %d:%d)", p->context, at.line, at.col);
    }
    config_error_set(c->err, &mark, "%s%s", p->problem ? p->problem : "syntax error", context);
}

static int next_event(composer *c, yaml_event_t *event)
{
    if (yaml_parser_parse(&c->parser, event))
        return 0;
    report_parser_error(c);
    return -1;
}

static void out_of_memory(composer *c)
{
    config_error_set_file(c->err, c->tree->file, "out of memory");
}

static yaml_node *new_node(composer *c, yaml_node_kind kind, yaml_mark_t mark)
{
    yaml_node *node = calloc(1, sizeof(*node));

    if (node == NULL) {
        out_of_memory(c);
        return NULL;
    }
    node->kind = kind;
    node->mark = mark_at(c, mark);
    if (c->last != NULL)
        c->last->next_in_tree = node;
    else
        c->tree->nodes = node;
    c->last = node;
    return node;
}

/* Make room for one more element in an array of count elements. The
 * capacity is implicit: 4 to start with, doubled whenever count reaches
 * it (a power of two from 4 on). */
static int grow(composer *c, void **array, size_t count, size_t element_size)
{
    int full = count == 0 || (count >= 4 && (count & (count - 1)) == 0);
    void *bigger;

    if (!full)
        return 0;
    bigger = realloc(*array, (count == 0 ? 4 : count * 2) * element_size);
    if (bigger == NULL) {
        out_of_memory(c);
        return -1;
    }
    *array = bigger;
    return 0;
}

static int register_anchor(composer *c, const yaml_char_t *name, yaml_node *node)
{
    anchor *a;

    if (name == NULL)
        return 0;
    a = calloc(1, sizeof(*a));
    if (a == NULL || (a->name = strdup((const char *)name)) == NULL) {
        free(a);
        out_of_memory(c);
        return -1;
    }
    a->node = node;
    a->next = c->anchors;
    c->anchors = a;
    return 0;
}

static void free_anchors(anchor *a)
{
    while (a != NULL) {
        anchor *next = a->next;
        free(a->name);
        free(a);
        a = next;
    }
}

static yaml_node *resolve_alias(composer *c, const yaml_event_t *event)
{
    const char *name = (const char *)event->data.alias.anchor;
    config_mark mark;

    for (const anchor *a = c->anchors; a != NULL; a = a->next) {
        if (strcmp(a->name, name) == 0)
            return a->node;
    }
    mark = mark_at(c, event->start_mark);
    config_error_set(c->err, &mark,
                     "alias '*%s' refers to no anchor '&%s' completed before it", name, name);
    return NULL;
}

/* Explicit tags: only those that agree with what is written. */
static int check_tag(composer *c, const yaml_event_t *event, const yaml_char_t *tag,
                     const char *allowed)
{
    config_mark mark;

    if (tag == NULL || strcmp((const char *)tag, allowed) == 0 ||
        strcmp((const char *)tag, "!") == 0)
        return 0;
    mark = mark_at(c, event->start_mark);
    config_error_set(c->err, &mark, "unsupported tag '%s' (only !!str, !!seq and !!map are)",
                     (const char *)tag);
    return -1;
}

static yaml_node *compose_scalar(composer *c, const yaml_event_t *event)
{
    const char *value = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    yaml_node *node;

    if (check_tag(c, event, event->data.scalar.tag, TAG_STR) != 0)
        return NULL;
    if (memchr(value, '\0', length) != NULL) {
        config_mark mark = mark_at(c, event->start_mark);
        config_error_set(c->err, &mark, "a scalar may not contain a NUL character");
        return NULL;
    }
    node = new_node(c, YAML_TREE_SCALAR, event->start_mark);
    if (node == NULL)
        return NULL;
    node->text = strndup(value, length);
    if (node->text == NULL) {
        out_of_memory(c);
        return NULL;
    }
    node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                  event->data.scalar.tag == NULL;
    return register_anchor(c, event->data.scalar.anchor, node) == 0 ? node : NULL;
}

static yaml_node *compose_node(composer *c, const yaml_event_t *event);

/* The next node of a collection, or NULL with *ended set at its end. */
static yaml_node *compose_next(composer *c, yaml_event_type_t end_type, int *ended)
{
    yaml_event_t event;
    yaml_node *node = NULL;

    *ended = 0;
    if (next_event(c, &event) != 0)
        return NULL;
    if (event.type == end_type)
        *ended = 1;
    else
        node = compose_node(c, &event);
    yaml_event_delete(&event);
    return node;
}

static int compose_items(composer *c, yaml_node *sequence)
{
    int ended;

    for (;;) {
        yaml_node *item = compose_next(c, YAML_SEQUENCE_END_EVENT, &ended);
        if (item == NULL)
            return ended ? 0 : -1;
        if (grow(c, (void **)&sequence->items, sequence->count, sizeof(*sequence->items)) != 0)
            return -1;
        sequence->items[sequence->count++] = item;
    }
}

static int check_key(composer *c, const yaml_node *mapping, const yaml_node *key)
{
    if (key->kind != YAML_TREE_SCALAR) {
        config_error_set(c->err, &key->mark, "a mapping key must be a scalar");
        return -1;
    }
    for (size_t i = 0; i < mapping->count; i++) {
        const yaml_node *earlier = mapping->pairs[i].key;
        if (strcmp(earlier->text, key->text) == 0) {
            config_error_set(c->err, &key->mark, "duplicate key '%s' (first set at %d:%d)",
                             key->text, earlier->mark.line, earlier->mark.col);
            return -1;
        }
    }
    return 0;
}

static int compose_pairs(composer *c, yaml_node *mapping)
{
    int ended;

    for (;;) {
        yaml_node *key = compose_next(c, YAML_MAPPING_END_EVENT, &ended);
        yaml_node *value;
        if (key == NULL)
            return ended ? 0 : -1;
        if (check_key(c, mapping, key) != 0)
            return -1;
        /* A mapping always has a value after a key: no end event here. */
        if ((value = compose_next(c, YAML_MAPPING_END_EVENT, &ended)) == NULL)
            return -1;
        if (grow(c, (void **)&mapping->pairs, mapping->count, sizeof(*mapping->pairs)) != 0)
            return -1;
        key->is_key = 1;
        mapping->pairs[mapping->count].key = key;
        mapping->pairs[mapping->count].value = value;
        mapping->count++;
    }
}

static yaml_node *compose_collection(composer *c, const yaml_event_t *event,
                                     yaml_node_kind kind)
{
    int is_mapping = kind == YAML_TREE_MAPPING;
    const yaml_char_t *tag = is_mapping ? event->data.mapping_start.tag
                                        : event->data.sequence_start.tag;
    const yaml_char_t *anchor_name = is_mapping ? event->data.mapping_start.anchor
                                                : event->data.sequence_start.anchor;
    yaml_node *node;
    int rc;

    if (check_tag(c, event, tag, is_mapping ? TAG_MAP : TAG_SEQ) != 0)
        return NULL;
    if (c->depth == MAX_DEPTH) {
        config_mark mark = mark_at(c, event->start_mark);
        config_error_set(c->err, &mark, "nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    if ((node = new_node(c, kind, event->start_mark)) == NULL)
        return NULL;
    c->depth++;
    rc = is_mapping ? compose_pairs(c, node) : compose_items(c, node);
    c->depth--;
    if (rc != 0)
        return NULL;
    /* Registered only now, so an alias inside the node cannot reach it. */
    return register_anchor(c, anchor_name, node) == 0 ? node : NULL;
}

static yaml_node *compose_node(composer *c, const yaml_event_t *event)
{
    config_mark mark;

    switch (event->type) {
    case YAML_SCALAR_EVENT:
        return compose_scalar(c, event);
    case YAML_SEQUENCE_START_EVENT:
        return compose_collection(c, event, YAML_TREE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return compose_collection(c, event, YAML_TREE_MAPPING);
    case YAML_ALIAS_EVENT:
        return resolve_alias(c, event);
    default:
        mark = mark_at(c, event->start_mark);
        config_error_set(c->err, &mark, "unexpected YAML event %d", (int)event->type);
        return NULL;
    }
}

/* Read one event and drop it; it must be of the expected type. */
static int skip_event(composer *c, yaml_event_type_t expected, yaml_event_type_t *type)
{
    yaml_event_t event;

    if (next_event(c, &event) != 0)
        return -1;
    *type = event.type;
    if (event.type != expected && expected != YAML_NO_EVENT) {
        config_mark mark = mark_at(c, event.start_mark);
        config_error_set(c->err, &mark, "unexpected YAML event %d", (int)event.type);
        yaml_event_delete(&event);
        return -1;
    }
    yaml_event_delete(&event);
    return 0;
}

static int compose_root(composer *c)
{
    yaml_event_t event;

    if (next_event(c, &event) != 0)
        return -1;
    c->tree->root = compose_node(c, &event);
    yaml_event_delete(&event);
    return c->tree->root != NULL ? 0 : -1;
}

/* A stream holding no document, or exactly one. */
static int compose_stream(composer *c)
{
    yaml_event_type_t type;
    yaml_event_t event;
    int rc = 0;

    if (skip_event(c, YAML_STREAM_START_EVENT, &type) != 0 ||
        skip_event(c, YAML_NO_EVENT, &type) != 0)
        return -1;
    if (type == YAML_STREAM_END_EVENT)
        return 0;
    if (compose_root(c) != 0 || skip_event(c, YAML_DOCUMENT_END_EVENT, &type) != 0 ||
        next_event(c, &event) != 0)
        return -1;
    if (event.type != YAML_STREAM_END_EVENT) {
        config_mark mark = mark_at(c, event.start_mark);
        config_error_set(c->err, &mark, "a second YAML document starts here; a file holds one");
        rc = -1;
    }
    yaml_event_delete(&event);
    return rc;
}

yaml_tree *yaml_tree_load_text(const char *text, size_t length, const char *name,
                               config_error *err)
{
    composer c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.text = text;
    c.length = length;
    c.err = err;
    c.tree = calloc(1, sizeof(*c.tree));
    if (c.tree == NULL || (c.tree->file = strdup(name)) == NULL) {
        free(c.tree);
        config_error_set_file(err, name, "out of memory");
        return NULL;
    }
    if (!yaml_parser_initialize(&c.parser)) {
        out_of_memory(&c);
        yaml_tree_free(c.tree);
        return NULL;
    }
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, length);
    rc = compose_stream(&c);
    yaml_parser_delete(&c.parser);
    free_anchors(c.anchors);
    if (rc != 0) {
        yaml_tree_free(c.tree);
        return NULL;
    }
    return c.tree;
}

/* Make room for more of a file: the buffer doubles. */
static int grow_buffer(char **text, size_t *size)
{
    size_t bigger_size = *size ? *size * 2 : 4096;
    char *bigger = realloc(*text, bigger_size);

    if (bigger == NULL)
        return -1;
    *text = bigger;
    *size = bigger_size;
    return 0;
}

/* The whole file in memory; NULL with err filled. */
static char *read_file(const char *path, size_t *length, config_error *err)
{
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    size_t used = 0, size = 0;
    int failed = 0;

    if (file == NULL) {
        config_error_set_file(err, path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    do {
        if (used == size && grow_buffer(&text, &size) != 0) {
            config_error_set_file(err, path, "out of memory");
            failed = 1;
            break;
        }
        used += fread(text + used, 1, size - used, file);
    } while (used == size);
    if (!failed && ferror(file)) {
        config_error_set_file(err, path, "cannot read: %s", strerror(errno));
        failed = 1;
    }
    fclose(file);
    if (failed) {
        free(text);
        return NULL;
    }
    *length = used;
    return text;
}

yaml_tree *yaml_tree_load_file(const char *path, config_error *err)
{
    size_t length;
    char *text = read_file(path, &length, err);
    yaml_tree *tree;

    if (text == NULL)
        return NULL;
    tree = yaml_tree_load_text(text, length, path, err);
    free(text);
    return tree;
}

void yaml_tree_free(yaml_tree *tree)
{
    yaml_node *node;

    if (tree == NULL)
        return;
    node = tree->nodes;
    while (node != NULL) {
        yaml_node *next = node->next_in_tree;
        free(node->text);
        free(node->items);
        free(node->pairs);
        free(node);
        node = next;
    }
    free(tree->file);
    free(tree);
}

const yaml_node *yaml_mapping_get(const yaml_node *mapping, const char *key)
{
    if (mapping == NULL || mapping->kind != YAML_TREE_MAPPING)
        return NULL;
    for (size_t i = 0; i < mapping->count; i++) {
        if (strcmp(mapping->pairs[i].key->text, key) == 0)
            return mapping->pairs[i].value;
    }
    return NULL;
}
