/* test_num.c - DynamoDB decimal numbers: parse, normalise, compare, add,
 * order-preserving key encoding. */
#include <stdlib.h>
#include "../test.h"
#include "base/arena.h"
#include "ddb/num.h"

static const char *norm(const char *s) {
    static char out[DDB_NUM_TEXT_MAX];
    ddb_num_t n;
    sw_error_t err;
    if (ddb_num_parse(s, strlen(s), &n, &err) < 0)
        return "ERR";
    ddb_num_format(&n, out);
    return out;
}

static const char *parse_err(const char *s) {
    static sw_error_t err;
    ddb_num_t n;
    if (ddb_num_parse(s, strlen(s), &n, &err) == 0)
        return "OK";
    return err.msg;
}

static ddb_num_t num(const char *s) {
    ddb_num_t n;
    sw_error_t err;
    if (ddb_num_parse(s, strlen(s), &n, &err) < 0)
        abort();
    return n;
}

TEST(ddb_num_normalise) {
    CHECK_EQ_STR(norm("1E3"), "1000");
    CHECK_EQ_STR(norm("1000.0"), "1000");
    CHECK_EQ_STR(norm("0.50"), "0.5");
    CHECK_EQ_STR(norm("-0"), "0");
    CHECK_EQ_STR(norm("-0.0e5"), "0");
    CHECK_EQ_STR(norm("0012.3400"), "12.34");
    CHECK_EQ_STR(norm("1.5E3"), "1500");
    CHECK_EQ_STR(norm("-0.0100"), "-0.01");
    CHECK_EQ_STR(norm("+7"), "7");
    CHECK_EQ_STR(norm(".5"), "0.5");
    CHECK_EQ_STR(norm("5."), "5");
    CHECK_EQ_STR(norm("1.00000000000000007629769841092E+50"),
                 "100000000000000007629769841092000000000000000000000");
    CHECK_EQ_STR(norm("12345e-3"), "12.345");
    CHECK_EQ_STR(norm("1E-5"), "0.00001");
    CHECK_EQ_STR(norm("123456789012345678901234567890123456780000"),
                 "123456789012345678901234567890123456780000");
    CHECK_EQ_STR(norm("9.9999999999999999999999999999999999999E+125"),
                 "999999999999999999999999999999999999990000000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
    CHECK_EQ_STR(norm("-1E-130"),
                 "-0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001");
    CHECK_EQ_STR(norm("3.1415926535897932384626433832795028841"),
                 "3.1415926535897932384626433832795028841");
}

TEST(ddb_num_parse_errors) {
    CHECK_EQ_STR(parse_err("NaN"), "The parameter cannot be converted to a numeric value: NaN");
    CHECK_EQ_STR(parse_err(" 1"), "The parameter cannot be converted to a numeric value:  1");
    CHECK(strcmp(parse_err("1 "), "OK") != 0);
    CHECK_EQ_STR(parse_err(""), "The parameter cannot be converted to a numeric value");
    CHECK(strcmp(parse_err("-"), "OK") != 0);
    CHECK(strcmp(parse_err("."), "OK") != 0);
    CHECK(strcmp(parse_err("1e"), "OK") != 0);
    CHECK(strcmp(parse_err("1e+"), "OK") != 0);
    CHECK(strcmp(parse_err("1..2"), "OK") != 0);
    CHECK(strcmp(parse_err("Infinity"), "OK") != 0);
    CHECK(strcmp(parse_err("0x10"), "OK") != 0);
    CHECK(strcmp(parse_err("--1"), "OK") != 0);
    CHECK_EQ_STR(parse_err("1E126"),
                 "Number overflow. Attempting to store a number with magnitude larger than supported range");
    CHECK_EQ_STR(parse_err("-1E126"),
                 "Number overflow. Attempting to store a number with magnitude larger than supported range");
    CHECK_EQ_STR(parse_err("1E-131"),
                 "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    CHECK_EQ_STR(parse_err("3.14159265358979323846264338327950288419"),
                 "Attempting to store more than 38 significant digits in a Number");
    CHECK_EQ_STR(parse_err("1E99999999999999999999"),
                 "Number overflow. Attempting to store a number with magnitude larger than supported range");
    CHECK_EQ_STR(parse_err("0E99999"), "OK");
    CHECK_EQ_STR(parse_err("1E125"), "OK");
    CHECK_EQ_STR(parse_err("1E-130"), "OK");
    CHECK_EQ_STR(parse_err("0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
                 "Number underflow. Attempting to store a number with magnitude smaller than supported range");
}

static int cmp(const char *x, const char *y) {
    ddb_num_t a = num(x), b = num(y);
    return ddb_num_cmp(&a, &b);
}

TEST(ddb_num_compare) {
    CHECK(cmp("1", "2") < 0);
    CHECK(cmp("1E3", "1000.00") == 0);
    CHECK(cmp("-1", "0") < 0);
    CHECK(cmp("-0", "0") == 0);
    CHECK(cmp("-1", "-2") > 0);
    CHECK(cmp("0.1", "0.105") < 0);
    CHECK(cmp("-0.1", "-0.105") > 0);
    CHECK(cmp("10", "9.99") > 0);
    CHECK(cmp("1E-130", "0") > 0);
}

static const char *arith(const char *x, const char *y, bool is_sub) {
    static char out[DDB_NUM_TEXT_MAX];
    static sw_error_t err;
    ddb_num_t a = num(x), b = num(y), r;
    int rc = is_sub ? ddb_num_sub(&a, &b, &r, &err) : ddb_num_add(&a, &b, &r, &err);
    if (rc < 0)
        return err.msg;
    ddb_num_format(&r, out);
    return out;
}

TEST(ddb_num_add_sub) {
    CHECK_EQ_STR(arith("1", "10000000000000000000000", false), "10000000000000000000001");
    CHECK_EQ_STR(arith("0.1", "0.2", false), "0.3");
    CHECK_EQ_STR(arith("5", "-7", false), "-2");
    CHECK_EQ_STR(arith("-5", "-7", false), "-12");
    CHECK_EQ_STR(arith("5", "5", true), "0");
    CHECK_EQ_STR(arith("5", "7", true), "-2");
    CHECK_EQ_STR(arith("-5", "7", true), "-12");
    CHECK_EQ_STR(arith("99.99", "0.01", false), "100");
    CHECK_EQ_STR(arith("1E100", "-1E100", false), "0");
    CHECK_EQ_STR(arith("9E125", "9E125", false),
                 "Number overflow. Attempting to store a number with magnitude larger than supported range");
    CHECK_EQ_STR(arith("1E38", "1", false),
                 "Attempting to store more than 38 significant digits in a Number");
    CHECK_EQ_STR(arith("1E37", "1", false), "10000000000000000000000000000000000001");
    CHECK_EQ_STR(arith("2E-130", "1.9E-130", true),
                 "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    CHECK_EQ_STR(arith("1E125", "1E-130", false),
                 "Attempting to store more than 38 significant digits in a Number");
    CHECK_EQ_STR(arith("9.9999999999999999999999999999999999999E+125", "-9.9999999999999999999999999999999999999E+125", false), "0");
}

TEST(ddb_num_key_order) {
    static const char *const v[] = {
        "-9.9999999999999999999999999999999999999E+125", "-1E100", "-1000", "-999",
        "-12.5", "-12.34", "-12.3", "-12", "-1", "-0.105", "-0.1", "-1E-130", "0",
        "1E-130", "0.1", "0.105", "1", "1.01", "1.1", "12", "12.3", "12.34", "99",
        "100", "1E100", "9.9999999999999999999999999999999999999E+125",
    };
    size_t n = sizeof v / sizeof v[0];
    uint8_t k[2][DDB_NUM_KEY_MAX + 1];
    for (size_t i = 0; i + 1 < n; i++) {
        ddb_num_t a = num(v[i]), b = num(v[i + 1]);
        size_t la = ddb_num_encode_key(&a, k[0]);
        size_t lb = ddb_num_encode_key(&b, k[1]);
        CHECK(la <= DDB_NUM_KEY_MAX && lb <= DDB_NUM_KEY_MAX);
        size_t m = la < lb ? la : lb;
        int c = memcmp(k[0], k[1], m);
        if (c >= 0)
            test_fail(__FILE__, __LINE__, "key order %s !< %s", v[i], v[i + 1]);
        CHECK(c != 0);  /* self-delimiting: never a prefix */
        ddb_num_t d;
        CHECK_EQ_INT(ddb_num_decode_key(k[0], la, &d), la);
        CHECK(ddb_num_cmp(&d, &a) == 0);
    }
    ddb_num_t big = num("-1.2345678901234567890123456789012345678E-100");
    uint8_t buf[DDB_NUM_KEY_MAX];
    CHECK_EQ_INT(ddb_num_encode_key(&big, buf), DDB_NUM_KEY_MAX);
    CHECK_EQ_INT(ddb_num_decode_key(buf, DDB_NUM_KEY_MAX - 1, &big), 0);
}

TEST(ddb_num_arena_helpers) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    size_t len = 0;
    char *s = ddb_num_normalize(&a, "0001.2300e2", 11, &len, &err);
    CHECK_EQ_STR(s, "123");
    CHECK_EQ_INT(len, 3);
    CHECK(ddb_num_normalize(&a, "x", 1, &len, &err) == NULL);
    CHECK_EQ_STR(err.type, "ValidationException");
    arena_release(&a);
}
