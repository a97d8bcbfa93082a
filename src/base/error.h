/* error.h - the error carried out of every fallible call.
 *
 * A function that can fail returns 0 or -1 and fills `sw_error_t` once, where
 * the problem is found, with the AWS error type (the wire name without the
 * namespace, e.g. "ValidationException") and AWS's message wording. Callers
 * pass the -1 up untouched. The HTTP status is looked up from the engine's
 * catalogue (ddb_error_status, sfn_error_status) by type. */
#ifndef SW_ERROR_H
#define SW_ERROR_H

#include <stdio.h>
#include <stdlib.h>

#define SW_ERROR_MSG_MAX 1024

typedef struct sw_error {
    const char *type;               /* static string: "ValidationException" */
    char msg[SW_ERROR_MSG_MAX];     /* AWS's message, NUL-terminated */
} sw_error_t;

/* Fills `err` (which may be NULL) and returns -1, so a failure site reads
 * `return sw_error_set(err, "ValidationException", "...%s", x);` */
int sw_error_set(sw_error_t *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sw_error_clear(sw_error_t *err);

/* A broken invariant is a bug: abort with file:line. Never for input. */
#define SW_BUG(msg) sw_bug(__FILE__, __LINE__, (msg))
#define SW_ASSERT(cond) \
    do { if (!(cond)) sw_bug(__FILE__, __LINE__, #cond); } while (0)
_Noreturn void sw_bug(const char *file, int line, const char *msg);

#endif
