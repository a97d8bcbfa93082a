/* test.c - `stepwise test`: runs conformance case files (the format of
 * shared/cases/README.md) and compares what comes back with what the case
 * expects. Prints one line per failing case and ends with
 * "N passed, N failed" (and ", N skipped" for cases listed as pending).
 *
 * Every request of a case goes through a transport, {ddb request, sfn
 * request, let executions settle}, with two implementations:
 *   - in process (the default): a fresh temporary data directory per case,
 *     ddb_call / sfn_call; Step Functions cases without API steps run
 *     through sfn_run;
 *   - HTTP (--endpoint URL, or --serve BIN which starts `BIN serve --port 0`
 *     on a fresh data directory per case and stops it after): AWS JSON 1.0
 *     over libcurl, SigV4-signed, the real status and body; a Step Functions
 *     case becomes CreateStateMachine, StartExecution, DescribeExecution
 *     until it ends and GetExecutionHistory (every page).
 * Both feed the same comparison code. Cases with API `steps` run on the real
 * clock (a Wait must still be waiting when the next step comes). Knows the
 * engines only through their doors. */
#define _XOPEN_SOURCE 700
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"

typedef struct case_list {
    char **paths;
    size_t n, cap;
} case_list_t;

/* A case known not to pass yet, with the reason (tests/cases/pending.txt). */
typedef struct pending {
    char *name;
    char *reason;
} pending_t;

typedef struct test_opts {
    bool is_virtual_clock;
    bool is_verbose;
    const char *endpoint;   /* --endpoint URL: one running server for every case */
    const char *serve_bin;  /* --serve BIN: `BIN serve` started afresh per case */
    const char *region;     /* SigV4 scope */
    pending_t *pending;
    size_t n_pending;
} test_opts_t;

/* ---- collecting files -------------------------------------------------- */

static void list_add(case_list_t *l, const char *path) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->paths = realloc(l->paths, l->cap * sizeof(*l->paths));
        if (!l->paths)
            abort();
    }
    l->paths[l->n++] = strdup(path);
}

static int cmp_str(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Adds `path` (a file) or every *.json below it (a directory), sorted. */
static void collect(case_list_t *l, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "stepwise test: cannot read %s\n", path);
        list_add(l, path); /* reported as a failing case */
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        list_add(l, path);
        return;
    }
    DIR *d = opendir(path);
    if (!d)
        return;
    case_list_t sub = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
        struct stat cst;
        if (stat(child, &cst) != 0)
            continue;
        if (S_ISDIR(cst.st_mode) || ends_with(de->d_name, ".json"))
            list_add(&sub, child);
    }
    closedir(d);
    qsort(sub.paths, sub.n, sizeof(*sub.paths), cmp_str);
    for (size_t i = 0; i < sub.n; i++) {
        collect(l, sub.paths[i]);
        free(sub.paths[i]);
    }
    free(sub.paths);
}

/* The case's name: its file name without directory and ".json". */
static const char *case_name(arena_t *a, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (ends_with(base, ".json"))
        n -= 5;
    return arena_strndup(a, base, n);
}

static int load_pending(arena_t *a, const char *path, test_opts_t *o) {
    char *text;
    size_t len;
    sw_error_t err;
    if (cli_read_file(a, path, &text, &len, &err) < 0) {
        fprintf(stderr, "stepwise test: %s\n", err.msg);
        return -1;
    }
    size_t cap = 16;
    o->pending = arena_alloc(a, cap * sizeof(*o->pending));
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#' || *line == '\0')
            continue;
        char *sp = strpbrk(line, " \t");
        if (o->n_pending == cap) {
            pending_t *bigger = arena_alloc(a, cap * 2 * sizeof(*bigger));
            memcpy(bigger, o->pending, cap * sizeof(*bigger));
            o->pending = bigger;
            cap *= 2;
        }
        pending_t *p = &o->pending[o->n_pending++];
        p->name = sp ? arena_strndup(a, line, (size_t)(sp - line)) : line;
        p->reason = sp ? sp + strspn(sp, " \t") : (char *)"";
    }
    return 0;
}

static const char *pending_reason(const test_opts_t *o, const char *name) {
    for (size_t i = 0; i < o->n_pending; i++)
        if (strcmp(o->pending[i].name, name) == 0)
            return o->pending[i].reason;
    return NULL;
}

/* ---- comparing --------------------------------------------------------- */

typedef struct case_ctx {
    arena_t *a;
    sw_buf_t why;        /* what differed; empty while the case passes */
    json_t *captures;    /* NAME -> value */
    json_t *execs;       /* execution ARNs the case started (to let settle) */
    json_t *tables;      /* tables the case created (removed on a shared server) */
} case_ctx_t;

