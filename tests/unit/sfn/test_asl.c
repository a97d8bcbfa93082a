/* test_asl.c - ASL parsing and validation (asl.c, tasks.c resolution). */
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

/* Validates `def`; returns NULL when valid, else the message. */
static const char *validate(arena_t *a, const char *def) {
    static sw_error_t err;
    if (sfn_validate(a, J(a, def), &err) == 0)
        return NULL;
    return err.msg;
}

#define CHECK_VALID(def)                                                   \
    do {                                                                   \
        const char *m_ = validate(&a, def);                                \
        if (m_) test_fail(__FILE__, __LINE__, "unexpected: %s", m_);       \
    } while (0)
#define CHECK_INVALID(def, want)                                           \
    do {                                                                   \
        const char *m_ = validate(&a, def);                                \
        if (!m_ || !strstr(m_, want))                                      \
            test_fail(__FILE__, __LINE__, "got \"%s\", expected to contain \"%s\"", \
                      m_ ? m_ : "(valid)", want);                          \
    } while (0)

TEST(sfn_asl_minimal_valid) {
    arena_t a;
    arena_init(&a);
    CHECK_VALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}");
    CHECK_VALID("{\"Comment\":\"c\",\"Version\":\"1.0\",\"TimeoutSeconds\":5,\"StartAt\":\"A\","
                "\"States\":{\"A\":{\"Type\":\"Succeed\"}}}");
    arena_release(&a);
}

TEST(sfn_asl_compiles_states_by_index) {
    arena_t a;
    sfn_program_t *p;
    sw_error_t err;
    arena_init(&a);
    CHECK_EQ_INT(sfn__program_compile(&a, J(&a,
        "{\"StartAt\":\"B\",\"States\":{\"A\":{\"Type\":\"Succeed\"},"
        "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}"), &p, &err), 0);
    CHECK_EQ_INT(p->n_states, 2);
    CHECK_EQ_INT(p->start, 1);
    CHECK_EQ_INT(p->states[1].next, 0);
    CHECK_EQ_INT(p->states[0].type, SFN_STATE_SUCCEED);
    CHECK_EQ_INT(sfn__program_find(p, "A"), 0);
    CHECK_EQ_INT(sfn__program_find(p, "Z"), -1);
    arena_release(&a);
}

TEST(sfn_asl_unknown_field) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Foo\":1,\"End\":true}}}",
                  "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field "
                  "\"Foo\" is not supported by Step Functions at /States/A'");
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Retry\":[],\"End\":true}}}",
                  "SCHEMA_VALIDATION_FAILED: Field 'Retry' is not supported at /States/A");
    CHECK_INVALID("{\"StartAt\":\"A\",\"Bogus\":1,\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
                  "The field \"Bogus\" is not supported by Step Functions at /'");
    arena_release(&a);
}

TEST(sfn_asl_missing_targets) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"X\"},"
                  "\"B\":{\"Type\":\"Succeed\"}}}",
                  "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next");
    CHECK_INVALID("{\"StartAt\":\"Nope\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}",
                  "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /StartAt");
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\"}}}",
                  "at /States/A");
    arena_release(&a);
}

TEST(sfn_asl_unreachable_and_no_terminal) {
    arena_t a;
    const char *m;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"},"
                  "\"B\":{\"Type\":\"Pass\",\"End\":true}}}",
                  "MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B");
    m = validate(&a, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                     "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"},\"C\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}");
    CHECK_EQ_STR(m, "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no "
                    "terminal state'");
    arena_release(&a);
}

TEST(sfn_asl_states_all_rules) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
                  "\"Branches\":[{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}],"
                  "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},{\"ErrorEquals\":[\"E\"]}]}}}",
                  "States.ALL must be the last retrier at /States/P/Retry[0]");
    CHECK_INVALID("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
                  "\"Branches\":[{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}],"
                  "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\",\"E\"],\"Next\":\"P\"}]}}}",
                  "must appear alone in ErrorEquals");
    arena_release(&a);
}

