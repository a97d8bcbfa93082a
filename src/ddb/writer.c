/* writer.c - group commit: the one thread that commits DynamoDB writes.
 *
 * ddb_call hands every write operation here (ddb__writer_call) and waits.
 * The writer thread takes everything queued (up to DDB_WRITER_BATCH_MAX),
 * opens ONE store write transaction, runs each request in its own nested
 * transaction through ddb_call_txn (a failed request aborts only its child,
 * so it still changes nothing), commits the parent once - one fsync for the
 * whole batch - and only then wakes the waiters: nothing is acknowledged
 * before its commit. If that commit fails, every request of the batch gets
 * InternalServerError, whatever it answered before: its answer was judged
 * against writes that never became durable.
 *
 * A request that meets an unexpected store error (InternalServerError: the
 * parent transaction grew too large for LMDB, the map is full, ...) while
 * earlier requests share its parent is not failed on the batch's account:
 * the batch so far is committed and the request runs again first in a
 * fresh transaction, alone with its own writes as before group commit.
 *
 * Requests, their JSON and their arenas belong to the waiting callers; the
 * writer uses them only between taking a request and waking its caller, while
 * the caller is blocked. The thread starts with the first write and stops in
 * ddb__writer_free after draining the queue. Must not call ddb_call (it would
 * wait on itself). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"

/* Requests per parent transaction: bounds a batch's latency and the size of
 * the parent's dirty page list. */
#define DDB_WRITER_BATCH_MAX 256

typedef struct wreq {
    const char *op;
    const json_t *req;
    arena_t *a;
    json_t **resp;
    sw_error_t *err;
    int rc;
    bool is_done;              /* under the writer's mu */
    pthread_cond_t cv;         /* signalled once is_done */
    struct wreq *next;
} wreq_t;

struct ddb_writer {
    ddb_t *db;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;    /* queue became non-empty, is_stopping, !is_held */
    pthread_cond_t cv_idle;    /* a batch finished (for ddb__writer_hold) */
    wreq_t *head, *tail;
    size_t n_queued;
    bool is_started;
    bool is_stopping;
    bool is_held;              /* test hook: leave the queue alone */
    bool is_busy;              /* running a batch */
    pthread_t thread;
    uint64_t n_batches;        /* committed parent transactions */
    uint64_t n_requests;
};

ddb_writer_t *ddb__writer_new(ddb_t *db) {
    ddb_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        SW_BUG("out of memory");
    w->db = db;
    if (pthread_mutex_init(&w->mu, NULL) != 0 || pthread_cond_init(&w->cv_work, NULL) != 0 ||
        pthread_cond_init(&w->cv_idle, NULL) != 0)
        SW_BUG("cannot create the writer's mutex");
    return w;
}

