// The AWS SDK for JavaScript v3 DynamoDB client against `stepwise serve`:
// table and item round trips, and AWS's exact values, error names, messages
// and status codes (the same ones tests/e2e/test_dynamodb.py asserts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

import { rejection, startServer } from "./server.mjs";

const TABLE = "Orders";
let server;
let ddb;

before(async () => {
  server = await startServer();
  ddb = new DynamoDBClient(server.clientConfig());
  await ddb.send(new CreateTableCommand({
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" },
                           { AttributeName: "sk", AttributeType: "N" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" },
                { AttributeName: "sk", KeyType: "RANGE" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
});

after(async () => {
  ddb?.destroy();
  if (server) {
    const { code, signal, output } = await server.stop();
    assert.equal(code, 0, `stepwise serve exited with ${code ?? signal}:\n${output}`);
  }
});

/** The error as [SDK class name, name, message, HTTP status]. */
function error(err) {
  assert.ok(err instanceof DynamoDBServiceException, `not a service exception: ${err}`);
  return [err.constructor.name, err.name, err.message, err.$metadata.httpStatusCode];
}

test("ListTables lists the created table", async () => {
  const out = await ddb.send(new ListTablesCommand({}));
  assert.deepEqual(out.TableNames, [TABLE]);
});

test("CreateTable returns the table description", async () => {
  const out = await ddb.send(new CreateTableCommand({
    TableName: "Simple",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
  }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  const d = out.TableDescription;
  assert.equal(d.TableName, "Simple");
  assert.deepEqual(d.KeySchema, [{ AttributeName: "id", KeyType: "HASH" }]);
  assert.deepEqual(d.AttributeDefinitions, [{ AttributeName: "id", AttributeType: "S" }]);
  assert.ok(["CREATING", "ACTIVE"].includes(d.TableStatus), d.TableStatus);
  assert.equal(d.TableArn, "arn:aws:dynamodb:us-east-1:123456789012:table/Simple");
  assert.equal(d.ItemCount, 0);
  assert.equal(d.ProvisionedThroughput.ReadCapacityUnits, 5);
  assert.equal(d.ProvisionedThroughput.WriteCapacityUnits, 5);
  assert.ok(d.CreationDateTime instanceof Date, "CreationDateTime is parsed as a date");
  await ddb.send(new DeleteTableCommand({ TableName: "Simple" }));
});

test("CreateTable of an existing table: ResourceInUseException", async () => {
  const err = await rejection(ddb.send(new CreateTableCommand({
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  })));
  assert.ok(err instanceof ResourceInUseException);
  assert.deepEqual(error(err), ["ResourceInUseException", "ResourceInUseException",
                                "Table already exists: Orders", 400]);
});

test("DescribeTable: ACTIVE, key schema, billing mode", async () => {
  const { Table: d } = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
  assert.equal(d.TableName, TABLE);
  assert.equal(d.TableStatus, "ACTIVE");
  assert.deepEqual(d.KeySchema, [{ AttributeName: "pk", KeyType: "HASH" },
                                 { AttributeName: "sk", KeyType: "RANGE" }]);
  assert.deepEqual(d.AttributeDefinitions, [{ AttributeName: "pk", AttributeType: "S" },
                                            { AttributeName: "sk", AttributeType: "N" }]);
  assert.equal(d.BillingModeSummary.BillingMode, "PAY_PER_REQUEST");
  assert.equal(d.TableArn, "arn:aws:dynamodb:us-east-1:123456789012:table/Orders");
});

test("PutItem then GetItem round-trips every type", async () => {
  const item = {
    pk: { S: "user#1" }, sk: { N: "1" }, name: { S: "Ada" },
    tags: { SS: ["a", "b"] }, n: { N: "12345678901234567890" },
    nested: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } },
    blob: { B: new Uint8Array([0x00, 0x01, 0xff]) },
  };
  const put = await ddb.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  assert.equal(put.Attributes, undefined);
  const got = await ddb.send(new GetItemCommand({
    TableName: TABLE, Key: { pk: { S: "user#1" }, sk: { N: "1" } },
  }));
  assert.deepEqual(got.Item.name, { S: "Ada" });
  assert.deepEqual(got.Item.n, { N: "12345678901234567890" });
  assert.deepEqual([...got.Item.tags.SS].sort(), ["a", "b"]);
  assert.deepEqual([...got.Item.blob.B], [0x00, 0x01, 0xff]);
  assert.deepEqual(got.Item.nested, item.nested);
});

test("GetItem returns numbers normalised (1E3 -> 1000)", async () => {
  // AWS trims leading/trailing zeroes and expands exponents; numerically
  // equal keys address the same item (../shared/cases/dynamodb/B17.json).
  await ddb.send(new PutItemCommand({
    TableName: TABLE,
    Item: { pk: { S: "numbers" }, sk: { N: "1E3" }, a: { N: "0012.3400" },
            b: { N: "1.5E3" }, c: { N: "-0.0100" } },
  }));
  const got = await ddb.send(new GetItemCommand({
    TableName: TABLE, Key: { pk: { S: "numbers" }, sk: { N: "1000.0" } }, ConsistentRead: true,
  }));
  assert.deepEqual(got.Item, {
    pk: { S: "numbers" }, sk: { N: "1000" }, a: { N: "12.34" }, b: { N: "1500" }, c: { N: "-0.01" },
  });
});

test("GetItem of a missing item has no Item", async () => {
  const got = await ddb.send(new GetItemCommand({
    TableName: TABLE, Key: { pk: { S: "nobody" }, sk: { N: "1" } },
  }));
  assert.equal(got.$metadata.httpStatusCode, 200);
  assert.equal(got.Item, undefined);
});

test("PutItem ReturnValues ALL_OLD", async () => {
  const key = { pk: { S: "user#2" }, sk: { N: "2" } };
  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, v: { N: "1" } } }));
  const out = await ddb.send(new PutItemCommand({
    TableName: TABLE, Item: { ...key, v: { N: "2" } }, ReturnValues: "ALL_OLD",
  }));
  assert.deepEqual(out.Attributes, { ...key, v: { N: "1" } });
});

test("UpdateItem with UpdateExpression, ReturnValues ALL_NEW and UPDATED_NEW", async () => {
  const key = { pk: { S: "user#3" }, sk: { N: "3" } };
  let out = await ddb.send(new UpdateItemCommand({
    TableName: TABLE, Key: key,
    UpdateExpression: "SET #c = if_not_exists(#c, :zero) + :one, title = :t",
    ExpressionAttributeNames: { "#c": "count" },
    ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" }, ":t": { S: "first" } },
    ReturnValues: "ALL_NEW",
  }));
  assert.deepEqual(out.Attributes, { ...key, count: { N: "1" }, title: { S: "first" } });
  out = await ddb.send(new UpdateItemCommand({
    TableName: TABLE, Key: key, UpdateExpression: "ADD #c :one REMOVE title",
    ExpressionAttributeNames: { "#c": "count" },
    ExpressionAttributeValues: { ":one": { N: "1" } },
    ReturnValues: "UPDATED_NEW",
  }));
  assert.deepEqual(out.Attributes, { count: { N: "2" } });
});

test("conditional PutItem failing: ConditionalCheckFailedException", async () => {
  const key = { pk: { S: "user#4" }, sk: { N: "4" } };
  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, v: { N: "1" } } }));
  const err = await rejection(ddb.send(new PutItemCommand({
    TableName: TABLE, Item: { ...key, v: { N: "2" } },
    ConditionExpression: "attribute_not_exists(pk)",
  })));
  assert.ok(err instanceof ConditionalCheckFailedException);
  assert.deepEqual(error(err), ["ConditionalCheckFailedException", "ConditionalCheckFailedException",
                                "The conditional request failed", 400]);
  assert.equal(err.Item, undefined);   // only with ReturnValuesOnConditionCheckFailure
  const got = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key }));
  assert.deepEqual(got.Item.v, { N: "1" });
});

