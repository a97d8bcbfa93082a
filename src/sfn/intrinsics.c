/* intrinsics.c - the ASL intrinsic functions ("States.Format(...)" ...):
 * parsed once into call trees (names and arity checked at compile time),
 * evaluated per transition. Values follow AWS's recorded behaviour, which is
 * Java's: Format renders objects as Map.toString, MathAdd rounds half up
 * (Math.round), StringSplit is a StringTokenizer, MathRandom with a seed is
 * java.util.Random. Hashes and random bytes come from OpenSSL libcrypto.
 * Run-time failures are States.IntrinsicFailure; no I/O. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include "base/rand.h"
#include "sfn/path_int.h"
#include "sfn/sfn_int.h"

/* The thread's draw source (sfn_int.h): splitmix64 once seeded. */
static _Thread_local bool draws_are_seeded;
static _Thread_local uint64_t draws_state;

void sfn__draws_seed(bool is_seeded, uint64_t seed) {
    draws_are_seeded = is_seeded;
    draws_state = seed;
}

static void draw_bytes(void *buf, size_t len) {
    unsigned char *p = buf;
    if (!draws_are_seeded) {
        sw_random_bytes(buf, len);
        return;
    }
    while (len > 0) {
        uint64_t z = (draws_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (int i = 0; i < 8 && len > 0; i++, len--)
            *p++ = (unsigned char)(z >> (8 * i));
    }
}

#define IFAIL "States.IntrinsicFailure"
#define BASE64_MAX_CHARS 10000
#define HASH_MAX_CHARS 10000
#define ARRAY_RANGE_MAX 1000

typedef int (*ifn_t)(arena_t *a, const sfn__icall_t *c, json_t **argv,
                     json_t **out, sw_error_t *err);

typedef struct ifn_def {
    const char *name;
    int min_args, max_args;  /* max -1: unbounded */
    ifn_t fn;
} ifn_def_t;

/* ---- helpers -------------------------------------------------------------- */

static int fail(sw_error_t *err, const sfn__icall_t *c, const char *detail) {
    return sw_error_set(err, IFAIL, "Invalid arguments in %s: %s", c->name, detail);
}

static bool arg_int(const json_t *v, int64_t *out) {
    return json_is_num(v) && json_num_i64(v, out);
}

/* Java Math.round: floor(x + 0.5), saturating at the long range (NaN: 0)
 * instead of the undefined out-of-range conversion. */
static int64_t java_round(double x) {
    double r = floor(x + 0.5);
    if (r != r)
        return 0;
    if (r >= 9223372036854775808.0)
        return INT64_MAX;
    if (r < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)r;
}

/* Length of the UTF-8 sequence at p (n > 0 bytes available). *is_valid
 * tells whether it is a well-formed character (1..4 bytes); if not, the
 * length is that of its maximal ill-formed subpart (at least 1), which Java's
 * decoder replaces with one U+FFFD. */
static size_t utf8_seq(const unsigned char *p, size_t n, bool *is_valid) {
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    *is_valid = true;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c == 0xE0)
        need = 2, lo = 0xA0;
    else if (c == 0xED)
        need = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF)
        need = 2;
    else if (c == 0xF0)
        need = 3, lo = 0x90;
    else if (c == 0xF4)
        need = 3, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3)
        need = 3;
    else {
        *is_valid = false;
        return 1;
    }
    size_t k = 1;
    for (; k <= need && k < n; k++) {
        unsigned b = p[k];
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
            break;
    }
    *is_valid = k == need + 1;
    return k;
}

/* ---- States.Format ------------------------------------------------------ */

