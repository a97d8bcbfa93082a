/* fuzz_ddb_call.c - libFuzzer target for the DynamoDB engine's door,
 * ddb_call / ddb_call_txn, with request bodies from the input.
 *
 * Input: the first byte picks the operation (low 4 bits, from OPS below)
 * and the mode (bit 0x80 set: ddb_call, which commits; clear: ddb_call_txn
 * in a write transaction that is then aborted, so the store stays as it was
 * set up); the rest is the JSON request body. The store is opened once per
 * process in a temporary directory (removed at exit) holding table "Tab"
 * (pk S, sk N) and table "Hsh" (pk B) with a few items.
 *
 * Checks: never crashes or leaks; success gives a response that prints as
 * valid JSON; failure gives an error type with an HTTP status and changes
 * nothing in the store (every sub-database is hashed before and after);
 * an item PutItem or UpdateItem wrote reads back equal with GetItem. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "ddb/ddb.h"
#include "ddb/ddb_int.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const OPS[16] = {
    "CreateTable", "PutItem",  "GetItem",       "UpdateItem",
    "DeleteItem",  "DescribeTable", "PutItem",  "UpdateItem",
    "Query",       "Scan",     "BatchWriteItem", "BatchGetItem",
    "TransactWriteItems", "TransactGetItems", "DeleteTable", "UpdateTable"};

static const char *const SETUP[][2] = {
    {"CreateTable",
     "{\"TableName\":\"Tab\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
     "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
     "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
     "\"AttributeType\":\"N\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"},
    {"CreateTable",
     "{\"TableName\":\"Hsh\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
     "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"B\"}],"
     "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":5}}"},
    {"PutItem", "{\"TableName\":\"Tab\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},"
                "\"n\":{\"N\":\"5\"},\"s\":{\"SS\":[\"x\",\"y\"]},\"l\":{\"L\":[{\"S\":\"t\"}]},"
                "\"m\":{\"M\":{\"k\":{\"BOOL\":true}}}}}"},
    {"PutItem", "{\"TableName\":\"Tab\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"-2.5\"}}}"},
    {"PutItem", "{\"TableName\":\"Tab\",\"Item\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"0\"},"
                "\"v\":{\"NULL\":true}}}"},
    {"PutItem", "{\"TableName\":\"Hsh\",\"Item\":{\"pk\":{\"B\":\"AQI=\"},\"x\":{\"BS\":[\"AQ==\"]}}}"},
};

static char dir[64];
static store_t *store;
static ddb_t *db;
static unsigned n_commits;

static void cleanup(void) {
    if (db)
        ddb_close(db);
    if (store)
        store_close(store);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[sizeof dir + sizeof de->d_name + 2];
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') {
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                unlink(path);
            }
        closedir(d);
        rmdir(dir);
    }
}

static void setup_call(const char *op, const char *body) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *req = json_parse(&a, body, strlen(body), &err), *resp;
    if (!req || ddb_call(db, op, req, &a, &resp, &err) != 0) {
        fprintf(stderr, "fuzz_ddb_call setup: %s: %s\n", op, req ? err.msg : "bad JSON");
        abort();
    }
    arena_release(&a);
}

/* Drops every table and recreates the initial state. */
static void reset_tables(void) {
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *resp;
    if (ddb_call(db, "ListTables", json_new_obj(&a), &a, &resp, &err) != 0)
        abort();
    json_t *names = json_obj_get(resp, "TableNames");
    for (size_t i = 0; names && i < names->len; i++) {
        json_t *req = json_new_obj(&a), *r2;
        json_obj_set(&a, req, "TableName", json_arr_at(names, i));
        ddb_call(db, "DeleteTable", req, &a, &r2, &err);
    }
    arena_release(&a);
    for (size_t i = 0; i < sizeof SETUP / sizeof *SETUP; i++)
        setup_call(SETUP[i][0], SETUP[i][1]);
}

static void init_once(void) {
    if (db)
        return;
    sw_error_t err;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/sw-fuzz-ddb-XXXXXX", base);
    if (!mkdtemp(dir) || store_open(dir, &store, &err) != 0 || ddb_open(store, &db, &err) != 0)
        abort();
    atexit(cleanup);
    reset_tables();
}

