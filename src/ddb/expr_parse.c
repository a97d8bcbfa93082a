/* expr_parse.c - DynamoDB expression text -> AST (see expr_int.h).
 *
 * Holds the per-request context (ExpressionAttributeNames / Values and what
 * of them was used), the lexer and a recursive-descent parser for the
 * condition, update and projection grammars. Produces AWS's error messages.
 * Never evaluates anything against an item. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ddb/ddb_int.h"
#include "ddb/expr_int.h"

#define MAX_NESTING 64   /* parentheses / function nesting (stack guard) */

struct ddb_expr_ctx {
    arena_t *a;
    const json_t *names;     /* borrowed request member, or NULL */
    json_t *values;          /* canonical copies, same order, or NULL */
    bool *name_used;
    bool *value_used;
};

/* ------------------------------------------------------------------ ctx */

int ddb_expr_ctx_new(arena_t *a, const json_t *names, const json_t *values,
                     ddb_expr_ctx_t **out, sw_error_t *err) {
    ddb_expr_ctx_t *c = arena_zalloc(a, sizeof *c);
    c->a = a;
    if (names) {
        if (!json_is_obj(names))
            return sw_error_set(err, "SerializationException",
                                "Unexpected value type in payload");
        if (names->len == 0)
            return sw_error_set(err, "ValidationException",
                                "ExpressionAttributeNames must not be empty");
        for (size_t i = 0; i < names->len; i++) {
            const json_member_t *m = &names->u.members[i];
            if (m->key_len < 2 || m->key[0] != '#')
                return sw_error_set(err, "ValidationException",
                                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"%.*s\"",
                                    (int)m->key_len, m->key);
            if (!json_is_str(m->val))
                return sw_error_set(err, "SerializationException",
                                    "Unexpected value type in payload");
            if (m->val->len == 0)
                return sw_error_set(err, "ValidationException",
                                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key %.*s",
                                    (int)m->key_len, m->key);
        }
        c->names = names;
        c->name_used = arena_zalloc(a, names->len * sizeof(bool));
    }
    if (values) {
        if (!json_is_obj(values))
            return sw_error_set(err, "SerializationException",
                                "Unexpected value type in payload");
        if (values->len == 0)
            return sw_error_set(err, "ValidationException",
                                "ExpressionAttributeValues must not be empty");
        c->values = json_new_obj(a);
        for (size_t i = 0; i < values->len; i++) {
            const json_member_t *m = &values->u.members[i];
            if (m->key_len < 2 || m->key[0] != ':')
                return sw_error_set(err, "ValidationException",
                                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"%.*s\"",
                                    (int)m->key_len, m->key);
            sw_error_t e;
            json_t *v = ddb__av_canon(a, m->val, &e);
            if (!v) {
                if (e.type && strcmp(e.type, "ValidationException") != 0) {
                    *err = e;
                    return -1;
                }
                return sw_error_set(err, "ValidationException",
                                    "ExpressionAttributeValues contains invalid value: %s for key %.*s",
                                    e.msg, (int)m->key_len, m->key);
            }
            json_obj_setn(a, c->values, m->key, m->key_len, v);
        }
        c->value_used = arena_zalloc(a, values->len * sizeof(bool));
    }
    *out = c;
    return 0;
}

static void list_unused(sw_buf_t *b, const json_t *obj, const bool *used) {
    bool first = true;
    for (size_t i = 0; i < obj->len; i++) {
        if (used[i])
            continue;
        if (!first)
            buf_puts(b, ", ");
        buf_append(b, obj->u.members[i].key, obj->u.members[i].key_len);
        first = false;
    }
}

int ddb_expr_ctx_check_unused(const ddb_expr_ctx_t *ctx, sw_error_t *err) {
    char tmp[SW_ERROR_MSG_MAX];
    arena_t a;
    arena_init(&a);
    sw_buf_t b;
    buf_init(&b, &a, SW_ERROR_MSG_MAX - 100);
    int rc = 0;
    if (ctx->names) {
        for (size_t i = 0; i < ctx->names->len; i++) {
            if (!ctx->name_used[i]) {
                list_unused(&b, ctx->names, ctx->name_used);
                snprintf(tmp, sizeof tmp, "%s", b.ptr);
                rc = sw_error_set(err, "ValidationException",
                                  "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}",
                                  tmp);
                goto out;
            }
        }
    }
    if (ctx->values) {
        for (size_t i = 0; i < ctx->values->len; i++) {
            if (!ctx->value_used[i]) {
                list_unused(&b, ctx->values, ctx->value_used);
                snprintf(tmp, sizeof tmp, "%s", b.ptr);
                rc = sw_error_set(err, "ValidationException",
                                  "Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}",
                                  tmp);
                goto out;
            }
        }
    }
out:
    arena_release(&a);
    return rc;
}

/* ---------------------------------------------------------------- lexer */

typedef enum tok_type {
    T_EOF, T_IDENT, T_NAME, T_VALUE, T_NUMBER,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_DOT,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_BAD
} tok_type_t;

typedef struct tok {
    tok_type_t type;
    size_t start, len;
} tok_t;

static bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Tokens into an array allocated in `a`; always ends with T_EOF. */
static tok_t *lex(arena_t *a, const char *s, size_t len, size_t *n_out) {
    size_t cap = 16, n = 0;
    tok_t *t = arena_alloc(a, cap * sizeof *t);
    size_t i = 0;
    for (;;) {
        while (i < len && is_space(s[i]))
            i++;
        if (n + 1 >= cap) {
            tok_t *nt = arena_alloc(a, 2 * cap * sizeof *t);
            memcpy(nt, t, n * sizeof *t);
            t = nt;
            cap *= 2;
        }
        tok_t *k = &t[n++];
        k->start = i;
        k->len = 1;
        if (i >= len) {
            k->type = T_EOF;
            k->len = 0;
            break;
        }
        char c = s[i];
        size_t j = i + 1;
        switch (c) {
        case '(': k->type = T_LPAREN; break;
        case ')': k->type = T_RPAREN; break;
        case '[': k->type = T_LBRACK; break;
        case ']': k->type = T_RBRACK; break;
        case ',': k->type = T_COMMA; break;
        case '.': k->type = T_DOT; break;
        case '=': k->type = T_EQ; break;
        case '+': k->type = T_PLUS; break;
        case '-': k->type = T_MINUS; break;
        case '<':
            if (j < len && s[j] == '=') { k->type = T_LE; j++; }
            else if (j < len && s[j] == '>') { k->type = T_NE; j++; }
            else k->type = T_LT;
            break;
        case '>':
            if (j < len && s[j] == '=') { k->type = T_GE; j++; }
            else k->type = T_GT;
            break;
        case '#':
        case ':':
            while (j < len && is_word_char(s[j]))
                j++;
            k->type = j == i + 1 ? T_BAD : (c == '#' ? T_NAME : T_VALUE);
            break;
        default:
            if (c >= '0' && c <= '9') {
                while (j < len && s[j] >= '0' && s[j] <= '9')
                    j++;
                k->type = T_NUMBER;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                while (j < len && is_word_char(s[j]))
                    j++;
                k->type = T_IDENT;
            } else {
                /* One UTF-8 character as the bad token. */
                while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
                    j++;
                k->type = T_BAD;
            }
            break;
        }
        k->len = j - i;
        i = j;
    }
    *n_out = n;
    return t;
}

/* --------------------------------------------------------------- parser */

/* Classes of semantic errors, in the order DynamoDB reports them when an
 * expression has several (as recorded against the service): a lower class
 * wins; within a class the first found wins. Condition operand checks run
 * in text order, a function's arguments before the function. */
enum {
    C_FUNCNAME,   /* invalid function name */
    C_MISUSED,    /* function used where it is not allowed */
    C_RESERVED,   /* reserved word as an attribute name */
    C_SECTION,    /* update clause used twice */
    C_WALK,       /* undefined #name / :value; condition operand checks */
    C_OVERLAP,    /* overlapping document paths */
    C_CONFLICT,   /* conflicting document paths */
    C_ADDDEL,     /* ADD / DELETE operand types */
    C_UFUNC,      /* update function arity and operand types */
    C_NONE
};

typedef struct parser {
    ddb_expr_ctx_t *ctx;
    arena_t *a;
    ddb_expr_kind_t kind;
    const char *text;
    size_t len;
    tok_t *toks;
    size_t n_toks, pos;
    long *match;        /* index of the matching parenthesis, or -1 */
    int depth;
    sw_error_t *err;
    int sem_class;      /* class of `sem`, C_NONE when none */
    sw_error_t sem;     /* the semantic error to report after the parse */
} parser_t;

static const char *kind_label(ddb_expr_kind_t k) {
    switch (k) {
    case DDB_EXPR_CONDITION: return "ConditionExpression";
    case DDB_EXPR_FILTER: return "FilterExpression";
    case DDB_EXPR_KEY_CONDITION: return "KeyConditionExpression";
    case DDB_EXPR_UPDATE: return "UpdateExpression";
    case DDB_EXPR_PROJECTION: return "ProjectionExpression";
    }
    return "Expression";
}

