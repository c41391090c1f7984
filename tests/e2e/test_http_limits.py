"""HTTP surface: methods, request size limits."""

from __future__ import annotations

import json

import pytest

from fake_github.client import raw_exchange

# Writes, and GraphQL that is not a plain query, go to GitHub with the
# client's own token; without one they are refused here and reach nobody.
NO_TOKEN_CASES = [
    ("POST", "/repos/octo-org/hello/issues", {"title": "x"}),
    ("POST", "/repos/octo-org/hello/issues/1/comments", {"body": "hi"}),
    ("PATCH", "/repos/octo-org/hello/issues/1", {"state": "closed"}),
    ("PUT", "/repos/octo-org/hello/issues/1/lock", None),
    ("DELETE", "/repos/octo-org/hello/issues/comments/1", None),
    ("POST", "/graphql", {"query": "mutation { addStar(input: {starrableId: \"x\"}) { clientMutationId } }"}),
    ("POST", "/meta", None),
]


@pytest.mark.parametrize("method,target,payload", NO_TOKEN_CASES)
def test_writes_without_a_token_are_401(ghpool, fake, reads, method, target, payload):
    g = ghpool()
    body = json.dumps(payload) if payload is not None else None
    r = g.request(method, target, body=body,
                  headers={"Content-Type": "application/json"} if body else None)
    assert r.status == 401, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert "own token" in r.json().get("message", ""), r.body
    assert reads(fake) == [], "a write reached upstream"
    assert fake.writes == []


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
def test_other_methods_are_405(ghpool, fake, reads, method):
    g = ghpool()
    r = g.request(method, "/repos/octo-org/hello")
    assert r.status == 405, r
    assert r.header("Allow") == "GET, HEAD, POST, PATCH, PUT, DELETE", r.headers
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert r.json().get("message"), r.body
    assert reads(fake) == []


def test_ghpool_still_serves_after_405(ghpool):
    g = ghpool()
    assert g.request("OPTIONS", "/repos/octo-org/hello").status == 405
    assert g.get("/repos/octo-org/hello").status == 200


@pytest.mark.parametrize("length", [2000, 7900])
def test_long_uri_under_the_limit_is_served(ghpool, fake, reads, length):
    g = ghpool()
    prefix = "/repos/octo-org/hello/issues?x="
    target = prefix + "a" * (length - len(prefix))
    r = g.get(target)
    assert r.status == 200, r
    assert reads(fake)[0].path == target


@pytest.mark.parametrize("length", [8300, 20000])
def test_uri_over_8k_is_414(ghpool, fake, reads, length):
    g = ghpool()
    prefix = "/repos/octo-org/hello/issues?x="
    r = g.get(prefix + "a" * (length - len(prefix)))
    assert r.status == 414, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert r.json().get("message")
    assert reads(fake) == []
    assert g.get("/repos/octo-org/hello").status == 200


def test_headers_under_16k_are_served(ghpool, fake):
    g = ghpool()
    headers = {f"X-Pad-{i}": "p" * 1000 for i in range(10)}
    r = g.get("/repos/octo-org/hello", headers=headers)
    assert r.status == 200, r


@pytest.mark.parametrize("shape", ["many-headers", "one-huge-header"])
def test_headers_over_16k_are_431(ghpool, fake, reads, shape):
    g = ghpool()
    if shape == "many-headers":
        headers = {f"X-Pad-{i}": "p" * 1000 for i in range(20)}
    else:
        headers = {"X-Huge": "h" * 17000}
    r = g.get("/repos/octo-org/hello", headers=headers)
    assert r.status == 431, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert r.json().get("message")
    assert reads(fake) == []
    assert g.get("/repos/octo-org/hello").status == 200


def test_garbage_request_does_not_hurt(ghpool):
    g = ghpool()
    raw_exchange(g.url, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", timeout=3)
    raw_exchange(g.url, b"GET\r\n\r\n", timeout=3)
    raw_exchange(g.url, b"GET /repos/octo-org/hello HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                 timeout=3)
    assert g.get("/healthz").status == 200
    assert g.get("/repos/octo-org/hello").status == 200
