/* test_av.c - AttributeValue validation (AWS's messages), canonical form
 * and item size. */
#include "ddb_test.h"
#include "ddb/ddb_int.h"

static const char *canon_text(arena_t *a, const char *av_json, sw_error_t *err) {
    json_t *v = json_parse(a, av_json, strlen(av_json), err);
    json_t *c = v ? ddb__av_canon(a, v, err) : NULL;
    return c ? json_to_str(a, c) : NULL;
}

TEST(ddb_av_valid_and_canonical) {
    arena_t a;
    sw_error_t err;
    arena_init(&a);
    CHECK_EQ_STR(canon_text(&a, "{\"S\":\"\"}", &err), "{\"S\":\"\"}");
    CHECK_EQ_STR(canon_text(&a, "{\"N\":\"1E3\"}", &err), "{\"N\":\"1000\"}");
    CHECK_EQ_STR(canon_text(&a, "{\"N\":\"0012.3400\"}", &err), "{\"N\":\"12.34\"}");
    CHECK_EQ_STR(canon_text(&a, "{\"N\":\"-0.0100\"}", &err), "{\"N\":\"-0.01\"}");
    CHECK_EQ_STR(canon_text(&a, "{\"NS\":[\"1.50\",\"2\"]}", &err), "{\"NS\":[\"1.5\",\"2\"]}");
    CHECK_EQ_STR(canon_text(&a, "{\"M\":{\"x\":{\"L\":[{\"N\":\"01\"},{\"NULL\":true}]}}}", &err),
                 "{\"M\":{\"x\":{\"L\":[{\"N\":\"1\"},{\"NULL\":true}]}}}");
    CHECK_EQ_STR(canon_text(&a, "{\"B\":\"\"}", &err), "{\"B\":\"\"}");
    CHECK_EQ_STR(canon_text(&a, "{\"BS\":[\"YQ==\",\"Yg==\"]}", &err), "{\"BS\":[\"YQ==\",\"Yg==\"]}");
    CHECK_EQ_STR(canon_text(&a, "{\"L\":[],\"S\":null}", &err), "{\"L\":[]}");
    CHECK_EQ_STR(canon_text(&a, "{\"M\":{}}", &err), "{\"M\":{}}");
    arena_release(&a);
}