static int verr(sw_error_t *err, ddb_expr_kind_t kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int verr(sw_error_t *err, ddb_expr_kind_t kind, const char *fmt, va_list ap) {
    char tmp[SW_ERROR_MSG_MAX];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    return sw_error_set(err, "ValidationException", "Invalid %s: %s", kind_label(kind), tmp);
}

/* An error that stops the parse at once. */
static int perr(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser_t *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(p->err, p->kind, fmt, ap);
    va_end(ap);
    return -1;
}

/* A semantic error of class `cls`: kept if it outranks the one held;
 * reported once the syntax is known to be valid. Parsing goes on. */
static void psem(parser_t *p, int cls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void psem(parser_t *p, int cls, const char *fmt, ...) {
    if (cls >= p->sem_class)
        return;
    va_list ap;
    va_start(ap, fmt);
    verr(&p->sem, p->kind, fmt, ap);
    va_end(ap);
    p->sem_class = cls;
}

/* Operand checks of functions: part of the walk in conditions, a later
 * pass in updates. */
static int fclass(const parser_t *p) {
    return p->kind == DDB_EXPR_UPDATE ? C_UFUNC : C_WALK;
}

static tok_t *cur(parser_t *p) { return &p->toks[p->pos]; }
static tok_t *peek(parser_t *p, size_t k) {
    size_t i = p->pos + k;
    return &p->toks[i < p->n_toks ? i : p->n_toks - 1];
}

/* AWS quotes the bad token and its neighbours: "Syntax error; token: \"x\",
 * near: \"prev x next\"". */
static int syntax_error(parser_t *p) {
    tok_t *t = cur(p);
    size_t from = p->pos > 0 ? p->toks[p->pos - 1].start : t->start;
    size_t to;
    if (t->type == T_EOF)
        to = p->len;
    else if (p->pos + 1 < p->n_toks && p->toks[p->pos + 1].type != T_EOF)
        to = p->toks[p->pos + 1].start + p->toks[p->pos + 1].len;
    else
        to = t->start + t->len;
    if (t->type == T_EOF)
        return perr(p, "Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                    (int)(to - from), p->text + from);
    return perr(p, "Syntax error; token: \"%.*s\", near: \"%.*s\"",
                (int)t->len, p->text + t->start, (int)(to - from), p->text + from);
}

static bool tok_is_word(parser_t *p, const tok_t *t, const char *w) {
    size_t n = strlen(w);
    return t->type == T_IDENT && t->len == n && strncasecmp(p->text + t->start, w, n) == 0;
}

/* Function names are case-sensitive. */
static bool tok_eq(parser_t *p, const tok_t *t, const char *w) {
    size_t n = strlen(w);
    return t->type == T_IDENT && t->len == n && memcmp(p->text + t->start, w, n) == 0;
}

static int expect(parser_t *p, tok_type_t type) {
    if (cur(p)->type != type)
        return syntax_error(p);
    p->pos++;
    return 0;
}

static int enter(parser_t *p) {
    if (++p->depth > MAX_NESTING)
        return perr(p, "The expression has too many nested operators or functions");
    return 0;
}

/* Words of the grammar: a syntax error where a path is expected. */
static const char *const KEYWORDS[] = {"AND", "OR", "NOT", "BETWEEN", "IN", NULL};
static const char *const UPDATE_KEYWORDS[] = {"SET", "REMOVE", "ADD", "DELETE", NULL};

/* A grouping '(' (not a function call's) whose whole content is another
 * parenthesised group: "((a))". DynamoDB reports it even where what follows
 * would not parse ("(a)between(((b.c)).d)and(c)"), so it is checked on the
 * tokens before parsing. */
static int check_redundant(parser_t *p) {
    for (size_t i = 0; i + 1 < p->n_toks; i++) {
        long m = p->match[i];
        bool is_call = i > 0 && p->toks[i - 1].type == T_IDENT;
        for (const char *const *k = KEYWORDS; is_call && *k; k++)
            if (tok_is_word(p, &p->toks[i - 1], *k))
                is_call = false;
        if (p->toks[i].type == T_LPAREN && !is_call && m > 0 &&
            p->toks[i + 1].type == T_LPAREN && p->match[i + 1] == m - 1)
            return perr(p, "The expression has redundant parentheses;");
    }
    return 0;
}

/* Looks up token `t` among `defs` (ExpressionAttributeNames or Values) and
 * marks it used; NULL (and the semantic error `undefined_msg` naming it)
 * if it is not defined. */
static const json_t *resolve_placeholder(parser_t *p, const tok_t *t, const json_t *defs,
                                         bool *used, const char *undefined_msg) {
    const char *s = p->text + t->start;
    for (size_t i = 0; defs && i < defs->len; i++) {
        const json_member_t *m = &defs->u.members[i];
        if (m->key_len == t->len && memcmp(m->key, s, t->len) == 0) {
            used[i] = true;
            return m->val;
        }
    }
    psem(p, C_WALK, "%s: %.*s", undefined_msg, (int)t->len, s);
    return NULL;
}

static const json_t *resolve_name(parser_t *p, const tok_t *t) {
    return resolve_placeholder(p, t, p->ctx->names, p->ctx->name_used,
                               "An expression attribute name used in the document path is "
                               "not defined; attribute name");
}

static const json_t *resolve_value(parser_t *p, const tok_t *t) {
    return resolve_placeholder(p, t, p->ctx->values, p->ctx->value_used,
                               "An expression attribute value used in expression is not "
                               "defined; attribute value");
}


/* path := (IDENT | NAME) ( '.' (IDENT | NAME) | '[' NUMBER ']' )* */
static int parse_path(parser_t *p, ddb__path_t *out) {
    size_t cap = 4, n = 0;
    ddb__pelem_t *el = arena_alloc(p->a, cap * sizeof *el);
    bool want_name = true;
    for (;;) {
        /* One iteration can add two elements (a name and an index), so
         * room for both: checking for one overflowed after "a.b[1].c[2]". */
        if (n + 2 > cap) {
            ddb__pelem_t *ne = arena_alloc(p->a, 2 * cap * sizeof *el);
            memcpy(ne, el, n * sizeof *el);
            el = ne;
            cap *= 2;
        }
        if (want_name) {
            tok_t *t = cur(p);
            if (t->type == T_IDENT) {
                for (const char *const *k = p->kind == DDB_EXPR_UPDATE ? UPDATE_KEYWORDS : KEYWORDS;
                     *k; k++)
                    if (tok_is_word(p, t, *k))
                        return syntax_error(p);
                if (ddb__expr_is_reserved(p->text + t->start, t->len))
                    psem(p, C_RESERVED, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                         (int)t->len, p->text + t->start);
                el[n].name = p->text + t->start;
                el[n].len = t->len;
            } else if (t->type == T_NAME) {
                const json_t *v = resolve_name(p, t);
                el[n].name = v ? v->u.str : "";
                el[n].len = v ? v->len : 0;
            } else {
                return syntax_error(p);
            }
            el[n].index = 0;
            n++;
            p->pos++;
        }
        tok_t *t = cur(p);
        if (t->type == T_DOT) {
            p->pos++;
            want_name = true;
            continue;
        }
        if (t->type == T_LBRACK) {
            p->pos++;
            tok_t *num = cur(p);
            if (num->type != T_NUMBER)
                return syntax_error(p);
            uint64_t v = 0;
            for (size_t i = 0; i < num->len && v <= UINT32_MAX; i++)
                v = v * 10 + (uint64_t)(p->text[num->start + i] - '0');
            if (v > INT32_MAX)
                psem(p, C_WALK, "List index is not within the allowable range; index: [%.*s]",
                     (int)num->len, p->text + num->start);
            p->pos++;
            if (expect(p, T_RBRACK) < 0)
                return -1;
            el[n].name = NULL;
            el[n].len = 0;
            el[n].index = (uint32_t)(v > INT32_MAX ? INT32_MAX : v);
            n++;
            want_name = false;
            continue;
        }
        break;
    }
    if (n > DDB_EXPR_MAX_DEPTH)
        psem(p, C_WALK, "The document path has too many nesting levels; nesting levels: %zu", n);
    out->el = el;
    out->n = n;
    return 0;
}

static void print_path(sw_buf_t *b, const ddb__path_t *path) {
    buf_putc(b, '[');
    for (size_t i = 0; i < path->n; i++) {
        if (i)
            buf_puts(b, ", ");
        if (path->el[i].name)
            buf_append(b, path->el[i].name, path->el[i].len);
        else
            buf_printf(b, "[%u]", path->el[i].index);
    }
    buf_putc(b, ']');
}

static bool pelem_eq(const ddb__pelem_t *x, const ddb__pelem_t *y) {
    if (!x->name || !y->name)
        return !x->name && !y->name && x->index == y->index;
    return x->len == y->len && memcmp(x->name, y->name, x->len) == 0;
}

static bool path_eq(const ddb__path_t *x, const ddb__path_t *y) {
    if (x->n != y->n)
        return false;
    for (size_t i = 0; i < x->n; i++)
        if (!pelem_eq(&x->el[i], &y->el[i]))
            return false;
    return true;
}

static ddb__opnd_t *new_opnd(parser_t *p, ddb__opnd_kind_t kind) {
    ddb__opnd_t *o = arena_zalloc(p->a, sizeof *o);
    o->kind = kind;
    return o;
}

const json_t *ddb__av_single(const json_t *av, const char **type) {
    if (!json_is_obj(av) || av->len != 1) {
        *type = "";
        return NULL;
    }
    *type = av->u.members[0].key;
    return av->u.members[0].val;
}

/* Type known before evaluation: a value's, or N for size(); "" if unknown. */
static const char *static_type(const ddb__opnd_t *o) {
    const char *t = "";
    if (!o)
        return t;
    if (o->kind == DDB__O_VALUE && o->value)
        ddb__av_single(o->value, &t);
    else if (o->kind == DDB__O_SIZE)
        t = "N";
    return t;
}

static const char *long_type_name(const char *t) {
    static const char *const map[][2] = {
        {"S", "STRING"}, {"N", "NUMBER"}, {"B", "BINARY"}, {"BOOL", "BOOLEAN"},
        {"NULL", "NULL"}, {"M", "MAP"}, {"L", "LIST"}, {"SS", "STRING_SET"},
        {"NS", "NUMBER_SET"}, {"BS", "BINARY_SET"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], t) == 0)
            return map[i][1];
    return t;
}

/* A function call: IDENT '(' operand (',' operand)* ')'. */
typedef int (*opnd_fn_t)(parser_t *p, ddb__opnd_t **out);

typedef struct call {
    char name[64];
    ddb__opnd_t **args;
    size_t n;
} call_t;

static int parse_call(parser_t *p, opnd_fn_t fn, call_t *c) {
    tok_t *t = cur(p);
    snprintf(c->name, sizeof c->name, "%.*s", (int)t->len, p->text + t->start);
    p->pos++;
    if (expect(p, T_LPAREN) < 0 || enter(p) < 0)
        return -1;
    size_t cap = 4, n = 0;
    ddb__opnd_t **v = arena_alloc(p->a, cap * sizeof *v);
    for (;;) {
        if (n == cap) {
            ddb__opnd_t **nv = arena_alloc(p->a, 2 * cap * sizeof *v);
            memcpy(nv, v, n * sizeof *v);
            v = nv;
            cap *= 2;
        }
        if (fn(p, &v[n]) < 0)
            return -1;
        n++;
        if (cur(p)->type == T_COMMA) {
            p->pos++;
            continue;
        }
        if (expect(p, T_RPAREN) < 0)
            return -1;
        break;
    }
    p->depth--;
    c->args = v;
    c->n = n;
    return 0;
}

static bool check_arity(parser_t *p, const call_t *c, size_t want) {
    if (c->n == want)
        return true;
    psem(p, fclass(p), "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %zu",
         c->name, c->n);
    return false;
}

static bool require_path(parser_t *p, const char *fn, const ddb__opnd_t *o) {
    if (o->kind == DDB__O_PATH)
        return true;
    psem(p, fclass(p), "Operator or function requires a document path; operator or function: %s", fn);
    return false;
}

static bool bad_operand_type(parser_t *p, const char *fn, const ddb__opnd_t *o,
                             const char *const *allowed) {
    const char *t = static_type(o);
    if (!*t)
        return false;
    for (; *allowed; allowed++)
        if (strcmp(t, *allowed) == 0)
            return false;
    psem(p, fclass(p), "Incorrect operand type for operator or function; operator or function: %s, operand type: %s",
         fn, t);
    return true;
}

/* "The first operand must be distinct ...": the same path on both sides. */
static void check_distinct(parser_t *p, const char *op, const ddb__opnd_t *x,
                           const ddb__opnd_t *y) {
    if (x->kind != DDB__O_PATH || y->kind != DDB__O_PATH || !path_eq(&x->path, &y->path))
        return;
    arena_t a;
    arena_init(&a);
    sw_buf_t b;
    buf_init(&b, &a, 600);
    print_path(&b, &x->path);
    psem(p, C_WALK, "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s",
         op, b.ptr);
    arena_release(&a);
}

/* ------------------------------------------------------------ conditions */

typedef enum cfn {
    F_UNKNOWN, F_EXISTS, F_NOT_EXISTS, F_TYPE, F_BEGINS_WITH, F_CONTAINS, F_SIZE
} cfn_t;

static cfn_t cond_fn(const char *name) {
    static const struct { const char *name; cfn_t fn; } fns[] = {
        {"attribute_exists", F_EXISTS}, {"attribute_not_exists", F_NOT_EXISTS},
        {"attribute_type", F_TYPE}, {"begins_with", F_BEGINS_WITH},
        {"contains", F_CONTAINS}, {"size", F_SIZE},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fns[i].name, name) == 0)
            return fns[i].fn;
    return F_UNKNOWN;
}

static int parse_cond_operand(parser_t *p, ddb__opnd_t **out);

/* size(x): x a path or a value of a type that has a size. */
static ddb__opnd_t *make_size(parser_t *p, const call_t *c) {
    ddb__opnd_t *o = new_opnd(p, DDB__O_SIZE);
    o->a = c->args[0];
    static const char *const sized[] = {"S", "B", "SS", "NS", "BS", "L", "M", NULL};
    if (check_arity(p, c, 1) && !bad_operand_type(p, "size", c->args[0], sized) &&
        c->args[0]->kind != DDB__O_PATH && c->args[0]->kind != DDB__O_VALUE)
        require_path(p, "size", c->args[0]);
    return o;
}

/* operand := '(' operand ')' | VALUE | path | size '(' operand ')' */
static int parse_cond_operand(parser_t *p, ddb__opnd_t **out) {
    tok_t *t = cur(p);
    if (t->type == T_LPAREN) {
        p->pos++;
        if (enter(p) < 0 || parse_cond_operand(p, out) < 0)
            return -1;
        p->depth--;
        return expect(p, T_RPAREN);
    }
    if (t->type == T_VALUE) {
        ddb__opnd_t *o = new_opnd(p, DDB__O_VALUE);
        o->value = resolve_value(p, t);
        p->pos++;
        *out = o;
        return 0;
    }
    if (t->type == T_IDENT && peek(p, 1)->type == T_LPAREN) {
        call_t c;
        if (parse_call(p, parse_cond_operand, &c) < 0)
            return -1;
        cfn_t fn = cond_fn(c.name);
        if (fn == F_UNKNOWN)
            psem(p, C_FUNCNAME, "Invalid function name; function: %s", c.name);
        else if (fn != F_SIZE)
            psem(p, C_MISUSED, "The function is not allowed to be used this way in an expression; function: %s",
                 c.name);
        *out = make_size(p, &c);
        return 0;
    }
    ddb__opnd_t *o = new_opnd(p, DDB__O_PATH);
    if (parse_path(p, &o->path) < 0)
        return -1;
    *out = o;
    return 0;
}

static ddb_cond_t *new_cond(parser_t *p, ddb__cond_kind_t kind) {
    ddb_cond_t *c = arena_zalloc(p->a, sizeof *c);
    c->kind = kind;
    return c;
}

static int parse_or(parser_t *p, ddb_cond_t **out);

static void print_av_short(char *buf, size_t n, const json_t *av) {
    const char *t;
    const json_t *v = ddb__av_single(av, &t);
    if (v && (json_is_str(v) || json_is_num(v)))
        snprintf(buf, n, "{%s:%.*s}", t, (int)(v->len > 200 ? 200 : v->len), v->u.str);
    else
        snprintf(buf, n, "{%s}", t);
}

/* A boolean function used as a condition. */
static int parse_cond_call(parser_t *p, ddb_cond_t **out) {
    call_t c;
    if (parse_call(p, parse_cond_operand, &c) < 0)
        return -1;
    ddb_cond_t *cd = new_cond(p, DDB__C_EXISTS);
    *out = cd;
    for (size_t i = 0; i < c.n && i < 3; i++)
        cd->o[i] = c.args[i];
    static const char *const str_bin[] = {"S", "B", NULL};
    static const char *const str[] = {"S", NULL};
    switch (cond_fn(c.name)) {
    case F_UNKNOWN:
        psem(p, C_FUNCNAME, "Invalid function name; function: %s", c.name);
        break;
    case F_SIZE:  /* reached only through parse_primary's checks */
        psem(p, C_MISUSED, "The function is not allowed to be used this way in an expression; function: size");
        break;
    case F_EXISTS:
    case F_NOT_EXISTS:
        cd->kind = cond_fn(c.name) == F_EXISTS ? DDB__C_EXISTS : DDB__C_NOT_EXISTS;
        if (check_arity(p, &c, 1))
            require_path(p, c.name, c.args[0]);
        break;
    case F_TYPE:
        cd->kind = DDB__C_TYPE;
        if (check_arity(p, &c, 2) && require_path(p, c.name, c.args[0]) &&
            !bad_operand_type(p, c.name, c.args[1], str)) {
            if (c.args[1]->kind == DDB__O_VALUE && c.args[1]->value) {
                const char *vt;
                const json_t *v = ddb__av_single(c.args[1]->value, &vt);
                static const char *const types[] = {"S", "N", "B", "SS", "NS", "BS",
                                                    "M", "L", "NULL", "BOOL"};
                bool ok = false;
                for (size_t i = 0; i < 10; i++)
                    if (strlen(types[i]) == v->len && memcmp(types[i], v->u.str, v->len) == 0)
                        ok = true;
                if (!ok)
                    psem(p, C_WALK, "Invalid attribute type name found; type: %.*s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                         (int)v->len, v->u.str);
            }
            check_distinct(p, c.name, c.args[0], c.args[1]);
        }
        break;
    case F_BEGINS_WITH:
        cd->kind = DDB__C_BEGINS_WITH;
        if (check_arity(p, &c, 2) && !bad_operand_type(p, c.name, c.args[0], str_bin) &&
            !bad_operand_type(p, c.name, c.args[1], str_bin))
            check_distinct(p, c.name, c.args[0], c.args[1]);
        break;
    case F_CONTAINS:
        cd->kind = DDB__C_CONTAINS;
        if (check_arity(p, &c, 2))
            check_distinct(p, c.name, c.args[0], c.args[1]);
        break;
    }
    return 0;
}

static bool cmp_token(tok_type_t t, ddb__cmp_t *out) {
    switch (t) {
    case T_EQ: *out = DDB__EQ; return true;
    case T_NE: *out = DDB__NE; return true;
    case T_LT: *out = DDB__LT; return true;
    case T_LE: *out = DDB__LE; return true;
    case T_GT: *out = DDB__GT; return true;
    case T_GE: *out = DDB__GE; return true;
    default: return false;
    }
}

static const char *const CMP_TEXT[] = {"=", "<>", "<", "<=", ">", ">="};

/* Whether the '(' at the current token opens an operand ("(a) = :v",
 * "(a)between(b)and(c)") rather than a condition group. */
static bool paren_is_operand(parser_t *p) {
    long m = p->match[p->pos];
    if (m < 0)
        return false;
    const tok_t *after = &p->toks[m + 1 < (long)p->n_toks ? m + 1 : m];
    ddb__cmp_t cmp;
    return cmp_token(after->type, &cmp) || tok_is_word(p, after, "BETWEEN") ||
           tok_is_word(p, after, "IN");
}

static void check_between(parser_t *p, const ddb_cond_t *c) {
    if (c->o[1]->kind != DDB__O_VALUE || c->o[2]->kind != DDB__O_VALUE ||
        !c->o[1]->value || !c->o[2]->value)
        return;
    const char *t1, *t2;
    ddb__av_single(c->o[1]->value, &t1);
    ddb__av_single(c->o[2]->value, &t2);
    char lo[256], hi[256];
    print_av_short(lo, sizeof lo, c->o[1]->value);
    print_av_short(hi, sizeof hi, c->o[2]->value);
    int order;
    if (strcmp(t1, t2) != 0)
        psem(p, C_WALK, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s",
             lo, hi);
    else if (ddb__av_order(c->o[1]->value, c->o[2]->value, &order) == 0 && order > 0)
        psem(p, C_WALK, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s",
             lo, hi);
}

/* primary := '(' or ')' | function | operand (cmp operand | BETWEEN operand
 * AND operand | IN '(' operand, ... ')') */
static int parse_primary(parser_t *p, ddb_cond_t **out) {
    tok_t *t = cur(p);
    if (t->type == T_LPAREN && !paren_is_operand(p)) {
        p->pos++;
        if (enter(p) < 0 || parse_or(p, out) < 0)
            return -1;
        p->depth--;
        return expect(p, T_RPAREN);
    }
    ddb__cmp_t cmp;
    if (t->type == T_IDENT && peek(p, 1)->type == T_LPAREN && !tok_eq(p, t, "size")) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)t->len, p->text + t->start);
        if (parse_cond_call(p, out) < 0)
            return -1;
        if (cmp_token(cur(p)->type, &cmp)) {
            /* "attribute_exists(a) > b": the function's value compared */
            psem(p, C_MISUSED, "The function is not allowed to be used this way in an expression; function: %s",
                 name);
            p->pos++;
            ddb__opnd_t *ignored;
            return parse_cond_operand(p, &ignored);
        }
        return 0;
    }
    ddb__opnd_t *a;
    if (parse_cond_operand(p, &a) < 0)
        return -1;
    tok_t *op = cur(p);
    if (cmp_token(op->type, &cmp)) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_CMP);
        c->cmp = cmp;
        c->o[0] = a;
        if (parse_cond_operand(p, &c->o[1]) < 0)
            return -1;
        check_distinct(p, CMP_TEXT[cmp], c->o[0], c->o[1]);
        *out = c;
        return 0;
    }
    if (tok_is_word(p, op, "BETWEEN")) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_BETWEEN);
        c->o[0] = a;
        if (parse_cond_operand(p, &c->o[1]) < 0)
            return -1;
        if (!tok_is_word(p, cur(p), "AND"))
            return syntax_error(p);
        p->pos++;
        if (parse_cond_operand(p, &c->o[2]) < 0)
            return -1;
        check_between(p, c);
        *out = c;
        return 0;
    }
    if (tok_is_word(p, op, "IN")) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_IN);
        c->o[0] = a;
        call_t args;
        p->pos--;  /* parse_call takes the word before '(' (here IN) as its name */
        if (parse_call(p, parse_cond_operand, &args) < 0)
            return -1;
        c->list = args.args;
        c->n_list = args.n;
        if (c->n_list > DDB_EXPR_MAX_IN)
            psem(p, C_WALK, "The IN operator is provided with too many operands; number of operands: %zu",
                 c->n_list);
        *out = c;
        return 0;
    }
    if (a->kind == DDB__O_SIZE &&
        (op->type == T_EOF || op->type == T_RPAREN || tok_is_word(p, op, "AND") ||
         tok_is_word(p, op, "OR"))) {
        psem(p, C_MISUSED, "The function is not allowed to be used this way in an expression; function: size");
        *out = new_cond(p, DDB__C_EXISTS);
        (*out)->o[0] = a;
        return 0;
    }
    return syntax_error(p);
}

