#include "services/byte_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK_BYTES 4096

struct byte_arena_block {
    byte_arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char bytes[];
};

void *byte_arena_alloc(byte_arena *arena, size_t size)
{
    size_t rounded = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (rounded < size)
        return NULL;
    byte_arena_block *block = arena->blocks;
    if (!block || block->size - block->used < rounded) {
        size_t block_size = rounded > BLOCK_BYTES ? rounded : BLOCK_BYTES;
        if (block_size > SIZE_MAX - sizeof(*block))
            return NULL;
        block = malloc(sizeof(*block) + block_size);
        if (!block)
            return NULL;
        block->size = block_size;
        block->used = 0;
        block->next = arena->blocks;
        arena->blocks = block;
    }
    void *bytes = block->bytes + block->used;
    block->used += rounded;
    return bytes;
}

void byte_arena_reset(byte_arena *arena)
{
    byte_arena_block *keep = arena->blocks;
    if (!keep)
        return;
    byte_arena_block *block = keep->next;
    while (block) {
        byte_arena_block *next = block->next;
        free(block);
        block = next;
    }
    keep->next = NULL;
    keep->used = 0;
}

void byte_arena_free(byte_arena *arena)
{
    byte_arena_reset(arena);
    free(arena->blocks);
    arena->blocks = NULL;
}
