"""Pooled reads: what goes upstream and what comes back must be faithful."""

from __future__ import annotations

import http.client

import pytest

from fake_github.client import request


def direct(fake, target, token, headers=None, method="GET"):
    """The same request made straight to the fake with ``token``."""
    h = dict(headers or {})
    h["Authorization"] = f"token {token}"
    return request(fake.url, method, target, headers=h)


# ---------------------------------------------------------------------------
# request side
# ---------------------------------------------------------------------------

# Pooled searches must name an allowed owner (repo:, org: or user:) in q and
# take only q and the paging parameters; other paths take any query.
RAW_TARGETS = [
    "/search/issues?q=a%20b%20repo:octo-org/hello&per_page=1&per_page=2&page=&sort=a+b",
    "/repos/octo-org/hello/issues?x=1&x=2&empty=&plus=a+b",
    "/repos/octo-org/hello/issues?per_page=5&per_page=7",
    "/repos/octo-org/hello/issues?state=open&sort=updated&direction=asc&labels=a,b",
    "/repos/octo-org/hello/issues?z=1&a=2&m=3",
    "/repos/octo-org/hello/issues?flag&empty=&&x=1",
    "/search/issues?q=repo%3Aocto-org%2Fhello+is%3Aopen+label%3A%22good+first+issue%22",
    "/repos/octo-org/hello/issues?u=%E2%9C%93&l=%c3%a9&s=%2F%3F%26%3D%23",
    "/repos/octo-org/hello/issues?q=%2B%20+%25",
    "/repos/octo-org/hello/issues?",
    "/repos/octo-org/hello/contents/docs/a%20b.md",
    "/repos/octo-org/hello/contents/docs/a%20b.md?ref=main",
    "/repos/octo-org/hello/contents/src/main.c?ref=refs%2Fheads%2Fmain",
]


@pytest.mark.parametrize("target", RAW_TARGETS)
def test_path_and_query_forwarded_byte_for_byte(ghpool, fake, reads, target):
    g = ghpool()
    r = g.get(target)
    assert r.status in (200, 404, 422), r
    seen = reads(fake)
    assert len(seen) == 1, seen
    assert seen[0].path == target


def test_forwarded_request_headers(ghpool, fake, reads):
    g = ghpool()
    sent = {
        "Accept": "application/vnd.github.v3+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "If-None-Match": 'W/"0123456789abcdef"',
        "If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT",
    }
    r = g.get("/repos/octo-org/hello/issues?per_page=2", headers=sent)
    assert r.status == 200
    (rec,) = reads(fake)
    for k, v in sent.items():
        assert rec.header(k) == v, (k, rec.headers)


@pytest.mark.parametrize("client_auth", [
    "token tok_carol", "Bearer tok_carol", "token not-a-real-token", "Basic Zm9vOmJhcg==", None])
def test_client_authorization_never_forwarded(ghpool, fake, reads, token_of, client_auth):
    g = ghpool()
    headers = {"Authorization": client_auth} if client_auth else {}
    r = g.get("/repos/octo-org/hello", headers=headers)
    assert r.status == 200, r
    (rec,) = reads(fake)
    ident = r.header("X-Ghpool-Identity")
    assert ident in ("alice", "bob")
    assert rec.token == token_of[ident]
    assert len(rec.headers.get_all("Authorization")) == 1
    if client_auth:
        assert client_auth not in rec.headers.get("Authorization")


def test_head_is_a_pooled_read(ghpool, fake, reads):
    g = ghpool()
    r = g.request("HEAD", "/repos/octo-org/hello")
    assert r.status == 200 and r.body == b""
    assert r.header("X-Ghpool-Identity") in ("alice", "bob")
    (rec,) = reads(fake)
    assert rec.method == "HEAD" and rec.path == "/repos/octo-org/hello"


# ---------------------------------------------------------------------------
# response side
# ---------------------------------------------------------------------------

CONTENT_CASES = [
    ("/repos/octo-org/hello/pulls/1", None),
    ("/repos/octo-org/hello/pulls/1", "application/vnd.github+json"),
    ("/repos/octo-org/hello/pulls/1", "application/vnd.github.diff"),
    ("/repos/octo-org/hello/pulls/2", "application/vnd.github.v3.diff"),
    ("/repos/octo-org/hello/pulls/1", "application/vnd.github.patch"),
    ("/repos/octo-org/hello/pulls/3", "application/vnd.github.v3.patch"),
    ("/repos/octo-org/hello/contents/README.md", "application/vnd.github.raw"),
    ("/repos/octo-org/hello/contents/bin/blob.bin", "application/vnd.github.raw"),
    ("/repos/octo-org/hello/contents/bin/blob.bin", None),
    ("/repos/octo-org/hello/issues?per_page=100", None),
]


@pytest.mark.parametrize("target,accept", CONTENT_CASES)
def test_body_and_content_type_verbatim(ghpool, fake, token_of, target, accept):
    g = ghpool()
    headers = {"Accept": accept} if accept else {}
    via = g.get(target, headers=headers)
    assert via.status == 200, via
    ident = via.header("X-Ghpool-Identity")
    ref = direct(fake, target, token_of[ident], headers)
    assert via.body == ref.body
    for h in ("Content-Type", "ETag", "Last-Modified", "X-GitHub-Media-Type"):
        assert via.header(h) == ref.header(h), h
    assert int(via.header("Content-Length")) == len(ref.body)
    assert via.header("Content-Encoding") is None


