/* table.c - CreateTable, DescribeTable, ListTables, DeleteTable and the
 * table catalog.
 *
 * Catalog entries (sub-db `catalog`): key "ddb:table/" NAME (the prefix keeps
 * tables apart from Step Functions ARNs and makes ListTables a prefix scan),
 * value a small binary header (id, key names and types) then the
 * TableDescription JSON, so item requests read the key schema without
 * parsing JSON (see record_build). ItemCount and
 * TableSizeBytes live apart in `meta` ("ddb:count/" tid -> two i64 BE) so a
 * write does not rewrite the description. Table ids are never reused. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/rand.h"
#include "ddb/ddb_int.h"

#define CATALOG_PREFIX "ddb:table/"
#define CATALOG_PREFIX_LEN (sizeof CATALOG_PREFIX - 1)
#define META_NEXT_ID "ddb:next_table_id"
#define META_COUNT "ddb:count/"
#define META_COUNT_LEN (sizeof META_COUNT - 1)

static void put_be(uint8_t *p, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static size_t catalog_key(const char *name, char *out) {
    size_t n = strlen(name);
    memcpy(out, CATALOG_PREFIX, CATALOG_PREFIX_LEN);
    memcpy(out + CATALOG_PREFIX_LEN, name, n);
    return CATALOG_PREFIX_LEN + n;
}

/* --------------------------------------------------------------- loading */

/* Catalog value: a fixed header the item path reads without parsing JSON,
 * then the TableDescription JSON text (parsed only by the table ops).
 *   'T' 1 . id u32 . hash type . range type (0 = none) . hash name len u16
 *   . range name len u16 . hash name . range name . description JSON */
#define REC_HDR 12

static const char *record_build(arena_t *a, uint32_t id, const char *hash_name, char hash_type,
                                const char *range_name, char range_type, const char *desc_text,
                                size_t *len) {
    size_t hl = strlen(hash_name), rl = range_name ? strlen(range_name) : 0;
    size_t dl = strlen(desc_text), n = REC_HDR + hl + rl + dl;
    uint8_t *p = arena_alloc(a, n);
    p[0] = 'T';
    p[1] = 1;
    put_be(p + 2, id, 4);
    p[6] = (uint8_t)hash_type;
    p[7] = (uint8_t)(range_name ? range_type : 0);
    put_be(p + 8, hl, 2);
    put_be(p + 10, rl, 2);
    memcpy(p + REC_HDR, hash_name, hl);
    memcpy(p + REC_HDR + hl, range_name ? range_name : "", rl);
    memcpy(p + REC_HDR + hl + rl, desc_text, dl);
    *len = n;
    return (const char *)p;
}

static int table_from_record(arena_t *a, const char *name, const void *v, size_t v_len,
                             ddb_table_t *out, sw_error_t *err) {
    const uint8_t *p = v;
    size_t hl, rl;

    if (v_len < REC_HDR || p[0] != 'T' || p[1] != 1)
        return sw_error_set(err, "InternalServerError", "corrupt catalog entry for %s", name);
    hl = (size_t)get_be(p + 8, 2);
    rl = (size_t)get_be(p + 10, 2);
    if (REC_HDR + hl + rl > v_len || hl == 0)
        return sw_error_set(err, "InternalServerError", "corrupt catalog entry for %s", name);
    memset(out, 0, sizeof *out);
    out->name = arena_strdup(a, name);
    out->id = (uint32_t)get_be(p + 2, 4);
    out->hash_type = (char)p[6];
    out->hash_name = arena_strndup(a, (const char *)p + REC_HDR, hl);
    if (p[7]) {
        out->range_type = (char)p[7];
        out->range_name = arena_strndup(a, (const char *)p + REC_HDR + hl, rl);
    }
    out->desc_len = v_len - REC_HDR - hl - rl;
    out->desc_text = arena_strndup(a, (const char *)p + REC_HDR + hl + rl, out->desc_len);
    return 0;
}

json_t *ddb__table_desc(arena_t *a, ddb_table_t *t, sw_error_t *err) {
    if (!t->desc) {
        t->desc = json_parse(a, t->desc_text, t->desc_len, err);
        if (!t->desc)
            sw_error_set(err, "InternalServerError", "corrupt description of %s", t->name);
    }
    return t->desc;
}

int ddb__table_load(store_txn_t *txn, arena_t *a, const char *name, ddb_table_t *out,
                    sw_error_t *err) {
    char key[CATALOG_PREFIX_LEN + DDB_TABLE_NAME_MAX + 1];
    const void *v;
    size_t v_len;

    name = ddb__table_name_of(name);
    if (strlen(name) > DDB_TABLE_NAME_MAX ||
        !store_get(txn, STORE_CATALOG, key, catalog_key(name, key), &v, &v_len))
        return sw_error_set(err, "ResourceNotFoundException", "Requested resource not found");
    return table_from_record(a, name, v, v_len, out, err);
}

int ddb__table_from_req(store_txn_t *txn, arena_t *a, const json_t *req, ddb_table_t *out,
                        sw_error_t *err) {
    const char *name;
    ddb_verr_t verr = {0};

    if (ddb__req_str(req, "TableName", &name, err) != 0)
        return -1;
    ddb__verr_table_name(&verr, "tableName", ddb__table_name_of(name));
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    return ddb__table_load(txn, a, name, out, err);
}

/* ---------------------------------------------------------------- counts */

static void count_get(store_txn_t *txn, uint32_t id, int64_t *items, int64_t *bytes) {
    uint8_t key[META_COUNT_LEN + 4];
    const void *v;
    size_t v_len;

    memcpy(key, META_COUNT, META_COUNT_LEN);
    put_be(key + META_COUNT_LEN, id, 4);
    *items = *bytes = 0;
    if (store_get(txn, STORE_META, key, sizeof key, &v, &v_len) && v_len == 16) {
        *items = (int64_t)get_be(v, 8);
        *bytes = (int64_t)get_be((const uint8_t *)v + 8, 8);
    }
}

