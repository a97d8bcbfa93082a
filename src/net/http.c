/* http.c - libmicrohttpd glue: sockets in, net_handle, bytes out.
 *
 * epoll with an internal thread pool (one thread per core), HTTP/1.1
 * keep-alive, request bodies accumulated in a per-request arena up to
 * NET_MAX_BODY_BYTES (413 beyond). Each request owns one arena, created when
 * its first line arrives and released once its response is queued (MHD
 * copies the body). Nothing protocol-specific lives here: replacing this
 * file replaces the event loop and nothing else.
 *
 * Requests that wait inside the engine (net_request_wait: writes waiting
 * for their group commit, long polls) must not hold a pool thread, or every
 * connection that thread serves would wait with them; and writes must wait
 * side by side for group commit to share an fsync among them. Such a
 * request is handed to a helper thread and its connection suspended
 * (MHD_suspend_connection); the helper runs
 * net_handle, stores the response in the request's state and resumes the
 * connection; MHD then calls on_request again on a pool thread, which
 * queues the stored response. Ownership of the request's state (and its
 * arena) moves with it: the pool thread until the hand-off, the helper
 * until it sets is_done (release) and resumes, the pool thread again from
 * then on (MHD neither times out nor completes a suspended connection).
 * Helpers are started on demand and stay until the server stops, in two
 * pools: one for writes (past NET_MAX_COMMIT_WAITERS a write waits on its
 * pool thread) and one for long requests (past NET_MAX_BLOCKING the answer
 * is ThrottlingException), so that writes never crowd out long polls. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "net/net_int.h"

#define NET_CONN_TIMEOUT_S 120          /* idle keep-alive connections */
#define NET_CONN_MEMORY_BYTES (64 * 1024) /* headers must fit in this */
#define NET_MAX_HEADERS 256
#define NET_MAX_FDS 65536               /* descriptors asked for at most */
#define NET_FD_RESERVE 256              /* kept for everything but clients */

typedef struct req_state req_state_t;

/* The helper threads of one kind of waiting request. All fields under `mu`
 * but srv and cap. Invariants: n_queued <= n_idle (a queued request always
 * has a thread free to take it), n_threads = n_idle + (n_jobs - n_queued),
 * n_jobs <= cap <= HELPERS_MAX. */
#define HELPERS_MAX                                                                  \
    (NET_MAX_COMMIT_WAITERS > NET_MAX_BLOCKING ? NET_MAX_COMMIT_WAITERS : NET_MAX_BLOCKING)

typedef struct helper_pool {
    net_server_t *srv;
    size_t cap;
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* a request was queued, or is_stopping */
    req_state_t *head, *tail;    /* handed off, not yet taken by a helper */
    size_t n_queued;
    size_t n_jobs;               /* handed off and not yet resumed */
    size_t n_idle;               /* helpers waiting for work */
    size_t n_threads;
    pthread_t threads[HELPERS_MAX];
    bool is_stopping;
} helper_pool_t;

struct net_server {
    struct MHD_Daemon *daemon;
    const net_t *net;
    /* Requests received whole and not yet answered (one still arriving
     * holds up no stop: its client may never finish it). */
    atomic_int in_flight;
    /* Connections suspended for a helper and not yet back in on_request
     * (or completed): MHD_stop_daemon aborts the process if any remain. */
    atomic_int n_suspended;
    atomic_bool is_draining;  /* stopping: no more hand-offs */
    helper_pool_t commits;  /* NET_WAIT_COMMIT requests */
    helper_pool_t longs;    /* NET_WAIT_LONG requests */
};

struct req_state {
    net_server_t *srv;
    arena_t arena;
    char *uri;              /* raw request target as sent (path?query) */
    char *body;             /* in `arena`; sized from Content-Length when sent */
    size_t body_len;
    size_t body_cap;
    int64_t start_ms;
    bool is_started;        /* the access handler has seen the headers */
    bool is_counted;        /* received whole: counted in srv->in_flight */
    bool is_too_large;
    bool is_answered;
    /* A blocking request handed to a helper: */
    bool is_handed_off;     /* pool thread's flag: suspended, answer pending */
    atomic_bool is_done;    /* set by the helper once `resp` is ready */
    struct MHD_Connection *conn;
    net_request_t req;      /* deep copy in `arena` (MHD's memory is not ours) */
    net_response_t resp;    /* in `arena` */
    req_state_t *next;      /* in the pool's queue */
};

