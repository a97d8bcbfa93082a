/* batch.c - BatchGetItem and BatchWriteItem.
 *
 * A batch is checked whole first (shapes, limits, tables, keys, duplicate
 * keys), then each request runs the single-item handler (GetItem, PutItem,
 * DeleteItem in item.c) inside the one store transaction ddb_call gives the
 * batch, so nothing is ever left unprocessed: UnprocessedKeys and
 * UnprocessedItems are always empty. A failure aborts the whole batch
 * (DynamoDB validates the batch before any write, so a client sees the same
 * error). */
#include <stdio.h>
#include <string.h>

#include "ddb/ddb_int.h"

#define BATCH_GET_MAX 100
#define BATCH_GET_MAX_BYTES ((size_t)16 * 1024 * 1024)   /* of items answered */
#define BATCH_WRITE_MAX 25
#define BATCH_DUPLICATES "Provided list of item keys contains duplicates"

static const char *const rcc_all[] = {"INDEXES", "TOTAL", "NONE", NULL};

static void enum_check(ddb_verr_t *v, const char *val, const char *param,
                       const char *const *set) {
    char txt[160] = "";
    size_t n = 0;
    if (!val)
        return;
    for (size_t i = 0; set[i]; i++)
        if (!strcmp(val, set[i]))
            return;
    for (size_t i = 0; set[i]; i++)
        n += (size_t)snprintf(txt + n, sizeof txt - n, "%s%s", i ? ", " : "", set[i]);
    ddb__verr_add(v, "Value '%.200s' at '%s' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [%s]", val, param, txt);
}

/* Full keys seen so far in one table's list, for duplicate detection. */
typedef struct seen_keys {
    uint8_t **key;
    size_t *len;
    size_t n;
} seen_keys_t;

/* Encodes the key of `obj` (an item when !is_key_only) for `t` and rejects
 * it when already seen. */
static int key_once(arena_t *a, const ddb_table_t *t, const json_t *obj, bool is_key_only,
                    seen_keys_t *seen, sw_error_t *err) {
    json_t *canon = ddb__item_canon(a, obj, err);
    uint8_t *key = arena_alloc(a, DDB_KEY_FULL_MAX);
    size_t len;
    if (!canon || ddb__key_encode(t, canon, is_key_only, key, &len, err) != 0)
        return -1;
    for (size_t i = 0; i < seen->n; i++)
        if (seen->len[i] == len && !memcmp(seen->key[i], key, len))
            return sw_error_set(err, "ValidationException", BATCH_DUPLICATES);
    seen->key[seen->n] = key;
    seen->len[seen->n++] = len;
    return 0;
}

static void seen_init(arena_t *a, seen_keys_t *s, size_t cap) {
    s->key = arena_alloc(a, (cap + 1) * sizeof *s->key);
    s->len = arena_alloc(a, (cap + 1) * sizeof *s->len);
    s->n = 0;
}

/* Adds a handler's ConsumedCapacity to the per-table totals in `cc` (an
 * array of ConsumedCapacity objects, one per table). */
static void capacity_add(arena_t *a, json_t *cc, const json_t *one, bool is_indexes) {
    const json_t *cu;
    const char *name;
    double units;
    char txt[32];
    if (!one)
        return;
    name = json_obj_get_str(one, "TableName");
    cu = json_obj_get(one, "CapacityUnits");
    if (!name || !json_is_num(cu))
        return;
    units = json_num_double(cu);
    for (size_t i = 0; i < cc->len; i++) {
        json_t *e = cc->u.items[i];
        if (!strcmp(json_obj_get_str(e, "TableName"), name)) {
            units += json_num_double(json_obj_get(e, "CapacityUnits"));
            snprintf(txt, sizeof txt, "%.1f", units);
            json_obj_set(a, e, "CapacityUnits", json_new_num_text(a, txt, strlen(txt)));
            if (is_indexes) {
                json_t *tc = json_new_obj(a);
                json_obj_set(a, tc, "CapacityUnits", json_new_num_text(a, txt, strlen(txt)));
                json_obj_set(a, e, "Table", tc);
            }
            return;
        }
    }
    json_arr_push(a, cc, json_clone(a, one));
}

