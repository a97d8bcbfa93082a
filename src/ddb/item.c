/* item.c - PutItem, GetItem, UpdateItem, DeleteItem.
 *
 * Each request is checked in DynamoDB's order: JSON shapes
 * (SerializationException), parameter constraints (one ValidationException
 * listing them), request semantics and expressions, then the table
 * (ResourceNotFoundException), then the key. Items are stored as canonical
 * DynamoDB JSON text (ddb__item_canon); expressions come from ddb/expr. The
 * legacy parameters (Expected, ConditionalOperator, AttributeUpdates,
 * AttributesToGet) are evaluated here. A handler runs inside the
 * transaction ddb_call gives it and writes only after every check passed. */
#include <string.h>

#include "ddb/ddb_int.h"
#include "ddb/expr.h"
#include "ddb/expr_int.h"
#include "ddb/num.h"

#define ITEM_TOO_BIG "Item size has exceeded the maximum allowed size"

/* Legacy Expected, parsed (see "legacy parameters" below). */
typedef enum legacy_op {
    LOP_EQ, LOP_NE, LOP_LE, LOP_LT, LOP_GE, LOP_GT, LOP_NOT_NULL, LOP_NULL,
    LOP_CONTAINS, LOP_NOT_CONTAINS, LOP_BEGINS_WITH, LOP_IN, LOP_BETWEEN, LOP_N
} legacy_op_t;

static const char *const legacy_op_names[LOP_N + 1] = {
    "EQ", "NE", "LE", "LT", "GE", "GT", "NOT_NULL", "NULL", "CONTAINS", "NOT_CONTAINS",
    "BEGINS_WITH", "IN", "BETWEEN", NULL};
#define LEGACY_OP_SET \
    "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS"

typedef struct legacy_cond {
    const char *name;
    size_t name_len;
    legacy_op_t op;
    json_t **args;   /* canonical AttributeValues */
    size_t n_args;
} legacy_cond_t;

typedef struct legacy_expected {
    legacy_cond_t *conds;
    size_t n;
    bool is_or;
} legacy_expected_t;

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
    legacy_expected_t *expected;  /* legacy Expected, NULL when absent */
    ddb_table_t t;
} item_req_t;

static bool legacy_expected_holds(arena_t *a, const legacy_expected_t *e,
                                  const json_t *item);

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
    ddb__verr_table_name(verr, "tableName", ddb__table_name_of(r->table_name));
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
    return 0;
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

static int legacy_expected_parse(const json_t *req, arena_t *a, legacy_expected_t *out,
                                 sw_error_t *err);