typedef struct header_list {
    arena_t *a;
    net_header_t *items;
    size_t n;
} header_list_t;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Called once per request, before its headers are parsed: the request's
 * state starts here, with the raw URI (SigV4 signs the URI as sent). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)conn;
    net_server_t *srv = cls;
    req_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        abort();
    st->srv = srv;
    arena_init(&st->arena);
    st->uri = arena_strdup(&st->arena, uri ? uri : "/");
    st->start_ms = wall_ms();
    atomic_init(&st->is_done, false);
    return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    req_state_t *st = *con_cls;
    if (!st)
        return;
    if (st->is_handed_off)   /* resumed, then closed before it was answered */
        atomic_fetch_sub(&st->srv->n_suspended, 1);
    if (st->is_counted)
        atomic_fetch_sub(&st->srv->in_flight, 1);
    arena_release(&st->arena);
    free(st);
    *con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size) {
    (void)kind;
    header_list_t *l = cls;
    if (l->n == NET_MAX_HEADERS)
        return MHD_NO;
    net_header_t *h = &l->items[l->n++];
    h->name = key;
    h->name_len = key_size;
    h->value = value ? value : "";
    h->value_len = value ? value_size : 0;
    return MHD_YES;
}

static enum MHD_Result queue(struct MHD_Connection *conn, req_state_t *st,
                             const net_response_t *resp) {
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->body_len, (void *)(uintptr_t)(resp->body ? resp->body : ""),
        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < resp->n_headers; i++) {
        const net_header_t *h = &resp->headers[i];
        char *name = arena_strndup(&st->arena, h->name, h->name_len);
        char *value = arena_strndup(&st->arena, h->value, h->value_len);
        MHD_add_response_header(r, name, value);
    }
    if (resp->is_closing)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned int)resp->status, r);
    MHD_destroy_response(r);
    st->is_answered = true;
    /* The response is copied: the request's memory can go now. */
    arena_release(&st->arena);
    arena_init(&st->arena);
    return rc;
}

static void fill_request(req_state_t *st, struct MHD_Connection *conn, const char *url,
                         const char *method, net_request_t *req, header_list_t *hl) {
    memset(req, 0, sizeof(*req));
    hl->a = &st->arena;
    hl->items = arena_alloc(&st->arena, NET_MAX_HEADERS * sizeof(net_header_t));
    hl->n = 0;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_header, hl);
    const char *uri = st->uri ? st->uri : url;
    const char *q = strchr(uri, '?');
    req->method = method;
    req->path = q ? arena_strndup(&st->arena, uri, (size_t)(q - uri)) : uri;
    req->query = q ? q + 1 : "";
    req->headers = hl->items;
    req->n_headers = hl->n;
    req->body = st->body ? st->body : "";
    req->body_len = st->body_len;
    req->now_ms = st->start_ms;
}

/* ------------------------------------------------------------ helpers */

/* Copies what `req` borrows from MHD into `a`, so the request can outlive
 * the access handler's call. */
static void request_copy(arena_t *a, const net_request_t *src, net_request_t *dst) {
    *dst = *src;
    dst->method = arena_strdup(a, src->method);
    dst->path = arena_strdup(a, src->path);
    dst->query = arena_strdup(a, src->query);
    net_header_t *hs = arena_alloc(a, (src->n_headers ? src->n_headers : 1) * sizeof(*hs));
    for (size_t i = 0; i < src->n_headers; i++) {
        hs[i].name = arena_strndup(a, src->headers[i].name, src->headers[i].name_len);
        hs[i].name_len = src->headers[i].name_len;
        hs[i].value = arena_strndup(a, src->headers[i].value, src->headers[i].value_len);
        hs[i].value_len = src->headers[i].value_len;
    }
    dst->headers = hs;
    /* The body already lives in the request's arena. */
}

