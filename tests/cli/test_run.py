"""`stepwise run`, `stepwise validate` and `stepwise test` as a user runs
them: exit statuses, the trace, the JSON output and its history, --data
persistence and the virtual clock. STEPWISE names the binary under test."""
import json
import os
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STEPWISE", os.path.join(ROOT, "build", "stepwise"))
EXAMPLES = os.path.join(ROOT, "examples")


def run(*args, input_text=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, input=input_text,
                          timeout=60)


def write(tmp_path, name, obj):
    path = tmp_path / name
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return str(path)


def example(data_dir, *extra):
    return run("run", os.path.join(EXAMPLES, "order.asl.json"),
               "--input-file", os.path.join(EXAMPLES, "order-input.json"),
               "--setup", os.path.join(EXAMPLES, "setup.json"),
               "--data", data_dir, *extra)


def test_example_takes_both_branches_on_one_data_dir(tmp_path):
    data = str(tmp_path / "data")
    first = example(data, "--format", "json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["status"] == "SUCCEEDED"
    assert out["output"] == {"orderId": "order-1001", "total": "42.50",
                             "order": {"status": "CONFIRMED"}}
    second = example(data, "--format", "json")
    assert second.returncode == 0, second.stderr
    out = json.loads(second.stdout)
    assert out["output"] == {"orderId": "order-1001", "result": "already placed",
                             "error": "DynamoDB.ConditionalCheckFailedException"}
    assert "already exists" in second.stderr


def test_table_trace_shows_steps_actions_and_variables(tmp_path):
    res = example(str(tmp_path / "data"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = next(l for l in lines if l.startswith("#"))
    assert header.split() == ["#", "Time", "State", "Type", "Action", "Result", "Next"]
    rows = [l.split(None, 4) for l in lines if l[:1].isdigit()]
    assert [r[2] for r in rows[:5]] == ["CreateOrder", "ReadBack", "IsNew", "Confirm", "Placed"]
    assert "PutItem Orders" in res.stdout
    assert '$.order.status == "NEW"' in res.stdout
    assert "UpdateItem Orders" in res.stdout
    assert '"Attributes":{"pk":{"S":"order-1001"},"status":{"S":"CONFIRMED"},"total":{"N":"42.5"}}' in res.stdout
    assert "Execution SUCCEEDED" in res.stdout


def test_json_history_has_aws_shape(tmp_path):
    res = example(str(tmp_path / "data"), "--format", "json")
    out = json.loads(res.stdout)
    events = out["history"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "ExecutionStarted"
    assert events[0]["previousEventId"] == 0
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {
        "orderId": "order-1001", "total": "42.50"}
    sched = next(e for e in events if e["type"] == "TaskScheduled")
    assert sched["taskScheduledEventDetails"]["resourceType"] == "dynamodb"
    assert sched["taskScheduledEventDetails"]["resource"] == "putItem"
    assert sched["previousEventId"] == sched["id"] - 1
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert isinstance(events[-1]["timestamp"], (int, float))


def test_failed_execution_exits_1_with_error_and_cause(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}})
    res = run("run", d, "--format", "json")
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out["status"] == "FAILED"
    assert out["error"] == "Boom" and out["cause"] == "it broke"
    assert out["history"][-1]["type"] == "ExecutionFailed"


def test_invalid_definition_exits_2_listing_every_problem(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Foo": 1},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}}})
    res = run("run", d)
    assert res.returncode == 2
    assert res.stdout == ""
    problems = [l for l in res.stderr.splitlines() if l.startswith("  - ")]
    assert 'SCHEMA_VALIDATION_FAILED: The field "Foo" is not supported by Step Functions at /States/A' in problems[0]
    assert any("/States/B/Resource" in p for p in problems)
    assert len(problems) >= 3
    assert run("validate", d).returncode == 2


def test_bad_usage_and_input_exit_2(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert run("run", d, "--input", "{not json").returncode == 2
    assert run("run", d, "--bogus", "x").returncode == 2
    assert run("run", str(tmp_path / "missing.json")).returncode == 2
    assert run("run", d, "--clock", "sideways").returncode == 2
    assert run("run", d, "--input", "{}", "--input-file", d).returncode == 2
    bad_json = write(tmp_path, "bad.json", '{"StartAt": ')
    assert run("run", bad_json).returncode == 2
    assert run("nonsense").returncode == 2
    ok = run("run", d, "--input", '{"a": 12345678901234567890, "b": 1.10}', "--format", "json")
    assert ok.returncode == 0
    # Numbers keep their text through the engine.
    assert '"a": 12345678901234567890' in ok.stdout and '"b": 1.10' in ok.stdout


def test_virtual_clock_records_waits_without_sleeping(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    res = run("run", d, "--clock", "virtual", "--format", "json")
    assert res.returncode == 0
    events = json.loads(res.stdout)["history"]
    entered = next(e for e in events if e["type"] == "WaitStateEntered")
    exited = next(e for e in events if e["type"] == "WaitStateExited")
    assert round(exited["timestamp"] - entered["timestamp"]) == 3600


def test_data_dir_keeps_items_between_runs(tmp_path):
    data = str(tmp_path / "data")
    setup = write(tmp_path, "setup.json", [{"op": "CreateTable", "body": {
        "TableName": "Counters",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"}}])
    d = write(tmp_path, "d.json", {"StartAt": "Inc", "States": {"Inc": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Parameters": {"TableName": "Counters", "Key": {"pk": {"S": "c"}},
                       "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}},
                       "ReturnValues": "UPDATED_NEW"},
        "OutputPath": "$.Attributes.n.N", "End": True}}})
    for expected in ("1", "2", "3"):
        res = run("run", d, "--setup", setup, "--data", data, "--format", "json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["output"] == expected


def test_stepwise_test_reports_failures_and_counts(tmp_path):
    good = write(tmp_path, "good.json", {"kind": "stepfunctions", "definition": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}},
        "input": {}, "expect": {"status": "SUCCEEDED", "output": 1}})
    bad = write(tmp_path, "bad.json", {"kind": "stepfunctions", "definition": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}},
        "input": {}, "expect": {"status": "SUCCEEDED", "output": 2}})
    res = run("test", good)
    assert res.returncode == 0 and res.stdout.strip() == "1 passed, 0 failed"
    res = run("test", good, bad)
    assert res.returncode == 1
    assert "FAIL " + bad in res.stdout and "output 1, expected 2" in res.stdout
    assert res.stdout.strip().endswith("1 passed, 1 failed")


def test_temporary_data_dir_is_removed_on_ctrl_c(tmp_path):
    import signal
    import time
    d = write(tmp_path, "d.json", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 30, "End": True}}})
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = subprocess.Popen([BIN, "run", d], env={**os.environ, "TMPDIR": str(tmpdir)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while not list(tmpdir.iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    assert len(list(tmpdir.iterdir())) == 1
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGINT
    assert list(tmpdir.iterdir()) == []


def test_execution_name_and_nested_data_dir(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name"}, "End": True}}})
    for bad in ("", "a b", "x*", "a" * 81):
        assert run("run", d, "--name", bad).returncode == 2
    res = run("run", d, "--name", "order-42", "--data", str(tmp_path / "a" / "b" / "c"),
              "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["output"] == {"name": "order-42"}
    assert run("run", "--help").returncode == 0


# ---- QA regressions -------------------------------------------------------

def display_width(text):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_invalid_definition_json_format_prints_one_object(tmp_path):
    bad = write(tmp_path, "bad.json", {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}})
    res = run("run", bad, "--format", "json")
    assert res.returncode == 2
    out = json.loads(res.stdout)
    assert out["status"] == "INVALID_DEFINITION"
    assert out["error"] == "InvalidDefinition"
    assert out["cause"].startswith("Invalid State Machine Definition: '")
    assert {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET",
            "message": "Missing 'Next' target: Y", "location": "/States/X/Next"} in out["diagnostics"]
    assert "MISSING_TRANSITION_TARGET" in res.stderr
    # Not JSON at all, and input that is not JSON: still one object, exit 2.
    res = run("run", write(tmp_path, "broken.json", '{"StartAt":'), "--format", "json")
    assert res.returncode == 2
    out = json.loads(res.stdout)
    assert out["status"] == "INVALID_DEFINITION"
    assert out["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"
    good = write(tmp_path, "good.json", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    res = run("run", good, "--input", "{nope", "--format", "json")
    assert res.returncode == 2
    out = json.loads(res.stdout)
    assert out["status"] == "INVALID_INPUT" and out["error"] == "InvalidExecutionInput"
    # The table format keeps stdout empty and reports on stderr.
    res = run("run", bad)
    assert res.returncode == 2 and res.stdout == ""


def test_definition_over_one_megabyte_is_refused(tmp_path):
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(30000)}
    states["S30000"] = {"Type": "Pass", "End": True}
    big = write(tmp_path, "big.json", {"StartAt": "S0", "States": states})
    assert os.path.getsize(big) > 1048576
    res = run("run", big)
    assert res.returncode == 2
    assert "AWS accepts at most 1048576" in res.stderr
    assert "Member must have length less than or equal to 1048576" in res.stderr
    res = run("run", big, "--format", "json")
    assert res.returncode == 2
    out = json.loads(res.stdout)
    assert out["status"] == "INVALID_DEFINITION" and out["error"] == "ValidationException"
    assert out["cause"] == ("1 validation error detected: Value at 'definition' failed to "
                            "satisfy constraint: Member must have length less than or equal "
                            "to 1048576")
    assert run("validate", big).returncode == 2


def test_table_columns_align_with_multibyte_state_names(tmp_path):
    d = write(tmp_path, "u.json", {"StartAt": "Début", "States": {
        "Début": {"Type": "Pass", "Next": "注文を確認"},
        "注文を確認": {"Type": "Pass", "Next": "x"},
        "x": {"Type": "Succeed"}}})
    res = run("run", d)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    header = next(l for l in lines if l.startswith("#"))
    rows = [l for l in lines if l[:1].isdigit()]
    assert len(rows) == 3
    # Every row's Type column starts at the same display column as the header's.
    col = display_width(header[:header.index("Type")])
    for row in rows:
        for t in ("Pass", "Succeed"):
            if f"  {t}  " in row:
                assert display_width(row[:row.index(f"  {t}  ") + 2]) == col, row


def test_retry_rows_show_time_and_error(tmp_path):
    d = write(tmp_path, "r.json", {"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "Nope", "Key": {"pk": {"S": "a"}}},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 2}],
        "End": True}}})
    res = run("run", d, "--clock", "virtual")
    assert res.returncode == 1
    rows = [l.split() for l in res.stdout.splitlines() if l[:1].isdigit()]
    assert [r[1] for r in rows] == ["+0s", "+2s", "+6s"]
    assert res.stdout.count("error     DynamoDB.ResourceNotFoundException") == 3
    assert res.stdout.count("cause     Requested resource not found") == 3
    assert "(retry 1)" in res.stdout and "(retry 2)" in res.stdout


def test_fail_state_without_error_or_cause(tmp_path):
    d = write(tmp_path, "f.json", {"StartAt": "F", "States": {"F": {"Type": "Fail"}}})
    res = run("run", d, "--format", "json")
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out["status"] == "FAILED"
    assert "error" not in out and "cause" not in out
    last = out["history"][-1]
    assert last["type"] == "ExecutionFailed"
    assert last["executionFailedEventDetails"] == {}


def test_oversized_input_is_invalid_input(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    big = write(tmp_path, "big.json", {"big": "x" * 270000})
    res = run("run", d, "--input-file", big, "--format", "json")
    assert res.returncode == 2
    out = json.loads(res.stdout)
    assert out == {"status": "INVALID_INPUT", "error": "InvalidExecutionInput",
                   "cause": "Invalid State Machine Execution Input: 'The input size exceeds "
                            "the maximum number of bytes service limit.'"}


def test_setup_with_an_unknown_operation_says_so(tmp_path):
    d = write(tmp_path, "d.json", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    setup = write(tmp_path, "setup.json", [{"op": "Nope", "body": {}}])
    res = run("run", d, "--setup", setup)
    assert res.returncode == 2
    assert "setup[0]: Nope is not a DynamoDB operation (UnknownOperationException)" in res.stderr


def test_map_iterations_are_indented_under_their_state(tmp_path):
    d = write(tmp_path, "m.json", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
    res = run("run", d, "--input", '{"items": [1, 2]}')
    assert res.returncode == 0, res.stderr
    rows = [l.split(None, 2) for l in res.stdout.splitlines() if l[:1].isdigit()]
    lines = [l for l in res.stdout.splitlines() if l[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    state_col = lines[0].index("M")
    assert lines[1][state_col:state_col + 3] == "  P" and lines[2][state_col:state_col + 3] == "  P"
