/* test_key.c - item key encoding: order of sort keys, long keys past LMDB's
 * 511-byte limit, and hash collisions forced through the hash hook. */
#include "ddb_test.h"
#include "ddb/ddb_int.h"

static ddb_table_t table_of(const char *hash_type, const char *range_type) {
    ddb_table_t t;
    memset(&t, 0, sizeof t);
    t.name = "t";
    t.id = 7;
    t.hash_name = "pk";
    t.hash_type = hash_type[0];
    if (range_type) {
        t.range_name = "sk";
        t.range_type = range_type[0];
    }
    return t;
}

static int enc(arena_t *a, const ddb_table_t *t, const char *item_json, uint8_t *out,
               size_t *len, sw_error_t *err) {
    json_t *item = json_parse(a, item_json, strlen(item_json), err);
    json_t *c = item ? ddb__item_canon(a, item, err) : NULL;
    return c ? ddb__key_encode(t, c, false, out, len, err) : -1;
}

static int key_cmp(const uint8_t *x, size_t xl, const uint8_t *y, size_t yl) {
    int c = memcmp(x, y, xl < yl ? xl : yl);
    return c ? c : (xl < yl ? -1 : xl > yl);
}

TEST(ddb_key_sort_order) {
    arena_t a;
    sw_error_t err;
    ddb_table_t ts = table_of("S", "S"), tn = table_of("S", "N"), tb = table_of("S", "B");
    uint8_t k1[DDB_KEY_FULL_MAX], k2[DDB_KEY_FULL_MAX];
    size_t l1, l2;
    struct { const ddb_table_t *t; const char *lo, *hi; } cases[] = {
        {&ts, "\"a\"", "\"b\""}, {&ts, "\"a\"", "\"a\\u0000\""}, {&ts, "\"a\\u0000\"", "\"a\\u0001\""},
        {&ts, "\"a\"", "\"ab\""}, {&ts, "\"Z\"", "\"a\""}, {&ts, "\"z\"", "\"\\u00e9\""},
        {&tn, "\"-10\"", "\"-9\""}, {&tn, "\"-1\"", "\"0\""}, {&tn, "\"0\"", "\"0.001\""},
        {&tn, "\"9\"", "\"10\""}, {&tn, "\"1.5\"", "\"1.55\""}, {&tn, "\"1E3\"", "\"1001\""},
        {&tb, "\"AA==\"", "\"AAA=\""}, {&tb, "\"AQ==\"", "\"/w==\""},
    };

    arena_init(&a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *type = cases[i].t == &ts ? "S" : cases[i].t == &tn ? "N" : "B";
        char *j1 = arena_sprintf(&a, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"%s\":%s}}", type, cases[i].lo);
        char *j2 = arena_sprintf(&a, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"%s\":%s}}", type, cases[i].hi);
        CHECK(enc(&a, cases[i].t, j1, k1, &l1, &err) == 0);
        CHECK(enc(&a, cases[i].t, j2, k2, &l2, &err) == 0);
        if (key_cmp(k1, l1, k2, l2) >= 0)
            test_fail(__FILE__, __LINE__, "case %zu: %s !< %s", i, cases[i].lo, cases[i].hi);
    }
    /* Equal numbers give equal keys. */
    CHECK(enc(&a, &tn, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"1000.0\"}}", k1, &l1, &err) == 0);
    CHECK(enc(&a, &tn, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"1E3\"}}", k2, &l2, &err) == 0);
    CHECK(key_cmp(k1, l1, k2, l2) == 0);
    arena_release(&a);
}

TEST(ddb_key_errors) {
    arena_t a;
    sw_error_t err;
    ddb_table_t t = table_of("S", "N");
    uint8_t k[DDB_KEY_FULL_MAX];
    size_t l;

    arena_init(&a);
    CHECK(enc(&a, &t, "{\"pk\":{\"S\":\"p\"}}", k, &l, &err) == -1);
    CHECK_EQ_STR(err.msg, "One or more parameter values were invalid: Missing the key sk in the item");
    CHECK(enc(&a, &t, "{\"pk\":{\"N\":\"1\"},\"sk\":{\"N\":\"1\"}}", k, &l, &err) == -1);
    CHECK_EQ_STR(err.msg, "One or more parameter values were invalid: Type mismatch for key pk "
                          "expected: S actual: N");
    CHECK(enc(&a, &t, "{\"pk\":{\"S\":\"\"},\"sk\":{\"N\":\"1\"}}", k, &l, &err) == -1);
    CHECK_EQ_STR(err.msg, "One or more parameter values are not valid. The AttributeValue for a "
                          "key attribute cannot contain an empty string value. Key: pk");
    arena_release(&a);
}

