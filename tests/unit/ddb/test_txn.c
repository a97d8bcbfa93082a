/* test_txn.c - TransactWriteItems and TransactGetItems through ddb_call:
 * all-or-nothing writes, CancellationReasons in request order (with the old
 * item on ALL_OLD, ValidationError for errors met while applying an
 * action), AWS's request errors. */
#include "ddb_test.h"

#define CREATE_PK(name)                                                                  \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","  \
    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"   \
    "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

static const char *get_item(ddb_fixture_t *f, const char *table, const char *pk) {
    FX_OK(f, "GetItem", arena_sprintf(&f->a, "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":"
                                             "\"%s\"}}}", table, pk));
    return fx_resp(f);
}

TEST(ddb_txn_write_commit_and_cancel) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tx1"));
    FX_OK(&f, "CreateTable", CREATE_PK("tx2"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}");
    FX_OK(&f, "PutItem", "{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"gone\"}}}");
    FX_OK(&f, "PutItem", "{\"TableName\":\"tx2\",\"Item\":{\"pk\":{\"S\":\"c\"},\"s\":{\"S\":\"x\"}}}");

    /* All four kinds, two tables: committed together. */
    FX_OK(&f, "TransactWriteItems",
          "{\"TransactItems\":["
          "{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"b\"}},"
          "\"ConditionExpression\":\"attribute_not_exists(pk)\"}},"
          "{\"Update\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
          "\"UpdateExpression\":\"SET n = n + :one\",\"ExpressionAttributeValues\":{\":one\":"
          "{\"N\":\"1\"}}}},"
          "{\"Delete\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"gone\"}}}},"
          "{\"ConditionCheck\":{\"TableName\":\"tx2\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
          "\"ConditionExpression\":\"s = :x\",\"ExpressionAttributeValues\":{\":x\":{\"S\":\"x\"}}}}"
          "],\"ClientRequestToken\":\"tok-1\"}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    CHECK_EQ_STR(get_item(&f, "tx1", "b"), "{\"Item\":{\"pk\":{\"S\":\"b\"}}}");
    CHECK_EQ_STR(get_item(&f, "tx1", "a"), "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}}");
    CHECK_EQ_STR(get_item(&f, "tx1", "gone"), "{}");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"tx1\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "2");

    /* A failed check cancels everything; reasons in request order. */
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":["
           "{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"new\"}}}},"
           "{\"ConditionCheck\":{\"TableName\":\"tx2\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
           "\"ConditionExpression\":\"s = :y\",\"ExpressionAttributeValues\":{\":y\":{\"S\":\"y\"}},"
           "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}},"
           "{\"Delete\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"b\"}},"
           "\"ConditionExpression\":\"attribute_exists(nope)\"}},"
           "{\"Update\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
           "\"UpdateExpression\":\"SET n = n + :one\",\"ExpressionAttributeValues\":{\":one\":"
           "{\"N\":\"1\"}}}}"
           "]}",
           "TransactionCanceledException",
           "Transaction cancelled, please refer cancellation reasons for specific reasons "
           "[None, ConditionalCheckFailed, ConditionalCheckFailed, None]");
    CHECK_EQ_STR(fx_resp(&f),
                 "{\"CancellationReasons\":[{\"Code\":\"None\"},{\"Code\":"
                 "\"ConditionalCheckFailed\",\"Message\":\"The conditional request failed\","
                 "\"Item\":{\"pk\":{\"S\":\"c\"},\"s\":{\"S\":\"x\"}}},{\"Code\":"
                 "\"ConditionalCheckFailed\",\"Message\":\"The conditional request failed\"},"
                 "{\"Code\":\"None\"}]}");
    CHECK_EQ_STR(get_item(&f, "tx1", "new"), "{}");
    CHECK_EQ_STR(get_item(&f, "tx1", "a"), "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}}");
    CHECK_EQ_STR(get_item(&f, "tx1", "b"), "{\"Item\":{\"pk\":{\"S\":\"b\"}}}");

    /* An error met while applying an update is a ValidationError reason. */
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":["
           "{\"Update\":{\"TableName\":\"tx2\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
           "\"UpdateExpression\":\"SET s = s + :one\",\"ExpressionAttributeValues\":{\":one\":"
           "{\"N\":\"1\"}}}},"
           "{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"new\"}}}}]}",
           "TransactionCanceledException",
           "[ValidationError, None]");
    CHECK_EQ_STR(fx_resp(&f),
                 "{\"CancellationReasons\":[{\"Code\":\"ValidationError\",\"Message\":\"An "
                 "operand in the update expression has an incorrect data type\"},{\"Code\":"
                 "\"None\"}]}");
    CHECK_EQ_STR(get_item(&f, "tx1", "new"), "{}");
    fx_close(&f);
}

