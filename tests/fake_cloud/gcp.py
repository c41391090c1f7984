"""A fake Google Cloud for ghpool's credential tests (stdlib only, plus the ``openssl`` CLI).

One FakeGCP = one HTTP/1.1 server on 127.0.0.1 (keep-alive, always Content-Length) in a
daemon thread. Its single base URL plays three roles, so a test points all of them at it:

* the OAuth 2.0 token endpoint (a service-account key file's ``token_uri``):
  ``POST /token`` -> ``fake.token_url``
* the metadata server (GCE, GKE Workload Identity): ``GCE_METADATA_HOST=<fake.metadata_host>``
* Secret Manager: ghpool's base-URL override (suggested ``GHPOOL_GCP_SECRETMANAGER_URL``)
  set to ``fake.url`` (no ``/v1``; ghpool appends ``/v1/projects/...``)

    from fake_cloud.gcp import FakeGCP
    gcp = FakeGCP().start()
    sa = gcp.create_service_account(tmp_path / "key.json")   # RSA keygen via openssl
    gcp.add_secret_version("ghpool-test", "gh-token", b"tok_alice")
    env = gcp.env(key_file=sa.key_file)   # GOOGLE_APPLICATION_CREDENTIALS, GCE_METADATA_HOST, ...
    ...
    gcp.stop()

What it models
--------------
Token endpoint, ``POST /token`` (form-encoded, like oauth2.googleapis.com):
  ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>``. The JWT is
  verified for real: three base64url segments (no padding), header ``alg`` RS256 (``none``,
  HS256 and anything else refused), ``kid`` naming a registered key (the fake requires it;
  Google itself tries all of the account's keys when it is absent), the RS256 signature checked
  with that key's public key by ``openssl dgst -sha256 -verify``, then the claims: ``iss`` =
  the key's ``client_email``, ``aud`` = ``fake.token_url`` (or one of ``fake.audiences``),
  ``scope`` present, ``iat`` at most 60 s in the future, ``exp`` > now, ``exp - iat`` <= 3600.
  Failures answer 400 ``{"error": "invalid_grant", "error_description": ...}`` with Google's
  texts ("Invalid JWT Signature.", "Invalid JWT: Token must be a short-lived token ...",
  "Invalid JWT: Failed audience check. ...", "Invalid grant: account not found"); a missing
  scope answers 400 ``invalid_scope`` as Google does; another grant_type ->
  ``unsupported_grant_type``; no assertion / not form-encoded -> ``invalid_request``.
  Success: ``{"access_token": "ya29.c.<random>", "expires_in": 3599, "token_type": "Bearer"}``.

Metadata server, ``GET /computeMetadata/v1/...``:
  ``instance/service-accounts/default/token`` (also ``.../<email>/token``), ``.../default/email``,
  ``project/project-id``, ``project/numeric-project-id``; ``GET /`` answers the GCE ping.
  Every answer carries ``Metadata-Flavor: Google``. A request without ``Metadata-Flavor:
  Google`` -> 403 (GCE's HTML error page: "... Missing Metadata-Flavor:Google header.");
  one carrying ``X-Forwarded-For`` -> 403 (the real server rejects those). A fresh token per
  request (the real server hands out its cached token until near expiry).

Secret Manager, ``GET /v1/projects/<p>/secrets/<s>/versions/<v>:access``:
  needs ``Authorization: Bearer <token>`` issued by this fake, unexpired, unrevoked, else 401
  ``{"error": {"code": 401, "message": ..., "status": "UNAUTHENTICATED", "details": [...]}}``
  with ``WWW-Authenticate``. ``<p>`` is a project id or number; the answer's ``name`` uses the
  project NUMBER when the project is registered (add_project; the real API always answers
  with the number) and the resolved version number (``latest`` -> ``.../versions/3``).
  ``{"name", "payload": {"data": <standard base64, padded>, "dataCrc32c": "<decimal>"}}``.
  Unknown secret -> 404 NOT_FOUND "Secret [...] not found or has no versions.", unknown
  version -> 404 "Secret Version [...] not found.", DISABLED/DESTROYED version -> 400
  FAILED_PRECONDITION "Secret Version [...] is in DISABLED state.".
  ``latest``: the real API resolves it to the most recently CREATED version whatever its
  state (so a disabled newest version makes ``latest`` fail with FAILED_PRECONDITION); that
  is ``latest_policy="newest"``, the default. ``latest_policy="newest_enabled"`` resolves it
  to the newest ENABLED version instead (not what Google does).

Failure injection (``fail``): for the next N requests of an endpoint (token / metadata /
secretmanager / any), answer a status, hang N seconds (then answer normally, or the status),
or drop the connection unanswered.

Request log: every request except ``/_fake/`` ones, as GcpRecord: ``kind`` (token_jwt,
metadata_token, metadata, secret_access, other), ``verified`` (True / False / None when the
request never got that far) and ``reason`` (why not), ``status``, ``token`` (the access
token issued by token_jwt / metadata_token, or presented to secret_access), ``email``,
``jwt_header``, ``claims``, ``secret`` (as asked) and ``resolved`` (the name answered).

Control
-------
Python methods (below) and the same over HTTP under ``/_fake/`` (never logged, never faulted)::

    GET    /_fake/requests[?kind=K]   the request log (JSON list)
    DELETE /_fake/requests            clear the log
    POST   /_fake/reset               see reset()
    GET    /_fake/config              token_lifetime, latest_policy, metadata_*, audiences
    POST   /_fake/config              {"token_lifetime": N, "latest_policy": P,
                                       "metadata_email": E, "metadata_project_id": P,
                                       "metadata_numeric_project_id": N}  (any subset)
    POST   /_fake/projects            {"project_id", "number"}
    POST   /_fake/secrets             {"project", "secret", "data" (text) | "data_b64",
                                       "enabled": true} -> {"version": N, "name": ...}
    POST   /_fake/secrets/state       {"project", "secret", "version",
                                       "state": "ENABLED" | "DISABLED" | "DESTROYED"}
    POST   /_fake/service_accounts    {"key_file"?, "email"?, "project_id"?} -> the key JSON
                                      (+ "key_file"); generates an RSA key
    DELETE /_fake/service_accounts?kid=K   delete a key (its JWTs then fail)
    GET    /_fake/tokens              issued tokens
    POST   /_fake/tokens              {"email"?, "lifetime"?} -> a token answer (no JWT needed)
    POST   /_fake/revoke              {} = every token, or {"token": T}
    POST   /_fake/expire              {} = every token, or {"token": T}
    POST   /_fake/faults              {"endpoint", "status"?, "count"?, "hang"?, "body"?,
                                       "headers"?, "drop"?} -> {"id": N}
    GET    /_fake/faults              the rules (with "fired" counters)
    DELETE /_fake/faults              remove them all

Standalone: ``python3 -m fake_cloud gcp --help`` (from tests/), see main().
"""

