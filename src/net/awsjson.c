/* awsjson.c - the AWS JSON 1.0 protocol: net_handle, the pure function from
 * one HTTP request to its response (see the check order in net_int.h).
 *
 * Routes X-Amz-Target "DynamoDB_20120810.<Op>" to ddb_call and
 * "AWSStepFunctions.<Op>" to sfn_call (when the server has a Step Functions
 * engine). Builds AWS's error envelope, x-amzn-RequestId,
 * x-amz-crc32, gzip and CORS headers. Does no I/O and keeps no state: the
 * engines are reached only through their doors, from one call site
 * (net_call) so the group-commit writer can take over writes there. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/rand.h"
#include "net/net_int.h"

#define DDB_TARGET_PREFIX "DynamoDB_20120810."
#define SFN_TARGET_PREFIX "AWSStepFunctions."
#define NET_DDB_NAMESPACE "com.amazonaws.dynamodb.v20120810"
#define NET_SFN_NAMESPACE "com.amazonaws.swf.service.v2.model"
#define NET_MAX_RESPONSE_BYTES ((size_t)256 * 1024 * 1024)
#define REQUEST_ID_LEN 52   /* DynamoDB's request ids: 52 of [A-Z0-9] */

/* ------------------------------------------------------------ helpers */

const net_header_t *net__header_get(const net_request_t *req, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name_len == len && strncasecmp(req->headers[i].name, name, len) == 0)
            return &req->headers[i];
    return NULL;
}

const char *net__error_namespace(const char *service_ns, const char *type) {
    static const char *const coral[] = {
        "SerializationException", "UnknownOperationException",
        "MissingAuthenticationTokenException", "IncompleteSignatureException",
        "InvalidSignatureException", "UnrecognizedClientException", "AccessDeniedException",
        "InvalidClientTokenId", "RequestEntityTooLargeException", NULL};
    if (strcmp(type, "ValidationException") == 0)
        return "com.amazon.coral.validate";
    if (strcmp(type, "ThrottlingException") == 0)
        return "com.amazon.coral.availability";
    for (int i = 0; coral[i]; i++)
        if (strcmp(type, coral[i]) == 0)
            return "com.amazon.coral.service";
    return service_ns ? service_ns : NET_DDB_NAMESPACE;
}

char *net__error_body(arena_t *a, const char *service_ns, const char *type, const char *msg,
                     const json_t *extra, size_t *len) {
    sw_buf_t b;
    buf_init(&b, a, NET_MAX_RESPONSE_BYTES);
    buf_puts(&b, "{\"__type\":");
    char *full = arena_sprintf(a, "%s#%s", net__error_namespace(service_ns, type), type);
    json_print_str(&b, full, strlen(full));
    if (msg) {
        /* DynamoDB spells it "Message" in its SerializationExceptions. */
        buf_puts(&b, strcmp(type, "SerializationException") == 0 ? ",\"Message\":"
                                                                   : ",\"message\":");
        json_print_str(&b, msg, strlen(msg));
    }
    /* Members the engine adds next to the message ("Item" with
     * ConditionalCheckFailedException, "CancellationReasons", ...). */
    for (size_t i = 0; json_is_obj(extra) && i < extra->len; i++) {
        const json_member_t *m = &extra->u.members[i];
        buf_putc(&b, ',');
        json_print_str(&b, m->key, m->key_len);
        buf_putc(&b, ':');
        json_print(&b, m->val);
    }
    buf_putc(&b, '}');
    *len = b.len;
    return b.ptr;
}

bool net__accepts_gzip(const char *v, size_t len) {
    /* Comma-separated codings with optional ";q=..." ("gzip;q=0" refuses). */
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',' && v[i] != ';' && v[i] != ' ')
            i++;
        bool is_gzip = (i - start == 4 && strncasecmp(v + start, "gzip", 4) == 0) ||
                       (i - start == 6 && strncasecmp(v + start, "x-gzip", 6) == 0);
        bool q_zero = false;
        while (i < len && v[i] != ',') {
            if (v[i] == 'q' && i + 1 < len && v[i + 1] == '=') {
                size_t j = i + 2;
                q_zero = true;
                while (j < len && v[j] != ',' && v[j] != ';') {
                    if (v[j] >= '1' && v[j] <= '9')
                        q_zero = false;
                    j++;
                }
                i = j;
                continue;
            }
            i++;
        }
        if (is_gzip && !q_zero)
            return true;
    }
    return false;
}

