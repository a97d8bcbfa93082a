/* test_api.c - the Step Functions API through sfn_call: state machines,
 * executions, history, the error catalogue, and durable background runs
 * (sfn_start) under the virtual clock, including a restart mid-way. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sfn/sfn_int.h"
#include "../test.h"

typedef struct env {
    arena_t a;
    sw_clock_t clock;
    sfn_t *sf;
    store_t *store;
    ddb_t *db;
    char dir[64];
    sw_error_t err;   /* of the last failed call */
} env_t;

static json_t *J(arena_t *a, const char *text) {
    sw_error_t err;
    json_t *v = json_parse(a, text, strlen(text), &err);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", err.msg, text);
    return v;
}

static bool json_is(arena_t *a, const json_t *v, const char *text) {
    return v && json_equal(v, J(a, text));
}

/* Opens the engines over e->dir (a new temporary one unless reopening). */
static void env_open_dir(env_t *e, bool is_virtual) {
    sw_error_t err;
    clock_init(&e->clock, is_virtual);
    if (store_open(e->dir, &e->store, &err) < 0 || ddb_open(e->store, &e->db, &err) < 0 ||
        sfn_open(e->store, e->db, &e->clock, &e->sf, &err) < 0) {
        fprintf(stderr, "cannot open engines: %s\n", err.msg);
        abort();
    }
}

static void env_open(env_t *e) {
    memset(e, 0, sizeof *e);
    arena_init(&e->a);
    strcpy(e->dir, "/tmp/sfn-api-XXXXXX");
    if (!mkdtemp(e->dir))
        abort();
    env_open_dir(e, true);
}

/* Closes the engines but keeps the data directory (a restart). */
static void env_shut(env_t *e) {
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

static void env_close(env_t *e) {
    if (e->sf)
        env_shut(e);
    nftw(e->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    arena_release(&e->a);
}

/* A fresh data directory on the real clock (for tests that restart). */
static void env_open_real(env_t *e) {
    memset(e, 0, sizeof *e);
    arena_init(&e->a);
    strcpy(e->dir, "/tmp/sfn-api-XXXXXX");
    if (!mkdtemp(e->dir))
        abort();
    env_open_dir(e, false);
}

/* A table keyed by string attribute "pk"; false if it could not be made. */
static bool create_pk_table(env_t *e, const char *name) {
    json_t *resp;
    sw_error_t err;
    const char *body = arena_sprintf(&e->a,
        "{\"TableName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
        "\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":"
        "\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}", name);
    return ddb_call(e->db, "CreateTable", json_parse(&e->a, body, strlen(body), &err), &e->a,
                    &resp, &err) == 0;
}

/* Waits (up to 5 s) until the n executions are parked on their timers;
 * returns how many are. */
static int wait_parked(env_t *e, const char *const *arns, int n) {
    int n_parked = 0;
    sw_error_t err;
    for (int tries = 0; tries < 500; tries++) {
        store_txn_t *txn;
        n_parked = 0;
        store_txn_begin(e->store, false, &txn, &err);
        for (int i = 0; i < n; i++)
            n_parked += json_obj_get(sfn__exec_get(txn, &e->a, arns[i]), "timerMs") != NULL;
        store_txn_abort(txn);
        if (n_parked == n)
            break;
        usleep(10000);
    }
    return n_parked;
}

/* One API call; NULL on failure (e->err says why). */
static json_t *call(env_t *e, const char *op, const json_t *req) {
    json_t *resp;
    if (sfn_call(e->sf, op, req, &e->a, &resp, &e->err) < 0)
        return NULL;
    return resp;
}

static json_t *callj(env_t *e, const char *op, const char *body) {
    return call(e, op, J(&e->a, body));
}

static const char *fails_with(env_t *e, const char *op, const json_t *req) {
    json_t *resp;
    if (sfn_call(e->sf, op, req, &e->a, &resp, &e->err) == 0)
        return "(success)";
    return e->err.type;
}

static json_t *machine_req(env_t *e, const char *name, const char *type, const char *def) {
    json_t *req = json_new_obj(&e->a);
    json_obj_set(&e->a, req, "name", json_new_strz(&e->a, name));
    json_obj_set(&e->a, req, "definition", json_new_strz(&e->a, def));
    json_obj_set(&e->a, req, "roleArn",
                 json_new_strz(&e->a, "arn:aws:iam::123456789012:role/R"));
    if (type)
        json_obj_set(&e->a, req, "type", json_new_strz(&e->a, type));
    return req;
}

static const char *create(env_t *e, const char *name, const char *type, const char *def) {
    json_t *resp = call(e, "CreateStateMachine", machine_req(e, name, type, def));
    if (!resp) {
        fprintf(stderr, "CreateStateMachine: %s: %s\n", e->err.type, e->err.msg);
        return "";
    }
    return json_obj_get_str(resp, "stateMachineArn");
}

static json_t *start(env_t *e, const char *machine, const char *name, const char *input) {
    json_t *req = json_new_obj(&e->a);
    json_obj_set(&e->a, req, "stateMachineArn", json_new_strz(&e->a, machine));
    if (name)
        json_obj_set(&e->a, req, "name", json_new_strz(&e->a, name));
    if (input)
        json_obj_set(&e->a, req, "input", json_new_strz(&e->a, input));
    return call(e, "StartExecution", req);
}

static json_t *by_arn(env_t *e, const char *key, const char *arn) {
    json_t *req = json_new_obj(&e->a);
    json_obj_set(&e->a, req, key, json_new_strz(&e->a, arn));
    return req;
}

static json_t *describe(env_t *e, const char *exec_arn) {
    return call(e, "DescribeExecution", by_arn(e, "executionArn", exec_arn));
}

static json_t *history(env_t *e, const char *exec_arn) {
    json_t *req = by_arn(e, "executionArn", exec_arn);
    json_obj_set(&e->a, req, "maxResults", json_new_num_i64(&e->a, 1000));
    json_t *resp = call(e, "GetExecutionHistory", req);
    return resp ? json_obj_get(resp, "events") : NULL;
}

/* Ids 1..n in order, each previousEventId earlier, no event twice. */
static bool history_is_sound(const json_t *events) {
    for (size_t i = 0; events && i < events->len; i++) {
        int64_t id = -1, prev = -1;
        json_num_i64(json_obj_get(events->u.items[i], "id"), &id);
        json_num_i64(json_obj_get(events->u.items[i], "previousEventId"), &prev);
        if (id != (int64_t)i + 1 || prev < 0 || prev >= id)
            return false;
    }
    return events != NULL;
}

static const char *ev_type(const json_t *events, size_t i) {
    return json_obj_get_str(json_arr_at(events, i), "type");
}

static int count(const json_t *events, const char *type) {
    int n = 0;
    for (size_t i = 0; events && i < events->len; i++)
        n += strcmp(ev_type(events, i), type) == 0;
    return n;
}

static double ev_time(const json_t *events, const char *type) {
    for (size_t i = 0; events && i < events->len; i++)
        if (strcmp(ev_type(events, i), type) == 0)
            return json_num_double(json_obj_get(events->u.items[i], "timestamp"));
    return -1;
}

#define PASS_DEF \
    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":1,\"ResultPath\":\"$.a\",\"End\":true}}}"
#define WAIT_DEF                                                                              \
    "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Next\":\"W\"},\"W\":{\"Type\":" \
    "\"Wait\",\"Seconds\":3600,\"Next\":\"Q\"},\"Q\":{\"Type\":\"Pass\",\"Result\":\"done\","   \
    "\"ResultPath\":\"$.r\",\"End\":true}}}"

/* ---- State machines --------------------------------------------------- */

TEST(sfn_api_create_describe_idempotent) {
    env_t e;
    env_open(&e);
    const char *arn = create(&e, "M1", NULL, PASS_DEF);
    CHECK_EQ_STR(arn, "arn:aws:states:us-east-1:123456789012:stateMachine:M1");
    /* Identical re-create: same ARN; different definition: conflict. */
    json_t *again = call(&e, "CreateStateMachine", machine_req(&e, "M1", "STANDARD", PASS_DEF));
    CHECK(again && strcmp(json_obj_get_str(again, "stateMachineArn"), arn) == 0);
    /* Another roleArn is ignored, not applied: still idempotent. */
    json_t *other_role = machine_req(&e, "M1", NULL, PASS_DEF);
    json_obj_set(&e.a, other_role, "roleArn",
                 json_new_strz(&e.a, "arn:aws:iam::123456789012:role/Other"));
    again = call(&e, "CreateStateMachine", other_role);
    CHECK(again && strcmp(json_obj_get_str(again, "stateMachineArn"), arn) == 0);
    json_t *desc = call(&e, "DescribeStateMachine", json_parse(&e.a,
        "{\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:stateMachine:M1\"}", 75,
        &e.err));
    CHECK_EQ_STR(desc ? json_obj_get_str(desc, "roleArn") : "",
                 "arn:aws:iam::123456789012:role/R");
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", machine_req(&e, "M1", NULL, WAIT_DEF)),
                 "StateMachineAlreadyExists");
    CHECK_EQ_STR(e.err.msg, "State Machine Already Exists: "
                            "'arn:aws:states:us-east-1:123456789012:stateMachine:M1'");
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", machine_req(&e, "bad name", NULL, PASS_DEF)),
                 "InvalidName");
    CHECK_EQ_STR(e.err.msg, "Invalid Name: 'bad name'");
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine",
                            machine_req(&e, "M2", NULL, "{\"StartAt\":\"X\",\"States\":{}}")),
                 "InvalidDefinition");
    CHECK(strncmp(e.err.msg, "Invalid State Machine Definition: '", 35) == 0);
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", machine_req(&e, "M2", NULL, "{nope")),
                 "InvalidDefinition");
    CHECK(strstr(e.err.msg, "INVALID_JSON_DESCRIPTION") != NULL);
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", machine_req(&e, "M2", "FAST", PASS_DEF)),
                 "ValidationException");
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", J(&e.a, "{\"name\":\"x\"}")),
                 "ValidationException");
    CHECK_EQ_STR(e.err.msg, "1 validation error detected: Value null at 'definition' failed to "
                            "satisfy constraint: Member must not be null");
    {
        json_t *d = call(&e, "DescribeStateMachine", by_arn(&e, "stateMachineArn", arn));
        CHECK(d != NULL);
        CHECK_EQ_STR(json_obj_get_str(d, "name"), "M1");
        CHECK_EQ_STR(json_obj_get_str(d, "status"), "ACTIVE");
        CHECK_EQ_STR(json_obj_get_str(d, "type"), "STANDARD");
        CHECK_EQ_STR(json_obj_get_str(d, "definition"), PASS_DEF);
        CHECK(json_is_num(json_obj_get(d, "creationDate")));
        CHECK_EQ_STR(json_obj_get_str(json_obj_get(d, "loggingConfiguration"), "level"), "OFF");
    }
    CHECK_EQ_STR(fails_with(&e, "DescribeStateMachine",
                            by_arn(&e, "stateMachineArn",
                                   "arn:aws:states:us-east-1:123456789012:stateMachine:Nope")),
                 "StateMachineDoesNotExist");
    CHECK_EQ_STR(e.err.msg, "State Machine Does Not Exist: "
                            "'arn:aws:states:us-east-1:123456789012:stateMachine:Nope'");
    CHECK_EQ_STR(fails_with(&e, "DescribeStateMachine", by_arn(&e, "stateMachineArn", "nope")),
                 "InvalidArn");
    CHECK_EQ_STR(fails_with(&e, "DescribeStateMachine",
                            by_arn(&e, "stateMachineArn",
                                   "arn:aws:states:us-east-1:123456789012:activity:A")),
                 "InvalidArn");
    CHECK_EQ_STR(fails_with(&e, "NoSuchOp", J(&e.a, "{}")), "UnknownOperationException");
    env_close(&e);
}

