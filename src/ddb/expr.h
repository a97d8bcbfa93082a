/* expr.h - DynamoDB expressions: condition (also filter and key condition),
 * update and projection. Text is parsed once into an AST; evaluation works
 * on the AST and items only, never on text.
 *
 * Items are json_t objects in DynamoDB JSON form ({"a": {"S": "x"}, ...}),
 * already validated (numbers normalised). Evaluation never modifies its
 * input: new trees are built in the arena given (they may share unchanged
 * subtrees with the input, so the input must outlive the result).
 *
 * Flow for one request:
 *   ctx = ddb_expr_ctx_new(a, ExpressionAttributeNames, ExpressionAttributeValues)
 *   parse every expression of the request with that ctx
 *   ddb_expr_ctx_check_unused(ctx)      -- after the last parse
 *   evaluate (as often as needed: per item in a scan, ...)
 * Every error is a ValidationException with AWS's wording, e.g.
 * "Invalid UpdateExpression: Syntax error; token: \"x\", near: \"SET x\"".
 *
 * Lifetimes: the ctx and all ASTs are allocated in the ctx's arena and live
 * as long as it; ASTs borrow names and values from the request JSON, which
 * must outlive them. ASTs are immutable once parsed: evaluation is reentrant. */
#ifndef SW_DDB_EXPR_H
#define SW_DDB_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include "base/arena.h"
#include "base/error.h"
#include "base/json.h"

/* Which request parameter an expression came from: it names the expression
 * in error messages ("Invalid FilterExpression: ...") and restricts what it
 * may contain (key conditions, projections). */
typedef enum ddb_expr_kind {
    DDB_EXPR_CONDITION,      /* ConditionExpression */
    DDB_EXPR_FILTER,         /* FilterExpression */
    DDB_EXPR_KEY_CONDITION,  /* KeyConditionExpression */
    DDB_EXPR_UPDATE,         /* UpdateExpression */
    DDB_EXPR_PROJECTION      /* ProjectionExpression */
} ddb_expr_kind_t;

typedef struct ddb_expr_ctx ddb_expr_ctx_t;
typedef struct ddb_cond ddb_cond_t;
typedef struct ddb_update ddb_update_t;
typedef struct ddb_proj ddb_proj_t;

/* Limits (AWS): expression text 4 KB, 100 operands of IN, 255 operators /
 * functions in an expression, path depth 32. */
#define DDB_EXPR_MAX_LEN 4096
#define DDB_EXPR_MAX_IN 100
#define DDB_EXPR_MAX_DEPTH 32

/* A context over the request's ExpressionAttributeNames and
 * ExpressionAttributeValues (either may be NULL = absent; both borrowed).
 * Validates them: empty maps ("ExpressionAttributeNames must not be empty"),
 * keys not starting with '#' / ':' ("ExpressionAttributeNames contains
 * invalid key: Syntax error; key: \"x\""), name values not strings,
 * AttributeValues that are invalid ("ExpressionAttributeValues contains
 * invalid value: <reason> for key :v"). Values are kept with their numbers
 * normalised. *out allocated in `a`. */
int ddb_expr_ctx_new(arena_t *a, const json_t *names, const json_t *values,
                     ddb_expr_ctx_t **out, sw_error_t *err);

/* After all of a request's expressions are parsed: errors if a name or value
 * was provided and never used:
 *   "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"
 *   "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}" */
int ddb_expr_ctx_check_unused(const ddb_expr_ctx_t *ctx, sw_error_t *err);

/* Parses a condition (kind CONDITION, FILTER or KEY_CONDITION), an update
 * or a projection; *out allocated in the ctx's arena. Errors are
 * "Invalid <Kind>: ..." with AWS's wording; when a text has several, the one
 * DynamoDB reports: syntax ("Syntax error; token: \"x\", near: \"...\""),
 * redundant parentheses, invalid function name, misused function, reserved
 * word, update clause used twice, undefined #name / :value and operand checks
 * in text order, overlapping then conflicting paths, ADD / DELETE operand
 * types, update function checks. An empty text is "Invalid <Kind>: The
 * expression can not be empty;". Marks the names and values used. */
int ddb_expr_parse_cond(ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                        const char *text, size_t len, ddb_cond_t **out,
                        sw_error_t *err);
int ddb_expr_parse_update(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                          ddb_update_t **out, sw_error_t *err);
int ddb_expr_parse_proj(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                        ddb_proj_t **out, sw_error_t *err);

