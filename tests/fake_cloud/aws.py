"""A fake AWS for ghpool's tests: Secrets Manager, STS web identity, ECS / EKS Pod Identity
container credentials and EC2 IMDSv2, all on one HTTP server (standard library only).

    from fake_cloud import FakeAWS
    aws = FakeAWS().start()            # 127.0.0.1, free port; aws.url
    aws.add_credentials("AKIDEXAMPLE", "secret/key+1")
    aws.put_secret("ghpool/tokens", '{"token": "ghp_x"}')
    ... AWS_ENDPOINT_URL=aws.url AWS_REGION=aws.region ...
    aws.stop()

One base URL serves everything, so a single endpoint override (AWS_ENDPOINT_URL, or the
per-service AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_STS,
AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_CONTAINER_CREDENTIALS_FULL_URI=<url><path>) points a
client at it. ``aws.env()`` returns those variables.

Routing (first match wins)
--------------------------
``/_fake/...``                         control API (never logged, never faulted)
``PUT /latest/api/token``              IMDSv2 token                          kind imds_token
``GET /latest/meta-data/iam/security-credentials/``        role list       kind imds_role_list
``GET /latest/meta-data/iam/security-credentials/<role>``  credentials     kind imds_creds
``GET /latest/...`` (other)            placement/region, else 404            kind imds_other
``GET <registered ECS path>``          container credentials                 kind ecs
``GET <registered Pod Identity path>`` container credentials (Authorization) kind pod_identity
``POST /`` with ``X-Amz-Target``       Secrets Manager (awsJson 1.1)         kind secretsmanager
``POST /`` form / ``GET /?Action=``    STS (query protocol, XML answers)     kind sts
anything else                          404                                   kind unknown

Secrets Manager (``X-Amz-Target: secretsmanager.GetSecretValue``)
-----------------------------------------------------------------
The SigV4 signature is verified independently (see ``verify_sigv4``). Checks, in order, and
answers (JSON ``{"__type": CODE, "message"|"Message": ...}``, ``x-amzn-ErrorType: CODE``):

  no Authorization header                          400 MissingAuthenticationTokenException
  Authorization not ``AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
  SignedHeaders=..., Signature=<64 hex>``; no X-Amz-Date (nor Date); host not signed
                                                   400 IncompleteSignatureException
  X-Amz-Date more than ``max_skew`` (300 s) off    403 InvalidSignatureException
                                                       ("Signature expired: ..." /
                                                        "Signature not yet current: ...")
  scope date != X-Amz-Date's date, wrong region (not ``aws.region``), wrong service
                                                   403 InvalidSignatureException
  unknown access key                               403 UnrecognizedClientException
  key has a session token but X-Amz-Security-Token is missing or different, or the key
  has none and a token is sent; revoked credentials 403 UnrecognizedClientException
  credentials past their expiration                400 ExpiredTokenException
  x-amz-content-sha256 present and != SHA-256 of the body
                                                   403 InvalidSignatureException
  signature mismatch                               403 InvalidSignatureException
  (only if ``require_signed_token``) token not in SignedHeaders
                                                   403 InvalidSignatureException
  X-Amz-Target not secretsmanager.GetSecretValue   400 UnknownOperationException
  Content-Type not application/x-amz-json-1.1      400 UnknownOperationException (fake's choice)
  body not a JSON object                           400 SerializationException
  no SecretId                                      400 ValidationException
  unknown secret / VersionId / VersionStage        400 ResourceNotFoundException
  secret marked for deletion                       400 InvalidRequestException
  success  200 {"ARN","Name","VersionId","SecretString"|"SecretBinary"(base64),
                "VersionStages":["AWSCURRENT"],"CreatedDate": <epoch seconds>}

Auth errors say ``"message"``, service errors ``"Message"`` (as the real services do); set
``aws.coral_namespace = True`` to get ``"__type": "com.amazon.coral.service#Code"`` on auth
errors, a form some AWS JSON services use (a client should keep what follows '#').

An X-Amz-Security-Token header that is *not* in SignedHeaders is accepted by default (real
AWS accepts an unsigned token header for most services; libcurl signs it anyway, since it
signs every header the caller adds). The log says whether it was signed.

STS (``Action=AssumeRoleWithWebIdentity``, unsigned)
---------------------------------------------------
Parameters from the query string and/or a form-encoded body. ``Version`` must be
``2011-06-15`` (fake's strictness). RoleArn must be registered (else 403 AccessDenied),
WebIdentityToken must equal one registered for it (else 400 InvalidIdentityToken; a token
registered with expired=True -> 400 ExpiredTokenException), RoleSessionName must match
``[\\w+=,.@-]{2,64}`` (else 400 ValidationError). DurationSeconds (optional) caps the
lifetime: issued = min(DurationSeconds, role lifetime). Each call issues new credentials.
Errors: ``<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message>
</Error><RequestId>..</RequestId></ErrorResponse>``. Other actions -> 400 InvalidAction.

Container credentials
---------------------
``add_ecs_credentials(path)`` (optional token) and ``add_pod_identity(path, token)``:
GET path -> 200 {"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"} (+
"AccountId" for Pod Identity). With a token registered: no Authorization -> 401, a different
one -> 403. A path's credentials stay the same until they come within ``refresh_before``
seconds (default min(300, lifetime // 2)) of expiring, until they expire, or until
``rotate()``; then the next GET issues new ones.

IMDSv2
------
PUT /latest/api/token needs ``X-aws-ec2-metadata-token-ttl-seconds`` in 1..21600 (else 400;
X-Forwarded-For -> 403; GET -> 405) and answers the token (text/plain) valid for that TTL.
GETs under /latest/ need ``X-aws-ec2-metadata-token`` naming a live token: missing (IMDSv1)
or unknown/expired -> 401 (unless ``set_imds_role(..., v1_allowed=True)`` for a missing
one). /latest/meta-data/iam/security-credentials/ lists the role (404 when none is set);
.../<role> -> {"Code":"Success","LastUpdated","Type":"AWS-HMAC","AccessKeyId",
"SecretAccessKey","Token","Expiration"} (404 for another role name). Credentials refresh as
for container credentials. /latest/meta-data/placement/region answers ``aws.region``.

Temporary credentials issued anywhere (STS, ECS, Pod Identity, IMDS) are registered with the
Secrets Manager endpoint, so they work against it until their Expiration.

Control: Python
---------------
``reset()``, ``requests(kind=None)`` -> [AWSRequest], ``clear_requests()``,
``put_secret(secret_id, secret_string=None, secret_binary=None)`` -> description,
``delete_secret(secret_id, scheduled=True)``,
``add_credentials(access_key, secret_key, session_token=None, expires_in=None,
expiration=None)``, ``add_web_identity_role(role_arn, token, lifetime=3600, expired=False)``,
``add_ecs_credentials(path, role_arn=DEFAULT_ROLE_ARN, lifetime=3600, token=None,
refresh_before=None)``, ``add_pod_identity(path="/v1/credentials", token=..., ...)``,
``set_imds_role(role_name, lifetime=3600, v1_allowed=False, refresh_before=None)``,
``rotate(kind=None, old="expire"|"revoke"|"keep")``, ``expire(access_key)``,
``revoke(access_key)``, ``issued(kind=None)`` -> [dict], ``credentials(access_key)`` -> dict,
``add_fault(kind=None, status=None, code=None, body=None, hang=None, drop=False, count=1,
path=None, headers=None)`` -> id, ``clear_faults()``, ``faults()``, ``env(**extra)``.

Control: HTTP (JSON bodies, keys as the Python keyword arguments)
------------------------------------------------------------------
    GET    /_fake/requests[?kind=K]   the log (JSON list of AWSRequest.to_json())
    DELETE /_fake/requests            clear the log
    POST   /_fake/reset
    POST   /_fake/secrets             {"secret_id", "secret_string" | "secret_binary"(base64)}
    DELETE /_fake/secrets?secret_id=X (marks for deletion)
    GET    /_fake/secrets             descriptions of all secrets
    POST   /_fake/credentials         {"access_key","secret_key","session_token","expires_in"}
    GET    /_fake/credentials[?kind=] issued()
    POST   /_fake/web_identity        {"role_arn","token","lifetime","expired"}
    POST   /_fake/ecs                 {"path","role_arn","lifetime","token","refresh_before"}
    POST   /_fake/pod_identity        {"path","token","role_arn","lifetime","refresh_before"}
    POST   /_fake/imds                {"role","lifetime","v1_allowed","refresh_before"}
    POST   /_fake/rotate              {"kind": null, "old": "expire"}
    POST   /_fake/expire              {"access_key"}
    POST   /_fake/revoke              {"access_key"}
    POST   /_fake/faults              add_fault's arguments -> {"id": N}
    GET    /_fake/faults              rules with their "fired" counters
    DELETE /_fake/faults
"""

