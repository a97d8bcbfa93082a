/* test_query.c - Query and Scan through ddb_call: key-condition ranges,
 * order, Limit / filter counting, exact resumption from LastEvaluatedKey
 * (forward and backward) with partitions whose hashes collide and keys past
 * LMDB's 511-byte limit, Scan segments, and AWS's error messages. */
#include "ddb_test.h"
#include "ddb/ddb_int.h"

#define CREATE_PK_SK(name, sk_type)                                                          \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","      \
    "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"" sk_type "\"}]," \
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":"     \
    "\"sk\",\"KeyType\":\"RANGE\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"
#define CREATE_PK(name)                                                                  \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","  \
    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"   \
    "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

/* Every partition key hashes alike: all partitions share one hash range. */
static uint64_t hash_const(const void *p, size_t len) {
    (void)p;
    (void)len;
    return 0x8000000000000000ULL;
}

/* Four hash values spread over the space (collisions and several segments). */
static uint64_t hash_four(const void *p, size_t len) {
    const uint8_t *b = p;
    return len ? (uint64_t)(b[len - 1] % 4) << 62 | 0x1234 : 0;
}

/* The "n" attribute of each returned item, joined by ','. */
static const char *ns_of(ddb_fixture_t *f) {
    const json_t *items = json_obj_get(f->resp, "Items");
    char *out = arena_strdup(&f->a, "");
    for (size_t i = 0; items && i < items->len; i++) {
        const json_t *n = json_obj_get(json_obj_get(items->u.items[i], "n"), "N");
        out = arena_sprintf(&f->a, "%s%s%s", out, i ? "," : "", n ? n->u.str : "?");
    }
    return out;
}

/* Runs `op` with body prefix `head` (an object's members without the closing
 * brace) page by page with Limit `limit`, and returns every page's "n"
 * values joined by ',' (pages separated by nothing); *n_pages gets the
 * number of requests made. */
static const char *all_pages(ddb_fixture_t *f, const char *op, const char *head, int limit,
                             int *n_pages) {
    const char *acc = "", *lek = NULL;
    *n_pages = 0;
    for (;;) {
        const char *body = lek ? arena_sprintf(&f->a, "%s,\"Limit\":%d,\"ExclusiveStartKey\":%s}",
                                               head, limit, lek)
                               : arena_sprintf(&f->a, "%s,\"Limit\":%d}", head, limit);
        const char *page;
        if (fx_call(f, op, body) != 0) {
            test_fail(__FILE__, __LINE__, "%s page failed: %s", op, f->err.msg);
            return "";
        }
        (*n_pages)++;
        page = ns_of(f);
        if (*page)
            acc = arena_sprintf(&f->a, "%s%s%s", acc, *acc ? "," : "", page);
        lek = fx_at(f, "LastEvaluatedKey");
        if (!lek || *n_pages > 1000)
            break;
    }
    return acc;
}

static void put(ddb_fixture_t *f, const char *table, const char *pk, const char *sk_type,
                const char *sk, int n) {
    const char *body =
        sk ? arena_sprintf(&f->a, "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                                  "\"sk\":{\"%s\":\"%s\"},\"n\":{\"N\":\"%d\"}}}",
                           table, pk, sk_type, sk, n)
           : arena_sprintf(&f->a, "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"%s\"},"
                                  "\"n\":{\"N\":\"%d\"}}}", table, pk, n);
    FX_OK(f, "PutItem", body);
}

#define Q(t, kce, vals) \
    "{\"TableName\":\"" t "\",\"KeyConditionExpression\":\"" kce "\",\"ExpressionAttributeValues\":{" vals "}"

