/* item.c - PutItem, GetItem, UpdateItem, DeleteItem.
 *
 * Each request is checked in DynamoDB's order: JSON shapes
 * (SerializationException), parameter constraints (one ValidationException
 * listing them), request semantics and expressions, then the table
 * (ResourceNotFoundException), then the key. Items are stored as canonical
 * DynamoDB JSON text (ddb__item_canon); expressions come from ddb/expr. A
 * handler runs inside the transaction ddb_call gives it and writes only
 * after every check passed. */
#include <string.h>

#include "ddb/ddb_int.h"
#include "ddb/expr.h"

#define ITEM_TOO_BIG "Item size has exceeded the maximum allowed size"

/* What the four operations share. */
typedef struct item_req {
    const char *table_name;
    const json_t *names;        /* ExpressionAttributeNames */
    const json_t *values;       /* ExpressionAttributeValues */
    const char *cond_text;      /* ConditionExpression */
    const char *return_values;  /* NULL = NONE */
    bool is_rvoccf_all_old;     /* ReturnValuesOnConditionCheckFailure */
    const char *rcc;            /* ReturnConsumedCapacity */
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *cond;
    ddb_table_t t;
} item_req_t;

static const char *const rv_all[] = {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW",
                                     NULL};
static const char *const rcc_all[] = {"INDEXES", "TOTAL", "NONE", NULL};
static const char *const ricm_all[] = {"SIZE", "NONE", NULL};
static const char *const rvoccf_all[] = {"ALL_OLD", "NONE", NULL};

static bool in_set(const char *s, const char *const *set) {
    for (size_t i = 0; set[i]; i++)
        if (!strcmp(s, set[i]))
            return true;
    return false;
}

static void enum_param(ddb_verr_t *v, const char *val, const char *param,
                       const char *const *set) {
    char txt[160] = "";
    size_t n = 0;
    if (!val || in_set(val, set))
        return;
    for (size_t i = 0; set[i]; i++)
        n += (size_t)snprintf(txt + n, sizeof txt - n, "%s%s", i ? ", " : "", set[i]);
    ddb__verr_add(v, "Value '%.200s' at '%s' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [%s]", val, param, txt);
}

/* Reads the shared members and adds their constraint errors to `verr`. */
static int read_common(const json_t *req, item_req_t *r, ddb_verr_t *verr, sw_error_t *err) {
    const char *rvoccf, *icm;

    memset(r, 0, sizeof *r);
    if (ddb__req_str(req, "TableName", &r->table_name, err) != 0 ||
        ddb__req_obj(req, "ExpressionAttributeNames", &r->names, err) != 0 ||
        ddb__req_obj(req, "ExpressionAttributeValues", &r->values, err) != 0 ||
        ddb__req_str(req, "ConditionExpression", &r->cond_text, err) != 0 ||
        ddb__req_str(req, "ReturnValues", &r->return_values, err) != 0 ||
        ddb__req_str(req, "ReturnValuesOnConditionCheckFailure", &rvoccf, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &r->rcc, err) != 0 ||
        ddb__req_str(req, "ReturnItemCollectionMetrics", &icm, err) != 0)
        return -1;
    ddb__verr_table_name(verr, "tableName", r->table_name);
    enum_param(verr, r->rcc, "returnConsumedCapacity", rcc_all);
    enum_param(verr, icm, "returnItemCollectionMetrics", ricm_all);
    enum_param(verr, r->return_values, "returnValues", rv_all);
    enum_param(verr, rvoccf, "returnValuesOnConditionCheckFailure", rvoccf_all);
    r->is_rvoccf_all_old = rvoccf && !strcmp(rvoccf, "ALL_OLD");
    if (r->return_values && !strcmp(r->return_values, "NONE"))
        r->return_values = NULL;
    return 0;
}

