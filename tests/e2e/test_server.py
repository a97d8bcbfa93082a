"""The server as a process: concurrent clients on the worker threads, a
clean stop on SIGTERM/SIGINT that loses nothing acknowledged, and data that
is still there after a restart on the same --data directory."""
import json
import signal
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from conftest import ACCESS_KEY, BIN, SECRET_KEY, Server

TABLE = "Concurrent"


def create(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST")


def test_concurrent_clients(server):
    create(server.client())
    errors = []

    def worker(n):
        c = server.client()
        try:
            for i in range(40):
                key = "w%d-%d" % (n, i)
                c.put_item(TableName=TABLE, Item={"id": {"S": key}, "n": {"N": str(i)}})
                got = c.get_item(TableName=TABLE, Key={"id": {"S": key}})
                assert got["Item"]["n"] == {"N": str(i)}
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_under_load_loses_nothing_acknowledged(start_server, tmp_path, sig):
    data = str(tmp_path / "data")
    s = start_server(data=data)
    create(s.client())
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        c = s.client()
        i = 0
        while not stop.is_set():
            key = "s%d-%d" % (n, i)
            try:
                c.put_item(TableName=TABLE, Item={"id": {"S": key}})
            except (ClientError, EndpointConnectionError, Exception):  # noqa: BLE001
                return
            with lock:
                acked.append(key)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    while True:
        with lock:
            if len(acked) >= 50:
                break
    s.proc.send_signal(sig)
    rc, out = s.stop()
    stop.set()
    for t in threads:
        t.join()
    assert rc == 0, out
    assert ("SIGTERM" if sig == signal.SIGTERM else "SIGINT") + " received" in out

    again = start_server(data=data)
    c = again.client()
    for key in acked:
        assert "Item" in c.get_item(TableName=TABLE, Key={"id": {"S": key}}), key


def test_stop_is_clean_every_time():
    # libmicrohttpd 0.9.75 aborts ("Failed to remove listen FD from epoll
    # set") when MHD_quiesce_daemon races its own epoll worker threads, so
    # the server stops without it: a race, so stop many times.
    for _ in range(25):
        s = Server()
        s.client().list_tables()
        rc, out = s.stop()
        assert rc == 0, out
        assert "Fatal error" not in out, out


def test_region_and_account_name_every_arn(start_server, tmp_path):
    # With --credentials the SigV4 scope must name the server's region too.
    creds = tmp_path / "credentials"
    creds.write_text("%s %s\n" % (ACCESS_KEY, SECRET_KEY))
    s = start_server("--region", "eu-west-1", "--account", "111122223333",
                     "--credentials", str(creds))
    assert any("region: eu-west-1  account: 111122223333" in l for l in s.banner), s.banner
    assert not any("note:" in l for l in s.banner), s.banner

    ddb = s.client(region_name="eu-west-1")
    arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"
    d = ddb.create_table(
        TableName="Orders",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert d["TableArn"] == arn
    assert ddb.describe_table(TableName="Orders")["Table"]["TableArn"] == arn
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "a"}]
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(
            ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/Orders")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    sfn = s.client("stepfunctions", region_name="eu-west-1")
    prefix = "arn:aws:states:eu-west-1:111122223333:"
    definition = {"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "Orders", "Item": {"id": {"S": "o1"}}},
        "End": True}}}
    m = sfn.create_state_machine(
        name="Ship", definition=json.dumps(definition),
        roleArn="arn:aws:iam::111122223333:role/stepwise")["stateMachineArn"]
    assert m == prefix + "stateMachine:Ship"
    x = sfn.start_execution(stateMachineArn=m, name="run-1")["executionArn"]
    assert x == prefix + "execution:Ship:run-1"
    deadline = time.time() + 20
    while True:
        d = sfn.describe_execution(executionArn=x)
        if d["status"] != "RUNNING" or time.time() > deadline:
            break
        time.sleep(0.05)
    assert (d["status"], d["executionArn"], d["stateMachineArn"]) == (
        "SUCCEEDED", prefix + "execution:Ship:run-1", prefix + "stateMachine:Ship")
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=m)["executions"]] \
        == [prefix + "execution:Ship:run-1"]
    events = sfn.get_execution_history(executionArn=x)["events"]
    sched = [e["taskScheduledEventDetails"] for e in events if e["type"] == "TaskScheduled"]
    assert [e["region"] for e in sched] == ["eu-west-1"]
    assert sfn.create_activity(name="Pack")["activityArn"] == prefix + "activity:Pack"

    # Signed for us-east-1: the scope names the wrong region.
    with pytest.raises(ClientError) as e:
        s.client().list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "Credential should be scoped to a valid region, not 'us-east-1'." in \
        e.value.response["Error"]["Message"]


@pytest.mark.parametrize("args, message", [
    (("--account", "12"),
     "stepwise serve: --account must be an AWS account id of exactly 12 digits, "
     "such as 123456789012; got '12'\n"),
    (("--region", "EU_WEST"),
     "stepwise serve: --region must be an AWS region name: lowercase letters, digits "
     "and dashes, such as eu-west-1; got 'EU_WEST'\n"),
])
def test_bad_region_or_account_exits_2(tmp_path, args, message):
    data = tmp_path / "data"
    r = subprocess.run([BIN, "serve", "--port", "0", "--data", str(data), *args],
                       capture_output=True, text=True, timeout=20)
    assert (r.returncode, r.stderr, r.stdout) == (2, message, "")
    assert not data.exists()  # refused before anything is created
