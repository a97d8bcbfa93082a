/* txn.c - TransactWriteItems and TransactGetItems.
 *
 * A transaction is all-or-nothing because ddb_call runs it in one store
 * transaction (ddb_call_txn: one nested transaction): each action runs the
 * same handler as its single-item API (PutItem, UpdateItem, DeleteItem,
 * GetItem in item.c) inside that transaction, and if any action fails its
 * condition the whole store transaction is aborted by the caller. Actions
 * touch distinct items (two actions on one item are rejected first), so
 * running them in order sees the same state as checking every condition
 * before any write. Every action runs even after one failed, so that
 * CancellationReasons has one entry per action, in request order, as AWS
 * sends it.
 *
 * ClientRequestToken makes TransactWriteItems idempotent for 10 minutes
 * after the first success that used it, as DynamoDB documents: STORE_META
 * "ddb:txtok/" TOKEN -> the time (ms, u64 BE) and the request it came with
 * (less the token and the members that only shape the response), written
 * in the transaction's own store transaction. The same request again is a
 * success that writes nothing; another request with the token is
 * IdempotentParameterMismatchException. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "ddb/ddb_int.h"
#include "ddb/expr.h"

#define TXN_MAX_ACTIONS 100
#define TXN_MAX_BYTES ((size_t)4 * 1024 * 1024)
#define TXN_SAME_ITEM "Transaction request cannot include multiple operations on one item"

typedef enum act_kind { ACT_PUT, ACT_UPDATE, ACT_DELETE, ACT_CHECK, ACT_GET } act_kind_t;

typedef struct txn_act {
    act_kind_t kind;
    const json_t *body;       /* the action's object: a PutItem-shaped request, ... */
    ddb_table_t *t;
    uint8_t *key;             /* full key, for "multiple operations on one item" */
    size_t key_len;
} txn_act_t;

/* The table of an action, loaded once per name per request. */
static int table_cached(store_txn_t *txn, arena_t *a, txn_act_t *acts, size_t n,
                        const char *name, ddb_table_t **out, sw_error_t *err) {
    for (size_t i = 0; i < n; i++)
        if (acts[i].t && !strcmp(acts[i].t->name, name)) {
            *out = acts[i].t;
            return 0;
        }
    *out = arena_zalloc(a, sizeof **out);
    return ddb__table_from_req(txn, a, acts[n].body, *out, err);
}

/* Reads the action list: exactly one kind per element, its table and the
 * key of the item it touches; rejects two actions on one item. */
