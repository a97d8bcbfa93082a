// The AWS SDK for JavaScript v3 Step Functions client against `stepwise
// serve`: the same port routes AWSStepFunctions.* to the workflow engine,
// whose DynamoDB tasks reach the same database the DynamoDB client sees.
// Values are AWS's, as tests/e2e/test_stepfunctions.py and the cases in
// tests/cases/stepfunctions and ../shared/cases/stepfunctions assert them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineDoesNotExist,
  StateMachineTypeNotSupported,
} from "@aws-sdk/client-sfn";

import { rejection, startServer, until } from "./server.mjs";

const ROLE = "arn:aws:iam::123456789012:role/stepwise";
const ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:";

let server;
let sfn;
let ddb;

before(async () => {
  server = await startServer();
  sfn = new SFNClient(server.clientConfig());
  ddb = new DynamoDBClient(server.clientConfig());
});

after(async () => {
  sfn?.destroy();
  ddb?.destroy();
  if (server) {
    const { code, signal, output } = await server.stop();
    assert.equal(code, 0, `stepwise serve exited with ${code ?? signal}:\n${output}`);
  }
});

/** DescribeExecution until it is no longer RUNNING. */
async function waitDone(executionArn) {
  let d;
  await until(async () => {
    d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status !== "RUNNING";
  });
  return d;
}

// A Task writes the order into DynamoDB, then a Choice sorts it by amount.
const ORDER_MACHINE = {
  StartAt: "Put",
  States: {
    Put: {
      Type: "Task",
      Resource: "arn:aws:states:::dynamodb:putItem",
      Parameters: {
        TableName: "Orders",
        Item: { id: { "S.$": "$.orderId" }, status: { S: "PLACED" } },
      },
      ResultPath: "$.put",
      Next: "Check",
    },
    Check: {
      Type: "Choice",
      Choices: [{ Variable: "$.amount", NumericGreaterThan: 100, Next: "Big" }],
      Default: "Small",
    },
    Big: { Type: "Pass", Result: "big", ResultPath: "$.size", Next: "Done" },
    Small: { Type: "Pass", Result: "small", ResultPath: "$.size", Next: "Done" },
    Done: { Type: "Succeed" },
  },
};

let orderMachineArn;
let firstExecutionArn;

test("CreateStateMachine", async () => {
  await ddb.send(new CreateTableCommand({
    TableName: "Orders", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  }));
  const m = await sfn.send(new CreateStateMachineCommand({
    name: "Orders", definition: JSON.stringify(ORDER_MACHINE), roleArn: ROLE,
  }));
  assert.equal(m.$metadata.httpStatusCode, 200);
  assert.equal(m.stateMachineArn, ARN_PREFIX + "stateMachine:Orders");
  assert.ok(m.creationDate instanceof Date, "creationDate is parsed as a date");
  orderMachineArn = m.stateMachineArn;

  const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: orderMachineArn }));
  assert.equal(d.name, "Orders");
  assert.equal(d.status, "ACTIVE");
  assert.equal(d.type, "STANDARD");
  assert.equal(d.roleArn, ROLE);
  assert.deepEqual(JSON.parse(d.definition), ORDER_MACHINE);
});

test("StartExecution: putItem Task then Choice, DescribeExecution until SUCCEEDED", async () => {
  const input = { orderId: "o-1", amount: 150 };
  const e = await sfn.send(new StartExecutionCommand({
    stateMachineArn: orderMachineArn, name: "run-1", input: JSON.stringify(input),
  }));
  assert.equal(e.executionArn, ARN_PREFIX + "execution:Orders:run-1");
  assert.ok(e.startDate instanceof Date);
  firstExecutionArn = e.executionArn;

  const d = await waitDone(e.executionArn);
  assert.equal(d.status, "SUCCEEDED");
  assert.equal(d.name, "run-1");
  assert.equal(d.stateMachineArn, orderMachineArn);
  assert.deepEqual(JSON.parse(d.input), input);
  assert.ok(d.stopDate instanceof Date && d.stopDate >= d.startDate);
  const out = JSON.parse(d.output);
  assert.equal(out.size, "big");
  assert.equal(out.orderId, "o-1");
  assert.equal(out.amount, 150);
  // Optimized DynamoDB results carry the SDK's metadata (../shared/cases/stepfunctions/B37.json).
  assert.ok("SdkHttpMetadata" in out.put && "SdkResponseMetadata" in out.put, JSON.stringify(out.put));

  // The Task's write is visible to the DynamoDB client.
  const got = await ddb.send(new GetItemCommand({ TableName: "Orders", Key: { id: { S: "o-1" } } }));
  assert.deepEqual(got.Item, { id: { S: "o-1" }, status: { S: "PLACED" } });
});

