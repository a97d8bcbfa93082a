/* expr_int.h - internals shared by expr_parse.c, expr_eval.c and
 * expr_words.c: the AST of DynamoDB expressions. Nothing outside the expr*
 * files includes this.
 *
 * DESIGN NOTE
 * - The text is lexed into a token array, then a recursive-descent parser
 *   builds the AST. Syntax errors stop at once ("Syntax error; token: ...");
 *   semantic errors found while parsing (reserved words, undefined #names or
 *   :values, operand types, ...) are ranked by class (expr_parse.c, C_*)
 *   and the best-ranked, first-found one is reported once the whole text
 *   parsed: DynamoDB reports syntax before meaning, and among semantic
 *   errors a fixed order that dynalite's and Alternator's suites recorded
 *   against the service (tests/unit/ddb/test_expr.c *_error_order).
 * - Paths are resolved at parse time: #names replaced by their values, so
 *   evaluation never looks at the ctx.
 * - Update and projection paths are merged into a path tree (ddb__pnode),
 *   which is where overlapping / conflicting paths are detected and which the
 *   evaluator walks: every list index in one update refers to the list as it
 *   was before the update (REMOVE l[1], l[2] removes two original elements;
 *   SET l[20], l[15] appends in index order). */
#ifndef SW_DDB_EXPR_INT_H
#define SW_DDB_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ddb/expr.h"

/* One element of a document path: a map member name or a list index. */
typedef struct ddb__pelem {
    const char *name;   /* NULL for an index */
    size_t len;
    uint32_t index;
} ddb__pelem_t;

typedef struct ddb__path {
    ddb__pelem_t *el;
    size_t n;
} ddb__path_t;

typedef enum ddb__opnd_kind {
    DDB__O_PATH,
    DDB__O_VALUE,
    DDB__O_SIZE,           /* size(a): a is a path or a value */
    DDB__O_PLUS,           /* a + b */
    DDB__O_MINUS,          /* a - b */
    DDB__O_LIST_APPEND,    /* list_append(a, b) */
    DDB__O_IF_NOT_EXISTS   /* if_not_exists(path, b) */
} ddb__opnd_kind_t;

typedef struct ddb__opnd {
    ddb__opnd_kind_t kind;
    ddb__path_t path;          /* PATH, IF_NOT_EXISTS */
    const json_t *value;       /* VALUE: an AttributeValue from the ctx */
    struct ddb__opnd *a, *b;   /* PLUS, MINUS, LIST_APPEND; SIZE: a; IF_NOT_EXISTS: b */
} ddb__opnd_t;

typedef enum ddb__cond_kind {
    DDB__C_CMP,
    DDB__C_BETWEEN,
    DDB__C_IN,
    DDB__C_AND,
    DDB__C_OR,
    DDB__C_NOT,
    DDB__C_EXISTS,
    DDB__C_NOT_EXISTS,
    DDB__C_TYPE,
    DDB__C_BEGINS_WITH,
    DDB__C_CONTAINS
} ddb__cond_kind_t;

typedef enum ddb__cmp {
    DDB__EQ, DDB__NE, DDB__LT, DDB__LE, DDB__GT, DDB__GE
} ddb__cmp_t;

struct ddb_cond {
    ddb__cond_kind_t kind;
    ddb__cmp_t cmp;                 /* CMP */
    ddb__opnd_t *o[3];              /* operands: CMP 2, BETWEEN 3, functions 1-2 */
    ddb__opnd_t **list;             /* IN: the candidates */
    size_t n_list;
    struct ddb_cond *l, *r;         /* AND, OR; NOT uses l */
};

/* Path tree: children keyed by member name (is_index false) or list index. */
typedef struct ddb__pnode ddb__pnode_t;
typedef struct ddb__pchild {
    const char *name;
    size_t len;
    uint32_t index;
    ddb__pnode_t *node;
} ddb__pchild_t;

struct ddb__pnode {
    bool is_index;
    ddb__pchild_t *kids;
    size_t n_kids, cap;
    int leaf;                     /* index of the action / path ending here, or -1 */
    const ddb__path_t *first;     /* first path through this node (messages) */
};

typedef enum ddb__act_kind {
    DDB__A_SET, DDB__A_REMOVE, DDB__A_ADD, DDB__A_DELETE
} ddb__act_kind_t;

typedef struct ddb__action {
    ddb__act_kind_t kind;
    ddb__path_t path;
    ddb__opnd_t *val;     /* SET: the value; ADD/DELETE: a VALUE operand */
} ddb__action_t;

typedef struct ddb__names {
    const char **s;
    size_t *len;
    size_t n, cap;
} ddb__names_t;

struct ddb_update {
    ddb__action_t *acts;
    size_t n_acts;
    ddb__pnode_t *root;
    ddb__names_t top;
};

struct ddb_proj {
    ddb__path_t *paths;
    size_t n_paths;
    ddb__pnode_t *root;
    ddb__names_t top;
};

/* True if `s` (any case) is one of DynamoDB's reserved words. */
bool ddb__expr_is_reserved(const char *s, size_t len);

/* Shared by parse and eval. */
/* Orders two AttributeValues of the same scalar type (N numerically, S and
 * B as unsigned bytes): 0 and *out <0/0/>0, or -1 when not comparable. */
int ddb__av_order(const json_t *x, const json_t *y, int *out);
/* The single member of an AttributeValue: its payload, *type its tag
 * ("" and NULL when `av` is not a one-member object). */
const json_t *ddb__av_single(const json_t *av, const char **type);

#endif
