/* test_awsjson.c - net_handle without sockets: routing, AWS's error
 * envelope and status codes, x-amz-crc32, gzip, CORS, the health check, and
 * DynamoDB calls through a real engine over a temporary data directory. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "net/net_int.h"
#include "../test.h"

static net_header_t hdr(const char *name, const char *value) {
    net_header_t h = {name, strlen(name), value, strlen(value)};
    return h;
}

static const char *resp_header(const net_response_t *r, const char *name) {
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static char *body_str(arena_t *a, const net_response_t *r) {
    return arena_strndup(a, r->body, r->body_len);
}

#define AUTH "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/dynamodb/aws4_request, " \
             "SignedHeaders=host;x-amz-date, Signature=0123"

/* A signed-looking DynamoDB call (no --credentials: accepted as is). */
static void call(const net_t *net, arena_t *a, const char *target, const char *body,
                 net_response_t *resp) {
    net_header_t hs[5] = {hdr("Host", "localhost"), hdr("X-Amz-Date", "20250101T000000Z"),
                          hdr("Authorization", AUTH),
                          hdr("Content-Type", "application/x-amz-json-1.0"),
                          hdr("X-Amz-Target", target)};
    net_request_t req = {.method = "POST", .path = "/", .query = "", .headers = hs,
                         .n_headers = 5, .body = body, .body_len = strlen(body),
                         .request_id = "REQID"};
    net_handle(net, &req, a, resp);
}

TEST(net_error_envelope_and_namespaces) {
    arena_t a;
    arena_init(&a);
    size_t len;
    CHECK_EQ_STR(net__error_body(&a, NULL, "ValidationException", "bad", NULL, &len),
                 "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
                 "\"message\":\"bad\"}");
    CHECK_EQ_STR(net__error_body(&a, NULL, "ResourceNotFoundException", "Requested resource not found",
                                 NULL, &len),
                 "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                 "\"message\":\"Requested resource not found\"}");
    CHECK_EQ_STR(net__error_body(&a, NULL, "UnknownOperationException", NULL, NULL, &len),
                 "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}");
    json_t *extra = json_parse(&a, "{\"Item\":{\"pk\":{\"S\":\"a\"}}}", 25, NULL);
    CHECK(extra != NULL);
    CHECK_EQ_STR(net__error_body(&a, NULL, "ConditionalCheckFailedException",
                                 "The conditional request failed", extra, &len),
                 "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
                 "\"message\":\"The conditional request failed\",\"Item\":{\"pk\":{\"S\":\"a\"}}}");
    CHECK_EQ_STR(net__error_namespace(NULL, "MissingAuthenticationTokenException"),
                 "com.amazon.coral.service");
    CHECK_EQ_STR(net__error_namespace(NULL, "ConditionalCheckFailedException"),
                 "com.amazonaws.dynamodb.v20120810");
    arena_release(&a);
}

TEST(net_accept_encoding) {
    CHECK(net__accepts_gzip("gzip", 4));
    CHECK(net__accepts_gzip("deflate, gzip;q=0.5", 19));
    CHECK(!net__accepts_gzip("gzip;q=0", 8));
    CHECK(!net__accepts_gzip("identity", 8));
    CHECK(!net__accepts_gzip("gzipx", 5));
}

