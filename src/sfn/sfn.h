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

/* One row of the debugger trace: what one state did. */
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
} sfn_trace_step_t;

typedef struct sfn_run_result {
    const char *status;       /* "SUCCEEDED", "FAILED", "TIMED_OUT" */
    json_t *output;           /* when SUCCEEDED */
    const char *error;        /* when FAILED / TIMED_OUT (may be NULL) */
    const char *cause;        /* may be NULL */
    json_t *history;          /* array of AWS-format history events */
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
 * execution named `name` with `input` to its end. Invalid definitions fail
 * with type "InvalidDefinition" and AWS's message listing every problem
 * ("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ... at
 * /States/X'"). A failed execution is not an error: it is in *out.
 * Everything is allocated in `a`. */
int sfn_run(sfn_t *sf, const json_t *definition, const json_t *input,
            const char *name, arena_t *a, sfn_run_result_t *out, sw_error_t *err);

/* sfn_run with options (sfn_run is sfn_run_with and only `name` set). */
int sfn_run_with(sfn_t *sf, const json_t *definition, const json_t *input,
                 const sfn_run_opts_t *opts, arena_t *a, sfn_run_result_t *out,
                 sw_error_t *err);

/* Only validates; same errors as sfn_run. */
int sfn_validate(arena_t *a, const json_t *definition, sw_error_t *err);

#endif
