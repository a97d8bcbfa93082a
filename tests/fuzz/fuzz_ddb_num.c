/* fuzz_ddb_num.c - libFuzzer target for DynamoDB numbers (ddb/num.h).
 *
 * The input is one number text, or two separated by the first ',' (a comma
 * is never part of a number). Whatever the bytes, parsing never crashes;
 * an accepted number formats to text that parses back to an equal number;
 * the key encoding decodes back to the number and memcmp-sorts exactly as
 * ddb_num_cmp; for a pair, cmp is antisymmetric and x + y - y == x whenever
 * x + y succeeds (arithmetic is exact). The raw input is also fed to
 * ddb_num_decode_key, which must reject or accept it without reading past
 * its end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/num.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int c) { return (c > 0) - (c < 0); }

/* Checks one parsed number on its own; returns its key encoding in key. */
static size_t check_one(const ddb_num_t *n, uint8_t *key) {
    sw_error_t err;
    char text[DDB_NUM_TEXT_MAX];
    size_t len = ddb_num_format(n, text);
    if (len >= DDB_NUM_TEXT_MAX || strlen(text) != len)
        abort();
    ddb_num_t again;
    if (ddb_num_parse(text, len, &again, &err) < 0)
        abort();
    if (ddb_num_cmp(n, &again) != 0)
        abort();
    char text2[DDB_NUM_TEXT_MAX];
    if (ddb_num_format(&again, text2) != len || memcmp(text, text2, len) != 0)
        abort();

    size_t klen = ddb_num_encode_key(n, key);
    if (klen == 0 || klen > DDB_NUM_KEY_MAX)
        abort();
    ddb_num_t dec;
    if (ddb_num_decode_key(key, klen, &dec) != klen || ddb_num_cmp(n, &dec) != 0)
        abort();
    return klen;
}

static int key_cmp(const uint8_t *x, size_t xl, const uint8_t *y, size_t yl) {
    int c = memcmp(x, y, xl < yl ? xl : yl);
    if (c == 0)
        c = (xl > yl) - (xl < yl);
    return sign(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    sw_error_t err;

    ddb_num_t dk;
    size_t used = ddb_num_decode_key(data, size, &dk);
    if (used > size)
        abort();
    if (used) {
        uint8_t key[DDB_NUM_KEY_MAX];
        check_one(&dk, key);
    }

    ddb_num_t whole;
    if (ddb_num_parse(s, size, &whole, &err) == 0) {
        uint8_t key[DDB_NUM_KEY_MAX];
        check_one(&whole, key);
    }

    const char *comma = memchr(s, ',', size);
    if (!comma)
        return 0;
    size_t xl = (size_t)(comma - s);
    ddb_num_t x, y;
    if (ddb_num_parse(s, xl, &x, &err) < 0 ||
        ddb_num_parse(comma + 1, size - xl - 1, &y, &err) < 0)
        return 0;
    uint8_t kx[DDB_NUM_KEY_MAX], ky[DDB_NUM_KEY_MAX];
    size_t kxl = check_one(&x, kx), kyl = check_one(&y, ky);
    int c = sign(ddb_num_cmp(&x, &y));
    if (c != -sign(ddb_num_cmp(&y, &x)))
        abort();
    if (c != key_cmp(kx, kxl, ky, kyl))
        abort();
    /* Self-delimiting: neither key is a proper prefix of the other. */
    if (kxl != kyl && memcmp(kx, ky, kxl < kyl ? kxl : kyl) == 0)
        abort();

    ddb_num_t sum, sum2, back;
    int rc = ddb_num_add(&x, &y, &sum, &err);
    if (ddb_num_add(&y, &x, &sum2, &err) != rc)
        abort();
    if (rc == 0) {
        if (ddb_num_cmp(&sum, &sum2) != 0)
            abort();
        uint8_t k[DDB_NUM_KEY_MAX];
        check_one(&sum, k);
        if (ddb_num_sub(&sum, &y, &back, &err) < 0 || ddb_num_cmp(&back, &x) != 0)
            abort();
    }
    ddb_num_t diff;
    if (ddb_num_sub(&x, &y, &diff, &err) == 0) {
        uint8_t k[DDB_NUM_KEY_MAX];
        check_one(&diff, k);
        /* x - y has the sign of cmp(x, y). */
        int ds = diff.n_digits == 0 ? 0 : (diff.is_neg ? -1 : 1);
        if (ds != c)
            abort();
    }
    return 0;
}
