/* sched.c - background execution of STANDARD executions: worker threads,
 * a ready queue and the durable timers in STORE_TIMERS.
 *
 * A worker takes an execution ARN from the ready queue and advances it
 * (sfn__exec_advance) until it parks on a timer or ends. When the queue is
 * empty, a worker looks at the earliest timer in the store: a due one puts
 * its execution on the queue; otherwise the worker sleeps until it is due
 * (real clock) or, under the virtual clock, moves time to it once no worker
 * is busy, so tests never sleep. Waiting executions cost a timer key, not a
 * thread. At sfn_start every RUNNING execution not parked on a timer is
 * queued: a restart resumes everything where its record says.
 *
 * Holds no ASL semantics and no execution state beyond ARNs. */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "base/hash.h"
#include "sfn/sfn_int.h"

typedef struct sched_item {
    char *arn;
    int64_t fired_ms;          /* the timer that woke it, or -1 */
    struct sched_item *next;
} sched_item_t;

/* The ARNs queued or running: an open-addressing hash set of borrowed
 * strings (the items' own), so a timer pass over many due timers stays
 * linear. */
typedef struct arn_set {
    const char **slots;
    size_t cap, n;     /* cap is a power of two; n counts live entries */
} arn_set_t;

struct sfn_sched {
    sfn_t *sf;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* work arrived, or a run finished */
    pthread_cond_t activity_cv;  /* an activity task was posted */
    uint64_t n_activity_posts;
    pthread_t *threads;        /* SCHED_MAX_THREADS slots */
    int n_threads;             /* started (under mu) */
    bool is_stopping;
    sched_item_t *head, *tail; /* the ready queue */
    char **busy;               /* ARNs being advanced, one per worker */
    int n_busy;
    arn_set_t taken;           /* every ARN in the queue or in busy */
};

static const char SET_TOMBSTONE[] = "";

static uint64_t hash_arn(const char *s, size_t len) {
    return sw_fnv1a(s, len, SW_FNV1A_BASIS);
}

static bool set_has(const arn_set_t *t, const char *arn, size_t len) {
    if (!t->cap)
        return false;
    for (size_t i = hash_arn(arn, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        const char *e = t->slots[i];
        if (!e)
            return false;
        if (e != SET_TOMBSTONE && strlen(e) == len && memcmp(e, arn, len) == 0)
            return true;
    }
}

static void set_add(arn_set_t *t, const char *arn);

static void set_grow(arn_set_t *t) {
    arn_set_t old = *t;
    size_t n_live = 0;
    for (size_t i = 0; i < old.cap; i++)
        n_live += old.slots[i] && old.slots[i] != SET_TOMBSTONE;
    /* Sized for the live entries: tombstones do not make it grow forever. */
    for (t->cap = 64; t->cap < n_live * 4; t->cap *= 2)
        ;
    t->n = 0;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots)
        SW_BUG("out of memory");
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i] && old.slots[i] != SET_TOMBSTONE)
            set_add(t, old.slots[i]);
    free(old.slots);
}

/* Adds `arn` (borrowed: it must stay valid until set_del). Duplicates are
 * kept as separate entries, one per queue item. */
static void set_add(arn_set_t *t, const char *arn) {
    size_t i;
    if ((t->n + 1) * 2 > t->cap)
        set_grow(t);
    for (i = hash_arn(arn, strlen(arn)) & (t->cap - 1);
         t->slots[i] && t->slots[i] != SET_TOMBSTONE; i = (i + 1) & (t->cap - 1))
        ;
    if (!t->slots[i])
        t->n++;
    t->slots[i] = arn;
}

/* Removes the entry that is exactly the pointer `arn`. */
static void set_del(arn_set_t *t, const char *arn) {
    if (!t->cap)
        return;
    for (size_t i = hash_arn(arn, strlen(arn)) & (t->cap - 1); t->slots[i];
         i = (i + 1) & (t->cap - 1))
        if (t->slots[i] == arn) {
            t->slots[i] = SET_TOMBSTONE;
            return;
        }
}