def test_binary_body_survives(ghpool):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/contents/bin/blob.bin",
              headers={"Accept": "application/vnd.github.raw"})
    assert r.status == 200 and r.body == bytes(range(256))


# An unscoped search is denied unless allowed_owners = ["*"]: the search without q, for
# GitHub's 422, runs under "*".
UNSCOPED_SEARCH = "/search/issues"
ERROR_CASES = [
    ("/repos/octo-org/nope", None),
    ("/repos/octo-org/hello/issues/9999", None),
    (UNSCOPED_SEARCH, None),  # 422 Validation Failed
    ("/repos/octo-org/hello/pulls/1", {"status": 500, "body": {"message": "Server Error"}}),
    ("/repos/octo-org/hello/pulls/1", {"status": 502, "body": "<html><body>Unicorn!</body></html>",
                                       "content_type": "text/html; charset=utf-8"}),
    ("/repos/octo-org/hello/pulls/1", {"status": 503, "body": {"message": "Service Unavailable"},
                                       "retry_after": 17}),
    ("/repos/octo-org/hello/pulls/1", {"status": 451, "body": {"message": "Repository access blocked",
                                       "block": {"reason": "dmca"}}}),
    ("/repos/octo-org/hello/pulls/1", {"status": 409, "body": {"message": "Git Repository is empty."}}),
]


@pytest.mark.parametrize("target,fault", ERROR_CASES)
def test_error_answers_verbatim(ghpool, fake, reads, target, fault):
    g = ghpool(allowed_owners=["*"]) if target == UNSCOPED_SEARCH else ghpool()
    if fault:
        fault = dict(fault)
        fault.setdefault("retry_after", None)
        fault_path = target.split("?")[0]
        fake.add_fault("status", path=fault_path, count=None, **fault)
    via = g.get(target)
    seen = reads(fake)
    assert seen, "nothing reached upstream"
    ref = direct(fake, target, "tok_carol")  # same fault rule applies to every token
    assert via.status == ref.status
    assert via.body == ref.body
    assert via.header("Content-Type") == ref.header("Content-Type")
    if fault and fault.get("retry_after"):
        assert via.header("Retry-After") == str(fault["retry_after"])


def test_passthrough_response_headers(ghpool, fake, reads, token_of):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/issues?per_page=10")
    assert r.status == 200
    (rec,) = reads(fake)
    assert r.header("X-GitHub-Request-Id") == rec.request_id
    assert r.header("X-GitHub-Media-Type") == "github.v3; format=json"
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.header("ETag", "").startswith('W/"')
    assert r.header("Last-Modified")
    assert r.header("Link")
    ident = r.header("X-Ghpool-Identity")
    assert ident in ("alice", "bob") and rec.token == token_of[ident]


def test_conditional_request_304_passthrough(ghpool, fake, reads):
    g = ghpool(identities=["alice"])  # ETags are per token: pin one identity
    first = g.get("/repos/octo-org/hello")
    etag = first.header("ETag")
    assert first.status == 200 and etag
    again = g.get("/repos/octo-org/hello", headers={"If-None-Match": etag})
    assert again.status == 304, again
    assert again.body == b""
    assert again.header("ETag") == etag
    assert again.header("X-Ghpool-Identity") == "alice"
    last = reads(fake)[-1]
    assert last.status == 304 and last.counted is False
    assert again.header("X-RateLimit-Remaining") == first.header("X-RateLimit-Remaining")


def test_if_modified_since_304_passthrough(ghpool, fake):
    g = ghpool(identities=["alice"])
    first = g.get("/repos/octo-org/hello/issues/5")
    again = g.get("/repos/octo-org/hello/issues/5",
                  headers={"If-Modified-Since": first.header("Last-Modified")})
    assert again.status == 304 and again.body == b""


def test_data_change_seen_through_etag(ghpool, fake):
    g = ghpool(identities=["alice"])
    first = g.get("/repos/octo-org/hello/issues/4")
    fake.set_issue_title("octo-org/hello", 4, "changed upstream")
    again = g.get("/repos/octo-org/hello/issues/4", headers={"If-None-Match": first.header("ETag")})
    assert again.status == 200 and again.json()["title"] == "changed upstream"


def test_keep_alive_client_connection(ghpool):
    g = ghpool()
    conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
    try:
        for target in ("/repos/octo-org/hello", "/repos/alice/tools", "/healthz",
                       "/repos/octo-org/hello/issues?per_page=3", "/stats"):
            conn.request("GET", target)
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, (target, body)
            assert int(r.getheader("Content-Length", len(body))) == len(body)
    finally:
        conn.close()


def test_many_sequential_reads_all_faithful(ghpool, fake, reads):
    g = ghpool()
    for n in range(1, 41):
        r = g.get(f"/repos/octo-org/hello/issues/{n}")
        assert r.status == 200 and r.json()["number"] == n
    assert len(reads(fake)) == 40

