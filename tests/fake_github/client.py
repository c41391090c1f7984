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