static void *helper_main(void *arg) {
    helper_pool_t *p = arg;
    net_server_t *srv = p->srv;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->is_stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head)
            break;
        req_state_t *st = p->head;
        p->head = st->next;
        if (!p->head)
            p->tail = NULL;
        p->n_queued--;
        p->n_idle--;
        pthread_mutex_unlock(&p->mu);

        /* This thread owns `st` until MHD_resume_connection. */
        net_handle(srv->net, &st->req, &st->arena, &st->resp);
        struct MHD_Connection *conn = st->conn;
        atomic_store_explicit(&st->is_done, true, memory_order_release);
        MHD_resume_connection(conn);   /* `st` may be gone from here on */

        pthread_mutex_lock(&p->mu);
        p->n_jobs--;
        p->n_idle++;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_init(helper_pool_t *p, net_server_t *srv, size_t cap) {
    SW_ASSERT(cap <= HELPERS_MAX);
    p->srv = srv;
    p->cap = cap;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
}

/* Hands `st` (whose request is in st->req) to a helper of `p` and suspends
 * its connection. False when p->cap requests already wait there or no
 * helper could be started: the caller answers instead. */
static bool hand_off(helper_pool_t *p, struct MHD_Connection *conn, req_state_t *st) {
    if (atomic_load(&p->srv->is_draining))
        return false;
    pthread_mutex_lock(&p->mu);
    if (p->is_stopping || p->n_jobs == p->cap)
        goto out_refuse;
    if (p->n_queued >= p->n_idle) {
        SW_ASSERT(p->n_threads < p->cap);
        if (pthread_create(&p->threads[p->n_threads], NULL, helper_main, p) != 0)
            goto out_refuse;
        p->n_threads++;
        p->n_idle++;
    }
    p->n_jobs++;
    p->n_queued++;
    st->conn = conn;
    st->is_handed_off = true;
    st->next = NULL;
    /* Suspended before any helper can see it (they need `mu`), so the
     * resume never comes first. */
    atomic_fetch_add(&p->srv->n_suspended, 1);
    MHD_suspend_connection(conn);
    if (p->tail)
        p->tail->next = st;
    else
        p->head = st;
    p->tail = st;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return true;

out_refuse:
    pthread_mutex_unlock(&p->mu);
    return false;
}

/* Ends the helpers (none may have a job: the daemon is stopped). */
static void pool_stop(helper_pool_t *p) {
    pthread_mutex_lock(&p->mu);
    p->is_stopping = true;
    pthread_cond_broadcast(&p->cv);
    size_t n = p->n_threads;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

/* ------------------------------------------------------------ the handler */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)version;
    net_server_t *srv = cls;
    req_state_t *st = *con_cls;
    if (!st)   /* no URI callback happened: should not, but stay correct */
        st = *con_cls = on_uri(srv, url, conn);

    net_request_t req;
    header_list_t hl;
    net_response_t resp;
    if (!st->is_started) {
        st->is_started = true;
        /* A declared body over the cap is refused before it is read. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > NET_MAX_BODY_BYTES) {
            fill_request(st, conn, url, method, &req, &hl);
            net_response_too_large(&req, &st->arena, &resp);
            return queue(conn, st, &resp);
        }
        if (declared) {   /* one allocation for the whole body */
            st->body_cap = (size_t)declared;
            st->body = arena_alloc(&st->arena, st->body_cap);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->is_answered || st->is_too_large)
            return MHD_YES;
        if (n > NET_MAX_BODY_BYTES - st->body_len) {
            st->is_too_large = true;   /* the rest is read and dropped */
            return MHD_YES;
        }
        if (st->body_len + n > st->body_cap) {   /* chunked: grow by doubling */
            size_t cap = st->body_cap ? st->body_cap : 4096;
            while (cap < st->body_len + n)
                cap *= 2;
            char *bigger = arena_alloc(&st->arena, cap);
            if (st->body_len)
                memcpy(bigger, st->body, st->body_len);
            st->body = bigger;
            st->body_cap = cap;
        }
        memcpy(st->body + st->body_len, upload_data, n);
        st->body_len += n;
        return MHD_YES;
    }
    if (st->is_answered)
        return MHD_YES;
    if (st->is_handed_off) {
        /* Called again after MHD_resume_connection: the helper is done. */
        if (!atomic_load_explicit(&st->is_done, memory_order_acquire))
            return MHD_YES;
        st->is_handed_off = false;
        atomic_fetch_sub(&srv->n_suspended, 1);
        return queue(conn, st, &st->resp);
    }
    fill_request(st, conn, url, method, &req, &hl);
    st->is_counted = true;
    atomic_fetch_add(&srv->in_flight, 1);
    if (st->is_too_large) {
        net_response_too_large(&req, &st->arena, &resp);
        return queue(conn, st, &resp);
    }
    if (atomic_load(&srv->is_draining)) {
        net_response_stopping(&req, &st->arena, &resp);
        return queue(conn, st, &resp);
    }
    switch (net_request_wait(&req)) {
    case NET_WAIT_COMMIT:
        request_copy(&st->arena, &req, &st->req);
        if (hand_off(&srv->commits, conn, st))
            return MHD_YES;
        net_handle(srv->net, &req, &st->arena, &resp);   /* waits here instead */
        break;
    case NET_WAIT_LONG:
        request_copy(&st->arena, &req, &st->req);
        if (hand_off(&srv->longs, conn, st))
            return MHD_YES;
        net_response_throttled(&req, &st->arena, &resp);
        break;
    case NET_WAIT_NONE:
        net_handle(srv->net, &req, &st->arena, &resp);
        break;
    }
    return queue(conn, st, &resp);
}

