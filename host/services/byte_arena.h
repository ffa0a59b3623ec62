/*
 * Bytes handed out in blocks that never move, all given back at once: for
 * values that must stay valid while more are made (a plugin call's
 * unescaped strings), where a growing buffer would move the earlier ones.
 */
#ifndef PIPEHOST_SERVICES_BYTE_ARENA_H
#define PIPEHOST_SERVICES_BYTE_ARENA_H

#include <stddef.h>

typedef struct byte_arena_block byte_arena_block;

typedef struct byte_arena {
    byte_arena_block *blocks; /* newest first */
} byte_arena;

#define BYTE_ARENA_INIT {NULL}

/* size bytes, aligned for any type, or NULL when out of memory. */
void *byte_arena_alloc(byte_arena *arena, size_t size);

/* Give everything back, keeping the newest block for reuse. */
void byte_arena_reset(byte_arena *arena);

/* Give everything back, blocks too. */
void byte_arena_free(byte_arena *arena);

#endif
