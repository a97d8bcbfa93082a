/* test_exec.c - whole executions through sfn_run: flow, history, retry,
 * timeouts (virtual clock) and DynamoDB tasks over a temporary store. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sfn/sfn_int.h"
#include "../test.h"

static json_t *J(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        fprintf(stderr, "bad test JSON: %s\n", err.msg);
    return v;
}

static bool json_is(arena_t *a, const json_t *v, const char *text) {
    return v && json_equal(v, J(a, text));
}

typedef struct env {
    arena_t a;
    sw_clock_t clock;
    sfn_t *sf;
    store_t *store;
    ddb_t *db;
    char dir[64];
} env_t;

static void env_open(env_t *e, bool with_store) {
    sw_error_t err;
    memset(e, 0, sizeof *e);
    arena_init(&e->a);
    clock_init(&e->clock, true);
    if (with_store) {
        strcpy(e->dir, "/tmp/sfn-test-XXXXXX");
        if (!mkdtemp(e->dir) || store_open(e->dir, &e->store, &err) < 0 ||
            ddb_open(e->store, &e->db, &err) < 0) {
            fprintf(stderr, "cannot open store: %s\n", err.msg);
            abort();
        }
    }
    sfn_open(e->store, e->db, &e->clock, &e->sf, &err);
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w) {
    (void)st;
    (void)f;
    (void)w;
    return remove(p);
}

static void env_close(env_t *e) {
    sfn_close(e->sf);
    if (e->db)
        ddb_close(e->db);
    if (e->store)
        store_close(e->store);
    if (e->dir[0])
        nftw(e->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    arena_release(&e->a);
}

static sfn_run_result_t run(env_t *e, const char *def, const char *input) {
    sfn_run_result_t r;
    sw_error_t err;
    if (sfn_run(e->sf, J(&e->a, def), J(&e->a, input), "t1", &e->a, &r, &err) < 0) {
        fprintf(stderr, "sfn_run: %s: %s\n", err.type, err.msg);
        memset(&r, 0, sizeof r);
        r.status = "ERROR";
    }
    return r;
}

static const char *ev_type(const sfn_run_result_t *r, size_t i) {
    return json_obj_get_str(json_arr_at(r->history, i), "type");
}

static int64_t ev_int(const sfn_run_result_t *r, size_t i, const char *key) {
    int64_t n = -1;
    json_num_i64(json_obj_get(json_arr_at(r->history, i), key), &n);
    return n;
}

static int count_events(const sfn_run_result_t *r, const char *type) {
    int n = 0;
    for (size_t i = 0; r->history && i < r->history->len; i++)
        n += strcmp(ev_type(r, i), type) == 0;
    return n;
}

TEST(sfn_exec_pass_chain_history) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                                 "\"Result\":{\"x\":1},\"ResultPath\":\"$.a\",\"Next\":\"B\"},"
                                 "\"B\":{\"Type\":\"Succeed\"}}}", "{\"in\":0}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "{\"in\":0,\"a\":{\"x\":1}}"));
    CHECK_EQ_INT(r.history->len, 6);
    CHECK_EQ_STR(ev_type(&r, 0), "ExecutionStarted");
    CHECK_EQ_STR(ev_type(&r, 1), "PassStateEntered");
    CHECK_EQ_INT(ev_int(&r, 1, "previousEventId"), 0);
    CHECK_EQ_STR(ev_type(&r, 2), "PassStateExited");
    CHECK_EQ_INT(ev_int(&r, 2, "previousEventId"), 2);
    CHECK_EQ_STR(ev_type(&r, 3), "SucceedStateEntered");
    CHECK_EQ_STR(ev_type(&r, 4), "SucceedStateExited");
    CHECK_EQ_STR(ev_type(&r, 5), "ExecutionSucceeded");
    CHECK_EQ_INT(ev_int(&r, 5, "id"), 6);
    CHECK_EQ_INT(ev_int(&r, 5, "previousEventId"), 5);
    {
        const json_t *d = json_obj_get(json_arr_at(r.history, 1), "stateEnteredEventDetails");
        CHECK_EQ_STR(json_obj_get_str(d, "name"), "A");
        CHECK_EQ_STR(json_obj_get_str(d, "input"), "{\"in\":0}");
    }
    CHECK_EQ_INT(r.n_steps, 2);
    CHECK_EQ_STR(r.steps[0].state, "A");
    CHECK_EQ_STR(r.steps[0].next, "B");
    CHECK(r.steps[1].next == NULL);
    CHECK(strstr(r.execution_arn, ":execution:stepwise:t1") != NULL);
    env_close(&e);
}

TEST(sfn_exec_fail_state) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
                                 "\"ErrorPath\":\"$.e\",\"CausePath\":\"$.c\"}}}",
                             "{\"e\":\"Bad\",\"c\":\"why\"}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "Bad");
    CHECK_EQ_STR(r.cause, "why");
    CHECK_EQ_INT(r.history->len, 3);
    CHECK_EQ_STR(ev_type(&r, 1), "FailStateEntered");
    CHECK_EQ_STR(ev_type(&r, 2), "ExecutionFailed");
    env_close(&e);
}

TEST(sfn_exec_runtime_error_cause) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Wait\","
                                 "\"TimestampPath\":\"$.t\",\"End\":true}}}",
                             "{\"t\":\"2016-03-14T01:59:00\"}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "States.Runtime");
    CHECK_EQ_STR(r.cause, "An error occurred while executing the state 'S' (entered at the "
                          "event id #2). The TimestampPath parameter does not reference a valid "
                          "ISO-8601 extended offset date-time format string: $.t == "
                          "2016-03-14T01:59:00");
    env_close(&e);
}

TEST(sfn_exec_wait_virtual_clock_and_timeout) {
    env_t e;
    env_open(&e, false);
    int64_t t0 = clock_now_ms(&e.clock);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                                 "\"Seconds\":30,\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(clock_now_ms(&e.clock) - t0 >= 30000);
    CHECK_EQ_STR(ev_type(&r, 1), "WaitStateEntered");
    CHECK_EQ_STR(ev_type(&r, 2), "WaitStateExited");
    r = run(&e, "{\"TimeoutSeconds\":5,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
                "\"Seconds\":30,\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "TIMED_OUT");
    CHECK_EQ_STR(r.error, "States.Timeout");
    CHECK_EQ_STR(ev_type(&r, r.history->len - 1), "ExecutionTimedOut");
    CHECK_EQ_INT(r.stop_ms - r.start_ms, 5000);
    env_close(&e);
}

TEST(sfn_exec_context_object) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"Ctx\",\"States\":{\"Ctx\":{\"Type\":\"Pass\","
                                 "\"Parameters\":{\"s.$\":\"$$.State.Name\",\"n.$\":\"$$.Execution.Name\","
                                 "\"i.$\":\"$$.Execution.Input\",\"m.$\":\"$$.StateMachine.Name\"},"
                                 "\"End\":true}}}", "{\"x\":1}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "{\"s\":\"Ctx\",\"n\":\"t1\",\"i\":{\"x\":1},\"m\":\"stepwise\"}"));
    env_close(&e);
}

TEST(sfn_exec_parallel_retry_and_catch) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"Boom\",\"States\":{\"Boom\":{\"Type\":\"Fail\","
        "\"Error\":\"Boom\",\"Cause\":\"always\"}}},{\"StartAt\":\"Ok\",\"States\":{\"Ok\":"
        "{\"Type\":\"Pass\",\"End\":true}}}],"
        "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":1,\"MaxAttempts\":2,"
        "\"BackoffRate\":1.0}],"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.err\",\"Next\":\"Done\"}],"
        "\"Next\":\"Done\"},\"Done\":{\"Type\":\"Pass\",\"End\":true}}}", "{\"k\":1}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "{\"k\":1,\"err\":{\"Error\":\"Boom\",\"Cause\":\"always\"}}"));
    CHECK_EQ_INT(count_events(&r, "ParallelStateStarted"), 3);
    CHECK_EQ_INT(count_events(&r, "ParallelStateFailed"), 3);
    CHECK_EQ_INT(count_events(&r, "ParallelStateEntered"), 1);
    CHECK_EQ_INT(count_events(&r, "ParallelStateExited"), 1);
    env_close(&e);
}

TEST(sfn_exec_parallel_output_order) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,"
        "\"Next\":\"B0\"},\"B0\":{\"Type\":\"Pass\",\"End\":true,\"Result\":{\"branch\":0}}}},"
        "{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":\"Pass\",\"End\":true,"
        "\"Parameters\":{\"in.$\":\"$.v\"}}}}]}}}", "{\"v\":7}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "[{\"branch\":0},{\"in\":7}]"));
    env_close(&e);
}

TEST(sfn_exec_map_failure_propagates) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
        "\"Choices\":[{\"Variable\":\"$\",\"NumericEquals\":2,\"Next\":\"F\"}],\"Default\":\"Ok\"},"
        "\"F\":{\"Type\":\"Fail\",\"Error\":\"ItemErr\",\"Cause\":\"bad item 2\"},"
        "\"Ok\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}", "{\"items\":[1,2,3]}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "ItemErr");
    CHECK_EQ_STR(r.cause, "bad item 2");
    CHECK_EQ_INT(count_events(&r, "MapIterationFailed"), 1);
    r = run(&e,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"ItemSelector\":{\"i.$\":\"$$.Map.Item.Index\",\"v.$\":\"$$.Map.Item.Value\"},"
        "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}},"
        "\"ResultPath\":\"$.out\",\"End\":true}}}", "{\"items\":[\"a\",\"b\"]}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "{\"items\":[\"a\",\"b\"],\"out\":[{\"i\":0,\"v\":\"a\"},"
                                  "{\"i\":1,\"v\":\"b\"}]}"));
    env_close(&e);
}

TEST(sfn_exec_invalid_definition) {
    env_t e;
    sfn_run_result_t r;
    sw_error_t err;
    env_open(&e, false);
    CHECK_EQ_INT(sfn_run(e.sf, J(&e.a, "{\"StartAt\":\"A\",\"States\":{}}"), J(&e.a, "{}"), NULL,
                         &e.a, &r, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidDefinition");
    env_close(&e);
}

/* ---- DynamoDB tasks over a real store ---------------------------------- */

