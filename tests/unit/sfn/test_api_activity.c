/* test_api_activity.c - activity Tasks through the API: a worker takes the
 * task (GetActivityTask), answers with SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat, timeouts fire on durable timers, and a restart while
 * the execution waits for its worker loses nothing.
 *
 * Activity Resources must be resolvable (tasks.c, asl.c); until they are,
 * the tests report themselves skipped and pass. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sfn/sfn_int.h"
#include "../test.h"

typedef struct aenv {
    arena_t a;
    sw_clock_t clock;
    sfn_t *sf;
    store_t *store;
    ddb_t *db;
    char dir[64];
    sw_error_t err;
} aenv_t;

static void open_dir(aenv_t *e) {
    sw_error_t err;
    clock_init(&e->clock, true);
    if (store_open(e->dir, &e->store, &err) < 0 || ddb_open(e->store, &e->db, &err) < 0 ||
        sfn_open(e->store, e->db, &e->clock, &e->sf, &err) < 0 || sfn_start(e->sf, 1, &err) < 0)
        abort();
}

static void aenv_open(aenv_t *e) {
    memset(e, 0, sizeof *e);
    arena_init(&e->a);
    strcpy(e->dir, "/tmp/sfn-act-XXXXXX");
    if (!mkdtemp(e->dir))
        abort();
    open_dir(e);
}

static void shut(aenv_t *e) {
    sfn_close(e->sf);
    ddb_close(e->db);
    store_close(e->store);
    e->sf = NULL;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w) {
    (void)st;
    (void)f;
    (void)w;
    return remove(p);
}

static void aenv_close(aenv_t *e) {
    if (e->sf)
        shut(e);
    nftw(e->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    arena_release(&e->a);
}

static json_t *callv(aenv_t *e, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *callv(aenv_t *e, const char *op, const char *fmt, ...) {
    va_list ap;
    sw_error_t perr;
    json_t *req, *resp;
    int n;
    char *text;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    text = arena_alloc(&e->a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    req = json_parse(&e->a, text, strlen(text), &perr);
    if (!req) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        return NULL;
    }
    if (sfn_call(e->sf, op, req, &e->a, &resp, &e->err) < 0)
        return NULL;
    return resp;
}

/* Creates activity "work" and a machine whose first state is a Task on it;
 * NULL (the test is skipped) when activity Resources are not supported. */
static const char *setup(aenv_t *e, const char *task_fields, const char *after) {
    char def[2048];
    json_t *req = json_new_obj(&e->a), *resp;
    callv(e, "CreateActivity", "{\"name\":\"work\"}");
    snprintf(def, sizeof def,
             "{\"StartAt\":\"Do\",\"States\":{\"Do\":{\"Type\":\"Task\",\"Resource\":"
             "\"arn:aws:states:us-east-1:123456789012:activity:work\"%s}%s%s}}",
             task_fields, *after ? "," : "", after);
    json_obj_set(&e->a, req, "name", json_new_strz(&e->a, "A"));
    json_obj_set(&e->a, req, "definition", json_new_strz(&e->a, def));
    json_obj_set(&e->a, req, "roleArn", json_new_strz(&e->a, "arn:aws:iam::123456789012:role/R"));
    if (sfn_call(e->sf, "CreateStateMachine", req, &e->a, &resp, &e->err) < 0) {
        if (strstr(e->err.msg, "is not recognized"))
            printf("SKIP activity tests: activity Resources are not resolvable yet\n");
        else
            fprintf(stderr, "CreateStateMachine: %s\n", e->err.msg);
        return NULL;
    }
    return json_obj_get_str(resp, "stateMachineArn");
}

static const char *status_of(aenv_t *e, const char *x) {
    return json_obj_get_str(callv(e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x),
                            "status");
}

static json_t *events_of(aenv_t *e, const char *x) {
    return json_obj_get(callv(e, "GetExecutionHistory", "{\"executionArn\":\"%s\"}", x),
                        "events");
}

static bool sound(const json_t *h) {
    for (size_t i = 0; h && i < h->len; i++) {
        int64_t id = -1, prev = -1;
        json_num_i64(json_obj_get(h->u.items[i], "id"), &id);
        json_num_i64(json_obj_get(h->u.items[i], "previousEventId"), &prev);
        if (id != (int64_t)i + 1 || prev < 0 || prev >= id)
            return false;
    }
    return h != NULL;
}

static const char *type_at(const json_t *h, size_t i) {
    return json_obj_get_str(json_arr_at(h, i), "type");
}

#define ACT "arn:aws:states:us-east-1:123456789012:activity:work"

