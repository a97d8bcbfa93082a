/* net_int.h - internals shared by the files of the net module (and its unit
 * tests). Nothing outside src/net/ and tests/unit/net/ includes this.
 *
 * DESIGN NOTE: order of checks on a request (what DynamoDB answers first)
 * ----------------------------------------------------------------------
 *   1. OPTIONS with Origin          -> CORS preflight, 200, empty body
 *   2. GET/HEAD /                   -> "healthy: dynamodb.<region>.amazonaws.com "
 *   3. not POST, or a body whose Content-Type is not JSON
 *                                   -> 404 "<UnknownOperationException/>\n"
 *   4. body is not JSON             -> 400 SerializationException
 *   5. X-Amz-Target unknown         -> 400 UnknownOperationException
 *   6. no Authorization (or query)  -> 400 MissingAuthenticationTokenException
 *   7. SigV4: incomplete            -> IncompleteSignatureException
 *             expired / bad scope   -> InvalidSignatureException
 *             unknown key id        -> UnrecognizedClientException
 *             wrong signature       -> InvalidSignatureException
 *   8. empty body                   -> SerializationException
 *   9. the engine (ddb_call)        -> its response, or its error with the
 *                                      status from ddb_error_status
 * Every response carries x-amzn-RequestId; DynamoDB's JSON responses
 * x-amz-crc32 (the CRC32 of the bytes sent, i.e. of the gzipped body when
 * gzipped: that is what the SDKs check). Step Functions answers have no CRC
 * and name their errors com.amazonaws.swf.service.v2.model#<Name>. */
#ifndef SW_NET_INT_H
#define SW_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "net/net.h"

/* ------------------------------------------------------------ awsjson.c */

/* The "__type" namespace AWS uses for error `type`: coral's for protocol
 * and authentication errors, coral.validate for ValidationException, the
 * service's own (`service_ns`; NULL: DynamoDB's) for the rest. */
const char *net__error_namespace(const char *service_ns, const char *type);
/* {"__type":"<ns>#<type>","message":"...", <members of `extra`>} in `a`;
 * no message member when `msg` is NULL; `extra` may be NULL. */
char *net__error_body(arena_t *a, const char *service_ns, const char *type, const char *msg,
                      const json_t *extra, size_t *len);
/* Case-insensitive header lookup; the first match, or NULL. */
const net_header_t *net__header_get(const net_request_t *req, const char *name);
/* True if Accept-Encoding lists gzip with a non-zero q. */
bool net__accepts_gzip(const char *value, size_t len);
/* gzip of (p, n) in `a`; false if zlib failed. */
bool net__gzip(arena_t *a, const char *p, size_t n, char **out, size_t *out_len);

/* ------------------------------------------------------------ sigv4.c */

#define NET_SIGV4_SKEW_MS (15 * 60 * 1000)  /* DynamoDB's "- 15 min." */

/* The pieces of a signature, parsed from the Authorization header or the
 * X-Amz-* query parameters. Strings in the arena. */
typedef struct net_sigv4_auth {
    bool is_query;               /* presigned (query) form */
    const char *algorithm;       /* "AWS4-HMAC-SHA256" */
    const char *credential;      /* "AKID/20150830/us-east-1/service/aws4_request" */
    const char *signed_headers;  /* "host;x-amz-date" */
    const char *signature;       /* 64 hex digits */
    const char *amz_date;        /* "20150830T123600Z" */
    int64_t expires_s;           /* X-Amz-Expires, or -1 */
} net_sigv4_auth_t;

/* Verifies the signature on `req` for `service` ("dynamodb", "states").
 * With `creds` NULL only the form is checked (DynamoDB Local's behaviour).
 * Returns 0, or -1 with err set: "MissingAuthenticationTokenException",
 * "IncompleteSignatureException", "InvalidSignatureException",
 * "UnrecognizedClientException", with AWS's messages. */
int net__sigv4_verify(const net_creds_t *creds, const char *region,
                      const char *service, const net_request_t *req,
                      arena_t *a, sw_error_t *err);

/* Computes the signature of `req` as signed with (`signed_headers`,
 * `amz_date`, scope date/region/service, `secret`), excluding X-Amz-Signature
 * from the query. OUT: hex signature (65 bytes), and the canonical request
 * and string to sign (allocated in `a`, for messages and tests). */
void net__sigv4_sign(const net_request_t *req, arena_t *a, const char *signed_headers,
                     const char *amz_date, const char *scope_date, const char *region,
                     const char *service, const char *secret, char out_hex[65],
                     char **canonical, char **string_to_sign);

/* The secret for `key_id`, or NULL. */
const char *net__creds_find(const net_creds_t *c, const char *key_id, size_t key_id_len);

#endif