TEST(sfn_api_list_update_delete_validate) {
    env_t e;
    env_open(&e);
    const char *names[] = {"c", "a", "b", "d", "e"};
    for (int i = 0; i < 5; i++)
        create(&e, names[i], NULL, PASS_DEF);
    json_t *page = callj(&e, "ListStateMachines", "{\"maxResults\":2}");
    const json_t *list = json_obj_get(page, "stateMachines");
    CHECK(list && list->len == 2);
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(list, 0), "name"), "a");
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(list, 1), "name"), "b");
    {
        json_t *req = J(&e.a, "{\"maxResults\":10}");
        json_obj_set(&e.a, req, "nextToken", json_obj_get(page, "nextToken"));
        page = call(&e, "ListStateMachines", req);
        list = json_obj_get(page, "stateMachines");
        CHECK(list && list->len == 3 && !json_obj_get(page, "nextToken"));
        CHECK_EQ_STR(json_obj_get_str(json_arr_at(list, 0), "name"), "c");
    }
    CHECK_EQ_STR(fails_with(&e, "ListStateMachines", J(&e.a, "{\"maxResults\":1001}")),
                 "ValidationException");
    /* A token this server did not hand out, even one that reads as a
     * state machine's name. */
    CHECK_EQ_STR(fails_with(&e, "ListStateMachines", J(&e.a, "{\"nextToken\":\"c\"}")),
                 "InvalidToken");
    CHECK_EQ_STR(e.err.msg, "Invalid Token: 'c'");
    CHECK_EQ_STR(fails_with(&e, "ListStateMachines",
                            J(&e.a, "{\"nextToken\":\"c:0000000000000000\"}")),
                 "InvalidToken");
    CHECK_EQ_STR(fails_with(&e, "ListActivities", J(&e.a, "{\"nextToken\":\"garbage\"}")),
                 "InvalidToken");
    {
        const char *arn = "arn:aws:states:us-east-1:123456789012:stateMachine:a";
        json_t *req = by_arn(&e, "stateMachineArn", arn);
        CHECK_EQ_STR(fails_with(&e, "UpdateStateMachine", req), "MissingRequiredParameter");
        json_obj_set(&e.a, req, "definition", json_new_strz(&e.a, WAIT_DEF));
        json_t *u = call(&e, "UpdateStateMachine", req);
        CHECK(u && json_obj_get(u, "updateDate") && json_obj_get_str(u, "revisionId"));
        json_t *d = call(&e, "DescribeStateMachine", by_arn(&e, "stateMachineArn", arn));
        CHECK_EQ_STR(json_obj_get_str(d, "definition"), WAIT_DEF);
        CHECK(call(&e, "DeleteStateMachine", by_arn(&e, "stateMachineArn", arn)) != NULL);
        CHECK_EQ_STR(fails_with(&e, "DescribeStateMachine", by_arn(&e, "stateMachineArn", arn)),
                     "StateMachineDoesNotExist");
        /* Deleting what does not exist succeeds, as on AWS. */
        CHECK(call(&e, "DeleteStateMachine", by_arn(&e, "stateMachineArn", arn)) != NULL);
    }
    {
        json_t *req = json_new_obj(&e.a);
        json_obj_set(&e.a, req, "definition", json_new_strz(&e.a, PASS_DEF));
        json_t *v = call(&e, "ValidateStateMachineDefinition", req);
        CHECK_EQ_STR(json_obj_get_str(v, "result"), "OK");
        CHECK(json_obj_get(v, "diagnostics") && json_obj_get(v, "diagnostics")->len == 0);
        json_obj_set(&e.a, req, "definition",
                     json_new_strz(&e.a, "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":"
                                         "\"Pass\",\"Next\":\"Nowhere\"}}}"));
        v = call(&e, "ValidateStateMachineDefinition", req);
        CHECK_EQ_STR(json_obj_get_str(v, "result"), "FAIL");
        const json_t *d = json_arr_at(json_obj_get(v, "diagnostics"), 0);
        CHECK_EQ_STR(json_obj_get_str(d, "severity"), "ERROR");
        CHECK(json_obj_get_str(d, "code") && *json_obj_get_str(d, "code"));
        CHECK(json_obj_get_str(d, "message") != NULL);
    }
    env_close(&e);
}

/* ---- Executions without workers --------------------------------------- */