/* Evaluates `c` on `item` (NULL = the item does not exist: every path is
 * missing). *is_true gets the result. Comparisons of mismatched types are
 * false, never errors; a missing attribute is unequal to everything (so
 * "a <> :v" holds). Currently never fails (err kept for the contract).
 * size() results are allocated in `a` (use a scratch arena in scans). */
int ddb_cond_eval(const ddb_cond_t *c, arena_t *a, const json_t *item,
                  bool *is_true, sw_error_t *err);

/* Applies `u` to `item` (NULL = missing item: starts from an empty one).
 * *out is the new item, allocated in `a` (may share subtrees with `item`,
 * which is never modified). Every value reads the item as it was before the
 * update; list indexes refer to the lists before the update (SET beyond the
 * end appends in index order). Key attributes are not special here: the
 * caller rejects updates of them (see ddb_update_attr) and starts a new item
 * from its key. Errors (ValidationException, no "Invalid UpdateExpression"
 * prefix, as AWS): "An operand in the update expression has an incorrect
 * data type", "The document path provided in the update expression is
 * invalid for update", "The provided expression refers to an attribute that
 * does not exist in the item", and ddb_num_add's overflow / 38-digit errors. */
int ddb_update_apply(const ddb_update_t *u, arena_t *a, const json_t *item,
                     json_t **out, sw_error_t *err);

/* The top-level attribute names the update writes or removes, each once, in
 * expression order. `i` < ddb_update_n_attrs(u). Borrowed from the ctx. */
size_t ddb_update_n_attrs(const ddb_update_t *u);
const char *ddb_update_attr(const ddb_update_t *u, size_t i, size_t *len);

/* For ReturnValues UPDATED_OLD (pass the old item) and UPDATED_NEW (pass the
 * new item): the part of `item` at the paths the update targets, shaped as a
 * projection of those paths (nested maps keep only the updated members, as
 * DynamoDB returns them). An empty object when nothing applies. Allocated
 * in `a`. */
json_t *ddb_update_changed(const ddb_update_t *u, arena_t *a, const json_t *item);

/* The projection of `item` (not NULL): a new object holding only the
 * projected paths, nested maps and lists reduced to the projected members
 * and elements (list elements keep their relative order, compacted).
 * Allocated in `a`; may share subtrees with `item`. */
json_t *ddb_proj_apply(const ddb_proj_t *p, arena_t *a, const json_t *item);
/* The top-level attribute names a projection reads, each once. */
size_t ddb_proj_n_attrs(const ddb_proj_t *p);
const char *ddb_proj_attr(const ddb_proj_t *p, size_t i, size_t *len);

/* Whether condition `c` reads top-level attribute `name` anywhere (for
 * Query's "Filter Expression can only contain non-primary key attributes:
 * Primary key attribute: pk", which is the caller's message). */
bool ddb_cond_uses_attr(const ddb_cond_t *c, const char *name, size_t len);

/* Key conditions (Query). From a condition parsed with kind KEY_CONDITION,
 * given the index's key schema (range_name NULL when there is none), the
 * partition-key value and the sort-key range. Errors (ValidationException,
 * AWS wording, checked in AWS's order): "Invalid operator used in
 * KeyConditionExpression: OR" (also NOT, IN, <>, attribute_exists, ...),
 * "KeyConditionExpressions cannot contain nested operations",
 * "Invalid condition in KeyConditionExpression: Multiple attribute names
 * used in one condition", "KeyConditionExpressions must only contain one
 * condition per key", "Conditions can be of length 1 or 2 only",
 * "Query condition missed key schema element: <name>", "Query key condition
 * not supported" (hash key not compared with =). ":v < sk" is read as
 * "sk > :v". Value types against the schema are the caller's check.
 * Values are borrowed from the ctx. */
typedef enum ddb_key_op {
    DDB_KEY_NONE,         /* no sort-key condition */
    DDB_KEY_EQ,
    DDB_KEY_LT,
    DDB_KEY_LE,
    DDB_KEY_GT,
    DDB_KEY_GE,
    DDB_KEY_BETWEEN,      /* v1 <= sk <= v2 */
    DDB_KEY_BEGINS_WITH   /* S or B prefix v1 */
} ddb_key_op_t;

typedef struct ddb_key_cond {
    const json_t *pk_value;    /* AttributeValue, e.g. {"S": "x"} */
    ddb_key_op_t sk_op;
    const json_t *sk_v1;       /* AttributeValue, or NULL */
    const json_t *sk_v2;       /* BETWEEN's upper bound, or NULL */
} ddb_key_cond_t;

int ddb_cond_key_parts(const ddb_cond_t *c, const char *hash_name,
                       const char *range_name, ddb_key_cond_t *out,
                       sw_error_t *err);

#endif