static void java_render(sw_buf_t *b, const json_t *v, bool top) {
    (void)top;
    switch (v->type) {
    case JSON_NULL: buf_puts(b, "null"); break;
    case JSON_TRUE: buf_puts(b, "true"); break;
    case JSON_FALSE: buf_puts(b, "false"); break;
    case JSON_STRING: buf_append(b, v->u.str, v->len); break;
    case JSON_NUMBER: buf_append(b, v->u.str, v->len); break;
    case JSON_ARRAY:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                buf_puts(b, ", ");
            java_render(b, v->u.items[i], false);
        }
        buf_putc(b, ']');
        break;
    case JSON_OBJECT:
        buf_putc(b, '{');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                buf_puts(b, ", ");
            buf_append(b, v->u.members[i].key, v->u.members[i].key_len);
            buf_putc(b, '=');
            java_render(b, v->u.members[i].val, false);
        }
        buf_putc(b, '}');
        break;
    }
}

/* Counts "{}" in a format string; `escaped` when backslash escapes apply. */
static size_t count_placeholders(const char *s, size_t n, bool escaped) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (escaped && s[i] == '\\') {
            i++;
            continue;
        }
        if (s[i] == '{' && i + 1 < n && s[i + 1] == '}') {
            k++;
            i++;
        }
    }
    return k;
}

static int fn_format(arena_t *a, const sfn__icall_t *c, json_t **argv, json_t **out,
                     sw_error_t *err) {
    const sfn__iarg_t *f = &c->args[0];
    const char *s;
    size_t n;
    bool escaped = f->kind == SFN__IARG_LITERAL;
    if (!json_is_str(argv[0]))
        return fail(err, c, "the format string must be a string");
    if (escaped) {
        s = f->raw;
        n = f->raw_len;
    } else {
        s = argv[0]->u.str;
        n = argv[0]->len;
    }
    size_t want = count_placeholders(s, n, escaped);
    if (want != c->n_args - 1)
        return sw_error_set(err, IFAIL,
                            "Invalid arguments in %s: the format string has %zu "
                            "placeholders but %zu arguments were given",
                            c->name, want, c->n_args - 1);
    sw_buf_t b;
    size_t k = 1;
    buf_init(&b, a, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        if (escaped && s[i] == '\\' && i + 1 < n) {
            buf_putc(&b, s[++i]);
        } else if (s[i] == '{' && i + 1 < n && s[i + 1] == '}') {
            java_render(&b, argv[k++], true);
            i++;
        } else {
            buf_putc(&b, s[i]);
        }
    }
    if (b.overflow)
        return fail(err, c, "the result is too long");
    *out = json_new_str(a, b.ptr, b.len);
    return 0;
}

/* ---- JSON --------------------------------------------------------------- */

/* Integers as Jackson reads them ("-0" is 0); fractions keep their text,
 * as everywhere else in Step Functions data (1.10 round-trips). */
static json_t *normalize_numbers(arena_t *a, json_t *v) {
    if (json_is_num(v)) {
        bool frac = memchr(v->u.str, '.', v->len) || memchr(v->u.str, 'e', v->len) ||
                    memchr(v->u.str, 'E', v->len);
        int64_t i;
        if (!frac && json_num_i64(v, &i))
            return json_new_num_i64(a, i);
        return v;
    }
    if (json_is_arr(v))
        for (size_t k = 0; k < v->len; k++)
            v->u.items[k] = normalize_numbers(a, v->u.items[k]);
    if (json_is_obj(v))
        for (size_t k = 0; k < v->len; k++)
            v->u.members[k].val = normalize_numbers(a, v->u.members[k].val);
    return v;
}

static int fn_string_to_json(arena_t *a, const sfn__icall_t *c, json_t **argv,
                             json_t **out, sw_error_t *err) {
    sw_error_t perr;
    if (!json_is_str(argv[0]))
        return fail(err, c, "the argument must be a string");
    const char *s = argv[0]->u.str;
    size_t n = argv[0]->len;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0) {
        *out = json_new_null(a);
        return 0;
    }
    json_t *v = json_parse(a, s, n, &perr);
    if (!v)
        return sw_error_set(err, IFAIL, "Invalid arguments in %s: the string is not valid JSON: %s",
                            c->name, perr.msg);
    *out = normalize_numbers(a, v);
    return 0;
}

