/* store.h - the key-value interface over one LMDB environment per data
 * directory. Both engines keep all durable state here, in named sub-databases
 * (see the table in ARCHITECTURE.md). Knows nothing of DynamoDB or ASL.
 *
 * Thread rules: one write transaction at a time (LMDB's rule); read
 * transactions never block. A transaction that saw an error can only be
 * aborted: a request never half-writes. Pointers returned by store_get and
 * cursors are borrowed from the transaction and valid until it ends. */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

typedef enum store_dbi {
    STORE_CATALOG,   /* table name / state machine ARN -> description JSON */
    STORE_ITEMS,     /* encoded item key -> item JSON */
    STORE_EXEC,      /* execution ARN -> execution record */
    STORE_HISTORY,   /* execution id . event id -> event */
    STORE_TIMERS,
    STORE_TOKENS,
    STORE_META,      /* counters (next table id, ...) */
    STORE_N_DBI
} store_dbi_t;

typedef struct store store_t;
typedef struct store_txn store_txn_t;
typedef struct store_cursor store_cursor_t;

/* Opens (creating if needed) the environment in directory `dir`, which is
 * created if missing. Errors: "InternalServerError" with LMDB's text. */
int store_open(const char *dir, store_t **out, sw_error_t *err);
void store_close(store_t *s);

int store_txn_begin(store_t *s, bool is_write, store_txn_t **out, sw_error_t *err);
/* A child of write transaction `parent` (LMDB nested transaction): its
 * commit folds its writes into `parent` (no fsync); its abort undoes exactly
 * them and leaves `parent` usable. The parent must not be used while the
 * child is open. */
int store_txn_begin_nested(store_txn_t *parent, store_txn_t **out, sw_error_t *err);
/* True for a write transaction. */
bool store_txn_is_write(const store_txn_t *t);
/* Commits (durably: fsync) and frees the transaction, whatever the result. */
int store_txn_commit(store_txn_t *t, sw_error_t *err);
void store_txn_abort(store_txn_t *t);

/* Returns true and sets *val and *val_len (borrowed) when `key` exists. */
bool store_get(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
               const void **val, size_t *val_len);
int store_put(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
              const void *val, size_t val_len, sw_error_t *err);
/* Deleting a missing key is not an error. */
int store_del(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
              sw_error_t *err);

/* Ordered iteration: positions at the first key >= `key` (or the first key
 * when key_len is 0). store_cursor_next moves on. Both return false at the
 * end. */
int store_cursor_open(store_txn_t *t, store_dbi_t dbi, store_cursor_t **out, sw_error_t *err);
bool store_cursor_seek(store_cursor_t *c, const void *key, size_t key_len,
                       const void **k, size_t *k_len, const void **v, size_t *v_len);
bool store_cursor_next(store_cursor_t *c, const void **k, size_t *k_len,
                       const void **v, size_t *v_len);
void store_cursor_close(store_cursor_t *c);

/* Group commit (store_int.h has the design). Runs fn(ctx, err) on the
 * store's writer thread, in one store transaction with every other request
 * queued meanwhile: the write transactions fn begins are nested in it. Returns
 * fn's result once the batch has committed durably, never before; if the
 * commit fails, -1 with InternalServerError (nothing of the batch applied,
 * whatever fn returned). A request that meets InternalServerError while
 * sharing its batch with earlier ones (the batch grew too large for LMDB)
 * runs again first in a fresh batch. Thread-safe. Called from inside a
 * request (fn calling store_write), runs fn at once in the same batch. fn
 * must not wait for another thread's store_write, nor begin a top-level
 * write transaction of another store. */
typedef int (*store_write_fn)(void *ctx, sw_error_t *err);
int store_write(store_t *s, store_write_fn fn, void *ctx, sw_error_t *err);

/* Runs fn(ctx) once what the calling thread wrote is durable and visible:
 * inside a store_write request, after its batch commits (on the writer
 * thread; fn must be quick and must not call store_write); elsewhere, at
 * once. For telling other threads to look at what was written. */
void store_after_commit(store_t *s, void (*fn)(void *ctx), void *ctx);

/* Test hooks. hold(true) waits for the running batch to end and leaves the
 * queue alone until hold(false), so that a test can gather one batch from
 * several threads. stats: requests waiting now, batches committed and
 * requests run so far. */
void store_writer_hold(store_t *s, bool is_held);
void store_writer_stats(store_t *s, size_t *n_queued, uint64_t *n_batches,
                        uint64_t *n_requests);

/* Largest key LMDB accepts. */
#define STORE_MAX_KEY 511

#endif