static uint64_t constant_hash(const void *p, size_t len) {
    (void)p;
    (void)len;
    return 42;
}

static void long_and_colliding(bool force_collisions) {
    ddb_fixture_t f;
    char *body;
    char big[2100], big2[2100];

    fx_open(&f);
    if (force_collisions)
        ddb__key_set_hash_hook(constant_hash);
    FX_OK(&f, "CreateTable",
          "{\"TableName\":\"lkt\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],"
          "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
          "\"sk\",\"KeyType\":\"RANGE\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    memset(big, 'x', 2048);
    big[2048] = 0;
    memcpy(big2, big, sizeof big);
    big2[2047] = 'y';  /* same 501-byte prefix, different full key */
    const char *pks[] = {big, big2, "short1", "short2"};
    const char *sks[] = {"s1", "s2"};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) {
            body = arena_sprintf(&f.a, "{\"TableName\":\"lkt\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                                       "\"sk\":{\"S\":\"%s\"},\"v\":{\"N\":\"%d\"}}}",
                                 pks[i], sks[j], i * 10 + j);
            FX_OK(&f, "PutItem", body);
        }
    /* Overwrite one long item: must replace, not add. */
    body = arena_sprintf(&f.a, "{\"TableName\":\"lkt\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                               "\"sk\":{\"S\":\"s2\"},\"v\":{\"N\":\"99\"}}}", big2);
    FX_OK(&f, "PutItem", body);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) {
            body = arena_sprintf(&f.a, "{\"TableName\":\"lkt\",\"Key\":{\"pk\":{\"S\":\"%s\"},"
                                       "\"sk\":{\"S\":\"%s\"}}}", pks[i], sks[j]);
            FX_OK(&f, "GetItem", body);
            const char *want = (i == 1 && j == 1) ? "\"99\"" : arena_sprintf(&f.a, "\"%d\"", i * 10 + j);
            CHECK_EQ_STR(fx_at(&f, "Item.v.N"), want);
        }
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"lkt\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "8");
    /* Delete one of the colliding long items; the other stays. */
    body = arena_sprintf(&f.a, "{\"TableName\":\"lkt\",\"Key\":{\"pk\":{\"S\":\"%s\"},"
                               "\"sk\":{\"S\":\"s1\"}}}", big);
    FX_OK(&f, "DeleteItem", body);
    FX_OK(&f, "GetItem", body);
    CHECK(fx_at(&f, "Item") == NULL);
    body = arena_sprintf(&f.a, "{\"TableName\":\"lkt\",\"Key\":{\"pk\":{\"S\":\"%s\"},"
                               "\"sk\":{\"S\":\"s1\"}}}", big2);
    FX_OK(&f, "GetItem", body);
    CHECK_EQ_STR(fx_at(&f, "Item.v.N"), "\"10\"");
    ddb__key_set_hash_hook(NULL);
    fx_close(&f);
}

TEST(ddb_key_long_keys) { long_and_colliding(false); }
TEST(ddb_key_long_keys_with_hash_collisions) { long_and_colliding(true); }

