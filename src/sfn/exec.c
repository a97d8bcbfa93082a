/* exec.c - executions: the frame loop and its two drivers.
 *
 * Loops the pure step function over a frame (the root program; Parallel
 * branches and Map iterations run as child frames), performs Task calls
 * through ddb_call_txn inside a store write transaction that also records
 * the execution's progress (STORE_EXEC) and its new history events
 * (STORE_HISTORY), sleeps through the clock (virtual or real), applies
 * Retry/Catch decisions, enforces the execution's TimeoutSeconds, and
 * builds the AWS-format history and the trace. run_inline runs one
 * execution to its end (sfn_run, EXPRESS); sfn__exec_advance runs a
 * STANDARD execution from its durable record until it parks (Wait, retry
 * back-off, activity or callback token) or ends; the API side of
 * executions (start, stop, activity tasks, SendTask*) lives here too
 * because it writes the same records.
 *
 * Must not hold ASL semantics (step.c does) nor DynamoDB knowledge
 * (tasks.c does). */
#include "base/hash.h"
#include "base/rand.h"
#include <string.h>
#include "sfn/sfn_int.h"

/* AWS quotas: 25,000 events in one execution's history; 256 KiB of JSON
 * passed between states. */
#define SFN_MAX_HISTORY_EVENTS 25000
#define SFN_MAX_PAYLOAD_BYTES 262144

/* Length of a JSON string as json_print writes it (escapes included). */
static size_t printed_str_len(const char *s, size_t len) {
    size_t n = len + 2;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' ||
            c == '\f')
            n += 1;
        else if (c < 0x20)
            n += 5;
    }
    return n;
}

/* True when `v` printed compactly (as the history records it) is longer
 * than `*budget` bytes; counts without allocating and stops early. */
static bool payload_exceeds(const json_t *v, size_t *budget) {
    size_t n;
    if (!v)
        n = 4;
    else
        switch (v->type) {
        case JSON_NULL:
        case JSON_TRUE: n = 4; break;
        case JSON_FALSE: n = 5; break;
        case JSON_NUMBER: n = v->len; break;
        case JSON_STRING: n = printed_str_len(v->u.str, v->len); break;
        case JSON_ARRAY:
            n = 2 + (v->len ? v->len - 1 : 0);
            if (n > *budget)
                return true;
            *budget -= n;
            for (size_t i = 0; i < v->len; i++)
                if (payload_exceeds(v->u.items[i], budget))
                    return true;
            return false;
        case JSON_OBJECT:
        default:
            n = 2 + (v->len ? v->len - 1 : 0);
            if (n > *budget)
                return true;
            *budget -= n;
            for (size_t i = 0; i < v->len; i++) {
                const json_member_t *m = &v->u.members[i];
                n = printed_str_len(m->key, m->key_len) + 1;
                if (n > *budget)
                    return true;
                *budget -= n;
                if (payload_exceeds(m->val, budget))
                    return true;
            }
            return false;
        }
    if (n > *budget)
        return true;
    *budget -= n;
    return false;
}

/* True when `v` is over the 256 KiB payload quota. */
static bool payload_is_too_big(const json_t *v) {
    size_t budget = SFN_MAX_PAYLOAD_BYTES;
    return payload_exceeds(v, &budget);
}


/* ---- The engine handle ------------------------------------------------ */

int sfn_open(store_t *store, ddb_t *db, sw_clock_t *clock, sfn_t **out, sw_error_t *err) {
    sfn_t *sf = calloc(1, sizeof *sf);
    (void)err;
    if (!sf)
        SW_BUG("out of memory");
    sf->store = store;
    sf->db = db;
    sf->clock = clock;
    if (sfn_set_location(sf, DDB_DEFAULT_REGION, DDB_DEFAULT_ACCOUNT, err) < 0)
        SW_BUG("default location rejected");
    *out = sf;
    return 0;
}

int sfn_set_location(sfn_t *sf, const char *region, const char *account, sw_error_t *err) {
    /* One rule for both engines: a server's tables and state machines live
     * in the same region and account. */
    if (ddb_location_check(region, account, err) < 0)
        return -1;
    snprintf(sf->region, sizeof sf->region, "%s", region);
    snprintf(sf->account, sizeof sf->account, "%s", account);
    snprintf(sf->arn_prefix, sizeof sf->arn_prefix, "arn:aws:states:%s:%s:", region, account);
    return 0;
}

void sfn_close(sfn_t *sf) {
    if (!sf)
        return;
    sfn_stop(sf);
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
    /* Durable executions (sfn__exec_advance; see sfn_int.h). */
    bool is_durable;           /* checkpoints, timers, root parks */
    bool is_ephemeral;         /* EXPRESS: nothing is written */
    bool is_halted;            /* the record changed under us (stopped) */
    bool is_parked;            /* the execution sleeps on a durable timer */
    bool is_replay_park;       /* ... for a child frame: replays on wake */
    int64_t park_ms;
    /* Replaying from an ENTER checkpoint: the clock reads the time the
     * first run was at (the checkpoint's, then each memo's) until the
     * replay meets an effect it has no memo of, or writes. */
    bool is_replaying;
    int64_t replay_ms;
    uint64_t draw_seed;        /* durable runs: the record's "seed" */
    int64_t base_event_id;     /* events before this run (in the store) */
    int64_t written_id;        /* events up to this id are in the store
                                  already: a replay makes them again, and
                                  they are not written twice */
    int64_t flushed_id;        /* the record's lastEventId as last written */
    int64_t timer_ms;          /* the record's live timer, -1 = none */
    int64_t start_ms;
    const char *type;          /* "STANDARD" / "EXPRESS" */
    const char *role;
    store_txn_t *txn;          /* checkpoint pending after a root Task */
    const char *input_text;    /* the input as the request gave it */
    /* An activity task posted by this run, written with the checkpoint. */
    const char *new_token, *new_token_activity;
    json_t *activity;          /* resume fields of the ACTIVITY phase */
    const char *drop_token;    /* a timed-out task's token, deleted with the
                                  checkpoint */
    bool has_store_error;
    sw_error_t store_err;
    frame_t *root;
} exec_t;


/* States.DataLimitExceeded in `eff` (terminal: no Retry/Catch handles it).
 * `who` is the state name, or the Task's resource when a connector's
 * output is too big, as AWS's cause names them. */
static void data_limit_fail(exec_t *ex, sfn_effects_t *eff, const char *who, bool is_input) {
    eff->kind = SFN_EFF_FAIL;
    eff->error = "States.DataLimitExceeded";
    if (is_input)
        eff->cause = arena_sprintf(ex->a,
                                   "The state/task '%s' has an input with a size exceeding "
                                   "the maximum number of bytes service limit.",
                                   who);
    else
        eff->cause = arena_sprintf(ex->a,
                                   "The state/task '%s' returned a result with a size "
                                   "exceeding the maximum number of bytes service limit.",
                                   who);
    eff->result = eff->error;
}

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

int64_t sfn__now_ms(sfn_t *sf) {
    return clock_now_ms(sf->clock);
}

void sfn__sleep_ms(sfn_t *sf, int64_t ms) {
    clock_sleep_ms(sf->clock, ms);
}

static int64_t now_ms(exec_t *ex) {
    return ex->is_replaying ? ex->replay_ms : sfn__now_ms(ex->sf);
}

/* The replay has caught up with what the first run did. */
static void replay_end(exec_t *ex) {
    ex->is_replaying = false;
}

/* The replay passes a memo of time `ms`. */
static void replay_at(exec_t *ex, int64_t ms) {
    int64_t real_ms = sfn__now_ms(ex->sf);
    if (ex->is_replaying && ms > ex->replay_ms)
        ex->replay_ms = ms < real_ms ? ms : real_ms;
}

static const char *iso(exec_t *ex, int64_t ms) {
    char *buf = arena_alloc(ex->a, 32);
    clock_format_iso(ms, buf, 32);
    return buf;
}

/* Sleeps `ms`, but not past the execution's deadline; returns false (and
 * marks the execution timed out) when the deadline cut the sleep short.
 * Only runs that are not durable sleep here: a durable one parks on a timer
 * instead (run_frames), so no worker ever waits. */
static bool ex_sleep(exec_t *ex, int64_t ms) {
    bool is_cut = false;
    if (ex->deadline_ms) {
        int64_t left = ex->deadline_ms - now_ms(ex);
        if (ms >= left) {
            ms = left;
            is_cut = true;
        }
    }
    if (ms > 0) {
        SW_ASSERT(!ex->is_durable);
        sfn__sleep_ms(ex->sf, ms);
    }
    if (is_cut) {
        ex->is_timed_out = true;
        return false;
    }
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
                          : st->task_kind == SFN_TASK_CALLBACK    ? st->task_op
                                                                  : "aws-sdk:dynamodb"));
    json_obj_set(ex->a, d, "resource", jstr(ex, st->task_action));
    return d;
}

/* ---- Trace ------------------------------------------------------------ */

/* Appends a row; returns its index (rows move when the array grows). */
static size_t trace_add(exec_t *ex, const sfn_state_t *st, const json_t *input,
                        int64_t entered_ms, int64_t attempt_ms, int attempt, int depth) {
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
    s->time_ms = attempt_ms;
    s->time = attempt_ms == entered_ms ? s->entered_time : iso(ex, attempt_ms);
    s->attempt = attempt;
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
    PH_ACTIVITY,       /* the root waits for an activity worker */
    PH_TASK_DONE,      /* f->eff holds the activity's outcome */
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
    int64_t entry_prev;        /* `prev` before its StateEntered event */
    const char *entered_iso;
    int *retry_counts;
    int n_retries;
    int n_visits;              /* states entered so far in this frame */
    const char *path;          /* place in the frame tree (sfn_int.h) */
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

/* Seeds the thread's intrinsic draws (sfn__draws_seed) for the step `f`
 * is about to take (`what`: 'E' entry, 'R' result, 'M' Map items): in a
 * durable run a function of the execution's seed and the step's place, so
 * that a replay draws as the first run did; elsewhere the kernel's. */
static void draws_here(const exec_t *ex, const frame_t *f, char what) {
    uint64_t h;
    int where[2];
    if (!ex->is_durable) {
        sfn__draws_seed(false, 0);
        return;
    }
    where[0] = f->n_visits;
    where[1] = f->n_retries;
    h = sw_fnv1a(f->path, strlen(f->path), SW_FNV1A_BASIS ^ ex->draw_seed);
    h = sw_fnv1a(where, sizeof where, h);
    h = sw_fnv1a(&what, 1, h);
    sfn__draws_seed(true, h);
}

/* ---- Persistence ------------------------------------------------------ */

/* History key: execution ARN, NUL, event id (u32 big-endian), so one
 * execution's events are one ordered range. */
size_t sfn__history_key(const char *arn, int64_t id, unsigned char *key) {
    size_t alen = strlen(arn);
    if (alen + 5 > STORE_MAX_KEY)
        alen = STORE_MAX_KEY - 5;
    memcpy(key, arn, alen);
    key[alen] = 0;
    key[alen + 1] = (unsigned char)(id >> 24);
    key[alen + 2] = (unsigned char)(id >> 16);
    key[alen + 3] = (unsigned char)(id >> 8);
    key[alen + 4] = (unsigned char)id;
    return alen + 5;
}

size_t sfn__timer_key(int64_t due_ms, const char *arn, unsigned char *key) {
    size_t alen = strlen(arn);
    uint64_t d = (uint64_t)due_ms;
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)(d >> (56 - 8 * i));
    if (alen + 8 > STORE_MAX_KEY)
        alen = STORE_MAX_KEY - 8;
    memcpy(key + 8, arn, alen);
    return alen + 8;
}