/* Legacy Expected of the request, when it has one. */
static int parse_expected(const json_t *req, arena_t *a, item_req_t *r, sw_error_t *err) {
    legacy_expected_t *e;
    if (!json_obj_get(req, "Expected") && !json_obj_get(req, "ConditionalOperator"))
        return 0;
    e = arena_zalloc(a, sizeof *e);
    if (legacy_expected_parse(req, a, e, err) != 0)
        return -1;
    if (e->n > 0)
        r->expected = e;
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
    bool ok = true;
    if (!r->cond && !r->expected)
        return 0;
    if (r->cond && ddb_cond_eval(r->cond, a, old, &ok, err) != 0)
        return -1;
    if (ok && r->expected)
        ok = legacy_expected_holds(a, r->expected, old);
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

/* ------------------------------------------------- legacy parameters
 * Expected + ConditionalOperator and AttributeUpdates, the pre-expression
 * forms older SDK layers (DynamoDBMapper, boto's layer1) still send. */

#define LEGACY_INVALID "One or more parameter values were invalid: "

/* Parses and checks Expected / ConditionalOperator (absent: out->n == 0). */
static int legacy_expected_parse(const json_t *req, arena_t *a, legacy_expected_t *out,
                                 sw_error_t *err) {
    const json_t *exp;
    const char *cop;
    ddb_verr_t verr = {0};

    memset(out, 0, sizeof *out);
    if (ddb__req_obj(req, "Expected", &exp, err) != 0 ||
        ddb__req_str(req, "ConditionalOperator", &cop, err) != 0)
        return -1;
    if (cop && strcmp(cop, "AND") != 0 && strcmp(cop, "OR") != 0)
        ddb__verr_add(&verr, "Value '%.100s' at 'conditionalOperator' failed to satisfy "
                             "constraint: Member must satisfy enum value set: [AND, OR]", cop);
    out->is_or = cop && !strcmp(cop, "OR");
    if (!exp)
        return ddb__verr_finish(&verr, err);
    out->conds = arena_zalloc(a, (exp->len + 1) * sizeof *out->conds);
    for (size_t i = 0; i < exp->len; i++) {
        const json_member_t *m = &exp->u.members[i];
        const json_t *e = m->val, *value, *list;
        const char *op_name;
        bool has_exists, is_exists = false;
        if (json_is_null(e))
            continue;
        if (!json_is_obj(e))
            return ddb__ser_error(e, "Structure", err);
        if (ddb__req_str(e, "ComparisonOperator", &op_name, err) != 0 ||
            ddb__req_arr(e, "AttributeValueList", &list, err) != 0)
            return -1;
        value = json_obj_get(e, "Value");
        if (json_is_null(value))
            value = NULL;
        has_exists = json_obj_get(e, "Exists") && !json_is_null(json_obj_get(e, "Exists"));
        if (ddb__req_bool(e, "Exists", &is_exists, err) != 0)
            return -1;
        legacy_cond_t *c = &out->conds[out->n];
        c->name = m->key;
        c->name_len = m->key_len;
        c->op = LOP_N;
        if (op_name) {
            for (int k = 0; k < LOP_N; k++)
                if (!strcmp(op_name, legacy_op_names[k]))
                    c->op = (legacy_op_t)k;
            if (c->op == LOP_N) {
                ddb__verr_add(&verr, "Value '%.100s' at 'expected.%.100s.member.comparisonOperator' "
                                     "failed to satisfy constraint: Member must satisfy enum value "
                                     "set: [" LEGACY_OP_SET "]", op_name, m->key);
                continue;
            }
        }
        if (verr.n)
            continue;
        /* DynamoDB's checks, in its order (recorded responses). */
        if (op_name && has_exists)
            return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                "Exists and ComparisonOperator cannot be used together for "
                                "Attribute: %s", m->key);
        if (list && !op_name)
            return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                "AttributeValueList can only be used with a ComparisonOperator "
                                "for Attribute: %s", m->key);
        if (list && value)
            return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                "Value and AttributeValueList cannot be used together for "
                                "Attribute: %s", m->key);
        if (!op_name) {
            if (has_exists && !is_exists) {
                if (value)
                    return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                        "Value cannot be used when Exists is false for "
                                        "Attribute: %s", m->key);
                c->op = LOP_NULL;
            } else {
                if (!value)
                    return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                        "Value must be provided when Exists is %s for "
                                        "Attribute: %s", has_exists ? "true" : "null", m->key);
                c->op = LOP_EQ;
            }
        } else if (!value && !list && c->op != LOP_NULL && c->op != LOP_NOT_NULL) {
            return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                "Value or AttributeValueList must be used with "
                                "ComparisonOperator: %s for Attribute: %s", op_name, m->key);
        }
        /* Arguments. */
        {
            size_t n = list ? list->len : value ? 1 : 0;
            size_t want_min = 1, want_max = 1;
            c->args = arena_alloc(a, (n + 1) * sizeof *c->args);
            for (size_t k = 0; k < n; k++) {
                c->args[k] = ddb__av_canon(a, list ? list->u.items[k] : value, err);
                if (!c->args[k])
                    return -1;
            }
            c->n_args = n;
            if (c->op == LOP_NULL || c->op == LOP_NOT_NULL)
                want_min = want_max = 0;
            else if (c->op == LOP_BETWEEN)
                want_min = want_max = 2;
            else if (c->op == LOP_IN)
                want_max = (size_t)-1;
            if (n < want_min || n > want_max)
                return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                    "Invalid number of argument(s) for the %s ComparisonOperator",
                                    legacy_op_names[c->op]);
            for (size_t k = 0; k < n; k++) {
                ddb_av_type_t t = ddb__av_type(c->args[k], NULL);
                bool is_scalar = t == DDB_AV_S || t == DDB_AV_N || t == DDB_AV_B;
                bool ok = true;
                switch (c->op) {
                case LOP_LE: case LOP_LT: case LOP_GE: case LOP_GT: case LOP_BETWEEN:
                case LOP_IN:
                    ok = is_scalar;
                    break;
                case LOP_CONTAINS: case LOP_NOT_CONTAINS:
                    ok = is_scalar || t == DDB_AV_BOOL || t == DDB_AV_NULL;
                    break;
                case LOP_BEGINS_WITH:
                    ok = t == DDB_AV_S || t == DDB_AV_B;
                    break;
                default:
                    break;
                }
                if (!ok)
                    return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                        "ComparisonOperator %s is not valid for %s AttributeValue "
                                        "type", legacy_op_names[c->op], ddb__av_type_name(t));
            }
        }
        out->n++;
    }
    return ddb__verr_finish(&verr, err);
}

