/* num.c - DynamoDB numbers as exact decimals (see num.h).
 *
 * Representation: sign, up to 38 digits d[0..n) with no leading or trailing
 * zero, and exp such that value = 0.d[0]d[1]... * 10^exp. Arithmetic works
 * on a fixed window of decimal positions wide enough for any two in-range
 * operands, so it is exact; the result is then normalised and range-checked.
 * Never uses floating point. */
#include <string.h>
#include "ddb/num.h"

#define EXP_MIN (-129)  /* 0.1E-129 == 1E-130 */
#define EXP_MAX 126     /* 0.99..9E126 == 9.99..9E125 */

static const char MSG_DIGITS[] =
    "Attempting to store more than 38 significant digits in a Number";
static const char MSG_OVERFLOW[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
static const char MSG_UNDERFLOW[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

static int not_numeric(const char *s, size_t len, sw_error_t *err) {
    /* AWS echoes the text (bounded here), and nothing for an empty string. */
    if (len == 0)
        return sw_error_set(err, "ValidationException",
                            "The parameter cannot be converted to a numeric value");
    int shown = len > 200 ? 200 : (int)len;
    return sw_error_set(err, "ValidationException",
                        "The parameter cannot be converted to a numeric value: %.*s",
                        shown, s);
}

static void set_zero(ddb_num_t *n) {
    n->is_neg = false;
    n->n_digits = 0;
    n->exp = 0;
}

int ddb_num_parse(const char *s, size_t len, ddb_num_t *out, sw_error_t *err) {
    size_t i = 0;
    bool is_neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        is_neg = s[i] == '-';
        i++;
    }
    /* Mantissa: digits, optional point, digits. Count significant digits
     * between the first and the last non-zero digit. */
    long n_int = 0;            /* integer-part digits seen */
    long first_nz = -1;        /* index (in the digit sequence) of first non-zero */
    long last_nz = -1;
    long n_seen = 0;           /* digits seen in total */
    bool seen_point = false;
    uint8_t digits[DDB_NUM_MAX_DIGITS];
    bool too_many = false;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (c != '0') {
                if (first_nz < 0)
                    first_nz = n_seen;
                last_nz = n_seen;
            }
            if (first_nz >= 0) {
                long k = n_seen - first_nz;
                if (k < DDB_NUM_MAX_DIGITS)
                    digits[k] = (uint8_t)(c - '0');
                else if (c != '0')
                    too_many = true;
            }
            n_seen++;
            if (!seen_point)
                n_int++;
        } else if (c == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (n_seen == 0)
        return not_numeric(s, len, err);
    long e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool e_neg = false;
        if (i < len && (s[i] == '-' || s[i] == '+')) {
            e_neg = s[i] == '-';
            i++;
        }
        size_t e_start = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e < 100000000)  /* clamp: far out of range either way */
                e = e * 10 + (s[i] - '0');
        }
        if (i == e_start)
            return not_numeric(s, len, err);
        if (e_neg)
            e = -e;
    }
    if (i != len)
        return not_numeric(s, len, err);
    if (first_nz < 0) {
        set_zero(out);
        return 0;
    }
    if (too_many)
        return sw_error_set(err, "ValidationException", "%s", MSG_DIGITS);
    long n_sig = last_nz - first_nz + 1;
    long exp = n_int - first_nz + e;
    if (exp > EXP_MAX)
        return sw_error_set(err, "ValidationException", "%s", MSG_OVERFLOW);
    if (exp < EXP_MIN)
        return sw_error_set(err, "ValidationException", "%s", MSG_UNDERFLOW);
    out->is_neg = is_neg;
    out->n_digits = (uint8_t)n_sig;
    out->exp = (int16_t)exp;
    memcpy(out->d, digits, (size_t)n_sig);
    return 0;
}