/* FNV-1a over every key and value of every sub-database. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h ^ n;
}

static uint64_t store_hash(store_txn_t *txn) {
    uint64_t h = 14695981039346656037ULL;
    sw_error_t err;
    for (int dbi = 0; dbi < STORE_N_DBI; dbi++) {
        store_cursor_t *c;
        if (store_cursor_open(txn, (store_dbi_t)dbi, &c, &err) != 0)
            abort();
        const void *k, *v;
        size_t kl, vl;
        h = hash_bytes(h, &dbi, sizeof dbi);
        for (bool ok = store_cursor_seek(c, "", 0, &k, &kl, &v, &vl); ok;
             ok = store_cursor_next(c, &k, &kl, &v, &vl)) {
            h = hash_bytes(h, k, kl);
            h = hash_bytes(h, v, vl);
        }
        store_cursor_close(c);
    }
    return h;
}

static uint64_t store_hash_now(void) {
    store_txn_t *txn;
    sw_error_t err;
    if (store_txn_begin(store, false, &txn, &err) != 0)
        abort();
    uint64_t h = store_hash(txn);
    store_txn_abort(txn);
    return h;
}

/* After a PutItem (or an UpdateItem returning ALL_NEW) that succeeded in
 * `txn`: GetItem of its key returns the item as written (canonical: numbers
 * normalised). Skipped when the table is not one of the fixed ones or
 * GetItem itself fails. */
static void check_readback(arena_t *a, store_txn_t *txn, const json_t *req,
                           const char *op, const json_t *op_resp) {
    const char *table = json_obj_get_str(req, "TableName");
    const json_t *item = json_obj_get(req, "Item");
    if (strcmp(op, "UpdateItem") == 0) {
        /* UpdateItem ... ReturnValues ALL_NEW: Attributes is the new item. */
        const char *rv = json_obj_get_str(req, "ReturnValues");
        if (!rv || strcmp(rv, "ALL_NEW") != 0)
            return;
        item = json_obj_get(op_resp, "Attributes");
    }
    if (!table || !json_is_obj(item) || (strcmp(table, "Tab") != 0 && strcmp(table, "Hsh") != 0))
        return;
    json_t *get = json_new_obj(a), *key = json_new_obj(a), *resp = NULL;
    json_obj_set(a, key, "pk", json_obj_get(item, "pk"));
    if (strcmp(table, "Tab") == 0)
        json_obj_set(a, key, "sk", json_obj_get(item, "sk"));
    json_obj_set(a, get, "TableName", json_new_strz(a, table));
    json_obj_set(a, get, "Key", key);
    json_obj_set(a, get, "ConsistentRead", json_new_bool(a, true));
    sw_error_t err;
    if (ddb_call_txn(db, txn, "GetItem", get, a, &resp, &err) != 0)
        return;
    json_t *got = json_obj_get(resp, "Item");
    json_t *want = ddb__item_canon(a, item, &err);
    if (!got || !want || got->len != want->len)
        abort();
    for (size_t i = 0; i < want->len; i++) {
        const json_member_t *m = &want->u.members[i];
        json_t *g = json_obj_getn(got, m->key, m->key_len);
        if (!g || !ddb__av_equal(g, m->val))
            abort();
    }
}

static void check_outcome(arena_t *a, int rc, json_t *resp, const sw_error_t *err) {
    if (rc == 0) {
        if (!json_is_obj(resp))
            abort();
    } else {
        if (!err->type || ddb_error_status(err->type) < 400)
            abort();
    }
    if (resp) {
        sw_error_t perr;
        char *s = json_to_str(a, resp);
        if (!json_parse(a, s, strlen(s), &perr))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    init_once();
    arena_t a;
    arena_init(&a);
    sw_error_t err;
    json_t *req = json_parse(&a, (const char *)data + 1, size - 1, &err);
    if (!req) {
        arena_release(&a);
        return 0;
    }
    const char *op = OPS[data[0] & 15];
    json_t *resp = NULL;
    memset(&err, 0, sizeof err);
    if (data[0] & 0x80) {
        uint64_t before = store_hash_now();
        int rc = ddb_call(db, op, req, &a, &resp, &err);
        check_outcome(&a, rc, resp, &err);
        if (rc != 0 && store_hash_now() != before)
            abort();
        /* Keep the store small and the runs comparable. */
        if (rc == 0 && ++n_commits % 64 == 0)
            reset_tables();
    } else {
        store_txn_t *txn;
        if (store_txn_begin(store, true, &txn, &err) != 0)
            abort();
        uint64_t before = store_hash(txn);
        int rc = ddb_call_txn(db, txn, op, req, &a, &resp, &err);
        check_outcome(&a, rc, resp, &err);
        if (rc != 0 && store_hash(txn) != before)
            abort();
        if (rc == 0 && (strcmp(op, "PutItem") == 0 || strcmp(op, "UpdateItem") == 0))
            check_readback(&a, txn, req, op, resp);
        store_txn_abort(txn);
    }
    arena_release(&a);
    return 0;
}
