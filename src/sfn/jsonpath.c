/* jsonpath.c - JSONPath as the Amazon States Language uses it (AWS runs
 * Jayway JsonPath): compile once, evaluate per transition; plus ResultPath.
 *
 * Supported: $ and $$ roots, .name, ['name'] / ["name"], [n] and [-n],
 * [*] and .*, ..deep scan, slices [a:b:c], unions [0,1] / ['a','b'],
 * filters [?(<expr>)] with @/$ paths, literals, == != < <= > >= && || !,
 * and a trailing .length(). A Reference Path allows only .name, ['name']
 * and [n]. Evaluation never modifies its inputs and does no I/O. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "sfn/path_int.h"

/* ---- filter expressions -------------------------------------------------- */

typedef enum fexpr_kind {
    FX_OR,
    FX_AND,
    FX_NOT,
    FX_CMP,
    FX_EXISTS
} fexpr_kind_t;

typedef enum fcmp_op {
    FOP_EQ,
    FOP_NE,
    FOP_LT,
    FOP_LE,
    FOP_GT,
    FOP_GE
} fcmp_op_t;

typedef struct foperand {
    sfn_path_t *path;   /* @... or $... */
    json_t *literal;    /* otherwise */
} foperand_t;

struct sfn__fexpr {
    fexpr_kind_t kind;
    fcmp_op_t op;
    sfn__fexpr_t *l, *r;  /* OR / AND / NOT (l) */
    foperand_t x, y;      /* CMP (x op y) / EXISTS (x) */
};

/* ---- parser ------------------------------------------------------------ */

typedef struct pparse {
    arena_t *a;
    const char *s;
    size_t len;
    size_t pos;
    bool stop_early;
    int depth;    /* filter expression nesting, across nested paths */
    sw_error_t *err;
} pparse_t;

static int path_parse(arena_t *a, const char *text, size_t len, size_t *pos,
                      bool stop_early, int depth, sfn_path_t **out, sw_error_t *err);

static int perr(pparse_t *p, const char *why) {
    return sw_error_set(p->err, "SCHEMA_VALIDATION_FAILED",
                        "The value '%.*s' is not a valid JSONPath: %s",
                        (int)(p->len > 512 ? 512 : p->len), p->s, why);
}

static void skip_ws(pparse_t *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
}

static bool at(const pparse_t *p, char c) {
    return p->pos < p->len && p->s[p->pos] == c;
}

static bool is_name_char(const pparse_t *p, char c) {
    switch (c) {
    case '.': case '[': case ']': case '(': case ')': case ',': case '\'':
    case '"': case ' ': case '\t': case '\n': case '\r': case '*':
        return false;
    case '=': case '<': case '>': case '!': case '&': case '|':
        return !p->stop_early;
    default:
        return true;
    }
}

static int parse_int(pparse_t *p, int64_t *out) {
    bool neg = false;
    size_t start;
    int64_t v = 0;
    if (at(p, '-')) {
        neg = true;
        p->pos++;
    }
    start = p->pos;
    while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
        if (v > (INT64_MAX - 9) / 10)
            return perr(p, "index out of range");
        v = v * 10 + (p->s[p->pos] - '0');
        p->pos++;
    }
    if (p->pos == start)
        return perr(p, "expected an integer");
    *out = neg ? -v : v;
    return 0;
}

/* A quoted name: 'a', "a"; backslash escapes the next character. */
static int parse_quoted(pparse_t *p, const char **name, size_t *name_len) {
    char q = p->s[p->pos++];
    char *buf = arena_alloc(p->a, p->len - p->pos + 1);
    size_t n = 0;
    while (p->pos < p->len && p->s[p->pos] != q) {
        if (p->s[p->pos] == '\\' && p->pos + 1 < p->len)
            p->pos++;
        buf[n++] = p->s[p->pos++];
    }
    if (!at(p, q))
        return perr(p, "unterminated quoted name");
    p->pos++;
    buf[n] = '\0';
    *name = buf;
    *name_len = n;
    return 0;
}

static int parse_or(pparse_t *p, sfn__fexpr_t **out);

