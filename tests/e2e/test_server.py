"""The server as a process: concurrent clients on the worker threads, a
clean stop on SIGTERM/SIGINT that loses nothing acknowledged, and data that
is still there after a restart on the same --data directory."""
import signal
import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from conftest import Server

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
    # libmicrohttpd aborted ("Failed to remove listen FD from epoll set")
    # when the listening socket was closed before its worker threads had
    # taken it out of their epoll sets: a race, so stop many times.
    for _ in range(25):
        s = Server()
        s.client().list_tables()
        rc, out = s.stop()
        assert rc == 0, out
        assert "Fatal error" not in out, out