static void differ(case_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differ(case_ctx_t *c, const char *fmt, ...) {
    if (c->why.len)
        return; /* the first difference is the one worth reading */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    buf_puts(&c->why, msg);
}

static const char *short_json(arena_t *a, const json_t *v) {
    char *s = json_to_str(a, v);
    if (strlen(s) > 300)
        strcpy(s + 297, "...");
    return s;
}

static bool is_set_type(const char *key) {
    return key && (strcmp(key, "SS") == 0 || strcmp(key, "NS") == 0 || strcmp(key, "BS") == 0);
}

/* Does `actual` match `expect`? Objects: every expected key present and
 * matching (extra keys allowed unless `exact`); arrays: same length, in
 * order, except the members of SS/NS/BS, which are sets. */
static bool matches(const json_t *expect, const json_t *actual, const char *key, bool exact) {
    if (!actual)
        return false;
    if (expect->type == JSON_OBJECT) {
        if (actual->type != JSON_OBJECT || (exact && actual->len != expect->len))
            return false;
        for (size_t i = 0; i < expect->len; i++) {
            const json_member_t *m = &expect->u.members[i];
            if (!matches(m->val, json_obj_getn(actual, m->key, m->key_len), m->key, exact))
                return false;
        }
        return true;
    }
    if (expect->type == JSON_ARRAY) {
        if (actual->type != JSON_ARRAY || actual->len != expect->len)
            return false;
        for (size_t i = 0; i < expect->len; i++) {
            if (!is_set_type(key)) {
                if (!matches(expect->u.items[i], actual->u.items[i], NULL, exact))
                    return false;
                continue;
            }
            bool found = false;
            for (size_t j = 0; j < actual->len && !found; j++)
                found = json_equal(expect->u.items[i], actual->u.items[j]);
            if (!found)
                return false;
        }
        return true;
    }
    return json_equal(expect, actual);
}

/* The value at dotted `path` ("Attributes.l", "Items.0.pk"), or NULL. */
static const json_t *at_path(const json_t *v, const char *path) {
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (v->type == JSON_ARRAY) {
            char *end;
            long i = strtol(p, &end, 10);
            v = (end == p + n && i >= 0) ? json_arr_at(v, (size_t)i) : NULL;
        } else {
            v = json_obj_getn(v, p, n);
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

/* Replaces "${NAME}" strings in a request body with captured values. */
static json_t *substitute(case_ctx_t *c, const json_t *v) {
    if (v->type == JSON_STRING && v->len > 3 && v->u.str[0] == '$' && v->u.str[1] == '{' &&
        v->u.str[v->len - 1] == '}') {
        json_t *cap = json_obj_getn(c->captures, v->u.str + 2, v->len - 3);
        if (cap)
            return cap;
    }
    if (v->type == JSON_OBJECT) {
        json_t *o = json_new_obj(c->a);
        for (size_t i = 0; i < v->len; i++)
            json_obj_setn(c->a, o, v->u.members[i].key, v->u.members[i].key_len,
                          substitute(c, v->u.members[i].val));
        return o;
    }
    if (v->type == JSON_ARRAY) {
        json_t *arr = json_new_arr(c->a);
        for (size_t i = 0; i < v->len; i++)
            json_arr_push(c->a, arr, substitute(c, v->u.items[i]));
        return arr;
    }
    return (json_t *)v;
}

/* Checks one API response against a step's "expect". */
static void check_response(case_ctx_t *c, int step, int status, const json_t *body,
                           const json_t *expect) {
    const json_t *want_status = json_obj_get(expect, "status");
    int64_t ws;
    if (want_status && json_num_i64(want_status, &ws) && ws != status)
        differ(c, "step %d: status %d, expected %lld: %s", step, status, (long long)ws,
               short_json(c->a, body));
    const char *suffix = json_obj_get_str(expect, "__type_suffix");
    if (suffix) {
        const char *type = json_obj_get_str(body, "__type");
        if (!type || !ends_with(type, suffix))
            differ(c, "step %d: __type %s, expected ...%s", step, type ? type : "(none)", suffix);
    }
    const char *contains = json_obj_get_str(expect, "message_contains");
    if (contains) {
        const char *msg = json_obj_get_str(body, "message");
        if (!msg || !strstr(msg, contains))
            differ(c, "step %d: message \"%s\" does not contain \"%s\"", step,
                   msg ? msg : "(none)", contains);
    }
    const json_t *subset = json_obj_get(expect, "body_subset");
    if (subset) {
        json_t *want = substitute(c, subset);
        if (!matches(want, body, NULL, false))
            differ(c, "step %d: body %s does not contain %s", step, short_json(c->a, body),
                   short_json(c->a, want));
        const json_t *exact = json_obj_get(expect, "exact_paths");
        for (size_t i = 0; exact && i < exact->len; i++) {
            const char *p = exact->u.items[i]->u.str;
            const json_t *w = at_path(want, p), *got = at_path(body, p);
            if (!w || !matches(w, got, NULL, true))
                differ(c, "step %d: %s is %s, expected exactly %s", step, p,
                       short_json(c->a, got), short_json(c->a, w));
        }
    }
    const json_t *absent = json_obj_get(expect, "absent_paths");
    for (size_t i = 0; absent && i < absent->len; i++) {
        const char *p = absent->u.items[i]->u.str;
        if (at_path(body, p))
            differ(c, "step %d: %s should be absent: %s", step, p, short_json(c->a, body));
    }
    const json_t *keys = json_obj_get(expect, "keys_exact");
    for (size_t i = 0; keys && i < keys->len; i++) {
        const json_member_t *m = &keys->u.members[i];
        const json_t *o = at_path(body, m->key);
        bool ok = json_is_obj(o) && o->len == m->val->len;
        for (size_t k = 0; ok && k < m->val->len; k++)
            ok = json_obj_getn(o, m->val->u.items[k]->u.str, m->val->u.items[k]->len) != NULL;
        if (!ok)
            differ(c, "step %d: keys of %s are not exactly %s", step, m->key,
                   short_json(c->a, m->val));
    }
}

static void check_keys(case_ctx_t *c, const json_t *output, const json_t *spec, bool exact) {
    for (size_t i = 0; spec && i < spec->len; i++) {
        const json_member_t *m = &spec->u.members[i];
        const json_t *o = strcmp(m->key, "$") == 0 || !*m->key ? output : at_path(output, m->key);
        bool ok = json_is_obj(o) && (!exact || o->len == m->val->len);
        for (size_t k = 0; ok && k < m->val->len; k++)
            ok = json_obj_getn(o, m->val->u.items[k]->u.str, m->val->u.items[k]->len) != NULL;
        if (!ok)
            differ(c, "output %s has keys %s, expected %s%s", m->key,
                   short_json(c->a, o), exact ? "exactly " : "", short_json(c->a, m->val));
    }
}

/* Does one history event match one expected event? */
static bool event_matches(const json_t *want, const json_t *ev) {
    const char *details_key = json_obj_get_str(want, "details_key");
    const json_t *details = details_key ? json_obj_get(ev, details_key) : NULL;
    if (details_key && !details)
        return false;
    for (size_t i = 0; i < want->len; i++) {
        const json_member_t *m = &want->u.members[i];
        if (strcmp(m->key, "details_key") == 0)
            continue;
        const json_t *got = json_obj_getn(ev, m->key, m->key_len);
        if (!got && details)
            got = json_obj_getn(details, m->key, m->key_len);
        if (!got || !json_equal(m->val, got))
            return false;
    }
    return true;
}

static void check_history(case_ctx_t *c, const json_t *history, const json_t *want) {
    if (!history || history->len != want->len) {
        differ(c, "history has %zu events, expected %zu: %s", history ? history->len : 0,
               want->len, short_json(c->a, history));
        return;
    }
    for (size_t i = 0; i < want->len; i++)
        if (!event_matches(want->u.items[i], history->u.items[i])) {
            differ(c, "history event %zu is %s, expected %s", i + 1,
                   short_json(c->a, history->u.items[i]), short_json(c->a, want->u.items[i]));
            return;
        }
}

/* Compares an execution's outcome with a case's "expect". */
static void check_outcome(case_ctx_t *c, const json_t *expect, const sfn_run_result_t *r,
                          double took_s) {
    const char *status = json_obj_get_str(expect, "status");
    const char *detail = strcmp(r->status, "SUCCEEDED") == 0
                             ? short_json(c->a, r->output)
                             : arena_sprintf(c->a, "%s: %s", r->error ? r->error : "",
                                             r->cause ? r->cause : "");
    if (status && strcmp(status, r->status) != 0)
        differ(c, "status %s (%s), expected %s", r->status, detail, status);
    const json_t *output = json_obj_get(expect, "output");
    if (output && !json_equal(output, r->output))
        differ(c, "output %s, expected %s", short_json(c->a, r->output),
               short_json(c->a, output));
    const json_t *subset = json_obj_get(expect, "output_subset");
    if (subset && !matches(subset, r->output, NULL, false))
        differ(c, "output %s does not contain %s", short_json(c->a, r->output),
               short_json(c->a, subset));
    check_keys(c, r->output, json_obj_get(expect, "output_keys_exact"), true);
    check_keys(c, r->output, json_obj_get(expect, "output_has_keys"), false);
    const char *error = json_obj_get_str(expect, "error");
    if (error && (!r->error || strcmp(error, r->error) != 0))
        differ(c, "error %s, expected %s", r->error ? r->error : "(none)", error);
    const char *cause = json_obj_get_str(expect, "cause");
    if (cause && (!r->cause || strcmp(cause, r->cause) != 0))
        differ(c, "cause \"%s\", expected \"%s\"", r->cause ? r->cause : "(none)", cause);
    const char *cause_contains = json_obj_get_str(expect, "cause_contains");
    if (cause_contains && (!r->cause || !strstr(r->cause, cause_contains)))
        differ(c, "cause \"%s\" does not contain \"%s\"", r->cause ? r->cause : "(none)",
               cause_contains);
    const json_t *history = json_obj_get(expect, "history");
    if (history)
        check_history(c, r->history, history);
    const json_t *counts = json_obj_get(expect, "history_count");
    for (size_t i = 0; counts && i < counts->len; i++) {
        int64_t want = 0, got = 0;
        json_num_i64(counts->u.members[i].val, &want);
        for (size_t k = 0; r->history && k < r->history->len; k++) {
            const char *type = json_obj_get_str(r->history->u.items[k], "type");
            got += type && strcmp(type, counts->u.members[i].key) == 0;
        }
        if (got != want)
            differ(c, "%lld %s events, expected %lld", (long long)got,
                   counts->u.members[i].key, (long long)want);
    }
    const json_t *max_s = json_obj_get(expect, "max_duration_s");
    if (max_s && took_s > json_num_double(max_s))
        differ(c, "took %.2fs, expected at most %ss", took_s, max_s->u.str);
}


/* ---- transports -------------------------------------------------------- */

#define TEST_SETTLE_MS 10000         /* per API step, as sfn_wait_settled gets */
#define TEST_EXEC_TIMEOUT_MS 60000   /* an execution over HTTP must end within */
#define TEST_QUIET_POLLS 5           /* history unchanged this often: settled */
#define TEST_POLL_MS 20
#define TEST_SERVER_START_MS 10000
#define TEST_SERVER_STOP_MS 15000
#define TEST_HTTP_TIMEOUT_S 60L
#define TEST_MAX_REQUEST_BYTES ((size_t)64 * 1024 * 1024)
#define TEST_MAX_RESPONSE_BYTES ((size_t)64 * 1024 * 1024)
#define TEST_MAX_HISTORY_PAGES 1000

typedef struct transport transport_t;
struct transport {
    /* One API request: returns the HTTP status (0 when no answer came) and in
     * *out the body as AWS sends it (the error envelope on failure),
     * allocated in `a`. */
    int (*ddb)(transport_t *t, arena_t *a, const char *op, const json_t *body, json_t **out);
    int (*sfn)(transport_t *t, arena_t *a, const char *op, const json_t *body, json_t **out);
    /* Waits (up to TEST_SETTLE_MS) until the executions in `execs` (an array
     * of ARNs) have each ended or are parked on a timer. */
    void (*settle)(transport_t *t, arena_t *a, const json_t *execs);
    cli_engines_t *engines; /* in process only; NULL over HTTP */
    bool is_shared;         /* a server other cases use too (--endpoint) */
};

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* {"__type": type, "message": msg} in `a`. */
static json_t *error_envelope(arena_t *a, const char *type, const char *msg) {
    json_t *env = json_new_obj(a);
    json_obj_set(a, env, "__type", json_new_strz(a, type));
    json_obj_set(a, env, "message", json_new_strz(a, msg));
    return env;
}

/* In process: the engines over a fresh temporary data directory. */
typedef struct local_transport {
    transport_t base;
    cli_engines_t e;
} local_transport_t;

static int local_ddb(transport_t *t, arena_t *a, const char *op, const json_t *body,
                     json_t **out) {
    sw_error_t err;
    json_t *resp = NULL;
    if (ddb_call(t->engines->ddb, op, body, a, &resp, &err) == 0) {
        *out = resp ? resp : json_new_obj(a);
        return 200;
    }
    *out = ddb_error_body(a, &err, resp);
    return ddb_error_status(err.type);
}

static int local_sfn(transport_t *t, arena_t *a, const char *op, const json_t *body,
                     json_t **out) {
    sw_error_t err;
    json_t *resp = NULL;
    if (sfn_call(t->engines->sfn, op, body, a, &resp, &err) == 0) {
        *out = resp ? resp : json_new_obj(a);
        return 200;
    }
    *out = error_envelope(a, err.type, err.msg);
    return sfn_error_status(err.type);
}

static void local_settle(transport_t *t, arena_t *a, const json_t *execs) {
    (void)a;
    (void)execs;
    sfn_wait_settled(t->engines->sfn, TEST_SETTLE_MS);
}

/* Opens the engines; with `has_scheduler`, executions run in the background
 * on one worker (StartExecution returns at once, as on AWS). */
static int local_open(local_transport_t *lt, bool is_virtual_clock, bool has_scheduler,
                      sw_error_t *err) {
    memset(lt, 0, sizeof(*lt));
    if (cli_engines_open(&lt->e, NULL, is_virtual_clock, err) < 0)
        return -1;
    if (has_scheduler && sfn_start(lt->e.sfn, 1, err) < 0) {
        cli_engines_close(&lt->e);
        return -1;
    }
    lt->base.ddb = local_ddb;
    lt->base.sfn = local_sfn;
    lt->base.settle = local_settle;
    lt->base.engines = &lt->e;
    return 0;
}

/* Over HTTP: AWS JSON 1.0 to `url`, signed with SigV4 by libcurl
 * (CURLOPT_AWS_SIGV4) with the key in AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, or a dummy key (a server without --credentials
 * accepts any well-formed signature). One keep-alive connection. */
typedef struct http_transport {
    transport_t base;
    CURL *curl;
    const char *url;    /* borrowed */
    const char *region; /* borrowed */
    char errbuf[CURL_ERROR_SIZE];
} http_transport_t;

typedef struct http_reply {
    sw_buf_t body;
    bool has_crc;
    unsigned long crc;  /* x-amz-crc32 */
} http_reply_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    http_reply_t *r = ud;
    buf_append(&r->body, p, size * n);
    return r->body.overflow ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    static const char name[] = "x-amz-crc32:";
    http_reply_t *r = ud;
    size_t len = size * n;
    /* A new response (after a redirect or 100 Continue) starts over. */
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
        r->has_crc = false;
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        /* The line ends with CRLF: strtoul stops there. */
        r->has_crc = true;
        r->crc = strtoul(p + sizeof(name) - 1, NULL, 10);
    }
    return len;
}

static int http_call(http_transport_t *ht, arena_t *a, const char *target, const char *service,
                     const char *op, const json_t *body, json_t **out) {
    sw_buf_t req;
    buf_init(&req, a, TEST_MAX_REQUEST_BYTES);
    json_print(&req, body);
    http_reply_t r = {.has_crc = false};
    buf_init(&r.body, a, TEST_MAX_RESPONSE_BYTES);
    char target_hdr[256], sigv4[128];
    snprintf(target_hdr, sizeof(target_hdr), "X-Amz-Target: %s.%s", target, op);
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", ht->region, service);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/x-amz-json-1.0");
    hdrs = curl_slist_append(hdrs, target_hdr);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (!hdrs)
        abort();
    CURL *cu = ht->curl;
    curl_easy_setopt(cu, CURLOPT_URL, ht->url);
    curl_easy_setopt(cu, CURLOPT_POST, 1L);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDS, req.ptr ? req.ptr : "");
    curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.len);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(cu, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(cu, CURLOPT_HEADERDATA, &r);
    ht->errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(cu);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        *out = error_envelope(a, "stepwise.test#TransportError",
                              arena_sprintf(a, "%s %s: %s", ht->url, op,
                                            ht->errbuf[0] ? ht->errbuf : curl_easy_strerror(rc)));
        return 0;
    }
    long status = 0;
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
    /* DynamoDB's responses carry the CRC32 of the bytes sent; the SDKs
     * check it, so do we. */
    if (r.has_crc &&
        crc32(0L, (const Bytef *)(r.body.ptr ? r.body.ptr : ""), (uInt)r.body.len) != r.crc) {
        *out = error_envelope(a, "stepwise.test#BadCrc32",
                              arena_sprintf(a, "x-amz-crc32 %lu does not match the body of %s",
                                            r.crc, op));
        return 0;
    }
    sw_error_t err;
    json_t *v = r.body.len ? json_parse(a, r.body.ptr, r.body.len, &err) : json_new_obj(a);
    if (!v) {
        char *text = arena_strndup(a, r.body.ptr, r.body.len < 300 ? r.body.len : 300);
        v = error_envelope(a, "stepwise.test#NotJson", text);
    }
    *out = v;
    return (int)status;
}

