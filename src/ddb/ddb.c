/* ddb.c - the DynamoDB engine's door: the op table, ddb_call / ddb_call_txn
 * (reads on their own read transaction; writes through the store's
 * group-commit writer, store_write, each in its own nested transaction; a
 * failed request changes nothing),
 * the error catalogue, and small request-parsing helpers shared by the
 * op files. Never includes anything from sfn/ or net/. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"

/* ------------------------------------------------------ error catalogue
 * X(enum suffix, __type namespace, wire name, HTTP status), as DynamoDB sends
 * them: input validation comes from the Coral framework's validator,
 * protocol and authentication errors from its service layer, the rest from
 * DynamoDB itself. */
#define NS_DDB "com.amazonaws.dynamodb.v20120810"
#define NS_VALIDATE "com.amazon.coral.validate"
#define NS_SERVICE "com.amazon.coral.service"
#define NS_AVAILABILITY "com.amazon.coral.availability"
#define DDB_ERRORS(X)                                                    \
    X(VALIDATION, NS_VALIDATE, "ValidationException", 400)                           \
    X(SERIALIZATION, NS_SERVICE, "SerializationException", 400)                     \
    X(RESOURCE_NOT_FOUND, NS_DDB, "ResourceNotFoundException", 400)             \
    X(RESOURCE_IN_USE, NS_DDB, "ResourceInUseException", 400)                   \
    X(CONDITIONAL_CHECK_FAILED, NS_DDB, "ConditionalCheckFailedException", 400) \
    X(TRANSACTION_CANCELED, NS_DDB, "TransactionCanceledException", 400)        \
    X(TRANSACTION_CONFLICT, NS_DDB, "TransactionConflictException", 400)        \
    X(TRANSACTION_IN_PROGRESS, NS_DDB, "TransactionInProgressException", 400)   \
    X(IDEMPOTENT_PARAMETER_MISMATCH, NS_DDB, "IdempotentParameterMismatchException", 400) \
    X(ITEM_COLLECTION_SIZE_LIMIT, NS_DDB, "ItemCollectionSizeLimitExceededException", 400) \
    X(LIMIT_EXCEEDED, NS_DDB, "LimitExceededException", 400)                    \
    X(PROVISIONED_THROUGHPUT_EXCEEDED, NS_DDB, "ProvisionedThroughputExceededException", 400) \
    X(REQUEST_LIMIT_EXCEEDED, NS_DDB, "RequestLimitExceeded", 400)              \
    X(THROTTLING, NS_AVAILABILITY, "ThrottlingException", 400)                           \
    X(UNKNOWN_OPERATION, NS_SERVICE, "UnknownOperationException", 400)              \
    X(MISSING_AUTH_TOKEN, NS_SERVICE, "MissingAuthenticationTokenException", 400)   \
    X(UNRECOGNIZED_CLIENT, NS_SERVICE, "UnrecognizedClientException", 400)          \
    X(INVALID_SIGNATURE, NS_SERVICE, "InvalidSignatureException", 400)              \
    X(INCOMPLETE_SIGNATURE, NS_SERVICE, "IncompleteSignatureException", 400)        \
    X(ACCESS_DENIED, NS_SERVICE, "AccessDeniedException", 400)                      \
    X(TABLE_NOT_FOUND, NS_DDB, "TableNotFoundException", 400)                   \
    X(TABLE_ALREADY_EXISTS, NS_DDB, "TableAlreadyExistsException", 400)         \
    X(POINT_IN_TIME_RECOVERY_UNAVAILABLE, NS_DDB, "PointInTimeRecoveryUnavailableException", 400) \
    X(INTERNAL_SERVER_ERROR, NS_DDB, "InternalServerError", 500)                \
    X(SERVICE_UNAVAILABLE, NS_DDB, "ServiceUnavailable", 503)

typedef enum ddb_error_code {
#define X(e, ns, name, status) DDB_ERR_##e,
    DDB_ERRORS(X)
#undef X
    DDB_ERR_COUNT
} ddb_error_code_t;

static const struct {
    const char *ns;
    const char *name;
    int status;
} ddb_errors[DDB_ERR_COUNT] = {
#define X(e, ns, name, status) [DDB_ERR_##e] = {ns, name, status},
    DDB_ERRORS(X)
#undef X
};

static int ddb_error_find(const char *type) {
    for (int i = 0; type && i < DDB_ERR_COUNT; i++)
        if (!strcmp(ddb_errors[i].name, type))
            return i;
    return -1;
}