/* Workers at most (no execution holds one while it waits: it parks). */
#define SCHED_MAX_THREADS 256

static void push(sfn_sched_t *s, const char *arn, size_t len, int64_t fired_ms) {
    sched_item_t *it = calloc(1, sizeof *it);
    if (!it || !(it->arn = strndup(arn, len)))
        SW_BUG("out of memory");
    it->fired_ms = fired_ms;
    set_add(&s->taken, it->arn);
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
}

static sched_item_t *pop(sfn_sched_t *s) {
    sched_item_t *it = s->head;
    if (it) {
        s->head = it->next;
        if (!s->head)
            s->tail = NULL;
    }
    return it;
}

static void item_free(sfn_sched_t *s, sched_item_t *it) {
    set_del(&s->taken, it->arn);
    free(it->arn);
    free(it);
}

static bool is_taken(const sfn_sched_t *s, const char *arn, size_t len) {
    return set_has(&s->taken, arn, len);
}

/* One walk over the timers: every due one whose execution is neither
 * queued nor running goes on the queue; *next_ms is the earliest timer
 * left that is not taken (false when there is none). */
static bool timer_pass(sfn_sched_t *s, int64_t now_ms, int64_t *next_ms) {
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k;
    size_t k_len;
    sw_error_t err;
    bool ok, found = false;
    if (store_txn_begin(s->sf->store, false, &txn, &err) < 0)
        return false;
    if (store_cursor_open(txn, STORE_TIMERS, &c, &err) < 0) {
        store_txn_abort(txn);
        return false;
    }
    for (ok = store_cursor_seek(c, "", 0, &k, &k_len, NULL, NULL); ok;
         ok = store_cursor_next(c, &k, &k_len, NULL, NULL)) {
        const unsigned char *b = k;
        uint64_t d = 0;
        if (k_len <= 8 || is_taken(s, (const char *)b + 8, k_len - 8))
            continue;
        for (int i = 0; i < 8; i++)
            d = d << 8 | b[i];
        if ((int64_t)d <= now_ms) {
            push(s, (const char *)b + 8, k_len - 8, (int64_t)d);
            continue;
        }
        *next_ms = (int64_t)d;
        found = true;
        break;
    }
    store_cursor_close(c);
    store_txn_abort(txn);
    return found;
}

/* Any timer at all (sfn_wait_idle). */
static bool has_timers(sfn_sched_t *s) {
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k;
    size_t k_len;
    sw_error_t err;
    bool found = false;
    if (store_txn_begin(s->sf->store, false, &txn, &err) < 0)
        return false;
    if (store_cursor_open(txn, STORE_TIMERS, &c, &err) == 0) {
        found = store_cursor_seek(c, "", 0, &k, &k_len, NULL, NULL);
        store_cursor_close(c);
    }
    store_txn_abort(txn);
    return found;
}

