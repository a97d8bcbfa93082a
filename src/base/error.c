/* error.c - filling sw_error_t; the BUG() abort. */
#include "error.h"

#include <stdarg.h>

int sw_error_set(sw_error_t *err, const char *type, const char *fmt, ...) {
    if (!err)
        return -1;
    err->type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void sw_error_clear(sw_error_t *err) {
    err->type = NULL;
    err->msg[0] = '\0';
}

_Noreturn void sw_bug(const char *file, int line, const char *msg) {
    fprintf(stderr, "stepwise: BUG at %s:%d: %s\n", file, line, msg);
    abort();
}
