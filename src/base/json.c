/* json.c - strict RFC 8259 parser and writer over arenas (see json.h).
 *
 * The parser is recursive descent with an explicit depth limit; it validates
 * UTF-8 and escapes and keeps each number's source text. Containers grow by
 * doubling inside the arena (the abandoned smaller block is arena garbage,
 * freed with the request). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- constructors ------------------------------------------------------ */

static json_t *json_alloc(arena_t *a, json_type_t type) {
    json_t *v = arena_alloc(a, sizeof(*v));
    v->type = type;
    v->len = 0;
    v->cap = 0;
    v->u.str = NULL;
    return v;
}

json_t *json_new_null(arena_t *a) { return json_alloc(a, JSON_NULL); }

json_t *json_new_bool(arena_t *a, bool b) {
    return json_alloc(a, b ? JSON_TRUE : JSON_FALSE);
}

json_t *json_new_str(arena_t *a, const char *s, size_t len) {
    json_t *v = json_alloc(a, JSON_STRING);
    v->u.str = arena_strndup(a, s, len);
    v->len = len;
    return v;
}

json_t *json_new_strz(arena_t *a, const char *s) {
    return json_new_str(a, s, strlen(s));
}

json_t *json_new_num_text(arena_t *a, const char *text, size_t len) {
    json_t *v = json_alloc(a, JSON_NUMBER);
    v->u.str = arena_strndup(a, text, len);
    v->len = len;
    return v;
}

json_t *json_new_num_i64(arena_t *a, int64_t n) {
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%lld", (long long)n);
    return json_new_num_text(a, tmp, (size_t)len);
}

json_t *json_new_num_double(arena_t *a, double d) {
    if (!isfinite(d))
        return json_new_null(a);
    if (d == 0)
        return json_new_num_text(a, "0", 1);
    if (d == trunc(d) && fabs(d) < 1e17)
        return json_new_num_i64(a, (int64_t)d);
    char tmp[40];
    int len = 0;
    /* Shortest precision that reads back as the same double. */
    for (int prec = 1; prec <= 17; prec++) {
        len = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* %g may print "1e+20": JSON allows it, but drop the '+' and leading
     * exponent zeros for the conventional form "1e20". */
    char out[40];
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (tmp[i] == 'e') {
            out[o++] = 'E';
            i++;
            if (tmp[i] == '-')
                out[o++] = '-';
            else if (tmp[i] != '+')
                i--;
            while (tmp[i + 1] == '0' && tmp[i + 2])
                i++;
            continue;
        }
        out[o++] = tmp[i];
    }
    return json_new_num_text(a, out, o);
}

json_t *json_new_arr(arena_t *a) { return json_alloc(a, JSON_ARRAY); }
json_t *json_new_obj(arena_t *a) { return json_alloc(a, JSON_OBJECT); }

const char *json_type_name(const json_t *v) {
    if (!v)
        return "null";
    switch (v->type) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "null";
}

/* ---- containers -------------------------------------------------------- */

void json_arr_push(arena_t *a, json_t *arr, json_t *v) {
    SW_ASSERT(arr->type == JSON_ARRAY);
    if (arr->len == arr->cap) {
        size_t cap = arr->cap ? arr->cap * 2 : 4;
        json_t **items = arena_alloc(a, cap * sizeof(*items));
        if (arr->len)
            memcpy(items, arr->u.items, arr->len * sizeof(*items));
        arr->u.items = items;
        arr->cap = cap;
    }
    arr->u.items[arr->len++] = v;
}

json_t *json_obj_getn(const json_t *obj, const char *key, size_t key_len) {
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->len; i++) {
        const json_member_t *m = &obj->u.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return m->val;
    }
    return NULL;
}

json_t *json_obj_get(const json_t *obj, const char *key) {
    return json_obj_getn(obj, key, strlen(key));
}

const char *json_obj_get_str(const json_t *obj, const char *key) {
    json_t *v = json_obj_get(obj, key);
    return json_is_str(v) ? v->u.str : NULL;
}

/* Appends without checking for an existing key. */
static void json_obj_append(arena_t *a, json_t *obj, const char *key, size_t key_len,
                            json_t *v) {
    if (obj->len == obj->cap) {
        size_t cap = obj->cap ? obj->cap * 2 : 4;
        json_member_t *m = arena_alloc(a, cap * sizeof(*m));
        if (obj->len)
            memcpy(m, obj->u.members, obj->len * sizeof(*m));
        obj->u.members = m;
        obj->cap = cap;
    }
    json_member_t *m = &obj->u.members[obj->len++];
    m->key = key;
    m->key_len = key_len;
    m->val = v;
}

