/* query.c - Query and Scan: range reads over the `items` sub-db.
 *
 * A Query is a range scan inside one partition prefix (tid . idx . H) with
 * bounds built from the key condition's sort-key bytes; a Scan walks the
 * table's hash order, one hash range per Segment. Both count items as
 * DynamoDB does: Limit and the 1 MB page bound what is *evaluated* (before
 * the filter), ScannedCount counts evaluated items, Count the ones that
 * passed, and LastEvaluatedKey names the last evaluated item whenever the
 * read stopped early (even if nothing is left, as AWS does). Items of other
 * partitions whose hash collides with the queried one interleave in the
 * range and are skipped by comparing the partition key (ddb__key_split).
 * Reads only: never writes, never holds pointers into the map past `txn`.
 * Secondary indexes do not exist yet: any IndexName is "not found". */
#include <stdio.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "ddb/expr.h"
#include "ddb/expr_int.h"

#define PAGE_MAX_BYTES (1024 * 1024)
#define TYPE_MISMATCH \
    "One or more parameter values were invalid: Condition parameter type does not match schema type"
#define START_INVALID "The provided starting key is invalid: "

/* A Query or Scan request, parsed and checked. */
typedef struct read_req {
    bool is_query;
    const char *table_name, *index_name, *select, *rcc;
    const char *kce_text, *filter_text, *proj_text;
    const json_t *names, *values, *esk, *atg;
    const json_t *key_conditions;   /* legacy KeyConditions, when used */
    bool has_limit;
    int64_t limit;
    bool is_consistent, is_forward;
    bool has_segment, has_total;
    int64_t segment, total;
    bool is_count;
    ddb_expr_ctx_t *ctx;
    ddb_cond_t *key_cond, *filter;
    ddb_proj_t *proj;
    ddb_table_t t;
} read_req_t;

/* A key range [lo, hi) of full keys. */
typedef struct key_range {
    uint8_t lo[DDB_KEY_FULL_MAX + 1], hi[DDB_KEY_FULL_MAX + 1];
    size_t lo_len, hi_len;
} key_range_t;

static const char *const select_all[] = {"SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
                                         "ALL_PROJECTED_ATTRIBUTES", NULL};
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

static bool has_member(const json_t *req, const char *name) {
    const json_t *v = json_obj_get(req, name);
    return v && !json_is_null(v);
}

/* ------------------------------------------------------------ parsing */

/* "Can not use both expression and non-expression parameters ..." and the
 * rules for names / values without expressions, as DynamoDB words them. */
static int check_expr_params(const json_t *req, const read_req_t *r, sw_error_t *err) {
    static const char *const q_expr[] = {"ProjectionExpression", "FilterExpression",
                                         "KeyConditionExpression", NULL};
    static const char *const q_legacy[] = {"AttributesToGet", "QueryFilter", "ConditionalOperator",
                                           "KeyConditions", NULL};
    static const char *const s_expr[] = {"ProjectionExpression", "FilterExpression", NULL};
    static const char *const s_legacy[] = {"AttributesToGet", "ScanFilter", "ConditionalOperator",
                                           NULL};
    const char *const *ex = r->is_query ? q_expr : s_expr;
    const char *const *lg = r->is_query ? q_legacy : s_legacy;
    char e_txt[160] = "", l_txt[160] = "";
    size_t e_len = 0, l_len = 0;
    int n_expr = 0, n_legacy = 0;

    for (size_t i = 0; ex[i]; i++)
        if (has_member(req, ex[i])) {
            e_len += (size_t)snprintf(e_txt + e_len, sizeof e_txt - e_len, "%s%s",
                                      n_expr ? ", " : "", ex[i]);
            n_expr++;
        }
    for (size_t i = 0; n_expr && lg[i]; i++)
        if (has_member(req, lg[i]) &&
            /* KeyConditions may go with FilterExpression / ProjectionExpression */
            !(!strcmp(lg[i], "KeyConditions") && !r->kce_text)) {
            l_len += (size_t)snprintf(l_txt + l_len, sizeof l_txt - l_len, "%s%s",
                                      n_legacy ? ", " : "", lg[i]);
            n_legacy++;
        }
    if (n_legacy)
        return sw_error_set(err, "ValidationException",
                            "Can not use both expression and non-expression parameters in the "
                            "same request: Non-expression parameters: {%s} Expression "
                            "parameters: {%s}", l_txt, e_txt);
    if (r->names && !n_expr)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeNames can only be specified when using expressions");
    if (r->values && !r->filter_text && !r->kce_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeValues can only be specified when using "
                            "expressions: %s",
                            r->is_query ? "FilterExpression and KeyConditionExpression are null"
                                        : "FilterExpression is null");
    return 0;
}