static void ddb(env_t *e, const char *op, const char *body) {
    json_t *resp;
    sw_error_t err;
    if (ddb_call(e->db, op, J(&e->a, body), &e->a, &resp, &err) < 0)
        fprintf(stderr, "setup %s failed: %s: %s\n", op, err.type, err.msg);
}

#define MK_TABLE(e, name)                                                                   \
    ddb(e, "CreateTable", "{\"TableName\":\"" name "\",\"KeySchema\":[{\"AttributeName\":" \
                          "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"        \
                          "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"             \
                          "\"BillingMode\":\"PAY_PER_REQUEST\"}")

TEST(sfn_exec_ddb_put_get_history) {
    env_t e;
    env_open(&e, true);
    MK_TABLE(&e, "Tbl");
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Write\",\"States\":{\"Write\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"Parameters\":{\"TableName\":\"Tbl\","
        "\"Item\":{\"pk\":{\"S.$\":\"$.id\"}}},\"ResultPath\":\"$.put\",\"Next\":\"Read\"},"
        "\"Read\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:getItem\","
        "\"Parameters\":{\"TableName\":\"Tbl\",\"Key\":{\"pk\":{\"S\":\"k1\"}}},"
        "\"ResultPath\":\"$.got\",\"End\":true}}}", "{\"id\":\"k1\"}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    const json_t *got = json_obj_get(r.output, "got");
    CHECK(json_is(&e.a, json_obj_get(got, "Item"), "{\"pk\":{\"S\":\"k1\"}}"));
    CHECK(json_obj_get(got, "SdkHttpMetadata") != NULL);
    CHECK(json_obj_get(got, "SdkResponseMetadata") != NULL);
    CHECK_EQ_INT(r.history->len, 12);
    static const char *const types[] = {"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                        "TaskStarted", "TaskSucceeded", "TaskStateExited"};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_STR(ev_type(&r, (size_t)i), types[i]);
    for (size_t i = 2; i < 12; i++)
        CHECK_EQ_INT(ev_int(&r, i, "previousEventId"), (int64_t)i);
    {
        const json_t *d = json_obj_get(json_arr_at(r.history, 2), "taskScheduledEventDetails");
        CHECK_EQ_STR(json_obj_get_str(d, "resourceType"), "dynamodb");
        CHECK_EQ_STR(json_obj_get_str(d, "resource"), "putItem");
        CHECK_EQ_STR(json_obj_get_str(d, "region"), "us-east-1");
        CHECK_EQ_STR(json_obj_get_str(d, "parameters"),
                     "{\"TableName\":\"Tbl\",\"Item\":{\"pk\":{\"S\":\"k1\"}}}");
    }
    CHECK(r.steps[0].ddb_response != NULL);
    /* The execution record was written. */
    {
        store_txn_t *txn;
        const void *v;
        size_t len;
        sw_error_t err;
        CHECK_EQ_INT(store_txn_begin(e.store, false, &txn, &err), 0);
        CHECK(store_get(txn, STORE_EXEC, r.execution_arn, strlen(r.execution_arn), &v, &len));
        CHECK(len > 0 && memmem(v, len, "SUCCEEDED", 9) != NULL);
        store_txn_abort(txn);
    }
    env_close(&e);
}

TEST(sfn_exec_ddb_errors_and_catch) {
    env_t e;
    env_open(&e, true);
    MK_TABLE(&e, "Tbl");
    ddb(&e, "PutItem", "{\"TableName\":\"Tbl\",\"Item\":{\"pk\":{\"S\":\"k1\"}}}");
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"NoTable\",\"States\":{\"NoTable\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"Parameters\":{\"TableName\":\"Nope1\","
        "\"Item\":{\"pk\":{\"S\":\"k1\"}}},\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
        "\"ResultPath\":\"$.e1\",\"Next\":\"Dup\"}],\"Next\":\"Dup\"},"
        "\"Dup\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::aws-sdk:dynamodb:putItem\","
        "\"Parameters\":{\"TableName\":\"Tbl\",\"Item\":{\"pk\":{\"S\":\"k1\"}},"
        "\"ConditionExpression\":\"attribute_not_exists(pk)\"},\"Catch\":[{\"ErrorEquals\":"
        "[\"DynamoDb.ConditionalCheckFailedException\"],\"ResultPath\":\"$.e2\",\"Next\":\"Done\"}],"
        "\"Next\":\"Done\"},\"Done\":{\"Type\":\"Pass\",\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(r.output, "e1"), "Error"),
                 "DynamoDB.ResourceNotFoundException");
    {
        const char *cause = json_obj_get_str(json_obj_get(r.output, "e1"), "Cause");
        CHECK(cause && strstr(cause, "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: "
                                     "ResourceNotFoundException; Request ID: "));
    }
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(r.output, "e2"), "Error"),
                 "DynamoDb.ConditionalCheckFailedException");
    CHECK_EQ_INT(count_events(&r, "TaskFailed"), 2);
    env_close(&e);
}