TEST(ddb_query_key_conditions) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_q1", "S"));
    /* sk order: "" < "a" < "a\0" < "a\0x" < "ab" < "b" < "c". */
    put(&f, "t_q1", "p", "S", "a", 1);
    put(&f, "t_q1", "p", "S", "a\\u0000", 2);
    put(&f, "t_q1", "p", "S", "a\\u0000x", 3);
    put(&f, "t_q1", "p", "S", "ab", 4);
    put(&f, "t_q1", "p", "S", "b", 5);
    put(&f, "t_q1", "p", "S", "c", 6);
    put(&f, "t_q1", "other", "S", "a", 99);
    struct { const char *kce, *vals, *want; } cases[] = {
        {"pk = :p", "\":p\":{\"S\":\"p\"}", "1,2,3,4,5,6"},
        {"pk = :p AND sk = :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\"}", "1"},
        {"pk = :p AND sk = :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\\u0000\"}", "2"},
        {"pk = :p AND sk < :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"ab\"}", "1,2,3"},
        {"pk = :p AND sk <= :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"ab\"}", "1,2,3,4"},
        {"pk = :p AND sk > :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\"}", "2,3,4,5,6"},
        {"pk = :p AND sk >= :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"ab\"}", "4,5,6"},
        {":v < sk AND pk = :p", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"ab\"}", "5,6"},
        {"pk = :p AND sk BETWEEN :v AND :w",
         "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\\u0000\"},\":w\":{\"S\":\"b\"}", "2,3,4,5"},
        {"pk = :p AND begins_with(sk, :v)", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\"}", "1,2,3,4"},
        {"pk = :p AND begins_with(sk, :v)", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\\u0000\"}",
         "2,3"},
        {"pk = :p AND begins_with(sk, :v)", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"d\"}", ""},
        {"pk = :p", "\":p\":{\"S\":\"nope\"}", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *body = arena_sprintf(&f.a, "{\"TableName\":\"t_q1\",\"KeyConditionExpression\":"
                                               "\"%s\",\"ExpressionAttributeValues\":{%s}}",
                                         cases[i].kce, cases[i].vals);
        FX_OK(&f, "Query", body);
        if (strcmp(ns_of(&f), cases[i].want) != 0)
            test_fail(__FILE__, __LINE__, "case %zu (%s): got %s, want %s", i, cases[i].kce,
                      ns_of(&f), cases[i].want);
        CHECK(fx_at(&f, "LastEvaluatedKey") == NULL);
    }
    /* Backward. */
    FX_OK(&f, "Query", Q("t_q1", "pk = :p AND sk > :v", "\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\"}")
                           ",\"ScanIndexForward\":false}");
    CHECK_EQ_STR(ns_of(&f), "6,5,4,3,2");
    CHECK_EQ_STR(fx_at(&f, "Count"), "5");
    CHECK_EQ_STR(fx_at(&f, "ScannedCount"), "5");
    fx_close(&f);
}

TEST(ddb_query_number_and_binary_sort_keys) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qn", "N"));
    put(&f, "t_qn", "p", "N", "10", 5);
    put(&f, "t_qn", "p", "N", "-10", 1);
    put(&f, "t_qn", "p", "N", "1.5", 4);
    put(&f, "t_qn", "p", "N", "0", 3);
    put(&f, "t_qn", "p", "N", "-1", 2);
    put(&f, "t_qn", "p", "N", "1E3", 6);
    FX_OK(&f, "Query", Q("t_qn", "pk = :p", "\":p\":{\"S\":\"p\"}") "}");
    CHECK_EQ_STR(ns_of(&f), "1,2,3,4,5,6");
    FX_OK(&f, "Query", Q("t_qn", "pk = :p AND sk BETWEEN :a AND :b",
                         "\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"-1.0\"},\":b\":{\"N\":\"1.50\"}") "}");
    CHECK_EQ_STR(ns_of(&f), "2,3,4");
    FX_OK(&f, "Query", Q("t_qn", "pk = :p AND sk = :a", "\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"1000\"}") "}");
    CHECK_EQ_STR(ns_of(&f), "6");
    FX_ERR(&f, "Query", Q("t_qn", "pk = :p AND sk = :a", "\":p\":{\"S\":\"p\"},\":a\":{\"S\":\"1\"}") "}",
           "ValidationException",
           "One or more parameter values were invalid: Condition parameter type does not match "
           "schema type");

    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qb", "B"));
    put(&f, "t_qb", "p", "B", "AQI=", 2);     /* 01 02 */
    put(&f, "t_qb", "p", "B", "AQ==", 1);     /* 01 */
    put(&f, "t_qb", "p", "B", "/w==", 4);     /* ff */
    put(&f, "t_qb", "p", "B", "AgA=", 3);     /* 02 00 */
    FX_OK(&f, "Query", Q("t_qb", "pk = :p AND begins_with(sk, :v)",
                         "\":p\":{\"S\":\"p\"},\":v\":{\"B\":\"AQ==\"}") "}");
    CHECK_EQ_STR(ns_of(&f), "1,2");
    FX_OK(&f, "Query", Q("t_qb", "pk = :p AND begins_with(sk, :v)",
                         "\":p\":{\"S\":\"p\"},\":v\":{\"B\":\"/w==\"}") "}");
    CHECK_EQ_STR(ns_of(&f), "4");
    FX_OK(&f, "Query", Q("t_qb", "pk = :p AND sk > :v", "\":p\":{\"S\":\"p\"},\":v\":{\"B\":\"AQI=\"}")
                           ",\"ScanIndexForward\":false}");
    CHECK_EQ_STR(ns_of(&f), "4,3");
    fx_close(&f);
}