static int http_ddb(transport_t *t, arena_t *a, const char *op, const json_t *body,
                    json_t **out) {
    return http_call((http_transport_t *)t, a, "DynamoDB_20120810", "dynamodb", op, body, out);
}

static int http_sfn(transport_t *t, arena_t *a, const char *op, const json_t *body,
                    json_t **out) {
    return http_call((http_transport_t *)t, a, "AWSStepFunctions", "states", op, body, out);
}

/* The server's scheduler is out of reach: an execution has settled when it
 * is no longer RUNNING or its history has stopped growing for a while (a
 * Wait, a retry back-off, a callback). */
static void http_settle(transport_t *t, arena_t *a, const json_t *execs) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; execs && i < execs->len; i++) {
        json_t *req = json_new_obj(a), *hreq = json_new_obj(a), *resp;
        json_obj_set(a, req, "executionArn", execs->u.items[i]);
        json_obj_set(a, hreq, "executionArn", execs->u.items[i]);
        json_obj_set(a, hreq, "reverseOrder", json_new_bool(a, true));
        json_obj_set(a, hreq, "maxResults", json_new_num_i64(a, 1));
        json_obj_set(a, hreq, "includeExecutionData", json_new_bool(a, false));
        int64_t last_id = -1;
        int n_quiet = 0;
        while (seconds_since(&t0) * 1000 < TEST_SETTLE_MS && n_quiet < TEST_QUIET_POLLS) {
            if (t->sfn(t, a, "DescribeExecution", req, &resp) != 200)
                break;
            const char *status = json_obj_get_str(resp, "status");
            if (!status || strcmp(status, "RUNNING") != 0)
                break;
            if (t->sfn(t, a, "GetExecutionHistory", hreq, &resp) != 200)
                break;
            int64_t id = -1;
            json_num_i64(json_obj_get(at_path(resp, "events.0"), "id"), &id);
            n_quiet = id == last_id ? n_quiet + 1 : 0;
            last_id = id;
            sleep_ms(TEST_POLL_MS);
        }
    }
}

