/* sigv4.c - AWS Signature Version 4 verification (header and query forms)
 * and the credentials file behind `stepwise serve --credentials FILE`.
 *
 * Follows the SigV4 specification: canonical request (method, URI-encoded
 * path, sorted canonical query, signed headers with trimmed values, SHA-256
 * of the body), string to sign, the HMAC key chain, and a constant-time
 * comparison. Messages and check order are DynamoDB's. Holds no state
 * besides the read-only credentials; never logs secrets or signatures. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "base/buf.h"
#include "net/net_int.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TEXT_MAX ((size_t)1 << 20)  /* cap on canonical request text */

/* ------------------------------------------------------------ credentials */

typedef struct net_cred {
    char *key_id;
    char *secret;
} net_cred_t;

struct net_creds {
    net_cred_t *items;
    size_t n;
    size_t cap;
};

static void creds_add(net_creds_t *c, const char *key_id, size_t key_len,
                      const char *secret, size_t secret_len) {
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->items = realloc(c->items, c->cap * sizeof(*c->items));
        if (!c->items)
            abort();
    }
    c->items[c->n].key_id = strndup(key_id, key_len);
    c->items[c->n].secret = strndup(secret, secret_len);
    if (!c->items[c->n].key_id || !c->items[c->n].secret)
        abort();
    c->n++;
}

static void trim(const char **s, size_t *len) {
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int net_creds_load(const char *path, net_creds_t **out, sw_error_t *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return sw_error_set(err, "InvalidInput", "cannot read credentials file %s: %s", path,
                            strerror(errno));
    net_creds_t *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    char line[4096];
    char *ini_key = NULL, *ini_secret = NULL;  /* of the current INI profile */
    int line_no = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), f)) {
        line_no++;
        const char *s = line;
        size_t len = strlen(line);
        trim(&s, &len);
        if (len == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[') {   /* a new INI profile: flush the previous one */
            if (ini_key && ini_secret)
                creds_add(c, ini_key, strlen(ini_key), ini_secret, strlen(ini_secret));
            free(ini_key);
            free(ini_secret);
            ini_key = ini_secret = NULL;
            continue;
        }
        const char *eq = memchr(s, '=', len);
        if (eq) {
            const char *k = s, *v = eq + 1;
            size_t k_len = (size_t)(eq - s), v_len = len - k_len - 1;
            trim(&k, &k_len);
            trim(&v, &v_len);
            char **slot = NULL;
            if (k_len == 17 && strncmp(k, "aws_access_key_id", 17) == 0)
                slot = &ini_key;
            else if (k_len == 21 && strncmp(k, "aws_secret_access_key", 21) == 0)
                slot = &ini_secret;
            if (slot) {
                free(*slot);
                *slot = strndup(v, v_len);
                if (!*slot)
                    abort();
            }
            continue;   /* other INI keys (region, output, ...) are ignored */
        }
        size_t k_len = 0;
        while (k_len < len && !isspace((unsigned char)s[k_len]))
            k_len++;
        const char *v = s + k_len;
        size_t v_len = len - k_len;
        trim(&v, &v_len);
        if (v_len == 0 || memchr(v, ' ', v_len) || memchr(v, '\t', v_len)) {
            rc = sw_error_set(err, "InvalidInput",
                              "%s:%d: expected \"ACCESS_KEY_ID SECRET_ACCESS_KEY\"", path,
                              line_no);
            break;
        }
        creds_add(c, s, k_len, v, v_len);
    }
    if (rc == 0 && ini_key && ini_secret)
        creds_add(c, ini_key, strlen(ini_key), ini_secret, strlen(ini_secret));
    free(ini_key);
    free(ini_secret);
    fclose(f);
    if (rc == 0 && c->n == 0)
        rc = sw_error_set(err, "InvalidInput", "%s: no credentials found", path);
    if (rc < 0) {
        net_creds_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void net_creds_free(net_creds_t *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        /* Secrets do not outlive their use in freed memory. */
        OPENSSL_cleanse(c->items[i].secret, strlen(c->items[i].secret));
        free(c->items[i].key_id);
        free(c->items[i].secret);
    }
    free(c->items);
    free(c);
}

size_t net_creds_count(const net_creds_t *c) { return c ? c->n : 0; }

const char *net__creds_find(const net_creds_t *c, const char *key_id, size_t key_id_len) {
    for (size_t i = 0; c && i < c->n; i++)
        if (strlen(c->items[i].key_id) == key_id_len &&
            memcmp(c->items[i].key_id, key_id, key_id_len) == 0)
            return c->items[i].secret;
    return NULL;
}

/* ------------------------------------------------------------ encoding */

static bool is_unreserved(unsigned char ch) {
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

/* SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and '/' when
 * `keep_slash`) as %XX with upper-case hex. */
static void uri_encode(sw_buf_t *b, const char *s, size_t len, bool keep_slash) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_unreserved(ch) || (keep_slash && ch == '/')) {
            buf_putc(b, (char)ch);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_append(b, esc, 3);
        }
    }
}