TEST(sfn_exec_ddb_retry_counts_attempts) {
    env_t e;
    env_open(&e, true);
    MK_TABLE(&e, "Cnt");
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":[{"
        "\"StartAt\":\"Bump\",\"States\":{\"Bump\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::dynamodb:updateItem\",\"Parameters\":{\"TableName\":\"Cnt\","
        "\"Key\":{\"pk\":{\"S\":\"c\"}},\"UpdateExpression\":\"ADD n :one\","
        "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}},\"ResultPath\":null,\"Next\":\"Boom\"},"
        "\"Boom\":{\"Type\":\"Fail\",\"Error\":\"Boom\"}}}],\"Retry\":[{\"ErrorEquals\":[\"Boom\"],"
        "\"MaxAttempts\":2,\"BackoffRate\":1.0}],\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
        "\"ResultPath\":null,\"Next\":\"Read\"}],\"Next\":\"Read\"},"
        "\"Read\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:getItem\","
        "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S\":\"c\"}}},"
        "\"ResultSelector\":{\"n.$\":\"$.Item.n.N\"},\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "{\"n\":\"3\"}"));
    env_close(&e);
}

TEST(sfn_exec_endless_loop_is_bounded) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                                 "\"B\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\","
                                 "\"IsPresent\":false,\"Next\":\"A\"}],\"Default\":\"C\"},"
                                 "\"C\":{\"Type\":\"Succeed\"}}}", "{}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "States.Runtime");
    CHECK(r.history->len <= 25003);
    env_close(&e);
}