bool net__gzip(arena_t *a, const char *p, size_t n, char **out, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16: a gzip wrapper rather than zlib's. */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong bound = deflateBound(&zs, (uLong)n) + 32;
    char *buf = arena_alloc(a, bound);
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    size_t produced = bound - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return false;
    *out = buf;
    *out_len = produced;
    return true;
}

static void add_header(net_response_t *resp, const char *name, const char *value) {
    SW_ASSERT(resp->n_headers < NET_MAX_RESP_HEADERS);
    net_header_t *h = &resp->headers[resp->n_headers++];
    h->name = name;
    h->name_len = strlen(name);
    h->value = value;
    h->value_len = strlen(value);
}

static char *make_request_id(arena_t *a) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char raw[REQUEST_ID_LEN];
    sw_random_bytes(raw, sizeof(raw));
    char *id = arena_alloc(a, REQUEST_ID_LEN + 1);
    for (int i = 0; i < REQUEST_ID_LEN; i++)
        id[i] = alphabet[raw[i] % 36];
    id[REQUEST_ID_LEN] = '\0';
    return id;
}

/* What every answer to one request shares. */
typedef struct reply {
    const net_request_t *req;
    arena_t *a;
    net_response_t *resp;
    const char *content_type;   /* echoes the request's JSON flavour */
    bool is_sfn;                /* Step Functions: its namespace, no CRC */
} reply_t;

/* Sets status and body; gzip when asked and worth it; for DynamoDB the
 * CRC32 of the bytes actually sent (of the gzip when gzipped: that is what
 * the SDKs check). */
static void set_body(reply_t *r, int status, const char *body, size_t len) {
    net_response_t *resp = r->resp;
    resp->status = status;
    add_header(resp, "Content-Type", r->content_type);
    const net_header_t *ae = net__header_get(r->req, "Accept-Encoding");
    if (ae && len >= NET_GZIP_MIN_BYTES && net__accepts_gzip(ae->value, ae->value_len)) {
        char *z;
        size_t z_len;
        if (net__gzip(r->a, body, len, &z, &z_len)) {
            body = z;
            len = z_len;
            add_header(resp, "Content-Encoding", "gzip");
        }
    }
    if (!r->is_sfn) {
        uLong crc = crc32(0L, Z_NULL, 0);
        /* zlib takes uInt lengths: feed large bodies in pieces. */
        for (size_t off = 0; off < len;) {
            size_t piece = len - off > (1u << 30) ? (1u << 30) : len - off;
            crc = crc32(crc, (const Bytef *)body + off, (uInt)piece);
            off += piece;
        }
        add_header(resp, "x-amz-crc32", arena_sprintf(r->a, "%lu", (unsigned long)crc));
    }
    resp->body = body;
    resp->body_len = len;
}

static void set_error(reply_t *r, int status, const char *type, const char *msg,
                      const json_t *extra) {
    size_t len;
    char *body = net__error_body(r->a, r->is_sfn ? NET_SFN_NAMESPACE : NULL, type, msg,
                                 extra, &len);
    set_body(r, status, body, len);
}

/* The one place a request reaches an engine. A later step routes DynamoDB
 * writes through the group-commit writer here. */
static int net_call(const net_t *net, bool is_sfn, const char *op, const json_t *body,
                    arena_t *a, json_t **out, sw_error_t *err) {
    if (is_sfn)
        return sfn_call(net->sfn, op, body, a, out, err);
    return ddb_call(net->ddb, op, body, a, out, err);
}

/* ------------------------------------------------------------ the handler */

void net_response_too_large(const net_request_t *req, arena_t *a, net_response_t *resp) {
    memset(resp, 0, sizeof(*resp));
    add_header(resp, "x-amzn-RequestId", req->request_id ? req->request_id
                                                         : make_request_id(a));
    resp->status = 413;
    resp->body = "";
    resp->body_len = 0;
    resp->is_closing = true;
}