test("Query by partition key, sort key range and descending", async () => {
  for (const sk of ["30", "10", "20", "40"]) {
    await ddb.send(new PutItemCommand({
      TableName: TABLE, Item: { pk: { S: "q" }, sk: { N: sk }, v: { S: `v${sk}` } },
    }));
  }
  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "other" }, sk: { N: "1" } } }));
  let out = await ddb.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :p",
    ExpressionAttributeValues: { ":p": { S: "q" } },
  }));
  assert.equal(out.Count, 4);
  assert.equal(out.ScannedCount, 4);
  assert.deepEqual(out.Items.map((i) => i.sk.N), ["10", "20", "30", "40"]);
  assert.equal(out.LastEvaluatedKey, undefined);

  out = await ddb.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :p AND sk BETWEEN :lo AND :hi",
    ExpressionAttributeValues: { ":p": { S: "q" }, ":lo": { N: "15" }, ":hi": { N: "40" } },
    ScanIndexForward: false, ProjectionExpression: "sk, v",
  }));
  assert.deepEqual(out.Items, [{ sk: { N: "40" }, v: { S: "v40" } },
                               { sk: { N: "30" }, v: { S: "v30" } },
                               { sk: { N: "20" }, v: { S: "v20" } }]);

  out = await ddb.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :p",
    ExpressionAttributeValues: { ":p": { S: "q" } }, Limit: 2,
  }));
  assert.equal(out.Count, 2);
  assert.deepEqual(out.LastEvaluatedKey, { pk: { S: "q" }, sk: { N: "20" } });
});