static bool bytes_has(const char *h, size_t h_len, const char *n, size_t n_len) {
    if (n_len == 0)
        return true;
    for (size_t i = 0; i + n_len <= h_len; i++)
        if (!memcmp(h + i, n, n_len))
            return true;
    return false;
}

/* CONTAINS: a substring of S or B, an element of a set or a list. */
static bool legacy_contains(arena_t *a, const json_t *attr, const json_t *arg) {
    const json_t *av = NULL, *gv = NULL;
    ddb_av_type_t at = ddb__av_type(attr, &av), gt = ddb__av_type(arg, &gv);
    if (at == DDB_AV_S && gt == DDB_AV_S)
        return bytes_has(av->u.str, av->len, gv->u.str, gv->len);
    if (at == DDB_AV_B && gt == DDB_AV_B) {
        uint8_t *h, *n;
        size_t h_len, n_len;
        return ddb__b64_decode(a, av->u.str, av->len, &h, &h_len) &&
               ddb__b64_decode(a, gv->u.str, gv->len, &n, &n_len) &&
               bytes_has((const char *)h, h_len, (const char *)n, n_len);
    }
    if ((at == DDB_AV_SS && gt == DDB_AV_S) || (at == DDB_AV_NS && gt == DDB_AV_N) ||
        (at == DDB_AV_BS && gt == DDB_AV_B)) {
        for (size_t i = 0; i < av->len; i++)
            if (av->u.items[i]->len == gv->len &&
                !memcmp(av->u.items[i]->u.str, gv->u.str, gv->len))
                return true;
        return false;
    }
    if (at == DDB_AV_L) {
        for (size_t i = 0; i < av->len; i++)
            if (ddb__av_equal(av->u.items[i], arg))
                return true;
    }
    return false;
}

static bool legacy_cond_holds(arena_t *a, const legacy_cond_t *c, const json_t *item) {
    const json_t *attr = item ? json_obj_getn(item, c->name, c->name_len) : NULL;
    int o1, o2;

    switch (c->op) {
    case LOP_NULL:
        return !attr;
    case LOP_NOT_NULL:
        return attr != NULL;
    case LOP_EQ:
        return attr && ddb__av_equal(attr, c->args[0]);
    case LOP_NE:
        return !attr || !ddb__av_equal(attr, c->args[0]);
    case LOP_LT:
        return attr && ddb__av_order(attr, c->args[0], &o1) == 0 && o1 < 0;
    case LOP_LE:
        return attr && ddb__av_order(attr, c->args[0], &o1) == 0 && o1 <= 0;
    case LOP_GT:
        return attr && ddb__av_order(attr, c->args[0], &o1) == 0 && o1 > 0;
    case LOP_GE:
        return attr && ddb__av_order(attr, c->args[0], &o1) == 0 && o1 >= 0;
    case LOP_BETWEEN:
        return attr && ddb__av_order(attr, c->args[0], &o1) == 0 && o1 >= 0 &&
               ddb__av_order(attr, c->args[1], &o2) == 0 && o2 <= 0;
    case LOP_IN:
        for (size_t i = 0; attr && i < c->n_args; i++)
            if (ddb__av_equal(attr, c->args[i]))
                return true;
        return false;
    case LOP_CONTAINS:
        return attr && legacy_contains(a, attr, c->args[0]);
    case LOP_NOT_CONTAINS:
        return attr && !legacy_contains(a, attr, c->args[0]);
    case LOP_BEGINS_WITH: {
        const json_t *av = NULL, *gv = NULL;
        ddb_av_type_t at = ddb__av_type(attr, &av), gt = ddb__av_type(c->args[0], &gv);
        if (!attr || at != gt)
            return false;
        if (at == DDB_AV_S)
            return av->len >= gv->len && !memcmp(av->u.str, gv->u.str, gv->len);
        if (at == DDB_AV_B) {
            uint8_t *h, *n;
            size_t h_len, n_len;
            return ddb__b64_decode(a, av->u.str, av->len, &h, &h_len) &&
                   ddb__b64_decode(a, gv->u.str, gv->len, &n, &n_len) && h_len >= n_len &&
                   !memcmp(h, n, n_len);
        }
        return false;
    }
    case LOP_N:
        break;
    }
    return false;
}

