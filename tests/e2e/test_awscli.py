"""The AWS CLI (Debian's awscli) against `stepwise serve`: a table and item
round trip, and an AWS error surfacing as the CLI prints it."""
import json
import os
import subprocess

from conftest import ACCESS_KEY, REGION, SECRET_KEY

# Debian's awscli when installed: the first `aws` on PATH may be another build.
AWS_CLI = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else "aws"


def aws(server, *args, check=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    p = subprocess.run([AWS_CLI, "--endpoint-url", server.url, "--output", "json", *args],
                       env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_cli_round_trip(server):
    out = aws(server, "dynamodb", "create-table", "--table-name", "CliTable",
              "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH",
              "--billing-mode", "PAY_PER_REQUEST")
    assert json.loads(out.stdout)["TableDescription"]["TableName"] == "CliTable"
    aws(server, "dynamodb", "put-item", "--table-name", "CliTable",
        "--item", '{"id": {"S": "42"}, "note": {"S": "from the CLI"}}')
    out = aws(server, "dynamodb", "get-item", "--table-name", "CliTable",
              "--key", '{"id": {"S": "42"}}')
    assert json.loads(out.stdout) == {"Item": {"id": {"S": "42"},
                                               "note": {"S": "from the CLI"}}}
    out = aws(server, "dynamodb", "list-tables")
    assert "CliTable" in json.loads(out.stdout)["TableNames"]


def test_cli_error(server):
    p = aws(server, "dynamodb", "describe-table", "--table-name", "NoSuchTable", check=False)
    assert p.returncode != 0
    assert "An error occurred (ResourceNotFoundException) when calling the DescribeTable " \
           "operation: Requested resource not found: Table: NoSuchTable not found" in p.stderr


def test_cli_state_machine_round_trip(server):
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    out = aws(server, "stepfunctions", "create-state-machine", "--name", "CliMachine",
              "--definition", definition,
              "--role-arn", "arn:aws:iam::123456789012:role/stepwise")
    arn = json.loads(out.stdout)["stateMachineArn"]
    out = aws(server, "stepfunctions", "start-execution", "--state-machine-arn", arn,
              "--name", "cli-run", "--input", '{"x": 1}')
    exec_arn = json.loads(out.stdout)["executionArn"]
    for _ in range(200):
        d = json.loads(aws(server, "stepfunctions", "describe-execution",
                           "--execution-arn", exec_arn).stdout)
        if d["status"] != "RUNNING":
            break
    assert d["status"] == "SUCCEEDED"
    out = aws(server, "stepfunctions", "get-execution-history", "--execution-arn", exec_arn)
    types = [e["type"] for e in json.loads(out.stdout)["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
