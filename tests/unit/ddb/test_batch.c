/* test_batch.c - BatchGetItem and BatchWriteItem through ddb_call: several
 * tables, per-table projection, nothing unprocessed, limits, duplicate keys
 * and AWS's messages; a rejected batch writes nothing. */
#include "ddb_test.h"

#define CREATE_PK(name)                                                                  \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","  \
    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"   \
    "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"
#define CREATE_PK_SK(name)                                                                   \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","      \
    "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"          \
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":"     \
    "\"sk\",\"KeyType\":\"RANGE\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

TEST(ddb_batch_write_then_get) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("bt1"));
    FX_OK(&f, "CreateTable", CREATE_PK_SK("bt2"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"bt1\",\"Item\":{\"pk\":{\"S\":\"old\"}}}");
    FX_OK(&f, "BatchWriteItem",
          "{\"RequestItems\":{"
          "\"bt1\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"},\"w\":{\"S\":\"x\"}}}},"
          "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"b\"},\"v\":{\"N\":\"2\"}}}},"
          "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"old\"}}}}],"
          "\"bt2\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1E2\"}}}},"
          "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"7\"}}}}]},"
          "\"ReturnConsumedCapacity\":\"TOTAL\"}");
    CHECK_EQ_STR(fx_at(&f, "UnprocessedItems"), "{}");
    CHECK_EQ_STR(fx_at(&f, "ConsumedCapacity"),
                 "[{\"TableName\":\"bt1\",\"CapacityUnits\":3.0},{\"TableName\":\"bt2\","
                 "\"CapacityUnits\":2.0}]");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"bt1\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "2");

    FX_OK(&f, "BatchGetItem",
          "{\"RequestItems\":{"
          "\"bt1\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"missing\"}},{\"pk\":{\"S\":\"b\"}}],"
          "\"ProjectionExpression\":\"#v\",\"ExpressionAttributeNames\":{\"#v\":\"v\"},"
          "\"ConsistentRead\":true},"
          "\"bt2\":{\"Keys\":[{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"100\"}}]}}}");
    CHECK_EQ_STR(fx_at(&f, "Responses.bt1"), "[{\"v\":{\"N\":\"1\"}},{\"v\":{\"N\":\"2\"}}]");
    CHECK_EQ_STR(fx_at(&f, "Responses.bt2"), "[{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"100\"}}]");
    CHECK_EQ_STR(fx_at(&f, "UnprocessedKeys"), "{}");
    /* Nothing found: an empty list for the table. */
    FX_OK(&f, "BatchGetItem", "{\"RequestItems\":{\"bt1\":{\"Keys\":[{\"pk\":{\"S\":\"zz\"}}],"
                              "\"AttributesToGet\":[\"v\"]}}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Responses\":{\"bt1\":[]},\"UnprocessedKeys\":{}}");
    fx_close(&f);
}

