"""Long polls against `stepwise serve`: GetActivityTask holds its request up
to 60 s (as AWS does) on a helper thread with its connection suspended, so
pollers never stall the server's pool threads; activities and
.waitForTaskToken callbacks round trip through boto3.

The server runs with its default threads (one per core): before the
hand-off, as few as one long poll per core stopped every other client."""
import http.client
import json
import threading
import time

import botocore.config
import pytest

from conftest import wait_done, ROLE, ARN_PREFIX

AUTH = ("AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/states/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00")


def poller_client(server):
    """A client whose read timeout outlasts the 60 s poll."""
    return server.client("stepfunctions", config=botocore.config.Config(
        read_timeout=75, retries={"max_attempts": 1}))


def activity_machine(sfn, name, activity_arn):
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity_arn, "End": True}}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                    roleArn=ROLE)["stateMachineArn"]


def start_pollers(server, activity_arn, n):
    """n threads, each one GetActivityTask; returns (threads, results)."""
    results = [None] * n

    def poll(i):
        c = poller_client(server)
        t0 = time.time()
        try:
            r = c.get_activity_task(activityArn=activity_arn, workerName="w%d" % i)
            results[i] = (r, time.time() - t0)
        except Exception as e:  # reported by the asserts below
            results[i] = (e, time.time() - t0)

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def test_long_polls_do_not_stall_dynamodb(server, sfn, ddb):
    act = sfn.create_activity(name="Slow")["activityArn"]
    machine = activity_machine(sfn, "SlowWork", act)
    threads, results = start_pollers(server, act, 4)
    time.sleep(0.5)  # every poller is now waiting inside the server
    assert all(r is None for r in results), results

    timings = []
    for call in (
        lambda: ddb.create_table(
            TableName="Busy", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}]),
        *[lambda i=i: ddb.put_item(TableName="Busy", Item={"id": {"S": "k%d" % i}})
          for i in range(8)],
        *[lambda i=i: ddb.get_item(TableName="Busy", Key={"id": {"S": "k%d" % i}})
          for i in range(8)],
        lambda: ddb.scan(TableName="Busy"),
        lambda: sfn.describe_activity(activityArn=act),
    ):
        t0 = time.time()
        call()
        timings.append(time.time() - t0)
    assert max(timings) < 1.0, timings
    assert ddb.scan(TableName="Busy")["Count"] == 8
    assert all(r is None for r in results), "a poll ended without a task: %r" % results

    # Each execution posts one task: every poller wakes with one of them.
    arns = [sfn.start_execution(stateMachineArn=machine, name="job-%d" % i,
                                input=json.dumps({"job": i}))["executionArn"]
            for i in range(4)]
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    tasks = [r for r, _ in results]
    assert all(isinstance(r, dict) for r in tasks), tasks
    assert sorted(json.loads(r["input"])["job"] for r in tasks) == [0, 1, 2, 3]
    assert all(elapsed < 30 for _, elapsed in results)
    for r in tasks:
        job = json.loads(r["input"])["job"]
        sfn.send_task_success(taskToken=r["taskToken"], output=json.dumps({"done": job}))
    for i, arn in enumerate(arns):
        d = wait_done(sfn, arn)
        assert d["status"] == "SUCCEEDED"
        assert json.loads(d["output"]) == {"done": i}


