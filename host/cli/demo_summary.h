/*
 * What `pipehost demo` prints about a use case's output: read the JSON
 * lines a pipeline wrote, keep the latest row per key (the plugins' rows
 * are upserts), and summarize them for a person.
 */
#ifndef PIPEHOST_CLI_DEMO_SUMMARY_H
#define PIPEHOST_CLI_DEMO_SUMMARY_H

#include <stdio.h>

#include <jansson.h>

typedef struct demo_output {
    json_t *latest; /* object: upsert key -> latest row */
    json_t *events; /* array: rows that are events, not upserts (alerts) */
    size_t lines;
} demo_output;

/* Read path, keyed as use_case's plugin keys its rows. 0 or -1. */
int demo_output_read(const char *use_case, const char *path, demo_output *out);
void demo_output_free(demo_output *out);

void demo_summarize_clickstream(FILE *out, const demo_output *rows);
void demo_summarize_iot(FILE *out, const demo_output *rows);
void demo_summarize_chat(FILE *out, const demo_output *rows);

#endif