/* Legacy (non-expression) parameters next to their expression forms. */
static int legacy_check(const json_t *req, const char *legacy, const char *expr_name,
                        bool has_expr, sw_error_t *err) {
    const json_t *v = json_obj_get(req, legacy);
    if (!v || json_is_null(v))
        return 0;
    if (has_expr)
        return sw_error_set(err, "ValidationException",
                            "Can not use both expression and non-expression parameters in the "
                            "same request: Non-expression parameters: {%s} Expression "
                            "parameters: {%s}", legacy, expr_name);
    return sw_error_set(err, "ValidationException",
                        "%s is not supported by this server; use %s", legacy, expr_name);
}

/* The expression context and the condition, once the request is valid. */
static int parse_cond(arena_t *a, item_req_t *r, sw_error_t *err) {
    if (ddb_expr_ctx_new(a, r->names, r->values, &r->ctx, err) != 0)
        return -1;
    if (r->cond_text &&
        ddb_expr_parse_cond(r->ctx, DDB_EXPR_CONDITION, r->cond_text, strlen(r->cond_text),
                            &r->cond, err) != 0)
        return -1;
    return 0;
}

/* Loads the item stored under `key` (NULL when absent), parsed into `a`. */
static int load_item(store_txn_t *txn, arena_t *a, const uint8_t *key, size_t key_len,
                     json_t **out, size_t *size, sw_error_t *err) {
    const char *text;
    size_t len;
    *out = NULL;
    *size = 0;
    if (!ddb__items_get(txn, key, key_len, &text, &len))
        return 0;
    *out = json_parse(a, text, len, err);
    if (!*out)
        return sw_error_set(err, "InternalServerError", "corrupt item in store");
    *size = ddb__item_size(*out);
    return 0;
}

/* ConditionalCheckFailedException, with the old item when asked for. */
static int check_cond(const item_req_t *r, arena_t *a, const json_t *old, json_t **resp,
                      sw_error_t *err) {
    bool ok;
    if (!r->cond)
        return 0;
    if (ddb_cond_eval(r->cond, a, old, &ok, err) != 0)
        return -1;
    if (ok)
        return 0;
    if (r->is_rvoccf_all_old && old) {
        json_t *extra = json_new_obj(a);
        json_obj_set(a, extra, "Item", (json_t *)old);
        *resp = extra;
    }
    return sw_error_set(err, "ConditionalCheckFailedException", "The conditional request failed");
}

/* Writes `item` (canonical) under `key`; adjusts the table's counters. */
static int store_item(store_txn_t *txn, arena_t *a, const item_req_t *r, const uint8_t *key,
                      size_t key_len, const json_t *item, size_t new_size, bool had_old,
                      size_t old_size, sw_error_t *err) {
    const char *text = json_to_str(a, item);
    if (ddb__items_put(txn, key, key_len, text, strlen(text), err) != 0)
        return -1;
    return ddb__table_count_add(txn, r->t.id, had_old ? 0 : 1,
                                (int64_t)new_size - (int64_t)old_size, err);
}

static json_t *capacity_units(arena_t *a, double units) {
    char txt[32];
    snprintf(txt, sizeof txt, "%.1f", units);
    return json_new_num_text(a, txt, strlen(txt));
}

/* ConsumedCapacity as DynamoDB reports it for ReturnConsumedCapacity. */
static void add_capacity(arena_t *a, json_t *resp, const item_req_t *r, double units) {
    json_t *cc;
    if (!r->rcc || !strcmp(r->rcc, "NONE"))
        return;
    cc = json_new_obj(a);
    json_obj_set(a, cc, "TableName", json_new_strz(a, r->t.name));
    json_obj_set(a, cc, "CapacityUnits", capacity_units(a, units));
    if (!strcmp(r->rcc, "INDEXES")) {
        json_t *tc = json_new_obj(a);
        json_obj_set(a, tc, "CapacityUnits", capacity_units(a, units));
        json_obj_set(a, cc, "Table", tc);
    }
    json_obj_set(a, resp, "ConsumedCapacity", cc);
}

static double write_units(size_t bytes) {
    size_t u = (bytes + 1023) / 1024;
    return u ? (double)u : 1.0;
}

static double read_units(size_t bytes, bool is_consistent) {
    size_t u = (bytes + 4095) / 4096;
    double d = u ? (double)u : 1.0;
    return is_consistent ? d : d / 2;
}

