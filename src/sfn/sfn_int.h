/* sfn_int.h - internals shared by the files of the Step Functions engine:
 * the compiled program (asl.c builds it), the pure step function's effects
 * (step.c), the task integrations (tasks.c) and the execution driver
 * (exec.c). Nothing outside src/sfn/ includes this header.
 *
 * Design notes
 * ------------
 * Program. asl.c compiles a definition once into an immutable tree of
 * sfn_program_t: a program is a list of states addressed by index, with
 * every transition resolved to an index (-1 = end of the frame), every
 * JSONPath / payload template / Choice rule pre-compiled (path.h) and every
 * Task Resource resolved to an integration. Parallel branches and the Map
 * ItemProcessor are nested programs. Everything lives in the program arena
 * and is never modified after sfn__program_compile returns, so one program
 * can be shared by any number of executions and threads.
 *
 * Step. step.c is a pure function of (program, state, input, context,
 * now, attempt counters): it returns sfn_effects_t describing what to do
 * next (transition with an output, run a task, sleep, run branches, retry
 * after a delay, fail). It does no I/O, reads no clock and touches no
 * store: exec.c supplies "now" and random jitter as data.
 *
 * Execution. exec.c drives one execution as a tree of frames: the root
 * runs the state machine, each Parallel branch and Map iteration is a child
 * frame. A frame is plain data (program, state index, input, phase, retry
 * counters, children), and a small scheduler runs ready frames in FIFO
 * order; a frame that waits (Wait state, retry back-off) sleeps until its
 * wake-up time, one blocked on its children waits for them. When nothing
 * is ready, the clock sleeps (really, or virtually) to the earliest
 * wake-up, so branches run concurrently in time under both clocks while a
 * run without waits stays deterministic. A failed child abandons its
 * siblings (AWS aborts them); a retried Parallel/Map starts a new
 * generation of children and stale ones are dropped. Two drivers share
 * this loop: run_inline (sfn_run, EXPRESS executions: one run to the end
 * in the calling thread) and sfn__exec_advance (STANDARD executions on
 * sched.c's workers: from the stored record to the next park or the end;
 * see "exec.c: durable executions" below, next to its functions).
 *
 * Records. STORE_EXEC maps the execution ARN to its record and ARN +
 * "\0def" to the definition snapshot it runs (format below, at
 * sfn__exec_start). STORE_HISTORY keys are the execution ARN, a NUL byte
 * and the event id as u32 big-endian, so one execution's events are one
 * ordered range; values are the event JSON. A top-level Task's DynamoDB
 * call, its events and the transition that follows it commit in one
 * transaction.
 *
 * History. Event ids are 1-based and dense; previousEventId is the last
 * event of the same frame (0 for the first state of the execution, the
 * ParallelStateStarted / MapIterationStarted event for a branch's first
 * state). An execution stops at 25,000 events (AWS's quota), which also
 * bounds definitions that loop forever under the virtual clock.
 *
 * Errors. Run-time failures carry an error name and a cause. States.Runtime
 * (and States.DataLimitExceeded) are terminal: States.ALL never matches
 * them and no Retry/Catch can handle them (AWS error-handling guide). exec.c
 * prefixes States.Runtime causes with "An error occurred while executing
 * the state 'X' (entered at the event id #N). " as AWS does. */
#ifndef SW_SFN_INT_H
#define SW_SFN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"
#include "sfn/path.h"
#include "sfn/sfn.h"

typedef enum sfn_state_type {
    SFN_STATE_PASS,
    SFN_STATE_TASK,
    SFN_STATE_CHOICE,
    SFN_STATE_WAIT,
    SFN_STATE_SUCCEED,
    SFN_STATE_FAIL,
    SFN_STATE_PARALLEL,
    SFN_STATE_MAP
} sfn_state_type_t;

/* How a Task's Resource is carried out. */
typedef enum sfn_task_kind {
    SFN_TASK_DDB_OPTIMIZED,  /* arn:aws:states:::dynamodb:putItem ... */
    SFN_TASK_DDB_SDK,        /* arn:aws:states:::aws-sdk:dynamodb:<action> */
    SFN_TASK_ACTIVITY,       /* arn:aws:states:<region>:<account>:activity:<name>;
                                task_action is the activity ARN (exec.c runs it:
                                GetActivityTask / SendTask* complete it) */
    SFN_TASK_CALLBACK        /* arn:aws:states:::<service>:<action>.waitForTaskToken:
                                the execution waits for SendTask* with
                                $$.Task.Token. task_op is the service
                                ("lambda", "aws-sdk:dynamodb"), task_action the
                                action with its suffix ("invoke.waitForTaskToken",
                                "putItem.waitForTaskToken"), as history events
                                name them. Of a service stepwise does not host
                                nothing is called; a DynamoDB action is called
                                first (sfn__task_callback_op) */
} sfn_task_kind_t;

