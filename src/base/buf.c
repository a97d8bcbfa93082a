/* buf.c - capped growable buffer over an arena (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void buf_init(sw_buf_t *b, arena_t *a, size_t max) {
    b->a = a;
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflow = false;
}

/* Makes room for `n` more bytes plus the NUL; false if the cap forbids it. */
static bool buf_reserve(sw_buf_t *b, size_t n) {
    if (b->overflow || n > b->max - b->len) {
        b->overflow = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    char *p = arena_alloc(b->a, cap);
    if (b->len)
        memcpy(p, b->ptr, b->len);
    b->ptr = p;
    b->cap = cap;
    return true;
}

void buf_append(sw_buf_t *b, const void *p, size_t n) {
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void buf_puts(sw_buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_putc(sw_buf_t *b, char c) { buf_append(b, &c, 1); }

void buf_printf(sw_buf_t *b, const char *fmt, ...) {
    char small[256];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        buf_append(b, small, (size_t)n);
    } else if (buf_reserve(b, (size_t)n)) {
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void buf_clear(sw_buf_t *b) {
    b->len = 0;
    b->overflow = false;
    if (b->ptr)
        b->ptr[0] = '\0';
}