static int fn_json_to_string(arena_t *a, const sfn__icall_t *c, json_t **argv,
                             json_t **out, sw_error_t *err) {
    (void)c;
    (void)err;
    *out = json_new_strz(a, json_to_str(a, argv[0]));
    return 0;
}

static int fn_json_merge(arena_t *a, const sfn__icall_t *c, json_t **argv,
                         json_t **out, sw_error_t *err) {
    if (!json_is_obj(argv[0]) || !json_is_obj(argv[1]))
        return fail(err, c, "the first two arguments must be JSON objects");
    if (!json_is_bool(argv[2]))
        return fail(err, c, "the third argument must be a boolean");
    if (argv[2]->type == JSON_TRUE)
        return fail(err, c, "only shallow merging is supported: the third argument "
                            "must be false");
    json_t *o = json_new_obj(a);
    for (size_t i = 0; i < argv[0]->len; i++)
        json_obj_setn(a, o, argv[0]->u.members[i].key, argv[0]->u.members[i].key_len,
                      argv[0]->u.members[i].val);
    for (size_t i = 0; i < argv[1]->len; i++)
        json_obj_setn(a, o, argv[1]->u.members[i].key, argv[1]->u.members[i].key_len,
                      argv[1]->u.members[i].val);
    *out = o;
    return 0;
}

/* ---- arrays --------------------------------------------------------------- */

static int fn_array(arena_t *a, const sfn__icall_t *c, json_t **argv, json_t **out,
                    sw_error_t *err) {
    (void)err;
    json_t *arr = json_new_arr(a);
    for (size_t i = 0; i < c->n_args; i++)
        json_arr_push(a, arr, argv[i]);
    *out = arr;
    return 0;
}

static int fn_array_partition(arena_t *a, const sfn__icall_t *c, json_t **argv,
                              json_t **out, sw_error_t *err) {
    int64_t size;
    if (!json_is_arr(argv[0]))
        return fail(err, c, "the first argument must be an array");
    if (!arg_int(argv[1], &size) || size <= 0)
        return fail(err, c, "the chunk size must be a positive integer");
    json_t *res = json_new_arr(a), *chunk = NULL;
    for (size_t i = 0; i < argv[0]->len; i++) {
        if (i % (uint64_t)size == 0) {
            chunk = json_new_arr(a);
            json_arr_push(a, res, chunk);
        }
        json_arr_push(a, chunk, argv[0]->u.items[i]);
    }
    *out = res;
    return 0;
}

static int fn_array_contains(arena_t *a, const sfn__icall_t *c, json_t **argv,
                             json_t **out, sw_error_t *err) {
    bool found = false;
    if (!json_is_arr(argv[0]))
        return fail(err, c, "the first argument must be an array");
    for (size_t i = 0; i < argv[0]->len && !found; i++)
        found = json_equal(argv[0]->u.items[i], argv[1]);
    *out = json_new_bool(a, found);
    return 0;
}

static int fn_array_range(arena_t *a, const sfn__icall_t *c, json_t **argv,
                          json_t **out, sw_error_t *err) {
    int64_t start, end, step, count = 0;
    if (!arg_int(argv[0], &start) || !arg_int(argv[1], &end) || !arg_int(argv[2], &step))
        return fail(err, c, "all arguments must be integers");
    if (step == 0)
        return fail(err, c, "the step must not be zero");
    if ((step > 0 && start <= end) || (step < 0 && start >= end)) {
        /* |end - start| / |step| + 1 in unsigned arithmetic: the difference
         * of two int64 values can exceed INT64_MAX. */
        uint64_t span = step > 0 ? (uint64_t)end - (uint64_t)start
                                 : (uint64_t)start - (uint64_t)end;
        uint64_t ustep = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
        if (span / ustep >= ARRAY_RANGE_MAX)
            return fail(err, c, "the range cannot contain more than 1000 elements");
        count = (int64_t)(span / ustep) + 1;
    }
    if (count > ARRAY_RANGE_MAX)
        return fail(err, c, "the range cannot contain more than 1000 elements");
    json_t *res = json_new_arr(a);
    /* Every element lies between start and end, so the wrapped unsigned sum
     * is the exact value even when i * step alone would overflow. */
    for (int64_t i = 0; i < count; i++)
        json_arr_push(a, res, json_new_num_i64(a, (int64_t)((uint64_t)start +
                                                             (uint64_t)i * (uint64_t)step)));
    *out = res;
    return 0;
}