TEST(sfn_api_start_idempotent_stop) {
    env_t e;
    env_open(&e);
    const char *m = create(&e, "Hold", NULL, WAIT_DEF);
    json_t *s1 = start(&e, m, "run-1", "{\"a\": 1}");
    CHECK(s1 != NULL);
    const char *x = json_obj_get_str(s1, "executionArn");
    CHECK_EQ_STR(x, "arn:aws:states:us-east-1:123456789012:execution:Hold:run-1");
    json_t *s2 = start(&e, m, "run-1", "{\"a\": 1}");
    CHECK(s2 && strcmp(json_obj_get_str(s2, "executionArn"), x) == 0);
    CHECK(s2 && json_equal(json_obj_get(s1, "startDate"), json_obj_get(s2, "startDate")));
    CHECK(start(&e, m, "run-1", "{\"a\": 2}") == NULL);
    CHECK_EQ_STR(e.err.type, "ExecutionAlreadyExists");
    CHECK_EQ_INT(sfn_error_status(e.err.type), 400);
    CHECK(start(&e, m, "run-2", "{\"a\": ") == NULL);
    CHECK_EQ_STR(e.err.type, "InvalidExecutionInput");
    CHECK(start(&e, m, "bad/name", "{}") == NULL);
    CHECK_EQ_STR(e.err.type, "InvalidName");
    CHECK(start(&e, "arn:aws:states:us-east-1:123456789012:stateMachine:Nope", NULL, NULL) == NULL);
    CHECK_EQ_STR(e.err.type, "StateMachineDoesNotExist");
    {
        json_t *d = describe(&e, x);
        CHECK_EQ_STR(json_obj_get_str(d, "status"), "RUNNING");
        CHECK_EQ_STR(json_obj_get_str(d, "input"), "{\"a\": 1}");
        CHECK(!json_obj_get(d, "stopDate"));
    }
    {
        json_t *req = by_arn(&e, "executionArn", x);
        json_obj_set(&e.a, req, "error", json_new_strz(&e.a, "Halt"));
        json_obj_set(&e.a, req, "cause", json_new_strz(&e.a, "by test"));
        json_t *r = call(&e, "StopExecution", req);
        CHECK(r && json_is_num(json_obj_get(r, "stopDate")));
    }
    {
        json_t *d = describe(&e, x);
        CHECK_EQ_STR(json_obj_get_str(d, "status"), "ABORTED");
        CHECK_EQ_STR(json_obj_get_str(d, "error"), "Halt");
        CHECK_EQ_STR(json_obj_get_str(d, "cause"), "by test");
        CHECK(json_is_num(json_obj_get(d, "stopDate")));
        json_t *h = history(&e, x);
        CHECK(history_is_sound(h));
        CHECK(h && h->len == 2);
        CHECK_EQ_STR(ev_type(h, 0), "ExecutionStarted");
        CHECK_EQ_STR(ev_type(h, 1), "ExecutionAborted");
        CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(h, 1),
                                                   "executionAbortedEventDetails"), "error"),
                     "Halt");
    }
    /* Closed: the name cannot be reused, whatever the input. */
    CHECK(start(&e, m, "run-1", "{\"a\": 1}") == NULL);
    CHECK_EQ_STR(e.err.type, "ExecutionAlreadyExists");
    CHECK(describe(&e, "arn:aws:states:us-east-1:123456789012:execution:Hold:nope") == NULL);
    CHECK_EQ_STR(e.err.type, "ExecutionDoesNotExist");
    {
        json_t *d = call(&e, "DescribeStateMachineForExecution", by_arn(&e, "executionArn", x));
        CHECK(d && strcmp(json_obj_get_str(d, "definition"), WAIT_DEF) == 0);
        CHECK_EQ_STR(json_obj_get_str(d, "name"), "Hold");
    }
    env_close(&e);
}

TEST(sfn_api_express_sync) {
    env_t e;
    env_open(&e);
    const char *m = create(&e, "Ex", "EXPRESS", PASS_DEF);
    json_t *req = by_arn(&e, "stateMachineArn", m);
    json_obj_set(&e.a, req, "input", json_new_strz(&e.a, "{\"k\":2}"));
    json_t *r = call(&e, "StartSyncExecution", req);
    CHECK(r != NULL);
    CHECK_EQ_STR(json_obj_get_str(r, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(r, "output"), "{\"k\":2,\"a\":1}");
    CHECK(strstr(json_obj_get_str(r, "executionArn"), ":express:Ex:") != NULL);
    CHECK(json_obj_get(json_obj_get(r, "billingDetails"), "billedDurationInMilliseconds"));
    /* Express executions are not listed. */
    CHECK_EQ_STR(fails_with(&e, "ListExecutions", by_arn(&e, "stateMachineArn", m)),
                 "StateMachineTypeNotSupported");
    CHECK_EQ_STR(e.err.msg, "This operation is not supported by this type of state machine");
    const char *std = create(&e, "Std", NULL, PASS_DEF);
    CHECK_EQ_STR(fails_with(&e, "StartSyncExecution", by_arn(&e, "stateMachineArn", std)),
                 "StateMachineTypeNotSupported");
    env_close(&e);
}

/* ---- Background runs -------------------------------------------------- */

TEST(sfn_api_background_wait_and_history) {
    env_t e;
    sw_error_t err;
    env_open(&e);
    const char *m = create(&e, "W", NULL, WAIT_DEF);
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    json_t *s = start(&e, m, "x1", "{\"v\":1}");
    const char *x = json_obj_get_str(s, "executionArn");
    CHECK(sfn_wait_idle(e.sf, 10000));
    json_t *d = describe(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "{\"v\":1,\"r\":\"done\"}");
    CHECK(json_num_double(json_obj_get(d, "stopDate")) -
              json_num_double(json_obj_get(d, "startDate")) >= 3600);
    json_t *h = history(&e, x);
    CHECK(history_is_sound(h));
    const char *want[] = {"ExecutionStarted", "PassStateEntered", "PassStateExited",
                          "WaitStateEntered", "WaitStateExited",  "PassStateEntered",
                          "PassStateExited",  "ExecutionSucceeded"};
    CHECK_EQ_INT(h ? h->len : 0, 8);
    for (size_t i = 0; h && i < 8 && i < h->len; i++)
        CHECK_EQ_STR(ev_type(h, i), want[i]);
    CHECK(ev_time(h, "WaitStateExited") - ev_time(h, "WaitStateEntered") >= 3600.0);
    {
        /* Pages, reverse order, and no execution data. */
        json_t *req = by_arn(&e, "executionArn", x);
        json_obj_set(&e.a, req, "maxResults", json_new_num_i64(&e.a, 3));
        json_obj_set(&e.a, req, "reverseOrder", json_new_bool(&e.a, true));
        json_obj_set(&e.a, req, "includeExecutionData", json_new_bool(&e.a, false));
        json_t *p1 = call(&e, "GetExecutionHistory", req);
        const json_t *ev = json_obj_get(p1, "events");
        CHECK(ev && ev->len == 3);
        CHECK_EQ_STR(ev_type(ev, 0), "ExecutionSucceeded");
        CHECK(!json_obj_get(json_obj_get(json_arr_at(ev, 0), "executionSucceededEventDetails"),
                            "output"));
        json_obj_set(&e.a, req, "nextToken", json_obj_get(p1, "nextToken"));
        json_t *p2 = call(&e, "GetExecutionHistory", req);
        CHECK_EQ_STR(ev_type(json_obj_get(p2, "events"), 0), "WaitStateExited");
        /* The token serves this request only: not the other order. */
        json_obj_set(&e.a, req, "reverseOrder", json_new_bool(&e.a, false));
        CHECK_EQ_STR(fails_with(&e, "GetExecutionHistory", req), "InvalidToken");
    }
    {
        json_t *req = by_arn(&e, "stateMachineArn", m);
        json_obj_set(&e.a, req, "statusFilter", json_new_strz(&e.a, "SUCCEEDED"));
        json_t *l = call(&e, "ListExecutions", req);
        const json_t *list = json_obj_get(l, "executions");
        CHECK(list && list->len == 1);
        CHECK_EQ_STR(json_obj_get_str(json_arr_at(list, 0), "name"), "x1");
        json_obj_set(&e.a, req, "statusFilter", json_new_strz(&e.a, "RUNNING"));
        l = call(&e, "ListExecutions", req);
        CHECK(l && json_obj_get(l, "executions")->len == 0);
    }
    env_close(&e);
}

/* A top-level Task retried with back-off parks on timers, and a Parallel
 * with a Wait inside runs in the worker. */
TEST(sfn_api_background_retry_parallel) {
    env_t e;
    sw_error_t err;
    env_open(&e);
    const char *m = create(&e, "R", NULL,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":["
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":5,\"End\":true}}},"
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}],"
        "\"ResultPath\":null,\"Next\":\"T\"},"
        "\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:getItem\","
        "\"Parameters\":{\"TableName\":\"Missing\",\"Key\":{\"pk\":{\"S\":\"k\"}}},"
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":100,"
        "\"MaxAttempts\":2}],\"End\":true}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    const char *x = json_obj_get_str(start(&e, m, "r1", NULL), "executionArn");
    CHECK(sfn_wait_idle(e.sf, 10000));
    json_t *d = describe(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "FAILED");
    CHECK_EQ_STR(json_obj_get_str(d, "error"), "DynamoDB.ResourceNotFoundException");
    json_t *h = history(&e, x);
    CHECK(history_is_sound(h));
    CHECK_EQ_INT(count(h, "TaskFailed"), 3);
    CHECK_EQ_INT(count(h, "TaskStateEntered"), 1);
    CHECK_EQ_INT(count(h, "ParallelStateSucceeded"), 1);
    CHECK_EQ_STR(ev_type(h, h ? h->len - 1 : 0), "ExecutionFailed");
    CHECK(ev_time(h, "ExecutionFailed") - ev_time(h, "ParallelStateStarted") >= 305.0);
    env_close(&e);
}

