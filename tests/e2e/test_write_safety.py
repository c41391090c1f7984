"""What a client could do to make ghpool misbehave around writes, and what stops it.

Findings of a security review of the writes issue, each pinned here: header names
that dodge the hop-by-hop lists (request smuggling onto a connection pooled
reads share), a query string riding along a classified GraphQL body, GET on
/graphql, two Authorization headers, HEAD with a body, and reads that race a
write. In every case nothing a pooled token sends may be a write.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from fake_github.client import non_read_uses, parse_raw_response, raw_exchange

CLIENT_AUTH = "token tok_carol"
POOL_TOKENS = {"tok_alice", "tok_bob"}
REPO = "/repos/octo-org/hello"
ISSUE1 = REPO + "/issues/1"


@pytest.fixture(autouse=True)
def _pooled_tokens_only_read(fake):
    yield
    assert non_read_uses(fake.requests(), POOL_TOKENS) == []


def raw(g, head: str, body: bytes = b"") -> bytes:
    return raw_exchange(g.url, head.replace("\n", "\r\n").encode() + b"\r\n" + body, timeout=5)


# Header names evhttp accepts but HTTP does not: with a space or tab before the
# colon they would slip past the hop-by-hop lists, which compare names exactly.
BAD_HEADERS = [
    ("tab-in-name", "X-B\t: y"),
    ("space-before-colon", "Transfer-Encoding : chunked"),
    ("space-in-name", "X Y: z"),
    ("slash-in-name", "X/Y: z"),
]


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("name,line", BAD_HEADERS, ids=[b[0] for b in BAD_HEADERS])
def test_malformed_header_names_are_refused(ghpool, fake, method, name, line):
    g = ghpool(allowed_owners=["*"])
    body = b'DELETE /repos/octo-org/hello HTTP/1.1\r\nX-Ignore: ' if method == "POST" else b""
    target = REPO + "/issues" if method == "POST" else REPO
    head = (f"{method} {target} HTTP/1.1\nHost: x\nAuthorization: {CLIENT_AUTH}\n{line}\n"
            f"Content-Length: {len(body)}\nConnection: close\n")
    r = parse_raw_response(raw(g, head, body))
    assert r.status == 400, r
    assert "header" in r.json()["message"], r.body
    # A pooled read afterwards reaches GitHub as itself, and nothing else did.
    assert g.get(REPO).status == 200
    assert [(x.method, x.path_only) for x in fake.requests() if x.path_only != "/rate_limit"
            and x.path_only != "/user"] == [("GET", REPO)]


def test_control_character_in_a_header_value_is_refused(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    r = parse_raw_response(raw(g, f"GET {REPO} HTTP/1.1\nHost: x\nX-A: a\x01b\nConnection: close\n"))
    assert r.status == 400, r


def test_graphql_with_a_query_string_is_400(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    r = g.request("POST", "/graphql?query=mutation%7BdeleteX%7D&operationName=M",
                  body=json.dumps({"query": "{ viewer { login } }"}).encode(),
                  headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    assert "query string" in r.json()["message"]
    assert fake.requests("/graphql") == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_graphql_is_post_only(ghpool, fake, method):
    g = ghpool(allowed_owners=["*"], cache={"max_entries": 100})
    r = g.request(method, "/graphql", headers={"Authorization": CLIENT_AUTH})
    assert r.status == 405, r
    assert r.header("Allow") == "POST"
    assert fake.requests("/graphql") == []


def test_two_authorization_headers_are_400(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    body = b'{"title": "x"}'
    head = (f"POST {REPO}/issues HTTP/1.1\nHost: x\nAuthorization: {CLIENT_AUTH}\n"
            f"Authorization: token tok_dave\nContent-Type: application/json\n"
            f"Content-Length: {len(body)}\nConnection: close\n")
    r = parse_raw_response(raw(g, head, body))
    assert r.status == 400, r
    assert "Authorization" in r.json()["message"]
    assert fake.writes == []


def test_head_with_a_body_is_refused_and_the_connection_closed(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    smuggled = f"DELETE {REPO} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    head = f"HEAD {REPO} HTTP/1.1\nHost: x\nContent-Length: {len(smuggled)}\n"
    out = raw(g, head, smuggled)
    r = parse_raw_response(out)
    assert r.status == 400, r
    assert r.header("Connection") == "close"
    assert out.count(b"HTTP/1.1 ") == 1, out      # the body was never read as a request
    assert fake.writes == [] and fake.requests(REPO) == []


def test_a_read_racing_a_write_is_not_stored(ghpool, fake):
    """A read that was in flight when a write landed may carry pre-write data:
    it is answered, but not kept, so the next read asks GitHub again."""
    g = ghpool(allowed_owners=["*"], cache={"max_entries": 100})
    fake.add_fault("latency", path=ISSUE1, method="GET", ms=800, count=1)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("r", g.get(ISSUE1, timeout=30)))
    t.start()
    time.sleep(0.3)
    w = g.request("PATCH", ISSUE1, body=b'{"title": "Raced"}',
                  headers={"Authorization": CLIENT_AUTH, "Content-Type": "application/json"})
    assert w.status == 200, w
    t.join(30)
    assert got["r"].header("X-Ghpool-Cache") == "MISS"
    again = g.get(ISSUE1)
    assert again.header("X-Ghpool-Cache") in ("MISS", "REVALIDATED"), again.headers
    assert again.json()["title"] == "Raced"


def test_a_write_makes_the_whole_repository_revalidate(ghpool, fake):
    """A merge or a contents write moves a branch: commits, contents and the repository
    view change with it. Every entry of the repository is revalidated; what did not
    change costs a free 304."""
    g = ghpool(allowed_owners=["*"], cache={"max_entries": 100})
    others = [REPO, REPO + "/commits", REPO + "/pulls", "/repos/octo-org/world"]
    for t in others:
        assert g.get(t).header("X-Ghpool-Cache") == "MISS"
    w = g.request("PATCH", ISSUE1, body=b'{"title": "t"}',
                  headers={"Authorization": CLIENT_AUTH, "Content-Type": "application/json"})
    assert w.status == 200, w
    before = len(fake.requests())
    for t in others[:3]:
        assert g.get(t).header("X-Ghpool-Cache") in ("REVALIDATED", "MISS"), t
    assert g.get("/repos/octo-org/world").header("X-Ghpool-Cache") == "HIT"
    revalidations = [r for r in fake.requests()[before:] if r.method == "GET"]
    assert len(revalidations) == 3
    assert all(not r.counted for r in revalidations
               if r.status == 304), [(r.path, r.status, r.counted) for r in revalidations]
