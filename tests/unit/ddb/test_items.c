/* test_items.c - CreateTable / DescribeTable / ListTables / DeleteTable and
 * PutItem / GetItem / UpdateItem / DeleteItem through ddb_call, with AWS's
 * messages. */
#include "ddb_test.h"

#define CREATE_PK(name)                                                                  \
    "{\"TableName\":\"" name "\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","  \
    "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"   \
    "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

TEST(ddb_table_create_describe_delete) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("tab1"));
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableName"), "\"tab1\"");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableStatus"), "\"ACTIVE\"");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableArn"),
                 "\"arn:aws:dynamodb:us-east-1:123456789012:table/tab1\"");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.BillingModeSummary.BillingMode"),
                 "\"PAY_PER_REQUEST\"");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.ProvisionedThroughput"),
                 "{\"NumberOfDecreasesToday\":0,\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0}");
    CHECK(fx_at(&f, "TableDescription.TableId") && strlen(fx_at(&f, "TableDescription.TableId")) == 38);
    FX_ERR(&f, "CreateTable", CREATE_PK("tab1"), "ResourceInUseException", "Table already exists: tab1");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"tab1\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "0");
    FX_ERR(&f, "DescribeTable", "{\"TableName\":\"nope\"}", "ResourceNotFoundException",
           "Requested resource not found: Table: nope not found");
    FX_OK(&f, "PutItem", "{\"TableName\":\"tab1\",\"Item\":{\"pk\":{\"S\":\"a\"},\"x\":{\"S\":\"yz\"}}}");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"tab1\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "1");
    CHECK_EQ_STR(fx_at(&f, "Table.TableSizeBytes"), "6");
    FX_OK(&f, "DeleteTable", "{\"TableName\":\"tab1\"}");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableStatus"), "\"DELETING\"");
    FX_ERR(&f, "GetItem", "{\"TableName\":\"tab1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}",
           "ResourceNotFoundException", "Requested resource not found");
    /* Re-created: empty. */
    FX_OK(&f, "CreateTable", CREATE_PK("tab1"));
    FX_OK(&f, "GetItem", "{\"TableName\":\"tab1\",\"Key\":{\"pk\":{\"S\":\"a\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    fx_close(&f);
}

TEST(ddb_table_create_errors) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_ERR(&f, "CreateTable",
           "{\"TableName\":\"tab2\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
           "\"AttributeType\":\"S\"},{\"AttributeName\":\"x\",\"AttributeType\":\"S\"}],"
           "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
           "\"BillingMode\":\"PAY_PER_REQUEST\"}",
           "ValidationException",
           "One or more parameter values were invalid: Number of attributes in KeySchema does "
           "not exactly match number of attributes defined in AttributeDefinitions");
    FX_ERR(&f, "CreateTable",
           "{\"TableName\":\"tab2\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
           "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}",
           "ValidationException",
           "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    FX_ERR(&f, "CreateTable",
           "{\"TableName\":\"tab2\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
           "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"zz\",\"KeyType\":\"HASH\"}],"
           "\"BillingMode\":\"PAY_PER_REQUEST\"}",
           "ValidationException",
           "Some index key attributes are not defined in AttributeDefinitions. Keys: [zz], "
           "AttributeDefinitions: [pk]");
    FX_ERR(&f, "CreateTable",
           "{\"TableName\":\"a!\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
           "\"AttributeType\":\"X\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
           "\"BillingMode\":\"PAY_PER_REQUEST\"}",
           "ValidationException", "3 validation errors detected: ");
    FX_ERR(&f, "CreateTable", "{\"TableName\":5}", "SerializationException",
           "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String");
    FX_ERR(&f, "CreateTable",
           "{\"TableName\":\"tab2\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
           "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"RANGE\"}],"
           "\"BillingMode\":\"PAY_PER_REQUEST\"}",
           "ValidationException", "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    {
        /* Key schema checks in DynamoDB's order (recorded responses). */
        struct { const char *defs, *keys, *msg; } ks[] = {
            {"", "{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"}",
             "Invalid KeySchema: Some index key attribute have no definition"},
            {"{\"AttributeName\":\"a\",\"AttributeType\":\"S\"}",
             "{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"}",
             "Invalid KeySchema: Some index key attribute have no definition"},
            {"{\"AttributeName\":\"a\",\"AttributeType\":\"S\"},{\"AttributeName\":\"b\",\"AttributeType\":\"S\"}",
             "{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"}",
             "Both the Hash Key and the Range Key element in the KeySchema have the same name"},
            {"{\"AttributeName\":\"a\",\"AttributeType\":\"S\"},{\"AttributeName\":\"b\",\"AttributeType\":\"S\"}",
             "{\"AttributeName\":\"a\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"b\",\"KeyType\":\"HASH\"}",
             "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"},
        };
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
            char *body = arena_sprintf(&f.a, "{\"TableName\":\"ksx\",\"AttributeDefinitions\":[%s],"
                                             "\"KeySchema\":[%s],\"BillingMode\":\"PAY_PER_REQUEST\"}",
                                       ks[i].defs, ks[i].keys);
            FX_ERR(&f, "CreateTable", body, "ValidationException", ks[i].msg);
        }
    }
    FX_OK(&f, "CreateTable",
          "{\"TableName\":\"prov\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
          "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":3}}");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.ProvisionedThroughput.WriteCapacityUnits"), "3");
    CHECK(fx_at(&f, "TableDescription.BillingModeSummary") == NULL);
    fx_close(&f);
}

