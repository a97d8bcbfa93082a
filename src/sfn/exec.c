/* exec.c - runs one execution to its end (sfn_run): the frame loop.
 *
 * Loops the pure step function over a frame (the root program; Parallel
 * branches and Map iterations run as child frames, recursively, in order),
 * performs Task calls through ddb_call_txn inside a store write transaction
 * that also records the execution's transition (STORE_EXEC) and its new
 * history events (STORE_HISTORY), sleeps through the clock (virtual or
 * real), applies Retry/Catch decisions, enforces the execution's
 * TimeoutSeconds, and builds the AWS-format history and the trace.
 *
 * Must not hold ASL semantics (step.c does) nor DynamoDB knowledge
 * (tasks.c does). */
#include <string.h>
#include "sfn/sfn_int.h"

/* ---- The engine handle ------------------------------------------------ */

int sfn_open(store_t *store, ddb_t *db, sw_clock_t *clock, sfn_t **out, sw_error_t *err) {
    sfn_t *sf = calloc(1, sizeof *sf);
    (void)err;
    if (!sf)
        SW_BUG("out of memory");
    sf->store = store;
    sf->db = db;
    sf->clock = clock;
    *out = sf;
    return 0;
}

void sfn_close(sfn_t *sf) {
    free(sf);
}

/* ---- One execution ---------------------------------------------------- */

typedef struct exec {
    sfn_t *sf;
    arena_t *a;
    const char *name;
    const char *exec_arn;
    const char *machine_arn;
    json_t *ctx_execution;     /* $$.Execution */
    json_t *ctx_machine;       /* $$.StateMachine */
    int64_t deadline_ms;       /* 0 = no TimeoutSeconds */
    bool is_timed_out;
    json_t *history;
    int64_t last_event_id;
    size_t n_flushed;          /* events already written to STORE_HISTORY */
    sfn_trace_step_t *steps;
    size_t n_steps, cap_steps;
    uint64_t rng;
    const sfn_run_result_t *final;  /* set once the execution has ended */
    bool is_child_error;       /* the last FAIL came up from a branch/iteration */
} exec_t;

/* The outcome of running a frame. */
typedef struct frame_res {
    bool is_ok;
    json_t *output;
    const char *error;
    const char *cause;
} frame_res_t;

static uint64_t rng_next(exec_t *ex) {
    /* xorshift64*: request ids and jitter draws; not for security. */
    ex->rng ^= ex->rng >> 12;
    ex->rng ^= ex->rng << 25;
    ex->rng ^= ex->rng >> 27;
    return ex->rng * 2685821657736338717ull;
}

static const char *request_id(exec_t *ex) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *id = arena_alloc(ex->a, 53);
    for (int i = 0; i < 52; i++)
        id[i] = alphabet[rng_next(ex) % 36];
    id[52] = '\0';
    return id;
}

static int64_t now_ms(exec_t *ex) {
    return clock_now_ms(ex->sf->clock);
}

static const char *iso(exec_t *ex, int64_t ms) {
    char *buf = arena_alloc(ex->a, 32);
    clock_format_iso(ms, buf, 32);
    return buf;
}

/* Sleeps `ms`, but not past the execution's deadline; returns false (and
 * marks the execution timed out) when the deadline cut the sleep short. */
static bool ex_sleep(exec_t *ex, int64_t ms) {
    if (ex->deadline_ms) {
        int64_t left = ex->deadline_ms - now_ms(ex);
        if (ms >= left) {
            if (left > 0)
                clock_sleep_ms(ex->sf->clock, left);
            ex->is_timed_out = true;
            return false;
        }
    }
    if (ms > 0)
        clock_sleep_ms(ex->sf->clock, ms);
    return true;
}

static bool past_deadline(exec_t *ex) {
    if (ex->deadline_ms && now_ms(ex) >= ex->deadline_ms)
        ex->is_timed_out = true;
    return ex->is_timed_out;
}

/* ---- History ---------------------------------------------------------- */

static json_t *jstr(exec_t *ex, const char *s) {
    return json_new_strz(ex->a, s);
}

static json_t *jtext(exec_t *ex, const json_t *v) {
    return json_new_strz(ex->a, json_to_str(ex->a, v));
}