TEST(ddb_query_limit_filter_select_projection) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_ql", "S"));
    for (int i = 1; i <= 5; i++)
        FX_OK(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"t_ql\",\"Item\":{\"pk\":{\"S\":"
                                                 "\"p\"},\"sk\":{\"S\":\"%d\"},\"n\":{\"N\":\"%d\"},"
                                                 "\"odd\":{\"BOOL\":%s},\"x\":{\"M\":{\"y\":{\"N\":"
                                                 "\"%d\"},\"z\":{\"S\":\"zz\"}}}}}",
                                           i, i, i % 2 ? "true" : "false", i));
    /* Limit counts evaluated items, before the filter. */
    FX_OK(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"},\":t\":{\"BOOL\":true}")
                           ",\"FilterExpression\":\"odd = :t\",\"Limit\":2}");
    CHECK_EQ_STR(ns_of(&f), "1");
    CHECK_EQ_STR(fx_at(&f, "Count"), "1");
    CHECK_EQ_STR(fx_at(&f, "ScannedCount"), "2");
    CHECK_EQ_STR(fx_at(&f, "LastEvaluatedKey"), "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"2\"}}");
    /* Limit equal to what is left still returns LastEvaluatedKey (AWS). */
    FX_OK(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Limit\":5}");
    CHECK_EQ_STR(fx_at(&f, "LastEvaluatedKey"), "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"5\"}}");
    FX_OK(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Limit\":6}");
    CHECK(fx_at(&f, "LastEvaluatedKey") == NULL);
    /* Select COUNT: no Items. */
    FX_OK(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"},\":t\":{\"BOOL\":true}")
                           ",\"FilterExpression\":\"odd = :t\",\"Select\":\"COUNT\"}");
    CHECK(fx_at(&f, "Items") == NULL);
    CHECK_EQ_STR(fx_at(&f, "Count"), "3");
    CHECK_EQ_STR(fx_at(&f, "ScannedCount"), "5");
    /* Projection: nested members, keys not added. */
    FX_OK(&f, "Query", Q("t_ql", "pk = :p AND sk = :s", "\":p\":{\"S\":\"p\"},\":s\":{\"S\":\"3\"}")
                           ",\"ProjectionExpression\":\"x.y, #o\",\"ExpressionAttributeNames\":"
                           "{\"#o\":\"odd\"},\"Select\":\"SPECIFIC_ATTRIBUTES\"}");
    CHECK_EQ_STR(fx_at(&f, "Items"), "[{\"x\":{\"M\":{\"y\":{\"N\":\"3\"}}},\"odd\":{\"BOOL\":true}}]");
    /* AttributesToGet (legacy): not with expressions; alone in a Scan. */
    FX_ERR(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"AttributesToGet\":[\"n\"]}",
           "ValidationException",
           "Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {AttributesToGet} Expression parameters: "
           "{KeyConditionExpression}");
    FX_OK(&f, "Scan", "{\"TableName\":\"t_ql\",\"AttributesToGet\":[\"n\",\"missing\"],\"Limit\":1}");
    CHECK_EQ_STR(fx_at(&f, "Items"), "[{\"n\":{\"N\":\"1\"}}]");
    /* ConsumedCapacity. */
    FX_OK(&f, "Query", Q("t_ql", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"ReturnConsumedCapacity\":"
                           "\"TOTAL\",\"ConsistentRead\":true}");
    CHECK_EQ_STR(fx_at(&f, "ConsumedCapacity"), "{\"TableName\":\"t_ql\",\"CapacityUnits\":1.0}");
    fx_close(&f);
}

