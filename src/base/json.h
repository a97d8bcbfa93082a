/* json.h - arena-backed JSON values: strict RFC 8259 parser and writer.
 *
 * Numbers keep their source text exactly (Step Functions data must round-trip
 * 12345678901234567890 and 1.10), strings hold unescaped bytes (may contain
 * NUL: always use len), objects keep member order. Every value and every byte
 * of it lives in the arena given to the call that made it; values are never
 * freed one by one. Knows nothing of DynamoDB or ASL. */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "buf.h"
#include "error.h"

typedef enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type_t;

typedef struct json json_t;

typedef struct json_member {
    const char *key;   /* unescaped, NUL-terminated (may contain NUL: key_len) */
    size_t key_len;
    json_t *val;
} json_member_t;

struct json {
    json_type_t type;
    size_t len;  /* STRING/NUMBER: bytes; ARRAY: items; OBJECT: members */
    size_t cap;  /* ARRAY/OBJECT: allocated slots */
    union {
        const char *str;         /* STRING bytes or NUMBER source text, NUL-terminated */
        json_t **items;          /* ARRAY */
        json_member_t *members;  /* OBJECT */
    } u;
};

/* Hard limits applied by json_parse. */
#define JSON_MAX_DEPTH 256

/* Parses exactly one JSON text (surrounding whitespace allowed). Strict:
 * no comments, no trailing commas, no leading zeros, no NaN, valid UTF-8 and
 * escapes, control characters rejected. A duplicate object key keeps the
 * last value. Returns NULL and fills `err` (type "SerializationException",
 * message naming the offset) on malformed input. Result allocated in `a`. */
json_t *json_parse(arena_t *a, const char *text, size_t len, sw_error_t *err);

/* Constructors; results allocated in `a`. Strings are copied. */
json_t *json_new_null(arena_t *a);
json_t *json_new_bool(arena_t *a, bool v);
json_t *json_new_str(arena_t *a, const char *s, size_t len);
json_t *json_new_strz(arena_t *a, const char *s);
/* `text` must be a valid JSON number; it is copied verbatim. */
json_t *json_new_num_text(arena_t *a, const char *text, size_t len);
json_t *json_new_num_i64(arena_t *a, int64_t v);
/* Shortest text that reads back as the same double; integral values print
 * without a fraction ("3", not "3.0"). Non-finite values become null. */
json_t *json_new_num_double(arena_t *a, double v);
json_t *json_new_arr(arena_t *a);
json_t *json_new_obj(arena_t *a);

/* Type tests. */
static inline bool json_is_obj(const json_t *v) { return v && v->type == JSON_OBJECT; }
static inline bool json_is_arr(const json_t *v) { return v && v->type == JSON_ARRAY; }
static inline bool json_is_str(const json_t *v) { return v && v->type == JSON_STRING; }
static inline bool json_is_num(const json_t *v) { return v && v->type == JSON_NUMBER; }
static inline bool json_is_bool(const json_t *v) {
    return v && (v->type == JSON_TRUE || v->type == JSON_FALSE);
}
static inline bool json_is_null(const json_t *v) { return v && v->type == JSON_NULL; }
/* Name of the type as AWS messages say it: "object", "array", "string",
 * "number", "boolean", "null". */
const char *json_type_name(const json_t *v);

/* Arrays. */
void json_arr_push(arena_t *a, json_t *arr, json_t *v);
static inline json_t *json_arr_at(const json_t *arr, size_t i) {
    return (arr && arr->type == JSON_ARRAY && i < arr->len) ? arr->u.items[i] : NULL;
}

/* Objects. Lookups return NULL when absent ("not found" is not an error).
 * json_obj_set replaces an existing member in place or appends. */
json_t *json_obj_get(const json_t *obj, const char *key);
json_t *json_obj_getn(const json_t *obj, const char *key, size_t key_len);
void json_obj_set(arena_t *a, json_t *obj, const char *key, json_t *v);
void json_obj_setn(arena_t *a, json_t *obj, const char *key, size_t key_len, json_t *v);
/* Removes the member if present; returns whether it was. Keeps order. */
bool json_obj_del(json_t *obj, const char *key, size_t key_len);
/* Convenience: the string value of member `key`, or NULL if absent or not a string. */
const char *json_obj_get_str(const json_t *obj, const char *key);

/* Numbers. */
double json_num_double(const json_t *v);
/* True and *out set when the number is an integer that fits in int64
 * (1, 1.0, 1e2 all qualify). */
bool json_num_i64(const json_t *v, int64_t *out);

/* Deep copy into `a`. */
json_t *json_clone(arena_t *a, const json_t *v);
/* Deep equality; object member order ignored; numbers compare by value
 * (1 == 1.0), exactly for integers and otherwise as doubles. */
bool json_equal(const json_t *x, const json_t *y);

/* Writers. Compact output has no spaces (as AWS sends); pretty output
 * indents by two spaces. Non-ASCII bytes are written as UTF-8, control
 * characters escaped, '/' not escaped. */
void json_print(sw_buf_t *b, const json_t *v);
void json_print_pretty(sw_buf_t *b, const json_t *v);
/* A NUL-terminated compact rendering allocated in `a` (no cap). */
char *json_to_str(arena_t *a, const json_t *v);
/* Writes `s` as a JSON string literal with quotes. */
void json_print_str(sw_buf_t *b, const char *s, size_t len);

#endif
