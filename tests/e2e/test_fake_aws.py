"""Self-tests of the fake AWS (tests/fake_cloud/aws.py).

SigV4 is exercised two ways: with the curl command line (``--aws-sigv4``: libcurl's own
signer, the code ghpool uses through CURLOPT_AWS_SIGV4) and with a pure-Python signer
written here from AWS's specification, independently of the fake's verifier, to make valid
and deliberately broken requests. No ghpool binary is needed: these tests use only their own
``aws`` fixture, none of conftest's ghpool fixtures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from fake_cloud import FakeAWS  # noqa: E402
from fake_github.client import parse_raw_response, raw_exchange, request  # noqa: E402

REGION = "us-east-1"
AK, SK = "AKIAFAKESTATIC000001", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TMP_AK, TMP_SK, TMP_TOKEN = "ASIAFAKETEMP00000001", "tmp/secret+key", "FwoGZXIvYXdzE+/session=="
SECRET_ID = "ghpool/tokens"
SECRET_VALUE = '{"token":"ghp_x"}'
ROLE_ARN = "arn:aws:iam::123456789012:role/ghpool-irsa"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln"
STS_XMLNS = "{https://sts.amazonaws.com/doc/2011-06-15/}"

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="the curl command line is not installed")


@pytest.fixture(scope="module")
def aws_server():
    fake = FakeAWS(region=REGION).start()
    yield fake
    fake.stop()


@pytest.fixture
def aws(aws_server):
    """The module's FakeAWS, reset, with a static key and one secret."""
    aws_server.reset()
    aws_server.add_credentials(AK, SK)
    aws_server.put_secret(SECRET_ID, SECRET_VALUE)
    yield aws_server
    aws_server.reset()  # also releases hung handlers


# ---------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------

def sm_body(secret_id: str = SECRET_ID, **extra) -> str:
    return json.dumps({"SecretId": secret_id, **extra})


def curl_args(url: str, ak: str = AK, sk: str = SK, token: str | None = None,
              body: str | None = None, region: str = REGION, service: str = "secretsmanager",
              extra_headers: list[str] | None = None) -> list[str]:
    args = [CURL or "curl", "-sS", "--aws-sigv4", f"aws:amz:{region}:{service}",
            "--user", f"{ak}:{sk}",
            "-H", "X-Amz-Target: secretsmanager.GetSecretValue",
            "-H", "Content-Type: application/x-amz-json-1.1"]
    if token is not None:
        args += ["-H", f"X-Amz-Security-Token: {token}"]
    for h in extra_headers or []:
        args += ["-H", h]
    return args + ["--data-binary", body if body is not None else sm_body(), url]