TEST(ddb_av_errors) {
    arena_t a;
    sw_error_t err;
    struct { const char *av, *type, *msg; } cases[] = {
        {"{}", "ValidationException",
         "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
        {"{\"X\":\"a\"}", "ValidationException",
         "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
        {"{\"S\":\"a\",\"N\":\"1\"}", "ValidationException",
         "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
         "the supported datatypes"},
        {"{\"SS\":[]}", "ValidationException",
         "One or more parameter values were invalid: An string set  may not be empty"},
        {"{\"NS\":[]}", "ValidationException",
         "One or more parameter values were invalid: An number set  may not be empty"},
        {"{\"BS\":[]}", "ValidationException",
         "One or more parameter values were invalid: Binary sets should not be empty"},
        {"{\"SS\":[\"a\",\"a\"]}", "ValidationException",
         "One or more parameter values were invalid: Input collection [a, a] contains duplicates."},
        {"{\"BS\":[\"Yg==\",\"Yg==\"]}", "ValidationException",
         "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS "
         "contains duplicates."},
        {"{\"NS\":[\"1\",\"1.0\"]}", "ValidationException", "Input collection contains duplicates"},
        {"{\"NULL\":false}", "ValidationException",
         "One or more parameter values were invalid: Null attribute value types must have the "
         "value of true"},
        {"{\"N\":123}", "SerializationException",
         "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to "
         "an String"},
        {"{\"S\":true}", "SerializationException",
         "class java.lang.Boolean can not be converted to an String"},
        {"{\"S\":[]}", "SerializationException", "Start of list found where not expected"},
        {"{\"L\":{}}", "SerializationException",
         "Start of structure or map found where not expected."},
        {"{\"M\":[]}", "SerializationException", "Start of list found where not expected"},
        {"{\"B\":\"abc\"}", "SerializationException", "Base64 encoded length is expected a multiple of 4"},
        {"{\"N\":\"1E126\"}", "ValidationException", "overflow"},
        {"{\"N\":\"abc\"}", "ValidationException", "numeric"},
        {"{\"M\":{\"a\":{}}}", "ValidationException", "Supplied AttributeValue is empty"},
        {"{\"L\":[{\"SS\":[]}]}", "ValidationException", "may not be empty"},
        {"\"x\"", "SerializationException", NULL},
    };

    arena_init(&a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_parse(&a, cases[i].av, strlen(cases[i].av), &err);
        memset(&err, 0, sizeof err);
        CHECK(v != NULL);
        if (ddb__av_validate(v, &err) == 0) {
            test_fail(__FILE__, __LINE__, "%s accepted", cases[i].av);
            continue;
        }
        CHECK_EQ_STR(err.type, cases[i].type);
        if (cases[i].msg && !strstr(err.msg, cases[i].msg))
            test_fail(__FILE__, __LINE__, "%s: message \"%s\"", cases[i].av, err.msg);
    }
    arena_release(&a);
}

TEST(ddb_av_item_size) {
    arena_t a;
    sw_error_t err;
    struct { const char *item; size_t size; } cases[] = {
        {"{\"a\":{\"S\":\"abc\"}}", 4},
        {"{\"ab\":{\"N\":\"1\"}}", 2 + 2},
        {"{\"a\":{\"N\":\"11111\"}}", 1 + 4},
        {"{\"a\":{\"N\":\"111111\"}}", 1 + 4},
        {"{\"a\":{\"N\":\"1000000000\"}}", 1 + 2},
        {"{\"a\":{\"N\":\"-0.001\"}}", 1 + 2},
        {"{\"a\":{\"B\":\"YWJj\"}}", 1 + 3},
        {"{\"a\":{\"BOOL\":true},\"b\":{\"NULL\":true}}", 4},
        {"{\"a\":{\"L\":[{\"S\":\"x\"}]}}", 1 + 3 + 1 + 1},
        {"{\"a\":{\"M\":{\"k\":{\"S\":\"x\"}}}}", 1 + 3 + 1 + 1 + 1},
        {"{\"a\":{\"SS\":[\"x\",\"yz\"]}}", 1 + 3},
    };
    arena_init(&a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_parse(&a, cases[i].item, strlen(cases[i].item), &err);
        json_t *c = ddb__item_canon(&a, v, &err);
        CHECK(c != NULL);
        if (c && ddb__item_size(c) != cases[i].size)
            test_fail(__FILE__, __LINE__, "%s: size %zu, expected %zu", cases[i].item,
                      ddb__item_size(c), cases[i].size);
    }
    arena_release(&a);
}

TEST(ddb_av_equal) {
    arena_t a;
    sw_error_t err;
    const char *pairs[][2] = {
        {"{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"b\",\"a\"]}"},
        {"{\"N\":\"1E2\"}", "{\"N\":\"100.0\"}"},
        {"{\"M\":{\"x\":{\"S\":\"1\"},\"y\":{\"BOOL\":false}}}", "{\"M\":{\"y\":{\"BOOL\":false},\"x\":{\"S\":\"1\"}}}"},
    };
    arena_init(&a);
    for (size_t i = 0; i < 3; i++) {
        json_t *x = ddb__av_canon(&a, json_parse(&a, pairs[i][0], strlen(pairs[i][0]), &err), &err);
        json_t *y = ddb__av_canon(&a, json_parse(&a, pairs[i][1], strlen(pairs[i][1]), &err), &err);
        CHECK(ddb__av_equal(x, y));
    }
    CHECK(!ddb__av_equal(ddb__av_canon(&a, json_parse(&a, "{\"S\":\"1\"}", 9, &err), &err),
                         ddb__av_canon(&a, json_parse(&a, "{\"N\":\"1\"}", 9, &err), &err)));
    arena_release(&a);
}

TEST(ddb_av_nesting_limit) {
    arena_t a;
    sw_error_t err;
    sw_buf_t b;
    arena_init(&a);
    for (int wraps = 31; wraps <= 32; wraps++) {
        json_t *v;
        buf_init(&b, &a, 4096);
        for (int i = 0; i < wraps; i++)
            buf_puts(&b, "{\"M\":{\"n\":");
        buf_puts(&b, "{\"S\":\"leaf\"}");
        for (int i = 0; i < wraps; i++)
            buf_puts(&b, "}}");
        v = json_parse(&a, b.ptr, b.len, &err);
        CHECK(v != NULL);
        if (wraps == 31) {
            CHECK(ddb__av_canon(&a, v, &err) != NULL);
        } else {
            CHECK(ddb__av_canon(&a, v, &err) == NULL);
            CHECK(strstr(err.msg, "Nesting Levels have exceeded supported limits") != NULL);
        }
    }
    arena_release(&a);
}