TEST(sfn_api_activity_success_and_restart) {
    aenv_t e;
    aenv_open(&e);
    const char *m = setup(&e, ",\"Parameters\":{\"n.$\":\"$.n\"},\"ResultPath\":\"$.r\",\"Next\":\"P\"",
                          "\"P\":{\"Type\":\"Pass\",\"End\":true}");
    if (!m) {
        aenv_close(&e);
        return;
    }
    const char *x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"a1\",\"input\":\"{\\\"n\\\":7}\"}", m),
        "executionArn");
    CHECK(sfn_wait_settled(e.sf, 5000));
    CHECK_EQ_STR(status_of(&e, x), "RUNNING");
    /* A restart while it waits for its worker. */
    shut(&e);
    open_dir(&e);
    json_t *t = callv(&e, "GetActivityTask", "{\"activityArn\":\"" ACT "\",\"workerName\":\"w1\"}");
    const char *token = json_obj_get_str(t, "taskToken");
    CHECK(token != NULL);
    CHECK_EQ_STR(json_obj_get_str(t, "input"), "{\"n\":7}");
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"{\\\"ok\\\":1}\"}",
                token) != NULL);
    CHECK(sfn_wait_idle(e.sf, 5000));
    json_t *d = callv(&e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "{\"n\":7,\"r\":{\"ok\":1}}");
    json_t *h = events_of(&e, x);
    CHECK(sound(h));
    const char *want[] = {"ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                          "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                          "PassStateEntered", "PassStateExited", "ExecutionSucceeded"};
    CHECK_EQ_INT(h ? h->len : 0, 9);
    for (size_t i = 0; h && i < 9 && i < h->len; i++)
        CHECK_EQ_STR(type_at(h, i), want[i]);
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 3), "activityStartedEventDetails"),
                                  "workerName"), "w1");
    /* The token is spent. */
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"{}\"}", token) == NULL);
    CHECK_EQ_STR(e.err.type, "TaskTimedOut");
    CHECK_EQ_STR(e.err.msg, "Task Timed Out: 'Provided task does not exist anymore'");
    aenv_close(&e);
}

TEST(sfn_api_activity_failure_retry_and_timeout) {
    aenv_t e;
    aenv_open(&e);
    const char *m = setup(&e,
        ",\"TimeoutSeconds\":100,\"HeartbeatSeconds\":10,\"Retry\":[{\"ErrorEquals\":[\"Boom\"],"
        "\"IntervalSeconds\":5,\"MaxAttempts\":1}],\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\"],"
        "\"ResultPath\":\"$.e\",\"Next\":\"Caught\"}],\"End\":true",
        "\"Caught\":{\"Type\":\"Pass\",\"End\":true}");
    if (!m) {
        aenv_close(&e);
        return;
    }
    /* No background workers while the test plays the activity worker:
     * under the virtual clock, idle workers would jump straight to the
     * heartbeat timer. The test advances the execution itself. */
    sfn_stop(e.sf);
    const char *x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"a2\"}", m), "executionArn");
    CHECK_EQ_INT(sfn__exec_advance(e.sf, x, -1, &e.err), 0);
    json_t *t = callv(&e, "GetActivityTask", "{\"activityArn\":\"" ACT "\"}");
    const char *token = json_obj_get_str(t, "taskToken");
    CHECK(token != NULL);
    CHECK(callv(&e, "SendTaskHeartbeat", "{\"taskToken\":\"%s\"}", token) != NULL);
    {
        /* Over AWS's limits: refused, and the task is still open. */
        char *big = arena_alloc(&e.a, 262146);
        memset(big, 'x', 262145);
        big[262145] = '\0';
        CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"%s\"}", token,
                    big) == NULL);
        CHECK_EQ_STR(e.err.msg, "1 validation error detected: Value at 'output' failed to "
                                "satisfy constraint: Member must have length less than or "
                                "equal to 262144");
        big[257] = '\0';
        CHECK(callv(&e, "SendTaskFailure", "{\"taskToken\":\"%s\",\"error\":\"%s\"}", token,
                    big) == NULL);
        CHECK_EQ_STR(e.err.type, "ValidationException");
    }
    CHECK(callv(&e, "SendTaskFailure", "{\"taskToken\":\"%s\",\"error\":\"Boom\",\"cause\":\"c\"}",
                token) != NULL);
    CHECK(sfn_start(e.sf, 1, &e.err) == 0);
    /* Retried after 5 s: a new task; nobody takes it, so the heartbeat
     * deadline (10 s) times it out and the Catch takes over. */
    CHECK(sfn_wait_idle(e.sf, 5000));
    json_t *d = callv(&e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "{\"e\":{\"Error\":\"States.Timeout\"}}");
    json_t *h = events_of(&e, x);
    CHECK(sound(h));
    int n_sched = 0, n_failed = 0, n_timed = 0;
    for (size_t i = 0; h && i < h->len; i++) {
        n_sched += strcmp(type_at(h, i), "ActivityScheduled") == 0;
        n_failed += strcmp(type_at(h, i), "ActivityFailed") == 0;
        n_timed += strcmp(type_at(h, i), "ActivityTimedOut") == 0;
    }
    CHECK_EQ_INT(n_sched, 2);
    CHECK_EQ_INT(n_failed, 1);
    CHECK_EQ_INT(n_timed, 1);
    /* Nothing is left to take. */
    sfn_stop(e.sf);
    t = callv(&e, "GetActivityTask", "{\"activityArn\":\"" ACT "\"}");
    CHECK(t && !json_obj_get(t, "taskToken"));
    CHECK(callv(&e, "GetActivityTask",
                "{\"activityArn\":\"arn:aws:states:us-east-1:123456789012:activity:none\"}") == NULL);
    CHECK_EQ_STR(e.err.type, "ActivityDoesNotExist");
    aenv_close(&e);
}

