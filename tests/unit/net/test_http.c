/* test_http.c - the HTTP server (http.c) over a real socket: DynamoDB
 * writes wait for their group commit side by side, not one per worker
 * thread. With the writer held (store_writer_hold), more concurrent PutItems
 * than the server has worker threads must all reach the writer's queue at
 * once, then commit in one batch and each get 200. Were a write to hold its
 * worker thread while it waits, at most one per core could queue. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "../ddb/ddb_test.h"
#include "net/net.h"

#define N_WRITERS 12

typedef struct put_client {
    int port;
    int id;
    int status;   /* the HTTP status answered, 0 if none */
    char body[512];   /* the response body's start */
} put_client_t;

/* One PutItem over its own connection; records the status line's code. */
static void *put_client_main(void *arg) {
    put_client_t *c = arg;
    char body[128], req[1024], resp[4096];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t got = 0;
    ssize_t n;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return NULL;
    snprintf(body, sizeof body, "{\"TableName\":\"Grouped\",\"Item\":{\"pk\":{\"S\":\"k%d\"}}}",
             c->id);
    snprintf(req, sizeof req,
             "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             "Content-Type: application/x-amz-json-1.0\r\n"
             "X-Amz-Target: DynamoDB_20120810.PutItem\r\nX-Amz-Date: 20240101T000000Z\r\n"
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/"
             "dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
             "Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    if (write(fd, req, strlen(req)) == (ssize_t)strlen(req))
        while (got < sizeof resp - 1 && (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
            got += (size_t)n;
    resp[got] = '\0';
    if (strncmp(resp, "HTTP/1.1 ", 9) == 0)
        c->status = atoi(resp + 9);
    {
        const char *b = strstr(resp, "\r\n\r\n");
        snprintf(c->body, sizeof c->body, "%s", b ? b + 4 : "");
    }
    close(fd);
    return NULL;
}

/* Table "Grouped" in `f` and a server for it on a free port (*net is
 * filled and must outlive the server); NULL if it could not start. */
static net_server_t *serve_grouped(ddb_fixture_t *f, net_t *net, int *port) {
    net_server_t *srv = NULL;
    sw_error_t err;
    FX_OK(f, "CreateTable",
          "{\"TableName\":\"Grouped\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
          "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    *net = (net_t){.ddb = f->db, .region = "us-east-1", .account = "123456789012"};
    if (net_server_start(net, "127.0.0.1", 0, &srv, port, &err) != 0)
        return NULL;
    return srv;
}

TEST(net_http_writes_wait_for_group_commit_side_by_side) {
    ddb_fixture_t f;
    net_t net;
    net_server_t *srv = NULL;
    int port = 0;
    put_client_t clients[N_WRITERS];
    pthread_t threads[N_WRITERS];
    size_t n_queued = 0;
    uint64_t n_batches0, n_batches, n_requests;

    fx_open(&f);
    if (!(srv = serve_grouped(&f, &net, &port))) {
        CHECK(!"net_server_start failed");
        fx_close(&f);
        return;
    }
    store_writer_hold(f.store, true);
    store_writer_stats(f.store, &n_queued, &n_batches0, &n_requests);
    for (int i = 0; i < N_WRITERS; i++) {
        clients[i] = (put_client_t){.port = port, .id = i};
        pthread_create(&threads[i], NULL, put_client_main, &clients[i]);
    }
    for (int tries = 0; tries < 5000 && n_queued < N_WRITERS; tries++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        store_writer_stats(f.store, &n_queued, &n_batches, &n_requests);
    }
    CHECK_EQ_INT(n_queued, N_WRITERS);
    store_writer_hold(f.store, false);
    for (int i = 0; i < N_WRITERS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < N_WRITERS; i++)
        CHECK_EQ_INT(clients[i].status, 200);
    store_writer_stats(f.store, &n_queued, &n_batches, &n_requests);
    CHECK_EQ_INT(n_batches - n_batches0, 1);
    net_server_stop(srv, 1000);
    FX_OK(&f, "Scan", "{\"TableName\":\"Grouped\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "12");
    fx_close(&f);
}

typedef struct stopper {
    net_server_t *srv;
} stopper_t;

static void *stop_main(void *arg) {
    net_server_stop(((stopper_t *)arg)->srv, 5000);
    return NULL;
}

/* Stopping: a write already handed off still gets its answer; a request
 * that arrives meanwhile gets 503 ServiceUnavailable, which the SDKs retry,
 * and the server stops once the write is done. */
TEST(net_http_stop_answers_late_requests_unavailable) {
    ddb_fixture_t f;
    net_t net;
    net_server_t *srv = NULL;
    int port = 0;
    put_client_t early = {0}, late = {0};
    pthread_t t_early, t_late, t_stop;
    stopper_t stopper;
    size_t n_queued = 0;
    uint64_t n_batches, n_requests;

    fx_open(&f);
    if (!(srv = serve_grouped(&f, &net, &port))) {
        CHECK(!"net_server_start failed");
        fx_close(&f);
        return;
    }
    store_writer_hold(f.store, true);
    early = (put_client_t){.port = port, .id = 1};
    pthread_create(&t_early, NULL, put_client_main, &early);
    for (int tries = 0; tries < 5000 && n_queued < 1; tries++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        store_writer_stats(f.store, &n_queued, &n_batches, &n_requests);
    }
    CHECK_EQ_INT(n_queued, 1);
    stopper.srv = srv;
    pthread_create(&t_stop, NULL, stop_main, &stopper);
    {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    late = (put_client_t){.port = port, .id = 2};
    pthread_create(&t_late, NULL, put_client_main, &late);
    pthread_join(t_late, NULL);
    CHECK_EQ_INT(late.status, 503);
    CHECK(strstr(late.body, "ServiceUnavailable") != NULL);
    store_writer_hold(f.store, false);
    pthread_join(t_early, NULL);
    CHECK_EQ_INT(early.status, 200);
    pthread_join(t_stop, NULL);
    FX_OK(&f, "Scan", "{\"TableName\":\"Grouped\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "1");
    fx_close(&f);
}