TEST(ddb_query_errors) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qe", "S"));
    FX_ERR(&f, "Query", "{\"TableName\":\"t_qe\"}", "ValidationException",
           "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
           "request.");
    FX_ERR(&f, "Query", Q("nope", "pk = :p", "\":p\":{\"S\":\"p\"}") "}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"IndexName\":\"gsi1\"}",
           "ValidationException", "The table does not have the specified index: gsi1");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"},\":x\":{\"S\":\"p\"}")
                            ",\"FilterExpression\":\"sk = :x\"}",
           "ValidationException",
           "Filter Expression can only contain non-primary key attributes: Primary key "
           "attribute: sk");
    FX_ERR(&f, "Query", Q("t_qe", "sk = :p", "\":p\":{\"S\":\"p\"}") "}", "ValidationException",
           "Query condition missed key schema element: pk");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"N\":\"1\"}") "}", "ValidationException",
           "Condition parameter type does not match schema type");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Limit\":0}",
           "ValidationException",
           "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}")
                            ",\"Select\":\"COUNT\",\"ProjectionExpression\":\"a\"}",
           "ValidationException",
           "Cannot specify the ProjectionExpression when choosing to get only the Count");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Select\":\"SPECIFIC_ATTRIBUTES\"}",
           "ValidationException",
           "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
           "SPECIFIC_ATTRIBUTES");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Select\":\"ALL_PROJECTED_ATTRIBUTES\"}",
           "ValidationException",
           "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}")
                            ",\"AttributesToGet\":[\"a\"],\"ProjectionExpression\":\"a\"}",
           "ValidationException",
           "Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {AttributesToGet} Expression parameters: "
           "{ProjectionExpression, KeyConditionExpression}");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"},\":u\":{\"S\":\"u\"}") "}",
           "ValidationException",
           "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}") ",\"Select\":\"ALL\"}",
           "ValidationException",
           "Value 'ALL' at 'select' failed to satisfy constraint: Member must satisfy enum value "
           "set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]");
    /* Start keys. */
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}")
                            ",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"}}}",
           "ValidationException",
           "The provided starting key is invalid: The provided key element does not match the "
           "schema");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}")
                            ",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"q\"},\"sk\":{\"S\":\"a\"}}}",
           "ValidationException",
           "The provided starting key is outside query boundaries based on provided conditions");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p AND sk > :s", "\":p\":{\"S\":\"p\"},\":s\":{\"S\":\"m\"}")
                            ",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"a\"}}}",
           "ValidationException",
           "The provided starting key does not match the range key predicate");
    FX_ERR(&f, "Query", Q("t_qe", "pk = :p", "\":p\":{\"S\":\"p\"}")
                            ",\"ExclusiveStartKey\":{\"pk\":{\"N\":\"x\"},\"sk\":{\"S\":\"a\"}}}",
           "ValidationException", "The provided starting key is invalid: ");
    fx_close(&f);
}

/* Pages of every size give the same items in the same order, forward and
 * backward, when partitions collide and keys are long. */