static int parse_operand(pparse_t *p, foperand_t *o) {
    skip_ws(p);
    memset(o, 0, sizeof *o);
    if (p->pos >= p->len)
        return perr(p, "unexpected end of filter");
    char c = p->s[p->pos];
    if (c == '@' || c == '$')
        return path_parse(p->a, p->s, p->len, &p->pos, true, p->depth + 1, &o->path, p->err);
    if (c == '\'' || c == '"') {
        const char *s;
        size_t n;
        if (parse_quoted(p, &s, &n) != 0)
            return -1;
        o->literal = json_new_str(p->a, s, n);
        return 0;
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        size_t start = p->pos;
        sw_error_t tmp;
        if (c == '-')
            p->pos++;
        while (p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) ||
                                   strchr(".eE+-", p->s[p->pos])))
            p->pos++;
        arena_t *a = p->a;
        json_t *v = json_parse(a, p->s + start, p->pos - start, &tmp);
        if (!v || !json_is_num(v))
            return perr(p, "invalid number in filter");
        o->literal = v;
        return 0;
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, words[i], n) == 0) {
            p->pos += n;
            o->literal = i == 2 ? json_new_null(p->a) : json_new_bool(p->a, i == 0);
            return 0;
        }
    }
    return perr(p, "unsupported filter operand");
}

static int parse_unary(pparse_t *p, sfn__fexpr_t **out) {
    sfn__fexpr_t *e;
    skip_ws(p);
    if (++p->depth > SFN__FILTER_MAX_DEPTH)
        return perr(p, "filter nested too deeply");
    if (at(p, '!') && !(p->pos + 1 < p->len && p->s[p->pos + 1] == '=')) {
        p->pos++;
        e = arena_zalloc(p->a, sizeof *e);
        e->kind = FX_NOT;
        if (parse_unary(p, &e->l) != 0)
            return -1;
        *out = e;
        p->depth--;
        return 0;
    }
    if (at(p, '(')) {
        p->pos++;
        if (parse_or(p, out) != 0)
            return -1;
        skip_ws(p);
        if (!at(p, ')'))
            return perr(p, "expected ')' in filter");
        p->pos++;
        p->depth--;
        return 0;
    }
    e = arena_zalloc(p->a, sizeof *e);
    if (parse_operand(p, &e->x) != 0)
        return -1;
    skip_ws(p);
    static const struct { const char *t; fcmp_op_t op; } ops[] = {
        {"==", FOP_EQ}, {"!=", FOP_NE}, {"<=", FOP_LE}, {">=", FOP_GE},
        {"<", FOP_LT}, {">", FOP_GT},
    };
    e->kind = FX_EXISTS;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].t);
        if (p->len - p->pos >= n && memcmp(p->s + p->pos, ops[i].t, n) == 0) {
            p->pos += n;
            e->kind = FX_CMP;
            e->op = ops[i].op;
            if (parse_operand(p, &e->y) != 0)
                return -1;
            break;
        }
    }
    if (e->kind == FX_EXISTS) {
        if (at(p, '=') && p->pos + 1 < p->len && p->s[p->pos + 1] == '~')
            return perr(p, "regular expressions are not supported");
        if (!e->x.path)
            return perr(p, "a filter needs a comparison or a path");
    }
    p->depth--;
    *out = e;
    return 0;
}

static int parse_and(pparse_t *p, sfn__fexpr_t **out) {
    if (parse_unary(p, out) != 0)
        return -1;
    for (;;) {
        skip_ws(p);
        if (!(p->len - p->pos >= 2 && p->s[p->pos] == '&' && p->s[p->pos + 1] == '&'))
            return 0;
        p->pos += 2;
        sfn__fexpr_t *e = arena_zalloc(p->a, sizeof *e);
        e->kind = FX_AND;
        e->l = *out;
        if (parse_unary(p, &e->r) != 0)
            return -1;
        *out = e;
    }
}

