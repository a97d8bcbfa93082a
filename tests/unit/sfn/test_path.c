/* test_path.c - JSONPath compile/eval and ResultPath (sfn/jsonpath.c). */
#include "sfn/path.h"
#include "../test.h"

static arena_t A;

static json_t *J(const char *s) {
    sw_error_t err;
    json_t *v = json_parse(&A, s, strlen(s), &err);
    if (!v)
        fprintf(stdout, "bad test json: %s\n", s);
    return v;
}

/* Evaluates `path` on `in`; returns the compact result, "MISSING" or "ERR". */
static const char *ev(const char *path, const char *in) {
    sfn_path_t *p;
    sw_error_t err;
    json_t *out;
    if (sfn_path_compile(&A, path, strlen(path), false, &p, &err) != 0)
        return "ERR";
    if (!sfn_path_eval(&A, p, J(in), J("{\"ctx\":1}"), &out))
        return "MISSING";
    return json_to_str(&A, out);
}

static bool is_ref(const char *path) {
    sfn_path_t *p;
    sw_error_t err;
    return sfn_path_compile(&A, path, strlen(path), true, &p, &err) == 0;
}

static const char *set(const char *path, const char *in, const char *val) {
    sfn_path_t *p;
    static sw_error_t err;
    json_t *out;
    if (sfn_path_compile(&A, path, strlen(path), true, &p, &err) != 0)
        return "ERR";
    if (sfn_path_set(&A, p, J(in), J(val), &out, &err) != 0)
        return err.msg;
    return json_to_str(&A, out);
}

TEST(sfn_path_basic) {
    arena_init(&A);
    const char *in = "{\"a\":{\"b\":[1,2,{\"c\":\"x\"}]},\"s\":\"str\",\"n\":1.10,\"k y\":5}";
    CHECK_EQ_STR(ev("$", in), in);
    CHECK_EQ_STR(ev("$.s", in), "\"str\"");
    CHECK_EQ_STR(ev("$.n", in), "1.10");
    CHECK_EQ_STR(ev("$.a.b", in), "[1,2,{\"c\":\"x\"}]");
    CHECK_EQ_STR(ev("$.a.b[0]", in), "1");
    CHECK_EQ_STR(ev("$.a.b[-1].c", in), "\"x\"");
    CHECK_EQ_STR(ev("$['a']['b'][1]", in), "2");
    CHECK_EQ_STR(ev("$[\"k y\"]", in), "5");
    CHECK_EQ_STR(ev("$.a['b'][2]['c']", in), "\"x\"");
    CHECK_EQ_STR(ev("$.missing", in), "MISSING");
    CHECK_EQ_STR(ev("$.a.b[7]", in), "MISSING");
    CHECK_EQ_STR(ev("$.s.x", in), "MISSING");
    CHECK_EQ_STR(ev("$.a.b.c", in), "MISSING");
    CHECK_EQ_STR(ev("$.a-b", "{\"a-b\":3}"), "3");
    CHECK_EQ_STR(ev("$$.ctx", in), "1");
    CHECK_EQ_STR(ev("$$", in), "{\"ctx\":1}");
    arena_release(&A);
}