static void wait_until_real(sfn_sched_t *s, int64_t until_ms) {
    struct timespec ts;
    ts.tv_sec = (time_t)(until_ms / 1000);
    ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static int64_t real_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *worker_main(void *arg) {
    sfn_sched_t *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->is_stopping) {
        sched_item_t *it = pop(s);
        int64_t due = 0, now;
        bool has_timer;
        if (it) {
            sw_error_t err;
            bool is_busy = false;
            for (int i = 0; i < s->n_busy; i++)
                is_busy |= strcmp(s->busy[i], it->arn) == 0;
            if (is_busy) {
                /* Another worker has it; it runs from the latest record. */
                item_free(s, it);
                continue;
            }
            s->busy[s->n_busy++] = it->arn;
            pthread_mutex_unlock(&s->mu);
            if (sfn__exec_advance(s->sf, it->arn, it->fired_ms, &err) < 0)
                fprintf(stderr, "level=error msg=\"execution step failed\" execution=%s "
                                "error=%s detail=\"%s\"\n",
                        it->arn, err.type ? err.type : "", err.msg);
            pthread_mutex_lock(&s->mu);
            for (int i = 0; i < s->n_busy; i++)
                if (s->busy[i] == it->arn) {
                    s->busy[i] = s->busy[--s->n_busy];
                    break;
                }
            item_free(s, it);
            pthread_cond_broadcast(&s->cv);
            continue;
        }
        now = sfn__now_ms(s->sf);
        has_timer = timer_pass(s, now, &due);
        if (s->head)
            continue;
        if (s->sf->clock->is_virtual) {
            if (has_timer && s->n_busy == 0) {
                /* Nothing can run before the next timer: jump to it. */
                clock_advance_to(s->sf->clock, due);
                continue;
            }
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        now = real_now_ms();
        wait_until_real(s, has_timer && due < now + 1000 ? due : now + 1000);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues every RUNNING execution that is not parked on a timer. */
static int queue_running(sfn_sched_t *s, sw_error_t *err) {
    store_txn_t *txn;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    bool ok;
    arena_t a;
    if (store_txn_begin(s->sf->store, false, &txn, err) < 0)
        return -1;
    if (store_cursor_open(txn, STORE_EXEC, &c, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    arena_init(&a);
    for (ok = store_cursor_seek(c, "", 0, &k, &k_len, &v, &v_len); ok;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        json_t *rec;
        sw_error_t perr;
        const char *status;
        if (memchr(k, 0, k_len))
            continue;
        arena_reset(&a);
        rec = json_parse(&a, v, v_len, &perr);
        status = json_obj_get_str(rec, "status");
        const char *phase = json_obj_get_str(json_obj_get(rec, "resume"), "phase");
        if (status && strcmp(status, "RUNNING") == 0 && phase &&
            strcmp(phase, "ACTIVITY") != 0 && !json_obj_get(rec, "timerMs"))
            push(s, k, k_len, -1);
    }
    arena_release(&a);
    store_cursor_close(c);
    store_txn_abort(txn);
    return 0;
}

int sfn_start(sfn_t *sf, int n_workers, sw_error_t *err) {
    sfn_sched_t *s;
    if (sf->sched)
        return 0;
    if (!sf->store)
        return sw_error_set(err, "InternalServerError", "the engine has no store");
    if (n_workers < 1)
        n_workers = 1;
    s = calloc(1, sizeof *s);
    if (n_workers > SCHED_MAX_THREADS)
        n_workers = SCHED_MAX_THREADS;
    if (!s || !(s->threads = calloc(SCHED_MAX_THREADS, sizeof *s->threads)) ||
        !(s->busy = calloc(SCHED_MAX_THREADS, sizeof *s->busy)))
        SW_BUG("out of memory");
    s->sf = sf;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->activity_cv, NULL);
    if (queue_running(s, err) < 0)
        goto out_free;
    /* Published before the workers exist: they read sf->sched. */
    sf->sched = s;
    for (int i = 0; i < n_workers; i++) {
        int rc;
        pthread_mutex_lock(&s->mu);
        rc = pthread_create(&s->threads[s->n_threads], NULL, worker_main, s);
        if (rc == 0)
            s->n_threads++;
        pthread_mutex_unlock(&s->mu);
        if (rc != 0) {
            sfn_stop(sf);
            return sw_error_set(err, "InternalServerError", "cannot start worker threads");
        }
    }
    return 0;

out_free:
    while (s->head)
        item_free(s, pop(s));
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->activity_cv);
    pthread_mutex_destroy(&s->mu);
    free(s->taken.slots);
    free(s->busy);
    free(s->threads);
    free(s);
    return -1;
}

void sfn_stop(sfn_t *sf) {
    sfn_sched_t *s = sf->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->is_stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_cond_broadcast(&s->activity_cv);
    pthread_mutex_unlock(&s->mu);
    /* No thread starts once is_stopping is set; join them all. */
    for (int i = 0;; i++) {
        int n;
        pthread_mutex_lock(&s->mu);
        n = s->n_threads;
        pthread_mutex_unlock(&s->mu);
        if (i >= n)
            break;
        pthread_join(s->threads[i], NULL);
    }
    while (s->head)
        item_free(s, pop(s));
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->activity_cv);
    pthread_mutex_destroy(&s->mu);
    free(s->taken.slots);
    free(s->busy);
    free(s->threads);
    free(s);
    sf->sched = NULL;
}

static void notify_now(sfn_t *sf, const char *arn) {
    sfn_sched_t *s = sf->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    push(s, arn, strlen(arn), -1);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

typedef struct pending_notify {
    sfn_t *sf;
    char arn[];
} pending_notify_t;

static void notify_after_commit(void *ctx) {
    pending_notify_t *p = ctx;
    notify_now(p->sf, p->arn);
    free(p);
}

void sfn__sched_notify(sfn_t *sf, const char *arn) {
    pending_notify_t *p;
    size_t len = strlen(arn);
    if (!sf->sched)
        return;
    if (!sf->store) {
        notify_now(sf, arn);
        return;
    }
    /* A worker must find what the caller wrote: inside a group-commit
     * request the wake-up waits for its batch to commit. */
    p = malloc(sizeof *p + len + 1);
    if (!p)
        SW_BUG("out of memory");
    p->sf = sf;
    memcpy(p->arn, arn, len + 1);
    store_after_commit(sf->store, notify_after_commit, p);
}

bool sfn_wait_idle(sfn_t *sf, int64_t timeout_ms) {
    sfn_sched_t *s = sf->sched;
    int64_t deadline = real_now_ms() + timeout_ms;
    bool is_idle = false;
    if (!s)
        return true;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int64_t now;
        if (!s->head && s->n_busy == 0 && !has_timers(s)) {
            is_idle = true;
            break;
        }
        now = real_now_ms();
        if (now >= deadline)
            break;
        /* Wake the workers: under the virtual clock one jumps time. */
        pthread_cond_broadcast(&s->cv);
        wait_until_real(s, now + 20 < deadline ? now + 20 : deadline);
    }
    pthread_mutex_unlock(&s->mu);
    return is_idle;
}

bool sfn_wait_settled(sfn_t *sf, int64_t timeout_ms) {
    sfn_sched_t *s = sf->sched;
    int64_t deadline = real_now_ms() + timeout_ms;
    bool is_settled = false;
    if (!s)
        return true;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int64_t now;
        if (!s->head && s->n_busy == 0) {
            is_settled = true;
            break;
        }
        now = real_now_ms();
        if (now >= deadline)
            break;
        wait_until_real(s, now + 20 < deadline ? now + 20 : deadline);
    }
    pthread_mutex_unlock(&s->mu);
    return is_settled;
}

void sfn__sched_activity_posted(sfn_t *sf) {
    sfn_sched_t *s = sf->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->n_activity_posts++;
    pthread_cond_broadcast(&s->activity_cv);
    pthread_mutex_unlock(&s->mu);
}

bool sfn__sched_wait_activity(sfn_t *sf, int64_t until_ms) {
    sfn_sched_t *s = sf->sched;
    uint64_t seen;
    bool is_posted;
    struct timespec ts;
    if (!s || real_now_ms() >= until_ms)
        return false;
    ts.tv_sec = (time_t)(until_ms / 1000);
    ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
    pthread_mutex_lock(&s->mu);
    seen = s->n_activity_posts;
    while (!s->is_stopping && s->n_activity_posts == seen && real_now_ms() < until_ms)
        pthread_cond_timedwait(&s->activity_cv, &s->mu, &ts);
    is_posted = s->n_activity_posts != seen;
    pthread_mutex_unlock(&s->mu);
    return is_posted || (!s->is_stopping && real_now_ms() < until_ms);
}