static int parse_or(pparse_t *p, sfn__fexpr_t **out) {
    if (parse_and(p, out) != 0)
        return -1;
    for (;;) {
        skip_ws(p);
        if (!(p->len - p->pos >= 2 && p->s[p->pos] == '|' && p->s[p->pos + 1] == '|'))
            return 0;
        p->pos += 2;
        sfn__fexpr_t *e = arena_zalloc(p->a, sizeof *e);
        e->kind = FX_OR;
        e->l = *out;
        if (parse_and(p, &e->r) != 0)
            return -1;
        *out = e;
    }
}

/* After '[': wildcard, quoted names, filter, index, slice or index union. */
static int parse_bracket(pparse_t *p, sfn__seg_t *seg) {
    skip_ws(p);
    if (at(p, '*')) {
        p->pos++;
        seg->kind = SFN__SEG_WILDCARD;
    } else if (at(p, '\'') || at(p, '"')) {
        sfn__sel_t sels[64];
        size_t n = 0;
        for (;;) {
            if (n == 64)
                return perr(p, "too many names in a union");
            sels[n].is_name = true;
            if (parse_quoted(p, &sels[n].name, &sels[n].name_len) != 0)
                return -1;
            n++;
            skip_ws(p);
            if (!at(p, ','))
                break;
            p->pos++;
            skip_ws(p);
            if (!(at(p, '\'') || at(p, '"')))
                return perr(p, "expected a quoted name");
        }
        if (n == 1) {
            seg->kind = SFN__SEG_NAME;
            seg->name = sels[0].name;
            seg->name_len = sels[0].name_len;
        } else {
            seg->kind = SFN__SEG_UNION;
            seg->sels = arena_alloc(p->a, n * sizeof *sels);
            memcpy(seg->sels, sels, n * sizeof *sels);
            seg->n_sels = n;
        }
    } else if (at(p, '?')) {
        p->pos++;
        skip_ws(p);
        if (!at(p, '('))
            return perr(p, "expected '(' after '?'");
        p->pos++;
        seg->kind = SFN__SEG_FILTER;
        bool saved = p->stop_early;
        p->stop_early = true;
        if (parse_or(p, &seg->filter) != 0)
            return -1;
        p->stop_early = saved;
        skip_ws(p);
        if (!at(p, ')'))
            return perr(p, "expected ')' closing the filter");
        p->pos++;
    } else {
        int64_t v[3] = {0, 0, 1};
        bool has[3] = {false, false, false};
        int part = 0;
        skip_ws(p);
        if (at(p, '-') || (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))) {
            if (parse_int(p, &v[0]) != 0)
                return -1;
            has[0] = true;
        }
        skip_ws(p);
        if (at(p, ':')) {
            while (at(p, ':') && part < 2) {
                p->pos++;
                part++;
                skip_ws(p);
                if (at(p, '-') || (p->pos < p->len && isdigit((unsigned char)p->s[p->pos]))) {
                    if (parse_int(p, &v[part]) != 0)
                        return -1;
                    has[part] = true;
                }
                skip_ws(p);
            }
            if (has[2] && v[2] == 0)
                return perr(p, "slice step cannot be zero");
            seg->kind = SFN__SEG_SLICE;
            seg->has_from = has[0];
            seg->has_to = has[1];
            seg->from = v[0];
            seg->to = v[1];
            seg->step = has[2] ? v[2] : 1;
        } else if (at(p, ',')) {
            sfn__sel_t sels[64];
            size_t n = 0;
            if (!has[0])
                return perr(p, "expected an index");
            sels[n].is_name = false;
            sels[n++].index = v[0];
            while (at(p, ',')) {
                p->pos++;
                skip_ws(p);
                if (n == 64)
                    return perr(p, "too many indexes in a union");
                sels[n].is_name = false;
                if (parse_int(p, &sels[n].index) != 0)
                    return -1;
                n++;
                skip_ws(p);
            }
            seg->kind = SFN__SEG_UNION;
            seg->sels = arena_alloc(p->a, n * sizeof *sels);
            memcpy(seg->sels, sels, n * sizeof *sels);
            seg->n_sels = n;
        } else {
            if (!has[0])
                return perr(p, "unsupported bracket expression");
            seg->kind = SFN__SEG_INDEX;
            seg->index = v[0];
        }
    }
    skip_ws(p);
    if (!at(p, ']'))
        return perr(p, "expected ']'");
    p->pos++;
    return 0;
}

