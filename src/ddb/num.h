/* num.h - DynamoDB numbers: exact decimals of up to 38 significant digits,
 * magnitude 1E-130 .. 9.9999999999999999999999999999999999999E+125 (and the
 * negatives, and zero). Never goes through double.
 *
 * A number is held normalised: digits without leading or trailing zeros, so
 * "1E3", "1000.0" and "0001000" are the same ddb_num_t and print as "1000".
 * Also gives the order-preserving byte encoding used for sort keys.
 * Pure functions over caller-owned structs; no allocation except the
 * explicitly arena-taking calls. Thread-safe. */
#ifndef SW_DDB_NUM_H
#define SW_DDB_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/error.h"

#define DDB_NUM_MAX_DIGITS 38
/* Longest normalised text: "-0." + 129 zeros + 38 digits, or "-" + 126
 * digits; plus the NUL. */
#define DDB_NUM_TEXT_MAX 176
/* Longest key encoding: tag, exponent, 19 digit pairs, terminator. */
#define DDB_NUM_KEY_MAX 22

/* value = (is_neg ? -1 : 1) * 0.d[0]d[1]...d[n_digits-1] * 10^exp.
 * Zero: n_digits == 0, is_neg false, exp 0. Otherwise d[0] != 0 and
 * d[n_digits-1] != 0; exp in [-129, 126]. */
typedef struct ddb_num {
    bool is_neg;
    uint8_t n_digits;
    int16_t exp;
    uint8_t d[DDB_NUM_MAX_DIGITS];  /* each 0..9 */
} ddb_num_t;

/* Parses the string form of an N value: optional '-' or '+', digits with an
 * optional '.', optional exponent (e|E, sign, digits). No spaces, no
 * "NaN"/"Infinity", at least one digit in the mantissa. Errors
 * (ValidationException, AWS wording):
 *   "The parameter cannot be converted to a numeric value: <text>"
 *   "Attempting to store more than 38 significant digits in a Number"
 *   "Number overflow. Attempting to store a number with magnitude larger than supported range"
 *   "Number underflow. Attempting to store a number with magnitude smaller than supported range" */
int ddb_num_parse(const char *s, size_t len, ddb_num_t *out, sw_error_t *err);

/* Writes the normalised text (plain notation, no exponent: "1000", "0.5",
 * "-0.01", "0") NUL-terminated into `out` (at least DDB_NUM_TEXT_MAX bytes).
 * Returns the length. */
size_t ddb_num_format(const ddb_num_t *n, char *out);
/* Same, as a new string allocated in `a`; *len (may be NULL) gets its length. */
char *ddb_num_to_str(arena_t *a, const ddb_num_t *n, size_t *len);

/* Parse + format in one: the normalised text of `s` allocated in `a`.
 * Returns NULL and fills `err` as ddb_num_parse does. */
char *ddb_num_normalize(arena_t *a, const char *s, size_t len, size_t *out_len,
                        sw_error_t *err);

/* <0, 0, >0 as x is less than, equal to, greater than y. */
int ddb_num_cmp(const ddb_num_t *x, const ddb_num_t *y);

/* *out = x + y / x - y, exactly (out may alias x or y). Errors
 * (ValidationException): the overflow/underflow messages above, and
 * "Number overflow. Attempting to store a number with magnitude larger than supported range"
 * when the exact result does not fit; a result needing more than 38
 * significant digits fails with
 * "Attempting to store more than 38 significant digits in a Number". */
int ddb_num_add(const ddb_num_t *x, const ddb_num_t *y, ddb_num_t *out, sw_error_t *err);
int ddb_num_sub(const ddb_num_t *x, const ddb_num_t *y, ddb_num_t *out, sw_error_t *err);

/* Order-preserving, self-delimiting encoding: memcmp order of two encodings
 * equals numeric order, and no encoding is a proper prefix of another, so
 * bytes may follow it in a composite key. Writes at most DDB_NUM_KEY_MAX
 * bytes to `out`; returns the length. */
size_t ddb_num_encode_key(const ddb_num_t *n, uint8_t *out);
/* Reverses ddb_num_encode_key. Returns the bytes consumed, or 0 when `p`
 * does not start with a valid encoding. */
size_t ddb_num_decode_key(const uint8_t *p, size_t len, ddb_num_t *out);

#endif