def curl_sm(aws: FakeAWS, **kw) -> tuple[int, dict]:
    """GetSecretValue signed by libcurl; returns (status, JSON body)."""
    out = subprocess.run(curl_args(aws.url + "/", **kw) + ["-w", "\n%{http_code}"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    body, _, status = out.stdout.rpartition("\n")
    return int(status), json.loads(body)


def curl_capture(**kw) -> bytes:
    """The exact bytes libcurl sends for a signed GetSecretValue (captured on a socket that
    answers 200 without looking), for replaying as is or tampered."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(5)
        url = f"http://127.0.0.1:{srv.getsockname()[1]}/"
        proc = subprocess.Popen(curl_args(url, **kw) + ["-o", "/dev/null"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            while True:
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))
                    if len(rest) >= length:
                        break
                chunk = conn.recv(65536)
                assert chunk, "curl closed before sending its request"
                data += chunk
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        proc.wait(5)
    return data


def replay(aws: FakeAWS, raw: bytes):
    return parse_raw_response(raw_exchange(aws.url, raw))


def set_header(raw: bytes, name: str, value: str) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    out = [ln for ln in lines if not ln.lower().startswith(name.lower().encode() + b":")]
    out.append(f"{name}: {value}".encode())
    return b"\r\n".join(out) + b"\r\n\r\n" + body


# --- an independent SigV4 signer (from AWS's "Create a signed AWS API request") ---------

def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_authorization(method: str, path: str, query: str, hdrs: dict[str, str], body: bytes,
                        ak: str, sk: str, region: str, service: str, amzdate: str,
                        scope_date: str | None = None, skip: set[str] = frozenset(),
                        algorithm: str = "AWS4-HMAC-SHA256") -> str:
    """The Authorization value for a request whose path and query are already canonical,
    signing every header in ``hdrs`` but the ``skip`` names (lower case)."""
    datestamp = scope_date or amzdate[:8]
    to_sign = sorted((k.lower(), " ".join(v.split())) for k, v in hdrs.items()
                     if k.lower() not in skip)
    signed = ";".join(k for k, _ in to_sign)
    creq = "\n".join([method, path, query,
                      "".join(f"{k}:{v}\n" for k, v in to_sign), signed,
                      hashlib.sha256(body).hexdigest()])
    scope = f"{datestamp}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + sk).encode(), datestamp), region), service),
                "aws4_request")
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    return f"{algorithm} Credential={ak}/{scope}, SignedHeaders={signed}, Signature={sig}"


def sigv4_headers(host: str, body: bytes, ak: str = AK, sk: str = SK, *,
                  region: str = REGION, service: str = "secretsmanager",
                  when: float | None = None, token: str | None = None,
                  sign_token: bool = True, headers: dict[str, str] | None = None,
                  unsigned: tuple[str, ...] = (), scope_date: str | None = None,
                  content_sha: str | None = None,
                  algorithm: str = "AWS4-HMAC-SHA256") -> dict[str, str]:
    """Headers for a signed POST / GetSecretValue: every header is signed except the
    ``unsigned`` names (and the token when sign_token is False)."""
    amzdate = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if when is None else when))
    hdrs = {"Host": host, "X-Amz-Date": amzdate,
            "X-Amz-Target": "secretsmanager.GetSecretValue",
            "Content-Type": "application/x-amz-json-1.1"}
    hdrs.update(headers or {})
    if content_sha is not None:
        hdrs["X-Amz-Content-Sha256"] = content_sha
    skip = {u.lower() for u in unsigned}
    if token is not None:
        hdrs["X-Amz-Security-Token"] = token
        if not sign_token:
            skip.add("x-amz-security-token")
    hdrs["Authorization"] = sigv4_authorization("POST", "/", "", hdrs, body, ak, sk, region,
                                                service, amzdate, scope_date, skip, algorithm)
    return hdrs


def host_of(aws: FakeAWS) -> str:
    return f"127.0.0.1:{aws.port}"


def py_sm(aws: FakeAWS, body: bytes | None = None, send_body: bytes | None = None, **kw):
    """GetSecretValue signed by the Python signer over ``body``; ``send_body`` replaces
    the body actually sent (tampering)."""
    body = sm_body().encode() if body is None else body
    hdrs = sigv4_headers(host_of(aws), body, **kw)
    return request(aws.url, "POST", "/", headers=hdrs,
                   body=body if send_body is None else send_body)


def err_type(r) -> str:
    return r.json()["__type"]


def err_msg(r) -> str:
    d = r.json()
    return d.get("message") or d.get("Message") or ""


def sts_post(aws: FakeAWS, **params):
    p = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
         "RoleArn": ROLE_ARN, "RoleSessionName": "ghpool-test", "WebIdentityToken": JWT}
    p.update(params)
    p = {k: v for k, v in p.items() if v is not None}
    return request(aws.url, "POST", "/", body=urlencode(p),
                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def sts_creds(reply) -> dict[str, str]:
    root = ET.fromstring(reply.body)
    assert root.tag == STS_XMLNS + "AssumeRoleWithWebIdentityResponse"
    c = root.find(f"{STS_XMLNS}AssumeRoleWithWebIdentityResult/{STS_XMLNS}Credentials")
    return {e.tag[len(STS_XMLNS):]: e.text for e in c}


def sts_error(reply) -> str:
    root = ET.fromstring(reply.body)
    assert root.tag == STS_XMLNS + "ErrorResponse"
    return root.find(f"{STS_XMLNS}Error/{STS_XMLNS}Code").text


def parse_iso(s: str) -> float:
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


# ---------------------------------------------------------------------------
# Secrets Manager with libcurl's signer
# ---------------------------------------------------------------------------

@needs_curl
def test_curl_signed_request_verifies_and_returns_the_secret(aws):
    status, body = curl_sm(aws)
    assert status == 200, body
    assert body["SecretString"] == SECRET_VALUE
    assert json.loads(body["SecretString"]) == {"token": "ghp_x"}
    assert body["Name"] == SECRET_ID
    assert body["ARN"].startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:"
                                  f"{SECRET_ID}-")
    assert body["VersionStages"] == ["AWSCURRENT"]
    assert isinstance(body["CreatedDate"], float) and body["VersionId"]
    [rec] = aws.requests("secretsmanager")
    assert rec.access_key == AK and rec.signature_ok is True and rec.status == 200
    assert rec.credential_kind == "static" and rec.secret_id == SECRET_ID
    assert rec.region == REGION and rec.service == "secretsmanager"
    # What libcurl signs: host, x-amz-date and every header the caller added.
    assert rec.signed_headers == ["content-type", "host", "x-amz-date", "x-amz-target"]
    assert rec.session_token is None and not rec.session_token_present
    assert rec.payload_hash_from == "body" and rec.signed_but_absent == []


@needs_curl
def test_curl_signs_the_security_token_header(aws):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN, expires_in=600)
    status, body = curl_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN)
    assert status == 200, body
    [rec] = aws.requests("secretsmanager")
    assert rec.session_token == TMP_TOKEN and rec.session_token_signed is True
    assert "x-amz-security-token" in rec.signed_headers
    assert rec.credential_kind == "static"


@needs_curl
def test_curl_signs_an_x_amz_content_sha256_it_is_given(aws):
    body = sm_body()
    good = hashlib.sha256(body.encode()).hexdigest()
    status, _ = curl_sm(aws, extra_headers=[f"X-Amz-Content-Sha256: {good}"])
    assert status == 200
    rec = aws.requests("secretsmanager")[-1]
    assert rec.payload_hash_from == "header" and "x-amz-content-sha256" in rec.signed_headers
    status, answer = curl_sm(aws, extra_headers=["X-Amz-Content-Sha256: " + "0" * 64])
    assert (status, answer["__type"]) == (403, "InvalidSignatureException")


@needs_curl
def test_curl_request_replayed_verbatim_still_verifies(aws):
    raw = curl_capture()
    r = replay(aws, raw)
    assert r.status == 200, r
    assert r.json()["SecretString"] == SECRET_VALUE


@needs_curl
@pytest.mark.parametrize("tamper", ["body", "target", "content_type", "host", "date",
                                    "signature", "signed_headers"])
def test_curl_request_tampered_is_refused(aws, tamper):
    aws.put_secret("ghpool/tokenz", "other")  # same length as SECRET_ID
    raw = curl_capture()
    head, _, body = raw.partition(b"\r\n\r\n")
    if tamper == "body":
        raw = head + b"\r\n\r\n" + body.replace(b"ghpool/tokens", b"ghpool/tokenz")
    elif tamper == "target":
        raw = set_header(raw, "X-Amz-Target", "secretsmanager.GetSecretValuE")
    elif tamper == "content_type":
        raw = set_header(raw, "Content-Type", "application/x-amz-json-1.0")
    elif tamper == "host":
        raw = set_header(raw, "Host", "secretsmanager.us-east-1.amazonaws.com")
    elif tamper == "date":
        # One second later: still within the skew window, but not what was signed.
        old = next(ln for ln in head.split(b"\r\n") if ln.startswith(b"X-Amz-Date:"))
        t = time.strptime(old.split(b": ")[1].decode(), "%Y%m%dT%H%M%SZ")
        import calendar
        raw = set_header(raw, "X-Amz-Date",
                         time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(calendar.timegm(t) + 1)))
    elif tamper == "signature":
        i = raw.index(b"Signature=") + len(b"Signature=")
        flipped = b"0" if raw[i:i + 1] != b"0" else b"1"
        raw = raw[:i] + flipped + raw[i + 1:]
    elif tamper == "signed_headers":
        raw = raw.replace(b"SignedHeaders=content-type;host;", b"SignedHeaders=host;")
    r = replay(aws, raw)
    assert r.status == 403, r
    assert err_type(r) == "InvalidSignatureException"
    assert aws.requests("secretsmanager")[-1].signature_ok is False


@needs_curl
def test_curl_unsigned_headers_can_change(aws):
    raw = set_header(curl_capture(), "User-Agent", "something-else/1.0")
    assert replay(aws, raw).status == 200


@needs_curl
def test_curl_wrong_secret_key(aws):
    status, body = curl_sm(aws, sk=SK + "x")
    assert status == 403 and body["__type"] == "InvalidSignatureException"
    assert "signature we calculated does not match" in body["message"]


@needs_curl
def test_curl_unknown_access_key(aws):
    status, body = curl_sm(aws, ak="AKIAUNKNOWN000000000")
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")
    assert body["message"] == "The security token included in the request is invalid."


@needs_curl
@pytest.mark.parametrize("region,service,needle", [
    ("eu-west-1", "secretsmanager", "valid region"),
    (REGION, "sts", "correct service"),
])
def test_curl_wrong_scope(aws, region, service, needle):
    status, body = curl_sm(aws, region=region, service=service)
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    assert needle in body["message"]


@needs_curl
def test_curl_session_token_missing_or_wrong(aws):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN)
    for token in (None, TMP_TOKEN + "x"):
        status, body = curl_sm(aws, ak=TMP_AK, sk=TMP_SK, token=token)
        assert (status, body["__type"]) == (403, "UnrecognizedClientException"), token
    # A token sent with long-term (tokenless) credentials is refused as well.
    status, body = curl_sm(aws, token="stray")
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")
    recs = aws.requests("secretsmanager")
    assert [r.session_token_present for r in recs] == [False, True, True]


@needs_curl
def test_curl_expired_credentials(aws):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN, expires_in=-1)
    status, body = curl_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN)
    assert (status, body["__type"]) == (400, "ExpiredTokenException")
    assert "expired" in body["message"]


@needs_curl
def test_curl_unknown_secret_and_other_lookups(aws):
    status, body = curl_sm(aws, body=sm_body("nope"))
    assert (status, body["__type"]) == (400, "ResourceNotFoundException")
    assert body["Message"] == "Secrets Manager can't find the specified secret."
    # by ARN
    arn = aws.secret_list()[0]["ARN"]
    status, body = curl_sm(aws, body=sm_body(arn))
    assert status == 200 and body["Name"] == SECRET_ID
    # non-JSON secret text, a new version, the previous one by stage
    aws.put_secret(SECRET_ID, "plain text, not JSON")
    status, body = curl_sm(aws)
    assert status == 200 and body["SecretString"] == "plain text, not JSON"
    status, body = curl_sm(aws, body=sm_body(VersionStage="AWSPREVIOUS"))
    assert status == 200 and body["SecretString"] == SECRET_VALUE
    assert body["VersionStages"] == ["AWSPREVIOUS"]
    status, body = curl_sm(aws, body=sm_body(VersionStage="NOPE"))
    assert (status, body["__type"]) == (400, "ResourceNotFoundException")
    # binary secret
    aws.put_secret("bin", secret_binary=b"\x00\xffraw")
    status, body = curl_sm(aws, body=sm_body("bin"))
    assert status == 200 and body["SecretBinary"] == "AP9yYXc=" and "SecretString" not in body
    # marked for deletion
    aws.delete_secret("bin")
    status, body = curl_sm(aws, body=sm_body("bin"))
    assert (status, body["__type"]) == (400, "InvalidRequestException")


# ---------------------------------------------------------------------------
# Secrets Manager with the Python signer
# ---------------------------------------------------------------------------

def test_python_signer_valid_request(aws):
    r = py_sm(aws, headers={"X-Custom": "  spaced    out  value "})
    assert r.status == 200, r
    assert r.json()["SecretString"] == SECRET_VALUE
    assert r.header("Content-Type") == "application/x-amz-json-1.1"
    assert r.header("x-amzn-RequestId")
    rec = aws.requests("secretsmanager")[-1]
    assert rec.signature_ok and "x-custom" in rec.signed_headers


def test_python_signer_tampered_body(aws):
    r = py_sm(aws, send_body=sm_body("ghpool/other").encode())
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")
    assert r.header("x-amzn-ErrorType", "").startswith("InvalidSignatureException")


def test_python_signer_tampered_signed_header(aws):
    body = sm_body().encode()
    hdrs = sigv4_headers(host_of(aws), body)
    hdrs["X-Amz-Target"] = "secretsmanager.ListSecrets"
    r = request(aws.url, "POST", "/", headers=hdrs, body=body)
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")


def test_python_signer_unsigned_target_is_not_checked_but_routed(aws):
    # An unsigned header may change freely; the operation is still checked.
    body = sm_body().encode()
    hdrs = sigv4_headers(host_of(aws), body, unsigned=("X-Amz-Target",))
    hdrs["X-Amz-Target"] = "secretsmanager.ListSecrets"
    r = request(aws.url, "POST", "/", headers=hdrs, body=body)
    assert (r.status, err_type(r)) == (400, "UnknownOperationException")


@pytest.mark.parametrize("offset,ok,needle", [
    (-240, True, None), (240, True, None),
    (-600, False, "Signature expired"), (600, False, "Signature not yet current"),
])
def test_python_signer_clock_skew(aws, offset, ok, needle):
    r = py_sm(aws, when=time.time() + offset)
    if ok:
        assert r.status == 200, r
    else:
        assert (r.status, err_type(r)) == (403, "InvalidSignatureException")
        assert needle in err_msg(r)


def test_python_signer_scope_date_must_match(aws):
    r = py_sm(aws, scope_date="20200101")
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")
    assert "Credential scope" in err_msg(r)


def test_missing_and_garbled_authorization(aws):
    body = sm_body().encode()
    base = {"X-Amz-Target": "secretsmanager.GetSecretValue",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}
    r = request(aws.url, "POST", "/", headers=base, body=body)
    assert (r.status, err_type(r)) == (400, "MissingAuthenticationTokenException")
    good = sigv4_headers(host_of(aws), body)["Authorization"]
    for bad in ("Bearer abc", "AWS4-HMAC-SHA256 garbage",
                good.replace("Signature=", "Sig="),
                good.replace("/aws4_request", "/aws5_request"),
                good.replace(f"Credential={AK}/", "Credential="),
                good[:-3]):
        r = request(aws.url, "POST", "/", headers={**base, "Authorization": bad}, body=body)
        assert (r.status, err_type(r)) == (400, "IncompleteSignatureException"), bad
    r = py_sm(aws, algorithm="AWS4-HMAC-SHA512")
    assert (r.status, err_type(r)) == (400, "IncompleteSignatureException")


def test_date_header_and_host_must_be_signed(aws):
    body = sm_body().encode()
    hdrs = sigv4_headers(host_of(aws), body)
    del hdrs["X-Amz-Date"]
    r = request(aws.url, "POST", "/", headers=hdrs, body=body)
    assert (r.status, err_type(r)) == (400, "IncompleteSignatureException")
    assert "X-Amz-Date" in err_msg(r)
    r = py_sm(aws, unsigned=("Host",))
    assert (r.status, err_type(r)) == (400, "IncompleteSignatureException")


def test_date_header_instead_of_x_amz_date(aws):
    import email.utils
    now = time.time()
    body = sm_body().encode()
    hdrs = {"Host": host_of(aws), "Date": email.utils.formatdate(now, usegmt=True),
            "X-Amz-Target": "secretsmanager.GetSecretValue",
            "Content-Type": "application/x-amz-json-1.1"}
    amzdate = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    hdrs["Authorization"] = sigv4_authorization("POST", "/", "", hdrs, body, AK, SK, REGION,
                                                "secretsmanager", amzdate)
    r = request(aws.url, "POST", "/", headers=hdrs, body=body)
    assert r.status == 200, r


def test_content_sha256_header_must_match_the_body(aws):
    body = sm_body().encode()
    r = py_sm(aws, body=body, content_sha=hashlib.sha256(body).hexdigest())
    assert r.status == 200, r
    r = py_sm(aws, body=body, content_sha=hashlib.sha256(b"other").hexdigest())
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")
    r = py_sm(aws, body=body, content_sha="UNSIGNED-PAYLOAD")
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")


def test_unsigned_session_token_is_accepted_unless_required(aws):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN)
    r = py_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN, sign_token=False)
    assert r.status == 200, r
    rec = aws.requests("secretsmanager")[-1]
    assert rec.session_token_present and rec.session_token_signed is False
    aws.require_signed_token = True
    r = py_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN, sign_token=False)
    assert (r.status, err_type(r)) == (403, "InvalidSignatureException")
    r = py_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN)
    assert r.status == 200, r


def test_request_shape_errors(aws):
    r = py_sm(aws, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (r.status, err_type(r)) == (400, "UnknownOperationException")
    r = py_sm(aws, body=b"not json")
    assert (r.status, err_type(r)) == (400, "SerializationException")
    r = py_sm(aws, body=b"{}")
    assert (r.status, err_type(r)) == (400, "ValidationException")
    r = py_sm(aws, headers={"X-Amz-Target": "secretsmanager.DeleteSecret"})
    assert (r.status, err_type(r)) == (400, "UnknownOperationException")


def test_coral_namespace_option(aws):
    aws.coral_namespace = True
    r = py_sm(aws, sk="wrong")
    assert err_type(r) == "com.amazon.coral.service#InvalidSignatureException"
    r = py_sm(aws, body=sm_body("nope").encode())
    assert err_type(r) == "ResourceNotFoundException"


# ---------------------------------------------------------------------------
# STS web identity
# ---------------------------------------------------------------------------

@needs_curl
def test_sts_web_identity_end_to_end(aws):
    aws.add_web_identity_role(ROLE_ARN, JWT, lifetime=900)
    t0 = time.time()
    r = sts_post(aws)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/xml"
    creds = sts_creds(r)
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert "/" in creds["SecretAccessKey"] and "+" in creds["SecretAccessKey"]
    assert creds["SessionToken"]
    assert abs(parse_iso(creds["Expiration"]) - (t0 + 900)) <= 2
    root = ET.fromstring(r.body)
    arn = root.find(f"{STS_XMLNS}AssumeRoleWithWebIdentityResult/"
                    f"{STS_XMLNS}AssumedRoleUser/{STS_XMLNS}Arn").text
    assert arn == "arn:aws:sts::123456789012:assumed-role/ghpool-irsa/ghpool-test"
    [rec] = aws.requests("sts")
    assert rec.action == "AssumeRoleWithWebIdentity" and rec.role_arn == ROLE_ARN
    assert rec.role_session_name == "ghpool-test" and rec.web_identity_token == JWT
    assert rec.version == "2011-06-15" and rec.issued_access_key == creds["AccessKeyId"]
    # The issued keys work against Secrets Manager on the same URL, with their token.
    status, body = curl_sm(aws, ak=creds["AccessKeyId"], sk=creds["SecretAccessKey"],
                           token=creds["SessionToken"])
    assert status == 200 and body["SecretString"] == SECRET_VALUE
    rec = aws.requests("secretsmanager")[-1]
    assert rec.credential_kind == "sts" and rec.session_token_signed is True
    status, body = curl_sm(aws, ak=creds["AccessKeyId"], sk=creds["SecretAccessKey"])
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")
    # Each call issues new credentials.
    assert sts_creds(sts_post(aws))["AccessKeyId"] != creds["AccessKeyId"]
    assert [c["kind"] for c in aws.issued()] == ["sts", "sts"]


def test_sts_get_with_query_and_duration(aws):
    aws.add_web_identity_role(ROLE_ARN, JWT, lifetime=3600)
    q = urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                   "RoleArn": ROLE_ARN, "RoleSessionName": "s1", "WebIdentityToken": JWT,
                   "DurationSeconds": "900"})
    t0 = time.time()
    r = request(aws.url, "GET", "/?" + q)
    assert r.status == 200, r
    assert abs(parse_iso(sts_creds(r)["Expiration"]) - (t0 + 900)) <= 2
    assert aws.requests("sts")[-1].duration_seconds == "900"


@pytest.mark.parametrize("params,status,code", [
    ({"WebIdentityToken": JWT + "x"}, 400, "InvalidIdentityToken"),
    ({"RoleArn": "arn:aws:iam::123456789012:role/other"}, 403, "AccessDenied"),
    ({"RoleSessionName": "has space"}, 400, "ValidationError"),
    ({"RoleSessionName": None}, 400, "ValidationError"),
    ({"Version": None}, 400, "InvalidAction"),
    ({"Action": "AssumeRole"}, 400, "InvalidAction"),
    ({"DurationSeconds": "abc"}, 400, "ValidationError"),
])
def test_sts_errors(aws, params, status, code):
    aws.add_web_identity_role(ROLE_ARN, JWT)
    r = sts_post(aws, **params)
    assert r.status == status, r
    assert sts_error(r) == code
    assert r.header("Content-Type") == "text/xml"
    assert not aws.issued()


def test_sts_expired_web_identity_token_and_several_tokens(aws):
    aws.add_web_identity_role(ROLE_ARN, "old.jwt.token", expired=True)
    aws.add_web_identity_role(ROLE_ARN, JWT)
    r = sts_post(aws, WebIdentityToken="old.jwt.token")
    assert (r.status, sts_error(r)) == (400, "ExpiredTokenException")
    assert sts_post(aws).status == 200


@needs_curl
def test_issued_credentials_expire_after_their_lifetime(aws):
    # Expiration = whole second of issue + lifetime: 1 to 2 s from now.
    aws.add_web_identity_role(ROLE_ARN, JWT, lifetime=2)
    creds = sts_creds(sts_post(aws))
    kw = dict(ak=creds["AccessKeyId"], sk=creds["SecretAccessKey"], token=creds["SessionToken"])
    exp = parse_iso(creds["Expiration"])
    assert 0.8 < exp - time.time() <= 2
    assert curl_sm(aws, **kw)[0] == 200
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    status, body = curl_sm(aws, **kw)
    assert (status, body["__type"]) == (400, "ExpiredTokenException")


# ---------------------------------------------------------------------------
# container credentials
# ---------------------------------------------------------------------------

@needs_curl
def test_ecs_relative_uri(aws):
    path = "/v2/credentials/6e3fd0ad-1f3e-4c15-9b2a-3c5d2b1e5e1f"
    aws.add_ecs_credentials(path, role_arn=ROLE_ARN, lifetime=3600)
    r = request(aws.url, "GET", path)
    assert r.status == 200, r
    c = r.json()
    assert set(c) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert c["RoleArn"] == ROLE_ARN
    assert abs(parse_iso(c["Expiration"]) - (time.time() + 3600)) <= 2
    assert request(aws.url, "GET", path).json() == c  # same until refresh time
    assert curl_sm(aws, ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])[0] == 200
    assert aws.requests("secretsmanager")[-1].credential_kind == "ecs"
    # rotation: new keys on the next fetch, the old ones expired
    aws.rotate("ecs")
    c2 = request(aws.url, "GET", path).json()
    assert c2["AccessKeyId"] != c["AccessKeyId"]
    status, body = curl_sm(aws, ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])
    assert (status, body["__type"]) == (400, "ExpiredTokenException")
    assert curl_sm(aws, ak=c2["AccessKeyId"], sk=c2["SecretAccessKey"],
                   token=c2["Token"])[0] == 200
    assert request(aws.url, "GET", "/v2/credentials/unknown").status == 404
    assert [r.kind for r in aws.requests()][:2] == ["ecs", "ecs"]


def test_ecs_refresh_window_and_token(aws):
    aws.add_ecs_credentials("/creds", lifetime=100, refresh_before=100)  # always refreshed
    a = request(aws.url, "GET", "/creds").json()["AccessKeyId"]
    b = request(aws.url, "GET", "/creds").json()["AccessKeyId"]
    assert a != b
    aws.add_ecs_credentials("/full", token="ecs-auth-tok")
    assert request(aws.url, "GET", "/full").status == 401
    assert request(aws.url, "GET", "/full", headers={"Authorization": "x"}).status == 403
    assert request(aws.url, "GET", "/full",
                   headers={"Authorization": "ecs-auth-tok"}).status == 200


@needs_curl
def test_pod_identity(aws):
    aws.add_pod_identity("/v1/credentials", token="eks-pod-token", role_arn=ROLE_ARN)
    r = request(aws.url, "GET", "/v1/credentials")
    assert r.status == 401 and r.json()["message"]
    r = request(aws.url, "GET", "/v1/credentials", headers={"Authorization": "Bearer x"})
    assert r.status == 403
    r = request(aws.url, "GET", "/v1/credentials", headers={"Authorization": "eks-pod-token"})
    assert r.status == 200, r
    c = r.json()
    assert c["AccountId"] == "123456789012" and c["RoleArn"] == ROLE_ARN
    assert curl_sm(aws, ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])[0] == 200
    recs = aws.requests("pod_identity")
    assert [(x.status, x.authorization) for x in recs] == [
        (401, None), (403, "Bearer x"), (200, "eks-pod-token")]
    assert recs[-1].issued_access_key == c["AccessKeyId"]
    # revoke-style rotation
    aws.rotate("pod_identity", old="revoke")
    status, body = curl_sm(aws, ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])
    assert (status, body["__type"]) == (403, "UnrecognizedClientException")


# ---------------------------------------------------------------------------
# IMDSv2
# ---------------------------------------------------------------------------

def imds_token(aws, ttl="60"):
    return request(aws.url, "PUT", "/latest/api/token",
                   headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})


@needs_curl
def test_imdsv2_flow(aws):
    aws.set_imds_role("ghpool-instance", lifetime=3600)
    r = imds_token(aws, "21600")
    assert r.status == 200 and r.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600"
    tok = r.text
    h = {"X-aws-ec2-metadata-token": tok}
    r = request(aws.url, "GET", "/latest/meta-data/iam/security-credentials/", headers=h)
    assert (r.status, r.text) == (200, "ghpool-instance")
    r = request(aws.url, "GET", "/latest/meta-data/iam/security-credentials/ghpool-instance",
                headers=h)
    assert r.status == 200, r
    c = r.json()
    assert c["Code"] == "Success" and c["Type"] == "AWS-HMAC"
    assert set(c) == {"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token",
                      "Expiration"}
    assert curl_sm(aws, ak=c["AccessKeyId"], sk=c["SecretAccessKey"], token=c["Token"])[0] == 200
    assert aws.requests("secretsmanager")[-1].credential_kind == "imds"
    r = request(aws.url, "GET", "/latest/meta-data/iam/security-credentials/other", headers=h)
    assert r.status == 404
    r = request(aws.url, "GET", "/latest/meta-data/placement/region", headers=h)
    assert (r.status, r.text) == (200, REGION)
    kinds = [x.kind for x in aws.requests("imds")]
    assert kinds == ["imds_token", "imds_role_list", "imds_creds", "imds_creds", "imds_other"]
    assert all(x.imds_token_ok for x in aws.requests("imds")[1:])


def test_imdsv1_and_bad_tokens_are_refused(aws):
    aws.set_imds_role("ghpool-instance")
    base = "/latest/meta-data/iam/security-credentials/"
    assert request(aws.url, "GET", base).status == 401                       # IMDSv1
    assert request(aws.url, "GET", base + "ghpool-instance").status == 401
    assert request(aws.url, "GET", base,
                   headers={"X-aws-ec2-metadata-token": "forged"}).status == 401
    tok = imds_token(aws).text
    aws.imds_tokens[tok] = time.time() - 1                                   # TTL passed
    assert request(aws.url, "GET", base, headers={"X-aws-ec2-metadata-token": tok}).status == 401
    for ttl in ("0", "21601", "abc"):
        assert imds_token(aws, ttl).status == 400, ttl
    assert request(aws.url, "PUT", "/latest/api/token").status == 400         # no TTL header
    assert request(aws.url, "GET", "/latest/api/token").status == 405
    assert request(aws.url, "PUT", "/latest/api/token",
                   headers={"X-aws-ec2-metadata-token-ttl-seconds": "60",
                            "X-Forwarded-For": "1.2.3.4"}).status == 403
    # IMDSv1 allowed on request; no role -> 404
    aws.set_imds_role("ghpool-instance", v1_allowed=True)
    assert request(aws.url, "GET", base).text == "ghpool-instance"
    aws.set_imds_role(None)
    tok = imds_token(aws).text
    assert request(aws.url, "GET", base, headers={"X-aws-ec2-metadata-token": tok}).status == 404


def test_imds_credentials_refresh_on_rotate(aws):
    aws.set_imds_role("r")
    h = {"X-aws-ec2-metadata-token": imds_token(aws).text}
    path = "/latest/meta-data/iam/security-credentials/r"
    a = request(aws.url, "GET", path, headers=h).json()
    assert request(aws.url, "GET", path, headers=h).json()["AccessKeyId"] == a["AccessKeyId"]
    aws.rotate(old="keep")
    b = request(aws.url, "GET", path, headers=h).json()
    assert b["AccessKeyId"] != a["AccessKeyId"]
    assert not any(c["expired"] for c in aws.issued("imds"))


# ---------------------------------------------------------------------------
# faults, control API, log, runner
# ---------------------------------------------------------------------------

@needs_curl
def test_fault_status_for_the_next_requests(aws):
    fid = aws.add_fault("secretsmanager", status=500, count=2)
    assert curl_sm(aws) == (500, {"__type": "InternalFailure",
                                  "Message": "fault injected (500)"})
    status, body = curl_sm(aws)
    assert status == 500
    assert curl_sm(aws)[0] == 200
    assert [r.fault for r in aws.requests()] == [fid, fid, None]
    assert aws.faults()[0]["fired"] == 2
    aws.add_fault("secretsmanager", status=400, code="ThrottlingException", count=1)
    status, body = curl_sm(aws)
    assert (status, body["__type"]) == (400, "ThrottlingException")


def test_fault_shapes_per_endpoint(aws):
    aws.add_web_identity_role(ROLE_ARN, JWT)
    aws.add_fault("sts", status=503)
    r = sts_post(aws)
    assert (r.status, sts_error(r)) == (503, "ServiceUnavailable")
    aws.add_fault("imds", status=500, count=None)
    assert imds_token(aws).status == 500
    assert imds_token(aws).status == 500
    aws.clear_faults()
    assert imds_token(aws).status == 200
    aws.add_fault("imds_token", status=200, body="custom")
    assert imds_token(aws).text == "custom"


def test_fault_hang_and_drop(aws):
    aws.add_pod_identity(token="t")
    aws.add_fault("pod_identity", hang=0.4)
    t0 = time.monotonic()
    r = request(aws.url, "GET", "/v1/credentials", headers={"Authorization": "t"})
    assert r.status == 200 and time.monotonic() - t0 >= 0.35
    aws.add_fault("pod_identity", hang=0.2, status=502)
    assert request(aws.url, "GET", "/v1/credentials", headers={"Authorization": "t"}).status == 502
    aws.add_fault("pod_identity", drop=True)
    raw = raw_exchange(aws.url, b"GET /v1/credentials HTTP/1.1\r\nHost: x\r\n"
                                b"Authorization: t\r\n\r\n", timeout=5)
    assert raw == b""


def test_reset_releases_a_hung_request(aws):
    aws.add_fault(None, hang=30)
    result = {}

    def call():
        try:
            result["r"] = request(aws.url, "GET", "/latest/api/token", timeout=10)
        except OSError as e:
            result["e"] = e
    t = threading.Thread(target=call)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.2)
    aws.reset()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t0 < 5
    assert "e" in result or result["r"].status is not None


@needs_curl
def test_http_control_api(aws):
    u = aws.url
    def post(path, obj):
        r = request(u, "POST", path, body=json.dumps(obj),
                    headers={"Content-Type": "application/json"})
        assert r.status == 200, r
        return r.json()
    aws.reset()
    post("/_fake/credentials", {"access_key": "AKIAHTTP", "secret_key": "s/k"})
    post("/_fake/secrets", {"secret_id": "s1", "secret_string": "v1"})
    assert curl_sm(aws, ak="AKIAHTTP", sk="s/k", body=sm_body("s1"))[1]["SecretString"] == "v1"
    post("/_fake/web_identity", {"role_arn": ROLE_ARN, "token": JWT, "lifetime": 900})
    assert sts_post(aws).status == 200
    post("/_fake/ecs", {"path": "/ecs/1"})
    post("/_fake/pod_identity", {"path": "/v1/credentials", "token": "pt"})
    post("/_fake/imds", {"role": "r1"})
    assert request(u, "GET", "/ecs/1").status == 200
    issued = request(u, "GET", "/_fake/credentials").json()
    assert [c["kind"] for c in issued] == ["sts", "ecs"]
    post("/_fake/expire", {"access_key": issued[1]["access_key"]})
    assert request(u, "GET", "/_fake/credentials?kind=ecs").json()[0]["expired"] is True
    post("/_fake/rotate", {"kind": None, "old": "revoke"})
    assert all(c["revoked"] for c in request(u, "GET", "/_fake/credentials").json())
    fid = post("/_fake/faults", {"kind": "ecs", "status": 500})["id"]
    assert request(u, "GET", "/_fake/faults").json()[0]["id"] == fid
    assert request(u, "GET", "/ecs/1").status == 500
    assert request(u, "DELETE", "/_fake/faults").status == 200
    log = request(u, "GET", "/_fake/requests?kind=ecs").json()
    assert [e["status"] for e in log] == [200, 500] and log[1]["fault"] == fid
    assert request(u, "GET", "/_fake/secrets").json()[0]["Name"] == "s1"
    assert request(u, "DELETE", "/_fake/secrets?secret_id=s1").status == 200
    assert request(u, "POST", "/_fake/faults", body='{"bogus": 1}').status == 400
    assert request(u, "POST", "/_fake/faults", body="[").status == 400
    assert request(u, "GET", "/_fake/nothing").status == 404
    assert request(u, "DELETE", "/_fake/requests").status == 200
    assert request(u, "GET", "/_fake/requests").json() == []
    assert request(u, "POST", "/_fake/reset").status == 200
    assert aws.issued() == [] and aws.secret_list() == []


@needs_curl
def test_log_records(aws):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN)
    curl_sm(aws, ak=TMP_AK, sk=TMP_SK, token=TMP_TOKEN)
    curl_sm(aws, sk="bad")
    request(aws.url, "GET", "/nowhere")
    a, b, c = aws.requests()
    assert (a.kind, a.status, a.access_key, a.signature_ok, a.session_token_present,
            a.error) == ("secretsmanager", 200, TMP_AK, True, True, None)
    assert a.operation == "secretsmanager.GetSecretValue" and a.header("x-amz-date")
    assert json.loads(a.body) == {"SecretId": SECRET_ID} and a.done
    assert (b.status, b.signature_ok, b.session_token_present, b.error) == (
        403, False, False, "InvalidSignatureException")
    assert (c.kind, c.status) == ("unknown", 404)
    j = request(aws.url, "GET", "/_fake/requests").json()
    assert [e["seq"] for e in j] == [a.seq, b.seq, c.seq]
    assert j[0]["signed"] is True and j[0]["session_token_present"] is True
    assert json.loads(j[0]["response_body"])["SecretString"] == SECRET_VALUE
    assert aws.credentials(TMP_AK)["uses"] == 1
    aws.clear_requests()
    assert aws.requests() == []


def test_env_helper(aws):
    e = aws.env(AWS_PROFILE="x")
    assert e == {"AWS_ENDPOINT_URL": aws.url, "AWS_REGION": REGION,
                 "AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.url, "AWS_PROFILE": "x"}


@needs_curl
def test_standalone_runner():
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_cloud", "aws", "--port", "0",
         "--credentials", f"{AK}:{SK}", "--secret", f"{SECRET_ID}={SECRET_VALUE}"],
        cwd=str(TESTS_DIR), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("python3 -m fake_cloud aws listening on http://127.0.0.1:"), line
        status, body = curl_sm(SimpleNamespace(url=line.split()[-1]))
        assert status == 200 and body["SecretString"] == SECRET_VALUE
    finally:
        proc.terminate()
        assert proc.wait(5) == 0, proc.stderr.read()
    bad = subprocess.run([sys.executable, "-m", "fake_cloud", "nope"], cwd=str(TESTS_DIR),
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "unknown provider" in bad.stderr


def test_python_signer_matches_aws_published_example():
    """The test's own signer reproduces AWS's documented example (IAM GET ListUsers,
    2015-08-30), so it is an oracle independent of the fake's verifier."""
    hdrs = {"Host": "iam.amazonaws.com", "X-Amz-Date": "20150830T123600Z",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    authz = sigv4_authorization("GET", "/", "Action=ListUsers&Version=2010-05-08", hdrs, b"",
                                "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                "us-east-1", "iam", "20150830T123600Z")
    assert authz == ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
                     "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
                     "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
