/* test.c - `stepwise test`: runs conformance case files (the format of
 * shared/cases/README.md) in process, each against a fresh temporary data
 * directory: DynamoDB cases through ddb_call, Step Functions cases through
 * sfn_run. Prints one line per failing case and ends with
 * "N passed, N failed" (and ", N skipped" for cases listed as pending). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

/* One DynamoDB request; returns the HTTP status and the body AWS would
 * send (the error envelope on failure). */
static int ddb_request(cli_engines_t *e, arena_t *a, const char *op, const json_t *body,
                       json_t **out) {
    sw_error_t err;
    json_t *resp = NULL;
    if (ddb_call(e->ddb, op, body, a, &resp, &err) == 0) {
        *out = resp;
        return 200;
    }
    *out = ddb_error_body(a, &err, resp);
    return ddb_error_status(err.type);
}

static void run_setup(case_ctx_t *c, cli_engines_t *e, const json_t *setup) {
    sw_error_t err;
    if (setup && cli_run_setup(e, c->a, setup, false, NULL, &err) < 0)
        differ(c, "%s", err.msg);
}

static void run_ddb_case(case_ctx_t *c, cli_engines_t *e, const json_t *tc) {
    run_setup(c, e, json_obj_get(tc, "setup"));
    const json_t *steps = json_obj_get(tc, "steps");
    for (size_t i = 0; !c->why.len && steps && i < steps->len; i++) {
        const json_t *s = steps->u.items[i];
        const char *op = json_obj_get_str(s, "op");
        const json_t *body = json_obj_get(s, "body");
        if (!op || !body) {
            differ(c, "step %zu: needs op and body", i + 1);
            break;
        }
        json_t *resp;
        int status = ddb_request(e, c->a, op, substitute(c, body), &resp);
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

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One Step Functions API request in process; returns the HTTP status and
 * the body AWS would send. */
static int sfn_request(cli_engines_t *e, arena_t *a, const char *op, const json_t *body,
                       json_t **out) {
    sw_error_t err;
    json_t *resp = NULL;
    if (sfn_call(e->sfn, op, body, a, &resp, &err) == 0) {
        *out = resp ? resp : json_new_obj(a);
        return 200;
    }
    json_t *env = json_new_obj(a);
    json_obj_set(a, env, "__type", json_new_strz(a, err.type));
    json_obj_set(a, env, "message", json_new_strz(a, err.msg));
    *out = env;
    return sfn_error_status(err.type);
}

/* The outcome of execution `arn` as DescribeExecution and
 * GetExecutionHistory report it. */
static void describe_outcome(case_ctx_t *c, cli_engines_t *e, const json_t *arn,
                             sfn_run_result_t *r) {
    memset(r, 0, sizeof(*r));
    json_t *req = json_new_obj(c->a), *d, *h;
    json_obj_set(c->a, req, "executionArn", (json_t *)arn);
    if (sfn_request(e, c->a, "DescribeExecution", req, &d) != 200) {
        differ(c, "DescribeExecution failed: %s", short_json(c->a, d));
        return;
    }
    r->status = json_obj_get_str(d, "status");
    r->error = json_obj_get_str(d, "error");
    r->cause = json_obj_get_str(d, "cause");
    const char *output = json_obj_get_str(d, "output");
    sw_error_t err;
    r->output = output ? json_parse(c->a, output, strlen(output), &err) : NULL;
    if (sfn_request(e, c->a, "GetExecutionHistory", req, &h) == 200)
        r->history = json_obj_get(h, "events");
    if (!r->status)
        r->status = "(none)";
}

/* A case with "steps": API calls after CreateStateMachine, in process
 * through sfn_call, with the scheduler running on the real clock (a Wait
 * must still be waiting when the next step comes). "${StateMachineArn}" is
 * the machine; the case's "expect" applies to the last execution started. */
static void run_sfn_steps_case(case_ctx_t *c, cli_engines_t *e, const json_t *tc) {
    sw_error_t err;
    e->clock.is_virtual = false;
    if (sfn_start(e->sfn, 1, &err) < 0) {
        differ(c, "cannot start the scheduler: %s", err.msg);
        return;
    }
    json_t *create = json_new_obj(c->a), *resp;
    json_obj_set(c->a, create, "name", json_new_strz(c->a, "case-machine"));
    json_obj_set(c->a, create, "definition",
                 json_new_strz(c->a, json_to_str(c->a, json_obj_get(tc, "definition"))));
    json_obj_set(c->a, create, "roleArn",
                 json_new_strz(c->a, "arn:aws:iam::123456789012:role/StepFunctionsRole"));
    const json_t *type = json_obj_get(tc, "type");
    if (json_is_str(type))
        json_obj_set(c->a, create, "type", (json_t *)type);
    if (sfn_request(e, c->a, "CreateStateMachine", create, &resp) != 200) {
        differ(c, "CreateStateMachine failed: %s", short_json(c->a, resp));
        return;
    }
    json_obj_set(c->a, c->captures, "StateMachineArn", json_obj_get(resp, "stateMachineArn"));
    const json_t *last_exec = NULL;
    const json_t *steps = json_obj_get(tc, "steps");
    for (size_t i = 0; !c->why.len && i < steps->len; i++) {
        const json_t *s = steps->u.items[i];
        const char *op = json_obj_get_str(s, "op");
        const json_t *body = json_obj_get(s, "body");
        if (!op || !body) {
            differ(c, "step %zu: needs op and body", i + 1);
            break;
        }
        json_t *req = substitute(c, body);
        int status = sfn_has_op(op) ? sfn_request(e, c->a, op, req, &resp)
                                    : ddb_request(e, c->a, op, req, &resp);
        sfn_wait_settled(e->sfn, 10000);
        if (json_obj_get(resp, "executionArn") && strcmp(op, "StartExecution") == 0)
            last_exec = json_obj_get(resp, "executionArn");
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
    const json_t *expect = json_obj_get(tc, "expect");
    if (c->why.len || !expect || !last_exec)
        return;
    sfn_run_result_t r;
    describe_outcome(c, e, last_exec, &r);
    check_outcome(c, expect, &r, 0);
}

static void run_sfn_case(case_ctx_t *c, cli_engines_t *e, const json_t *tc) {
    run_setup(c, e, json_obj_get(tc, "setup"));
    if (c->why.len)
        return;
    const json_t *definition = json_obj_get(tc, "definition");
    const json_t *expect = json_obj_get(tc, "expect");
    if (!definition || !expect) {
        differ(c, "needs definition and expect");
        return;
    }
    if (json_obj_get(tc, "steps")) {
        run_sfn_steps_case(c, e, tc);
        return;
    }
    const json_t *input = json_obj_get(tc, "input");
    if (!input)
        input = json_new_obj(c->a);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sfn_run_result_t r;
    sw_error_t err;
    if (sfn_run(e->sfn, definition, input, NULL, c->a, &r, &err) < 0) {
        differ(c, "%s: %s", err.type, err.msg);
        return;
    }
    check_outcome(c, expect, &r, seconds_since(&t0));
}

/* Runs one case file; fills c->why when it fails. */
static void run_case(case_ctx_t *c, const char *path, const test_opts_t *o) {
    sw_error_t err;
    json_t *tc = cli_read_json(c->a, path, &err);
    if (!tc) {
        differ(c, "%s", err.msg);
        return;
    }
    const char *kind = json_obj_get_str(tc, "kind");
    if (!kind) {
        differ(c, "no \"kind\"");
        return;
    }
    cli_engines_t e;
    if (cli_engines_open(&e, NULL, o->is_virtual_clock, &err) < 0) {
        differ(c, "cannot open engines: %s", err.msg);
        return;
    }
    if (strcmp(kind, "dynamodb") == 0)
        run_ddb_case(c, &e, tc);
    else if (strcmp(kind, "stepfunctions") == 0)
        run_sfn_case(c, &e, tc);
    else
        differ(c, "unknown kind \"%s\"", kind);
    cli_engines_close(&e);
}

int cli_cmd_test(int argc, char **argv) {
    test_opts_t o = {.is_virtual_clock = true};
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
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: stepwise test CASE.json|DIR ... [--clock real|virtual] "
                            "[--pending FILE] [--verbose]\n");
            return CLI_EXIT_USAGE;
        } else {
            collect(&files, argv[i]);
        }
    }
    if (files.n == 0) {
        fprintf(stderr, "stepwise test: no case files given\n");
        return CLI_EXIT_USAGE;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < files.n; i++) {
        arena_t a;
        arena_init(&a);
        case_ctx_t c = {.a = &a, .captures = json_new_obj(&a)};
        buf_init(&c.why, &a, 4096);
        const char *name = case_name(&a, files.paths[i]);
        run_case(&c, files.paths[i], &o);
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
        arena_release(&a);
        free(files.paths[i]);
    }
    free(files.paths);
    arena_release(&perm);
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