TEST(ddb_txn_write_errors) {
    ddb_fixture_t f;
    char *many;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tx1"));
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":["
           "{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"a\"}}}},"
           "{\"Delete\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}}]}",
           "ValidationException",
           "Transaction request cannot include multiple operations on one item");
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":[{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"a\"}}},"
           "\"Delete\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"b\"}}}}]}",
           "ValidationException",
           "TransactItems can only contain one of Check, Put, Update or Delete");
    FX_ERR(&f, "TransactWriteItems", "{\"TransactItems\":[{}]}", "ValidationException",
           "TransactItems can only contain one of Check, Put, Update or Delete");
    FX_ERR(&f, "TransactWriteItems", "{}", "ValidationException",
           "1 validation error detected: Value null at 'transactItems' failed to satisfy "
           "constraint: Member must not be null");
    FX_ERR(&f, "TransactWriteItems", "{\"TransactItems\":[]}", "ValidationException",
           "Member must have length greater than or equal to 1");
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":[{\"Put\":{\"TableName\":\"nope\",\"Item\":{\"pk\":{\"S\":\"a\"}}}}]}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":[{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"N\":\"1\"}}}}]}",
           "ValidationException",
           "One or more parameter values were invalid: Type mismatch for key pk expected: S "
           "actual: N");
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":[{\"ConditionCheck\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":"
           "\"a\"}}}}]}",
           "ValidationException",
           "Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to "
           "satisfy constraint: Member must not be null");
    FX_ERR(&f, "TransactWriteItems",
           "{\"TransactItems\":[{\"Update\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
           "\"UpdateExpression\":\"SET\"}}]}",
           "ValidationException", "Invalid UpdateExpression: Syntax error");
    /* 101 actions. */
    many = arena_strdup(&f.a, "{\"TransactItems\":[");
    for (int i = 0; i < 101; i++)
        many = arena_sprintf(&f.a, "%s%s{\"Put\":{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":"
                                   "\"k%d\"}}}}", many, i ? "," : "", i);
    many = arena_sprintf(&f.a, "%s]}", many);
    FX_ERR(&f, "TransactWriteItems", many, "ValidationException",
           "Member must have length less than or equal to 100");
    FX_OK(&f, "Scan", "{\"TableName\":\"tx1\",\"Select\":\"COUNT\"}");
    CHECK_EQ_STR(fx_at(&f, "Count"), "0");
    fx_close(&f);
}

TEST(ddb_txn_get) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tx1"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"tx1\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},"
                         "\"m\":{\"S\":\"x\"}}}");
    FX_OK(&f, "TransactGetItems",
          "{\"TransactItems\":[{\"Get\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"missing\"}}}},"
          "{\"Get\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ProjectionExpression\":"
          "\"#n\",\"ExpressionAttributeNames\":{\"#n\":\"n\"}}}]}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Responses\":[{},{\"Item\":{\"n\":{\"N\":\"1\"}}}]}");
    FX_ERR(&f, "TransactGetItems",
           "{\"TransactItems\":[{\"Get\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}},"
           "{\"Get\":{\"TableName\":\"tx1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}}]}",
           "ValidationException",
           "Transaction request cannot include multiple operations on one item");
    FX_ERR(&f, "TransactGetItems", "{\"TransactItems\":[{\"Put\":{}}]}", "ValidationException",
           "Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must "
           "not be null");
    FX_ERR(&f, "TransactGetItems",
           "{\"TransactItems\":[{\"Get\":{\"TableName\":\"nope\",\"Key\":{\"pk\":{\"S\":\"a\"}}}}]}",
           "ResourceNotFoundException", "Requested resource not found");
    fx_close(&f);
}

/* The items of one transaction add up to 4 MB at most (API reference):
 * 11 items of 400,000 bytes are refused and nothing is written; 10 go. */
static const char *big_puts(ddb_fixture_t *f, int n) {
    size_t len = 400000;
    char *fill = arena_alloc(&f->a, len + 1);
    const char *body = "{\"TransactItems\":[";
    memset(fill, 'x', len);
    fill[len] = '\0';
    for (int i = 0; i < n; i++)
        body = arena_sprintf(&f->a, "%s%s{\"Put\":{\"TableName\":\"txbig\",\"Item\":{\"pk\":{"
                                    "\"S\":\"b%d\"},\"d\":{\"S\":\"%s\"}}}}",
                             body, i ? "," : "", i, fill);
    return arena_sprintf(&f->a, "%s]}", body);
}

TEST(ddb_txn_write_size_limit) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("txbig"));
    FX_ERR(&f, "TransactWriteItems", big_puts(&f, 11), "ValidationException",
           "Transaction request cannot be larger than 4 MB");
    CHECK_EQ_STR(get_item(&f, "txbig", "b0"), "{}");
    FX_OK(&f, "TransactWriteItems", big_puts(&f, 10));
    CHECK(strstr(get_item(&f, "txbig", "b9"), "\"b9\"") != NULL);
    fx_close(&f);
}
