/* test_intrinsics.c - States.* intrinsic functions, through templates. */
#include <stdlib.h>
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

/* Evaluates one intrinsic expression `call` against `in`. */
static const char *ic(const char *call, const char *in) {
    sfn_expr_t *e;
    sw_error_t err;
    json_t *out;
    if (sfn_expr_compile(&A, call, strlen(call), false, &e, &err) != 0)
        return arena_sprintf(&A, "C:%s", err.msg);
    if (sfn_expr_eval(&A, e, J(in), J("{}"), "x.$", &out, &err) != 0)
        return arena_sprintf(&A, "%s", err.type);
    return json_to_str(&A, out);
}

TEST(sfn_intr_format) {
    arena_init(&A);
    const char *in = "{\"s\":\"HelloWorld\",\"i\":1,\"n\":1.1,\"z\":null,\"o\":{\"Arg1\":1,\"Arg2\":[]},"
                     "\"js\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\",\"b\":true,\"l\":[1,\"a\",{\"k\":\"v\"}]}";
    CHECK_EQ_STR(ic("States.Format('s={} i={} n={} z={}', $.s, $.i, $.n, $.z)", in),
                 "\"s=HelloWorld i=1 n=1.1 z=null\"");
    CHECK_EQ_STR(ic("States.Format('o={}', $.o)", in), "\"o={Arg1=1, Arg2=[]}\"");
    CHECK_EQ_STR(ic("States.Format('{}', $.js)", in), "\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"");
    CHECK_EQ_STR(ic("States.Format('{} {}', $.b, $.l)", in), "\"true [1, a, {k=v}]\"");
    CHECK_EQ_STR(ic("States.Format('it\\'s \\{\\} {}', 'x')", in), "\"it's {} x\"");
    CHECK_EQ_STR(ic("States.Format('back\\\\slash')", in), "\"back\\\\slash\"");
    CHECK_EQ_STR(ic("States.Format('plain')", in), "\"plain\"");
    CHECK(strncmp(ic("States.Format('{} {}', 1)", in), "C:", 2) == 0);
    CHECK(strncmp(ic("States.Format('a' 1)", in), "C:", 2) == 0);
    CHECK(strncmp(ic("States.Format('a'", in), "C:", 2) == 0);
    CHECK(strncmp(ic("States.Format('a') x", in), "C:", 2) == 0);
    arena_release(&A);
}

TEST(sfn_intr_json) {
    arena_init(&A);
    const char *in = "{\"e\":\"\",\"sp\":\" \",\"j\":\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\",\"t\":\"true\","
                     "\"obj\":{\"Arg1\":1,\"Arg2\":[]},\"str\":\"HelloWorld\",\"arr\":[1,2,\"HelloWorld\"],"
                     "\"mz\":\"-0\",\"bad\":\"{x\",\"m1\":{\"a\":{\"a1\":1,\"a2\":2},\"b\":2,\"d\":3},"
                     "\"m2\":{\"a\":{\"a3\":1,\"a4\":2},\"c\":3,\"d\":4}}";
    CHECK_EQ_STR(ic("States.StringToJson($.e)", in), "null");
    CHECK_EQ_STR(ic("States.StringToJson($.sp)", in), "null");
    CHECK_EQ_STR(ic("States.StringToJson($.j)", in), "{\"Arg1\":1,\"Arg2\":[]}");
    CHECK_EQ_STR(ic("States.StringToJson($.t)", in), "true");
    CHECK_EQ_STR(ic("States.StringToJson($.mz)", in), "0");
    CHECK_EQ_STR(ic("States.StringToJson($.bad)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.JsonToString($.obj)", in), "\"{\\\"Arg1\\\":1,\\\"Arg2\\\":[]}\"");
    CHECK_EQ_STR(ic("States.JsonToString($.str)", in), "\"\\\"HelloWorld\\\"\"");
    CHECK_EQ_STR(ic("States.JsonToString($.arr)", in), "\"[1,2,\\\"HelloWorld\\\"]\"");
    CHECK_EQ_STR(ic("States.JsonMerge($.m1, $.m2, false)", in),
                 "{\"a\":{\"a3\":1,\"a4\":2},\"b\":2,\"d\":4,\"c\":3}");
    CHECK_EQ_STR(ic("States.JsonMerge($.m1, $.str, false)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.JsonMerge($.m1, $.m2, true)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.StringToJson(States.JsonToString($.obj))", in), "{\"Arg1\":1,\"Arg2\":[]}");
    arena_release(&A);
}

TEST(sfn_intr_arrays) {
    arena_init(&A);
    const char *in = "{\"id\":123456,\"nul\":null,\"t\":true,\"arr\":[1,2,3,4,5,6,7,8,9],\"empty\":[],"
                     "\"dup\":[1,\"a\",1,{\"k\":1},{\"k\":1.0},\"a\"],\"name\":\"alpha-beta-gamma\"}";
    CHECK_EQ_STR(ic("States.Array('x', $.id, 1.5, $.nul, $.t)", in), "[\"x\",123456,1.5,null,true]");
    CHECK_EQ_STR(ic("States.Array()", in), "[]");
    CHECK_EQ_STR(ic("States.ArrayPartition($.arr, 4)", in), "[[1,2,3,4],[5,6,7,8],[9]]");
    CHECK_EQ_STR(ic("States.ArrayPartition($.empty, 2)", in), "[]");
    CHECK_EQ_STR(ic("States.ArrayPartition($.arr, 0)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayRange(0, 10, 3)", in), "[0,3,6,9]");
    CHECK_EQ_STR(ic("States.ArrayRange(1, 9, 2)", in), "[1,3,5,7,9]");
    CHECK_EQ_STR(ic("States.ArrayRange(1, 9, 9)", in), "[1]");
    CHECK_EQ_STR(ic("States.ArrayRange(5, 1, -2)", in), "[5,3,1]");
    CHECK_EQ_STR(ic("States.ArrayRange(5, 1, 2)", in), "[]");
    CHECK_EQ_STR(ic("States.ArrayRange(0, 999, 1)", in) [0] == '[' ? "ok" : "bad", "ok");
    CHECK_EQ_STR(ic("States.ArrayRange(0, 1000, 1)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayRange(0, 10, 0)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayRange(0, 1.5, 1)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayContains($.arr, 5)", in), "true");
    CHECK_EQ_STR(ic("States.ArrayContains($.arr, '5')", in), "false");
    CHECK_EQ_STR(ic("States.ArrayGetItem($.arr, 0)", in), "1");
    CHECK_EQ_STR(ic("States.ArrayGetItem($.arr, 9)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayLength($.arr)", in), "9");
    CHECK_EQ_STR(ic("States.ArrayLength($.id)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.ArrayUnique($.dup)", in), "[1,\"a\",{\"k\":1}]");
    CHECK_EQ_STR(ic("States.ArrayGetItem(States.StringSplit($.name, '-'), States.MathAdd("
                    "States.ArrayLength(States.StringSplit($.name, '-')), -1))", in), "\"gamma\"");
    CHECK_EQ_STR(ic("States.ArrayLength($.missing)", in), "States.Runtime");
    arena_release(&A);
}

TEST(sfn_intr_encoding) {
    arena_init(&A);
    const char *in = "{\"d\":\"Data to encode\",\"e\":\"RGF0YSB0byBlbmNvZGU=\",\"z\":\"\",\"h\":\"input data\"}";
    CHECK_EQ_STR(ic("States.Base64Encode($.d)", in), "\"RGF0YSB0byBlbmNvZGU=\"");
    CHECK_EQ_STR(ic("States.Base64Decode($.e)", in), "\"Data to encode\"");
    CHECK_EQ_STR(ic("States.Base64Encode($.z)", in), "\"\"");
    CHECK_EQ_STR(ic("States.Base64Decode($.z)", in), "\"\"");
    CHECK_EQ_STR(ic("States.Base64Decode('YQ==')", in), "\"a\"");
    CHECK_EQ_STR(ic("States.Base64Decode('YWI=')", in), "\"ab\"");
    CHECK_EQ_STR(ic("States.Base64Decode('Y*==')", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.Base64Decode('YQ=')", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.Hash($.h, 'MD5')", in), "\"812f45842bc6d66ee14572ce20db8e86\"");
    CHECK_EQ_STR(ic("States.Hash($.h, 'SHA-1')", in), "\"aaff4a450a104cd177d28d18d74485e8cae074b7\"");
    CHECK_EQ_STR(ic("States.Hash($.h, 'SHA-256')", in),
                 "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3\"");
    CHECK_EQ_STR(ic("States.Hash($.h, 'SHA-384')", in),
                 "\"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562\"");
    CHECK_EQ_STR(ic("States.Hash($.h, 'SHA-512')", in),
                 "\"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4\"");
    CHECK_EQ_STR(ic("States.Hash($.h, 'SHA-3')", in), "States.IntrinsicFailure");
    arena_release(&A);
}

TEST(sfn_intr_math_string) {
    arena_init(&A);
    const char *in = "{\"a\":1.49,\"b\":1.5,\"c\":1.5,\"d\":1.51,\"e\":-0.5,\"f\":0.5,\"g\":-9,\"h\":3,"
                     "\"m\":-1.5,\"zero\":0,\"m2\":-1.51,\"s\":\"This.is+a,test=string\",\"dl\":\".+,=\"}";
    CHECK_EQ_STR(ic("States.MathAdd($.a, $.b)", in), "3");
    CHECK_EQ_STR(ic("States.MathAdd($.c, $.d)", in), "4");
    CHECK_EQ_STR(ic("States.MathAdd($.e, $.f)", in), "1");
    CHECK_EQ_STR(ic("States.MathAdd($.g, $.h)", in), "-6");
    CHECK_EQ_STR(ic("States.MathAdd(111, -1)", in), "110");
    CHECK_EQ_STR(ic("States.MathAdd($.m, $.zero)", in), "-1");
    CHECK_EQ_STR(ic("States.MathAdd($.m, $.m2)", in), "-3");
    CHECK_EQ_STR(ic("States.MathAdd($.s, 1)", in), "States.IntrinsicFailure");
    CHECK_EQ_STR(ic("States.StringSplit($.s, $.dl)", in), "[\"This\",\"is\",\"a\",\"test\",\"string\"]");
    CHECK_EQ_STR(ic("States.StringSplit(',,,,', ',')", in), "[]");
    CHECK_EQ_STR(ic("States.StringSplit('1,2,3', ',')", in), "[\"1\",\"2\",\"3\"]");
    CHECK_EQ_STR(ic("States.StringSplit(' , ', ',')", in), "[\" \",\" \"]");
    /* seeded MathRandom repeats; unseeded stays in range */
    const char *r1 = ic("States.MathRandom(1, 1000, 42)", in);
    CHECK_EQ_STR(ic("States.MathRandom(1, 1000, 42)", in), r1);
    for (int i = 0; i < 50; i++) {
        long v = atol(ic("States.MathRandom(3, 6)", in));
        CHECK(v >= 3 && v < 6);
    }
    CHECK_EQ_STR(ic("States.MathRandom(5, 5)", in), "States.IntrinsicFailure");
    const char *u = ic("States.UUID()", in);
    CHECK(strlen(u) == 38);
    CHECK(u[15] == '4');
    CHECK(strchr("89ab", u[20]) != NULL);
    CHECK(strcmp(u, ic("States.UUID()", in)) != 0);
    CHECK(strncmp(ic("States.UUID(1)", in), "C:", 2) == 0);
    CHECK(strncmp(ic("States.MathRandom(1)", in), "C:", 2) == 0);
    CHECK(strncmp(ic("States.JsonToString('x')", in), "C:", 2) == 0);
    /* nesting limit: 10 is fine, 11 is not */
    CHECK_EQ_STR(ic("States.ArrayLength(States.Array(States.Array(States.Array(States.Array("
                    "States.Array(States.Array(States.Array(States.Array(States.Array(1))))))))))", in),
                 "1");
    CHECK(strncmp(ic("States.ArrayLength(States.Array(States.Array(States.Array(States.Array("
                     "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(1)))))))))))", in),
                  "C:", 2) == 0);
    arena_release(&A);
}

TEST(sfn_intr_number_text) {
    arena_init(&A);
    const char *in = "{\"p\":2.50,\"big\":12345678901234567890,\"j\":\"[1.10,-0,7]\"}";
    CHECK_EQ_STR(ic("States.Format('{} {}', $.p, $.big)", in), "\"2.50 12345678901234567890\"");
    CHECK_EQ_STR(ic("States.StringToJson($.j)", in), "[1.10,0,7]");
    CHECK_EQ_STR(ic("States.Array($.p, $.big)", in), "[2.50,12345678901234567890]");
    arena_release(&A);
}