test("the Choice's Default branch", async () => {
  const e = await sfn.send(new StartExecutionCommand({
    stateMachineArn: orderMachineArn, name: "run-small", input: '{"orderId": "o-2", "amount": 7}',
  }));
  const d = await waitDone(e.executionArn);
  assert.equal(d.status, "SUCCEEDED");
  assert.equal(JSON.parse(d.output).size, "small");
});

test("GetExecutionHistory: event types, ids and previousEventId in order", async () => {
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: firstExecutionArn }));
  assert.deepEqual(events.map((ev) => ev.type), [
    "ExecutionStarted",
    "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
    "ChoiceStateEntered", "ChoiceStateExited",
    "PassStateEntered", "PassStateExited",
    "SucceedStateEntered", "SucceedStateExited",
    "ExecutionSucceeded",
  ]);
  assert.deepEqual(events.map((ev) => ev.id), events.map((_, i) => i + 1));
  // The first *StateEntered event points at 0, later ones at the event before.
  assert.deepEqual(events.map((ev) => ev.previousEventId),
                   events.map((_, i) => (i < 2 ? 0 : i)));
  for (const ev of events) assert.ok(ev.timestamp instanceof Date, ev.type);

  const byType = Object.fromEntries(events.map((ev) => [ev.type, ev]));
  assert.deepEqual(JSON.parse(byType.ExecutionStarted.executionStartedEventDetails.input),
                   { orderId: "o-1", amount: 150 });
  assert.equal(byType.ExecutionStarted.executionStartedEventDetails.roleArn, ROLE);
  assert.equal(byType.TaskStateEntered.stateEnteredEventDetails.name, "Put");
  const sched = byType.TaskScheduled.taskScheduledEventDetails;
  assert.equal(sched.resourceType, "dynamodb");
  assert.equal(sched.resource, "putItem");
  assert.equal(sched.region, "us-east-1");
  assert.deepEqual(JSON.parse(sched.parameters),
                   { TableName: "Orders", Item: { id: { S: "o-1" }, status: { S: "PLACED" } } });
  assert.equal(byType.TaskSucceeded.taskSucceededEventDetails.resourceType, "dynamodb");
  assert.equal(byType.TaskSucceeded.taskSucceededEventDetails.resource, "putItem");
  assert.equal(byType.ChoiceStateExited.stateExitedEventDetails.name, "Check");
  assert.equal(byType.PassStateEntered.stateEnteredEventDetails.name, "Big");
  assert.equal(byType.SucceedStateExited.stateExitedEventDetails.name, "Done");
  assert.equal(JSON.parse(byType.ExecutionSucceeded.executionSucceededEventDetails.output).size, "big");
});

test("ListExecutions", async () => {
  const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: orderMachineArn }));
  assert.equal(executions.length, 2);
  const run1 = executions.find((x) => x.name === "run-1");
  assert.ok(run1, JSON.stringify(executions));
  assert.equal(run1.executionArn, firstExecutionArn);
  assert.equal(run1.stateMachineArn, orderMachineArn);
  assert.equal(run1.status, "SUCCEEDED");
  assert.ok(run1.startDate instanceof Date && run1.stopDate instanceof Date);
  // Newest first.
  assert.deepEqual(executions.map((x) => x.name), ["run-small", "run-1"]);

  const running = await sfn.send(new ListExecutionsCommand({
    stateMachineArn: orderMachineArn, statusFilter: "RUNNING",
  }));
  assert.deepEqual(running.executions, []);
});

