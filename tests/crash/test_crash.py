"""Crash test: SIGKILL `stepwise serve` under load, restart it, check nothing
was lost or applied twice.

One server on a fresh data directory (--clock real). A table and a state
machine whose executions do

    Count  Task dynamodb:updateItem  ADD counter 1 on the execution's item
    Wait1  Wait 1-3 s
    Mark   Task dynamodb:putItem "done-<id>", ConditionExpression
           attribute_not_exists(pk): a second apply fails the execution
    Wait2  Wait 1-3 s
    Done   Pass {id, counter}

N_EXECUTIONS executions are started while client threads put items (each
PutItem that returned 200 is "acknowledged"); the server is killed with
SIGKILL at random (seeded) moments N_KILLS times and restarted on the same
data directory. Then every execution must end SUCCEEDED (bounded) with
output {"id", "counter": "1"}; every item's counter is exactly 1; every
"done-<id>" item exists; every acknowledged PutItem is there; every history
has ids 1..n in order, each state entered exactly once, one of each
execution-level event, and no Wait shorter than asked.

Environment: STEPWISE_BIN (else STEPWISE, else build/stepwise), CRASH_SEED
(default 20261203), CRASH_KILLS (default 3).
"""
import ctypes
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STEPWISE_BIN") or os.environ.get("STEPWISE") or \
    os.path.join(ROOT, "build", "stepwise")
SEED = int(os.environ.get("CRASH_SEED", "20261203"))
N_KILLS = int(os.environ.get("CRASH_KILLS", "3"))
N_EXECUTIONS = 50
N_PUTTERS = 3
FINISH_TIMEOUT_S = 60
URL_LINE = re.compile(r"listening on (http://\S+)")
TABLE = "CrashItems"
REGION = "us-east-1"
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # The server must not outlive the test: SIGKILL when pytest goes away.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Server:
    """`stepwise serve --port 0` on one data directory; restartable."""

    def __init__(self, data):
        self.data = data
        self.log_path = os.path.join(os.path.dirname(data), "server.log")
        self.proc = None
        self.url = None
        self.generation = 0

    def start(self):
        log = open(self.log_path, "a")
        log.write("---- start %d\n" % self.generation)
        log.flush()
        self.proc = subprocess.Popen(
            [BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--data", self.data,
             "--clock", "real"],
            stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + 20
        url = None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = URL_LINE.search(line)
            if m:
                url = m.group(1)
                break
        if not url:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("stepwise serve did not start:\n" + self.log_tail())
        self.url = url
        self.generation += 1

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None
        return self.proc.returncode

    def log_tail(self, n=3000):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""


def client(url, service):
    cfg = botocore.config.Config(
        inject_host_prefix=False, retries={"max_attempts": 1},
        connect_timeout=2, read_timeout=15)
    return boto3.client(service, endpoint_url=url, region_name=REGION,
                        aws_access_key_id="AKIDSTEPWISETEST",
                        aws_secret_access_key="stepwise-test-secret", config=cfg)


class Clients:
    """Per-thread clients that follow the server to its new port."""

    def __init__(self, server):
        self.server = server
        self.local = threading.local()

    def get(self, service):
        url = self.server.url
        cache = getattr(self.local, "cache", None)
        if cache is None or cache[0] != url:
            cache = (url, {})
            self.local.cache = cache
        if service not in cache[1]:
            cache[1][service] = client(url, service)
        return cache[1][service]


TRANSIENT = (botocore.exceptions.BotoCoreError,)


def call_until_ok(clients, service, op, deadline, **kw):
    """Retries `op` across connection failures (the server may be down)."""
    while True:
        try:
            return getattr(clients.get(service), op)(**kw)
        except TRANSIENT:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


DEFINITION = {
    "Comment": "crash test: a DynamoDB write on each side of a Wait",
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": TABLE,
                "Key": {"pk": {"S.$": "$.id"}},
                "UpdateExpression": "ADD #c :one",
                "ExpressionAttributeNames": {"#c": "counter"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "UPDATED_NEW",
            },
            "ResultSelector": {"counter.$": "$.Attributes.counter.N"},
            "ResultPath": "$.count",
            "Next": "Wait1",
        },
        "Wait1": {"Type": "Wait", "SecondsPath": "$.wait1", "Next": "Mark"},
        "Mark": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": TABLE,
                "Item": {"pk": {"S.$": "States.Format('done-{}', $.id)"},
                         "by": {"S.$": "$.id"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            },
            "ResultPath": None,
            "Next": "Wait2",
        },
        "Wait2": {"Type": "Wait", "SecondsPath": "$.wait2", "Next": "Done"},
        "Done": {
            "Type": "Pass",
            "Parameters": {"id.$": "$.id", "counter.$": "$.count.counter"},
            "End": True,
        },
    },
}

