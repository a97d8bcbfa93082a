/* test_store.c - the LMDB store: put/get/del, ordered cursors, nested
 * transactions, and ddb_call_txn leaving the caller's transaction intact. */
#include "ddb_test.h"

TEST(ddb_store_put_get_del) {
    ddb_fixture_t f;
    store_txn_t *t;
    sw_error_t err;
    const void *v;
    size_t v_len;

    fx_open(&f);
    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    CHECK(store_put(t, STORE_META, "k1", 2, "v1", 2, &err) == 0);
    CHECK(store_put(t, STORE_EXEC, "k1", 2, "other", 5, &err) == 0);
    CHECK(store_txn_commit(t, &err) == 0);

    CHECK(store_txn_begin(f.store, false, &t, &err) == 0);
    CHECK(store_get(t, STORE_META, "k1", 2, &v, &v_len));
    CHECK(v_len == 2 && memcmp(v, "v1", 2) == 0);
    CHECK(store_get(t, STORE_EXEC, "k1", 2, &v, &v_len) && v_len == 5);
    CHECK(!store_get(t, STORE_META, "k2", 2, &v, &v_len));
    store_txn_abort(t);

    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    CHECK(store_del(t, STORE_META, "k1", 2, &err) == 0);
    CHECK(store_del(t, STORE_META, "nope", 4, &err) == 0);
    store_txn_abort(t);  /* aborted: k1 stays */
    CHECK(store_txn_begin(f.store, false, &t, &err) == 0);
    CHECK(store_get(t, STORE_META, "k1", 2, &v, &v_len));
    store_txn_abort(t);
    fx_close(&f);
}

TEST(ddb_store_cursor_order) {
    ddb_fixture_t f;
    store_txn_t *t;
    store_cursor_t *c;
    sw_error_t err;
    const void *k;
    size_t k_len;
    const char *keys[] = {"b", "a", "ab", "c", "\xff"};
    char seen[16] = "";

    fx_open(&f);
    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    for (int i = 0; i < 5; i++)
        CHECK(store_put(t, STORE_ITEMS, keys[i], strlen(keys[i]), "x", 1, &err) == 0);
    CHECK(store_cursor_open(t, STORE_ITEMS, &c, &err) == 0);
    for (bool ok = store_cursor_seek(c, "aa", 2, &k, &k_len, NULL, NULL); ok;
         ok = store_cursor_next(c, &k, &k_len, NULL, NULL))
        strncat(seen, (const char *)k, k_len);
    CHECK_EQ_STR(seen, "abbc\xff");
    CHECK(store_cursor_seek(c, NULL, 0, &k, &k_len, NULL, NULL) && k_len == 1 &&
          *(const char *)k == 'a');
    store_cursor_close(c);
    CHECK(store_txn_commit(t, &err) == 0);
    fx_close(&f);
}

TEST(ddb_store_nested_rollback) {
    ddb_fixture_t f;
    store_txn_t *t, *child;
    sw_error_t err;
    const void *v;
    size_t v_len;

    fx_open(&f);
    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    CHECK(store_put(t, STORE_META, "p", 1, "1", 1, &err) == 0);
    CHECK(store_txn_begin_nested(t, &child, &err) == 0);
    CHECK(store_put(child, STORE_META, "c", 1, "1", 1, &err) == 0);
    store_txn_abort(child);
    CHECK(!store_get(t, STORE_META, "c", 1, &v, &v_len));
    CHECK(store_get(t, STORE_META, "p", 1, &v, &v_len));
    CHECK(store_txn_begin_nested(t, &child, &err) == 0);
    CHECK(store_put(child, STORE_META, "d", 1, "1", 1, &err) == 0);
    CHECK(store_txn_commit(child, &err) == 0);
    CHECK(store_get(t, STORE_META, "d", 1, &v, &v_len));
    CHECK(store_txn_commit(t, &err) == 0);
    fx_close(&f);
}

TEST(ddb_call_txn_failed_request_changes_nothing) {
    ddb_fixture_t f;
    store_txn_t *t;
    sw_error_t err;
    json_t *resp;
    const char *ok_put = "{\"TableName\":\"txt\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}";
    const char *bad_put = "{\"TableName\":\"txt\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"ConditionExpression\":\"attribute_not_exists(pk)\"}";

    fx_open(&f);
    FX_OK(&f, "CreateTable",
          "{\"TableName\":\"txt\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
          "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    CHECK(ddb_call_txn(f.db, t, "PutItem", json_parse(&f.a, ok_put, strlen(ok_put), &err), &f.a,
                       &resp, &err) == 0);
    CHECK(ddb_call_txn(f.db, t, "PutItem", json_parse(&f.a, bad_put, strlen(bad_put), &err),
                       &f.a, &resp, &err) == -1);
    CHECK_EQ_STR(err.type, "ConditionalCheckFailedException");
    CHECK(store_txn_commit(t, &err) == 0);
    FX_OK(&f, "GetItem", "{\"TableName\":\"txt\",\"Key\":{\"pk\":{\"S\":\"a\"}}}");
    CHECK_EQ_STR(fx_at(&f, "Item.v.N"), "\"1\"");
    fx_close(&f);
}