/* Parallel branches and Map iterations are replayed from the root's last
 * checkpoint after a restart: their DynamoDB writes are memoized with the
 * write (applied exactly once), their Waits keep their original due time,
 * and while they wait the execution is parked on a durable timer (no
 * worker thread holds it). */
TEST(sfn_api_restart_replays_child_frames) {
    env_t e;
    sw_error_t err;
    enum { N = 4 };
    const char *arns[N];
    env_open_real(&e);
    CHECK(create_pk_table(&e, "Cnt"));
#define ADD_TASK(attr, key_path, next)                                                      \
    "{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:updateItem\","             \
    "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S.$\":\"" key_path "\"}},"     \
    "\"UpdateExpression\":\"ADD " attr " :one\",\"ExpressionAttributeValues\":{\":one\":{"  \
    "\"N\":\"1\"}}},\"ResultPath\":null,\"Next\":\"" next "\"}"
    const char *m = create(&e, "Tree", NULL,
        "{\"StartAt\":\"Par\",\"States\":{"
        "\"Par\":{\"Type\":\"Parallel\",\"ResultPath\":null,\"Next\":\"After\",\"Branches\":["
        "{\"StartAt\":\"A\",\"States\":{\"A\":" ADD_TASK("a", "$.k", "W") ","
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":30,\"End\":true}}},"
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"ResultPath\":null,\"End\":true,\"Iterator\":{\"StartAt\":\"B\",\"States\":{"
        "\"B\":" ADD_TASK("b", "$", "W2") ","
        "\"W2\":{\"Type\":\"Wait\",\"Seconds\":20,\"End\":true}}}}}}]},"
        "\"After\":" ADD_TASK("c", "$.k", "Done") ","
        "\"Done\":{\"Type\":\"Pass\",\"End\":true}}}");
#undef ADD_TASK
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    for (int i = 0; i < N; i++) {
        char name[32], input[96];
        snprintf(name, sizeof name, "t%d", i);
        snprintf(input, sizeof input, "{\"k\":\"k%d\",\"items\":[\"k%d-x\",\"k%d-y\"]}", i, i, i);
        arns[i] = json_obj_get_str(start(&e, m, name, input), "executionArn");
    }
    /* Every one parks on its timer: no thread waits for a child frame. */
    CHECK_EQ_INT(wait_parked(&e, arns, N), N);
    env_shut(&e);

    /* Second life: every child Task had run; the replay must not run any
     * again, and the Waits end at their first due times. */
    env_open_dir(&e, true);
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    CHECK(sfn_wait_idle(e.sf, 20000));
    for (int i = 0; i < N; i++) {
        json_t *d = describe(&e, arns[i]), *h = history(&e, arns[i]), *resp;
        const char *keys[] = {arena_sprintf(&e.a, "k%d", i), arena_sprintf(&e.a, "k%d-x", i),
                              arena_sprintf(&e.a, "k%d-y", i)};
        const char *items[] = {
            arena_sprintf(&e.a, "{\"pk\":{\"S\":\"k%d\"},\"a\":{\"N\":\"1\"},\"c\":{\"N\":\"1\"}}", i),
            arena_sprintf(&e.a, "{\"pk\":{\"S\":\"k%d-x\"},\"b\":{\"N\":\"1\"}}", i),
            arena_sprintf(&e.a, "{\"pk\":{\"S\":\"k%d-y\"},\"b\":{\"N\":\"1\"}}", i)};
        CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
        CHECK(history_is_sound(h));
        CHECK_EQ_INT(count(h, "TaskSucceeded"), 4);
        CHECK_EQ_INT(count(h, "WaitStateExited"), 3);
        CHECK_EQ_INT(count(h, "ParallelStateStarted"), 1);
        CHECK_EQ_INT(count(h, "MapIterationSucceeded"), 2);
        CHECK(ev_time(h, "ParallelStateSucceeded") - ev_time(h, "ParallelStateStarted") >= 30.0);
        CHECK(ev_time(h, "ParallelStateSucceeded") - ev_time(h, "ParallelStateStarted") < 31.0);
        for (int k = 0; k < 3; k++) {
            char key[96];
            snprintf(key, sizeof key,
                     "{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S\":\"%s\"}},\"ConsistentRead\":true}",
                     keys[k]);
            CHECK_EQ_INT(ddb_call(e.db, "GetItem", J(&e.a, key), &e.a, &resp, &err), 0);
            CHECK(json_is(&e.a, json_obj_get(resp, "Item"), items[k]));
        }
    }
    {
        /* No memo and no timer is left behind. */
        store_txn_t *txn;
        store_cursor_t *c;
        const void *k, *v;
        size_t k_len, v_len;
        int n_memos = 0;
        store_txn_begin(e.store, false, &txn, &err);
        store_cursor_open(txn, STORE_EXEC, &c, &err);
        for (bool ok = store_cursor_seek(c, "", 0, &k, &k_len, &v, &v_len); ok;
             ok = store_cursor_next(c, &k, &k_len, &v, &v_len)) {
            const char *nul = memchr(k, 0, k_len);
            n_memos += nul && nul + 1 < (const char *)k + k_len && nul[1] == 'm';
        }
        store_cursor_close(c);
        CHECK_EQ_INT(n_memos, 0);
        store_cursor_open(txn, STORE_TIMERS, &c, &err);
        CHECK(!store_cursor_seek(c, "", 0, &k, &k_len, NULL, NULL));
        store_cursor_close(c);
        store_txn_abort(txn);
    }
    env_close(&e);
}

/* A replay draws what the first run drew: a UUID made in a Parallel
 * branch before its DynamoDB write and a Wait is the same after a restart,
 * so the item written and the execution's output name one value, and the
 * replayed events keep their first times. */