int sfn__path_parse(arena_t *a, const char *text, size_t len, size_t *pos,
                    bool stop_early, sfn_path_t **out, sw_error_t *err) {
    return path_parse(a, text, len, pos, stop_early, 0, out, err);
}

static int path_parse(arena_t *a, const char *text, size_t len, size_t *pos,
                      bool stop_early, int depth, sfn_path_t **out, sw_error_t *err) {
    pparse_t p = {a, text, len, *pos, stop_early, depth, err};
    size_t n = 0, cap = 8;
    sfn__seg_t *segs = arena_alloc(a, cap * sizeof *segs);
    size_t start = p.pos;
    sfn_path_t *path = arena_zalloc(a, sizeof *path);

    if (len > SFN__PATH_MAX_LEN)
        return perr(&p, "too long");
    if (depth > SFN__FILTER_MAX_DEPTH)
        return perr(&p, "filter nested too deeply");
    if (at(&p, '@')) {
        path->is_relative = true;
        p.pos++;
    } else if (at(&p, '$')) {
        p.pos++;
        if (at(&p, '$')) {
            path->is_context = true;
            p.pos++;
        }
    } else {
        return perr(&p, "must start with '$'");
    }

    while (p.pos < p.len) {
        sfn__seg_t seg;
        memset(&seg, 0, sizeof seg);
        char c = p.s[p.pos];
        if (c == '.') {
            p.pos++;
            if (at(&p, '.')) {
                seg.is_deep = true;
                p.pos++;
            }
            if (at(&p, '*')) {
                p.pos++;
                seg.kind = SFN__SEG_WILDCARD;
            } else if (seg.is_deep && at(&p, '[')) {
                p.pos++;
                if (parse_bracket(&p, &seg) != 0)
                    return -1;
            } else {
                size_t ns = p.pos;
                while (p.pos < p.len && is_name_char(&p, p.s[p.pos]))
                    p.pos++;
                if (p.pos == ns)
                    return perr(&p, "expected a field name after '.'");
                if (p.pos - ns == 6 && memcmp(p.s + ns, "length", 6) == 0 &&
                    p.len - p.pos >= 2 && p.s[p.pos] == '(' && p.s[p.pos + 1] == ')') {
                    p.pos += 2;
                    seg.kind = SFN__SEG_LENGTH;
                } else {
                    seg.kind = SFN__SEG_NAME;
                    seg.name = arena_strndup(a, p.s + ns, p.pos - ns);
                    seg.name_len = p.pos - ns;
                }
            }
        } else if (c == '[') {
            p.pos++;
            if (parse_bracket(&p, &seg) != 0)
                return -1;
        } else if (stop_early) {
            break;
        } else {
            return perr(&p, "unexpected character");
        }
        if (n == SFN__PATH_MAX_SEGS)
            return perr(&p, "too many steps");
        if (n == cap) {
            sfn__seg_t *grown = arena_alloc(a, 2 * cap * sizeof *segs);
            memcpy(grown, segs, n * sizeof *segs);
            segs = grown;
            cap *= 2;
        }
        if (n > 0 && segs[n - 1].kind == SFN__SEG_LENGTH)
            return perr(&p, "length() must be the last step");
        segs[n++] = seg;
    }

    path->text = arena_strndup(a, text + start, p.pos - start);
    path->text_len = p.pos - start;
    path->segs = segs;
    path->n_segs = n;
    path->is_definite = true;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].is_deep || (segs[i].kind != SFN__SEG_NAME &&
                                segs[i].kind != SFN__SEG_INDEX &&
                                segs[i].kind != SFN__SEG_LENGTH))
            path->is_definite = false;
    }
    *pos = p.pos;
    *out = path;
    return 0;
}