int ddb_error_status(const char *type) {
    if (!type)
        return 500;
    int i = ddb_error_find(type);
    return i < 0 ? 400 : ddb_errors[i].status;
}

json_t *ddb_error_body(arena_t *a, const sw_error_t *err, const json_t *extras) {
    int i = ddb_error_find(err->type);
    const char *ns = i < 0 ? NS_DDB : ddb_errors[i].ns;
    json_t *body = json_new_obj(a);
    json_obj_set(a, body, "__type",
                 json_new_strz(a, arena_sprintf(a, "%s#%s", ns, err->type ? err->type
                                                                          : "InternalServerError")));
    /* DynamoDB spells it "Message" in its SerializationExceptions (as
     * net/awsjson.c does for those the transport raises). */
    json_obj_set(a, body,
                 err->type && !strcmp(err->type, "SerializationException") ? "Message" : "message",
                 json_new_strz(a, err->msg));
    for (size_t k = 0; json_is_obj(extras) && k < extras->len; k++)
        json_obj_setn(a, body, extras->u.members[k].key, extras->u.members[k].key_len,
                      extras->u.members[k].val);
    return body;
}

/* -------------------------------------------------------------- op table */

static const struct {
    const char *name;
    ddb_op_fn_t fn;
    bool is_write;
} ddb_ops[] = {
    {"BatchGetItem", ddb__op_batch_get_item, false},
    {"BatchWriteItem", ddb__op_batch_write_item, true},
    {"CreateTable", ddb__op_create_table, true},
    {"DeleteItem", ddb__op_delete_item, true},
    {"DeleteTable", ddb__op_delete_table, true},
    {"DescribeLimits", ddb__op_describe_limits, false},
    {"DescribeTable", ddb__op_describe_table, false},
    {"DescribeTimeToLive", ddb__op_describe_time_to_live, false},
    {"GetItem", ddb__op_get_item, false},
    {"ListTables", ddb__op_list_tables, false},
    {"ListTagsOfResource", ddb__op_list_tags_of_resource, false},
    {"PutItem", ddb__op_put_item, true},
    {"Query", ddb__op_query, false},
    {"Scan", ddb__op_scan, false},
    {"TagResource", ddb__op_tag_resource, true},
    {"TransactGetItems", ddb__op_transact_get_items, false},
    {"TransactWriteItems", ddb__op_transact_write_items, true},
    {"UntagResource", ddb__op_untag_resource, true},
    {"UpdateItem", ddb__op_update_item, true},
    {"UpdateTable", ddb__op_update_table, true},
    {"UpdateTimeToLive", ddb__op_update_time_to_live, true},
};

static int op_find(const char *op) {
    if (!op)
        return -1;
    for (size_t i = 0; i < sizeof ddb_ops / sizeof ddb_ops[0]; i++)
        if (!strcmp(ddb_ops[i].name, op))
            return (int)i;
    return -1;
}

bool ddb_has_op(const char *op) {
    return op_find(op) >= 0;
}

bool ddb_op_is_write(const char *op) {
    int i = op_find(op);
    return i >= 0 && ddb_ops[i].is_write;
}

int ddb_open(store_t *store, ddb_t **out, sw_error_t *err) {
    ddb_t *db = calloc(1, sizeof *db);
    (void)err;
    if (!db)
        SW_BUG("out of memory");
    db->store = store;
    if (ddb_set_location(db, DDB_DEFAULT_REGION, DDB_DEFAULT_ACCOUNT, err) < 0)
        SW_BUG("default location rejected");
    *out = db;
    return 0;
}