static json_t *truncated_false(exec_t *ex) {
    json_t *o = json_new_obj(ex->a);
    json_obj_set(ex->a, o, "truncated", json_new_bool(ex->a, false));
    return o;
}

/* Appends one event; `*prev` is the frame's last event id, updated. The
 * timestamp is epoch seconds with milliseconds, as the API sends it. */
static int64_t ev_add(exec_t *ex, int64_t *prev, const char *type, const char *details_key,
                      json_t *details) {
    json_t *e = json_new_obj(ex->a);
    int64_t t = now_ms(ex), id = ++ex->last_event_id;
    char ts[40];
    snprintf(ts, sizeof ts, "%lld.%03lld", (long long)(t / 1000), (long long)(t % 1000));
    json_obj_set(ex->a, e, "timestamp", json_new_num_text(ex->a, ts, strlen(ts)));
    json_obj_set(ex->a, e, "type", jstr(ex, type));
    json_obj_set(ex->a, e, "id", json_new_num_i64(ex->a, id));
    json_obj_set(ex->a, e, "previousEventId", json_new_num_i64(ex->a, prev ? *prev : 0));
    if (details_key)
        json_obj_set(ex->a, e, details_key, details ? details : json_new_obj(ex->a));
    json_arr_push(ex->a, ex->history, e);
    if (prev)
        *prev = id;
    return id;
}

static json_t *d_state(exec_t *ex, const char *name, const char *io_key, const json_t *io) {
    json_t *d = json_new_obj(ex->a);
    json_obj_set(ex->a, d, "name", jstr(ex, name));
    if (io) {
        json_obj_set(ex->a, d, io_key, jtext(ex, io));
        json_obj_set(ex->a, d, strcmp(io_key, "input") == 0 ? "inputDetails" : "outputDetails",
                     truncated_false(ex));
    }
    return d;
}

static json_t *d_error(exec_t *ex, const char *error, const char *cause) {
    json_t *d = json_new_obj(ex->a);
    if (error)
        json_obj_set(ex->a, d, "error", jstr(ex, error));
    if (cause)
        json_obj_set(ex->a, d, "cause", jstr(ex, cause));
    return d;
}

static json_t *d_task(exec_t *ex, const sfn_state_t *st) {
    json_t *d = json_new_obj(ex->a);
    json_obj_set(ex->a, d, "resourceType",
                 jstr(ex, st->task_kind == SFN_TASK_DDB_OPTIMIZED ? "dynamodb"
                                                                  : "aws-sdk:dynamodb"));
    json_obj_set(ex->a, d, "resource", jstr(ex, st->task_action));
    return d;
}

/* ---- Persistence ------------------------------------------------------ */

/* Writes the execution record: `state` is the state the execution resumes
 * at with `state_input` (NULL once it has ended), plus every history event
 * not yet written. The record is what a restart resumes from. */