from __future__ import annotations

import argparse
import base64
import calendar
import email.utils
import hashlib
import hmac
import http
import http.server
import itertools
import json
import posixpath
import re
import secrets as _secrets
import socket
import threading
import time
import uuid
from typing import Any, Iterable
from urllib.parse import parse_qsl, quote, unquote
from xml.sax.saxutils import escape as _xml_escape

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/ghpool"
SERVICE = "secretsmanager"
ALGORITHM = "AWS4-HMAC-SHA256"
JSON11 = "application/x-amz-json-1.1"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
KINDS = ("secretsmanager", "sts", "ecs", "pod_identity", "imds_token", "imds_role_list",
         "imds_creds", "imds_other", "unknown")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
AMZ_DATE_RE = re.compile(r"^(\d{8})T(\d{6})Z$")

_B64CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def iso8601(epoch: float) -> str:
    """``2026-01-02T03:04:05Z`` (what AWS puts in Expiration / LastUpdated)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def amz_date(epoch: float) -> str:
    """``20260102T030405Z`` (X-Amz-Date)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def parse_amz_date(value: str) -> float | None:
    m = AMZ_DATE_RE.match(value or "")
    if not m:
        return None
    try:
        return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None


def _rand(alphabet: str, n: int) -> str:
    return "".join(_secrets.choice(alphabet) for _ in range(n))


def new_access_key(temporary: bool = True) -> str:
    return ("ASIA" if temporary else "AKIA") + _rand(_UPPER, 16)


def new_secret_key() -> str:
    # 40 characters of the base64 alphabet, '/' and '+' included on purpose.
    return _rand(_B64CHARS, 38) + "/+"


def new_session_token() -> str:
    # Real session tokens are long base64 blobs with '+', '/' and '=' in them.
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(_secrets.token_bytes(200)).decode() + "+/="


# ---------------------------------------------------------------------------
# SigV4 (server side)
# ---------------------------------------------------------------------------

def aws_uri_encode(s: str) -> str:
    """AWS's URI encoding: everything but A-Z a-z 0-9 - _ . ~ percent-encoded (UTF-8)."""
    return quote(s, safe="-_.~")


def canonical_uri(raw_path: str) -> str:
    """Canonical URI of a non-S3 service: the path as received (percent-encoded on the wire),
    normalised (RFC 3986 dot segments, duplicate slashes), then URI-encoded once more (AWS:
    "each path segment must be URI-encoded twice")."""
    if not raw_path:
        return "/"
    path = posixpath.normpath(raw_path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return quote(path, safe="/~")


def canonical_query(raw_query: str) -> str:
    pairs = []
    for piece in (raw_query or "").split("&"):
        if not piece:
            continue
        k, _, v = piece.partition("=")
        pairs.append((aws_uri_encode(unquote(k)), aws_uri_encode(unquote(v))))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name]


def canonical_headers(headers: list[tuple[str, str]], signed: list[str]) -> str:
    out = []
    for name in signed:
        vals = [re.sub(r"\s+", " ", v.strip()) for v in _header_values(headers, name)]
        out.append(f"{name}:{','.join(vals)}\n")
    return "".join(out)


def canonical_request(method: str, raw_path: str, raw_query: str,
                      headers: list[tuple[str, str]], signed: list[str],
                      payload_hash: str) -> str:
    return "\n".join([method, canonical_uri(raw_path), canonical_query(raw_query),
                      canonical_headers(headers, signed), ";".join(signed), payload_hash])


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()
    return h(h(h(h(("AWS4" + secret_key).encode("utf-8"), date), region), service),
             "aws4_request")