TEST(sfn_api_replay_is_deterministic) {
    env_t e;
    sw_error_t err;
    json_t *resp;
    env_open_real(&e);
    CHECK(create_pk_table(&e, "Ids"));
    const char *m = create(&e, "Det", NULL,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"End\":true,"
        "\"Branches\":[{\"StartAt\":\"Id\",\"States\":{"
        "\"Id\":{\"Type\":\"Pass\",\"Parameters\":{\"u.$\":\"States.UUID()\"},\"Next\":\"Put\"},"
        "\"Put\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:putItem\","
        "\"Parameters\":{\"TableName\":\"Ids\",\"Item\":{\"pk\":{\"S.$\":\"$.u\"}}},"
        "\"ResultPath\":null,\"Next\":\"W\"},"
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":20,\"End\":true}}}]}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    const char *x = json_obj_get_str(start(&e, m, "d1", NULL), "executionArn");
    CHECK_EQ_INT(wait_parked(&e, &x, 1), 1);
    env_shut(&e);
    env_open_dir(&e, true);
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    CHECK(sfn_wait_idle(e.sf, 20000));
    json_t *d = describe(&e, x), *h = history(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    const char *out = json_obj_get_str(d, "output");
    json_t *o = out ? J(&e.a, out) : NULL;
    const char *u = json_obj_get_str(json_arr_at(o, 0), "u");
    CHECK(u && strlen(u) == 36);
    CHECK_EQ_INT(ddb_call(e.db, "Scan", J(&e.a, "{\"TableName\":\"Ids\"}"), &e.a, &resp, &err), 0);
    CHECK_EQ_STR(json_obj_get_str(json_obj_get(json_arr_at(json_obj_get(resp, "Items"), 0), "pk"),
                                  "S"), u ? u : "");
    CHECK_EQ_STR(json_to_str(&e.a, json_obj_get(resp, "Count")), "1");
    CHECK(history_is_sound(h));
    CHECK(ev_time(h, "WaitStateExited") - ev_time(h, "WaitStateEntered") >= 20.0);
    CHECK(ev_time(h, "WaitStateEntered") - ev_time(h, "ParallelStateEntered") < 1.0);
    env_close(&e);
}

/* The restart test: executions are parked on their Waits (and some never
 * started running) when everything closes; after reopening the same data
 * directory and sfn_start, each finishes once, with the right output, a
 * history without duplicates, and its DynamoDB write applied exactly once. */
TEST(sfn_api_restart_resumes) {
    env_t e;
    sw_error_t err;
    enum { N = 12, N_LATE = 4 };
    const char *arns[N + N_LATE];
    /* First life: the real clock, so Waits really wait. */
    env_open_real(&e);
    CHECK(create_pk_table(&e, "Cnt"));
    const char *m = create(&e, "Dur", NULL,
        "{\"StartAt\":\"Add1\",\"States\":{"
        "\"Add1\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:updateItem\","
        "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S.$\":\"$.k\"}},"
        "\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}},"
        "\"ResultPath\":null,\"Next\":\"Hold\"},"
        "\"Hold\":{\"Type\":\"Wait\",\"Seconds\":30,\"Next\":\"Add2\"},"
        "\"Add2\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:updateItem\","
        "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S.$\":\"$.k\"}},"
        "\"UpdateExpression\":\"ADD m :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}},"
        "\"ResultPath\":null,\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Pass\",\"Result\":\"ok\",\"ResultPath\":\"$.r\",\"End\":true}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    for (int i = 0; i < N; i++) {
        char name[32], input[64];
        snprintf(name, sizeof name, "e%d", i);
        snprintf(input, sizeof input, "{\"k\":\"k%d\"}", i);
        arns[i] = json_obj_get_str(start(&e, m, name, input), "executionArn");
    }
    /* Wait until every one is parked on its timer. */
    CHECK_EQ_INT(wait_parked(&e, arns, N), N);
    sfn_stop(e.sf);
    /* These are recorded but never run before the "crash". */
    for (int i = N; i < N + N_LATE; i++) {
        char name[32], input[64];
        snprintf(name, sizeof name, "e%d", i);
        snprintf(input, sizeof input, "{\"k\":\"k%d\"}", i);
        arns[i] = json_obj_get_str(start(&e, m, name, input), "executionArn");
    }
    for (int i = 0; i < N + N_LATE; i++)
        CHECK_EQ_STR(json_obj_get_str(describe(&e, arns[i]), "status"), "RUNNING");
    env_shut(&e);

    /* Second life: the virtual clock (starting now, before the timers are
     * due) jumps to each timer's original due time. */
    env_open_dir(&e, true);
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    CHECK(sfn_wait_idle(e.sf, 20000));
    for (int i = 0; i < N + N_LATE; i++) {
        json_t *d = describe(&e, arns[i]);
        char want[64], key[96];
        json_t *h = history(&e, arns[i]), *resp;
        snprintf(want, sizeof want, "{\"k\":\"k%d\",\"r\":\"ok\"}", i);
        CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
        CHECK_EQ_STR(json_obj_get_str(d, "output"), want);
        CHECK(history_is_sound(h));
        CHECK_EQ_INT(h ? h->len : 0, 16);
        CHECK_EQ_INT(count(h, "WaitStateEntered"), 1);
        CHECK_EQ_INT(count(h, "WaitStateExited"), 1);
        CHECK_EQ_INT(count(h, "TaskSucceeded"), 2);
        CHECK_EQ_INT(count(h, "ExecutionStarted"), 1);
        CHECK(ev_time(h, "WaitStateExited") - ev_time(h, "WaitStateEntered") >= 30.0);
        snprintf(key, sizeof key,
                 "{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S\":\"k%d\"}},\"ConsistentRead\":true}",
                 i);
        CHECK_EQ_INT(ddb_call(e.db, "GetItem", J(&e.a, key), &e.a, &resp, &err), 0);
        CHECK(json_is(&e.a, json_obj_get(resp, "Item"),
                      arena_sprintf(&e.a, "{\"pk\":{\"S\":\"k%d\"},\"n\":{\"N\":\"1\"},"
                                          "\"m\":{\"N\":\"1\"}}", i)));
    }
    {
        /* No timer is left behind. */
        store_txn_t *txn;
        store_cursor_t *c;
        const void *k;
        size_t k_len;
        store_txn_begin(e.store, false, &txn, &err);
        store_cursor_open(txn, STORE_TIMERS, &c, &err);
        CHECK(!store_cursor_seek(c, "", 0, &k, &k_len, NULL, NULL));
        store_cursor_close(c);
        store_txn_abort(txn);
    }
    env_close(&e);
}

/* StopExecution while the execution is parked: its timer goes, and the
 * workers leave it alone. */
TEST(sfn_api_stop_parked) {
    env_t e;
    sw_error_t err;
    env_open_real(&e);
    const char *m = create(&e, "S", NULL, WAIT_DEF);
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    const char *x = json_obj_get_str(start(&e, m, "s1", NULL), "executionArn");
    for (int tries = 0; tries < 500; tries++) {
        json_t *h = history(&e, x);
        if (h && count(h, "WaitStateEntered") == 1)
            break;
        usleep(10000);
    }
    {
        /* AWS's limits on error (256 characters) and cause (32,768). */
        json_t *req = by_arn(&e, "executionArn", x);
        char *big = arena_alloc(&e.a, 32770);
        memset(big, 'c', 32769);
        big[32769] = '\0';
        json_obj_set(&e.a, req, "cause", json_new_strz(&e.a, big));
        CHECK_EQ_STR(fails_with(&e, "StopExecution", req), "ValidationException");
        CHECK_EQ_STR(e.err.msg, "1 validation error detected: Value at 'cause' failed to "
                                "satisfy constraint: Member must have length less than or "
                                "equal to 32768");
        big[257] = '\0';
        req = by_arn(&e, "executionArn", x);
        json_obj_set(&e.a, req, "error", json_new_strz(&e.a, big));
        CHECK_EQ_STR(fails_with(&e, "StopExecution", req), "ValidationException");
        CHECK_EQ_STR(e.err.msg, "1 validation error detected: Value at 'error' failed to "
                                "satisfy constraint: Member must have length less than or "
                                "equal to 256");
        CHECK_EQ_STR(json_obj_get_str(describe(&e, x), "status"), "RUNNING");
    }
    CHECK(call(&e, "StopExecution", by_arn(&e, "executionArn", x)) != NULL);
    CHECK(sfn_wait_idle(e.sf, 5000));
    json_t *h = history(&e, x);
    CHECK(history_is_sound(h));
    CHECK_EQ_STR(ev_type(h, h ? h->len - 1 : 0), "ExecutionAborted");
    CHECK_EQ_STR(json_obj_get_str(describe(&e, x), "status"), "ABORTED");
    env_close(&e);
}

/* ---- Tags and activities ---------------------------------------------- */

TEST(sfn_api_tags_and_activities) {
    env_t e;
    env_open(&e);
    const char *m = create(&e, "T", NULL, PASS_DEF);
    json_t *req = by_arn(&e, "resourceArn", m);
    json_obj_set(&e.a, req, "tags",
                 J(&e.a, "[{\"key\":\"team\",\"value\":\"a\"},{\"key\":\"env\",\"value\":\"dev\"}]"));
    CHECK(call(&e, "TagResource", req) != NULL);
    json_obj_set(&e.a, req, "tags", J(&e.a, "[{\"key\":\"team\",\"value\":\"b\"}]"));
    CHECK(call(&e, "TagResource", req) != NULL);
    json_t *l = call(&e, "ListTagsForResource", by_arn(&e, "resourceArn", m));
    CHECK(json_is(&e.a, json_obj_get(l, "tags"),
                  "[{\"key\":\"env\",\"value\":\"dev\"},{\"key\":\"team\",\"value\":\"b\"}]"));
    req = by_arn(&e, "resourceArn", m);
    json_obj_set(&e.a, req, "tagKeys", J(&e.a, "[\"env\"]"));
    CHECK(call(&e, "UntagResource", req) != NULL);
    l = call(&e, "ListTagsForResource", by_arn(&e, "resourceArn", m));
    CHECK(json_is(&e.a, json_obj_get(l, "tags"), "[{\"key\":\"team\",\"value\":\"b\"}]"));
    CHECK_EQ_STR(fails_with(&e, "ListTagsForResource",
                            by_arn(&e, "resourceArn",
                                   "arn:aws:states:us-east-1:123456789012:stateMachine:No")),
                 "ResourceNotFound");
    CHECK_EQ_STR(fails_with(&e, "ListTagsForResource", by_arn(&e, "resourceArn", "x")),
                 "InvalidArn");

    json_t *act = callj(&e, "CreateActivity", "{\"name\":\"work\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}");
    const char *aarn = json_obj_get_str(act, "activityArn");
    CHECK_EQ_STR(aarn, "arn:aws:states:us-east-1:123456789012:activity:work");
    json_t *again = callj(&e, "CreateActivity", "{\"name\":\"work\"}");
    CHECK(again && json_equal(json_obj_get(act, "creationDate"), json_obj_get(again, "creationDate")));
    callj(&e, "CreateActivity", "{\"name\":\"other\"}");
    json_t *d = call(&e, "DescribeActivity", by_arn(&e, "activityArn", aarn));
    CHECK_EQ_STR(json_obj_get_str(d, "name"), "work");
    l = call(&e, "ListTagsForResource", by_arn(&e, "resourceArn", aarn));
    CHECK(json_is(&e.a, json_obj_get(l, "tags"), "[{\"key\":\"k\",\"value\":\"v\"}]"));
    l = callj(&e, "ListActivities", "{\"maxResults\":1}");
    CHECK(l && json_obj_get(l, "activities")->len == 1 && json_obj_get_str(l, "nextToken"));
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(json_obj_get(l, "activities"), 0), "name"), "other");
    CHECK(call(&e, "DeleteActivity", by_arn(&e, "activityArn", aarn)) != NULL);
    CHECK_EQ_STR(fails_with(&e, "DescribeActivity", by_arn(&e, "activityArn", aarn)),
                 "ActivityDoesNotExist");
    CHECK_EQ_STR(e.err.msg,
                 "Activity Does Not Exist: 'arn:aws:states:us-east-1:123456789012:activity:work'");
    /* Machines and activities share the catalog without mixing. */
    l = callj(&e, "ListStateMachines", "{}");
    CHECK(l && json_obj_get(l, "stateMachines")->len == 1);
    env_close(&e);
}

