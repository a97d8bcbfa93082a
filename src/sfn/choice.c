/* choice.c - Choice rules (JSONPath flavour): compiled once into trees of
 * And / Or / Not / comparisons, evaluated per transition; plus the RFC 3339
 * timestamp parser that Timestamp* comparisons and Wait share.
 *
 * AWS semantics: a comparison whose operand has the wrong type is false,
 * never an error; a Variable (or ...Path operand) that matches nothing fails
 * with States.Runtime, except under IsPresent. No I/O, no clock. */
#include <ctype.h>
#include <string.h>
#include "sfn/path_int.h"

typedef enum rkind {
    R_AND,
    R_OR,
    R_NOT,
    R_CMP
} rkind_t;

typedef enum otype {
    OT_STRING,
    OT_NUMERIC,
    OT_BOOLEAN,
    OT_TIMESTAMP,
    OT_MATCHES,
    OT_IS_NULL,
    OT_IS_PRESENT,
    OT_IS_NUMERIC,
    OT_IS_STRING,
    OT_IS_BOOLEAN,
    OT_IS_TIMESTAMP
} otype_t;

typedef enum ocmp {
    OC_EQ,
    OC_LT,
    OC_GT,
    OC_LE,
    OC_GE,
    OC_NONE
} ocmp_t;

typedef struct op_def {
    const char *name;
    otype_t type;
    ocmp_t cmp;
    bool is_path;
} op_def_t;

static const op_def_t OPS[] = {
    {"StringEquals", OT_STRING, OC_EQ, false},
    {"StringEqualsPath", OT_STRING, OC_EQ, true},
    {"StringLessThan", OT_STRING, OC_LT, false},
    {"StringLessThanPath", OT_STRING, OC_LT, true},
    {"StringGreaterThan", OT_STRING, OC_GT, false},
    {"StringGreaterThanPath", OT_STRING, OC_GT, true},
    {"StringLessThanEquals", OT_STRING, OC_LE, false},
    {"StringLessThanEqualsPath", OT_STRING, OC_LE, true},
    {"StringGreaterThanEquals", OT_STRING, OC_GE, false},
    {"StringGreaterThanEqualsPath", OT_STRING, OC_GE, true},
    {"StringMatches", OT_MATCHES, OC_NONE, false},
    {"NumericEquals", OT_NUMERIC, OC_EQ, false},
    {"NumericEqualsPath", OT_NUMERIC, OC_EQ, true},
    {"NumericLessThan", OT_NUMERIC, OC_LT, false},
    {"NumericLessThanPath", OT_NUMERIC, OC_LT, true},
    {"NumericGreaterThan", OT_NUMERIC, OC_GT, false},
    {"NumericGreaterThanPath", OT_NUMERIC, OC_GT, true},
    {"NumericLessThanEquals", OT_NUMERIC, OC_LE, false},
    {"NumericLessThanEqualsPath", OT_NUMERIC, OC_LE, true},
    {"NumericGreaterThanEquals", OT_NUMERIC, OC_GE, false},
    {"NumericGreaterThanEqualsPath", OT_NUMERIC, OC_GE, true},
    {"BooleanEquals", OT_BOOLEAN, OC_EQ, false},
    {"BooleanEqualsPath", OT_BOOLEAN, OC_EQ, true},
    {"TimestampEquals", OT_TIMESTAMP, OC_EQ, false},
    {"TimestampEqualsPath", OT_TIMESTAMP, OC_EQ, true},
    {"TimestampLessThan", OT_TIMESTAMP, OC_LT, false},
    {"TimestampLessThanPath", OT_TIMESTAMP, OC_LT, true},
    {"TimestampGreaterThan", OT_TIMESTAMP, OC_GT, false},
    {"TimestampGreaterThanPath", OT_TIMESTAMP, OC_GT, true},
    {"TimestampLessThanEquals", OT_TIMESTAMP, OC_LE, false},
    {"TimestampLessThanEqualsPath", OT_TIMESTAMP, OC_LE, true},
    {"TimestampGreaterThanEquals", OT_TIMESTAMP, OC_GE, false},
    {"TimestampGreaterThanEqualsPath", OT_TIMESTAMP, OC_GE, true},
    {"IsNull", OT_IS_NULL, OC_NONE, false},
    {"IsPresent", OT_IS_PRESENT, OC_NONE, false},
    {"IsNumeric", OT_IS_NUMERIC, OC_NONE, false},
    {"IsString", OT_IS_STRING, OC_NONE, false},
    {"IsBoolean", OT_IS_BOOLEAN, OC_NONE, false},
    {"IsTimestamp", OT_IS_TIMESTAMP, OC_NONE, false},
};
#define N_OPS (sizeof OPS / sizeof OPS[0])