static bool legacy_expected_holds(arena_t *a, const legacy_expected_t *e,
                                  const json_t *item) {
    for (size_t i = 0; i < e->n; i++) {
        bool ok = legacy_cond_holds(a, &e->conds[i], item);
        if (e->is_or && ok)
            return true;
        if (!e->is_or && !ok)
            return false;
    }
    return !e->is_or || e->n == 0;
}

/* AttributeUpdates: {name: {Value, Action PUT|DELETE|ADD}}. Applies to `item`
 * (a copy is made) and lists the names touched in *names. */
static int legacy_updates_apply(arena_t *a, const json_t *updates, const ddb_table_t *t,
                                json_t *item, json_t **names_out, sw_error_t *err) {
    ddb_verr_t verr = {0};
    json_t *names = json_new_arr(a);

    for (size_t i = 0; i < updates->len; i++) {
        const json_member_t *m = &updates->u.members[i];
        const char *action;
        if (json_is_null(m->val))
            continue;
        if (!json_is_obj(m->val))
            return ddb__ser_error(m->val, "Structure", err);
        if (ddb__req_str(m->val, "Action", &action, err) != 0)
            return -1;
        if (action && strcmp(action, "PUT") && strcmp(action, "DELETE") && strcmp(action, "ADD"))
            ddb__verr_add(&verr, "Value '%.100s' at 'attributeUpdates.%.100s.member.action' failed "
                                 "to satisfy constraint: Member must satisfy enum value set: "
                                 "[ADD, PUT, DELETE]", action, m->key);
    }
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    for (size_t i = 0; i < updates->len; i++) {
        const json_member_t *m = &updates->u.members[i];
        const char *action = json_obj_get_str(m->val, "Action");
        const json_t *value_in = json_obj_get(m->val, "Value");
        json_t *value = NULL, *old;
        ddb_av_type_t vt = DDB_AV_INVALID, ot;
        const json_t *vv = NULL, *ov = NULL;
        if (json_is_null(m->val))
            continue;
        if (!action)
            action = "PUT";
        if ((t->hash_name && strlen(t->hash_name) == m->key_len &&
             !memcmp(t->hash_name, m->key, m->key_len)) ||
            (t->range_name && strlen(t->range_name) == m->key_len &&
             !memcmp(t->range_name, m->key, m->key_len)))
            return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                "Cannot update attribute %s. This attribute is part of the key",
                                m->key);
        if (value_in && !json_is_null(value_in)) {
            value = ddb__av_canon(a, value_in, err);
            if (!value)
                return -1;
            vt = ddb__av_type(value, &vv);
        }
        json_arr_push(a, names, json_new_str(a, m->key, m->key_len));
        old = json_obj_getn(item, m->key, m->key_len);
        ot = ddb__av_type(old, &ov);
        if (!strcmp(action, "PUT")) {
            if (!value)
                return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                    "Only DELETE action is allowed when no attribute value is "
                                    "specified: %s", m->key);
            json_obj_setn(a, item, m->key, m->key_len, value);
        } else if (!strcmp(action, "DELETE")) {
            if (!value) {
                json_obj_del(item, m->key, m->key_len);
                continue;
            }
            if (vt != DDB_AV_SS && vt != DDB_AV_NS && vt != DDB_AV_BS)
                return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                    "DELETE action with value is not supported for the type %s",
                                    ddb__av_type_name(vt));
            if (!old)
                continue;
            if (ot != vt)
                return sw_error_set(err, "ValidationException",
                                    "Type mismatch for attribute to update");
            {
                json_t *rest = json_new_arr(a), *nv;
                for (size_t k = 0; k < ov->len; k++) {
                    bool drop = false;
                    for (size_t j = 0; j < vv->len; j++)
                        if (ov->u.items[k]->len == vv->u.items[j]->len &&
                            !memcmp(ov->u.items[k]->u.str, vv->u.items[j]->u.str, vv->u.items[j]->len))
                            drop = true;
                    if (!drop)
                        json_arr_push(a, rest, ov->u.items[k]);
                }
                if (rest->len == 0) {
                    json_obj_del(item, m->key, m->key_len);
                    continue;
                }
                nv = json_new_obj(a);
                json_obj_set(a, nv, ddb__av_type_name(vt), rest);
                json_obj_setn(a, item, m->key, m->key_len, nv);
            }
        } else { /* ADD */
            if (!value)
                return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                    "Only DELETE action is allowed when no attribute value is "
                                    "specified: %s", m->key);
            if (vt != DDB_AV_N && vt != DDB_AV_SS && vt != DDB_AV_NS && vt != DDB_AV_BS &&
                vt != DDB_AV_L)
                return sw_error_set(err, "ValidationException", LEGACY_INVALID
                                    "ADD action is not supported for the type %s",
                                    ddb__av_type_name(vt));
            if (!old) {
                json_obj_setn(a, item, m->key, m->key_len, value);
                continue;
            }
            if (ot != vt)
                return sw_error_set(err, "ValidationException",
                                    "Type mismatch for attribute to update");
            if (vt == DDB_AV_N) {
                ddb_num_t x, y, z;
                char txt[DDB_NUM_TEXT_MAX];
                size_t n;
                json_t *nv = json_new_obj(a);
                if (ddb_num_parse(ov->u.str, ov->len, &x, err) != 0 ||
                    ddb_num_parse(vv->u.str, vv->len, &y, err) != 0 ||
                    ddb_num_add(&x, &y, &z, err) != 0)
                    return -1;
                n = ddb_num_format(&z, txt);
                json_obj_set(a, nv, "N", json_new_str(a, txt, n));
                json_obj_setn(a, item, m->key, m->key_len, nv);
            } else {
                json_t *all = json_new_arr(a), *nv = json_new_obj(a);
                for (size_t k = 0; k < ov->len; k++)
                    json_arr_push(a, all, ov->u.items[k]);
                for (size_t j = 0; j < vv->len; j++) {
                    bool dup = false;
                    for (size_t k = 0; vt != DDB_AV_L && k < ov->len; k++)
                        if (ov->u.items[k]->len == vv->u.items[j]->len &&
                            !memcmp(ov->u.items[k]->u.str, vv->u.items[j]->u.str, vv->u.items[j]->len))
                            dup = true;
                    if (!dup)
                        json_arr_push(a, all, vv->u.items[j]);
                }
                json_obj_set(a, nv, ddb__av_type_name(vt), all);
                json_obj_setn(a, item, m->key, m->key_len, nv);
            }
        }
    }
    *names_out = names;
    return 0;
}