int ddb__table_count_add(store_txn_t *txn, uint32_t table_id, int64_t d_items,
                         int64_t d_bytes, sw_error_t *err) {
    uint8_t key[META_COUNT_LEN + 4], val[16];
    int64_t items, bytes;

    if (d_items == 0 && d_bytes == 0)
        return 0;
    count_get(txn, table_id, &items, &bytes);
    items += d_items;
    bytes += d_bytes;
    if (items < 0) items = 0;
    if (bytes < 0) bytes = 0;
    memcpy(key, META_COUNT, META_COUNT_LEN);
    put_be(key + META_COUNT_LEN, table_id, 4);
    put_be(val, (uint64_t)items, 8);
    put_be(val + 8, (uint64_t)bytes, 8);
    return store_put(txn, STORE_META, key, sizeof key, val, sizeof val, err);
}

/* The stored description with the live counters, as Describe returns it.
 * TableArn is made afresh: a table created before the server was restarted
 * with another --region or --account is then named as TagResource now
 * expects it. */
static json_t *live_desc(ddb_t *db, store_txn_t *txn, arena_t *a, ddb_table_t *t,
                         sw_error_t *err) {
    json_t *d = ddb__table_desc(a, t, err);
    int64_t items, bytes;
    if (!d)
        return NULL;
    count_get(txn, t->id, &items, &bytes);
    json_obj_set(a, d, "ItemCount", json_new_num_i64(a, items));
    json_obj_set(a, d, "TableSizeBytes", json_new_num_i64(a, bytes));
    json_obj_set(a, d, "TableArn",
                 json_new_strz(a, arena_sprintf(a, "%s%s", db->table_arn_prefix, t->name)));
    return d;
}

/* ----------------------------------------------------------- CreateTable */

static json_t *epoch_seconds(arena_t *a) {
    sw_clock_t c;
    int64_t ms;
    char txt[40];
    clock_init(&c, false);
    ms = clock_now_ms(&c);
    snprintf(txt, sizeof txt, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    return json_new_num_text(a, txt, strlen(txt));
}

static const char *enum_check(ddb_verr_t *v, const json_t *val, const char *param,
                              const char *const *allowed, const char *set_text) {
    if (!val)
        return NULL;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(val->u.str, allowed[i]))
            return allowed[i];
    ddb__verr_add(v, "Value '%.200s' at '%s' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [%s]", val->u.str, param, set_text);
    return NULL;
}

/* Checks one KeySchema array; returns the number of elements. */
static int check_key_schema(ddb_verr_t *verr, const json_t *ks, const char *param,
                            sw_error_t *err) {
    static const char *const key_types[] = {"HASH", "RANGE", NULL};
    if (!json_is_arr(ks))
        return ddb__ser_error(ks, "List", err);
    if (ks->len < 1)
        ddb__verr_add(verr, "Value '[]' at '%s' failed to satisfy constraint: Member must have "
                            "length greater than or equal to 1", param);
    if (ks->len > 2)
        ddb__verr_add(verr, "Value at '%s' failed to satisfy constraint: Member must have length "
                            "less than or equal to 2", param);
    for (size_t i = 0; i < ks->len; i++) {
        const json_t *e = ks->u.items[i], *an, *kt;
        char p[128];
        if (!json_is_obj(e))
            return ddb__ser_error(e, "Structure", err);
        an = json_obj_get(e, "AttributeName");
        kt = json_obj_get(e, "KeyType");
        if ((an && !json_is_null(an) && !json_is_str(an)))
            return ddb__ser_error(an, "an String", err);
        if ((kt && !json_is_null(kt) && !json_is_str(kt)))
            return ddb__ser_error(kt, "an String", err);
        snprintf(p, sizeof p, "%s.%zu.member.attributeName", param, i + 1);
        if (!json_is_str(an))
            ddb__verr_add(verr, "Value null at '%s' failed to satisfy constraint: Member must "
                                "not be null", p);
        else if (an->len < 1 || an->len > 255)
            ddb__verr_add(verr, "Value '%.255s' at '%s' failed to satisfy constraint: Member "
                                "must have length %s", an->u.str, p,
                          an->len < 1 ? "greater than or equal to 1" : "less than or equal to 255");
        snprintf(p, sizeof p, "%s.%zu.member.keyType", param, i + 1);
        if (!json_is_str(kt))
            ddb__verr_add(verr, "Value null at '%s' failed to satisfy constraint: Member must "
                                "not be null", p);
        else
            enum_check(verr, kt, p, key_types, "HASH, RANGE");
    }
    return 0;
}

static bool has_def(const json_t *ad, const char *name) {
    for (size_t j = 0; j < ad->len; j++)
        if (!strcmp(json_obj_get_str(ad->u.items[j], "AttributeName"), name))
            return true;
    return false;
}

/* Semantic checks of a validated KeySchema against AttributeDefinitions, in
 * the order DynamoDB applies them (recorded responses): fewer definitions
 * than key elements, undefined key attributes, same name twice, element
 * key types. */
static int key_schema_semantics(const json_t *ks, const json_t *ad, sw_error_t *err) {
    const char *h = json_obj_get_str(ks->u.items[0], "AttributeName");
    char keys[600] = "", defs[600] = "";
    size_t kl = 0, dl = 0;

    if (ad->len < ks->len)
        return sw_error_set(err, "ValidationException",
                            "Invalid KeySchema: Some index key attribute have no definition");
    for (size_t k = 0; k < ks->len; k++) {
        const char *an = json_obj_get_str(ks->u.items[k], "AttributeName");
        if (!has_def(ad, an) && kl < sizeof keys)
            kl += (size_t)snprintf(keys + kl, sizeof keys - kl, "%s%s", kl ? ", " : "", an);
    }
    if (kl) {
        for (size_t k = 0; k < ad->len && dl < sizeof defs; k++)
            dl += (size_t)snprintf(defs + dl, sizeof defs - dl, "%s%s", k ? ", " : "",
                                   json_obj_get_str(ad->u.items[k], "AttributeName"));
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: Some index key "
                            "attributes are not defined in AttributeDefinitions. Keys: [%s], "
                            "AttributeDefinitions: [%s]", keys, defs);
    }
    if (ks->len == 2 && !strcmp(h, json_obj_get_str(ks->u.items[1], "AttributeName")))
        return sw_error_set(err, "ValidationException",
                            "Both the Hash Key and the Range Key element in the KeySchema have "
                            "the same name");
    if (strcmp(json_obj_get_str(ks->u.items[0], "KeyType"), "HASH") != 0)
        return sw_error_set(err, "ValidationException",
                            "Invalid KeySchema: The first KeySchemaElement is not a HASH key "
                            "type");
    if (ks->len == 2 && strcmp(json_obj_get_str(ks->u.items[1], "KeyType"), "RANGE") != 0)
        return sw_error_set(err, "ValidationException",
                            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key "
                            "type");
    return 0;
}