TEST(ddb_batch_errors) {
    ddb_fixture_t f;
    char *body;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("bt1"));
    FX_OK(&f, "CreateTable", CREATE_PK("bt2"));
    FX_ERR(&f, "BatchGetItem",
           "{\"RequestItems\":{\"bt1\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}},{\"pk\":{\"S\":\"a\"}}]}}}",
           "ValidationException", "Provided list of item keys contains duplicates");
    FX_ERR(&f, "BatchWriteItem",
           "{\"RequestItems\":{\"bt1\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"}}}},"
           "{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"a\"}}}}]}}",
           "ValidationException", "Provided list of item keys contains duplicates");
    FX_ERR(&f, "BatchGetItem", "{}", "ValidationException",
           "1 validation error detected: Value null at 'requestItems' failed to satisfy "
           "constraint: Member must not be null");
    FX_ERR(&f, "BatchGetItem", "{\"RequestItems\":{}}", "ValidationException",
           "Member must have length greater than or equal to 1");
    FX_ERR(&f, "BatchGetItem", "{\"RequestItems\":{\"bt1\":{\"Keys\":[]}}}", "ValidationException",
           "Value '[]' at 'requestItems.bt1.member.keys' failed to satisfy constraint: Member "
           "must have length greater than or equal to 1");
    FX_ERR(&f, "BatchGetItem", "{\"RequestItems\":{\"nope\":{\"Keys\":[{\"pk\":{\"S\":\"a\"}}]}}}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_ERR(&f, "BatchGetItem", "{\"RequestItems\":{\"bt1\":{\"Keys\":[{\"pk\":{\"N\":\"1\"}}]}}}",
           "ValidationException", "The provided key element does not match the schema");
    FX_ERR(&f, "BatchWriteItem", "{\"RequestItems\":{\"bt1\":[{}]}}", "ValidationException",
           "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
           "the supported datatypes");

    /* 101 keys over two tables. */
    body = arena_strdup(&f.a, "{\"RequestItems\":{\"bt1\":{\"Keys\":[");
    for (int i = 0; i < 60; i++)
        body = arena_sprintf(&f.a, "%s%s{\"pk\":{\"S\":\"k%d\"}}", body, i ? "," : "", i);
    body = arena_sprintf(&f.a, "%s]},\"bt2\":{\"Keys\":[", body);
    for (int i = 0; i < 41; i++)
        body = arena_sprintf(&f.a, "%s%s{\"pk\":{\"S\":\"k%d\"}}", body, i ? "," : "", i);
    body = arena_sprintf(&f.a, "%s]}}}", body);
    FX_ERR(&f, "BatchGetItem", body, "ValidationException",
           "Too many items requested for the BatchGetItem call");

    /* 26 writes over two tables; 26 in one table. */
    body = arena_strdup(&f.a, "{\"RequestItems\":{\"bt1\":[");
    for (int i = 0; i < 13; i++)
        body = arena_sprintf(&f.a, "%s%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k%d\"}}}}", body,
                             i ? "," : "", i);
    body = arena_sprintf(&f.a, "%s],\"bt2\":[", body);
    for (int i = 0; i < 13; i++)
        body = arena_sprintf(&f.a, "%s%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k%d\"}}}}", body,
                             i ? "," : "", i);
    body = arena_sprintf(&f.a, "%s]}}", body);
    FX_ERR(&f, "BatchWriteItem", body, "ValidationException",
           "Too many items requested for the BatchWriteItem call");
    body = arena_strdup(&f.a, "{\"RequestItems\":{\"bt1\":[");
    for (int i = 0; i < 26; i++)
        body = arena_sprintf(&f.a, "%s%s{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"k%d\"}}}}", body,
                             i ? "," : "", i);
    body = arena_sprintf(&f.a, "%s]}}", body);
    FX_ERR(&f, "BatchWriteItem", body, "ValidationException",
           "Member must have length less than or equal to 25");

    /* A batch naming a missing table writes nothing at all. */
    FX_ERR(&f, "BatchWriteItem",
           "{\"RequestItems\":{\"bt1\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"}}}}],"
           "\"nope\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"a\"}}}}]}}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_OK(&f, "Scan", "{\"TableName\":\"bt1\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "0");
    fx_close(&f);
}

/* BatchGetItem answers at most 16 MB of items and hands the keys it did
 * not read back in UnprocessedKeys (API reference), with the table's
 * other request members. */
TEST(ddb_batch_get_16mb_partial_result) {
    ddb_fixture_t f;
    size_t len = 400000;
    char *fill;
    const char *keys = "";
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("bigb"));
    fill = arena_alloc(&f.a, len + 1);
    memset(fill, 'x', len);
    fill[len] = '\0';
    for (int i = 0; i < 45; i++) {
        FX_OK(&f, "PutItem", arena_sprintf(&f.a, "{\"TableName\":\"bigb\",\"Item\":{\"pk\":{"
                                                 "\"S\":\"k%02d\"},\"d\":{\"S\":\"%s\"}}}",
                                           i, fill));
        keys = arena_sprintf(&f.a, "%s%s{\"pk\":{\"S\":\"k%02d\"}}", keys, i ? "," : "", i);
    }
    FX_OK(&f, "BatchGetItem",
          arena_sprintf(&f.a, "{\"RequestItems\":{\"bigb\":{\"Keys\":[%s],"
                              "\"ConsistentRead\":true}}}", keys));
    const json_t *got = json_obj_get(json_obj_get(f.resp, "Responses"), "bigb");
    const json_t *left = json_obj_get(json_obj_get(f.resp, "UnprocessedKeys"), "bigb");
    size_t n_got = got ? got->len : 0;
    size_t n_left = left ? json_obj_get(left, "Keys")->len : 0;
    CHECK(n_got > 0 && n_got * (len + 3) <= (size_t)16 * 1024 * 1024);
    CHECK_EQ_INT(n_got + n_left, 45);
    CHECK(n_left > 0);
    CHECK(left && json_obj_get(left, "ConsistentRead") != NULL);
    fx_close(&f);
}
