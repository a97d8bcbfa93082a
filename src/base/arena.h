/* arena.h - region allocator: every request, state transition and scan page
 * allocates from one arena that is dropped as a whole.
 *
 * Allocation never returns NULL: on exhaustion of the process it aborts
 * (input limits are what protect memory). Not thread-safe: one arena belongs
 * to one thread at a time. */
#ifndef SW_ARENA_H
#define SW_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;

typedef struct arena {
    arena_chunk_t *head;   /* current chunk; older chunks chained behind */
    size_t chunk_size;     /* default size of new chunks */
    size_t total;          /* bytes handed out, for limits and stats */
} arena_t;

/* Prepares `a`; the first chunk is allocated lazily. */
void arena_init(arena_t *a);
/* Frees every chunk; `a` may be reused after arena_init. */
void arena_release(arena_t *a);
/* Forgets all allocations but keeps the first chunk for reuse. */
void arena_reset(arena_t *a);

/* `n` bytes aligned for any type, uninitialised. Never NULL. */
void *arena_alloc(arena_t *a, size_t n);
/* Same, zero-filled. */
void *arena_zalloc(arena_t *a, size_t n);
/* Copy of `len` bytes plus a terminating NUL, allocated in `a`. */
char *arena_strndup(arena_t *a, const char *s, size_t len);
char *arena_strdup(arena_t *a, const char *s);
/* printf into a new NUL-terminated string allocated in `a`. */
char *arena_sprintf(arena_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