from __future__ import annotations

import argparse
import base64
import binascii
import http
import http.server
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from typing import Any, Iterable
from urllib.parse import parse_qs, parse_qsl, quote, unquote

# Environment variables ghpool reads (the first one is a suggestion for issue #5).
ENV_SECRETMANAGER_URL = "GHPOOL_GCP_SECRETMANAGER_URL"
ENV_METADATA_HOST = "GCE_METADATA_HOST"
ENV_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS"

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE_CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_LIFETIME = 3599
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 60
DEFAULT_PROJECT_ID = "ghpool-test"
DEFAULT_PROJECT_NUMBER = 424242424242
LATEST_POLICIES = ("newest", "newest_enabled")
VERSION_STATES = ("ENABLED", "DISABLED", "DESTROYED")
KINDS = ("token_jwt", "metadata_token", "metadata", "secret_access", "other")
# fail(endpoint=...) -> the request kinds it applies to (None = every kind)
ENDPOINTS: dict[str, frozenset[str] | None] = {
    "token": frozenset({"token_jwt"}),
    "metadata": frozenset({"metadata_token", "metadata"}),
    "secretmanager": frozenset({"secret_access"}),
    "any": None,
    "token_jwt": frozenset({"token_jwt"}),
    "metadata_token": frozenset({"metadata_token"}),
    "secret_access": frozenset({"secret_access"}),
}

JSON_TYPE = "application/json; charset=utf-8"
GOOGLE_JSON_TYPE = "application/json; charset=UTF-8"
METADATA_TEXT_TYPE = "application/text"
HTML_TYPE = "text/html; charset=UTF-8"

TIMEFRAME_MSG = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                 "reasonable timeframe. Check your iat and exp values in the JWT claim.")
AUTH_HELP = ("Expected OAuth 2 access token, login cookie or other valid authentication "
             "credential. See https://developers.google.com/identity/sign-in/web/"
             "devconsole-project.")
ACCESS_METHOD = "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion"

_TOKEN_PATH_RE = re.compile(r"^/computeMetadata/v1/instance/service-accounts/([^/]+)/token/?$")
_EMAIL_PATH_RE = re.compile(r"^/computeMetadata/v1/instance/service-accounts/([^/]+)/email/?$")
_ACCESS_RE = re.compile(r"^/v1/projects/([^/]+)/secrets/([^/]+)/versions/([^/:]+):access$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")


# ----------------------------------------------------------------------------
# CRC32C (Castagnoli), as Secret Manager's dataCrc32c
# ----------------------------------------------------------------------------

def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli, reflected 0x82F63B78); crc32c(b"123456789") == 0xE3069283."""
    crc ^= 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ----------------------------------------------------------------------------
# base64url and openssl helpers
# ----------------------------------------------------------------------------

def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(seg: str) -> bytes:
    """Strict JWS base64url: alphabet [A-Za-z0-9_-], no padding. ValueError otherwise."""
    if not _B64URL_RE.match(seg):
        raise ValueError("not base64url (bad character or padding)")
    if len(seg) % 4 == 1:
        raise ValueError("not base64url (bad length)")
    try:
        return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
    except binascii.Error as e:
        raise ValueError(f"not base64url ({e})") from None


def openssl(args: list[str], data: bytes | None = None, timeout: float = 30.0) \
        -> subprocess.CompletedProcess:
    """Run the openssl command line (Debian's openssl package)."""
    exe = shutil.which("openssl")
    if exe is None:
        raise RuntimeError("the fake GCP needs the openssl command line (apt-get install openssl)")
    return subprocess.run([exe, *args], input=data, capture_output=True, timeout=timeout)


def generate_rsa_key(bits: int = 2048) -> str:
    """A fresh RSA private key, PKCS#8 PEM (what Google's key files hold)."""
    p = openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"])
    if p.returncode != 0:
        raise RuntimeError("openssl genpkey failed: " + p.stderr.decode(errors="replace"))
    return p.stdout.decode("ascii")


def public_key_pem(private_pem: str) -> str:
    p = openssl(["pkey", "-pubout"], data=private_pem.encode())
    if p.returncode != 0:
        raise RuntimeError("openssl pkey -pubout failed: " + p.stderr.decode(errors="replace"))
    return p.stdout.decode("ascii")


def _json_bytes(obj: Any, pretty: bool) -> bytes:
    if pretty:  # Google's APIs answer 2-space indented JSON
        return (json.dumps(obj, indent=2) + "\n").encode()
    return json.dumps(obj, separators=(",", ":")).encode()


# ----------------------------------------------------------------------------
# value types
# ----------------------------------------------------------------------------

class ServiceAccount:
    """One key of a service account registered with the fake.

    email, project_id, private_key_id (the JWT ``kid``), private_key_pem, public_key_pem,
    client_id, key_file (path of the key file written, or None).
    """

    def __init__(self, email: str, project_id: str, private_key_id: str, private_key_pem: str,
                 public_key_pem: str, client_id: str):
        self.email = email
        self.project_id = project_id
        self.private_key_id = private_key_id
        self.private_key_pem = private_key_pem
        self.public_key_pem = public_key_pem
        self.client_id = client_id
        self.key_file: str | None = None

    @property
    def kid(self) -> str:
        return self.private_key_id

    def key_json(self, token_uri: str) -> dict[str, Any]:
        """The key file's content, as the IAM console/API writes it."""
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": self.email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": ("https://www.googleapis.com/robot/v1/metadata/x509/"
                                     + quote(self.email, safe="")),
            "universe_domain": "googleapis.com",
        }

    def write_key_file(self, path: str | os.PathLike, token_uri: str) -> str:
        path = os.fspath(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.key_json(token_uri), f, indent=2)
            f.write("\n")
        self.key_file = path
        return path

    def __repr__(self) -> str:
        return f"<ServiceAccount {self.email} kid={self.private_key_id[:8]}>"