static int persist(exec_t *ex, store_txn_t *txn, const char *status, const char *state,
                   const json_t *state_input, sw_error_t *err) {
    json_t *rec = json_new_obj(ex->a);
    char *text;
    json_obj_set(ex->a, rec, "executionArn", jstr(ex, ex->exec_arn));
    json_obj_set(ex->a, rec, "stateMachineArn", jstr(ex, ex->machine_arn));
    json_obj_set(ex->a, rec, "name", jstr(ex, ex->name));
    json_obj_set(ex->a, rec, "status", jstr(ex, status));
    json_obj_set(ex->a, rec, "startDate", json_obj_get(ex->ctx_execution, "StartTime"));
    json_obj_set(ex->a, rec, "input", jtext(ex, json_obj_get(ex->ctx_execution, "Input")));
    if (state)
        json_obj_set(ex->a, rec, "state", jstr(ex, state));
    if (state_input)
        json_obj_set(ex->a, rec, "stateInput", jtext(ex, state_input));
    if (ex->final) {
        if (ex->final->output)
            json_obj_set(ex->a, rec, "output", jtext(ex, ex->final->output));
        if (ex->final->error)
            json_obj_set(ex->a, rec, "error", jstr(ex, ex->final->error));
        if (ex->final->cause)
            json_obj_set(ex->a, rec, "cause", jstr(ex, ex->final->cause));
        json_obj_set(ex->a, rec, "stopDate", jstr(ex, iso(ex, ex->final->stop_ms)));
    }
    json_obj_set(ex->a, rec, "lastEventId", json_new_num_i64(ex->a, ex->last_event_id));
    text = json_to_str(ex->a, rec);
    if (store_put(txn, STORE_EXEC, ex->exec_arn, strlen(ex->exec_arn), text, strlen(text),
                  err) < 0)
        return -1;
    /* History key: execution ARN, NUL, event id (u32 big-endian). */
    for (; ex->n_flushed < ex->history->len; ex->n_flushed++) {
        const json_t *e = ex->history->u.items[ex->n_flushed];
        size_t alen = strlen(ex->exec_arn);
        unsigned char key[STORE_MAX_KEY];
        uint32_t id = (uint32_t)(ex->n_flushed + 1);
        char *etext = json_to_str(ex->a, e);
        if (alen + 5 > sizeof key)
            alen = sizeof key - 5;
        memcpy(key, ex->exec_arn, alen);
        key[alen] = 0;
        key[alen + 1] = (unsigned char)(id >> 24);
        key[alen + 2] = (unsigned char)(id >> 16);
        key[alen + 3] = (unsigned char)(id >> 8);
        key[alen + 4] = (unsigned char)id;
        if (store_put(txn, STORE_HISTORY, key, alen + 5, etext, strlen(etext), err) < 0)
            return -1;
    }
    return 0;
}

