/* store.c - the key-value interface (store.h) over LMDB.
 *
 * One environment per data directory, one named sub-database per
 * store_dbi_t, all opened once at store_open. Transactions and cursors are
 * small heap wrappers around LMDB's. Knows nothing of DynamoDB or ASL; must
 * never hand out a pointer that outlives its transaction (LMDB's rule). */
#include "store/store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"

_Thread_local store_txn_t *store__batch;

/* The map is address space reserved, not disk used: the file grows with the
 * data. 64 GiB unless STEPWISE_MAP_MB says otherwise: one legal execution
 * (25,000 history events of up to 256 KiB) can hold gigabytes, so the
 * default must never be what stops a workload that the disk can hold. */
#define STORE_DEFAULT_MAP_BYTES ((size_t)64 << 30)

static const char *const dbi_names[STORE_N_DBI] = {
    [STORE_CATALOG] = "catalog",
    [STORE_ITEMS] = "items",
    [STORE_EXEC] = "exec",
    [STORE_HISTORY] = "history",
    [STORE_TIMERS] = "timers",
    [STORE_TOKENS] = "tokens",
    [STORE_META] = "meta",
};

struct store_txn {
    store_t *s;
    MDB_txn *txn;
    bool is_write;
    bool is_nested;
};

struct store_cursor {
    MDB_cursor *cur;
};

static int lmdb_error(sw_error_t *err, const char *what, int rc) {
    return sw_error_set(err, "InternalServerError", "store: %s: %s", what,
                        mdb_strerror(rc));
}

int store_open(const char *dir, store_t **out, sw_error_t *err) {
    store_t *s;
    MDB_txn *txn = NULL;
    size_t map_bytes = STORE_DEFAULT_MAP_BYTES;
    const char *env_map = getenv("STEPWISE_MAP_MB");
    int rc;

    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sw_error_set(err, "InternalServerError", "store: cannot create %s: %s",
                            dir, strerror(errno));
    if (env_map && atol(env_map) > 0)
        map_bytes = (size_t)atol(env_map) << 20;

    s = calloc(1, sizeof *s);
    if (!s)
        SW_BUG("out of memory");
    if ((rc = mdb_env_create(&s->env)) != 0) {
        free(s);
        return lmdb_error(err, "mdb_env_create", rc);
    }
    if ((rc = mdb_env_set_maxdbs(s->env, STORE_N_DBI + 4)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, map_bytes)) != 0 ||
        (rc = mdb_env_set_maxreaders(s->env, 512)) != 0) {
        lmdb_error(err, "configure", rc);
        goto out_close_env;
    }
    /* MDB_NOTLS: read transactions are not tied to a thread (a server thread
     * pool, and a thread may hold a read and a write transaction at once). */
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
        lmdb_error(err, dir, rc);
        goto out_close_env;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
        lmdb_error(err, "mdb_txn_begin", rc);
        goto out_close_env;
    }
    for (int i = 0; i < STORE_N_DBI; i++) {
        if ((rc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &s->dbi[i])) != 0) {
            lmdb_error(err, dbi_names[i], rc);
            mdb_txn_abort(txn);
            goto out_close_env;
        }
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        lmdb_error(err, "mdb_txn_commit", rc);
        goto out_close_env;
    }
    s->writer = store__writer_new(s);
    *out = s;
    return 0;

out_close_env:
    mdb_env_close(s->env);
    free(s);
    return -1;
}

void store_close(store_t *s) {
    if (!s)
        return;
    store__writer_free(s->writer);
    mdb_env_close(s->env);
    free(s);
}

static int txn_begin(store_t *s, MDB_txn *parent, bool is_write, store_txn_t **out,
                     sw_error_t *err) {
    store_txn_t *t = calloc(1, sizeof *t);
    int rc;

    if (!t)
        SW_BUG("out of memory");
    rc = mdb_txn_begin(s->env, parent, is_write ? 0 : MDB_RDONLY, &t->txn);
    if (rc != 0) {
        free(t);
        *out = NULL;
        return lmdb_error(err, "mdb_txn_begin", rc);
    }
    t->s = s;
    t->is_write = is_write;
    t->is_nested = parent != NULL;
    *out = t;
    return 0;
}

int store_txn_begin(store_t *s, bool is_write, store_txn_t **out, sw_error_t *err) {
    /* Inside a store_write request: a part of the batch (store_int.h). */
    if (is_write && store__batch && store__batch->s == s)
        return txn_begin(s, store__batch->txn, true, out, err);
    return txn_begin(s, NULL, is_write, out, err);
}