/* The members of `item` named in `names` (for legacy UPDATED_OLD / _NEW). */
static json_t *pick_attrs(arena_t *a, const json_t *item, const json_t *names) {
    json_t *out = json_new_obj(a);
    for (size_t i = 0; item && names && i < names->len; i++) {
        json_t *v = json_obj_getn(item, names->u.items[i]->u.str, names->u.items[i]->len);
        if (v)
            json_obj_setn(a, out, names->u.items[i]->u.str, names->u.items[i]->len, v);
    }
    return out;
}

static json_t *shallow_copy(arena_t *a, const json_t *obj) {
    json_t *out = json_new_obj(a);
    for (size_t i = 0; i < obj->len; i++)
        json_obj_setn(a, out, obj->u.members[i].key, obj->u.members[i].key_len,
                      obj->u.members[i].val);
    return out;
}

/* ------------------------------------------- PutItem and DeleteItem */

/* The checks PutItem and DeleteItem share, in DynamoDB's order: the common
 * parameters; `field` ("Item" or "Key", `field_lc` as the validation
 * message spells it) present; legacy parameters not mixed with a
 * ConditionExpression; names and values only with one; the item or key
 * well-formed (canonicalised into *canon); ReturnValues NONE or ALL_OLD. */
static int read_conditional_write(const json_t *req, const char *field, const char *field_lc,
                                  arena_t *a, item_req_t *r, json_t **canon,
                                  sw_error_t *err) {
    ddb_verr_t verr = {0};
    const json_t *in;
    if (read_common(req, r, &verr, err) != 0 || ddb__req_obj(req, field, &in, err) != 0)
        return -1;
    if (!in)
        ddb__verr_add(&verr, "Value null at '%s' failed to satisfy constraint: Member must not "
                             "be null", field_lc);
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (legacy_check(req, "Expected", "ConditionExpression", r->cond_text != NULL, err) != 0 ||
        legacy_check(req, "ConditionalOperator", "ConditionExpression", r->cond_text != NULL,
                     err) != 0)
        return -1;
    if (r->values && !r->cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeValues can only be specified when using "
                            "expressions: ConditionExpression is null");
    if (r->names && !r->cond_text)
        return sw_error_set(err, "ValidationException",
                            "ExpressionAttributeNames can only be specified when using expressions");
    if (!(*canon = ddb__item_canon(a, in, err)))
        return -1;
    if (r->return_values && strcmp(r->return_values, "ALL_OLD") != 0)
        return sw_error_set(err, "ValidationException", "ReturnValues can only be ALL_OLD or NONE");
    return 0;
}