TEST(ddb_key_iter_orders_long_groups) {
    ddb_fixture_t f;
    store_txn_t *t;
    sw_error_t err;
    ddb_table_t tab = table_of("S", "S");
    ddb_items_iter_t *it;
    const uint8_t *k;
    const char *j;
    size_t kl, jl;
    uint8_t key[DDB_KEY_FULL_MAX], lo[16] = {0}, hi[16];
    size_t len;
    char prev[DDB_KEY_FULL_MAX];
    size_t prev_len = 0;
    int n = 0;

    fx_open(&f);
    ddb__key_set_hash_hook(constant_hash);
    CHECK(store_txn_begin(f.store, true, &t, &err) == 0);
    /* Sort keys of ~700 bytes that differ only near their end, plus short ones. */
    for (int i = 0; i < 12; i++) {
        char sk[800];
        memset(sk, 'm', 700);
        sk[700] = 0;
        sk[690] = (char)('a' + (i * 7) % 12);
        if (i % 4 == 0)
            sk[3 + i] = 0;  /* short */
        char *item = arena_sprintf(&f.a, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"%s\"}}", sk);
        CHECK(enc(&f.a, &tab, item, key, &len, &err) == 0);
        CHECK(ddb__items_put(t, key, len, item, strlen(item), &err) == 0);
    }
    memcpy(hi, lo, 16);
    lo[3] = 7;
    hi[3] = 8;
    CHECK(ddb__items_iter_open(t, &f.a, lo, 4, hi, 4, &it, &err) == 0);
    while (ddb__items_iter_next(it, &k, &kl, &j, &jl)) {
        if (n > 0 && key_cmp((const uint8_t *)prev, prev_len, k, kl) >= 0)
            test_fail(__FILE__, __LINE__, "iterator out of order at %d", n);
        memcpy(prev, k, kl);
        prev_len = kl;
        n++;
    }
    ddb__items_iter_close(it);
    CHECK_EQ_INT(n, 12);
    store_txn_abort(t);
    ddb__key_set_hash_hook(NULL);
    fx_close(&f);
}

TEST(ddb_key_prefix_helpers_match_full_key) {
    arena_t a;
    sw_error_t err;
    ddb_table_t t = table_of("N", "S");
    uint8_t full[DDB_KEY_FULL_MAX], prefix[DDB_KEY_PREFIX_LEN], sk[2100];
    size_t full_len, sk_len;
    const char *item = "{\"pk\":{\"N\":\"42.0\"},\"sk\":{\"S\":\"a\\u0000b\"}}";
    json_t *c;

    arena_init(&a);
    c = ddb__item_canon(&a, json_parse(&a, item, strlen(item), &err), &err);
    CHECK(ddb__key_encode(&t, c, false, full, &full_len, &err) == 0);
    CHECK(ddb__key_partition_prefix(&t, 0, json_obj_get(c, "pk"), prefix, &err) == 0);
    CHECK(memcmp(full, prefix, DDB_KEY_PREFIX_LEN) == 0);
    CHECK(ddb__key_sk_bytes(&t, json_obj_get(c, "sk"), sk, &sk_len, &err) == 0);
    CHECK_EQ_INT(sk_len, 6);  /* a 00 ff b 00 00 */
    CHECK(memcmp(full + DDB_KEY_PREFIX_LEN, sk, sk_len) == 0);
    {
        const uint8_t *s, *p;
        size_t s_len, p_len;
        CHECK(ddb__key_split(full, full_len, true, &s, &s_len, &p, &p_len));
        CHECK_EQ_INT(s_len, 6);
        CHECK(p_len > 1 && p[0] == 'N');  /* type byte . number key encoding */
    }
    arena_release(&a);
}

TEST(ddb_key_size_limits) {
    ddb_fixture_t f;
    char *v;
    fx_open(&f);
    FX_OK(&f, "CreateTable",
          "{\"TableName\":\"lim\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],"
          "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
          "\"sk\",\"KeyType\":\"RANGE\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    v = arena_alloc(&f.a, 2050);
    memset(v, 'p', 2049);
    v[2049] = 0;
    FX_ERR(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"lim\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                                              "\"sk\":{\"S\":\"s\"}}}", v),
           "ValidationException", "Size of hashkey has exceeded the maximum size limit of2048 bytes");
    v[1025] = 0;
    FX_ERR(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"lim\",\"Item\":{\"pk\":{\"S\":\"p\"},"
                                              "\"sk\":{\"S\":\"%s\"}}}", v),
           "ValidationException", "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
    v[1024] = 0;
    FX_OK(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"lim\",\"Item\":{\"pk\":{\"S\":\"p\"},"
                                             "\"sk\":{\"S\":\"%s\"}}}", v));
    /* DeleteTable leaves no entry behind in `items`, long form included. */
    FX_OK(&f, "DeleteTable", "{\"TableName\":\"lim\"}");
    {
        store_txn_t *t;
        store_cursor_t *c;
        sw_error_t err;
        const void *k;
        size_t k_len;
        CHECK(store_txn_begin(f.store, false, &t, &err) == 0);
        CHECK(store_cursor_open(t, STORE_ITEMS, &c, &err) == 0);
        CHECK(!store_cursor_seek(c, NULL, 0, &k, &k_len, NULL, NULL));
        store_cursor_close(c);
        store_txn_abort(t);
    }
    fx_close(&f);
}
