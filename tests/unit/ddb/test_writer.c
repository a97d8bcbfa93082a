/* test_writer.c - group commit (store/writer.c, through ddb_call) from several
 * threads: every acknowledged PutItem is there afterwards, conditional
 * writes racing on one key have exactly one winner, and a request that
 * fails inside a batch changes nothing while the rest of its batch commits.
 * The writer's test hook (store_writer_hold) makes one batch of several
 * threads' requests deterministically. Threads only record results; the
 * checks run on the main thread (test_fail is not thread-safe). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "ddb/ddb_int.h"
#include "ddb_test.h"

#define CREATE_PK(name)                                                                  \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","  \
    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"   \
    "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

#define N_THREADS 8

/* ddb_call on JSON text from any thread, in the caller's arena. Returns
 * 0 or -1; *type gets the error type (static) on failure. */
static int call_text(ddb_t *db, arena_t *a, const char *op, const char *body,
                     const char **type) {
    sw_error_t err;
    json_t *resp;
    json_t *req = json_parse(a, body, strlen(body), &err);
    *type = NULL;
    if (!req)
        abort();
    memset(&err, 0, sizeof err);
    if (ddb_call(db, op, req, a, &resp, &err) == 0)
        return 0;
    *type = err.type ? err.type : "?";
    return -1;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until `n` requests sit in the held writer's queue. */
static void wait_queued(store_t *store, size_t n) {
    for (int tries = 0; tries < 10000; tries++) {
        size_t q;
        uint64_t b, r;
        store_writer_stats(store, &q, &b, &r);
        if (q >= n)
            return;
        sleep_ms(1);
    }
    fprintf(stderr, "test_writer: requests never queued\n");
    abort();
}

/* ------------------------------------------------ many threads, many puts */

#define PUTS_PER_THREAD 150

typedef struct put_job {
    ddb_t *db;
    int thread;
    int n_acked;
    bool is_acked[PUTS_PER_THREAD];
    const char *first_error;
} put_job_t;

static void *put_main(void *arg) {
    put_job_t *j = arg;
    arena_t a;
    arena_init(&a);
    for (int k = 0; k < PUTS_PER_THREAD; k++) {
        const char *type;
        char *body = arena_sprintf(&a,
                                   "{\"TableName\":\"tw1\",\"Item\":{\"pk\":{\"S\":\"t%d-%d\"},"
                                   "\"v\":{\"N\":\"%d\"}}}",
                                   j->thread, k, k);
        if (call_text(j->db, &a, "PutItem", body, &type) == 0) {
            j->is_acked[k] = true;
            j->n_acked++;
        } else if (!j->first_error) {
            j->first_error = type;
        }
    }
    arena_release(&a);
    return NULL;
}

TEST(ddb_writer_concurrent_puts_all_present) {
    ddb_fixture_t f;
    pthread_t th[N_THREADS];
    put_job_t jobs[N_THREADS];
    size_t q;
    uint64_t n_batches, n_requests;

    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tw1"));
    for (int t = 0; t < N_THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].db = f.db;
        jobs[t].thread = t;
        CHECK(pthread_create(&th[t], NULL, put_main, &jobs[t]) == 0);
    }
    for (int t = 0; t < N_THREADS; t++)
        pthread_join(th[t], NULL);

    for (int t = 0; t < N_THREADS; t++) {
        CHECK_EQ_INT(jobs[t].n_acked, PUTS_PER_THREAD);
        if (jobs[t].first_error)
            test_fail(__FILE__, __LINE__, "thread %d: PutItem failed: %s", t, jobs[t].first_error);
        for (int k = 0; k < PUTS_PER_THREAD; k++) {
            if (!jobs[t].is_acked[k])
                continue;
            FX_OK(&f, "GetItem",
                  arena_sprintf(&f.a, "{\"TableName\":\"tw1\",\"Key\":{\"pk\":{\"S\":\"t%d-%d\"}}}",
                                t, k));
            CHECK_EQ_STR(fx_resp(&f),
                         arena_sprintf(&f.a, "{\"Item\":{\"pk\":{\"S\":\"t%d-%d\"},\"v\":{\"N\":\"%d\"}}}",
                                       t, k, k));
        }
    }
    FX_OK(&f, "Scan", "{\"TableName\":\"tw1\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), arena_sprintf(&f.a, "%d", N_THREADS * PUTS_PER_THREAD));
    store_writer_stats(f.store, &q, &n_batches, &n_requests);
    CHECK_EQ_INT(q, 0);
    CHECK_EQ_INT(n_requests, N_THREADS * PUTS_PER_THREAD + 1);   /* + CreateTable */
    CHECK(n_batches >= 1 && n_batches <= n_requests);
    fx_close(&f);
}

/* ------------------------------------- conditional writes racing on a key */

typedef struct race_job {
    ddb_t *db;
    pthread_barrier_t *start;   /* NULL: no barrier (held writer) */
    const char *key;
    int thread;
    int rc;
    const char *type;
} race_job_t;

static void *race_main(void *arg) {
    race_job_t *j = arg;
    arena_t a;
    arena_init(&a);
    char *body = arena_sprintf(&a,
                               "{\"TableName\":\"tw2\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                               "\"owner\":{\"N\":\"%d\"}},"
                               "\"ConditionExpression\":\"attribute_not_exists(pk)\"}",
                               j->key, j->thread);
    if (j->start)
        pthread_barrier_wait(j->start);
    j->rc = call_text(j->db, &a, "PutItem", body, &j->type);
    arena_release(&a);
    return NULL;
}

/* Runs N_THREADS conditional puts on `key`; checks exactly one won and the
 * stored item is the winner's. */
static void race_round(ddb_fixture_t *f, const char *key, bool is_held) {
    pthread_t th[N_THREADS];
    race_job_t jobs[N_THREADS];
    pthread_barrier_t start;
    int winner = -1, n_won = 0, n_lost = 0;

    if (!is_held)
        pthread_barrier_init(&start, NULL, N_THREADS);
    for (int t = 0; t < N_THREADS; t++) {
        jobs[t] = (race_job_t){f->db, is_held ? NULL : &start, key, t, 0, NULL};
        CHECK(pthread_create(&th[t], NULL, race_main, &jobs[t]) == 0);
    }
    if (is_held) {
        wait_queued(f->store, N_THREADS);
        store_writer_hold(f->store, false);
    }
    for (int t = 0; t < N_THREADS; t++)
        pthread_join(th[t], NULL);
    if (!is_held)
        pthread_barrier_destroy(&start);

    for (int t = 0; t < N_THREADS; t++) {
        if (jobs[t].rc == 0) {
            n_won++;
            winner = t;
        } else if (!strcmp(jobs[t].type, "ConditionalCheckFailedException")) {
            n_lost++;
        } else {
            test_fail(__FILE__, __LINE__, "thread %d: unexpected %s", t, jobs[t].type);
        }
    }
    CHECK_EQ_INT(n_won, 1);
    CHECK_EQ_INT(n_lost, N_THREADS - 1);
    FX_OK(f, "GetItem",
          arena_sprintf(&f->a, "{\"TableName\":\"tw2\",\"Key\":{\"pk\":{\"S\":\"%s\"}}}", key));
    CHECK_EQ_STR(fx_resp(f), arena_sprintf(&f->a,
                                           "{\"Item\":{\"pk\":{\"S\":\"%s\"},\"owner\":{\"N\":\"%d\"}}}",
                                           key, winner));
}

TEST(ddb_writer_conditional_race_one_winner) {
    ddb_fixture_t f;
    size_t q;
    uint64_t b0, b1, r0, r1;

    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tw2"));
    /* Free-running: the threads meet at a barrier and race. */
    for (int round = 0; round < 20; round++)
        race_round(&f, arena_sprintf(&f.a, "free-%d", round), false);
    /* Held: all N requests in one batch, one parent transaction. */
    store_writer_stats(f.store, &q, &b0, &r0);
    store_writer_hold(f.store, true);
    race_round(&f, "held", true);
    store_writer_stats(f.store, &q, &b1, &r1);
    CHECK_EQ_INT(b1 - b0, 1);
    CHECK_EQ_INT(r1 - r0, N_THREADS);
    fx_close(&f);
}

/* ------------------------------- a failing request inside a batch */

typedef struct one_job {
    ddb_t *db;
    const char *op;
    const char *body;
    int rc;
    const char *type;
} one_job_t;

static void *one_main(void *arg) {
    one_job_t *j = arg;
    arena_t a;
    arena_init(&a);
    j->rc = call_text(j->db, &a, j->op, j->body, &j->type);
    arena_release(&a);
    return NULL;
}

TEST(ddb_writer_failed_request_in_batch_changes_nothing) {
    ddb_fixture_t f;
    /* Outcomes that do not depend on the order the batch runs them in. */
    one_job_t jobs[] = {
        {NULL, "PutItem", "{\"TableName\":\"tw3\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}",
         0, NULL},
        /* Cancelled: its Puts of b and c must not appear. */
        {NULL, "TransactWriteItems",
         "{\"TransactItems\":["
         "{\"Put\":{\"TableName\":\"tw3\",\"Item\":{\"pk\":{\"S\":\"b\"}}}},"
         "{\"Put\":{\"TableName\":\"tw3\",\"Item\":{\"pk\":{\"S\":\"c\"}}}},"
         "{\"ConditionCheck\":{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"never\"}},"
         "\"ConditionExpression\":\"attribute_exists(pk)\"}}]}",
         0, NULL},
        /* Fails its condition whether or not "a" exists yet. */
        {NULL, "UpdateItem",
         "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"UpdateExpression\":\"SET n = :9\","
         "\"ConditionExpression\":\"n = :9\",\"ExpressionAttributeValues\":{\":9\":{\"N\":\"9\"}}}",
         0, NULL},
        /* A BatchWriteItem with one invalid item writes none of them. */
        {NULL, "BatchWriteItem",
         "{\"RequestItems\":{\"tw3\":["
         "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"e\"}}}},"
         "{\"PutRequest\":{\"Item\":{\"pk\":{\"N\":\"1\"}}}}]}}",
         0, NULL},
        {NULL, "PutItem", "{\"TableName\":\"nope\",\"Item\":{\"pk\":{\"S\":\"x\"}}}", 0, NULL},
        {NULL, "DeleteItem",
         "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"keep\"}},"
         "\"ConditionExpression\":\"attribute_not_exists(pk)\"}",
         0, NULL},
        {NULL, "PutItem", "{\"TableName\":\"tw3\",\"Item\":{\"pk\":{\"S\":\"d\"}}}", 0, NULL},
    };
    const size_t n_jobs = sizeof jobs / sizeof jobs[0];
    const bool want_ok[] = {true, false, false, false, false, false, true};
    const char *const want_type[] = {NULL, "TransactionCanceledException",
                                     "ConditionalCheckFailedException", "ValidationException",
                                     "ResourceNotFoundException",
                                     "ConditionalCheckFailedException", NULL};
    pthread_t th[sizeof jobs / sizeof jobs[0]];
    size_t q;
    uint64_t b0, b1, r0, r1;

    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tw3"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"tw3\",\"Item\":{\"pk\":{\"S\":\"keep\"}}}");
    store_writer_stats(f.store, &q, &b0, &r0);
    store_writer_hold(f.store, true);
    for (size_t k = 0; k < n_jobs; k++) {
        jobs[k].db = f.db;
        CHECK(pthread_create(&th[k], NULL, one_main, &jobs[k]) == 0);
    }
    wait_queued(f.store, n_jobs);
    store_writer_hold(f.store, false);
    for (size_t k = 0; k < n_jobs; k++)
        pthread_join(th[k], NULL);
    store_writer_stats(f.store, &q, &b1, &r1);
    CHECK_EQ_INT(b1 - b0, 1);   /* one parent transaction, one commit */
    CHECK_EQ_INT(r1 - r0, n_jobs);

    for (size_t k = 0; k < n_jobs; k++) {
        if (want_ok[k]) {
            if (jobs[k].rc != 0)
                test_fail(__FILE__, __LINE__, "job %zu (%s) failed: %s", k, jobs[k].op,
                          jobs[k].type);
        } else if (jobs[k].rc == 0) {
            test_fail(__FILE__, __LINE__, "job %zu (%s) succeeded", k, jobs[k].op);
        } else {
            CHECK_EQ_STR(jobs[k].type, want_type[k]);
        }
    }
    FX_OK(&f, "Scan", "{\"TableName\":\"tw3\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "3");
    FX_OK(&f, "GetItem", "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"a\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}");
    FX_OK(&f, "GetItem", "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"d\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"pk\":{\"S\":\"d\"}}}");
    FX_OK(&f, "GetItem", "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":\"keep\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"pk\":{\"S\":\"keep\"}}}");
    const char *absent[] = {"b", "c", "e"};
    for (size_t k = 0; k < 3; k++) {
        FX_OK(&f, "GetItem", arena_sprintf(&f.a, "{\"TableName\":\"tw3\",\"Key\":{\"pk\":{\"S\":"
                                                 "\"%s\"}}}", absent[k]));
        CHECK_EQ_STR(fx_resp(&f), "{}");
    }
    fx_close(&f);
}

/* ----------------------------- the caller's own transaction still works */

TEST(ddb_writer_call_txn_bypasses_writer) {
    ddb_fixture_t f;
    store_txn_t *txn;
    sw_error_t err;
    json_t *resp;
    size_t q;
    uint64_t b0, b1, r0, r1;
    const char *body = "{\"TableName\":\"tw4\",\"Item\":{\"pk\":{\"S\":\"x\"}}}";

    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tw4"));
    store_writer_stats(f.store, &q, &b0, &r0);
    CHECK(store_txn_begin(f.store, true, &txn, &err) == 0);
    json_t *req = json_parse(&f.a, body, strlen(body), &err);
    CHECK(ddb_call_txn(f.db, txn, "PutItem", req, &f.a, &resp, &err) == 0);
    CHECK(store_txn_commit(txn, &err) == 0);
    store_writer_stats(f.store, &q, &b1, &r1);
    CHECK_EQ_INT(r1 - r0, 0);
    FX_OK(&f, "GetItem", "{\"TableName\":\"tw4\",\"Key\":{\"pk\":{\"S\":\"x\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"pk\":{\"S\":\"x\"}}}");
    fx_close(&f);
}