static int read_actions(store_txn_t *txn, arena_t *a, const json_t *req, bool is_get,
                        txn_act_t **out, size_t *n_out, sw_error_t *err) {
    static const char *const write_kinds[] = {"Put", "Update", "Delete", "ConditionCheck"};
    const json_t *items;
    ddb_verr_t verr = {0};
    const char *rcc, *token = NULL;
    txn_act_t *acts;

    if (ddb__req_arr(req, "TransactItems", &items, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &rcc, err) != 0)
        return -1;
    if (!is_get && ddb__req_str(req, "ClientRequestToken", &token, err) != 0)
        return -1;
    for (size_t i = 0; items && i < items->len; i++)
        if (!json_is_obj(items->u.items[i]))
            return ddb__ser_error(items->u.items[i], "Structure", err);
    if (!items)
        ddb__verr_add(&verr, "Value null at 'transactItems' failed to satisfy constraint: Member "
                             "must not be null");
    else if (items->len == 0)
        ddb__verr_add(&verr, "Value '[]' at 'transactItems' failed to satisfy constraint: Member "
                             "must have length greater than or equal to 1");
    else if (items->len > TXN_MAX_ACTIONS)
        ddb__verr_add(&verr, "Value '[%zu items]' at 'transactItems' failed to satisfy "
                             "constraint: Member must have length less than or equal to 100",
                      items->len);
    if (token && (strlen(token) < 1 || strlen(token) > 36))
        ddb__verr_add(&verr, "Value '%.100s' at 'clientRequestToken' failed to satisfy "
                             "constraint: Member must have length %s", token,
                      strlen(token) < 1 ? "greater than or equal to 1"
                                        : "less than or equal to 36");
    for (size_t i = 0; items && i < items->len && i < TXN_MAX_ACTIONS; i++) {
        const json_t *el = items->u.items[i];
        if (is_get && !json_is_obj(json_obj_get(el, "Get")))
            ddb__verr_add(&verr, "Value null at 'transactItems.%zu.member.get' failed to satisfy "
                                 "constraint: Member must not be null", i + 1);
        if (!is_get) {
            const json_t *cc = json_obj_get(el, "ConditionCheck");
            if (json_is_obj(cc) && !json_is_str(json_obj_get(cc, "ConditionExpression")))
                ddb__verr_add(&verr, "Value null at 'transactItems.%zu.member.conditionCheck."
                                     "conditionExpression' failed to satisfy constraint: Member "
                                     "must not be null", i + 1);
        }
    }
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;

    acts = arena_zalloc(a, items->len * sizeof *acts);
    for (size_t i = 0; i < items->len; i++) {
        const json_t *el = items->u.items[i];
        txn_act_t *x = &acts[i];
        const char *name;
        json_t *canon;
        int n_kinds = 0;

        if (is_get) {
            x->kind = ACT_GET;
            x->body = json_obj_get(el, "Get");
        } else {
            for (int k = 0; k < 4; k++) {
                const json_t *v = json_obj_get(el, write_kinds[k]);
                if (!v || json_is_null(v))
                    continue;
                if (!json_is_obj(v))
                    return ddb__ser_error(v, "Structure", err);
                x->kind = (act_kind_t)k;
                x->body = v;
                n_kinds++;
            }
            if (n_kinds != 1)
                return sw_error_set(err, "ValidationException",
                                    "TransactItems can only contain one of Check, Put, Update or "
                                    "Delete");
        }
        if (ddb__req_str(x->body, "TableName", &name, err) != 0)
            return -1;
        if (!name) {
            ddb_verr_t v2 = {0};
            ddb__verr_table_name(&v2, "tableName", NULL);
            return ddb__verr_finish(&v2, err);
        }
        if (table_cached(txn, a, acts, i, name, &x->t, err) != 0)
            return -1;
        {
            const json_t *src = json_obj_get(x->body, x->kind == ACT_PUT ? "Item" : "Key");
            if (!json_is_obj(src))
                return sw_error_set(err, "ValidationException",
                                    "1 validation error detected: Value null at '%s' failed to "
                                    "satisfy constraint: Member must not be null",
                                    x->kind == ACT_PUT ? "item" : "key");
            canon = ddb__item_canon(a, src, err);
            if (!canon)
                return -1;
            x->key = arena_alloc(a, DDB_KEY_FULL_MAX);
            if (ddb__key_encode(x->t, canon, x->kind != ACT_PUT, x->key, &x->key_len, err) != 0)
                return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (acts[j].t->id == x->t->id && acts[j].key_len == x->key_len &&
                !memcmp(acts[j].key, x->key, x->key_len))
                return sw_error_set(err, "ValidationException", TXN_SAME_ITEM);
    }
    *out = acts;
    *n_out = items->len;
    return 0;
}

/* ConditionCheck: the condition of the action on its item, no write.
 * ConditionalCheckFailedException (with the item in *extra when
 * ReturnValuesOnConditionCheckFailure is ALL_OLD) when it does not hold. */
static int condition_check(store_txn_t *txn, arena_t *a, const txn_act_t *x, json_t **extra,
                           sw_error_t *err) {
    const json_t *names, *values;
    const char *text, *rv;
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *cond;
    const char *json_text;
    size_t json_len;
    json_t *item = NULL;
    bool ok;

    if (ddb__req_obj(x->body, "ExpressionAttributeNames", &names, err) != 0 ||
        ddb__req_obj(x->body, "ExpressionAttributeValues", &values, err) != 0 ||
        ddb__req_str(x->body, "ConditionExpression", &text, err) != 0 ||
        ddb__req_str(x->body, "ReturnValuesOnConditionCheckFailure", &rv, err) != 0)
        return -1;
    if (rv && strcmp(rv, "ALL_OLD") != 0 && strcmp(rv, "NONE") != 0)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value '%.100s' at "
                            "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: "
                            "Member must satisfy enum value set: [ALL_OLD, NONE]", rv);
    if (ddb_expr_ctx_new(a, names, values, &ctx, err) != 0 ||
        ddb_expr_parse_cond(ctx, DDB_EXPR_CONDITION, text, strlen(text), &cond, err) != 0 ||
        ddb_expr_ctx_check_unused(ctx, err) != 0)
        return -1;
    if (ddb__items_get(txn, x->key, x->key_len, &json_text, &json_len)) {
        item = json_parse(a, json_text, json_len, err);
        if (!item)
            return sw_error_set(err, "InternalServerError", "corrupt item in store");
    }
    if (ddb_cond_eval(cond, a, item, &ok, err) != 0)
        return -1;
    if (ok)
        return 0;
    if (item && rv && !strcmp(rv, "ALL_OLD")) {
        *extra = json_new_obj(a);
        json_obj_set(a, *extra, "Item", item);
    }
    return sw_error_set(err, "ConditionalCheckFailedException", "The conditional request failed");
}