static json_t *key_schema_copy(arena_t *a, const json_t *ks) {
    json_t *out = json_new_arr(a);
    for (size_t i = 0; i < ks->len; i++) {
        json_t *e = json_new_obj(a);
        json_obj_set(a, e, "AttributeName",
                     json_new_strz(a, json_obj_get_str(ks->u.items[i], "AttributeName")));
        json_obj_set(a, e, "KeyType", json_new_strz(a, json_obj_get_str(ks->u.items[i], "KeyType")));
        json_arr_push(a, out, e);
    }
    return out;
}

static json_t *throughput_desc(arena_t *a, int64_t rcu, int64_t wcu) {
    json_t *pt = json_new_obj(a);
    json_obj_set(a, pt, "NumberOfDecreasesToday", json_new_num_i64(a, 0));
    json_obj_set(a, pt, "ReadCapacityUnits", json_new_num_i64(a, rcu));
    json_obj_set(a, pt, "WriteCapacityUnits", json_new_num_i64(a, wcu));
    return pt;
}

/* Reads ProvisionedThroughput; *has set when given. */
static int read_throughput(ddb_verr_t *verr, const json_t *req, const char *param_prefix,
                           bool *has, int64_t *rcu, int64_t *wcu, sw_error_t *err) {
    const json_t *pt;
    bool has_r, has_w;
    char p[160];

    *has = false;
    *rcu = *wcu = 0;
    if (ddb__req_obj(req, "ProvisionedThroughput", &pt, err) != 0)
        return -1;
    if (!pt)
        return 0;
    *has = true;
    if (ddb__req_int(pt, "ReadCapacityUnits", &has_r, rcu, err) != 0 ||
        ddb__req_int(pt, "WriteCapacityUnits", &has_w, wcu, err) != 0)
        return -1;
    snprintf(p, sizeof p, "%sprovisionedThroughput.writeCapacityUnits", param_prefix);
    if (!has_w)
        ddb__verr_add(verr, "Value null at '%s' failed to satisfy constraint: Member must not be "
                            "null", p);
    else if (*wcu < 1)
        ddb__verr_add(verr, "Value '%lld' at '%s' failed to satisfy constraint: Member must have "
                            "value greater than or equal to 1", (long long)*wcu, p);
    snprintf(p, sizeof p, "%sprovisionedThroughput.readCapacityUnits", param_prefix);
    if (!has_r)
        ddb__verr_add(verr, "Value null at '%s' failed to satisfy constraint: Member must not be "
                            "null", p);
    else if (*rcu < 1)
        ddb__verr_add(verr, "Value '%lld' at '%s' failed to satisfy constraint: Member must have "
                            "value greater than or equal to 1", (long long)*rcu, p);
    return 0;
}

static int alloc_table_id(store_txn_t *txn, uint32_t *out, sw_error_t *err) {
    const void *v;
    size_t v_len;
    uint8_t buf[4];
    uint32_t id = 1;

    if (store_get(txn, STORE_META, META_NEXT_ID, sizeof META_NEXT_ID - 1, &v, &v_len) &&
        v_len == 4)
        id = (uint32_t)get_be(v, 4);
    put_be(buf, id + 1, 4);
    if (store_put(txn, STORE_META, META_NEXT_ID, sizeof META_NEXT_ID - 1, buf, 4, err) != 0)
        return -1;
    *out = id;
    return 0;
}

