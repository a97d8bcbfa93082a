"""The Step Functions control-plane API over HTTP with boto3: tags on state
machines and activities, pagination of ListStateMachines, ListExecutions and
GetExecutionHistory (boto3's paginators and nextToken by hand), SigV4 for
the "states" service under `serve --credentials`, and `serve --clock
virtual` skipping a long Wait.

Expected values are AWS's: the API reference, and for details it leaves
open, responses recorded against AWS (cited where used)."""
import datetime
import json
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import wait_done, client_error, ROLE, ARN_PREFIX, KEY, SECRET

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def tags_of(sfn, arn):
    return sfn.list_tags_for_resource(resourceArn=arn)["tags"]


def by_key(tags):
    return sorted(tags, key=lambda t: t["key"])


# ---- Tags ---------------------------------------------------------------

def test_tags_given_at_create_state_machine(sfn):
    arn = sfn.create_state_machine(
        name="TaggedAtCreate", definition=PASS, roleArn=ROLE,
        tags=[{"key": "team", "value": "core"}, {"key": "env", "value": ""}])["stateMachineArn"]
    # In the order given; a tag may have an empty value.
    assert tags_of(sfn, arn) == [{"key": "team", "value": "core"}, {"key": "env", "value": ""}]
    untagged = sfn.create_state_machine(name="UntaggedAtCreate", definition=PASS,
                                        roleArn=ROLE)["stateMachineArn"]
    assert tags_of(sfn, untagged) == []


def test_tag_untag_state_machine(sfn):
    arn = sfn.create_state_machine(name="TagMe", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "a", "value": "1"}])["stateMachineArn"]
    r = sfn.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"},
                                                {"key": "c", "value": "3"}])
    assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {}
    assert by_key(tags_of(sfn, arn)) == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"},
                                        {"key": "c", "value": "3"}]
    # Tagging an existing key replaces its value.
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "one"}])
    assert by_key(tags_of(sfn, arn)) == [{"key": "a", "value": "one"},
                                        {"key": "b", "value": "2"}, {"key": "c", "value": "3"}]
    # An empty list changes nothing.
    sfn.tag_resource(resourceArn=arn, tags=[])
    sfn.untag_resource(resourceArn=arn, tagKeys=[])
    assert len(tags_of(sfn, arn)) == 3
    # Untagging removes the keys named; a key that is not there is ignored.
    r = sfn.untag_resource(resourceArn=arn, tagKeys=["b", "no-such-key"])
    assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {}
    assert by_key(tags_of(sfn, arn)) == [{"key": "a", "value": "one"},
                                        {"key": "c", "value": "3"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["a", "a", "c"])
    assert tags_of(sfn, arn) == []
    # The tags live with the machine: DescribeStateMachine still works, and
    # another machine's tags are untouched.
    assert sfn.describe_state_machine(stateMachineArn=arn)["name"] == "TagMe"


def test_tags_on_activity(sfn):
    arn = sfn.create_activity(name="TaggedActivity",
                              tags=[{"key": "owner", "value": "ops"}])["activityArn"]
    assert arn == ARN_PREFIX + "activity:TaggedActivity"
    assert tags_of(sfn, arn) == [{"key": "owner", "value": "ops"}]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "tier", "value": "gold"}])
    assert by_key(tags_of(sfn, arn)) == [{"key": "owner", "value": "ops"},
                                        {"key": "tier", "value": "gold"}]
    sfn.untag_resource(resourceArn=arn, tagKeys=["owner"])
    assert tags_of(sfn, arn) == [{"key": "tier", "value": "gold"}]
    plain = sfn.create_activity(name="PlainActivity")["activityArn"]
    assert tags_of(sfn, plain) == []


@pytest.mark.parametrize("arn", [ARN_PREFIX + "stateMachine:NoSuchMachine",
                                 ARN_PREFIX + "activity:NoSuchActivity"])
def test_tags_on_missing_resource(sfn, arn):
    # AWS's message, as recorded against AWS in LocalStack's
    # test_sfn_api_tagging.snapshot.json: "Resource not found: '<arn>'".
    want = ("ResourceNotFound", "Resource not found: '%s'" % arn, 400)
    assert client_error(sfn.list_tags_for_resource, resourceArn=arn) == want
    assert client_error(sfn.tag_resource, resourceArn=arn,
                        tags=[{"key": "k", "value": "v"}]) == want
    assert client_error(sfn.untag_resource, resourceArn=arn, tagKeys=["k"]) == want