/* ---------------------------------------------------------------- PutItem */

int ddb__op_put_item(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                     json_t **resp, sw_error_t *err) {
    item_req_t r;
    json_t *item, *old, *out;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, size, old_size;
    (void)db;

    if (read_conditional_write(req, "Item", "item", a, &r, &item, err) != 0)
        return -1;
    size = ddb__item_size(item);
    if (size > DDB_ITEM_MAX_BYTES)
        return sw_error_set(err, "ValidationException", ITEM_TOO_BIG);
    if (parse_cond(a, &r, err) != 0 || ddb_expr_ctx_check_unused(r.ctx, err) != 0 ||
        parse_expected(req, a, &r, err) != 0)
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
    ddb__verr_table_name(&verr, "tableName", ddb__table_name_of(r.table_name));
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
    json_t *key_canon, *old, *out;
    uint8_t key[DDB_KEY_FULL_MAX];
    size_t key_len, old_size;
    (void)db;

    if (read_conditional_write(req, "Key", "key", a, &r, &key_canon, err) != 0)
        return -1;
    if (parse_cond(a, &r, err) != 0 || ddb_expr_ctx_check_unused(r.ctx, err) != 0 ||
        parse_expected(req, a, &r, err) != 0)
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
    json_t *key_canon, *old, *item, *out, *attrs = NULL, *legacy_names = NULL;
    const json_t *legacy_upd = NULL;
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
    if (parse_cond(a, &r, err) != 0 || parse_expected(req, a, &r, err) != 0)
        return -1;
    if (ddb__req_obj(req, "AttributeUpdates", &legacy_upd, err) != 0)
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
    if (legacy_upd) {
        item = shallow_copy(a, item);
        if (legacy_updates_apply(a, legacy_upd, &r.t, item, &legacy_names, err) != 0)
            return -1;
    }
    size = ddb__item_size(item);
    if (size > DDB_ITEM_MAX_BYTES)
        return sw_error_set(err, "ValidationException",
                            "Item size to update has exceeded the maximum allowed size");
    if ((upd || legacy_upd) && ddb__item_check_depth(item, err) != 0)
        return -1;
    if (store_item(txn, a, &r, key, key_len, item, size, old != NULL, old_size, err) != 0)
        return -1;

    out = json_new_obj(a);
    if (r.return_values) {
        if (!strcmp(r.return_values, "ALL_OLD"))
            attrs = old;
        else if (!strcmp(r.return_values, "ALL_NEW"))
            attrs = item;
        else if (!strcmp(r.return_values, "UPDATED_OLD"))
            attrs = !old ? NULL
                    : upd ? ddb_update_changed(upd, a, old)
                          : pick_attrs(a, old, legacy_names);
        else if (!strcmp(r.return_values, "UPDATED_NEW"))
            attrs = upd ? ddb_update_changed(upd, a, item) : pick_attrs(a, item, legacy_names);
        if (attrs && attrs->len > 0)
            json_obj_set(a, out, "Attributes", attrs);
    }
    add_capacity(a, out, &r, write_units(size > old_size ? size : old_size));
    *resp = out;
    return 0;
}