void json_obj_setn(arena_t *a, json_t *obj, const char *key, size_t key_len, json_t *v) {
    SW_ASSERT(obj->type == JSON_OBJECT);
    for (size_t i = 0; i < obj->len; i++) {
        json_member_t *m = &obj->u.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            m->val = v;
            return;
        }
    }
    json_obj_append(a, obj, arena_strndup(a, key, key_len), key_len, v);
}

void json_obj_set(arena_t *a, json_t *obj, const char *key, json_t *v) {
    json_obj_setn(a, obj, key, strlen(key), v);
}

bool json_obj_del(json_t *obj, const char *key, size_t key_len) {
    if (!obj || obj->type != JSON_OBJECT)
        return false;
    for (size_t i = 0; i < obj->len; i++) {
        json_member_t *m = &obj->u.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            memmove(m, m + 1, (obj->len - i - 1) * sizeof(*m));
            obj->len--;
            return true;
        }
    }
    return false;
}

/* ---- numbers ----------------------------------------------------------- */

double json_num_double(const json_t *v) {
    if (!v || v->type != JSON_NUMBER)
        return 0;
    return strtod(v->u.str, NULL);
}

bool json_num_i64(const json_t *v, int64_t *out) {
    if (!v || v->type != JSON_NUMBER)
        return false;
    const char *s = v->u.str;
    /* Fast path: plain integer text. */
    if (!strpbrk(s, ".eE")) {
        errno = 0;
        char *end;
        long long n = strtoll(s, &end, 10);
        if (errno || *end)
            return false;
        *out = n;
        return true;
    }
    double d = strtod(s, NULL);
    if (d != trunc(d) || fabs(d) > 9007199254740992.0)
        return false;
    *out = (int64_t)d;
    return true;
}

/* ---- clone / equality -------------------------------------------------- */

json_t *json_clone(arena_t *a, const json_t *v) {
    if (!v)
        return NULL;
    switch (v->type) {
    case JSON_NULL:
    case JSON_FALSE:
    case JSON_TRUE:
        return json_alloc(a, v->type);
    case JSON_NUMBER:
        return json_new_num_text(a, v->u.str, v->len);
    case JSON_STRING:
        return json_new_str(a, v->u.str, v->len);
    case JSON_ARRAY: {
        json_t *c = json_new_arr(a);
        for (size_t i = 0; i < v->len; i++)
            json_arr_push(a, c, json_clone(a, v->u.items[i]));
        return c;
    }
    case JSON_OBJECT: {
        json_t *c = json_new_obj(a);
        for (size_t i = 0; i < v->len; i++) {
            const json_member_t *m = &v->u.members[i];
            json_obj_append(a, c, arena_strndup(a, m->key, m->key_len), m->key_len,
                            json_clone(a, m->val));
        }
        return c;
    }
    }
    return NULL;
}

static bool json_num_equal(const json_t *x, const json_t *y) {
    if (x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0)
        return true;
    int64_t ix, iy;
    if (json_num_i64(x, &ix) && json_num_i64(y, &iy))
        return ix == iy;
    return json_num_double(x) == json_num_double(y);
}

