/* fuzz_asl.c - libFuzzer target for the ASL parser and validator (sfn_validate,
 * asl.c, choice.c) and the pure state-transition code (step.c).
 *
 * The input is parsed as JSON. The first byte picks how it is used:
 *   even: the whole document is a state machine definition;
 *   odd:  it replaces state "X" of a fixed skeleton (reached from a Pass
 *         state, a Choice and a Parallel branch, with "Done" and "F" to
 *         go to), so mutations stay inside one state.
 * (The first byte is also part of the JSON: a leading space or '\t' works
 * for either.) Definitions that validate are compiled and every state is
 * stepped with fixed inputs (entry, a Task-like result, an error with
 * retry counts): never crashes or leaks, no execution, no store. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sfn/sfn.h"
#include "sfn/sfn_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SKELETON[] =
    "{\"StartAt\":\"A\",\"States\":{"
    "\"A\":{\"Type\":\"Pass\",\"Next\":\"C\"},"
    "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.k\",\"NumericEquals\":1,"
    "\"Next\":\"X\"}],\"Default\":\"P\"},"
    "\"P\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"X\",\"States\":{"
    "\"X\":null,\"Done\":{\"Type\":\"Succeed\"},\"F\":{\"Type\":\"Fail\"}}}],"
    "\"Next\":\"X\"},"
    "\"X\":null,"
    "\"Done\":{\"Type\":\"Succeed\"},"
    "\"F\":{\"Type\":\"Fail\",\"Error\":\"E\",\"Cause\":\"c\"}}}";

static const char INPUTS[] =
    "[{\"k\":1,\"s\":\"x\",\"l\":[1,{\"a\":2}],\"ts\":\"2016-03-14T01:59:00Z\","
    "\"n\":5,\"b\":true,\"nul\":null,\"o\":{\"p\":\"q\"}},"
    "{},[1,2,3],\"str\",-1.5,null]";
static const char CONTEXT[] =
    "{\"Execution\":{\"Id\":\"arn:aws:states:us-east-1:1:execution:m:e\",\"Input\":{}},"
    "\"State\":{\"Name\":\"X\",\"EnteredTime\":\"2024-01-01T00:00:00Z\",\"RetryCount\":0},"
    "\"Map\":{\"Item\":{\"Index\":0,\"Value\":1}}}";
static const char *const ERRORS[] = {"States.ALL", "States.TaskFailed", "E",
                                     "States.Timeout", "States.Runtime"};

static json_t *parse_fixed(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        abort();
    return v;
}

static void step_program(arena_t *a, const sfn_program_t *p, const json_t *inputs,
                         const json_t *ctx, int depth) {
    if (depth > 4)
        return;
    for (size_t i = 0; i < p->n_states; i++) {
        const sfn_state_t *st = &p->states[i];
        for (size_t j = 0; j < inputs->len; j++) {
            const json_t *in = json_arr_at(inputs, j);
            sfn_effects_t eff;
            sfn__step_enter(a, p, (int)i, in, ctx, 1700000000000, &eff);
            if (eff.kind == SFN_EFF_MAP && json_is_arr(eff.items)) {
                for (size_t k = 0; k < eff.items->len && k < 3; k++) {
                    json_t *item;
                    sw_error_t err;
                    sfn__step_map_item(a, p, (int)i, eff.effective_input,
                                       json_arr_at(eff.items, k), ctx, &item, &err);
                }
            }
            sfn__step_result(a, p, (int)i, in, in, ctx, &eff);
            int counts[64] = {0};
            size_t nr = st->n_retriers < 64 ? st->n_retriers : 64;
            for (size_t e = 0; e < sizeof ERRORS / sizeof *ERRORS; e++) {
                sfn__step_error(a, p, (int)i, in, ERRORS[e], "cause", counts, 0.5, &eff);
                for (size_t r = 0; r < nr; r++)
                    counts[r] = 1000000;
                sfn__step_error(a, p, (int)i, in, ERRORS[e], NULL, counts, 0.0, &eff);
                memset(counts, 0, sizeof counts);
            }
        }
        for (size_t b = 0; b < st->n_branches; b++)
            step_program(a, st->branches[b], inputs, ctx, depth + 1);
        if (st->iterator)
            step_program(a, st->iterator, inputs, ctx, depth + 1);
    }
}

static void check(arena_t *a, const json_t *def) {
    sw_error_t err, err2;
    int rc = sfn_validate(a, def, &err);
    sfn_program_t *p;
    int rc2 = sfn__program_compile(a, def, &p, &err2);
    if (rc != rc2)
        abort();
    if (rc < 0) {
        if (!err.type || !err2.type || strcmp(err.msg, err2.msg) != 0)
            abort();
        return;
    }
    step_program(a, p, parse_fixed(a, INPUTS), parse_fixed(a, CONTEXT), 0);
}

static void set_x(json_t *states, json_t *x) {
    for (size_t i = 0; i < states->len; i++)
        if (strcmp(states->u.members[i].key, "X") == 0)
            states->u.members[i].val = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *v = json_parse(&a, (const char *)data, size, &err);
    if (v) {
        if ((data[0] & 1) == 0) {
            check(&a, v);
        } else {
            json_t *def = parse_fixed(&a, SKELETON);
            json_t *states = json_obj_get(def, "States");
            set_x(states, v);
            json_t *branch = json_arr_at(json_obj_get(json_obj_get(states, "P"), "Branches"), 0);
            set_x(json_obj_get(branch, "States"), v);
            check(&a, def);
        }
    }
    arena_release(&a);
    return 0;
}
