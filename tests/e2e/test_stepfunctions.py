"""boto3's Step Functions client against `stepwise serve`: the same port
routes AWSStepFunctions.* to the workflow engine, whose DynamoDB tasks reach
the same database boto3's DynamoDB client sees."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import wait_done, ROLE, ARN_PREFIX



def test_pass_machine_round_trip(sfn):
    definition = {"StartAt": "Hello", "States": {
        "Hello": {"Type": "Pass", "Result": {"greeting": "hi"}, "ResultPath": "$.out",
                  "End": True}}}
    m = sfn.create_state_machine(name="Hello", definition=json.dumps(definition), roleArn=ROLE)
    assert m["stateMachineArn"] == ARN_PREFIX + "stateMachine:Hello"
    e = sfn.start_execution(stateMachineArn=m["stateMachineArn"], name="run-1",
                            input='{"n": 12345678901234567890}')
    assert e["executionArn"] == ARN_PREFIX + "execution:Hello:run-1"
    d = wait_done(sfn, e["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"n": 12345678901234567890, "out": {"greeting": "hi"}}
    h = sfn.get_execution_history(executionArn=e["executionArn"])["events"]
    assert [ev["type"] for ev in h] == ["ExecutionStarted", "PassStateEntered",
                                        "PassStateExited", "ExecutionSucceeded"]
    assert [ev["id"] for ev in h] == [1, 2, 3, 4]


def test_dynamodb_task_writes_where_boto3_reads(server, sfn, ddb):
    ddb.create_table(
        TableName="Tasks", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    definition = {"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "Tasks",
                       "Item": {"id": {"S.$": "$.id"}, "by": {"S": "workflow"}}},
        "End": True}}}
    m = sfn.create_state_machine(name="Writer", definition=json.dumps(definition), roleArn=ROLE)
    e = sfn.start_execution(stateMachineArn=m["stateMachineArn"], input='{"id": "t-1"}')
    assert wait_done(sfn, e["executionArn"])["status"] == "SUCCEEDED"
    item = ddb.get_item(TableName="Tasks", Key={"id": {"S": "t-1"}})["Item"]
    assert item == {"id": {"S": "t-1"}, "by": {"S": "workflow"}}


def test_state_machine_does_not_exist(sfn):
    with pytest.raises(ClientError) as e:
        sfn.describe_state_machine(stateMachineArn=ARN_PREFIX + "stateMachine:Nope")
    assert e.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_sync_execution(server):
    """The SDKs send StartSyncExecution to the host "sync-<endpoint>": with a
    local endpoint that name does not resolve, so clients turn the prefix off
    (inject_host_prefix=False); the server accepts either Host."""
    import botocore.config
    import http.client
    c = server.client("stepfunctions",
                      config=botocore.config.Config(inject_host_prefix=False,
                                                    retries={"max_attempts": 1}))
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    m = c.create_state_machine(name="Express", definition=definition, roleArn=ROLE,
                               type="EXPRESS")
    r = c.start_sync_execution(stateMachineArn=m["stateMachineArn"], input='{"a": 1}')
    assert (r["status"], json.loads(r["output"])) == ("SUCCEEDED", {"a": 1})

    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", "/", body=json.dumps({"stateMachineArn": m["stateMachineArn"]}),
                 headers={"Host": "sync-localhost:%d" % server.port,
                          "Content-Type": "application/x-amz-json-1.0",
                          "X-Amz-Target": "AWSStepFunctions.StartSyncExecution",
                          "X-Amz-Date": "20250101T000000Z",
                          "Authorization": "AWS4-HMAC-SHA256 Credential=A/20250101/us-east-1/"
                                           "states/aws4_request, SignedHeaders=host, "
                                           "Signature=00"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert (resp.status, body["status"]) == (200, "SUCCEEDED")
    assert resp.getheader("x-amz-crc32") is None   # DynamoDB's header only