/* STORE_TOKENS keys: "t:<token>" and "q:<activity ARN>\0<seq u64 BE>".
 * Return the length, 0 when it would not fit. */
static size_t token_key(const char *token, unsigned char *key) {
    size_t n = strlen(token);
    if (n + 2 > STORE_MAX_KEY)
        return 0;
    memcpy(key, "t:", 2);
    memcpy(key + 2, token, n);
    return n + 2;
}

static size_t queue_key(const char *activity_arn, int64_t seq, unsigned char *key) {
    size_t n = strlen(activity_arn);
    if (n + 11 > STORE_MAX_KEY)
        return 0;
    memcpy(key, "q:", 2);
    memcpy(key + 2, activity_arn, n);
    key[2 + n] = 0;
    for (int i = 0; i < 8; i++)
        key[3 + n + (size_t)i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
    return n + 11;
}

/* Deletes a task token and its queue entry (missing ones are fine). */
static int drop_token(store_txn_t *txn, arena_t *a, const char *token, sw_error_t *err) {
    unsigned char key[STORE_MAX_KEY];
    size_t klen = token_key(token, key);
    const void *v;
    size_t len;
    json_t *t;
    int64_t seq;
    sw_error_t perr;
    if (!klen || !store_get(txn, STORE_TOKENS, key, klen, &v, &len))
        return 0;
    t = json_parse(a, v, len, &perr);
    if (store_del(txn, STORE_TOKENS, key, klen, err) < 0)
        return -1;
    if (t && json_num_i64(json_obj_get(t, "queueSeq"), &seq) &&
        json_obj_get_str(t, "activityArn") &&
        (klen = queue_key(json_obj_get_str(t, "activityArn"), seq, key)) &&
        store_del(txn, STORE_TOKENS, key, klen, err) < 0)
        return -1;
    return 0;
}

json_t *sfn__exec_get(store_txn_t *txn, arena_t *a, const char *arn) {
    const void *v;
    size_t len;
    sw_error_t err;
    if (strlen(arn) > STORE_MAX_KEY - 8 || !store_get(txn, STORE_EXEC, arn, strlen(arn), &v, &len))
        return NULL;
    return json_parse(a, v, len, &err);
}

json_t *sfn__exec_get_def(store_txn_t *txn, arena_t *a, const char *arn) {
    const void *v;
    size_t len, alen = strlen(arn);
    char key[STORE_MAX_KEY];
    sw_error_t err;
    if (alen + 4 > sizeof key)
        return NULL;
    memcpy(key, arn, alen);
    memcpy(key + alen, "\0def", 4);
    if (!store_get(txn, STORE_EXEC, key, alen + 4, &v, &len))
        return NULL;
    return json_parse(a, v, len, &err);
}

/* ---- Replay memos (sfn_int.h) ---------------------------------------- */

/* True when frame `f`'s effects are memoized: child frames of durable
 * runs that write. */
static bool memo_applies(const exec_t *ex, const frame_t *f) {
    return ex->is_durable && !ex->is_ephemeral && ex->sf->store && f->parent;
}

/* The memo key of `kind` for the current attempt of frame `f` (its state
 * too: should a replay ever take another way, it finds no memo rather than
 * another state's); 0 when it would not fit a store key (the effect is then
 * not memoized). */
static size_t memo_key(const exec_t *ex, const frame_t *f, char kind, unsigned char *key) {
    size_t alen = strlen(ex->exec_arn);
    int n = snprintf((char *)key + alen + 2, STORE_MAX_KEY > alen + 2 ? STORE_MAX_KEY - alen - 2 : 0,
                     "%s@%d.%d.%d%c", f->path, f->n_visits, f->n_retries, f->idx, kind);
    if (alen + 2 >= STORE_MAX_KEY || n < 0 || alen + 2 + (size_t)n >= STORE_MAX_KEY)
        return 0;
    memcpy(key, ex->exec_arn, alen);
    key[alen] = 0;
    key[alen + 1] = 'm';
    return alen + 2 + (size_t)n;
}

/* The memo of `kind` for `f` (parsed, in ex->a) or NULL. */
static json_t *memo_get(exec_t *ex, store_txn_t *txn, const frame_t *f, char kind) {
    unsigned char key[STORE_MAX_KEY];
    size_t klen = memo_key(ex, f, kind, key), len;
    const void *v;
    sw_error_t perr;
    if (!klen || !store_get(txn, STORE_EXEC, key, klen, &v, &len))
        return NULL;
    return json_parse(ex->a, v, len, &perr);
}

static int memo_put(exec_t *ex, store_txn_t *txn, const frame_t *f, char kind,
                    const json_t *val, sw_error_t *err) {
    unsigned char key[STORE_MAX_KEY];
    size_t klen = memo_key(ex, f, kind, key);
    char *text;
    if (!klen)
        return 0;
    text = json_to_str(ex->a, val);
    return store_put(txn, STORE_EXEC, key, klen, text, strlen(text), err);
}

/* Deletes every memo of execution `arn` (it ended). */
static int memo_drop_all(store_txn_t *txn, arena_t *a, const char *arn, sw_error_t *err) {
    size_t alen = strlen(arn), n = 0, cap = 16;
    unsigned char prefix[STORE_MAX_KEY];
    struct { void *k; size_t len; } *keys;
    store_cursor_t *c;
    const void *k, *v;
    size_t k_len, v_len;
    if (alen + 2 > sizeof prefix)
        return 0;
    memcpy(prefix, arn, alen);
    prefix[alen] = 0;
    prefix[alen + 1] = 'm';
    keys = arena_alloc(a, cap * sizeof *keys);
    if (store_cursor_open(txn, STORE_EXEC, &c, err) < 0)
        return -1;
    /* Collected first: the cursor must not see its own deletions. */
    for (bool ok = store_cursor_seek(c, prefix, alen + 2, &k, &k_len, &v, &v_len);
         ok && k_len >= alen + 2 && memcmp(k, prefix, alen + 2) == 0;
         ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
        if (n == cap) {
            void *bigger = arena_alloc(a, 2 * cap * sizeof *keys);
            memcpy(bigger, keys, n * sizeof *keys);
            keys = bigger;
            cap *= 2;
        }
        keys[n].k = arena_alloc(a, k_len);
        memcpy(keys[n].k, k, k_len);
        keys[n++].len = k_len;
    }
    store_cursor_close(c);
    for (size_t i = 0; i < n; i++)
        if (store_del(txn, STORE_EXEC, keys[i].k, keys[i].len, err) < 0)
            return -1;
    return 0;
}

/* Where the root frame resumes (see sfn_int.h): `phase` "ENTER" (enter
 * state root->idx with root->in), "WAIT" or "RETRY" (the root sleeps in
 * state root->idx). */
static json_t *resume_json(exec_t *ex, const char *phase) {
    frame_t *f = ex->root;
    json_t *r = json_new_obj(ex->a);
    json_obj_set(ex->a, r, "state", jstr(ex, f->p->states[f->idx].name));
    json_obj_set(ex->a, r, "input", jtext(ex, f->in));
    json_obj_set(ex->a, r, "prev", json_new_num_i64(ex->a, f->prev));
    json_obj_set(ex->a, r, "phase", jstr(ex, phase));
    json_obj_set(ex->a, r, "visits", json_new_num_i64(ex->a, f->n_visits));
    /* When the run that resumes here starts, in the first run's time: a
     * replay's clock starts there. */
    if (strcmp(phase, "ENTER") == 0)
        json_obj_set(ex->a, r, "atMs", json_new_num_i64(ex->a, now_ms(ex)));
    else if (strcmp(phase, "WAIT") == 0 || strcmp(phase, "RETRY") == 0)
        json_obj_set(ex->a, r, "atMs", json_new_num_i64(ex->a, ex->park_ms));
    if (strcmp(phase, "ENTER") != 0) {
        const sfn_state_t *st = &f->p->states[f->idx];
        json_t *counts = json_new_arr(ex->a);
        for (size_t i = 0; i < st->n_retriers; i++)
            json_arr_push(ex->a, counts, json_new_num_i64(ex->a, f->retry_counts[i]));
        json_obj_set(ex->a, r, "enteredId", json_new_num_i64(ex->a, f->entered_id));
        json_obj_set(ex->a, r, "enteredMs", json_new_num_i64(ex->a, f->entered_ms));
        json_obj_set(ex->a, r, "retryCounts", counts);
        json_obj_set(ex->a, r, "nRetries", json_new_num_i64(ex->a, f->n_retries));
    }
    for (size_t i = 0; ex->activity && strcmp(phase, "ACTIVITY") == 0 && i < ex->activity->len;
         i++)
        json_obj_set(ex->a, r, ex->activity->u.members[i].key, ex->activity->u.members[i].val);
    return r;
}

/* Writes the execution record (status, `resume` point or, once ended, the
 * outcome in ex->final), every history event not yet written and the
 * timer change (ex->timer_ms -> `timer_ms`; -1 = none). */
static int persist(exec_t *ex, store_txn_t *txn, const char *status, json_t *resume,
                   int64_t timer_ms, sw_error_t *err) {
    json_t *rec = json_new_obj(ex->a);
    char *text;
    unsigned char key[STORE_MAX_KEY];
    json_obj_set(ex->a, rec, "executionArn", jstr(ex, ex->exec_arn));
    json_obj_set(ex->a, rec, "stateMachineArn", jstr(ex, ex->machine_arn));
    json_obj_set(ex->a, rec, "name", jstr(ex, ex->name));
    json_obj_set(ex->a, rec, "type", jstr(ex, ex->type ? ex->type : "STANDARD"));
    json_obj_set(ex->a, rec, "status", jstr(ex, status));
    json_obj_set(ex->a, rec, "startMs", json_new_num_i64(ex->a, ex->start_ms));
    json_obj_set(ex->a, rec, "input",
                 ex->input_text ? jstr(ex, ex->input_text)
                                : jtext(ex, json_obj_get(ex->ctx_execution, "Input")));
    json_obj_set(ex->a, rec, "roleArn", jstr(ex, ex->role));
    if (ex->is_durable)
        json_obj_set(ex->a, rec, "seed",
                     jstr(ex, arena_sprintf(ex->a, "%016llx", (unsigned long long)ex->draw_seed)));
    if (resume)
        json_obj_set(ex->a, rec, "resume", resume);
    if (timer_ms >= 0)
        json_obj_set(ex->a, rec, "timerMs", json_new_num_i64(ex->a, timer_ms));
    if (ex->final) {
        if (ex->final->output)
            json_obj_set(ex->a, rec, "output", jtext(ex, ex->final->output));
        if (ex->final->error)
            json_obj_set(ex->a, rec, "error", jstr(ex, ex->final->error));
        if (ex->final->cause)
            json_obj_set(ex->a, rec, "cause", jstr(ex, ex->final->cause));
        json_obj_set(ex->a, rec, "stopMs", json_new_num_i64(ex->a, ex->final->stop_ms));
    }
    json_obj_set(ex->a, rec, "lastEventId",
                 json_new_num_i64(ex->a, ex->last_event_id > ex->written_id ? ex->last_event_id
                                                                            : ex->written_id));
    text = json_to_str(ex->a, rec);
    if (store_put(txn, STORE_EXEC, ex->exec_arn, strlen(ex->exec_arn), text, strlen(text),
                  err) < 0)
        return -1;
    for (; ex->n_flushed < ex->history->len; ex->n_flushed++) {
        const json_t *e = ex->history->u.items[ex->n_flushed];
        int64_t id = ex->base_event_id + (int64_t)ex->n_flushed + 1;
        char *etext;
        size_t klen;
        if (id <= ex->written_id)
            continue;   /* a replay made it again, as it was */
        etext = json_to_str(ex->a, e);
        klen = sfn__history_key(ex->exec_arn, id, key);
        if (store_put(txn, STORE_HISTORY, key, klen, etext, strlen(etext), err) < 0)
            return -1;
    }
    if (ex->written_id < ex->last_event_id)
        ex->written_id = ex->last_event_id;
    if (ex->timer_ms != timer_ms) {
        if (ex->timer_ms >= 0 &&
            store_del(txn, STORE_TIMERS, key, sfn__timer_key(ex->timer_ms, ex->exec_arn, key),
                      err) < 0)
            return -1;
        if (timer_ms >= 0 &&
            store_put(txn, STORE_TIMERS, key, sfn__timer_key(timer_ms, ex->exec_arn, key), "W", 1,
                      err) < 0)
            return -1;
    }
    ex->timer_ms = timer_ms;
    ex->flushed_id = ex->written_id;   /* the record's lastEventId, as written */
    if (ex->final && ex->is_durable && memo_drop_all(txn, ex->a, ex->exec_arn, err) < 0)
        return -1;
    if (ex->drop_token) {
        if (drop_token(txn, ex->a, ex->drop_token, err) < 0)
            return -1;
        ex->drop_token = NULL;
    }
    if (ex->new_token) {
        /* The task goes on its activity's queue with the checkpoint. */
        int64_t seq = (int64_t)(((uint64_t)now_ms(ex) << 16) | (rng_next(ex) & 0xffff));
        json_t *t = json_new_obj(ex->a);
        char *ttext;
        json_obj_set(ex->a, t, "executionArn", jstr(ex, ex->exec_arn));
        if (ex->new_token_activity) {
            size_t qlen = queue_key(ex->new_token_activity, seq, key);
            if (!qlen)
                return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN: %s'",
                                    ex->new_token_activity);
            if (store_put(txn, STORE_TOKENS, key, qlen, ex->new_token, strlen(ex->new_token),
                          err) < 0)
                return -1;
            json_obj_set(ex->a, t, "activityArn", jstr(ex, ex->new_token_activity));
            json_obj_set(ex->a, t, "queueSeq", json_new_num_i64(ex->a, seq));
        }
        ttext = json_to_str(ex->a, t);
        if (store_put(txn, STORE_TOKENS, key, token_key(ex->new_token, key), ttext,
                      strlen(ttext), err) < 0)
            return -1;
        ex->new_token = NULL;
    }
    return 0;
}