static int fn_array_get_item(arena_t *a, const sfn__icall_t *c, json_t **argv,
                             json_t **out, sw_error_t *err) {
    int64_t idx;
    (void)a;
    if (!json_is_arr(argv[0]))
        return fail(err, c, "the first argument must be an array");
    if (!arg_int(argv[1], &idx) || idx < 0)
        return fail(err, c, "the index must be a non-negative integer");
    if ((uint64_t)idx >= argv[0]->len)
        return sw_error_set(err, IFAIL,
                            "Invalid arguments in %s: index %lld is out of bounds for "
                            "an array of length %zu",
                            c->name, (long long)idx, argv[0]->len);
    *out = argv[0]->u.items[idx];
    return 0;
}

static int fn_array_length(arena_t *a, const sfn__icall_t *c, json_t **argv,
                           json_t **out, sw_error_t *err) {
    if (!json_is_arr(argv[0]))
        return fail(err, c, "the argument must be an array");
    *out = json_new_num_i64(a, (int64_t)argv[0]->len);
    return 0;
}

static int fn_array_unique(arena_t *a, const sfn__icall_t *c, json_t **argv,
                           json_t **out, sw_error_t *err) {
    if (!json_is_arr(argv[0]))
        return fail(err, c, "the argument must be an array");
    json_t *res = json_new_arr(a);
    for (size_t i = 0; i < argv[0]->len; i++) {
        bool dup = false;
        for (size_t j = 0; j < res->len && !dup; j++)
            dup = json_equal(res->u.items[j], argv[0]->u.items[i]);
        if (!dup)
            json_arr_push(a, res, argv[0]->u.items[i]);
    }
    *out = res;
    return 0;
}

/* ---- encoding and hashing ----------------------------------------------- */

static int fn_base64_encode(arena_t *a, const sfn__icall_t *c, json_t **argv,
                            json_t **out, sw_error_t *err) {
    if (!json_is_str(argv[0]))
        return fail(err, c, "the argument must be a string");
    size_t n = argv[0]->len;
    if (n > BASE64_MAX_CHARS)
        return fail(err, c, "the input cannot exceed 10000 characters");
    unsigned char *buf = arena_alloc(a, 4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock(buf, (const unsigned char *)argv[0]->u.str, (int)n);
    *out = json_new_str(a, (const char *)buf, (size_t)len);
    return 0;
}

static int fn_base64_decode(arena_t *a, const sfn__icall_t *c, json_t **argv,
                            json_t **out, sw_error_t *err) {
    if (!json_is_str(argv[0]))
        return fail(err, c, "the argument must be a string");
    const char *s = argv[0]->u.str;
    size_t n = argv[0]->len, pad = 0;
    if (n > BASE64_MAX_CHARS)
        return fail(err, c, "the input cannot exceed 10000 characters");
    if (n % 4 != 0)
        return fail(err, c, "the input is not valid base64");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '=' && i >= n - 2) {
            pad++;
            continue;
        }
        if (pad || !(isalnum(ch) || ch == '+' || ch == '/'))
            return fail(err, c, "the input is not valid base64");
    }
    unsigned char *buf = arena_alloc(a, n / 4 * 3 + 1);
    int len = n ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n) : 0;
    if (len < 0)
        return fail(err, c, "the input is not valid base64");
    /* The bytes become a string as Java's new String(bytes, UTF_8) does:
     * each ill-formed sequence is replaced by U+FFFD, so the result is
     * always valid UTF-8 (and so valid JSON). */
    size_t blen = (size_t)len - pad, k = 0;
    char *text = arena_alloc(a, blen * 3 + 1);
    for (size_t i = 0, sl; i < blen; i += sl) {
        bool is_valid;
        sl = utf8_seq(buf + i, blen - i, &is_valid);
        if (is_valid) {
            memcpy(text + k, buf + i, sl);
            k += sl;
        } else {
            memcpy(text + k, "\xEF\xBF\xBD", 3);
            k += 3;
        }
    }
    *out = json_new_str(a, text, k);
    return 0;
}