def string_to_sign(amzdate: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amzdate, scope,
                      hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def parse_authorization(value: str) -> tuple[dict[str, Any] | None, str]:
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.
    Returns (fields, "") or (None, AWS-like complaint)."""
    value = (value or "").strip()
    algo, _, rest = value.partition(" ")
    if algo != ALGORITHM:
        return None, (f"Unsupported AWS 'algorithm': '{algo}'" if algo else
                      "Authorization header is empty")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        k, sep, v = part.strip().partition("=")
        if sep:
            fields[k.strip()] = v.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        return None, " ".join(f"Authorization header requires '{k}' parameter." for k in missing) \
            + f" Authorization={value}"
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or not all(cred):
        return None, ("Credential should be scoped to a valid region, service and terminator: "
                      f"'{fields['Credential']}'")
    if cred[4] != "aws4_request":
        return None, ("Credential should be scoped with a valid terminator: 'aws4_request', "
                      f"not '{cred[4]}'.")
    if not re.fullmatch(r"[0-9a-f]{64}", fields["Signature"]):
        return None, "Signature should be 64 lowercase hex characters."
    signed = fields["SignedHeaders"].split(";")
    if any(not s or s != s.lower() for s in signed):
        return None, f"Malformed SignedHeaders: {fields['SignedHeaders']}"
    return {"access_key": cred[0], "date": cred[1], "region": cred[2], "service": cred[3],
            "scope": "/".join(cred[1:]), "signed_headers": signed,
            "signature": fields["Signature"]}, ""


# ---------------------------------------------------------------------------
# records, credentials, faults
# ---------------------------------------------------------------------------

class AWSRequest:
    """One logged request. Fields (None when not applicable):

    seq, time, method, target (raw request target), path, query, headers [(k, v)], body,
    kind (see KINDS), status, error (AWS error code answered, e.g. "InvalidSignatureException"),
    fault (id of the fault rule that fired),
    secretsmanager: operation (X-Amz-Target), access_key, credential_kind ("static", "sts",
      "ecs", "pod_identity", "imds"), region, service, signed_headers [..],
      signed_but_absent (signed header names the request does not carry: signed as empty
      values, e.g. libcurl 7.88 signs "accept:" when the caller removes Accept with "Accept:"),
      signature_ok (True / False / None = never checked), session_token (the header's
      value), session_token_signed, payload_hash_from ("body" / "header"), secret_id,
    sts: action, role_arn, role_session_name, web_identity_token, duration_seconds, version,
      issued_access_key,
    ecs / pod_identity: authorization (the header's value), issued_access_key,
    imds_*: imds_token (presented), imds_token_ok, ttl (PUT), issued_access_key,
    response_body, response_headers.
    ``session_token_present`` and ``signed`` (an Authorization header was parsed) are
    properties.
    """

    FIELDS = ("seq", "time", "method", "target", "path", "query", "headers", "body", "kind",
              "status", "error", "fault", "operation", "access_key", "credential_kind",
              "region", "service", "signed_headers", "signature_ok", "session_token",
              "session_token_signed", "payload_hash_from", "signed_but_absent", "secret_id",
              "action", "role_arn", "role_session_name", "web_identity_token",
              "duration_seconds", "version", "issued_access_key", "authorization",
              "imds_token", "imds_token_ok", "ttl", "response_body", "response_headers", "done")

    def __init__(self, **kw: Any):
        for f in self.FIELDS:
            setattr(self, f, None)
        self.headers = []
        self.body = b""
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def session_token_present(self) -> bool:
        return self.session_token is not None

    @property
    def signed(self) -> bool:
        return self.signed_headers is not None

    def header(self, name: str, default: str | None = None) -> str | None:
        vals = _header_values(self.headers, name.lower())
        return vals[0] if vals else default

    def response_json(self) -> Any:
        return json.loads(self.response_body or b"null")

    def copy(self) -> "AWSRequest":
        r = AWSRequest(**{f: getattr(self, f) for f in self.FIELDS})
        r.headers = list(self.headers)
        r.signed_headers = list(self.signed_headers) if self.signed_headers is not None else None
        return r

    def to_json(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.FIELDS}
        d["headers"] = [[k, v] for k, v in self.headers]
        d["body"] = self.body.decode("utf-8", "replace")
        d["response_body"] = (self.response_body or b"").decode("utf-8", "replace")
        d["response_headers"] = [[k, v] for k, v in (self.response_headers or [])]
        d["session_token_present"] = self.session_token_present
        d["signed"] = self.signed
        return d

    def __repr__(self) -> str:
        extra = f" key={self.access_key}" if self.access_key else ""
        return (f"<AWSRequest #{self.seq} {self.kind} {self.method} {self.target} -> "
                f"{self.status} {self.error or ''}{extra}>")


class Credentials:
    def __init__(self, access_key: str, secret_key: str, session_token: str | None = None,
                 expiration: float | None = None, kind: str = "static",
                 role_arn: str | None = None):
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token
        self.expiration = expiration
        self.kind = kind
        self.role_arn = role_arn
        self.issued_at = time.time()
        self.revoked = False
        self.uses = 0

    def expired(self, now: float | None = None) -> bool:
        return self.expiration is not None and (now or time.time()) >= self.expiration

    def to_json(self) -> dict[str, Any]:
        return {"access_key": self.access_key, "secret_key": self.secret_key,
                "session_token": self.session_token, "expiration": self.expiration,
                "expiration_iso": iso8601(self.expiration) if self.expiration else None,
                "kind": self.kind, "role_arn": self.role_arn, "issued_at": self.issued_at,
                "revoked": self.revoked, "expired": self.expired(), "uses": self.uses}


class _Source:
    """A place handing out refreshing temporary credentials (ECS path, Pod Identity path,
    IMDS role)."""

    def __init__(self, kind: str, key: str, role_arn: str, lifetime: int, token: str | None,
                 refresh_before: float | None):
        self.kind = kind
        self.key = key
        self.role_arn = role_arn
        self.lifetime = int(lifetime)
        self.token = token
        self.refresh_before = (min(300, self.lifetime // 2) if refresh_before is None
                               else refresh_before)
        self.current: Credentials | None = None
        self.stale = False


class Fault:
    def __init__(self, fid: int, kind: str | None = None, status: int | None = None,
                 code: str | None = None, body: Any = None, hang: float | None = None,
                 drop: bool = False, count: int | None = 1, path: str | None = None,
                 headers: dict[str, str] | None = None, message: str | None = None):
        if kind is not None and kind != "imds" and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {KINDS} or 'imds')")
        if status is None and hang is None and not drop:
            raise ValueError("a fault needs status, hang or drop")
        self.id = fid
        self.kind = kind
        self.status = status
        self.code = code
        self.body = body
        self.hang = hang
        self.drop = drop
        self.count = count if count is not None and count >= 0 else None
        self.path = path
        self.headers = dict(headers or {})
        self.message = message
        self.fired = 0

    def matches(self, kind: str, path: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if self.kind is not None:
            if self.kind == "imds":
                if not kind.startswith("imds_"):
                    return False
            elif self.kind != kind:
                return False
        return self.path is None or path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "code": self.code,
                "hang": self.hang, "drop": self.drop, "count": self.count, "path": self.path,
                "fired": self.fired}


class Resp:
    def __init__(self, status: int, body: bytes | str = b"", content_type: str | None = None,
                 headers: list[tuple[str, str]] | None = None, error: str | None = None):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = list(headers or [])
        self.error = error


class _Abort(Exception):
    pass


class _Ctx:
    def __init__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition("?")
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        vals = _header_values(self.headers, name.lower())
        return vals[0] if vals else None


# ---------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True
    fake: "FakeAWS"

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, OSError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAWS"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None: self._dispatch()  # noqa: E704
    def do_HEAD(self) -> None: self._dispatch()  # noqa: E704
    def do_POST(self) -> None: self._dispatch()  # noqa: E704
    def do_PUT(self) -> None: self._dispatch()  # noqa: E704
    def do_DELETE(self) -> None: self._dispatch()  # noqa: E704
    def do_PATCH(self) -> None: self._dispatch()  # noqa: E704

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        fake = self.server.fake
        words = self.requestline.split()
        target = words[1] if len(words) >= 2 else self.path
        body = self._read_body()
        headers = list(self.headers.items())
        if target.startswith("/_fake/") or target == "/_fake":
            resp = fake._control(self.command, target, body)
        else:
            try:
                resp = fake._serve(_Ctx(self.command, target, headers, body))
            except _Abort:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
        self._send(resp, self.command == "HEAD")

    def _send(self, resp: Resp, head_only: bool) -> None:
        try:
            reason = http.HTTPStatus(resp.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {resp.status} {reason}", f"Server: {self.server_version}",
                 f"Date: {email.utils.formatdate(usegmt=True)}"]
        if resp.content_type:
            lines.append(f"Content-Type: {resp.content_type}")
        lines += [f"{k}: {v}" for k, v in resp.headers]
        lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only:
            data += resp.body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


# ---------------------------------------------------------------------------
# the fake
# ---------------------------------------------------------------------------

class FakeAWS:
    """Fake Secrets Manager + STS + container credentials + IMDSv2 on one loopback server."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = DEFAULT_REGION,
                 verbose: bool = False):
        self.host = host
        self.port = port
        self.region = region
        self.verbose = verbose
        self.max_skew = 300.0
        self.require_signed_token = False
        self.coral_namespace = False
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._seq = itertools.count(1)
        self._fault_ids = itertools.count(1)
        self._stopping = False
        self._wake = threading.Event()
        self._init_state()

    # --- lifecycle ----------------------------------------------------------

    def _init_state(self) -> None:
        with self._lock:
            self.secrets: dict[str, dict[str, Any]] = {}
            self.creds: dict[str, Credentials] = {}
            self.roles: dict[str, dict[str, Any]] = {}
            self.containers: dict[str, _Source] = {}
            self.imds: _Source | None = None
            self.imds_v1_allowed = False
            self.imds_tokens: dict[str, float] = {}
            self.fault_rules: list[Fault] = []
            self.log: list[AWSRequest] = []
            self.max_skew = 300.0
            self.require_signed_token = False
            self.coral_namespace = False
            old = self._wake
            self._wake = threading.Event()
            old.set()  # release hung handlers

    def start(self) -> "FakeAWS":
        srv = _Server((self.host, self.port), _Handler)
        srv.fake = self
        self._server = srv
        self.port = srv.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-aws-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        srv = self._server
        if srv is None:
            return
        self._stopping = True
        self._wake.set()
        srv.shutdown()
        srv.server_close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> "FakeAWS":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment pointing an AWS client at this fake (no credentials in it)."""
        e = {"AWS_ENDPOINT_URL": self.url, "AWS_REGION": self.region,
             "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url}
        e.update(extra)
        return e

    # --- control: log ---------------------------------------------------------

    def reset(self) -> None:
        """Back to the initial state: no secrets, credentials, roles, sources, faults, log."""
        self._init_state()

    def requests(self, kind: str | None = None) -> list[AWSRequest]:
        with self._lock:
            recs = [r.copy() for r in self.log]
        if kind == "imds":
            return [r for r in recs if r.kind.startswith("imds_")]
        return [r for r in recs if kind is None or r.kind == kind]

    def clear_requests(self) -> None:
        with self._lock:
            self.log.clear()

    # --- control: secrets -------------------------------------------------------

    def put_secret(self, secret_id: str, secret_string: str | None = None,
                   secret_binary: bytes | None = None) -> dict[str, Any]:
        """Create a secret or give it a new AWSCURRENT version (the old one becomes
        AWSPREVIOUS). Returns {"ARN","Name","VersionId"}."""
        if (secret_string is None) == (secret_binary is None):
            raise ValueError("give exactly one of secret_string, secret_binary")
        with self._lock:
            s = self._find_secret(secret_id)
            now = time.time()
            if s is None:
                s = {"name": secret_id, "created": now, "deleted": False, "versions": [],
                     "arn": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT_ID}:secret:"
                            f"{secret_id}-{_rand(_LETTERS, 6)}"}
                self.secrets[secret_id] = s
            for v in s["versions"]:
                v["stages"] = [st for st in v["stages"] if st == "AWSCURRENT"]
                v["stages"] = ["AWSPREVIOUS"] if v["stages"] else []
            ver = {"id": str(uuid.uuid4()), "string": secret_string, "binary": secret_binary,
                   "created": now, "stages": ["AWSCURRENT"]}
            s["versions"].append(ver)
            s["deleted"] = False
            return {"ARN": s["arn"], "Name": s["name"], "VersionId": ver["id"]}

    def delete_secret(self, secret_id: str, scheduled: bool = True) -> None:
        """scheduled: marked for deletion (reads -> InvalidRequestException); else gone."""
        with self._lock:
            s = self._find_secret(secret_id)
            if s is None:
                raise KeyError(secret_id)
            if scheduled:
                s["deleted"] = True
            else:
                del self.secrets[s["name"]]

    def secret_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"ARN": s["arn"], "Name": s["name"], "deleted": s["deleted"],
                     "versions": [{"VersionId": v["id"], "VersionStages": list(v["stages"])}
                                  for v in s["versions"]]} for s in self.secrets.values()]

    def _find_secret(self, secret_id: str) -> dict[str, Any] | None:
        if secret_id in self.secrets:
            return self.secrets[secret_id]
        for s in self.secrets.values():
            if secret_id == s["arn"] or (secret_id.startswith("arn:") and
                                         s["arn"].startswith(secret_id + "-")
                                         and len(s["arn"]) == len(secret_id) + 7):
                return s
        return None

    # --- control: credentials -----------------------------------------------------

    def add_credentials(self, access_key: str, secret_key: str, session_token: str | None = None,
                        expires_in: float | None = None,
                        expiration: float | None = None) -> Credentials:
        """Credentials the Secrets Manager endpoint accepts (e.g. what the test puts in
        AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or a credentials file).
        expires_in: seconds from now; expiration: epoch seconds."""
        if expires_in is not None:
            expiration = time.time() + expires_in
        c = Credentials(access_key, secret_key, session_token, expiration,
                        kind="static")
        with self._lock:
            self.creds[access_key] = c
        return c

    def credentials(self, access_key: str) -> dict[str, Any]:
        with self._lock:
            return self.creds[access_key].to_json()

    def issued(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Temporary credentials handed out (kind sts/ecs/pod_identity/imds), oldest first."""
        with self._lock:
            return [c.to_json() for c in self.creds.values()
                    if c.kind != "static" and (kind is None or c.kind == kind)]

    def expire(self, access_key: str) -> None:
        """Make these credentials expired now (-> ExpiredTokenException)."""
        with self._lock:
            self.creds[access_key].expiration = time.time() - 1

    def revoke(self, access_key: str) -> None:
        """Make these credentials unknown (-> UnrecognizedClientException)."""
        with self._lock:
            self.creds[access_key].revoked = True

    def rotate(self, kind: str | None = None, old: str = "expire") -> None:
        """Container / IMDS sources (of that kind, or all) hand out new credentials on their
        next fetch. old: "expire" (the ones issued so far -> ExpiredTokenException),
        "revoke" (-> UnrecognizedClientException) or "keep" (still valid to their
        Expiration). STS credentials issued so far are treated the same way."""
        if old not in ("expire", "revoke", "keep"):
            raise ValueError(old)
        with self._lock:
            for src in self._sources():
                if kind is None or src.kind == kind:
                    src.stale = True
            for c in self.creds.values():
                if c.kind == "static" or (kind is not None and c.kind != kind):
                    continue
                if old == "expire" and not c.expired():
                    c.expiration = time.time() - 1
                elif old == "revoke":
                    c.revoked = True

    def _sources(self) -> list[_Source]:
        return list(self.containers.values()) + ([self.imds] if self.imds else [])

    def _issue(self, kind: str, role_arn: str, lifetime: float) -> Credentials:
        now = int(time.time())
        c = Credentials(new_access_key(), new_secret_key(), new_session_token(),
                        float(now + int(lifetime)), kind=kind, role_arn=role_arn)
        self.creds[c.access_key] = c
        return c

    def _source_creds(self, src: _Source) -> Credentials:
        now = time.time()
        cur = src.current
        if (cur is None or src.stale or cur.revoked or cur.expired(now)
                or (cur.expiration or 0) - now <= src.refresh_before):
            src.current = self._issue(src.kind, src.role_arn, src.lifetime)
            src.stale = False
        return src.current

    # --- control: STS / containers / IMDS --------------------------------------------

    def add_web_identity_role(self, role_arn: str, token: str, lifetime: int = 3600,
                              expired: bool = False) -> None:
        """STS AssumeRoleWithWebIdentity for role_arn accepts this token (call again to
        accept more tokens; the last call's lifetime wins). expired=True: this token gets
        ExpiredTokenException."""
        with self._lock:
            r = self.roles.setdefault(role_arn, {"tokens": {}, "lifetime": lifetime})
            r["tokens"][token] = bool(expired)
            r["lifetime"] = int(lifetime)

    def add_ecs_credentials(self, path: str, role_arn: str = DEFAULT_ROLE_ARN,
                            lifetime: int = 3600, token: str | None = None,
                            refresh_before: float | None = None) -> None:
        """GET path (e.g. "/v2/credentials/abcd", the RELATIVE_URI) answers credentials.
        token: require ``Authorization: <token>`` (FULL_URI + AUTHORIZATION_TOKEN style)."""
        self._add_container("ecs", path, role_arn, lifetime, token, refresh_before)

    def add_pod_identity(self, path: str = "/v1/credentials", token: str = "pod-identity-token",
                         role_arn: str = DEFAULT_ROLE_ARN, lifetime: int = 3600,
                         refresh_before: float | None = None) -> None:
        """EKS Pod Identity agent: GET path with ``Authorization: <token>``."""
        self._add_container("pod_identity", path, role_arn, lifetime, token, refresh_before)

    def _add_container(self, kind: str, path: str, role_arn: str, lifetime: int,
                       token: str | None, refresh_before: float | None) -> None:
        if not path.startswith("/") or path.startswith(("/_fake", "/latest/")) or path == "/":
            raise ValueError(f"bad container credentials path {path!r}")
        with self._lock:
            self.containers[path] = _Source(kind, path, role_arn, lifetime, token, refresh_before)

    def set_imds_role(self, role_name: str | None, lifetime: int = 3600,
                      v1_allowed: bool = False, refresh_before: float | None = None) -> None:
        """The instance profile role IMDS lists (None: no role -> 404s)."""
        with self._lock:
            self.imds_v1_allowed = bool(v1_allowed)
            self.imds = (None if role_name is None else
                         _Source("imds", role_name, f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}",
                                 lifetime, None, refresh_before))

    # --- control: faults ------------------------------------------------------------

    def add_fault(self, kind: str | None = None, status: int | None = None,
                  code: str | None = None, body: Any = None, hang: float | None = None,
                  drop: bool = False, count: int | None = 1, path: str | None = None,
                  headers: dict[str, str] | None = None, message: str | None = None) -> int:
        """The next ``count`` requests (None/negative: all) of ``kind`` (a KINDS name, "imds"
        for all imds_*, None for any) whose path starts with ``path`` fail:
        hang=N: wait N seconds first (released by reset()/stop()), then answer ``status``
        if given, else normally; drop=True: close the connection without an answer;
        status: answer it with ``body`` (dict -> JSON, str/bytes as is) or an AWS-shaped error
        for the endpoint with ``code`` (default InternalFailure / ServiceUnavailable)."""
        with self._lock:
            f = Fault(next(self._fault_ids), kind, status, code, body, hang, drop, count, path,
                      headers, message)
            self.fault_rules.append(f)
            return f.id

    def clear_faults(self) -> None:
        with self._lock:
            self.fault_rules.clear()

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self.fault_rules]

    # --- serving ----------------------------------------------------------------------

    def _classify(self, ctx: _Ctx) -> str:
        p = ctx.path
        if p == "/latest/api/token":
            return "imds_token"
        if p.startswith("/latest/"):
            base = "/latest/meta-data/iam/security-credentials"
            if p in (base, base + "/"):
                return "imds_role_list"
            if p.startswith(base + "/"):
                return "imds_creds"
            return "imds_other"
        with self._lock:
            src = self.containers.get(ctx.target) or self.containers.get(p)
        if src is not None:
            return src.kind
        if p == "/":
            if ctx.header("X-Amz-Target") is not None:
                return "secretsmanager"
            if "Action" in self._sts_params(ctx):
                return "sts"
        return "unknown"

    def _serve(self, ctx: _Ctx) -> Resp:
        kind = self._classify(ctx)
        rec = AWSRequest(seq=next(self._seq), time=time.time(), method=ctx.method,
                         target=ctx.target, path=ctx.path, query=ctx.query,
                         headers=list(ctx.headers), body=ctx.body, kind=kind, done=False)
        with self._lock:
            self.log.append(rec)
            wake = self._wake
            fault = next((f for f in self.fault_rules if f.matches(kind, ctx.path)), None)
            if fault is not None:
                fault.fired += 1
                rec.fault = fault.id
        resp: Resp | None = None
        try:
            if fault is not None:
                resp = self._fire(fault, kind, wake)
            if resp is None:
                if self._stopping:
                    raise _Abort()
                handler = getattr(self, "_h_" + kind)
                resp = handler(ctx, rec)
        except _Abort:
            with self._lock:
                rec.done = True
            raise
        with self._lock:
            rec.status = resp.status
            rec.error = rec.error or resp.error
            rec.response_body = resp.body
            rec.response_headers = ([("Content-Type", resp.content_type)]
                                    if resp.content_type else []) + list(resp.headers)
            rec.done = True
        return resp

    def _fire(self, f: Fault, kind: str, wake: threading.Event) -> Resp | None:
        if f.hang is not None:
            if wake.wait(f.hang) and (self._stopping or wake is not self._wake):
                raise _Abort()
        if f.drop:
            raise _Abort()
        if f.status is None:
            return None
        headers = list(f.headers.items())
        if f.body is not None:
            if isinstance(f.body, (dict, list)):
                return Resp(f.status, json.dumps(f.body), "application/json", headers)
            ct = f.headers.get("Content-Type")
            headers = [h for h in headers if h[0].lower() != "content-type"]
            return Resp(f.status, f.body, ct or "text/plain", headers)
        code = f.code or ("ServiceUnavailable" if f.status == 503 else "InternalFailure")
        msg = f.message or f"fault injected ({f.status})"
        if kind == "secretsmanager":
            r = self._sm_error(f.status, code, msg, service=True)
        elif kind == "sts":
            r = self._sts_error(f.status, code, msg, "Receiver" if f.status >= 500 else "Sender")
        else:
            r = Resp(f.status, json.dumps({"code": code, "message": msg}), "application/json",
                     error=code)
        r.headers += headers
        return r

    # --- Secrets Manager ------------------------------------------------------------

    def _sm_error(self, status: int, code: str, message: str, service: bool = False) -> Resp:
        typ = code if (service or not self.coral_namespace) else "com.amazon.coral.service#" + code
        body = {"__type": typ, ("Message" if service else "message"): message}
        return Resp(status, json.dumps(body), JSON11,
                    [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amzn-ErrorType", f"{code}:")],
                    error=code)

    def _h_secretsmanager(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        rec.operation = ctx.header("X-Amz-Target")
        rec.session_token = ctx.header("X-Amz-Security-Token")
        err = self._verify(ctx, rec)
        if err is not None:
            return err
        if ctx.method != "POST":
            return self._sm_error(400, "UnknownOperationException", "", service=True)
        if rec.operation != "secretsmanager.GetSecretValue":
            return self._sm_error(400, "UnknownOperationException", "", service=True)
        ctype = (ctx.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != JSON11:
            return self._sm_error(400, "UnknownOperationException",
                                  f"Content-Type {ctype or '(none)'} is not {JSON11}",
                                  service=True)
        try:
            req = json.loads(ctx.body.decode("utf-8"))
            if not isinstance(req, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            return self._sm_error(400, "SerializationException",
                                  "Start of structure or map found where not expected.",
                                  service=True)
        sid = req.get("SecretId")
        rec.secret_id = sid
        if not isinstance(sid, str) or not sid:
            return self._sm_error(400, "ValidationException",
                                  "1 validation error detected: Value null at 'secretId' "
                                  "failed to satisfy constraint: Member must not be null",
                                  service=True)
        with self._lock:
            s = self._find_secret(sid)
            if s is None:
                return self._sm_error(400, "ResourceNotFoundException",
                                      "Secrets Manager can't find the specified secret.",
                                      service=True)
            if s["deleted"]:
                return self._sm_error(400, "InvalidRequestException",
                                      "You can't perform this operation on the secret because "
                                      "it was marked for deletion.", service=True)
            vid, stage = req.get("VersionId"), req.get("VersionStage")
            if vid is not None:
                ver = next((v for v in s["versions"] if v["id"] == vid), None)
                if ver is None or (stage is not None and stage not in ver["stages"]):
                    return self._sm_error(400, "ResourceNotFoundException",
                                          "Secrets Manager can't find the specified secret "
                                          f"value for VersionId: {vid}", service=True)
            else:
                stage = stage or "AWSCURRENT"
                ver = next((v for v in s["versions"] if stage in v["stages"]), None)
                if ver is None:
                    return self._sm_error(400, "ResourceNotFoundException",
                                          "Secrets Manager can't find the specified secret "
                                          f"value for staging label: {stage}", service=True)
            out: dict[str, Any] = {"ARN": s["arn"], "Name": s["name"], "VersionId": ver["id"]}
            if ver["string"] is not None:
                out["SecretString"] = ver["string"]
            else:
                out["SecretBinary"] = base64.b64encode(ver["binary"]).decode()
            out["VersionStages"] = list(ver["stages"])
            out["CreatedDate"] = round(ver["created"], 3)
        return Resp(200, json.dumps(out), JSON11, [("x-amzn-RequestId", str(uuid.uuid4()))])

    def _verify(self, ctx: _Ctx, rec: AWSRequest) -> Resp | None:
        """SigV4 checks; fills rec; None when the request is authentic."""
        authz = ctx.header("Authorization")
        if authz is None:
            return self._sm_error(400, "MissingAuthenticationTokenException",
                                  "Missing Authentication Token")
        a, why = parse_authorization(authz)
        if a is None:
            return self._sm_error(400, "IncompleteSignatureException", why)
        rec.access_key = a["access_key"]
        rec.region = a["region"]
        rec.service = a["service"]
        rec.signed_headers = a["signed_headers"]
        signed = a["signed_headers"]
        rec.signed_but_absent = [h for h in signed if not _header_values(ctx.headers, h)]
        rec.session_token_signed = ("x-amz-security-token" in signed
                                    if rec.session_token is not None else None)
        date_hdr = ctx.header("X-Amz-Date")
        if date_hdr is not None:
            when = parse_amz_date(date_hdr)
            if when is None:
                return self._sm_error(400, "IncompleteSignatureException",
                                      f"Date must be in ISO-8601 'basic format'. Got '{date_hdr}'.")
            amzdate = date_hdr
        elif ctx.header("Date") is not None:
            try:
                when = email.utils.parsedate_to_datetime(ctx.header("Date")).timestamp()
            except (TypeError, ValueError):
                return self._sm_error(400, "IncompleteSignatureException", "Bad Date header.")
            amzdate = amz_date(when)
        else:
            return self._sm_error(400, "IncompleteSignatureException",
                                  "Authorization header requires existence of either a "
                                  "'X-Amz-Date' or a 'Date' header.")
        if "host" not in signed:
            return self._sm_error(400, "IncompleteSignatureException",
                                  "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                                  "Authorization.")
        if date_hdr is not None and "x-amz-date" not in signed:
            return self._sm_error(400, "IncompleteSignatureException",
                                  "'X-Amz-Date' must be a 'SignedHeader' when present.")
        now = time.time()
        if when < now - self.max_skew:
            return self._sm_error(403, "InvalidSignatureException",
                                  f"Signature expired: {amzdate} is now earlier than "
                                  f"{amz_date(now - self.max_skew)} ({amz_date(now)} - 5 min.)")
        if when > now + self.max_skew:
            return self._sm_error(403, "InvalidSignatureException",
                                  f"Signature not yet current: {amzdate} is still later than "
                                  f"{amz_date(now + self.max_skew)} ({amz_date(now)} + 5 min.)")
        if a["date"] != amzdate[:8]:
            return self._sm_error(403, "InvalidSignatureException",
                                  "Date in Credential scope does not match YYYYMMDD from "
                                  "ISO-8601 version of date from HTTP: "
                                  f"'{a['date']}' != '{amzdate[:8]}', from '{amzdate}'.")
        if a["region"] != self.region:
            return self._sm_error(403, "InvalidSignatureException",
                                  f"Credential should be scoped to a valid region, not "
                                  f"'{a['region']}'. ")
        if a["service"] != SERVICE:
            return self._sm_error(403, "InvalidSignatureException",
                                  f"Credential should be scoped to correct service: '{SERVICE}'. ")
        with self._lock:
            cred = self.creds.get(a["access_key"])
            if cred is not None:
                cred.uses += 1
                cred_snapshot = (cred.secret_key, cred.session_token, cred.revoked,
                                 cred.expired(now), cred.kind)
        if cred is None:
            return self._sm_error(403, "UnrecognizedClientException",
                                  "The security token included in the request is invalid.")
        secret_key, want_token, revoked, expired, ckind = cred_snapshot
        rec.credential_kind = ckind
        if revoked or rec.session_token != want_token:
            return self._sm_error(403, "UnrecognizedClientException",
                                  "The security token included in the request is invalid.")
        if expired:
            return self._sm_error(400, "ExpiredTokenException",
                                  "The security token included in the request is expired")
        body_hash = hashlib.sha256(ctx.body).hexdigest()
        declared = ctx.header("X-Amz-Content-Sha256")
        rec.payload_hash_from = "body"
        if declared is not None:
            rec.payload_hash_from = "header"
            if declared.strip() != body_hash:
                rec.signature_ok = False
                return self._sm_error(403, "InvalidSignatureException",
                                      "The x-amz-content-sha256 header does not match the "
                                      "SHA-256 of the request body.")
        creq = canonical_request(ctx.method, ctx.path, ctx.query, ctx.headers, signed, body_hash)
        sts = string_to_sign(amzdate, a["scope"], creq)
        want = hmac.new(signing_key(secret_key, a["date"], a["region"], a["service"]),
                        sts.encode("utf-8"), hashlib.sha256).hexdigest()
        rec.signature_ok = hmac.compare_digest(want, a["signature"])
        if not rec.signature_ok:
            return self._sm_error(403, "InvalidSignatureException",
                                  "The request signature we calculated does not match the "
                                  "signature you provided. Check your AWS Secret Access Key "
                                  "and signing method. Consult the service documentation for "
                                  "details.")
        if self.require_signed_token and rec.session_token is not None \
                and not rec.session_token_signed:
            return self._sm_error(403, "InvalidSignatureException",
                                  "X-Amz-Security-Token must be a signed header.")
        return None

    # --- STS ------------------------------------------------------------------------------

    @staticmethod
    def _sts_params(ctx: _Ctx) -> dict[str, str]:
        params = dict(parse_qsl(ctx.query, keep_blank_values=True))
        ctype = (ctx.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctx.method == "POST" and ctype == "application/x-www-form-urlencoded" and ctx.body:
            try:
                params.update(parse_qsl(ctx.body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                pass
        return params

    def _sts_error(self, status: int, code: str, message: str, typ: str = "Sender") -> Resp:
        rid = str(uuid.uuid4())
        body = (f'<ErrorResponse xmlns="{STS_NS}">\n  <Error>\n    <Type>{typ}</Type>\n'
                f'    <Code>{_xml_escape(code)}</Code>\n'
                f'    <Message>{_xml_escape(message)}</Message>\n  </Error>\n'
                f'  <RequestId>{rid}</RequestId>\n</ErrorResponse>\n')
        return Resp(status, body, "text/xml", [("x-amzn-RequestId", rid)], error=code)

    def _h_sts(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        p = self._sts_params(ctx)
        rec.action = p.get("Action")
        rec.role_arn = p.get("RoleArn")
        rec.role_session_name = p.get("RoleSessionName")
        rec.web_identity_token = p.get("WebIdentityToken")
        rec.duration_seconds = p.get("DurationSeconds")
        rec.version = p.get("Version")
        if ctx.method not in ("GET", "POST"):
            return self._sts_error(400, "InvalidAction", f"{ctx.method} is not supported")
        if rec.action != "AssumeRoleWithWebIdentity":
            return self._sts_error(400, "InvalidAction",
                                   f"Could not find operation {rec.action} for version "
                                   f"{rec.version or 'NO_VERSION_SPECIFIED'}")
        if rec.version != "2011-06-15":
            return self._sts_error(400, "InvalidAction",
                                   f"Could not find operation {rec.action} for version "
                                   f"{rec.version or 'NO_VERSION_SPECIFIED'}")
        missing = [n for n, v in (("roleArn", rec.role_arn),
                                  ("roleSessionName", rec.role_session_name),
                                  ("webIdentityToken", rec.web_identity_token)) if not v]
        if missing:
            return self._sts_error(400, "ValidationError",
                                   f"{len(missing)} validation error(s) detected: " + "; ".join(
                                       f"Value null at '{n}' failed to satisfy constraint: "
                                       "Member must not be null" for n in missing))
        if not SESSION_NAME_RE.match(rec.role_session_name):
            return self._sts_error(400, "ValidationError",
                                   "1 validation error detected: Value "
                                   f"'{rec.role_session_name}' at 'roleSessionName' failed to "
                                   "satisfy constraint: Member must satisfy regular expression "
                                   "pattern: [\\w+=,.@-]* (and length 2..64)")
        duration = None
        if rec.duration_seconds is not None:
            try:
                duration = int(rec.duration_seconds)
                if not 1 <= duration <= 43200:
                    raise ValueError
            except ValueError:
                return self._sts_error(400, "ValidationError",
                                       "1 validation error detected: Value "
                                       f"'{rec.duration_seconds}' at 'durationSeconds' failed "
                                       "to satisfy constraint")
        with self._lock:
            role = self.roles.get(rec.role_arn)
            if role is None:
                return self._sts_error(403, "AccessDenied",
                                       "Not authorized to perform sts:AssumeRoleWithWebIdentity")
            state = role["tokens"].get(rec.web_identity_token)
            if state is None:
                return self._sts_error(400, "InvalidIdentityToken",
                                       "The ID Token provided is not a valid JWT. (You may see "
                                       "this error if you sent an Access Token)")
            if state:
                return self._sts_error(400, "ExpiredTokenException",
                                       "Token expired: current date/time is after the token's "
                                       "'exp' claim")
            lifetime = role["lifetime"] if duration is None else min(duration, role["lifetime"])
            c = self._issue("sts", rec.role_arn, lifetime)
            rec.issued_access_key = c.access_key
        role_name = rec.role_arn.rsplit("/", 1)[-1]
        rid = str(uuid.uuid4())
        x = _xml_escape
        body = (
            f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NS}">\n'
            f'  <AssumeRoleWithWebIdentityResult>\n'
            f'    <Audience>sts.amazonaws.com</Audience>\n'
            f'    <AssumedRoleUser>\n'
            f'      <AssumedRoleId>AROA{_rand(_UPPER, 17)}:{x(rec.role_session_name)}'
            f'</AssumedRoleId>\n'
            f'      <Arn>arn:aws:sts::{ACCOUNT_ID}:assumed-role/{x(role_name)}/'
            f'{x(rec.role_session_name)}</Arn>\n'
            f'    </AssumedRoleUser>\n'
            f'    <Provider>arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.fake.example</Provider>\n'
            f'    <Credentials>\n'
            f'      <AccessKeyId>{c.access_key}</AccessKeyId>\n'
            f'      <SecretAccessKey>{x(c.secret_key)}</SecretAccessKey>\n'
            f'      <SessionToken>{x(c.session_token or "")}</SessionToken>\n'
            f'      <Expiration>{iso8601(c.expiration or 0)}</Expiration>\n'
            f'    </Credentials>\n'
            f'    <SubjectFromWebIdentityToken>system:serviceaccount:default:ghpool'
            f'</SubjectFromWebIdentityToken>\n'
            f'  </AssumeRoleWithWebIdentityResult>\n'
            f'  <ResponseMetadata>\n    <RequestId>{rid}</RequestId>\n  </ResponseMetadata>\n'
            f'</AssumeRoleWithWebIdentityResponse>\n')
        return Resp(200, body, "text/xml", [("x-amzn-RequestId", rid)])

    # --- container credentials ------------------------------------------------------------

    def _container(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        with self._lock:
            src = self.containers.get(ctx.target) or self.containers.get(ctx.path)
        assert src is not None
        rec.authorization = ctx.header("Authorization")
        if ctx.method != "GET":
            return Resp(405, json.dumps({"message": "method not allowed"}), "application/json",
                        error="MethodNotAllowed")
        if src.token is not None:
            if rec.authorization is None:
                return Resp(401, json.dumps({"code": "AccessDeniedException",
                                             "message": "Authorization header is missing"}),
                            "application/json", error="AccessDeniedException")
            if rec.authorization != src.token:
                return Resp(403, json.dumps({"code": "AccessDeniedException",
                                             "message": "Authorization token is not valid"}),
                            "application/json", error="AccessDeniedException")
        with self._lock:
            c = self._source_creds(src)
            rec.issued_access_key = c.access_key
            rec.role_arn = src.role_arn
            out = {"AccessKeyId": c.access_key, "SecretAccessKey": c.secret_key,
                   "Token": c.session_token, "Expiration": iso8601(c.expiration or 0),
                   "RoleArn": src.role_arn}
            if src.kind == "pod_identity":
                out["AccountId"] = ACCOUNT_ID
        return Resp(200, json.dumps(out), "application/json")

    _h_ecs = _container
    _h_pod_identity = _container

    # --- IMDS -----------------------------------------------------------------------------

    def _imds_text(self, status: int, text: str, error: str | None = None) -> Resp:
        return Resp(status, text, "text/plain", error=error)

    def _h_imds_token(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        if ctx.method != "PUT":
            return self._imds_text(405, "Method Not Allowed", "MethodNotAllowed")
        if ctx.header("X-Forwarded-For") is not None:
            return self._imds_text(403, "Forbidden", "Forbidden")
        ttl_s = ctx.header("X-aws-ec2-metadata-token-ttl-seconds")
        rec.ttl = ttl_s
        try:
            ttl = int(ttl_s or "")
            if not 1 <= ttl <= 21600:
                raise ValueError
        except ValueError:
            return self._imds_text(400, "Bad Request", "BadRequest")
        tok = "AQAEA" + base64.b64encode(_secrets.token_bytes(38)).decode()
        with self._lock:
            self.imds_tokens[tok] = time.time() + ttl
        return Resp(200, tok, "text/plain", [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])

    def _imds_auth(self, ctx: _Ctx, rec: AWSRequest) -> Resp | None:
        tok = ctx.header("X-aws-ec2-metadata-token")
        rec.imds_token = tok
        if ctx.method not in ("GET", "HEAD"):
            return self._imds_text(405, "Method Not Allowed", "MethodNotAllowed")
        with self._lock:
            if tok is None:
                rec.imds_token_ok = False
                if self.imds_v1_allowed:
                    return None
                return self._imds_text(401, "Unauthorized", "Unauthorized")
            exp = self.imds_tokens.get(tok)
            rec.imds_token_ok = exp is not None and time.time() < exp
        if not rec.imds_token_ok:
            return self._imds_text(401, "Unauthorized", "Unauthorized")
        return None

    def _h_imds_role_list(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        err = self._imds_auth(ctx, rec)
        if err is not None:
            return err
        with self._lock:
            src = self.imds
        if src is None:
            return self._imds_text(404, "Not Found", "NotFound")
        return self._imds_text(200, src.key)

    def _h_imds_creds(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        err = self._imds_auth(ctx, rec)
        if err is not None:
            return err
        name = ctx.path[len("/latest/meta-data/iam/security-credentials/"):]
        with self._lock:
            src = self.imds
            if src is None or name.rstrip("/") != src.key:
                return self._imds_text(404, "Not Found", "NotFound")
            c = self._source_creds(src)
            rec.issued_access_key = c.access_key
            rec.role_arn = src.role_arn
            out = {"Code": "Success", "LastUpdated": iso8601(c.issued_at), "Type": "AWS-HMAC",
                   "AccessKeyId": c.access_key, "SecretAccessKey": c.secret_key,
                   "Token": c.session_token, "Expiration": iso8601(c.expiration or 0)}
        return Resp(200, json.dumps(out, indent=2), "text/plain")

    def _h_imds_other(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        err = self._imds_auth(ctx, rec)
        if err is not None:
            return err
        if ctx.path == "/latest/meta-data/placement/region":
            return self._imds_text(200, self.region)
        return self._imds_text(404, "Not Found", "NotFound")

    def _h_unknown(self, ctx: _Ctx, rec: AWSRequest) -> Resp:
        return Resp(404, json.dumps({"message": f"no fake AWS endpoint at {ctx.method} "
                                                f"{ctx.target}"}), "application/json",
                    error="NotFound")

    # --- HTTP control API -----------------------------------------------------------------

    def _control(self, method: str, target: str, body: bytes) -> Resp:
        path, _, query = target.partition("?")
        q = dict(parse_qsl(query, keep_blank_values=True))
        try:
            args = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(args, dict):
                raise ValueError("the body must be a JSON object")
            out = self._control_route(method, path[len("/_fake"):], q, args)
        except (ValueError, TypeError, KeyError) as e:
            return Resp(400, json.dumps({"error": f"{type(e).__name__}: {e}"}),
                        "application/json")
        if isinstance(out, Resp):
            return out
        return Resp(200, json.dumps(out if out is not None else {"ok": True}),
                    "application/json")

    def _control_route(self, method: str, path: str, q: dict[str, str],
                       a: dict[str, Any]) -> Any:
        m = (method, path.rstrip("/"))
        if m == ("GET", "/requests"):
            return [r.to_json() for r in self.requests(q.get("kind"))]
        if m == ("DELETE", "/requests"):
            return self.clear_requests()
        if m == ("POST", "/reset"):
            return self.reset()
        if m == ("POST", "/secrets"):
            binary = a.get("secret_binary")
            return self.put_secret(a["secret_id"], a.get("secret_string"),
                                   base64.b64decode(binary) if binary is not None else None)
        if m == ("DELETE", "/secrets"):
            return self.delete_secret(q.get("secret_id") or a["secret_id"],
                                      bool(a.get("scheduled", True)))
        if m == ("GET", "/secrets"):
            return self.secret_list()
        if m == ("POST", "/credentials"):
            return self.add_credentials(a["access_key"], a["secret_key"],
                                        a.get("session_token"), a.get("expires_in"),
                                        a.get("expiration")).to_json()
        if m == ("GET", "/credentials"):
            return self.issued(q.get("kind"))
        if m == ("POST", "/web_identity"):
            return self.add_web_identity_role(a["role_arn"], a["token"],
                                              int(a.get("lifetime", 3600)),
                                              bool(a.get("expired", False)))
        if m == ("POST", "/ecs"):
            return self.add_ecs_credentials(a["path"], a.get("role_arn", DEFAULT_ROLE_ARN),
                                            int(a.get("lifetime", 3600)), a.get("token"),
                                            a.get("refresh_before"))
        if m == ("POST", "/pod_identity"):
            return self.add_pod_identity(a.get("path", "/v1/credentials"),
                                         a.get("token", "pod-identity-token"),
                                         a.get("role_arn", DEFAULT_ROLE_ARN),
                                         int(a.get("lifetime", 3600)), a.get("refresh_before"))
        if m == ("POST", "/imds"):
            return self.set_imds_role(a.get("role"), int(a.get("lifetime", 3600)),
                                      bool(a.get("v1_allowed", False)), a.get("refresh_before"))
        if m == ("POST", "/rotate"):
            return self.rotate(a.get("kind"), a.get("old", "expire"))
        if m == ("POST", "/expire"):
            return self.expire(a["access_key"])
        if m == ("POST", "/revoke"):
            return self.revoke(a["access_key"])
        if m == ("POST", "/faults"):
            allowed = {"kind", "status", "code", "body", "hang", "drop", "count", "path",
                       "headers", "message"}
            bad = set(a) - allowed
            if bad:
                raise ValueError(f"unknown fault fields {sorted(bad)}")
            return {"id": self.add_fault(**a)}
        if m == ("GET", "/faults"):
            return self.faults()
        if m == ("DELETE", "/faults"):
            return self.clear_faults()
        return Resp(404, json.dumps({"error": f"no control endpoint {method} /_fake{path}"}),
                    "application/json")


# ---------------------------------------------------------------------------
# standalone
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None, prog: str = "python3 -m fake_cloud aws") -> int:
    """``python3 -m fake_cloud aws [--port 0] [--region R] [--credentials AK:SK[:TOKEN]]
    [--secret ID=STRING] [--web-identity ROLE_ARN=TOKEN] [--ecs PATH]
    [--pod-identity PATH=TOKEN] [--imds-role NAME] [--verbose]``"""
    from . import serve_until_signal
    ap = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--region", default=DEFAULT_REGION)
    ap.add_argument("--credentials", action="append", default=[], metavar="AK:SK[:TOKEN]")
    ap.add_argument("--secret", action="append", default=[], metavar="ID=STRING")
    ap.add_argument("--web-identity", action="append", default=[], metavar="ROLE_ARN=TOKEN")
    ap.add_argument("--ecs", action="append", default=[], metavar="PATH")
    ap.add_argument("--pod-identity", action="append", default=[], metavar="PATH=TOKEN")
    ap.add_argument("--imds-role", metavar="NAME")
    ap.add_argument("--lifetime", type=int, default=3600,
                    help="lifetime of issued temporary credentials (s)")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the fake listens on loopback only")
    fake = FakeAWS(host=args.host, port=args.port, region=args.region, verbose=args.verbose)
    for spec in args.credentials:
        parts = spec.split(":", 2)
        if len(parts) < 2 or not all(parts[:2]):
            ap.error(f"--credentials wants AK:SK[:TOKEN], got {spec!r}")
        fake.add_credentials(parts[0], parts[1], parts[2] if len(parts) > 2 else None)
    for spec in args.secret:
        sid, sep, val = spec.partition("=")
        if not sep or not sid:
            ap.error(f"--secret wants ID=STRING, got {spec!r}")
        fake.put_secret(sid, val)
    for spec in args.web_identity:
        arn, sep, tok = spec.partition("=")
        if not sep or not arn or not tok:
            ap.error(f"--web-identity wants ROLE_ARN=TOKEN, got {spec!r}")
        fake.add_web_identity_role(arn, tok, args.lifetime)
    for path in args.ecs:
        fake.add_ecs_credentials(path, lifetime=args.lifetime)
    for spec in args.pod_identity:
        path, sep, tok = spec.partition("=")
        if not sep or not path or not tok:
            ap.error(f"--pod-identity wants PATH=TOKEN, got {spec!r}")
        fake.add_pod_identity(path, tok, lifetime=args.lifetime)
    if args.imds_role:
        fake.set_imds_role(args.imds_role, args.lifetime)
    return serve_until_signal(fake.start(), prog)
