/* arena.c - region allocator (see arena.h). Chunks are malloc'd and chained;
 * an allocation larger than a chunk gets a chunk of its own. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define ARENA_DEFAULT_CHUNK (16 * 1024)
#define ARENA_ALIGN 16

struct arena_chunk {
    arena_chunk_t *prev;
    size_t size;   /* usable bytes in data */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(arena_t *a) {
    a->head = NULL;
    a->chunk_size = ARENA_DEFAULT_CHUNK;
    a->total = 0;
}

void arena_release(arena_t *a) {
    arena_chunk_t *c = a->head;
    while (c) {
        arena_chunk_t *prev = c->prev;
        free(c);
        c = prev;
    }
    a->head = NULL;
    a->total = 0;
}

void arena_reset(arena_t *a) {
    arena_chunk_t *c = a->head;
    if (!c)
        return;
    /* Keep the oldest chunk: it is the one sized for the common case. */
    while (c->prev) {
        arena_chunk_t *prev = c->prev;
        free(c);
        c = prev;
    }
    c->used = 0;
    a->head = c;
    a->total = 0;
}

static arena_chunk_t *arena_chunk_new(size_t size) {
    arena_chunk_t *c = malloc(sizeof(*c) + size);
    if (!c) {
        fprintf(stderr, "stepwise: out of memory (%zu bytes)\n", size);
        abort();
    }
    c->prev = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *arena_alloc(arena_t *a, size_t n) {
    if (n == 0)
        n = 1;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        SW_BUG("arena allocation size overflow");
    arena_chunk_t *c = a->head;
    if (!c || c->size - c->used < need) {
        if (need > a->chunk_size / 4) {
            /* Big block: its own chunk, slotted behind the current one so
             * the current chunk's free space is not wasted. */
            arena_chunk_t *big = arena_chunk_new(need);
            big->used = need;
            if (c) {
                big->prev = c->prev;
                c->prev = big;
            } else {
                a->head = big;
            }
            a->total += need;
            return big->data;
        }
        arena_chunk_t *fresh = arena_chunk_new(a->chunk_size);
        fresh->prev = c;
        a->head = fresh;
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *arena_zalloc(arena_t *a, size_t n) {
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t len) {
    char *p = arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s) {
    return arena_strndup(a, s, strlen(s));
}

char *arena_sprintf(arena_t *a, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        SW_BUG("bad format");
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}
