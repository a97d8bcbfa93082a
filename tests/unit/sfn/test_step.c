/* test_step.c - the pure step function (step.c): no store, no clock. */
#include <string.h>
#include "sfn/sfn_int.h"
#include "../test.h"

static json_t *J(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        fprintf(stderr, "bad test JSON: %s\n", err.msg);
    return v;
}

static sfn_program_t *P(arena_t *a, const char *def) {
    sfn_program_t *p = NULL;
    sw_error_t err;
    if (sfn__program_compile(a, J(a, def), &p, &err) < 0)
        fprintf(stderr, "bad test definition: %s\n", err.msg);
    return p;
}

static bool json_is(arena_t *a, const json_t *v, const char *text) {
    return v && json_equal(v, J(a, text));
}

#define CTX "{\"Execution\":{\"Name\":\"e\"},\"State\":{\"Name\":\"S\"}}"

TEST(sfn_step_pass_result_path_output_path) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\","
                             "\"Result\":{\"x\":1},\"ResultPath\":\"$.r\",\"OutputPath\":\"$.r\","
                             "\"Next\":\"T\"},\"T\":{\"Type\":\"Succeed\"}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"k\":2}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TRANSITION);
    CHECK_EQ_INT(eff.next, 1);
    CHECK(json_is(&a, eff.output, "{\"x\":1}"));
    arena_release(&a);
}

TEST(sfn_step_null_paths) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\","
                             "\"InputPath\":null,\"End\":true}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"k\":2}"), J(&a, CTX), 0, &eff);
    CHECK(json_is(&a, eff.output, "{}"));
    CHECK_EQ_INT(eff.next, -1);
    p = P(&a, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\",\"Result\":1,"
              "\"ResultPath\":null,\"End\":true}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"k\":2}"), J(&a, CTX), 0, &eff);
    CHECK(json_is(&a, eff.output, "{\"k\":2}"));
    p = P(&a, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\",\"OutputPath\":null,"
              "\"End\":true}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"k\":2}"), J(&a, CTX), 0, &eff);
    CHECK(json_is(&a, eff.output, "{}"));
    arena_release(&a);
}

TEST(sfn_step_input_path_missing_is_runtime) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Pass\","
                             "\"InputPath\":\"$.a.b\",\"End\":true}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    CHECK_EQ_STR(eff.error, "States.Runtime");
    CHECK_EQ_STR(eff.cause, "Invalid path '$.a.b' : No results for path: $['a']['b']");
    arena_release(&a);
}

TEST(sfn_step_task_effect_and_result) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                             "\"Resource\":\"arn:aws:states:::dynamodb:getItem\","
                             "\"InputPath\":\"$.in\",\"Parameters\":{\"TableName\":\"Tb\",\"K.$\":\"$.k\"},"
                             "\"ResultSelector\":{\"it.$\":\"$.Item\"},\"ResultPath\":\"$.got\","
                             "\"End\":true}}}");
    json_t *in = J(&a, "{\"in\":{\"k\":7},\"keep\":true}");
    sfn__step_enter(&a, p, 0, in, J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TASK);
    CHECK(json_is(&a, eff.task_params, "{\"TableName\":\"Tb\",\"K\":7}"));
    CHECK_EQ_STR(eff.action, "GetItem Tb");
    sfn__step_result(&a, p, 0, in, J(&a, "{\"Item\":{\"a\":1},\"Other\":2}"), J(&a, CTX), &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TRANSITION);
    CHECK(json_is(&a, eff.output, "{\"in\":{\"k\":7},\"keep\":true,\"got\":{\"it\":{\"a\":1}}}"));
    arena_release(&a);
}

static const char *retry_def =
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
    "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"End\":true,"
    "\"Retry\":[{\"ErrorEquals\":[\"E1\"],\"IntervalSeconds\":2,\"MaxAttempts\":2,"
    "\"BackoffRate\":3},{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":0}],"
    "\"Catch\":[{\"ErrorEquals\":[\"E1\"],\"ResultPath\":\"$.err\",\"Next\":\"H\"},"
    "{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"H\"}]},"
    "\"H\":{\"Type\":\"Succeed\"}}}";

TEST(sfn_step_retry_backoff_then_catch) {
    arena_t a;
    sfn_effects_t eff;
    int counts[2] = {0, 0};
    arena_init(&a);
    sfn_program_t *p = P(&a, retry_def);
    json_t *in = J(&a, "{\"v\":1}");
    sfn__step_error(&a, p, 0, in, "E1", "c", counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_RETRY);
    CHECK_EQ_INT(eff.retrier, 0);
    CHECK_EQ_INT(eff.delay_ms, 2000);
    counts[0] = 1;
    sfn__step_error(&a, p, 0, in, "E1", "c", counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_RETRY);
    CHECK_EQ_INT(eff.delay_ms, 6000);
    CHECK_EQ_INT(eff.attempt, 2);
    counts[0] = 2;
    sfn__step_error(&a, p, 0, in, "E1", "c", counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TRANSITION);
    CHECK(eff.is_caught);
    CHECK_EQ_INT(eff.next, 1);
    CHECK(json_is(&a, eff.output, "{\"v\":1,\"err\":{\"Error\":\"E1\",\"Cause\":\"c\"}}"));
    /* MaxAttempts 0: no retry; caught by States.ALL with the default ResultPath. */
    sfn__step_error(&a, p, 0, in, "Other", "why", counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TRANSITION);
    CHECK_EQ_INT(eff.catcher, 1);
    CHECK(json_is(&a, eff.output, "{\"Error\":\"Other\",\"Cause\":\"why\"}"));
    arena_release(&a);
}