def test_activity_round_trip(sfn):
    a = sfn.create_activity(name="Greeter")
    act = a["activityArn"]
    assert act == ARN_PREFIX + "activity:Greeter"
    machine = activity_machine(sfn, "Greet", act)
    e = sfn.start_execution(stateMachineArn=machine, name="hello-1",
                            input='{"who": "world", "n": 12345678901234567890}')
    t = sfn.get_activity_task(activityArn=act, workerName="worker-1")
    assert json.loads(t["input"]) == {"who": "world", "n": 12345678901234567890}
    assert t["taskToken"]
    sfn.send_task_success(taskToken=t["taskToken"], output='{"greeting": "hello, world"}')
    d = wait_done(sfn, e["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"greeting": "hello, world"}
    types = [ev["type"] for ev in
             sfn.get_execution_history(executionArn=e["executionArn"])["events"]]
    assert types == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                     "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                     "ExecutionSucceeded"]
    started = [ev for ev in sfn.get_execution_history(
        executionArn=e["executionArn"])["events"] if ev["type"] == "ActivityStarted"][0]
    assert started["activityStartedEventDetails"] == {"workerName": "worker-1"}


def test_activity_failure(sfn):
    act = sfn.create_activity(name="Failing")["activityArn"]
    machine = activity_machine(sfn, "FailWork", act)
    e = sfn.start_execution(stateMachineArn=machine, input="{}")
    t = sfn.get_activity_task(activityArn=act)
    sfn.send_task_failure(taskToken=t["taskToken"], error="Worker.Broke", cause="gears")
    d = wait_done(sfn, e["executionArn"])
    assert (d["status"], d["error"], d["cause"]) == ("FAILED", "Worker.Broke", "gears")


def test_wait_for_task_token(sfn):
    """No call is made for sqs:sendMessage; the token the message would have
    carried is in the TaskScheduled event's parameters."""
    definition = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
            "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "ResultPath": "$.approval", "End": True}}}
    machine = sfn.create_state_machine(name="Approve", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    e = sfn.start_execution(stateMachineArn=machine, input='{"order": "o-7"}')
    deadline = time.time() + 10
    params = None
    while params is None and time.time() < deadline:
        for ev in sfn.get_execution_history(executionArn=e["executionArn"])["events"]:
            if ev["type"] == "TaskScheduled":
                params = json.loads(ev["taskScheduledEventDetails"]["parameters"])
        time.sleep(0.05)
    assert params is not None
    assert params["MessageBody"]["order"] == "o-7"
    token = params["MessageBody"]["token"]
    assert sfn.describe_execution(executionArn=e["executionArn"])["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    d = wait_done(sfn, e["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"order": "o-7", "approval": {"approved": True}}
    # A token is used once.
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=token, output="{}")


def raw_poll(server, activity_arn):
    """Sends GetActivityTask on its own connection; returns the connection
    (read the answer with getresponse())."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=75)
    conn.request("POST", "/", body=json.dumps({"activityArn": activity_arn}),
                 headers={"Content-Type": "application/x-amz-json-1.0",
                          "X-Amz-Target": "AWSStepFunctions.GetActivityTask",
                          "X-Amz-Date": "20250101T000000Z", "Authorization": AUTH})
    return conn


def test_blocking_requests_beyond_the_cap_are_throttled(start_server):
    """At most 64 long polls wait at once; the 65th is AWS's
    ThrottlingException, and the server still answers everything else."""
    s = start_server()
    c = s.client("stepfunctions")
    act = c.create_activity(name="Crowded")["activityArn"]
    machine = activity_machine(c, "Crowd", act)
    conns = [raw_poll(s, act) for _ in range(64)]
    time.sleep(1.0)  # all 64 handed off
    extra = raw_poll(s, act)
    resp = extra.getresponse()
    body = json.loads(resp.read())
    extra.close()
    assert resp.status == 400
    assert body == {"__type": "com.amazon.coral.availability#ThrottlingException",
                    "message": "Rate exceeded"}
    assert resp.getheader("x-amzn-RequestId")
    t0 = time.time()
    c.describe_activity(activityArn=act)
    assert time.time() - t0 < 1.0
    # Feed every poller a task; each answers with one.
    for i in range(64):
        c.start_execution(stateMachineArn=machine, input=json.dumps({"i": i}))
    seen = []
    for conn in conns:
        r = conn.getresponse()
        assert r.status == 200
        seen.append(json.loads(json.loads(r.read())["input"])["i"])
        conn.close()
    assert sorted(seen) == list(range(64))