TEST(sfn_asl_resources) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                  "\"Resource\":\"arn:aws:states:::dynamodb:query\",\"End\":true}}}",
                  "SCHEMA_VALIDATION_FAILED: The resource provided "
                  "arn:aws:states:::dynamodb:query is not recognized");
    CHECK_INVALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                  "\"Resource\":\"arn:aws:lambda:us-east-1:1:function:f\",\"End\":true}}}",
                  "at /States/T/Resource");
    CHECK_INVALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"End\":true}}}",
                  "These fields are required: [Resource] at /States/T");
    CHECK_VALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"End\":true}}}");
    arena_release(&a);
}

TEST(sfn_asl_task_resolve) {
    arena_t a;
    sfn_task_kind_t kind;
    const char *op, *action;
    sw_error_t err;
    arena_init(&a);
    CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::dynamodb:updateItem", &kind, &op,
                                   &action, &err), 0);
    CHECK_EQ_INT(kind, SFN_TASK_DDB_OPTIMIZED);
    CHECK_EQ_STR(op, "UpdateItem");
    CHECK_EQ_STR(action, "updateItem");
    CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::dynamodb:query", &kind, &op, &action,
                                   &err), -1);
    CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::dynamodb:putItem.sync", &kind, &op,
                                   &action, &err), -1);
    if (ddb_has_op("PutItem")) {
        CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::aws-sdk:dynamodb:putItem", &kind,
                                       &op, &action, &err), 0);
        CHECK_EQ_INT(kind, SFN_TASK_DDB_SDK);
        CHECK_EQ_STR(op, "PutItem");
    }
    CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::aws-sdk:dynamodb:PutItem", &kind, &op,
                                   &action, &err), -1);
    CHECK_EQ_INT(sfn__task_resolve(&a, "arn:aws:states:::aws-sdk:dynamodb:fly", &kind, &op,
                                   &action, &err), -1);
    arena_release(&a);
}

TEST(sfn_asl_retry_defaults) {
    arena_t a;
    sfn_program_t *p;
    sw_error_t err;
    arena_init(&a);
    CHECK_EQ_INT(sfn__program_compile(&a, J(&a,
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}],"
        "\"Retry\":[{\"ErrorEquals\":[\"E\"]},{\"ErrorEquals\":[\"F\"],\"MaxAttempts\":0,"
        "\"IntervalSeconds\":3,\"BackoffRate\":1.5,\"MaxDelaySeconds\":10,\"JitterStrategy\":\"FULL\"}]}}}"),
        &p, &err), 0);
    CHECK_EQ_INT(p->states[0].n_retriers, 2);
    CHECK_EQ_INT(p->states[0].retriers[0].interval_ms, 1000);
    CHECK_EQ_INT(p->states[0].retriers[0].max_attempts, 3);
    CHECK(p->states[0].retriers[0].backoff_rate == 2.0);
    CHECK_EQ_INT(p->states[0].retriers[1].max_attempts, 0);
    CHECK_EQ_INT(p->states[0].retriers[1].interval_ms, 3000);
    CHECK_EQ_INT(p->states[0].retriers[1].max_delay_ms, 10000);
    CHECK(p->states[0].retriers[1].is_jitter_full);
    CHECK_EQ_INT(p->states[0].n_branches, 1);
    arena_release(&a);
}

TEST(sfn_asl_wait_and_fail_fields) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"End\":true}}}",
                  "Exactly one of these fields must be provided: [Seconds, SecondsPath, "
                  "Timestamp, TimestampPath] at /States/W");
    CHECK_INVALID("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,"
                  "\"SecondsPath\":\"$.x\",\"End\":true}}}", "Exactly one of");
    CHECK_INVALID("{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":\"E\","
                  "\"ErrorPath\":\"$.e\"}}}", "[Error, ErrorPath]");
    CHECK_INVALID("{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"End\":true}}}",
                  "Field 'End' is not supported at /States/F");
    CHECK_VALID("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                "\"Timestamp\":\"2016-03-14T01:59:00Z\",\"End\":true}}}");
    arena_release(&a);
}