static int hex_val(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decoding; a malformed escape is kept as it is. In `a`. */
static char *uri_decode(arena_t *a, const char *s, size_t len, size_t *out_len) {
    char *out = arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_val(s[i + 1])) >= 0 &&
            (lo = hex_val(s[i + 2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

static void hex_encode(const unsigned char *p, size_t n, char *out) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *p, size_t n, char out[65]) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(p, n, md);
    hex_encode(md, sizeof(md), out);
}

static void hmac256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[32]) {
    unsigned int out_len = 32;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len))
        SW_BUG("HMAC-SHA256 failed");
}

/* ------------------------------------------------------------ canonical form */

typedef struct qparam {
    char *key;     /* encoded */
    char *val;     /* encoded */
} qparam_t;

static int qparam_cmp(const void *x, const void *y) {
    const qparam_t *p = x, *q = y;
    int c = strcmp(p->key, q->key);
    return c ? c : strcmp(p->val, q->val);
}

static char *encode_str(arena_t *a, const char *s, size_t len) {
    sw_buf_t b;
    buf_init(&b, a, SIZE_MAX / 2);
    uri_encode(&b, s, len, false);
    return b.ptr ? b.ptr : arena_strdup(a, "");
}

/* The canonical query string: every parameter decoded then encoded the
 * SigV4 way, sorted by name then value, X-Amz-Signature left out. */
static void canonical_query(sw_buf_t *b, arena_t *a, const char *query) {
    size_t n = 0, cap = 8;
    qparam_t *ps = arena_alloc(a, cap * sizeof(*ps));
    const char *p = query ? query : "";
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t k_len = eq ? (size_t)(eq - p) : len;
            size_t kd_len, vd_len;
            char *kd = uri_decode(a, p, k_len, &kd_len);
            char *vd = eq ? uri_decode(a, eq + 1, len - k_len - 1, &vd_len)
                          : (vd_len = 0, arena_strdup(a, ""));
            if (!(kd_len == 15 && strcmp(kd, "X-Amz-Signature") == 0)) {
                if (n == cap) {
                    qparam_t *bigger = arena_alloc(a, 2 * cap * sizeof(*ps));
                    memcpy(bigger, ps, n * sizeof(*ps));
                    ps = bigger;
                    cap *= 2;
                }
                ps[n].key = encode_str(a, kd, kd_len);
                ps[n].val = encode_str(a, vd, vd_len);
                n++;
            }
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    qsort(ps, n, sizeof(*ps), qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, '&');
        buf_puts(b, ps[i].key);
        buf_putc(b, '=');
        buf_puts(b, ps[i].val);
    }
}

/* A header value as SigV4 wants it: trimmed, inner runs of spaces as one. */
static void canonical_value(sw_buf_t *b, const char *v, size_t len) {
    trim(&v, &len);
    bool in_space = false;
    for (size_t i = 0; i < len; i++) {
        bool sp = v[i] == ' ' || v[i] == '\t';
        if (sp && in_space)
            continue;
        buf_putc(b, sp ? ' ' : v[i]);
        in_space = sp;
    }
}