size_t ddb_num_format(const ddb_num_t *n, char *out) {
    size_t k = 0;
    if (n->n_digits == 0) {
        out[0] = '0';
        out[1] = '\0';
        return 1;
    }
    if (n->is_neg)
        out[k++] = '-';
    int exp = n->exp, nd = n->n_digits;
    if (exp <= 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (int z = 0; z < -exp; z++)
            out[k++] = '0';
        for (int j = 0; j < nd; j++)
            out[k++] = (char)('0' + n->d[j]);
    } else if (exp < nd) {
        for (int j = 0; j < exp; j++)
            out[k++] = (char)('0' + n->d[j]);
        out[k++] = '.';
        for (int j = exp; j < nd; j++)
            out[k++] = (char)('0' + n->d[j]);
    } else {
        for (int j = 0; j < nd; j++)
            out[k++] = (char)('0' + n->d[j]);
        for (int z = nd; z < exp; z++)
            out[k++] = '0';
    }
    out[k] = '\0';
    return k;
}

char *ddb_num_to_str(arena_t *a, const ddb_num_t *n, size_t *len) {
    char tmp[DDB_NUM_TEXT_MAX];
    size_t l = ddb_num_format(n, tmp);
    if (len)
        *len = l;
    return arena_strndup(a, tmp, l);
}

char *ddb_num_normalize(arena_t *a, const char *s, size_t len, size_t *out_len,
                        sw_error_t *err) {
    ddb_num_t n;
    if (ddb_num_parse(s, len, &n, err) < 0)
        return NULL;
    return ddb_num_to_str(a, &n, out_len);
}

/* Magnitude comparison. */
static int cmp_abs(const ddb_num_t *x, const ddb_num_t *y) {
    if (x->n_digits == 0 || y->n_digits == 0)
        return (x->n_digits != 0) - (y->n_digits != 0);
    if (x->exp != y->exp)
        return x->exp < y->exp ? -1 : 1;
    int n = x->n_digits < y->n_digits ? x->n_digits : y->n_digits;
    for (int i = 0; i < n; i++)
        if (x->d[i] != y->d[i])
            return x->d[i] < y->d[i] ? -1 : 1;
    return (x->n_digits > y->n_digits) - (x->n_digits < y->n_digits);
}

int ddb_num_cmp(const ddb_num_t *x, const ddb_num_t *y) {
    int sx = x->n_digits == 0 ? 0 : (x->is_neg ? -1 : 1);
    int sy = y->n_digits == 0 ? 0 : (y->is_neg ? -1 : 1);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    if (sx == 0)
        return 0;
    int c = cmp_abs(x, y);
    return sx < 0 ? -c : c;
}

/* Decimal positions: index p holds the digit of 10^(p + POS_MIN). The lowest
 * digit of an in-range number is at 10^(EXP_MIN - 38); the highest at
 * 10^(EXP_MAX - 1); one more for the carry. */
#define POS_MIN (EXP_MIN - DDB_NUM_MAX_DIGITS)
#define POS_N (EXP_MAX - POS_MIN + 2)

static void spread(const ddb_num_t *n, uint8_t *w) {
    memset(w, 0, POS_N);
    for (int j = 0; j < n->n_digits; j++)
        w[n->exp - 1 - j - POS_MIN] = n->d[j];
}

static int gather(const uint8_t *w, bool is_neg, ddb_num_t *out, sw_error_t *err) {
    int hi = POS_N - 1, lo = 0;
    while (hi >= 0 && w[hi] == 0)
        hi--;
    if (hi < 0) {
        set_zero(out);
        return 0;
    }
    while (w[lo] == 0)
        lo++;
    int exp = hi + POS_MIN + 1;
    if (exp > EXP_MAX)
        return sw_error_set(err, "ValidationException", "%s", MSG_OVERFLOW);
    if (hi - lo + 1 > DDB_NUM_MAX_DIGITS)
        return sw_error_set(err, "ValidationException", "%s", MSG_DIGITS);
    if (exp < EXP_MIN)
        return sw_error_set(err, "ValidationException", "%s", MSG_UNDERFLOW);
    out->is_neg = is_neg;
    out->exp = (int16_t)exp;
    out->n_digits = (uint8_t)(hi - lo + 1);
    for (int p = hi, j = 0; p >= lo; p--, j++)
        out->d[j] = w[p];
    return 0;
}