int sfn_path_compile(arena_t *a, const char *text, size_t len, bool is_reference,
                     sfn_path_t **out, sw_error_t *err) {
    size_t pos = 0;
    sfn_path_t *p;
    if (len == 0 || text[0] != '$')
        return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                            "The value '%.*s' is not a valid JSONPath: must start with '$'",
                            (int)(len > 512 ? 512 : len), text);
    if (sfn__path_parse(a, text, len, &pos, false, &p, err) != 0)
        return -1;
    if (is_reference) {
        bool ok = p->is_definite;
        for (size_t i = 0; i < p->n_segs; i++)
            if (p->segs[i].kind == SFN__SEG_LENGTH)
                ok = false;
        if (!ok)
            return sw_error_set(err, "SCHEMA_VALIDATION_FAILED",
                                "The value '%.*s' is not a valid Reference Path: "
                                "only '.field', ['field'] and [index] are allowed",
                                (int)(len > 512 ? 512 : len), text);
    }
    *out = p;
    return 0;
}

const char *sfn_path_text(const sfn_path_t *p) { return p->text; }

bool sfn_path_is_context(const sfn_path_t *p) { return p->is_context; }

/* ---- evaluation -------------------------------------------------------- */

static const json_t *child_index(const json_t *node, int64_t idx) {
    if (!json_is_arr(node))
        return NULL;
    if (idx < 0)
        idx += (int64_t)node->len;
    if (idx < 0 || (size_t)idx >= node->len)
        return NULL;
    return node->u.items[idx];
}

static const json_t *child_name(const json_t *node, const char *name, size_t len) {
    if (!json_is_obj(node))
        return NULL;
    return json_obj_getn(node, name, len);
}

static json_t *length_of(arena_t *a, const json_t *node) {
    if (json_is_arr(node) || json_is_obj(node) || json_is_str(node))
        return json_new_num_i64(a, (int64_t)node->len);
    return NULL;
}

typedef struct walk {
    arena_t *a;
    const sfn_path_t *p;
    const json_t *root;
    json_t *out;
} walk_t;

static void walk_at(walk_t *w, const json_t *node, size_t i);
static bool filter_eval(walk_t *w, const sfn__fexpr_t *e, const json_t *cur);

static void apply_seg(walk_t *w, const json_t *node, size_t i) {
    const sfn__seg_t *s = &w->p->segs[i];
    const json_t *c;
    switch (s->kind) {
    case SFN__SEG_NAME:
        if ((c = child_name(node, s->name, s->name_len)))
            walk_at(w, c, i + 1);
        break;
    case SFN__SEG_INDEX:
        if ((c = child_index(node, s->index)))
            walk_at(w, c, i + 1);
        break;
    case SFN__SEG_WILDCARD:
        if (json_is_arr(node))
            for (size_t k = 0; k < node->len; k++)
                walk_at(w, node->u.items[k], i + 1);
        else if (json_is_obj(node))
            for (size_t k = 0; k < node->len; k++)
                walk_at(w, node->u.members[k].val, i + 1);
        break;
    case SFN__SEG_SLICE: {
        if (!json_is_arr(node))
            break;
        int64_t n = (int64_t)node->len, from, to, step = s->step;
        if (step > 0) {
            from = s->has_from ? s->from : 0;
            to = s->has_to ? s->to : n;
            if (from < 0) from += n;
            if (to < 0) to += n;
            if (from < 0) from = 0;
            if (to > n) to = n;
            for (int64_t k = from; k < to; k += step)
                walk_at(w, node->u.items[k], i + 1);
        } else {
            from = s->has_from ? s->from : n - 1;
            to = s->has_to ? s->to : -n - 1;
            if (from < 0) from += n;
            if (to < 0) to += n;
            if (from > n - 1) from = n - 1;
            if (to < -1) to = -1;
            for (int64_t k = from; k > to; k += step)
                walk_at(w, node->u.items[k], i + 1);
        }
        break;
    }
    case SFN__SEG_UNION:
        for (size_t k = 0; k < s->n_sels; k++) {
            c = s->sels[k].is_name
                    ? child_name(node, s->sels[k].name, s->sels[k].name_len)
                    : child_index(node, s->sels[k].index);
            if (c)
                walk_at(w, c, i + 1);
        }
        break;
    case SFN__SEG_FILTER:
        if (json_is_arr(node)) {
            for (size_t k = 0; k < node->len; k++)
                if (filter_eval(w, s->filter, node->u.items[k]))
                    walk_at(w, node->u.items[k], i + 1);
        } else if (json_is_obj(node) && filter_eval(w, s->filter, node)) {
            walk_at(w, node, i + 1);
        }
        break;
    case SFN__SEG_LENGTH:
        if ((c = length_of(w->a, node)))
            walk_at(w, c, i + 1);
        break;
    }
}