/* StopExecution while the execution waits for a worker withdraws the task. */
TEST(sfn_api_activity_stop_withdraws_task) {
    aenv_t e;
    aenv_open(&e);
    const char *m = setup(&e, ",\"End\":true", "");
    if (!m) {
        aenv_close(&e);
        return;
    }
    const char *x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"a3\"}", m), "executionArn");
    CHECK(sfn_wait_settled(e.sf, 5000));
    CHECK(callv(&e, "StopExecution", "{\"executionArn\":\"%s\"}", x) != NULL);
    sfn_stop(e.sf);
    json_t *t = callv(&e, "GetActivityTask", "{\"activityArn\":\"" ACT "\"}");
    CHECK(t && !json_obj_get(t, "taskToken"));
    json_t *h = events_of(&e, x);
    CHECK(sound(h));
    CHECK_EQ_STR(type_at(h, h ? h->len - 1 : 0), "ExecutionAborted");
    CHECK_EQ_STR(status_of(&e, x), "ABORTED");
    aenv_close(&e);
}

/* .waitForTaskToken: $$.Task.Token reaches the Parameters (so the history's
 * TaskScheduled shows it), SendTaskSuccess completes the Task. */
TEST(sfn_api_callback_wait_for_token) {
    aenv_t e;
    json_t *req, *resp;
    aenv_open(&e);
    req = json_new_obj(&e.a);
    json_obj_set(&e.a, req, "name", json_new_strz(&e.a, "CB"));
    json_obj_set(&e.a, req, "definition", json_new_strz(&e.a,
        "{\"StartAt\":\"Ask\",\"States\":{\"Ask\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\",\"Parameters\":{\"QueueUrl\":"
        "\"q\",\"MessageBody\":{\"token.$\":\"$$.Task.Token\"}},\"ResultPath\":\"$.answer\","
        "\"End\":true}}}"));
    json_obj_set(&e.a, req, "roleArn", json_new_strz(&e.a, "arn:aws:iam::123456789012:role/R"));
    if (sfn_call(e.sf, "CreateStateMachine", req, &e.a, &resp, &e.err) < 0) {
        if (strstr(e.err.msg, "is not recognized"))
            printf("SKIP callback test: .waitForTaskToken Resources are not resolvable yet\n");
        else
            CHECK_EQ_STR(e.err.msg, "");
        aenv_close(&e);
        return;
    }
    const char *m = json_obj_get_str(resp, "stateMachineArn");
    const char *x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"cb1\",\"input\":\"{\\\"q\\\":1}\"}", m),
        "executionArn");
    CHECK(sfn_wait_settled(e.sf, 5000));
    json_t *h = events_of(&e, x);
    CHECK_EQ_STR(type_at(h, 2), "TaskScheduled");
    CHECK_EQ_STR(type_at(h, 3), "TaskStarted");
    const json_t *sd = json_obj_get(json_arr_at(h, 2), "taskScheduledEventDetails");
    CHECK_EQ_STR(json_obj_get_str(sd, "resourceType"), "sqs");
    CHECK_EQ_STR(json_obj_get_str(sd, "resource"), "sendMessage.waitForTaskToken");
    const char *params = json_obj_get_str(sd, "parameters");
    sw_error_t perr;
    json_t *p = params ? json_parse(&e.a, params, strlen(params), &perr) : NULL;
    const char *token = json_obj_get_str(json_obj_get(p, "MessageBody"), "token");
    CHECK(token && strlen(token) > 20);
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"\\\"yes\\\"\"}",
                token) != NULL);
    CHECK(sfn_wait_idle(e.sf, 5000));
    json_t *d = callv(&e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "{\"q\":1,\"answer\":\"yes\"}");
    h = events_of(&e, x);
    CHECK(sound(h));
    CHECK_EQ_STR(type_at(h, 4), "TaskSucceeded");
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 4), "taskSucceededEventDetails"),
                                  "resourceType"), "sqs");
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"nope\",\"output\":\"{}\"}") == NULL);
    CHECK_EQ_STR(e.err.type, "InvalidToken");
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"{bad\"}", token) == NULL);
    CHECK_EQ_STR(e.err.type, "InvalidOutput");
    aenv_close(&e);
}