/* ------------------------------------------------------------ BatchGetItem */

int ddb__op_batch_get_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                           json_t **resp, sw_error_t *err) {
    const json_t *ri;
    const char *rcc;
    ddb_verr_t verr = {0};
    size_t total = 0, n_bytes = 0;
    json_t *responses, *out, *cc, *unprocessed;
    bool has_cc, is_full = false;

    if (ddb__req_obj(req, "RequestItems", &ri, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &rcc, err) != 0)
        return -1;
    for (size_t i = 0; ri && i < ri->len; i++) {
        const json_t *ka = ri->u.members[i].val, *keys;
        if (!json_is_obj(ka))
            return ddb__ser_error(ka, "Structure", err);
        if (ddb__req_arr(ka, "Keys", &keys, err) != 0)
            return -1;
        for (size_t k = 0; keys && k < keys->len; k++)
            if (!json_is_obj(keys->u.items[k]))
                return ddb__ser_error(keys->u.items[k], "Map", err);
    }
    if (!ri)
        ddb__verr_add(&verr, "Value null at 'requestItems' failed to satisfy constraint: Member "
                             "must not be null");
    else if (ri->len == 0)
        ddb__verr_add(&verr, "Value '{}' at 'requestItems' failed to satisfy constraint: Member "
                             "must have length greater than or equal to 1");
    for (size_t i = 0; ri && i < ri->len; i++) {
        const char *name = ri->u.members[i].key;
        const json_t *keys = json_obj_get(ri->u.members[i].val, "Keys");
        if (!json_is_arr(keys))
            ddb__verr_add(&verr, "Value null at 'requestItems.%.255s.member.keys' failed to "
                                 "satisfy constraint: Member must not be null", name);
        else if (keys->len == 0)
            ddb__verr_add(&verr, "Value '[]' at 'requestItems.%.255s.member.keys' failed to "
                                 "satisfy constraint: Member must have length greater than or "
                                 "equal to 1", name);
        else if (keys->len > BATCH_GET_MAX)
            ddb__verr_add(&verr, "Value '[%zu keys]' at 'requestItems.%.255s.member.keys' failed "
                                 "to satisfy constraint: Member must have length less than or "
                                 "equal to 100", keys->len, name);
        else
            total += keys->len;
    }
    enum_check(&verr, rcc, "returnConsumedCapacity", rcc_all);
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (total > BATCH_GET_MAX)
        return sw_error_set(err, "ValidationException",
                            "Too many items requested for the BatchGetItem call");

    /* Tables, keys and duplicates, before reading anything. */
    for (size_t i = 0; i < ri->len; i++) {
        ddb_table_t t;
        seen_keys_t seen;
        const json_t *keys = json_obj_get(ri->u.members[i].val, "Keys");
        if (ddb__table_load(txn, a, ri->u.members[i].key, &t, err) != 0)
            return -1;
        seen_init(a, &seen, keys->len);
        for (size_t k = 0; k < keys->len; k++)
            if (key_once(a, &t, keys->u.items[k], true, &seen, err) != 0)
                return -1;
    }

    has_cc = rcc && strcmp(rcc, "NONE") != 0;
    responses = json_new_obj(a);
    unprocessed = json_new_obj(a);
    cc = json_new_arr(a);
    for (size_t i = 0; i < ri->len; i++) {
        const json_member_t *m = &ri->u.members[i];
        const json_t *keys = json_obj_get(m->val, "Keys");
        json_t *list = json_new_arr(a), *left = NULL;
        static const char *const pass[] = {"ConsistentRead", "ProjectionExpression",
                                           "ExpressionAttributeNames", "AttributesToGet", NULL};
        for (size_t k = 0; k < keys->len; k++) {
            json_t *one = json_new_obj(a), *r_out = NULL, *item;
            if (is_full) {
                /* AWS answers at most 16 MB and hands the rest back. */
                if (!left) {
                    json_t *rest = json_new_obj(a);
                    left = json_new_arr(a);
                    for (size_t f = 0; f < m->val->len; f++)
                        if (strcmp(m->val->u.members[f].key, "Keys") != 0)
                            json_obj_setn(a, rest, m->val->u.members[f].key,
                                          m->val->u.members[f].key_len,
                                          m->val->u.members[f].val);
                    json_obj_set(a, rest, "Keys", left);
                    json_obj_setn(a, unprocessed, m->key, m->key_len, rest);
                }
                json_arr_push(a, left, keys->u.items[k]);
                continue;
            }
            json_obj_set(a, one, "TableName", json_new_str(a, m->key, m->key_len));
            json_obj_set(a, one, "Key", keys->u.items[k]);
            for (size_t p = 0; pass[p]; p++)
                if (json_obj_get(m->val, pass[p]))
                    json_obj_set(a, one, pass[p], json_obj_get(m->val, pass[p]));
            if (has_cc)
                json_obj_set(a, one, "ReturnConsumedCapacity", json_new_strz(a, rcc));
            if (ddb__op_get_item(db, txn, one, a, &r_out, err) != 0)
                return -1;
            item = json_obj_get(r_out, "Item");
            if (item && n_bytes + ddb__item_size(item) > BATCH_GET_MAX_BYTES) {
                is_full = true;
                k--;   /* this key goes back unprocessed too */
                continue;
            }
            if (item) {
                json_arr_push(a, list, item);
                n_bytes += ddb__item_size(item);
            }
            capacity_add(a, cc, json_obj_get(r_out, "ConsumedCapacity"),
                         !strcmp(has_cc ? rcc : "", "INDEXES"));
        }
        json_obj_setn(a, responses, m->key, m->key_len, list);
    }
    out = json_new_obj(a);
    json_obj_set(a, out, "Responses", responses);
    json_obj_set(a, out, "UnprocessedKeys", unprocessed);
    if (has_cc)
        json_obj_set(a, out, "ConsumedCapacity", cc);
    *resp = out;
    return 0;
}