static int parse_not(parser_t *p, ddb_cond_t **out) {
    if (tok_is_word(p, cur(p), "NOT")) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_NOT);
        if (enter(p) < 0 || parse_not(p, &c->l) < 0)
            return -1;
        p->depth--;
        *out = c;
        return 0;
    }
    return parse_primary(p, out);
}

static int parse_and(parser_t *p, ddb_cond_t **out) {
    ddb_cond_t *l;
    if (parse_not(p, &l) < 0)
        return -1;
    while (tok_is_word(p, cur(p), "AND")) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_AND);
        c->l = l;
        if (parse_not(p, &c->r) < 0)
            return -1;
        l = c;
    }
    *out = l;
    return 0;
}

static int parse_or(parser_t *p, ddb_cond_t **out) {
    ddb_cond_t *l;
    if (parse_and(p, &l) < 0)
        return -1;
    while (tok_is_word(p, cur(p), "OR")) {
        p->pos++;
        ddb_cond_t *c = new_cond(p, DDB__C_OR);
        c->l = l;
        if (parse_and(p, &c->r) < 0)
            return -1;
        l = c;
    }
    *out = l;
    return 0;
}

static int parser_init(parser_t *p, ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                       const char *text, size_t len, sw_error_t *err) {
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->a = ctx->a;
    p->kind = kind;
    p->text = text;
    p->len = len;
    p->err = err;
    p->sem_class = C_NONE;
    if (len > DDB_EXPR_MAX_LEN)
        return perr(p, "Expression size has exceeded the maximum allowed size; expression size: %zu",
                    len);
    p->toks = lex(p->a, text, len, &p->n_toks);
    if (p->toks[0].type == T_EOF)
        return perr(p, "The expression can not be empty;");
    p->match = arena_alloc(p->a, p->n_toks * sizeof *p->match);
    long *stack = arena_alloc(p->a, p->n_toks * sizeof *stack);
    size_t depth = 0;
    for (size_t i = 0; i < p->n_toks; i++) {
        p->match[i] = -1;
        if (p->toks[i].type == T_LPAREN) {
            stack[depth++] = (long)i;
        } else if (p->toks[i].type == T_RPAREN && depth > 0) {
            long j = stack[--depth];
            p->match[j] = (long)i;
            p->match[i] = j;
        }
    }
    return 0;
}

