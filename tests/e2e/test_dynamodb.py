"""boto3's DynamoDB client against `stepwise serve`: table and item round
trips, and AWS's exact error names, messages and status codes."""
import pytest
from botocore.exceptions import ClientError

TABLE = "Orders"


def error(excinfo):
    e = excinfo.value.response
    return (e["Error"]["Code"], e["Error"]["Message"],
            e["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture(scope="module")
def table(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST")
    return TABLE


def test_list_tables_empty_then_created(ddb, table):
    assert ddb.list_tables()["TableNames"] == [TABLE]


def test_create_table_description(ddb):
    out = ddb.create_table(
        TableName="Simple",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    d = out["TableDescription"]
    assert d["TableName"] == "Simple"
    assert d["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert d["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert d["TableStatus"] in ("CREATING", "ACTIVE")
    assert d["TableArn"].endswith(":table/Simple")
    assert d["ItemCount"] == 0
    assert d["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    ddb.delete_table(TableName="Simple")


def test_create_existing_table(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST")
    assert error(e) == ("ResourceInUseException", "Table already exists: Orders", 400)


def test_describe_table(ddb, table):
    d = ddb.describe_table(TableName=TABLE)["Table"]
    assert d["TableName"] == TABLE
    assert d["TableStatus"] == "ACTIVE"
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_put_get_round_trip(ddb, table):
    item = {"pk": {"S": "user#1"}, "sk": {"N": "1"}, "name": {"S": "Ada"},
            "tags": {"SS": ["a", "b"]}, "n": {"N": "12345678901234567890"},
            "nested": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}},
            "blob": {"B": b"\x00\x01\xff"}}
    assert "Attributes" not in ddb.put_item(TableName=TABLE, Item=item)
    got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "user#1"}, "sk": {"N": "1"}})
    assert got["Item"]["name"] == {"S": "Ada"}
    assert got["Item"]["n"] == {"N": "12345678901234567890"}
    assert sorted(got["Item"]["tags"]["SS"]) == ["a", "b"]
    assert got["Item"]["blob"] == {"B": b"\x00\x01\xff"}
    assert got["Item"]["nested"] == item["nested"]


def test_get_missing_item(ddb, table):
    got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "nobody"}, "sk": {"N": "1"}})
    assert "Item" not in got


def test_put_return_old_values(ddb, table):
    key = {"pk": {"S": "user#2"}, "sk": {"N": "2"}}
    ddb.put_item(TableName=TABLE, Item={**key, "v": {"N": "1"}})
    out = ddb.put_item(TableName=TABLE, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**key, "v": {"N": "1"}}


def test_update_item(ddb, table):
    key = {"pk": {"S": "user#3"}, "sk": {"N": "3"}}
    out = ddb.update_item(
        TableName=TABLE, Key=key,
        UpdateExpression="SET #c = if_not_exists(#c, :zero) + :one, title = :t",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"},
                                   ":t": {"S": "first"}},
        ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key, "count": {"N": "1"}, "title": {"S": "first"}}
    out = ddb.update_item(
        TableName=TABLE, Key=key, UpdateExpression="ADD #c :one REMOVE title",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"count": {"N": "2"}}


def test_conditional_check_failed(ddb, table):
    key = {"pk": {"S": "user#4"}, "sk": {"N": "4"}}
    ddb.put_item(TableName=TABLE, Item={**key, "v": {"N": "1"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=TABLE, Item={**key, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert error(e) == ("ConditionalCheckFailedException", "The conditional request failed", 400)
    got = ddb.get_item(TableName=TABLE, Key=key)["Item"]
    assert got["v"] == {"N": "1"}


def test_delete_item(ddb, table):
    key = {"pk": {"S": "user#5"}, "sk": {"N": "5"}}
    ddb.put_item(TableName=TABLE, Item={**key, "v": {"S": "x"}})
    out = ddb.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**key, "v": {"S": "x"}}
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key)
    with pytest.raises(ClientError) as e:
        ddb.delete_item(TableName=TABLE, Key=key, ConditionExpression="attribute_exists(pk)")
    assert error(e)[0] == "ConditionalCheckFailedException"


def test_validation_missing_key(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "x"}})
    assert error(e) == ("ValidationException",
                        "One or more parameter values were invalid: "
                        "Missing the key sk in the item", 400)


def test_validation_key_type(ddb, table):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=TABLE, Key={"pk": {"S": "x"}, "sk": {"S": "1"}})
    assert error(e) == ("ValidationException",
                        "The provided key element does not match the schema", 400)


def test_resource_not_found(ddb):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName="Missing", Key={"pk": {"S": "x"}})
    assert error(e) == ("ResourceNotFoundException", "Requested resource not found", 400)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="Missing")
    assert error(e) == ("ResourceNotFoundException",
                        "Requested resource not found: Table: Missing not found", 400)


def test_delete_table(ddb):
    ddb.create_table(
        TableName="Doomed",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="Doomed", Item={"id": {"S": "1"}})
    d = ddb.delete_table(TableName="Doomed")["TableDescription"]
    assert d["TableName"] == "Doomed"
    assert "Doomed" not in ddb.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName="Doomed")
    assert error(e)[0] == "ResourceNotFoundException"


def test_request_id_and_crc_headers(ddb, table):
    out = ddb.list_tables()
    h = out["ResponseMetadata"]["HTTPHeaders"]
    assert len(out["ResponseMetadata"]["RequestId"]) == 52
    assert "x-amz-crc32" in h   # botocore checks it against the body
    assert h["content-type"] == "application/x-amz-json-1.0"