bool ddb_region_is_valid(const char *region) {
    size_t n = strlen(region);
    if (n == 0 || n > DDB_REGION_MAX_LEN || !(region[0] >= 'a' && region[0] <= 'z') ||
        region[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        bool is_ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     (c == '-' && region[i - 1] != '-');  /* i > 0: [0] is a letter */
        if (!is_ok)
            return false;
    }
    return true;
}

bool ddb_account_is_valid(const char *account) {
    size_t n = strlen(account);
    if (n != DDB_ACCOUNT_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (account[i] < '0' || account[i] > '9')
            return false;
    return true;
}

int ddb_location_check(const char *region, const char *account, sw_error_t *err) {
    if (!ddb_region_is_valid(region))
        return sw_error_set(err, "ValidationException",
                            "Invalid region '%.64s': expected lowercase letters, digits and "
                            "dashes, such as eu-west-1", region);
    if (!ddb_account_is_valid(account))
        return sw_error_set(err, "ValidationException",
                            "Invalid account '%.64s': expected exactly 12 digits", account);
    return 0;
}

int ddb_set_location(ddb_t *db, const char *region, const char *account, sw_error_t *err) {
    if (ddb_location_check(region, account, err) < 0)
        return -1;
    snprintf(db->region, sizeof db->region, "%s", region);
    snprintf(db->account, sizeof db->account, "%s", account);
    snprintf(db->table_arn_prefix, sizeof db->table_arn_prefix, "arn:aws:dynamodb:%s:%s:table/",
             region, account);
    return 0;
}

void ddb_close(ddb_t *db) {
    if (!db)
        return;
    free(db);
}

static const json_t *req_or_empty(const json_t *req, arena_t *a) {
    return req ? req : json_new_obj(a);
}

static int run_op(ddb_t *db, int i, store_txn_t *txn, const json_t *req, arena_t *a,
                  json_t **resp, sw_error_t *err) {
    if (!json_is_obj(req))
        return sw_error_set(err, "SerializationException",
                            "Start of structure or map found where not expected.");
    return ddb_ops[i].fn(db, txn, req, a, resp, err);
}

/* One write request as the store's writer runs it: its own (nested)
 * write transaction, committed into the batch, or aborted on failure. */
typedef struct write_req {
    ddb_t *db;
    int op;
    const json_t *req;
    arena_t *a;
    json_t **resp;
} write_req_t;

static int run_write(void *ctx, sw_error_t *err) {
    write_req_t *w = ctx;
    store_txn_t *txn;
    if (store_txn_begin(w->db->store, true, &txn, err) != 0)
        return -1;
    if (run_op(w->db, w->op, txn, w->req, w->a, w->resp, err) != 0) {
        store_txn_abort(txn);
        return -1;
    }
    if (store_txn_commit(txn, err) != 0) {
        *w->resp = NULL;
        return -1;
    }
    return 0;
}

int ddb_call(ddb_t *db, const char *op, const json_t *req, arena_t *a,
             json_t **resp, sw_error_t *err) {
    int i = op_find(op);
    store_txn_t *txn;

    *resp = NULL;
    if (i < 0)
        return sw_error_set(err, "UnknownOperationException", "%s", "");
    req = req_or_empty(req, a);
    /* Writes (table ops included) are committed in groups by the store's
     * writer thread: one fsync for every request queued meanwhile. */
    if (ddb_ops[i].is_write) {
        write_req_t w = {db, i, req, a, resp};
        int rc = store_write(db->store, run_write, &w, err);
        if (rc != 0 && (!err->type || !strcmp(err->type, "InternalServerError")))
            *resp = NULL;   /* the batch did not commit: no extras to send */
        return rc;
    }
    /* Reads run here, on a read transaction that never blocks. */
    if (store_txn_begin(db->store, false, &txn, err) != 0)
        return -1;
    int rc = run_op(db, i, txn, req, a, resp, err);
    store_txn_abort(txn);
    return rc;
}

int ddb_call_txn(ddb_t *db, store_txn_t *txn, const char *op, const json_t *req,
                 arena_t *a, json_t **resp, sw_error_t *err) {
    int i = op_find(op);
    store_txn_t *child;

    *resp = NULL;
    if (i < 0)
        return sw_error_set(err, "UnknownOperationException", "%s", "");
    req = req_or_empty(req, a);
    if (!store_txn_is_write(txn)) {
        /* A read transaction serves reads only; nothing to roll back. */
        if (ddb_ops[i].is_write)
            return sw_error_set(err, "InternalServerError",
                                "%s needs a write transaction", ddb_ops[i].name);
        return run_op(db, i, txn, req, a, resp, err);
    }
    /* A child transaction, so a failed request leaves the caller's
     * transaction exactly as it was. */
    if (store_txn_begin_nested(txn, &child, err) != 0)
        return -1;
    if (run_op(db, i, child, req, a, resp, err) != 0) {
        store_txn_abort(child);
        return -1;
    }
    if (store_txn_commit(child, err) != 0) {
        *resp = NULL;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------ request helpers */

static const json_t *member(const json_t *req, const char *name) {
    const json_t *v = json_obj_get(req, name);
    return json_is_null(v) ? NULL : v;  /* null = absent, as Coral reads it */
}

int ddb__req_str(const json_t *req, const char *name, const char **out, sw_error_t *err) {
    const json_t *v = member(req, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_str(v))
        return ddb__ser_error(v, "an String", err);
    *out = v->u.str;
    return 0;
}

int ddb__req_obj(const json_t *req, const char *name, const json_t **out, sw_error_t *err) {
    const json_t *v = member(req, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_obj(v))
        return ddb__ser_error(v, "Map", err);
    *out = v;
    return 0;
}

int ddb__req_arr(const json_t *req, const char *name, const json_t **out, sw_error_t *err) {
    const json_t *v = member(req, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_arr(v))
        return ddb__ser_error(v, "List", err);
    *out = v;
    return 0;
}

int ddb__req_bool(const json_t *req, const char *name, bool *out, sw_error_t *err) {
    const json_t *v = member(req, name);
    *out = false;
    if (!v)
        return 0;
    if (json_is_str(v)) {
        /* Coral converts "true"/"false" and rejects other strings. */
        if (!strcmp(v->u.str, "true") || !strcmp(v->u.str, "false")) {
            *out = v->u.str[0] == 't';
            return 0;
        }
        char up[64];
        size_t n = v->len < sizeof up - 1 ? v->len : sizeof up - 1;
        for (size_t i = 0; i < n; i++)
            up[i] = (char)((v->u.str[i] >= 'a' && v->u.str[i] <= 'z') ? v->u.str[i] - 32
                                                                      : v->u.str[i]);
        up[n] = 0;
        return sw_error_set(err, "SerializationException",
                            "'%s' can not be converted to an Boolean", up);
    }
    if (!json_is_bool(v))
        return ddb__ser_error(v, "an Boolean", err);
    *out = v->type == JSON_TRUE;
    return 0;
}

int ddb__req_int(const json_t *req, const char *name, bool *present, int64_t *out,
                 sw_error_t *err) {
    const json_t *v = member(req, name);
    *present = false;
    *out = 0;
    if (!v)
        return 0;
    if (json_is_bool(v))
        return sw_error_set(err, "SerializationException",
                            "class java.lang.Boolean can not be converted to an Integer");
    if (json_is_str(v))
        return sw_error_set(err, "SerializationException",
                            "class java.lang.String can not be converted to an Integer");
    if (!json_is_num(v))
        return ddb__ser_error(v, "an Integer", err);
    if (!json_num_i64(v, out)) {
        /* Fractions are truncated and huge values clamped, as Coral does. */
        double d = json_num_double(v);
        *out = d > 2147483647.0 ? 2147483647 : d < -2147483648.0 ? -2147483647 - 1 : (int64_t)d;
    }
    *present = true;
    return 0;
}

void ddb__verr_add(ddb_verr_t *v, const char *fmt, ...) {
    va_list ap;
    int n;
    if (v->n >= 10)
        return;
    if (v->n > 0 && v->len + 2 < sizeof v->text) {
        memcpy(v->text + v->len, "; ", 3);
        v->len += 2;
    }
    va_start(ap, fmt);
    n = vsnprintf(v->text + v->len, sizeof v->text - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n;
    if (v->len >= sizeof v->text)
        v->len = sizeof v->text - 1;
    v->n++;
}

int ddb__verr_finish(const ddb_verr_t *v, sw_error_t *err) {
    if (v->n == 0)
        return 0;
    return sw_error_set(err, "ValidationException", "%d validation error%s detected: %s", v->n,
                        v->n > 1 ? "s" : "", v->text);
}

const char *ddb__table_name_of(const char *name) {
    /* arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME */
    const char *p = name;
    int colons = 0;
    if (!name || strncmp(name, "arn:", 4) != 0)
        return name;
    for (; *p && colons < 5; p++)
        colons += *p == ':';
    if (colons != 5 || strncmp(p, "table/", 6) != 0 || strstr(name, ":dynamodb:") == NULL)
        return name;
    return p + 6;
}

void ddb__verr_table_name(ddb_verr_t *v, const char *param, const char *name) {
    size_t len;
    if (!name) {
        ddb__verr_add(v, "Value null at '%s' failed to satisfy constraint: Member must not be null",
                      param);
        return;
    }
    len = strlen(name);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            ddb__verr_add(v,
                          "Value '%.300s' at '%s' failed to satisfy constraint: Member must "
                          "satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                          name, param);
            break;
        }
    }
    if (len < DDB_TABLE_NAME_MIN)
        ddb__verr_add(v,
                      "Value '%s' at '%s' failed to satisfy constraint: Member must have length "
                      "greater than or equal to 3",
                      name, param);
    if (len > DDB_TABLE_NAME_MAX)
        ddb__verr_add(v,
                      "Value '%.300s' at '%s' failed to satisfy constraint: Member must have "
                      "length less than or equal to 255",
                      name, param);
}