bool json_equal(const json_t *x, const json_t *y) {
    if (!x || !y)
        return x == y;
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case JSON_NULL:
    case JSON_FALSE:
    case JSON_TRUE:
        return true;
    case JSON_NUMBER:
        return json_num_equal(x, y);
    case JSON_STRING:
        return x->len == y->len && memcmp(x->u.str, y->u.str, x->len) == 0;
    case JSON_ARRAY:
        if (x->len != y->len)
            return false;
        for (size_t i = 0; i < x->len; i++)
            if (!json_equal(x->u.items[i], y->u.items[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (x->len != y->len)
            return false;
        for (size_t i = 0; i < x->len; i++) {
            const json_member_t *m = &x->u.members[i];
            if (!json_equal(m->val, json_obj_getn(y, m->key, m->key_len)))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- parser ------------------------------------------------------------ */

typedef struct json_parser {
    arena_t *a;
    const char *p;
    const char *start;
    const char *end;
    int depth;
    sw_error_t *err;
} json_parser_t;

static json_t *parse_value(json_parser_t *ps);

static int parse_fail(json_parser_t *ps, const char *what) {
    size_t off = (size_t)(ps->p - ps->start);
    if (ps->p >= ps->end)
        return sw_error_set(ps->err, "SerializationException",
                            "Malformed JSON: unexpected end of input (%s)", what);
    return sw_error_set(ps->err, "SerializationException",
                        "Malformed JSON: %s at offset %zu", what, off);
}

static void skip_ws(json_parser_t *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_valid(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned min;
    if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    return n;
}

/* Parses a string literal at ps->p (on the opening quote). The unescaped
 * bytes are allocated in the arena. */
static int parse_string(json_parser_t *ps, const char **out, size_t *out_len) {
    ps->p++; /* opening quote */
    const char *s = ps->p;
    bool has_escape = false;
    /* First pass: validate and find the end. */
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20)
            return parse_fail(ps, "control character in string");
        if (c == '\\') {
            has_escape = true;
            ps->p++;
            if (ps->p >= ps->end)
                return parse_fail(ps, "unterminated string");
            char e = *ps->p;
            if (e == 'u') {
                unsigned cp;
                if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp) < 0)
                    return parse_fail(ps, "invalid \\u escape");
                ps->p += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return parse_fail(ps, "invalid escape");
            ps->p++;
            continue;
        }
        size_t n = utf8_valid((const unsigned char *)ps->p, (const unsigned char *)ps->end);
        if (!n)
            return parse_fail(ps, "invalid UTF-8");
        ps->p += n;
    }
    if (ps->p >= ps->end)
        return parse_fail(ps, "unterminated string");
    size_t raw_len = (size_t)(ps->p - s);
    ps->p++; /* closing quote */
    if (!has_escape) {
        *out = arena_strndup(ps->a, s, raw_len);
        *out_len = raw_len;
        return 0;
    }
    /* Second pass: unescape (output is never longer than the input). */
    char *o = arena_alloc(ps->a, raw_len + 1);
    size_t n = 0;
    const char *q = s, *qend = s + raw_len;
    while (q < qend) {
        if (*q != '\\') {
            o[n++] = *q++;
            continue;
        }
        q++;
        char e = *q++;
        switch (e) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            hex4(q, &cp);
            q += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (qend - q >= 6 && q[0] == '\\' && q[1] == 'u' && hex4(q + 2, &lo) == 0 &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                } else {
                    ps->p = q;
                    return parse_fail(ps, "unpaired surrogate in \\u escape");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                ps->p = q;
                return parse_fail(ps, "unpaired surrogate in \\u escape");
            }
            n += utf8_put(o + n, cp);
            break;
        }
        default:
            SW_BUG("escape validated above");
        }
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

static json_t *parse_number(json_parser_t *ps) {
    const char *s = ps->p;
    const char *p = ps->p;
    if (p < ps->end && *p == '-')
        p++;
    if (p >= ps->end)
        goto bad;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        goto bad;
    }
    if (p < ps->end && *p == '.') {
        p++;
        if (p >= ps->end || *p < '0' || *p > '9')
            goto bad;
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= ps->end || *p < '0' || *p > '9')
            goto bad;
        while (p < ps->end && *p >= '0' && *p <= '9')
            p++;
    }
    ps->p = p;
    return json_new_num_text(ps->a, s, (size_t)(p - s));
bad:
    ps->p = p;
    parse_fail(ps, "invalid number");
    return NULL;
}

static bool parse_literal(json_parser_t *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static json_t *parse_array(json_parser_t *ps) {
    json_t *arr = json_new_arr(ps->a);
    ps->p++; /* [ */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    for (;;) {
        json_t *v = parse_value(ps);
        if (!v)
            return NULL;
        json_arr_push(ps->a, arr, v);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return arr;
        }
        parse_fail(ps, "expected ',' or ']'");
        return NULL;
    }
}

static json_t *parse_object(json_parser_t *ps) {
    json_t *obj = json_new_obj(ps->a);
    ps->p++; /* { */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
            parse_fail(ps, "expected a string key");
            return NULL;
        }
        const char *key;
        size_t key_len;
        if (parse_string(ps, &key, &key_len) < 0)
            return NULL;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            parse_fail(ps, "expected ':'");
            return NULL;
        }
        ps->p++;
        json_t *v = parse_value(ps);
        if (!v)
            return NULL;
        /* Duplicate keys: the last value wins, as Jackson (AWS) reads them. */
        json_t *dup = json_obj_getn(obj, key, key_len);
        if (dup)
            json_obj_setn(ps->a, obj, key, key_len, v);
        else
            json_obj_append(ps->a, obj, key, key_len, v);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return obj;
        }
        parse_fail(ps, "expected ',' or '}'");
        return NULL;
    }
}

