"""The HTTP front as DynamoDB's: health check, 404, CORS, gzip, x-amz-crc32,
keep-alive, request size limit, and the protocol errors (exact bodies)."""
import gzip
import http.client
import json
import socket
import zlib

import pytest

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDSTEPWISETEST/20250101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def api_headers(op, **extra):
    h = {"Content-Type": "application/x-amz-json-1.0",
         "X-Amz-Target": "DynamoDB_20120810." + op,
         "X-Amz-Date": "20250101T000000Z", "Authorization": AUTH}
    h.update(extra)
    return h


def request(server, method, path="/", body=None, headers=None, conn=None):
    c = conn or http.client.HTTPConnection(server.host, server.port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r, data


def check_crc(r, data):
    assert int(r.getheader("x-amz-crc32")) == zlib.crc32(data)


def test_health_check(server):
    r, data = request(server, "GET", "/")
    assert r.status == 200
    assert data == b"healthy: dynamodb.us-east-1.amazonaws.com "
    assert len(r.getheader("x-amzn-RequestId")) == 52


def test_not_found(server):
    for method, path in (("GET", "/tables"), ("PUT", "/"), ("DELETE", "/x")):
        r, data = request(server, method, path)
        assert r.status == 404
        assert data == b"<UnknownOperationException/>\n"
        check_crc(r, data)


def test_wrong_content_type_is_not_found(server):
    r, data = request(server, "POST", "/", b"{}",
                      api_headers("ListTables", **{"Content-Type": "text/plain"}))
    assert r.status == 404


def test_serialization_exception(server):
    r, data = request(server, "POST", "/", b'{"TableName": ', api_headers("ListTables"))
    assert r.status == 400
    body = json.loads(data)
    assert body["__type"] == "com.amazon.coral.service#SerializationException"
    check_crc(r, data)


def test_serialization_exception_from_the_engine_says_Message(server):
    # A member of the wrong type is the engine's SerializationException;
    # DynamoDB spells its message member "Message" there too.
    r, data = request(server, "POST", "/", b'{"TableName": 5}', api_headers("DescribeTable"))
    assert r.status == 400
    body = json.loads(data)
    assert body["__type"] == "com.amazon.coral.service#SerializationException"
    assert "message" not in body and body["Message"]


def test_unknown_operation(server):
    r, data = request(server, "POST", "/", b"{}", api_headers("FlyToTheMoon"))
    assert r.status == 400
    assert json.loads(data) == {"__type": "com.amazon.coral.service#UnknownOperationException"}
    r, data = request(server, "POST", "/", b"{}",
                      api_headers("x", **{"X-Amz-Target": "Nonsense"}))
    assert json.loads(data) == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_missing_authentication_token(server):
    h = api_headers("ListTables")
    del h["Authorization"]
    r, data = request(server, "POST", "/", b"{}", h)
    assert r.status == 400
    assert json.loads(data) == {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token"}


def test_incomplete_signature(server):
    r, data = request(server, "POST", "/", b"{}",
                      api_headers("ListTables", Authorization="AWS4-HMAC-SHA256 Signature=1"))
    assert r.status == 400
    body = json.loads(data)
    assert body["__type"] == "com.amazon.coral.service#IncompleteSignatureException"
    assert body["message"].startswith("Authorization header requires 'Credential' parameter.")


def test_validation_envelope(server):
    r, data = request(server, "POST", "/", b'{"TableName": "ab", "Key": {}}',
                      api_headers("GetItem"))
    assert r.status == 400
    assert json.loads(data) == {
        "__type": "com.amazon.coral.validate#ValidationException",
        "message": "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 3"}
    check_crc(r, data)


def test_conditional_check_failed_carries_old_item(server):
    """ReturnValuesOnConditionCheckFailure=ALL_OLD: the item rides in the
    error body next to __type and message (raw HTTP: Debian's botocore
    predates the parameter)."""
    request(server, "POST", "/", json.dumps({
        "TableName": "Cond", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}).encode(),
        api_headers("CreateTable"))
    item = {"id": {"S": "1"}, "v": {"N": "1"}}
    r, _ = request(server, "POST", "/", json.dumps({"TableName": "Cond", "Item": item}).encode(),
                   api_headers("PutItem"))
    assert r.status == 200
    r, data = request(server, "POST", "/", json.dumps({
        "TableName": "Cond", "Item": {"id": {"S": "1"}, "v": {"N": "2"}},
        "ConditionExpression": "attribute_not_exists(id)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}).encode(), api_headers("PutItem"))
    assert r.status == 400
    assert json.loads(data) == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed", "Item": item}
    check_crc(r, data)


def test_cors(server):
    r, data = request(server, "OPTIONS", "/", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"})
    assert r.status == 200
    assert r.getheader("Access-Control-Allow-Origin") == "*"
    assert r.getheader("Access-Control-Allow-Methods") == "POST"
    assert r.getheader("Access-Control-Allow-Headers") == "content-type,x-amz-target,authorization"
    assert r.getheader("Access-Control-Max-Age") == "172800"
    r, data = request(server, "POST", "/", b"{}",
                      api_headers("ListTables", Origin="http://localhost:3000"))
    assert r.status == 200
    assert r.getheader("Access-Control-Allow-Origin") == "*"
    assert "x-amz-crc32" in r.getheader("Access-Control-Expose-Headers")


def test_gzip_when_asked(server):
    h = api_headers("CreateTable")
    request(server, "POST", "/", json.dumps({
        "TableName": "Big", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}).encode(), h)
    text = "stepwise " * 1000
    r, _ = request(server, "POST", "/", json.dumps({
        "TableName": "Big", "Item": {"id": {"S": "1"}, "text": {"S": text}}}).encode(),
        api_headers("PutItem"))
    assert r.status == 200
    get = json.dumps({"TableName": "Big", "Key": {"id": {"S": "1"}}}).encode()
    r, data = request(server, "POST", "/", get, api_headers("GetItem",
                                                            **{"Accept-Encoding": "gzip"}))
    assert r.status == 200
    assert r.getheader("Content-Encoding") == "gzip"
    check_crc(r, data)   # the CRC is of the bytes sent, as DynamoDB does
    assert json.loads(gzip.decompress(data))["Item"]["text"] == {"S": text}
    r, data = request(server, "POST", "/", get, api_headers("GetItem"))
    assert r.getheader("Content-Encoding") is None
    assert json.loads(data)["Item"]["text"] == {"S": text}


def test_keep_alive(server):
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    for _ in range(5):
        r, data = request(server, "POST", "/", b"{}", api_headers("ListTables"), conn=c)
        assert r.status == 200
        assert r.getheader("Connection") != "close"
    c.close()


def test_request_too_large(server):
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    h = api_headers("PutItem")
    h["Content-Length"] = str(17 * 1024 * 1024)
    c.putrequest("POST", "/")
    for k, v in h.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    assert r.status == 413
    c.close()


def test_request_too_large_chunked(server):
    """No Content-Length: the cap is found while reading."""
    c = http.client.HTTPConnection(server.host, server.port, timeout=30)
    chunk = b"x" * (1024 * 1024)
    c.request("POST", "/", body=iter([chunk] * 17), headers=api_headers("PutItem"),
              encode_chunked=True)
    r = c.getresponse()
    assert r.status == 413
    c.close()
    r, data = request(server, "GET", "/")
    assert r.status == 200


def test_chunked_body(server):
    c = http.client.HTTPConnection(server.host, server.port, timeout=30)
    c.request("POST", "/", body=iter([b'{"Lim', b'it": 5}']),
              headers=api_headers("ListTables"), encode_chunked=True)
    r = c.getresponse()
    assert r.status == 200
    assert isinstance(json.loads(r.read())["TableNames"], list)
    c.close()


def test_garbage_does_not_hurt(server):
    for junk in (b"\x00\x01garbage\r\n\r\n", b"GARBAGE\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        s = socket.create_connection((server.host, server.port), timeout=10)
        s.sendall(junk)
        s.close()
    s = socket.create_connection((server.host, server.port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    s.close()   # half a request, then gone
    r, data = request(server, "GET", "/")
    assert r.status == 200


def test_many_half_sent_requests_lock_nobody_out(start_server):
    # libmicrohttpd admits 1020 connections unless told otherwise: 1500
    # clients that send half a request and wait must not keep a whole one
    # from being answered.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("needs 2048 file descriptors, the hard limit is %d" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    s = start_server()
    held = []
    try:
        for _ in range(1500):
            c = socket.create_connection((s.host, s.port), timeout=10)
            c.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            held.append(c)
        r, data = request(s, "GET", "/")
        assert r.status == 200 and data == b"healthy: dynamodb.us-east-1.amazonaws.com "
    finally:
        for c in held:
            c.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
