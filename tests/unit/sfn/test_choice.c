/* test_choice.c - Choice rules and timestamps (sfn/choice.c). */
#include "../test.h"
#include "sfn/path.h"

static arena_t A;

static json_t *J(const char *s) {
    sw_error_t err;
    json_t *v = json_parse(&A, s, strlen(s), &err);
    if (!v)
        fprintf(stdout, "bad test json: %s\n", s);
    return v;
}

/* "T", "F", "C:<msg>" (compile error) or "<type>:<msg>" (run-time error). */
static const char *ch(const char *rule, const char *in) {
    sfn_rule_t *r;
    sw_error_t err;
    bool m;
    if (sfn_rule_compile(&A, J(rule), false, &r, NULL, &err) != 0)
        return arena_sprintf(&A, "C:%s", err.msg);
    if (sfn_rule_eval(&A, r, J(in), J("{\"State\":{\"Name\":\"C\"}}"), &m, &err) != 0)
        return arena_sprintf(&A, "%s:%s", err.type, err.msg);
    return m ? "T" : "F";
}

static const char *IN = "{\"s\":\"abc\",\"s_copy\":\"abc\",\"s_big\":\"abd\",\"a\":\"A\",\"n\":5,"
                        "\"n_float\":5.0,\"n_big\":7,\"b\":true,\"b_copy\":true,\"z\":null,"
                        "\"t\":\"2016-03-14T01:59:00Z\",\"t2\":\"2016-03-14T02:59:00+01:00\","
                        "\"t3\":\"2016-03-14T01:59:00.5Z\",\"f\":\"log-2024-01.txt\",\"e\":\"\","
                        "\"star\":\"a*b\",\"arr\":[\"\"],\"big\":12345678901234567890}";

TEST(sfn_choice_comparisons) {
    arena_init(&A);
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringEquals\":\"abc\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringEquals\":\"abd\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringLessThan\":\"abd\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringGreaterThan\":\"abb\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringLessThanEquals\":\"abc\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringGreaterThanEquals\":\"abd\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.a\",\"StringLessThan\":\"AB\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringEqualsPath\":\"$.s_copy\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringLessThanPath\":\"$.s_big\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s_big\",\"StringGreaterThanPath\":\"$.s\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericEquals\":5}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericLessThan\":6}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericGreaterThan\":4.5}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":5.01}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericEqualsPath\":\"$.n_float\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n_big\",\"NumericGreaterThanPath\":\"$.n\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.big\",\"NumericGreaterThan\":12345678901234567889}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.b\",\"BooleanEquals\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.b\",\"BooleanEquals\":false}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.b\",\"BooleanEqualsPath\":\"$.b_copy\"}", IN), "T");
    /* type mismatches are false, not errors */
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"StringEquals\":\"5\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"NumericEquals\":5}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"BooleanEquals\":true}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"TimestampEquals\":\"2016-03-14T01:59:00Z\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"NumericEqualsPath\":\"$.n\"}", IN), "F");
    /* timestamps */
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t\",\"TimestampEquals\":\"2016-03-14T01:59:00Z\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t\",\"TimestampEqualsPath\":\"$.t2\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t\",\"TimestampLessThanPath\":\"$.t3\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t3\",\"TimestampGreaterThan\":\"2016-03-14T01:59:00Z\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t\",\"TimestampLessThanEquals\":\"2016-03-14T01:59:00Z\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t\",\"TimestampGreaterThanEquals\":\"2017-01-01T00:00:00Z\"}", IN), "F");
    arena_release(&A);
}

TEST(sfn_choice_is_ops_and_matches) {
    arena_init(&A);
    CHECK_EQ_STR(ch("{\"Variable\":\"$.z\",\"IsPresent\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.z\",\"IsNull\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.missing\",\"IsPresent\":false}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.missing\",\"IsPresent\":true}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"IsNumeric\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"IsNumeric\":false}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"IsString\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.b\",\"IsBoolean\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"IsNull\":false}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"IsTimestamp\":false}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.t2\",\"IsTimestamp\":true}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.arr\",\"IsString\":false}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.f\",\"StringMatches\":\"log-*.txt\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.f\",\"StringMatches\":\"log-*-01.txt\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.f\",\"StringMatches\":\"*\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.e\",\"StringMatches\":\"*\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.f\",\"StringMatches\":\"*.csv\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.f\",\"StringMatches\":\"log-*.tx\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.star\",\"StringMatches\":\"a\\\\*b\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringMatches\":\"a\\\\*c\"}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.s\",\"StringMatches\":\"a**c\"}", IN), "T");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"StringMatches\":\"*\"}", IN), "F");
    arena_release(&A);
}