static json_t *parse_value(json_parser_t *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end) {
        parse_fail(ps, "expected a value");
        return NULL;
    }
    switch (*ps->p) {
    case '{':
    case '[': {
        if (++ps->depth > JSON_MAX_DEPTH) {
            parse_fail(ps, "nesting too deep");
            return NULL;
        }
        json_t *v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
        ps->depth--;
        return v;
    }
    case '"': {
        const char *s;
        size_t len;
        if (parse_string(ps, &s, &len) < 0)
            return NULL;
        json_t *v = json_alloc(ps->a, JSON_STRING);
        v->u.str = s;
        v->len = len;
        return v;
    }
    case 't':
        if (parse_literal(ps, "true"))
            return json_alloc(ps->a, JSON_TRUE);
        break;
    case 'f':
        if (parse_literal(ps, "false"))
            return json_alloc(ps->a, JSON_FALSE);
        break;
    case 'n':
        if (parse_literal(ps, "null"))
            return json_alloc(ps->a, JSON_NULL);
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        break;
    }
    parse_fail(ps, "unexpected character");
    return NULL;
}

json_t *json_parse(arena_t *a, const char *text, size_t len, sw_error_t *err) {
    json_parser_t ps = {a, text, text, text + len, 0, err};
    json_t *v = parse_value(&ps);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        parse_fail(&ps, "unexpected data after the value");
        return NULL;
    }
    return v;
}

/* ---- writer ------------------------------------------------------------ */

void json_print_str(sw_buf_t *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        case '\b': buf_append(b, "\\b", 2); break;
        case '\f': buf_append(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, u, 6);
        }
        }
    }
    buf_append(b, s + run, len - run);
    buf_putc(b, '"');
}

static void print_indent(sw_buf_t *b, int indent) {
    buf_putc(b, '\n');
    for (int i = 0; i < indent; i++)
        buf_append(b, "  ", 2);
}

static void print_value(sw_buf_t *b, const json_t *v, bool pretty, int indent) {
    if (!v) {
        buf_append(b, "null", 4);
        return;
    }
    switch (v->type) {
    case JSON_NULL: buf_append(b, "null", 4); break;
    case JSON_TRUE: buf_append(b, "true", 4); break;
    case JSON_FALSE: buf_append(b, "false", 5); break;
    case JSON_NUMBER: buf_append(b, v->u.str, v->len); break;
    case JSON_STRING: json_print_str(b, v->u.str, v->len); break;
    case JSON_ARRAY:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                buf_putc(b, ',');
            if (pretty)
                print_indent(b, indent + 1);
            print_value(b, v->u.items[i], pretty, indent + 1);
        }
        if (pretty && v->len)
            print_indent(b, indent);
        buf_putc(b, ']');
        break;
    case JSON_OBJECT:
        buf_putc(b, '{');
        for (size_t i = 0; i < v->len; i++) {
            const json_member_t *m = &v->u.members[i];
            if (i)
                buf_putc(b, ',');
            if (pretty)
                print_indent(b, indent + 1);
            json_print_str(b, m->key, m->key_len);
            buf_putc(b, ':');
            if (pretty)
                buf_putc(b, ' ');
            print_value(b, m->val, pretty, indent + 1);
        }
        if (pretty && v->len)
            print_indent(b, indent);
        buf_putc(b, '}');
        break;
    }
}

void json_print(sw_buf_t *b, const json_t *v) { print_value(b, v, false, 0); }

void json_print_pretty(sw_buf_t *b, const json_t *v) { print_value(b, v, true, 0); }

char *json_to_str(arena_t *a, const json_t *v) {
    sw_buf_t b;
    buf_init(&b, a, (size_t)-1 / 2);
    print_value(&b, v, false, 0);
    if (!b.ptr)
        return arena_strdup(a, "");
    return b.ptr;
}