int ddb__op_create_table(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                         json_t **resp, sw_error_t *err) {
    static const char *const attr_types[] = {"B", "N", "S", NULL};
    static const char *const billing_modes[] = {"PROVISIONED", "PAY_PER_REQUEST", NULL};
    static const char *const table_classes[] = {"STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL};
    const char *name, *billing_str, *table_class;
    const json_t *ad, *ks, *lsi, *gsi;
    bool has_pt, is_protected;
    int64_t rcu, wcu;
    ddb_verr_t verr = {0};
    char key[CATALOG_PREFIX_LEN + DDB_TABLE_NAME_MAX + 1];
    size_t key_len, n_used = 0;
    const void *v;
    size_t v_len;
    uint32_t id;
    char uuid[SW_UUID_LEN + 1];
    json_t *desc, *out_resp, *ad_copy;
    const char *rec_text;
    size_t rec_len;

    if (ddb__req_arr(req, "AttributeDefinitions", &ad, err) != 0 ||
        ddb__req_str(req, "TableName", &name, err) != 0 ||
        ddb__req_arr(req, "KeySchema", &ks, err) != 0 ||
        ddb__req_arr(req, "LocalSecondaryIndexes", &lsi, err) != 0 ||
        ddb__req_arr(req, "GlobalSecondaryIndexes", &gsi, err) != 0 ||
        ddb__req_str(req, "BillingMode", &billing_str, err) != 0 ||
        ddb__req_str(req, "TableClass", &table_class, err) != 0 ||
        ddb__req_bool(req, "DeletionProtectionEnabled", &is_protected, err) != 0)
        return -1;

    /* Parameter constraints, reported together. */
    if (ad) {
        for (size_t i = 0; i < ad->len; i++) {
            const json_t *e = ad->u.items[i], *an, *at;
            char p[96];
            if (!json_is_obj(e))
                return ddb__ser_error(e, "Structure", err);
            an = json_obj_get(e, "AttributeName");
            at = json_obj_get(e, "AttributeType");
            if (an && !json_is_null(an) && !json_is_str(an))
                return ddb__ser_error(an, "an String", err);
            if (at && !json_is_null(at) && !json_is_str(at))
                return ddb__ser_error(at, "an String", err);
            snprintf(p, sizeof p, "attributeDefinitions.%zu.member.attributeType", i + 1);
            if (!json_is_str(at))
                ddb__verr_add(&verr, "Value null at '%s' failed to satisfy constraint: Member "
                                     "must not be null", p);
            else
                enum_check(&verr, at, p, attr_types, "B, N, S");
            snprintf(p, sizeof p, "attributeDefinitions.%zu.member.attributeName", i + 1);
            if (!json_is_str(an))
                ddb__verr_add(&verr, "Value null at '%s' failed to satisfy constraint: Member "
                                     "must not be null", p);
        }
    } else {
        ddb__verr_add(&verr, "Value null at 'attributeDefinitions' failed to satisfy constraint: "
                             "Member must not be null");
    }
    ddb__verr_table_name(&verr, "tableName", name);
    if (ks) {
        if (check_key_schema(&verr, ks, "keySchema", err) != 0)
            return -1;
    } else {
        ddb__verr_add(&verr, "Value null at 'keySchema' failed to satisfy constraint: Member "
                             "must not be null");
    }
    if (billing_str)
        enum_check(&verr, json_obj_get(req, "BillingMode"), "billingMode", billing_modes,
                   "PROVISIONED, PAY_PER_REQUEST");
    if (table_class)
        enum_check(&verr, json_obj_get(req, "TableClass"), "tableClass", table_classes,
                   "STANDARD, STANDARD_INFREQUENT_ACCESS");
    if (read_throughput(&verr, req, "", &has_pt, &rcu, &wcu, err) != 0)
        return -1;
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;

    /* Semantics, in the order DynamoDB checks them. */
    for (size_t i = 0; i < ad->len; i++)
        for (size_t j = i + 1; j < ad->len; j++)
            if (!strcmp(json_obj_get_str(ad->u.items[i], "AttributeName"),
                        json_obj_get_str(ad->u.items[j], "AttributeName")))
                return sw_error_set(err, "ValidationException",
                                    "Cannot have two attributes with the same name");
    if (key_schema_semantics(ks, ad, err) != 0)
        return -1;
    if (lsi || gsi)
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: secondary indexes are "
                            "not supported yet by this server");
    for (size_t j = 0; j < ad->len; j++) {
        const char *dn = json_obj_get_str(ad->u.items[j], "AttributeName");
        for (size_t i = 0; i < ks->len; i++)
            if (!strcmp(json_obj_get_str(ks->u.items[i], "AttributeName"), dn)) {
                n_used++;
                break;
            }
    }
    if (n_used != ad->len)
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: Number of attributes in "
                            "KeySchema does not exactly match number of attributes defined in "
                            "AttributeDefinitions");
    if (billing_str && !strcmp(billing_str, "PAY_PER_REQUEST")) {
        if (has_pt)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values were invalid: Neither "
                                "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                "BillingMode is PAY_PER_REQUEST");
    } else if (!has_pt) {
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: ReadCapacityUnits and "
                            "WriteCapacityUnits must both be specified when BillingMode is "
                            "PROVISIONED");
    }

    key_len = catalog_key(name, key);
    if (store_get(txn, STORE_CATALOG, key, key_len, &v, &v_len))
        return sw_error_set(err, "ResourceInUseException", "Table already exists: %s", name);
    if (alloc_table_id(txn, &id, err) != 0)
        return -1;

    /* The description, member order as DynamoDB sends it. */
    sw_uuid_v4(uuid);
    desc = json_new_obj(a);
    ad_copy = json_new_arr(a);
    for (size_t i = 0; i < ad->len; i++) {
        json_t *e = json_new_obj(a);
        json_obj_set(a, e, "AttributeName",
                     json_new_strz(a, json_obj_get_str(ad->u.items[i], "AttributeName")));
        json_obj_set(a, e, "AttributeType",
                     json_new_strz(a, json_obj_get_str(ad->u.items[i], "AttributeType")));
        json_arr_push(a, ad_copy, e);
    }
    json_obj_set(a, desc, "AttributeDefinitions", ad_copy);
    json_obj_set(a, desc, "TableName", json_new_strz(a, name));
    json_obj_set(a, desc, "KeySchema", key_schema_copy(a, ks));
    json_obj_set(a, desc, "TableStatus", json_new_strz(a, "ACTIVE"));
    json_obj_set(a, desc, "CreationDateTime", epoch_seconds(a));
    json_obj_set(a, desc, "ProvisionedThroughput", throughput_desc(a, rcu, wcu));
    json_obj_set(a, desc, "TableSizeBytes", json_new_num_i64(a, 0));
    json_obj_set(a, desc, "ItemCount", json_new_num_i64(a, 0));
    json_obj_set(a, desc, "TableArn", json_new_strz(a, arena_sprintf(a, "%s%s", db->table_arn_prefix, name)));
    json_obj_set(a, desc, "TableId", json_new_strz(a, uuid));
    if (billing_str) {
        json_t *bm = json_new_obj(a);
        json_obj_set(a, bm, "BillingMode", json_new_strz(a, billing_str));
        if (!strcmp(billing_str, "PAY_PER_REQUEST"))
            json_obj_set(a, bm, "LastUpdateToPayPerRequestDateTime",
                         json_clone(a, json_obj_get(desc, "CreationDateTime")));
        json_obj_set(a, desc, "BillingModeSummary", bm);
    }
    if (table_class) {
        json_t *tc = json_new_obj(a);
        json_obj_set(a, tc, "TableClass", json_new_strz(a, table_class));
        json_obj_set(a, desc, "TableClassSummary", tc);
    }
    json_obj_set(a, desc, "DeletionProtectionEnabled", json_new_bool(a, is_protected));

    {
        const char *h = json_obj_get_str(ks->u.items[0], "AttributeName"), *r = NULL;
        char h_type = 0, r_type = 0;
        if (ks->len == 2)
            r = json_obj_get_str(ks->u.items[1], "AttributeName");
        for (size_t i = 0; i < ad->len; i++) {
            const char *dn = json_obj_get_str(ad->u.items[i], "AttributeName");
            char dt = json_obj_get_str(ad->u.items[i], "AttributeType")[0];
            if (!strcmp(dn, h)) h_type = dt;
            if (r && !strcmp(dn, r)) r_type = dt;
        }
        rec_text = record_build(a, id, h, h_type, r, r_type, json_to_str(a, desc), &rec_len);
    }
    if (store_put(txn, STORE_CATALOG, key, key_len, rec_text, rec_len, err) != 0)
        return -1;

    out_resp = json_new_obj(a);
    json_obj_set(a, out_resp, "TableDescription", desc);
    *resp = out_resp;
    return 0;
}