/* ---------------------------------------------------------------- PutItem */

int ddb__op_put_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                     json_t **resp, sw_error_t *err) {
    item_req_t r;
    ddb_verr_t verr = {0};
    const json_t *item_in;
    json_t *item, *old, *out;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, size, old_size;
    (void)db;

    if (read_common(req, &r, &verr, err) != 0 || ddb__req_obj(req, "Item", &item_in, err) != 0)
        return -1;
    if (!item_in)
        ddb__verr_add(&verr, "Value null at 'item' failed to satisfy constraint: Member must not "
                             "be null");
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (legacy_check(req, "Expected", "ConditionExpression", r.cond_text != NULL, err) != 0 ||
        legacy_check(req, "ConditionalOperator", "ConditionExpression", r.cond_text != NULL,
                     err) != 0)
        return -1;
    if (r.values && !r.cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeValues can only be specified when using "
                            "expressions: ConditionExpression is null");
    if (r.names && !r.cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeNames can only be specified when using expressions");
    item = ddb__item_canon(a, item_in, err);
    if (!item)
        return -1;
    if (r.return_values && strcmp(r.return_values, "ALL_OLD") != 0)
        return sw_error_set(err, "ValidationException", "ReturnValues can only be ALL_OLD or NONE");
    size = ddb__item_size(item);
    if (size > DDB_ITEM_MAX_BYTES)
        return sw_error_set(err, "ValidationException", ITEM_TOO_BIG);
    if (parse_cond(a, &r, err) != 0 || ddb_expr_ctx_check_unused(r.ctx, err) != 0)
        return -1;
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0)
        return -1;
    if (ddb__key_encode(&r.t, item, false, key, &key_len, err) != 0)
        return -1;
    if (load_item(txn, a, key, key_len, &old, &old_size, err) != 0 ||
        check_cond(&r, a, old, resp, err) != 0)
        return -1;
    if (store_item(txn, a, &r, key, key_len, item, size, old != NULL, old_size, err) != 0)
        return -1;

    out = json_new_obj(a);
    if (r.return_values && old)
        json_obj_set(a, out, "Attributes", old);
    add_capacity(a, out, &r, write_units(size > old_size ? size : old_size));
    *resp = out;
    return 0;
}

/* ---------------------------------------------------------------- GetItem */