static void walk_deep(walk_t *w, const json_t *node, size_t i) {
    apply_seg(w, node, i);
    if (json_is_arr(node))
        for (size_t k = 0; k < node->len; k++)
            walk_deep(w, node->u.items[k], i);
    else if (json_is_obj(node))
        for (size_t k = 0; k < node->len; k++)
            walk_deep(w, node->u.members[k].val, i);
}

static void walk_at(walk_t *w, const json_t *node, size_t i) {
    if (i == w->p->n_segs) {
        json_arr_push(w->a, w->out, (json_t *)node);
        return;
    }
    if (w->p->segs[i].is_deep)
        walk_deep(w, node, i);
    else
        apply_seg(w, node, i);
}

static bool operand_value(walk_t *w, const foperand_t *o, const json_t *cur,
                          const json_t **v) {
    if (o->literal) {
        *v = o->literal;
        return true;
    }
    json_t *r;
    if (!sfn__path_eval_node(w->a, o->path, w->root, o->path->is_relative ? cur : w->root, &r))
        return false;
    *v = r;
    return true;
}

static int cmp_bytes(const json_t *x, const json_t *y) {
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->u.str, y->u.str, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* A decimal as Java's BigDecimal reads it, normalised: the value is
 * 0.<dig> x 10^point, dig without leading or trailing zeros (n == 0: the
 * value is zero). */
typedef struct dec {
    bool is_neg;
    char *dig;
    size_t n;
    int64_t point;
} dec_t;

/* Parses [+-] digits [. digits] [(e|E) [+-] digits] (digits on at least
 * one side of the point), BigDecimal's syntax, of which a JSON number is
 * a case. False when `s` is not such a number. */
static bool dec_parse(arena_t *a, const char *s, size_t len, dec_t *d) {
    size_t i = 0, n_int = 0, n_frac = 0;
    bool is_lead = true;
    memset(d, 0, sizeof *d);
    d->dig = arena_alloc(a, len + 1);
    if (i < len && (s[i] == '+' || s[i] == '-'))
        d->is_neg = s[i++] == '-';
    for (; i < len && isdigit((unsigned char)s[i]); i++, n_int++) {
        if (is_lead && s[i] == '0')
            continue;
        is_lead = false;
        d->dig[d->n++] = s[i];
        d->point++;
    }
    if (i < len && s[i] == '.')
        for (i++; i < len && isdigit((unsigned char)s[i]); i++, n_frac++) {
            if (is_lead && s[i] == '0') {
                d->point--;
                continue;
            }
            is_lead = false;
            d->dig[d->n++] = s[i];
        }
    if (n_int + n_frac == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        bool is_exp_neg = false;
        int64_t e = 0;
        size_t start;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            is_exp_neg = s[i++] == '-';
        start = i;
        for (; i < len && isdigit((unsigned char)s[i]); i++)
            if (e < (int64_t)1 << 40)
                e = e * 10 + (s[i] - '0');
        if (i == start)
            return false;
        d->point += is_exp_neg ? -e : e;
    }
    if (i != len)
        return false;
    while (d->n > 0 && d->dig[d->n - 1] == '0')
        d->n--;
    return true;
}

/* Exact comparison, as BigDecimal.compareTo: 12345678901234567890 and
 * 12345678901234567891 differ although their doubles do not. */
static int dec_cmp(const dec_t *x, const dec_t *y) {
    int sign, c = 0;
    if (x->n == 0 || y->n == 0) {
        if (x->n == 0 && y->n == 0)
            return 0;
        return x->n == 0 ? (y->is_neg ? 1 : -1) : (x->is_neg ? -1 : 1);
    }
    if (x->is_neg != y->is_neg)
        return x->is_neg ? -1 : 1;
    sign = x->is_neg ? -1 : 1;
    if (x->point != y->point)
        return x->point < y->point ? -sign : sign;
    for (size_t i = 0; !c && i < x->n && i < y->n; i++)
        c = x->dig[i] < y->dig[i] ? -1 : x->dig[i] > y->dig[i];
    if (!c && x->n != y->n)
        c = x->n < y->n ? -1 : 1;
    return c * sign;
}

/* Compares two JSON numbers exactly. */
static int num_cmp(arena_t *a, const json_t *x, const json_t *y) {
    dec_t dx, dy;
    if (!dec_parse(a, x->u.str, x->len, &dx) || !dec_parse(a, y->u.str, y->len, &dy)) {
        double fx = json_num_double(x), fy = json_num_double(y);
        return fx < fy ? -1 : fx > fy;
    }
    return dec_cmp(&dx, &dy);
}

/* Jayway's `==` between a value of the array (x) and an operand (y):
 * numbers compare by value, exactly; a number equals a string that reads
 * as the same number (NumberNode.equals parses the string), and a string
 * equals a number whose text it is (StringNode.equals compares with the
 * number's text); booleans, null, strings, arrays and objects equal only
 * their own kind. */
static bool values_equal(arena_t *a, const json_t *x, const json_t *y) {
    dec_t dx, dy;
    if (json_is_num(x) && json_is_num(y))
        return num_cmp(a, x, y) == 0;
    if (json_is_num(x) && json_is_str(y))
        return dec_parse(a, x->u.str, x->len, &dx) && dec_parse(a, y->u.str, y->len, &dy) &&
               dec_cmp(&dx, &dy) == 0;
    if (json_is_str(x) && json_is_num(y))
        return x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0;
    if (json_is_bool(x) && json_is_bool(y))
        return x->type == y->type;
    if (x->type != y->type)
        return false;
    return json_equal(x, y);
}

static bool filter_eval(walk_t *w, const sfn__fexpr_t *e, const json_t *cur) {
    const json_t *x, *y;
    switch (e->kind) {
    case FX_OR:
        return filter_eval(w, e->l, cur) || filter_eval(w, e->r, cur);
    case FX_AND:
        return filter_eval(w, e->l, cur) && filter_eval(w, e->r, cur);
    case FX_NOT:
        return !filter_eval(w, e->l, cur);
    case FX_EXISTS:
        if (!operand_value(w, &e->x, cur, &x))
            return false;
        /* An indefinite path "exists" when it matched something. */
        return !(json_is_arr(x) && !e->x.path->is_definite && x->len == 0);
    case FX_CMP:
        break;
    }
    /* A missing operand is Jayway's "undefined": equal to nothing. */
    if (!operand_value(w, &e->x, cur, &x) || !operand_value(w, &e->y, cur, &y))
        return e->op == FOP_NE;
    if (e->op == FOP_EQ || e->op == FOP_NE) {
        bool eq = values_equal(w->a, x, y);
        return e->op == FOP_EQ ? eq : !eq;
    }
    /* Order: numbers with numbers, strings with strings; anything else
     * is false (Jayway's relational evaluators). */
    int c;
    if (json_is_num(x) && json_is_num(y)) {
        c = num_cmp(w->a, x, y);
    } else if (json_is_str(x) && json_is_str(y)) {
        c = cmp_bytes(x, y);
    } else {
        return false;
    }
    switch (e->op) {
    case FOP_LT: return c < 0;
    case FOP_LE: return c <= 0;
    case FOP_GT: return c > 0;
    case FOP_GE: return c >= 0;
    default: return false;
    }
}

bool sfn__path_eval_node(arena_t *a, const sfn_path_t *p, const json_t *root,
                         const json_t *node, json_t **out) {
    if (!node)
        return false;
    if (p->is_definite) {
        const json_t *cur = node;
        for (size_t i = 0; i < p->n_segs && cur; i++) {
            const sfn__seg_t *s = &p->segs[i];
            if (s->kind == SFN__SEG_NAME)
                cur = child_name(cur, s->name, s->name_len);
            else if (s->kind == SFN__SEG_INDEX)
                cur = child_index(cur, s->index);
            else
                cur = length_of(a, cur);
        }
        if (!cur)
            return false;
        *out = (json_t *)cur;
        return true;
    }
    walk_t w = {a, p, root, json_new_arr(a)};
    walk_at(&w, node, 0);
    *out = w.out;
    return true;
}

bool sfn_path_eval(arena_t *a, const sfn_path_t *p, const json_t *input,
                   const json_t *context, json_t **out) {
    const json_t *root = p->is_context ? context : input;
    return sfn__path_eval_node(a, p, root, root, out);
}

/* ---- ResultPath -------------------------------------------------------- */

static json_t *obj_copy(arena_t *a, const json_t *src, size_t extra) {
    json_t *o = json_new_obj(a);
    size_t n = src ? src->len : 0;
    o->cap = n + extra;
    o->u.members = arena_alloc(a, (o->cap ? o->cap : 1) * sizeof(json_member_t));
    if (n)
        memcpy(o->u.members, src->u.members, n * sizeof(json_member_t));
    o->len = n;
    return o;
}

static json_t *arr_copy(arena_t *a, const json_t *src) {
    json_t *o = json_new_arr(a);
    for (size_t k = 0; k < src->len; k++)
        json_arr_push(a, o, src->u.items[k]);
    return o;
}

static int set_at(arena_t *a, const sfn_path_t *p, size_t i, const json_t *node,
                  const json_t *value, const json_t *input, json_t **out,
                  sw_error_t *err) {
    if (i == p->n_segs) {
        *out = (json_t *)value;
        return 0;
    }
    const sfn__seg_t *s = &p->segs[i];
    json_t *child;
    if (s->kind == SFN__SEG_NAME) {
        if (node && !json_is_obj(node))
            goto fail;
        const json_t *cur = node ? json_obj_getn(node, s->name, s->name_len) : NULL;
        if (set_at(a, p, i + 1, cur, value, input, &child, err) != 0)
            return -1;
        json_t *o = obj_copy(a, node, 1);
        json_obj_setn(a, o, s->name, s->name_len, child);
        *out = o;
        return 0;
    }
    if (s->kind == SFN__SEG_INDEX) {
        const json_t *cur = child_index(node, s->index);
        if (!cur)
            goto fail;
        int64_t idx = s->index < 0 ? s->index + (int64_t)node->len : s->index;
        if (set_at(a, p, i + 1, cur, value, input, &child, err) != 0)
            return -1;
        json_t *o = arr_copy(a, node);
        o->u.items[idx] = child;
        *out = o;
        return 0;
    }
fail:
    return sw_error_set(err, "States.Runtime",
                        "Unable to apply ResultPath '%s' to input '%s'", p->text,
                        json_to_str(a, input));
}

int sfn_path_set(arena_t *a, const sfn_path_t *p, const json_t *input,
                 const json_t *value, json_t **out, sw_error_t *err) {
    if (p->is_context || !p->is_definite)
        return sw_error_set(err, "States.Runtime",
                            "Unable to apply ResultPath '%s': not a Reference Path", p->text);
    for (size_t i = 0; i < p->n_segs; i++)
        if (p->segs[i].kind == SFN__SEG_LENGTH)
            return sw_error_set(err, "States.Runtime",
                                "Unable to apply ResultPath '%s': not a Reference Path", p->text);
    if (p->n_segs > 0 && !json_is_obj(input) &&
        !(json_is_arr(input) && p->segs[0].kind == SFN__SEG_INDEX))
        return sw_error_set(err, "States.Runtime",
                            "Unable to apply ResultPath '%s' to input '%s'", p->text,
                            json_to_str(a, input));
    return set_at(a, p, 0, input, value, input, out, err);
}

int sfn__path_missing(sw_error_t *err, arena_t *a, const sfn_path_t *p,
                      const char *field, const json_t *input,
                      const json_t *context) {
    const json_t *src = p->is_context ? context : input;
    return sw_error_set(err, "States.Runtime",
                        "The JSONPath '%s' specified for the field '%s' could not be "
                        "found in the input '%s'",
                        p->text, field ? field : "", src ? json_to_str(a, src) : "null");
}