TEST(sfn_path_indefinite) {
    arena_init(&A);
    const char *in = "{\"items\":[{\"x\":1,\"n\":\"a\"},{\"x\":5,\"n\":\"b\"},{\"n\":\"c\"},"
                     "{\"x\":3,\"n\":\"d\"}],\"o\":{\"p\":1,\"q\":2}}";
    CHECK_EQ_STR(ev("$.items[*].n", in), "[\"a\",\"b\",\"c\",\"d\"]");
    CHECK_EQ_STR(ev("$.items[*].x", in), "[1,5,3]");
    CHECK_EQ_STR(ev("$.o.*", in), "[1,2]");
    CHECK_EQ_STR(ev("$.o[*]", in), "[1,2]");
    CHECK_EQ_STR(ev("$..x", in), "[1,5,3]");
    CHECK_EQ_STR(ev("$.items[0:2].n", in), "[\"a\",\"b\"]");
    CHECK_EQ_STR(ev("$.items[:1].n", in), "[\"a\"]");
    CHECK_EQ_STR(ev("$.items[-2:].n", in), "[\"c\",\"d\"]");
    CHECK_EQ_STR(ev("$.items[::2].n", in), "[\"a\",\"c\"]");
    CHECK_EQ_STR(ev("$.items[0,3].n", in), "[\"a\",\"d\"]");
    CHECK_EQ_STR(ev("$.o['p','q']", in), "[1,2]");
    CHECK_EQ_STR(ev("$.items[?(@.x > 1)].n", in), "[\"b\",\"d\"]");
    CHECK_EQ_STR(ev("$.items[?(@.x)].n", in), "[\"a\",\"b\",\"d\"]");
    CHECK_EQ_STR(ev("$.items[?(!@.x)].n", in), "[\"c\"]");
    CHECK_EQ_STR(ev("$.items[?(@.n == 'c')]", in), "[{\"n\":\"c\"}]");
    CHECK_EQ_STR(ev("$.items[?(@.x >= 3 && @.x < 5)].n", in), "[\"d\"]");
    CHECK_EQ_STR(ev("$.items[?(@.x == 1 || @.n == \"c\")].n", in), "[\"a\",\"c\"]");
    CHECK_EQ_STR(ev("$.items[?(@.x != 1)].n", in), "[\"b\",\"c\",\"d\"]");
    CHECK_EQ_STR(ev("$.items[?(@.x < $.o.q)].n", in), "[\"a\"]");
    CHECK_EQ_STR(ev("$.nothing[*]", in), "[]");
    CHECK_EQ_STR(ev("$.items.length()", in), "4");
    CHECK_EQ_STR(ev("$[*][*]", "[[1,2],[3]]"), "[1,2,3]");
    arena_release(&A);
}

TEST(sfn_path_compile_errors) {
    arena_init(&A);
    CHECK_EQ_STR(ev("", "{}"), "ERR");
    CHECK_EQ_STR(ev("a.b", "{}"), "ERR");
    CHECK_EQ_STR(ev("$.", "{}"), "ERR");
    CHECK_EQ_STR(ev("$.a[", "{}"), "ERR");
    CHECK_EQ_STR(ev("$.a['x", "{}"), "ERR");
    CHECK_EQ_STR(ev("$.a[?(@.x > )]", "{}"), "ERR");
    CHECK_EQ_STR(ev("$ .a", "{}"), "ERR");
    CHECK(is_ref("$"));
    CHECK(is_ref("$.a.b[0]"));
    CHECK(is_ref("$['a b'].c"));
    CHECK(is_ref("$$.Execution.Id"));
    CHECK(!is_ref("$.a[*]"));
    CHECK(!is_ref("$..a"));
    CHECK(!is_ref("$.a[0:1]"));
    CHECK(!is_ref("$.a[0,1]"));
    CHECK(!is_ref("$.a[?(@.x)]"));
    CHECK(!is_ref("$.a.length()"));
    arena_release(&A);
}

TEST(sfn_path_resultpath) {
    arena_init(&A);
    CHECK_EQ_STR(set("$", "{\"a\":1}", "{\"x\":1}"), "{\"x\":1}");
    CHECK_EQ_STR(set("$.r", "{\"a\":1}", "2"), "{\"a\":1,\"r\":2}");
    CHECK_EQ_STR(set("$.a", "{\"a\":1,\"b\":2}", "3"), "{\"a\":3,\"b\":2}");
    CHECK_EQ_STR(set("$.a.b", "{\"a\":{\"c\":2},\"top\":true}", "{\"x\":1}"),
                 "{\"a\":{\"c\":2,\"b\":{\"x\":1}},\"top\":true}");
    CHECK_EQ_STR(set("$.x.y.z", "{}", "1"), "{\"x\":{\"y\":{\"z\":1}}}");
    CHECK_EQ_STR(set("$.l[1]", "{\"l\":[1,2]}", "9"), "{\"l\":[1,9]}");
    CHECK_EQ_STR(set("$['q r']", "{}", "null"), "{\"q r\":null}");
    /* the input is not modified */
    json_t *in = J("{\"a\":{\"c\":2}}"), *out;
    sfn_path_t *p;
    sw_error_t err;
    CHECK(sfn_path_compile(&A, "$.a.b", 5, true, &p, &err) == 0);
    CHECK(sfn_path_set(&A, p, in, J("1"), &out, &err) == 0);
    CHECK_EQ_STR(json_to_str(&A, in), "{\"a\":{\"c\":2}}");
    CHECK_EQ_STR(json_to_str(&A, out), "{\"a\":{\"c\":2,\"b\":1}}");
    /* errors */
    CHECK(sfn_path_set(&A, p, J("{\"a\":\"s\"}"), J("1"), &out, &err) == -1);
    CHECK_EQ_STR(err.type, "States.Runtime");
    CHECK(sfn_path_set(&A, p, J("\"s\""), J("1"), &out, &err) == -1);
    CHECK_EQ_STR(set("$.l[5]", "{\"l\":[1,2]}", "9"),
                 "Unable to apply ResultPath '$.l[5]' to input '{\"l\":[1,2]}'");
    arena_release(&A);
}