int ddb__op_get_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                     json_t **resp, sw_error_t *err) {
    item_req_t r;
    ddb_verr_t verr = {0};
    const json_t *key_in, *atg;
    const char *proj_text;
    bool is_consistent;
    json_t *key_canon, *item, *out;
    ddb_proj_t *proj = NULL;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, size;
    (void)db;

    memset(&r, 0, sizeof r);
    if (ddb__req_str(req, "TableName", &r.table_name, err) != 0 ||
        ddb__req_obj(req, "Key", &key_in, err) != 0 ||
        ddb__req_arr(req, "AttributesToGet", &atg, err) != 0 ||
        ddb__req_bool(req, "ConsistentRead", &is_consistent, err) != 0 ||
        ddb__req_str(req, "ProjectionExpression", &proj_text, err) != 0 ||
        ddb__req_obj(req, "ExpressionAttributeNames", &r.names, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &r.rcc, err) != 0)
        return -1;
    for (size_t i = 0; atg && i < atg->len; i++)
        if (!json_is_str(atg->u.items[i]))
            return ddb__ser_error(atg->u.items[i], "an String", err);
    ddb__verr_table_name(&verr, "tableName", r.table_name);
    if (!key_in)
        ddb__verr_add(&verr, "Value null at 'key' failed to satisfy constraint: Member must not "
                             "be null");
    enum_param(&verr, r.rcc, "returnConsumedCapacity", rcc_all);
    if (atg && atg->len == 0)
        ddb__verr_add(&verr, "Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                             "Member must have length greater than or equal to 1");
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (atg && proj_text)
        return sw_error_set(err, "ValidationException",
                            "Can not use both expression and non-expression parameters in the "
                            "same request: Non-expression parameters: {AttributesToGet} "
                            "Expression parameters: {ProjectionExpression}");
    if (r.names && !proj_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeNames can only be specified when using expressions");
    key_canon = ddb__item_canon(a, key_in, err);
    if (!key_canon)
        return -1;
    for (size_t i = 0; atg && i < atg->len; i++)
        for (size_t j = i + 1; j < atg->len; j++)
            if (!strcmp(atg->u.items[i]->u.str, atg->u.items[j]->u.str))
                return sw_error_set(err, "ValidationException",
                                    "One or more parameter values were invalid: Duplicate value "
                                    "in attribute name: %s", atg->u.items[i]->u.str);
    if (proj_text) {
        if (ddb_expr_ctx_new(a, r.names, NULL, &r.ctx, err) != 0 ||
            ddb_expr_parse_proj(r.ctx, proj_text, strlen(proj_text), &proj, err) != 0 ||
            ddb_expr_ctx_check_unused(r.ctx, err) != 0)
            return -1;
    }
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0 ||
        ddb__key_encode(&r.t, key_canon, true, key, &key_len, err) != 0)
        return -1;
    if (load_item(txn, a, key, key_len, &item, &size, err) != 0)
        return -1;

    out = json_new_obj(a);
    if (item) {
        if (proj) {
            item = ddb_proj_apply(proj, a, item);
        } else if (atg) {
            json_t *p = json_new_obj(a);
            for (size_t i = 0; i < atg->len; i++) {
                json_t *v = json_obj_getn(item, atg->u.items[i]->u.str, atg->u.items[i]->len);
                if (v)
                    json_obj_setn(a, p, atg->u.items[i]->u.str, atg->u.items[i]->len, v);
            }
            item = p;
        }
        json_obj_set(a, out, "Item", item);
    }
    add_capacity(a, out, &r, read_units(size, is_consistent));
    *resp = out;
    return 0;
}

/* ------------------------------------------------------------- DeleteItem */

int ddb__op_delete_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                        json_t **resp, sw_error_t *err) {
    item_req_t r;
    ddb_verr_t verr = {0};
    const json_t *key_in;
    json_t *key_canon, *old, *out;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, old_size;
    (void)db;

    if (read_common(req, &r, &verr, err) != 0 || ddb__req_obj(req, "Key", &key_in, err) != 0)
        return -1;
    if (!key_in)
        ddb__verr_add(&verr, "Value null at 'key' failed to satisfy constraint: Member must not "
                             "be null");
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (legacy_check(req, "Expected", "ConditionExpression", r.cond_text != NULL, err) != 0 ||
        legacy_check(req, "ConditionalOperator", "ConditionExpression", r.cond_text != NULL,
                     err) != 0)
        return -1;
    if (r.values && !r.cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeValues can only be specified when using "
                            "expressions: ConditionExpression is null");
    if (r.names && !r.cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeNames can only be specified when using expressions");
    key_canon = ddb__item_canon(a, key_in, err);
    if (!key_canon)
        return -1;
    if (r.return_values && strcmp(r.return_values, "ALL_OLD") != 0)
        return sw_error_set(err, "ValidationException", "ReturnValues can only be ALL_OLD or NONE");
    if (parse_cond(a, &r, err) != 0 || ddb_expr_ctx_check_unused(r.ctx, err) != 0)
        return -1;
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0 ||
        ddb__key_encode(&r.t, key_canon, true, key, &key_len, err) != 0)
        return -1;
    if (load_item(txn, a, key, key_len, &old, &old_size, err) != 0 ||
        check_cond(&r, a, old, resp, err) != 0)
        return -1;
    if (old) {
        if (ddb__items_del(txn, key, key_len, err) != 0 ||
            ddb__table_count_add(txn, r.t.id, -1, -(int64_t)old_size, err) != 0)
            return -1;
    }
    out = json_new_obj(a);
    if (r.return_values && old)
        json_obj_set(a, out, "Attributes", old);
    add_capacity(a, out, &r, write_units(old_size));
    *resp = out;
    return 0;
}

/* ------------------------------------------------------------- UpdateItem */