class GcpRecord:
    """One request the fake received (``/_fake/`` ones excluded).

    kind       token_jwt | metadata_token | metadata | secret_access | other
    method, path (raw target as received), headers ((name, value) pairs), body (bytes)
    status     status answered; None while in progress, or when hung/dropped
    verified   token_jwt: the JWT passed every check; metadata_*: Metadata-Flavor present
               and no X-Forwarded-For; secret_access: the bearer token was valid.
               None when the request did not get that far (fault, malformed request)
    reason     why not verified / why refused (short text), else None
    token      token_jwt / metadata_token: the access token issued; secret_access: the
               bearer token presented
    email      the service account (JWT iss, or the token's account)
    grant_type, jwt_header, claims   token_jwt (decoded, even when not verified)
    secret     secret_access: "projects/<p>/secrets/<s>/versions/<v>" as asked
    resolved   secret_access: the name answered (project number, version number)
    fault      "<id>:<what>" of the failure rule that fired, or None
    """

    __slots__ = ("seq", "time", "client", "method", "path", "headers", "body", "kind",
                 "status", "verified", "reason", "token", "email", "grant_type", "jwt_header",
                 "claims", "secret", "resolved", "fault", "done")

    def __init__(self, **kw: Any):
        for name in self.__slots__:
            setattr(self, name, kw.get(name))

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for k, v in self.headers or ():
            if k.lower() == lname:
                return v
        return default

    def copy(self) -> "GcpRecord":
        return GcpRecord(**{n: getattr(self, n) for n in self.__slots__})

    def to_json(self) -> dict[str, Any]:
        out = {n: getattr(self, n) for n in self.__slots__}
        out["headers"] = [list(p) for p in self.headers or ()]
        out["body"] = (self.body or b"").decode("utf-8", "replace")
        return out

    def __repr__(self) -> str:
        return (f"<{self.kind} {self.method} {self.path} status={self.status} "
                f"verified={self.verified} reason={self.reason!r} fault={self.fault}>")


class _Failure:
    _ids = itertools.count(1)

    def __init__(self, endpoint: str, status: int | None = None, count: int | None = 1,
                 hang: float | None = None, body: Any = None,
                 headers: dict[str, str] | None = None, drop: bool = False):
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r} (one of {tuple(ENDPOINTS)})")
        self.id = next(_Failure._ids)
        self.endpoint = endpoint
        self.kinds = ENDPOINTS[endpoint]
        if status is None and hang is None and not drop:
            status = 503
        self.status = None if status is None else int(status)
        self.count = None if count is None or count < 0 else int(count)
        self.hang = None if hang is None else float(hang)
        self.body = body
        self.headers = dict(headers or {})
        self.drop = bool(drop)
        self.fired = 0

    def matches(self, kind: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        return self.kinds is None or kind in self.kinds

    def describe(self) -> str:
        what = []
        if self.hang is not None:
            what.append(f"hang {self.hang:g}s")
        if self.status is not None:
            what.append(f"status {self.status}")
        elif self.drop:
            what.append("drop")
        return f"{self.id}:" + "+".join(what)

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "id", "endpoint", "status", "count", "hang", "body", "headers", "drop", "fired")}


class _Resp:
    def __init__(self, status: int, body: bytes = b"", content_type: str | None = JSON_TYPE,
                 headers: list[tuple[str, str]] | None = None, server: str = "ESF"):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])
        self.server = server

    @classmethod
    def json(cls, status: int, obj: Any, pretty: bool = True, content_type: str = JSON_TYPE,
             **kw: Any) -> "_Resp":
        return cls(status, _json_bytes(obj, pretty), content_type, **kw)


class _Drop(Exception):
    """Close the connection without answering."""


class _Req:
    def __init__(self, method: str, raw: str, headers: list[tuple[str, str]], body: bytes,
                 client: str):
        self.method = method
        self.raw = raw
        self.raw_path, sep, q = raw.partition("?")
        self.query = q if sep else ""
        self.path = unquote(self.raw_path)
        self.headers = headers
        self.body = body
        self.client = client

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def has_header(self, name: str) -> bool:
        lname = name.lower()
        return any(k.lower() == lname for k, _ in self.headers)


class _GrantError(Exception):
    def __init__(self, error: str, description: str, reason: str):
        super().__init__(reason)
        self.error = error
        self.description = description
        self.reason = reason


def google_error(code: int, status: str, message: str, details: list | None = None) -> dict:
    """Google's JSON error shape (Secret Manager and other googleapis.com APIs)."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return {"error": err}


_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
                 500: "INTERNAL", 501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE",
                 504: "DEADLINE_EXCEEDED"}
_OAUTH_ERRORS = {400: "invalid_grant", 401: "invalid_client", 403: "access_denied",
                 429: "rate_limit_exceeded"}


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _html_error(status: int, path: str, detail: str) -> bytes:
    """Google's front-end error page (what the GCE metadata server sends on 403)."""
    return (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        f"  <title>Error {status} ({_phrase(status)})!!1</title>\n"
        f"  <p><b>{status}.</b> <ins>That\u2019s an error.</ins>\n"
        f"  <p>Your client does not have permission to get URL <code>{path}</code> from this "
        f"server. {detail} <ins>That\u2019s all we know.</ins>\n"
    ).encode()


# ----------------------------------------------------------------------------
# the HTTP plumbing
# ----------------------------------------------------------------------------

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    fake: "FakeGCP"

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, OSError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
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
    def do_PATCH(self) -> None: self._dispatch()  # noqa: E704
    def do_DELETE(self) -> None: self._dispatch()  # noqa: E704

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
        raw = words[1] if len(words) >= 2 else self.path
        body = self._read_body()
        req = _Req(self.command, raw, list(self.headers.items()), body, self.client_address[0])
        if raw.startswith("/_fake/") or raw == "/_fake":
            self._send(fake._control(req))
            return
        try:
            resp = fake._serve(req)
        except _Drop:
            self.close_connection = True
            return
        self._send(resp)

    def _send(self, resp: _Resp) -> None:
        lines = [f"HTTP/1.1 {resp.status} {_phrase(resp.status)}",
                 f"Date: {self.date_time_string()}",
                 f"Server: {resp.server}"]
        if resp.content_type:
            lines.append(f"Content-Type: {resp.content_type}")
        lines += [f"{k}: {v}" for k, v in resp.headers]
        lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += resp.body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


# ----------------------------------------------------------------------------
# the fake
# ----------------------------------------------------------------------------