/* Legacy KeyConditions: {attr: {ComparisonOperator, AttributeValueList}}.
 * Shape checks that need no table. */
/* In the order AWS lists the enum in its message. */
static const char *const legacy_ops[] = {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ",
                                         "GT", "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE",
                                         "CONTAINS", NULL};

static bool type_matches(const json_t *av, char want);

static int legacy_key_conditions_check(const json_t *kc, sw_error_t *err) {
    ddb_verr_t verr = {0};
    for (size_t i = 0; i < kc->len; i++) {
        const json_t *c = kc->u.members[i].val, *list;
        const char *op;
        if (!json_is_obj(c))
            return ddb__ser_error(c, "Structure", err);
        if (ddb__req_str(c, "ComparisonOperator", &op, err) != 0 ||
            ddb__req_arr(c, "AttributeValueList", &list, err) != 0)
            return -1;
        if (!op)
            ddb__verr_add(&verr, "Value null at 'keyConditions.%.100s.member.comparisonOperator' "
                                 "failed to satisfy constraint: Member must not be null",
                          kc->u.members[i].key);
        else {
            char param[160];
            snprintf(param, sizeof param, "keyConditions.%.100s.member.comparisonOperator",
                     kc->u.members[i].key);
            enum_check(&verr, op, param, legacy_ops);
        }
    }
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    for (size_t i = 0; i < kc->len; i++) {
        const json_t *c = kc->u.members[i].val;
        const char *op = json_obj_get_str(c, "ComparisonOperator");
        const json_t *list = json_obj_get(c, "AttributeValueList");
        size_t n = json_is_arr(list) ? list->len : 0;
        size_t want = !strcmp(op, "BETWEEN") ? 2 : (!strcmp(op, "NULL") || !strcmp(op, "NOT_NULL")) ? 0 : 1;
        bool ok = !strcmp(op, "IN") ? n >= 1 : n == want;
        for (size_t k = 0; k < n; k++)
            if (ddb__av_validate(list->u.items[k], err) != 0)
                return -1;
        if (!ok)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values were invalid: Invalid number of "
                                "argument(s) for the %s ComparisonOperator", op);
    }
    if (kc->len != 1 && kc->len != 2)
        return sw_error_set(err, "ValidationException", "Conditions can be of length 1 or 2 only");
    return 0;
}

/* The key condition from legacy KeyConditions, against the table's schema. */
static int legacy_key_parts(arena_t *a, const read_req_t *r, ddb_key_cond_t *out,
                            sw_error_t *err) {
    const ddb_table_t *t = &r->t;
    const json_t *kc = r->key_conditions;
    const char *names[2] = {t->hash_name, t->range_name};
    char types[2] = {t->hash_type, t->range_type};

    memset(out, 0, sizeof *out);
    if (!t->range_name && kc->len > 1)
        return sw_error_set(err, "ValidationException", "Query key condition not supported");
    for (int i = 0; i < 2 && names[i]; i++) {
        const json_t *c = json_obj_get(kc, names[i]), *list;
        const char *op;
        json_t *v1 = NULL, *v2 = NULL;
        if (!c) {
            if (i == 0 || kc->len > 1)
                return sw_error_set(err, "ValidationException",
                                    "Query condition missed key schema element: %s", names[i]);
            continue;
        }
        op = json_obj_get_str(c, "ComparisonOperator");
        list = json_obj_get(c, "AttributeValueList");
        if (!strcmp(op, "NULL") || !strcmp(op, "NOT_NULL") || !strcmp(op, "NE") ||
            !strcmp(op, "CONTAINS") || !strcmp(op, "NOT_CONTAINS") || !strcmp(op, "IN"))
            return sw_error_set(err, "ValidationException",
                                "Attempted conditional constraint is not an indexable operation");
        for (size_t k = 0; k < list->len; k++)
            if (!type_matches(list->u.items[k], types[i]))
                return sw_error_set(err, "ValidationException", TYPE_MISMATCH);
        if (i == 0 && strcmp(op, "EQ") != 0)
            return sw_error_set(err, "ValidationException", "Query key condition not supported");
        v1 = ddb__av_canon(a, list->u.items[0], err);
        if (!v1 || (list->len > 1 && !(v2 = ddb__av_canon(a, list->u.items[1], err))))
            return -1;
        if (i == 0) {
            out->pk_value = v1;
            continue;
        }
        out->sk_v1 = v1;
        out->sk_v2 = v2;
        out->sk_op = !strcmp(op, "EQ")      ? DDB_KEY_EQ
                     : !strcmp(op, "LT")    ? DDB_KEY_LT
                     : !strcmp(op, "LE")    ? DDB_KEY_LE
                     : !strcmp(op, "GT")    ? DDB_KEY_GT
                     : !strcmp(op, "GE")    ? DDB_KEY_GE
                     : !strcmp(op, "BETWEEN") ? DDB_KEY_BETWEEN
                                            : DDB_KEY_BEGINS_WITH;
        if (out->sk_op == DDB_KEY_BETWEEN) {
            int o;
            if (ddb__av_order(v1, v2, &o) == 0 && o > 0)
                return sw_error_set(err, "ValidationException",
                                    "Invalid KeyConditionExpression: The BETWEEN operator "
                                    "requires upper bound to be greater than or equal to lower "
                                    "bound; lower bound operand: AttributeValue: %s, upper "
                                    "bound operand: AttributeValue: %s",
                                    json_to_str(a, v1), json_to_str(a, v2));
        }
        if (out->sk_op == DDB_KEY_BEGINS_WITH && types[i] == 'N')
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values were invalid: ComparisonOperator "
                                "BEGINS_WITH is not valid for N AttributeValue type");
    }
    for (size_t i = 0; i < kc->len; i++) {
        const char *k = kc->u.members[i].key;
        if (strcmp(k, t->hash_name) != 0 && (!t->range_name || strcmp(k, t->range_name) != 0))
            return sw_error_set(err, "ValidationException",
                                "Query condition missed key schema element: %s",
                                t->range_name ? t->range_name : t->hash_name);
    }
    return 0;
}

