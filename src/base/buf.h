/* buf.h - growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Memory comes from an arena. Appending past `max` sets `overflow` and drops
 * the bytes: callers check `overflow` once at the end instead of after each
 * append. The content is always NUL-terminated. */
#ifndef SW_BUF_H
#define SW_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include "arena.h"

typedef struct sw_buf {
    arena_t *a;
    char *ptr;
    size_t len;
    size_t cap;
    size_t max;      /* hard cap on len */
    bool overflow;   /* set when an append was refused for the cap */
} sw_buf_t;

void buf_init(sw_buf_t *b, arena_t *a, size_t max);
void buf_append(sw_buf_t *b, const void *p, size_t n);
void buf_puts(sw_buf_t *b, const char *s);
void buf_putc(sw_buf_t *b, char c);
void buf_printf(sw_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Drops the content, keeps the memory. */
void buf_clear(sw_buf_t *b);

#endif