int store_txn_begin_nested(store_txn_t *parent, store_txn_t **out, sw_error_t *err) {
    SW_ASSERT(parent->is_write);
    return txn_begin(parent->s, parent->txn, true, out, err);
}

bool store__txn_is_of(const store_txn_t *t, const store_t *s) {
    return t->s == s;
}

bool store_txn_is_write(const store_txn_t *t) {
    return t->is_write;
}

int store_txn_commit(store_txn_t *t, sw_error_t *err) {
    int rc = mdb_txn_commit(t->txn);
    free(t);
    if (rc != 0)
        return lmdb_error(err, "commit", rc);
    return 0;
}

void store_txn_abort(store_txn_t *t) {
    if (!t)
        return;
    mdb_txn_abort(t->txn);
    free(t);
}

bool store_get(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
               const void **val, size_t *val_len) {
    MDB_val k = {key_len, (void *)key}, v;

    if (key_len == 0 || key_len > STORE_MAX_KEY)
        return false;
    if (mdb_get(t->txn, t->s->dbi[dbi], &k, &v) != 0)
        return false;
    *val = v.mv_data;
    *val_len = v.mv_size;
    return true;
}

int store_put(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
              const void *val, size_t val_len, sw_error_t *err) {
    MDB_val k = {key_len, (void *)key}, v = {val_len, (void *)val};
    int rc;

    SW_ASSERT(key_len > 0 && key_len <= STORE_MAX_KEY);
    rc = mdb_put(t->txn, t->s->dbi[dbi], &k, &v, 0);
    if (rc != 0)
        return lmdb_error(err, "put", rc);
    return 0;
}

int store_del(store_txn_t *t, store_dbi_t dbi, const void *key, size_t key_len,
              sw_error_t *err) {
    MDB_val k = {key_len, (void *)key};
    int rc;

    SW_ASSERT(key_len > 0 && key_len <= STORE_MAX_KEY);
    rc = mdb_del(t->txn, t->s->dbi[dbi], &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return lmdb_error(err, "del", rc);
    return 0;
}

int store_cursor_open(store_txn_t *t, store_dbi_t dbi, store_cursor_t **out, sw_error_t *err) {
    store_cursor_t *c = calloc(1, sizeof *c);
    int rc;

    if (!c)
        SW_BUG("out of memory");
    rc = mdb_cursor_open(t->txn, t->s->dbi[dbi], &c->cur);
    if (rc != 0) {
        free(c);
        *out = NULL;
        return lmdb_error(err, "mdb_cursor_open", rc);
    }
    *out = c;
    return 0;
}

static bool cursor_out(int rc, MDB_val *mk, MDB_val *mv, const void **k, size_t *k_len,
                       const void **v, size_t *v_len) {
    if (rc != 0)
        return false;
    if (k) *k = mk->mv_data;
    if (k_len) *k_len = mk->mv_size;
    if (v) *v = mv->mv_data;
    if (v_len) *v_len = mv->mv_size;
    return true;
}

bool store_cursor_seek(store_cursor_t *c, const void *key, size_t key_len,
                       const void **k, size_t *k_len, const void **v, size_t *v_len) {
    MDB_val mk = {key_len, (void *)key}, mv;
    int rc;

    if (key_len == 0) {
        rc = mdb_cursor_get(c->cur, &mk, &mv, MDB_FIRST);
    } else {
        /* A seek key longer than LMDB's limit: seek to its first 511 bytes,
         * then skip keys that still compare below it. */
        if (key_len > STORE_MAX_KEY)
            mk.mv_size = STORE_MAX_KEY;
        rc = mdb_cursor_get(c->cur, &mk, &mv, MDB_SET_RANGE);
        while (rc == 0 && key_len > STORE_MAX_KEY) {
            size_t n = mk.mv_size < key_len ? mk.mv_size : key_len;
            int cmp = memcmp(mk.mv_data, key, n);
            if (cmp > 0 || (cmp == 0 && mk.mv_size >= key_len))
                break;
            rc = mdb_cursor_get(c->cur, &mk, &mv, MDB_NEXT);
        }
    }
    return cursor_out(rc, &mk, &mv, k, k_len, v, v_len);
}

bool store_cursor_next(store_cursor_t *c, const void **k, size_t *k_len,
                       const void **v, size_t *v_len) {
    MDB_val mk, mv;
    int rc = mdb_cursor_get(c->cur, &mk, &mv, MDB_NEXT);
    return cursor_out(rc, &mk, &mv, k, k_len, v, v_len);
}

void store_cursor_close(store_cursor_t *c) {
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    free(c);
}
