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

/* AWS quotas: 25,000 events in one execution's history; 256 KiB of JSON
 * passed between states. */
#define SFN_MAX_HISTORY_EVENTS 25000
#define SFN_MAX_PAYLOAD_BYTES 262144

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

typedef struct frame frame_t;

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
    /* Scheduler: FIFO of ready frames, unordered set of sleeping ones. */
    frame_t *ready_head, *ready_tail;
    frame_t **sleepers;
    size_t n_sleepers, cap_sleepers;
    uint64_t sleep_seq;
} exec_t;


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

static json_t *d_entered(exec_t *ex, const char *name, const json_t *input) {
    json_t *d = json_new_obj(ex->a);
    json_obj_set(ex->a, d, "name", jstr(ex, name));
    json_obj_set(ex->a, d, "input", jtext(ex, input));
    json_obj_set(ex->a, d, "inputDetails", truncated_false(ex));
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

/* Appends a row; returns its index (rows move when the array grows). */
static size_t trace_add(exec_t *ex, const sfn_state_t *st, const json_t *input,
                        int64_t entered_ms, int depth) {
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
    s->depth = depth;
    return ex->n_steps - 1;
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

/* ---- Frames and the scheduler ----------------------------------------- */

/* An execution is a tree of frames: the root runs the state machine, each
 * Parallel branch and Map iteration runs as a child frame. A frame is
 * plain data (program, state, input, phase), so the loop below can switch
 * between frames whenever one blocks: on a Wait, on a retry back-off, or
 * while its children run. Ready frames run in FIFO order; when none is
 * ready the clock sleeps (really, or virtually) to the earliest wake-up.
 * Children therefore run concurrently in time, as on AWS, under both
 * clocks, while a run with no waits stays deterministic (branch 0 first).
 * The same data is what a durable scheduler will persist and resume. */

typedef enum frame_phase {
    PH_ENTER,          /* enter state `idx` (finish the frame when idx < 0) */
    PH_ATTEMPT,        /* run the state (again, after a retry back-off) */
    PH_CHILDREN,       /* blocked on its Parallel branches / Map iterations */
    PH_CHILDREN_DONE,  /* they all finished, or one failed */
    PH_WAIT_DONE,      /* a Wait state's time has come */
    PH_RETRY_DUE,      /* a retry's back-off has passed */
    PH_DONE
} frame_phase_t;

struct frame {
    const sfn_program_t *p;
    frame_t *parent;
    uint32_t parent_gen;       /* parent's `gen` at launch; differs once stale */
    size_t slot;               /* branch / item index in the parent */
    int depth;
    frame_phase_t phase;
    int idx;
    json_t *in;                /* raw input of state `idx` */
    int64_t prev;              /* last history event of this frame */
    /* The current visit of state `idx`. */
    int64_t entered_id, entered_ms;
    const char *entered_iso;
    int *retry_counts;
    int n_retries;
    json_t *ctx;
    sfn_effects_t eff;
    size_t row;                /* trace row of the current attempt */
    bool is_child_error;       /* eff's FAIL came up from a child frame */
    /* Children of the current Parallel / Map state. */
    uint32_t gen;
    bool is_resolved;
    bool is_child_failed;
    json_t **child_inputs;     /* Map: one per item; Parallel: NULL */
    size_t n_children, n_launched, n_finished, max_running;
    int64_t started_id;        /* ParallelStateStarted / MapStateStarted */
    json_t *results;
    bool *is_slot_done;
    const char *child_error, *child_cause;
    /* Scheduling. */
    frame_t *next_ready;
    int64_t wake_ms;
    uint64_t sleep_seq;
    /* Outcome. */
    bool is_ok;
    json_t *output;
    const char *error, *cause;
};

static void make_ready(exec_t *ex, frame_t *f) {
    f->next_ready = NULL;
    if (ex->ready_tail)
        ex->ready_tail->next_ready = f;
    else
        ex->ready_head = f;
    ex->ready_tail = f;
}

static frame_t *pop_ready(exec_t *ex) {
    frame_t *f = ex->ready_head;
    if (f) {
        ex->ready_head = f->next_ready;
        if (!ex->ready_head)
            ex->ready_tail = NULL;
    }
    return f;
}

static void sleep_until(exec_t *ex, frame_t *f, int64_t wake_ms) {
    if (ex->n_sleepers == ex->cap_sleepers) {
        size_t cap = ex->cap_sleepers ? ex->cap_sleepers * 2 : 16;
        frame_t **n = arena_alloc(ex->a, cap * sizeof *n);
        if (ex->n_sleepers)
            memcpy(n, ex->sleepers, ex->n_sleepers * sizeof *n);
        ex->sleepers = n;
        ex->cap_sleepers = cap;
    }
    f->wake_ms = wake_ms;
    f->sleep_seq = ++ex->sleep_seq;
    ex->sleepers[ex->n_sleepers++] = f;
}

/* False once an ancestor moved on (a sibling failed, or a retry started a
 * new generation of children): such a frame is abandoned, as AWS aborts
 * the other branches and iterations. */
static bool frame_is_live(const frame_t *f) {
    for (; f->parent; f = f->parent)
        if (f->parent_gen != f->parent->gen || f->parent->is_resolved ||
            f->parent->phase == PH_DONE)
            return false;
    return true;
}

static frame_t *frame_new(exec_t *ex, const sfn_program_t *p, frame_t *parent, size_t slot,
                          json_t *input, int64_t prev) {
    frame_t *f = arena_zalloc(ex->a, sizeof *f);
    f->p = p;
    f->parent = parent;
    f->parent_gen = parent ? parent->gen : 0;
    f->slot = slot;
    f->depth = parent ? parent->depth + 1 : 0;
    f->phase = PH_ENTER;
    f->idx = p->start;
    f->in = input;
    f->prev = prev;
    return f;
}

static void child_done(exec_t *ex, frame_t *parent, frame_t *c);

static void frame_finish(exec_t *ex, frame_t *f, bool is_ok, json_t *output,
                         const char *error, const char *cause) {
    f->phase = PH_DONE;
    f->is_ok = is_ok;
    f->output = output;
    f->error = error;
    f->cause = cause;
    if (f->parent)
        child_done(ex, f->parent, f);
}

static void resolve_children(exec_t *ex, frame_t *f) {
    f->is_resolved = true;
    f->phase = PH_CHILDREN_DONE;
    make_ready(ex, f);
}

static void launch_child(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    size_t slot = f->n_launched++;
    int64_t prev = f->started_id;
    frame_t *c;
    if (st->type == SFN_STATE_MAP) {
        json_t *di = json_new_obj(ex->a);
        json_obj_set(ex->a, di, "name", jstr(ex, st->name));
        json_obj_set(ex->a, di, "index", json_new_num_i64(ex->a, (int64_t)slot));
        prev = ex->last_event_id;
        ev_add(ex, &prev, "MapIterationStarted", "mapIterationStartedEventDetails", di);
        c = frame_new(ex, st->iterator, f, slot, f->child_inputs[slot], prev);
    } else {
        c = frame_new(ex, st->branches[slot], f, slot, f->eff.effective_input, prev);
    }
    make_ready(ex, c);
}

static void child_done(exec_t *ex, frame_t *parent, frame_t *c) {
    const sfn_state_t *st = &parent->p->states[parent->idx];
    if (c->parent_gen != parent->gen || parent->is_resolved)
        return;
    if (st->type == SFN_STATE_MAP) {
        json_t *di = json_new_obj(ex->a);
        int64_t prev = ex->last_event_id;
        json_obj_set(ex->a, di, "name", jstr(ex, st->name));
        json_obj_set(ex->a, di, "index", json_new_num_i64(ex->a, (int64_t)c->slot));
        if (c->is_ok)
            ev_add(ex, &prev, "MapIterationSucceeded", "mapIterationSucceededEventDetails", di);
        else
            ev_add(ex, &prev, "MapIterationFailed", "mapIterationFailedEventDetails", di);
    }
    parent->is_slot_done[c->slot] = true;
    if (!c->is_ok) {
        /* The other running iterations are aborted (AWS records each). */
        for (size_t i = 0; st->type == SFN_STATE_MAP && i < parent->n_launched; i++) {
            json_t *di;
            int64_t prev = ex->last_event_id;
            if (parent->is_slot_done[i])
                continue;
            di = json_new_obj(ex->a);
            json_obj_set(ex->a, di, "name", jstr(ex, st->name));
            json_obj_set(ex->a, di, "index", json_new_num_i64(ex->a, (int64_t)i));
            ev_add(ex, &prev, "MapIterationAborted", "mapIterationAbortedEventDetails", di);
        }
        parent->is_child_failed = true;
        parent->child_error = c->error;
        parent->child_cause = c->cause;
        resolve_children(ex, parent);
        return;
    }
    parent->results->u.items[c->slot] = c->output;
    parent->n_finished++;
    if (parent->n_launched < parent->n_children)
        launch_child(ex, parent);
    if (parent->n_finished == parent->n_children)
        resolve_children(ex, parent);
}

/* Starts the children of the Parallel / Map state frame `f` is in. */
static void start_children(exec_t *ex, frame_t *f, size_t n, size_t max_running) {
    f->gen++;
    f->is_resolved = false;
    f->is_child_failed = false;
    f->n_children = n;
    f->n_launched = 0;
    f->n_finished = 0;
    f->max_running = max_running && max_running < n ? max_running : n;
    f->results = json_new_arr(ex->a);
    f->is_slot_done = arena_zalloc(ex->a, (n + 1) * sizeof *f->is_slot_done);
    for (size_t i = 0; i < n; i++)
        json_arr_push(ex->a, f->results, json_new_null(ex->a));
    f->phase = PH_CHILDREN;
    for (size_t i = 0; i < f->max_running; i++)
        launch_child(ex, f);
}

/* Runs a Task's integration; on success turns the result into the state's
 * transition (sfn__step_result). Returns the effects in *eff. */
static void do_task(exec_t *ex, const sfn_program_t *p, int idx, const json_t *input,
                    const json_t *ctx, int64_t *prev, size_t row, sfn_effects_t *eff) {
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
    ex->steps[row].ddb_response = o.ddb_response;
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

/* PH_ENTER: records the entry into state `idx`. Returns false when the
 * frame finished (or the execution timed out) instead. */
static bool enter_state(exec_t *ex, frame_t *f) {
    const sfn_state_t *st;
    char evtype[64];
    if (f->idx < 0) {
        frame_finish(ex, f, true, f->in, NULL, NULL);
        return false;
    }
    if (past_deadline(ex))
        return false;
    if (ex->last_event_id >= SFN_MAX_HISTORY_EVENTS) {
        /* AWS's hard quota on history size; it also bounds a definition
         * that loops forever without waiting. No state prefix. */
        frame_finish(ex, f, false, NULL, "States.Runtime",
                     arena_sprintf(ex->a,
                                   "The execution reached the maximum number of history "
                                   "events (%d).",
                                   SFN_MAX_HISTORY_EVENTS));
        return false;
    }
    st = &f->p->states[f->idx];
    f->entered_ms = now_ms(ex);
    f->entered_iso = iso(ex, f->entered_ms);
    snprintf(evtype, sizeof evtype, "%sStateEntered", st->type_name);
    f->entered_id = ev_add(ex, &f->prev, evtype, "stateEnteredEventDetails",
                           d_entered(ex, st->name, f->in));
    /* Retry counters live as long as this visit of the state: entering it
     * again starts them from zero. */
    f->retry_counts = arena_zalloc(ex->a, (st->n_retriers + 1) * sizeof *f->retry_counts);
    f->n_retries = 0;
    return true;
}

/* PH_ATTEMPT: runs the state once. Returns true when f->eff is ready to be
 * handled, false when the frame blocked (Wait, children). */
static bool attempt(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    f->ctx = make_ctx(ex, st, f->entered_iso, f->n_retries, NULL);
    f->row = trace_add(ex, st, f->in, f->entered_ms, f->depth);
    f->is_child_error = false;
    sfn__step_enter(ex->a, f->p, f->idx, f->in, f->ctx, now_ms(ex), &f->eff);
    switch (f->eff.kind) {
    case SFN_EFF_TASK:
        do_task(ex, f->p, f->idx, f->in, f->ctx, &f->prev, f->row, &f->eff);
        return true;
    case SFN_EFF_PARALLEL:
        f->started_id = ev_add(ex, &f->prev, "ParallelStateStarted", NULL, NULL);
        start_children(ex, f, st->n_branches, 0);
        return false;
    case SFN_EFF_MAP: {
        json_t *items = f->eff.items, *d = json_new_obj(ex->a);
        f->child_inputs = arena_alloc(ex->a, (items->len + 1) * sizeof *f->child_inputs);
        for (size_t i = 0; i < items->len; i++) {
            json_t *item = json_new_obj(ex->a);
            sw_error_t err;
            json_obj_set(ex->a, item, "Index", json_new_num_i64(ex->a, (int64_t)i));
            json_obj_set(ex->a, item, "Value", items->u.items[i]);
            if (sfn__step_map_item(ex->a, f->p, f->idx, f->eff.effective_input,
                                   items->u.items[i],
                                   make_ctx(ex, st, f->entered_iso, 0, item),
                                   &f->child_inputs[i], &err) < 0) {
                f->eff.kind = SFN_EFF_FAIL;
                f->eff.error = err.type ? err.type : "States.Runtime";
                f->eff.cause = arena_strdup(ex->a, err.msg);
                f->eff.result = f->eff.error;
                return true;
            }
        }
        json_obj_set(ex->a, d, "length", json_new_num_i64(ex->a, (int64_t)items->len));
        f->started_id = ev_add(ex, &f->prev, "MapStateStarted", "mapStateStartedEventDetails", d);
        if (items->len == 0) {
            ev_add(ex, &f->prev, "MapStateSucceeded", NULL, NULL);
            sfn__step_result(ex->a, f->p, f->idx, f->in, json_new_arr(ex->a), f->ctx, &f->eff);
            return true;
        }
        start_children(ex, f, items->len, (size_t)st->max_concurrency);
        return false;
    }
    case SFN_EFF_WAIT:
        if (f->eff.delay_ms <= 0) {
            f->eff.kind = SFN_EFF_TRANSITION;
            return true;
        }
        f->phase = PH_WAIT_DONE;
        sleep_until(ex, f, now_ms(ex) + f->eff.delay_ms);
        return false;
    case SFN_EFF_TRANSITION:
    case SFN_EFF_FAIL:
    case SFN_EFF_RETRY:
        break;
    }
    return true;
}

/* PH_CHILDREN_DONE: the Parallel / Map outcome becomes the state's effect. */
static void children_outcome(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    bool is_par = st->type == SFN_STATE_PARALLEL;
    f->prev = ex->last_event_id;
    if (f->is_child_failed) {
        ev_add(ex, &f->prev, is_par ? "ParallelStateFailed" : "MapStateFailed", NULL, NULL);
        f->eff.kind = SFN_EFF_FAIL;
        f->eff.error = f->child_error;
        f->eff.cause = f->child_cause;
        f->eff.result = f->child_error;
        f->is_child_error = true;
        return;
    }
    ev_add(ex, &f->prev, is_par ? "ParallelStateSucceeded" : "MapStateSucceeded", NULL, NULL);
    sfn__step_result(ex->a, f->p, f->idx, f->in, f->results, f->ctx, &f->eff);
}

/* Applies f->eff: Retry/Catch decisions, the state's exit, the next state.
 * Returns true when the frame moved on to its next state. */
static bool handle_effect(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    sfn_effects_t *eff = &f->eff;
    sfn_trace_step_t *row = &ex->steps[f->row];
    char evtype[64];
    row->action = eff->action;
    if (eff->kind == SFN_EFF_FAIL && !eff->is_fail_state &&
        (st->type == SFN_STATE_TASK || st->type == SFN_STATE_PARALLEL ||
         st->type == SFN_STATE_MAP)) {
        const char *error = eff->error ? eff->error : "States.Runtime";
        sfn__step_error(ex->a, f->p, f->idx, f->in, error, eff->cause, f->retry_counts,
                        (double)(rng_next(ex) >> 11) / 9007199254740992.0, eff);
        /* A Catcher that failed (ResultPath) raised a new error here. */
        if (eff->kind == SFN_EFF_FAIL && eff->error != error)
            f->is_child_error = false;
    }
    row->result = eff->result;
    if (eff->kind == SFN_EFF_RETRY) {
        row->next = st->name;
        f->retry_counts[eff->retrier]++;
        f->n_retries++;
        f->phase = PH_RETRY_DUE;
        sleep_until(ex, f, now_ms(ex) + eff->delay_ms);
        return false;
    }
    if (eff->kind == SFN_EFF_FAIL) {
        const char *error = eff->error ? eff->error : "States.Runtime";
        const char *cause = eff->cause;
        /* A child's failure already carries its own state's prefix. */
        if (strcmp(error, "States.Runtime") == 0 && !eff->is_fail_state && !f->is_child_error)
            cause = arena_sprintf(ex->a,
                                  "An error occurred while executing the state '%s' "
                                  "(entered at the event id #%lld). %s",
                                  st->name, (long long)f->entered_id, cause ? cause : "");
        frame_finish(ex, f, false, NULL, error, cause);
        return false;
    }
    /* TRANSITION (possibly through a Catcher). */
    {
        /* States exchange at most 256 KiB (AWS quota); the text is the
         * history's copy of the output as well. */
        char *text = json_to_str(ex->a, eff->output);
        json_t *d;
        if (strlen(text) > SFN_MAX_PAYLOAD_BYTES) {
            row->result = "States.DataLimitExceeded";
            frame_finish(ex, f, false, NULL, "States.DataLimitExceeded",
                         arena_sprintf(ex->a,
                                       "The state/task '%s' returned a result with a size "
                                       "exceeding the maximum number of bytes service limit.",
                                       st->name));
            return false;
        }
        row->output = eff->output;
        row->next = eff->next >= 0 ? f->p->states[eff->next].name : NULL;
        d = json_new_obj(ex->a);
        json_obj_set(ex->a, d, "name", jstr(ex, st->name));
        json_obj_set(ex->a, d, "output", json_new_strz(ex->a, text));
        json_obj_set(ex->a, d, "outputDetails", truncated_false(ex));
        snprintf(evtype, sizeof evtype, "%sStateExited", st->type_name);
        ev_add(ex, &f->prev, evtype, "stateExitedEventDetails", d);
    }
    f->in = eff->output;
    f->idx = eff->next;
    f->phase = PH_ENTER;
    return true;
}

/* Advances frame `f` until it blocks or finishes. */
static void frame_step(exec_t *ex, frame_t *f) {
    for (;;) {
        switch (f->phase) {
        case PH_ENTER:
            if (!enter_state(ex, f))
                return;
            f->phase = PH_ATTEMPT;
            continue;
        case PH_RETRY_DUE:
            f->phase = PH_ATTEMPT;
            continue;
        case PH_ATTEMPT:
            if (!attempt(ex, f))
                return;
            break;
        case PH_CHILDREN_DONE:
            children_outcome(ex, f);
            break;
        case PH_WAIT_DONE:
            f->eff.kind = SFN_EFF_TRANSITION;
            break;
        case PH_CHILDREN:
        case PH_DONE:
            return;
        }
        if (ex->is_timed_out || !handle_effect(ex, f))
            return;
    }
}

/* Runs frames until the root finishes or the execution times out. */
static void run_frames(exec_t *ex, frame_t *root) {
    make_ready(ex, root);
    while (root->phase != PH_DONE && !ex->is_timed_out) {
        frame_t *f = pop_ready(ex);
        size_t best = SIZE_MAX;
        if (f) {
            if (frame_is_live(f))
                frame_step(ex, f);
            continue;
        }
        /* Nothing ready: wake the earliest live sleeper. */
        for (size_t i = 0; i < ex->n_sleepers;) {
            frame_t *s = ex->sleepers[i];
            if (!frame_is_live(s)) {
                ex->sleepers[i] = ex->sleepers[--ex->n_sleepers];
                continue;
            }
            if (best == SIZE_MAX || s->wake_ms < ex->sleepers[best]->wake_ms ||
                (s->wake_ms == ex->sleepers[best]->wake_ms &&
                 s->sleep_seq < ex->sleepers[best]->sleep_seq))
                best = i;
            i++;
        }
        if (best == SIZE_MAX)
            SW_BUG("execution has no runnable frame");
        f = ex->sleepers[best];
        ex->sleepers[best] = ex->sleepers[--ex->n_sleepers];
        if (f->wake_ms > now_ms(ex) && !ex_sleep(ex, f->wake_ms - now_ms(ex)))
            break;
        make_ready(ex, f);
    }
}

/* ---- sfn_run ---------------------------------------------------------- */

int sfn_run_with(sfn_t *sf, const json_t *definition, const json_t *input,
                 const sfn_run_opts_t *opts, arena_t *a, sfn_run_result_t *out,
                 sw_error_t *err) {
    exec_t ex;
    sfn_program_t *prog;
    frame_t *root;
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
    /* Runs may come from several threads (the server): count atomically. */
    ex.rng = (uint64_t)start_ms * 0x9E3779B97F4A7C15ull +
             __atomic_add_fetch(&sf->n_runs, 1, __ATOMIC_RELAXED) * 0xBF58476D1CE4E5B9ull;
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

    root = frame_new(&ex, prog, NULL, 0, (json_t *)input, prev);
    run_frames(&ex, root);
    prev = ex.last_event_id;
    if (ex.is_timed_out) {
        out->status = "TIMED_OUT";
        out->error = "States.Timeout";
        out->cause = NULL;
        ev_add(&ex, &prev, "ExecutionTimedOut", "executionTimedOutEventDetails",
               d_error(&ex, out->error, NULL));
    } else if (root->is_ok) {
        out->status = "SUCCEEDED";
        out->output = root->output;
        d = json_new_obj(a);
        json_obj_set(a, d, "output", jtext(&ex, root->output));
        json_obj_set(a, d, "outputDetails", truncated_false(&ex));
        ev_add(&ex, &prev, "ExecutionSucceeded", "executionSucceededEventDetails", d);
    } else {
        out->status = "FAILED";
        out->error = root->error;
        out->cause = root->cause;
        ev_add(&ex, &prev, "ExecutionFailed", "executionFailedEventDetails",
               d_error(&ex, root->error, root->cause));
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