TEST(sfn_exec_catch_resultpath_into_scalar_is_runtime) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":[{"
        "\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":\"E\"}}}],"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.a.b\",\"Next\":\"D\"}],"
        "\"End\":true},\"D\":{\"Type\":\"Succeed\"}}}", "{\"a\":5}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "States.Runtime");
    CHECK(r.cause && strncmp(r.cause, "An error occurred while executing the state 'Par' "
                                      "(entered at the event id #2).", 70) == 0);
    env_close(&e);
}

TEST(sfn_exec_trace_depth_and_choice_text) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":[{"
        "\"StartAt\":\"In\",\"States\":{\"In\":{\"Type\":\"Pass\",\"End\":true}}}],"
        "\"Next\":\"C\"},\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$[0].k\","
        "\"NumericEquals\":1,\"Next\":\"D\"}]},\"D\":{\"Type\":\"Succeed\"}}}", "{\"k\":1}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK_EQ_INT(r.n_steps, 4);
    CHECK_EQ_STR(r.steps[1].state, "In");
    CHECK_EQ_INT(r.steps[1].depth, 1);
    CHECK_EQ_INT(r.steps[2].depth, 0);
    CHECK_EQ_STR(r.steps[2].result, "matched");
    CHECK(r.steps[2].action && strstr(r.steps[2].action, "$[0].k") != NULL);
    CHECK_EQ_STR(r.steps[0].next, "C");
    env_close(&e);
}

