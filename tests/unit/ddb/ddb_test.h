/* ddb_test.h - helpers for the ddb unit tests: a fresh store in a temporary
 * directory and ddb_call on JSON text. Header-only (static inline). */
#ifndef SW_DDB_TEST_H
#define SW_DDB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/json.h"
#include "ddb/ddb.h"
#include "store/store.h"
#include "../test.h"

typedef struct ddb_fixture {
    char dir[64];
    store_t *store;
    ddb_t *db;
    arena_t a;
    sw_error_t err;
    json_t *resp;
} ddb_fixture_t;

static inline void fx_open(ddb_fixture_t *f) {
    sw_error_t err;
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/sw-ddb-test-XXXXXX");
    if (!mkdtemp(f->dir) || store_open(f->dir, &f->store, &err) != 0 ||
        ddb_open(f->store, &f->db, &err) != 0) {
        fprintf(stderr, "fixture: cannot open store in %s\n", f->dir);
        abort();
    }
    arena_init(&f->a);
}

static inline void fx_close(ddb_fixture_t *f) {
    char cmd[128];
    ddb_close(f->db);
    store_close(f->store);
    arena_release(&f->a);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fixture: cannot remove %s\n", f->dir);
}

/* Runs `op` with the JSON text `body`; returns 0 or -1 (f->err filled).
 * The response (or error extras) is in f->resp. */
static inline int fx_call(ddb_fixture_t *f, const char *op, const char *body) {
    sw_error_t perr;
    json_t *req = json_parse(&f->a, body, strlen(body), &perr);
    if (!req) {
        fprintf(stderr, "fixture: bad JSON in test: %s: %s\n", perr.msg, body);
        abort();
    }
    memset(&f->err, 0, sizeof f->err);
    return ddb_call(f->db, op, req, &f->a, &f->resp, &f->err);
}

/* The response as compact JSON text ("" when none). */
static inline const char *fx_resp(ddb_fixture_t *f) {
    return f->resp ? json_to_str(&f->a, f->resp) : "";
}

/* The value at dotted `path` of the response, as compact JSON text. */
static inline const char *fx_at(ddb_fixture_t *f, const char *path) {
    const json_t *v = f->resp;
    char part[256];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        v = json_obj_get(v, part);
        path += n + (path[n] == '.');
    }
    return v ? json_to_str(&f->a, v) : NULL;
}

#define FX_OK(f, op, body)                                                       \
    do {                                                                         \
        if (fx_call((f), (op), (body)) != 0)                                     \
            test_fail(__FILE__, __LINE__, "%s failed: %s: %s", (op),             \
                      (f)->err.type ? (f)->err.type : "?", (f)->err.msg);        \
    } while (0)

static inline void fx_err(ddb_fixture_t *f, const char *file, int line, const char *op,
                          const char *body, const char *want_type, const char *want_msg) {
    if (fx_call(f, op, body) == 0) {
        test_fail(file, line, "%s succeeded, expected %s", op, want_type);
        return;
    }
    if (!f->err.type || strcmp(f->err.type, want_type) != 0)
        test_fail(file, line, "error type %s, expected %s (%s)", f->err.type ? f->err.type : "?",
                  want_type, f->err.msg);
    if (want_msg && !strstr(f->err.msg, want_msg))
        test_fail(file, line, "message \"%s\" lacks \"%s\"", f->err.msg, want_msg);
}

#define FX_ERR(f, op, body, want_type, want_msg) \
    fx_err((f), __FILE__, __LINE__, (op), (body), (want_type), (want_msg))

#endif