TEST(net_health_404_cors) {
    arena_t a;
    arena_init(&a);
    net_t net = {.region = "eu-west-1"};
    net_response_t r;
    net_request_t req = {.method = "GET", .path = "/", .query = ""};
    net_handle(&net, &req, &a, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(body_str(&a, &r), "healthy: dynamodb.eu-west-1.amazonaws.com ");
    CHECK(resp_header(&r, "x-amzn-RequestId") != NULL);
    CHECK_EQ_INT(strlen(resp_header(&r, "x-amzn-RequestId")), 52);

    req.path = "/tables";
    net_handle(&net, &req, &a, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK_EQ_STR(body_str(&a, &r), "<UnknownOperationException/>\n");
    CHECK_EQ_STR(resp_header(&r, "x-amz-crc32"), "3552371480");

    net_header_t hs[3] = {hdr("Origin", "http://localhost:3000"),
                          hdr("Access-Control-Request-Method", "POST"),
                          hdr("Access-Control-Request-Headers", "content-type,x-amz-target")};
    net_request_t pre = {.method = "OPTIONS", .path = "/", .query = "", .headers = hs,
                         .n_headers = 3};
    net_handle(&net, &pre, &a, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(resp_header(&r, "Access-Control-Allow-Origin"), "*");
    CHECK_EQ_STR(resp_header(&r, "Access-Control-Allow-Methods"), "POST");
    CHECK_EQ_STR(resp_header(&r, "Access-Control-Allow-Headers"), "content-type,x-amz-target");
    CHECK_EQ_STR(resp_header(&r, "Access-Control-Max-Age"), "172800");
    arena_release(&a);
}

TEST(net_protocol_errors) {
    arena_t a;
    arena_init(&a);
    net_t net = {.region = "us-east-1"};
    net_response_t r;

    call(&net, &a, "DynamoDB_20120810.ListTables", "{\"Limit\": ", &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strncmp(body_str(&a, &r),
                  "{\"__type\":\"com.amazon.coral.service#SerializationException\"", 58) == 0);
    CHECK_EQ_STR(resp_header(&r, "x-amzn-RequestId"), "REQID");

    call(&net, &a, "DynamoDB_20120810.FlyToTheMoon", "{}", &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK_EQ_STR(body_str(&a, &r),
                 "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}");

    call(&net, &a, "AWSStepFunctions.ListStateMachines", "{}", &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK_EQ_STR(body_str(&a, &r),
                 "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}");

    /* The CRC32 is zlib's (the gzip / java.util.zip polynomial). */
    const char *b = body_str(&a, &r);
    char expect[32];
    snprintf(expect, sizeof(expect), "%lu",
             (unsigned long)crc32(0, (const Bytef *)b, (uInt)strlen(b)));
    CHECK_EQ_STR(resp_header(&r, "x-amz-crc32"), expect);

    net_header_t hs[3] = {hdr("Content-Type", "application/x-amz-json-1.0"),
                          hdr("X-Amz-Target", "DynamoDB_20120810.ListTables")};
    net_request_t req = {.method = "POST", .path = "/", .query = "", .headers = hs,
                         .n_headers = 2, .body = "{}", .body_len = 2};
    net_handle(&net, &req, &a, &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK_EQ_STR(body_str(&a, &r),
                 "{\"__type\":\"com.amazon.coral.service#MissingAuthenticationTokenException\","
                 "\"message\":\"Request is missing Authentication Token\"}");

    hs[0] = hdr("Content-Type", "text/html");
    net_handle(&net, &req, &a, &r);
    CHECK_EQ_INT(r.status, 404);
    arena_release(&a);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

TEST(net_ddb_round_trip_in_process) {
    char dir[] = "/tmp/stepwise-net-XXXXXX";
    SW_ASSERT(mkdtemp(dir));
    store_t *store;
    ddb_t *db;
    sw_error_t err;
    if (store_open(dir, &store, &err) < 0 || ddb_open(store, &db, &err) < 0) {
        test_fail(__FILE__, __LINE__, "open: %s", err.msg);
        return;
    }
    arena_t a;
    arena_init(&a);
    net_t net = {.ddb = db, .region = "us-east-1"};
    net_response_t r;

    call(&net, &a, "DynamoDB_20120810.ListTables", "{}", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(body_str(&a, &r), "{\"TableNames\":[]}");
    CHECK_EQ_STR(resp_header(&r, "Content-Type"), "application/x-amz-json-1.0");

    call(&net, &a, "DynamoDB_20120810.GetItem",
         "{\"TableName\":\"nope\",\"Key\":{\"pk\":{\"S\":\"a\"}}}", &r);
    CHECK_EQ_INT(r.status, 400);
    CHECK(strstr(body_str(&a, &r),
                 "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException") != NULL);

    call(&net, &a, "DynamoDB_20120810.CreateTable",
         "{\"TableName\":\"tbl\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
         "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
         "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
         &r);
    CHECK_EQ_INT(r.status, 200);

    /* A big item comes back gzipped when asked, with the CRC of the gzip. */
    sw_buf_t big;
    buf_init(&big, &a, 1 << 20);
    buf_puts(&big, "{\"TableName\":\"tbl\",\"Item\":{\"pk\":{\"S\":\"k\"},\"v\":{\"S\":\"");
    for (int i = 0; i < 5000; i++)
        buf_putc(&big, (char)('a' + i % 26));
    buf_puts(&big, "\"}}}");
    call(&net, &a, "DynamoDB_20120810.PutItem", big.ptr, &r);
    CHECK_EQ_INT(r.status, 200);

    const char *get = "{\"TableName\":\"tbl\",\"Key\":{\"pk\":{\"S\":\"k\"}}}";
    net_header_t hs[6] = {hdr("Host", "localhost"), hdr("X-Amz-Date", "20250101T000000Z"),
                          hdr("Authorization", AUTH),
                          hdr("Content-Type", "application/x-amz-json-1.0"),
                          hdr("X-Amz-Target", "DynamoDB_20120810.GetItem"),
                          hdr("Accept-Encoding", "gzip, deflate")};
    net_request_t req = {.method = "POST", .path = "/", .query = "", .headers = hs,
                         .n_headers = 6, .body = get, .body_len = strlen(get)};
    net_handle(&net, &req, &a, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_STR(resp_header(&r, "Content-Encoding"), "gzip");
    char expect[32];
    snprintf(expect, sizeof(expect), "%lu",
             (unsigned long)crc32(0, (const Bytef *)r.body, (uInt)r.body_len));
    CHECK_EQ_STR(resp_header(&r, "x-amz-crc32"), expect);
    char plain[8192];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    CHECK_EQ_INT(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)r.body;
    zs.avail_in = (uInt)r.body_len;
    zs.next_out = (Bytef *)plain;
    zs.avail_out = sizeof(plain) - 1;
    CHECK_EQ_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
    plain[sizeof(plain) - 1 - zs.avail_out] = '\0';
    inflateEnd(&zs);
    CHECK(strncmp(plain, "{\"Item\":", 8) == 0);
    CHECK(strstr(plain, "abcdefghijklmnopqrstuvwxyzabc") != NULL);

    arena_release(&a);
    ddb_close(db);
    store_close(store);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