static int fn_hash(arena_t *a, const sfn__icall_t *c, json_t **argv, json_t **out,
                   sw_error_t *err) {
    static const struct { const char *name; const EVP_MD *(*md)(void); } algos[] = {
        {"MD5", EVP_md5}, {"SHA-1", EVP_sha1}, {"SHA-256", EVP_sha256},
        {"SHA-384", EVP_sha384}, {"SHA-512", EVP_sha512},
    };
    const EVP_MD *md = NULL;
    if (!json_is_str(argv[1]))
        return fail(err, c, "the algorithm must be a string");
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++)
        if (strcmp(argv[1]->u.str, algos[i].name) == 0)
            md = algos[i].md();
    if (!md)
        return sw_error_set(err, IFAIL, "Invalid arguments in %s: the hash algorithm '%s' is not "
                            "one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
                            c->name, argv[1]->u.str);
    const char *data;
    size_t n;
    if (json_is_str(argv[0])) {
        data = argv[0]->u.str;
        n = argv[0]->len;
    } else {
        data = json_to_str(a, argv[0]);
        n = strlen(data);
    }
    if (n > HASH_MAX_CHARS)
        return fail(err, c, "the input cannot exceed 10000 characters");
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!EVP_Digest(data, n, dig, &dlen, md, NULL))
        return fail(err, c, "hashing failed");
    char *hex = arena_alloc(a, 2 * dlen + 1);
    for (unsigned int i = 0; i < dlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
    *out = json_new_str(a, hex, 2 * dlen);
    return 0;
}

/* ---- math ----------------------------------------------------------------- */

/* java.util.Random, so a seeded MathRandom is repeatable. */
static uint64_t jrand_next(uint64_t *seed, int bits) {
    *seed = (*seed * 0x5DEECE66DULL + 0xBULL) & ((1ULL << 48) - 1);
    return *seed >> (48 - bits);
}

static int32_t jrand_next_int(uint64_t *seed, int32_t bound) {
    int32_t r = (int32_t)jrand_next(seed, 31);
    int32_t m = bound - 1;
    if ((bound & m) == 0)
        return (int32_t)(((int64_t)bound * (int64_t)r) >> 31);
    for (int32_t u = r; (int32_t)((uint32_t)u - (uint32_t)(r = u % bound) + (uint32_t)m) < 0;
         u = (int32_t)jrand_next(seed, 31))
        ;
    return r;
}

static int fn_math_random(arena_t *a, const sfn__icall_t *c, json_t **argv,
                          json_t **out, sw_error_t *err) {
    int64_t lo, hi, seed;
    uint64_t span, draw;
    if (!arg_int(argv[0], &lo) || !arg_int(argv[1], &hi))
        return fail(err, c, "the start and end values must be integers");
    /* AWS evaluates MathRandom on Java ints: bounds outside the int range
     * fail (and keep hi - lo below from overflowing). */
    if (lo < INT32_MIN || lo > INT32_MAX || hi < INT32_MIN || hi > INT32_MAX)
        return fail(err, c, "the values must be between -2147483648 and 2147483647");
    if (lo >= hi)
        return fail(err, c, "the start value must be less than the end value");
    span = (uint64_t)(hi - lo); /* 1 .. 2^32 - 1 */
    if (c->n_args == 3) {
        if (!arg_int(argv[2], &seed))
            return fail(err, c, "the seed must be an integer");
        uint64_t s = ((uint64_t)seed ^ 0x5DEECE66DULL) & ((1ULL << 48) - 1);
        if (span <= INT32_MAX) {
            draw = (uint64_t)jrand_next_int(&s, (int32_t)span);
        } else {
            /* Wider than an int bound: one 64-bit draw (Random.nextLong's
             * two 32-bit halves), reduced to the span. */
            uint64_t hi32 = jrand_next(&s, 32);
            draw = ((hi32 << 32) + jrand_next(&s, 32)) % span;
        }
    } else {
        uint64_t v;
        draw_bytes(&v, sizeof v);
        draw = v % span;
    }
    *out = json_new_num_i64(a, lo + (int64_t)draw);
    return 0;
}