TEST(ddb_table_list_pagination) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("ccc"));
    FX_OK(&f, "CreateTable", CREATE_PK("aaa"));
    FX_OK(&f, "CreateTable", CREATE_PK("bbb"));
    FX_OK(&f, "ListTables", "{}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TableNames\":[\"aaa\",\"bbb\",\"ccc\"]}");
    FX_OK(&f, "ListTables", "{\"Limit\":2}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TableNames\":[\"aaa\",\"bbb\"],\"LastEvaluatedTableName\":\"bbb\"}");
    FX_OK(&f, "ListTables", "{\"Limit\":2,\"ExclusiveStartTableName\":\"bbb\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TableNames\":[\"ccc\"]}");
    FX_ERR(&f, "ListTables", "{\"Limit\":0}", "ValidationException",
           "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1");
    fx_close(&f);
}

TEST(ddb_item_put_get_numbers_and_empties) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable",
          "{\"TableName\":\"num\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
          "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    FX_OK(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":\"1E3\"},\"a\":{\"N\":"
                         "\"0012.3400\"},\"s\":{\"S\":\"\"},\"b\":{\"B\":\"\"},\"l\":{\"L\":[]},"
                         "\"m\":{\"M\":{}}}}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    FX_OK(&f, "GetItem", "{\"TableName\":\"num\",\"Key\":{\"pk\":{\"N\":\"1000.0\"}},\"ConsistentRead\":true}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"pk\":{\"N\":\"1000\"},\"a\":{\"N\":\"12.34\"},\"s\":"
                              "{\"S\":\"\"},\"b\":{\"B\":\"\"},\"l\":{\"L\":[]},\"m\":{\"M\":{}}}}");
    FX_OK(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":\"1000\"},\"a\":{\"N\":\"7\"}},"
                         "\"ReturnValues\":\"ALL_OLD\"}");
    CHECK_EQ_STR(fx_at(&f, "Attributes.a.N"), "\"12.34\"");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"num\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.ItemCount"), "1");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":\"2\"},\"ss\":{\"SS\":[]}}}",
           "ValidationException", "An string set  may not be empty");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"S\":\"2\"}}}",
           "ValidationException",
           "One or more parameter values were invalid: Type mismatch for key pk expected: N "
           "actual: S");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"x\":{\"S\":\"2\"}}}",
           "ValidationException",
           "One or more parameter values were invalid: Missing the key pk in the item");
    FX_ERR(&f, "GetItem", "{\"TableName\":\"num\",\"Key\":{\"pk\":{\"N\":\"2\"},\"x\":{\"S\":\"2\"}}}",
           "ValidationException", "The provided key element does not match the schema");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":123}}}",
           "SerializationException", NULL);
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}",
           "ValidationException", "ReturnValues can only be ALL_OLD or NONE");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\",\"Item\":{\"pk\":{\"N\":\"1\"}},\"ReturnValues\":\"BAD\"}",
           "ValidationException",
           "1 validation error detected: Value 'BAD' at 'returnValues' failed to satisfy "
           "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"nope\",\"Item\":{\"pk\":{\"N\":\"1\"}}}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"num\"}", "ValidationException",
           "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
    fx_close(&f);
}