static int parser_finish(parser_t *p) {
    if (cur(p)->type != T_EOF)
        return syntax_error(p);
    if (p->sem_class != C_NONE) {
        *p->err = p->sem;
        return -1;
    }
    return 0;
}

int ddb_expr_parse_cond(ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                        const char *text, size_t len, ddb_cond_t **out,
                        sw_error_t *err) {
    parser_t p;
    if (parser_init(&p, ctx, kind, text, len, err) < 0)
        return -1;
    ddb_cond_t *c;
    if (check_redundant(&p) < 0 || parse_or(&p, &c) < 0 || parser_finish(&p) < 0)
        return -1;
    *out = c;
    return 0;
}

/* ------------------------------------------------------------ path trees */

/* Overlap (one path a prefix of, or equal to, the other) is reported before
 * conflict (a name where the other has an index), over all pairs. */
static void check_path_pairs(parser_t *p, const ddb__path_t *const *paths, size_t n) {
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n; j++) {
                const ddb__path_t *x = paths[i], *y = paths[j];
                size_t k = 0, m = x->n < y->n ? x->n : y->n;
                bool conflict = false;
                for (; k < m; k++) {
                    if ((x->el[k].name == NULL) != (y->el[k].name == NULL)) {
                        conflict = true;
                        break;
                    }
                    if (!pelem_eq(&x->el[k], &y->el[k]))
                        break;
                }
                bool overlap = !conflict && k == m;
                if ((pass == 0 && !overlap) || (pass == 1 && !conflict))
                    continue;
                arena_t a;
                arena_init(&a);
                sw_buf_t b;
                buf_init(&b, &a, 700);
                buf_puts(&b, "path one: ");
                print_path(&b, x);
                buf_puts(&b, ", path two: ");
                print_path(&b, y);
                psem(p, pass == 0 ? C_OVERLAP : C_CONFLICT,
                     "Two document paths %s with each other; must remove or rewrite one of these paths; %s",
                     pass == 0 ? "overlap" : "conflict", b.ptr);
                arena_release(&a);
                return;
            }
        }
    }
}