static int http_open(http_transport_t *ht, const char *url, const char *region,
                     sw_error_t *err) {
    memset(ht, 0, sizeof(*ht));
    ht->curl = curl_easy_init();
    if (!ht->curl)
        return sw_error_set(err, "InternalServerError", "curl_easy_init failed");
    ht->url = url;
    ht->region = region;
    const char *key = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (!key || !*key || !secret || !*secret) {
        key = "AKIDSTEPWISETEST";
        secret = "stepwise-test-secret";
    }
    curl_easy_setopt(ht->curl, CURLOPT_USERNAME, key);
    curl_easy_setopt(ht->curl, CURLOPT_PASSWORD, secret);
    curl_easy_setopt(ht->curl, CURLOPT_ERRORBUFFER, ht->errbuf);
    curl_easy_setopt(ht->curl, CURLOPT_TIMEOUT, TEST_HTTP_TIMEOUT_S);
    curl_easy_setopt(ht->curl, CURLOPT_NOSIGNAL, 1L);
    ht->base.ddb = http_ddb;
    ht->base.sfn = http_sfn;
    ht->base.settle = http_settle;
    return 0;
}

static void http_close(http_transport_t *ht) {
    if (ht->curl)
        curl_easy_cleanup(ht->curl);
    ht->curl = NULL;
}