test("StartExecution with the same name and another input: ExecutionAlreadyExists", async () => {
  const err = await rejection(sfn.send(new StartExecutionCommand({
    stateMachineArn: orderMachineArn, name: "run-1", input: '{"orderId": "o-9", "amount": 1}',
  })));
  assert.ok(err instanceof ExecutionAlreadyExists, `${err.name}: ${err.message}`);
  assert.ok(err instanceof SFNServiceException);
  assert.equal(err.constructor.name, "ExecutionAlreadyExists");
  assert.equal(err.name, "ExecutionAlreadyExists");
  assert.equal(err.message, `Execution Already Exists: '${firstExecutionArn}'`);
  assert.equal(err.$metadata.httpStatusCode, 400);
});

test("StartSyncExecution on an EXPRESS machine", async () => {
  // The SDK sends StartSyncExecution to "sync-" + the endpoint's host; with
  // 127.0.0.1 that is "sync-127.0.0.1", which does not resolve, so this
  // client turns the host prefix off (disableHostPrefix), as boto3 clients
  // do with inject_host_prefix=False.
  const sync = new SFNClient(server.clientConfig({ disableHostPrefix: true }));
  try {
    const definition = {
      StartAt: "Get",
      States: {
        Get: {
          Type: "Task",
          Resource: "arn:aws:states:::dynamodb:getItem",
          Parameters: { TableName: "Orders", Key: { id: { "S.$": "$.orderId" } } },
          ResultSelector: { "status.$": "$.Item.status.S" },
          ResultPath: "$.order",
          End: true,
        },
      },
    };
    const m = await sync.send(new CreateStateMachineCommand({
      name: "Express", definition: JSON.stringify(definition), roleArn: ROLE, type: "EXPRESS",
    }));
    assert.equal(m.stateMachineArn, ARN_PREFIX + "stateMachine:Express");
    const r = await sync.send(new StartSyncExecutionCommand({
      stateMachineArn: m.stateMachineArn, name: "sync-1", input: '{"orderId": "o-1"}',
    }));
    assert.equal(r.status, "SUCCEEDED");
    assert.deepEqual(JSON.parse(r.output), { orderId: "o-1", order: { status: "PLACED" } });
    assert.deepEqual(JSON.parse(r.input), { orderId: "o-1" });
    assert.equal(r.stateMachineArn, m.stateMachineArn);
    assert.equal(r.name, "sync-1");
    assert.match(r.executionArn, new RegExp(
      "^" + ARN_PREFIX + "express:Express:sync-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    assert.ok(r.startDate instanceof Date && r.stopDate instanceof Date);

    // Only EXPRESS machines run synchronously.
    const err = await rejection(sync.send(new StartSyncExecutionCommand({
      stateMachineArn: orderMachineArn, input: "{}",
    })));
    assert.ok(err instanceof StateMachineTypeNotSupported, `${err.name}: ${err.message}`);
    assert.equal(err.name, "StateMachineTypeNotSupported");
    assert.equal(err.$metadata.httpStatusCode, 400);
  } finally {
    sync.destroy();
  }
});

test("DescribeStateMachine of a missing machine: StateMachineDoesNotExist", async () => {
  const arn = ARN_PREFIX + "stateMachine:Nope";
  const err = await rejection(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })));
  assert.ok(err instanceof StateMachineDoesNotExist, `${err.name}: ${err.message}`);
  assert.equal(err.constructor.name, "StateMachineDoesNotExist");
  assert.equal(err.name, "StateMachineDoesNotExist");
  assert.equal(err.message, `State Machine Does Not Exist: '${arn}'`);
  assert.equal(err.$metadata.httpStatusCode, 400);
});