typedef struct sfn_program sfn_program_t;

typedef struct sfn_retrier {
    const char **errors;      /* ErrorEquals */
    size_t n_errors;
    int64_t interval_ms;      /* IntervalSeconds, default 1 s */
    int max_attempts;         /* MaxAttempts, default 3; 0 = never retry */
    double backoff_rate;      /* BackoffRate, default 2.0 */
    int64_t max_delay_ms;     /* MaxDelaySeconds; 0 = none */
    bool is_jitter_full;      /* JitterStrategy FULL */
} sfn_retrier_t;

typedef struct sfn_catcher {
    const char **errors;
    size_t n_errors;
    int next;                 /* state index */
    const char *next_name;
    sfn_path_t *result_path;  /* NULL with is_result_path_null false = "$" */
    bool is_result_path_null;
} sfn_catcher_t;

typedef struct sfn_choice {
    sfn_rule_t *rule;
    int next;
    const char *next_name;
} sfn_choice_t;

typedef struct sfn_state {
    const char *name;
    sfn_state_type_t type;
    const char *type_name;    /* "Task", ... */
    int next;                 /* index of Next; -1 with is_end */
    const char *next_name;
    bool is_end;

    /* Input/output processing. A NULL path without its is_*_null flag
     * means the default "$". */
    sfn_path_t *input_path;
    bool is_input_path_null;
    sfn_path_t *output_path;
    bool is_output_path_null;
    sfn_path_t *result_path;
    bool is_result_path_null;
    sfn_template_t *parameters;      /* Parameters (Map: ItemSelector) */
    sfn_template_t *result_selector;
    const json_t *result;            /* Pass: Result (literal) */

    /* Task. */
    const char *resource;
    sfn_task_kind_t task_kind;
    const char *task_op;             /* DynamoDB API op: "PutItem" */
    const char *task_action;         /* as in the ARN: "putItem" */
    int64_t timeout_s;               /* TimeoutSeconds, 0 = none */
    int64_t heartbeat_s;             /* HeartbeatSeconds, 0 = none (activities) */

    sfn_retrier_t *retriers;
    size_t n_retriers;
    sfn_catcher_t *catchers;
    size_t n_catchers;

    /* Choice. */
    sfn_choice_t *choices;
    size_t n_choices;
    int default_next;                /* -1 = no Default */
    const char *default_name;

    /* Wait: exactly one of the four. */
    bool has_seconds;
    int64_t seconds;
    bool has_timestamp;
    int64_t timestamp_ms;
    sfn_path_t *seconds_path;
    sfn_path_t *timestamp_path;

    /* Fail: literal, or ErrorPath/CausePath (a reference path or an
     * intrinsic call) evaluated at run time. */
    const char *error;
    const char *cause;
    sfn_expr_t *error_expr;
    sfn_expr_t *cause_expr;

    /* Parallel. */
    sfn_program_t **branches;
    size_t n_branches;

    /* Map. */
    sfn_program_t *iterator;
    sfn_path_t *items_path;          /* default "$" */
    int max_concurrency;
} sfn_state_t;

struct sfn_program {
    sfn_state_t *states;
    size_t n_states;
    int start;
    /* Open-addressing hash index of the state names: n_slots (a power of
     * two, at least 2 * n_states) entries, each a state index or -1.
     * Name lookups (transitions at compile time, resume points at run
     * time) cost O(1), so compiling is linear in the number of states. */
    int *name_slots;
    size_t n_slots;
    int64_t timeout_s;               /* top-level TimeoutSeconds, 0 = none */
};

/* ---- asl.c ------------------------------------------------------------ */

/* Compiles and validates `def`. On failure `err` has type
 * "InvalidDefinition" and AWS's message listing every problem. The program
 * and everything it points to are allocated in `a`. */
int sfn__program_compile(arena_t *a, const json_t *def, sfn_program_t **out,
                         sw_error_t *err);