test("DeleteItem ReturnValues ALL_OLD, then a conditional delete fails", async () => {
  const key = { pk: { S: "user#5" }, sk: { N: "5" } };
  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, v: { S: "x" } } }));
  const out = await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: key, ReturnValues: "ALL_OLD" }));
  assert.deepEqual(out.Attributes, { ...key, v: { S: "x" } });
  const got = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key }));
  assert.equal(got.Item, undefined);
  const err = await rejection(ddb.send(new DeleteItemCommand({
    TableName: TABLE, Key: key, ConditionExpression: "attribute_exists(pk)",
  })));
  assert.ok(err instanceof ConditionalCheckFailedException);
  assert.equal(err.name, "ConditionalCheckFailedException");
});

test("ValidationException: missing key attribute, wrong key type", async () => {
  let err = await rejection(ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "x" } } })));
  assert.deepEqual(error(err).slice(1), ["ValidationException",
    "One or more parameter values were invalid: Missing the key sk in the item", 400]);
  err = await rejection(ddb.send(new GetItemCommand({
    TableName: TABLE, Key: { pk: { S: "x" }, sk: { S: "1" } },
  })));
  assert.deepEqual(error(err).slice(1), ["ValidationException",
    "The provided key element does not match the schema", 400]);
});

test("missing table: ResourceNotFoundException with AWS's messages", async () => {
  // GetItem: "Requested resource not found" (AWS; tests/e2e/test_dynamodb.py,
  // tests/cases/dynamodb/ddb_item_key_errors.json). DynamoDB Local says
  // "Cannot do operations on a non-existent table" instead.
  let err = await rejection(ddb.send(new GetItemCommand({ TableName: "Missing", Key: { pk: { S: "x" } } })));
  assert.ok(err instanceof ResourceNotFoundException);
  assert.deepEqual(error(err), ["ResourceNotFoundException", "ResourceNotFoundException",
                                "Requested resource not found", 400]);
  err = await rejection(ddb.send(new DescribeTableCommand({ TableName: "Missing" })));
  assert.ok(err instanceof ResourceNotFoundException);
  assert.deepEqual(error(err), ["ResourceNotFoundException", "ResourceNotFoundException",
                                "Requested resource not found: Table: Missing not found", 400]);
});

test("DeleteTable, then it is gone", async () => {
  await ddb.send(new CreateTableCommand({
    TableName: "Doomed",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  await ddb.send(new PutItemCommand({ TableName: "Doomed", Item: { id: { S: "1" } } }));
  const { TableDescription: d } = await ddb.send(new DeleteTableCommand({ TableName: "Doomed" }));
  assert.equal(d.TableName, "Doomed");
  const { TableNames } = await ddb.send(new ListTablesCommand({}));
  assert.ok(!TableNames.includes("Doomed"), TableNames.join(","));
  const err = await rejection(ddb.send(new DeleteTableCommand({ TableName: "Doomed" })));
  assert.ok(err instanceof ResourceNotFoundException);
  assert.equal(err.name, "ResourceNotFoundException");
  assert.equal(err.$metadata.httpStatusCode, 400);
});

test("responses carry a request id", async () => {
  const out = await ddb.send(new ListTablesCommand({}));
  assert.equal(out.$metadata.requestId.length, 52);
});
