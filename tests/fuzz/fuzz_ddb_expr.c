/* fuzz_ddb_expr.c - libFuzzer target for DynamoDB expressions (ddb/expr.h):
 * the lexer, the three grammars and the evaluator.
 *
 * Input: the first byte picks the kind (below), the rest is the expression
 * text. ExpressionAttributeNames #a..#e and Values :a..:j are fixed, of
 * every AttributeValue type (and numbers at the edges of the range, so
 * arithmetic can overflow). An expression that parses is evaluated against
 * a fixed item and against a missing item. Never crashes or leaks; the
 * input item is never modified; an update's result is a valid, canonical
 * item (what UpdateItem would store). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "ddb/ddb_int.h"
#include "ddb/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char NAMES[] =
    "{\"#a\":\"a\",\"#b\":\"m\",\"#c\":\"l\",\"#d\":\"pk\",\"#e\":\"a.b\"}";
static const char VALUES[] =
    "{\":a\":{\"N\":\"1\"},\":b\":{\"S\":\"x\"},\":c\":{\"SS\":[\"x\",\"y\"]},"
    "\":d\":{\"L\":[{\"N\":\"2\"},{\"S\":\"t\"}]},\":e\":{\"M\":{\"a\":{\"N\":\"3\"}}},"
    "\":f\":{\"NS\":[\"1\",\"2.5\"]},\":g\":{\"B\":\"AQI=\"},\":h\":{\"BOOL\":true},"
    "\":i\":{\"NULL\":true},\":j\":{\"N\":\"9.9999999999999999999999999999999999999E+125\"},"
    "\":k\":{\"N\":\"-1E-130\"},\":l\":{\"BS\":[\"AQ==\"]},\":m\":{\"S\":\"\"}}";
static const char ITEM[] =
    "{\"pk\":{\"S\":\"k\"},\"sk\":{\"N\":\"3\"},\"a\":{\"N\":\"5\"},\"b\":{\"S\":\"hello\"},"
    "\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"M\":{\"c\":{\"S\":\"z\"}}},"
    "\"l\":{\"L\":[{\"N\":\"0\"}]}}},"
    "\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"t\"},{\"L\":[]},{\"M\":{\"q\":{\"BOOL\":false}}}]},"
    "\"s\":{\"SS\":[\"x\",\"z\"]},\"n\":{\"NS\":[\"1\",\"-7\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"a.b\":{\"NULL\":true},\"big\":{\"N\":\"99999999999999999999999999999999999999\"}}";

static json_t *parse_fixed(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        abort();
    return v;
}

/* An item UpdateItem would store: valid, canonical, not too deep. */
static void check_item(arena_t *a, const json_t *item) {
    sw_error_t err;
    if (!json_is_obj(item))
        abort();
    json_t *canon = ddb__item_canon(a, item, &err);
    if (!canon) {
        if (strstr(err.msg, "Nesting Levels"))
            return;
        abort();
    }
    if (!json_equal(canon, item))
        abort();
}

static void run_cond(arena_t *a, ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                     const char *text, size_t len, const json_t *item) {
    sw_error_t err;
    ddb_cond_t *c;
    if (ddb_expr_parse_cond(ctx, kind, text, len, &c, &err) < 0)
        return;
    ddb_expr_ctx_check_unused(ctx, &err);
    bool t, t_missing;
    if (ddb_cond_eval(c, a, item, &t, &err) < 0 ||
        ddb_cond_eval(c, a, NULL, &t_missing, &err) < 0)
        abort();  /* evaluation never fails (expr.h) */
    /* Two-valued logic: NOT (c) is the negation of c, on any item. */
    char *neg = malloc(len + 6);
    memcpy(neg, "NOT (", 5);
    memcpy(neg + 5, text, len);
    neg[len + 5] = ')';
    ddb_cond_t *nc;
    if (kind != DDB_EXPR_KEY_CONDITION &&
        ddb_expr_parse_cond(ctx, kind, neg, len + 6, &nc, &err) == 0) {
        bool nt, nt_missing;
        if (ddb_cond_eval(nc, a, item, &nt, &err) < 0 ||
            ddb_cond_eval(nc, a, NULL, &nt_missing, &err) < 0)
            abort();
        if (nt == t || nt_missing == t_missing)
            abort();
    }
    free(neg);
    ddb_cond_uses_attr(c, "pk", 2);
    ddb_cond_uses_attr(c, "a.b", 3);
    if (kind == DDB_EXPR_KEY_CONDITION) {
        ddb_key_cond_t kc;
        ddb_cond_key_parts(c, "pk", "sk", &kc, &err);
        ddb_cond_key_parts(c, "pk", NULL, &kc, &err);
        ddb_cond_key_parts(c, "a", "l", &kc, &err);
    }
}

static void run_update(arena_t *a, ddb_expr_ctx_t *ctx, const char *text,
                       size_t len, const json_t *item) {
    sw_error_t err;
    ddb_update_t *u;
    if (ddb_expr_parse_update(ctx, text, len, &u, &err) < 0)
        return;
    ddb_expr_ctx_check_unused(ctx, &err);
    for (size_t i = 0; i < ddb_update_n_attrs(u); i++) {
        size_t n;
        const char *name = ddb_update_attr(u, i, &n);
        if (!name || n == 0)
            abort();
    }
    char *before = json_to_str(a, item);
    json_t *out;
    if (ddb_update_apply(u, a, item, &out, &err) == 0) {
        check_item(a, out);
        ddb_update_changed(u, a, item);
        ddb_update_changed(u, a, out);
    }
    if (strcmp(before, json_to_str(a, item)) != 0)
        abort();
    if (ddb_update_apply(u, a, NULL, &out, &err) == 0) {
        check_item(a, out);
        ddb_update_changed(u, a, out);
    }
}

static void run_proj(arena_t *a, ddb_expr_ctx_t *ctx, const char *text,
                     size_t len, const json_t *item) {
    sw_error_t err;
    ddb_proj_t *p;
    if (ddb_expr_parse_proj(ctx, text, len, &p, &err) < 0)
        return;
    ddb_expr_ctx_check_unused(ctx, &err);
    for (size_t i = 0; i < ddb_proj_n_attrs(p); i++) {
        size_t n;
        if (!ddb_proj_attr(p, i, &n))
            abort();
    }
    char *before = json_to_str(a, item);
    json_t *out = ddb_proj_apply(p, a, item);
    if (!json_is_obj(out))
        abort();
    /* A projection only keeps what the item has. */
    for (size_t i = 0; i < out->len; i++)
        if (!json_obj_getn(item, out->u.members[i].key, out->u.members[i].key_len))
            abort();
    if (strcmp(before, json_to_str(a, item)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *names = parse_fixed(&a, NAMES), *values = parse_fixed(&a, VALUES);
    json_t *item = parse_fixed(&a, ITEM);
    ddb_expr_ctx_t *ctx;
    if (ddb_expr_ctx_new(&a, names, values, &ctx, &err) < 0)
        abort();
    /* The text is copied so ASan sees reads past its end. */
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    size_t len = size - 1;
    switch (data[0] % 5) {
    case 0: run_cond(&a, ctx, DDB_EXPR_CONDITION, text, len, item); break;
    case 1: run_cond(&a, ctx, DDB_EXPR_FILTER, text, len, item); break;
    case 2: run_cond(&a, ctx, DDB_EXPR_KEY_CONDITION, text, len, item); break;
    case 3: run_update(&a, ctx, text, len, item); break;
    default: run_proj(&a, ctx, text, len, item); break;
    }
    free(text);
    arena_release(&a);
    return 0;
}