/* Index of the state named `name` in `p`, or -1. */
int sfn__program_find(const sfn_program_t *p, const char *name);

/* ---- step.c ----------------------------------------------------------- */

typedef enum sfn_eff_kind {
    SFN_EFF_TRANSITION,  /* go to `next` (-1: the frame ends) with `output` */
    SFN_EFF_TASK,        /* call the integration with `task_params` */
    SFN_EFF_WAIT,        /* sleep `delay_ms`, then go to `next` with `output` */
    SFN_EFF_PARALLEL,    /* run every branch with `effective_input` */
    SFN_EFF_MAP,         /* run the iterator over `items` */
    SFN_EFF_RETRY,       /* sleep `delay_ms`, then run the state again */
    SFN_EFF_FAIL         /* the state failed: `error`, `cause` */
} sfn_eff_kind_t;

typedef struct sfn_effects {
    sfn_eff_kind_t kind;
    int next;                    /* TRANSITION / WAIT */
    json_t *output;              /* TRANSITION / WAIT / caught error output */
    json_t *effective_input;     /* after InputPath + Parameters */
    json_t *task_params;         /* TASK */
    json_t *items;               /* MAP: the array to iterate */
    int64_t delay_ms;            /* WAIT / RETRY */
    int retrier;                 /* RETRY: index of the retrier used */
    int attempt;                 /* RETRY: 1-based retry number */
    bool is_caught;              /* TRANSITION from a Catcher */
    int catcher;                 /* index of the Catcher that fired */
    bool is_fail_state;          /* FAIL came from a Fail state */
    bool is_heartbeat_timeout;   /* FAIL: States.Timeout because the Task's
                                    HeartbeatSeconds ran out */
    const char *error;           /* FAIL / caught error */
    const char *cause;
    const char *action;          /* trace text, in the arena */
    const char *result;          /* trace text */
} sfn_effects_t;

/* Runs the entry part of state `idx` with raw state input `input` and
 * context object `ctx` at time `now_ms`: Pass, Choice, Wait, Succeed and
 * Fail finish here; Task, Parallel and Map return what to run. Never fails:
 * a run-time error is an SFN_EFF_FAIL effect. Allocated in `a`. */
void sfn__step_enter(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                     const json_t *ctx, int64_t now_ms, sfn_effects_t *eff);
/* Completes a Task/Parallel/Map whose work produced `result`: applies
 * ResultSelector, ResultPath (into the raw input) and OutputPath; gives a
 * TRANSITION, or a FAIL (States.Runtime) if a path fails. */
void sfn__step_result(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                      const json_t *result, const json_t *ctx, sfn_effects_t *eff);
/* Decides what happens after the state failed with `error`/`cause`:
 * RETRY (using `retry_counts`, one counter per retrier, not modified; the
 * caller increments retry_counts[eff->retrier]), TRANSITION via a Catcher
 * (output = raw input with {"Error","Cause"} at the catcher's ResultPath),
 * or FAIL. `jitter01` in [0,1) is the random draw for JitterStrategy FULL.
 * Reads eff->is_heartbeat_timeout (the failure being handled) first. */
void sfn__step_error(arena_t *a, const sfn_program_t *p, int idx, const json_t *input,
                     const char *error, const char *cause, const int *retry_counts,
                     double jitter01, sfn_effects_t *eff);
/* The input of one Map iteration: ItemSelector (evaluated with the Map's
 * effective input as "$" and `ctx` holding Map.Item) or the item itself. */
int sfn__step_map_item(arena_t *a, const sfn_program_t *p, int idx,
                       const json_t *effective_input, const json_t *item,
                       const json_t *ctx, json_t **out, sw_error_t *err);
/* True if a retrier/catcher list `errors` matches error name `error`;
 * `is_heartbeat_timeout`: it is the States.Timeout of a lapsed heartbeat,
 * which States.HeartbeatTimeout matches too. */
bool sfn__error_matches(const char **errors, size_t n_errors, const char *error,
                        bool is_heartbeat_timeout);

/* ---- intrinsics.c: random draws ---------------------------------------
 * States.UUID and States.MathRandom without a seed draw from the calling
 * thread's source: the kernel, unless sfn__draws_seed gave it a seed, after
 * which the draws are a function of it. A durable execution seeds it before
 * each step with where the step is (its frame, visit and attempt), so that
 * a replay of the step draws what its first run drew. */