TEST(sfn_choice_logic_and_errors) {
    arena_init(&A);
    CHECK_EQ_STR(ch("{\"And\":[{\"Variable\":\"$.s\",\"StringEquals\":\"abc\"},"
                    "{\"Not\":{\"Variable\":\"$.s\",\"StringEquals\":\"xyz\"}},"
                    "{\"Or\":[{\"Variable\":\"$.n\",\"NumericEquals\":1},{\"Variable\":\"$.n\","
                    "\"NumericEquals\":5}]}]}", IN), "T");
    CHECK_EQ_STR(ch("{\"Or\":[{\"Variable\":\"$.n\",\"NumericEquals\":1}]}", IN), "F");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.x\",\"NumericEquals\":1}", IN),
                 "States.Runtime:Invalid path '$.x': The choice state's condition path references "
                 "an invalid value.");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.x\",\"IsNull\":true}", IN),
                 "States.Runtime:Invalid path '$.x': The choice state's condition path references "
                 "an invalid value.");
    CHECK_EQ_STR(ch("{\"Variable\":\"$.n\",\"NumericEqualsPath\":\"$.y\"}", IN),
                 "States.Runtime:Invalid path '$.y': The choice state's condition path references "
                 "an invalid value.");
    CHECK_EQ_STR(ch("{\"Variable\":\"$$.State.Name\",\"StringEquals\":\"C\"}", IN), "T");
    /* compile errors */
    CHECK(strncmp(ch("{\"Variable\":\"$.n\"}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"NumericEquals\":\"5\"}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"StringEquals\":5}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"BooleanEquals\":1}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"IsNull\":\"yes\"}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"TimestampEquals\":\"yesterday\"}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"NumericEqualsPath\":\"x\"}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n[*]\",\"NumericEquals\":1}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"NumericEquals\":1,\"NumericLessThan\":2}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Variable\":\"$.n\",\"NumericEqualz\":1}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"And\":[]}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"And\":[{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":\"X\"}]}", IN), "C:", 2) == 0);
    CHECK(strncmp(ch("{\"Not\":[]}", IN), "C:", 2) == 0);
    /* top level needs Next */
    sfn_rule_t *r;
    sw_error_t err;
    const char *next = NULL;
    CHECK(sfn_rule_compile(&A, J("{\"Variable\":\"$.n\",\"NumericEquals\":1}"), true, &r, &next, &err) == -1);
    CHECK(sfn_rule_compile(&A, J("{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":\"X\"}"), true,
                           &r, &next, &err) == 0);
    CHECK_EQ_STR(next, "X");
    CHECK_EQ_STR(sfn_rule_describe(&A, r), "$.n == 1");
    CHECK(sfn_rule_compile(&A, J("{\"And\":[{\"Variable\":\"$.s\",\"StringEquals\":\"OK\"},"
                                 "{\"Not\":{\"Variable\":\"$.x\",\"IsPresent\":false}}],\"Next\":\"Y\"}"),
                           true, &r, &next, &err) == 0);
    CHECK_EQ_STR(sfn_rule_describe(&A, r), "$.s == \"OK\" && !(!IsPresent($.x))");
    arena_release(&A);
}

TEST(sfn_choice_timestamp_parse) {
    int64_t ns;
    CHECK(sfn_timestamp_parse("1970-01-01T00:00:00Z", 20, &ns) && ns == 0);
    CHECK(sfn_timestamp_parse("1970-01-01T00:00:01.5Z", 22, &ns) && ns == 1500000000);
    CHECK(sfn_timestamp_parse("1970-01-01T01:00:00+01:00", 25, &ns) && ns == 0);
    CHECK(sfn_timestamp_parse("2016-03-14T01:59:00Z", 20, &ns) && ns == 1457920740LL * 1000000000);
    CHECK(sfn_timestamp_parse("2024-02-29T00:00:00Z", 20, &ns));
    CHECK(!sfn_timestamp_parse("2023-02-29T00:00:00Z", 20, &ns));
    CHECK(!sfn_timestamp_parse("2016-03-14t01:59:00Z", 20, &ns));
    CHECK(!sfn_timestamp_parse("2016-03-14T01:59:00z", 20, &ns));
    CHECK(!sfn_timestamp_parse("2016-03-14T01:59:00", 19, &ns));
    CHECK(!sfn_timestamp_parse("2016-13-14T01:59:00Z", 20, &ns));
    CHECK(!sfn_timestamp_parse("2016-03-14T01:59:00Zx", 21, &ns));
}