TEST(ddb_item_empty_key_and_size) {
    ddb_fixture_t f;
    char *big;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("emp"));
    FX_ERR(&f, "PutItem", "{\"TableName\":\"emp\",\"Item\":{\"pk\":{\"S\":\"\"}}}", "ValidationException",
           "One or more parameter values are not valid. The AttributeValue for a key attribute "
           "cannot contain an empty string value. Key: pk");
    big = arena_alloc(&f.a, 410000);
    strcpy(big, "{\"TableName\":\"emp\",\"Item\":{\"pk\":{\"S\":\"k\"},\"b\":{\"S\":\"");
    size_t n = strlen(big);
    /* "pk" + "k" + "b" = 4 bytes + len: exactly 409600 passes, one more fails. */
    memset(big + n, 'a', 409600 - 4);
    strcpy(big + n + 409600 - 4, "\"}}}");
    FX_OK(&f, "PutItem", big);
    memset(big + n, 'a', 409600 - 3);
    strcpy(big + n + 409600 - 3, "\"}}}");
    FX_ERR(&f, "PutItem", big, "ValidationException", "Item size has exceeded the maximum allowed size");
    fx_close(&f);
}

TEST(ddb_item_conditions_and_return_values) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("cnd"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"cnd\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}},"
                         "\"ConditionExpression\":\"attribute_not_exists(pk)\"}");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"cnd\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"ConditionExpression\":\"attribute_not_exists(pk)\","
                          "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
           "ConditionalCheckFailedException", "The conditional request failed");
    CHECK_EQ_STR(fx_at(&f, "Item.v.N"), "\"1\"");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"ConditionExpression\":\"v = :two\",\"ExpressionAttributeValues\":"
                             "{\":two\":{\"N\":\"2\"}}}",
           "ConditionalCheckFailedException", "The conditional request failed");
    CHECK(f.resp == NULL);
    FX_ERR(&f, "PutItem", "{\"TableName\":\"cnd\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"ExpressionAttributeValues\":{\":x\":{\"S\":\"1\"}}}",
           "ValidationException",
           "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"cnd\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"ConditionExpression\":\"attribute_exists(pk)\","
                          "\"ExpressionAttributeValues\":{\":x\":{\"S\":\"1\"}}}",
           "ValidationException", "unused in expressions");
    /* UpdateItem: creates, returns values. */
    FX_OK(&f, "UpdateItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
                            "\"UpdateExpression\":\"SET n = :one\",\"ExpressionAttributeValues\":"
                            "{\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Attributes\":{\"pk\":{\"S\":\"new\"},\"n\":{\"N\":\"1\"}}}");
    FX_OK(&f, "UpdateItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
                            "\"UpdateExpression\":\"SET n = n + :one, m = :one\",\"ExpressionAttributeValues\":"
                            "{\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"UPDATED_OLD\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Attributes\":{\"n\":{\"N\":\"1\"}}}");
    FX_OK(&f, "UpdateItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
                            "\"UpdateExpression\":\"REMOVE m\",\"ReturnValues\":\"UPDATED_NEW\"}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    FX_ERR(&f, "UpdateItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
                             "\"UpdateExpression\":\"SET pk = :one\",\"ExpressionAttributeValues\":"
                             "{\":one\":{\"S\":\"1\"}}}",
           "ValidationException",
           "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
    FX_OK(&f, "GetItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},"
                         "\"ProjectionExpression\":\"#n\",\"ExpressionAttributeNames\":{\"#n\":\"n\"}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Item\":{\"n\":{\"N\":\"2\"}}}");
    FX_OK(&f, "DeleteItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},\"ReturnValues\":\"ALL_OLD\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Attributes\":{\"pk\":{\"S\":\"new\"},\"n\":{\"N\":\"2\"}}}");
    FX_OK(&f, "DeleteItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"new\"}},\"ReturnValues\":\"ALL_OLD\"}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    FX_OK(&f, "GetItem", "{\"TableName\":\"cnd\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ReturnConsumedCapacity\":\"TOTAL\"}");
    CHECK_EQ_STR(fx_at(&f, "ConsumedCapacity"), "{\"TableName\":\"cnd\",\"CapacityUnits\":0.5}");
    FX_ERR(&f, "Query2", "{}", "UnknownOperationException", NULL);
    fx_close(&f);
}

TEST(ddb_item_legacy_expected_and_attribute_updates) {
    ddb_fixture_t f;
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("leg"));
    FX_OK(&f, "PutItem", "{\"TableName\":\"leg\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"5\"},"
                         "\"s\":{\"S\":\"hello\"}},\"Expected\":{\"pk\":{\"Exists\":false}}}");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"leg\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"Expected\":{\"pk\":{\"Exists\":false}}}",
           "ConditionalCheckFailedException", "The conditional request failed");
    FX_ERR(&f, "PutItem", "{\"TableName\":\"leg\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                          "\"Expected\":{\"v\":{\"Value\":{\"N\":\"6\"}}}}",
           "ConditionalCheckFailedException", NULL);
    FX_OK(&f, "UpdateItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                            "\"Expected\":{\"v\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":"
                            "[{\"N\":\"1\"},{\"N\":\"5.0\"}]},\"s\":{\"ComparisonOperator\":\"BEGINS_WITH\","
                            "\"AttributeValueList\":[{\"S\":\"he\"}]}},"
                            "\"AttributeUpdates\":{\"v\":{\"Action\":\"ADD\",\"Value\":{\"N\":\"1.5\"}},"
                            "\"t\":{\"Action\":\"ADD\",\"Value\":{\"SS\":[\"x\",\"y\"]}},"
                            "\"s\":{\"Action\":\"DELETE\"}},\"ReturnValues\":\"UPDATED_NEW\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Attributes\":{\"v\":{\"N\":\"6.5\"},\"t\":{\"SS\":[\"x\",\"y\"]}}}");
    FX_OK(&f, "UpdateItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                            "\"Expected\":{\"v\":{\"ComparisonOperator\":\"GT\",\"AttributeValueList\":[{\"N\":\"100\"}]},"
                            "\"t\":{\"ComparisonOperator\":\"CONTAINS\",\"AttributeValueList\":[{\"S\":\"y\"}]}},"
                            "\"ConditionalOperator\":\"OR\","
                            "\"AttributeUpdates\":{\"t\":{\"Action\":\"DELETE\",\"Value\":{\"SS\":[\"x\",\"y\"]}},"
                            "\"w\":{\"Value\":{\"BOOL\":true}}},\"ReturnValues\":\"ALL_NEW\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"Attributes\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"6.5\"},\"w\":{\"BOOL\":true}}}");
    FX_ERR(&f, "UpdateItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"AttributeUpdates\":{\"pk\":{\"Value\":{\"S\":\"b\"}}}}",
           "ValidationException", "Cannot update attribute pk. This attribute is part of the key");
    FX_ERR(&f, "UpdateItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"AttributeUpdates\":{\"x\":{\"Value\":{\"S\":\"b\"}}},\"UpdateExpression\":\"SET y = :v\","
                             "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"1\"}}}",
           "ValidationException",
           "Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"Expected\":{\"a\":{}}}",
           "ValidationException",
           "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"Expected\":{\"a\":{\"Exists\":false,\"Value\":{\"S\":\"a\"}}}}",
           "ValidationException",
           "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"Expected\":{\"a\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[]}}}",
           "ValidationException",
           "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"Expected\":{\"a\":{\"ComparisonOperator\":\"LT\"}}}",
           "ValidationException",
           "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a");
    FX_ERR(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                             "\"Expected\":{\"w\":{\"ComparisonOperator\":\"NULL\"}}}",
           "ConditionalCheckFailedException", NULL);
    FX_OK(&f, "DeleteItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                            "\"Expected\":{\"w\":{\"ComparisonOperator\":\"NOT_NULL\"},"
                            "\"v\":{\"ComparisonOperator\":\"IN\",\"AttributeValueList\":[{\"N\":\"1\"},{\"N\":\"6.50\"}]}}}");
    FX_OK(&f, "GetItem", "{\"TableName\":\"leg\",\"Key\":{\"pk\":{\"S\":\"a\"}}}");
    CHECK_EQ_STR(fx_resp(&f), "{}");
    fx_close(&f);
}