void sfn__draws_seed(bool is_seeded, uint64_t seed);

/* ---- tasks.c ---------------------------------------------------------- */

/* Resolves a Resource ARN. On success sets kind/op/action (static or in `a`);
 * on failure returns -1 and fills `err` with the validation message text
 * (without location). */
int sfn__task_resolve(arena_t *a, const char *resource, sfn_task_kind_t *kind,
                      const char **op, const char **action, sw_error_t *err);

/* The outcome of one integration call. */
typedef struct sfn_task_outcome {
    bool is_ok;
    json_t *result;          /* the task result (optimized: with Sdk* metadata) */
    json_t *ddb_response;    /* the raw DynamoDB response, or NULL */
    const char *error;       /* "DynamoDB.ConditionalCheckFailedException" */
    const char *cause;
} sfn_task_outcome_t;

/* The DynamoDB operation ("PutItem") a callback Task calls before it
 * waits (aws-sdk:dynamodb:<action>.waitForTaskToken), or NULL when it calls
 * nothing. Allocated in `a`. */
const char *sfn__task_callback_op(arena_t *a, const sfn_state_t *st);

/* Runs the Task's integration with `params` inside `txn` (or, when `txn`
 * is NULL, in its own transaction through ddb_call). `request_id` names the
 * AWS request id used in metadata and causes; `now_ms` dates the headers. */
void sfn__task_run(arena_t *a, ddb_t *db, store_txn_t *txn, const sfn_state_t *st,
                   const json_t *params, const char *request_id, int64_t now_ms,
                   sfn_task_outcome_t *out);

/* ---- sfn.c/exec.c ----------------------------------------------------- */

typedef struct sfn_sched sfn_sched_t;

struct sfn {
    store_t *store;   /* borrowed; may be NULL (no persistence) */
    ddb_t *db;        /* borrowed; may be NULL (Tasks fail) */
    sw_clock_t *clock;
    uint64_t n_runs;  /* for request ids */
    sfn_sched_t *sched;  /* worker threads, once sfn_start ran */
    /* sfn_set_location's; read without a lock by API calls and workers,
     * so set before either starts. */
    char region[DDB_REGION_MAX_LEN + 1];
    char account[DDB_ACCOUNT_LEN + 1];
    char arn_prefix[32 + DDB_REGION_MAX_LEN];  /* "arn:aws:states:R:A:" */
};

/* The clock, safe to read while worker threads run (the virtual clock is
 * advanced by the scheduler with atomic stores). */
int64_t sfn__now_ms(sfn_t *sf);
/* Sleeps (real clock) or moves the virtual clock to at least now + ms. */
void sfn__sleep_ms(sfn_t *sf, int64_t ms);
/* Epoch ms as the API's timestamps: a number of epoch seconds with
 * milliseconds ("1733255861.123"). Allocated in `a`. */
json_t *sfn__epoch_json(arena_t *a, int64_t ms);

/* ---- api.c ------------------------------------------------------------ */

/* AWS's name rule for state machines and executions: 1..80 characters,
 * no whitespace, brackets, wildcards, special or control characters. */
bool sfn__name_is_valid(const char *s, size_t len);
/* Checks that member `key`'s `len` bytes of UTF-8 hold min_chars to
 * max_chars characters (code points); *n_chars (may be NULL) gets the
 * count. Fails with AWS's ValidationException for a sensitive member
 * ("1 validation error detected: Value at 'cause' failed to satisfy
 * constraint: Member must have length less than or equal to 32768"). */
int sfn__check_length(const char *key, const char *text, size_t len, size_t min_chars,
                      size_t max_chars, size_t *n_chars, sw_error_t *err);
/* Page tokens (nextToken) of the List* and GetExecutionHistory calls:
 * "POS:CHECK", POS where the next page starts (a name, an offset), CHECK
 * 16 hex digits of a hash of POS, so that a token this server did not hand
 * out gets AWS's InvalidToken rather than a page from some other place. */
json_t *sfn__page_token(arena_t *a, const char *scope, const char *pos, size_t len);
/* The position `token` resumes at (in `a`), "" for no token (NULL).
 * `scope` names the request a token may serve ("ListActivities", the
 * operation and its ARN and filters): a token handed out for another is
 * InvalidToken too. */
