/* test_fuzz_regress.c - behaviour bugs found by the fuzz targets in sfn/
 * (tests/fuzz/fuzz_sfn_path.c, fuzz_asl.c); each input is also in the
 * target's corpus. */
#include <stdlib.h>
#include "../test.h"
#include "sfn/path.h"

static arena_t A;

/* Evaluates one expression against `in`: its JSON, "C:<msg>" when it does
 * not compile, or "<type>: <msg>" when it fails. */
static const char *fx(const char *text, const char *in) {
    sfn_expr_t *e;
    sw_error_t err;
    json_t *out;
    json_t *input = json_parse(&A, in, strlen(in), &err);
    if (!input)
        return "bad test json";
    if (sfn_expr_compile(&A, text, strlen(text), false, &e, &err) != 0)
        return arena_sprintf(&A, "C:%s", err.msg);
    if (sfn_expr_eval(&A, e, input, input, "x.$", &out, &err) != 0)
        return arena_sprintf(&A, "%s: %s", err.type, err.msg);
    return json_to_str(&A, out);
}

/* MathAdd of a number beyond the long range: Java's Math.round saturates,
 * so it is the range error, not an undefined conversion. */
TEST(sfn_fuzz_mathadd_huge) {
    arena_init(&A);
    CHECK_EQ_STR(fx("States.MathAdd($.big, 1)", "{\"big\":1e300}"),
                 "States.IntrinsicFailure: Invalid arguments in States.MathAdd: "
                 "the values must be between -2147483648 and 2147483647");
    CHECK_EQ_STR(fx("States.MathAdd(1, $.big)", "{\"big\":-1e300}"),
                 "States.IntrinsicFailure: Invalid arguments in States.MathAdd: "
                 "the values must be between -2147483648 and 2147483647");
    CHECK_EQ_STR(fx("States.MathAdd($.x, 1)", "{\"x\":2.5}"), "4");
    arena_release(&A);
}

/* ArrayRange whose end - start exceeds INT64_MAX. */
TEST(sfn_fuzz_arrayrange_wide) {
    arena_init(&A);
    CHECK_EQ_STR(fx("States.ArrayRange(-9000000000000000000, 9000000000000000000, "
                    "9000000000000000000)", "{}"),
                 "[-9000000000000000000,0,9000000000000000000]");
    CHECK_EQ_STR(fx("States.ArrayRange(9000000000000000000, -9000000000000000000, "
                    "-6000000000000000000)", "{}"),
                 "[9000000000000000000,3000000000000000000,-3000000000000000000,"
                 "-9000000000000000000]");
    CHECK_EQ_STR(fx("States.ArrayRange(-9000000000000000000, 9000000000000000000, 1)", "{}"),
                 "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: "
                 "the range cannot contain more than 1000 elements");
    CHECK_EQ_STR(fx("States.ArrayRange(1, 9, 2)", "{}"), "[1,3,5,7,9]");
    arena_release(&A);
}

/* StringSplit's delimiter is a set of characters: a multi-byte delimiter
 * sharing a lead byte with other characters must not cut them in two (the
 * output was invalid UTF-8, which no JSON parser reads back). */
TEST(sfn_fuzz_stringsplit_utf8) {
    arena_init(&A);
    CHECK_EQ_STR(fx("States.StringSplit($.s, '\xC3\xA3')", "{\"s\":\"x\xC3\xA3y\xC3\xA2z\"}"),
                 "[\"x\",\"y\xC3\xA2z\"]");
    CHECK_EQ_STR(fx("States.StringSplit($.s, '-\xE4\xB8\xAD')",
                    "{\"s\":\"a\xE4\xB8\xAD" "b-c\xE4\xB8\xAE\"}"),
                 "[\"a\",\"b\",\"c\xE4\xB8\xAE\"]");
    CHECK_EQ_STR(fx("States.StringSplit($.s, ',')", "{\"s\":\",1,,2,\"}"), "[\"1\",\"2\"]");
    arena_release(&A);
}

/* Base64Decode of bytes that are not UTF-8: each ill-formed sequence becomes
 * U+FFFD, as Java's new String(bytes, UTF_8). */
TEST(sfn_fuzz_base64decode_utf8) {
    arena_init(&A);
    CHECK_EQ_STR(fx("States.Base64Decode('/w==')", "{}"), "\"\xEF\xBF\xBD\"");
    CHECK_EQ_STR(fx("States.Base64Decode('wKI=')", "{}"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_EQ_STR(fx("States.Base64Decode('4pw=')", "{}"), "\"\xEF\xBF\xBD\"");
    CHECK_EQ_STR(fx("States.Base64Decode('4pyT')", "{}"), "\"\xE2\x9C\x93\"");
    CHECK_EQ_STR(fx("States.Base64Decode('aGVsbG8=')", "{}"), "\"hello\"");
    arena_release(&A);
}

static const char *rule(const char *rule_json, const char *in) {
    sw_error_t err;
    sfn_rule_t *r;
    const char *next;
    bool m;
    json_t *rj = json_parse(&A, rule_json, strlen(rule_json), &err);
    json_t *input = json_parse(&A, in, strlen(in), &err);
    if (!rj || !input)
        return "bad test json";
    if (sfn_rule_compile(&A, rj, true, &r, &next, &err) != 0)
        return arena_sprintf(&A, "C:%s", err.msg);
    if (sfn_rule_eval(&A, r, input, input, &m, &err) != 0)
        return arena_sprintf(&A, "%s: %s", err.type, err.msg);
    return m ? "T" : "F";
}

/* Timestamps after 2262 (or before 1677) overflowed int64 nanoseconds;
 * Choice compares them exactly, sfn_timestamp_parse saturates. */
TEST(sfn_fuzz_timestamp_far) {
    arena_init(&A);
    CHECK_EQ_STR(rule("{\"Variable\":\"$.t\",\"TimestampLessThan\":\"4032-03-14T01:59:00Z\","
                      "\"Next\":\"N\"}", "{\"t\":\"2300-01-01T00:00:00Z\"}"), "T");
    CHECK_EQ_STR(rule("{\"Variable\":\"$.t\",\"TimestampEquals\":\"9999-12-31T23:59:59Z\","
                      "\"Next\":\"N\"}", "{\"t\":\"9000-01-01T00:00:00Z\"}"), "F");
    CHECK_EQ_STR(rule("{\"Variable\":\"$.t\",\"TimestampGreaterThanPath\":\"$.u\","
                      "\"Next\":\"N\"}", "{\"t\":\"0001-01-01T00:00:00.5Z\","
                      "\"u\":\"0001-01-01T00:00:00.25Z\"}"), "T");
    CHECK_EQ_STR(rule("{\"Variable\":\"$.t\",\"IsTimestamp\":true,\"Next\":\"N\"}",
                      "{\"t\":\"9999-12-31T23:59:59.999999999+01:00\"}"), "T");
    int64_t ns;
    CHECK(sfn_timestamp_parse("4032-03-14T01:59:00Z", 20, &ns) && ns == INT64_MAX);
    CHECK(sfn_timestamp_parse("0000-01-01T00:00:00Z", 20, &ns) && ns == INT64_MIN);
    CHECK(sfn_timestamp_parse("2262-04-11T23:47:16Z", 20, &ns) && ns == 9223372036000000000);
    arena_release(&A);
}