int net_server_start(const net_t *net, const char *host, int port, net_server_t **out,
                     int *bound_port, sw_error_t *err) {
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    int gai = getaddrinfo(host, port_s, &hints, &ai);
    if (gai != 0)
        return sw_error_set(err, "InvalidInput", "cannot resolve --host %s: %s", host,
                            gai_strerror(gai));

    net_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv)
        abort();
    srv->net = net;
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->n_suspended, 0);
    atomic_init(&srv->is_draining, false);
    pool_init(&srv->commits, srv, NET_MAX_COMMIT_WAITERS);
    pool_init(&srv->longs, srv, NET_MAX_BLOCKING);
    /* libmicrohttpd admits FD_SETSIZE - 4 (1020) connections unless told
     * otherwise, even with epoll: a thousand idle or half-sent ones would
     * lock everyone else out. Take as many descriptors as the hard limit
     * allows and admit all but a reserve (LMDB, helpers, the log). */
    struct rlimit nofile;
    unsigned int max_conns = 1020;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        if (nofile.rlim_cur < nofile.rlim_max && nofile.rlim_cur < NET_MAX_FDS) {
            nofile.rlim_cur = nofile.rlim_max < NET_MAX_FDS ? nofile.rlim_max : NET_MAX_FDS;
            setrlimit(RLIMIT_NOFILE, &nofile);
            getrlimit(RLIMIT_NOFILE, &nofile);
        }
        if (nofile.rlim_cur > 1024 + NET_FD_RESERVE)
            max_conns = (unsigned int)((nofile.rlim_cur < NET_MAX_FDS ? nofile.rlim_cur
                                                                       : NET_MAX_FDS) -
                                       NET_FD_RESERVE);
    }
    long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int n_threads = n_cpu > 0 ? (unsigned int)n_cpu : 1;
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, n_threads,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NET_CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, max_conns,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NET_CONN_MEMORY_BYTES,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) {
        pool_stop(&srv->commits);
        pool_stop(&srv->longs);
        free(srv);
        return sw_error_set(err, "InternalServerError",
                            "cannot listen on %s port %d (in use, or not an address of this "
                            "machine?)",
                            host, port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
    *out = srv;
    return 0;
}

void net_server_stop(net_server_t *s, int grace_ms) {
    if (!s)
        return;
    /* Requests already being handled get their answers; any request that
     * arrives from now on is answered 503 ServiceUnavailable (retryable)
     * and its connection closed. MHD_quiesce_daemon would stop accepting
     * instead, but with epoll and internal threads libmicrohttpd 0.9.75
     * races with itself over the listening socket and aborts the process
     * ("Failed to remove listen FD from epoll set"). */
    atomic_store(&s->is_draining, true);
    /* Requests handed to helpers cannot be cut short (the engine owns
     * their wait, and MHD must not stop with a connection suspended):
     * wait for them however long, until MHD has taken every resumed
     * connection back, then give the last responses up to a second to go
     * out. */
    int64_t deadline_ms = wall_ms() + (grace_ms > 0 ? grace_ms : 0);
    for (;;) {
        int64_t now_ms = wall_ms();
        if (atomic_load(&s->n_suspended) > 0) {
            if (deadline_ms < now_ms + 1000)
                deadline_ms = now_ms + 1000;
        } else if (atomic_load(&s->in_flight) == 0 || now_ms >= deadline_ms) {
            break;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    pool_stop(&s->commits);
    pool_stop(&s->longs);
    free(s);
}
