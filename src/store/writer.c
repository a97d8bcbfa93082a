/* writer.c - group commit: the one thread that commits store_write's
 * requests, many to a transaction (store_int.h has the design).
 *
 * Requests, their context and their error belong to the waiting callers;
 * the writer uses them only between taking a request and waking its
 * caller, while the caller is blocked. After-commit hooks registered by a
 * request live in the writer (a small array per batch) and run once the
 * batch committed, before the callers wake. Knows nothing of what the
 * requests do. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Requests per batch: bounds a batch's latency and the parent's dirty pages. */
#define STORE_WRITER_BATCH_MAX 256

typedef struct wreq {
    store_write_fn fn;
    void *ctx;
    sw_error_t *err;
    int rc;
    bool is_done;              /* under the writer's mu */
    pthread_cond_t cv;         /* signalled once is_done */
    struct wreq *next;
} wreq_t;

typedef struct hook {
    void (*fn)(void *ctx);
    void *ctx;
} hook_t;

struct store_writer {
    store_t *s;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;    /* queue became non-empty, is_stopping, !is_held */
    pthread_cond_t cv_idle;    /* a batch finished (for store_writer_hold) */
    wreq_t *head, *tail;
    size_t n_queued;
    bool is_started;
    bool is_stopping;
    bool is_held;              /* test hook: leave the queue alone */
    bool is_busy;              /* running a batch */
    pthread_t thread;
    uint64_t n_batches;        /* committed batches */
    uint64_t n_requests;
    /* The writer thread's own: hooks of the batch being run. */
    hook_t *hooks;
    size_t n_hooks, cap_hooks;
};

store_writer_t *store__writer_new(store_t *s) {
    store_writer_t *w = calloc(1, sizeof *w);
    if (!w)
        SW_BUG("out of memory");
    w->s = s;
    if (pthread_mutex_init(&w->mu, NULL) != 0 || pthread_cond_init(&w->cv_work, NULL) != 0 ||
        pthread_cond_init(&w->cv_idle, NULL) != 0)
        SW_BUG("cannot create the writer's mutex");
    return w;
}

void store__writer_free(store_writer_t *w) {
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
    free(w->hooks);
    free(w);
}

static bool is_store_error(const sw_error_t *err) {
    return err->type && !strcmp(err->type, "InternalServerError");
}

/* Runs the hooks of the batch just committed (or failed: the writes the
 * hooks would announce did not happen, and looking finds nothing new). */
static void run_hooks(store_writer_t *w) {
    for (size_t i = 0; i < w->n_hooks; i++)
        w->hooks[i].fn(w->hooks[i].ctx);
    w->n_hooks = 0;
}

/* Runs reqs[0..n) in as few batches as possible; fills each request's rc
 * and err. Called without the mutex. Returns the number of batches
 * committed (or tried). */
static uint64_t run_batch(store_writer_t *w, wreq_t **reqs, size_t n) {
    size_t i = 0;
    uint64_t n_txns = 0;
    while (i < n) {
        size_t start = i;
        store_txn_t *parent;
        sw_error_t cerr;

        if (store_txn_begin(w->s, true, &parent, &cerr) != 0) {
            for (; i < n; i++) {
                *reqs[i]->err = cerr;
                reqs[i]->rc = -1;
            }
            return n_txns;
        }
        store__batch = parent;
        for (; i < n; i++) {
            wreq_t *r = reqs[i];
            r->rc = r->fn(r->ctx, r->err);
            if (r->rc != 0 && i > start && is_store_error(r->err))
                break;   /* maybe the batch's fault: run again first in a fresh one */
        }
        store__batch = NULL;
        if (store_txn_commit(parent, &cerr) != 0) {
            for (size_t j = start; j < i; j++) {
                *reqs[j]->err = cerr;
                reqs[j]->rc = -1;
            }
        }
        run_hooks(w);
        n_txns++;
    }
    return n_txns;
}

static void *writer_main(void *arg) {
    store_writer_t *w = arg;
    wreq_t *batch[STORE_WRITER_BATCH_MAX];

    pthread_mutex_lock(&w->mu);
    for (;;) {
        size_t n = 0;
        while (!w->is_stopping && (!w->head || w->is_held))
            pthread_cond_wait(&w->cv_work, &w->mu);
        if (!w->head)
            break;   /* stopping, queue drained */
        while (w->head && n < STORE_WRITER_BATCH_MAX) {
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

int store_write(store_t *s, store_write_fn fn, void *ctx, sw_error_t *err) {
    store_writer_t *w = s->writer;
    wreq_t r;

    if (store__batch && store__txn_is_of(store__batch, s))
        return fn(ctx, err);   /* a request's own write: part of its batch */
    memset(&r, 0, sizeof r);
    r.fn = fn;
    r.ctx = ctx;
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

void store_after_commit(store_t *s, void (*fn)(void *ctx), void *ctx) {
    store_writer_t *w = s->writer;
    if (!store__batch || !store__txn_is_of(store__batch, s)) {
        fn(ctx);
        return;
    }
    /* Only the writer thread gets here (store__batch is its own). */
    if (w->n_hooks == w->cap_hooks) {
        size_t cap = w->cap_hooks ? w->cap_hooks * 2 : 16;
        hook_t *h = realloc(w->hooks, cap * sizeof *h);
        if (!h)
            SW_BUG("out of memory");
        w->hooks = h;
        w->cap_hooks = cap;
    }
    w->hooks[w->n_hooks++] = (hook_t){fn, ctx};
}

void store_writer_hold(store_t *s, bool is_held) {
    store_writer_t *w = s->writer;
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

void store_writer_stats(store_t *s, size_t *n_queued, uint64_t *n_batches,
                        uint64_t *n_requests) {
    store_writer_t *w = s->writer;
    pthread_mutex_lock(&w->mu);
    *n_queued = w->n_queued;
    *n_batches = w->n_batches;
    *n_requests = w->n_requests;
    pthread_mutex_unlock(&w->mu);
}