/* Records the execution in its own transaction (start and end). */
static int persist_txn(exec_t *ex, const char *status, const char *state,
                       const json_t *state_input, sw_error_t *err) {
    store_txn_t *txn;
    if (!ex->sf->store)
        return 0;
    if (store_txn_begin(ex->sf->store, true, &txn, err) < 0)
        return -1;
    if (persist(ex, txn, status, state, state_input, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    return store_txn_commit(txn, err);
}

/* ---- Trace ------------------------------------------------------------ */

static sfn_trace_step_t *trace_add(exec_t *ex, const sfn_state_t *st, const json_t *input,
                                   int64_t entered_ms) {
    sfn_trace_step_t *s;
    if (ex->n_steps == ex->cap_steps) {
        size_t cap = ex->cap_steps ? ex->cap_steps * 2 : 16;
        sfn_trace_step_t *n = arena_alloc(ex->a, cap * sizeof *n);
        if (ex->n_steps)
            memcpy(n, ex->steps, ex->n_steps * sizeof *n);
        ex->steps = n;
        ex->cap_steps = cap;
    }
    s = &ex->steps[ex->n_steps++];
    memset(s, 0, sizeof *s);
    s->number = (int)ex->n_steps;
    s->state = st->name;
    s->type = st->type_name;
    s->input = input;
    s->entered_time = iso(ex, entered_ms);
    return s;
}

/* ---- Context object --------------------------------------------------- */

static json_t *make_ctx(exec_t *ex, const sfn_state_t *st, const char *entered_iso,
                        int retry_count, const json_t *map_item) {
    json_t *ctx = json_new_obj(ex->a), *state = json_new_obj(ex->a);
    json_obj_set(ex->a, ctx, "Execution", ex->ctx_execution);
    json_obj_set(ex->a, state, "EnteredTime", jstr(ex, entered_iso));
    json_obj_set(ex->a, state, "Name", jstr(ex, st->name));
    if (st->type == SFN_STATE_TASK)
        json_obj_set(ex->a, state, "RetryCount", json_new_num_i64(ex->a, retry_count));
    json_obj_set(ex->a, ctx, "State", state);
    json_obj_set(ex->a, ctx, "StateMachine", ex->ctx_machine);
    if (map_item) {
        json_t *m = json_new_obj(ex->a);
        json_obj_set(ex->a, m, "Item", (json_t *)map_item);
        json_obj_set(ex->a, ctx, "Map", m);
    }
    return ctx;
}

/* ---- The frame loop --------------------------------------------------- */

static void run_frame(exec_t *ex, const sfn_program_t *p, json_t *input, int64_t prev,
                      frame_res_t *res);

/* Runs a Task's integration; on success turns the result into the state's
 * transition (sfn__step_result). Returns the effects in *eff. */
static void do_task(exec_t *ex, const sfn_program_t *p, int idx, const json_t *input,
                    const json_t *ctx, int64_t *prev, sfn_trace_step_t *row,
                    sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    sfn_task_outcome_t o;
    store_txn_t *txn = NULL;
    sw_error_t err;
    json_t *d = d_task(ex, st);
    json_obj_set(ex->a, d, "region", jstr(ex, SFN_REGION));
    json_obj_set(ex->a, d, "parameters", jtext(ex, eff->task_params));
    if (st->timeout_s)
        json_obj_set(ex->a, d, "timeoutInSeconds", json_new_num_i64(ex->a, st->timeout_s));
    ev_add(ex, prev, "TaskScheduled", "taskScheduledEventDetails", d);
    ev_add(ex, prev, "TaskStarted", "taskStartedEventDetails", d_task(ex, st));

    if (ex->sf->store && ex->sf->db &&
        store_txn_begin(ex->sf->store, true, &txn, &err) < 0)
        txn = NULL;
    sfn__task_run(ex->a, ex->sf->db, txn, st, eff->task_params, request_id(ex), now_ms(ex),
                  &o);
    row->ddb_response = o.ddb_response;
    if (o.is_ok) {
        d = d_task(ex, st);
        json_obj_set(ex->a, d, "output", jtext(ex, o.result));
        json_obj_set(ex->a, d, "outputDetails", truncated_false(ex));
        ev_add(ex, prev, "TaskSucceeded", "taskSucceededEventDetails", d);
        sfn__step_result(ex->a, p, idx, input, o.result, ctx, eff);
    } else {
        d = d_task(ex, st);
        json_obj_set(ex->a, d, "error", jstr(ex, o.error));
        json_obj_set(ex->a, d, "cause", jstr(ex, o.cause));
        ev_add(ex, prev, "TaskFailed", "taskFailedEventDetails", d);
        eff->kind = SFN_EFF_FAIL;
        eff->error = o.error;
        eff->cause = o.cause;
        eff->result = o.error;
    }
    if (txn) {
        /* The DynamoDB write and the transition it leads to commit
         * together: a crash never applies the write twice nor loses it. */
        bool is_moving = eff->kind == SFN_EFF_TRANSITION && eff->next >= 0;
        int rc = persist(ex, txn, "RUNNING", is_moving ? p->states[eff->next].name : st->name,
                         is_moving ? eff->output : input, &err);
        if (rc < 0)
            store_txn_abort(txn);
        else
            rc = store_txn_commit(txn, &err);
        if (rc < 0) {
            eff->kind = SFN_EFF_FAIL;
            eff->error = "States.Runtime";
            eff->cause = arena_sprintf(ex->a, "Could not record the transition: %s", err.msg);
        }
    }
}

/* Runs every Parallel branch (in order; output in branch order). */
static void do_parallel(exec_t *ex, const sfn_program_t *p, int idx, const json_t *input,
                        const json_t *ctx, int64_t *prev, sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    json_t *results = json_new_arr(ex->a);
    int64_t started = ev_add(ex, prev, "ParallelStateStarted", NULL, NULL);
    for (size_t b = 0; b < st->n_branches; b++) {
        frame_res_t r;
        run_frame(ex, st->branches[b], eff->effective_input, started, &r);
        if (ex->is_timed_out)
            return;
        if (!r.is_ok) {
            *prev = ex->last_event_id;
            ev_add(ex, prev, "ParallelStateFailed", NULL, NULL);
            ex->is_child_error = true;
            eff->kind = SFN_EFF_FAIL;
            eff->error = r.error;
            eff->cause = r.cause;
            eff->result = r.error;
            return;
        }
        json_arr_push(ex->a, results, r.output);
    }
    *prev = ex->last_event_id;
    ev_add(ex, prev, "ParallelStateSucceeded", NULL, NULL);
    sfn__step_result(ex->a, p, idx, input, results, ctx, eff);
}

static void do_map(exec_t *ex, const sfn_program_t *p, int idx, const json_t *input,
                   const json_t *ctx, int64_t *prev, const char *entered_iso,
                   sfn_effects_t *eff) {
    const sfn_state_t *st = &p->states[idx];
    json_t *results = json_new_arr(ex->a), *d = json_new_obj(ex->a);
    json_t *items = eff->items;
    json_obj_set(ex->a, d, "length", json_new_num_i64(ex->a, (int64_t)items->len));
    ev_add(ex, prev, "MapStateStarted", "mapStateStartedEventDetails", d);
    for (size_t i = 0; i < items->len; i++) {
        frame_res_t r;
        json_t *item = json_new_obj(ex->a), *item_in, *di;
        sw_error_t err;
        int64_t iter_prev = *prev;
        json_obj_set(ex->a, item, "Index", json_new_num_i64(ex->a, (int64_t)i));
        json_obj_set(ex->a, item, "Value", items->u.items[i]);
        if (sfn__step_map_item(ex->a, p, idx, eff->effective_input, items->u.items[i],
                               make_ctx(ex, st, entered_iso, 0, item), &item_in, &err) < 0) {
            eff->kind = SFN_EFF_FAIL;
            eff->error = err.type ? err.type : "States.Runtime";
            eff->cause = arena_strdup(ex->a, err.msg);
            eff->result = eff->error;
            return;
        }
        di = json_new_obj(ex->a);
        json_obj_set(ex->a, di, "name", jstr(ex, st->name));
        json_obj_set(ex->a, di, "index", json_new_num_i64(ex->a, (int64_t)i));
        ev_add(ex, &iter_prev, "MapIterationStarted", "mapIterationStartedEventDetails", di);
        run_frame(ex, st->iterator, item_in, iter_prev, &r);
        if (ex->is_timed_out)
            return;
        *prev = ex->last_event_id;
        if (!r.is_ok) {
            ev_add(ex, prev, "MapIterationFailed", "mapIterationFailedEventDetails", di);
            ev_add(ex, prev, "MapStateFailed", NULL, NULL);
            ex->is_child_error = true;
            eff->kind = SFN_EFF_FAIL;
            eff->error = r.error;
            eff->cause = r.cause;
            eff->result = r.error;
            return;
        }
        ev_add(ex, prev, "MapIterationSucceeded", "mapIterationSucceededEventDetails", di);
        json_arr_push(ex->a, results, r.output);
    }
    ev_add(ex, prev, "MapStateSucceeded", NULL, NULL);
    sfn__step_result(ex->a, p, idx, input, results, ctx, eff);
}

static const char *ev_prefix(const sfn_state_t *st) {
    return st->type_name;
}

static void run_frame(exec_t *ex, const sfn_program_t *p, json_t *input, int64_t prev,
                      frame_res_t *res) {
    int idx = p->start;
    json_t *in = input;
    memset(res, 0, sizeof *res);
    while (idx >= 0) {
        const sfn_state_t *st = &p->states[idx];
        int64_t entered_ms, entered_id;
        const char *entered_iso;
        int *retry_counts;
        int n_retries = 0;
        sfn_effects_t eff;
        sfn_trace_step_t *row;
        char evtype[64];

        if (past_deadline(ex))
            return;
        entered_ms = now_ms(ex);
        entered_iso = iso(ex, entered_ms);
        snprintf(evtype, sizeof evtype, "%sStateEntered", ev_prefix(st));
        entered_id = ev_add(ex, &prev, evtype, "stateEnteredEventDetails",
                            d_state(ex, st->name, "input", in));
        /* Retry counters live as long as this visit of the state: entering
         * it again starts them from zero. */
        retry_counts = arena_zalloc(ex->a, (st->n_retriers + 1) * sizeof *retry_counts);

        for (;;) {
            json_t *ctx = make_ctx(ex, st, entered_iso, n_retries, NULL);
            row = trace_add(ex, st, in, entered_ms);
            ex->is_child_error = false;
            sfn__step_enter(ex->a, p, idx, in, ctx, now_ms(ex), &eff);
            switch (eff.kind) {
            case SFN_EFF_TASK:
                do_task(ex, p, idx, in, ctx, &prev, row, &eff);
                break;
            case SFN_EFF_PARALLEL:
                do_parallel(ex, p, idx, in, ctx, &prev, &eff);
                break;
            case SFN_EFF_MAP:
                do_map(ex, p, idx, in, ctx, &prev, entered_iso, &eff);
                break;
            case SFN_EFF_WAIT:
                if (!ex_sleep(ex, eff.delay_ms))
                    return;
                eff.kind = SFN_EFF_TRANSITION;
                break;
            case SFN_EFF_TRANSITION:
            case SFN_EFF_FAIL:
            case SFN_EFF_RETRY:
                break;
            }
            if (ex->is_timed_out)
                return;
            row->action = eff.action;
            if (eff.kind == SFN_EFF_FAIL && !eff.is_fail_state &&
                (st->type == SFN_STATE_TASK || st->type == SFN_STATE_PARALLEL ||
                 st->type == SFN_STATE_MAP)) {
                const char *error = eff.error ? eff.error : "States.Runtime";
                sfn__step_error(ex->a, p, idx, in, error, eff.cause, retry_counts,
                                (double)(rng_next(ex) >> 11) / 9007199254740992.0, &eff);
            }
            row->result = eff.result;
            if (eff.kind == SFN_EFF_RETRY) {
                row->next = st->name;
                retry_counts[eff.retrier]++;
                n_retries++;
                if (!ex_sleep(ex, eff.delay_ms))
                    return;
                continue;
            }
            break;
        }

        if (eff.kind == SFN_EFF_FAIL) {
            const char *error = eff.error ? eff.error : "States.Runtime";
            const char *cause = eff.cause;
            /* A branch's failure already carries its own state's prefix. */
            if (strcmp(error, "States.Runtime") == 0 && !eff.is_fail_state &&
                !ex->is_child_error)
                cause = arena_sprintf(ex->a,
                                      "An error occurred while executing the state '%s' "
                                      "(entered at the event id #%lld). %s",
                                      st->name, (long long)entered_id, cause ? cause : "");
            res->is_ok = false;
            res->error = error;
            res->cause = cause;
            return;
        }
        /* TRANSITION (possibly through a Catcher). */
        row->output = eff.output;
        row->next = eff.next >= 0 ? p->states[eff.next].name : NULL;
        if (st->type != SFN_STATE_FAIL) {
            snprintf(evtype, sizeof evtype, "%sStateExited", ev_prefix(st));
            if (!(st->type == SFN_STATE_SUCCEED && eff.is_caught))
                ev_add(ex, &prev, evtype, "stateExitedEventDetails",
                       d_state(ex, st->name, "output", eff.output));
        }
        in = eff.output;
        idx = eff.next;
    }
    res->is_ok = true;
    res->output = in;
}

/* ---- sfn_run ---------------------------------------------------------- */

int sfn_run_with(sfn_t *sf, const json_t *definition, const json_t *input,
                 const sfn_run_opts_t *opts, arena_t *a, sfn_run_result_t *out,
                 sw_error_t *err) {
    exec_t ex;
    sfn_program_t *prog;
    frame_res_t r;
    int64_t start_ms, prev = 0;
    json_t *d;
    const char *machine = opts && opts->machine_name ? opts->machine_name : "stepwise";
    const char *role = opts && opts->role_arn
                           ? opts->role_arn
                           : "arn:aws:iam::" SFN_ACCOUNT ":role/StepFunctionsRole";
    memset(out, 0, sizeof *out);
    if (sfn__program_compile(a, definition, &prog, err) < 0)
        return -1;
    if (!input)
        input = json_new_obj(a);

    memset(&ex, 0, sizeof ex);
    ex.sf = sf;
    ex.a = a;
    start_ms = clock_now_ms(sf->clock);
    ex.rng = (uint64_t)start_ms * 0x9E3779B97F4A7C15ull + (++sf->n_runs) * 0xBF58476D1CE4E5B9ull;
    if (!ex.rng)
        ex.rng = 1;
    if (opts && opts->name)
        ex.name = opts->name;
    else {
        /* A UUID-shaped default name, as the console generates. */
        uint64_t x = rng_next(&ex), y = rng_next(&ex);
        ex.name = arena_sprintf(a, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(x >> 32),
                                (unsigned)(x >> 16) & 0xffff, (unsigned)x & 0xfff,
                                (unsigned)(0x8000 | ((y >> 48) & 0x3fff)),
                                (unsigned long long)(y & 0xffffffffffffull));
    }
    ex.machine_arn =
        arena_sprintf(a, "arn:aws:states:%s:%s:stateMachine:%s", SFN_REGION, SFN_ACCOUNT, machine);
    ex.exec_arn = arena_sprintf(a, "arn:aws:states:%s:%s:execution:%s:%s", SFN_REGION,
                                SFN_ACCOUNT, machine, ex.name);
    ex.history = json_new_arr(a);
    if (prog->timeout_s)
        ex.deadline_ms = start_ms + prog->timeout_s * 1000;

    ex.ctx_execution = json_new_obj(a);
    json_obj_set(a, ex.ctx_execution, "Id", json_new_strz(a, ex.exec_arn));
    json_obj_set(a, ex.ctx_execution, "Input", (json_t *)input);
    json_obj_set(a, ex.ctx_execution, "StartTime", json_new_strz(a, iso(&ex, start_ms)));
    json_obj_set(a, ex.ctx_execution, "Name", json_new_strz(a, ex.name));
    json_obj_set(a, ex.ctx_execution, "RoleArn", json_new_strz(a, role));
    json_obj_set(a, ex.ctx_execution, "RedriveCount", json_new_num_i64(a, 0));
    ex.ctx_machine = json_new_obj(a);
    json_obj_set(a, ex.ctx_machine, "Id", json_new_strz(a, ex.machine_arn));
    json_obj_set(a, ex.ctx_machine, "Name", json_new_strz(a, machine));

    d = json_new_obj(a);
    json_obj_set(a, d, "input", jtext(&ex, input));
    json_obj_set(a, d, "inputDetails", truncated_false(&ex));
    json_obj_set(a, d, "roleArn", json_new_strz(a, role));
    ev_add(&ex, &prev, "ExecutionStarted", "executionStartedEventDetails", d);
    prev = 0; /* AWS: the first state's entry points at event 0 */
    if (persist_txn(&ex, "RUNNING", prog->states[prog->start].name, input, err) < 0)
        return -1;

    run_frame(&ex, prog, (json_t *)input, prev, &r);
    prev = ex.last_event_id;
    if (ex.is_timed_out) {
        out->status = "TIMED_OUT";
        out->error = "States.Timeout";
        out->cause = NULL;
        ev_add(&ex, &prev, "ExecutionTimedOut", "executionTimedOutEventDetails",
               d_error(&ex, out->error, NULL));
    } else if (r.is_ok) {
        out->status = "SUCCEEDED";
        out->output = r.output;
        d = json_new_obj(a);
        json_obj_set(a, d, "output", jtext(&ex, r.output));
        json_obj_set(a, d, "outputDetails", truncated_false(&ex));
        ev_add(&ex, &prev, "ExecutionSucceeded", "executionSucceededEventDetails", d);
    } else {
        out->status = "FAILED";
        out->error = r.error;
        out->cause = r.cause;
        ev_add(&ex, &prev, "ExecutionFailed", "executionFailedEventDetails",
               d_error(&ex, r.error, r.cause));
    }
    out->history = ex.history;
    out->steps = ex.steps;
    out->n_steps = ex.n_steps;
    out->execution_arn = ex.exec_arn;
    out->state_machine_arn = ex.machine_arn;
    out->start_ms = start_ms;
    out->stop_ms = now_ms(&ex);
    ex.final = out;
    if (persist_txn(&ex, out->status, NULL, NULL, err) < 0)
        return -1;
    return 0;
}

int sfn_run(sfn_t *sf, const json_t *definition, const json_t *input, const char *name,
            arena_t *a, sfn_run_result_t *out, sw_error_t *err) {
    sfn_run_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.name = name;
    return sfn_run_with(sf, definition, input, &opts, a, out, err);
}