int sfn__page_token_parse(arena_t *a, const char *scope, const char *token, const char **pos,
                          sw_error_t *err);
/* String member `key` of `req` in *out (NULL when absent and optional):
 * ValidationException when a required one is absent, SerializationException
 * when it is not a string. */
int sfn__req_str(const json_t *req, const char *key, bool is_required, const char **out,
                 sw_error_t *err);
/* Integer member `key` (0 when absent) within [lo, hi], else
 * ValidationException as AWS words it. */
int sfn__req_int(const json_t *req, const char *key, int64_t lo, int64_t hi, int64_t *out,
                 sw_error_t *err);
/* The name in an ARN "arn:aws:states:<region>:<account>:<kind>:<name>..."
 * (`kind` "stateMachine" or "execution"); InvalidArn otherwise. For
 * executions *name is "<machine>:<execution>". Allocated in `a`. */
int sfn__arn_parse(arena_t *a, const char *arn, const char *kind, const char **name,
                   sw_error_t *err);

/* ---- machines.c ------------------------------------------------------- */

/* The state machine record for `arn` (JSON: stateMachineArn, name, status,
 * definition, roleArn, type, creationMs, [updateMs, revisionId],
 * loggingConfiguration, tracingConfiguration), or NULL when there is none.
 * Allocated in `a`. */
json_t *sfn__machine_get(store_txn_t *txn, arena_t *a, const char *arn);
int sfn__machine_op(sfn_t *sf, const char *op, const json_t *req, arena_t *a,
                    json_t **resp, sw_error_t *err);
bool sfn__machine_has_op(const char *op);
bool sfn__machine_op_is_write(const char *op);

/* ---- exec.c: durable executions --------------------------------------- *
 *
 * STORE_EXEC holds, per execution ARN, the record (JSON): executionArn,
 * stateMachineArn, name, type, status, startMs, [stopMs], input (text),
 * [output | error, cause] (text), roleArn, lastEventId (the last event in
 * STORE_HISTORY), [timerMs] and, while RUNNING, `resume`: where the root
 * frame carries on: {state, input (text), prev, phase ("ENTER" | "WAIT" |
 * "RETRY" | "ACTIVITY" | "TASK_DONE" | "TASK_FAILED"), enteredId,
 * enteredMs, retryCounts, nRetries, [token, taskInput, callback,
 * timeoutAtMs, heartbeatMs, deadlineMs, result, error, cause]}. Key ARN + "\0def"
 * holds the definition and machine snapshot the execution runs (and
 * DescribeStateMachineForExecution returns). STORE_TIMERS keys are the due
 * time (ms, u64 BE) followed by the execution ARN; the record's timerMs
 * names its one live timer.
 *
 * Checkpoints. A worker runs an execution from its record until the root
 * frame parks (a Wait or retry back-off at the top level: the record and
 * a timer are written, no thread waits) or the execution ends. Events are
 * written to STORE_HISTORY only with a checkpoint; a checkpoint is written
 * by a top-level Task in the same transaction as its DynamoDB call, when
 * the root parks and at the end, always after checking that the record is
 * still the one the worker started from (StopExecution may have closed it:
 * then the worker's unwritten work is dropped). Pure states between
 * checkpoints are simply replayed after a crash, so history is never torn
 * nor duplicated, and a top-level Task's write is never applied twice.
 *
 * Inside Parallel branches and Map iterations (child frames) nothing is
 * checkpointed: a run that stops there - a crash, a restart, or a park -
 * replays the whole Parallel / Map state from the root's resume point.
 * Replay is exact because it is deterministic: every effect of a child
 * frame that must not happen twice or that depends on time is memoized
 * under key ARN + "\0m" + the frame's path (its place in the tree:
 * "/VISITS.ATTEMPT.SLOT" per level, the parent's count of state visits and
 * retry attempt when it launched the child) + "@VISITS.ATTEMPT.STATE" +
 * kind: "T", a Task's outcome, written in the transaction of its DynamoDB
 * call, so the call is never made twice; "S", the wake-up time of a Wait
 * or retry back-off, so it fires at its original due time. Intrinsic
 * random draws are a function of the record's `seed` and the step's place
 * (sfn__draws_seed), and the replay's clock reads the first run's times
 * (resume `atMs`, then each memo's). When no frame is ready, the execution
 * parks on a durable timer at the earliest wake-up, whichever frame
 * sleeps, so no thread waits: the resume point moves to the entry of the
 * root's Parallel / Map state (unless it is in a retry, whose back-off
 * point holds its counters), every event so far is written, and
 * `replayFromEventId` says where the replay starts: the events it makes
 * again up to the record's lastEventId are not written twice. The root's
 * visit count travels in its resume point (`visits`) so that paths are
 * the same on every replay. Memos go when the execution ends or stops. */

