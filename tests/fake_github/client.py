"""Tiny stdlib HTTP client helpers for tests: exact request targets, no redirects."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any, Callable
from urllib.parse import urlsplit


class Reply:
    """A complete HTTP answer: status, headers (case-insensitive), body bytes."""

    def __init__(self, status: int, reason: str, headers: http.client.HTTPMessage, body: bytes,
                 method: str, target: str):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.method = method
        self.target = target

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return (f"<Reply {self.method} {self.target[:120]} -> {self.status} "
                f"{self.body[:300]!r}>")


def split_base(base_url: str) -> tuple[str, int]:
    u = urlsplit(base_url)
    return u.hostname or "127.0.0.1", u.port or 80


def request(base_url: str, method: str, target: str, headers: dict[str, str] | None = None,
            body: bytes | str | None = None, timeout: float = 15.0,
            skip_host: bool = False) -> Reply:
    """One request on a fresh connection. ``target`` is sent on the wire verbatim."""
    host, port = split_base(base_url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        has_host = any(k.lower() == "host" for k in hdrs)
        conn.putrequest(method, target, skip_host=skip_host or has_host,
                        skip_accept_encoding=True)
        if isinstance(body, str):
            body = body.encode()
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.reason, resp.headers, data, method, target)
    finally:
        conn.close()


def raw_exchange(base_url: str, data: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes or a full response arrived."""
    host, port = split_base(base_url)
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
            buf = b"".join(chunks)
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length" and len(rest) >= int(v.strip()):
                        return buf
        return b"".join(chunks)


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
               message: str | Callable[[], str] = "condition") -> Any:
    """Poll ``pred`` until it returns something truthy; return that value or raise."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except AssertionError as e:  # allow asserting predicates
            last_exc = e
        if time.monotonic() >= deadline:
            msg = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s waiting for {msg}"
                                 + (f" (last: {last_exc})" if last_exc else ""))
        time.sleep(interval)


def parse_raw_response(data: bytes) -> Reply:
    """A Reply from raw HTTP/1.1 response bytes (one answer, Content-Length framed or cut
    at the end of the data); e.g. what raw_exchange returned."""
    import email.parser
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        raise ValueError(f"not an HTTP response: {data[:200]!r}")
    parts = lines[0].decode("latin-1").split(" ", 2)
    status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "")
    headers = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
        b"\r\n".join(lines[1:]).decode("latin-1") + "\r\n\r\n")
    length = headers.get("Content-Length")
    body = rest[:int(length)] if length is not None and length.strip().isdigit() else rest
    return Reply(status, reason, headers, body, "?", "?")


def graphql_body(query: str, variables: Any = None, operation_name: Any = None,
                 **extra: Any) -> bytes:
    """A POST /graphql JSON body; variables / operationName only when not None."""
    obj: dict[str, Any] = {"query": query}
    if variables is not None:
        obj["variables"] = variables
    if operation_name is not None:
        obj["operationName"] = operation_name
    obj.update(extra)
    return json.dumps(obj).encode()


def fake_requests(base_url: str, path: str | None = None, method: str | None = None,
                  token: str | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The fake's request log over HTTP (GET /_fake/requests), optionally filtered like
    FakeGitHub.requests (path = raw-target prefix). Each entry has method, path, token,
    counted, status, headers, body, gql_type/gql_name/gql_error (POST /graphql) and
    response_body/response_headers (methods other than GET/HEAD)."""
    r = request(base_url, "GET", "/_fake/requests", timeout=timeout)
    if r.status != 200:
        raise AssertionError(f"GET /_fake/requests: {r}")
    return [e for e in r.json()
            if (path is None or e["path"].startswith(path))
            and (method is None or e["method"] == method.upper())
            and (token is None or e["token"] == token)]


def non_read_uses(records: list[Any], tokens: Any) -> list[Any]:
    """The RequestRecords in which one of ``tokens`` did something other than read: any
    method but GET/HEAD, except a POST /graphql the fake parsed as a query whose operation
    it could choose (gql_type "query", no gql_error). A pooled token must never appear
    here: writes, mutations and anything unclassifiable go with the client's own token."""
    tokens = set(tokens)
    out = []
    for r in records:
        if r.token not in tokens or r.method in ("GET", "HEAD"):
            continue
        if (r.method == "POST" and r.path_only == "/graphql" and r.gql_type == "query"
                and r.gql_error is None):
            continue
        out.append(r)
    return out


# ---------------------------------------------------------------------------
# GitHub Apps: keys and JWTs, made with the openssl command line
# ---------------------------------------------------------------------------

def _openssl(args: list[str], data: bytes | None = None) -> bytes:
    import shutil
    import subprocess
    exe = shutil.which("openssl")
    if exe is None:
        raise RuntimeError("GitHub App keys need the openssl command line")
    p = subprocess.run([exe, *args], input=data, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: " + p.stderr.decode(errors="replace"))
    return p.stdout


def generate_app_key(bits: int = 2048, traditional: bool = False) -> tuple[str, str]:
    """A fresh RSA key pair for a GitHub App: (private PEM, public PEM).

    ``openssl genpkey`` writes PKCS#8 ("BEGIN PRIVATE KEY"); traditional=True gives the
    PKCS#1 form ("BEGIN RSA PRIVATE KEY") of the .pem files GitHub lets you download."""
    priv = _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"])
    if traditional:
        priv = _openssl(["pkey", "-traditional"], data=priv)
    pub = _openssl(["pkey", "-pubout"], data=priv)
    return priv.decode("ascii"), pub.decode("ascii")


def b64url(data: bytes | str) -> str:
    import base64
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rs256_sign(private_pem: str, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 SHA-256 signature of ``data`` (``openssl dgst -sha256 -sign``)."""
    import os
    import tempfile
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(private_pem)
        return _openssl(["dgst", "-sha256", "-sign", path], data=data)
    finally:
        os.unlink(path)


def app_jwt(private_pem: str, iss: Any, iat: float | None = None, exp: float | None = None,
            alg: str = "RS256", header: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None, signature: bytes | None = None) -> str:
    """A GitHub App JWT as GitHub documents it: {"alg": "RS256", "typ": "JWT"},
    iat = now - 60, exp = now + 540 unless given, iss = the app id (or client id), signed
    with ``private_pem`` (or carrying ``signature`` as given)."""
    now = int(time.time())
    hdr = {"alg": alg, "typ": "JWT"} if header is None else header
    claims: dict[str, Any] = {"iat": now - 60 if iat is None else iat,
                              "exp": now + 540 if exp is None else exp, "iss": iss}
    claims.update(extra or {})
    signing_input = (b64url(json.dumps(hdr, separators=(",", ":"))) + "."
                     + b64url(json.dumps(claims, separators=(",", ":"))))
    if signature is None:
        signature = rs256_sign(private_pem, signing_input.encode("ascii"))
    return signing_input + "." + b64url(signature)