static bool name_eq(const net_header_t *h, const char *name, size_t len) {
    return h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

void net__sigv4_sign(const net_request_t *req, arena_t *a, const char *signed_headers,
                     const char *amz_date, const char *scope_date, const char *region,
                     const char *service, const char *secret, char out_hex[65],
                     char **canonical, char **string_to_sign) {
    sw_buf_t b;
    buf_init(&b, a, SIGV4_TEXT_MAX);
    buf_puts(&b, req->method);
    buf_putc(&b, '\n');
    const char *path = req->path && *req->path ? req->path : "/";
    uri_encode(&b, path, strlen(path), true);
    buf_putc(&b, '\n');
    canonical_query(&b, a, req->query);
    buf_putc(&b, '\n');
    /* Canonical headers, in SignedHeaders order; repeated headers joined
     * with commas in the order received. */
    const char *p = signed_headers;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        for (size_t i = 0; i < len; i++)
            buf_putc(&b, (char)tolower((unsigned char)p[i]));
        buf_putc(&b, ':');
        bool first = true;
        for (size_t i = 0; i < req->n_headers; i++) {
            if (!name_eq(&req->headers[i], p, len))
                continue;
            if (!first)
                buf_putc(&b, ',');
            canonical_value(&b, req->headers[i].value, req->headers[i].value_len);
            first = false;
        }
        buf_putc(&b, '\n');
        if (!semi)
            break;
        p = semi + 1;
    }
    buf_putc(&b, '\n');
    buf_puts(&b, signed_headers);
    buf_putc(&b, '\n');
    char body_hash[65];
    sha256_hex(req->body ? req->body : "", req->body_len, body_hash);
    buf_puts(&b, body_hash);
    *canonical = b.ptr;

    char creq_hash[65];
    sha256_hex(b.ptr, b.len, creq_hash);
    *string_to_sign = arena_sprintf(a, "%s\n%s\n%s/%s/%s/aws4_request\n%s", SIGV4_ALGORITHM,
                                    amz_date, scope_date, region, service, creq_hash);

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
     * "aws4_request") */
    char *k_secret = arena_sprintf(a, "AWS4%s", secret);
    unsigned char k[32];
    hmac256(k_secret, strlen(k_secret), scope_date, strlen(scope_date), k);
    OPENSSL_cleanse(k_secret, strlen(k_secret));
    hmac256(k, 32, region, strlen(region), k);
    hmac256(k, 32, service, strlen(service), k);
    hmac256(k, 32, "aws4_request", 12, k);
    unsigned char sig[32];
    hmac256(k, 32, *string_to_sign, strlen(*string_to_sign), sig);
    OPENSSL_cleanse(k, sizeof(k));
    hex_encode(sig, 32, out_hex);
}

/* ------------------------------------------------------------ dates */

/* "20150830T123600Z" -> epoch ms. */
static bool parse_amz_date(const char *s, int64_t *ms) {
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return false;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int n = sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if (n != 6 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

static void format_amz_date(int64_t ms, char out[17]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* An RFC 1123 Date header ("Sun, 30 Aug 2015 12:36:00 GMT") -> the basic
 * ISO-8601 form, as AWS accepts either. */
static bool http_date_to_amz(arena_t *a, const char *s, const char **out) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return false;
    char buf[17];
    format_amz_date((int64_t)timegm(&tm) * 1000, buf);
    *out = arena_strdup(a, buf);
    return true;
}

/* ------------------------------------------------------------ parsing */

static const char *header_str(arena_t *a, const net_request_t *req, const char *name) {
    const net_header_t *h = net__header_get(req, name);
    return h ? arena_strndup(a, h->value, h->value_len) : NULL;
}

/* The decoded value of query parameter `name`, or NULL. */
static const char *query_param(arena_t *a, const char *query, const char *name) {
    size_t name_len = strlen(name);
    const char *p = query ? query : "";
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t k_len = eq ? (size_t)(eq - p) : len;
        size_t kd_len, vd_len;
        char *kd = uri_decode(a, p, k_len, &kd_len);
        if (kd_len == name_len && memcmp(kd, name, name_len) == 0)
            return eq ? uri_decode(a, eq + 1, len - k_len - 1, &vd_len) : "";
        if (!amp)
            break;
        p = amp + 1;
    }
    return NULL;
}

/* Parses the Authorization header's "K=V, K=V" list. */
static int parse_header_auth(arena_t *a, const char *auth, net_sigv4_auth_t *out,
                             const char *date, sw_error_t *err) {
    const char *p = auth;
    while (*p == ' ')
        p++;
    size_t alg_len = strcspn(p, " ");
    out->algorithm = arena_strndup(a, p, alg_len);
    p += alg_len;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *item = p;
        size_t item_len = len;
        trim(&item, &item_len);
        const char *eq = memchr(item, '=', item_len);
        if (eq) {
            size_t k_len = (size_t)(eq - item);
            const char *v = arena_strndup(a, eq + 1, item_len - k_len - 1);
            if (k_len == 10 && strncmp(item, "Credential", 10) == 0)
                out->credential = v;
            else if (k_len == 13 && strncmp(item, "SignedHeaders", 13) == 0)
                out->signed_headers = v;
            else if (k_len == 9 && strncmp(item, "Signature", 9) == 0)
                out->signature = v;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    char msg[SW_ERROR_MSG_MAX] = "";
    size_t used = 0;
    static const char *const need[] = {"Credential", "Signature", "SignedHeaders"};
    const char *have[] = {out->credential, out->signature, out->signed_headers};
    for (int i = 0; i < 3; i++)
        if (!have[i] || (i < 2 && !*have[i]))
            used += (size_t)snprintf(msg + used, used < sizeof(msg) ? sizeof(msg) - used : 0,
                                     "Authorization header requires '%s' parameter. ", need[i]);
    if (!date && used < sizeof(msg))
        used += (size_t)snprintf(msg + used, sizeof(msg) - used,
                                 "Authorization header requires existence of either a "
                                 "'X-Amz-Date' or a 'Date' header. ");
    if (used)
        return sw_error_set(err, "IncompleteSignatureException", "%sAuthorization=%s", msg,
                            auth);
    out->amz_date = date;
    return 0;
}

static int parse_query_auth(arena_t *a, const char *query, net_sigv4_auth_t *out,
                            sw_error_t *err) {
    out->is_query = true;
    out->algorithm = query_param(a, query, "X-Amz-Algorithm");
    out->credential = query_param(a, query, "X-Amz-Credential");
    out->signed_headers = query_param(a, query, "X-Amz-SignedHeaders");
    out->signature = query_param(a, query, "X-Amz-Signature");
    out->amz_date = query_param(a, query, "X-Amz-Date");
    const char *expires = query_param(a, query, "X-Amz-Expires");
    char msg[SW_ERROR_MSG_MAX] = "";
    size_t used = 0;
    static const char *const need[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                       "X-Amz-SignedHeaders", "X-Amz-Date"};
    const char *have[] = {out->algorithm, out->credential, out->signature,
                          out->signed_headers, out->amz_date};
    for (int i = 0; i < 5; i++)
        if (!have[i] || !*have[i])
            used += (size_t)snprintf(msg + used, used < sizeof(msg) ? sizeof(msg) - used : 0,
                                     "AWS query-string parameters must include '%s'. ", need[i]);
    if (used)
        return sw_error_set(err, "IncompleteSignatureException",
                            "%sRe-examine the query-string parameters.", msg);
    out->expires_s = -1;
    if (expires) {
        char *end;
        errno = 0;
        long long v = strtoll(expires, &end, 10);
        if (errno || *end || v < 1 || v > 604800)
            return sw_error_set(err, "IncompleteSignatureException",
                                "X-Amz-Expires must be an integer between 1 and 604800, got '%s'",
                                expires);
        out->expires_s = v;
    }
    return 0;
}

/* True if ';'-list `list` holds `name` (case-insensitive). */
static bool list_has(const char *list, const char *name) {
    size_t name_len = strlen(name);
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ";");
        if (len == name_len && strncasecmp(p, name, len) == 0)
            return true;
        if (!p[len])
            return false;
        p += len + 1;
    }
}