TEST(ddb_table_update_ttl_tags) {
    ddb_fixture_t f;
    const char *arn = "arn:aws:dynamodb:us-east-1:123456789012:table/upd";
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("upd"));
    FX_ERR(&f, "UpdateTable", "{\"TableName\":\"upd\"}", "ValidationException",
           "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled");
    FX_ERR(&f, "UpdateTable", "{\"TableName\":\"upd\",\"BillingMode\":\"PROVISIONED\"}",
           "ValidationException", "ProvisionedThroughput must be specified when BillingMode is PROVISIONED");
    FX_OK(&f, "UpdateTable", "{\"TableName\":\"upd\",\"BillingMode\":\"PROVISIONED\","
                             "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":3,\"WriteCapacityUnits\":4}}");
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableStatus"), "\"UPDATING\"");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"upd\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.BillingModeSummary.BillingMode"), "\"PROVISIONED\"");
    CHECK_EQ_STR(fx_at(&f, "Table.ProvisionedThroughput.ReadCapacityUnits"), "3");
    CHECK_EQ_STR(fx_at(&f, "Table.TableStatus"), "\"ACTIVE\"");
    FX_OK(&f, "UpdateTable", "{\"TableName\":\"upd\",\"DeletionProtectionEnabled\":true}");
    FX_ERR(&f, "DeleteTable", "{\"TableName\":\"upd\"}", "ValidationException",
           "Resource cannot be deleted as it is currently protected against deletion");
    FX_OK(&f, "UpdateTable", "{\"TableName\":\"upd\",\"DeletionProtectionEnabled\":false}");

    FX_OK(&f, "DescribeTimeToLive", "{\"TableName\":\"upd\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"DISABLED\"}}");
    FX_OK(&f, "UpdateTimeToLive", "{\"TableName\":\"upd\",\"TimeToLiveSpecification\":"
                                  "{\"Enabled\":true,\"AttributeName\":\"exp\"}}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TimeToLiveSpecification\":{\"Enabled\":true,\"AttributeName\":\"exp\"}}");
    FX_ERR(&f, "UpdateTimeToLive", "{\"TableName\":\"upd\",\"TimeToLiveSpecification\":"
                                   "{\"Enabled\":true,\"AttributeName\":\"exp\"}}",
           "ValidationException", "TimeToLive is already enabled");
    FX_OK(&f, "DescribeTimeToLive", "{\"TableName\":\"upd\"}");
    CHECK_EQ_STR(fx_resp(&f), "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"ENABLED\","
                              "\"AttributeName\":\"exp\"}}");
    FX_ERR(&f, "DescribeTimeToLive", "{\"TableName\":\"nope\"}", "ResourceNotFoundException",
           "Requested resource not found: Table: nope not found");

    FX_OK(&f, "TagResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\",\"Tags\":[{\"Key\":\"a\","
                                                 "\"Value\":\"1\"},{\"Key\":\"b\",\"Value\":\"2\"}]}", arn));
    FX_OK(&f, "TagResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\",\"Tags\":[{\"Key\":\"a\","
                                                 "\"Value\":\"3\"}]}", arn));
    FX_OK(&f, "UntagResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\",\"TagKeys\":[\"b\"]}", arn));
    FX_OK(&f, "ListTagsOfResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\"}", arn));
    CHECK_EQ_STR(fx_resp(&f), "{\"Tags\":[{\"Key\":\"a\",\"Value\":\"3\"}]}");
    FX_ERR(&f, "ListTagsOfResource",
           "{\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/zzz\"}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_OK(&f, "DeleteTable", "{\"TableName\":\"upd\"}");
    FX_OK(&f, "CreateTable", CREATE_PK("upd"));
    FX_OK(&f, "ListTagsOfResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\"}", arn));
    CHECK_EQ_STR(fx_resp(&f), "{\"Tags\":[]}");
    FX_OK(&f, "DescribeLimits", "{}");
    CHECK_EQ_STR(fx_at(&f, "TableMaxReadCapacityUnits"), "40000");
    fx_close(&f);
}