net_wait_t net_request_wait(const net_request_t *req) {
    /* A short list kept here, next to the routing, so the engines need no
     * transport knowledge. */
    static const char *const long_ops[] = {"GetActivityTask", "StartSyncExecution", NULL};
    static const size_t dp = sizeof(DDB_TARGET_PREFIX) - 1, sp = sizeof(SFN_TARGET_PREFIX) - 1;
    const net_header_t *target = net__header_get(req, "X-Amz-Target");
    char op[64];
    if (!target)
        return NET_WAIT_NONE;
    if (target->value_len > dp && target->value_len - dp < sizeof op &&
        memcmp(target->value, DDB_TARGET_PREFIX, dp) == 0) {
        memcpy(op, target->value + dp, target->value_len - dp);
        op[target->value_len - dp] = '\0';
        return ddb_op_is_write(op) ? NET_WAIT_COMMIT : NET_WAIT_NONE;
    }
    if (target->value_len > sp && target->value_len - sp < sizeof op &&
        memcmp(target->value, SFN_TARGET_PREFIX, sp) == 0) {
        memcpy(op, target->value + sp, target->value_len - sp);
        op[target->value_len - sp] = '\0';
        for (int i = 0; long_ops[i]; i++)
            if (strcmp(op, long_ops[i]) == 0)
                return NET_WAIT_LONG;
        return sfn_op_is_write(op) ? NET_WAIT_COMMIT : NET_WAIT_NONE;
    }
    return NET_WAIT_NONE;
}

/* An error answer built without the engines (throttling, stopping). */
static void transport_error(const net_request_t *req, arena_t *a, net_response_t *resp,
                            int status, const char *type, const char *msg) {
    memset(resp, 0, sizeof(*resp));
    add_header(resp, "x-amzn-RequestId", req->request_id ? req->request_id
                                                         : make_request_id(a));
    const net_header_t *ct = net__header_get(req, "Content-Type");
    bool is_json = ct && ct->value_len >= 16 &&
                   strncasecmp(ct->value, "application/json", 16) == 0;
    const net_header_t *target = net__header_get(req, "X-Amz-Target");
    reply_t r = {.req = req, .a = a, .resp = resp,
                 .content_type = is_json ? "application/json" : "application/x-amz-json-1.0",
                 .is_sfn = target && target->value_len >= sizeof(SFN_TARGET_PREFIX) - 1 &&
                           memcmp(target->value, SFN_TARGET_PREFIX,
                                  sizeof(SFN_TARGET_PREFIX) - 1) == 0};
    set_error(&r, status, type, msg, NULL);
}

void net_response_throttled(const net_request_t *req, arena_t *a, net_response_t *resp) {
    transport_error(req, a, resp, 400, "ThrottlingException", "Rate exceeded");
}

void net_response_stopping(const net_request_t *req, arena_t *a, net_response_t *resp) {
    transport_error(req, a, resp, 503, "ServiceUnavailable",
                    "The server is shutting down; retry the request.");
    resp->is_closing = true;
}

