/* test_sigv4.c - SigV4 against AWS's published test suite vectors
 * (credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service")
 * and the verifier's answers: AWS's exception names and messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_int.h"
#include "../test.h"

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_MS 1440938160000LL   /* 2015-08-30T12:36:00Z */

static net_header_t hdr(const char *name, const char *value) {
    net_header_t h = {name, strlen(name), value, strlen(value)};
    return h;
}

static const char *suite_sign(arena_t *a, const char *method, const char *path,
                              const char *query, const char *body) {
    net_header_t hs[2] = {hdr("Host", "example.amazonaws.com"), hdr("X-Amz-Date", SUITE_DATE)};
    net_request_t req = {.method = method, .path = path, .query = query, .headers = hs,
                         .n_headers = 2, .body = body, .body_len = strlen(body)};
    char *sig = arena_alloc(a, 65);
    char *creq, *sts;
    net__sigv4_sign(&req, a, "host;x-amz-date", SUITE_DATE, "20150830", "us-east-1", "service",
                    SUITE_SECRET, sig, &creq, &sts);
    return sig;
}

TEST(net_sigv4_suite_vectors) {
    arena_t a;
    arena_init(&a);
    CHECK_EQ_STR(suite_sign(&a, "GET", "/", "", ""),
                 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_EQ_STR(suite_sign(&a, "GET", "/", "Param2=value2&Param1=value1", ""),
                 "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    CHECK_EQ_STR(suite_sign(&a, "POST", "/", "", ""),
                 "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    CHECK_EQ_STR(suite_sign(&a, "POST", "/", "Param1=value1", ""),
                 "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
    CHECK_EQ_STR(suite_sign(&a, "GET", "/\xe1\x88\xb4", "", ""),
                 "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
    CHECK_EQ_STR(suite_sign(&a, "GET", "/example space/", "", ""),
                 "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
    arena_release(&a);
}

TEST(net_sigv4_canonical_request_and_string_to_sign) {
    arena_t a;
    arena_init(&a);
    net_header_t hs[2] = {hdr("Host", "example.amazonaws.com"), hdr("X-Amz-Date", SUITE_DATE)};
    net_request_t req = {.method = "POST", .path = "/", .query = "", .headers = hs,
                         .n_headers = 2, .body = "", .body_len = 0};
    char sig[65];
    char *creq, *sts;
    net__sigv4_sign(&req, &a, "host;x-amz-date", SUITE_DATE, "20150830", "us-east-1",
                    "service", SUITE_SECRET, sig, &creq, &sts);
    CHECK_EQ_STR(creq, "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                       "host;x-amz-date\n"
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_EQ_STR(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
                      "aws4_request\n"
                      "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87");
    arena_release(&a);
}

/* ------------------------------------------------------------ verification */

static net_creds_t *suite_creds(void) {
    char path[] = "/tmp/stepwise-creds-XXXXXX";
    int fd = mkstemp(path);
    SW_ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# test keys\nAKIDEXAMPLE " SUITE_SECRET "\n\n[other]\naws_access_key_id = AKIDTWO\n"
          "aws_secret_access_key = secret2\n", f);
    fclose(f);
    net_creds_t *c = NULL;
    sw_error_t err;
    if (net_creds_load(path, &c, &err) < 0)
        test_fail(__FILE__, __LINE__, "net_creds_load: %s", err.msg);
    unlink(path);
    return c;
}

typedef struct vreq {
    net_header_t hs[4];
    net_request_t req;
} vreq_t;

/* post-vanilla, signed for DynamoDB in us-east-1 with `secret`. */
static void make_signed(arena_t *a, vreq_t *v, const char *key_id, const char *secret,
                        const char *body) {
    v->hs[0] = hdr("Host", "example.amazonaws.com");
    v->hs[1] = hdr("X-Amz-Date", SUITE_DATE);
    memset(&v->req, 0, sizeof(v->req));
    v->req.method = "POST";
    v->req.path = "/";
    v->req.query = "";
    v->req.headers = v->hs;
    v->req.n_headers = 2;
    v->req.body = body;
    v->req.body_len = strlen(body);
    v->req.now_ms = SUITE_MS + 60000;
    char sig[65];
    char *creq, *sts;
    net__sigv4_sign(&v->req, a, "host;x-amz-date", SUITE_DATE, "20150830", "us-east-1",
                    "dynamodb", secret, sig, &creq, &sts);
    char *auth = arena_sprintf(a,
                               "AWS4-HMAC-SHA256 Credential=%s/20150830/us-east-1/dynamodb/"
                               "aws4_request, SignedHeaders=host;x-amz-date, Signature=%s",
                               key_id, sig);
    v->hs[2] = hdr("Authorization", auth);
    v->req.n_headers = 3;
}

TEST(net_sigv4_verify_accepts_and_refuses) {
    arena_t a;
    arena_init(&a);
    net_creds_t *c = suite_creds();
    CHECK_EQ_INT(net_creds_count(c), 2);
    sw_error_t err;
    vreq_t v;

    make_signed(&a, &v, "AKIDEXAMPLE", SUITE_SECRET, "{\"TableName\":\"t\"}");
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), 0);

    make_signed(&a, &v, "AKIDTWO", "secret2", "{}");
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), 0);

    /* A tampered body. */
    make_signed(&a, &v, "AKIDEXAMPLE", SUITE_SECRET, "{\"TableName\":\"t\"}");
    v.req.body = "{\"TableName\":\"u\"}";
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");
    CHECK(strncmp(err.msg, "The request signature we calculated does not match", 50) == 0);

    /* The wrong secret. */
    make_signed(&a, &v, "AKIDEXAMPLE", "not-the-secret", "{}");
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");

    /* An unknown key id. */
    make_signed(&a, &v, "AKIDNOBODY", SUITE_SECRET, "{}");
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "UnrecognizedClientException");
    CHECK_EQ_STR(err.msg, "The security token included in the request is invalid.");

    /* Expired: 16 minutes later. */
    make_signed(&a, &v, "AKIDEXAMPLE", SUITE_SECRET, "{}");
    v.req.now_ms = SUITE_MS + 16 * 60000;
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");
    CHECK_EQ_STR(err.msg, "Signature expired: 20150830T123600Z is now earlier than "
                          "20150830T123700Z (20150830T125200Z - 15 min.)");

    /* From the future. */
    v.req.now_ms = SUITE_MS - 20 * 60000;
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.msg, "Signature not yet current: 20150830T123600Z is still later than "
                          "20150830T123100Z (20150830T121600Z + 15 min.)");

    /* Wrong region and service in the scope. */
    make_signed(&a, &v, "AKIDEXAMPLE", SUITE_SECRET, "{}");
    CHECK_EQ_INT(net__sigv4_verify(c, "eu-west-1", "states", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");
    CHECK_EQ_STR(err.msg, "Credential should be scoped to a valid region, not 'us-east-1'. "
                          "Credential should be scoped to correct service: 'states'.");

    /* Unsigned. */
    v.req.n_headers = 2;
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &v.req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "MissingAuthenticationTokenException");
    CHECK_EQ_STR(err.msg, "Request is missing Authentication Token");

    net_creds_free(c);
    arena_release(&a);
}