static ddb__pnode_t *new_pnode(arena_t *a, const ddb__path_t *first) {
    ddb__pnode_t *n = arena_zalloc(a, sizeof *n);
    n->leaf = -1;
    n->first = first;
    return n;
}

/* Adds `path` (leaf number `leaf`) to the tree. The paths were checked by
 * check_path_pairs, so overlap or conflict here is a bug. */
static void tree_add(arena_t *a, ddb__pnode_t *root, const ddb__path_t *path, int leaf) {
    ddb__pnode_t *node = root;
    for (size_t i = 0; i < path->n; i++) {
        const ddb__pelem_t *e = &path->el[i];
        SW_ASSERT(node->leaf < 0);
        bool is_index = e->name == NULL;
        SW_ASSERT(node->n_kids == 0 || node->is_index == is_index);
        node->is_index = is_index;
        ddb__pnode_t *next = NULL;
        for (size_t k = 0; k < node->n_kids; k++) {
            if (pelem_eq(&(ddb__pelem_t){node->kids[k].name, node->kids[k].len, node->kids[k].index}, e)) {
                next = node->kids[k].node;
                break;
            }
        }
        if (!next) {
            if (node->n_kids == node->cap) {
                size_t nc = node->cap ? node->cap * 2 : 4;
                ddb__pchild_t *nk = arena_alloc(a, nc * sizeof *nk);
                if (node->n_kids)
                    memcpy(nk, node->kids, node->n_kids * sizeof *nk);
                node->kids = nk;
                node->cap = nc;
            }
            ddb__pchild_t *ch = &node->kids[node->n_kids++];
            ch->name = e->name;
            ch->len = e->len;
            ch->index = e->index;
            ch->node = next = new_pnode(a, path);
        }
        node = next;
    }
    SW_ASSERT(node->leaf < 0 && node->n_kids == 0);
    node->leaf = leaf;
}