/* --------------------------------------------------------- DescribeTable */

int ddb__op_describe_table(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                           json_t **resp, sw_error_t *err) {
    ddb_table_t t;
    json_t *out;

    if (ddb__table_from_req(txn, a, req, &t, err) != 0) {
        if (err && err->type && !strcmp(err->type, "ResourceNotFoundException"))
            sw_error_set(err, "ResourceNotFoundException",
                         "Requested resource not found: Table: %s not found",
                         json_obj_get_str(req, "TableName"));
        return -1;
    }
    out = json_new_obj(a);
    {
        json_t *d = live_desc(db, txn, a, &t, err);
        if (!d)
            return -1;
        json_obj_set(a, out, "Table", d);
    }
    *resp = out;
    return 0;
}

/* ------------------------------------------------------------ ListTables */

int ddb__op_list_tables(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                        json_t **resp, sw_error_t *err) {
    const char *start;
    bool has_limit;
    int64_t limit;
    ddb_verr_t verr = {0};
    store_cursor_t *c;
    char seek[CATALOG_PREFIX_LEN + DDB_TABLE_NAME_MAX + 2];
    size_t seek_len;
    const void *k;
    size_t k_len;
    bool ok;
    json_t *names = json_new_arr(a), *out = json_new_obj(a);
    const char *last = NULL;
    (void)db;

    if (ddb__req_str(req, "ExclusiveStartTableName", &start, err) != 0 ||
        ddb__req_int(req, "Limit", &has_limit, &limit, err) != 0)
        return -1;
    if (start)
        ddb__verr_table_name(&verr, "exclusiveStartTableName", start);
    if (has_limit && limit < 1)
        ddb__verr_add(&verr, "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                             "have value greater than or equal to 1", (long long)limit);
    if (has_limit && limit > 100)
        ddb__verr_add(&verr, "Value '%lld' at 'limit' failed to satisfy constraint: Member must "
                             "have value less than or equal to 100", (long long)limit);
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (!has_limit)
        limit = 100;

    seek_len = catalog_key(start ? start : "", seek);
    if (start)
        seek[seek_len++] = '\0';  /* the first name after `start` */
    if (store_cursor_open(txn, STORE_CATALOG, &c, err) != 0)
        return -1;
    for (ok = store_cursor_seek(c, seek, seek_len, &k, &k_len, NULL, NULL); ok;
         ok = store_cursor_next(c, &k, &k_len, NULL, NULL)) {
        if (k_len < CATALOG_PREFIX_LEN || memcmp(k, CATALOG_PREFIX, CATALOG_PREFIX_LEN) != 0)
            break;
        if ((int64_t)names->len == limit) {
            /* More remain: tell the client where to resume. */
            json_obj_set(a, out, "LastEvaluatedTableName", json_new_strz(a, last));
            break;
        }
        last = arena_strndup(a, (const char *)k + CATALOG_PREFIX_LEN, k_len - CATALOG_PREFIX_LEN);
        json_arr_push(a, names, json_new_strz(a, last));
    }
    store_cursor_close(c);
    json_obj_set(a, out, "TableNames", names);
    {
        /* TableNames first, as DynamoDB orders the members. */
        json_t *ordered = json_new_obj(a);
        json_obj_set(a, ordered, "TableNames", names);
        if (json_obj_get(out, "LastEvaluatedTableName"))
            json_obj_set(a, ordered, "LastEvaluatedTableName",
                         json_obj_get(out, "LastEvaluatedTableName"));
        out = ordered;
    }
    *resp = out;
    return 0;
}

static int drop_table_meta(store_txn_t *txn, uint32_t id, sw_error_t *err);

/* ----------------------------------------------------------- DeleteTable */

int ddb__op_delete_table(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                         json_t **resp, sw_error_t *err) {
    ddb_table_t t;
    json_t *desc, *out;
    char key[CATALOG_PREFIX_LEN + DDB_TABLE_NAME_MAX + 1];
    uint8_t ckey[META_COUNT_LEN + 4];
    const json_t *prot;

    if (ddb__table_from_req(txn, a, req, &t, err) != 0) {
        if (err && err->type && !strcmp(err->type, "ResourceNotFoundException"))
            sw_error_set(err, "ResourceNotFoundException",
                         "Requested resource not found: Table: %s not found",
                         json_obj_get_str(req, "TableName"));
        return -1;
    }
    desc = live_desc(db, txn, a, &t, err);
    if (!desc)
        return -1;
    prot = json_obj_get(desc, "DeletionProtectionEnabled");
    if (prot && prot->type == JSON_TRUE)
        return sw_error_set(err, "ValidationException",
                            "Resource cannot be deleted as it is currently protected against "
                            "deletion. Disable deletion protection first.");
    json_obj_set(a, desc, "TableStatus", json_new_strz(a, "DELETING"));
    if (store_del(txn, STORE_CATALOG, key, catalog_key(t.name, key), err) != 0 ||
        ddb__items_drop_table(txn, t.id, err) != 0)
        return -1;
    memcpy(ckey, META_COUNT, META_COUNT_LEN);
    put_be(ckey + META_COUNT_LEN, t.id, 4);
    if (store_del(txn, STORE_META, ckey, sizeof ckey, err) != 0 ||
        drop_table_meta(txn, t.id, err) != 0)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "TableDescription", desc);
    *resp = out;
    return 0;
}

