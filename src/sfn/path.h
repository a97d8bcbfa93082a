/* path.h - JSONPath, reference paths, payload templates, intrinsic
 * functions and Choice rules: the data-processing half of the ASL, compiled
 * once per state machine into immutable structures (allocated in the
 * program's arena) and evaluated per state transition against JSON values.
 *
 * Errors at compile time are definition errors: `err->type` is
 * "SCHEMA_VALIDATION_FAILED" and `err->msg` says what is wrong (the caller
 * adds the location, e.g. "at /States/A/Parameters"). Errors at run time are
 * States.* errors: `err->type` is the error name ("States.Runtime",
 * "States.IntrinsicFailure", ...) and `err->msg` AWS's cause text. */
#ifndef SW_SFN_PATH_H
#define SW_SFN_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/json.h"
#include "base/error.h"

/* ---- JSONPath ------------------------------------------------------- */

typedef struct sfn_path sfn_path_t;

/* Compiles a path starting with "$" ("$$" addresses the context object).
 * The full syntax is Jayway JsonPath's, which AWS runs: .name, ['name'],
 * [n] / [-n], [*] / .*, ..deep, [a:b:c], [0,1] / ['a','b'],
 * [?(@.x > 1 && @.y == 'z' || !@.w)], trailing .length().
 * `is_reference` restricts it to a Reference Path (.name, ['name'] and [n]
 * only: a single node), as ResultPath, Variable, ...Path and ErrorPath
 * require (InputPath and OutputPath are full Paths). The result lives in `a` and is immutable:
 * share it between threads freely. */
int sfn_path_compile(arena_t *a, const char *text, size_t len, bool is_reference,
                     sfn_path_t **out, sw_error_t *err);
/* The path's source text. */
const char *sfn_path_text(const sfn_path_t *p);
/* True if the path addresses the context object ("$$..."). */
bool sfn_path_is_context(const sfn_path_t *p);

/* Evaluates against `input` (or `context` for "$$" paths). A reference path
 * gives the single node; a path with wildcards/filters/slices gives an array
 * of the matches (possibly empty: never false). Returns false (no error)
 * when a definite path matches nothing: the caller words the States.Runtime
 * error for its field. *out is borrowed from the inputs (definite paths
 * allocate nothing) or allocated in `a`; treat it as read-only. */
bool sfn_path_eval(arena_t *a, const sfn_path_t *p, const json_t *input,
                   const json_t *context, json_t **out);

/* ResultPath: returns `input` with `value` placed at `p`, creating objects
 * on the way ("$" replaces the whole input; [n] replaces an existing array
 * element). The input is not modified: the result is a new tree in `a`
 * sharing unchanged subtrees (and `value`). Fails with States.Runtime
 * "Unable to apply ResultPath '$.a.b' to input '...'" when a step meets a
 * non-object or an index is out of range, and for "$$" paths (reject those
 * at compile time with sfn_path_is_context). */
int sfn_path_set(arena_t *a, const sfn_path_t *p, const json_t *input,
                 const json_t *value, json_t **out, sw_error_t *err);

/* ---- Payload templates (Parameters, ResultSelector, ItemSelector) ---- */

typedef struct sfn_template sfn_template_t;

/* Compiles a template (any JSON value; deep-copied into `a`): keys ending
 * in ".$" take a path (full JSONPath syntax) or an intrinsic function call
 * ("States.Format(...)") and lose the ".$"; everything else is literal,
 * including objects inside arrays. Compile errors name the field, e.g.
 * "The value for the field 'x.$' must be a valid JSONPath or a valid
 * intrinsic function call". */
int sfn_template_compile(arena_t *a, const json_t *tmpl, sfn_template_t **out,
                         sw_error_t *err);
/* Evaluates with `input` as "$" and `context` as "$$". A path that matches
 * nothing fails with States.Runtime ("The JSONPath '$.x' specified for the
 * field 'y.$' could not be found in the input '...'"; the caller prefixes
 * "An error occurred while executing the state ..."); intrinsic failures
 * with States.IntrinsicFailure. New containers are allocated in `a`; values
 * selected by paths are shared with `input`/`context`, not copied. */
int sfn_template_eval(arena_t *a, const sfn_template_t *t, const json_t *input,
                      const json_t *context, json_t **out, sw_error_t *err);

/* ---- Single values: a path or an intrinsic call (ErrorPath, CausePath,
 * and any "x.$"-style field that is not a whole template) ---------------- */

typedef struct sfn_expr sfn_expr_t;

/* Compiles `text`: a path ("$..." / "$$...", restricted to a Reference Path
 * when `is_reference`) or an intrinsic call ("States.Format(...)"). */
int sfn_expr_compile(arena_t *a, const char *text, size_t len, bool is_reference,
                     sfn_expr_t **out, sw_error_t *err);
/* Evaluates. A path that matches nothing fails with States.Runtime worded
 * for `field` ("The JSONPath '$.x' specified for the field 'ErrorPath' could
 * not be found in the input '...'"); intrinsic failures with
 * States.IntrinsicFailure. *out is borrowed from the inputs or allocated
 * in `a`. */
int sfn_expr_eval(arena_t *a, const sfn_expr_t *e, const json_t *input,
                  const json_t *context, const char *field, json_t **out,
                  sw_error_t *err);
/* The path when the expression is a plain path, else NULL. */
const sfn_path_t *sfn_expr_path(const sfn_expr_t *e);

/* ---- Timestamps (Choice Timestamp*, Wait Timestamp/TimestampPath) ----- */

/* Parses an RFC 3339 timestamp as AWS accepts it ("2016-03-14T01:59:00Z",
 * uppercase T and Z, optional fraction, or a numeric offset "+01:00") into
 * nanoseconds since the Unix epoch. Returns false if it is not one. */
bool sfn_timestamp_parse(const char *s, size_t len, int64_t *out_ns);

/* ---- Choice rules ------------------------------------------------------ */

typedef struct sfn_rule sfn_rule_t;

/* Compiles one Choice rule (top-level: needs "Next", which is returned in
 * *next; nested rules inside And/Or/Not have none). Validates the
 * comparison operators, their operand types and paths as AWS does. */
int sfn_rule_compile(arena_t *a, const json_t *rule, bool is_top_level,
                     sfn_rule_t **out, const char **next, sw_error_t *err);
/* Evaluates; a Variable path that matches nothing fails with States.Runtime
 * ("Invalid path '$.x': The choice state's condition path references an
 * invalid value."). */
int sfn_rule_eval(arena_t *a, const sfn_rule_t *r, const json_t *input,
                  const json_t *context, bool *matched, sw_error_t *err);
/* A short human text of the rule for the trace, e.g.
 * "$.status == \"OK\"" or "And(...)"; allocated in `a`. */
const char *sfn_rule_describe(arena_t *a, const sfn_rule_t *r);

#endif