/* The execution's TimeoutSeconds wakes a parked execution at its deadline. */
TEST(sfn_api_timeout_while_parked) {
    env_t e;
    sw_error_t err;
    env_open(&e);
    const char *m = create(&e, "TO", NULL,
        "{\"TimeoutSeconds\":10,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
        "\"Seconds\":3600,\"End\":true}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    const char *x = json_obj_get_str(start(&e, m, "t", NULL), "executionArn");
    CHECK(sfn_wait_idle(e.sf, 10000));
    json_t *d = describe(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "TIMED_OUT");
    CHECK_EQ_STR(json_obj_get_str(d, "error"), "States.Timeout");
    double took = json_num_double(json_obj_get(d, "stopDate")) -
                  json_num_double(json_obj_get(d, "startDate"));
    CHECK(took >= 10.0 && took < 11.0);
    json_t *h = history(&e, x);
    CHECK(history_is_sound(h));
    CHECK_EQ_STR(ev_type(h, h ? h->len - 1 : 0), "ExecutionTimedOut");
    env_close(&e);
}

/* sfn_stop does not wait for a Wait inside a Parallel branch (real clock):
 * the execution is parked there, its events so far written; after the
 * restart it replays the Parallel, and every event appears once. */
TEST(sfn_api_stop_interrupts_branch_wait) {
    env_t e;
    sw_error_t err;
    struct timespec t0, t1;
    env_open_real(&e);
    const char *m = create(&e, "PW", NULL,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":["
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":3600,\"End\":true}}}],"
        "\"End\":true}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    const char *x = json_obj_get_str(start(&e, m, "p", "{\"z\":0}"), "executionArn");
    usleep(100000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sfn_stop(e.sf);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 2);
    CHECK_EQ_STR(json_obj_get_str(describe(&e, x), "status"), "RUNNING");
    CHECK_EQ_INT(history(&e, x)->len, 4);   /* up to the branch's WaitStateEntered */
    CHECK_EQ_STR(ev_type(history(&e, x), 3), "WaitStateEntered");
    env_shut(&e);
    env_open_dir(&e, true);
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    CHECK(sfn_wait_idle(e.sf, 10000));
    json_t *d = describe(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "SUCCEEDED");
    CHECK_EQ_STR(json_obj_get_str(d, "output"), "[{\"z\":0}]");
    json_t *h = history(&e, x);
    CHECK(history_is_sound(h));
    CHECK_EQ_INT(count(h, "ParallelStateEntered"), 1);
    CHECK_EQ_INT(count(h, "WaitStateEntered"), 1);
    env_close(&e);
}

/* A real crash: a child process runs executions (DynamoDB writes around a
 * Wait) and is killed with SIGKILL mid-way; reopening the data directory
 * finishes every execution it had acknowledged, each write applied once
 * and each history whole. */
TEST(sfn_api_sigkill_mid_run) {
    env_t e;
    sw_error_t err;
    enum { N = 24 };
    pid_t pid;
    memset(&e, 0, sizeof e);
    arena_init(&e.a);
    strcpy(e.dir, "/tmp/sfn-api-XXXXXX");
    if (!mkdtemp(e.dir))
        abort();
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        json_t *resp;
        env_open_dir(&e, false);
        if (ddb_call(e.db, "CreateTable",
                     J(&e.a, "{\"TableName\":\"Cnt\",\"KeySchema\":[{\"AttributeName\":"
                             "\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
                             "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                             "\"BillingMode\":\"PAY_PER_REQUEST\"}"),
                     &e.a, &resp, &err) < 0)
            _exit(2);
        const char *m = create(&e, "Crash", NULL,
            "{\"StartAt\":\"Add1\",\"States\":{"
            "\"Add1\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:updateItem\","
            "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S.$\":\"$$.Execution.Name\"}},"
            "\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}},"
            "\"ResultPath\":null,\"Next\":\"Hold\"},"
            "\"Hold\":{\"Type\":\"Wait\",\"Seconds\":1,\"Next\":\"Add2\"},"
            "\"Add2\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:updateItem\","
            "\"Parameters\":{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S.$\":\"$$.Execution.Name\"}},"
            "\"UpdateExpression\":\"ADD m :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}},"
            "\"ResultPath\":null,\"End\":true}}}");
        if (sfn_start(e.sf, 2, &err) < 0)
            _exit(2);
        for (int i = 0;; i++) {
            char name[32];
            snprintf(name, sizeof name, "c%d", i % 1000);
            start(&e, m, name, "{}");
            usleep(i < N ? 20000 : 200000);
        }
    }
    CHECK(pid > 0);
    usleep(1300000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

    env_open_dir(&e, true);
    {
        /* Some were caught mid-way (parked on their Waits). */
        json_t *r = callj(&e, "ListExecutions",
                          "{\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:"
                          "stateMachine:Crash\",\"statusFilter\":\"RUNNING\"}");
        CHECK(r && json_obj_get(r, "executions")->len >= 1);
    }
    CHECK_EQ_INT(sfn_start(e.sf, 2, &err), 0);
    CHECK(sfn_wait_idle(e.sf, 20000));
    json_t *l = callj(&e, "ListExecutions",
                      "{\"stateMachineArn\":\"arn:aws:states:us-east-1:123456789012:stateMachine:"
                      "Crash\",\"maxResults\":1000}");
    const json_t *list = json_obj_get(l, "executions");
    CHECK(list && list->len >= 10);
    for (size_t i = 0; list && i < list->len; i++) {
        const char *x = json_obj_get_str(list->u.items[i], "executionArn");
        const char *name = json_obj_get_str(list->u.items[i], "name");
        json_t *h = history(&e, x), *resp;
        char key[128];
        CHECK_EQ_STR(json_obj_get_str(describe(&e, x), "status"), "SUCCEEDED");
        CHECK(history_is_sound(h));
        CHECK_EQ_INT(h ? h->len : 0, 14);
        snprintf(key, sizeof key,
                 "{\"TableName\":\"Cnt\",\"Key\":{\"pk\":{\"S\":\"%s\"}},\"ConsistentRead\":true}",
                 name);
        CHECK_EQ_INT(ddb_call(e.db, "GetItem", J(&e.a, key), &e.a, &resp, &err), 0);
        CHECK(json_is(&e.a, json_obj_get(resp, "Item"),
                      arena_sprintf(&e.a, "{\"pk\":{\"S\":\"%s\"},\"n\":{\"N\":\"1\"},"
                                          "\"m\":{\"N\":\"1\"}}", name)));
    }
    env_close(&e);
}

/* Waits inside Parallel branches hold their worker (real clock), but the
 * pool grows: other executions are not starved. */
TEST(sfn_api_branch_waits_do_not_starve) {
    env_t e;
    sw_error_t err;
    env_open_real(&e);
    const char *slow = create(&e, "Slow", NULL,
        "{\"StartAt\":\"Par\",\"States\":{\"Par\":{\"Type\":\"Parallel\",\"Branches\":["
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":30,\"End\":true}}}],"
        "\"End\":true}}}");
    const char *fast = create(&e, "Fast", NULL, PASS_DEF);
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    for (int i = 0; i < 3; i++)
        start(&e, slow, arena_sprintf(&e.a, "s%d", i), NULL);
    usleep(100000);
    const char *x = json_obj_get_str(start(&e, fast, "f", NULL), "executionArn");
    const char *status = NULL;
    for (int tries = 0; tries < 100; tries++) {
        status = json_obj_get_str(describe(&e, x), "status");
        if (strcmp(status, "RUNNING") != 0)
            break;
        usleep(10000);
    }
    CHECK_EQ_STR(status, "SUCCEEDED");
    sfn_stop(e.sf);
    env_close(&e);
}

/* ---- QA regressions ---------------------------------------------------- */

/* A definition over the API's 1,048,576-character constraint is refused by
 * CreateStateMachine, UpdateStateMachine and ValidateStateMachineDefinition
 * with the ValidationException of a length constraint. */
TEST(sfn_api_definition_length_constraint) {
    env_t e;
    env_open(&e);
    size_t n = SFN_MAX_DEFINITION_CHARS + 1;
    char *big = arena_alloc(&e.a, n + 1);
    /* A valid machine padded with spaces: only the length is wrong. */
    memset(big, ' ', n);
    memcpy(big, PASS_DEF, strlen(PASS_DEF));
    big[n] = '\0';
    const char *want = "1 validation error detected: Value at 'definition' failed to satisfy "
                       "constraint: Member must have length less than or equal to 1048576";
    CHECK_EQ_STR(fails_with(&e, "CreateStateMachine", machine_req(&e, "Big", NULL, big)),
                 "ValidationException");
    CHECK_EQ_STR(e.err.msg, want);
    {
        json_t *req = json_new_obj(&e.a);
        json_obj_set(&e.a, req, "definition", json_new_strz(&e.a, big));
        CHECK_EQ_STR(fails_with(&e, "ValidateStateMachineDefinition", req),
                     "ValidationException");
        CHECK_EQ_STR(e.err.msg, want);
    }
    {
        const char *arn = create(&e, "Small", NULL, PASS_DEF);
        json_t *req = by_arn(&e, "stateMachineArn", arn);
        json_obj_set(&e.a, req, "definition", json_new_strz(&e.a, big));
        CHECK_EQ_STR(fails_with(&e, "UpdateStateMachine", req), "ValidationException");
        CHECK_EQ_STR(e.err.msg, want);
    }
    /* Exactly at the limit is accepted; characters, not bytes, count. */
    big[n - 1] = '\0';
    CHECK(create(&e, "AtLimit", NULL, big) != NULL);
    {
        size_t chars;
        sw_error_t err;
        CHECK_EQ_INT(sfn_definition_check_length("\xc3\xa9t\xc3\xa9", 5, &chars, &err), 0);
        CHECK_EQ_INT((int)chars, 3);
        CHECK_EQ_INT(sfn_definition_check_length("", 0, &chars, &err), -1);
        CHECK(strstr(err.msg, "greater than or equal to 1") != NULL);
    }
    env_close(&e);
}

/* A Fail state without Error or Cause: the execution fails with neither,
 * in DescribeExecution and in the ExecutionFailed event's details. */
TEST(sfn_api_fail_without_error_or_cause) {
    env_t e;
    sw_error_t err;
    env_open(&e);
    const char *m = create(&e, "Bare", NULL,
                           "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\"}}}");
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    json_t *s = start(&e, m, "bare1", "{}");
    const char *x = json_obj_get_str(s, "executionArn");
    CHECK(sfn_wait_idle(e.sf, 10000));
    json_t *d = describe(&e, x);
    CHECK_EQ_STR(json_obj_get_str(d, "status"), "FAILED");
    CHECK(!json_obj_get(d, "error"));
    CHECK(!json_obj_get(d, "cause"));
    json_t *h = history(&e, x);
    CHECK(h && h->len == 3);
    CHECK_EQ_STR(ev_type(h, 2), "ExecutionFailed");
    const json_t *det = json_obj_get(json_arr_at(h, 2), "executionFailedEventDetails");
    CHECK(det && json_is_obj(det) && det->len == 0);
    env_close(&e);
}

/* `stepwise serve --region R --account A`: every ARN the engine makes, the
 * default role and TaskScheduled's region name them. */
TEST(sfn_api_set_location) {
    env_t e;
    env_open(&e);
    CHECK_EQ_INT(sfn_set_location(e.sf, "eu-west-1", "111122223333", &e.err), 0);
    const char *m = create(&e, "X", NULL, WAIT_DEF);
    CHECK_EQ_STR(m, "arn:aws:states:eu-west-1:111122223333:stateMachine:X");
    {
        json_t *d = call(&e, "DescribeStateMachine", by_arn(&e, "stateMachineArn", m));
        CHECK_EQ_STR(json_obj_get_str(d, "stateMachineArn"),
                     "arn:aws:states:eu-west-1:111122223333:stateMachine:X");
    }
    CHECK_EQ_STR(fails_with(&e, "DescribeStateMachine",
                            by_arn(&e, "stateMachineArn",
                                   "arn:aws:states:us-east-1:123456789012:stateMachine:X")),
                 "StateMachineDoesNotExist");

    json_t *s = start(&e, m, "run-1", "{}");
    const char *x = json_obj_get_str(s, "executionArn");
    CHECK_EQ_STR(x, "arn:aws:states:eu-west-1:111122223333:execution:X:run-1");
    {
        json_t *d = describe(&e, x);
        CHECK_EQ_STR(json_obj_get_str(d, "executionArn"),
                     "arn:aws:states:eu-west-1:111122223333:execution:X:run-1");
        CHECK_EQ_STR(json_obj_get_str(d, "stateMachineArn"),
                     "arn:aws:states:eu-west-1:111122223333:stateMachine:X");
    }
    {
        json_t *l = call(&e, "ListExecutions", by_arn(&e, "stateMachineArn", m));
        const json_t *list = json_obj_get(l, "executions");
        CHECK(list && list->len == 1);
        CHECK_EQ_STR(json_obj_get_str(json_arr_at(list, 0), "executionArn"),
                     "arn:aws:states:eu-west-1:111122223333:execution:X:run-1");
    }
    {
        json_t *act = callj(&e, "CreateActivity", "{\"name\":\"work\"}");
        CHECK_EQ_STR(json_obj_get_str(act, "activityArn"),
                     "arn:aws:states:eu-west-1:111122223333:activity:work");
    }
    {
        const char *fast = create(&e, "Fast", "EXPRESS", PASS_DEF);
        const char *want = "arn:aws:states:eu-west-1:111122223333:express:Fast:s1:";
        json_t *req = by_arn(&e, "stateMachineArn", fast);
        json_obj_set(&e.a, req, "name", json_new_strz(&e.a, "s1"));
        json_t *r = call(&e, "StartSyncExecution", req);
        const char *arn = json_obj_get_str(r, "executionArn");
        CHECK(arn && strncmp(arn, want, strlen(want)) == 0 &&
              strlen(arn) == strlen(want) + 36);
        CHECK_EQ_STR(json_obj_get_str(r, "stateMachineArn"),
                     "arn:aws:states:eu-west-1:111122223333:stateMachine:Fast");
    }
    {
        /* sfn_run: the default role, $$ ids and TaskScheduled's region. */
        sfn_run_result_t r;
        json_t *def = J(&e.a,
            "{\"StartAt\":\"Ctx\",\"States\":{\"Ctx\":{\"Type\":\"Pass\",\"Parameters\":{"
            "\"role.$\":\"$$.Execution.RoleArn\",\"id.$\":\"$$.Execution.Id\","
            "\"sm.$\":\"$$.StateMachine.Id\"},\"ResultPath\":\"$.ctx\",\"Next\":\"Put\"},"
            "\"Put\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::dynamodb:putItem\","
            "\"Parameters\":{\"TableName\":\"NoSuchTable\",\"Item\":{\"pk\":{\"S\":\"k\"}}},"
            "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$.err\","
            "\"Next\":\"Done\"}],\"End\":true},\"Done\":{\"Type\":\"Succeed\"}}}");
        CHECK_EQ_INT(sfn_run(e.sf, def, NULL, "n1", &e.a, &r, &e.err), 0);
        CHECK_EQ_STR(r.status, "SUCCEEDED");
        CHECK_EQ_STR(r.execution_arn, "arn:aws:states:eu-west-1:111122223333:execution:stepwise:n1");
        CHECK_EQ_STR(r.state_machine_arn, "arn:aws:states:eu-west-1:111122223333:stateMachine:stepwise");
        CHECK(json_is(&e.a, json_obj_get(r.output, "ctx"),
                      "{\"role\":\"arn:aws:iam::111122223333:role/StepFunctionsRole\","
                      "\"id\":\"arn:aws:states:eu-west-1:111122223333:execution:stepwise:n1\","
                      "\"sm\":\"arn:aws:states:eu-west-1:111122223333:stateMachine:stepwise\"}"));
        const json_t *sched = NULL;
        for (size_t i = 0; r.history && i < r.history->len; i++)
            if (strcmp(ev_type(r.history, i), "TaskScheduled") == 0)
                sched = json_obj_get(json_arr_at(r.history, i), "taskScheduledEventDetails");
        CHECK_EQ_STR(json_obj_get_str(sched, "region"), "eu-west-1");
    }

    /* Refused values change nothing. */
    CHECK_EQ_INT(sfn_set_location(e.sf, "eu-west-1", "12", &e.err), -1);
    CHECK_EQ_STR(e.err.type, "ValidationException");
    CHECK_EQ_STR(e.err.msg, "Invalid account '12': expected exactly 12 digits");
    CHECK_EQ_INT(sfn_set_location(e.sf, "eu west 1", "111122223333", &e.err), -1);
    CHECK_EQ_STR(e.err.msg, "Invalid region 'eu west 1': expected lowercase letters, digits "
                            "and dashes, such as eu-west-1");
    CHECK_EQ_STR(create(&e, "Y", NULL, PASS_DEF),
                 "arn:aws:states:eu-west-1:111122223333:stateMachine:Y");
    env_close(&e);
}

/* StartExecution goes through the store's group commit: several callers'
 * starts share one batch (one fsync), and the workers are woken only once
 * it has committed, so every execution runs. */
typedef struct start_job {
    env_t *e;
    const char *machine;
    int i;
    int rc;
} start_job_t;

static void *start_main(void *arg) {
    start_job_t *j = arg;
    arena_t a;
    json_t *req, *resp;
    sw_error_t err;
    arena_init(&a);
    req = json_new_obj(&a);
    json_obj_set(&a, req, "stateMachineArn", json_new_strz(&a, j->machine));
    json_obj_set(&a, req, "name", json_new_strz(&a, arena_sprintf(&a, "g%d", j->i)));
    j->rc = sfn_call(j->e->sf, "StartExecution", req, &a, &resp, &err);
    arena_release(&a);
    return NULL;
}

TEST(sfn_api_start_execution_group_commit) {
    env_t e;
    sw_error_t err;
    enum { N = 6 };
    start_job_t jobs[N];
    pthread_t threads[N];
    size_t n_queued = 0;
    uint64_t n_batches0, n_batches, n_requests;
    env_open(&e);
    const char *m = create(&e, "G", NULL, PASS_DEF);
    CHECK_EQ_INT(sfn_start(e.sf, 1, &err), 0);
    store_writer_hold(e.store, true);
    store_writer_stats(e.store, &n_queued, &n_batches0, &n_requests);
    for (int i = 0; i < N; i++) {
        jobs[i] = (start_job_t){&e, m, i, -2};
        pthread_create(&threads[i], NULL, start_main, &jobs[i]);
    }
    for (int tries = 0; tries < 5000 && n_queued < N; tries++) {
        usleep(1000);
        store_writer_stats(e.store, &n_queued, &n_batches, &n_requests);
    }
    CHECK_EQ_INT(n_queued, N);
    store_writer_hold(e.store, false);
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(jobs[i].rc, 0);
    }
    store_writer_stats(e.store, &n_queued, &n_batches, &n_requests);
    CHECK_EQ_INT(n_batches - n_batches0, 1);
    CHECK(sfn_wait_idle(e.sf, 5000));
    for (int i = 0; i < N; i++) {
        const char *x = arena_sprintf(&e.a, "arn:aws:states:us-east-1:123456789012:execution:G:g%d", i);
        CHECK_EQ_STR(json_obj_get_str(describe(&e, x), "status"), "SUCCEEDED");
    }
    env_close(&e);
}