void ddb__writer_free(ddb_writer_t *w) {
    bool is_started;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->is_stopping = true;
    w->is_held = false;
    is_started = w->is_started;
    pthread_cond_signal(&w->cv_work);
    pthread_mutex_unlock(&w->mu);
    if (is_started)
        pthread_join(w->thread, NULL);
    SW_ASSERT(w->head == NULL);
    pthread_cond_destroy(&w->cv_idle);
    pthread_cond_destroy(&w->cv_work);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static bool is_store_error(const sw_error_t *err) {
    return err->type && !strcmp(err->type, "InternalServerError");
}

/* Runs reqs[0..n) in as few parent transactions as possible; fills each
 * request's rc, *resp and *err. Called without the mutex. Returns the
 * number of parent transactions committed (or tried). */
static uint64_t run_batch(ddb_writer_t *w, wreq_t **reqs, size_t n) {
    size_t i = 0;
    uint64_t n_txns = 0;
    while (i < n) {
        size_t start = i;
        store_txn_t *parent;
        sw_error_t cerr;

        if (store_txn_begin(w->db->store, true, &parent, &cerr) != 0) {
            for (; i < n; i++) {
                *reqs[i]->resp = NULL;
                *reqs[i]->err = cerr;
                reqs[i]->rc = -1;
            }
            return n_txns;
        }
        for (; i < n; i++) {
            wreq_t *r = reqs[i];
            r->rc = ddb_call_txn(w->db, parent, r->op, r->req, r->a, r->resp, r->err);
            if (r->rc != 0 && i > start && is_store_error(r->err))
                break;   /* maybe the batch's fault: retried first in a fresh parent */
        }
        if (store_txn_commit(parent, &cerr) != 0) {
            for (size_t j = start; j < i; j++) {
                *reqs[j]->resp = NULL;
                *reqs[j]->err = cerr;
                reqs[j]->rc = -1;
            }
        }
        n_txns++;
    }
    return n_txns;
}

static void *writer_main(void *arg) {
    ddb_writer_t *w = arg;
    wreq_t *batch[DDB_WRITER_BATCH_MAX];

    pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t n = 0;
        while (!w->is_stopping && (!w->head || w->is_held))
            pthread_cond_wait(&w->cv_work, &w->mu);
        if (!w->head)
            break;   /* stopping, queue drained */
        while (w->head && n < DDB_WRITER_BATCH_MAX) {
            batch[n++] = w->head;
            w->head = w->head->next;
        }
        if (!w->head)
            w->tail = NULL;
        w->n_queued -= n;
        w->n_requests += n;
        w->is_busy = true;
        pthread_mutex_unlock(&w->mu);

        uint64_t n_txns = run_batch(w, batch, n);

        pthread_mutex_lock(&w->mu);
        w->n_batches += n_txns;
        /* The callers return (and their wreq_t go) once they get the mutex
         * back, which is after this loop. */
        for (size_t k = 0; k < n; k++) {
            batch[k]->is_done = true;
            pthread_cond_signal(&batch[k]->cv);
        }
        w->is_busy = false;
        pthread_cond_broadcast(&w->cv_idle);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ddb__writer_call(ddb_writer_t *w, const char *op, const json_t *req, arena_t *a,
                     json_t **resp, sw_error_t *err) {
    wreq_t r;

    memset(&r, 0, sizeof r);
    r.op = op;
    r.req = req;
    r.a = a;
    r.resp = resp;
    r.err = err;
    if (pthread_cond_init(&r.cv, NULL) != 0)
        SW_BUG("cannot create a condition variable");

    pthread_mutex_lock(&w->mu);
    SW_ASSERT(!w->is_stopping);
    if (!w->is_started) {
        if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
            pthread_mutex_unlock(&w->mu);
            pthread_cond_destroy(&r.cv);
            return sw_error_set(err, "InternalServerError", "cannot start the writer thread");
        }
        w->is_started = true;
    }
    if (w->tail)
        w->tail->next = &r;
    else
        w->head = &r;
    w->tail = &r;
    w->n_queued++;
    pthread_cond_signal(&w->cv_work);
    while (!r.is_done)
        pthread_cond_wait(&r.cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&r.cv);
    return r.rc;
}

void ddb__writer_hold(ddb_t *db, bool is_held) {
    ddb_writer_t *w = db->writer;
    pthread_mutex_lock(&w->mu);
    w->is_held = is_held;
    if (is_held) {
        while (w->is_busy)
            pthread_cond_wait(&w->cv_idle, &w->mu);
    } else {
        pthread_cond_signal(&w->cv_work);
    }
    pthread_mutex_unlock(&w->mu);
}

void ddb__writer_stats(ddb_t *db, size_t *n_queued, uint64_t *n_batches,
                       uint64_t *n_requests) {
    ddb_writer_t *w = db->writer;
    pthread_mutex_lock(&w->mu);
    *n_queued = w->n_queued;
    *n_batches = w->n_batches;
    *n_requests = w->n_requests;
    pthread_mutex_unlock(&w->mu);
}
