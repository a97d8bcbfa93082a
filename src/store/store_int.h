/* store_int.h - what store.c and writer.c share.
 *
 * Group commit (writer.c): a store has one writer thread, started by the
 * first store_write. It takes every request queued (up to
 * STORE_WRITER_BATCH_MAX), begins ONE top-level write transaction, the
 * batch, and runs each request's function with the thread-local
 * store__batch pointing at it: every write transaction the function begins
 * (store_txn_begin) is then a nested transaction of the batch, so a
 * request that fails and aborts what it began changes nothing while the
 * others' writes stay. The batch commits once - one fsync for all - and
 * only then are the callers woken and the after-commit hooks run. */
#ifndef SW_STORE_INT_H
#define SW_STORE_INT_H

#include <lmdb.h>

#include "store/store.h"

typedef struct store_writer store_writer_t;

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE_N_DBI];
    store_writer_t *writer;
};

/* The batch the calling thread runs a request in (the writer thread while
 * it runs one), or NULL. */
extern _Thread_local store_txn_t *store__batch;

/* True if `t` is a transaction of store `s`. */
bool store__txn_is_of(const store_txn_t *t, const store_t *s);

store_writer_t *store__writer_new(store_t *s);
/* Serves what is queued, stops the thread, frees `w` (NULL is fine). */
void store__writer_free(store_writer_t *w);

#endif