static int fn_math_add(arena_t *a, const sfn__icall_t *c, json_t **argv, json_t **out,
                       sw_error_t *err) {
    if (!json_is_num(argv[0]) || !json_is_num(argv[1]))
        return fail(err, c, "both arguments must be numbers");
    int64_t x, y;
    if (!json_num_i64(argv[0], &x))
        x = java_round(json_num_double(argv[0]));
    if (!json_num_i64(argv[1], &y))
        y = java_round(json_num_double(argv[1]));
    if (x < INT32_MIN || x > INT32_MAX || y < INT32_MIN || y > INT32_MAX)
        return fail(err, c, "the values must be between -2147483648 and 2147483647");
    *out = json_new_num_i64(a, x + y);
    return 0;
}

/* ---- strings ------------------------------------------------------------ */

static int fn_string_split(arena_t *a, const sfn__icall_t *c, json_t **argv,
                           json_t **out, sw_error_t *err) {
    if (!json_is_str(argv[0]) || !json_is_str(argv[1]))
        return fail(err, c, "both arguments must be strings");
    const char *s = argv[0]->u.str, *d = argv[1]->u.str;
    size_t n = argv[0]->len, dn = argv[1]->len, start = 0;
    json_t *res = json_new_arr(a);
    /* The delimiter is a set of characters, not bytes: splitting at a byte
     * of a multi-byte character would produce invalid UTF-8. */
    for (size_t i = 0, cl = 1; i <= n; i += cl) {
        bool is_valid, is_delim = i == n;
        cl = i < n ? utf8_seq((const unsigned char *)s + i, n - i, &is_valid) : 1;
        for (size_t j = 0, dl; !is_delim && j < dn; j += dl) {
            dl = utf8_seq((const unsigned char *)d + j, dn - j, &is_valid);
            is_delim = dl == cl && memcmp(d + j, s + i, cl) == 0;
        }
        if (is_delim) {
            if (i > start)
                json_arr_push(a, res, json_new_str(a, s + start, i - start));
            start = i + cl;
        }
    }
    *out = res;
    return 0;
}

static int fn_uuid(arena_t *a, const sfn__icall_t *c, json_t **argv, json_t **out,
                   sw_error_t *err) {
    char s[SW_UUID_LEN + 1];
    unsigned char b[16];
    (void)argv;
    (void)c;
    (void)err;
    draw_bytes(b, sizeof b);
    sw_uuid_v4_from(b, s);
    *out = json_new_str(a, s, SW_UUID_LEN);
    return 0;
}

static const ifn_def_t FNS[] = {
    {"States.Format", 1, -1, fn_format},
    {"States.StringToJson", 1, 1, fn_string_to_json},
    {"States.JsonToString", 1, 1, fn_json_to_string},
    {"States.Array", 0, -1, fn_array},
    {"States.ArrayPartition", 2, 2, fn_array_partition},
    {"States.ArrayContains", 2, 2, fn_array_contains},
    {"States.ArrayRange", 3, 3, fn_array_range},
    {"States.ArrayGetItem", 2, 2, fn_array_get_item},
    {"States.ArrayLength", 1, 1, fn_array_length},
    {"States.ArrayUnique", 1, 1, fn_array_unique},
    {"States.Base64Encode", 1, 1, fn_base64_encode},
    {"States.Base64Decode", 1, 1, fn_base64_decode},
    {"States.Hash", 2, 2, fn_hash},
    {"States.JsonMerge", 3, 3, fn_json_merge},
    {"States.MathRandom", 2, 3, fn_math_random},
    {"States.MathAdd", 2, 2, fn_math_add},
    {"States.StringSplit", 2, 2, fn_string_split},
    {"States.UUID", 0, 0, fn_uuid},
};
#define N_FNS (sizeof FNS / sizeof FNS[0])