/* ------------------------------------------- UpdateTable, TTL, tags, limits */

#define META_TTL "ddb:ttl/"
#define META_TAGS "ddb:tags/"

static size_t meta_key(const char *prefix, uint32_t id, uint8_t *out) {
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    put_be(out + n, id, 4);
    return n + 4;
}

/* Loads the table of `req` with DescribeTable's not-found wording. */
static int load_named(store_txn_t *txn, arena_t *a, const json_t *req, ddb_table_t *t,
                      sw_error_t *err) {
    if (ddb__table_from_req(txn, a, req, t, err) == 0)
        return 0;
    if (err && err->type && !strcmp(err->type, "ResourceNotFoundException"))
        sw_error_set(err, "ResourceNotFoundException",
                     "Requested resource not found: Table: %s not found",
                     json_obj_get_str(req, "TableName"));
    return -1;
}

static int store_desc(store_txn_t *txn, arena_t *a, const ddb_table_t *t, const json_t *desc,
                      sw_error_t *err) {
    char key[CATALOG_PREFIX_LEN + DDB_TABLE_NAME_MAX + 1];
    size_t len;
    const char *rec = record_build(a, t->id, t->hash_name, t->hash_type, t->range_name,
                                   t->range_type, json_to_str(a, desc), &len);
    return store_put(txn, STORE_CATALOG, key, catalog_key(t->name, key), rec, len, err);
}

/* Drops the TTL and tag records of a deleted table. */
static int drop_table_meta(store_txn_t *txn, uint32_t id, sw_error_t *err) {
    uint8_t k[32];
    if (store_del(txn, STORE_META, k, meta_key(META_TTL, id, k), err) != 0 ||
        store_del(txn, STORE_META, k, meta_key(META_TAGS, id, k), err) != 0)
        return -1;
    return 0;
}