/* Durable runs: true while the stored record is still the one this run
 * continues (RUNNING, nothing written since); StopExecution ends it. */
static bool record_is_ours(exec_t *ex, store_txn_t *txn) {
    json_t *rec = sfn__exec_get(txn, ex->a, ex->exec_arn);
    int64_t last = -1;
    const char *status = json_obj_get_str(rec, "status");
    return status && strcmp(status, "RUNNING") == 0 &&
           json_num_i64(json_obj_get(rec, "lastEventId"), &last) && last == ex->flushed_id;
}

/* Records the execution in its own transaction, or in the one a top-level
 * Task left open (durable runs). A durable run whose record changed under
 * it stops (is_halted) and writes nothing. */
static int persist_txn(exec_t *ex, const char *status, json_t *resume, int64_t timer_ms,
                       sw_error_t *err) {
    store_txn_t *txn = ex->txn;
    ex->txn = NULL;
    if (!ex->sf->store || ex->is_ephemeral) {
        if (txn)
            store_txn_abort(txn);
        return 0;
    }
    if (!txn && store_txn_begin(ex->sf->store, true, &txn, err) < 0)
        return -1;
    if (ex->is_durable && !record_is_ours(ex, txn)) {
        store_txn_abort(txn);
        ex->is_halted = true;
        return 0;
    }
    if (persist(ex, txn, status, resume, timer_ms, err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    return store_txn_commit(txn, err);
}

/* A resume point at state `state` with `input` (start of a run). */
static json_t *resume_enter(exec_t *ex, const char *state, const json_t *input) {
    json_t *r = json_new_obj(ex->a);
    json_obj_set(ex->a, r, "state", jstr(ex, state));
    json_obj_set(ex->a, r, "input", jtext(ex, input));
    json_obj_set(ex->a, r, "prev", json_new_num_i64(ex->a, 0));
    json_obj_set(ex->a, r, "phase", jstr(ex, "ENTER"));
    json_obj_set(ex->a, r, "atMs", json_new_num_i64(ex->a, now_ms(ex)));
    return r;
}

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

/* Puts `f` to sleep for `delay_ms` (a Wait, a retry back-off). A child
 * frame of a durable run sleeps until the wake-up time it memoized the
 * first time, so that a replay keeps the original due time. */
static void frame_sleep(exec_t *ex, frame_t *f, int64_t delay_ms) {
    int64_t wake_ms = now_ms(ex) + delay_ms;
    store_txn_t *txn;
    sw_error_t err;
    if (memo_applies(ex, f) && store_txn_begin(ex->sf->store, true, &txn, &err) == 0) {
        json_t *memo = memo_get(ex, txn, f, 'S');
        if ((memo && json_num_i64(json_obj_get(memo, "wakeMs"), &wake_ms)) ||
            !record_is_ours(ex, txn)) {   /* stopped: the run halts at its next write */
            store_txn_abort(txn);
        } else {
            json_t *m = json_new_obj(ex->a);
            replay_end(ex);   /* the first run never got here */
            wake_ms = now_ms(ex) + delay_ms;
            json_obj_set(ex->a, m, "wakeMs", json_new_num_i64(ex->a, wake_ms));
            if (memo_put(ex, txn, f, 'S', m, &err) < 0)
                store_txn_abort(txn);
            else
                store_txn_commit(txn, &err);   /* if lost, a replay waits anew */
        }
    }
    sleep_until(ex, f, wake_ms);
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
    /* The parent is in the Parallel / Map state that launches this child:
     * its visit count and attempt say which run of that state this is. */
    f->path = parent ? arena_sprintf(ex->a, "%s/%d.%d.%zu", parent->path, parent->n_visits,
                                     parent->n_retries, slot)
                     : "";
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
static void do_task(exec_t *ex, frame_t *f, size_t row, sfn_effects_t *eff) {
    const sfn_program_t *p = f->p;
    int idx = f->idx;
    const json_t *input = f->in, *ctx = f->ctx;
    int64_t *prev = &f->prev;
    const sfn_state_t *st = &p->states[idx];
    sfn_task_outcome_t o;
    store_txn_t *txn = NULL;
    sw_error_t err;
    json_t *d, *memo = NULL;

    /* A durable run commits a top-level Task's write with the checkpoint
     * that follows it, a child frame's with its memo; a run that is not
     * durable commits each Task's write with a checkpoint of its own. */
    if (ex->txn) {
        /* A retry without back-off: the checkpoint still pending is this
         * attempt's transaction too (one write transaction per thread). */
        txn = ex->txn;
        ex->txn = NULL;
    } else if (ex->sf->store && ex->sf->db && !ex->is_ephemeral &&
               store_txn_begin(ex->sf->store, true, &txn, &err) < 0) {
        txn = NULL;
    } else if (txn && ex->is_durable && !record_is_ours(ex, txn)) {
        store_txn_abort(txn);
        ex->is_halted = true;
        eff->kind = SFN_EFF_FAIL;
        eff->error = "States.Runtime";
        eff->cause = "The execution was stopped.";
        eff->result = eff->error;
        return;
    }
    if (txn && memo_applies(ex, f) && (memo = memo_get(ex, txn, f, 'T'))) {
        /* A replay: the call was made (and committed) before, then. */
        int64_t at_ms;
        store_txn_abort(txn);
        txn = NULL;
        if (json_num_i64(json_obj_get(memo, "atMs"), &at_ms))
            replay_at(ex, at_ms);
    } else {
        replay_end(ex);
    }

    d = d_task(ex, st);
    json_obj_set(ex->a, d, "region", jstr(ex, ex->sf->region));
    json_obj_set(ex->a, d, "parameters", jtext(ex, eff->task_params));
    if (st->timeout_s)
        json_obj_set(ex->a, d, "timeoutInSeconds", json_new_num_i64(ex->a, st->timeout_s));
    ev_add(ex, prev, "TaskScheduled", "taskScheduledEventDetails", d);
    ev_add(ex, prev, "TaskStarted", "taskStartedEventDetails", d_task(ex, st));

    if (memo) {
        memset(&o, 0, sizeof o);
        o.is_ok = json_obj_get(memo, "ok") && json_obj_get(memo, "ok")->type == JSON_TRUE;
        o.result = json_obj_get(memo, "result");
        o.ddb_response = json_obj_get(memo, "ddb");
        o.error = json_obj_get_str(memo, "error");
        o.cause = json_obj_get_str(memo, "cause");
    } else if (txn && memo_applies(ex, f)) {
        json_t *m = json_new_obj(ex->a);
        int rc;
        sfn__task_run(ex->a, ex->sf->db, txn, st, eff->task_params, request_id(ex), now_ms(ex),
                      &o);
        json_obj_set(ex->a, m, "ok", json_new_bool(ex->a, o.is_ok));
        json_obj_set(ex->a, m, "atMs", json_new_num_i64(ex->a, now_ms(ex)));
        if (o.result)
            json_obj_set(ex->a, m, "result", o.result);
        if (o.ddb_response)
            json_obj_set(ex->a, m, "ddb", o.ddb_response);
        if (o.error)
            json_obj_set(ex->a, m, "error", jstr(ex, o.error));
        if (o.cause)
            json_obj_set(ex->a, m, "cause", jstr(ex, o.cause));
        /* The write and its memo commit together, or neither does. */
        rc = memo_put(ex, txn, f, 'T', m, &err);
        if (rc < 0)
            store_txn_abort(txn);
        else
            rc = store_txn_commit(txn, &err);
        txn = NULL;
        if (rc < 0) {
            o.is_ok = false;
            o.error = "States.Runtime";
            o.cause = arena_sprintf(ex->a, "Could not record the task: %s", err.msg);
        }
    } else {
        sfn__task_run(ex->a, ex->sf->db, txn, st, eff->task_params, request_id(ex), now_ms(ex),
                      &o);
    }
    ex->steps[row].ddb_response = o.ddb_response;
    if (o.is_ok && payload_is_too_big(o.result)) {
        /* A connector's output over the quota fails the Task, whatever
         * ResultSelector would keep of it (AWS error-handling guide). */
        o.is_ok = false;
        o.error = "States.DataLimitExceeded";
        o.cause = arena_sprintf(ex->a,
                                "The state/task '%s' returned a result with a size exceeding "
                                "the maximum number of bytes service limit.",
                                st->resource);
    }
    if (o.is_ok) {
        d = d_task(ex, st);
        json_obj_set(ex->a, d, "output", jtext(ex, o.result));
        json_obj_set(ex->a, d, "outputDetails", truncated_false(ex));
        ev_add(ex, prev, "TaskSucceeded", "taskSucceededEventDetails", d);
        draws_here(ex, f, 'R');
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
    if (txn && ex->is_durable) {
        ex->txn = txn;
        return;
    }
    if (txn) {
        /* The DynamoDB write and the transition it leads to commit
         * together: a crash never applies the write twice nor loses it. */
        bool is_moving = eff->kind == SFN_EFF_TRANSITION && eff->next >= 0;
        int rc = persist(ex, txn, "RUNNING",
                         resume_enter(ex, is_moving ? p->states[eff->next].name : st->name,
                                      is_moving ? eff->output : input),
                         -1, &err);
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
    f->n_visits++;
    f->entered_ms = now_ms(ex);
    f->entered_iso = iso(ex, f->entered_ms);
    snprintf(evtype, sizeof evtype, "%sStateEntered", st->type_name);
    f->entry_prev = f->prev;
    f->entered_id = ev_add(ex, &f->prev, evtype, "stateEnteredEventDetails",
                           d_entered(ex, st->name, f->in));
    /* Retry counters live as long as this visit of the state: entering it
     * again starts them from zero. */
    f->retry_counts = arena_zalloc(ex->a, (st->n_retriers + 1) * sizeof *f->retry_counts);
    f->n_retries = 0;
    return true;
}

#define TASK_TOKEN_BYTES 48

/* A random task token (hex; AWS's tokens are opaque strings). */
static const char *new_task_token(exec_t *ex) {
    unsigned char b[TASK_TOKEN_BYTES];
    char *t = arena_alloc(ex->a, sizeof b * 2 + 1);
    sw_random_bytes(b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(t + 2 * i, 3, "%02x", b[i]);
    return t;
}

/* An activity Task: posts the task for GetActivityTask and parks the
 * execution until SendTaskSuccess / SendTaskFailure (or a timeout). Only
 * durable top-level Tasks can wait so; elsewhere it is a run-time error.
 * Returns true when f->eff is ready (the failure), false when parked. */
/* A callback Task on a DynamoDB action (aws-sdk:dynamodb:putItem
 * .waitForTaskToken): makes the call, in the transaction the parking
 * checkpoint commits (ex->txn), so the call is applied exactly once with
 * the wait it leads to. Records TaskSubmitted with the API's response and
 * returns true; false when the call failed (f->eff holds the Task's
 * failure, TaskFailed recorded) or the execution was stopped meanwhile. */
static bool callback_call(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    sfn_state_t call = *st;
    sfn_task_outcome_t o;
    store_txn_t *txn = ex->txn;
    sw_error_t err;
    json_t *d;
    call.task_kind = SFN_TASK_DDB_SDK;
    call.task_op = sfn__task_callback_op(ex->a, st);
    ex->txn = NULL;
    if (!txn && store_txn_begin(ex->sf->store, true, &txn, &err) < 0)
        txn = NULL;
    if (txn && !record_is_ours(ex, txn)) {
        store_txn_abort(txn);
        ex->is_halted = true;
        f->eff.kind = SFN_EFF_FAIL;
        f->eff.error = "States.Runtime";
        f->eff.cause = "The execution was stopped.";
        f->eff.result = f->eff.error;
        return false;
    }
    sfn__task_run(ex->a, ex->sf->db, txn, &call, f->eff.task_params, request_id(ex), now_ms(ex),
                  &o);
    ex->steps[f->row].ddb_response = o.ddb_response;
    d = d_task(ex, st);
    if (!o.is_ok) {
        if (txn)
            store_txn_abort(txn);   /* a failed request wrote nothing */
        json_obj_set(ex->a, d, "error", jstr(ex, o.error));
        json_obj_set(ex->a, d, "cause", jstr(ex, o.cause));
        ev_add(ex, &f->prev, "TaskFailed", "taskFailedEventDetails", d);
        f->eff.kind = SFN_EFF_FAIL;
        f->eff.error = o.error;
        f->eff.cause = o.cause;
        f->eff.result = o.error;
        return false;
    }
    ex->txn = txn;
    json_obj_set(ex->a, d, "output", jtext(ex, o.result));
    json_obj_set(ex->a, d, "outputDetails", truncated_false(ex));
    ev_add(ex, &f->prev, "TaskSubmitted", "taskSubmittedEventDetails", d);
    return true;
}

static bool schedule_activity(exec_t *ex, frame_t *f, const char *token) {
    const sfn_state_t *st = &f->p->states[f->idx];
    bool is_callback = st->task_kind == SFN_TASK_CALLBACK;
    json_t *d;
    int64_t now, due = -1;
    replay_end(ex);
    now = now_ms(ex);
    if (!token) {
        f->eff.kind = SFN_EFF_FAIL;
        f->eff.error = "States.Runtime";
        f->eff.cause = ex->is_durable
                           ? "Activity and callback tasks inside Parallel branches and Map "
                             "iterations are not supported by stepwise yet."
                           : "Activity and callback tasks need background executions "
                             "(stepwise serve).";
        f->eff.result = f->eff.error;
        return true;
    }
    if (is_callback) {
        /* Nothing is sent anywhere: the token waits for SendTask*. */
        d = d_task(ex, st);
        json_obj_set(ex->a, d, "region", jstr(ex, ex->sf->region));
        json_obj_set(ex->a, d, "parameters", jtext(ex, f->eff.task_params));
        if (st->timeout_s)
            json_obj_set(ex->a, d, "timeoutInSeconds", json_new_num_i64(ex->a, st->timeout_s));
        if (st->heartbeat_s)
            json_obj_set(ex->a, d, "heartbeatInSeconds",
                         json_new_num_i64(ex->a, st->heartbeat_s));
        ev_add(ex, &f->prev, "TaskScheduled", "taskScheduledEventDetails", d);
        ev_add(ex, &f->prev, "TaskStarted", "taskStartedEventDetails", d_task(ex, st));
        if (sfn__task_callback_op(ex->a, st) && !callback_call(ex, f))
            return true;   /* the call failed: so did the Task */
    } else {
        d = json_new_obj(ex->a);
        json_obj_set(ex->a, d, "resource", jstr(ex, st->task_action));
        json_obj_set(ex->a, d, "input", jtext(ex, f->eff.task_params));
        json_obj_set(ex->a, d, "inputDetails", truncated_false(ex));
        if (st->timeout_s)
            json_obj_set(ex->a, d, "timeoutInSeconds", json_new_num_i64(ex->a, st->timeout_s));
        if (st->heartbeat_s)
            json_obj_set(ex->a, d, "heartbeatInSeconds",
                         json_new_num_i64(ex->a, st->heartbeat_s));
        ev_add(ex, &f->prev, "ActivityScheduled", "activityScheduledEventDetails", d);
    }
    ex->new_token = token;
    ex->new_token_activity = is_callback ? NULL : st->task_action;
    ex->activity = json_new_obj(ex->a);
    json_obj_set(ex->a, ex->activity, "token", jstr(ex, ex->new_token));
    if (is_callback)
        json_obj_set(ex->a, ex->activity, "callback", d_task(ex, st));
    json_obj_set(ex->a, ex->activity, "taskInput", jtext(ex, f->eff.task_params));
    if (st->timeout_s) {
        due = now + st->timeout_s * 1000;
        json_obj_set(ex->a, ex->activity, "timeoutAtMs", json_new_num_i64(ex->a, due));
    }
    if (st->heartbeat_s) {
        json_obj_set(ex->a, ex->activity, "heartbeatMs",
                     json_new_num_i64(ex->a, st->heartbeat_s * 1000));
        if (due < 0 || now + st->heartbeat_s * 1000 < due)
            due = now + st->heartbeat_s * 1000;
    }
    if (ex->deadline_ms) {
        json_obj_set(ex->a, ex->activity, "deadlineMs", json_new_num_i64(ex->a, ex->deadline_ms));
        if (due < 0 || ex->deadline_ms < due)
            due = ex->deadline_ms;
    }
    f->phase = PH_ACTIVITY;
    ex->is_parked = true;
    ex->park_ms = due;
    return false;
}

/* PH_ATTEMPT: runs the state once. Returns true when f->eff is ready to be
 * handled, false when the frame blocked (Wait, children). */
static bool attempt(exec_t *ex, frame_t *f) {
    const sfn_state_t *st = &f->p->states[f->idx];
    const char *token = NULL;
    f->ctx = make_ctx(ex, st, f->entered_iso, f->n_retries, NULL);
    if (st->type == SFN_STATE_TASK && ex->is_durable && !f->parent &&
        (st->task_kind == SFN_TASK_ACTIVITY || st->task_kind == SFN_TASK_CALLBACK)) {
        /* $$.Task.Token, for Parameters to pass on. */
        json_t *task = json_new_obj(ex->a);
        token = new_task_token(ex);
        json_obj_set(ex->a, task, "Token", jstr(ex, token));
        json_obj_set(ex->a, f->ctx, "Task", task);
    }
    f->row = trace_add(ex, st, f->in, f->entered_ms, now_ms(ex), f->n_retries, f->depth);
    f->is_child_error = false;
    draws_here(ex, f, 'E');
    sfn__step_enter(ex->a, f->p, f->idx, f->in, f->ctx, now_ms(ex), &f->eff);
    /* After Parameters, a state's input is held to the payload quota too
     * (AWS error-handling guide, States.DataLimitExceeded). */
    if (f->eff.kind != SFN_EFF_FAIL && st->parameters && st->type != SFN_STATE_MAP &&
        payload_is_too_big(f->eff.effective_input)) {
        data_limit_fail(ex, &f->eff, st->name, true);
        return true;
    }
    switch (f->eff.kind) {
    case SFN_EFF_TASK:
        if (st->task_kind == SFN_TASK_ACTIVITY || st->task_kind == SFN_TASK_CALLBACK)
            return schedule_activity(ex, f, token);
        do_task(ex, f, f->row, &f->eff);
        return true;
    case SFN_EFF_PARALLEL:
        f->started_id = ev_add(ex, &f->prev, "ParallelStateStarted", NULL, NULL);
        start_children(ex, f, st->n_branches, 0);
        return false;
    case SFN_EFF_MAP: {
        json_t *items = f->eff.items, *d = json_new_obj(ex->a);
        f->child_inputs = arena_alloc(ex->a, (items->len + 1) * sizeof *f->child_inputs);
        draws_here(ex, f, 'M');
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
            draws_here(ex, f, 'R');
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
        frame_sleep(ex, f, f->eff.delay_ms);
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
    draws_here(ex, f, 'R');
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
    if (eff->kind == SFN_EFF_FAIL) {
        /* What this attempt failed with, whatever handles it next. */
        row->error = eff->error ? eff->error
                     : eff->is_fail_state ? NULL
                                          : "States.Runtime";
        row->cause = eff->cause;
    }
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
        frame_sleep(ex, f, eff->delay_ms);
        return false;
    }
    if (eff->kind == SFN_EFF_FAIL) {
        /* A Fail state without Error (or ErrorPath) fails the execution
         * with no error at all: AWS's ExecutionFailed event and
         * DescribeExecution then carry neither error nor cause. */
        const char *error = eff->error ? eff->error
                            : eff->is_fail_state ? NULL
                                                 : "States.Runtime";
        const char *cause = eff->cause;
        /* A child's failure already carries its own state's prefix. */
        if (error && strcmp(error, "States.Runtime") == 0 && !eff->is_fail_state &&
            !f->is_child_error)
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

/* persist_txn for the frame loop: a store failure halts the run (the
 * worker retries it from its last checkpoint later). */
static void checkpoint(exec_t *ex, const char *status, json_t *resume, int64_t timer_ms) {
    replay_end(ex);
    if (persist_txn(ex, status, resume, timer_ms, &ex->store_err) < 0) {
        ex->has_store_error = true;
        ex->is_halted = true;
    }
}

/* Advances frame `f` until it blocks or finishes. */
static void frame_step(exec_t *ex, frame_t *f) {
    for (;;) {
        switch (f->phase) {
        case PH_ENTER:
            if (ex->txn && f == ex->root && f->idx >= 0) {
                /* A top-level Task's write, its events and the move to
                 * the next state commit together. */
                checkpoint(ex, "RUNNING", resume_json(ex, "ENTER"), -1);
                if (ex->is_halted)
                    return;
            }
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
        case PH_TASK_DONE:
            break;
        case PH_ACTIVITY:
        case PH_CHILDREN:
        case PH_DONE:
            return;
        }
        if (ex->is_timed_out || ex->is_halted || !handle_effect(ex, f))
            return;
    }
}

/* Runs frames until the root finishes or the execution times out. */
static void run_frames(exec_t *ex, frame_t *root) {
    make_ready(ex, root);
    while (root->phase != PH_DONE && !ex->is_timed_out && !ex->is_halted && !ex->is_parked) {
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
        if (ex->is_durable && f->wake_ms > sfn__now_ms(ex->sf)) {
            /* Park on a durable timer instead of holding this thread (the
             * deadline, if sooner, wakes it). A child frame's sleep is
             * not a resume point: the execution replays to it on wake. */
            ex->is_parked = true;
            ex->is_replay_park = f != root;
            ex->park_ms = f->wake_ms;
            if (ex->deadline_ms && ex->deadline_ms < ex->park_ms)
                ex->park_ms = ex->deadline_ms;
            break;
        }
        ex->sleepers[best] = ex->sleepers[--ex->n_sleepers];
        replay_at(ex, f->wake_ms);
        if (f->wake_ms > now_ms(ex) && !ex_sleep(ex, f->wake_ms - now_ms(ex)))
            break;
        make_ready(ex, f);
    }
}

/* ---- Runs ------------------------------------------------------------- */

/* Sets up `ex` for execution `name` (NULL: a generated UUID) of machine
 * `machine` with `input`; ex->exec_arn defaults to the STANDARD ARN. */
static void ex_init(exec_t *ex, sfn_t *sf, arena_t *a, const char *machine, const char *name,
                    const json_t *input, const char *role, int64_t start_ms) {
    memset(ex, 0, sizeof *ex);
    ex->sf = sf;
    ex->a = a;
    ex->start_ms = start_ms;
    ex->timer_ms = -1;
    ex->role = role;
    /* Runs may come from several threads (the server): count atomically. */
    ex->rng = (uint64_t)start_ms * 0x9E3779B97F4A7C15ull +
              __atomic_add_fetch(&sf->n_runs, 1, __ATOMIC_RELAXED) * 0xBF58476D1CE4E5B9ull;
    if (!ex->rng)
        ex->rng = 1;
    if (name)
        ex->name = name;
    else {
        /* A UUID-shaped default name, as the console generates. */
        uint64_t x = rng_next(ex), y = rng_next(ex);
        ex->name = arena_sprintf(a, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(x >> 32),
                                 (unsigned)(x >> 16) & 0xffff, (unsigned)x & 0xfff,
                                 (unsigned)(0x8000 | ((y >> 48) & 0x3fff)),
                                 (unsigned long long)(y & 0xffffffffffffull));
    }
    ex->machine_arn = arena_sprintf(a, "%sstateMachine:%s", sf->arn_prefix, machine);
    ex->exec_arn = arena_sprintf(a, "%sexecution:%s:%s", sf->arn_prefix, machine, ex->name);
    ex->history = json_new_arr(a);
    ex->ctx_execution = json_new_obj(a);
    json_obj_set(a, ex->ctx_execution, "Id", json_new_strz(a, ex->exec_arn));
    json_obj_set(a, ex->ctx_execution, "Input", (json_t *)input);
    json_obj_set(a, ex->ctx_execution, "StartTime", json_new_strz(a, iso(ex, start_ms)));
    json_obj_set(a, ex->ctx_execution, "Name", json_new_strz(a, ex->name));
    json_obj_set(a, ex->ctx_execution, "RoleArn", json_new_strz(a, role));
    json_obj_set(a, ex->ctx_execution, "RedriveCount", json_new_num_i64(a, 0));
    ex->ctx_machine = json_new_obj(a);
    json_obj_set(a, ex->ctx_machine, "Id", json_new_strz(a, ex->machine_arn));
    json_obj_set(a, ex->ctx_machine, "Name", json_new_strz(a, machine));
}

static void set_exec_arn(exec_t *ex, const char *arn) {
    ex->exec_arn = arn;
    json_obj_set(ex->a, ex->ctx_execution, "Id", json_new_strz(ex->a, arn));
}

static void ev_started(exec_t *ex, const json_t *input) {
    json_t *d = json_new_obj(ex->a);
    json_obj_set(ex->a, d, "input",
                 ex->input_text ? jstr(ex, ex->input_text) : jtext(ex, input));
    json_obj_set(ex->a, d, "inputDetails", truncated_false(ex));
    json_obj_set(ex->a, d, "roleArn", jstr(ex, ex->role));
    ev_add(ex, NULL, "ExecutionStarted", "executionStartedEventDetails", d);
}

/* The execution's end: its last event and the outcome in *out. */
static void finish(exec_t *ex, sfn_run_result_t *out) {
    frame_t *root = ex->root;
    int64_t prev;
    json_t *d;
    replay_end(ex);
    prev = ex->last_event_id;
    memset(out, 0, sizeof *out);
    if (ex->is_timed_out) {
        out->status = "TIMED_OUT";
        out->error = "States.Timeout";
        ev_add(ex, &prev, "ExecutionTimedOut", "executionTimedOutEventDetails",
               d_error(ex, out->error, NULL));
    } else if (root->is_ok) {
        out->status = "SUCCEEDED";
        out->output = root->output;
        d = json_new_obj(ex->a);
        json_obj_set(ex->a, d, "output", jtext(ex, root->output));
        json_obj_set(ex->a, d, "outputDetails", truncated_false(ex));
        ev_add(ex, &prev, "ExecutionSucceeded", "executionSucceededEventDetails", d);
    } else {
        out->status = "FAILED";
        out->error = root->error;
        out->cause = root->cause;
        ev_add(ex, &prev, "ExecutionFailed", "executionFailedEventDetails",
               d_error(ex, root->error, root->cause));
    }
    out->history = ex->history;
    out->steps = ex->steps;
    out->n_steps = ex->n_steps;
    out->execution_arn = ex->exec_arn;
    out->state_machine_arn = ex->machine_arn;
    out->start_ms = ex->start_ms;
    out->stop_ms = now_ms(ex);
}

/* One execution to its end in the calling thread (sfn_run, EXPRESS). */
static int run_inline(sfn_t *sf, const json_t *definition, const json_t *input,
                      const sfn_run_opts_t *opts, const char *exec_arn, const char *input_text,
                      bool is_ephemeral, arena_t *a, sfn_run_result_t *out, sw_error_t *err) {
    exec_t ex;
    sfn_program_t *prog;
    const char *machine = opts && opts->machine_name ? opts->machine_name : "stepwise";
    const char *role =
        opts && opts->role_arn
            ? opts->role_arn
            : arena_sprintf(a, "arn:aws:iam::%s:role/StepFunctionsRole", sf->account);
    memset(out, 0, sizeof *out);
    if (sfn__program_compile(a, definition, &prog, err) < 0)
        return -1;
    if (!input)
        input = json_new_obj(a);
    /* StartExecution's input is at most 256 KiB (AWS API reference); an
     * oversized one never starts, as api.c rejects it for the API. */
    if (input_text ? strlen(input_text) > SFN_MAX_PAYLOAD_BYTES : payload_is_too_big(input))
        return sw_error_set(err, "InvalidExecutionInput",
                            "Invalid State Machine Execution Input: 'The input size exceeds "
                            "the maximum number of bytes service limit.'");
    ex_init(&ex, sf, a, machine, opts ? opts->name : NULL, input, role, sfn__now_ms(sf));
    if (exec_arn)
        set_exec_arn(&ex, exec_arn);
    ex.is_ephemeral = is_ephemeral;
    ex.input_text = input_text;
    ex.type = is_ephemeral ? "EXPRESS" : "STANDARD";
    if (prog->timeout_s)
        ex.deadline_ms = ex.start_ms + prog->timeout_s * 1000;
    ev_started(&ex, input);
    if (persist_txn(&ex, "RUNNING", resume_enter(&ex, prog->states[prog->start].name, input), -1,
                    err) < 0)
        return -1;
    /* AWS: the first state's entry points at event 0. */
    ex.root = frame_new(&ex, prog, NULL, 0, (json_t *)input, 0);
    run_frames(&ex, ex.root);
    finish(&ex, out);
    ex.final = out;
    if (persist_txn(&ex, out->status, NULL, -1, err) < 0)
        return -1;
    return 0;
}

int sfn_run_with(sfn_t *sf, const json_t *definition, const json_t *input,
                 const sfn_run_opts_t *opts, arena_t *a, sfn_run_result_t *out,
                 sw_error_t *err) {
    return run_inline(sf, definition, input, opts, NULL, NULL, false, a, out, err);
}

int sfn_run(sfn_t *sf, const json_t *definition, const json_t *input, const char *name,
            arena_t *a, sfn_run_result_t *out, sw_error_t *err) {
    sfn_run_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.name = name;
    return sfn_run_with(sf, definition, input, &opts, a, out, err);
}

/* ---- Durable executions (the API and the workers) --------------------- */

static json_t *resp_started(arena_t *a, const char *arn, int64_t start_ms) {
    json_t *out = json_new_obj(a);
    json_obj_set(a, out, "executionArn", json_new_strz(a, arn));
    json_obj_set(a, out, "startDate", sfn__epoch_json(a, start_ms));
    return out;
}

/* EXPRESS: runs in the calling thread and keeps nothing. */
static int start_express(sfn_t *sf, arena_t *a, const json_t *machine, const json_t *def,
                         const char *name, const char *input_text, const json_t *input,
                         bool is_sync, json_t **resp, sw_error_t *err) {
    sfn_run_opts_t opts;
    sfn_run_result_t r;
    const char *mname = json_obj_get_str(machine, "name");
    const char *arn;
    json_t *out;
    int64_t billed;
    memset(&opts, 0, sizeof opts);
    opts.name = name;
    opts.machine_name = mname;
    opts.role_arn = json_obj_get_str(machine, "roleArn");
    {
        /* Express ARNs carry a unique id after the name. */
        uint64_t x = (uint64_t)sfn__now_ms(sf) * 0x9E3779B97F4A7C15ull ^
                     __atomic_add_fetch(&sf->n_runs, 1, __ATOMIC_RELAXED) * 0xD6E8FEB86659FD93ull;
        arn = arena_sprintf(a, "%sexpress:%s:%s:%08x-%04x-4%03x-%04x-%012llx", sf->arn_prefix,
                            mname, name, (unsigned)(x >> 32), (unsigned)(x >> 16) & 0xffff,
                            (unsigned)x & 0xfff, (unsigned)(0x8000 | ((x >> 7) & 0x3fff)),
                            (unsigned long long)((x * 0x2545F4914F6CDD1Dull) & 0xffffffffffffull));
    }
    if (run_inline(sf, def, input, &opts, arn, input_text, true, a, &r, err) < 0)
        return -1;
    if (!is_sync) {
        *resp = resp_started(a, arn, r.start_ms);
        return 0;
    }
    out = json_new_obj(a);
    json_obj_set(a, out, "executionArn", json_new_strz(a, arn));
    json_obj_set(a, out, "stateMachineArn", json_obj_get(machine, "stateMachineArn"));
    json_obj_set(a, out, "name", json_new_strz(a, name));
    json_obj_set(a, out, "startDate", sfn__epoch_json(a, r.start_ms));
    json_obj_set(a, out, "stopDate", sfn__epoch_json(a, r.stop_ms));
    json_obj_set(a, out, "status", json_new_strz(a, r.status));
    {
        json_t *inc = json_new_obj(a);
        json_obj_set(a, inc, "included", json_new_bool(a, true));
        json_obj_set(a, out, "input", json_new_strz(a, input_text));
        json_obj_set(a, out, "inputDetails", inc);
        if (r.output) {
            json_obj_set(a, out, "output", json_new_strz(a, json_to_str(a, r.output)));
            json_obj_set(a, out, "outputDetails", inc);
        }
    }
    if (r.error)
        json_obj_set(a, out, "error", json_new_strz(a, r.error));
    if (r.cause)
        json_obj_set(a, out, "cause", json_new_strz(a, r.cause));
    {
        /* AWS bills Express in 100 ms increments at 64 MB minimum. */
        json_t *b = json_new_obj(a);
        billed = r.stop_ms - r.start_ms;
        billed = billed < 100 ? 100 : (billed + 99) / 100 * 100;
        json_obj_set(a, b, "billedMemoryUsedInMB", json_new_num_i64(a, 64));
        json_obj_set(a, b, "billedDurationInMilliseconds", json_new_num_i64(a, billed));
        json_obj_set(a, out, "billingDetails", b);
    }
    *resp = out;
    return 0;
}

/* StartExecution's write for a STANDARD machine, run as a group-commit
 * request (store_write): the record, its first event and the definition
 * snapshot. */
typedef struct start_req {
    sfn_t *sf;
    arena_t *a;
    const json_t *machine;
    const sfn_program_t *prog;
    const char *name, *input_text;
    const json_t *input;
    json_t **resp;
} start_req_t;

static int start_standard(void *ctx, sw_error_t *err) {
    start_req_t *q = ctx;
    sfn_t *sf = q->sf;
    arena_t *a = q->a;
    const json_t *machine = q->machine, *input = q->input;
    const sfn_program_t *prog = q->prog;
    const char *mname = json_obj_get_str(machine, "name");
    const char *name = q->name, *input_text = q->input_text;
    json_t **resp = q->resp;
    json_t *existing, *snap;
    exec_t ex;
    store_txn_t *txn;
    char key[STORE_MAX_KEY];
    size_t alen;
    char *snap_text;
    int64_t ms = 0;
    ex_init(&ex, sf, a, mname, name, input, json_obj_get_str(machine, "roleArn"),
            sfn__now_ms(sf));
    ex.is_durable = true;
    sw_random_bytes(&ex.draw_seed, sizeof ex.draw_seed);
    ex.input_text = input_text;
    ex.type = "STANDARD";
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    existing = sfn__exec_get(txn, a, ex.exec_arn);
    if (existing) {
        /* AWS: the same name and input while the execution is open is a
         * success returning the original; anything else is a conflict. */
        const char *status = json_obj_get_str(existing, "status");
        const char *old_input = json_obj_get_str(existing, "input");
        store_txn_abort(txn);
        if (strcmp(status, "RUNNING") != 0 || !old_input || strcmp(old_input, input_text) != 0)
            return sw_error_set(err, "ExecutionAlreadyExists", "Execution Already Exists: '%s'",
                                ex.exec_arn);
        json_num_i64(json_obj_get(existing, "startMs"), &ms);
        *resp = resp_started(a, ex.exec_arn, ms);
        return 0;
    }
    ev_started(&ex, input);
    if (persist(&ex, txn, "RUNNING", resume_enter(&ex, prog->states[prog->start].name, input), -1,
                err) < 0)
        goto out_abort_txn;
    /* The definition this execution runs, whatever happens to the machine. */
    snap = json_new_obj(a);
    json_obj_set(a, snap, "name", json_obj_get(machine, "name"));
    json_obj_set(a, snap, "definition", json_obj_get(machine, "definition"));
    json_obj_set(a, snap, "roleArn", json_obj_get(machine, "roleArn"));
    json_obj_set(a, snap, "loggingConfiguration", json_obj_get(machine, "loggingConfiguration"));
    json_obj_set(a, snap, "tracingConfiguration", json_obj_get(machine, "tracingConfiguration"));
    json_obj_set(a, snap, "updateMs",
                 json_obj_get(machine, json_obj_get(machine, "updateMs") ? "updateMs"
                                                                         : "creationMs"));
    if (json_obj_get(machine, "revisionId"))
        json_obj_set(a, snap, "revisionId", json_obj_get(machine, "revisionId"));
    snap_text = json_to_str(a, snap);
    alen = strlen(ex.exec_arn);
    if (alen + 4 > sizeof key) {
        sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN: %s'", ex.exec_arn);
        goto out_abort_txn;
    }
    memcpy(key, ex.exec_arn, alen);
    memcpy(key + alen, "\0def", 4);
    if (store_put(txn, STORE_EXEC, key, alen + 4, snap_text, strlen(snap_text), err) < 0)
        goto out_abort_txn;
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = resp_started(a, ex.exec_arn, ex.start_ms);
    return 0;

out_abort_txn:
    store_txn_abort(txn);
    return -1;
}

int sfn__exec_start(sfn_t *sf, arena_t *a, const json_t *machine, const char *name,
                    const char *input_text, const json_t *input, bool is_sync, json_t **resp,
                    sw_error_t *err) {
    const char *def_text = json_obj_get_str(machine, "definition");
    const char *type = json_obj_get_str(machine, "type");
    sw_error_t perr;
    json_t *def = json_parse(a, def_text, strlen(def_text), &perr);
    sfn_program_t *prog;
    if (!def || sfn__program_compile(a, def, &prog, err) < 0)
        return sw_error_set(err, "InternalServerError", "the stored definition is invalid");
    if (strcmp(type, "EXPRESS") == 0)
        return start_express(sf, a, machine, def, name, input_text, input, is_sync, resp, err);
    {
        start_req_t q = {sf, a, machine, prog, name, input_text, input, resp};
        return store_write(sf->store, start_standard, &q, err);
    }
}

static int del_timer(sfn_t *sf, int64_t due_ms, const char *arn, sw_error_t *err) {
    store_txn_t *txn;
    unsigned char key[STORE_MAX_KEY];
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    if (store_del(txn, STORE_TIMERS, key, sfn__timer_key(due_ms, arn, key), err) < 0) {
        store_txn_abort(txn);
        return -1;
    }
    return store_txn_commit(txn, err);
}

/* Rebuilds the root frame from the record's resume point. */
static int resume_root(exec_t *ex, const sfn_program_t *prog, const json_t *resume,
                       sw_error_t *err) {
    const char *state = json_obj_get_str(resume, "state");
    const char *phase = json_obj_get_str(resume, "phase");
    const char *in_text = json_obj_get_str(resume, "input");
    int idx = state ? sfn__program_find(prog, state) : -1;
    int64_t prev = 0;
    json_t *in;
    frame_t *f;
    if (idx < 0 || !phase || !in_text ||
        !(in = json_parse(ex->a, in_text, strlen(in_text), err)))
        return sw_error_set(err, "InternalServerError", "corrupt resume point of %s",
                            ex->exec_arn);
    json_num_i64(json_obj_get(resume, "prev"), &prev);
    f = frame_new(ex, prog, NULL, 0, in, prev);
    f->idx = idx;
    {
        int64_t visits = 0;
        json_num_i64(json_obj_get(resume, "visits"), &visits);
        f->n_visits = (int)visits;
    }
    ex->root = f;
    if (strcmp(phase, "ENTER") == 0)
        return 0;
    {
        const sfn_state_t *st = &prog->states[idx];
        const json_t *counts = json_obj_get(resume, "retryCounts");
        int64_t v = 0;
        json_num_i64(json_obj_get(resume, "enteredId"), &f->entered_id);
        json_num_i64(json_obj_get(resume, "enteredMs"), &f->entered_ms);
        f->entered_iso = iso(ex, f->entered_ms);
        f->retry_counts = arena_zalloc(ex->a, (st->n_retriers + 1) * sizeof *f->retry_counts);
        for (size_t i = 0; i < st->n_retriers && counts && i < counts->len; i++)
            if (json_num_i64(counts->u.items[i], &v))
                f->retry_counts[i] = (int)v;
        if (json_num_i64(json_obj_get(resume, "nRetries"), &v))
            f->n_retries = (int)v;
        if (strcmp(phase, "RETRY") == 0) {
            f->phase = PH_RETRY_DUE;
            return 0;
        }
        if (strcmp(phase, "ACTIVITY") == 0 || strcmp(phase, "TASK_DONE") == 0 ||
            strcmp(phase, "TASK_FAILED") == 0) {
            f->ctx = make_ctx(ex, st, f->entered_iso, f->n_retries, NULL);
            f->row = trace_add(ex, st, f->in, f->entered_ms, f->entered_ms, f->n_retries,
                               f->depth);
            f->phase = PH_TASK_DONE;
            if (strcmp(phase, "TASK_DONE") == 0) {
                const char *text = json_obj_get_str(resume, "result");
                json_t *result = text ? json_parse(ex->a, text, strlen(text), err) : NULL;
                if (!result)
                    return sw_error_set(err, "InternalServerError", "corrupt task result of %s",
                                        ex->exec_arn);
                draws_here(ex, f, 'R');
                sfn__step_result(ex->a, prog, idx, f->in, result, f->ctx, &f->eff);
                return 0;
            }
            f->eff.kind = SFN_EFF_FAIL;
            if (strcmp(phase, "TASK_FAILED") == 0) {
                f->eff.error = json_obj_get_str(resume, "error");
                f->eff.cause = json_obj_get_str(resume, "cause");
            } else {
                /* Its timer fired: the task timed out (or the execution
                 * did, which run_frames' caller sees first): States.Timeout,
                 * by its TimeoutSeconds if that time has come, else by its
                 * HeartbeatSeconds (which States.HeartbeatTimeout in a
                 * Retry or Catch matches too). */
                json_t *d = json_new_obj(ex->a);
                int64_t timeout_at_ms;
                bool is_heartbeat =
                    json_obj_get(resume, "heartbeatMs") &&
                    !(json_num_i64(json_obj_get(resume, "timeoutAtMs"), &timeout_at_ms) &&
                      now_ms(ex) >= timeout_at_ms);
                ex->drop_token = json_obj_get_str(resume, "token");
                f->eff.error = "States.Timeout";
                f->eff.is_heartbeat_timeout = is_heartbeat;
                f->eff.cause = NULL;
                if (!ex->deadline_ms || now_ms(ex) < ex->deadline_ms) {
                    bool is_callback = json_obj_get(resume, "callback") != NULL;
                    if (is_callback)
                        d = d_task(ex, st);
                    json_obj_set(ex->a, d, "error", jstr(ex, f->eff.error));
                    ev_add(ex, &f->prev, is_callback ? "TaskTimedOut" : "ActivityTimedOut",
                           is_callback ? "taskTimedOutEventDetails"
                                       : "activityTimedOutEventDetails",
                           d);
                }
            }
            if (!f->eff.error)
                f->eff.error = "States.TaskFailed";
            f->eff.result = f->eff.error;
            return 0;
        }
        /* WAIT: the Wait state's effect is a pure function of its input;
         * computing it again gives the output and next state it had. */
        f->ctx = make_ctx(ex, st, f->entered_iso, f->n_retries, NULL);
        f->row = trace_add(ex, st, f->in, f->entered_ms, f->entered_ms, f->n_retries,
                               f->depth);
        draws_here(ex, f, 'E');
        sfn__step_enter(ex->a, prog, idx, f->in, f->ctx, f->entered_ms, &f->eff);
        if (f->eff.kind != SFN_EFF_WAIT && f->eff.kind != SFN_EFF_FAIL)
            return sw_error_set(err, "InternalServerError", "resume point of %s is no Wait",
                                ex->exec_arn);
        if (f->eff.kind == SFN_EFF_WAIT)
            f->eff.kind = SFN_EFF_TRANSITION;
        f->phase = PH_WAIT_DONE;
    }
    return 0;
}

int sfn__exec_advance(sfn_t *sf, const char *arn, int64_t fired_timer_ms, sw_error_t *err) {
    arena_t a;
    store_txn_t *txn;
    json_t *rec, *snap, *def, *input;
    const char *status, *def_text, *input_text;
    sfn_program_t *prog;
    exec_t ex;
    int64_t timer = -1, start_ms = 0, last = 0;
    int rc = 0;
    arena_init(&a);
    if (store_txn_begin(sf->store, false, &txn, err) < 0) {
        rc = -1;
        goto out;
    }
    rec = sfn__exec_get(txn, &a, arn);
    snap = sfn__exec_get_def(txn, &a, arn);
    store_txn_abort(txn);
    status = json_obj_get_str(rec, "status");
    if (!json_num_i64(json_obj_get(rec, "timerMs"), &timer))
        timer = -1;
    {
        /* An execution waiting for an activity worker runs again only
         * when SendTask* wakes it or its timer fires. */
        const char *phase = json_obj_get_str(json_obj_get(rec, "resume"), "phase");
        if (phase && strcmp(phase, "ACTIVITY") == 0 && fired_timer_ms < 0)
            goto out;
    }
    if (!status || strcmp(status, "RUNNING") != 0 || !snap ||
        (timer >= 0 && fired_timer_ms != timer)) {
        /* Ended, or parked on another timer: a stale timer only goes. */
        if (fired_timer_ms >= 0 && fired_timer_ms != timer)
            rc = del_timer(sf, fired_timer_ms, arn, err);
        goto out;
    }
    def_text = json_obj_get_str(snap, "definition");
    input_text = json_obj_get_str(rec, "input");
    def = def_text ? json_parse(&a, def_text, strlen(def_text), err) : NULL;
    input = input_text ? json_parse(&a, input_text, strlen(input_text), err) : NULL;
    if (!def || !input || sfn__program_compile(&a, def, &prog, err) < 0) {
        rc = sw_error_set(err, "InternalServerError", "corrupt execution record %s", arn);
        goto out;
    }
    json_num_i64(json_obj_get(rec, "startMs"), &start_ms);
    json_num_i64(json_obj_get(rec, "lastEventId"), &last);
    ex_init(&ex, sf, &a, json_obj_get_str(snap, "name"), json_obj_get_str(rec, "name"), input,
            json_obj_get_str(rec, "roleArn"), start_ms);
    set_exec_arn(&ex, arn);
    ex.is_durable = true;
    {
        const char *seed = json_obj_get_str(rec, "seed");
        ex.draw_seed = seed ? strtoull(seed, NULL, 16) : sw_fnv1a(arn, strlen(arn), SW_FNV1A_BASIS);
    }
    ex.type = "STANDARD";
    ex.input_text = input_text;
    ex.base_event_id = ex.flushed_id = ex.last_event_id = ex.written_id = last;
    {
        /* A replay resume point (a child frame's park) names the event it
         * starts after; the events since are in the store already, and
         * the replay makes them again. */
        int64_t from = 0;
        if (json_num_i64(json_obj_get(json_obj_get(rec, "resume"), "replayFromEventId"), &from) &&
            from < last)
            ex.base_event_id = ex.last_event_id = from;
    }
    ex.timer_ms = timer;
    if (prog->timeout_s)
        ex.deadline_ms = start_ms + prog->timeout_s * 1000;
    if (resume_root(&ex, prog, json_obj_get(rec, "resume"), err) < 0) {
        rc = -1;
        goto out;
    }
    {
        /* From an ENTER checkpoint the run may replay child frames the
         * first run went through (see replay_end). */
        const json_t *resume = json_obj_get(rec, "resume");
        int64_t at_ms;
        const char *phase = json_obj_get_str(resume, "phase");
        if ((strcmp(phase, "ENTER") == 0 || strcmp(phase, "WAIT") == 0 ||
             strcmp(phase, "RETRY") == 0) &&
            json_num_i64(json_obj_get(resume, "atMs"), &at_ms)) {
            ex.is_replaying = true;
            ex.replay_ms = at_ms < sfn__now_ms(sf) ? at_ms : sfn__now_ms(sf);
        }
    }
    if (!past_deadline(&ex))
        run_frames(&ex, ex.root);
    if (ex.is_halted) {
        if (ex.txn)
            store_txn_abort(ex.txn);
        ex.txn = NULL;
    } else if (ex.is_parked && ex.is_replay_park) {
        /* A child frame sleeps: the execution replays to it on wake. Its
         * resume point moves to the entry of the root's Parallel / Map
         * state, so that the replay starts there (at the entry's time) and
         * makes the events from that entry on again, exactly as they are.
         * A state already in a retry keeps the resume point of its
         * back-off, which holds its counters. */
        frame_t *root = ex.root;
        json_t *resume = json_obj_get(rec, "resume");
        int64_t from = ex.base_event_id;
        if (root->n_retries == 0) {
            int64_t prev = root->prev;
            root->prev = root->entry_prev;
            root->n_visits--;
            resume = resume_json(&ex, "ENTER");
            json_obj_set(ex.a, resume, "atMs", json_new_num_i64(ex.a, root->entered_ms));
            root->n_visits++;
            root->prev = prev;
            from = root->entered_id - 1;
        }
        /* Every event so far is written (GetExecutionHistory shows them;
         * a stop keeps them); the replay starts after `from`. */
        json_obj_set(ex.a, resume, "replayFromEventId", json_new_num_i64(ex.a, from));
        checkpoint(&ex, "RUNNING", resume, ex.park_ms);
    } else if (ex.is_parked) {
        bool is_activity = ex.root->phase == PH_ACTIVITY;
        checkpoint(&ex, "RUNNING",
                   resume_json(&ex, is_activity                     ? "ACTIVITY"
                                    : ex.root->phase == PH_WAIT_DONE ? "WAIT"
                                                                     : "RETRY"),
                   ex.park_ms);
        if (is_activity && !ex.is_halted)
            sfn__sched_activity_posted(sf);
    } else {
        sfn_run_result_t out;
        finish(&ex, &out);
        ex.final = &out;
        checkpoint(&ex, out.status, NULL, -1);
    }
    if (ex.has_store_error) {
        *err = ex.store_err;
        rc = -1;
    }
out:
    arena_release(&a);
    return rc;
}

/* The API calls below that write run as group-commit requests
 * (store_write): a closure of their arguments. */
typedef struct api_req {
    sfn_t *sf;
    arena_t *a;
    const char *arn_or_token;
    bool is_heartbeat;
    const char *output, *error, *cause;
    json_t **resp;
} api_req_t;

static int exec_stop(sfn_t *sf, arena_t *a, const char *arn, const char *error,
                     const char *cause, json_t **resp, sw_error_t *err);
static int task_send(sfn_t *sf, arena_t *a, const char *token, bool is_heartbeat,
                     const char *output, const char *error, const char *cause, json_t **resp,
                     sw_error_t *err);

static int exec_stop_req(void *ctx, sw_error_t *err) {
    api_req_t *q = ctx;
    return exec_stop(q->sf, q->a, q->arn_or_token, q->error, q->cause, q->resp, err);
}

static int task_send_req(void *ctx, sw_error_t *err) {
    api_req_t *q = ctx;
    return task_send(q->sf, q->a, q->arn_or_token, q->is_heartbeat, q->output, q->error,
                     q->cause, q->resp, err);
}

int sfn__exec_stop(sfn_t *sf, arena_t *a, const char *arn, const char *error,
                   const char *cause, json_t **resp, sw_error_t *err) {
    api_req_t q = {sf, a, arn, false, NULL, error, cause, resp};
    return store_write(sf->store, exec_stop_req, &q, err);
}

int sfn__task_send(sfn_t *sf, arena_t *a, const char *token, bool is_heartbeat,
                   const char *output, const char *error, const char *cause, json_t **resp,
                   sw_error_t *err) {
    api_req_t q = {sf, a, token, is_heartbeat, output, error, cause, resp};
    return store_write(sf->store, task_send_req, &q, err);
}

static int exec_stop(sfn_t *sf, arena_t *a, const char *arn, const char *error,
                     const char *cause, json_t **resp, sw_error_t *err) {
    store_txn_t *txn;
    json_t *rec, *ev, *d, *out;
    int64_t now = sfn__now_ms(sf), last = 0, timer;
    unsigned char key[STORE_MAX_KEY];
    char ts[40], *text;
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    rec = sfn__exec_get(txn, a, arn);
    if (!rec) {
        store_txn_abort(txn);
        return sw_error_set(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn);
    }
    out = json_new_obj(a);
    if (strcmp(json_obj_get_str(rec, "status"), "RUNNING") != 0) {
        /* Already closed: nothing changes. */
        int64_t stop = now;
        store_txn_abort(txn);
        json_num_i64(json_obj_get(rec, "stopMs"), &stop);
        json_obj_set(a, out, "stopDate", sfn__epoch_json(a, stop));
        *resp = out;
        return 0;
    }
    json_num_i64(json_obj_get(rec, "lastEventId"), &last);
    if (json_obj_get_str(json_obj_get(rec, "resume"), "token") &&
        drop_token(txn, a, json_obj_get_str(json_obj_get(rec, "resume"), "token"), err) < 0)
        goto out_abort_txn;
    if (json_num_i64(json_obj_get(rec, "timerMs"), &timer) &&
        store_del(txn, STORE_TIMERS, key, sfn__timer_key(timer, arn, key), err) < 0)
        goto out_abort_txn;
    json_obj_del(rec, "timerMs", 7);
    json_obj_del(rec, "resume", 6);
    if (memo_drop_all(txn, a, arn, err) < 0)
        goto out_abort_txn;
    json_obj_set(a, rec, "status", json_new_strz(a, "ABORTED"));
    json_obj_set(a, rec, "stopMs", json_new_num_i64(a, now));
    if (error)
        json_obj_set(a, rec, "error", json_new_strz(a, error));
    if (cause)
        json_obj_set(a, rec, "cause", json_new_strz(a, cause));
    json_obj_set(a, rec, "lastEventId", json_new_num_i64(a, last + 1));
    text = json_to_str(a, rec);
    if (store_put(txn, STORE_EXEC, arn, strlen(arn), text, strlen(text), err) < 0)
        goto out_abort_txn;
    ev = json_new_obj(a);
    snprintf(ts, sizeof ts, "%lld.%03lld", (long long)(now / 1000), (long long)(now % 1000));
    json_obj_set(a, ev, "timestamp", json_new_num_text(a, ts, strlen(ts)));
    json_obj_set(a, ev, "type", json_new_strz(a, "ExecutionAborted"));
    json_obj_set(a, ev, "id", json_new_num_i64(a, last + 1));
    json_obj_set(a, ev, "previousEventId", json_new_num_i64(a, last));
    d = json_new_obj(a);
    if (error)
        json_obj_set(a, d, "error", json_new_strz(a, error));
    if (cause)
        json_obj_set(a, d, "cause", json_new_strz(a, cause));
    json_obj_set(a, ev, "executionAbortedEventDetails", d);
    text = json_to_str(a, ev);
    if (store_put(txn, STORE_HISTORY, key, sfn__history_key(arn, last + 1, key), text,
                  strlen(text), err) < 0)
        goto out_abort_txn;
    if (store_txn_commit(txn, err) < 0)
        return -1;
    json_obj_set(a, out, "stopDate", sfn__epoch_json(a, now));
    *resp = out;
    return 0;

out_abort_txn:
    store_txn_abort(txn);
    return -1;
}

/* ---- Activities: the API side ----------------------------------------- */

/* Appends one event written outside a run (the execution is parked): id
 * lastEventId + 1 after resume.prev, both updated in `rec`. */
static int append_event(store_txn_t *txn, arena_t *a, const char *arn, json_t *rec,
                        int64_t now, const char *type, const char *details_key, json_t *details,
                        sw_error_t *err) {
    json_t *ev = json_new_obj(a), *resume = json_obj_get(rec, "resume");
    int64_t last = 0, prev = 0;
    unsigned char key[STORE_MAX_KEY];
    char ts[40], *text;
    json_num_i64(json_obj_get(rec, "lastEventId"), &last);
    json_num_i64(json_obj_get(resume, "prev"), &prev);
    snprintf(ts, sizeof ts, "%lld.%03lld", (long long)(now / 1000), (long long)(now % 1000));
    json_obj_set(a, ev, "timestamp", json_new_num_text(a, ts, strlen(ts)));
    json_obj_set(a, ev, "type", json_new_strz(a, type));
    json_obj_set(a, ev, "id", json_new_num_i64(a, last + 1));
    json_obj_set(a, ev, "previousEventId", json_new_num_i64(a, prev));
    json_obj_set(a, ev, details_key, details);
    text = json_to_str(a, ev);
    if (store_put(txn, STORE_HISTORY, key, sfn__history_key(arn, last + 1, key), text,
                  strlen(text), err) < 0)
        return -1;
    json_obj_set(a, rec, "lastEventId", json_new_num_i64(a, last + 1));
    json_obj_set(a, resume, "prev", json_new_num_i64(a, last + 1));
    return 0;
}

static int put_record(store_txn_t *txn, arena_t *a, const char *arn, const json_t *rec,
                      sw_error_t *err) {
    char *text = json_to_str(a, rec);
    return store_put(txn, STORE_EXEC, arn, strlen(arn), text, strlen(text), err);
}

/* The parked execution waiting on `token`, in `txn`; NULL when the token
 * is unknown or its execution moved on (the stale token is dropped). */
static json_t *token_exec(store_txn_t *txn, arena_t *a, const char *token, const char **arn,
                          sw_error_t *err) {
    unsigned char key[STORE_MAX_KEY];
    size_t klen = token_key(token, key);
    const void *v;
    size_t len;
    json_t *t, *rec, *resume;
    sw_error_t perr;
    const char *status;
    if (!klen || !store_get(txn, STORE_TOKENS, key, klen, &v, &len) ||
        !(t = json_parse(a, v, len, &perr)) || !(*arn = json_obj_get_str(t, "executionArn")))
        return NULL;
    rec = sfn__exec_get(txn, a, *arn);
    resume = json_obj_get(rec, "resume");
    status = json_obj_get_str(rec, "status");
    if (!status || strcmp(status, "RUNNING") != 0 || !json_obj_get_str(resume, "phase") ||
        strcmp(json_obj_get_str(resume, "phase"), "ACTIVITY") != 0 ||
        !json_obj_get_str(resume, "token") ||
        strcmp(json_obj_get_str(resume, "token"), token) != 0) {
        drop_token(txn, a, token, err);
        return NULL;
    }
    return rec;
}

int sfn__activity_poll(sfn_t *sf, arena_t *a, const char *activity_arn, const char *worker,
                       json_t **resp, sw_error_t *err) {
    unsigned char prefix[STORE_MAX_KEY];
    size_t plen = queue_key(activity_arn, 0, prefix);
    store_txn_t *txn;
    json_t *out = json_new_obj(a);
    if (!plen)
        return sw_error_set(err, "InvalidArn", "Invalid Arn: 'Invalid ARN: %s'", activity_arn);
    plen -= 8;  /* "q:<arn>\0" */
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    for (;;) {
        store_cursor_t *c;
        const void *k, *v;
        size_t k_len, v_len;
        unsigned char qkey[STORE_MAX_KEY];
        const char *token, *arn;
        json_t *rec, *d;
        bool ok;
        if (store_cursor_open(txn, STORE_TOKENS, &c, err) < 0)
            goto out_abort_txn;
        ok = store_cursor_seek(c, prefix, plen, &k, &k_len, &v, &v_len) && k_len == plen + 8 &&
             memcmp(k, prefix, plen) == 0;
        if (ok) {
            memcpy(qkey, k, k_len);
            token = arena_strndup(a, v, v_len);
        }
        store_cursor_close(c);
        if (!ok)
            break;
        if (store_del(txn, STORE_TOKENS, qkey, plen + 8, err) < 0)
            goto out_abort_txn;
        if (!(rec = token_exec(txn, a, token, &arn, err)))
            continue;  /* stale: its execution moved on */
        d = json_new_obj(a);
        if (worker)
            json_obj_set(a, d, "workerName", json_new_strz(a, worker));
        if (append_event(txn, a, arn, rec, sfn__now_ms(sf), "ActivityStarted",
                         "activityStartedEventDetails", d, err) < 0 ||
            put_record(txn, a, arn, rec, err) < 0)
            goto out_abort_txn;
        json_obj_set(a, out, "taskToken", json_new_strz(a, token));
        json_obj_set(a, out, "input",
                     json_obj_get(json_obj_get(rec, "resume"), "taskInput"));
        break;
    }
    if (store_txn_commit(txn, err) < 0)
        return -1;
    *resp = out;
    return 0;

out_abort_txn:
    store_txn_abort(txn);
    return -1;
}

/* True when `token` has the form new_task_token gives. */
static bool is_token_shaped(const char *token) {
    size_t n = strlen(token);
    if (n != 2 * TASK_TOKEN_BYTES)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
            return false;
    return true;
}

static int task_send(sfn_t *sf, arena_t *a, const char *token, bool is_heartbeat,
                     const char *output, const char *error, const char *cause, json_t **resp,
                     sw_error_t *err) {
    store_txn_t *txn;
    const char *arn = NULL;
    json_t *rec, *resume, *d;
    int64_t now = sfn__now_ms(sf), timer = -1, due;
    unsigned char key[STORE_MAX_KEY];
    sw_error_t perr;
    if (!*token || strlen(token) > 1024)
        return sw_error_set(err, "InvalidToken", "Invalid Token: '%s'", token);
    if (output && !json_parse(a, output, strlen(output), &perr))
        return sw_error_set(err, "InvalidOutput", "Invalid Output: '%s'", perr.msg);
    if (store_txn_begin(sf->store, true, &txn, err) < 0)
        return -1;
    rec = token_exec(txn, a, token, &arn, err);
    if (!rec) {
        /* The stale token (if any) is dropped, then the answer. */
        if (store_txn_commit(txn, err) < 0)
            return -1;
        /* One of our tokens whose task has closed (answered, timed out, or
         * its execution ended) is TaskTimedOut, as AWS documents; anything
         * else was never a token. */
        if (is_token_shaped(token))
            return sw_error_set(err, "TaskTimedOut",
                                "Task Timed Out: 'Provided task does not exist anymore'");
        return sw_error_set(err, "InvalidToken", "Invalid Token: 'Invalid token'");
    }
    resume = json_obj_get(rec, "resume");
    if (!json_num_i64(json_obj_get(rec, "timerMs"), &timer))
        timer = -1;
    if (is_heartbeat) {
        int64_t hb, bound;
        if (json_num_i64(json_obj_get(resume, "heartbeatMs"), &hb)) {
            /* The heartbeat deadline moves; TimeoutSeconds and the
             * execution's own deadline stay. */
            due = now + hb;
            if (json_num_i64(json_obj_get(resume, "timeoutAtMs"), &bound) && bound < due)
                due = bound;
            if (json_num_i64(json_obj_get(resume, "deadlineMs"), &bound) && bound < due)
                due = bound;
            if ((timer >= 0 &&
                 store_del(txn, STORE_TIMERS, key, sfn__timer_key(timer, arn, key), err) < 0) ||
                store_put(txn, STORE_TIMERS, key, sfn__timer_key(due, arn, key), "W", 1, err) <
                    0)
                goto out_abort_txn;
            json_obj_set(a, rec, "timerMs", json_new_num_i64(a, due));
            if (put_record(txn, a, arn, rec, err) < 0)
                goto out_abort_txn;
        }
        if (store_txn_commit(txn, err) < 0)
            return -1;
        *resp = json_new_obj(a);
        return 0;
    }
    {
        /* A callback Task's events name its resource; an activity's do not. */
        const json_t *cb = json_obj_get(resume, "callback");
        d = cb ? json_clone(a, cb) : json_new_obj(a);
    }
    if (output) {
        json_t *od = json_new_obj(a);
        json_obj_set(a, od, "truncated", json_new_bool(a, false));
        json_obj_set(a, d, "output", json_new_strz(a, output));
        json_obj_set(a, d, "outputDetails", od);
    } else {
        if (error)
            json_obj_set(a, d, "error", json_new_strz(a, error));
        if (cause)
            json_obj_set(a, d, "cause", json_new_strz(a, cause));
    }
    if (append_event(txn, a, arn, rec, now,
                     json_obj_get(resume, "callback")
                         ? (output ? "TaskSucceeded" : "TaskFailed")
                         : (output ? "ActivitySucceeded" : "ActivityFailed"),
                     json_obj_get(resume, "callback")
                         ? (output ? "taskSucceededEventDetails" : "taskFailedEventDetails")
                         : (output ? "activitySucceededEventDetails" : "activityFailedEventDetails"),
                     d, err) < 0 ||
        drop_token(txn, a, token, err) < 0)
        goto out_abort_txn;
    if (timer >= 0 && store_del(txn, STORE_TIMERS, key, sfn__timer_key(timer, arn, key), err) < 0)
        goto out_abort_txn;
    json_obj_del(rec, "timerMs", 7);
    json_obj_set(a, resume, "phase", json_new_strz(a, output ? "TASK_DONE" : "TASK_FAILED"));
    if (output)
        json_obj_set(a, resume, "result", json_new_strz(a, output));
    if (error)
        json_obj_set(a, resume, "error", json_new_strz(a, error));
    if (cause)
        json_obj_set(a, resume, "cause", json_new_strz(a, cause));
    json_obj_del(resume, "token", 5);
    if (put_record(txn, a, arn, rec, err) < 0)
        goto out_abort_txn;
    if (store_txn_commit(txn, err) < 0)
        return -1;
    sfn__sched_notify(sf, arn);
    *resp = json_new_obj(a);
    return 0;

out_abort_txn:
    store_txn_abort(txn);
    return -1;
}