TEST(sfn_step_runtime_never_caught) {
    arena_t a;
    sfn_effects_t eff;
    int counts[2] = {0, 0};
    arena_init(&a);
    sfn_program_t *p = P(&a, retry_def);
    sfn__step_error(&a, p, 0, J(&a, "{}"), "States.Runtime", "x", counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    CHECK_EQ_STR(eff.error, "States.Runtime");
    CHECK(!sfn__error_matches((const char *[]){"States.ALL"}, 1, "States.DataLimitExceeded",
                              false));
    CHECK(sfn__error_matches((const char *[]){"States.TaskFailed"}, 1, "DynamoDB.X", false));
    CHECK(!sfn__error_matches((const char *[]){"States.TaskFailed"}, 1, "States.Timeout", false));
    /* A lapsed heartbeat is States.Timeout, which States.HeartbeatTimeout
     * also matches; a TimeoutSeconds expiry it does not. */
    CHECK(sfn__error_matches((const char *[]){"States.HeartbeatTimeout"}, 1, "States.Timeout",
                             true));
    CHECK(!sfn__error_matches((const char *[]){"States.HeartbeatTimeout"}, 1, "States.Timeout",
                              false));
    CHECK(sfn__error_matches((const char *[]){"States.Timeout"}, 1, "States.Timeout", true));
    CHECK(!sfn__error_matches((const char *[]){"States.TaskFailed"}, 1, "States.Timeout", true));
    arena_release(&a);
}

TEST(sfn_step_retry_max_delay_and_jitter) {
    arena_t a;
    sfn_effects_t eff;
    int counts[1] = {5};
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                             "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"End\":true,"
                             "\"Retry\":[{\"ErrorEquals\":[\"E\"],\"MaxAttempts\":10,"
                             "\"MaxDelaySeconds\":7,\"JitterStrategy\":\"FULL\"}]}}}");
    sfn__step_error(&a, p, 0, J(&a, "{}"), "E", NULL, counts, 0.5, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_RETRY);
    CHECK_EQ_INT(eff.delay_ms, 3500);
    arena_release(&a);
}

TEST(sfn_step_wait) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                             "\"SecondsPath\":\"$.s\",\"Next\":\"X\"},"
                             "\"X\":{\"Type\":\"Wait\",\"TimestampPath\":\"$.t\",\"End\":true}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"s\":3}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_WAIT);
    CHECK_EQ_INT(eff.delay_ms, 3000);
    CHECK_EQ_INT(eff.next, 1);
    sfn__step_enter(&a, p, 1, J(&a, "{\"t\":\"1970-01-01T00:00:10Z\"}"), J(&a, CTX), 4000, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_WAIT);
    CHECK_EQ_INT(eff.delay_ms, 6000);
    sfn__step_enter(&a, p, 1, J(&a, "{\"t\":\"2016-03-14T01:59:00\"}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    CHECK_EQ_STR(eff.cause, "The TimestampPath parameter does not reference a valid ISO-8601 "
                            "extended offset date-time format string: $.t == 2016-03-14T01:59:00");
    sfn__step_enter(&a, p, 0, J(&a, "{\"s\":-1}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    arena_release(&a);
}

TEST(sfn_step_fail_state) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
                             "\"Error\":\"E422\",\"CausePath\":\"$.why\"}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"why\":\"because\"}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    CHECK(eff.is_fail_state);
    CHECK_EQ_STR(eff.error, "E422");
    CHECK_EQ_STR(eff.cause, "because");
    arena_release(&a);
}

TEST(sfn_step_choice) {
    arena_t a;
    sfn_effects_t eff;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
                             "\"Choices\":[{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":\"A\"}],"
                             "\"Default\":\"B\"},\"A\":{\"Type\":\"Succeed\"},\"B\":{\"Type\":\"Succeed\"}}}");
    if (!p)
        return;
    sfn__step_enter(&a, p, 0, J(&a, "{\"n\":1}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_TRANSITION);
    CHECK_EQ_INT(eff.next, 1);
    sfn__step_enter(&a, p, 0, J(&a, "{\"n\":2}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.next, 2);
    CHECK_EQ_STR(eff.result, "default");
    p = P(&a, "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
              "\"Choices\":[{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":\"A\"}]},"
              "\"A\":{\"Type\":\"Succeed\"}}}");
    sfn__step_enter(&a, p, 0, J(&a, "{\"n\":2}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    CHECK_EQ_STR(eff.error, "States.NoChoiceMatched");
    arena_release(&a);
}

TEST(sfn_step_map_items) {
    arena_t a;
    sfn_effects_t eff;
    json_t *item;
    sw_error_t err;
    arena_init(&a);
    sfn_program_t *p = P(&a, "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
                             "\"ItemsPath\":\"$.xs\",\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\","
                             "\"c.$\":\"$.c\"},\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":"
                             "{\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}");
    json_t *in = J(&a, "{\"xs\":[5,6],\"c\":\"k\"}");
    sfn__step_enter(&a, p, 0, in, J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_MAP);
    CHECK_EQ_INT(eff.items->len, 2);
    CHECK_EQ_INT(sfn__step_map_item(&a, p, 0, eff.effective_input, eff.items->u.items[1],
                                    J(&a, "{\"Map\":{\"Item\":{\"Index\":1,\"Value\":6}}}"), &item,
                                    &err), 0);
    CHECK(json_is(&a, item, "{\"v\":6,\"c\":\"k\"}"));
    sfn__step_enter(&a, p, 0, J(&a, "{\"xs\":3}"), J(&a, CTX), 0, &eff);
    CHECK_EQ_INT(eff.kind, SFN_EFF_FAIL);
    arena_release(&a);
}