static void check_pagination(ddb_fixture_t *f, const char *table) {
    int n_pages;
    const char *head_f = arena_sprintf(&f->a, "{\"TableName\":\"%s\",\"KeyConditionExpression\":"
                                              "\"pk = :p\",\"ExpressionAttributeValues\":{\":p\":"
                                              "{\"S\":\"p\"}}", table);
    const char *head_b = arena_sprintf(&f->a, "%s,\"ScanIndexForward\":false", head_f);
    const char *full_f, *full_b;

    FX_OK(f, "Query", arena_sprintf(&f->a, "%s}", head_f));
    full_f = ns_of(f);
    FX_OK(f, "Query", arena_sprintf(&f->a, "%s}", head_b));
    full_b = ns_of(f);
    CHECK_EQ_STR(full_f, "1,2,3,4,5,6,7,8");
    CHECK_EQ_STR(full_b, "8,7,6,5,4,3,2,1");
    for (int limit = 1; limit <= 9; limit++) {
        CHECK_EQ_STR(all_pages(f, "Query", head_f, limit, &n_pages), full_f);
        CHECK_EQ_INT(n_pages, 8 / limit + 1);
        CHECK_EQ_STR(all_pages(f, "Query", head_b, limit, &n_pages), full_b);
    }
}

/* Items of partition "p" (n = 1..8 in sort order) among items of
 * colliding partitions, with short and long (> 511-byte key) sort keys. */
static void fill_collisions(ddb_fixture_t *f, const char *table) {
    char *long_a = arena_alloc(&f->a, 1001), *long_b = arena_alloc(&f->a, 1001);
    memset(long_a, 'm', 1000);
    long_a[1000] = 0;
    memcpy(long_b, long_a, 1001);
    long_b[999] = 'n';   /* shares 999 bytes with long_a */
    put(f, table, "p", "S", "a", 1);
    put(f, table, "q", "S", "a", 90);
    put(f, table, "pp", "S", "a", 91);
    put(f, table, "p", "S", "b", 2);
    put(f, table, "p", "S", "m", 3);
    put(f, table, "p", "S", long_a, 4);
    put(f, table, "q", "S", long_a, 92);
    put(f, table, "p", "S", long_b, 5);
    put(f, table, "pp", "S", long_b, 93);
    put(f, table, "p", "S", "n", 6);
    put(f, table, "p", "S", "o", 7);
    put(f, table, "q", "S", "z", 94);
    put(f, table, "p", "S", "z", 8);
}

TEST(ddb_query_pagination_collisions_long_keys) {
    ddb_fixture_t f;
    fx_open(&f);
    ddb__key_set_hash_hook(hash_const);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qc", "S"));
    fill_collisions(&f, "t_qc");
    check_pagination(&f, "t_qc");
    /* A long partition key too (key > 511 bytes through the pk alone). */
    {
        char *pk = arena_alloc(&f.a, 701);
        memset(pk, 'k', 700);
        pk[700] = 0;
        FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qc2", "S"));
        for (int i = 1; i <= 8; i++)
            put(&f, "t_qc2", pk, "S", arena_sprintf(&f.a, "%d", i), i);
        pk[699] = 'j';
        put(&f, "t_qc2", pk, "S", "5", 50);
        put(&f, "t_qc2", "p", "S", "1", 1);
        pk[699] = 'k';
        {
            int n_pages;
            const char *head = arena_sprintf(&f.a, "{\"TableName\":\"t_qc2\",\"KeyConditionExpression\":"
                                                   "\"pk = :p\",\"ExpressionAttributeValues\":"
                                                   "{\":p\":{\"S\":\"%s\"}}", pk);
            for (int limit = 1; limit <= 3; limit++) {
                CHECK_EQ_STR(all_pages(&f, "Query", head, limit, &n_pages), "1,2,3,4,5,6,7,8");
                CHECK_EQ_STR(all_pages(&f, "Query",
                                       arena_sprintf(&f.a, "%s,\"ScanIndexForward\":false", head),
                                       limit, &n_pages),
                             "8,7,6,5,4,3,2,1");
            }
        }
    }
    ddb__key_set_hash_hook(NULL);
    fx_close(&f);
}