# Each state entered exactly once; the execution-level events once.
EXPECTED_COUNTS = {
    "ExecutionStarted": 1, "ExecutionSucceeded": 1,
    "TaskStateEntered": 2, "TaskStateExited": 2,
    "TaskScheduled": 2, "TaskStarted": 2, "TaskSucceeded": 2,
    "WaitStateEntered": 2, "WaitStateExited": 2,
    "PassStateEntered": 1, "PassStateExited": 1,
}


def full_history(sfn, arn):
    events, token = [], None
    while True:
        kw = {"executionArn": arn, "maxResults": 1000}
        if token:
            kw["nextToken"] = token
        page = sfn.get_execution_history(**kw)
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events


def check_history(name, wait1, wait2, events):
    problems = []
    ids = [e["id"] for e in events]
    if ids != list(range(1, len(ids) + 1)):
        problems.append("%s: event ids %s are not 1..%d in order" % (name, ids, len(ids)))
    for e in events:
        if e.get("previousEventId", 0) >= e["id"]:
            problems.append("%s: event %d has previousEventId %d"
                            % (name, e["id"], e["previousEventId"]))
    counts = {}
    for e in events:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    if counts != EXPECTED_COUNTS:
        problems.append("%s: event counts %s, expected %s" % (name, counts, EXPECTED_COUNTS))
    entered = [e["stateEnteredEventDetails"]["name"] for e in events
               if e["type"].endswith("StateEntered")]
    if entered != ["Count", "Wait1", "Mark", "Wait2", "Done"]:
        problems.append("%s: states entered %s" % (name, entered))
    # A timer never fires early, restart or not.
    waits = {"Wait1": wait1, "Wait2": wait2}
    started = {}
    for e in events:
        if e["type"] == "WaitStateEntered":
            started[e["stateEnteredEventDetails"]["name"]] = e["timestamp"]
        elif e["type"] == "WaitStateExited":
            state = e["stateExitedEventDetails"]["name"]
            took = (e["timestamp"] - started.get(state, e["timestamp"])).total_seconds()
            if took < waits[state] - 0.01:
                problems.append("%s: %s lasted %.3fs, asked %ds" % (name, state, took,
                                                                   waits[state]))
    return problems


@pytest.fixture
def server():
    tmp = tempfile.mkdtemp(prefix="stepwise-crash-")
    srv = Server(os.path.join(tmp, "data"))
    srv.start()
    yield srv
    status = srv.stop()
    log = srv.log_tail()
    shutil.rmtree(tmp, ignore_errors=True)
    assert status == 0, "server exit status %s; log:\n%s" % (status, log)