def test_tags_on_deleted_state_machine(sfn):
    arn = sfn.create_state_machine(name="TagThenDelete", definition=PASS, roleArn=ROLE,
                                   tags=[{"key": "k", "value": "v"}])["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert client_error(sfn.list_tags_for_resource, resourceArn=arn) == (
        "ResourceNotFound", "Resource not found: '%s'" % arn, 400)


@pytest.mark.parametrize("arn", ["not-an-arn", "arn:aws:s3:::bucket"])
def test_tags_invalid_arn(sfn, arn):
    for call, kw in ((sfn.list_tags_for_resource, {}),
                     (sfn.tag_resource, {"tags": [{"key": "k", "value": "v"}]}),
                     (sfn.untag_resource, {"tagKeys": ["k"]})):
        code, message, status = client_error(call, resourceArn=arn, **kw)
        assert (code, status) == ("InvalidArn", 400)
        assert message.startswith("Invalid Arn: '") and arn in message


def test_tag_same_key_twice_in_one_call(sfn):
    arn = sfn.create_state_machine(name="TagTwice", definition=PASS,
                                   roleArn=ROLE)["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "key1", "value": "value1"},
                                            {"key": "key1", "value": "value1"}])
    assert tags_of(sfn, arn) == [{"key": "key1", "value": "value1"}]


def test_tag_state_machine_version_arn(sfn):
    arn = sfn.create_state_machine(name="Versioned", definition=PASS,
                                   roleArn=ROLE)["stateMachineArn"]
    assert client_error(sfn.tag_resource, resourceArn=arn + ":1",
                        tags=[{"key": "key1", "value": "value1"}]) == (
        "ResourceNotFound", "Resource not found: '%s:1'" % arn, 400)


# ---- Pagination -----------------------------------------------------------

def paged_by_hand(call, key, max_results, **kw):
    """Follows nextToken with maxResults; returns the pages."""
    pages, token = [], None
    while True:
        args = dict(kw, maxResults=max_results)
        if token:
            args["nextToken"] = token
        r = call(**args)
        pages.append(r[key])
        token = r.get("nextToken")
        if not token:
            return pages
        assert len(r[key]) == max_results   # only a full page has a next one
        assert len(pages) < 1000


def paged_by_paginator(sfn, op, key, page_size, **kw):
    p = sfn.get_paginator(op).paginate(PaginationConfig={"PageSize": page_size}, **kw)
    return [page[key] for page in p]


def joined(pages):
    return [x for page in pages for x in page]