TEST(sfn_exec_optimized_metadata_shape) {
    env_t e;
    env_open(&e, true);
    MK_TABLE(&e, "Meta");
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::dynamodb:putItem\",\"Parameters\":{\"TableName\":\"Meta\","
        "\"Item\":{\"pk\":{\"S\":\"a\"}}},\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    const json_t *http = json_obj_get(r.output, "SdkHttpMetadata");
    const json_t *hh = json_obj_get(http, "HttpHeaders");
    CHECK_EQ_STR(json_obj_get_str(hh, "Content-Length"), "2");
    CHECK_EQ_STR(json_obj_get_str(hh, "Content-Type"), "application/x-amz-json-1.0");
    CHECK_EQ_STR(json_obj_get_str(hh, "x-amz-crc32"), "2745614147");
    CHECK(json_is(&e.a, json_obj_get(http, "HttpStatusCode"), "200"));
    const char *rid = json_obj_get_str(json_obj_get(r.output, "SdkResponseMetadata"), "RequestId");
    CHECK(rid && strlen(rid) == 52);
    CHECK_EQ_STR(json_obj_get_str(hh, "x-amzn-RequestId"), rid);
    CHECK_EQ_INT(json_arr_at(json_obj_get(json_obj_get(http, "AllHttpHeaders"), "Date"), 0)->len,
                 29);
    env_close(&e);
}