static int add_signed(const ddb_num_t *x, const ddb_num_t *y, bool y_neg,
                      ddb_num_t *out, sw_error_t *err) {
    uint8_t wx[POS_N], wy[POS_N];
    bool x_neg = x->is_neg && x->n_digits;
    y_neg = y_neg && y->n_digits;
    spread(x, wx);
    spread(y, wy);
    if (x_neg == y_neg) {
        int carry = 0;
        for (int p = 0; p < POS_N; p++) {
            int s = wx[p] + wy[p] + carry;
            wx[p] = (uint8_t)(s % 10);
            carry = s / 10;
        }
        return gather(wx, x_neg, out, err);
    }
    /* Opposite signs: subtract the smaller magnitude from the larger. */
    int c = cmp_abs(x, y);
    if (c == 0) {
        set_zero(out);
        return 0;
    }
    uint8_t *big = c > 0 ? wx : wy, *small = c > 0 ? wy : wx;
    bool res_neg = c > 0 ? x_neg : y_neg;
    int borrow = 0;
    for (int p = 0; p < POS_N; p++) {
        int s = big[p] - small[p] - borrow;
        borrow = s < 0;
        big[p] = (uint8_t)(s < 0 ? s + 10 : s);
    }
    return gather(big, res_neg, out, err);
}

int ddb_num_add(const ddb_num_t *x, const ddb_num_t *y, ddb_num_t *out, sw_error_t *err) {
    return add_signed(x, y, y->is_neg, out, err);
}

int ddb_num_sub(const ddb_num_t *x, const ddb_num_t *y, ddb_num_t *out, sw_error_t *err) {
    return add_signed(x, y, !y->is_neg, out, err);
}

/* Key encoding. Tag 0x01 negative, 0x02 zero, 0x03 positive. Then the
 * exponent biased to 0..255, then digit pairs as 1..100 (a lone last digit
 * d as d*10+1), then 0x00. Negatives invert every byte after the tag, so
 * their terminator is 0xFF: a shorter magnitude (a larger negative value)
 * sorts after a longer one sharing its prefix. */
size_t ddb_num_encode_key(const ddb_num_t *n, uint8_t *out) {
    size_t k = 0;
    if (n->n_digits == 0) {
        out[k++] = 0x02;
        return k;
    }
    uint8_t inv = n->is_neg ? 0xFF : 0x00;
    out[k++] = n->is_neg ? 0x01 : 0x03;
    out[k++] = (uint8_t)((n->exp - EXP_MIN) ^ inv);
    for (int j = 0; j < n->n_digits; j += 2) {
        int pair = n->d[j] * 10 + (j + 1 < n->n_digits ? n->d[j + 1] : 0);
        out[k++] = (uint8_t)((pair + 1) ^ inv);
    }
    out[k++] = inv;
    return k;
}

size_t ddb_num_decode_key(const uint8_t *p, size_t len, ddb_num_t *out) {
    if (len < 1)
        return 0;
    if (p[0] == 0x02) {
        set_zero(out);
        return 1;
    }
    if (p[0] != 0x01 && p[0] != 0x03)
        return 0;
    uint8_t inv = p[0] == 0x01 ? 0xFF : 0x00;
    if (len < 2)
        return 0;
    int exp = (p[1] ^ inv) + EXP_MIN;
    if (exp > EXP_MAX)
        return 0;
    int nd = 0;
    size_t k = 2;
    for (;; k++) {
        if (k >= len)
            return 0;
        int b = p[k] ^ inv;
        if (b == 0)
            break;
        if (b > 100 || nd + 2 > DDB_NUM_MAX_DIGITS)
            return 0;
        out->d[nd++] = (uint8_t)((b - 1) / 10);
        out->d[nd++] = (uint8_t)((b - 1) % 10);
    }
    while (nd > 0 && out->d[nd - 1] == 0)
        nd--;
    if (nd == 0 || out->d[0] == 0)
        return 0;
    out->is_neg = inv != 0;
    out->exp = (int16_t)exp;
    out->n_digits = (uint8_t)nd;
    return k + 1;
}