int ddb__op_update_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                        json_t **resp, sw_error_t *err) {
    item_req_t r;
    ddb_verr_t verr = {0};
    const json_t *key_in;
    const char *upd_text;
    ddb_update_t *upd = NULL;
    json_t *key_canon, *old, *item, *out, *attrs = NULL;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, old_size, size;
    (void)db;

    if (read_common(req, &r, &verr, err) != 0 || ddb__req_obj(req, "Key", &key_in, err) != 0 ||
        ddb__req_str(req, "UpdateExpression", &upd_text, err) != 0)
        return -1;
    if (!key_in)
        ddb__verr_add(&verr, "Value null at 'key' failed to satisfy constraint: Member must not "
                             "be null");
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    {
        bool has_expr = r.cond_text || upd_text;
        if (legacy_check(req, "Expected", upd_text && !r.cond_text ? "UpdateExpression"
                                                                   : "ConditionExpression",
                         has_expr, err) != 0 ||
            legacy_check(req, "ConditionalOperator", "ConditionExpression", has_expr, err) != 0 ||
            legacy_check(req, "AttributeUpdates", upd_text ? "UpdateExpression"
                                                           : "ConditionExpression",
                         has_expr, err) != 0)
            return -1;
        if (r.values && !has_expr)
            return sw_error_set(err, "ValidationException",
                                "ExpressionAttributeValues can only be specified when using "
                                "expressions: UpdateExpression and ConditionExpression are null");
        if (r.names && !has_expr)
            return sw_error_set(err, "ValidationException",
                                "ExpressionAttributeNames can only be specified when using "
                                "expressions");
    }
    key_canon = ddb__item_canon(a, key_in, err);
    if (!key_canon)
        return -1;
    if (parse_cond(a, &r, err) != 0)
        return -1;
    if (upd_text &&
        ddb_expr_parse_update(r.ctx, upd_text, strlen(upd_text), &upd, err) != 0)
        return -1;
    if (ddb_expr_ctx_check_unused(r.ctx, err) != 0)
        return -1;
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0 ||
        ddb__key_encode(&r.t, key_canon, true, key, &key_len, err) != 0)
        return -1;
    for (size_t i = 0; upd && i < ddb_update_n_attrs(upd); i++) {
        size_t n_len;
        const char *n = ddb_update_attr(upd, i, &n_len);
        const char *key_names[2] = {r.t.hash_name, r.t.range_name};
        for (int k = 0; k < 2; k++)
            if (key_names[k] && strlen(key_names[k]) == n_len && !memcmp(key_names[k], n, n_len))
                return sw_error_set(err, "ValidationException",
                                    "One or more parameter values were invalid: Cannot update "
                                    "attribute %s. This attribute is part of the key",
                                    key_names[k]);
    }
    if (load_item(txn, a, key, key_len, &old, &old_size, err) != 0 ||
        check_cond(&r, a, old, resp, err) != 0)
        return -1;

    /* A missing item is created: the update starts from its key. */
    item = old ? old : key_canon;
    if (upd && ddb_update_apply(upd, a, item, &item, err) != 0)
        return -1;
    size = ddb__item_size(item);
    if (size > DDB_ITEM_MAX_BYTES)
        return sw_error_set(err, "ValidationException",
                            "Item size to update has exceeded the maximum allowed size");
    if (store_item(txn, a, &r, key, key_len, item, size, old != NULL, old_size, err) != 0)
        return -1;

    out = json_new_obj(a);
    if (r.return_values) {
        if (!strcmp(r.return_values, "ALL_OLD"))
            attrs = old;
        else if (!strcmp(r.return_values, "ALL_NEW"))
            attrs = item;
        else if (!strcmp(r.return_values, "UPDATED_OLD"))
            attrs = old && upd ? ddb_update_changed(upd, a, old) : NULL;
        else if (!strcmp(r.return_values, "UPDATED_NEW"))
            attrs = upd ? ddb_update_changed(upd, a, item) : NULL;
        if (attrs && attrs->len > 0)
            json_obj_set(a, out, "Attributes", attrs);
    }
    add_capacity(a, out, &r, write_units(size > old_size ? size : old_size));
    *resp = out;
    return 0;
}
