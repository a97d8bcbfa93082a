/* path_int.h - internals shared by jsonpath.c, template.c, intrinsics.c and
 * choice.c. Nothing outside these four files includes it.
 *
 * Design notes
 * - A JSONPath compiles to a flat array of segments applied left to right.
 *   Each segment is a selector (name, index, wildcard, slice, union, filter,
 *   length()) plus an `is_deep` flag for "..". A path made only of non-deep
 *   name and index segments is *definite*: it names at most one node, as a
 *   Reference Path must, and evaluates without allocation.
 * - Indefinite paths (Jayway JsonPath semantics, which AWS uses) collect all
 *   matches into a new array; missing members are skipped, never errors.
 * - Filters `[?( ... )]` compile to a small expression tree whose operands
 *   are `@`-relative paths, `$`-rooted paths or JSON literals.
 * - Intrinsic calls compile to a tree of sfn__icall_t; each argument is a
 *   literal, a path or a nested call. Names and arity are checked at compile
 *   time; values and types at run time (States.IntrinsicFailure).
 * - Every compiled structure lives in the program arena and is immutable. */
#ifndef SW_SFN_PATH_INT_H
#define SW_SFN_PATH_INT_H

#include <stdint.h>
#include "sfn/path.h"

/* Limits on untrusted definitions. */
#define SFN__PATH_MAX_LEN 4096
#define SFN__PATH_MAX_SEGS 256
#define SFN__FILTER_MAX_DEPTH 16
#define SFN__INTRINSIC_MAX_NEST 10
#define SFN__INTRINSIC_MAX_ARGS 256
#define SFN__TEMPLATE_MAX_DEPTH 64
#define SFN__RULE_MAX_DEPTH 64

typedef enum sfn__seg_kind {
    SFN__SEG_NAME,
    SFN__SEG_INDEX,
    SFN__SEG_WILDCARD,
    SFN__SEG_SLICE,
    SFN__SEG_UNION,    /* names or indices */
    SFN__SEG_FILTER,
    SFN__SEG_LENGTH    /* .length() */
} sfn__seg_kind_t;

typedef struct sfn__fexpr sfn__fexpr_t;

typedef struct sfn__sel {
    bool is_name;
    const char *name;
    size_t name_len;
    int64_t index;
} sfn__sel_t;

typedef struct sfn__seg {
    sfn__seg_kind_t kind;
    bool is_deep;
    const char *name;        /* NAME */
    size_t name_len;
    int64_t index;           /* INDEX (negative counts from the end) */
    bool has_from, has_to;   /* SLICE */
    int64_t from, to, step;
    sfn__sel_t *sels;        /* UNION */
    size_t n_sels;
    sfn__fexpr_t *filter;    /* FILTER */
} sfn__seg_t;

struct sfn_path {
    const char *text;        /* source text, NUL-terminated */
    size_t text_len;
    bool is_context;         /* "$$" */
    bool is_relative;        /* "@" inside filters */
    bool is_definite;
    sfn__seg_t *segs;
    size_t n_segs;
};

/* Parses a path starting at text[*pos] ('$' or '@'), stopping at the first
 * character that cannot continue it when `stop_early` (inside filters and
 * intrinsic argument lists); otherwise the whole text must be the path. */
int sfn__path_parse(arena_t *a, const char *text, size_t len, size_t *pos,
                    bool stop_early, sfn_path_t **out, sw_error_t *err);

/* Evaluates against a node: the definite result, or an array of matches. */
bool sfn__path_eval_node(arena_t *a, const sfn_path_t *p, const json_t *root,
                         const json_t *node, json_t **out);

/* ---- intrinsics ------------------------------------------------------- */

typedef struct sfn__icall sfn__icall_t;

typedef enum sfn__iarg_kind {
    SFN__IARG_LITERAL,
    SFN__IARG_PATH,
    SFN__IARG_CALL
} sfn__iarg_kind_t;

typedef struct sfn__iarg {
    sfn__iarg_kind_t kind;
    json_t *literal;         /* unescaped string / number / bool / null */
    const char *raw;         /* string literal before unescaping (Format) */
    size_t raw_len;
    sfn_path_t *path;
    sfn__icall_t *call;
} sfn__iarg_t;

struct sfn__icall {
    int fn;                  /* index into the function table */
    const char *name;        /* "States.Format" */
    sfn__iarg_t *args;
    size_t n_args;
};

/* True if the text looks like an intrinsic call ("States.X(...)"). */
bool sfn__is_intrinsic(const char *text, size_t len);
int sfn__intrinsic_compile(arena_t *a, const char *text, size_t len,
                           sfn__icall_t **out, sw_error_t *err);
/* `field` names the template key for error messages ("x.$"), may be NULL. */
int sfn__intrinsic_eval(arena_t *a, const sfn__icall_t *c, const json_t *input,
                        const json_t *context, const char *field, json_t **out,
                        sw_error_t *err);

/* Fills the States.Runtime error for a path that matched nothing. */
int sfn__path_missing(sw_error_t *err, arena_t *a, const sfn_path_t *p,
                      const char *field, const json_t *input,
                      const json_t *context);

#endif