/* --region/--account of `stepwise serve`: TableArn names them, and only
 * such ARNs reach the table in the tag operations. */
TEST(ddb_set_location_names_arns) {
    ddb_fixture_t f;
    const char *arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/Tab";
    fx_open(&f);
    FX_OK(&f, "CreateTable", CREATE_PK("Before"));
    CHECK_EQ_INT(ddb_set_location(f.db, "eu-west-1", "111122223333", &f.err), 0);
    FX_OK(&f, "CreateTable", CREATE_PK("Tab"));
    CHECK_EQ_STR(fx_at(&f, "TableDescription.TableArn"),
                 "\"arn:aws:dynamodb:eu-west-1:111122223333:table/Tab\"");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"Tab\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.TableArn"), "\"arn:aws:dynamodb:eu-west-1:111122223333:table/Tab\"");
    /* A table made under the old location is described as the new one. */
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"Before\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.TableArn"),
                 "\"arn:aws:dynamodb:eu-west-1:111122223333:table/Before\"");

    FX_OK(&f, "TagResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\",\"Tags\":[{\"Key\":\"k\","
                                                 "\"Value\":\"v\"}]}", arn));
    FX_OK(&f, "ListTagsOfResource", arena_sprintf(&f.a, "{\"ResourceArn\":\"%s\"}", arn));
    CHECK_EQ_STR(fx_resp(&f), "{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}");
    FX_ERR(&f, "ListTagsOfResource",
           "{\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/Tab\"}",
           "ResourceNotFoundException",
           "Requested resource not found: ResourcArn: "
           "arn:aws:dynamodb:us-east-1:123456789012:table/Tab not found");
    FX_ERR(&f, "TagResource",
           "{\"ResourceArn\":\"arn:aws:dynamodb:us-east-1:123456789012:table/Tab\","
           "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
           "ResourceNotFoundException", "Requested resource not found");
    FX_ERR(&f, "ListTagsOfResource",
           "{\"ResourceArn\":\"arn:aws:dynamodb:eu-west-1:999999999999:table/Tab\"}",
           "ResourceNotFoundException", "Requested resource not found");

    /* Refused values change nothing. */
    CHECK_EQ_INT(ddb_set_location(f.db, "EU-west-1", "111122223333", &f.err), -1);
    CHECK_EQ_STR(f.err.type, "ValidationException");
    CHECK_EQ_STR(f.err.msg, "Invalid region 'EU-west-1': expected lowercase letters, digits "
                            "and dashes, such as eu-west-1");
    CHECK_EQ_INT(ddb_set_location(f.db, "eu-west-1", "12", &f.err), -1);
    CHECK_EQ_STR(f.err.msg, "Invalid account '12': expected exactly 12 digits");
    FX_OK(&f, "DescribeTable", "{\"TableName\":\"Tab\"}");
    CHECK_EQ_STR(fx_at(&f, "Table.TableArn"), "\"arn:aws:dynamodb:eu-west-1:111122223333:table/Tab\"");
    fx_close(&f);
}