TEST(net_sigv4_incomplete_and_malformed) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    net_header_t hs[3] = {hdr("Host", "h"), hdr("Authorization", "AWS4-HMAC-SHA256 Signature=x")};
    net_request_t req = {.method = "POST", .path = "/", .query = "", .headers = hs,
                         .n_headers = 2, .body = "", .body_len = 0};
    /* Without credentials the form is still checked. */
    CHECK_EQ_INT(net__sigv4_verify(NULL, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "IncompleteSignatureException");
    CHECK_EQ_STR(err.msg, "Authorization header requires 'Credential' parameter. "
                          "Authorization header requires 'SignedHeaders' parameter. "
                          "Authorization header requires existence of either a 'X-Amz-Date' "
                          "or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Signature=x");

    hs[1] = hdr("Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, "
                                 "Signature=x");
    hs[2] = hdr("X-Amz-Date", "20150830T123600Z");
    req.n_headers = 3;
    CHECK_EQ_INT(net__sigv4_verify(NULL, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "IncompleteSignatureException");
    CHECK_EQ_STR(err.msg, "Credential must have exactly 5 slash-delimited elements, e.g. "
                          "keyid/date/region/service/term, got 'a/b/c'");

    hs[2] = hdr("X-Amz-Date", "2015");
    CHECK_EQ_INT(net__sigv4_verify(NULL, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.msg, "Date must be in ISO-8601 'basic format'. Got '2015'. See "
                          "http://en.wikipedia.org/wiki/ISO_8601");

    /* Any well-formed signature passes when no credentials are configured. */
    hs[1] = hdr("Authorization", "AWS4-HMAC-SHA256 Credential=anyone/20150830/xx-nowhere-1/"
                                 "dynamodb/aws4_request, SignedHeaders=host, Signature=00");
    hs[2] = hdr("X-Amz-Date", "20150830T123600Z");
    CHECK_EQ_INT(net__sigv4_verify(NULL, "us-east-1", "dynamodb", &req, &a, &err), 0);

    hs[1] = hdr("Authorization", "Basic dXNlcjpwYXNz");
    CHECK_EQ_INT(net__sigv4_verify(NULL, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "MissingAuthenticationTokenException");
    arena_release(&a);
}

TEST(net_sigv4_query_form) {
    arena_t a;
    arena_init(&a);
    net_creds_t *c = suite_creds();
    sw_error_t err;
    const char *q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
                    "%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20150830T123600Z"
                    "&X-Amz-Expires=300&X-Amz-SignedHeaders=host";
    net_header_t hs[1] = {hdr("Host", "example.amazonaws.com")};
    net_request_t req = {.method = "POST", .path = "/", .query = q, .headers = hs,
                         .n_headers = 1, .body = "{}", .body_len = 2,
                         .now_ms = SUITE_MS + 1000};
    char sig[65];
    char *creq, *sts;
    net__sigv4_sign(&req, &a, "host", SUITE_DATE, "20150830", "us-east-1", "dynamodb",
                    SUITE_SECRET, sig, &creq, &sts);
    req.query = arena_sprintf(&a, "%s&X-Amz-Signature=%s", q, sig);
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &req, &a, &err), 0);
    /* The signature is not part of what is signed. */
    CHECK(strstr(creq, "X-Amz-Signature") == NULL);

    req.now_ms = SUITE_MS + 301000;   /* past X-Amz-Expires */
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");

    req.now_ms = SUITE_MS + 1000;
    req.body = "{ }";
    req.body_len = 3;
    CHECK_EQ_INT(net__sigv4_verify(c, "us-east-1", "dynamodb", &req, &a, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidSignatureException");
    net_creds_free(c);
    arena_release(&a);
}

TEST(net_creds_file_errors) {
    sw_error_t err;
    net_creds_t *c = NULL;
    CHECK_EQ_INT(net_creds_load("/nonexistent/creds", &c, &err), -1);
    CHECK_EQ_STR(err.type, "InvalidInput");
    char path[] = "/tmp/stepwise-creds-XXXXXX";
    int fd = mkstemp(path);
    SW_ASSERT(fd >= 0);
    SW_ASSERT(write(fd, "justonefield\n", 13) == 13);
    close(fd);
    CHECK_EQ_INT(net_creds_load(path, &c, &err), -1);
    CHECK(strstr(err.msg, ":1: expected") != NULL);
    unlink(path);
}

/* Random Authorization headers and query strings built from the pieces the
 * parser looks for: every answer is 0 or one of AWS's four exceptions, and
 * nothing reads out of bounds (run under ASan by `make test`). */
TEST(net_sigv4_random_inputs) {
    static const char *const pieces[] = {
        "AWS4-HMAC-SHA256", " ", ",", "=", "/", ";", "%", "%2", "%2F", "&", "Credential",
        "SignedHeaders", "Signature", "AKIDEXAMPLE", "20150830", "us-east-1", "dynamodb",
        "aws4_request", "host", "x-amz-date", "0123456789abcdef", "X-Amz-Algorithm",
        "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "20150830T123600Z", "99999999999999999999", "-1", "", "\t"};
    size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
    net_creds_t *c = suite_creds();
    unsigned long long state = 88172645463325252ULL;
    for (int round = 0; round < 20000; round++) {
        arena_t a;
        arena_init(&a);
        sw_buf_t auth, query;
        buf_init(&auth, &a, 4096);
        buf_init(&query, &a, 4096);
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        int n = (int)(state % 24);
        if (round % 4 == 0)   /* the right shape with random parts: goes deeper */
            buf_puts(&auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/");
        for (int i = 0; i < n; i++) {
            if (round % 4 == 0 && i == n / 2)
                buf_puts(&auth, ", SignedHeaders=host, Signature=");
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            buf_puts((state & 1) ? &auth : &query, pieces[(state >> 1) % n_pieces]);
        }
        net_header_t hs[3] = {hdr("Host", "h"), hdr("X-Amz-Date", "20150830T123600Z"),
                              hdr("Authorization", auth.ptr ? auth.ptr : "")};
        net_request_t req = {.method = "POST", .path = "/", .query = query.ptr ? query.ptr : "",
                             .headers = hs, .n_headers = (round & 1) ? 3 : 2, .body = "{}",
                             .body_len = 2, .now_ms = SUITE_MS};
        sw_error_t err;
        for (int with_creds = 0; with_creds < 2; with_creds++) {
            if (net__sigv4_verify(with_creds ? c : NULL, "us-east-1", "dynamodb", &req, &a,
                                  &err) < 0)
                CHECK(strcmp(err.type, "MissingAuthenticationTokenException") == 0 ||
                      strcmp(err.type, "IncompleteSignatureException") == 0 ||
                      strcmp(err.type, "InvalidSignatureException") == 0 ||
                      strcmp(err.type, "UnrecognizedClientException") == 0);
        }
        arena_release(&a);
    }
    net_creds_free(c);
}