TEST(sfn_asl_several_problems_joined) {
    arena_t a;
    const char *m;
    arena_init(&a);
    m = validate(&a, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"X\":1,"
                     "\"Next\":\"Q\"},\"B\":{\"Type\":\"Succeed\"}}}");
    CHECK(m && strstr(m, "\"X\" is not supported by Step Functions at /States/A, "
                         "MISSING_TRANSITION_TARGET: Missing 'Next' target: Q at /States/A/Next"));
    arena_release(&a);
}

TEST(sfn_asl_jsonata_fields_rejected) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Output\":{},\"End\":true}}}",
                  "The QueryLanguage is set to 'JSONPath', but field 'Output' is only "
                  "supported for the 'JSONata' QueryLanguage at /States/A");
    arena_release(&a);
}

TEST(sfn_asl_duplicate_state_names) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Next\":\"X\","
                  "\"Branches\":[{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}]},"
                  "\"X\":{\"Type\":\"Succeed\"}}}",
                  "DUPLICATE_STATE_NAME: Duplicate State name: X at /States/X");
    arena_release(&a);
}

TEST(sfn_asl_literal_and_path_exclusive) {
    arena_t a;
    arena_init(&a);
    CHECK_INVALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                  "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"TimeoutSeconds\":5,"
                  "\"TimeoutSecondsPath\":\"$.t\",\"End\":true}}}",
                  "There should only be one of the following fields: [TimeoutSeconds, "
                  "TimeoutSecondsPath] at /States/T");
    CHECK_INVALID("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                  "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"TimeoutSeconds\":5,"
                  "\"HeartbeatSeconds\":5,\"End\":true}}}",
                  "HeartbeatSeconds must be smaller than TimeoutSeconds");
    CHECK_INVALID("{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":1,"
                  "\"MaxConcurrencyPath\":\"$.m\",\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":"
                  "{\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}",
                  "[MaxConcurrency, MaxConcurrencyPath]");
    arena_release(&a);
}

/* QA: validation is linear in the number of states (hashed name lookups,
 * an iterative reachability walk): 20,000 chained states validate, every
 * transition resolves, and duplicate names across branches are still
 * found. */
TEST(sfn_asl_many_states_linear) {
    arena_t a;
    arena_init(&a);
    enum { N = 20000 };
    sw_buf_t b;
    buf_init(&b, &a, (size_t)64 << 20);
    buf_puts(&b, "{\"StartAt\":\"S0\",\"States\":{");
    for (int i = 0; i < N; i++) {
        if (i + 1 < N)
            buf_printf(&b, "\"S%d\":{\"Type\":\"Pass\",\"Next\":\"S%d\"},", i, i + 1);
        else
            buf_printf(&b, "\"S%d\":{\"Type\":\"Pass\",\"End\":true}", i);
    }
    buf_puts(&b, "}}");
    sfn_program_t *p = NULL;
    sw_error_t err;
    CHECK_EQ_INT(sfn__program_compile(&a, J(&a, b.ptr), &p, &err), 0);
    CHECK(p && p->n_states == N);
    for (int i = 0; p && i < N; i += 997) {
        char name[16];
        snprintf(name, sizeof name, "S%d", i);
        int k = sfn__program_find(p, name);
        CHECK(k >= 0 && strcmp(p->states[k].name, name) == 0);
        if (k >= 0 && i + 1 < N)
            CHECK_EQ_INT(p->states[k].next, sfn__program_find(p, p->states[k].next_name));
    }
    CHECK(p && sfn__program_find(p, "S20000") == -1);
    CHECK(p && sfn__program_find(p, NULL) == -1);
    /* The last state unreachable: still reported, by name. */
    CHECK_INVALID("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true},"
                  "\"B\":{\"Type\":\"Pass\",\"Next\":\"A\"}}}",
                  "State \"B\" is not reachable.");
    CHECK_INVALID("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
                  "{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}},"
                  "{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}],"
                  "\"End\":true}}}",
                  "DUPLICATE_STATE_NAME: Duplicate State name: X");
    arena_release(&a);
}