/* ---------------------------------------------------------- BatchWriteItem */

int ddb__op_batch_write_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                             json_t **resp, sw_error_t *err) {
    const json_t *ri;
    const char *rcc, *icm;
    ddb_verr_t verr = {0};
    size_t total = 0;
    json_t *out, *cc;
    bool has_cc;

    if (ddb__req_obj(req, "RequestItems", &ri, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &rcc, err) != 0 ||
        ddb__req_str(req, "ReturnItemCollectionMetrics", &icm, err) != 0)
        return -1;
    for (size_t i = 0; ri && i < ri->len; i++) {
        const json_t *list = ri->u.members[i].val;
        if (!json_is_arr(list))
            return ddb__ser_error(list, "List", err);
        for (size_t k = 0; k < list->len; k++) {
            const json_t *wr = list->u.items[k], *pr, *dr, *x;
            if (!json_is_obj(wr))
                return ddb__ser_error(wr, "Structure", err);
            if (ddb__req_obj(wr, "PutRequest", &pr, err) != 0 ||
                ddb__req_obj(wr, "DeleteRequest", &dr, err) != 0)
                return -1;
            if ((pr && ddb__req_obj(pr, "Item", &x, err) != 0) ||
                (dr && ddb__req_obj(dr, "Key", &x, err) != 0))
                return -1;
        }
    }
    if (!ri)
        ddb__verr_add(&verr, "Value null at 'requestItems' failed to satisfy constraint: Member "
                             "must not be null");
    else if (ri->len == 0)
        ddb__verr_add(&verr, "Value '{}' at 'requestItems' failed to satisfy constraint: Member "
                             "must have length greater than or equal to 1");
    for (size_t i = 0; ri && i < ri->len; i++) {
        const json_t *list = ri->u.members[i].val;
        if (list->len == 0 || list->len > BATCH_WRITE_MAX)
            ddb__verr_add(&verr, "Value at 'requestItems' failed to satisfy constraint: Map value "
                                 "must satisfy constraint: [Member must have length less than "
                                 "or equal to 25, Member must have length greater than or equal "
                                 "to 1]");
        total += list->len;
    }
    enum_check(&verr, rcc, "returnConsumedCapacity", rcc_all);
    enum_check(&verr, icm, "returnItemCollectionMetrics", (const char *const[]){"SIZE", "NONE",
                                                                                NULL});
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (total > BATCH_WRITE_MAX)
        return sw_error_set(err, "ValidationException",
                            "Too many items requested for the BatchWriteItem call");
    for (size_t i = 0; i < ri->len; i++) {
        const json_t *list = ri->u.members[i].val;
        for (size_t k = 0; k < list->len; k++) {
            const json_t *wr = list->u.items[k];
            const json_t *pr = json_obj_get(wr, "PutRequest"), *dr = json_obj_get(wr, "DeleteRequest");
            bool has_pr = pr && !json_is_null(pr), has_dr = dr && !json_is_null(dr);
            if (has_pr == has_dr)
                return sw_error_set(err, "ValidationException",
                                    "Supplied AttributeValue has more than one datatypes set, "
                                    "must contain exactly one of the supported datatypes");
            if (has_pr && !json_is_obj(json_obj_get(pr, "Item")))
                return sw_error_set(err, "ValidationException",
                                    "1 validation error detected: Value null at "
                                    "'requestItems.%.255s.member.putRequest.item' failed to "
                                    "satisfy constraint: Member must not be null",
                                    ri->u.members[i].key);
            if (has_dr && !json_is_obj(json_obj_get(dr, "Key")))
                return sw_error_set(err, "ValidationException",
                                    "1 validation error detected: Value null at "
                                    "'requestItems.%.255s.member.deleteRequest.key' failed to "
                                    "satisfy constraint: Member must not be null",
                                    ri->u.members[i].key);
        }
    }

    /* Tables, items, keys and duplicates, before writing anything. */
    for (size_t i = 0; i < ri->len; i++) {
        ddb_table_t t;
        seen_keys_t seen;
        const json_t *list = ri->u.members[i].val;
        if (ddb__table_load(txn, a, ri->u.members[i].key, &t, err) != 0)
            return -1;
        seen_init(a, &seen, list->len);
        for (size_t k = 0; k < list->len; k++) {
            const json_t *pr = json_obj_get(list->u.items[k], "PutRequest");
            bool is_put = pr && !json_is_null(pr);
            const json_t *obj = is_put ? json_obj_get(pr, "Item")
                                       : json_obj_get(json_obj_get(list->u.items[k],
                                                                   "DeleteRequest"), "Key");
            if (key_once(a, &t, obj, !is_put, &seen, err) != 0)
                return -1;
        }
    }

    has_cc = rcc && strcmp(rcc, "NONE") != 0;
    cc = json_new_arr(a);
    for (size_t i = 0; i < ri->len; i++) {
        const json_member_t *m = &ri->u.members[i];
        for (size_t k = 0; k < m->val->len; k++) {
            const json_t *pr = json_obj_get(m->val->u.items[k], "PutRequest");
            bool is_put = pr && !json_is_null(pr);
            json_t *one = json_new_obj(a), *r_out = NULL;
            int rc;
            json_obj_set(a, one, "TableName", json_new_str(a, m->key, m->key_len));
            if (has_cc)
                json_obj_set(a, one, "ReturnConsumedCapacity", json_new_strz(a, rcc));
            if (is_put) {
                json_obj_set(a, one, "Item", json_obj_get(pr, "Item"));
                rc = ddb__op_put_item(db, txn, one, a, &r_out, err);
            } else {
                json_obj_set(a, one, "Key",
                             json_obj_get(json_obj_get(m->val->u.items[k], "DeleteRequest"), "Key"));
                rc = ddb__op_delete_item(db, txn, one, a, &r_out, err);
            }
            if (rc != 0)
                return -1;
            capacity_add(a, cc, json_obj_get(r_out, "ConsumedCapacity"),
                         has_cc && !strcmp(rcc, "INDEXES"));
        }
    }
    out = json_new_obj(a);
    json_obj_set(a, out, "UnprocessedItems", json_new_obj(a));
    if (has_cc)
        json_obj_set(a, out, "ConsumedCapacity", cc);
    *resp = out;
    return 0;
}
