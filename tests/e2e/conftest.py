"""Fixtures for the end-to-end tests: a real `stepwise serve` on 127.0.0.1.

Each test module gets its own server on a free port (``--port 0``; the URL it
prints says which) over a fresh ``--data`` directory, stopped with SIGTERM at
the end of the module (and required to exit cleanly).

The binary is $STEPWISE_BIN, else build/stepwise at the top of the tree.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile

import time

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STEPWISE_BIN", os.path.join(ROOT, "build", "stepwise"))
URL_LINE = re.compile(r"listening on (http://\S+)")

# Clients sign with these; the server without --credentials accepts any.
ACCESS_KEY = "AKIDSTEPWISETEST"
SECRET_KEY = "stepwise-test-secret-key"
REGION = "us-east-1"


class Server:
    """One running `stepwise serve`."""

    def __init__(self, args=(), data=None):
        self.keep_data = data is not None
        self.data = data or tempfile.mkdtemp(prefix="stepwise-e2e-")
        cmd = [BIN, "serve", "--host", "127.0.0.1", "--port", "0",
               "--data", self.data, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.banner = []
        self.url = None
        for _ in range(10):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line)
            m = URL_LINE.search(line)
            if m:
                self.url = m.group(1)
            if "authentication:" in line:
                break
        if not self.url:
            self.proc.kill()
            self.proc.wait()
            if not self.keep_data:
                shutil.rmtree(self.data, ignore_errors=True)
            raise RuntimeError("stepwise serve did not start: " + "".join(self.banner))
        self.host, self.port = self.url[len("http://"):].rsplit(":", 1)
        self.port = int(self.port)

    def client(self, service="dynamodb", key=ACCESS_KEY, secret=SECRET_KEY, **kw):
        kw.setdefault("config", botocore.config.Config(retries={"max_attempts": 1}))
        kw.setdefault("region_name", REGION)  # another for a server with --region
        return boto3.client(
            service, endpoint_url=self.url,
            aws_access_key_id=key, aws_secret_access_key=secret, **kw)

    def stop(self):
        """SIGTERM; returns the exit status and the rest of the output."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        if not self.keep_data:
            shutil.rmtree(self.data, ignore_errors=True)
        return self.proc.returncode, out


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    rc, out = s.stop()
    assert rc == 0, out


@pytest.fixture(scope="module")
def ddb(server):
    return server.client()


@pytest.fixture
def start_server():
    """Factory for servers with extra arguments, stopped after the test."""
    started = []

    def start(*args, data=None):
        s = Server(args, data=data)
        started.append(s)
        return s

    yield start
    for s in started:
        rc, out = s.stop()
        assert rc == 0, out


# ---- Helpers the Step Functions tests share (import them from conftest) ----

ROLE = "arn:aws:iam::123456789012:role/stepwise"
ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:"


@pytest.fixture(scope="module")
def sfn(server):
    return server.client("stepfunctions")


def wait_done(sfn, arn, timeout_s=20):
    """DescribeExecution once the execution is no longer RUNNING (or the
    timeout passed)."""
    deadline = time.time() + timeout_s
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.05)


def client_error(call, **kw):
    """The ClientError `call(**kw)` raises: (code, message, HTTP status)."""
    with pytest.raises(ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


# ---- A server that checks signatures ---------------------------------------

KEY, SECRET = "AKIDSTEPWISEAUTH", "s3cr3t/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def secured(start_server, tmp_path):
    """A server with --credentials holding KEY and SECRET."""
    creds = tmp_path / "credentials"
    creds.write_text("# key id, secret\n%s %s\n" % (KEY, SECRET))
    return start_server("--credentials", str(creds))
