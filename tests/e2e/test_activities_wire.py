"""Activities over HTTP with boto3: ListActivities pages, DeleteActivity,
and the two timers of an activity Task - HeartbeatSeconds (kept alive by
SendTaskHeartbeat, else the task times out) and TimeoutSeconds - with the
error names a Catch sees and the answer to a spent task token.

The real clock, with 1-second timers: under the virtual clock time jumps to
a timer as soon as no execution step is running, that is before a worker's
heartbeat could arrive.

Expected values are AWS's (responses recorded against AWS where the
reference leaves them open)."""
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import wait_done, client_error, ROLE, ARN_PREFIX



def history(sfn, arn):
    return sfn.get_execution_history(executionArn=arn)["events"]


def types(events):
    return [e["type"] for e in events]


# ---- ListActivities, DeleteActivity ---------------------------------------

def test_list_activities_pages(sfn):
    names = ["Act-%d" % i for i in range(5)]
    made = {n: sfn.create_activity(name=n) for n in names}
    whole = sfn.list_activities()
    assert "nextToken" not in whole
    everything = whole["activities"]
    listed = {a["name"]: a for a in everything}
    for n in names:
        assert listed[n] == {"activityArn": ARN_PREFIX + "activity:" + n, "name": n,
                             "creationDate": made[n]["creationDate"]}
    # By hand, maxResults 2: full pages carry a token, the last one none.
    pages, token = [], None
    while True:
        r = sfn.list_activities(maxResults=2, **({"nextToken": token} if token else {}))
        pages.append(r["activities"])
        token = r.get("nextToken")
        if not token:
            break
        assert len(r["activities"]) == 2
    assert len(pages) == -(-len(everything) // 2)
    assert [a for p in pages for a in p] == everything
    # boto3's paginator follows nextToken the same way.
    for size in (1, 3):
        got = [p["activities"] for p in sfn.get_paginator("list_activities").paginate(
            PaginationConfig={"PageSize": size})]
        assert len(got) == -(-len(everything) // size)
        assert [a for p in got for a in p] == everything


def test_delete_activity(sfn):
    arn = sfn.create_activity(name="Doomed")["activityArn"]
    assert sfn.describe_activity(activityArn=arn)["name"] == "Doomed"
    r = sfn.delete_activity(activityArn=arn)
    assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {}
    # AWS's message (LocalStack's AWS-recorded test_sfn_api_activities
    # snapshot): "Activity Does Not Exist: '<arn>'".
    gone = ("ActivityDoesNotExist", "Activity Does Not Exist: '%s'" % arn, 400)
    assert client_error(sfn.describe_activity, activityArn=arn) == gone
    assert client_error(sfn.get_activity_task, activityArn=arn) == gone
    assert arn not in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    # Deleting again (or what never existed) succeeds, as on AWS.
    sfn.delete_activity(activityArn=arn)
    sfn.delete_activity(activityArn=ARN_PREFIX + "activity:NeverWas")
    code, _, status = client_error(sfn.delete_activity, activityArn="not-an-arn")
    assert (code, status) == ("InvalidArn", 400)
    # A new activity of the same name is a new one.
    again = sfn.create_activity(name="Doomed")
    assert again["activityArn"] == arn
    assert sfn.describe_activity(activityArn=arn)["name"] == "Doomed"


# ---- Heartbeats and timeouts -----------------------------------------------

def activity_machine(sfn, name, task):
    """A machine whose Task state is `task` (Type/Resource added), with a
    Caught state when it has a Catch to go there."""
    act = sfn.create_activity(name=name + "Act")["activityArn"]
    state = dict({"Type": "Task", "Resource": act, "End": True}, **task)
    definition = {"StartAt": "Work", "States": {"Work": state}}
    if "Catch" in task:
        definition["States"]["Caught"] = {
            "Type": "Pass", "Parameters": {"caught.$": "$.err.Error"}, "End": True}
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    return act, machine


def take_task(sfn, act, machine, worker="w"):
    """Starts an execution and takes its activity task as `worker`."""
    e = sfn.start_execution(stateMachineArn=machine, input='{"job": 1}')["executionArn"]
    t = sfn.get_activity_task(activityArn=act, workerName=worker)
    assert json.loads(t["input"]) == {"job": 1}
    return e, t["taskToken"]


def test_heartbeats_keep_a_task_alive(sfn):
    act, machine = activity_machine(sfn, "Beating", {"HeartbeatSeconds": 1,
                                                     "TimeoutSeconds": 30})
    e, token = take_task(sfn, act, machine)
    t0 = time.time()
    while time.time() - t0 < 2.6:   # well past the 1-second heartbeat
        r = sfn.send_task_heartbeat(taskToken=token)
        assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {}
        assert sfn.describe_execution(executionArn=e)["status"] == "RUNNING"
        time.sleep(0.3)
    sfn.send_task_success(taskToken=token, output='{"beat": true}')
    d = wait_done(sfn, e)
    assert (d["status"], json.loads(d["output"])) == ("SUCCEEDED", {"beat": True})
    events = history(sfn, e)
    assert types(events) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                             "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                             "ExecutionSucceeded"]
    scheduled = events[2]["activityScheduledEventDetails"]
    assert (scheduled["resource"], scheduled["heartbeatInSeconds"],
            scheduled["timeoutInSeconds"]) == (act, 1, 30)
    # SendTaskHeartbeat makes no event; the answered token is spent.
    assert client_error(sfn.send_task_heartbeat, taskToken=token)[0] == "TaskTimedOut"


@pytest.fixture(scope="module")
def lapsed(sfn):
    """An execution whose worker took its task and then never beat."""
    act, machine = activity_machine(sfn, "Silent", {"HeartbeatSeconds": 1,
                                                    "TimeoutSeconds": 60})
    e, token = take_task(sfn, act, machine)
    t0 = time.time()
    d = wait_done(sfn, e, timeout_s=10)
    return d, history(sfn, e), token, time.time() - t0


def test_heartbeat_lapse_fails_the_execution(sfn, lapsed):
    d, events, token, elapsed = lapsed
    assert d["status"] == "FAILED"     # a Task's timeout fails; TIMED_OUT is the execution's
    assert 0.5 < elapsed < 5           # by the heartbeat, not the 60 s TimeoutSeconds
    assert types(events) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                             "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]
    # The worker's late answers find the task gone.
    for call, kw in ((sfn.send_task_success, {"output": "{}"}),
                     (sfn.send_task_failure, {"error": "Late"}),
                     (sfn.send_task_heartbeat, {})):
        code, _, status = client_error(call, taskToken=token, **kw)
        assert (code, status) == ("TaskTimedOut", 400)


def test_heartbeat_lapse_reports_states_timeout(lapsed):
    d, events, _, _ = lapsed
    assert d["error"] == "States.Timeout"
    assert events[-2]["activityTimedOutEventDetails"]["error"] == "States.Timeout"
    assert events[-1]["executionFailedEventDetails"]["error"] == "States.Timeout"


@pytest.mark.parametrize("catch", ["States.HeartbeatTimeout", "States.Timeout", "States.ALL"])
def test_heartbeat_lapse_is_caught(sfn, catch):
    name = "CatchBeat" + catch.split(".")[1]
    act, machine = activity_machine(sfn, name, {
        "HeartbeatSeconds": 1, "TimeoutSeconds": 60,
        "Catch": [{"ErrorEquals": [catch], "ResultPath": "$.err", "Next": "Caught"}]})
    e, token = take_task(sfn, act, machine)
    d = wait_done(sfn, e, timeout_s=10)
    assert d["status"] == "SUCCEEDED"
    # The error a catcher sees is a timeout (AWS's own name for it aside).
    assert json.loads(d["output"])["caught"] in ("States.Timeout", "States.HeartbeatTimeout")
    assert types(history(sfn, e)) == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
        "ActivityTimedOut", "TaskStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded"]
    assert client_error(sfn.send_task_success, taskToken=token, output="{}")[0] == "TaskTimedOut"


def test_timeout_seconds_gives_states_timeout(sfn):
    """TimeoutSeconds runs out though the worker beats: States.Timeout, which
    a States.HeartbeatTimeout catcher does not match."""
    act, machine = activity_machine(sfn, "Overrun", {
        "HeartbeatSeconds": 1, "TimeoutSeconds": 2,
        "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.err",
                   "Next": "Caught"}]})
    e, token = take_task(sfn, act, machine)
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            try:
                sfn.send_task_heartbeat(taskToken=token)
            except ClientError:
                return
            stop.wait(0.3)

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    t0 = time.time()
    d = wait_done(sfn, e, timeout_s=10)
    stop.set()
    beater.join(5)
    assert 1 < time.time() - t0 < 5
    assert (d["status"], d["error"]) == ("FAILED", "States.Timeout")
    events = history(sfn, e)
    assert types(events) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                             "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]
    assert events[4]["activityTimedOutEventDetails"]["error"] == "States.Timeout"
    assert events[5]["executionFailedEventDetails"]["error"] == "States.Timeout"
    code, _, status = client_error(sfn.send_task_success, taskToken=token, output="{}")
    assert (code, status) == ("TaskTimedOut", 400)


def test_timeout_seconds_caught_by_states_timeout(sfn):
    act, machine = activity_machine(sfn, "OverrunCaught", {
        "TimeoutSeconds": 1,
        "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err",
                   "Next": "Caught"}]})
    e, token = take_task(sfn, act, machine)
    d = wait_done(sfn, e, timeout_s=10)
    assert (d["status"], json.loads(d["output"])) == ("SUCCEEDED", {"caught": "States.Timeout"})
    assert client_error(sfn.send_task_heartbeat, taskToken=token)[0] == "TaskTimedOut"


def test_task_token_not_ours(sfn):
    for call, kw in ((sfn.send_task_success, {"output": "{}"}),
                     (sfn.send_task_heartbeat, {})):
        code, _, status = client_error(call, taskToken="not-a-token", **kw)
        assert (code, status) == ("InvalidToken", 400)