static void names_add(arena_t *a, ddb__names_t *n, const char *s, size_t len) {
    for (size_t i = 0; i < n->n; i++)
        if (n->len[i] == len && memcmp(n->s[i], s, len) == 0)
            return;
    if (n->n == n->cap) {
        size_t nc = n->cap ? n->cap * 2 : 8;
        const char **ns = arena_alloc(a, nc * sizeof *ns);
        size_t *nl = arena_alloc(a, nc * sizeof *nl);
        if (n->n) {
            memcpy(ns, n->s, n->n * sizeof *ns);
            memcpy(nl, n->len, n->n * sizeof *nl);
        }
        n->s = ns;
        n->len = nl;
        n->cap = nc;
    }
    n->s[n->n] = s;
    n->len[n->n] = len;
    n->n++;
}

/* --------------------------------------------------------------- update */

static int parse_update_operand(parser_t *p, ddb__opnd_t **out);
static int parse_set_value(parser_t *p, ddb__opnd_t **out);

/* function := if_not_exists '(' path ',' operand ')' |
 *             list_append '(' operand ',' operand ')' */
static int parse_update_function(parser_t *p, ddb__opnd_t **out) {
    call_t c;
    if (parse_call(p, parse_update_operand, &c) < 0)
        return -1;
    ddb__opnd_t *o = new_opnd(p, DDB__O_VALUE);
    *out = o;
    static const char *const list[] = {"L", NULL};
    if (strcmp(c.name, "if_not_exists") == 0) {
        o->kind = DDB__O_IF_NOT_EXISTS;
        if (check_arity(p, &c, 2) && require_path(p, c.name, c.args[0])) {
            o->path = c.args[0]->path;
            o->b = c.args[1];
        }
    } else if (strcmp(c.name, "list_append") == 0) {
        o->kind = DDB__O_LIST_APPEND;
        for (size_t i = 0; i < c.n; i++)
            if (c.args[i]->kind == DDB__O_LIST_APPEND)
                psem(p, C_MISUSED, "The function is not allowed to be used this way in an expression; function: list_append");
        if (check_arity(p, &c, 2) && !bad_operand_type(p, c.name, c.args[0], list) &&
            !bad_operand_type(p, c.name, c.args[1], list)) {
            o->a = c.args[0];
            o->b = c.args[1];
        }
    } else if (cond_fn(c.name) != F_UNKNOWN) {
        psem(p, C_MISUSED, "The function is not allowed in an update expression; function: %s",
             c.name);
    } else {
        psem(p, C_FUNCNAME, "Invalid function name; function: %s", c.name);
    }
    return 0;
}

/* operand := '(' value ')' | VALUE | path | function */
static int parse_update_operand(parser_t *p, ddb__opnd_t **out) {
    tok_t *t = cur(p);
    if (t->type == T_LPAREN) {
        p->pos++;
        if (enter(p) < 0 || parse_set_value(p, out) < 0)
            return -1;
        p->depth--;
        return expect(p, T_RPAREN);
    }
    if (t->type == T_VALUE) {
        ddb__opnd_t *o = new_opnd(p, DDB__O_VALUE);
        o->value = resolve_value(p, t);
        p->pos++;
        *out = o;
        return 0;
    }
    if (t->type == T_IDENT && peek(p, 1)->type == T_LPAREN)
        return parse_update_function(p, out);
    ddb__opnd_t *o = new_opnd(p, DDB__O_PATH);
    if (parse_path(p, &o->path) < 0)
        return -1;
    *out = o;
    return 0;
}