/* Errors found while applying an action to its item: AWS reports them as a
 * ValidationError cancellation reason, not as the request's error. */
static bool is_runtime_error(const sw_error_t *e) {
    static const char *const msgs[] = {
        "An operand in the update expression has an incorrect data type",
        "The provided expression refers to an attribute that does not exist in the item",
        "The document path provided in the update expression is invalid for update",
        "Item size to update has exceeded the maximum allowed size",
        "Nesting Levels have exceeded supported limits",
        "Number overflow", "Number underflow",
        "Attempting to store more than 38 significant digits", NULL};
    if (!e->type || strcmp(e->type, "ValidationException") != 0)
        return false;
    for (size_t i = 0; msgs[i]; i++)
        if (!strncmp(e->msg, msgs[i], strlen(msgs[i])))
            return true;
    return false;
}

#define TOKEN_PREFIX "ddb:txtok/"
#define TOKEN_WINDOW_MS (10 * 60 * 1000)

/* What the idempotency check compares of a request. */
static json_t *token_request(arena_t *a, const json_t *req) {
    json_t *r = json_new_obj(a);
    for (size_t i = 0; i < req->len; i++) {
        const json_member_t *m = &req->u.members[i];
        if (strcmp(m->key, "ClientRequestToken") && strcmp(m->key, "ReturnConsumedCapacity") &&
            strcmp(m->key, "ReturnItemCollectionMetrics"))
            json_obj_setn(a, r, m->key, m->key_len, m->val);
    }
    return r;
}