TEST(ddb_query_pagination_default_hash) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_qd", "S"));
    fill_collisions(&f, "t_qd");
    check_pagination(&f, "t_qd");
    fx_close(&f);
}

/* Sorted, comma-joined copy of a list of numbers given as "a,b,c". */
static const char *sorted(arena_t *a, const char *list) {
    int v[256], n = 0;
    char *out = arena_strdup(a, "");
    for (const char *p = list; *p && n < 256;) {
        v[n++] = atoi(p);
        p = strchr(p, ',');
        if (!p)
            break;
        p++;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        out = arena_sprintf(a, "%s%s%d", out, i ? "," : "", v[i]);
    return out;
}

TEST(ddb_scan_segments_pagination) {
    ddb_fixture_t f;
    const char *want;
    int n_pages;
    fx_open(&f);
    ddb__key_set_hash_hook(hash_four);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_sc", "S"));
    FX_OK(&f, "CreateTable", CREATE_PK("t_sc_other"));
    put(&f, "t_sc_other", "x", NULL, NULL, 1000);
    want = "";
    for (int i = 1; i <= 40; i++) {
        char *sk = arena_alloc(&f.a, 601);
        memset(sk, 'a' + i % 3, 600);
        sk[600] = 0;
        put(&f, "t_sc", arena_sprintf(&f.a, "p%d", i % 7), "S",
            i % 2 ? sk : arena_sprintf(&f.a, "s%d", i), i);
        want = arena_sprintf(&f.a, "%s%s%d", want, i > 1 ? "," : "", i);
    }
    FX_OK(&f, "Scan", "{\"TableName\":\"t_sc\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "40");
    CHECK_EQ_STR(sorted(&f.a, ns_of(&f)), want);
    for (int limit = 1; limit <= 7; limit += 3)
        CHECK_EQ_STR(sorted(&f.a, all_pages(&f, "Scan", "{\"TableName\":\"t_sc\"", limit, &n_pages)),
                     want);
    for (int total = 1; total <= 5; total++) {
        const char *acc = "";
        for (int s = 0; s < total; s++) {
            const char *head = arena_sprintf(&f.a, "{\"TableName\":\"t_sc\",\"Segment\":%d,"
                                                   "\"TotalSegments\":%d", s, total);
            const char *part = all_pages(&f, "Scan", head, 3, &n_pages);
            if (*part)
                acc = arena_sprintf(&f.a, "%s%s%s", acc, *acc ? "," : "", part);
        }
        CHECK_EQ_STR(sorted(&f.a, acc), want);
    }
    /* Filter on key attributes is allowed in Scan; Count / ScannedCount. */
    FX_OK(&f, "Scan", "{\"TableName\":\"t_sc\",\"FilterExpression\":\"begins_with(sk, :s)\","
                      "\"ExpressionAttributeValues\":{\":s\":{\"S\":\"s\"}},\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "20");
    CHECK_EQ_STR(fx_at(&f, "ScannedCount"), "40");
    ddb__key_set_hash_hook(NULL);
    fx_close(&f);
}

TEST(ddb_scan_page_size_and_errors) {
    ddb_fixture_t f;
    char *big = malloc(300 * 1024 + 1);
    int n_pages;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("t_sb"));
    memset(big, 'x', 300 * 1024);
    big[300 * 1024] = 0;
    for (int i = 1; i <= 5; i++)
        FX_OK(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"t_sb\",\"Item\":{\"pk\":{\"S\":"
                                                 "\"k%d\"},\"n\":{\"N\":\"%d\"},\"big\":{\"S\":"
                                                 "\"%s\"}}}", i, i, big));
    free(big);
    /* 1 MB of evaluated items ends a page. */
    FX_OK(&f, "Scan", "{\"TableName\":\"t_sb\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "ScannedCount"), "4");
    CHECK(fx_at(&f, "LastEvaluatedKey") != NULL);
    CHECK_EQ_STR(sorted(&f.a, all_pages(&f, "Scan", "{\"TableName\":\"t_sb\","
                                                    "\"ProjectionExpression\":\"n\"", 100, &n_pages)),
                 "1,2,3,4,5");
    CHECK_EQ_INT(n_pages, 2);

    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"Segment\":1}", "ValidationException",
           "The TotalSegments parameter is required but was not present in the request when "
           "Segment parameter is present");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"TotalSegments\":2}", "ValidationException",
           "The Segment parameter is required but was not present in the request when parameter "
           "TotalSegments is present");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"Segment\":2,\"TotalSegments\":2}",
           "ValidationException",
           "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
           "Segment: 2 is not less than TotalSegments: 2");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"Segment\":0,\"TotalSegments\":0}",
           "ValidationException",
           "Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value "
           "greater than or equal to 1");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"ExpressionAttributeValues\":{\":a\":{\"S\":\"x\"}}}",
           "ValidationException",
           "ExpressionAttributeValues can only be specified when using expressions: "
           "FilterExpression is null");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"IndexName\":\"idx\"}", "ValidationException",
           "The table does not have the specified index: idx");
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"Limit\":\"2\"}", "SerializationException", NULL);
    FX_ERR(&f, "Scan", "{\"TableName\":\"t_sb\",\"ExclusiveStartKey\":{\"nope\":{\"S\":\"x\"}}}",
           "ValidationException",
           "The provided starting key is invalid: The provided key element does not match the "
           "schema");
    fx_close(&f);
}