struct sfn_rule {
    rkind_t kind;
    sfn_rule_t **subs;       /* AND / OR / NOT (1) */
    size_t n_subs;
    sfn_path_t *var;         /* CMP */
    const op_def_t *op;
    const json_t *operand;   /* literal operand (non-Path operators) */
    sfn_path_t *operand_path;
    int64_t ts_secs;         /* Timestamp* literal, parsed: seconds since */
    int64_t ts_frac_ns;      /* the epoch and nanoseconds (see ts_parse) */
};

#define SCHEMA "SCHEMA_VALIDATION_FAILED"

/* ---- timestamps --------------------------------------------------------- */

static bool digits(const char *s, size_t n, int *out) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses into whole seconds since the epoch and nanoseconds: years 0000 to
 * 9999 do not all fit in int64 nanoseconds (1677..2262), so Choice compares
 * this pair. */
static bool ts_parse(const char *s, size_t len, int64_t *out_secs, int64_t *out_frac_ns) {
    int y, mo, d, h, mi, sec, oh = 0, om = 0;
    int64_t frac_ns = 0;
    size_t i = 19;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    if (s[i] == '.') {
        size_t start = ++i;
        int64_t scale = 100000000;
        while (i < len && isdigit((unsigned char)s[i])) {
            frac_ns += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return false;
    }
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        if (len - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        oh *= sign;
        om *= sign;
        i += 6;
    } else {
        return false;
    }
    if (i != len)
        return false;
    *out_secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                (int64_t)oh * 3600 - (int64_t)om * 60;
    *out_frac_ns = frac_ns;
    return true;
}

bool sfn_timestamp_parse(const char *s, size_t len, int64_t *out_ns) {
    int64_t secs, frac_ns;
    if (!ts_parse(s, len, &secs, &frac_ns))
        return false;
    /* Outside int64 nanoseconds: saturate (order is kept). */
    if (secs > INT64_MAX / 1000000000 ||
        (secs == INT64_MAX / 1000000000 && frac_ns > INT64_MAX % 1000000000))
        *out_ns = INT64_MAX;
    else if (secs < INT64_MIN / 1000000000)
        *out_ns = INT64_MIN;
    else
        *out_ns = secs * 1000000000 + frac_ns;
    return true;
}

static int ts_cmp(int64_t s1, int64_t f1, int64_t s2, int64_t f2) {
    if (s1 != s2)
        return s1 < s2 ? -1 : 1;
    return f1 < f2 ? -1 : f1 > f2;
}

/* ---- compile ------------------------------------------------------------ */

static int compile_rule(arena_t *a, const json_t *j, bool top, int depth,
                        sfn_rule_t **out, const char **next, sw_error_t *err);

static int compile_list(arena_t *a, const json_t *v, const char *name, int depth,
                        sfn_rule_t *r, sw_error_t *err) {
    if (!json_is_arr(v) || v->len == 0)
        return sw_error_set(err, SCHEMA, "The value of '%s' must be a non-empty array of "
                                         "Choice Rules", name);
    r->subs = arena_alloc(a, v->len * sizeof *r->subs);
    r->n_subs = v->len;
    for (size_t i = 0; i < v->len; i++)
        if (compile_rule(a, v->u.items[i], false, depth + 1, &r->subs[i], NULL, err) != 0)
            return -1;
    return 0;
}

static int compile_rule(arena_t *a, const json_t *j, bool top, int depth,
                        sfn_rule_t **out, const char **next, sw_error_t *err) {
    sfn_rule_t *r = arena_zalloc(a, sizeof *r);
    const json_t *var = NULL, *opv = NULL, *nextv = NULL;
    const char *bool_name = NULL;
    const json_t *bool_val = NULL;
    int n_ops = 0;

    if (depth > SFN__RULE_MAX_DEPTH)
        return sw_error_set(err, SCHEMA, "Choice Rules are nested too deeply");
    if (!json_is_obj(j))
        return sw_error_set(err, SCHEMA, "A Choice Rule must be an object");
    for (size_t i = 0; i < j->len; i++) {
        const char *k = j->u.members[i].key;
        const json_t *v = j->u.members[i].val;
        if (strcmp(k, "Variable") == 0) {
            var = v;
        } else if (strcmp(k, "Next") == 0) {
            nextv = v;
        } else if (strcmp(k, "Comment") == 0 || (top && strcmp(k, "Assign") == 0)) {
            /* ignored here; Assign belongs to the caller */
        } else if (strcmp(k, "And") == 0 || strcmp(k, "Or") == 0 || strcmp(k, "Not") == 0) {
            bool_name = k;
            bool_val = v;
            n_ops++;
        } else {
            const op_def_t *d = NULL;
            for (size_t o = 0; o < N_OPS; o++)
                if (strcmp(k, OPS[o].name) == 0)
                    d = &OPS[o];
            if (!d)
                return sw_error_set(err, SCHEMA,
                                    "The field '%s' is not supported in a Choice Rule", k);
            r->op = d;
            opv = v;
            n_ops++;
        }
    }
    if (top) {
        if (!nextv)
            return sw_error_set(err, SCHEMA, "Missing required field 'Next'");
        if (!json_is_str(nextv) || nextv->len == 0)
            return sw_error_set(err, SCHEMA, "The value of 'Next' must be a state name");
        if (next)
            *next = arena_strndup(a, nextv->u.str, nextv->len);
    } else if (nextv) {
        return sw_error_set(err, SCHEMA, "Nested Choice Rules cannot have the field 'Next'");
    }
    if (n_ops != 1)
        return sw_error_set(err, SCHEMA, n_ops == 0
                                             ? "A Choice Rule must have a comparison operator "
                                               "or one of And, Or, Not"
                                             : "A Choice Rule must have exactly one comparison "
                                               "operator or one of And, Or, Not");
    if (bool_name) {
        if (var)
            return sw_error_set(err, SCHEMA,
                                "The field 'Variable' cannot be used with '%s'", bool_name);
        if (strcmp(bool_name, "Not") == 0) {
            r->kind = R_NOT;
            r->subs = arena_alloc(a, sizeof *r->subs);
            r->n_subs = 1;
            if (compile_rule(a, bool_val, false, depth + 1, &r->subs[0], NULL, err) != 0)
                return -1;
        } else {
            r->kind = bool_name[0] == 'A' ? R_AND : R_OR;
            if (compile_list(a, bool_val, bool_name, depth, r, err) != 0)
                return -1;
        }
        *out = r;
        return 0;
    }

    r->kind = R_CMP;
    if (!var)
        return sw_error_set(err, SCHEMA, "Missing required field 'Variable'");
    if (!json_is_str(var) ||
        sfn_path_compile(a, var->u.str, var->len, true, &r->var, err) != 0)
        return sw_error_set(err, SCHEMA,
                            "The value of 'Variable' must be a valid Reference Path");
    const op_def_t *d = r->op;
    if (d->is_path) {
        if (!json_is_str(opv) ||
            sfn_path_compile(a, opv->u.str, opv->len, true, &r->operand_path, err) != 0)
            return sw_error_set(err, SCHEMA,
                                "The value of '%s' must be a valid Reference Path", d->name);
        *out = r;
        return 0;
    }
    bool ok;
    switch (d->type) {
    case OT_STRING:
    case OT_MATCHES:
        ok = json_is_str(opv);
        break;
    case OT_NUMERIC:
        ok = json_is_num(opv);
        break;
    case OT_TIMESTAMP:
        ok = json_is_str(opv) && ts_parse(opv->u.str, opv->len, &r->ts_secs, &r->ts_frac_ns);
        break;
    default:
        ok = json_is_bool(opv);
        break;
    }
    if (!ok)
        return sw_error_set(err, SCHEMA, "The value of '%s' must be %s", d->name,
                            d->type == OT_NUMERIC     ? "a number"
                            : d->type == OT_TIMESTAMP ? "a timestamp"
                            : (d->type == OT_STRING || d->type == OT_MATCHES) ? "a string"
                                                                              : "a boolean");
    r->operand = json_clone(a, opv);
    *out = r;
    return 0;
}

int sfn_rule_compile(arena_t *a, const json_t *rule, bool is_top_level,
                     sfn_rule_t **out, const char **next, sw_error_t *err) {
    return compile_rule(a, rule, is_top_level, 0, out, next, err);
}

/* ---- evaluate ----------------------------------------------------------- */

static int cmp_str(const json_t *x, const json_t *y) {
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->u.str, y->u.str, n);
    if (c)
        return c < 0 ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

static bool is_int_text(const json_t *v) {
    return !memchr(v->u.str, '.', v->len) && !memchr(v->u.str, 'e', v->len) &&
           !memchr(v->u.str, 'E', v->len);
}

/* Integers of any size compare exactly (by their text); the rest as doubles. */
static int cmp_num(const json_t *x, const json_t *y) {
    int64_t a, b;
    if (json_num_i64(x, &a) && json_num_i64(y, &b))
        return a < b ? -1 : a > b;
    if (is_int_text(x) && is_int_text(y)) {
        bool nx = x->u.str[0] == '-', ny = y->u.str[0] == '-';
        if (nx != ny)
            return nx ? -1 : 1;
        /* JSON integers have no leading zeros: longer means larger. */
        size_t lx = x->len - nx, ly = y->len - ny;
        int c = lx != ly ? (lx < ly ? -1 : 1) : memcmp(x->u.str + nx, y->u.str + ny, lx);
        c = c < 0 ? -1 : c > 0;
        return nx ? -c : c;
    }
    double da = json_num_double(x), db = json_num_double(y);
    return da < db ? -1 : da > db;
}

static bool cmp_ok(ocmp_t op, int c) {
    switch (op) {
    case OC_EQ: return c == 0;
    case OC_LT: return c < 0;
    case OC_GT: return c > 0;
    case OC_LE: return c <= 0;
    case OC_GE: return c >= 0;
    case OC_NONE: break;
    }
    return false;
}

/* Whole-string match; '*' matches any run, "\*" a literal star, "\\" a
 * backslash. Greedy with backtracking to the last star: O(n*m) worst case. */
static bool string_matches(const char *s, size_t n, const char *p, size_t m) {
    size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < n) {
        if (pi < m && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < m) {
            size_t plen = 1;
            char pc = p[pi];
            if (pc == '\\' && pi + 1 < m) {
                pc = p[pi + 1];
                plen = 2;
            }
            if (pc == s[si]) {
                pi += plen;
                si++;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < m && p[pi] == '*')
        pi++;
    return pi == m;
}

static int invalid_path(sw_error_t *err, const sfn_path_t *p) {
    return sw_error_set(err, "States.Runtime",
                        "Invalid path '%s': The choice state's condition path references "
                        "an invalid value.",
                        p->text);
}

static int eval_cmp(arena_t *a, const sfn_rule_t *r, const json_t *input,
                    const json_t *context, bool *matched, sw_error_t *err) {
    const op_def_t *d = r->op;
    json_t *v, *w = NULL;
    bool present = sfn_path_eval(a, r->var, input, context, &v);
    bool want = r->operand && r->operand->type == JSON_TRUE;
    int64_t t1, t2, f1, f2;

    if (d->type == OT_IS_PRESENT) {
        *matched = present == want;
        return 0;
    }
    if (!present)
        return invalid_path(err, r->var);
    if (d->is_path) {
        if (!sfn_path_eval(a, r->operand_path, input, context, &w))
            return invalid_path(err, r->operand_path);
    } else {
        w = (json_t *)r->operand;
    }
    switch (d->type) {
    case OT_IS_NULL: *matched = json_is_null(v) == want; return 0;
    case OT_IS_NUMERIC: *matched = json_is_num(v) == want; return 0;
    case OT_IS_STRING: *matched = json_is_str(v) == want; return 0;
    case OT_IS_BOOLEAN: *matched = json_is_bool(v) == want; return 0;
    case OT_IS_TIMESTAMP:
        *matched = (json_is_str(v) && ts_parse(v->u.str, v->len, &t1, &f1)) == want;
        return 0;
    case OT_STRING:
        *matched = json_is_str(v) && json_is_str(w) && cmp_ok(d->cmp, cmp_str(v, w));
        return 0;
    case OT_MATCHES:
        *matched = json_is_str(v) && string_matches(v->u.str, v->len, w->u.str, w->len);
        return 0;
    case OT_NUMERIC:
        *matched = json_is_num(v) && json_is_num(w) && cmp_ok(d->cmp, cmp_num(v, w));
        return 0;
    case OT_BOOLEAN:
        *matched = json_is_bool(v) && json_is_bool(w) && v->type == w->type;
        return 0;
    case OT_TIMESTAMP:
        if (!json_is_str(v) || !ts_parse(v->u.str, v->len, &t1, &f1)) {
            *matched = false;
            return 0;
        }
        if (d->is_path) {
            if (!json_is_str(w) || !ts_parse(w->u.str, w->len, &t2, &f2)) {
                *matched = false;
                return 0;
            }
        } else {
            t2 = r->ts_secs;
            f2 = r->ts_frac_ns;
        }
        *matched = cmp_ok(d->cmp, ts_cmp(t1, f1, t2, f2));
        return 0;
    case OT_IS_PRESENT:
        break;
    }
    SW_BUG("bad choice operator");
}

int sfn_rule_eval(arena_t *a, const sfn_rule_t *r, const json_t *input,
                  const json_t *context, bool *matched, sw_error_t *err) {
    bool m = false;
    switch (r->kind) {
    case R_AND:
    case R_OR:
        /* Short-circuits, as AWS does: later rules are not evaluated. */
        for (size_t i = 0; i < r->n_subs; i++) {
            if (sfn_rule_eval(a, r->subs[i], input, context, &m, err) != 0)
                return -1;
            if (m == (r->kind == R_OR))
                break;
        }
        *matched = m;
        return 0;
    case R_NOT:
        if (sfn_rule_eval(a, r->subs[0], input, context, &m, err) != 0)
            return -1;
        *matched = !m;
        return 0;
    case R_CMP:
        return eval_cmp(a, r, input, context, matched, err);
    }
    SW_BUG("bad choice rule");
}

/* ---- describe ------------------------------------------------------------ */

static void describe(sw_buf_t *b, const sfn_rule_t *r, bool nested) {
    static const char *const sym[] = {"==", "<", ">", "<=", ">="};
    switch (r->kind) {
    case R_AND:
    case R_OR:
        if (nested)
            buf_putc(b, '(');
        for (size_t i = 0; i < r->n_subs; i++) {
            if (i)
                buf_puts(b, r->kind == R_AND ? " && " : " || ");
            describe(b, r->subs[i], true);
        }
        if (nested)
            buf_putc(b, ')');
        return;
    case R_NOT:
        buf_puts(b, "!(");
        describe(b, r->subs[0], false);
        buf_putc(b, ')');
        return;
    case R_CMP:
        break;
    }
    const op_def_t *d = r->op;
    if (d->cmp == OC_NONE && d->type != OT_MATCHES) {
        if (r->operand && r->operand->type == JSON_FALSE)
            buf_putc(b, '!');
        buf_printf(b, "%s(%s)", d->name, r->var->text);
        return;
    }
    buf_printf(b, "%s %s ", r->var->text, d->type == OT_MATCHES ? "matches" : sym[d->cmp]);
    if (d->is_path)
        buf_puts(b, r->operand_path->text);
    else
        json_print(b, r->operand);
}

const char *sfn_rule_describe(arena_t *a, const sfn_rule_t *r) {
    sw_buf_t b;
    buf_init(&b, a, 4096);
    describe(&b, r, false);
    return b.ptr;
}