/* ---- a server per case (--serve BIN) ------------------------------------ */

typedef struct server_proc {
    pid_t pid;          /* -1: not running */
    char dir[4096];     /* temporary: data/ and server.log inside */
    char url[256];
} server_proc_t;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The end of the server's log (its stderr), for messages; "" if none. */
static const char *server_log_tail(arena_t *a, const server_proc_t *s) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/server.log", s->dir);
    char *text;
    size_t len;
    sw_error_t err;
    if (cli_read_file(a, path, &text, &len, &err) < 0 || len == 0)
        return "";
    return arena_sprintf(a, "; server log: %s", len > 600 ? text + len - 600 : text);
}

/* Stops the server (SIGTERM, then SIGKILL after TEST_SERVER_STOP_MS) and
 * removes its directory. Returns a description of an abnormal end (a
 * non-zero exit, a signal: what a sanitizer report looks like), or NULL. */
static const char *server_stop(server_proc_t *s, arena_t *a) {
    const char *problem = NULL;
    if (s->pid > 0) {
        int wstatus = 0;
        kill(s->pid, SIGTERM);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t got;
        while ((got = waitpid(s->pid, &wstatus, WNOHANG)) == 0 &&
               seconds_since(&t0) * 1000 < TEST_SERVER_STOP_MS)
            sleep_ms(5);
        if (got == 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &wstatus, 0);
            problem = arena_sprintf(a, "the server did not stop within %d ms of SIGTERM%s",
                                    TEST_SERVER_STOP_MS, server_log_tail(a, s));
        } else if (got > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
            problem = arena_sprintf(a, "the server exited with status %d%s",
                                    WEXITSTATUS(wstatus), server_log_tail(a, s));
        } else if (got > 0 && WIFSIGNALED(wstatus)) {
            problem = arena_sprintf(a, "the server died of signal %d%s", WTERMSIG(wstatus),
                                    server_log_tail(a, s));
        }
        s->pid = -1;
    }
    if (s->dir[0])
        nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
    return problem;
}

/* Starts `bin serve --port 0 --data <fresh dir> --clock ...` and reads the
 * URL it prints. The server gets SIGTERM if the runner dies first. */