TEST(ddb_query_legacy_key_conditions) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK_SK("t_lk", "N"));
    for (int i = 1; i <= 5; i++)
        put(&f, "t_lk", "p", "N", arena_sprintf(&f.a, "%d", i), i);
    FX_OK(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                       "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]},"
                       "\"sk\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":"
                       "[{\"N\":\"2\"},{\"N\":\"4.0\"}]}},\"ScanIndexForward\":false}");
    CHECK_EQ_STR(ns_of(&f), "4,3,2");
    /* With a FilterExpression (allowed) and AttributesToGet. */
    FX_OK(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                       "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]}},"
                       "\"FilterExpression\":\"n > :two\",\"ExpressionAttributeValues\":{\":two\":"
                       "{\"N\":\"2\"}}}");
    CHECK_EQ_STR(ns_of(&f), "3,4,5");
    FX_OK(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                       "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]},"
                       "\"sk\":{\"ComparisonOperator\":\"GT\",\"AttributeValueList\":[{\"N\":\"4\"}]}},"
                       "\"AttributesToGet\":[\"n\"]}");
    CHECK_EQ_STR(fx_at(&f, "Items"), "[{\"n\":{\"N\":\"5\"}}]");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"pk\":{\"ComparisonOperator\":\"BEGINS_WITH\",\"AttributeValueList\":"
                        "[{\"S\":\"p\"}]}}}",
           "ValidationException", "Query key condition not supported");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"sk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"N\":\"1\"}]}}}",
           "ValidationException", "Query condition missed key schema element: pk");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]},"
                        "\"sk\":{\"ComparisonOperator\":\"NE\",\"AttributeValueList\":[{\"N\":\"1\"}]}}}",
           "ValidationException", "Attempted conditional constraint is not an indexable operation");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[]}}}",
           "ValidationException",
           "One or more parameter values were invalid: Invalid number of argument(s) for the EQ "
           "ComparisonOperator");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]}},"
                        "\"KeyConditionExpression\":\"pk = :p\",\"ExpressionAttributeValues\":"
                        "{\":p\":{\"S\":\"p\"}}}",
           "ValidationException",
           "Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {KeyConditions} Expression parameters: "
           "{KeyConditionExpression}");
    FX_ERR(&f, "Query", "{\"TableName\":\"t_lk\",\"KeyConditions\":{"
                        "\"pk\":{\"ComparisonOperator\":\"EQQ\",\"AttributeValueList\":[{\"S\":\"p\"}]}}}",
           "ValidationException",
           "Value 'EQQ' at 'keyConditions.pk.member.comparisonOperator' failed to satisfy "
           "constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, "
           "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
    fx_close(&f);
}