void net_handle(const net_t *net, const net_request_t *req, arena_t *a,
                net_response_t *resp) {
    memset(resp, 0, sizeof(*resp));
    add_header(resp, "x-amzn-RequestId", req->request_id ? req->request_id
                                                         : make_request_id(a));
    const net_header_t *origin = net__header_get(req, "Origin");
    if (origin) {
        add_header(resp, "Access-Control-Allow-Origin", "*");
        add_header(resp, "Access-Control-Expose-Headers",
                   "x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32,Date");
    }
    const char *path = req->path && *req->path ? req->path : "/";
    bool is_post = strcmp(req->method, "POST") == 0;

    /* CORS preflight: echo what the browser asks to send. */
    if (strcmp(req->method, "OPTIONS") == 0 && origin) {
        const net_header_t *h = net__header_get(req, "Access-Control-Request-Headers");
        if (h)
            add_header(resp, "Access-Control-Allow-Headers",
                       arena_strndup(a, h->value, h->value_len));
        h = net__header_get(req, "Access-Control-Request-Method");
        if (h)
            add_header(resp, "Access-Control-Allow-Methods",
                       arena_strndup(a, h->value, h->value_len));
        add_header(resp, "Access-Control-Max-Age", "172800");
        resp->status = 200;
        resp->body = "";
        return;
    }

    /* Health check, as DynamoDB answers it (load balancers use it). */
    if ((strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) &&
        strcmp(path, "/") == 0) {
        resp->status = 200;
        char *text = arena_sprintf(a, "healthy: dynamodb.%s.amazonaws.com ", net->region);
        add_header(resp, "Content-Type", "text/plain");
        resp->body = text;
        resp->body_len = strlen(text);
        return;
    }

    const net_header_t *ct = net__header_get(req, "Content-Type");
    bool is_amz_json = ct && ct->value_len >= 26 &&
                       strncasecmp(ct->value, "application/x-amz-json-1.0", 26) == 0;
    bool is_json = ct && ct->value_len >= 16 &&
                   strncasecmp(ct->value, "application/json", 16) == 0;
    reply_t r = {.req = req, .a = a, .resp = resp,
                 .content_type = is_json ? "application/json" : "application/x-amz-json-1.0"};
    if (!is_post || (req->body_len && !is_amz_json && !is_json)) {
        /* DynamoDB's answer to anything that is not an API call. */
        static const char not_found[] = "<UnknownOperationException/>\n";
        r.content_type = "application/x-amz-json-1.0";
        set_body(&r, 404, not_found, sizeof(not_found) - 1);
        return;
    }

    sw_error_t err;
    json_t *body = NULL;
    if (req->body_len) {
        body = json_parse(a, req->body, req->body_len, &err);
        if (!body) {
            set_error(&r, 400, "SerializationException", err.msg, NULL);
            return;
        }
    }

    /* Routing. The path does not matter (DynamoDB ignores it); the target
     * does: "DynamoDB_20120810.<Op>" or "AWSStepFunctions.<Op>". */
    const net_header_t *target = net__header_get(req, "X-Amz-Target");
    const char *op = NULL;
    const char *service = NULL;
    if (target) {
        char *t = arena_strndup(a, target->value, target->value_len);
        size_t dp = sizeof(DDB_TARGET_PREFIX) - 1, sp = sizeof(SFN_TARGET_PREFIX) - 1;
        if (strncmp(t, DDB_TARGET_PREFIX, dp) == 0 && ddb_has_op(t + dp)) {
            op = t + dp;
            service = "dynamodb";
        } else if (strncmp(t, SFN_TARGET_PREFIX, sp) == 0 && net->sfn && sfn_has_op(t + sp)) {
            op = t + sp;
            service = "states";
            r.is_sfn = true;
        }
    }
    if (!op) {
        set_error(&r, 400, "UnknownOperationException", NULL, NULL);
        return;
    }

    if (net__sigv4_verify(net->creds, net->region, service, req, a, &err) < 0) {
        set_error(&r, 400, err.type, err.msg, NULL);
        return;
    }
    if (!body) {
        set_error(&r, 400, "SerializationException", NULL, NULL);
        return;
    }
    if (!json_is_obj(body)) {
        set_error(&r, 400, "SerializationException",
                  json_is_arr(body) ? "Start of list found where not expected"
                                    : "Unexpected value type in payload",
                  NULL);
        return;
    }

    json_t *out = NULL;
    bool is_ok = net_call(net, r.is_sfn, op, body, a, &out, &err) == 0;
    if (!is_ok && r.is_sfn) {
        set_error(&r, sfn_error_status(err.type), err.type, err.msg, out);
        return;
    }
    if (!is_ok)   /* the engine's catalogue names the error and its extras */
        out = ddb_error_body(a, &err, out);
    sw_buf_t b;
    buf_init(&b, a, NET_MAX_RESPONSE_BYTES);
    if (out)
        json_print(&b, out);
    else
        buf_puts(&b, "{}");
    if (b.overflow) {
        set_error(&r, 500, "InternalServerError",
                  "The response is larger than this server can send.", NULL);
        return;
    }
    set_body(&r, is_ok ? 200 : ddb_error_status(err.type), b.ptr, b.len);
}