/* StartExecution / StartSyncExecution: the request is already validated
 * up to `machine` (its record) and `input` (parsed; `input_text` as given).
 * STANDARD: writes the RUNNING record, the definition snapshot and the
 * ExecutionStarted event (idempotent per AWS: same name and input while
 * RUNNING returns the original), and fills *resp {executionArn, startDate}.
 * EXPRESS with `is_sync`: runs it to its end in the calling thread,
 * without writing anything, and fills the StartSyncExecution response. */
int sfn__exec_start(sfn_t *sf, arena_t *a, const json_t *machine, const char *name,
                    const char *input_text, const json_t *input, bool is_sync,
                    json_t **resp, sw_error_t *err);
/* Runs execution `arn` from its record until it parks or ends (worker
 * threads). `fired_timer_ms` is the due time of the timer that woke it, or
 * -1. Returns -1 only on store failures. */
int sfn__exec_advance(sfn_t *sf, const char *arn, int64_t fired_timer_ms, sw_error_t *err);
/* StopExecution: closes a RUNNING execution as ABORTED. */
int sfn__exec_stop(sfn_t *sf, arena_t *a, const char *arn, const char *error,
                   const char *cause, json_t **resp, sw_error_t *err);
/* The record of execution `arn` (parsed, in `a`) or NULL. */
json_t *sfn__exec_get(store_txn_t *txn, arena_t *a, const char *arn);
/* The definition snapshot of execution `arn` or NULL. */
json_t *sfn__exec_get_def(store_txn_t *txn, arena_t *a, const char *arn);

/* Store keys: history event `id` of execution `arn`; timer due at
 * `due_ms` for `arn`. `key` needs STORE_MAX_KEY bytes; returns the length. */
size_t sfn__history_key(const char *arn, int64_t id, unsigned char *key);
size_t sfn__timer_key(int64_t due_ms, const char *arn, unsigned char *key);

/* Activities (exec.c). A top-level Task on an activity parks its execution
 * (resume phase "ACTIVITY", a timer only for TimeoutSeconds /
 * HeartbeatSeconds) and posts the task in STORE_TOKENS: "t:<token>" ->
 * {executionArn, activityArn, queueKey} and "q:<activity ARN>\0<seq u64 BE>"
 * -> token, the queue GetActivityTask takes from. SendTaskSuccess /
 * SendTaskFailure record the outcome in the resume point (phase
 * "TASK_DONE" / "TASK_FAILED") with its history event and wake the
 * execution; each of these writes is one transaction. */

/* GetActivityTask without waiting: the oldest task of `activity_arn` (its
 * ActivityStarted event recorded), or *resp without taskToken when none. */
int sfn__activity_poll(sfn_t *sf, arena_t *a, const char *activity_arn, const char *worker,
                       json_t **resp, sw_error_t *err);
/* SendTaskSuccess (`output`), SendTaskFailure (`error`, `cause`) or, with
 * `is_heartbeat`, SendTaskHeartbeat for `token`. */
int sfn__task_send(sfn_t *sf, arena_t *a, const char *token, bool is_heartbeat,
                   const char *output, const char *error, const char *cause, json_t **resp,
                   sw_error_t *err);
/* machines.c: the activity record for `arn` or NULL. */
json_t *sfn__activity_get(store_txn_t *txn, arena_t *a, const char *arn);

/* ---- sched.c ---------------------------------------------------------- */

/* Tells the workers execution `arn` is ready to run (no-op before
 * sfn_start). Thread-safe. */
void sfn__sched_notify(sfn_t *sf, const char *arn);
/* GetActivityTask's long poll: waits (real time) until an activity task is
 * posted (sfn__sched_activity_posted), `until_ms` (real epoch ms) passes or
 * the workers stop; returns false when there is no point polling again. */
bool sfn__sched_wait_activity(sfn_t *sf, int64_t until_ms);
void sfn__sched_activity_posted(sfn_t *sf);

#endif