TEST(ddb_region_account_shapes) {
    CHECK(ddb_region_is_valid("us-east-1"));
    CHECK(ddb_region_is_valid("eu-west-1"));
    CHECK(ddb_region_is_valid("us-gov-west-1"));
    CHECK(ddb_region_is_valid("local"));
    CHECK(!ddb_region_is_valid(""));
    CHECK(!ddb_region_is_valid("Eu-west-1"));
    CHECK(!ddb_region_is_valid("eu_west_1"));
    CHECK(!ddb_region_is_valid("1eu-west"));
    CHECK(!ddb_region_is_valid("-eu-west-1"));
    CHECK(!ddb_region_is_valid("eu-west-"));
    CHECK(!ddb_region_is_valid("eu--west-1"));
    CHECK(!ddb_region_is_valid("eu-west-1:x"));
    CHECK(!ddb_region_is_valid("abcdefghij-abcdefghij-abcdefghij-1"));  /* 34 > 32 */
    CHECK(ddb_account_is_valid("123456789012"));
    CHECK(ddb_account_is_valid("000000000000"));
    CHECK(!ddb_account_is_valid("12"));
    CHECK(!ddb_account_is_valid("1234567890123"));
    CHECK(!ddb_account_is_valid("12345678901a"));
    CHECK(!ddb_account_is_valid(""));
}