/* value := operand [('+' | '-') operand] */
static int parse_set_value(parser_t *p, ddb__opnd_t **out) {
    ddb__opnd_t *a;
    if (parse_update_operand(p, &a) < 0)
        return -1;
    tok_type_t tt = cur(p)->type;
    if (tt != T_PLUS && tt != T_MINUS) {
        *out = a;
        return 0;
    }
    p->pos++;
    ddb__opnd_t *o = new_opnd(p, tt == T_PLUS ? DDB__O_PLUS : DDB__O_MINUS);
    o->a = a;
    if (parse_update_operand(p, &o->b) < 0)
        return -1;
    static const char *const num[] = {"N", NULL};
    const char *op = tt == T_PLUS ? "+" : "-";
    if (!bad_operand_type(p, op, o->a, num))
        bad_operand_type(p, op, o->b, num);
    *out = o;
    return 0;
}

typedef struct act_vec {
    ddb__action_t *v;
    size_t n, cap;
} act_vec_t;

static ddb__action_t *act_push(arena_t *a, act_vec_t *av) {
    if (av->n == av->cap) {
        size_t nc = av->cap ? av->cap * 2 : 8;
        ddb__action_t *nv = arena_alloc(a, nc * sizeof *nv);
        if (av->n)
            memcpy(nv, av->v, av->n * sizeof *nv);
        av->v = nv;
        av->cap = nc;
    }
    ddb__action_t *x = &av->v[av->n++];
    memset(x, 0, sizeof *x);
    return x;
}

int ddb_expr_parse_update(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                          ddb_update_t **out, sw_error_t *err) {
    parser_t p;
    if (parser_init(&p, ctx, DDB_EXPR_UPDATE, text, len, err) < 0)
        return -1;
    static const char *const clause[] = {"SET", "REMOVE", "ADD", "DELETE"};
    bool seen[4] = {false, false, false, false};
    act_vec_t acts = {0};
    while (cur(&p)->type != T_EOF) {
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (tok_is_word(&p, cur(&p), clause[i]))
                k = i;
        if (k < 0)
            return syntax_error(&p);
        if (seen[k])
            psem(&p, C_SECTION, "The \"%s\" section can only be used once in an update expression;",
                 clause[k]);
        seen[k] = true;
        p.pos++;
        for (;;) {
            ddb__action_t *x = act_push(p.a, &acts);
            x->kind = (ddb__act_kind_t)k;
            if (parse_path(&p, &x->path) < 0)
                return -1;
            if (k == DDB__A_SET) {
                if (expect(&p, T_EQ) < 0 || parse_set_value(&p, &x->val) < 0)
                    return -1;
            } else if (k == DDB__A_ADD || k == DDB__A_DELETE) {
                tok_t *t = cur(&p);
                if (t->type != T_VALUE)
                    return syntax_error(&p);
                x->val = new_opnd(&p, DDB__O_VALUE);
                x->val->value = resolve_value(&p, t);
                p.pos++;
                const char *vt = static_type(x->val);
                bool is_set = !strcmp(vt, "SS") || !strcmp(vt, "NS") || !strcmp(vt, "BS");
                bool ok = is_set || (k == DDB__A_ADD && !strcmp(vt, "N"));
                if (*vt && !ok)
                    psem(&p, C_ADDDEL, "Incorrect operand type for operator or function; operator: %s, operand type: %s",
                         clause[k], long_type_name(vt));
            }
            if (cur(&p)->type != T_COMMA)
                break;
            p.pos++;
        }
    }
    const ddb__path_t **paths = arena_alloc(p.a, (acts.n + 1) * sizeof *paths);
    for (size_t i = 0; i < acts.n; i++)
        paths[i] = &acts.v[i].path;
    check_path_pairs(&p, paths, acts.n);
    if (parser_finish(&p) < 0)
        return -1;
    ddb_update_t *u = arena_zalloc(p.a, sizeof *u);
    u->acts = acts.v;
    u->n_acts = acts.n;
    u->root = new_pnode(p.a, NULL);
    for (size_t i = 0; i < acts.n; i++) {
        tree_add(p.a, u->root, &acts.v[i].path, (int)i);
        names_add(p.a, &u->top, acts.v[i].path.el[0].name, acts.v[i].path.el[0].len);
    }
    *out = u;
    return 0;
}

/* ----------------------------------------------------------- projection */

int ddb_expr_parse_proj(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                        ddb_proj_t **out, sw_error_t *err) {
    parser_t p;
    if (parser_init(&p, ctx, DDB_EXPR_PROJECTION, text, len, err) < 0)
        return -1;
    size_t cap = 8, n = 0;
    ddb__path_t *paths = arena_alloc(p.a, cap * sizeof *paths);
    for (;;) {
        if (n == cap) {
            ddb__path_t *np = arena_alloc(p.a, 2 * cap * sizeof *np);
            memcpy(np, paths, n * sizeof *np);
            paths = np;
            cap *= 2;
        }
        if (parse_path(&p, &paths[n]) < 0)
            return -1;
        n++;
        if (cur(&p)->type != T_COMMA)
            break;
        p.pos++;
    }
    const ddb__path_t **pp = arena_alloc(p.a, n * sizeof *pp);
    for (size_t i = 0; i < n; i++)
        pp[i] = &paths[i];
    check_path_pairs(&p, pp, n);
    if (parser_finish(&p) < 0)
        return -1;
    ddb_proj_t *pr = arena_zalloc(p.a, sizeof *pr);
    pr->paths = paths;
    pr->n_paths = n;
    pr->root = new_pnode(p.a, NULL);
    for (size_t i = 0; i < n; i++) {
        tree_add(p.a, pr->root, &paths[i], (int)i);
        names_add(p.a, &pr->top, paths[i].el[0].name, paths[i].el[0].len);
    }
    *out = pr;
    return 0;
}

size_t ddb_update_n_attrs(const ddb_update_t *u) { return u->top.n; }

const char *ddb_update_attr(const ddb_update_t *u, size_t i, size_t *len) {
    SW_ASSERT(i < u->top.n);
    if (len)
        *len = u->top.len[i];
    return u->top.s[i];
}

size_t ddb_proj_n_attrs(const ddb_proj_t *p) { return p->top.n; }

const char *ddb_proj_attr(const ddb_proj_t *p, size_t i, size_t *len) {
    SW_ASSERT(i < p->top.n);
    if (len)
        *len = p->top.len[i];
    return p->top.s[i];
}
