"""`stepwise serve --credentials FILE`: SigV4 is checked. A correctly signed
request passes; a tampered body, a wrong secret, an expired date, an unknown
key and an unsigned request are refused with AWS's exception names."""
import datetime
import http.client
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import KEY, SECRET



def signed(server, body, secret=SECRET, key=KEY, when=None, op="ListTables"):
    """Headers of a request signed by botocore itself (optionally at `when`)."""
    req = AWSRequest(method="POST", url=server.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810." + op})
    signer = SigV4Auth(Credentials(key, secret), "dynamodb", "us-east-1")
    if when is None:
        signer.add_auth(req)
    else:
        # botocore takes the time from datetime.datetime.utcnow(): pin it.
        real = datetime.datetime

        class Pinned(real):
            @classmethod
            def utcnow(cls):
                return when
        datetime.datetime = Pinned
        try:
            signer.add_auth(req)
        finally:
            datetime.datetime = real
    return dict(req.headers.items())


def post(server, body, headers):
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    c.request("POST", "/", body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data)


def test_banner_says_authentication_is_on(secured):
    assert any("Signature V4 checked against 1 key" in l for l in secured.banner)


def test_banner_says_authentication_is_off(server):
    assert any("any well-formed SigV4 signature is accepted" in l for l in server.banner)


def test_signed_request_passes(secured):
    status, body = post(secured, b"{}", signed(secured, b"{}"))
    assert (status, body) == (200, {"TableNames": []})
    # and boto3 end to end
    assert secured.client(key=KEY, secret=SECRET).list_tables()["TableNames"] == []


def test_tampered_body(secured):
    h = signed(secured, b'{"Limit": 5}')
    status, body = post(secured, b'{"Limit": 6}', h)
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert body["message"].startswith(
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.")


def test_wrong_secret(secured):
    with pytest.raises(ClientError) as e:
        secured.client(key=KEY, secret="not-the-secret").list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_key(secured):
    with pytest.raises(ClientError) as e:
        secured.client(key="AKIDNOBODY", secret=SECRET).list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == \
        "The security token included in the request is invalid."


def test_expired_date(secured):
    when = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    status, body = post(secured, b"{}", signed(secured, b"{}", when=when))
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert body["message"].startswith("Signature expired: ")
    assert body["message"].endswith(" - 15 min.)")


def test_unsigned(secured):
    status, body = post(secured, b"{}", {"Content-Type": "application/x-amz-json-1.0",
                                         "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert (status, body) == (400, {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token"})


def presign(server, body, expires=60):
    """The query (presigned) form of SigV4, computed here from the
    specification, independently of the server and of botocore (whose
    presigner moves bodies into the query, which DynamoDB's JSON cannot)."""
    import hashlib
    import hmac
    from urllib.parse import quote
    now = datetime.datetime.utcnow()
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = "%s/us-east-1/dynamodb/aws4_request" % day
    params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": KEY + "/" + scope,
              "X-Amz-Date": amz_date, "X-Amz-Expires": str(expires),
              "X-Amz-SignedHeaders": "host"}
    query = "&".join("%s=%s" % (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                     for k, v in sorted(params.items()))
    host = "%s:%d" % (server.host, server.port)
    creq = "\n".join(["POST", "/", query, "host:" + host, "", "host",
                       hashlib.sha256(body).hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                      hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, "us-east-1", "dynamodb", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return "/?%s&X-Amz-Signature=%s" % (query, sig)


def test_presigned_query_form(secured):
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    for body, expect in ((b"{}", 200), (b"{ }", 400)):
        c = http.client.HTTPConnection(secured.host, secured.port, timeout=10)
        c.request("POST", presign(secured, b"{}"), body=body, headers=headers)
        r = c.getresponse()
        data = json.loads(r.read())
        c.close()
        assert r.status == expect, data
        if expect == 200:
            assert data == {"TableNames": []}
        else:
            assert data["__type"] == "com.amazon.coral.service#InvalidSignatureException"
