#include "deadline_heap.h"

#include <stdlib.h>
#include <string.h>

static int comes_before(const conversation *a, const conversation *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return strcmp(a->id, b->id) < 0;
}

static void place(deadline_heap *heap, size_t index, conversation *conv)
{
    heap->items[index] = conv;
    conv->heap_index = index;
}

static void sift_up(deadline_heap *heap, size_t index)
{
    conversation *moving = heap->items[index];

    while (index > 0) {
        size_t parent = (index - 1) / 2;

        if (!comes_before(moving, heap->items[parent]))
            break;
        place(heap, index, heap->items[parent]);
        index = parent;
    }
    place(heap, index, moving);
}

static void sift_down(deadline_heap *heap, size_t index)
{
    conversation *moving = heap->items[index];

    for (;;) {
        size_t child = 2 * index + 1;

        if (child >= heap->count)
            break;
        if (child + 1 < heap->count && comes_before(heap->items[child + 1], heap->items[child]))
            child++;
        if (!comes_before(heap->items[child], moving))
            break;
        place(heap, index, heap->items[child]);
        index = child;
    }
    place(heap, index, moving);
}

int deadline_heap_push(deadline_heap *heap, conversation *conv)
{
    if (heap->count == heap->capacity) {
        size_t grown = heap->capacity == 0 ? 64 : heap->capacity * 2;
        conversation **items = realloc(heap->items, grown * sizeof(*items));

        if (items == NULL)
            return -1;
        heap->items = items;
        heap->capacity = grown;
    }
    place(heap, heap->count++, conv);
    sift_up(heap, heap->count - 1);
    return 0;
}

conversation *deadline_heap_first(const deadline_heap *heap)
{
    return heap->count > 0 ? heap->items[0] : NULL;
}

void deadline_heap_update(deadline_heap *heap, conversation *conv)
{
    size_t index = conv->heap_index;

    sift_up(heap, index);
    if (heap->items[index] == conv)
        sift_down(heap, index);
}

void deadline_heap_remove(deadline_heap *heap, conversation *conv)
{
    size_t index = conv->heap_index;
    conversation *last = heap->items[--heap->count];

    if (index == heap->count)
        return;
    place(heap, index, last);
    deadline_heap_update(heap, last);
}

void deadline_heap_free(deadline_heap *heap)
{
    free(heap->items);
    memset(heap, 0, sizeof(*heap));
}
