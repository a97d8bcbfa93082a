/* net.h - the HTTP front of `stepwise serve`: one port, both services.
 *
 * Two halves with one function between them:
 *   - net_handle: a pure function from one complete HTTP request (method,
 *     path, headers, body) to one complete response. It does the AWS JSON 1.0
 *     protocol (X-Amz-Target routing, error envelope, x-amz-crc32, gzip,
 *     CORS, health check), SigV4, and calls the engines only through their
 *     doors (ddb_call, sfn_call). Unit-testable without sockets.
 *   - net_server_*: the libmicrohttpd glue (http.c) that turns sockets into
 *     net_request_t and net_response_t back into bytes. Replaceable by another
 *     event loop without touching net_handle.
 * Knows nothing of the engines beyond their doors; never includes *_int.h. */
#ifndef SW_NET_H
#define SW_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/error.h"
#include "ddb/ddb.h"
#include "sfn/sfn.h"

/* Largest request body accepted; larger ones get 413 (DynamoDB's limit:
 * BatchWriteItem may carry up to 16 MB). */
#define NET_MAX_BODY_BYTES ((size_t)16 * 1024 * 1024)
/* Responses smaller than this are never gzipped (AWS leaves small bodies
 * uncompressed too). */
#define NET_GZIP_MIN_BYTES 1024
#define NET_MAX_RESP_HEADERS 16

/* A header as received or to be sent. Not NUL-terminated necessarily: use
 * the lengths. */
typedef struct net_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} net_header_t;

/* Access key id -> secret access key, loaded from --credentials FILE. */
typedef struct net_creds net_creds_t;

/* What the handler serves; set up once, shared read-only by all threads. */
typedef struct net {
    ddb_t *ddb;                 /* borrowed */
    sfn_t *sfn;                 /* borrowed; NULL: AWSStepFunctions.* are unknown */
    const char *region;         /* "us-east-1" */
    const char *account;        /* "123456789012" */
    const net_creds_t *creds;   /* NULL: any well-formed signature is accepted */
} net_t;

/* One complete request. Every pointer is borrowed for the call. */
typedef struct net_request {
    const char *method;          /* "POST", "GET", "OPTIONS", ... */
    const char *path;            /* raw path as sent, without the query */
    const char *query;           /* raw query string without '?'; "" if none */
    const net_header_t *headers; /* in the order received; names any case */
    size_t n_headers;
    const char *body;
    size_t body_len;
    int64_t now_ms;              /* arrival time (epoch ms), for SigV4 dates */
    const char *request_id;      /* x-amzn-RequestId to send; NULL: made up here */
} net_request_t;

/* One complete response; body and header strings allocated in the arena
 * given to net_handle (or static). */
typedef struct net_response {
    int status;
    net_header_t headers[NET_MAX_RESP_HEADERS];
    size_t n_headers;
    const char *body;
    size_t body_len;
    bool is_closing;             /* ask the transport to close the connection */
} net_response_t;

/* Answers `req`. Never fails: every problem becomes the error response AWS
 * would send. Everything it allocates lives in `a`. Thread-safe for distinct
 * arenas (the engines' doors are thread-safe). */
void net_handle(const net_t *net, const net_request_t *req, arena_t *a,
                net_response_t *resp);

/* The response for a body larger than NET_MAX_BODY_BYTES (the transport
 * stops reading it). Allocated in `a`. */
void net_response_too_large(const net_request_t *req, arena_t *a, net_response_t *resp);

/* How long the engine may keep a request waiting inside its call. The
 * transport answers the waiting kinds on helper threads, so that they never
 * hold up the other connections of a worker thread:
 * - NET_WAIT_COMMIT: a DynamoDB write, which waits for its group commit
 *   (an fsync shared with every write queued meanwhile: the more writes
 *   wait at once, the more share one). At most NET_MAX_COMMIT_WAITERS wait
 *   on helpers; past that a write waits on its worker thread.
 * - NET_WAIT_LONG: an answer that may take seconds (the long poll
 *   AWSStepFunctions.GetActivityTask holds up to 60 s, as AWS does;
 *   StartSyncExecution runs a whole Express execution, Waits included). At
 *   most NET_MAX_BLOCKING wait at once; past that, ThrottlingException. */
typedef enum net_wait {
    NET_WAIT_NONE,
    NET_WAIT_COMMIT,
    NET_WAIT_LONG,
} net_wait_t;

#define NET_MAX_BLOCKING 64
#define NET_MAX_COMMIT_WAITERS 128

/* What `req` may wait for (see above). Looks only at the X-Amz-Target
 * header, so it is cheap and needs no body. */
net_wait_t net_request_wait(const net_request_t *req);

/* The answer when NET_MAX_BLOCKING long requests are already waiting:
 * AWS's ThrottlingException ("Rate exceeded", HTTP 400), which the SDKs
 * retry with back-off. Allocated in `a`. */
void net_response_throttled(const net_request_t *req, arena_t *a, net_response_t *resp);

/* The answer to a request that arrives once the server is stopping: 503
 * ServiceUnavailable (which the SDKs retry), closing the connection.
 * Allocated in `a`. */
void net_response_stopping(const net_request_t *req, arena_t *a, net_response_t *resp);

/* Loads a credentials file: one "ACCESS_KEY_ID SECRET_ACCESS_KEY" pair per
 * line ('#' starts a comment), or the AWS CLI's INI format
 * (aws_access_key_id = ... / aws_secret_access_key = ... per profile).
 * Errors: "InvalidInput" naming the file and line. Free with net_creds_free. */
int net_creds_load(const char *path, net_creds_t **out, sw_error_t *err);
void net_creds_free(net_creds_t *c);
size_t net_creds_count(const net_creds_t *c);

/* ------------------------------------------------------------ the server */

typedef struct net_server net_server_t;

/* Starts serving `net` (borrowed; must outlive the server) on host:port with
 * one worker thread per core, plus helper threads (started on demand) for
 * requests that wait: up to NET_MAX_COMMIT_WAITERS for writes, up to
 * NET_MAX_BLOCKING for long requests. `port` 0 picks a free
 * port; *bound_port says which. Errors: "InternalServerError" (address in
 * use, ...). */
int net_server_start(const net_t *net, const char *host, int port,
                     net_server_t **out, int *bound_port, sw_error_t *err);
/* Stops accepting, lets requests already being handled finish and their
 * responses go out (up to `grace_ms`), then closes everything. A request
 * inside an engine call always finishes first, whatever `grace_ms` says:
 * a long poll ends when a task arrives or its wait runs out (the engine
 * ends it sooner only when it is stopped, which comes after this). Returns
 * once no thread of the server is left. */
void net_server_stop(net_server_t *s, int grace_ms);

#endif