/* aws-sdk:dynamodb:<action>.waitForTaskToken makes the call (here: stores
 * the token in a table, the usual way a worker finds it), records
 * TaskSubmitted with the API's response, then waits for SendTask*. A call
 * that fails fails the Task at once. */
TEST(sfn_api_callback_on_dynamodb_action) {
    aenv_t e;
    json_t *resp;
    aenv_open(&e);
    CHECK_EQ_INT(ddb_call(e.db, "CreateTable",
                          json_parse(&e.a,
                                     "{\"TableName\":\"Tokens\",\"KeySchema\":[{\"AttributeName\":"
                                     "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
                                     "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                                     "\"BillingMode\":\"PAY_PER_REQUEST\"}",
                                     176, &e.err),
                          &e.a, &resp, &e.err), 0);
    const char *m = json_obj_get_str(callv(&e, "CreateStateMachine",
        "{\"name\":\"DdbCb\",\"roleArn\":\"arn:aws:iam::123456789012:role/R\",\"definition\":"
        "\"{\\\"StartAt\\\":\\\"Park\\\",\\\"States\\\":{\\\"Park\\\":{\\\"Type\\\":\\\"Task\\\","
        "\\\"Resource\\\":\\\"arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken\\\","
        "\\\"Parameters\\\":{\\\"TableName.$\\\":\\\"$.table\\\",\\\"Item\\\":{\\\"pk\\\":{"
        "\\\"S\\\":\\\"job\\\"},\\\"token\\\":{\\\"S.$\\\":\\\"$$.Task.Token\\\"}}},"
        "\\\"ResultPath\\\":\\\"$.answer\\\",\\\"End\\\":true}}}\"}"),
        "stateMachineArn");
    CHECK(m != NULL);
    const char *x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"d1\",\"input\":\"{\\\"table\\\":\\\"Tokens\\\"}\"}",
        m), "executionArn");
    CHECK(sfn_wait_settled(e.sf, 5000));
    CHECK_EQ_STR(status_of(&e, x), "RUNNING");
    json_t *h = events_of(&e, x);
    CHECK_EQ_STR(type_at(h, 2), "TaskScheduled");
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 2), "taskScheduledEventDetails"),
                                  "resourceType"), "aws-sdk:dynamodb");
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 2), "taskScheduledEventDetails"),
                                  "resource"), "putItem.waitForTaskToken");
    CHECK_EQ_STR(type_at(h, 4), "TaskSubmitted");
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 4), "taskSubmittedEventDetails"),
                                  "output"), "{}");
    /* The worker reads the token from the table. */
    CHECK_EQ_INT(ddb_call(e.db, "GetItem",
                          json_parse(&e.a, "{\"TableName\":\"Tokens\",\"Key\":{\"pk\":{\"S\":"
                                           "\"job\"}}}", 47, &e.err),
                          &e.a, &resp, &e.err), 0);
    const char *token =
        json_obj_get_str(json_obj_get(json_obj_get(resp, "Item"), "token"), "S");
    CHECK(token && strlen(token) > 20);
    CHECK(callv(&e, "SendTaskSuccess", "{\"taskToken\":\"%s\",\"output\":\"\\\"done\\\"\"}",
                token ? token : "") != NULL);
    CHECK(sfn_wait_idle(e.sf, 5000));
    json_t *d = callv(&e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "{\"table\":\"Tokens\",\"answer\":\"done\"}");
    CHECK(sound(events_of(&e, x)));

    /* The call fails: so does the Task, with the SDK integration's error. */
    x = json_obj_get_str(callv(&e, "StartExecution",
        "{\"stateMachineArn\":\"%s\",\"name\":\"d2\",\"input\":\"{\\\"table\\\":\\\"Nope\\\"}\"}",
        m), "executionArn");
    CHECK(sfn_wait_idle(e.sf, 5000));
    d = callv(&e, "DescribeExecution", "{\"executionArn\":\"%s\"}", x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "FAILED");
    CHECK_EQ_STR(json_obj_get_str(d, "error"), "DynamoDb.ResourceNotFoundException");
    h = events_of(&e, x);
    CHECK_EQ_STR(type_at(h, 4), "TaskFailed");
    aenv_close(&e);
}