static size_t token_key(const char *token, char *key, size_t cap) {
    int n = snprintf(key, cap, TOKEN_PREFIX "%s", token);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* 1 when `token` was used within the window by this same request (a
 * replay), 0 when it is free, -1 (IdempotentParameterMismatchException)
 * when another request used it. */
static int token_check(store_txn_t *txn, arena_t *a, const char *token, const json_t *req,
                       int64_t now_ms, sw_error_t *err) {
    char key[128];
    size_t klen = token_key(token, key, sizeof key), v_len;
    const void *v;
    const unsigned char *b;
    int64_t at_ms = 0;
    json_t *old;
    sw_error_t perr;
    if (!klen || !store_get(txn, STORE_META, key, klen, &v, &v_len) || v_len < 8)
        return 0;
    b = v;
    for (int i = 0; i < 8; i++)
        at_ms = (int64_t)(((uint64_t)at_ms << 8) | b[i]);
    if (now_ms - at_ms >= TOKEN_WINDOW_MS)
        return 0;
    old = json_parse(a, (const char *)b + 8, v_len - 8, &perr);
    if (old && json_equal(old, token_request(a, req)))
        return 1;
    return sw_error_set(err, "IdempotentParameterMismatchException",
                        "The request uses the same client request token as a previous, but "
                        "non-identical request.");
}

static int token_put(store_txn_t *txn, arena_t *a, const char *token, const json_t *req,
                     int64_t now_ms, sw_error_t *err) {
    char key[128];
    size_t klen = token_key(token, key, sizeof key);
    char *text = json_to_str(a, token_request(a, req));
    size_t len = strlen(text);
    unsigned char *val = arena_alloc(a, 8 + len);
    for (int i = 0; i < 8; i++)
        val[i] = (unsigned char)((uint64_t)now_ms >> (56 - 8 * i));
    memcpy(val + 8, text, len);
    return klen ? store_put(txn, STORE_META, key, klen, val, 8 + len, err) : 0;
}

int ddb__op_transact_write_items(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                                 json_t **resp, sw_error_t *err) {
    txn_act_t *acts;
    size_t n;
    json_t *reasons;
    bool is_cancelled = false;
    char codes[SW_ERROR_MSG_MAX];
    size_t c_len = 0;
    const char *token;
    sw_clock_t clock;
    int64_t now_ms;

    if (read_actions(txn, a, req, false, &acts, &n, err) != 0)
        return -1;
    {
        /* AWS: the items of one transaction add up to 4 MB at most (a
         * Put's item, the key of the other actions). */
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            const json_t *part =
                json_obj_get(acts[i].body, acts[i].kind == ACT_PUT ? "Item" : "Key");
            if (json_is_obj(part))
                total += ddb__item_size(part);
        }
        if (total > TXN_MAX_BYTES)
            return sw_error_set(err, "ValidationException",
                                "Transaction request cannot be larger than 4 MB");
    }
    clock_init(&clock, false);
    now_ms = clock_now_ms(&clock);
    token = json_obj_get_str(req, "ClientRequestToken");
    if (token) {
        int rc = token_check(txn, a, token, req, now_ms, err);
        if (rc < 0)
            return -1;
        if (rc == 1) {   /* the same request again: done already */
            *resp = json_new_obj(a);
            return 0;
        }
    }
    reasons = json_new_arr(a);
    for (size_t i = 0; i < n; i++) {
        txn_act_t *x = &acts[i];
        json_t *r_out = NULL, *reason = json_new_obj(a);
        sw_error_t e = {0};
        int rc;
        const char *code = "None";

        switch (x->kind) {
        case ACT_PUT:
            rc = ddb__op_put_item(db, txn, x->body, a, &r_out, &e);
            break;
        case ACT_UPDATE:
            rc = ddb__op_update_item(db, txn, x->body, a, &r_out, &e);
            break;
        case ACT_DELETE:
            rc = ddb__op_delete_item(db, txn, x->body, a, &r_out, &e);
            break;
        default:
            rc = condition_check(txn, a, x, &r_out, &e);
            break;
        }
        if (rc != 0) {
            if (e.type && !strcmp(e.type, "ConditionalCheckFailedException")) {
                code = "ConditionalCheckFailed";
                json_obj_set(a, reason, "Code", json_new_strz(a, code));
                json_obj_set(a, reason, "Message", json_new_strz(a, e.msg));
                if (json_obj_get(r_out, "Item"))
                    json_obj_set(a, reason, "Item", json_obj_get(r_out, "Item"));
            } else if (is_runtime_error(&e)) {
                code = "ValidationError";
                json_obj_set(a, reason, "Code", json_new_strz(a, code));
                json_obj_set(a, reason, "Message", json_new_strz(a, e.msg));
            } else {
                *err = e;
                return -1;
            }
            is_cancelled = true;
        } else {
            json_obj_set(a, reason, "Code", json_new_strz(a, code));
        }
        json_arr_push(a, reasons, reason);
        c_len += (size_t)snprintf(codes + c_len, c_len < sizeof codes ? sizeof codes - c_len : 0,
                                  "%s%s", i ? ", " : "", code);
        if (c_len >= sizeof codes)
            c_len = sizeof codes - 1;
    }
    if (is_cancelled) {
        json_t *extra = json_new_obj(a);
        json_obj_set(a, extra, "CancellationReasons", reasons);
        *resp = extra;
        return sw_error_set(err, "TransactionCanceledException",
                            "Transaction cancelled, please refer cancellation reasons for "
                            "specific reasons [%s]", codes);
    }
    if (token && token_put(txn, a, token, req, now_ms, err) != 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;
}

int ddb__op_transact_get_items(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                               json_t **resp, sw_error_t *err) {
    txn_act_t *acts;
    size_t n;
    json_t *out, *responses;

    if (read_actions(txn, a, req, true, &acts, &n, err) != 0)
        return -1;
    responses = json_new_arr(a);
    for (size_t i = 0; i < n; i++) {
        json_t *r_out = NULL, *one = json_new_obj(a);
        if (ddb__op_get_item(db, txn, acts[i].body, a, &r_out, err) != 0)
            return -1;
        if (json_obj_get(r_out, "Item"))
            json_obj_set(a, one, "Item", json_obj_get(r_out, "Item"));
        json_arr_push(a, responses, one);
    }
    out = json_new_obj(a);
    json_obj_set(a, out, "Responses", responses);
    *resp = out;
    return 0;
}
