/* sfn.h - the Step Functions engine. Its doors: sfn_call (the API, used by
 * the HTTP server; later issue) and sfn_run (one execution to completion in
 * the calling thread, used by `stepwise run` and `stepwise test`).
 *
 * The engine reaches the database only through ddb_call / ddb_call_txn. */
#ifndef SW_SFN_H
#define SW_SFN_H

#include <stdbool.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "ddb/ddb.h"
#include "store/store.h"

typedef struct sfn sfn_t;

/* `store`, `db` and `clock` are borrowed and must outlive the engine. */
int sfn_open(store_t *store, ddb_t *db, sw_clock_t *clock, sfn_t **out, sw_error_t *err);
void sfn_close(sfn_t *sf);

/* Makes `sf` name `region` and `account` in the ARNs it makes from now on
 * (arn:aws:states:<region>:<account>:stateMachine:..., activity:...,
 * execution:..., express:...), in the default role ARN of sfn_run
 * (arn:aws:iam::<account>:role/StepFunctionsRole) and in the "region" of
 * TaskScheduled events. sfn_open starts with DDB_DEFAULT_REGION and
 * DDB_DEFAULT_ACCOUNT. Records already in the store keep the ARNs they were
 * made with. Fails with ValidationException, changing nothing, unless
 * ddb_region_is_valid(region) and ddb_account_is_valid(account). Both
 * strings are copied. Not thread-safe: call it before sfn_start and before
 * any sfn_call or sfn_run. */
int sfn_set_location(sfn_t *sf, const char *region, const char *account, sw_error_t *err);

/* One row of the debugger trace: what one attempt of one state did. A state
 * retried N times has N+1 rows (the failed ones name the error and the
 * delay in `result` and have `next` = the state itself). Rows of Parallel
 * branches and Map iterations follow their state's row, with depth + 1. */
typedef struct sfn_trace_step {
    int number;               /* 1-based */
    const char *state;        /* state name */
    const char *type;         /* "Task", "Choice", ... */
    const char *action;       /* "PutItem Orders", "$.ok == true", "Retry 2/3 after 2s", ... */
    const char *result;       /* "Success", "matched", error name, ... */
    const char *next;         /* next state, or NULL at the end */
    const json_t *input;      /* state input (after nothing was applied) */
    const json_t *output;     /* state output, or NULL on failure */
    const json_t *ddb_response; /* the DynamoDB response of a Task, or NULL */
    const char *entered_time; /* ISO time the state was entered */
    const char *time;         /* ISO time this attempt started: a retry's
                                 row is after its back-off (which the
                                 virtual clock skips, but counts) */
    int64_t time_ms;          /* the same, epoch ms */
    int attempt;              /* 0 the first attempt, N the Nth retry */
    const char *error;        /* the error this attempt failed with (the
                                 one a Retry or Catch handled), or NULL */
    const char *cause;        /* its cause, or NULL */
    int depth;                /* 0 at the top level; +1 inside each Parallel
                                 branch / Map iteration */
} sfn_trace_step_t;

typedef struct sfn_run_result {
    const char *status;       /* "SUCCEEDED", "FAILED", "TIMED_OUT" */
    json_t *output;           /* when SUCCEEDED */
    const char *error;        /* when FAILED / TIMED_OUT (may be NULL) */
    const char *cause;        /* may be NULL */
    json_t *history;          /* array of AWS-format history events, as
                                 GetExecutionHistory returns them: {timestamp
                                 (epoch seconds, a number), type, id,
                                 previousEventId, <type>EventDetails} */
    sfn_trace_step_t *steps;  /* the trace */
    size_t n_steps;
    const char *execution_arn;     /* arn:aws:states:...:execution:<machine>:<name> */
    const char *state_machine_arn;
    int64_t start_ms, stop_ms;     /* epoch ms by the engine's clock */
} sfn_run_result_t;

/* Optional settings of a run; any field may be NULL (defaults: a
 * UUID-shaped execution name, machine name "stepwise", a placeholder role). */
typedef struct sfn_run_opts {
    const char *name;          /* execution name */
    const char *machine_name;  /* state machine name, used in ARNs and $$ */
    const char *role_arn;      /* $$.Execution.RoleArn */
} sfn_run_opts_t;