int ddb__op_update_table(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                         json_t **resp, sw_error_t *err) {
    static const char *const billing_modes[] = {"PROVISIONED", "PAY_PER_REQUEST", NULL};
    static const char *const table_classes[] = {"STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL};
    const char *name, *billing_str, *table_class, *cur_billing = "PROVISIONED";
    const json_t *prot_v, *bms;
    bool has_pt, is_protected;
    int64_t rcu, wcu;
    ddb_verr_t verr = {0};
    ddb_table_t t;
    json_t *desc, *out;

    if (ddb__req_str(req, "TableName", &name, err) != 0 ||
        ddb__req_str(req, "BillingMode", &billing_str, err) != 0 ||
        ddb__req_str(req, "TableClass", &table_class, err) != 0 ||
        ddb__req_bool(req, "DeletionProtectionEnabled", &is_protected, err) != 0)
        return -1;
    ddb__verr_table_name(&verr, "tableName", ddb__table_name_of(name));
    if (billing_str)
        enum_check(&verr, json_obj_get(req, "BillingMode"), "billingMode", billing_modes,
                   "PROVISIONED, PAY_PER_REQUEST");
    if (table_class)
        enum_check(&verr, json_obj_get(req, "TableClass"), "tableClass", table_classes,
                   "STANDARD, STANDARD_INFREQUENT_ACCESS");
    if (read_throughput(&verr, req, "", &has_pt, &rcu, &wcu, err) != 0)
        return -1;
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    prot_v = json_obj_get(req, "DeletionProtectionEnabled");
    if (prot_v && json_is_null(prot_v))
        prot_v = NULL;
    {
        static const char *const unsupported[] = {"GlobalSecondaryIndexUpdates",
                                                  "ReplicaUpdates", "StreamSpecification",
                                                  "SSESpecification", NULL};
        for (size_t i = 0; unsupported[i]; i++) {
            const json_t *v = json_obj_get(req, unsupported[i]);
            if (v && !json_is_null(v))
                return sw_error_set(err, "ValidationException",
                                    "One or more parameter values were invalid: %s is not "
                                    "supported yet by this server", unsupported[i]);
        }
    }
    if (!billing_str && !has_pt && !prot_v && !table_class)
        return sw_error_set(err, "ValidationException",
                            "At least one of ProvisionedThroughput, BillingMode, "
                            "UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
                            "SSESpecification or ReplicaUpdates is required");
    if (load_named(txn, a, req, &t, err) != 0)
        return -1;
    desc = ddb__table_desc(a, &t, err);
    if (!desc)
        return -1;
    bms = json_obj_get(desc, "BillingModeSummary");
    if (bms && json_obj_get_str(bms, "BillingMode"))
        cur_billing = json_obj_get_str(bms, "BillingMode");
    if (!billing_str)
        billing_str = cur_billing;
    if (!strcmp(billing_str, "PAY_PER_REQUEST")) {
        if (has_pt)
            return sw_error_set(err, "ValidationException",
                                "One or more parameter values were invalid: Neither "
                                "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                "BillingMode is PAY_PER_REQUEST");
    } else if (!has_pt && strcmp(cur_billing, "PROVISIONED") != 0) {
        return sw_error_set(err, "ValidationException",
                            "One or more parameter values were invalid: ProvisionedThroughput "
                            "must be specified when BillingMode is PROVISIONED");
    }

    if (strcmp(billing_str, cur_billing) != 0 || json_obj_get(req, "BillingMode")) {
        json_t *bm = json_new_obj(a);
        json_obj_set(a, bm, "BillingMode", json_new_strz(a, billing_str));
        if (!strcmp(billing_str, "PAY_PER_REQUEST")) {
            json_obj_set(a, bm, "LastUpdateToPayPerRequestDateTime",
                         strcmp(cur_billing, "PAY_PER_REQUEST") != 0
                             ? epoch_seconds(a)
                             : json_obj_get(bms, "LastUpdateToPayPerRequestDateTime")
                                   ? json_obj_get(bms, "LastUpdateToPayPerRequestDateTime")
                                   : epoch_seconds(a));
            json_obj_set(a, desc, "ProvisionedThroughput", throughput_desc(a, 0, 0));
        }
        json_obj_set(a, desc, "BillingModeSummary", bm);
    }
    if (has_pt)
        json_obj_set(a, desc, "ProvisionedThroughput", throughput_desc(a, rcu, wcu));
    if (prot_v)
        json_obj_set(a, desc, "DeletionProtectionEnabled", json_new_bool(a, is_protected));
    if (table_class) {
        json_t *tc = json_new_obj(a);
        json_obj_set(a, tc, "TableClass", json_new_strz(a, table_class));
        json_obj_set(a, desc, "TableClassSummary", tc);
    }
    if (store_desc(txn, a, &t, desc, err) != 0)
        return -1;
    desc = live_desc(db, txn, a, &t, err);
    if (!desc)
        return -1;
    /* AWS answers while the change is applied; Describe then says ACTIVE. */
    json_obj_set(a, desc, "TableStatus", json_new_strz(a, "UPDATING"));
    out = json_new_obj(a);
    json_obj_set(a, out, "TableDescription", desc);
    *resp = out;
    return 0;
}

int ddb__op_describe_time_to_live(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                                  json_t **resp, sw_error_t *err) {
    ddb_table_t t;
    uint8_t k[32];
    const void *v;
    size_t v_len;
    json_t *d = json_new_obj(a), *out = json_new_obj(a);
    (void)db;

    if (load_named(txn, a, req, &t, err) != 0)
        return -1;
    if (store_get(txn, STORE_META, k, meta_key(META_TTL, t.id, k), &v, &v_len)) {
        json_obj_set(a, d, "TimeToLiveStatus", json_new_strz(a, "ENABLED"));
        json_obj_set(a, d, "AttributeName", json_new_str(a, v, v_len));
    } else {
        json_obj_set(a, d, "TimeToLiveStatus", json_new_strz(a, "DISABLED"));
    }
    json_obj_set(a, out, "TimeToLiveDescription", d);
    *resp = out;
    return 0;
}

int ddb__op_update_time_to_live(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                                json_t **resp, sw_error_t *err) {
    const json_t *spec;
    const char *name, *attr = NULL;
    bool is_enabled = false, has_enabled = false;
    ddb_verr_t verr = {0};
    ddb_table_t t;
    uint8_t k[32];
    size_t k_len;
    const void *v;
    size_t v_len;
    json_t *out_spec, *out;
    (void)db;

    if (ddb__req_str(req, "TableName", &name, err) != 0 ||
        ddb__req_obj(req, "TimeToLiveSpecification", &spec, err) != 0)
        return -1;
    if (spec) {
        has_enabled = json_obj_get(spec, "Enabled") && !json_is_null(json_obj_get(spec, "Enabled"));
        if (ddb__req_str(spec, "AttributeName", &attr, err) != 0 ||
            ddb__req_bool(spec, "Enabled", &is_enabled, err) != 0)
            return -1;
    }
    ddb__verr_table_name(&verr, "tableName", ddb__table_name_of(name));
    if (!spec) {
        ddb__verr_add(&verr, "Value null at 'timeToLiveSpecification' failed to satisfy "
                             "constraint: Member must not be null");
    } else {
        if (!attr)
            ddb__verr_add(&verr, "Value null at 'timeToLiveSpecification.attributeName' failed "
                                 "to satisfy constraint: Member must not be null");
        else if (!*attr || strlen(attr) > 255)
            ddb__verr_add(&verr, "Value '%.255s' at 'timeToLiveSpecification.attributeName' "
                                 "failed to satisfy constraint: Member must have length %s", attr,
                          *attr ? "less than or equal to 255" : "greater than or equal to 1");
        if (!has_enabled)
            ddb__verr_add(&verr, "Value null at 'timeToLiveSpecification.enabled' failed to "
                                 "satisfy constraint: Member must not be null");
    }
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (load_named(txn, a, req, &t, err) != 0)
        return -1;
    k_len = meta_key(META_TTL, t.id, k);
    if (store_get(txn, STORE_META, k, k_len, &v, &v_len)) {
        if (is_enabled)
            return sw_error_set(err, "ValidationException", "TimeToLive is already enabled");
        if (store_del(txn, STORE_META, k, k_len, err) != 0)
            return -1;
    } else {
        if (!is_enabled)
            return sw_error_set(err, "ValidationException", "TimeToLive is already disabled");
        if (store_put(txn, STORE_META, k, k_len, attr, strlen(attr), err) != 0)
            return -1;
    }
    out_spec = json_new_obj(a);
    json_obj_set(a, out_spec, "Enabled", json_new_bool(a, is_enabled));
    json_obj_set(a, out_spec, "AttributeName", json_new_strz(a, attr));
    out = json_new_obj(a);
    json_obj_set(a, out, "TimeToLiveSpecification", out_spec);
    *resp = out;
    return 0;
}

/* The table an ARN names (`db`'s region and account only, as
 * ddb_set_location set them). */
static int table_of_arn(ddb_t *db, store_txn_t *txn, arena_t *a, const json_t *req,
                        ddb_table_t *t, sw_error_t *err) {
    const char *arn;
    ddb_verr_t verr = {0};
    size_t plen = strlen(db->table_arn_prefix);

    if (ddb__req_str(req, "ResourceArn", &arn, err) != 0)
        return -1;
    if (!arn)
        ddb__verr_add(&verr, "Value null at 'resourceArn' failed to satisfy constraint: Member "
                             "must not be null");
    else if (strlen(arn) > 1283 || !*arn)
        ddb__verr_add(&verr, "Value '%.100s' at 'resourceArn' failed to satisfy constraint: "
                             "Member must have length %s", arn,
                      *arn ? "less than or equal to 1283" : "greater than or equal to 1");
    if (ddb__verr_finish(&verr, err) != 0)
        return -1;
    if (strncmp(arn, db->table_arn_prefix, plen) != 0 || strchr(arn + plen, '/') ||
        ddb__table_load(txn, a, arn + plen, t, NULL) != 0)
        return sw_error_set(err, "ResourceNotFoundException",
                            "Requested resource not found: ResourcArn: %.300s not found", arn);
    return 0;
}

static json_t *tags_load(store_txn_t *txn, arena_t *a, uint32_t id) {
    uint8_t k[32];
    const void *v;
    size_t v_len;
    json_t *tags = NULL;
    if (store_get(txn, STORE_META, k, meta_key(META_TAGS, id, k), &v, &v_len))
        tags = json_parse(a, v, v_len, NULL);
    return json_is_arr(tags) ? tags : json_new_arr(a);
}

static int tags_store(store_txn_t *txn, arena_t *a, uint32_t id, const json_t *tags,
                      sw_error_t *err) {
    uint8_t k[32];
    size_t k_len = meta_key(META_TAGS, id, k);
    const char *text;
    if (tags->len == 0)
        return store_del(txn, STORE_META, k, k_len, err);
    text = json_to_str(a, tags);
    return store_put(txn, STORE_META, k, k_len, text, strlen(text), err);
}

int ddb__op_tag_resource(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                         json_t **resp, sw_error_t *err) {
    const json_t *tags_in;
    ddb_table_t t;
    json_t *tags;

    if (ddb__req_arr(req, "Tags", &tags_in, err) != 0)
        return -1;
    for (size_t i = 0; tags_in && i < tags_in->len; i++) {
        const json_t *e = tags_in->u.items[i];
        const char *k, *v;
        if (!json_is_obj(e))
            return ddb__ser_error(e, "Structure", err);
        if (ddb__req_str(e, "Key", &k, err) != 0 || ddb__req_str(e, "Value", &v, err) != 0)
            return -1;
        if (!k || !v || !*k || strlen(k) > 128 || strlen(v) > 256)
            return sw_error_set(err, "ValidationException",
                                "1 validation error detected: Value at 'tags.%zu.member' failed "
                                "to satisfy constraint: Key must be 1 to 128 characters and Value "
                                "0 to 256", i + 1);
    }
    if (!tags_in)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value null at 'tags' failed to satisfy "
                            "constraint: Member must not be null");
    if (table_of_arn(db, txn, a, req, &t, err) != 0)
        return -1;
    tags = tags_load(txn, a, t.id);
    for (size_t i = 0; i < tags_in->len; i++) {
        const char *k = json_obj_get_str(tags_in->u.items[i], "Key");
        json_t *e = json_new_obj(a);
        bool replaced = false;
        json_obj_set(a, e, "Key", json_new_strz(a, k));
        json_obj_set(a, e, "Value",
                     json_new_strz(a, json_obj_get_str(tags_in->u.items[i], "Value")));
        for (size_t j = 0; j < tags->len; j++)
            if (!strcmp(json_obj_get_str(tags->u.items[j], "Key"), k)) {
                tags->u.items[j] = e;
                replaced = true;
            }
        if (!replaced)
            json_arr_push(a, tags, e);
    }
    if (tags->len > 50)
        return sw_error_set(err, "LimitExceededException",
                            "The number of tags on the resource exceeds the limit of 50");
    if (tags_store(txn, a, t.id, tags, err) != 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;
}

int ddb__op_untag_resource(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                           json_t **resp, sw_error_t *err) {
    const json_t *keys;
    ddb_table_t t;
    json_t *tags, *kept;

    if (ddb__req_arr(req, "TagKeys", &keys, err) != 0)
        return -1;
    for (size_t i = 0; keys && i < keys->len; i++)
        if (!json_is_str(keys->u.items[i]))
            return ddb__ser_error(keys->u.items[i], "an String", err);
    if (!keys)
        return sw_error_set(err, "ValidationException",
                            "1 validation error detected: Value null at 'tagKeys' failed to "
                            "satisfy constraint: Member must not be null");
    if (table_of_arn(db, txn, a, req, &t, err) != 0)
        return -1;
    tags = tags_load(txn, a, t.id);
    kept = json_new_arr(a);
    for (size_t j = 0; j < tags->len; j++) {
        const char *k = json_obj_get_str(tags->u.items[j], "Key");
        bool drop = false;
        for (size_t i = 0; i < keys->len; i++)
            if (!strcmp(keys->u.items[i]->u.str, k))
                drop = true;
        if (!drop)
            json_arr_push(a, kept, tags->u.items[j]);
    }
    if (tags_store(txn, a, t.id, kept, err) != 0)
        return -1;
    *resp = json_new_obj(a);
    return 0;
}

int ddb__op_list_tags_of_resource(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                                  json_t **resp, sw_error_t *err) {
    ddb_table_t t;
    json_t *out;

    if (table_of_arn(db, txn, a, req, &t, err) != 0)
        return -1;
    out = json_new_obj(a);
    json_obj_set(a, out, "Tags", tags_load(txn, a, t.id));
    *resp = out;
    return 0;
}

int ddb__op_describe_limits(ddb_t *db, store_txn_t *txn, const json_t *req, arena_t *a,
                            json_t **resp, sw_error_t *err) {
    json_t *out = json_new_obj(a);
    (void)db;
    (void)txn;
    (void)req;
    (void)err;
    /* DynamoDB's default quotas. */
    json_obj_set(a, out, "AccountMaxReadCapacityUnits", json_new_num_i64(a, 80000));
    json_obj_set(a, out, "AccountMaxWriteCapacityUnits", json_new_num_i64(a, 80000));
    json_obj_set(a, out, "TableMaxReadCapacityUnits", json_new_num_i64(a, 40000));
    json_obj_set(a, out, "TableMaxWriteCapacityUnits", json_new_num_i64(a, 40000));
    *resp = out;
    return 0;
}