def test_sigkill_under_load(server):
    rng = random.Random(SEED)
    print("CRASH_SEED=%d kills=%d" % (SEED, N_KILLS))
    clients = Clients(server)
    setup_deadline = time.monotonic() + 30
    call_until_ok(clients, "dynamodb", "create_table", setup_deadline,
                  TableName=TABLE,
                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                  BillingMode="PAY_PER_REQUEST")
    machine = call_until_ok(
        clients, "stepfunctions", "create_state_machine", setup_deadline,
        name="crash", definition=json.dumps(DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/StepFunctionsRole")["stateMachineArn"]

    runs = [{"id": "e%02d" % i, "wait1": rng.randint(1, 3), "wait2": rng.randint(1, 3)}
            for i in range(N_EXECUTIONS)]
    kill_after = [rng.uniform(0.3, 2.5) for _ in range(N_KILLS)]
    stop = threading.Event()
    acked, failures = [], []
    lock = threading.Lock()

    def starter():
        # StartExecution is idempotent by name with the same input: retry
        # across crashes until it is acknowledged.
        deadline = time.monotonic() + 40
        try:
            for run in runs:
                while True:
                    try:
                        resp = clients.get("stepfunctions").start_execution(
                            stateMachineArn=machine, name=run["id"],
                            input=json.dumps(run))
                        run["arn"] = resp["executionArn"]
                        break
                    except botocore.exceptions.ClientError as e:
                        if e.response["Error"]["Code"] != "ExecutionAlreadyExists":
                            raise
                        # Started before a crash and already closed.
                        run["arn"] = machine.replace(":stateMachine:", ":execution:") + \
                            ":" + run["id"]
                        break
                    except TRANSIENT:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
                time.sleep(rng_start.uniform(0, 0.04))
        except Exception as e:  # reported by the main thread
            with lock:
                failures.append("starter: %r" % e)

    def putter(t):
        n = 0
        while not stop.is_set():
            key = "ack-%d-%d" % (t, n)
            n += 1
            try:
                clients.get("dynamodb").put_item(
                    TableName=TABLE, Item={"pk": {"S": key}, "v": {"N": str(n)}})
            except TRANSIENT:
                time.sleep(0.02)  # unknown outcome: not checked
                continue
            except Exception as e:
                with lock:
                    failures.append("putter %d: %r" % (t, e))
                return
            with lock:
                acked.append((key, str(n)))

    rng_start = random.Random(SEED + 1)
    threads = [threading.Thread(target=starter)] + \
        [threading.Thread(target=putter, args=(t,)) for t in range(N_PUTTERS)]
    for th in threads:
        th.start()
    try:
        for delay in kill_after:
            time.sleep(delay)
            server.kill9()
            time.sleep(rng.uniform(0, 0.3))
            server.start()
        threads[0].join(45)
        assert not threads[0].is_alive(), "StartExecution did not get through"
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    assert not failures, failures
    print("acknowledged puts: %d; restarts: %d" % (len(acked), server.generation - 1))

    # Every execution ends, SUCCEEDED, within the bound.
    sfn = client(server.url, "stepfunctions")
    ddb = client(server.url, "dynamodb")
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    pending = {run["id"] for run in runs}
    described = {}
    while pending and time.monotonic() < deadline:
        for run in runs:
            if run["id"] in pending:
                d = sfn.describe_execution(executionArn=run["arn"])
                if d["status"] != "RUNNING":
                    described[run["id"]] = d
                    pending.discard(run["id"])
        time.sleep(0.2)
    assert not pending, "still RUNNING after %ds: %s\n%s" % (
        FINISH_TIMEOUT_S, sorted(pending), server.log_tail())

    problems = []
    for run in runs:
        d = described[run["id"]]
        if d["status"] != "SUCCEEDED":
            problems.append("%s: %s %s: %s" % (run["id"], d["status"], d.get("error"),
                                               d.get("cause")))
            continue
        out = json.loads(d["output"])
        if out != {"id": run["id"], "counter": "1"}:
            problems.append("%s: output %s" % (run["id"], out))
        problems += check_history(run["id"], run["wait1"], run["wait2"],
                                  full_history(sfn, run["arn"]))
        item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": run["id"]}},
                            ConsistentRead=True).get("Item")
        if item != {"pk": {"S": run["id"]}, "counter": {"N": "1"}}:
            problems.append("%s: item %s (counter applied more or less than once)"
                            % (run["id"], item))
        done = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "done-" + run["id"]}},
                            ConsistentRead=True).get("Item")
        if done != {"pk": {"S": "done-" + run["id"]}, "by": {"S": run["id"]}}:
            problems.append("%s: done item %s" % (run["id"], done))
    for key, v in acked:
        item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": key}},
                            ConsistentRead=True).get("Item")
        if item != {"pk": {"S": key}, "v": {"N": v}}:
            problems.append("acknowledged put %s lost: %s" % (key, item))
    assert not problems, "%d problems (seed %d):\n%s" % (
        len(problems), SEED, "\n".join(problems[:40]))