TEST(sfn_path_limits) {
    arena_init(&A);
    /* deeply nested filters are refused, not a stack overflow */
    char buf[4000];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "$");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "[?(@");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ")]");
    CHECK_EQ_STR(ev(buf, "{}"), "ERR");
    CHECK_EQ_STR(ev("$[?(@[?(@.a)])]", "[[{\"a\":1}],[{\"b\":1}]]"), "[[{\"a\":1}]]");
    /* many steps grow the segment array */
    n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "$");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ".a");
    CHECK_EQ_STR(ev(buf, "{}"), "MISSING");
    arena_release(&A);
}

/* QA: filters over arrays of scalars, with Jayway's comparisons: numbers
 * by exact value, a number equal to a string that reads as it, strings
 * ordered with strings only. */
TEST(sfn_path_filter_scalars) {
    arena_init(&A);
    CHECK_EQ_STR(ev("$.a[?(@ > 1)]", "{\"a\":[1,2,3]}"), "[2,3]");
    CHECK_EQ_STR(ev("$.a[?(@ == 'x')]", "{\"a\":[\"x\",\"y\",\"x\"]}"), "[\"x\",\"x\"]");
    CHECK_EQ_STR(ev("$.a[?(@ == \"y\")]", "{\"a\":[\"x\",\"y\",1]}"), "[\"y\"]");
    CHECK_EQ_STR(ev("$[?(@ >= 2)]", "[1,2,3,\"4\",null,true]"), "[2,3]");
    CHECK_EQ_STR(ev("$.a[?(@ < 'b')]", "{\"a\":[\"a\",\"c\",1]}"), "[\"a\"]");
    CHECK_EQ_STR(ev("$.a[?(@ != 2)]", "{\"a\":[1,2,2.0,3]}"), "[1,3]");
    CHECK_EQ_STR(ev("$.a[?(@ == true)]", "{\"a\":[true,false,1,\"true\"]}"), "[true]");
    CHECK_EQ_STR(ev("$.a[?(@ == null)]", "{\"a\":[null,0,\"null\"]}"), "[null]");
    CHECK_EQ_STR(ev("$.a[?(@ > 1 && @ < 3)]", "{\"a\":[1,2,3]}"), "[2]");
    CHECK_EQ_STR(ev("$.a[?(@ == $.b)]", "{\"a\":[1,2],\"b\":2}"), "[2]");
    CHECK_EQ_STR(ev("$.a[?(@ > 1)]", "{\"a\":[[2],{\"x\":2},2]}"), "[2]");
    CHECK_EQ_STR(ev("$.a[?(@ > 5)]", "{\"a\":[1,2]}"), "[]");
    /* Numbers compare exactly, not as doubles. */
    CHECK_EQ_STR(ev("$.a[?(@ == 12345678901234567890)]",
                    "{\"a\":[12345678901234567891,12345678901234567890]}"),
                 "[12345678901234567890]");
    CHECK_EQ_STR(ev("$.a[?(@ > 12345678901234567890)]",
                    "{\"a\":[12345678901234567891,12345678901234567890]}"),
                 "[12345678901234567891]");
    CHECK_EQ_STR(ev("$.a[?(@ == 2)]", "{\"a\":[2.0,2e0,20e-1,0.2e1,1]}"), "[2.0,2e0,20e-1,0.2e1]");
    CHECK_EQ_STR(ev("$.a[?(@ < 0)]", "{\"a\":[-0.0,0,-1,-0.5e-3]}"), "[-1,-0.5e-3]");
    /* Jayway: a number equals a string that parses as the same number,
     * and a string equals the text of the number it is compared with. */
    CHECK_EQ_STR(ev("$.a[?(@ == '2')]", "{\"a\":[2,2.0,\"2\",\"2.0\",3]}"), "[2,2.0,\"2\"]");
    CHECK_EQ_STR(ev("$.a[?(@ == 2)]", "{\"a\":[\"2\",\"2.0\",\"x\"]}"), "[\"2\"]");
}