static int read_parse(const json_t *req, arena_t *a, bool is_query, read_req_t *r,
                      sw_error_t *err) {
    ddb_verr_t verr = {0};
    bool has_fwd;

    memset(r, 0, sizeof *r);
    r->is_query = is_query;
    if (ddb__req_str(req, "TableName", &r->table_name, err) != 0 ||
        ddb__req_str(req, "IndexName", &r->index_name, err) != 0 ||
        ddb__req_str(req, "Select", &r->select, err) != 0 ||
        ddb__req_str(req, "ReturnConsumedCapacity", &r->rcc, err) != 0 ||
        ddb__req_str(req, "FilterExpression", &r->filter_text, err) != 0 ||
        ddb__req_str(req, "ProjectionExpression", &r->proj_text, err) != 0 ||
        ddb__req_obj(req, "ExpressionAttributeNames", &r->names, err) != 0 ||
        ddb__req_obj(req, "ExpressionAttributeValues", &r->values, err) != 0 ||
        ddb__req_obj(req, "ExclusiveStartKey", &r->esk, err) != 0 ||
        ddb__req_arr(req, "AttributesToGet", &r->atg, err) != 0 ||
        ddb__req_int(req, "Limit", &r->has_limit, &r->limit, err) != 0 ||
        ddb__req_bool(req, "ConsistentRead", &r->is_consistent, err) != 0)
        return -1;
    if (is_query) {
        if (ddb__req_str(req, "KeyConditionExpression", &r->kce_text, err) != 0 ||
            ddb__req_bool(req, "ScanIndexForward", &r->is_forward, err) != 0)
            return -1;
        has_fwd = has_member(req, "ScanIndexForward");
        if (!has_fwd)
            r->is_forward = true;
    } else {
        if (ddb__req_int(req, "Segment", &r->has_segment, &r->segment, err) != 0 ||
            ddb__req_int(req, "TotalSegments", &r->has_total, &r->total, err) != 0)
            return -1;
        r->is_forward = true;
    }
    for (size_t i = 0; r->atg && i < r->atg->len; i++)
        if (!json_is_str(r->atg->u.items[i]))
            return ddb__ser_error(r->atg->u.items[i], "an String", err);

    /* Parameter constraints, reported together. */
    if (r->index_name)
        ddb__verr_table_name(&verr, "indexName", r->index_name);
    if (!is_query && r->has_segment && r->segment < 0)
        ddb__verr_add(&verr, "Value '%lld' at 'segment' failed to satisfy constraint: Member must "
                             "have value greater than or equal to 0", (long long)r->segment);
    if (!is_query && r->has_segment && r->segment > 999999)
        ddb__verr_add(&verr, "Value '%lld' at 'segment' failed to satisfy constraint: Member must "
                             "have value less than or equal to 999999", (long long)r->segment);
    enum_check(&verr, r->select, "select", select_all);
    if (r->atg && r->atg->len == 0)
        ddb__verr_add(&verr, "Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                             "Member must have length greater than or equal to 1");
    ddb__verr_table_name(&verr, "tableName", ddb__table_name_of(r->table_name));
    if (!is_query && r->has_total && r->total < 1)
        ddb__verr_add(&verr, "Value '%lld' at 'totalSegments' failed to satisfy constraint: Member "
                             "must have value greater than or equal to 1", (long long)r->total);
    if (!is_query && r->has_total && r->total > 1000000)
        ddb__verr_add(&verr, "Value '%lld' at 'totalSegments' failed to satisfy constraint: Member "
                             "must have value less than or equal to 1000000", (long long)r->total);
    if (r->has_limit && r->limit < 1)
        ddb__verr_add(&verr, "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                             "have value greater than or equal to 1", (long long)r->limit);
    enum_check(&verr, r->rcc, "returnConsumedCapacity", rcc_all);
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;

    if (check_expr_params(req, r, err) != 0)
        return -1;
    if (r->atg) {
        for (size_t i = 0; i < r->atg->len; i++)
            for (size_t j = i + 1; j < r->atg->len; j++)
                if (!strcmp(r->atg->u.items[i]->u.str, r->atg->u.items[j]->u.str))
                    return sw_error_set(err, "ValidationException",
                                        "One or more parameter values were invalid: Duplicate "
                                        "value in attribute name: %s", r->atg->u.items[i]->u.str);
    }
    /* Select against what is projected. */
    if (r->select) {
        const char *what = r->proj_text ? "ProjectionExpression" : "AttributesToGet";
        bool has_proj = r->proj_text || r->atg;
        if (!strcmp(r->select, "SPECIFIC_ATTRIBUTES") && !has_proj)
            return sw_error_set(err, "ValidationException",
                                "Must specify the AttributesToGet or ProjectionExpression when "
                                "choosing to get SPECIFIC_ATTRIBUTES");
        if (!strcmp(r->select, "COUNT") && has_proj)
            return sw_error_set(err, "ValidationException",
                                "Cannot specify the %s when choosing to get only the Count", what);
        if ((!strcmp(r->select, "ALL_ATTRIBUTES") ||
             !strcmp(r->select, "ALL_PROJECTED_ATTRIBUTES")) && has_proj)
            return sw_error_set(err, "ValidationException",
                                "Cannot specify the %s when choosing to get %s", what, r->select);
        if (!strcmp(r->select, "ALL_PROJECTED_ATTRIBUTES") && !r->index_name)
            return sw_error_set(err, "ValidationException",
                                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an "
                                "IndexName");
        r->is_count = !strcmp(r->select, "COUNT");
    }
    if (r->esk) {
        for (size_t i = 0; i < r->esk->len; i++) {
            sw_error_t e2;
            if (ddb__av_validate(r->esk->u.members[i].val, &e2) != 0)
                return sw_error_set(err, "ValidationException", START_INVALID "%s", e2.msg);
        }
    }
    if (!is_query) {
        if (r->has_segment && !r->has_total)
            return sw_error_set(err, "ValidationException",
                                "The TotalSegments parameter is required but was not present in "
                                "the request when Segment parameter is present");
        if (r->has_total && !r->has_segment)
            return sw_error_set(err, "ValidationException",
                                "The Segment parameter is required but was not present in the "
                                "request when parameter TotalSegments is present");
        if (r->has_total && r->segment >= r->total)
            return sw_error_set(err, "ValidationException",
                                "The Segment parameter is zero-based and must be less than "
                                "parameter TotalSegments: Segment: %lld is not less than "
                                "TotalSegments: %lld", (long long)r->segment, (long long)r->total);
    }
    if (is_query && !r->kce_text) {
        if (ddb__req_obj(req, "KeyConditions", &r->key_conditions, err) != 0)
            return -1;
        if (!r->key_conditions)
            return sw_error_set(err, "ValidationException",
                                "Either the KeyConditions or KeyConditionExpression parameter "
                                "must be specified in the request.");
        if (legacy_key_conditions_check(r->key_conditions, err) != 0)
            return -1;
    }
    if (has_member(req, is_query ? "QueryFilter" : "ScanFilter"))
        return sw_error_set(err, "ValidationException", "%s is not supported yet; use "
                            "FilterExpression", is_query ? "QueryFilter" : "ScanFilter");

    /* Expressions, one context, then unused names / values. */
    if (ddb_expr_ctx_new(a, r->names, r->values, &r->ctx, err) != 0)
        return -1;
    if (r->kce_text && ddb_expr_parse_cond(r->ctx, DDB_EXPR_KEY_CONDITION, r->kce_text,
                                           strlen(r->kce_text), &r->key_cond, err) != 0)
        return -1;
    if (r->filter_text && ddb_expr_parse_cond(r->ctx, DDB_EXPR_FILTER, r->filter_text,
                                              strlen(r->filter_text), &r->filter, err) != 0)
        return -1;
    if (r->proj_text &&
        ddb_expr_parse_proj(r->ctx, r->proj_text, strlen(r->proj_text), &r->proj, err) != 0)
        return -1;
    return ddb_expr_ctx_check_unused(r->ctx, err);
}

/* -------------------------------------------------------------- ranges */

/* The smallest byte string greater than every string starting with p[0..n)
 * (the "prefix successor"); false if none (all bytes 0xff). */
static bool prefix_succ(uint8_t *p, size_t *n) {
    while (*n > 0) {
        if (p[*n - 1] != 0xff) {
            p[*n - 1]++;
            return true;
        }
        (*n)--;
    }
    return false;
}

static int full_cmp(const uint8_t *x, size_t x_len, const uint8_t *y, size_t y_len) {
    size_t n = x_len < y_len ? x_len : y_len;
    int c = memcmp(x, y, n);
    if (c)
        return c;
    return x_len < y_len ? -1 : x_len > y_len;
}

static bool type_matches(const json_t *av, char want) {
    ddb_av_type_t t = ddb__av_type(av, NULL);
    return (want == 'S' && t == DDB_AV_S) || (want == 'N' && t == DDB_AV_N) ||
           (want == 'B' && t == DDB_AV_B);
}

/* The partition key as it closes a full key (type byte . bytes), by
 * encoding a key with a placeholder sort key and splitting it. */
static int pk_closing_bytes(arena_t *a, const ddb_table_t *t, const json_t *pk_av,
                            const uint8_t **out, size_t *out_len, sw_error_t *err) {
    json_t *key = json_new_obj(a);
    uint8_t *full = arena_alloc(a, DDB_KEY_FULL_MAX);
    size_t len;
    const uint8_t *sk;
    size_t sk_len;

    json_obj_set(a, key, t->hash_name, (json_t *)pk_av);
    if (t->range_name) {
        json_t *dummy = json_new_obj(a);
        if (t->range_type == 'S')
            json_obj_set(a, dummy, "S", json_new_strz(a, "x"));
        else if (t->range_type == 'N')
            json_obj_set(a, dummy, "N", json_new_strz(a, "0"));
        else
            json_obj_set(a, dummy, "B", json_new_strz(a, "AA=="));
        json_obj_set(a, key, t->range_name, dummy);
    }
    if (ddb__key_encode(t, key, true, full, &len, err) != 0)
        return -1;
    if (!ddb__key_split(full, len, t->range_name != NULL, &sk, &sk_len, out, out_len))
        return sw_error_set(err, "InternalServerError", "malformed key");
    return 0;
}

/* Query's range from the key condition. */
static int query_range(const read_req_t *r, const ddb_key_cond_t *kc, key_range_t *kr,
                       sw_error_t *err) {
    uint8_t prefix[DDB_KEY_PREFIX_LEN];
    uint8_t sk1[2 * DDB_SK_MAX_BYTES + 2], sk2[2 * DDB_SK_MAX_BYTES + 2];
    size_t n1 = 0, n2 = 0;
    const ddb_table_t *t = &r->t;

    if (ddb__key_partition_prefix(t, 0, kc->pk_value, prefix, err) != 0)
        return -1;
    if (kc->sk_v1 && ddb__key_sk_bytes(t, kc->sk_v1, sk1, &n1, err) != 0)
        return -1;
    if (kc->sk_v2 && ddb__key_sk_bytes(t, kc->sk_v2, sk2, &n2, err) != 0)
        return -1;

    /* Defaults: the whole partition. */
    memcpy(kr->lo, prefix, DDB_KEY_PREFIX_LEN);
    kr->lo_len = DDB_KEY_PREFIX_LEN;
    memcpy(kr->hi, prefix, DDB_KEY_PREFIX_LEN);
    kr->hi_len = DDB_KEY_PREFIX_LEN;
    if (!prefix_succ(kr->hi, &kr->hi_len))
        kr->hi_len = 0;   /* unbounded; cannot happen with a u32 table id < max */

    /* sk bytes end with the terminator 00 00: "just after every key whose
     * sort key equals v" is the same bytes ending 00 01, since an escaped
     * 0x00 inside a longer value reads 00 ff. */
    switch (kc->sk_op) {
    case DDB_KEY_NONE:
        break;
    case DDB_KEY_EQ:
        memcpy(kr->lo + DDB_KEY_PREFIX_LEN, sk1, n1);
        kr->lo_len = DDB_KEY_PREFIX_LEN + n1;
        memcpy(kr->hi, kr->lo, kr->lo_len);
        kr->hi_len = kr->lo_len;
        kr->hi[kr->hi_len - 1] = 1;
        break;
    case DDB_KEY_LT:
        memcpy(kr->hi + DDB_KEY_PREFIX_LEN, sk1, n1);
        memcpy(kr->hi, prefix, DDB_KEY_PREFIX_LEN);
        kr->hi_len = DDB_KEY_PREFIX_LEN + n1;
        break;
    case DDB_KEY_LE:
        memcpy(kr->hi, prefix, DDB_KEY_PREFIX_LEN);
        memcpy(kr->hi + DDB_KEY_PREFIX_LEN, sk1, n1);
        kr->hi_len = DDB_KEY_PREFIX_LEN + n1;
        kr->hi[kr->hi_len - 1] = 1;
        break;
    case DDB_KEY_GT:
        memcpy(kr->lo + DDB_KEY_PREFIX_LEN, sk1, n1);
        kr->lo_len = DDB_KEY_PREFIX_LEN + n1;
        kr->lo[kr->lo_len - 1] = 1;
        break;
    case DDB_KEY_GE:
        memcpy(kr->lo + DDB_KEY_PREFIX_LEN, sk1, n1);
        kr->lo_len = DDB_KEY_PREFIX_LEN + n1;
        break;
    case DDB_KEY_BETWEEN:
        memcpy(kr->lo + DDB_KEY_PREFIX_LEN, sk1, n1);
        kr->lo_len = DDB_KEY_PREFIX_LEN + n1;
        memcpy(kr->hi, prefix, DDB_KEY_PREFIX_LEN);
        memcpy(kr->hi + DDB_KEY_PREFIX_LEN, sk2, n2);
        kr->hi_len = DDB_KEY_PREFIX_LEN + n2;
        kr->hi[kr->hi_len - 1] = 1;
        break;
    case DDB_KEY_BEGINS_WITH: {
        /* Every value starting with v has an encoding starting with v's
         * escaped bytes (escaping is per byte): drop the terminator. */
        size_t n = DDB_KEY_PREFIX_LEN + n1 - 2;
        memcpy(kr->lo + DDB_KEY_PREFIX_LEN, sk1, n1 - 2);
        kr->lo_len = n;
        memcpy(kr->hi, kr->lo, n);
        kr->hi_len = n;
        if (!prefix_succ(kr->hi, &kr->hi_len))
            kr->hi_len = 0;
        break;
    }
    }
    return 0;
}

/* Scan's range for one segment of the table's hash space. */
static void scan_range(const read_req_t *r, key_range_t *kr) {
    uint64_t total = r->has_total ? (uint64_t)r->total : 1;
    uint64_t seg = r->has_segment ? (uint64_t)r->segment : 0;
    uint64_t step = UINT64_MAX / total;
    uint64_t lo = seg * step, hi = (seg + 1) * step;
    bool is_last = seg + 1 == total;

    for (int i = 0; i < 4; i++)
        kr->lo[i] = kr->hi[i] = (uint8_t)(r->t.id >> (24 - 8 * i));
    kr->lo[4] = kr->lo[5] = kr->hi[4] = kr->hi[5] = 0;   /* index 0: the base table */
    for (int i = 0; i < 8; i++) {
        kr->lo[6 + i] = (uint8_t)(lo >> (56 - 8 * i));
        kr->hi[6 + i] = (uint8_t)(hi >> (56 - 8 * i));
    }
    kr->lo_len = kr->hi_len = DDB_KEY_PREFIX_LEN;
    if (is_last) {
        kr->hi_len = 6;
        kr->hi[5] = 1;   /* tid . 00 01: past every base-table key */
    }
}

/* ------------------------------------------------------------ running */

static json_t *capacity_units(arena_t *a, double units) {
    char txt[32];
    snprintf(txt, sizeof txt, "%.1f", units);
    return json_new_num_text(a, txt, strlen(txt));
}

static void add_capacity(arena_t *a, json_t *resp, const read_req_t *r, size_t bytes) {
    json_t *cc;
    double units;
    if (!r->rcc || !strcmp(r->rcc, "NONE"))
        return;
    units = (double)((bytes + 4095) / 4096);
    if (units < 1)
        units = 1;
    if (!r->is_consistent)
        units /= 2;
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

typedef struct entry {
    const uint8_t *key;
    size_t key_len;
    const char *json;
    size_t json_len;
} entry_t;

/* The item as returned: projected by ProjectionExpression or AttributesToGet. */
static json_t *shape_item(arena_t *a, const read_req_t *r, json_t *item) {
    if (r->proj)
        return ddb_proj_apply(r->proj, a, item);
    if (r->atg) {
        json_t *p = json_new_obj(a);
        for (size_t i = 0; i < r->atg->len; i++) {
            json_t *v = json_obj_getn(item, r->atg->u.items[i]->u.str, r->atg->u.items[i]->len);
            if (v)
                json_obj_setn(a, p, r->atg->u.items[i]->u.str, r->atg->u.items[i]->len, v);
        }
        return p;
    }
    return item;
}

/* Reads `kr` in the requested direction, evaluating items until the range,
 * Limit or the 1 MB page ends; skips entries whose partition key is not
 * (pk, pk_len) when pk is given (Query). */
static int run_read(store_txn_t *txn, arena_t *a, const read_req_t *r, const key_range_t *kr,
                    const uint8_t *pk, size_t pk_len, json_t **resp, sw_error_t *err) {
    ddb_items_iter_t *it;
    entry_t e, *all = NULL;
    size_t n_all = 0, cap = 0, i_all = 0;
    json_t *items = json_new_arr(a), *last = NULL, *out;
    int64_t scanned = 0, count = 0;
    size_t bytes = 0;
    bool is_stopped = false;

    if (ddb__items_iter_open(txn, a, kr->lo, kr->lo_len, kr->hi, kr->hi_len, &it, err) != 0)
        return -1;
    if (!r->is_forward) {
        /* The store iterates forward only: collect the range, walk it back.
         * Costs memory and time in the size of the whole range, not of the
         * page: a reverse store cursor (store_cursor_prev) would fix it. */
        while (ddb__items_iter_next(it, &e.key, &e.key_len, &e.json, &e.json_len)) {
            if (n_all == cap) {
                entry_t *grown;
                cap = cap ? 2 * cap : 64;
                grown = arena_alloc(a, cap * sizeof *grown);
                if (n_all)
                    memcpy(grown, all, n_all * sizeof *all);
                all = grown;
            }
            all[n_all++] = e;
        }
        i_all = n_all;
    }
    for (;;) {
        const uint8_t *sk, *epk;
        size_t sk_len, epk_len;
        json_t *item;
        bool is_match = true;

        if (r->is_forward) {
            if (!ddb__items_iter_next(it, &e.key, &e.key_len, &e.json, &e.json_len))
                break;
        } else {
            if (i_all == 0)
                break;
            e = all[--i_all];
        }
        if (pk) {
            if (!ddb__key_split(e.key, e.key_len, r->t.range_name != NULL, &sk, &sk_len, &epk,
                                &epk_len) ||
                epk_len != pk_len || memcmp(epk, pk, pk_len) != 0)
                continue;   /* another partition sharing the hash */
        }
        item = json_parse(a, e.json, e.json_len, err);
        if (!item) {
            ddb__items_iter_close(it);
            return sw_error_set(err, "InternalServerError", "corrupt item in store");
        }
        scanned++;
        bytes += ddb__item_size(item);
        last = item;
        if (r->filter && ddb_cond_eval(r->filter, a, item, &is_match, err) != 0) {
            ddb__items_iter_close(it);
            return -1;
        }
        if (is_match) {
            count++;
            if (!r->is_count)
                json_arr_push(a, items, shape_item(a, r, item));
        }
        if ((r->has_limit && scanned >= r->limit) || bytes >= PAGE_MAX_BYTES) {
            is_stopped = true;
            break;
        }
    }
    ddb__items_iter_close(it);

    out = json_new_obj(a);
    if (!r->is_count)
        json_obj_set(a, out, "Items", items);
    json_obj_set(a, out, "Count", json_new_num_i64(a, count));
    json_obj_set(a, out, "ScannedCount", json_new_num_i64(a, scanned));
    if (is_stopped && last) {
        json_t *lek = json_new_obj(a);
        json_obj_set(a, lek, r->t.hash_name, json_obj_get(last, r->t.hash_name));
        if (r->t.range_name)
            json_obj_set(a, lek, r->t.range_name, json_obj_get(last, r->t.range_name));
        json_obj_set(a, out, "LastEvaluatedKey", lek);
    }
    add_capacity(a, out, r, bytes);
    *resp = out;
    return 0;
}

/* The full key of ExclusiveStartKey, or an error worded as AWS does. */
static int start_key(arena_t *a, const read_req_t *r, uint8_t *key, size_t *key_len,
                     sw_error_t *err) {
    sw_error_t e2;
    json_t *canon = ddb__item_canon(a, r->esk, &e2);
    if (!canon || ddb__key_encode(&r->t, canon, true, key, key_len, &e2) != 0)
        return sw_error_set(err, "ValidationException", START_INVALID "%s", e2.msg);
    return 0;
}

/* Moves the range past the start key (forward: lo = key . 00, the next
 * possible key; backward: hi = key). */
static void range_after(key_range_t *kr, bool is_forward, const uint8_t *key, size_t key_len) {
    if (is_forward) {
        if (full_cmp(key, key_len, kr->lo, kr->lo_len) >= 0) {
            memcpy(kr->lo, key, key_len);
            kr->lo[key_len] = 0;
            kr->lo_len = key_len + 1;
        }
    } else if (kr->hi_len == 0 || full_cmp(key, key_len, kr->hi, kr->hi_len) < 0) {
        memcpy(kr->hi, key, key_len);
        kr->hi_len = key_len;
    }
}

static int check_index(const read_req_t *r, sw_error_t *err) {
    if (r->index_name)
        return sw_error_set(err, "ValidationException",
                            "The table does not have the specified index: %s", r->index_name);
    return 0;
}

/* ------------------------------------------------------------------ Query */

int ddb__op_query(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a, json_t **resp,
                  sw_error_t *err) {
    read_req_t r;
    ddb_key_cond_t kc;
    key_range_t *kr = arena_alloc(a, sizeof *kr);
    const uint8_t *pk;
    size_t pk_len;
    (void)db;

    if (read_parse(req, a, true, &r, err) != 0)
        return -1;
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0 || check_index(&r, err) != 0)
        return -1;
    if (r.key_cond ? ddb_cond_key_parts(r.key_cond, r.t.hash_name, r.t.range_name, &kc, err)
                   : legacy_key_parts(a, &r, &kc, err))
        return -1;
    if (!type_matches(kc.pk_value, r.t.hash_type) ||
        (kc.sk_v1 && !type_matches(kc.sk_v1, r.t.range_type)) ||
        (kc.sk_v2 && !type_matches(kc.sk_v2, r.t.range_type)))
        return sw_error_set(err, "ValidationException", TYPE_MISMATCH);
    if (r.filter) {
        const char *keys[2] = {r.t.hash_name, r.t.range_name};
        for (int i = 0; i < 2; i++)
            if (keys[i] && ddb_cond_uses_attr(r.filter, keys[i], strlen(keys[i])))
                return sw_error_set(err, "ValidationException",
                                    "Filter Expression can only contain non-primary key "
                                    "attributes: Primary key attribute: %s", keys[i]);
    }
    if (query_range(&r, &kc, kr, err) != 0 ||
        pk_closing_bytes(a, &r.t, kc.pk_value, &pk, &pk_len, err) != 0)
        return -1;
    if (r.esk) {
        uint8_t *key = arena_alloc(a, DDB_KEY_FULL_MAX);
        size_t key_len;
        const uint8_t *sk, *epk;
        size_t sk_len, epk_len;
        if (start_key(a, &r, key, &key_len, err) != 0)
            return -1;
        if (memcmp(key, kr->lo, DDB_KEY_PREFIX_LEN) != 0 ||
            !ddb__key_split(key, key_len, r.t.range_name != NULL, &sk, &sk_len, &epk, &epk_len) ||
            epk_len != pk_len || memcmp(epk, pk, pk_len) != 0)
            return sw_error_set(err, "ValidationException",
                                "The provided starting key is outside query boundaries based on "
                                "provided conditions");
        if (full_cmp(key, key_len, kr->lo, kr->lo_len) < 0 ||
            (kr->hi_len && full_cmp(key, key_len, kr->hi, kr->hi_len) >= 0))
            return sw_error_set(err, "ValidationException",
                                "The provided starting key does not match the range key "
                                "predicate");
        range_after(kr, r.is_forward, key, key_len);
    }
    return run_read(txn, a, &r, kr, pk, pk_len, resp, err);
}

/* ------------------------------------------------------------------- Scan */

int ddb__op_scan(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a, json_t **resp,
                 sw_error_t *err) {
    read_req_t r;
    key_range_t *kr = arena_alloc(a, sizeof *kr);
    (void)db;

    if (read_parse(req, a, false, &r, err) != 0)
        return -1;
    if (ddb__table_load(txn, a, r.table_name, &r.t, err) != 0 || check_index(&r, err) != 0)
        return -1;
    scan_range(&r, kr);
    if (r.esk) {
        uint8_t *key = arena_alloc(a, DDB_KEY_FULL_MAX);
        size_t key_len;
        if (start_key(a, &r, key, &key_len, err) != 0)
            return -1;
        range_after(kr, true, key, key_len);
    }
    return run_read(txn, a, &r, kr, NULL, 0, resp, err);
}
