/* test_expr.c - DynamoDB expressions: parsing and AWS's error messages,
 * condition evaluation, update application, projection, key conditions. */
#include <stdlib.h>
#include "../test.h"
#include "base/arena.h"
#include "base/json.h"
#include "ddb/expr.h"

static arena_t A;
static char result[4096];
static bool skip_unused;  /* for tests sharing one values map */

static json_t *js(const char *text) {
    if (!text)
        return NULL;
    sw_error_t err;
    json_t *v = json_parse(&A, text, strlen(text), &err);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        abort();
    }
    return v;
}

static const char *fail(const sw_error_t *err) {
    snprintf(result, sizeof result, "%s", err->msg);
    return result;
}

/* "T" / "F" or the error message. */
static const char *cond_k(ddb_expr_kind_t kind, const char *item, const char *expr,
                          const char *names, const char *values) {
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *c;
    if (ddb_expr_ctx_new(&A, js(names), js(values), &ctx, &err) < 0 ||
        ddb_expr_parse_cond(ctx, kind, expr, strlen(expr), &c, &err) < 0 ||
        (!skip_unused && ddb_expr_ctx_check_unused(ctx, &err) < 0))
        return fail(&err);
    bool t;
    if (ddb_cond_eval(c, &A, js(item), &t, &err) < 0)
        return fail(&err);
    return t ? "T" : "F";
}

static const char *cond(const char *item, const char *expr, const char *names,
                        const char *values) {
    return cond_k(DDB_EXPR_CONDITION, item, expr, names, values);
}

/* The new item as compact JSON, or the error message. */
static const char *upd(const char *item, const char *expr, const char *names,
                       const char *values) {
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_update_t *u;
    if (ddb_expr_ctx_new(&A, js(names), js(values), &ctx, &err) < 0 ||
        ddb_expr_parse_update(ctx, expr, strlen(expr), &u, &err) < 0 ||
        ddb_expr_ctx_check_unused(ctx, &err) < 0)
        return fail(&err);
    json_t *in = js(item), *out;
    char *before = in ? json_to_str(&A, in) : NULL;
    if (ddb_update_apply(u, &A, in, &out, &err) < 0)
        return fail(&err);
    if (in && strcmp(before, json_to_str(&A, in)) != 0)
        return "INPUT MODIFIED";
    snprintf(result, sizeof result, "%s", json_to_str(&A, out));
    return result;
}

static const char *proj(const char *item, const char *expr, const char *names) {
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_proj_t *p;
    if (ddb_expr_ctx_new(&A, js(names), NULL, &ctx, &err) < 0 ||
        ddb_expr_parse_proj(ctx, expr, strlen(expr), &p, &err) < 0 ||
        ddb_expr_ctx_check_unused(ctx, &err) < 0)
        return fail(&err);
    snprintf(result, sizeof result, "%s", json_to_str(&A, ddb_proj_apply(p, &A, js(item))));
    return result;
}

static const char *ITEM =
    "{\"pk\":{\"S\":\"k1\"},\"n\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},"
    "\"b\":{\"B\":\"AAEC\"},\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},"
    "\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"1\"},{\"M\":{\"q\":{\"S\":\"deep\"}}}]},"
    "\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"M\":{\"c\":{\"S\":\"z\"}}}}},"
    "\"t\":{\"BOOL\":true},\"nul\":{\"NULL\":true}}";