/* ------------------------------------------------------------ verification */

int net__sigv4_verify(const net_creds_t *creds, const char *region, const char *service,
                      const net_request_t *req, arena_t *a, sw_error_t *err) {
    net_sigv4_auth_t auth;
    memset(&auth, 0, sizeof(auth));
    auth.expires_s = -1;
    const char *authz = header_str(a, req, "Authorization");
    if (authz) {
        const char *date = header_str(a, req, "X-Amz-Date");
        if (!date) {
            const char *http_date = header_str(a, req, "Date");
            if (http_date && !http_date_to_amz(a, http_date, &date))
                date = http_date;   /* reported as not ISO-8601 below */
        }
        const char *t = authz;
        while (*t == ' ')
            t++;
        if (strncmp(t, "AWS4-", 5) != 0)
            return sw_error_set(err, "MissingAuthenticationTokenException",
                                "Request is missing Authentication Token");
        if (parse_header_auth(a, authz, &auth, date, err) < 0)
            return -1;
    } else if (query_param(a, req->query, "X-Amz-Algorithm") ||
               query_param(a, req->query, "X-Amz-Signature")) {
        if (parse_query_auth(a, req->query, &auth, err) < 0)
            return -1;
    } else {
        return sw_error_set(err, "MissingAuthenticationTokenException",
                            "Request is missing Authentication Token");
    }

    int64_t date_ms;
    if (!parse_amz_date(auth.amz_date, &date_ms))
        return sw_error_set(err, "IncompleteSignatureException",
                            "Date must be in ISO-8601 'basic format'. Got '%s'. See "
                            "http://en.wikipedia.org/wiki/ISO_8601",
                            auth.amz_date);
    if (creds) {
        char now_s[17], edge_s[17];
        format_amz_date(req->now_ms, now_s);
        int64_t latest = auth.expires_s >= 0 ? date_ms + auth.expires_s * 1000
                                             : date_ms + NET_SIGV4_SKEW_MS;
        if (req->now_ms > latest) {
            if (auth.expires_s >= 0) {
                format_amz_date(req->now_ms - auth.expires_s * 1000, edge_s);
                return sw_error_set(err, "InvalidSignatureException",
                                    "Signature expired: %s is now earlier than %s "
                                    "(%s - %lld sec.)",
                                    auth.amz_date, edge_s, now_s, (long long)auth.expires_s);
            }
            format_amz_date(req->now_ms - NET_SIGV4_SKEW_MS, edge_s);
            return sw_error_set(err, "InvalidSignatureException",
                                "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                                auth.amz_date, edge_s, now_s);
        }
        if (date_ms > req->now_ms + NET_SIGV4_SKEW_MS) {
            format_amz_date(req->now_ms + NET_SIGV4_SKEW_MS, edge_s);
            return sw_error_set(err, "InvalidSignatureException",
                                "Signature not yet current: %s is still later than %s "
                                "(%s + 15 min.)",
                                auth.amz_date, edge_s, now_s);
        }
        if (!list_has(auth.signed_headers, "host"))
            return sw_error_set(err, "InvalidSignatureException",
                                "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    if (strcmp(auth.algorithm, SIGV4_ALGORITHM) != 0)
        return sw_error_set(err, "IncompleteSignatureException",
                            "Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ",
                            auth.algorithm);

    /* Credential: keyid/date/region/service/aws4_request (a trailing slash
     * is tolerated, as AWS does). */
    const char *parts[6];
    size_t part_len[6];
    int n_parts = 0;
    const char *p = auth.credential;
    size_t cred_len = strlen(p);
    while (cred_len && p[cred_len - 1] == '/')
        cred_len--;
    for (size_t start = 0, i = 0; i <= cred_len; i++) {
        if (i == cred_len || p[i] == '/') {
            if (n_parts < 6) {
                parts[n_parts] = p + start;
                part_len[n_parts] = i - start;
            }
            n_parts++;
            start = i + 1;
        }
    }
    if (n_parts != 5)
        return sw_error_set(err, "IncompleteSignatureException",
                            "Credential must have exactly 5 slash-delimited elements, e.g. "
                            "keyid/date/region/service/term, got '%.*s'",
                            (int)cred_len, p);
    const char *scope_date = arena_strndup(a, parts[1], part_len[1]);
    const char *scope_region = arena_strndup(a, parts[2], part_len[2]);
    const char *scope_service = arena_strndup(a, parts[3], part_len[3]);
    const char *scope_term = arena_strndup(a, parts[4], part_len[4]);
    if (!creds)
        return 0;   /* DynamoDB Local: any well-formed signature will do */

    char msg[SW_ERROR_MSG_MAX] = "";
    size_t used = 0;
#define SCOPE_MSG(...)                                                              \
    do {                                                                            \
        if (used < sizeof(msg))                                                     \
            used += (size_t)snprintf(msg + used, sizeof(msg) - used, __VA_ARGS__);  \
    } while (0)
    if (strcmp(scope_region, region) != 0)
        SCOPE_MSG("%sCredential should be scoped to a valid region, not '%s'.", used ? " " : "",
                  scope_region);
    if (strcmp(scope_service, service) != 0)
        SCOPE_MSG("%sCredential should be scoped to correct service: '%s'.", used ? " " : "",
                  service);
    if (strcmp(scope_term, "aws4_request") != 0)
        SCOPE_MSG("%sCredential should be scoped with a valid terminator: 'aws4_request', "
                  "not '%s'.", used ? " " : "", scope_term);
    if (strncmp(scope_date, auth.amz_date, 8) != 0 || strlen(scope_date) != 8)
        SCOPE_MSG("%sDate in Credential scope does not match YYYYMMDD from ISO-8601 version "
                  "of date from HTTP: '%s' != '%.8s', from '%s'.", used ? " " : "",
                  scope_date, auth.amz_date, auth.amz_date);
#undef SCOPE_MSG
    if (used)
        return sw_error_set(err, "InvalidSignatureException", "%s", msg);

    const char *secret = net__creds_find(creds, parts[0], part_len[0]);
    if (!secret)
        return sw_error_set(err, "UnrecognizedClientException",
                            "The security token included in the request is invalid.");

    char expect[65];
    char *canonical, *sts;
    net__sigv4_sign(req, a, auth.signed_headers, auth.amz_date, scope_date, scope_region,
                    scope_service, secret, expect, &canonical, &sts);
    if (strlen(auth.signature) != 64 || CRYPTO_memcmp(expect, auth.signature, 64) != 0)
        return sw_error_set(err, "InvalidSignatureException",
                            "The request signature we calculated does not match the signature "
                            "you provided. Check your AWS Secret Access Key and signing method. "
                            "Consult the service documentation for details.");
    return 0;
}