/* ListExecutions pages by place, not by count: executions started or
 * closed between two pages neither repeat nor hide the others. */
TEST(sfn_api_list_executions_pages_are_stable) {
    env_t e;
    env_open(&e);
    const char *m = create(&e, "Pg", NULL, WAIT_DEF);
    for (int i = 0; i < 5; i++) {
        start(&e, m, arena_sprintf(&e.a, "a%d", i), NULL);
        e.clock.virtual_now_ms += 1000;   /* distinct start times */
    }
    json_t *req = by_arn(&e, "stateMachineArn", m);
    json_obj_set(&e.a, req, "maxResults", json_new_num_i64(&e.a, 2));
    json_t *p1 = call(&e, "ListExecutions", req);
    const json_t *l1 = json_obj_get(p1, "executions");
    CHECK(l1 && l1->len == 2);
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(l1, 0), "name"), "a4");
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(l1, 1), "name"), "a3");
    for (int i = 0; i < 3; i++) {
        start(&e, m, arena_sprintf(&e.a, "b%d", i), NULL);
        e.clock.virtual_now_ms += 1000;
    }
    json_obj_set(&e.a, req, "maxResults", json_new_num_i64(&e.a, 10));
    json_obj_set(&e.a, req, "nextToken", json_obj_get(p1, "nextToken"));
    json_t *p2 = call(&e, "ListExecutions", req);
    const json_t *l2 = json_obj_get(p2, "executions");
    CHECK(l2 && l2->len == 3);
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(l2, 0), "name"), "a2");
    CHECK_EQ_STR(json_obj_get_str(json_arr_at(l2, 2), "name"), "a0");
    CHECK(!json_obj_get(p2, "nextToken"));
    /* Another machine's listing does not take the token. */
    const char *other = create(&e, "Pg2", NULL, WAIT_DEF);
    json_t *req2 = by_arn(&e, "stateMachineArn", other);
    json_obj_set(&e.a, req2, "nextToken", json_obj_get(p1, "nextToken"));
    CHECK_EQ_STR(fails_with(&e, "ListExecutions", req2), "InvalidToken");
    env_close(&e);
}