TEST(ddb_expr_cond_compare) {
    arena_init(&A);
    CHECK_EQ_STR(cond(ITEM, "n = :v", NULL, "{\":v\":{\"N\":\"5.0\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "n <> :v", NULL, "{\":v\":{\"N\":\"5\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "n < :v", NULL, "{\":v\":{\"N\":\"10\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "n <= :v", NULL, "{\":v\":{\"N\":\"5\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "n > :v", NULL, "{\":v\":{\"N\":\"-10\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "n >= :v", NULL, "{\":v\":{\"N\":\"5.1\"}}"), "F");
    /* mismatched types: false, never an error */
    CHECK_EQ_STR(cond(ITEM, "n < :v", NULL, "{\":v\":{\"S\":\"10\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "n = :v", NULL, "{\":v\":{\"S\":\"5\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "n <> :v", NULL, "{\":v\":{\"S\":\"5\"}}"), "T");
    /* missing attribute: = false, <> true */
    CHECK_EQ_STR(cond(ITEM, "nope = :v", NULL, "{\":v\":{\"N\":\"5\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "nope <> :v", NULL, "{\":v\":{\"N\":\"5\"}}"), "T");
    CHECK_EQ_STR(cond(NULL, "nope < :v", NULL, "{\":v\":{\"N\":\"5\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "s > :v", NULL, "{\":v\":{\"S\":\"hell\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "b > :v", NULL, "{\":v\":{\"B\":\"AAE=\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "b < :v", NULL, "{\":v\":{\"B\":\"AQ==\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "ss = :v", NULL, "{\":v\":{\"SS\":[\"b\",\"a\"]}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "m.b.c = :v", NULL, "{\":v\":{\"S\":\"z\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "l[2].q = :v", NULL, "{\":v\":{\"S\":\"deep\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "l[3] = :v", NULL, "{\":v\":{\"S\":\"deep\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "#m.#a = :v", "{\"#m\":\"m\",\"#a\":\"a\"}", "{\":v\":{\"N\":\"1\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "n = s", NULL, NULL), "F");
    CHECK_EQ_STR(cond(ITEM, "(n) = (:v)", NULL, "{\":v\":{\"N\":\"5\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "t = :v", NULL, "{\":v\":{\"BOOL\":true}}"), "T");
    arena_release(&A);
}

TEST(ddb_expr_cond_logic) {
    arena_init(&A);
    const char *v = "{\":a\":{\"N\":\"1\"},\":b\":{\"N\":\"5\"},\":c\":{\"N\":\"9\"}}";
    skip_unused = true;
    CHECK_EQ_STR(cond(ITEM, "n BETWEEN :a AND :c", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "n between :a and :b AND n = :b", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "n IN (:a, :b)", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "n IN (:a, :c) OR n = :b AND n = :a", NULL, v), "F");
    /* AND binds tighter than OR */
    CHECK_EQ_STR(cond(ITEM, "n = :b OR n = :a AND n = :c", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "(n = :b OR n = :a) AND n = :c", NULL, v), "F");
    /* NOT binds tighter than AND */
    CHECK_EQ_STR(cond(ITEM, "NOT n = :a AND n = :b", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "NOT (n = :b AND n = :c)", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "not not n = :b", NULL, v), "T");
    CHECK_EQ_STR(cond(ITEM, "n BETWEEN :c AND :a", NULL, v),
                 "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}");
    skip_unused = false;
    arena_release(&A);
}

TEST(ddb_expr_cond_functions) {
    arena_init(&A);
    CHECK_EQ_STR(cond(ITEM, "attribute_exists(m.b.c)", NULL, NULL), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_exists(m.b.d)", NULL, NULL), "F");
    CHECK_EQ_STR(cond(ITEM, "attribute_not_exists(pk)", NULL, NULL), "F");
    CHECK_EQ_STR(cond(NULL, "attribute_not_exists(pk)", NULL, NULL), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_type(ss, :t)", NULL, "{\":t\":{\"S\":\"SS\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_type(nul, :t)", NULL, "{\":t\":{\"S\":\"NULL\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_type(n, :t)", NULL, "{\":t\":{\"S\":\"S\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "attribute_type(n, :t)", NULL, "{\":t\":{\"S\":\"X\"}}"),
                 "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    CHECK_EQ_STR(cond(ITEM, "begins_with(s, :p)", NULL, "{\":p\":{\"S\":\"he\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "begins_with(s, :p)", NULL, "{\":p\":{\"S\":\"lo\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "begins_with(b, :p)", NULL, "{\":p\":{\"B\":\"AAE=\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "begins_with(n, :p)", NULL, "{\":p\":{\"N\":\"5\"}}"),
                 "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    CHECK_EQ_STR(cond(ITEM, "contains(s, :p)", NULL, "{\":p\":{\"S\":\"ell\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "contains(ss, :p)", NULL, "{\":p\":{\"S\":\"b\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "contains(ns, :p)", NULL, "{\":p\":{\"N\":\"2.50\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "contains(ns, :p)", NULL, "{\":p\":{\"S\":\"1\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "contains(l, :p)", NULL, "{\":p\":{\"N\":\"1\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "contains(b, :p)", NULL, "{\":p\":{\"B\":\"AQI=\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(s) = :n", NULL, "{\":n\":{\"N\":\"5\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(b) = :n", NULL, "{\":n\":{\"N\":\"3\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(l) > :n", NULL, "{\":n\":{\"N\":\"2\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(m) = :n", NULL, "{\":n\":{\"N\":\"2\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(ss) = :n", NULL, "{\":n\":{\"N\":\"2\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "size(nope) = :n", NULL, "{\":n\":{\"N\":\"0\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "size(n) = :n", NULL, "{\":n\":{\"N\":\"1\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "attribute_exists(m) AND size(m.b) = :n", NULL, "{\":n\":{\"N\":\"1\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_exists(n, s)", NULL, NULL),
                 "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2");
    CHECK_EQ_STR(cond(ITEM, "attribute_exists(:v)", NULL, "{\":v\":{\"N\":\"1\"}}"),
                 "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists");
    CHECK_EQ_STR(cond(ITEM, "foo(n)", NULL, NULL),
                 "Invalid ConditionExpression: Invalid function name; function: foo");
    CHECK_EQ_STR(cond(ITEM, "size(n)", NULL, NULL),
                 "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size");
    arena_release(&A);
}

TEST(ddb_expr_errors) {
    arena_init(&A);
    CHECK_EQ_STR(cond(ITEM, "#s = :v", "{\"#s\":\"status\"}", "{\":v\":{\"S\":\"x\"}}"), "F");
    CHECK_EQ_STR(cond(ITEM, "status = :v", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status");
    CHECK_EQ_STR(cond(ITEM, "n = :v", NULL, "{\":v\":{\"S\":\"x\"},\":w\":{\"S\":\"y\"},\":z\":{\"S\":\"y\"}}"),
                 "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :z}");
    CHECK_EQ_STR(cond(ITEM, "n = :v", "{\"#n\":\"n\"}", "{\":v\":{\"S\":\"x\"}}"),
                 "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}");
    CHECK_EQ_STR(cond(ITEM, "#x = :v", "{\"#n\":\"n\"}", "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x");
    CHECK_EQ_STR(cond(ITEM, "n = :x", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x");
    CHECK_EQ_STR(cond(ITEM, "n = :x", NULL, NULL),
                 "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x");
    CHECK_EQ_STR(cond(ITEM, "n = :v", NULL, "{}"), "ExpressionAttributeValues must not be empty");
    CHECK_EQ_STR(cond(ITEM, "n = :v", "{}", NULL), "ExpressionAttributeNames must not be empty");
    CHECK_EQ_STR(cond(ITEM, "n = :v", "{\"n\":\"x\"}", NULL),
                 "ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\"");
    CHECK_EQ_STR(cond(ITEM, "n = :v", NULL, "{\"v\":{\"S\":\"x\"}}"),
                 "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
    CHECK_EQ_STR(cond(ITEM, "", NULL, NULL), "Invalid ConditionExpression: The expression can not be empty;");
    CHECK_EQ_STR(cond(ITEM, "  ", NULL, NULL), "Invalid ConditionExpression: The expression can not be empty;");
    CHECK_EQ_STR(cond(ITEM, "n = = :v", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\"");
    CHECK_EQ_STR(cond(ITEM, "n =", NULL, NULL),
                 "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
    CHECK_EQ_STR(cond_k(DDB_EXPR_FILTER, ITEM, "n = :v)", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid FilterExpression: Syntax error; token: \")\", near: \":v)\"");
    CHECK_EQ_STR(cond(ITEM, "n = :v AND", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
    /* syntax errors win over semantic ones found earlier */
    CHECK_EQ_STR(cond(ITEM, "status = :zz = ", NULL, NULL),
                 "Invalid ConditionExpression: Syntax error; token: \"=\", near: \":zz =\"");
    CHECK_EQ_STR(cond(ITEM, "a.b[x] = :v", NULL, NULL),
                 "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\"");
    CHECK_EQ_STR(cond(ITEM, "a[-1] = :v", NULL, NULL),
                 "Invalid ConditionExpression: Syntax error; token: \"-\", near: \"[-1\"");
    CHECK_EQ_STR(upd(ITEM, "ADD hits : incr", NULL, "{\":incr\":{\"N\":\"1\"}}"),
                 "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\"");
    CHECK_EQ_STR(upd(ITEM, "INVALID SYNTAX HERE", NULL, NULL),
                 "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
    /* IN with 101 operands */
    char big[2048] = "n IN (";
    for (int i = 0; i < 101; i++)
        strcat(big, i ? ",:v" : ":v");
    strcat(big, ")");
    CHECK_EQ_STR(cond(ITEM, big, NULL, "{\":v\":{\"N\":\"1\"}}"),
                 "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101");
    /* deep nesting is an error, not a stack overflow */
    char deep[600];
    memset(deep, '(', 300);
    deep[300] = '\0';
    CHECK(strstr(cond(ITEM, deep, NULL, NULL), "Invalid ConditionExpression") != NULL);
    arena_release(&A);
}

TEST(ddb_expr_update_set) {
    arena_init(&A);
    CHECK_EQ_STR(upd("{\"pk\":{\"S\":\"k\"}}", "SET a = :v, b = :w", NULL,
                     "{\":v\":{\"N\":\"1.50\"},\":w\":{\"S\":\"x\"}}"),
                 "{\"pk\":{\"S\":\"k\"},\"a\":{\"N\":\"1.5\"},\"b\":{\"S\":\"x\"}}");
    CHECK_EQ_STR(upd(NULL, "set a = :v", NULL, "{\":v\":{\"S\":\"x\"}}"), "{\"a\":{\"S\":\"x\"}}");
    CHECK_EQ_STR(upd("{\"n\":{\"N\":\"5\"}}", "SET n = n + :d", NULL, "{\":d\":{\"N\":\"0.5\"}}"),
                 "{\"n\":{\"N\":\"5.5\"}}");
    CHECK_EQ_STR(upd("{\"n\":{\"N\":\"5\"}}", "SET n = :d - n", NULL, "{\":d\":{\"N\":\"1\"}}"),
                 "{\"n\":{\"N\":\"-4\"}}");
    CHECK_EQ_STR(upd("{\"n\":{\"N\":\"5\"}}", "SET x = nope + :d", NULL, "{\":d\":{\"N\":\"1\"}}"),
                 "The provided expression refers to an attribute that does not exist in the item");
    CHECK_EQ_STR(upd("{\"s\":{\"S\":\"5\"}}", "SET x = s + :d", NULL, "{\":d\":{\"N\":\"1\"}}"),
                 "An operand in the update expression has an incorrect data type");
    CHECK_EQ_STR(upd(NULL, "SET x = :s + :d", NULL, "{\":d\":{\"N\":\"1\"},\":s\":{\"S\":\"1\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S");
    CHECK_EQ_STR(upd(NULL, "SET b = :x + :y", NULL, "{\":x\":{\"N\":\"9E125\"},\":y\":{\"N\":\"9E125\"}}"),
                 "Number overflow. Attempting to store a number with magnitude larger than supported range");
    CHECK_EQ_STR(upd(NULL, "SET b = :x + :y", NULL, "{\":x\":{\"N\":\"1\"},\":y\":{\"N\":\"10000000000000000000000\"}}"),
                 "{\"b\":{\"N\":\"10000000000000000000001\"}}");
    /* all values read the item as it was before the update */
    CHECK_EQ_STR(upd("{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"}}", "SET a = b, b = a", NULL, NULL),
                 "{\"a\":{\"N\":\"2\"},\"b\":{\"N\":\"1\"}}");
    /* nested maps */
    CHECK_EQ_STR(upd("{\"m\":{\"M\":{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"2\"}}}}", "SET #m.#a = :a, #m.#b = :b",
                     "{\"#m\":\"m\",\"#a\":\"a\",\"#b\":\"b\"}", "{\":a\":{\"S\":\"p\"},\":b\":{\"S\":\"q\"}}"),
                 "{\"m\":{\"M\":{\"a\":{\"S\":\"p\"},\"b\":{\"S\":\"q\"}}}}");
    CHECK_EQ_STR(upd("{\"m\":{\"M\":{}}}", "SET m.x.y = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "The document path provided in the update expression is invalid for update");
    CHECK_EQ_STR(upd("{\"m\":{\"S\":\"str\"}}", "SET m.x = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "The document path provided in the update expression is invalid for update");
    CHECK_EQ_STR(upd(NULL, "SET m.x = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "The document path provided in the update expression is invalid for update");
    CHECK_EQ_STR(upd("{\"m\":{\"M\":{}}}", "SET m.x = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "{\"m\":{\"M\":{\"x\":{\"S\":\"p\"}}}}");
    CHECK_EQ_STR(upd("{\"l\":{\"L\":[{\"M\":{}}]}}", "SET l[0].x = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "{\"l\":{\"L\":[{\"M\":{\"x\":{\"S\":\"p\"}}}]}}");
    arena_release(&A);
}

TEST(ddb_expr_update_lists) {
    arena_init(&A);
    /* B01: nested list_append(if_not_exists(...)) */
    const char *vals = "{\":empty\":{\"L\":[]},\":v\":{\"L\":[{\"S\":\"a\"}]}}";
    const char *names = "{\"#l\":\"entries\"}";
    const char *e = "SET #l = list_append(if_not_exists(#l, :empty), :v)";
    CHECK_EQ_STR(upd("{\"pk\":{\"S\":\"k\"}}", e, names, vals),
                 "{\"pk\":{\"S\":\"k\"},\"entries\":{\"L\":[{\"S\":\"a\"}]}}");
    CHECK_EQ_STR(upd("{\"entries\":{\"L\":[{\"S\":\"0\"}]}}", e, names, vals),
                 "{\"entries\":{\"L\":[{\"S\":\"0\"},{\"S\":\"a\"}]}}");
    CHECK_EQ_STR(upd(NULL, e, names, vals), "{\"entries\":{\"L\":[{\"S\":\"a\"}]}}");
    CHECK_EQ_STR(upd("{\"l\":{\"L\":[{\"S\":\"0\"}]}}", "SET l = list_append(:v, l)", NULL,
                     "{\":v\":{\"L\":[{\"S\":\"a\"}]}}"),
                 "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"0\"}]}}");
    CHECK_EQ_STR(upd("{\"l\":{\"S\":\"0\"}}", "SET l = list_append(l, :v)", NULL,
                     "{\":v\":{\"L\":[{\"S\":\"a\"}]}}"),
                 "An operand in the update expression has an incorrect data type");
    CHECK_EQ_STR(upd(NULL, "SET l = list_append(:v, :w)", NULL,
                     "{\":v\":{\"L\":[{\"S\":\"a\"}]},\":w\":{\"S\":\"b\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
    CHECK_EQ_STR(upd(NULL, "SET l = list_append(:v)", NULL, "{\":v\":{\"L\":[]}}"),
                 "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1");
    CHECK_EQ_STR(upd(NULL, "SET l = if_not_exists(:v, :v)", NULL, "{\":v\":{\"L\":[]}}"),
                 "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists");
    CHECK_EQ_STR(upd(NULL, "SET l = size(x)", NULL, NULL),
                 "Invalid UpdateExpression: The function is not allowed in an update expression; function: size");
    CHECK_EQ_STR(upd(NULL, "SET n = if_not_exists(n, :z) + :one", NULL,
                     "{\":z\":{\"N\":\"0\"},\":one\":{\"N\":\"1\"}}"),
                 "{\"n\":{\"N\":\"1\"}}");
    /* B02: REMOVE indexes refer to the original list */
    const char *five = "{\"l\":{\"L\":[{\"S\":\"0\"},{\"S\":\"1\"},{\"S\":\"2\"},{\"S\":\"3\"},{\"S\":\"4\"}]}}";
    CHECK_EQ_STR(upd(five, "REMOVE l[1], l[2]", NULL, NULL),
                 "{\"l\":{\"L\":[{\"S\":\"0\"},{\"S\":\"3\"},{\"S\":\"4\"}]}}");
    CHECK_EQ_STR(upd(five, "REMOVE l[3], l[0]", NULL, NULL),
                 "{\"l\":{\"L\":[{\"S\":\"1\"},{\"S\":\"2\"},{\"S\":\"4\"}]}}");
    CHECK_EQ_STR(upd(five, "REMOVE l[9]", NULL, NULL), five);
    CHECK_EQ_STR(upd(five, "SET l[1] = :v REMOVE l[0]", NULL, "{\":v\":{\"S\":\"x\"}}"),
                 "{\"l\":{\"L\":[{\"S\":\"x\"},{\"S\":\"2\"},{\"S\":\"3\"},{\"S\":\"4\"}]}}");
    /* B03: SET beyond the end appends, in index order */
    const char *three = "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"}]}}";
    CHECK_EQ_STR(upd(three, "SET l[10] = :v", NULL, "{\":v\":{\"S\":\"d\"}}"),
                 "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"},{\"S\":\"d\"}]}}");
    CHECK_EQ_STR(upd(three, "SET l[20] = :x, l[15] = :y", NULL, "{\":x\":{\"S\":\"x\"},\":y\":{\"S\":\"y\"}}"),
                 "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"},{\"S\":\"c\"},{\"S\":\"y\"},{\"S\":\"x\"}]}}");
    CHECK_EQ_STR(upd("{\"l\":{\"S\":\"a\"}}", "SET l[0] = :v", NULL, "{\":v\":{\"S\":\"d\"}}"),
                 "The document path provided in the update expression is invalid for update");
    CHECK_EQ_STR(upd(three, "SET l[7].x = :v", NULL, "{\":v\":{\"S\":\"d\"}}"),
                 "The document path provided in the update expression is invalid for update");
    arena_release(&A);
}

TEST(ddb_expr_update_add_delete_remove) {
    arena_init(&A);
    CHECK_EQ_STR(upd("{\"n\":{\"N\":\"5\"}}", "ADD n :d, c :d", NULL, "{\":d\":{\"N\":\"-7\"}}"),
                 "{\"n\":{\"N\":\"-2\"},\"c\":{\"N\":\"-7\"}}");
    CHECK_EQ_STR(upd("{\"s\":{\"SS\":[\"a\",\"b\"]}}", "ADD s :d", NULL, "{\":d\":{\"SS\":[\"b\",\"c\"]}}"),
                 "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}");
    CHECK_EQ_STR(upd("{\"s\":{\"NS\":[\"1\"]}}", "ADD s :d", NULL, "{\":d\":{\"NS\":[\"1.0\",\"2\"]}}"),
                 "{\"s\":{\"NS\":[\"1\",\"2\"]}}");
    CHECK_EQ_STR(upd("{\"s\":{\"SS\":[\"a\"]}}", "ADD s :d", NULL, "{\":d\":{\"NS\":[\"1\"]}}"),
                 "An operand in the update expression has an incorrect data type");
    CHECK_EQ_STR(upd(NULL, "ADD s :d", NULL, "{\":d\":{\"S\":\"x\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
    CHECK_EQ_STR(upd(NULL, "DELETE s :d", NULL, "{\":d\":{\"N\":\"1\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER");
    /* B07: a set emptied by DELETE disappears; missing values are fine */
    CHECK_EQ_STR(upd("{\"tags\":{\"SS\":[\"x\"]},\"o\":{\"S\":\"keep\"}}", "DELETE tags :d", NULL,
                     "{\":d\":{\"SS\":[\"x\"]}}"),
                 "{\"o\":{\"S\":\"keep\"}}");
    CHECK_EQ_STR(upd("{\"tags\":{\"SS\":[\"x\",\"y\"]}}", "DELETE tags :d", NULL,
                     "{\":d\":{\"SS\":[\"x\",\"not-there\"]}}"),
                 "{\"tags\":{\"SS\":[\"y\"]}}");
    CHECK_EQ_STR(upd("{\"a\":{\"S\":\"x\"}}", "DELETE tags :d", NULL, "{\":d\":{\"SS\":[\"x\"]}}"),
                 "{\"a\":{\"S\":\"x\"}}");
    CHECK_EQ_STR(upd("{\"a\":{\"S\":\"x\"},\"m\":{\"M\":{\"p\":{\"N\":\"1\"},\"q\":{\"N\":\"2\"}}}}",
                     "REMOVE a, m.p, nope", NULL, NULL),
                 "{\"m\":{\"M\":{\"q\":{\"N\":\"2\"}}}}");
    CHECK_EQ_STR(upd("{\"n\":{\"N\":\"5\"}}", "SET a = :v ADD n :d REMOVE b DELETE s :s", NULL,
                     "{\":v\":{\"S\":\"x\"},\":d\":{\"N\":\"1\"},\":s\":{\"SS\":[\"q\"]}}"),
                 "{\"n\":{\"N\":\"6\"},\"a\":{\"S\":\"x\"}}");
    arena_release(&A);
}

TEST(ddb_expr_update_errors) {
    arena_init(&A);
    const char *v = "{\":a\":{\"S\":\"p\"},\":b\":{\"S\":\"q\"}}";
    CHECK_EQ_STR(upd(NULL, "SET f = :a, f = :b", NULL, v),
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [f], path two: [f]");
    CHECK_EQ_STR(upd(NULL, "SET m.a = :a REMOVE m", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, a], path two: [m]");
    CHECK_EQ_STR(upd(NULL, "REMOVE a SET a.b = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
    CHECK_EQ_STR(upd(NULL, "SET a[0] = :a, a.b = :b", NULL, v),
                 "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]");
    CHECK_EQ_STR(upd(NULL, "SET a = :a SET b = :b", NULL, v),
                 "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
    CHECK_EQ_STR(upd(NULL, "SET a = :a + :b + :a", NULL, v),
                 "Invalid UpdateExpression: Syntax error; token: \"+\", near: \":b + :a\"");
    CHECK_EQ_STR(upd(NULL, "SET a = :a, REMOVE b", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "Invalid UpdateExpression: Syntax error; token: \"REMOVE\", near: \", REMOVE b\"");
    CHECK_EQ_STR(upd(NULL, "SET size = :a", NULL, "{\":a\":{\"S\":\"p\"}}"),
                 "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size");
    CHECK_EQ_STR(upd(NULL, "SET a = :a", NULL, v),
                 "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}");
    CHECK_EQ_STR(upd(NULL, "SET #a = :a", NULL, v),
                 "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a");
    CHECK_EQ_STR(upd(NULL, "SET a = :e", NULL, "{\":e\":{\"NS\":[]}}"),
                 "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  may not be empty for key :e");
    CHECK_EQ_STR(upd(NULL, "SET a = :e", NULL, "{\":e\":{\"N\":\"1E126\"}}"),
                 "ExpressionAttributeValues contains invalid value: Number overflow. Attempting to store a number with magnitude larger than supported range for key :e");
    CHECK_EQ_STR(upd(NULL, "SET a", NULL, NULL),
                 "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\"");
    arena_release(&A);
}

TEST(ddb_expr_update_attrs) {
    arena_init(&A);
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_update_t *u;
    const char *e = "SET a.b = :v, c = :v REMOVE a.d, e ADD c2 :n";
    CHECK(ddb_expr_ctx_new(&A, NULL, js("{\":v\":{\"S\":\"x\"},\":n\":{\"N\":\"1\"}}"), &ctx, &err) == 0);
    CHECK(ddb_expr_parse_update(ctx, e, strlen(e), &u, &err) == 0);
    CHECK_EQ_INT(ddb_update_n_attrs(u), 4);
    size_t len;
    const char *name = ddb_update_attr(u, 0, &len);
    CHECK(len == 1 && strncmp(name, "a", len) == 0);
    name = ddb_update_attr(u, 3, &len);
    CHECK(len == 2 && strncmp(name, "c2", len) == 0);
    json_t *old = js("{\"a\":{\"M\":{\"b\":{\"S\":\"old\"},\"d\":{\"S\":\"gone\"},\"k\":{\"S\":\"keep\"}}},\"z\":{\"S\":\"z\"}}");
    json_t *nw;
    CHECK(ddb_update_apply(u, &A, old, &nw, &err) == 0);
    CHECK_EQ_STR(json_to_str(&A, ddb_update_changed(u, &A, old)),
                 "{\"a\":{\"M\":{\"b\":{\"S\":\"old\"},\"d\":{\"S\":\"gone\"}}}}");
    CHECK_EQ_STR(json_to_str(&A, ddb_update_changed(u, &A, nw)),
                 "{\"a\":{\"M\":{\"b\":{\"S\":\"x\"}}},\"c\":{\"S\":\"x\"},\"c2\":{\"N\":\"1\"}}");
    arena_release(&A);
}

TEST(ddb_expr_projection) {
    arena_init(&A);
    CHECK_EQ_STR(proj(ITEM, "pk, n", NULL), "{\"pk\":{\"S\":\"k1\"},\"n\":{\"N\":\"5\"}}");
    CHECK_EQ_STR(proj(ITEM, "m.b.c, nope", NULL), "{\"m\":{\"M\":{\"b\":{\"M\":{\"c\":{\"S\":\"z\"}}}}}}");
    CHECK_EQ_STR(proj(ITEM, "l[2].q, l[0], l[7]", NULL),
                 "{\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"q\":{\"S\":\"deep\"}}}]}}");
    CHECK_EQ_STR(proj(ITEM, "m.zz, #s", "{\"#s\":\"s\"}"), "{\"s\":{\"S\":\"hello\"}}");
    CHECK_EQ_STR(proj(ITEM, "n.x, l.y", NULL), "{}");
    CHECK_EQ_STR(proj(ITEM, "m, m.a", NULL),
                 "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, a]");
    CHECK_EQ_STR(proj(ITEM, "pk, pk", NULL),
                 "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [pk], path two: [pk]");
    CHECK_EQ_STR(proj(ITEM, "name", NULL),
                 "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name");
    CHECK_EQ_STR(proj(ITEM, "a,", NULL),
                 "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
    arena_release(&A);
}

static const char *keyc(const char *expr, const char *names, const char *values,
                        const char *range) {
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *c;
    ddb_key_cond_t k;
    if (ddb_expr_ctx_new(&A, js(names), js(values), &ctx, &err) < 0 ||
        ddb_expr_parse_cond(ctx, DDB_EXPR_KEY_CONDITION, expr, strlen(expr), &c, &err) < 0 ||
        ddb_cond_key_parts(c, "pk", range, &k, &err) < 0)
        return fail(&err);
    snprintf(result, sizeof result, "pk=%s op=%d v1=%s v2=%s", json_to_str(&A, k.pk_value),
             (int)k.sk_op, k.sk_v1 ? json_to_str(&A, k.sk_v1) : "-",
             k.sk_v2 ? json_to_str(&A, k.sk_v2) : "-");
    return result;
}

TEST(ddb_expr_key_condition) {
    arena_init(&A);
    const char *v = "{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"1\"},\":b\":{\"N\":\"2\"}}";
    CHECK_EQ_STR(keyc("pk = :p", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"), "pk={\"S\":\"p\"} op=0 v1=- v2=-");
    CHECK_EQ_STR(keyc("pk = :p AND sk BETWEEN :a AND :b", NULL, v, "sk"),
                 "pk={\"S\":\"p\"} op=6 v1={\"N\":\"1\"} v2={\"N\":\"2\"}");
    CHECK_EQ_STR(keyc("#k = :a AND pk = :p", "{\"#k\":\"sk\"}", "{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"1\"}}", "sk"),
                 "pk={\"S\":\"p\"} op=1 v1={\"N\":\"1\"} v2=-");
    CHECK_EQ_STR(keyc("pk = :p AND begins_with(sk, :p)", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"),
                 "pk={\"S\":\"p\"} op=7 v1={\"S\":\"p\"} v2=-");
    CHECK_EQ_STR(keyc("sk = :p", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"),
                 "Query condition missed key schema element: pk");
    CHECK_EQ_STR(keyc("pk = :p OR sk = :p", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"),
                 "Invalid operator used in KeyConditionExpression: OR");
    CHECK_EQ_STR(keyc(":p = pk AND :a < sk", NULL, "{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"1\"}}", "sk"),
                 "pk={\"S\":\"p\"} op=4 v1={\"N\":\"1\"} v2=-");
    static const char *const kc[][2] = {
        {"a > b and size(b) > c or a > c", "Invalid operator used in KeyConditionExpression: OR"},
        {"a in (b, size(c), d)", "Invalid operator used in KeyConditionExpression: IN"},
        {"attribute_exists(a)", "Invalid operator used in KeyConditionExpression: attribute_exists"},
        {"contains(a.d, b)", "Invalid operator used in KeyConditionExpression: contains"},
        {"not a > b", "Invalid operator used in KeyConditionExpression: NOT"},
        {"a <> b", "Invalid operator used in KeyConditionExpression: <>"},
        {"size(b) > a AND a.b > b AND b > c", "KeyConditionExpressions cannot contain nested operations"},
        {"a > size(b.d)", "KeyConditionExpressions cannot contain nested operations"},
        {"a between size(b) and size(a)", "KeyConditionExpressions cannot contain nested operations"},
        {"b > a.b", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
        {"b between c[1] and d", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
        {"a between b and size(a)", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
        {"begins_with(a, b)", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
        {"b.d > a AND c.d > e.f", "KeyConditionExpressions cannot have conditions on nested attributes"},
        {"b[0] > a", "KeyConditionExpressions cannot have conditions on nested attributes"},
        {":b > :a AND pk < :b", "Invalid condition in KeyConditionExpression: No key attribute specified"},
        {":a between size(b) and size(a) and b > :b", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
        {"begins_with(:a, b) and a > :b", "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
        {"b > :a AND b < :a and c = :a and d = :a", "KeyConditionExpressions must only contain one condition per key"},
        {"(a > :a and b > :a) and (c > :a and d > :a) and (e > :a and f > :a)", "Conditions can be of length 1 or 2 only"},
        {"z = :a", "Query condition missed key schema element: pk"},
        {"pk = :a AND z = :b", "Query condition missed key schema element: sk"},
    };
    for (size_t i = 0; i < sizeof kc / sizeof kc[0]; i++) {
        skip_unused = true;
        CHECK_EQ_STR(keyc(kc[i][0], NULL, "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"1\"}}", "sk"), kc[i][1]);
        skip_unused = false;
    }
    CHECK_EQ_STR(keyc("pk = :p AND pk = :p", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"),
                 "KeyConditionExpressions must only contain one condition per key");
    CHECK_EQ_STR(keyc("pk < :p", NULL, "{\":p\":{\"S\":\"p\"}}", "sk"), "Query key condition not supported");
    arena_release(&A);
}

/* Facts recorded against DynamoDB (dynalite's and Alternator's suites):
 * which error wins when an expression has several. */
static const char *filt(const char *expr, const char *names, const char *values) {
    skip_unused = true;
    const char *r = cond_k(DDB_EXPR_FILTER, NULL, expr, names, values);
    skip_unused = false;
    return r;
}

TEST(ddb_expr_cond_error_order) {
    arena_init(&A);
    static const char *const syntax[] = {
        "things are not gonna be ok", "a > 4", "attribute_exists(Pictures-RearView)",
        "attribute_exists(\"Pictures.RearView\")", "attribute_exists(Pictures..RearView)",
        "attribute_exists(Pi#ctures.RearView)", "attribute_exists(asdf[a])", "a in b, c",
        "a > between", "a in b", "a in (b,c,)", "(a)between(b.(c.d))and(c)",
        "(a)between(b.c.d)and((c)", "#$.b > a", "a > :things.stuff", "b[:a] > a",
        "b[#_] > a", "\xc3\xbc > a", "(a)between(b.c[4.5].#d)and(:a)", "size(a).b > a",
        "(size(a)).b > a", "size(a)[0] > a", "(size(a))[0] > a", "_a > b",
    };
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        const char *r = filt(syntax[i], NULL, NULL);
        static const char pre[] = "Invalid FilterExpression: Syntax error; ";
        if (strncmp(r, pre, sizeof pre - 1) != 0)
            test_fail(__FILE__, __LINE__, "%s -> %s", syntax[i], r);
    }
    static const char *const parens[] = {
        "a=a and a > ((views))", "(a)between(((b.c)).d)and(c)", "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a", "a=a OR ((a=a OR (a=a OR a=a)))",
    };
    for (size_t i = 0; i < sizeof parens / sizeof parens[0]; i++)
        CHECK_EQ_STR(filt(parens[i], NULL, NULL),
                     "Invalid FilterExpression: The expression has redundant parentheses;");
    CHECK_EQ_STR(filt("a=a and whatever((:things)) > a", NULL, NULL),
                 "Invalid FilterExpression: Invalid function name; function: whatever");
    CHECK_EQ_STR(filt("attRIbute_exIsts((views), #a)", NULL, NULL),
                 "Invalid FilterExpression: Invalid function name; function: attRIbute_exIsts");
    static const char *const misused[][2] = {
        {"a=a and attribute_exists((views), (#a)) > b", "attribute_exists"},
        {"attribute_not_exists(things) > b", "attribute_not_exists"},
        {"attribute_type(things, :a) > b", "attribute_type"},
        {"begins_with(things, a) > b", "begins_with"},
        {"contains(:things, c) > b", "contains"},
        {"size(contains(a, b)) > a", "contains"},
        {"size(things)", "size"},
        {"a between b and attribute_exists(things)", "attribute_exists"},
        {"a in (b, attribute_exists(things))", "attribute_exists"},
    };
    char want[512];
    for (size_t i = 0; i < sizeof misused / sizeof misused[0]; i++) {
        snprintf(want, sizeof want, "Invalid FilterExpression: The function is not allowed to be used this way in an expression; function: %s",
                 misused[i][1]);
        CHECK_EQ_STR(filt(misused[i][0], NULL, NULL), want);
    }
    CHECK_EQ_STR(filt("attribute_exists(views, #a)", NULL, NULL),
                 "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: views");
    CHECK_EQ_STR(filt(":a < abOrT", NULL, NULL),
                 "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: abOrT");
    CHECK_EQ_STR(filt("attribute_exists(#Pictures.RearView, :a) and a=a", NULL, NULL),
                 "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #Pictures");
    CHECK_EQ_STR(filt("(a)between(b.c[45].#d)and(:a)", NULL, NULL),
                 "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #d");
    CHECK_EQ_STR(filt("begins_with(:hello, #a, #b)", NULL, NULL),
                 "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :hello");
    CHECK_EQ_STR(filt("attribute_exists(things, a) and a=a", NULL, NULL),
                 "Invalid FilterExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2");
    CHECK_EQ_STR(filt("begins_with(things, size(a), b)", NULL, NULL),
                 "Invalid FilterExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3");
    CHECK_EQ_STR(filt("size(things, a) > b", NULL, NULL),
                 "Invalid FilterExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2");
    const char *n1 = "{\":a\":{\"N\":\"1\"}}";
    CHECK_EQ_STR(filt("attribute_type(a, size(a)) and a=a and a=:a", NULL, n1),
                 "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N");
    CHECK_EQ_STR(filt("begins_with(:a, a)", NULL, "{\":a\":{\"BOOL\":true}}"),
                 "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL");
    CHECK_EQ_STR(filt("size(size(a)) > :a", NULL, n1),
                 "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N");
    CHECK_EQ_STR(filt("attribute_not_exists(size(:a))", NULL, n1),
                 "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N");
    CHECK_EQ_STR(filt("attribute_not_exists(size(:a))", NULL, "{\":a\":{\"S\":\"1\"}}"),
                 "Invalid FilterExpression: Operator or function requires a document path; operator or function: attribute_not_exists");
    CHECK_EQ_STR(filt("size(:a) > a", NULL, "{\":a\":{\"NULL\":true}}"),
                 "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: size, operand type: NULL");
    const char *na = "{\"#a\":\"a\"}";
    CHECK_EQ_STR(filt("a = a AND #a = b AND :views > a", na, NULL),
                 "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
    CHECK_EQ_STR(filt("#a <> a", na, NULL),
                 "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a]");
    CHECK_EQ_STR(filt("((a=a) OR (a=a))", na, NULL),
                 "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
    CHECK_EQ_STR(filt("contains(ab.bc[1].a, ab.bc[1].#a)", na, NULL),
                 "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [ab, bc, [1], a]");
    CHECK_EQ_STR(filt("a between :b and :a", NULL, "{\":a\":{\"S\":\"a\"},\":b\":{\"N\":\"1\"}}"),
                 "Invalid FilterExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}");
    CHECK_EQ_STR(filt("a between :b and :a", NULL, "{\":a\":{\"S\":\"a\"},\":b\":{\"S\":\"b\"}}"),
                 "Invalid FilterExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}");
    CHECK_EQ_STR(filt(":a > :a", NULL, n1), "F");
    CHECK_EQ_STR(cond(ITEM, "size(:s) = :n", NULL, "{\":s\":{\"S\":\"abc\"},\":n\":{\"N\":\"3\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "(n)between(:a)and(:b)", NULL, "{\":a\":{\"N\":\"1\"},\":b\":{\"N\":\"9\"}}"), "T");
    CHECK_EQ_STR(cond(ITEM, "attribute_exists((n))", NULL, NULL), "T");
    arena_release(&A);
}

static const char *upd_nc(const char *item, const char *expr, const char *names,
                          const char *values) {
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_update_t *u;
    if (ddb_expr_ctx_new(&A, js(names), js(values), &ctx, &err) < 0 ||
        ddb_expr_parse_update(ctx, expr, strlen(expr), &u, &err) < 0)
        return fail(&err);
    json_t *out;
    if (ddb_update_apply(u, &A, js(item), &out, &err) < 0)
        return fail(&err);
    snprintf(result, sizeof result, "%s", json_to_str(&A, out));
    return result;
}

TEST(ddb_expr_update_error_order) {
    arena_init(&A);
    static const char *const syntax[] = {
        "whatever", "set a", "add a", "delete a", "set a=set", "remove a = b", "add a = b",
        "delete a = b", "delete a b", "delete a if_not_exist(b)", "add abort b",
        "add a if_not_exist(b)", "remove a b", "set a b", "set :a = b", "add :a b",
        "delete :a b", "remove :a", "set a = b / c", "set a = b * c", "set a[1] = \"eight\"",
        "set a[1] = 1", "SET a = if_not_exist(a, 100)", "SET if_not_exist(a, b) = a",
        "set (a = (b + c))", "set a = (b.c).d + e", "set a = (b.c)[0] + e", "set a = b + c + d",
        "SET c = if_not_exists(c, :val1+:val2)", "SET a = _f(b,c,d)", "SET a[:xyz] = :v",
        "SET a[#xyz] = :v",
    };
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        const char *r = upd_nc(NULL, syntax[i], NULL, NULL);
        static const char pre[] = "Invalid UpdateExpression: Syntax error; ";
        if (strncmp(r, pre, sizeof pre - 1) != 0)
            test_fail(__FILE__, __LINE__, "%s -> %s", syntax[i], r);
    }
    const char *ab = "{\":a\":{\"S\":\"a\"},\":b\":{\"S\":\"a\"}}";
    const char *nab = "{\"#a\":\"a\",\"#b\":\"b\"}";
    CHECK_EQ_STR(upd_nc(NULL, " set #c = :c set abOrt = true ", nab, ab),
                 "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt");
    CHECK_EQ_STR(upd_nc(NULL, "set #c = if_not_exist(:c) set c = d", nab, ab),
                 "Invalid UpdateExpression: Invalid function name; function: if_not_exist");
    CHECK_EQ_STR(upd_nc(NULL, "set a = #c set c = :d", nab, ab),
                 "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
    CHECK_EQ_STR(upd_nc(NULL, "remove #d set a = b remove e", nab, ab),
                 "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;");
    CHECK_EQ_STR(upd_nc(NULL, "SET #c = if_not_exists(:c)", nab, ab),
                 "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #c");
    CHECK_EQ_STR(upd_nc(NULL, "SET #a = if_not_exists(:c)", nab, ab),
                 "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :c");
    const char *n3 = "{\"#c\":\"c\",\"#d\":\"[3]\"}";
    CHECK_EQ_STR(upd_nc(NULL, "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", n3, NULL),
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]");
    CHECK_EQ_STR(upd_nc(NULL, "set #c[3].#d = a, #c[3] = a", n3, NULL),
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]");
    CHECK_EQ_STR(upd_nc(NULL, "set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", n3, NULL),
                 "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3], [3]]");
    CHECK_EQ_STR(upd_nc(NULL, "remove a.#c set a[1] = #d", n3, NULL),
                 "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]");
    CHECK_EQ_STR(upd_nc(NULL, "set b = list_append(:a, a), c = if_not_exists(a) add a.b :a", NULL, ab),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
    CHECK_EQ_STR(upd_nc(NULL, "add a.b :a", NULL, "{\":a\":{\"M\":{}}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: MAP");
    CHECK_EQ_STR(upd_nc(NULL, "set a = if_not_exists(if_not_exists(a, b), c)", NULL, NULL),
                 "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists");
    CHECK_EQ_STR(upd_nc(NULL, "set a = list_append(a, :b)", NULL, "{\":b\":{\"N\":\"1\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N");
    CHECK_EQ_STR(upd_nc(NULL, "set a = :c - a", NULL, "{\":c\":{\"B\":\"YQ==\"}}"),
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: B");
    CHECK_EQ_STR(upd_nc(NULL, "SET a = list_append(list_append(:a, :b), :a)", NULL,
                        "{\":a\":{\"L\":[]},\":b\":{\"L\":[]}}"),
                 "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append");
    CHECK_EQ_STR(upd_nc(NULL, "SET a = LIST_APPEND(:a, :b)", NULL, "{\":a\":{\"L\":[]},\":b\":{\"L\":[]}}"),
                 "Invalid UpdateExpression: Invalid function name; function: LIST_APPEND");
    /* values and semantics */
    CHECK_EQ_STR(upd_nc("{\"b\":{\"N\":\"2\"},\"c\":{\"N\":\"3\"}}", "set a = (b + c)", NULL, NULL),
                 "{\"b\":{\"N\":\"2\"},\"c\":{\"N\":\"3\"},\"a\":{\"N\":\"5\"}}");
    CHECK_EQ_STR(upd_nc(NULL, "SET b = if_not_exists(b, :one)+:two", NULL,
                        "{\":one\":{\"N\":\"2\"},\":two\":{\"N\":\"3\"}}"),
                 "{\"b\":{\"N\":\"5\"}}");
    const char *six = "{\"a\":{\"L\":[{\"N\":\"2\"},{\"N\":\"3\"},{\"N\":\"4\"},{\"N\":\"5\"},{\"N\":\"6\"},{\"N\":\"7\"}]}}";
    const char *six_out = "{\"a\":{\"L\":[{\"N\":\"2\"},{\"N\":\"4\"},{\"N\":\"17\"},{\"N\":\"6\"},{\"N\":\"7\"}]}}";
    CHECK_EQ_STR(upd_nc(six, "REMOVE a[1] SET a[3] = :val", NULL, "{\":val\":{\"N\":\"17\"}}"), six_out);
    CHECK_EQ_STR(upd_nc(six, "SET a[3] = :val REMOVE a[1]", NULL, "{\":val\":{\"N\":\"17\"}}"), six_out);
    const char *deep = "{\"a\":{\"M\":{\"b\":{\"N\":\"3\"},\"c\":{\"L\":[{\"S\":\"hi\"},{\"M\":{\"x\":{\"M\":{\"y\":{\"L\":[{\"N\":\"3\"},{\"N\":\"5\"},{\"N\":\"7\"}]}}},\"q\":{\"N\":\"2\"}}}]}}}}";
    CHECK_EQ_STR(upd_nc(deep, "SET a.c[1].#name.y[1] = :v", "{\"#name\":\"x\"}", "{\":v\":{\"N\":\"9\"}}"),
                 "{\"a\":{\"M\":{\"b\":{\"N\":\"3\"},\"c\":{\"L\":[{\"S\":\"hi\"},{\"M\":{\"x\":{\"M\":{\"y\":{\"L\":[{\"N\":\"3\"},{\"N\":\"9\"},{\"N\":\"7\"}]}}},\"q\":{\"N\":\"2\"}}}]}}}}");
    CHECK_EQ_STR(upd_nc(deep, "REMOVE a.c[1].x.y[1], a.c[1].q", NULL, NULL),
                 "{\"a\":{\"M\":{\"b\":{\"N\":\"3\"},\"c\":{\"L\":[{\"S\":\"hi\"},{\"M\":{\"x\":{\"M\":{\"y\":{\"L\":[{\"N\":\"3\"},{\"N\":\"7\"}]}}}}}]}}}}");
    CHECK_EQ_STR(upd_nc("{\"a\":{\"S\":\"x\"}}", "SET #a = :v", "{\"#a\":\"a.b\"}", "{\":v\":{\"N\":\"3\"}}"),
                 "{\"a\":{\"S\":\"x\"},\"a.b\":{\"N\":\"3\"}}");
    /* the document path must exist for every action kind (dynalite) */
    const char *it = "{\"b\":{\"S\":\"s\"},\"c\":{\"M\":{\"1\":{\"S\":\"a\"}}},\"d\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"}]}}";
    static const char *const bad_paths[] = {
        "set b.a = :a", "set b[1] = :a", "set y.a = :a", "set y[1] = :a", "set c[1] = :a",
        "set d.#1 = :a", "remove b.a", "remove b[1]", "remove y.a", "remove y[1]", "remove c[1]",
        "remove d.#1", "delete b.a :a", "delete y[1] :a", "delete c[1] :a", "delete d.#1 :a",
        "add b.a :a", "add y.a :a", "add c[1] :a", "add d.#1 :a",
    };
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        const char *r = upd_nc(it, bad_paths[i], "{\"#1\":\"1\"}", "{\":a\":{\"SS\":[\"a\"]}}");
        if (strcmp(r, "The document path provided in the update expression is invalid for update") != 0)
            test_fail(__FILE__, __LINE__, "%s -> %s", bad_paths[i], r);
    }
    arena_release(&A);
}

/* Random token soup through every parser and evaluator: no crash, no
 * sanitizer report, and every failure is a ValidationException. */
TEST(ddb_expr_random_robust) {
    static const char *const vocab[] = {
        "a", "b", "m", "l", "#n", "#m", ":v", ":w", ":l", ":s", "(", ")", "[", "]", "[0]",
        "[1]", "[7]", ".", ",", "=", "<>", "<", "<=", ">", ">=", "+", "-", "AND", "OR", "NOT",
        "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE", "size", "contains", "begins_with",
        "attribute_exists", "attribute_not_exists", "attribute_type", "list_append",
        "if_not_exists", "status", "1", "#", ":", "\"", "((", "))",
    };
    const char *item = "{\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"x\"},\"m\":{\"M\":{\"a\":{\"L\":[{\"N\":\"1\"}]}}},"
                       "\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{}}]},\"s\":{\"SS\":[\"q\"]}}";
    const char *names = "{\"#n\":\"a\",\"#m\":\"m\"}";
    const char *values = "{\":v\":{\"N\":\"2\"},\":w\":{\"S\":\"x\"},\":l\":{\"L\":[]},\":s\":{\"SS\":[\"q\",\"r\"]}}";
    uint32_t seed = 12345;
    int n_ok = 0;
    for (int iter = 0; iter < 4000; iter++) {
        arena_init(&A);
        char expr[512] = "";
        seed = seed * 1103515245u + 12345u;
        int n = 1 + (int)((seed >> 16) % 12);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            strcat(expr, vocab[(seed >> 16) % (sizeof vocab / sizeof vocab[0])]);
            strcat(expr, (seed & 0x100) ? " " : "");
        }
        sw_error_t err;
        ddb_expr_ctx_t *ctx;
        CHECK(ddb_expr_ctx_new(&A, js(names), js(values), &ctx, &err) == 0);
        json_t *it = js(item), *out;
        ddb_cond_t *c;
        ddb_update_t *u;
        ddb_proj_t *p;
        bool t;
        if (ddb_expr_parse_cond(ctx, DDB_EXPR_CONDITION, expr, strlen(expr), &c, &err) == 0) {
            CHECK(ddb_cond_eval(c, &A, it, &t, &err) == 0);
            CHECK(ddb_cond_eval(c, &A, NULL, &t, &err) == 0);
            n_ok++;
        } else {
            CHECK_EQ_STR(err.type, "ValidationException");
        }
        if (ddb_expr_parse_update(ctx, expr, strlen(expr), &u, &err) == 0) {
            if (ddb_update_apply(u, &A, it, &out, &err) == 0)
                ddb_update_changed(u, &A, out);
            else
                CHECK_EQ_STR(err.type, "ValidationException");
            n_ok++;
        } else {
            CHECK_EQ_STR(err.type, "ValidationException");
        }
        if (ddb_expr_parse_proj(ctx, expr, strlen(expr), &p, &err) == 0) {
            ddb_proj_apply(p, &A, it);
            n_ok++;
        }
        arena_release(&A);
    }
    CHECK(n_ok > 50);
}

TEST(ddb_expr_cond_uses_attr) {
    arena_init(&A);
    sw_error_t err;
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *c;
    const char *e = "a.b = :v OR NOT (size(#k) > :v AND x IN (:v, y[2]))";
    CHECK(ddb_expr_ctx_new(&A, js("{\"#k\":\"pk\"}"), js("{\":v\":{\"N\":\"1\"}}"), &ctx, &err) == 0);
    CHECK(ddb_expr_parse_cond(ctx, DDB_EXPR_FILTER, e, strlen(e), &c, &err) == 0);
    CHECK(ddb_cond_uses_attr(c, "pk", 2));
    CHECK(ddb_cond_uses_attr(c, "a", 1));
    CHECK(ddb_cond_uses_attr(c, "y", 1));
    CHECK(!ddb_cond_uses_attr(c, "b", 1));
    CHECK(!ddb_cond_uses_attr(c, "sk", 2));
    arena_release(&A);
}