/* ---- parser ----------------------------------------------------------------- */

typedef struct iparse {
    arena_t *a;
    const char *s;
    size_t len;
    size_t pos;
    sw_error_t *err;
} iparse_t;

static int ierr(iparse_t *p, const char *why) {
    return sw_error_set(p->err, "SCHEMA_VALIDATION_FAILED",
                        "The value '%.*s' is not a valid intrinsic function call: %s",
                        (int)(p->len > 512 ? 512 : p->len), p->s, why);
}

static void iskip(iparse_t *p) {
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static int parse_call(iparse_t *p, int depth, sfn__icall_t **out);

static int parse_arg(iparse_t *p, int depth, sfn__iarg_t *arg) {
    const char *s = p->s;
    iskip(p);
    if (p->pos >= p->len)
        return ierr(p, "unexpected end");
    char c = s[p->pos];
    if (c == '\'') {
        size_t start = ++p->pos;
        char *buf = arena_alloc(p->a, p->len - start + 1);
        size_t n = 0;
        while (p->pos < p->len && s[p->pos] != '\'') {
            if (s[p->pos] == '\\') {
                if (++p->pos >= p->len)
                    break;
            }
            buf[n++] = s[p->pos++];
        }
        if (p->pos >= p->len)
            return ierr(p, "unterminated string literal");
        arg->kind = SFN__IARG_LITERAL;
        arg->raw = arena_strndup(p->a, s + start, p->pos - start);
        arg->raw_len = p->pos - start;
        arg->literal = json_new_str(p->a, buf, n);
        p->pos++;
        return 0;
    }
    if (c == '$') {
        arg->kind = SFN__IARG_PATH;
        return sfn__path_parse(p->a, s, p->len, &p->pos, true, &arg->path, p->err);
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        size_t start = p->pos;
        sw_error_t tmp;
        p->pos++;
        while (p->pos < p->len && (isdigit((unsigned char)s[p->pos]) ||
                                   strchr(".eE+-", s[p->pos])))
            p->pos++;
        json_t *v = json_parse(p->a, s + start, p->pos - start, &tmp);
        if (!v || !json_is_num(v))
            return ierr(p, "invalid number");
        arg->kind = SFN__IARG_LITERAL;
        arg->literal = v;
        return 0;
    }
    if (p->len - p->pos >= 7 && memcmp(s + p->pos, "States.", 7) == 0) {
        arg->kind = SFN__IARG_CALL;
        return parse_call(p, depth + 1, &arg->call);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (p->len - p->pos >= n && memcmp(s + p->pos, words[i], n) == 0 &&
            (p->pos + n == p->len || !isalnum((unsigned char)s[p->pos + n]))) {
            p->pos += n;
            arg->kind = SFN__IARG_LITERAL;
            arg->literal = i == 2 ? json_new_null(p->a) : json_new_bool(p->a, i == 0);
            return 0;
        }
    }
    return ierr(p, "unsupported argument");
}

static int parse_call(iparse_t *p, int depth, sfn__icall_t **out) {
    size_t n = 0, cap = 4, start = p->pos;
    sfn__iarg_t *args = arena_alloc(p->a, cap * sizeof *args);
    const ifn_def_t *def = NULL;
    if (depth > SFN__INTRINSIC_MAX_NEST)
        return ierr(p, "more than 10 nested intrinsic functions");
    while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.'))
        p->pos++;
    for (size_t i = 0; i < N_FNS; i++)
        if (strlen(FNS[i].name) == p->pos - start &&
            memcmp(FNS[i].name, p->s + start, p->pos - start) == 0)
            def = &FNS[i];
    if (!def)
        return sw_error_set(p->err, "SCHEMA_VALIDATION_FAILED",
                            "The intrinsic function '%.*s' is not supported",
                            (int)(p->pos - start), p->s + start);
    iskip(p);
    if (p->pos >= p->len || p->s[p->pos] != '(')
        return ierr(p, "expected '('");
    p->pos++;
    iskip(p);
    if (p->pos < p->len && p->s[p->pos] == ')') {
        p->pos++;
    } else {
        for (;;) {
            if (n == SFN__INTRINSIC_MAX_ARGS)
                return ierr(p, "too many arguments");
            if (n == cap) {
                sfn__iarg_t *grown = arena_alloc(p->a, 2 * cap * sizeof *args);
                memcpy(grown, args, n * sizeof *args);
                args = grown;
                cap *= 2;
            }
            memset(&args[n], 0, sizeof args[n]);
            if (parse_arg(p, depth, &args[n]) != 0)
                return -1;
            n++;
            iskip(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == ')') {
                p->pos++;
                break;
            }
            return ierr(p, "expected ',' or ')'");
        }
    }
    if ((int)n < def->min_args || (def->max_args >= 0 && (int)n > def->max_args)) {
        if (def->min_args == def->max_args)
            return sw_error_set(p->err, "SCHEMA_VALIDATION_FAILED",
                                "The intrinsic function %s takes exactly %d argument%s, "
                                "%zu given", def->name, def->min_args,
                                def->min_args == 1 ? "" : "s", n);
        return sw_error_set(p->err, "SCHEMA_VALIDATION_FAILED",
                            "The intrinsic function %s takes %d to %d arguments, %zu given",
                            def->name, def->min_args, def->max_args, n);
    }
    sfn__icall_t *c = arena_zalloc(p->a, sizeof *c);
    c->fn = (int)(def - FNS);
    c->name = def->name;
    c->n_args = n;
    c->args = args;
    /* Checks that need only literals. */
    if (def->fn == fn_format && args[0].kind == SFN__IARG_LITERAL) {
        if (!json_is_str(args[0].literal))
            return ierr(p, "the format must be a string");
        if (count_placeholders(args[0].raw, args[0].raw_len, true) != n - 1)
            return ierr(p, "the number of arguments does not match the placeholders");
    }
    if (def->fn == fn_json_to_string && args[0].kind != SFN__IARG_PATH)
        return ierr(p, "States.JsonToString takes a path");
    *out = c;
    return 0;
}

bool sfn__is_intrinsic(const char *text, size_t len) {
    return len > 7 && memcmp(text, "States.", 7) == 0;
}

int sfn__intrinsic_compile(arena_t *a, const char *text, size_t len,
                           sfn__icall_t **out, sw_error_t *err) {
    iparse_t p = {a, text, len, 0, err};
    if (len > SFN__PATH_MAX_LEN * 4)
        return ierr(&p, "too long");
    if (parse_call(&p, 1, out) != 0)
        return -1;
    iskip(&p);
    if (p.pos != len)
        return ierr(&p, "unexpected text after the call");
    return 0;
}

int sfn__intrinsic_eval(arena_t *a, const sfn__icall_t *c, const json_t *input,
                        const json_t *context, const char *field, json_t **out,
                        sw_error_t *err) {
    json_t **argv = arena_alloc(a, (c->n_args ? c->n_args : 1) * sizeof *argv);
    for (size_t i = 0; i < c->n_args; i++) {
        const sfn__iarg_t *arg = &c->args[i];
        switch (arg->kind) {
        case SFN__IARG_LITERAL:
            argv[i] = arg->literal;
            break;
        case SFN__IARG_PATH:
            if (!sfn_path_eval(a, arg->path, input, context, &argv[i]))
                return sfn__path_missing(err, a, arg->path, field, input, context);
            break;
        case SFN__IARG_CALL:
            if (sfn__intrinsic_eval(a, arg->call, input, context, field, &argv[i], err) != 0)
                return -1;
            break;
        }
    }
    return FNS[c->fn].fn(a, c, argv, out, err);
}