def test_list_state_machines_pages(sfn):
    names = ["Page-%02d" % i for i in range(7)]
    for n in names:
        sfn.create_state_machine(name=n, definition=PASS, roleArn=ROLE,
                                 type="EXPRESS" if n.endswith("3") else "STANDARD")
    whole = sfn.list_state_machines()
    assert "nextToken" not in whole
    everything = whole["stateMachines"]
    listed = {m["name"]: m for m in everything}
    for n in names:
        m = listed[n]
        assert m["stateMachineArn"] == ARN_PREFIX + "stateMachine:" + n
        assert m["type"] == ("EXPRESS" if n.endswith("3") else "STANDARD")
        assert isinstance(m["creationDate"], datetime.datetime)
    assert len(everything) >= 7
    for size in (1, 2, 3):
        by_hand = paged_by_hand(sfn.list_state_machines, "stateMachines", size)
        assert len(by_hand) == -(-len(everything) // size)
        assert joined(by_hand) == everything
        by_paginator = paged_by_paginator(sfn, "list_state_machines", "stateMachines", size)
        assert all(len(p) <= size for p in by_paginator) and len(by_paginator) > 1
        assert joined(by_paginator) == everything
    # maxResults larger than the list: one page, no token.
    r = sfn.list_state_machines(maxResults=1000)
    assert r["stateMachines"] == everything and "nextToken" not in r


@pytest.fixture(scope="module")
def mixed_executions(sfn):
    """A machine with 5 SUCCEEDED, 3 FAILED and 2 RUNNING executions."""
    definition = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.mode", "StringEquals": "fail", "Next": "Boom"},
            {"Variable": "$.mode", "StringEquals": "wait", "Next": "Long"}],
            "Default": "Done"},
        "Boom": {"Type": "Fail", "Error": "Test.Failed", "Cause": "asked to"},
        "Long": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    machine = sfn.create_state_machine(name="Mixed", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    modes = ["ok"] * 5 + ["fail"] * 3 + ["wait"] * 2
    arns = {}
    for i, mode in enumerate(modes):
        arns["run-%02d" % i] = sfn.start_execution(
            stateMachineArn=machine, name="run-%02d" % i,
            input=json.dumps({"mode": mode}))["executionArn"]
    want = {"ok": "SUCCEEDED", "fail": "FAILED", "wait": "RUNNING"}
    for i, mode in enumerate(modes):
        arn = arns["run-%02d" % i]
        if mode == "wait":
            deadline = time.time() + 10
            while not any(e["type"] == "WaitStateEntered" for e in
                          sfn.get_execution_history(executionArn=arn)["events"]):
                assert time.time() < deadline
                time.sleep(0.05)
            assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        else:
            assert wait_done(sfn, arn)["status"] == want[mode]
    return machine, {name: want[m] for name, m in
                     zip(sorted(arns), modes)}


def test_list_executions_pages(sfn, mixed_executions):
    machine, statuses = mixed_executions
    whole = sfn.list_executions(stateMachineArn=machine)
    assert "nextToken" not in whole
    everything = whole["executions"]
    assert sorted(e["name"] for e in everything) == sorted(statuses)
    for e in everything:
        assert e["executionArn"] == ARN_PREFIX + "execution:Mixed:" + e["name"]
        assert e["stateMachineArn"] == machine
        assert e["status"] == statuses[e["name"]]
        assert ("stopDate" in e) == (e["status"] != "RUNNING")
    # Newest first.
    starts = [e["startDate"] for e in everything]
    assert starts == sorted(starts, reverse=True)
    for size in (1, 3, 4):
        assert joined(paged_by_hand(sfn.list_executions, "executions", size,
                                    stateMachineArn=machine)) == everything
        pages = paged_by_paginator(sfn, "list_executions", "executions", size,
                                   stateMachineArn=machine)
        assert len(pages) == -(-10 // size)
        assert joined(pages) == everything


@pytest.mark.parametrize("status,count", [("SUCCEEDED", 5), ("FAILED", 3), ("RUNNING", 2),
                                          ("ABORTED", 0), ("TIMED_OUT", 0)])
def test_list_executions_status_filter_pages(sfn, mixed_executions, status, count):
    machine, statuses = mixed_executions
    whole = sfn.list_executions(stateMachineArn=machine, statusFilter=status)
    filtered = whole["executions"]
    assert sorted(e["name"] for e in filtered) == \
        sorted(n for n, s in statuses.items() if s == status)
    assert len(filtered) == count and "nextToken" not in whole
    assert all(e["status"] == status for e in filtered)
    everything = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert filtered == [e for e in everything if e["status"] == status]
    pages = paged_by_hand(sfn.list_executions, "executions", 2, stateMachineArn=machine,
                          statusFilter=status)
    assert joined(pages) == filtered
    assert len(pages) == max(1, -(-count // 2))
    assert joined(paged_by_paginator(sfn, "list_executions", "executions", 1,
                                     stateMachineArn=machine, statusFilter=status)) == filtered


def test_list_executions_bad_status_filter(sfn, mixed_executions):
    machine, _ = mixed_executions
    code, message, status = client_error(sfn.list_executions, stateMachineArn=machine,
                                         statusFilter="DONE")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'DONE' at 'statusFilter' "
                              "failed to satisfy constraint: Member must satisfy enum value set")


@pytest.fixture(scope="module")
def long_history(sfn):
    """A SUCCEEDED execution of 6 Pass states: 14 events."""
    states = {"S%d" % i: {"Type": "Pass", "Result": i, "ResultPath": "$.s%d" % i,
                          "Next": "S%d" % (i + 1)} for i in range(6)}
    del states["S5"]["Next"]
    states["S5"]["End"] = True
    machine = sfn.create_state_machine(
        name="Long", definition=json.dumps({"StartAt": "S0", "States": states}),
        roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    assert wait_done(sfn, arn)["status"] == "SUCCEEDED"
    return arn


def test_get_execution_history_pages(sfn, long_history):
    whole = sfn.get_execution_history(executionArn=long_history)
    assert "nextToken" not in whole
    events = whole["events"]
    assert len(events) == 14
    assert [e["id"] for e in events] == list(range(1, 15))
    assert events[0]["type"] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionSucceeded"
    reverse = sfn.get_execution_history(executionArn=long_history, reverseOrder=True)["events"]
    assert reverse == events[::-1]
    for size in (1, 4, 5, 14):
        pages = paged_by_hand(sfn.get_execution_history, "events", size,
                              executionArn=long_history)
        assert len(pages) == -(-14 // size)
        assert joined(pages) == events
        pages = paged_by_hand(sfn.get_execution_history, "events", size,
                              executionArn=long_history, reverseOrder=True)
        assert joined(pages) == reverse
        assert pages[0][0]["type"] == "ExecutionSucceeded"
    assert joined(paged_by_paginator(sfn, "get_execution_history", "events", 3,
                                     executionArn=long_history)) == events
    assert joined(paged_by_paginator(sfn, "get_execution_history", "events", 3,
                                     executionArn=long_history, reverseOrder=True)) == reverse


def test_garbage_next_token(sfn, mixed_executions, long_history):
    machine, _ = mixed_executions
    calls = [(sfn.list_state_machines, {}),
             (sfn.list_activities, {}),
             (sfn.list_executions, {"stateMachineArn": machine}),
             (sfn.list_executions, {"stateMachineArn": machine, "statusFilter": "FAILED"}),
             (sfn.get_execution_history, {"executionArn": long_history})]
    for call, kw in calls:
        for token in ("garbage", "Page-03:0000000000000000", "-1", "x" * 1024):
            code, _, status = client_error(call, nextToken=token, **kw)
            assert (code, status) == ("InvalidToken", 400), (call, token)


@pytest.mark.parametrize("op", ["list_executions", "get_execution_history"])
def test_forged_numeric_next_token(sfn, mixed_executions, long_history, op):
    machine, _ = mixed_executions
    kw = ({"stateMachineArn": machine} if op == "list_executions"
          else {"executionArn": long_history})
    code, _, status = client_error(getattr(sfn, op), nextToken="3", **kw)
    assert (code, status) == ("InvalidToken", 400)


# ---- SigV4 for Step Functions ---------------------------------------------



def test_sigv4_signed_stepfunctions_call_passes(secured):
    c = secured.client("stepfunctions", key=KEY, secret=SECRET)
    assert c.list_state_machines()["stateMachines"] == []
    arn = c.create_state_machine(name="Signed", definition=PASS,
                                 roleArn=ROLE)["stateMachineArn"]
    e = c.start_execution(stateMachineArn=arn, input='{"signed": true}')["executionArn"]
    d = wait_done(c, e)
    assert (d["status"], json.loads(d["output"])) == ("SUCCEEDED", {"signed": True})
    assert [m["name"] for m in c.list_state_machines()["stateMachines"]] == ["Signed"]


def test_sigv4_stepfunctions_wrong_secret(secured):
    code, message, status = client_error(
        secured.client("stepfunctions", key=KEY, secret="not-the-secret").list_state_machines)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.")
    # Nothing was done on its behalf.
    c = secured.client("stepfunctions", key=KEY, secret="not-the-secret")
    code, _, _ = client_error(c.create_activity, name="Sneaky")
    assert code == "InvalidSignatureException"
    assert secured.client("stepfunctions", key=KEY, secret=SECRET).list_activities()[
        "activities"] == []


def test_sigv4_stepfunctions_unknown_key(secured):
    assert client_error(
        secured.client("stepfunctions", key="AKIDNOBODY", secret=SECRET).list_activities) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.", 400)


def test_sigv4_stepfunctions_scoped_to_another_service(secured):
    """Signed correctly, but for "dynamodb": Step Functions wants "states"."""
    import http.client
    req = AWSRequest(method="POST", url=secured.url + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    SigV4Auth(Credentials(KEY, SECRET), "dynamodb", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection(secured.host, secured.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers=dict(req.headers.items()))
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    assert r.status == 400
    assert body["__type"].endswith("InvalidSignatureException")
    assert "Credential should be scoped to correct service: 'states'." in body["message"]


# ---- The virtual clock ----------------------------------------------------

def test_virtual_clock_skips_an_hour_long_wait(start_server):
    s = start_server("--clock", "virtual")
    c = s.client("stepfunctions")
    definition = {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Up"},
        "Up": {"Type": "Pass", "Result": "awake", "End": True}}}
    arn = c.create_state_machine(name="Sleeper", definition=json.dumps(definition),
                                 roleArn=ROLE, type="STANDARD")["stateMachineArn"]
    t0 = time.time()
    e = c.start_execution(stateMachineArn=arn, name="nap-1")["executionArn"]
    d = wait_done(c, e, timeout_s=10)
    assert time.time() - t0 < 5
    assert (d["status"], json.loads(d["output"])) == ("SUCCEEDED", "awake")
    assert 3600 <= (d["stopDate"] - d["startDate"]).total_seconds() < 3601
    events = c.get_execution_history(executionArn=e)["events"]
    assert [ev["type"] for ev in events] == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered",
        "PassStateExited", "ExecutionSucceeded"]
    ts = {ev["type"]: ev["timestamp"] for ev in events}
    assert (ts["WaitStateExited"] - ts["WaitStateEntered"]).total_seconds() == 3600
    assert 3600 <= (ts["ExecutionSucceeded"] - ts["ExecutionStarted"]).total_seconds() < 3601
