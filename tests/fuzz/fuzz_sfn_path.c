/* fuzz_sfn_path.c - libFuzzer target for ASL data processing (sfn/path.h):
 * JSONPath (reference and full syntax), ResultPath placement, single
 * path-or-intrinsic expressions, payload templates and so the intrinsic
 * function parser and evaluator.
 *
 * The whole input is one text. It is compiled as a reference path, a full
 * path, an expression, and as the template {"x.$": <input>, "y": [{"z.$":
 * <input>}]}; whatever compiles is evaluated against a fixed input and
 * context object. Never crashes or leaks; evaluation never modifies the
 * input; a reference path compiles as a full path too and finds the same
 * node; ResultPath placement of a reference path puts the value where the
 * path then finds it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sfn/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char INPUT[] =
    "{\"a\":{\"b\":[{\"c\":1},{\"c\":\"x\"},[]]},\"items\":[{\"n\":\"a\",\"x\":1},"
    "{\"n\":\"b\",\"x\":3},{\"n\":\"c\"},{\"x\":null}],\"o\":{\"p\":1,\"q\":2},"
    "\"s\":\"a-b-c\",\"arr\":[1,2,2,\"x\",1.5],\"name\":\"n\",\"num\":3.5,"
    "\"big\":1e300,\"neg\":-2,\"t\":true,\"nul\":null,\"str\":\"{\\\"k\\\":[1]}\","
    "\"b64\":\"aGVsbG8=\",\"m1\":{\"a\":{\"b\":1}},\"m2\":{\"a\":{\"c\":2}},"
    "\"a b\":{\"c\":0},\"empty\":[],\"eo\":{},\"u\":\"\\u00e9\\u4e2d\"}";
static const char CONTEXT[] =
    "{\"Execution\":{\"Id\":\"arn:aws:states:us-east-1:1:execution:m:e\","
    "\"Input\":{\"k\":1},\"Name\":\"e\",\"StartTime\":\"2024-01-01T00:00:00Z\"},"
    "\"State\":{\"Name\":\"S\",\"EnteredTime\":\"2024-01-01T00:00:00Z\"},"
    "\"Map\":{\"Item\":{\"Index\":0,\"Value\":{\"v\":1}}}}";

static json_t *parse_fixed(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        abort();
    return v;
}

static void run_path(arena_t *a, const char *text, size_t len, bool is_ref,
                     const json_t *input, const json_t *ctx) {
    sw_error_t err;
    sfn_path_t *p;
    if (sfn_path_compile(a, text, len, is_ref, &p, &err) < 0)
        return;
    if (!sfn_path_text(p))
        abort();
    json_t *out;
    sfn_path_eval(a, p, input, ctx, &out);
    if (!is_ref || sfn_path_is_context(p))
        return;
    json_t *value = json_new_strz(a, "VALUE"), *placed;
    if (sfn_path_set(a, p, input, value, &placed, &err) == 0) {
        if (!sfn_path_eval(a, p, placed, ctx, &out) || !json_equal(out, value))
            abort();
    }
    sfn_path_set(a, p, value, value, &placed, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *input = parse_fixed(&a, INPUT), *ctx = parse_fixed(&a, CONTEXT);
    char *before = json_to_str(&a, input);
    /* The text is copied so ASan sees reads past its end. */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);

    run_path(&a, text, size, true, input, ctx);
    run_path(&a, text, size, false, input, ctx);

    /* A Reference Path is also a Path, and both find the same node. */
    sfn_path_t *rp, *fp;
    if (sfn_path_compile(&a, text, size, true, &rp, &err) == 0) {
        if (sfn_path_compile(&a, text, size, false, &fp, &err) != 0)
            abort();
        json_t *r_out, *f_out;
        bool r_found = sfn_path_eval(&a, rp, input, ctx, &r_out);
        bool f_found = sfn_path_eval(&a, fp, input, ctx, &f_out);
        if (r_found != f_found || (r_found && !json_equal(r_out, f_out)))
            abort();
    }

    for (int is_ref = 0; is_ref < 2; is_ref++) {
        sfn_expr_t *e;
        json_t *out;
        if (sfn_expr_compile(&a, text, size, is_ref, &e, &err) == 0) {
            sfn_expr_path(e);
            sfn_expr_eval(&a, e, input, ctx, "ErrorPath", &out, &err);
        }
    }

    /* The template as a definition holds it: parsed from JSON text, so
     * only valid UTF-8 gets this far. */
    sw_buf_t b;
    buf_init(&b, &a, (size_t)1 << 20);
    buf_puts(&b, "{\"x.$\":");
    json_print_str(&b, text, size);
    buf_puts(&b, ",\"y\":[{\"lit\":\"$.a\",\"z.$\":");
    json_print_str(&b, text, size);
    buf_puts(&b, "}]}");
    json_t *tmpl = json_parse(&a, b.ptr, b.len, &err);
    sfn_template_t *t;
    if (tmpl && sfn_template_compile(&a, tmpl, &t, &err) == 0) {
        json_t *out;
        if (sfn_template_eval(&a, t, input, ctx, &out, &err) == 0) {
            if (!json_is_obj(out) || !json_obj_get(out, "x"))
                abort();
            /* The result is well-formed JSON. */
            char *s = json_to_str(&a, out);
            if (!json_parse(&a, s, strlen(s), &err))
                abort();
        }
    }

    if (strcmp(before, json_to_str(&a, input)) != 0)
        abort();
    free(text);
    arena_release(&a);
    return 0;
}