class FakeGCP:
    """OAuth token endpoint + metadata server + Secret Manager on one loopback URL.

    projects: project id -> project number, registered at construction and after reset()
    (default {"ghpool-test": 424242424242}). The metadata server answers for the first one,
    as its compute default service account.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 projects: dict[str, int] | None = None,
                 token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
                 latest_policy: str = "newest"):
        if latest_policy not in LATEST_POLICIES:
            raise ValueError(f"latest_policy is one of {LATEST_POLICIES}")
        self.host = host
        self.port = port
        self.verbose = verbose
        self._initial_projects = dict(projects if projects is not None
                                      else {DEFAULT_PROJECT_ID: DEFAULT_PROJECT_NUMBER})
        self._initial_lifetime = int(token_lifetime)
        self._initial_latest = latest_policy
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._seq = itertools.count(1)
        self._stopping = False
        # Service accounts survive reset(): RSA key generation is the slow part.
        self._keys: dict[str, ServiceAccount] = {}      # kid -> account key
        self._pubkey_files: dict[str, str] = {}         # kid -> PEM file for openssl
        self._tmpdir = tempfile.mkdtemp(prefix="fake-gcp-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        self._init_state()

    def _init_state(self) -> None:
        with self._lock:
            self.projects: dict[str, int] = dict(self._initial_projects)
            self.token_lifetime = self._initial_lifetime
            self.latest_policy = self._initial_latest
            first = next(iter(self.projects.items()), (DEFAULT_PROJECT_ID, DEFAULT_PROJECT_NUMBER))
            self.metadata_project_id: str = first[0]
            self.metadata_numeric_project_id: int = first[1]
            self.metadata_email = f"{first[1]}-compute@developer.gserviceaccount.com"
            self.audiences: set[str] = set()        # accepted besides token_url
            # (project id, secret) -> [{"data": bytes, "state": str, "created": float}]
            self.secrets: dict[tuple[str, str], list[dict[str, Any]]] = {}
            # access token -> {"email", "source", "issued", "expires", "revoked", "scope"}
            self.tokens: dict[str, dict[str, Any]] = {}
            self.failures: list[_Failure] = []
            self.log: list[GcpRecord] = []
            old = getattr(self, "_wake", None)
            self._wake = threading.Event()
            if old is not None:
                old.set()  # release hung handlers

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> "FakeGCP":
        srv = _Server((self.host, self.port), _Handler)
        srv.fake = self
        self._server = srv
        self.port = srv.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-gcp-{self.port}", daemon=True)
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

    def close(self) -> None:
        """stop() and remove the fake's temporary directory (public keys)."""
        self.stop()
        self._cleanup()

    def __enter__(self) -> "FakeGCP":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def url(self) -> str:
        """Base URL: the Secret Manager endpoint override (without /v1)."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        """The token_uri written into key files, and the JWT audience expected."""
        return self.url + "/token"

    @property
    def metadata_host(self) -> str:
        """host:port, the value for GCE_METADATA_HOST."""
        return f"{self.host}:{self.port}"

    def env(self, key_file: str | os.PathLike | None = None, metadata: bool = True) \
            -> dict[str, str]:
        """Environment for a ghpool pointed at this fake (see ENV_* names)."""
        out = {ENV_SECRETMANAGER_URL: self.url}
        if metadata:
            out[ENV_METADATA_HOST] = self.metadata_host
        if key_file is not None:
            out[ENV_CREDENTIALS] = os.fspath(key_file)
        return out

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    # --- control: service accounts ---------------------------------------------------

    def create_service_account(self, key_file: str | os.PathLike | None = None,
                               email: str | None = None, project_id: str | None = None,
                               private_key_pem: str | None = None) -> ServiceAccount:
        """Register a service account key; write its key file (token_uri -> this fake).

        Generates an RSA-2048 key with ``openssl genpkey`` unless private_key_pem is given
        (reuse one key across fakes to keep tests fast). email defaults to
        ``sa-<n>@<project_id>.iam.gserviceaccount.com``.
        """
        project_id = project_id or self.metadata_project_id
        if email is None:
            email = f"sa-{secrets.token_hex(3)}@{project_id}.iam.gserviceaccount.com"
        pem = private_key_pem or generate_rsa_key()
        sa = ServiceAccount(email=email, project_id=project_id,
                            private_key_id=secrets.token_hex(20), private_key_pem=pem,
                            public_key_pem=public_key_pem(pem),
                            client_id=str(10 ** 20 + secrets.randbelow(9 * 10 ** 20)))
        self._register(sa)
        if key_file is not None:
            sa.write_key_file(key_file, self.token_url)
        return sa

    def add_key(self, email: str, private_key_pem: str | None = None,
                key_file: str | os.PathLike | None = None) -> ServiceAccount:
        """A further key (new kid) for an existing account: key rotation."""
        with self._lock:
            old = next((k for k in self._keys.values() if k.email == email), None)
        if old is None:
            raise KeyError(f"no service account {email!r}")
        return self.create_service_account(key_file, email=email, project_id=old.project_id,
                                           private_key_pem=private_key_pem)

    def delete_key(self, kid: str) -> None:
        """Forget a key: JWTs signed with it fail from now on ("Invalid JWT Signature.")."""
        with self._lock:
            self._keys.pop(kid)
            path = self._pubkey_files.pop(kid)
        try:
            os.unlink(path)
        except OSError:
            pass

    def service_accounts(self) -> list[ServiceAccount]:
        with self._lock:
            return list(self._keys.values())

    def _register(self, sa: ServiceAccount) -> None:
        path = os.path.join(self._tmpdir, sa.private_key_id + ".pub.pem")
        with open(path, "w") as f:
            f.write(sa.public_key_pem)
        with self._lock:
            self._keys[sa.private_key_id] = sa
            self._pubkey_files[sa.private_key_id] = path

    # --- control: projects and secrets --------------------------------------------

    def add_project(self, project_id: str, number: int) -> None:
        with self._lock:
            self.projects[project_id] = int(number)

    def _project_id(self, p: str) -> str:
        """A project given by id or number -> the key secrets are stored under."""
        with self._lock:
            for pid, num in self.projects.items():
                if p == str(num):
                    return pid
        return p

    def _project_label(self, p: str) -> str:
        """What the real API puts in names: the project number when known."""
        pid = self._project_id(p)
        with self._lock:
            num = self.projects.get(pid)
        return str(num) if num is not None else p

    def add_secret_version(self, project: str, secret: str, data: bytes | str,
                           enabled: bool = True) -> int:
        """Add a version (numbered 1, 2, ... per secret); returns its number."""
        if isinstance(data, str):
            data = data.encode()
        with self._lock:
            versions = self.secrets.setdefault((self._project_id(project), secret), [])
            versions.append({"data": bytes(data), "state": "ENABLED" if enabled else "DISABLED",
                             "created": time.time()})
            return len(versions)

    def set_version_state(self, project: str, secret: str, version: int | str,
                          state: str) -> None:
        state = state.upper()
        if state not in VERSION_STATES:
            raise ValueError(f"state is one of {VERSION_STATES}")
        with self._lock:
            versions = self.secrets[(self._project_id(project), secret)]
            n = int(version)
            if not 1 <= n <= len(versions):
                raise KeyError(f"no version {version} of {secret}")
            versions[n - 1]["state"] = state
            if state == "DESTROYED":
                versions[n - 1]["data"] = b""

    def disable_version(self, project: str, secret: str, version: int | str) -> None:
        self.set_version_state(project, secret, version, "DISABLED")

    def enable_version(self, project: str, secret: str, version: int | str) -> None:
        self.set_version_state(project, secret, version, "ENABLED")

    def destroy_version(self, project: str, secret: str, version: int | str) -> None:
        self.set_version_state(project, secret, version, "DESTROYED")

    def secret_name(self, project: str, secret: str, version: int | str) -> str:
        """The resource name the fake answers for that version (project number if known)."""
        return f"projects/{self._project_label(project)}/secrets/{secret}/versions/{version}"

    # --- control: tokens ------------------------------------------------------------------

    def set_token_lifetime(self, seconds: int) -> None:
        """expires_in of tokens issued from now on (also how long they work; may be <= 0)."""
        with self._lock:
            self.token_lifetime = int(seconds)

    def set_latest_policy(self, policy: str) -> None:
        if policy not in LATEST_POLICIES:
            raise ValueError(f"latest_policy is one of {LATEST_POLICIES}")
        with self._lock:
            self.latest_policy = policy

    def set_metadata(self, email: str | None = None, project_id: str | None = None,
                     numeric_project_id: int | None = None) -> None:
        with self._lock:
            if email is not None:
                self.metadata_email = email
            if project_id is not None:
                self.metadata_project_id = project_id
            if numeric_project_id is not None:
                self.metadata_numeric_project_id = int(numeric_project_id)

    def issue_token(self, email: str | None = None, lifetime: int | None = None,
                    source: str = "minted", scope: str | None = SCOPE_CLOUD_PLATFORM) -> str:
        """Mint an access token directly (no JWT): for tests of Secret Manager alone."""
        now = time.time()
        tok = "ya29.c." + secrets.token_urlsafe(48)
        with self._lock:
            life = self.token_lifetime if lifetime is None else int(lifetime)
            self.tokens[tok] = {"email": email or self.metadata_email, "source": source,
                                "issued": now, "expires": now + life, "lifetime": life,
                                "revoked": False, "scope": scope}
        return tok

    def revoke_tokens(self, token: str | None = None) -> None:
        """Revoke one token, or every token issued so far (401 from now on)."""
        with self._lock:
            for tok, info in self.tokens.items():
                if token is None or tok == token:
                    info["revoked"] = True

    def expire_tokens(self, token: str | None = None) -> None:
        """Make one token, or every token issued so far, expired now."""
        now = time.time()
        with self._lock:
            for tok, info in self.tokens.items():
                if token is None or tok == token:
                    info["expires"] = min(info["expires"], now - 1)

    def token_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(info, token=tok) for tok, info in self.tokens.items()]

    # --- control: failures, log, reset ------------------------------------------------

    def fail(self, endpoint: str, status: int | None = None, count: int | None = 1,
             hang: float | None = None, body: Any = None,
             headers: dict[str, str] | None = None, drop: bool = False) -> int:
        """Make the next ``count`` requests of an endpoint fail; returns the rule's id.

        endpoint: token | metadata | secretmanager | any (or a log kind: token_jwt,
                  metadata_token, secret_access)
        status:   answer this status (body in the endpoint's error shape unless ``body``:
                  dict -> JSON, str -> text, bytes); default 503 if nothing else is asked
        hang:     wait this many seconds first (released by reset()/stop()); then answer
                  ``status`` if given, drop if ``drop``, else answer normally (slow answer)
        drop:     close the connection without answering
        count:    requests it applies to (None or negative: all)
        """
        f = _Failure(endpoint, status=status, count=count, hang=hang, body=body,
                     headers=headers, drop=drop)
        with self._lock:
            self.failures.append(f)
        return f.id

    def clear_failures(self) -> None:
        with self._lock:
            self.failures.clear()

    def failure_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self.failures]

    def requests(self, kind: str | None = None) -> list[GcpRecord]:
        """Copy of the request log, optionally of one kind."""
        with self._lock:
            return [r.copy() for r in self.log if kind is None or r.kind == kind]

    def clear_requests(self) -> None:
        with self._lock:
            self.log.clear()

    def reset(self) -> None:
        """Log, failures, tokens, secrets, projects, token lifetime, latest policy, metadata
        settings, audiences -> construction state; hung requests are released. Service
        accounts and their keys are KEPT (key generation is slow): delete_key() forgets one."""
        self._init_state()

    # --- serving ----------------------------------------------------------------------

    @staticmethod
    def _kind_of(req: _Req) -> str:
        p = req.raw_path
        if p == "/token":
            return "token_jwt"
        if p == "/" or p.startswith("/computeMetadata"):
            return "metadata_token" if _TOKEN_PATH_RE.match(req.path) else "metadata"
        if p.startswith("/v1/"):
            return "secret_access"
        return "other"

    def _serve(self, req: _Req) -> _Resp:
        kind = self._kind_of(req)
        rec = GcpRecord(seq=next(self._seq), time=time.time(), client=req.client,
                        method=req.method, path=req.raw, headers=list(req.headers),
                        body=req.body, kind=kind, done=False)
        with self._lock:
            self.log.append(rec)
            wake = self._wake
            fired = next((f for f in self.failures if f.matches(kind)), None)
            if fired is not None:
                fired.fired += 1
                rec.fault = fired.describe()
        try:
            if fired is not None:
                if fired.hang is not None:
                    wake.wait(fired.hang)
                    if self._stopping or wake.is_set():
                        raise _Drop()
                if fired.status is not None:
                    return self._finish(rec, self._failure_resp(fired, kind, req))
                if fired.drop:
                    raise _Drop()
            if self._stopping:
                raise _Drop()
            if kind == "token_jwt":
                resp = self._token(req, rec)
            elif kind in ("metadata_token", "metadata"):
                resp = self._metadata(req, rec)
            elif kind == "secret_access":
                resp = self._secret_access(req, rec)
            else:
                resp = _Resp.json(404, google_error(404, "NOT_FOUND", "Not Found"))
            return self._finish(rec, resp)
        except _Drop:
            with self._lock:
                rec.done = True
            raise

    def _finish(self, rec: GcpRecord, resp: _Resp) -> _Resp:
        with self._lock:
            rec.status = resp.status
            rec.done = True
        if self.verbose:
            print(f"fake-gcp: {rec!r}", file=sys.stderr, flush=True)
        return resp

    def _failure_resp(self, f: _Failure, kind: str, req: _Req) -> _Resp:
        status = f.status or 503
        headers = list(f.headers.items())
        body = f.body
        if isinstance(body, (bytes, bytearray)):
            return _Resp(status, bytes(body), "application/octet-stream", headers)
        if isinstance(body, str):
            return _Resp(status, body.encode(), "text/plain; charset=utf-8", headers)
        if body is not None:
            return _Resp.json(status, body, headers=headers)
        if kind == "token_jwt":
            return _Resp.json(status, {"error": _OAUTH_ERRORS.get(status, "internal_failure"),
                                       "error_description": _phrase(status)}, headers=headers)
        if kind in ("metadata_token", "metadata"):
            headers.append(("Metadata-Flavor", "Google"))
            return _Resp(status, (_phrase(status) + "\n").encode(), METADATA_TEXT_TYPE, headers,
                         server="Metadata Server for VM")
        return _Resp.json(status, google_error(status, _STATUS_NAMES.get(status, "UNKNOWN"),
                                               _phrase(status)),
                          content_type=GOOGLE_JSON_TYPE, headers=headers)

    # --- the token endpoint -------------------------------------------------------------

    def _token(self, req: _Req, rec: GcpRecord) -> _Resp:
        hdrs = [("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate"),
                ("Pragma", "no-cache"), ("Expires", "Mon, 01 Jan 1990 00:00:00 GMT")]

        def err(status: int, error: str, description: str, reason: str) -> _Resp:
            rec.reason = reason
            return _Resp.json(status, {"error": error, "error_description": description},
                              headers=hdrs, server="scaffolding on HTTPServer2")

        if req.method != "POST":
            return err(405, "invalid_request", "Method not allowed", f"method {req.method}")
        ctype = (req.header("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return err(400, "invalid_request", "Bad Request",
                       f"content type {ctype or 'missing'!r}, not form-encoded")
        try:
            form = parse_qs(req.body.decode("utf-8"), keep_blank_values=True,
                            strict_parsing=bool(req.body))
        except (UnicodeDecodeError, ValueError):
            return err(400, "invalid_request", "Bad Request", "unparsable form body")
        dup = [k for k, v in form.items() if len(v) > 1]
        if dup:
            return err(400, "invalid_request", f"Duplicate parameter: {dup[0]}",
                       f"duplicate {dup[0]}")
        grant_type = form.get("grant_type", [""])[0]
        rec.grant_type = grant_type
        if grant_type != JWT_BEARER:
            return err(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}",
                       f"grant_type {grant_type!r}")
        assertion = form.get("assertion", [""])[0]
        if not assertion:
            return err(400, "invalid_request", "Missing required parameter: assertion",
                       "no assertion")
        try:
            sa, claims = self._verify_jwt(assertion, rec)
        except _GrantError as e:
            rec.verified = False
            return err(400, e.error, e.description, e.reason)
        rec.verified = True
        tok = self.issue_token(sa.email, source="jwt", scope=claims.get("scope"))
        rec.token = tok
        with self._lock:
            life = self.tokens[tok]["lifetime"]
        return _Resp.json(200, {"access_token": tok, "expires_in": life, "token_type": "Bearer"},
                          headers=hdrs, server="scaffolding on HTTPServer2")

    def _verify_jwt(self, assertion: str, rec: GcpRecord) -> tuple[ServiceAccount, dict]:
        def bad(reason: str, description: str = "Invalid JWT Signature.",
                error: str = "invalid_grant") -> _GrantError:
            return _GrantError(error, description, reason)

        parts = assertion.split(".")
        if len(parts) != 3:
            raise bad(f"{len(parts)} segments, not 3", "Bad Request")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError) as e:
            raise bad(f"malformed JWT: {e}", "Bad Request") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise bad("header or claims not a JSON object", "Bad Request")
        rec.jwt_header, rec.claims = header, claims
        if isinstance(claims.get("iss"), str):
            rec.email = claims["iss"]
        alg = header.get("alg")
        if alg != "RS256":
            raise bad(f"alg {alg!r} not allowed (RS256 only)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise bad("no kid in the header")
        with self._lock:
            sa = self._keys.get(kid)
            pubfile = self._pubkey_files.get(kid)
            known_emails = {k.email for k in self._keys.values()}
        if sa is None or pubfile is None:
            if claims.get("iss") not in known_emails:
                raise bad(f"unknown kid {kid!r}, unknown iss", "Invalid grant: account not found")
            raise bad(f"unknown kid {kid!r}")
        if not signature:
            raise bad("empty signature")
        if not self._rs256_ok(pubfile, (parts[0] + "." + parts[1]).encode("ascii"), signature):
            raise bad("bad signature")
        iss = claims.get("iss")
        if iss != sa.email:
            if iss not in known_emails:
                raise bad(f"iss {iss!r} is not a registered account",
                          "Invalid grant: account not found")
            raise bad(f"iss {iss!r} is not the kid's account {sa.email!r}")
        aud = claims.get("aud")
        if aud != self.token_url and aud not in self.audiences:
            raise bad(f"aud {aud!r} is not {self.token_url!r}",
                      "Invalid JWT: Failed audience check. The right audience is "
                      + self.token_url)
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope.strip():
            raise bad("no scope", "Invalid OAuth scope or ID token audience provided.",
                      "invalid_scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        for name, v in (("iat", iat), ("exp", exp)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise bad(f"{name} missing or not a number", TIMEFRAME_MSG)
        now = time.time()
        if iat > now + CLOCK_SKEW:
            raise bad(f"iat {iat} is {iat - now:.0f}s in the future", TIMEFRAME_MSG)
        if exp <= now:
            raise bad(f"expired: exp {exp} is {now - exp:.0f}s in the past", TIMEFRAME_MSG)
        if exp <= iat or exp - iat > MAX_ASSERTION_LIFETIME:
            raise bad(f"exp - iat = {exp - iat}s (must be 1..{MAX_ASSERTION_LIFETIME})",
                      TIMEFRAME_MSG)
        return sa, claims

    def _rs256_ok(self, pubfile: str, signed: bytes, signature: bytes) -> bool:
        fd, sigfile = tempfile.mkstemp(dir=self._tmpdir, suffix=".sig")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(signature)
            p = openssl(["dgst", "-sha256", "-verify", pubfile, "-signature", sigfile],
                        data=signed)
            return p.returncode == 0 and b"Verified OK" in p.stdout
        finally:
            try:
                os.unlink(sigfile)
            except OSError:
                pass

    # --- the metadata server ------------------------------------------------------------

    def _metadata(self, req: _Req, rec: GcpRecord) -> _Resp:
        hdrs = [("Metadata-Flavor", "Google")]
        server = "Metadata Server for VM"

        def text(status: int, value: str, ctype: str = METADATA_TEXT_TYPE) -> _Resp:
            return _Resp(status, value.encode(), ctype, list(hdrs), server=server)

        if req.raw_path == "/":  # the GCE ping (no header needed)
            return text(200, "computeMetadata/\n")
        if req.has_header("X-Forwarded-For"):
            rec.verified, rec.reason = False, "X-Forwarded-For present"
            return _Resp(403, _html_error(403, req.raw_path,
                                          "Request had an X-Forwarded-For header."),
                         HTML_TYPE, list(hdrs), server=server)
        if req.header("Metadata-Flavor") != "Google":
            rec.verified, rec.reason = False, "no Metadata-Flavor: Google"
            return _Resp(403, _html_error(403, req.raw_path,
                                          "Missing Metadata-Flavor:Google header."),
                         HTML_TYPE, list(hdrs), server=server)
        rec.verified = True
        if req.method not in ("GET", "HEAD"):
            rec.reason = f"method {req.method}"
            return text(405, "Method not allowed\n")
        with self._lock:
            email, pid = self.metadata_email, self.metadata_project_id
            num = self.metadata_numeric_project_id
        m = _TOKEN_PATH_RE.match(req.path)
        if m:
            if m.group(1) not in ("default", email):
                rec.reason = f"unknown service account {m.group(1)!r}"
                return text(404, "Not Found\n", "text/html; charset=UTF-8")
            scopes = dict(parse_qsl(req.query)).get("scopes")
            tok = self.issue_token(email, source="metadata",
                                   scope=scopes or SCOPE_CLOUD_PLATFORM)
            rec.token, rec.email = tok, email
            with self._lock:
                life = self.tokens[tok]["lifetime"]
            return _Resp(200, _json_bytes({"access_token": tok, "expires_in": life,
                                           "token_type": "Bearer"}, pretty=False),
                         "application/json", list(hdrs), server=server)
        m = _EMAIL_PATH_RE.match(req.path)
        if m and m.group(1) in ("default", email):
            return text(200, email)
        path = req.path.rstrip("/")
        if path == "/computeMetadata/v1/project/project-id":
            return text(200, pid)
        if path == "/computeMetadata/v1/project/numeric-project-id":
            return text(200, str(num))
        rec.reason = "unknown metadata path"
        return text(404, "Not Found\n", "text/html; charset=UTF-8")

    # --- Secret Manager -------------------------------------------------------------------

    def _secret_access(self, req: _Req, rec: GcpRecord) -> _Resp:
        def gerr(status: int, code: str, message: str, details: list | None = None,
                 headers: list[tuple[str, str]] | None = None) -> _Resp:
            return _Resp.json(status, google_error(status, code, message, details),
                              content_type=GOOGLE_JSON_TYPE,
                              headers=[("Vary", "Origin, X-Origin, Referer")] + (headers or []))

        def unauthenticated(reason: str, missing: bool, info_reason: str) -> _Resp:
            rec.verified, rec.reason = False, reason
            realm = 'Bearer realm="https://accounts.google.com/"'
            msg = ("Request is missing required authentication credential. " if missing
                   else "Request had invalid authentication credentials. ") + AUTH_HELP
            details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": info_reason, "domain": "googleapis.com",
                        "metadata": {"service": "secretmanager.googleapis.com",
                                     "method": ACCESS_METHOD}}]
            return gerr(401, "UNAUTHENTICATED", msg, details, [
                ("WWW-Authenticate", realm if missing else realm + ', error="invalid_token"')])

        m = _ACCESS_RE.match(req.path)
        if m:
            rec.secret = "projects/{}/secrets/{}/versions/{}".format(*m.groups())
        # authentication first, as Google's front end does
        auth = req.header("Authorization")
        if auth is None:
            return unauthenticated("no Authorization header", True, "CREDENTIALS_MISSING")
        scheme, _, tok = auth.strip().partition(" ")
        tok = tok.strip()
        if scheme.lower() != "bearer" or not tok:
            return unauthenticated(f"not a Bearer token ({scheme!r})", False,
                                   "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        rec.token = tok
        with self._lock:
            info = dict(self.tokens[tok]) if tok in self.tokens else None
        if info is None:
            return unauthenticated("unknown token", False, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        rec.email = info["email"]
        if info["revoked"]:
            return unauthenticated("token revoked", False, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        if info["expires"] <= time.time():
            return unauthenticated("token expired", False, "ACCESS_TOKEN_EXPIRED")
        rec.verified = True
        if m is None or req.method not in ("GET", "HEAD"):
            rec.reason = "no such method"
            return gerr(404, "NOT_FOUND", "Method not found.")
        project, secret, version = m.groups()
        pid = self._project_id(project)
        label = self._project_label(project)
        with self._lock:
            versions = list(self.secrets.get((pid, secret), ()))
            policy = self.latest_policy
        secret_name = f"projects/{label}/secrets/{secret}"
        if not versions:
            rec.reason = "unknown secret"
            return gerr(404, "NOT_FOUND", f"Secret [{secret_name}] not found or has no versions.")
        if version == "latest":
            if policy == "newest_enabled":
                enabled = [i for i, v in enumerate(versions, 1) if v["state"] == "ENABLED"]
                n = enabled[-1] if enabled else len(versions)
            else:
                n = len(versions)
        elif version.isdigit() and 1 <= int(version) <= len(versions):
            n = int(version)
        else:
            rec.reason = "unknown version"
            return gerr(404, "NOT_FOUND",
                        f"Secret Version [{secret_name}/versions/{version}] not found.")
        name = f"{secret_name}/versions/{n}"
        rec.resolved = name
        v = versions[n - 1]
        if v["state"] != "ENABLED":
            rec.reason = f"version {n} is {v['state']}"
            return gerr(400, "FAILED_PRECONDITION",
                        f"Secret Version [{name}] is in {v['state']} state.")
        data = v["data"]
        return _Resp.json(200, {"name": name, "payload": {
            "data": base64.b64encode(data).decode("ascii"),
            "dataCrc32c": str(crc32c(data))}},
            content_type=GOOGLE_JSON_TYPE, headers=[("Vary", "Origin, X-Origin, Referer")])

    # --- control over HTTP ---------------------------------------------------------------

    def _control(self, req: _Req) -> _Resp:
        path, q = req.raw_path, dict(parse_qsl(req.query, keep_blank_values=True))
        method = req.method
        try:
            payload = json.loads(req.body.decode()) if req.body.strip() else {}
        except ValueError:
            return _Resp.json(400, {"message": "control body is not JSON"})
        ok = _Resp.json(200, {"ok": True})
        try:
            if path == "/_fake/requests" and method == "GET":
                return _Resp.json(200, [r.to_json() for r in self.requests(q.get("kind"))])
            if path == "/_fake/requests" and method == "DELETE":
                self.clear_requests()
                return ok
            if path == "/_fake/reset" and method == "POST":
                self.reset()
                return ok
            if path == "/_fake/config" and method == "GET":
                return _Resp.json(200, self._config())
            if path == "/_fake/config" and method == "POST":
                if "token_lifetime" in payload:
                    self.set_token_lifetime(payload["token_lifetime"])
                if "latest_policy" in payload:
                    self.set_latest_policy(payload["latest_policy"])
                if "audiences" in payload:
                    with self._lock:
                        self.audiences = set(payload["audiences"])
                self.set_metadata(email=payload.get("metadata_email"),
                                  project_id=payload.get("metadata_project_id"),
                                  numeric_project_id=payload.get("metadata_numeric_project_id"))
                return _Resp.json(200, self._config())
            if path == "/_fake/projects" and method == "POST":
                self.add_project(payload["project_id"], payload["number"])
                return ok
            if path == "/_fake/secrets" and method == "POST":
                if "data_b64" in payload:
                    data = base64.b64decode(payload["data_b64"], validate=True)
                else:
                    data = payload["data"].encode()
                n = self.add_secret_version(payload["project"], payload["secret"], data,
                                            bool(payload.get("enabled", True)))
                return _Resp.json(200, {"version": n, "name": self.secret_name(
                    payload["project"], payload["secret"], n)})
            if path == "/_fake/secrets/state" and method == "POST":
                self.set_version_state(payload["project"], payload["secret"],
                                       payload["version"], payload["state"])
                return ok
            if path == "/_fake/service_accounts" and method == "POST":
                sa = self.create_service_account(payload.get("key_file"),
                                                 email=payload.get("email"),
                                                 project_id=payload.get("project_id"))
                return _Resp.json(200, dict(sa.key_json(self.token_url), key_file=sa.key_file))
            if path == "/_fake/service_accounts" and method == "DELETE":
                self.delete_key(q["kid"])
                return ok
            if path == "/_fake/tokens" and method == "GET":
                return _Resp.json(200, self.token_list())
            if path == "/_fake/tokens" and method == "POST":
                tok = self.issue_token(payload.get("email"), payload.get("lifetime"))
                with self._lock:
                    life = self.tokens[tok]["lifetime"]
                return _Resp.json(200, {"access_token": tok, "expires_in": life,
                                        "token_type": "Bearer"})
            if path == "/_fake/revoke" and method == "POST":
                self.revoke_tokens(payload.get("token"))
                return ok
            if path == "/_fake/expire" and method == "POST":
                self.expire_tokens(payload.get("token"))
                return ok
            if path == "/_fake/faults" and method == "POST":
                endpoint = payload.pop("endpoint")
                return _Resp.json(200, {"id": self.fail(endpoint, **payload)})
            if path == "/_fake/faults" and method == "GET":
                return _Resp.json(200, self.failure_list())
            if path == "/_fake/faults" and method == "DELETE":
                self.clear_failures()
                return ok
        except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as e:
            return _Resp.json(400, {"message": f"bad control request: {e!r}"})
        except RuntimeError as e:
            return _Resp.json(500, {"message": str(e)})
        return _Resp.json(404, {"message": "unknown control endpoint"})

    def _config(self) -> dict[str, Any]:
        with self._lock:
            return {"token_lifetime": self.token_lifetime, "latest_policy": self.latest_policy,
                    "metadata_email": self.metadata_email,
                    "metadata_project_id": self.metadata_project_id,
                    "metadata_numeric_project_id": self.metadata_numeric_project_id,
                    "audiences": sorted(self.audiences), "projects": dict(self.projects),
                    "token_url": self.token_url, "url": self.url,
                    "metadata_host": self.metadata_host}


# ----------------------------------------------------------------------------
# standalone
# ----------------------------------------------------------------------------

def main(argv: Iterable[str] | None = None) -> int:
    """``python3 -m fake_cloud gcp [options]``: serve until SIGINT/SIGTERM."""
    ap = argparse.ArgumentParser(
        prog="python3 -m fake_cloud gcp",
        description="A fake Google Cloud (OAuth token endpoint, metadata server, Secret "
                    "Manager) on one loopback URL. Control it under /_fake/ (see "
                    "tests/fake_cloud/gcp.py).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--project", action="append", default=[], metavar="ID=NUMBER",
                    help=f"register a project (default {DEFAULT_PROJECT_ID}="
                         f"{DEFAULT_PROJECT_NUMBER}); the first one is the metadata server's")
    ap.add_argument("--secret", action="append", default=[], metavar="PROJECT/SECRET=VALUE",
                    help="add a version (repeat to add more versions)")
    ap.add_argument("--service-account-key", action="append", default=[], metavar="PATH",
                    help="create a service account, write its key file there")
    ap.add_argument("--token-lifetime", type=int, default=DEFAULT_TOKEN_LIFETIME)
    ap.add_argument("--latest-policy", choices=LATEST_POLICIES, default="newest")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the fake listens on loopback only")
    projects = {}
    for spec in args.project:
        pid, sep, num = spec.partition("=")
        if not sep or not pid or not num.isdigit():
            ap.error(f"--project wants ID=NUMBER, got {spec!r}")
        projects[pid] = int(num)
    secrets_ = []
    for spec in args.secret:
        name, sep, value = spec.partition("=")
        project, slash, secret = name.partition("/")
        if not sep or not slash or not project or not secret:
            ap.error(f"--secret wants PROJECT/SECRET=VALUE, got {spec!r}")
        secrets_.append((project, secret, value))
    fake = FakeGCP(host=args.host, port=args.port, verbose=args.verbose,
                   projects=projects or None, token_lifetime=args.token_lifetime,
                   latest_policy=args.latest_policy)
    # /_fake/reset keeps the --project registrations but drops the --secret versions.
    for project, secret, value in secrets_:
        fake.add_secret_version(project, secret, value)
    fake.start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"{ap.prog} listening on {fake.url}", flush=True)
    for path in args.service_account_key:
        sa = fake.create_service_account(path)
        print(f"service account {sa.email} kid={sa.private_key_id} key file {path}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