static int server_start(const char *bin, bool is_virtual_clock, arena_t *a, server_proc_t *s,
                        sw_error_t *err) {
    memset(s, 0, sizeof(*s));
    s->pid = -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof(s->dir), "%s/stepwise-case-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        return sw_error_set(err, "InternalServerError",
                            "cannot create a temporary directory: %s", strerror(errno));
    }
    char data[4200], log[4200];
    snprintf(data, sizeof(data), "%s/data", s->dir);
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    int fds[2];
    if (pipe(fds) < 0) {
        server_stop(s, a);
        return sw_error_set(err, "InternalServerError", "pipe: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fds[1], STDOUT_FILENO);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        close(fds[0]);
        close(fds[1]);
        execlp(bin, bin, "serve", "--port", "0", "--data", data, "--clock",
               is_virtual_clock ? "virtual" : "real", (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        server_stop(s, a);
        return sw_error_set(err, "InternalServerError", "fork: %s", strerror(errno));
    }
    s->pid = pid;
    /* "stepwise serve: listening on http://127.0.0.1:PORT\n" */
    char out[4096];
    size_t n = 0;
    const char *url = NULL, *eol = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!eol && n < sizeof(out) - 1) {
        int left_ms = TEST_SERVER_START_MS - (int)(seconds_since(&t0) * 1000);
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0)
            break;
        ssize_t got = read(fds[0], out + n, sizeof(out) - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        out[n] = '\0';
        url = strstr(out, "listening on ");
        eol = url ? strchr(url, '\n') : NULL;
    }
    close(fds[0]);
    if (!eol) {
        const char *log_text = server_log_tail(a, s);
        server_stop(s, a);
        return sw_error_set(err, "InternalServerError",
                            "%s serve did not print its URL within %d ms%s", bin,
                            TEST_SERVER_START_MS, log_text);
    }
    url += strlen("listening on ");
    snprintf(s->url, sizeof(s->url), "%.*s", (int)(eol - url), url);
    return 0;
}

/* ---- running cases ----------------------------------------------------- */

/* Where a case's requests go: set up by env_open for one case. */
typedef struct case_env {
    local_transport_t local;
    http_transport_t http;
    server_proc_t server;
    transport_t *t;
} case_env_t;

static int env_open(case_env_t *env, const test_opts_t *o, bool is_virtual_clock,
                    bool has_scheduler, arena_t *a, sw_error_t *err) {
    memset(env, 0, sizeof(*env));
    env->server.pid = -1;
    if (!o->endpoint && !o->serve_bin) {
        if (local_open(&env->local, is_virtual_clock, has_scheduler, err) < 0)
            return -1;
        env->t = &env->local.base;
        return 0;
    }
    const char *url = o->endpoint;
    if (o->serve_bin) {
        if (server_start(o->serve_bin, is_virtual_clock, a, &env->server, err) < 0)
            return -1;
        url = env->server.url;
    }
    if (http_open(&env->http, url, o->region, err) < 0) {
        server_stop(&env->server, a);
        return -1;
    }
    env->t = &env->http.base;
    env->t->is_shared = o->endpoint != NULL;
    return 0;
}

static void env_close(case_ctx_t *c, case_env_t *env) {
    if (env->t == &env->local.base) {
        cli_engines_close(&env->local.e);
        return;
    }
    http_close(&env->http);
    const char *problem = server_stop(&env->server, c->a);
    if (problem)
        differ(c, "%s", problem);
}

/* Remembers what a request created, to remove it from a shared server. */
static void note_created(case_ctx_t *c, const char *op, const json_t *body, int status) {
    if (status == 200 && strcmp(op, "CreateTable") == 0 && json_obj_get(body, "TableName"))
        json_arr_push(c->a, c->tables, json_obj_get(body, "TableName"));
}

static void run_setup(case_ctx_t *c, transport_t *t, const json_t *setup) {
    if (!setup)
        return;
    if (!json_is_arr(setup)) {
        differ(c, "setup must be a JSON array of {\"op\": ..., \"body\": ...}");
        return;
    }
    for (size_t i = 0; i < setup->len; i++) {
        const char *op = json_obj_get_str(setup->u.items[i], "op");
        const json_t *body = json_obj_get(setup->u.items[i], "body");
        if (!op || !json_is_obj(body)) {
            differ(c, "setup[%zu] needs \"op\" (a string) and \"body\" (an object)", i);
            return;
        }
        json_t *resp;
        int status = t->ddb(t, c->a, op, body, &resp);
        note_created(c, op, body, status);
        if (status != 200) {
            differ(c, "setup[%zu] %s failed: %d %s", i, op, status, short_json(c->a, resp));
            return;
        }
    }
}

/* Runs a case's API `steps` in order and checks each response. In a Step
 * Functions case (`is_sfn_case`) Step Functions operations go to that door,
 * the rest to DynamoDB's, and the executions started settle after each
 * step. OUT: *last_exec, the last execution started (may stay NULL). */
static void run_steps(case_ctx_t *c, transport_t *t, const json_t *steps, bool is_sfn_case,
                      const json_t **last_exec) {
    for (size_t i = 0; !c->why.len && steps && i < steps->len; i++) {
        const json_t *s = steps->u.items[i];
        const char *op = json_obj_get_str(s, "op");
        const json_t *body = json_obj_get(s, "body");
        if (!op || !body) {
            differ(c, "step %zu: needs op and body", i + 1);
            break;
        }
        json_t *req = substitute(c, body), *resp;
        bool is_sfn = is_sfn_case && sfn_has_op(op);
        int status = is_sfn ? t->sfn(t, c->a, op, req, &resp) : t->ddb(t, c->a, op, req, &resp);
        if (!is_sfn)
            note_created(c, op, req, status);
        const json_t *exec = json_obj_get(resp, "executionArn");
        if (is_sfn && status == 200 && exec && strcmp(op, "StartExecution") == 0) {
            *last_exec = exec;
            bool is_known = false;
            for (size_t k = 0; k < c->execs->len && !is_known; k++)
                is_known = json_equal(c->execs->u.items[k], exec);
            if (!is_known)
                json_arr_push(c->a, c->execs, (json_t *)exec);
        }
        if (is_sfn_case)
            t->settle(t, c->a, c->execs);
        const json_t *expect = json_obj_get(s, "expect");
        if (expect)
            check_response(c, (int)i + 1, status, resp, expect);
        const json_t *capture = json_obj_get(s, "capture");
        for (size_t k = 0; capture && k < capture->len; k++) {
            const json_t *v = at_path(resp, capture->u.members[k].val->u.str);
            if (v)
                json_obj_set(c->a, c->captures, capture->u.members[k].key, (json_t *)v);
        }
    }
}

/* The outcome of execution `arn` as DescribeExecution and
 * GetExecutionHistory (every page) report it. */
static void describe_outcome(case_ctx_t *c, transport_t *t, const json_t *arn,
                             sfn_run_result_t *r) {
    memset(r, 0, sizeof(*r));
    json_t *req = json_new_obj(c->a), *d, *h;
    json_obj_set(c->a, req, "executionArn", (json_t *)arn);
    int status = t->sfn(t, c->a, "DescribeExecution", req, &d);
    if (status != 200) {
        differ(c, "DescribeExecution failed: %d %s", status, short_json(c->a, d));
        return;
    }
    r->status = json_obj_get_str(d, "status");
    r->error = json_obj_get_str(d, "error");
    r->cause = json_obj_get_str(d, "cause");
    const char *output = json_obj_get_str(d, "output");
    sw_error_t err;
    r->output = output ? json_parse(c->a, output, strlen(output), &err) : NULL;
    if (!r->status)
        r->status = "(none)";
    r->history = json_new_arr(c->a);
    for (int page = 0; page < TEST_MAX_HISTORY_PAGES; page++) {
        status = t->sfn(t, c->a, "GetExecutionHistory", req, &h);
        if (status != 200) {
            differ(c, "GetExecutionHistory failed: %d %s", status, short_json(c->a, h));
            return;
        }
        const json_t *events = json_obj_get(h, "events");
        for (size_t i = 0; events && i < events->len; i++)
            json_arr_push(c->a, r->history, events->u.items[i]);
        json_t *next = json_obj_get(h, "nextToken");
        if (!json_is_str(next))
            break;
        json_obj_set(c->a, req, "nextToken", next);
    }
}

/* CreateStateMachine for the case's definition; sets ${StateMachineArn}.
 * Returns the ARN, or NULL (the case fails). */
static const json_t *create_machine(case_ctx_t *c, transport_t *t, const json_t *tc,
                                    const char *name) {
    json_t *create = json_new_obj(c->a), *resp;
    json_obj_set(c->a, create, "name", json_new_strz(c->a, name));
    json_obj_set(c->a, create, "definition",
                 json_new_strz(c->a, json_to_str(c->a, json_obj_get(tc, "definition"))));
    json_obj_set(c->a, create, "roleArn",
                 json_new_strz(c->a, "arn:aws:iam::123456789012:role/StepFunctionsRole"));
    const json_t *type = json_obj_get(tc, "type");
    if (json_is_str(type))
        json_obj_set(c->a, create, "type", (json_t *)type);
    int status = t->sfn(t, c->a, "CreateStateMachine", create, &resp);
    const json_t *arn = json_obj_get(resp, "stateMachineArn");
    if (status != 200 || !json_is_str(arn)) {
        differ(c, "CreateStateMachine failed: %d %s", status, short_json(c->a, resp));
        return NULL;
    }
    json_obj_set(c->a, c->captures, "StateMachineArn", (json_t *)arn);
    return arn;
}

/* A case with "steps": API calls after CreateStateMachine, with the
 * scheduler running on the real clock. "${StateMachineArn}" is the machine;
 * the case's "expect" applies to the last execution started. */
static void run_sfn_steps_case(case_ctx_t *c, transport_t *t, const json_t *tc,
                               const char *machine_name) {
    if (!create_machine(c, t, tc, machine_name))
        return;
    const json_t *last_exec = NULL;
    run_steps(c, t, json_obj_get(tc, "steps"), true, &last_exec);
    const json_t *expect = json_obj_get(tc, "expect");
    if (c->why.len || !expect || !last_exec)
        return;
    sfn_run_result_t r;
    describe_outcome(c, t, last_exec, &r);
    if (!c->why.len)
        check_outcome(c, expect, &r, 0);
}

/* A case without steps over the API: CreateStateMachine, StartExecution,
 * DescribeExecution until it is no longer RUNNING, then its history. */
static void run_sfn_exec_case(case_ctx_t *c, transport_t *t, const json_t *tc,
                              const json_t *input, const char *machine_name) {
    const json_t *machine = create_machine(c, t, tc, machine_name);
    if (!machine)
        return;
    json_t *start = json_new_obj(c->a), *resp;
    json_obj_set(c->a, start, "stateMachineArn", (json_t *)machine);
    json_obj_set(c->a, start, "input", json_new_strz(c->a, json_to_str(c->a, input)));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = t->sfn(t, c->a, "StartExecution", start, &resp);
    const json_t *exec = json_obj_get(resp, "executionArn");
    if (status != 200 || !json_is_str(exec)) {
        differ(c, "StartExecution failed: %d %s", status, short_json(c->a, resp));
        return;
    }
    json_t *req = json_new_obj(c->a);
    json_obj_set(c->a, req, "executionArn", (json_t *)exec);
    long wait_ms = 1;
    for (;;) {
        arena_t scratch;
        arena_init(&scratch);
        status = t->sfn(t, &scratch, "DescribeExecution", req, &resp);
        const char *st = status == 200 ? json_obj_get_str(resp, "status") : NULL;
        bool is_running = st && strcmp(st, "RUNNING") == 0;
        arena_release(&scratch);
        if (!is_running)
            break; /* ended, or describe_outcome reports the failure */
        if (seconds_since(&t0) * 1000 > TEST_EXEC_TIMEOUT_MS) {
            differ(c, "still RUNNING after %d s", TEST_EXEC_TIMEOUT_MS / 1000);
            return;
        }
        sleep_ms(wait_ms);
        wait_ms = wait_ms * 2 > 50 ? 50 : wait_ms * 2;
    }
    double took_s = seconds_since(&t0);
    sfn_run_result_t r;
    describe_outcome(c, t, exec, &r);
    if (!c->why.len)
        check_outcome(c, json_obj_get(tc, "expect"), &r, took_s);
}

static void run_sfn_case(case_ctx_t *c, transport_t *t, const json_t *tc,
                         const char *machine_name) {
    run_setup(c, t, json_obj_get(tc, "setup"));
    if (c->why.len)
        return;
    const json_t *definition = json_obj_get(tc, "definition");
    const json_t *expect = json_obj_get(tc, "expect");
    if (!definition || !expect) {
        differ(c, "needs definition and expect");
        return;
    }
    if (json_obj_get(tc, "steps")) {
        run_sfn_steps_case(c, t, tc, machine_name);
        return;
    }
    const json_t *input = json_obj_get(tc, "input");
    if (!input)
        input = json_new_obj(c->a);
    if (!t->engines) {
        run_sfn_exec_case(c, t, tc, input, machine_name);
        return;
    }
    /* In process: sfn_run, as `stepwise run` does. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sfn_run_result_t r;
    sw_error_t err;
    if (sfn_run(t->engines->sfn, definition, input, NULL, c->a, &r, &err) < 0) {
        differ(c, "%s: %s", err.type, err.msg);
        return;
    }
    check_outcome(c, expect, &r, seconds_since(&t0));
}

/* On a shared server, removes what the case created so the next case
 * finds the names free. Failures are ignored. */
static void clean_up(case_ctx_t *c, transport_t *t) {
    json_t *resp;
    for (size_t i = 0; i < c->tables->len; i++) {
        json_t *req = json_new_obj(c->a);
        json_obj_set(c->a, req, "TableName", c->tables->u.items[i]);
        t->ddb(t, c->a, "DeleteTable", req, &resp);
    }
    json_t *machine = json_obj_get(c->captures, "StateMachineArn");
    if (machine) {
        json_t *req = json_new_obj(c->a);
        json_obj_set(c->a, req, "stateMachineArn", machine);
        t->sfn(t, c->a, "DeleteStateMachine", req, &resp);
    }
}

/* Runs one case file; fills c->why when it fails. `index` makes names
 * unique on a shared server. */
static void run_case(case_ctx_t *c, const char *path, const test_opts_t *o, size_t index) {
    sw_error_t err;
    json_t *tc = cli_read_json(c->a, path, &err);
    if (!tc) {
        differ(c, "%s", err.msg);
        return;
    }
    const char *kind = json_obj_get_str(tc, "kind");
    bool is_ddb = kind && strcmp(kind, "dynamodb") == 0;
    bool is_sfn = kind && strcmp(kind, "stepfunctions") == 0;
    if (!kind) {
        differ(c, "no \"kind\"");
        return;
    }
    if (!is_ddb && !is_sfn) {
        differ(c, "unknown kind \"%s\"", kind);
        return;
    }
    /* API steps run on the real clock, executions in the background. */
    bool has_steps = is_sfn && json_obj_get(tc, "steps") != NULL;
    case_env_t env;
    if (env_open(&env, o, o->is_virtual_clock && !has_steps, has_steps, c->a, &err) < 0) {
        differ(c, "cannot open engines: %s", err.msg);
        return;
    }
    transport_t *t = env.t;
    const char *machine_name =
        t->is_shared ? arena_sprintf(c->a, "stepwise-test-%ld-%zu", (long)getpid(), index)
                     : "case-machine";
    if (is_ddb) {
        run_setup(c, t, json_obj_get(tc, "setup"));
        const json_t *last_exec = NULL;
        if (!c->why.len)
            run_steps(c, t, json_obj_get(tc, "steps"), false, &last_exec);
    } else {
        run_sfn_case(c, t, tc, machine_name);
    }
    if (t->is_shared)
        clean_up(c, t);
    env_close(c, &env);
}

int cli_cmd_test(int argc, char **argv) {
    test_opts_t o = {.is_virtual_clock = true, .region = "us-east-1"};
    case_list_t files = {0};
    arena_t perm;
    arena_init(&perm);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--clock") == 0 && i + 1 < argc) {
            o.is_virtual_clock = strcmp(argv[++i], "real") != 0;
        } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            o.is_verbose = true;
        } else if (strcmp(argv[i], "--pending") == 0 && i + 1 < argc) {
            if (load_pending(&perm, argv[++i], &o) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc) {
            o.endpoint = argv[++i];
        } else if (strcmp(argv[i], "--serve") == 0 && i + 1 < argc) {
            o.serve_bin = argv[++i];
        } else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
            o.region = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: stepwise test CASE.json|DIR ... [--clock real|virtual] "
                    "[--pending FILE] [--verbose]\n"
                    "                     [--endpoint URL | --serve STEPWISE_BIN] "
                    "[--region us-east-1]\n"
                    "  --endpoint URL  send every request over HTTP to a running server\n"
                    "                  (what a case creates is deleted after it)\n"
                    "  --serve BIN     start `BIN serve --port 0` on a fresh data directory\n"
                    "                  for each case and send its requests over HTTP\n");
            return CLI_EXIT_USAGE;
        } else {
            collect(&files, argv[i]);
        }
    }
    if (files.n == 0) {
        fprintf(stderr, "stepwise test: no case files given\n");
        return CLI_EXIT_USAGE;
    }
    if (o.endpoint && o.serve_bin) {
        fprintf(stderr, "stepwise test: give --endpoint or --serve, not both\n");
        return CLI_EXIT_USAGE;
    }
    bool is_http = o.endpoint || o.serve_bin;
    if (is_http && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "stepwise test: curl_global_init failed\n");
        return CLI_EXIT_FAILED;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < files.n; i++) {
        arena_t a;
        arena_init(&a);
        case_ctx_t c = {.a = &a,
                        .captures = json_new_obj(&a),
                        .execs = json_new_arr(&a),
                        .tables = json_new_arr(&a)};
        buf_init(&c.why, &a, 4096);
        const char *name = case_name(&a, files.paths[i]);
        run_case(&c, files.paths[i], &o, i);
        const char *reason = pending_reason(&o, name);
        if (!c.why.len) {
            passed++;
            if (reason)
                printf("NOW PASSES %s (listed as pending: %s)\n", files.paths[i], reason);
            else if (o.is_verbose)
                printf("ok   %s\n", files.paths[i]);
        } else if (reason) {
            skipped++;
            printf("PENDING %s: %s [%s]\n", files.paths[i], reason, c.why.ptr);
        } else {
            failed++;
            printf("FAIL %s: %s\n", files.paths[i], c.why.ptr);
        }
        fflush(stdout);
        arena_release(&a);
        free(files.paths[i]);
    }
    free(files.paths);
    arena_release(&perm);
    if (is_http)
        curl_global_cleanup();
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
