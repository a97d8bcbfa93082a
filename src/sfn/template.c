/* template.c - payload templates (Parameters, ResultSelector, ItemSelector)
 * and single path-or-intrinsic expressions (ErrorPath, CausePath).
 *
 * A template compiles to a tree in which static subtrees stay literal JSON
 * and only keys ending in ".$" are evaluated. Objects inside arrays are
 * templates too. Evaluation allocates the new containers in the request
 * arena; values selected by paths are shared with the input, never copied
 * nor modified. */
#include <string.h>
#include "sfn/path_int.h"

typedef enum tkind {
    T_LIT,
    T_OBJ,
    T_ARR,
    T_PATH,
    T_CALL
} tkind_t;

typedef struct tnode tnode_t;

typedef struct tmember {
    const char *key;   /* output key (".$" stripped) */
    size_t key_len;
    tnode_t *val;
} tmember_t;

struct tnode {
    tkind_t kind;
    const json_t *lit;     /* T_LIT */
    tmember_t *members;    /* T_OBJ */
    tnode_t **items;       /* T_ARR */
    size_t n;
    sfn_path_t *path;      /* T_PATH */
    sfn__icall_t *call;    /* T_CALL */
    const char *field;     /* T_PATH / T_CALL: the source key, "x.$" */
};

struct sfn_template {
    tnode_t *root;
};

struct sfn_expr {
    sfn_path_t *path;
    sfn__icall_t *call;
};

static bool is_dollar_key(const char *k, size_t n) {
    return n >= 2 && k[n - 2] == '.' && k[n - 1] == '$';
}

static int compile_dynamic(arena_t *a, const json_member_t *m, tnode_t *t,
                           sw_error_t *err) {
    t->field = m->key;
    if (json_is_str(m->val)) {
        const char *s = m->val->u.str;
        size_t n = m->val->len;
        if (n > 0 && s[0] == '$') {
            t->kind = T_PATH;
            return sfn_path_compile(a, s, n, false, &t->path, err);
        }
        if (sfn__is_intrinsic(s, n)) {
            t->kind = T_CALL;
            return sfn__intrinsic_compile(a, s, n, &t->call, err);
        }
    }
    return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                        "The value for the field '%s' must be a valid JSONPath or a "
                        "valid intrinsic function call",
                        m->key);
}

static int compile_node(arena_t *a, const json_t *v, int depth, tnode_t **out,
                        bool *is_dynamic, sw_error_t *err) {
    tnode_t *t = arena_zalloc(a, sizeof *t);
    bool dyn = false;
    if (depth > SFN__TEMPLATE_MAX_DEPTH)
        return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                            "The payload template is nested too deeply");
    if (json_is_obj(v)) {
        t->kind = T_OBJ;
        t->n = v->len;
        t->members = arena_zalloc(a, (v->len ? v->len : 1) * sizeof *t->members);
        for (size_t i = 0; i < v->len; i++) {
            const json_member_t *m = &v->u.members[i];
            tmember_t *tm = &t->members[i];
            if (is_dollar_key(m->key, m->key_len)) {
                tm->key = arena_strndup(a, m->key, m->key_len - 2);
                tm->key_len = m->key_len - 2;
                tm->val = arena_zalloc(a, sizeof *tm->val);
                if (compile_dynamic(a, m, tm->val, err) != 0)
                    return -1;
                dyn = true;
            } else {
                bool d = false;
                tm->key = m->key;
                tm->key_len = m->key_len;
                if (compile_node(a, m->val, depth + 1, &tm->val, &d, err) != 0)
                    return -1;
                dyn |= d;
            }
        }
    } else if (json_is_arr(v)) {
        t->kind = T_ARR;
        t->n = v->len;
        t->items = arena_zalloc(a, (v->len ? v->len : 1) * sizeof *t->items);
        for (size_t i = 0; i < v->len; i++) {
            bool d = false;
            if (compile_node(a, v->u.items[i], depth + 1, &t->items[i], &d, err) != 0)
                return -1;
            dyn |= d;
        }
    }
    if (!dyn) {
        /* Static subtree: keep the JSON as is. */
        t->kind = T_LIT;
        t->lit = v;
        t->members = NULL;
        t->items = NULL;
    }
    *is_dynamic = dyn;
    *out = t;
    return 0;
}

int sfn_template_compile(arena_t *a, const json_t *tmpl, sfn_template_t **out,
                         sw_error_t *err) {
    sfn_template_t *t = arena_zalloc(a, sizeof *t);
    bool dyn;
    if (compile_node(a, json_clone(a, tmpl), 0, &t->root, &dyn, err) != 0)
        return -1;
    *out = t;
    return 0;
}

static int eval_node(arena_t *a, const tnode_t *t, const json_t *input,
                     const json_t *context, json_t **out, sw_error_t *err) {
    json_t *v;
    switch (t->kind) {
    case T_LIT:
        *out = json_clone(a, t->lit);
        return 0;
    case T_OBJ:
        v = json_new_obj(a);
        for (size_t i = 0; i < t->n; i++) {
            json_t *c;
            if (eval_node(a, t->members[i].val, input, context, &c, err) != 0)
                return -1;
            json_obj_setn(a, v, t->members[i].key, t->members[i].key_len, c);
        }
        *out = v;
        return 0;
    case T_ARR:
        v = json_new_arr(a);
        for (size_t i = 0; i < t->n; i++) {
            json_t *c;
            if (eval_node(a, t->items[i], input, context, &c, err) != 0)
                return -1;
            json_arr_push(a, v, c);
        }
        *out = v;
        return 0;
    case T_PATH:
        if (!sfn_path_eval(a, t->path, input, context, out))
            return sfn__path_missing(err, a, t->path, t->field, input, context);
        return 0;
    case T_CALL:
        return sfn__intrinsic_eval(a, t->call, input, context, t->field, out, err);
    }
    SW_BUG("bad template node");
}

int sfn_template_eval(arena_t *a, const sfn_template_t *t, const json_t *input,
                      const json_t *context, json_t **out, sw_error_t *err) {
    return eval_node(a, t->root, input, context, out, err);
}

/* ---- sfn_expr ----------------------------------------------------------- */

int sfn_expr_compile(arena_t *a, const char *text, size_t len, bool is_reference,
                     sfn_expr_t **out, sw_error_t *err) {
    sfn_expr_t *e = arena_zalloc(a, sizeof *e);
    if (len > 0 && text[0] == '$') {
        if (sfn_path_compile(a, text, len, is_reference, &e->path, err) != 0)
            return -1;
    } else if (sfn__is_intrinsic(text, len)) {
        if (sfn__intrinsic_compile(a, text, len, &e->call, err) != 0)
            return -1;
    } else {
        return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                            "The value '%.*s' must be a valid JSONPath or a valid "
                            "intrinsic function call",
                            (int)(len > 512 ? 512 : len), text);
    }
    *out = e;
    return 0;
}

int sfn_expr_eval(arena_t *a, const sfn_expr_t *e, const json_t *input,
                  const json_t *context, const char *field, json_t **out,
                  sw_error_t *err) {
    if (e->path) {
        if (!sfn_path_eval(a, e->path, input, context, out))
            return sfn__path_missing(err, a, e->path, field, input, context);
        return 0;
    }
    return sfn__intrinsic_eval(a, e->call, input, context, field, out, err);
}

const sfn_path_t *sfn_expr_path(const sfn_expr_t *e) { return e->path; }