/* Validates `definition` (the ASL document as JSON) and, if valid, runs one
 * execution named `name` (NULL: a generated UUID) with `input` (NULL: {})
 * to its end, in the calling thread, sleeping through the engine's clock.
 * Invalid definitions fail with type "InvalidDefinition" and AWS's message
 * listing every problem ("Invalid State Machine Definition:
 * 'SCHEMA_VALIDATION_FAILED: ... at /States/X'"); a store failure while
 * recording the execution fails with the store's error. A failed or timed
 * out execution is not an error: it is in *out. The execution record and
 * its history are written to the store (when the engine has one).
 * Everything is allocated in `a`. Concurrent runs need distinct arenas and
 * the real clock (a virtual clock is one shared timeline). */
int sfn_run(sfn_t *sf, const json_t *definition, const json_t *input,
            const char *name, arena_t *a, sfn_run_result_t *out, sw_error_t *err);

/* sfn_run with options (sfn_run is sfn_run_with and only `name` set). */
int sfn_run_with(sfn_t *sf, const json_t *definition, const json_t *input,
                 const sfn_run_opts_t *opts, arena_t *a, sfn_run_result_t *out,
                 sw_error_t *err);

/* Only validates; same errors as sfn_run. */
int sfn_validate(arena_t *a, const json_t *definition, sw_error_t *err);

/* The length constraint of the API's `definition` member
 * (CreateStateMachine, UpdateStateMachine, ValidateStateMachineDefinition):
 * 1 to 1,048,576 characters. */
#define SFN_MAX_DEFINITION_CHARS 1048576

/* Checks the definition text (`len` bytes of UTF-8) against that
 * constraint, counting characters as code points. Fails with AWS's
 * ValidationException ("1 validation error detected: Value at 'definition'
 * failed to satisfy constraint: Member must have length less than or equal
 * to 1048576"). `*n_chars` (may be NULL) receives the count. */
int sfn_definition_check_length(const char *text, size_t len, size_t *n_chars,
                                sw_error_t *err);

/* Splits an InvalidDefinition message ("Invalid State Machine Definition:
 * 'CODE: text at /path, CODE: ...'") into ValidateStateMachineDefinition's
 * diagnostics: [{"severity": "ERROR", "code", "message", "location"}].
 * Allocated in `a`. */
json_t *sfn_definition_diagnostics(arena_t *a, const char *msg);

/* Runs one Step Functions API operation ("CreateStateMachine",
 * "StartExecution", ...) exactly as the AWS Step Functions API reference
 * documents it. `req` is the request body as parsed JSON; on success *resp
 * is the response body (allocated in `a`), on failure `err` holds the AWS
 * error type ("StateMachineDoesNotExist", ...) and AWS's message, and
 * nothing changed. Unknown ops: "UnknownOperationException". Thread-safe:
 * any number of threads may call it at once, each with its own arena. */
int sfn_call(sfn_t *sf, const char *op, const json_t *req, arena_t *a, json_t **resp,
             sw_error_t *err);

/* True if `op` is an operation sfn_call implements. */
bool sfn_has_op(const char *op);
/* True if `op` is a known operation that writes through the store's group
 * commit (sfn_call returns once its batch is durable). */
bool sfn_op_is_write(const char *op);

/* HTTP status AWS sends with error `type` (400 for client errors, 500 for
 * internal ones), from the error catalogue in api.c. */
int sfn_error_status(const char *type);

/* Starts `n_workers` threads that run STANDARD executions in the
 * background: executions RUNNING in the store (after a restart too) resume
 * where their records say, and timers (Waits, retry back-offs) fire at
 * their due times. Without sfn_start, StartExecution records executions
 * that wait. Under the virtual clock, time jumps to the next timer whenever
 * no execution is runnable. */
int sfn_start(sfn_t *sf, int n_workers, sw_error_t *err);
/* Stops the workers (each finishes the step it is in; nothing is lost:
 * RUNNING executions resume at the next sfn_start). Called by sfn_close. */
void sfn_stop(sfn_t *sf);
/* Waits (up to `timeout_ms` of real time) until no execution is runnable
 * and no timer is pending: every started execution has ended. Returns
 * false on timeout. For tests and `stepwise test`. */
bool sfn_wait_idle(sfn_t *sf, int64_t timeout_ms);
/* Waits (up to `timeout_ms` of real time) until no execution is runnable:
 * each has ended or is parked on a timer (a Wait, a retry back-off). The
 * case runner calls it between the API steps of a case (real clock). */
bool sfn_wait_settled(sfn_t *sf, int64_t timeout_ms);

#endif
