/* test_template.c - payload templates and path-or-intrinsic expressions. */
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

/* Compiles and evaluates; "C:<msg>" on compile errors, "<type>:<msg>" on
 * run-time errors, else the compact output. */
static const char *run(const char *tmpl, const char *in) {
    sfn_template_t *t;
    sw_error_t err;
    json_t *out;
    if (sfn_template_compile(&A, J(tmpl), &t, &err) != 0)
        return arena_sprintf(&A, "C:%s", err.msg);
    if (sfn_template_eval(&A, t, J(in), J("{\"State\":{\"Name\":\"S1\"}}"), &out, &err) != 0)
        return arena_sprintf(&A, "%s:%s", err.type, err.msg);
    return json_to_str(&A, out);
}

TEST(sfn_tmpl_basic) {
    arena_init(&A);
    CHECK_EQ_STR(run("{\"a\":1,\"b.$\":\"$.x\"}", "{\"x\":[1,2]}"), "{\"a\":1,\"b\":[1,2]}");
    CHECK_EQ_STR(run("{\"lit\":[1,\"two\",{\"three\":3}],\"nested\":{\"deep\":{\"arr.$\":\"$.a.b\","
                     "\"s.$\":\"$.s\"},\"n\":null},\"whole.$\":\"$.a\",\"first.$\":\"$.a.b[0]\"}",
                     "{\"a\":{\"b\":[1,2]},\"s\":\"str\"}"),
                 "{\"lit\":[1,\"two\",{\"three\":3}],\"nested\":{\"deep\":{\"arr\":[1,2],\"s\":\"str\"},"
                 "\"n\":null},\"whole\":{\"b\":[1,2]},\"first\":1}");
    CHECK_EQ_STR(run("{\"arr\":[{\"v.$\":\"$.x\"},2]}", "{\"x\":true}"), "{\"arr\":[{\"v\":true},2]}");
    CHECK_EQ_STR(run("{\"Arg2\":\"argument2\",\"FromInput.$\":\"$\"}", "{}"),
                 "{\"Arg2\":\"argument2\",\"FromInput\":{}}");
    CHECK_EQ_STR(run("{\"st.$\":\"$$.State.Name\"}", "{}"), "{\"st\":\"S1\"}");
    CHECK_EQ_STR(run("{\"f.$\":\"States.Format('state={}', $$.State.Name)\"}", "{}"),
                 "{\"f\":\"state=S1\"}");
    CHECK_EQ_STR(run("{\"n.$\":\"$.items[?(@.x > 1)].x\"}", "{\"items\":[{\"x\":1},{\"x\":2}]}"),
                 "{\"n\":[2]}");
    CHECK_EQ_STR(run("\"plain\"", "{}"), "\"plain\"");
    CHECK_EQ_STR(run("{\"big\":12345678901234567890,\"f\":1.10}", "{}"),
                 "{\"big\":12345678901234567890,\"f\":1.10}");
    arena_release(&A);
}

TEST(sfn_tmpl_errors) {
    arena_init(&A);
    CHECK_EQ_STR(run("{\"x.$\":\"$.missing\"}", "{\"a\":1}"),
                 "States.Runtime:The JSONPath '$.missing' specified for the field 'x.$' could not "
                 "be found in the input '{\"a\":1}'");
    CHECK_EQ_STR(run("{\"o\":{\"x.$\":\"$.a.b\"}}", "{\"a\":1}"),
                 "States.Runtime:The JSONPath '$.a.b' specified for the field 'x.$' could not "
                 "be found in the input '{\"a\":1}'");
    CHECK(strncmp(run("{\"x.$\":5}", "{}"), "C:", 2) == 0);
    CHECK(strncmp(run("{\"x.$\":\"abc\"}", "{}"), "C:", 2) == 0);
    CHECK(strncmp(run("{\"x.$\":\"$.a[\"}", "{}"), "C:", 2) == 0);
    CHECK(strncmp(run("{\"x.$\":\"States.Nope(1)\"}", "{}"), "C:", 2) == 0);
    CHECK(strncmp(run("{\"x.$\":\"States.ArrayGetItem($.a)\"}", "{}"), "C:", 2) == 0);
    CHECK(strncmp(run("{\"x.$\":\"States.ArrayGetItem($.a, 5)\"}", "{\"a\":[1,2]}"),
                  "States.IntrinsicFailure:", 24) == 0);
    arena_release(&A);
}

TEST(sfn_tmpl_expr) {
    arena_init(&A);
    sfn_expr_t *e;
    sw_error_t err;
    json_t *out;
    const char *t = "States.Format('custom {}, {}.', $.Error, $.Cause)";
    CHECK(sfn_expr_compile(&A, t, strlen(t), true, &e, &err) == 0);
    CHECK(sfn_expr_path(e) == NULL);
    CHECK(sfn_expr_eval(&A, e, J("{\"Error\":\"E\",\"Cause\":\"C\"}"), NULL, "CausePath", &out, &err) == 0);
    CHECK_EQ_STR(json_to_str(&A, out), "\"custom E, C.\"");
    CHECK(sfn_expr_compile(&A, "$.err", 5, true, &e, &err) == 0);
    CHECK(sfn_expr_path(e) != NULL);
    CHECK(sfn_expr_eval(&A, e, J("{\"err\":\"X\"}"), NULL, "ErrorPath", &out, &err) == 0);
    CHECK_EQ_STR(json_to_str(&A, out), "\"X\"");
    CHECK(sfn_expr_eval(&A, e, J("{}"), NULL, "ErrorPath", &out, &err) == -1);
    CHECK_EQ_STR(err.msg, "The JSONPath '$.err' specified for the field 'ErrorPath' could not be "
                          "found in the input '{}'");
    CHECK(sfn_expr_compile(&A, "$.a[*]", 6, true, &e, &err) == -1);
    CHECK(sfn_expr_compile(&A, "nope", 4, true, &e, &err) == -1);
    arena_release(&A);
}
