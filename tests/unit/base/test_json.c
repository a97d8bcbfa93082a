/* test_json.c - the JSON layer: strictness, round trips, equality. */
#include <string.h>

#include "../test.h"
#include "base/json.h"

static char *roundtrip(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    return v ? json_to_str(a, v) : NULL;
}

static bool rejects(const char *text) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *v = json_parse(&a, text, strlen(text), &err);
    bool ok = v == NULL && strcmp(err.type, "SerializationException") == 0;
    arena_release(&a);
    return ok;
}

TEST(base_json_roundtrip_keeps_number_text) {
    arena_t a;
    arena_init(&a);
    CHECK_EQ_STR(roundtrip(&a, "12345678901234567890"), "12345678901234567890");
    CHECK_EQ_STR(roundtrip(&a, " [1.10, -0, 1e5, 2E-3] "), "[1.10,-0,1e5,2E-3]");
    CHECK_EQ_STR(roundtrip(&a, "{\"a\":{\"b\":[true,false,null]}}"),
                 "{\"a\":{\"b\":[true,false,null]}}");
    arena_release(&a);
}

TEST(base_json_strings_escape_and_unescape) {
    arena_t a;
    arena_init(&a);
    CHECK_EQ_STR(roundtrip(&a, "\"a\\u00e9\\n\\\"\\/\""), "\"a\xc3\xa9\\n\\\"/\"");
    CHECK_EQ_STR(roundtrip(&a, "\"\\ud83d\\ude00\""), "\"\xf0\x9f\x98\x80\"");
    CHECK_EQ_STR(roundtrip(&a, "\"\\u0001\""), "\"\\u0001\"");
    sw_error_t err;
    json_t *v = json_parse(&a, "\"a\\u0000b\"", 10, &err);
    CHECK(v && v->len == 3 && v->u.str[1] == '\0');
    arena_release(&a);
}

TEST(base_json_rejects_malformed) {
    CHECK(rejects(""));
    CHECK(rejects("{"));
    CHECK(rejects("[1,]"));
    CHECK(rejects("{\"a\":1,}"));
    CHECK(rejects("01"));
    CHECK(rejects("1."));
    CHECK(rejects("-"));
    CHECK(rejects("NaN"));
    CHECK(rejects("'a'"));
    CHECK(rejects("\"\x01\""));
    CHECK(rejects("\"\\x\""));
    CHECK(rejects("\"\\ud800\""));
    CHECK(rejects("\"\xff\""));
    CHECK(rejects("\"\xc0\xaf\""));
    CHECK(rejects("[1] 2"));
    CHECK(rejects("tru"));
    CHECK(rejects("{1:2}"));
    char deep[600];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    CHECK(rejects(deep));
}

TEST(base_json_duplicate_key_last_wins) {
    arena_t a;
    arena_init(&a);
    CHECK_EQ_STR(roundtrip(&a, "{\"a\":1,\"b\":2,\"a\":3}"), "{\"a\":3,\"b\":2}");
    arena_release(&a);
}

TEST(base_json_equal_numbers_by_value) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *x = json_parse(&a, "{\"a\":[1,2.5],\"b\":1e2}", 21, &err);
    json_t *y = json_parse(&a, "{\"b\":100,\"a\":[1.0,2.50]}", 24, &err);
    CHECK(json_equal(x, y));
    CHECK(!json_equal(x, json_parse(&a, "{\"b\":100,\"a\":[1.0,2.51]}", 24, &err)));
    arena_release(&a);
}

TEST(base_json_double_writer_is_shortest) {
    arena_t a;
    arena_init(&a);
    CHECK_EQ_STR(json_new_num_double(&a, 0.1)->u.str, "0.1");
    CHECK_EQ_STR(json_new_num_double(&a, 3.0)->u.str, "3");
    CHECK_EQ_STR(json_new_num_double(&a, -2.5)->u.str, "-2.5");
    CHECK_EQ_STR(json_new_num_double(&a, 1e300)->u.str, "1E300");
    CHECK_EQ_STR(json_new_num_double(&a, 0.1 + 0.2)->u.str, "0.30000000000000004");
    int64_t n;
    CHECK(json_num_i64(json_new_num_text(&a, "1e2", 3), &n) && n == 100);
    CHECK(!json_num_i64(json_new_num_text(&a, "1.5", 3), &n));
    arena_release(&a);
}

TEST(base_json_obj_set_get_del) {
    arena_t a;
    arena_init(&a);
    json_t *o = json_new_obj(&a);
    for (int i = 0; i < 20; i++)
        json_obj_set(&a, o, arena_sprintf(&a, "k%d", i), json_new_num_i64(&a, i));
    json_obj_set(&a, o, "k3", json_new_strz(&a, "x"));
    CHECK_EQ_INT(o->len, 20);
    CHECK_EQ_STR(json_obj_get_str(o, "k3"), "x");
    CHECK(json_obj_del(o, "k0", 2));
    CHECK(!json_obj_get(o, "k0"));
    CHECK_EQ_STR(o->u.members[0].key, "k1");
    arena_release(&a);
}

TEST(base_json_pretty) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *v = json_parse(&a, "{\"a\":[1,{}],\"b\":[]}", 19, &err);
    sw_buf_t b;
    buf_init(&b, &a, 4096);
    json_print_pretty(&b, v);
    CHECK_EQ_STR(b.ptr, "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
    arena_release(&a);
}