TEST(sfn_exec_virtual_concurrency) {
    env_t e;
    env_open(&e, false);
    /* Two 10 s branches side by side fit in a 15 s execution timeout. */
    sfn_run_result_t r = run(&e,
        "{\"TimeoutSeconds\":15,\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\","
        "\"Branches\":[{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":10,\"End\":true}}},"
        "{\"StartAt\":\"V\",\"States\":{\"V\":{\"Type\":\"Wait\",\"Seconds\":10,\"End\":true}}}],"
        "\"End\":true}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK_EQ_INT(r.stop_ms - r.start_ms, 10000);
    /* Map with MaxConcurrency 2 over 3 items of 10 s: 20 s. */
    r = run(&e,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":2,"
        "\"ItemProcessor\":{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":10,"
        "\"End\":true}}},\"End\":true}}}", "[1,2,3]");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK_EQ_INT(r.stop_ms - r.start_ms, 20000);
    CHECK(json_is(&e.a, r.output, "[1,2,3]"));
    env_close(&e);
}

TEST(sfn_exec_data_limit) {
    env_t e;
    env_open(&e, false);
    sw_error_t err;
    sfn_run_result_t r;
    const char *def_pass = "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                           "\"End\":true}}}";
    /* An execution input over 256 KiB never starts (as StartExecution). */
    sw_buf_t b;
    buf_init(&b, &e.a, 1 << 20);
    buf_puts(&b, "{\"s\":\"");
    for (int i = 0; i < 300000; i++)
        buf_putc(&b, 'a');
    buf_puts(&b, "\"}");
    CHECK(sfn_run(e.sf, J(&e.a, def_pass), J(&e.a, b.ptr), "t1", &e.a, &r, &err) < 0);
    CHECK_EQ_STR(err.type, "InvalidExecutionInput");
    /* An input of 150 KB doubled by Parameters is over the quota once the
     * state has entered: States.DataLimitExceeded, which no Catch handles. */
    buf_init(&b, &e.a, 1 << 20);
    buf_puts(&b, "{\"s\":\"");
    for (int i = 0; i < 150000; i++)
        buf_putc(&b, 'a');
    buf_puts(&b, "\"}");
    r = run(&e, "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
                "\"Parameters\":{\"a.$\":\"$.s\",\"b.$\":\"$.s\"},"
                "\"End\":true}}}", b.ptr);
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "States.DataLimitExceeded");
    CHECK_EQ_STR(r.cause, "The state/task 'P' has an input with a size exceeding the maximum "
                          "number of bytes service limit.");
    env_close(&e);
}

TEST(sfn_exec_branches_interleave_in_time) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":["
        "{\"StartAt\":\"A1\",\"States\":{\"A1\":{\"Type\":\"Wait\",\"Seconds\":2,\"Next\":\"A2\"},"
        "\"A2\":{\"Type\":\"Pass\",\"Result\":\"a\",\"End\":true}}},"
        "{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":\"Wait\",\"Seconds\":1,\"Next\":\"B2\"},"
        "\"B2\":{\"Type\":\"Pass\",\"Result\":\"b\",\"End\":true}}}]}}}", "{}");
    CHECK_EQ_STR(r.status, "SUCCEEDED");
    CHECK(json_is(&e.a, r.output, "[\"a\",\"b\"]"));
    CHECK_EQ_INT(r.stop_ms - r.start_ms, 2000);
    CHECK_EQ_INT(r.n_steps, 5);
    CHECK_EQ_STR(r.steps[3].state, "B2"); /* due at 1 s, before A2 at 2 s */
    CHECK_EQ_STR(r.steps[4].state, "A2");
    /* A failing branch abandons its sibling: no A2 after B fails at 1 s. */
    r = run(&e,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":["
        "{\"StartAt\":\"A1\",\"States\":{\"A1\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":\"A2\"},"
        "\"A2\":{\"Type\":\"Pass\",\"End\":true}}},"
        "{\"StartAt\":\"B1\",\"States\":{\"B1\":{\"Type\":\"Wait\",\"Seconds\":1,\"Next\":\"B2\"},"
        "\"B2\":{\"Type\":\"Fail\",\"Error\":\"B\"}}}]}}}", "{}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_STR(r.error, "B");
    CHECK_EQ_INT(r.stop_ms - r.start_ms, 1000);
    CHECK_EQ_INT(count_events(&r, "PassStateEntered"), 0);
    env_close(&e);
}

TEST(sfn_exec_map_iteration_aborted) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":{"
        "\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\","
        "\"NumericEquals\":1,\"Next\":\"F\"}],\"Default\":\"W\"},\"F\":{\"Type\":\"Fail\","
        "\"Error\":\"E\"},\"W\":{\"Type\":\"Wait\",\"Seconds\":5,\"End\":true}}},\"End\":true}}}",
        "[0,1,2]");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_INT(count_events(&r, "MapIterationFailed"), 1);
    CHECK_EQ_INT(count_events(&r, "MapIterationAborted"), 2);
    CHECK_EQ_INT(count_events(&r, "MapStateFailed"), 1);
    env_close(&e);
}

/* QA: each retry attempt's trace row carries the time it ran (after its
 * back-off, which the virtual clock skips but counts) and the error and
 * cause it failed with. */
TEST(sfn_exec_trace_retry_rows_time_and_error) {
    env_t e;
    env_open(&e, true);
    sfn_run_result_t r = run(
        &e,
        "{\"StartAt\":\"Get\",\"States\":{\"Get\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::dynamodb:getItem\",\"Parameters\":{\"TableName\":"
        "\"Nope\",\"Key\":{\"pk\":{\"S\":\"a\"}}},\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],"
        "\"IntervalSeconds\":2,\"MaxAttempts\":2}],\"End\":true}}}",
        "{}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK_EQ_INT((int)r.n_steps, 3);
    if (r.n_steps == 3) {
        static const int64_t want_ms[] = {0, 2000, 6000};
        for (int i = 0; i < 3; i++) {
            const sfn_trace_step_t *s = &r.steps[i];
            CHECK_EQ_INT(s->attempt, i);
            CHECK_EQ_INT((int)(s->time_ms - r.start_ms), (int)want_ms[i]);
            CHECK(s->time != NULL);
            CHECK_EQ_STR(s->error, "DynamoDB.ResourceNotFoundException");
            CHECK(s->cause && strstr(s->cause, "Requested resource not found") != NULL);
            /* The state was entered once: every row keeps that time. */
            CHECK_EQ_STR(s->entered_time, r.steps[0].entered_time);
        }
        CHECK(strcmp(r.steps[1].time, r.steps[0].time) > 0);
    }
    /* A successful step has no error. */
    r = run(&e, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}", "{}");
    CHECK(r.n_steps == 1 && r.steps[0].error == NULL && r.steps[0].attempt == 0);
    env_close(&e);
}

/* QA: a Fail state with neither Error nor Cause fails the execution with
 * no error and no cause (not States.Runtime), as AWS records it. */
TEST(sfn_exec_fail_state_without_error) {
    env_t e;
    env_open(&e, false);
    sfn_run_result_t r = run(&e, "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\"}}}",
                             "{}");
    CHECK_EQ_STR(r.status, "FAILED");
    CHECK(r.error == NULL);
    CHECK(r.cause == NULL);
    const json_t *last = r.history ? json_arr_at(r.history, r.history->len - 1) : NULL;
    CHECK_EQ_STR(json_obj_get_str(last, "type"), "ExecutionFailed");
    CHECK(json_is(&e.a, json_obj_get(last, "executionFailedEventDetails"), "{}"));
    /* Cause alone: only the cause. */
    r = run(&e, "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Cause\":\"why\"}}}",
            "{}");
    CHECK(r.error == NULL);
    CHECK_EQ_STR(r.cause, "why");
    last = r.history ? json_arr_at(r.history, r.history->len - 1) : NULL;
    CHECK(json_is(&e.a, json_obj_get(last, "executionFailedEventDetails"), "{\"cause\":\"why\"}"));
    env_close(&e);
}
