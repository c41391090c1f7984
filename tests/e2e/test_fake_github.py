"""Self-tests of the fake GitHub (tests/fake_github): it must behave like the real one."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fake_github.client import fake_requests, graphql_body, request, wait_until
from fake_github.server import gql_classify, token_fingerprint

TESTS_DIR = Path(__file__).resolve().parent.parent


def gh(fake, method, target, token="tok_alice", headers=None, body=None, timeout=10):
    h = dict(headers or {})
    if token is not None:
        h.setdefault("Authorization", f"token {token}")
    return request(fake.url, method, target, headers=h, body=body, timeout=timeout)


def remaining(r) -> int:
    return int(r.header("x-ratelimit-remaining"))


# ---------------------------------------------------------------------------
# auth and rate limits
# ---------------------------------------------------------------------------

def test_user_costs_one_core_point(fake):
    r1 = gh(fake, "GET", "/user")
    r2 = gh(fake, "GET", "/user")
    assert r1.status == 200
    body = r1.json()
    assert body["login"] == "alice-gh" and body["type"] == "User" and isinstance(body["id"], int)
    assert r1.header("x-ratelimit-limit") == "5000"
    assert remaining(r1) == 4999 and remaining(r2) == 4998
    assert r2.header("x-ratelimit-used") == "2"
    assert r1.header("x-ratelimit-resource") == "core"
    assert abs(int(r1.header("x-ratelimit-reset")) - (time.time() + 3600)) < 10
    assert fake.budget("tok_alice")["remaining"] == 4998


def test_every_answer_has_github_headers(fake):
    r = gh(fake, "GET", "/repos/octo-org/hello")
    for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
              "x-ratelimit-reset", "x-ratelimit-resource", "X-GitHub-Request-Id",
              "X-GitHub-Media-Type", "Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert r.header(h), h
    assert r.header("X-GitHub-Media-Type") == "github.v3; format=json"
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert int(r.header("Content-Length")) == len(r.body)


def test_request_ids_are_unique(fake):
    ids = {gh(fake, "GET", "/meta").header("X-GitHub-Request-Id") for _ in range(20)}
    assert len(ids) == 20


def test_rate_limit_endpoint_is_free_and_shaped_like_github(fake):
    gh(fake, "GET", "/user")
    a = gh(fake, "GET", "/rate_limit").json()
    b = gh(fake, "GET", "/rate_limit").json()
    assert a == b
    res = a["resources"]
    assert {"core", "search", "code_search", "graphql"} <= set(res)
    for name, lim in (("core", 5000), ("search", 30), ("code_search", 10), ("graphql", 5000)):
        assert res[name]["limit"] == lim
        assert set(res[name]) >= {"limit", "remaining", "used", "reset", "resource"}
        assert res[name]["resource"] == name
    assert res["core"]["remaining"] == 4999 and res["core"]["used"] == 1
    assert a["rate"]["remaining"] == 4999
    assert [r.counted for r in fake.requests("/rate_limit")] == [False, False]


def test_unknown_token_is_401_bad_credentials(fake):
    r = gh(fake, "GET", "/user", token="nope")
    assert r.status == 401
    assert r.json() == {"message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest", "status": "401"}
    assert fake.requests()[-1].counted is False


@pytest.mark.parametrize("scheme", ["token", "Bearer", "bearer"])
def test_auth_schemes(fake, scheme):
    r = gh(fake, "GET", "/user", token=None, headers={"Authorization": f"{scheme} tok_bob"})
    assert r.status == 200 and r.json()["login"] == "bob-gh"


def test_unauthenticated_budget_is_60_per_client(fake):
    rs = [gh(fake, "GET", "/meta", token=None) for _ in range(3)]
    assert rs[0].header("x-ratelimit-limit") == "60"
    assert [remaining(r) for r in rs] == [59, 58, 57]
    # tokens have their own budgets
    assert remaining(gh(fake, "GET", "/meta")) == 4999


def test_unauthenticated_budget_exhaustion(fake):
    for _ in range(60):
        assert gh(fake, "GET", "/meta", token=None).status == 200
    r = gh(fake, "GET", "/meta", token=None)
    assert r.status == 403 and "API rate limit exceeded" in r.json()["message"]
    assert remaining(r) == 0


@pytest.mark.parametrize("method,target,bucket", [
    ("GET", "/repos/octo-org/hello", "core"),
    ("GET", "/search/issues?q=issue", "search"),
    ("GET", "/search/repositories?q=hello", "search"),
    ("GET", "/search/code?q=main", "code_search"),
    ("POST", "/graphql", "graphql"),
    ("GET", "/graphql", "core"),
])
def test_bucket_routing(fake, method, target, bucket):
    body = json.dumps({"query": "{ viewer { login } }"}) if method == "POST" else None
    r = gh(fake, method, target, body=body)
    assert r.header("x-ratelimit-resource") == bucket
    assert fake.requests()[-1].bucket == bucket
    if r.status == 200:
        assert fake.budget("tok_alice", bucket)["used"] == 1


def test_search_limit_is_30(fake):
    r = gh(fake, "GET", "/search/repositories?q=hello")
    assert r.header("x-ratelimit-limit") == "30" and remaining(r) == 29
    assert r.json()["total_count"] == 1


def test_exhausted_bucket_gives_primary_limit_403(fake):
    reset = int(time.time()) + 1234
    fake.set_budget("tok_alice", "core", remaining=0, reset=reset)
    r = gh(fake, "GET", "/repos/octo-org/hello")
    assert r.status == 403
    body = r.json()
    assert body["message"].startswith("API rate limit exceeded for user ID ")
    assert body["documentation_url"] == \
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    assert r.header("x-ratelimit-remaining") == "0"
    assert r.header("x-ratelimit-reset") == str(reset)
    assert fake.requests()[-1].counted is False
    # other buckets and other users unaffected
    assert gh(fake, "GET", "/search/issues?q=x").status == 200
    assert gh(fake, "GET", "/repos/octo-org/hello", token="tok_bob").status == 200


def test_bucket_past_its_reset_is_refilled(fake):
    fake.set_budget("tok_alice", "core", remaining=0, reset=int(time.time()) - 1)
    r = gh(fake, "GET", "/meta")
    assert r.status == 200 and remaining(r) == 4999
    assert int(r.header("x-ratelimit-reset")) > time.time() + 3000


def test_same_login_tokens_share_one_budget(fake):
    gh(fake, "GET", "/meta", token="tok_alice")
    r = gh(fake, "GET", "/meta", token="tok_alice2")
    assert remaining(r) == 4998


def test_revoked_token_answers_401(fake):
    assert gh(fake, "GET", "/user", token="tok_carol").status == 200
    fake.revoke("tok_carol")
    assert gh(fake, "GET", "/user", token="tok_carol").status == 401
    fake.reset()
    assert gh(fake, "GET", "/user", token="tok_carol").status == 200


# ---------------------------------------------------------------------------
# conditional requests
# ---------------------------------------------------------------------------

def test_etag_304_is_free_for_authorised_token(fake):
    r1 = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=5")
    etag = r1.header("ETag")
    assert re.fullmatch(r'W/"[0-9a-f]+"', etag)
    r2 = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=5",
            headers={"If-None-Match": etag})
    assert r2.status == 304 and r2.body == b""
    assert r2.header("ETag") == etag
    assert remaining(r2) == remaining(r1)
    assert fake.requests()[-1].counted is False
    assert fake.budget("tok_alice")["used"] == 1


def test_etag_depends_on_token(fake):
    a = gh(fake, "GET", "/repos/octo-org/hello", token="tok_alice")
    b = gh(fake, "GET", "/repos/octo-org/hello", token="tok_bob")
    assert a.body == b.body and a.header("ETag") != b.header("ETag")
    r = gh(fake, "GET", "/repos/octo-org/hello", token="tok_bob",
           headers={"If-None-Match": a.header("ETag")})
    assert r.status == 200


def test_unauthenticated_304_still_counts(fake):
    a = gh(fake, "GET", "/meta", token=None)
    r = gh(fake, "GET", "/meta", token=None, headers={"If-None-Match": a.header("ETag")})
    assert r.status == 304 and remaining(r) == remaining(a) - 1


def test_if_modified_since(fake):
    a = gh(fake, "GET", "/repos/octo-org/hello/issues/3")
    lm = a.header("Last-Modified")
    r = gh(fake, "GET", "/repos/octo-org/hello/issues/3", headers={"If-Modified-Since": lm})
    assert r.status == 304 and remaining(r) == remaining(a)
    r = gh(fake, "GET", "/repos/octo-org/hello/issues/3",
           headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert r.status == 200


def test_mutating_an_issue_changes_etag_and_body(fake):
    a = gh(fake, "GET", "/repos/octo-org/hello/issues/7")
    fake.set_issue_title("octo-org/hello", 7, "A brand new title")
    b = gh(fake, "GET", "/repos/octo-org/hello/issues/7",
           headers={"If-None-Match": a.header("ETag")})
    assert b.status == 200
    assert b.json()["title"] == "A brand new title"
    assert b.header("ETag") != a.header("ETag")
    assert b.header("Last-Modified") != a.header("Last-Modified")


# ---------------------------------------------------------------------------
# data set, pagination, media types
# ---------------------------------------------------------------------------

def parse_link(value: str) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(r'<([^>]*)>;\s*rel="([^"]+)"', value)}


def test_link_header_is_absolute_and_github_shaped(fake):
    r = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=10")
    assert r.header("Link") == (
        f'<{fake.url}/repositories/1001/issues?per_page=10&page=2>; rel="next", '
        f'<{fake.url}/repositories/1001/issues?per_page=10&page=10>; rel="last"')
    r = gh(fake, "GET", "/repos/octo-org/hello/issues?state=open&per_page=10&page=5")
    links = parse_link(r.header("Link"))
    assert list(links) == ["prev", "next", "last", "first"]
    assert links["prev"] == f"{fake.url}/repositories/1001/issues?state=open&per_page=10&page=4"
    assert links["first"] == f"{fake.url}/repositories/1001/issues?state=open&per_page=10&page=1"
    r = gh(fake, "GET", "/repositories/1001/issues?per_page=10&page=10")
    assert list(parse_link(r.header("Link"))) == ["prev", "first"]
    assert len(r.json()) == 5


def test_pagination_walk_gets_all_95_issues(fake):
    target = "/repos/octo-org/hello/issues?per_page=10"
    numbers, pages = [], 0
    while target:
        r = gh(fake, "GET", target)
        assert r.status == 200
        numbers += [i["number"] for i in r.json()]
        pages += 1
        nxt = parse_link(r.header("Link") or "").get("next")
        target = nxt[len(fake.url):] if nxt else None
    assert pages == 10
    assert sorted(numbers) == list(range(1, 96))


def test_pagination_defaults_and_clamp(fake):
    assert len(gh(fake, "GET", "/repos/octo-org/hello/issues").json()) == 30
    assert len(gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=500").json()) == 95
    r = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=100")
    assert len(r.json()) == 95 and r.header("Link") is None
    assert gh(fake, "GET", "/repos/octo-org/hello/issues?page=99").json() == []


def test_repositories_by_id_same_as_by_name(fake):
    a = gh(fake, "GET", "/repos/octo-org/hello")
    b = gh(fake, "GET", "/repositories/1001")
    assert a.body == b.body and a.json()["id"] == 1001
    assert gh(fake, "GET", "/repos/OCTO-ORG/Hello").json()["id"] == 1001
    for full, rid in (("octo-org/world", 1002), ("alice/tools", 1003), ("evil-corp/secret", 1004)):
        assert gh(fake, "GET", f"/repos/{full}").json()["id"] == rid
    assert gh(fake, "GET", "/repositories/1001/issues?per_page=3").body == \
        gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=3").body


def test_renamed_repository_redirects(fake):
    r = gh(fake, "GET", "/repos/octo-org/old-name")
    assert r.status == 301
    assert r.header("Location") == f"{fake.url}/repositories/1001"
    assert r.json()["message"] == "Moved Permanently"
    assert r.json()["url"] == f"{fake.url}/repositories/1001"
    r = gh(fake, "GET", "/repos/octo-org/old-name/issues?per_page=2")
    assert r.header("Location") == f"{fake.url}/repositories/1001/issues?per_page=2"


@pytest.mark.parametrize("target", ["/nope", "/repos/octo-org/nope", "/repos/octo-org/hello/nope",
                                    "/repositories/9999", "/repos/octo-org/hello/issues/999"])
def test_unknown_is_404_and_counts(fake, target):
    r = gh(fake, "GET", target)
    assert r.status == 404
    assert r.json() == {"message": "Not Found", "documentation_url": "https://docs.github.com/rest",
                        "status": "404"}
    assert remaining(r) == 4999 and fake.requests()[-1].counted is True


def test_search_without_q_is_422(fake):
    r = gh(fake, "GET", "/search/issues")
    assert r.status == 422 and r.json()["message"] == "Validation Failed"


@pytest.mark.parametrize("accept,ctype,media,startswith", [
    (None, "application/json; charset=utf-8", "github.v3; format=json", b"{"),
    ("application/vnd.github+json", "application/json; charset=utf-8", "github.v3; format=json", b"{"),
    ("application/vnd.github.diff", "application/vnd.github.diff; charset=utf-8",
     "github.v3; param=diff", b"diff --git"),
    ("application/vnd.github.v3.diff", "application/vnd.github.diff; charset=utf-8",
     "github.v3; param=diff", b"diff --git"),
    ("application/vnd.github.patch", "application/vnd.github.patch; charset=utf-8",
     "github.v3; param=patch", b"From "),
    ("application/vnd.github.v3.patch", "application/vnd.github.patch; charset=utf-8",
     "github.v3; param=patch", b"From "),
])
def test_pull_request_media_types(fake, accept, ctype, media, startswith):
    r = gh(fake, "GET", "/repos/octo-org/hello/pulls/1",
           headers={"Accept": accept} if accept else None)
    assert r.status == 200
    assert r.header("Content-Type") == ctype
    assert r.header("X-GitHub-Media-Type") == media
    assert r.body.startswith(startswith)


def test_raw_contents_binary_and_text(fake):
    raw = {"Accept": "application/vnd.github.raw"}
    r = gh(fake, "GET", "/repos/octo-org/hello/contents/bin/blob.bin", headers=raw)
    assert r.status == 200 and r.body == bytes(range(256))
    assert r.header("Content-Type") == "application/vnd.github.raw"
    r = gh(fake, "GET", "/repos/octo-org/hello/contents/docs/a%20b.md", headers=raw)
    assert r.status == 200 and "ünïcödé".encode() in r.body
    j = gh(fake, "GET", "/repos/octo-org/hello/contents/bin/blob.bin").json()
    assert j["encoding"] == "base64" and j["size"] == 256
    listing = gh(fake, "GET", "/repos/octo-org/hello/contents/").json()
    assert {e["name"] for e in listing} == {"README.md", "bin", "docs", "src"}


def test_head_has_headers_but_no_body(fake):
    g = gh(fake, "GET", "/repos/octo-org/hello")
    h = gh(fake, "HEAD", "/repos/octo-org/hello")
    assert h.status == 200 and h.body == b""
    assert h.header("Content-Length") == str(len(g.body))
    assert fake.requests()[-1].counted is True


def test_orgs_and_users(fake):
    assert gh(fake, "GET", "/orgs/octo-org").json()["type"] == "Organization"
    assert gh(fake, "GET", "/users/alice").json()["type"] == "User"
    assert gh(fake, "GET", "/users/bob-gh").json()["login"] == "bob-gh"
    assert gh(fake, "GET", "/orgs/alice").status == 404
    assert [r["id"] for r in gh(fake, "GET", "/orgs/octo-org/repos").json()] == [1001, 1002]


def test_graphql_viewer_costs_one_graphql_point(fake):
    r = gh(fake, "POST", "/graphql", body=json.dumps({"query": "query { viewer { login } }"}),
           headers={"Content-Type": "application/json"})
    assert r.status == 200
    assert r.json() == {"data": {"viewer": {"login": "alice-gh"}}}
    assert r.header("x-ratelimit-resource") == "graphql"
    assert fake.budget("tok_alice", "graphql")["used"] == 1
    assert fake.budget("tok_alice", "core")["used"] == 0
    assert gh(fake, "POST", "/graphql", body="{nope").status == 400
    assert gh(fake, "POST", "/graphql", token=None,
              body=json.dumps({"query": "{ viewer { login } }"})).status == 401


def test_graphql_is_extensible(fake):
    fake.graphql_resolvers["repository"] = lambda f, ctx, v: {"name": v.get("name")}
    try:
        r = gh(fake, "POST", "/graphql", body=json.dumps({
            "query": "query($name: String!) { repository(owner: \"o\", name: $name) { name } }",
            "variables": {"name": "hello"}}))
        assert r.json() == {"data": {"repository": {"name": "hello"}}}
    finally:
        del fake.graphql_resolvers["repository"]


def test_writes_are_recorded_and_answered(fake):
    r = gh(fake, "POST", "/repos/octo-org/hello/issues", body=json.dumps({"title": "New!"}),
           headers={"Content-Type": "application/json"})
    assert r.status == 201 and r.json()["number"] == 96 and r.json()["title"] == "New!"
    n = r.json()["number"]
    c = gh(fake, "POST", f"/repos/octo-org/hello/issues/{n}/comments",
           body=json.dumps({"body": "hi"}))
    assert c.status == 201 and c.json()["body"] == "hi"
    p = gh(fake, "PATCH", f"/repos/octo-org/hello/issues/{n}", body=json.dumps({"state": "closed"}))
    assert p.status == 200 and p.json()["state"] == "closed"
    d = gh(fake, "DELETE", f"/repos/octo-org/hello/issues/comments/{c.json()['id']}")
    assert d.status == 204 and d.body == b""
    assert gh(fake, "POST", "/repos/octo-org/hello/issues", body="{}").status == 422
    assert gh(fake, "POST", "/repos/octo-org/hello/issues", token=None,
              body=json.dumps({"title": "x"})).status == 401
    assert [w["method"] for w in fake.writes] == ["POST", "POST", "PATCH", "DELETE", "POST"]
    rec = fake.requests("/repos/octo-org/hello/issues", method="POST")[0]
    assert json.loads(rec.body) == {"title": "New!"}
    assert fake.budget("tok_alice")["used"] == 5


# ---------------------------------------------------------------------------
# request log
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/search/issues?q=a%20b&x=1&x=2&empty=&plus=a+b",
    "/repos/octo-org/hello/issues?b=2&a=1&a=0",
    "/repos/octo-org/hello/issues?flag&x=%2F%3F%26%3D&u=%E2%9C%93&l=%c3%a9",
    "/repos/octo-org/hello/contents/docs/a%20b.md",
    "/repos/octo-org/hello/issues?",
    "//repos/octo-org/hello",
])
def test_log_records_raw_target_byte_for_byte(fake, target):
    gh(fake, "GET", target)
    assert fake.requests()[-1].path == target


def test_log_record_fields(fake):
    gh(fake, "GET", "/repos/octo-org/hello", headers={"X-GitHub-Api-Version": "2022-11-28",
                                                      "Accept": "application/vnd.github+json"})
    gh(fake, "GET", "/meta", token=None)
    gh(fake, "GET", "/meta", token="bogus")
    a, b, c = fake.requests()
    assert (a.method, a.token, a.login, a.counted, a.bucket, a.status) == \
        ("GET", "tok_alice", "alice-gh", True, "core", 200)
    assert a.header("x-github-api-version") == "2022-11-28"
    assert a.headers["ACCEPT"] == "application/vnd.github+json"
    assert (b.token, b.login, b.counted, b.status) == (None, None, True, 200)
    assert (c.token, c.login, c.counted, c.status) == ("bogus", None, False, 401)


def test_control_endpoints_over_http_are_not_logged_or_limited(fake):
    fake.set_budget("tok_alice", "core", remaining=0)
    base = fake.url
    r = request(base, "POST", "/_fake/budget",
                body=json.dumps({"token": "tok_alice", "bucket": "core", "remaining": 7,
                                 "reset": 2000000000}))
    assert r.status == 200 and r.json()["remaining"] == 7
    assert request(base, "GET", "/_fake/budget?token=tok_alice").json()["core"]["reset"] == 2000000000
    assert gh(fake, "GET", "/meta").header("x-ratelimit-remaining") == "6"
    r = request(base, "POST", "/_fake/issue",
                body=json.dumps({"repo": "octo-org/hello", "number": 2, "title": "via http"}))
    assert r.status == 200
    assert gh(fake, "GET", "/repositories/1001/issues/2").json()["title"] == "via http"
    assert request(base, "POST", "/_fake/revoke", body=json.dumps({"token": "tok_bob"})).status == 200
    assert gh(fake, "GET", "/meta", token="tok_bob").status == 401
    r = request(base, "POST", "/_fake/faults",
                body=json.dumps({"kind": "status", "status": 502, "path": "/meta"}))
    assert r.status == 200 and r.json()["id"]
    assert gh(fake, "GET", "/meta").status == 502
    log = request(base, "GET", "/_fake/requests").json()
    assert [e["path"] for e in log] == ["/meta", "/repositories/1001/issues/2", "/meta", "/meta"]
    assert log[0]["token"] == "tok_alice" and log[0]["counted"] is True
    assert log[3]["status"] == 502 and log[3]["fault"] == "status"
    assert request(base, "POST", "/_fake/reset").status == 200
    assert request(base, "GET", "/_fake/requests").json() == []
    assert gh(fake, "GET", "/meta", token="tok_bob").status == 200
    assert fake.budget("tok_alice")["remaining"] == 5000


# ---------------------------------------------------------------------------
# fault injection
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_fault_fires_count_times(fake, status):
    fake.add_fault("secondary", path="/repos/octo-org/hello", count=2, retry_after=3, status=status)
    rs = [gh(fake, "GET", "/repos/octo-org/hello") for _ in range(3)]
    assert [r.status for r in rs] == [status, status, 200]
    body = rs[0].json()
    assert body["message"].startswith("You have exceeded a secondary rate limit")
    assert body["documentation_url"].endswith("#about-secondary-rate-limits")
    assert rs[0].header("Retry-After") == "3"
    assert rs[0].header("x-ratelimit-remaining") != "0"
    assert [r.fault for r in fake.requests()] == ["secondary", "secondary", None]


def test_secondary_without_retry_after(fake):
    fake.add_fault("secondary", retry_after=None)
    r = gh(fake, "GET", "/meta")
    assert r.status == 403 and r.header("Retry-After") is None
    assert "secondary rate limit" in r.json()["message"]


def test_faults_filter_by_token_and_path(fake):
    fake.add_fault("status", status=503, token="tok_bob", count=None)
    fake.add_fault("status", status=500, path="/repos/alice/")
    assert gh(fake, "GET", "/meta", token="tok_alice").status == 200
    assert gh(fake, "GET", "/meta", token="tok_bob").status == 503
    assert gh(fake, "GET", "/meta", token="tok_bob").status == 503
    assert gh(fake, "GET", "/repos/octo-org/hello").status == 200
    r = gh(fake, "GET", "/repos/alice/tools")
    assert r.status == 500 and r.json()["message"] == "Internal Server Error"
    assert gh(fake, "GET", "/repos/alice/tools").status == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_with_custom_body(fake, status):
    fake.add_fault("status", status=status, body={"message": "boom", "n": status})
    r = gh(fake, "GET", "/meta")
    assert r.status == status and r.json() == {"message": "boom", "n": status}
    assert fake.requests()[-1].counted is False


def test_hang_fault_delays_the_answer(fake):
    fake.add_fault("hang", path="/meta", seconds=0.6)
    t0 = time.monotonic()
    r = gh(fake, "GET", "/meta")
    assert r.status == 200 and time.monotonic() - t0 >= 0.55


def test_hang_forever_is_released_by_reset(fake):
    fake.add_fault("hang", path="/meta", seconds=None)
    errors = []

    def client():
        try:
            gh(fake, "GET", "/meta", timeout=10)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    t = threading.Thread(target=client)
    t0 = time.monotonic()
    t.start()
    wait_until(lambda: fake.requests("/meta"), 5, message="hung request logged")
    assert fake.requests("/meta")[0].status is None
    fake.reset()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t0 < 5
    assert errors and isinstance(errors[0], (http.client.HTTPException, OSError))


def test_reset_fault_closes_the_connection(fake):
    fake.add_fault("reset", path="/meta")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        gh(fake, "GET", "/meta")
    rec = fake.requests()[-1]
    assert rec.fault == "reset" and rec.status is None and rec.done
    assert gh(fake, "GET", "/meta").status == 200


def test_latency_fault_applies_to_every_match(fake):
    fake.add_fault("latency", path="/meta", ms=250)
    for _ in range(2):
        t0 = time.monotonic()
        assert gh(fake, "GET", "/meta").status == 200
        assert time.monotonic() - t0 >= 0.24
    t0 = time.monotonic()
    gh(fake, "GET", "/user")
    assert time.monotonic() - t0 < 0.2


def test_bad_credentials_fault_temporary_and_permanent(fake):
    fake.add_fault("bad_credentials", token="tok_bob")
    assert gh(fake, "GET", "/user", token="tok_bob").status == 401
    assert gh(fake, "GET", "/user", token="tok_bob").status == 200
    fake.add_fault("bad_credentials", token="tok_bob", permanent=True)
    r = gh(fake, "GET", "/user", token="tok_bob")
    assert r.status == 401 and r.json()["message"] == "Bad credentials"
    assert gh(fake, "GET", "/user", token="tok_bob").status == 401


# ---------------------------------------------------------------------------
# HTTP behaviour and concurrency
# ---------------------------------------------------------------------------

def test_keep_alive_serves_many_requests_on_one_connection(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        for _ in range(5):
            conn.request("GET", "/repos/octo-org/hello", headers={"Authorization": "token tok_alice"})
            r = conn.getresponse()
            assert r.status == 200 and r.version == 11
            r.read()
        conn.request("GET", "/repos/octo-org/hello", headers={
            "Authorization": "token tok_alice", "If-None-Match": r.getheader("ETag")})
        r = conn.getresponse()
        assert r.status == 304
        r.read()
        conn.request("GET", "/meta")  # still usable after a bodiless 304
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert len({r.client for r in fake.requests()}) == 1


def test_concurrent_requests_are_accounted_exactly(fake):
    fake.set_budget("tok_alice", "core", remaining=150)
    statuses = []
    lock = threading.Lock()

    def worker():
        for _ in range(20):
            s = gh(fake, "GET", "/meta").status
            with lock:
                statuses.append(s)
    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses.count(200) == 150 and statuses.count(403) == 50
    b = fake.budget("tok_alice")
    assert b["remaining"] == 0 and b["used"] == 5000
    assert len(fake.requests()) == 200


def test_stop_closes_idle_keepalive_connections():
    from fake_github import FakeGitHub
    f = FakeGitHub({"t": "u"}).start()
    conn = http.client.HTTPConnection("127.0.0.1", f.port, timeout=5)
    conn.request("GET", "/meta")
    conn.getresponse().read()
    t0 = time.monotonic()
    f.stop()
    assert time.monotonic() - t0 < 3
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", f.port), timeout=1).close()
    conn.close()


def test_runs_as_a_module_for_benchmarks():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([sys.executable, "-m", "fake_github", "--port", str(port)],
                         cwd=str(TESTS_DIR), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        line = p.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, (line, p.stderr.read() if p.poll() else "")
        r = request(f"http://127.0.0.1:{port}", "GET", "/user",
                    headers={"Authorization": "token tok_bob"})
        assert r.json()["login"] == "bob-gh"
    finally:
        p.terminate()
        assert p.wait(10) == 0


def test_gzip_when_asked(fake):
    import gzip
    plain = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=5")
    z = gh(fake, "GET", "/repos/octo-org/hello/issues?per_page=5",
           headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.header("Content-Encoding") is None
    assert z.header("Content-Encoding") == "gzip"
    assert gzip.decompress(z.body) == plain.body
    assert z.header("ETag") == plain.header("ETag")
    assert gh(fake, "GET", "/meta", headers={"Accept-Encoding": "gzip;q=0"}).header(
        "Content-Encoding") is None


# ---------------------------------------------------------------------------
# GraphQL: operation detection, queries, mutations, the RATE_LIMITED answer
# ---------------------------------------------------------------------------

ADD_COMMENT = ('mutation AddComment { addComment(input: {subjectId: "I_1001_1", body: "hi"}) '
               '{ commentEdge { node { id body } } } }')

# (document, operationName, type, name, chosen without error)
CLASSIFY_CASES = [
    pytest.param("{ viewer { login } }", None, "query", None, True, id="shorthand"),
    pytest.param("query Q { viewer { login } }", None, "query", "Q", True, id="named-query"),
    pytest.param("query { viewer { login } }", None, "query", None, True, id="anonymous-query"),
    pytest.param("# a comment\nmutation M { updateIssue(input: {id: \"I_1001_1\"}) { issue { id } } }",
                 None, "mutation", "M", True, id="comment-then-mutation"),
    pytest.param("\ufeff ,,\n\t mutation { addComment(input: {}) { subject { id } } }", None,
                 "mutation", None, True, id="bom-commas-whitespace"),
    pytest.param("fragment F on Issue { title }\nmutation { updateIssue(input: {id: \"x\"}) "
                 "{ issue { ...F } } }", None, "mutation", None, True, id="fragment-first"),
    pytest.param("query A { viewer { login } } mutation B { addComment(input: {}) { subject "
                 "{ id } } }", "B", "mutation", "B", True, id="two-ops-pick-mutation"),
    pytest.param("query A { viewer { login } } mutation B { addComment(input: {}) { subject "
                 "{ id } } }", "A", "query", "A", True, id="two-ops-pick-query"),
    pytest.param("query A { viewer { login } } mutation B { addComment(input: {}) { subject "
                 "{ id } } }", None, "query", None, False, id="two-ops-no-name"),
    pytest.param("query A { viewer { login } } query B { viewer { login } }", None, "query", None,
                 False, id="two-queries-no-name"),
    pytest.param('mutation { addComment(input: {subjectId: "x", body: "query { viewer { login } }"})'
                 ' { subject { id } } }', None, "mutation", None, True, id="query-inside-string"),
    pytest.param('query { search(query: """mutation { x } \\""" """, first: 1) { issueCount } }',
                 None, "query", None, True, id="mutation-inside-block-string"),
    pytest.param("# mutation {\n{ viewer { login } }", None, "query", None, True,
                 id="mutation-inside-comment"),
    pytest.param("subscription { issueUpdated { id } }", None, "subscription", None, True,
                 id="subscription"),
    pytest.param("mutation { addComment(", None, "mutation", None, False, id="unparsable-mutation"),
    pytest.param("{ viewer { login }", None, "query", None, False, id="unbalanced-query"),
    pytest.param("MUTATION { viewer { login } }", None, "query", None, False,
                 id="keyword-case-matters"),
    pytest.param("query A { viewer { login } } query A { rateLimit { cost } }", "A", "query", "A",
                 False, id="duplicate-names"),
    pytest.param("query A { viewer { login } }", "Nope", "query", None, False,
                 id="name-names-nothing"),
    pytest.param("{ viewer { login } }", "X", "query", None, False, id="anonymous-with-name"),
    pytest.param("query A { viewer { login } } { rateLimit { cost } }", "A", "query", "A", False,
                 id="anonymous-among-others"),
    pytest.param("", None, "query", None, False, id="empty"),
    pytest.param("fragment F on Issue { title }", None, "query", None, False, id="fragment-only"),
]


@pytest.mark.parametrize("doc,name,type_,op_name,ok", CLASSIFY_CASES)
def test_graphql_operation_detection_is_logged(fake, doc, name, type_, op_name, ok):
    assert (gql_classify(doc, name).type, gql_classify(doc, name).name) == (type_, op_name)
    r = gh(fake, "POST", "/graphql", body=graphql_body(doc, operation_name=name))
    assert r.status == 200, r
    rec = fake.requests("/graphql")[-1]
    assert (rec.gql_type, rec.gql_name) == (type_, op_name)
    assert (rec.gql_error is None) == ok, rec.gql_error
    if not ok:
        assert "data" not in r.json() and r.json()["errors"][0]["message"], r.json()
    entry = fake_requests(fake.url, "/graphql")[-1]
    assert (entry["gql_type"], entry["gql_name"], entry["token"], entry["counted"]) == \
        (type_, op_name, "tok_alice", True)


def test_graphql_non_request_bodies_are_400_and_logged_as_such(fake):
    for body in (b"{nope", b"[]", b'{"query": 1}', b'{"query": "{ viewer { login } }", '
                 b'"variables": []}', b'{"query": "{ viewer { login } }", "operationName": 1}',
                 b'{"query": "\xff"}'):
        r = gh(fake, "POST", "/graphql", body=body)
        assert r.status == 400 and r.json()["message"] == "Problems parsing JSON", (body, r)
        rec = fake.requests("/graphql")[-1]
        assert rec.gql_type is None and rec.gql_error, rec
    assert gh(fake, "POST", "/graphql", body=graphql_body("{ viewer { login } }",
                                                           variables=None)).status == 200


def test_graphql_query_resolvers_and_selection(fake):
    q = ('query($o: String!, $n: String!) { __typename repo: repository(owner: $o, name: $n) '
         '{ nameWithOwner id issue(number: 3) { number title state } } '
         'rateLimit { remaining } viewer { ...V } } fragment V on User { login }')
    r = gh(fake, "POST", "/graphql", body=graphql_body(q, {"o": "octo-org", "n": "hello"}))
    assert r.json() == {"data": {
        "__typename": "Query",
        "repo": {"nameWithOwner": "octo-org/hello", "id": "R_1001",
                 "issue": {"number": 3, "title": "Issue 3 of hello", "state": "OPEN"}},
        "rateLimit": {"remaining": 4999}, "viewer": {"login": "alice-gh"}}}
    r = gh(fake, "POST", "/graphql", body=graphql_body(
        '{ node(id: "I_1002_2") { ... on Issue { title } } '
        'search(query: "of world", first: 2) { issueCount nodes { number } } }'))
    data = r.json()["data"]
    assert data["node"] == {"title": "Issue 2 of world"}
    assert data["search"] == {"issueCount": 12, "nodes": [{"number": 1}, {"number": 2}]}


def test_graphql_errors_unknown_field_and_partial(fake):
    r = gh(fake, "POST", "/graphql", body=graphql_body("{ viewer { login } nope }"))
    assert r.status == 200 and "data" not in r.json()
    assert r.json()["errors"][0]["message"] == "Field 'nope' doesn't exist on type 'Query'"
    r = gh(fake, "POST", "/graphql", body=graphql_body(
        '{ viewer { login } repository(owner: "octo-org", name: "nope") { id } }'))
    body = r.json()
    assert body["data"] == {"viewer": {"login": "alice-gh"}, "repository": None}
    assert body["errors"][0]["type"] == "NOT_FOUND" and body["errors"][0]["path"] == ["repository"]
    r = gh(fake, "POST", "/graphql", body=graphql_body("{ viewer { login }"))
    assert r.status == 200 and r.json()["errors"][0]["locations"], r.json()
    r = gh(fake, "POST", "/graphql", body=graphql_body("subscription { x { id } }"))
    assert r.status == 200 and "not supported" in r.json()["errors"][0]["message"]
    assert fake.writes == []


def test_graphql_mutations_change_data_and_are_recorded(fake):
    r = gh(fake, "POST", "/graphql", body=graphql_body(
        "mutation AddComment($input: AddCommentInput!) { addComment(input: $input) "
        "{ commentEdge { node { id body } } subject { id } } }",
        {"input": {"subjectId": "I_1001_4", "body": "from graphql"}}), token="tok_carol")
    node = r.json()["data"]["addComment"]["commentEdge"]["node"]
    assert node["body"] == "from graphql" and node["id"].startswith("IC_")
    rest = gh(fake, "GET", "/repos/octo-org/hello/issues/4/comments").json()
    assert [(c["body"], c["user"]["login"], c["node_id"]) for c in rest] == \
        [("from graphql", "carol-gh", node["id"])]
    assert gh(fake, "GET", "/repos/octo-org/hello/issues/4").json()["comments"] == 1

    r = gh(fake, "POST", "/graphql", token="tok_dave", body=graphql_body(
        'mutation { createIssue(input: {repositoryId: "R_1002", title: "Made", body: "b"}) '
        '{ issue { id number title } } }'))
    issue = r.json()["data"]["createIssue"]["issue"]
    assert issue["title"] == "Made" and issue["number"] == 13
    assert gh(fake, "GET", "/repos/octo-org/world/issues/13").json()["node_id"] == issue["id"]

    r = gh(fake, "POST", "/graphql", body=graphql_body(
        'mutation Rename { updateIssue(input: {id: "I_1001_1", title: "Renamed"}) '
        '{ issue { title } } }'))
    assert r.json() == {"data": {"updateIssue": {"issue": {"title": "Renamed"}}}}
    assert gh(fake, "GET", "/repos/octo-org/hello/issues/1").json()["title"] == "Renamed"

    assert [(w["method"], w["operation"], w["field"], w["login"], w["token"])
            for w in fake.writes] == [
        ("GRAPHQL", "AddComment", "addComment", "carol-gh", "tok_carol"),
        ("GRAPHQL", None, "createIssue", "dave-gh", "tok_dave"),
        ("GRAPHQL", "Rename", "updateIssue", "alice-gh", "tok_alice")]
    assert fake.writes[0]["token_fingerprint"] == token_fingerprint("tok_carol")
    assert fake.writes[0]["json"] == {"input": {"subjectId": "I_1001_4", "body": "from graphql"}}
    recs = fake.requests("/graphql")
    assert [(r.gql_type, r.gql_name, r.token) for r in recs] == [
        ("mutation", "AddComment", "tok_carol"), ("mutation", None, "tok_dave"),
        ("mutation", "Rename", "tok_alice")]
    assert fake.budget("tok_carol", "graphql")["used"] == 1


def test_graphql_mutation_failures(fake):
    r = gh(fake, "POST", "/graphql", body=graphql_body(
        'mutation { addComment(input: {subjectId: "I_1001_999", body: "x"}) { subject { id } } }'))
    body = r.json()
    assert r.status == 200 and body["data"] == {"addComment": None}
    assert body["errors"][0]["type"] == "NOT_FOUND"
    r = gh(fake, "POST", "/graphql", body=graphql_body("mutation { deleteEverything { ok } }"))
    assert "data" not in r.json()
    assert r.json()["errors"][0]["message"] == "Field 'deleteEverything' doesn't exist on type 'Mutation'"
    assert [w["field"] for w in fake.writes] == ["addComment"]  # the unknown one never ran
    r = gh(fake, "POST", "/graphql", token=None, body=graphql_body(ADD_COMMENT))
    assert r.status == 401
    r = gh(fake, "POST", "/graphql", token="tok_nope", body=graphql_body(ADD_COMMENT))
    assert r.status == 401 and r.json()["message"] == "Bad credentials"
    assert len(fake.writes) == 1


def test_graphql_rate_limited_answer(fake):
    reset = int(time.time()) + 1800
    fake.set_budget("tok_alice", "graphql", remaining=1, reset=reset)
    assert gh(fake, "POST", "/graphql", body=graphql_body("{ viewer { login } }")).status == 200
    for doc in ("{ viewer { login } }", ADD_COMMENT):
        r = gh(fake, "POST", "/graphql", body=graphql_body(doc))
        assert r.status == 200
        uid = fake.user_ids["alice-gh"]
        assert r.json() == {"data": None, "errors": [{
            "type": "RATE_LIMITED", "code": "graphql_rate_limit",
            "message": f"API rate limit already exceeded for user ID {uid}."}]}
        assert r.header("x-ratelimit-remaining") == "0"
        assert r.header("x-ratelimit-resource") == "graphql"
        assert r.header("x-ratelimit-reset") == str(reset)
        assert fake.requests()[-1].counted is False
    assert fake.writes == []
    # same login, other token: same budget; other login and REST: unaffected
    assert "RATE_LIMITED" in gh(fake, "POST", "/graphql", token="tok_alice2",
                                body=graphql_body("{ viewer { login } }")).text
    assert gh(fake, "POST", "/graphql", token="tok_bob",
              body=graphql_body("{ viewer { login } }")).json()["data"]
    assert gh(fake, "GET", "/repos/octo-org/hello").status == 200


def test_graphql_resolvers_are_restored_by_reset(fake):
    fake.graphql_resolvers.pop("viewer")
    fake.graphql_resolvers["extra"] = lambda f, ctx, v: 1
    fake.reset()
    assert "viewer" in fake.graphql_resolvers and "extra" not in fake.graphql_resolvers
    assert set(fake.graphql_mutations) >= {"addComment", "createIssue", "updateIssue"}


# ---------------------------------------------------------------------------
# REST writes: who did them; the log keeps what the fake answered
# ---------------------------------------------------------------------------

def test_writes_record_the_token(fake):
    gh(fake, "PATCH", "/repos/octo-org/hello/issues/2", token="tok_carol",
       body=json.dumps({"title": "t"}))
    gh(fake, "POST", "/repos/octo-org/hello/issues", token="tok_dave", body="{}")
    assert [(w["method"], w["login"], w["token"], w["token_fingerprint"]) for w in fake.writes] == [
        ("PATCH", "carol-gh", "tok_carol", token_fingerprint("tok_carol")),
        ("POST", "dave-gh", "tok_dave", token_fingerprint("tok_dave"))]


@pytest.mark.parametrize("method,target", [
    ("POST", "/repos/octo-org/hello/issues"),
    ("PATCH", "/repos/octo-org/hello/issues/1"),
    ("PUT", "/repos/octo-org/hello/issues/1/lock"),
    ("DELETE", "/repos/octo-org/hello/issues/comments/1"),
])
@pytest.mark.parametrize("token,message", [(None, "Requires authentication"),
                                           ("tok_nope", "Bad credentials")])
def test_writes_without_a_valid_token_are_401(fake, method, target, token, message):
    r = gh(fake, method, target, token=token, body=json.dumps({"title": "x"}))
    assert r.status == 401 and r.json()["message"] == message, r
    rec = fake.requests()[-1]
    assert (rec.token, rec.counted, rec.status) == (token, False, 401)
    assert fake.writes == []
    assert gh(fake, "GET", "/repos/octo-org/hello/issues/1").json()["title"] == "Issue 1 of hello"


def test_log_keeps_answers_to_writes_only(fake):
    w = gh(fake, "POST", "/repos/octo-org/hello/issues", token="tok_carol",
           body=json.dumps({"title": "logged"}))
    g = gh(fake, "GET", "/repos/octo-org/hello/issues/1")
    wrec, grec = fake.requests()
    assert w.status == 201 and wrec.response_body == w.body
    assert wrec.response_json()["title"] == "logged"
    assert dict(wrec.response_headers)["Location"] == w.header("Location")
    assert wrec.authorization == "token tok_carol"
    assert g.status == 200 and grec.response_body is None and grec.response_headers is None
    entry = fake_requests(fake.url, method="POST")[0]
    assert entry["response_body"] == w.text and entry["token"] == "tok_carol"


def test_user_lookups_are_counted_per_token(fake):
    for tok, login in (("tok_carol", "carol-gh"), ("tok_carol", "carol-gh"), ("tok_dave", "dave-gh")):
        r = gh(fake, "GET", "/user", token=tok)
        assert r.json()["login"] == login
    assert [r.counted for r in fake.requests("/user", token="tok_carol")] == [True, True]
    assert len(fake.requests("/user", token="tok_dave")) == 1
    assert len(fake_requests(fake.url, "/user", token="tok_carol")) == 2


# ---------------------------------------------------------------------------
# GitHub Apps: JWTs verified for real, App endpoints, installation tokens
# ---------------------------------------------------------------------------

from fake_github.client import app_jwt, generate_app_key, rs256_sign  # noqa: E402
from fake_github.server import (APP_NOT_FOUND_MSG, JWT_EXP_MSG, JWT_EXP_TOO_FAR_MSG,  # noqa: E402
                                JWT_IAT_MSG, JWT_ISS_MSG, JWT_UNDECODABLE,
                                app_key_fingerprint)

APP_ID = 12345
INSTALL = 678
GHS_RE = re.compile(r"^ghs_[A-Za-z0-9]{36}$")
ISO_Z_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def app_keys():
    """Two RSA key pairs: (private, public) in PKCS#8 and in GitHub's PKCS#1 download form."""
    return generate_app_key(), generate_app_key(traditional=True)


@pytest.fixture
def app(fake, app_keys):
    """App 12345 with installation 678 on octo-org; returns its private key."""
    (priv, pub), _ = app_keys
    fake.add_app(APP_ID, pub, installations={INSTALL: {"account": "octo-org",
                                                       "type": "Organization"}})
    return priv


def as_app(fake, method, target, jwt, body=None):
    return request(fake.url, method, target, headers={"Authorization": f"Bearer {jwt}"},
                   body=body)


def mint(fake, priv, installation=INSTALL, body=None):
    r = as_app(fake, "POST", f"/app/installations/{installation}/access_tokens",
               app_jwt(priv, APP_ID), body=body)
    assert r.status == 201, r
    return r.json()["token"]


def iso_epoch(s: str) -> int:
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def test_app_jwt_reaches_the_app_endpoints_and_mints(fake, app, app_keys):
    jwt = app_jwt(app, APP_ID)
    r = as_app(fake, "GET", "/app", jwt)
    assert r.status == 200, r
    assert {k: r.json()[k] for k in ("id", "slug", "name")} == \
        {"id": APP_ID, "slug": "ghpool-test", "name": "ghpool-test"}
    for target in ("/orgs/octo-org/installation", "/users/octo-org/installation",
                   "/repos/octo-org/hello/installation", f"/app/installations/{INSTALL}"):
        body = as_app(fake, "GET", target, jwt).json()
        assert body["id"] == INSTALL and body["app_id"] == APP_ID, (target, body)
        assert body["account"]["login"] == "octo-org"
        assert body["account"]["type"] == "Organization"
    assert [i["id"] for i in as_app(fake, "GET", "/app/installations", jwt).json()] == [INSTALL]
    before = time.time()
    r = as_app(fake, "POST", f"/app/installations/{INSTALL}/access_tokens", jwt)
    assert r.status == 201, r
    body = r.json()
    assert GHS_RE.match(body["token"]), body
    assert ISO_Z_RE.match(body["expires_at"]), body
    assert int(before) + 3600 <= iso_epoch(body["expires_at"]) <= time.time() + 3600
    assert body["repository_selection"] == "all" and body["permissions"]["metadata"] == "read"
    recs = fake.requests(auth="jwt")
    assert len(recs) == 7 and all(r.app_id == APP_ID and r.status in (200, 201) for r in recs)
    assert recs[-1].jwt_header["alg"] == "RS256" and recs[-1].jwt_claims["iss"] == APP_ID
    assert recs[-1].jwt_key == app_key_fingerprint(app_keys[0][1])
    [m] = fake.mints(INSTALL)
    assert m["token"] == body["token"] and m["login"] == "ghpool-test[bot]"
    assert m["expires_at"] == iso_epoch(body["expires_at"]) and m["app_id"] == APP_ID


def test_installation_token_reads_as_the_bot(fake, app):
    tok = mint(fake, app)
    r = gh(fake, "GET", "/repos/octo-org/hello", token=tok)
    assert r.status == 200 and r.header("X-OAuth-Scopes") is None
    assert remaining(r) == 4999
    rec = fake.requests("/repos/octo-org/hello")[-1]
    assert (rec.auth, rec.app_id, rec.installation_id, rec.login) == \
        ("installation", APP_ID, INSTALL, "ghpool-test[bot]")
    r = gh(fake, "GET", "/user", token=tok)
    assert r.status == 403 and r.json()["message"] == "Resource not accessible by integration"
    rl = gh(fake, "GET", "/rate_limit", token=tok).json()["resources"]["core"]
    assert rl["used"] == 2 and rl["limit"] == 5000
    q = gh(fake, "POST", "/graphql", token=tok, body=graphql_body("{ rateLimit { remaining } }"))
    assert q.json()["data"]["rateLimit"]["remaining"] == 4999
    assert fake.budget(installation=INSTALL, bucket="graphql")["used"] == 1
    assert fake.budget("tok_alice", "graphql")["used"] == 0


def test_each_installation_has_its_own_budget_shared_by_its_tokens(fake, app):
    fake.add_installation(APP_ID, 679, "alice", type="User")
    a1, a2, b = mint(fake, app), mint(fake, app), mint(fake, app, 679)
    assert a1 != a2
    for tok in (a1, a1, a2):
        assert gh(fake, "GET", "/repos/octo-org/hello", token=tok).status == 200
    assert gh(fake, "GET", "/repos/octo-org/hello", token=b).status == 200
    assert fake.budget(installation=INSTALL)["used"] == 3
    assert fake.budget(a2)["used"] == 3                    # a token means its installation
    assert fake.budget(installation=679)["used"] == 1
    assert fake.budget("tok_alice")["used"] == 0
    assert fake.budget(app=APP_ID)["used"] == 3            # the JWT requests: the App's own
    fake.set_budget(installation=INSTALL, remaining=0)
    r = gh(fake, "GET", "/repos/octo-org/hello", token=a1)
    assert r.status == 403 and remaining(r) == 0, r
    assert r.json()["message"].startswith(f"API rate limit exceeded for installation ID {INSTALL}.")
    assert gh(fake, "GET", "/repos/octo-org/hello", token=b).status == 200
    assert gh(fake, "GET", "/repos/octo-org/hello").status == 200   # unauthenticated: its own


def test_installation_tokens_expire(fake, app_keys):
    (priv, pub), _ = app_keys
    fake.add_app(APP_ID, pub, installations={INSTALL: {"account": "octo-org"}},
                 token_lifetime=2)
    r = as_app(fake, "POST", f"/app/installations/{INSTALL}/access_tokens", app_jwt(priv, APP_ID))
    tok, expires = r.json()["token"], iso_epoch(r.json()["expires_at"])
    assert expires - 2 <= time.time() + 1
    other = mint(fake, priv)
    fake.set_app(APP_ID, token_lifetime=3600)
    lasting = mint(fake, priv)
    wait_until(lambda: gh(fake, "GET", "/meta", token=tok).status == 401, 5,
               message="the 2 s token to expire")
    assert time.time() >= expires - 0.05
    r = gh(fake, "GET", "/meta", token=tok)
    assert r.json()["message"] == "Bad credentials" and not fake.requests()[-1].counted
    assert fake.requests()[-1].auth_error == "installation token expired"
    assert gh(fake, "GET", "/meta", token=lasting).status == 200
    assert fake.expire_app_tokens(token=lasting) == 1
    assert gh(fake, "GET", "/meta", token=lasting).status == 401
    # Minted after tok with the same 2 s life, it may outlive tok by however
    # long the mint took on a loaded machine (seen under ASan): wait for it.
    wait_until(lambda: gh(fake, "GET", "/meta", token=other).status == 401, 5,
               message="the second 2 s token to expire")


def test_app_clock_skew(fake, app):
    tok = mint(fake, app)
    assert fake.advance_app_clock(3600) == 3600
    assert gh(fake, "GET", "/meta", token=tok).status == 401          # GitHub's hour is over
    r = as_app(fake, "GET", "/app", app_jwt(app, APP_ID))
    assert r.status == 401 and r.json()["message"] == JWT_EXP_MSG, r
    assert fake.advance_app_clock(-3600 - 180) == -180                # GitHub 3 min behind
    r = as_app(fake, "GET", "/app", app_jwt(app, APP_ID))           # iat 2 min ahead of it
    assert r.status == 401 and r.json()["message"] == JWT_IAT_MSG, r
    now = int(time.time())
    skewed = app_jwt(app, APP_ID, iat=now - 200, exp=now + 300)
    assert as_app(fake, "GET", "/app", skewed).status == 200
    body = as_app(fake, "POST", f"/app/installations/{INSTALL}/access_tokens", skewed).json()
    assert abs(iso_epoch(body["expires_at"]) - (now - 180 + 3600)) <= 2


def _jwt_cases():
    now = int(time.time())

    def signed(priv, other, **kw):
        return app_jwt(priv, APP_ID, **kw)

    def unsigned(header, claims):
        from fake_github.client import b64url
        return (b64url(json.dumps(header)) + "." + b64url(json.dumps(claims)) + ".")

    def resigned(priv, header, claims):
        from fake_github.client import b64url
        si = b64url(json.dumps(header)) + "." + b64url(json.dumps(claims))
        return si + "." + b64url(rs256_sign(priv, si.encode()))

    claims = {"iat": now - 60, "exp": now + 540, "iss": APP_ID}
    return [
        ("valid", lambda p, o: signed(p, o), 200, None),
        ("iss-string", lambda p, o: app_jwt(p, str(APP_ID)), 200, None),
        ("exp-iat-600", lambda p, o: signed(p, o, iat=now - 10, exp=now + 590), 200, None),
        ("iat-59s-ahead", lambda p, o: signed(p, o, iat=now + 59, exp=now + 300), 200, None),
        ("other-key", lambda p, o: app_jwt(o, APP_ID), 401, JWT_UNDECODABLE),
        ("hs256", lambda p, o: signed(p, o, alg="HS256"), 401, JWT_UNDECODABLE),
        ("alg-none", lambda p, o: unsigned({"alg": "none", "typ": "JWT"}, claims), 401,
         JWT_UNDECODABLE),
        ("no-alg", lambda p, o: resigned(p, {"typ": "JWT"}, claims), 401, JWT_UNDECODABLE),
        ("unknown-app", lambda p, o: app_jwt(p, 999), 401, APP_NOT_FOUND_MSG),
        ("iss-missing", lambda p, o: resigned(p, {"alg": "RS256"}, {"iat": now - 60,
                                                                  "exp": now + 540}),
         401, JWT_ISS_MSG),
        ("iss-bool", lambda p, o: app_jwt(p, True), 401, JWT_ISS_MSG),
        ("iat-missing", lambda p, o: resigned(p, {"alg": "RS256"}, {"exp": now + 540,
                                                                  "iss": APP_ID}),
         401, JWT_IAT_MSG),
        ("iat-2min-ahead", lambda p, o: signed(p, o, iat=now + 120, exp=now + 500), 401,
         JWT_IAT_MSG),
        ("expired", lambda p, o: signed(p, o, iat=now - 700, exp=now - 100), 401, JWT_EXP_MSG),
        ("exp-iat-601", lambda p, o: signed(p, o, iat=now - 60, exp=now + 541), 401,
         JWT_EXP_TOO_FAR_MSG),
        ("two-segments", lambda p, o: ".".join(signed(p, o).split(".")[:2]), 401,
         JWT_UNDECODABLE),
        ("padded", lambda p, o: signed(p, o) + "==", 401, JWT_UNDECODABLE),
        ("tampered-claims", lambda p, o: (lambda s: s[0] + "." + app_jwt(
            p, APP_ID, exp=now + 539).split(".")[1] + "." + s[2])(signed(p, o).split(".")),
         401, JWT_UNDECODABLE),
    ]


@pytest.mark.parametrize("case", [c[0] for c in _jwt_cases()])
def test_jwt_checks(fake, app, app_keys, case):
    _, make, status, message = next(c for c in _jwt_cases() if c[0] == case)
    jwt = make(app, app_keys[1][0])
    r = as_app(fake, "GET", "/app", jwt)
    assert r.status == status, r
    rec = fake.requests("/app")[-1]
    assert rec.auth == "jwt" and rec.token == jwt
    if status == 200:
        assert rec.app_id == APP_ID and rec.counted and rec.auth_error is None
        return
    assert r.json()["message"] == message, r
    assert rec.app_id is None and not rec.counted and rec.auth_error, rec


def test_signature_is_checked_every_time(fake, app, app_keys):
    jwt = app_jwt(app, APP_ID)
    assert as_app(fake, "GET", "/app", jwt).status == 200
    head, claims, sig = jwt.split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    assert as_app(fake, "GET", "/app", f"{head}.{claims}.{flipped}").status == 401
    fake.add_app_key(APP_ID, app_keys[1][1])
    jwt2 = app_jwt(app_keys[1][0], APP_ID)
    assert as_app(fake, "GET", "/app", jwt2).status == 200           # rotation: both keys
    assert fake.requests("/app")[-1].jwt_key == app_key_fingerprint(app_keys[1][1])
    fake.remove_app_key(APP_ID, app_keys[0][1])
    r = as_app(fake, "GET", "/app", jwt)                               # the very same JWT
    assert r.status == 401 and r.json()["message"] == JWT_UNDECODABLE
    assert as_app(fake, "GET", "/app", jwt2).status == 200


def test_a_jwt_works_on_app_endpoints_only_and_only_a_jwt_does(fake, app):
    jwt = app_jwt(app, APP_ID)
    for method, target, body in (("GET", "/repos/octo-org/hello", None), ("GET", "/rate_limit", None),
                                 ("GET", "/user", None), ("GET", "/app/", None),
                                 ("POST", "/graphql", graphql_body("{ viewer { login } }")),
                                 ("POST", "/repos/octo-org/hello/issues", '{"title": "x"}')):
        r = as_app(fake, method, target, jwt, body=body)
        assert r.status == 401 and r.json()["message"] == JWT_UNDECODABLE, (target, r)
    assert fake.writes == [] and fake.budget(app=APP_ID)["used"] == 0
    tok = mint(fake, app)
    for token in (tok, "tok_alice", None):
        for method, target in (("GET", "/app"), ("GET", "/orgs/octo-org/installation"),
                               ("POST", f"/app/installations/{INSTALL}/access_tokens")):
            r = gh(fake, method, target, token=token)
            assert r.status == 401 and r.json()["message"] == JWT_UNDECODABLE, (token, target, r)
    # A JWT with the "token" scheme is no JWT to GitHub: an unknown token.
    r = request(fake.url, "GET", "/app", headers={"Authorization": f"token {jwt}"})
    assert r.status == 401 and r.json()["message"] == "Bad credentials"
    assert fake.requests()[-1].auth == "unknown"
    assert len(fake.mints()) == 1


def test_installation_lookups_and_mint_refusals(fake, app, app_keys):
    fake.add_installation(APP_ID, 679, "alice", type="User")
    fake.add_app(777, app_keys[1][1], slug="other-app",
                 installations={900: {"account": "evil-corp"}})
    jwt = app_jwt(app, APP_ID)
    assert as_app(fake, "GET", "/orgs/alice/installation", jwt).status == 404   # a user
    assert as_app(fake, "GET", "/users/alice/installation", jwt).json()["id"] == 679
    assert as_app(fake, "GET", "/repos/alice/tools/installation", jwt).json()["id"] == 679
    assert as_app(fake, "GET", "/orgs/evil-corp/installation", jwt).status == 404  # other App's
    assert as_app(fake, "GET", "/repos/octo-org/nope/installation", jwt).status == 404
    assert as_app(fake, "GET", "/users/nobody-at-all/installation", jwt).status == 404
    assert sorted(i["id"] for i in as_app(fake, "GET", "/app/installations", jwt).json()) == \
        [INSTALL, 679]
    for iid in (900, 1, 99999):
        r = as_app(fake, "POST", f"/app/installations/{iid}/access_tokens", jwt)
        assert r.status == 404 and r.json()["message"] == "Not Found", r
    other = as_app(fake, "POST", "/app/installations/900/access_tokens",
                   app_jwt(app_keys[1][0], 777))
    assert other.status == 201
    gh(fake, "GET", "/meta", token=other.json()["token"])
    assert fake.requests("/meta")[-1].login == "other-app[bot]"
    fake.suspend_installation(679)
    r = as_app(fake, "POST", "/app/installations/679/access_tokens", jwt)
    assert r.status == 403 and r.json()["message"] == "This installation has been suspended"
    assert [m["installation_id"] for m in fake.mints()] == [900]


def test_mint_body_permissions_and_repositories(fake, app):
    jwt = app_jwt(app, APP_ID)
    target = f"/app/installations/{INSTALL}/access_tokens"
    r = as_app(fake, "POST", target, jwt, body=json.dumps({"permissions": {"issues": "read"}}))
    assert r.status == 201 and r.json()["permissions"] == {"issues": "read"}
    r = as_app(fake, "POST", target, jwt, body=json.dumps({"permissions": {"issues": "write"}}))
    assert r.status == 422, r
    r = as_app(fake, "POST", target, jwt, body=json.dumps({"repositories": ["hello"]}))
    assert r.status == 201 and r.json()["repository_selection"] == "selected"
    assert [x["full_name"] for x in r.json()["repositories"]] == ["octo-org/hello"]
    r = as_app(fake, "POST", target, jwt, body=json.dumps({"repositories": ["tools"]}))
    assert r.status == 422, r
    assert as_app(fake, "POST", target, jwt, body="{nope").status == 400


def test_mint_faults_and_the_log(fake, app):
    target = f"/app/installations/{INSTALL}/access_tokens"
    fake.add_fault("status", path=target, method="POST", status=502)
    r = as_app(fake, "POST", target, app_jwt(app, APP_ID))
    assert r.status == 502
    assert mint(fake, app)
    attempts = fake.requests(target)
    assert [(a.status, a.fault, a.auth, a.app_id) for a in attempts] == \
        [(502, "status", "jwt", APP_ID), (201, None, "jwt", APP_ID)]
    assert len(fake.mints(INSTALL)) == 1


def test_uninstall_and_suspension_end_the_tokens(fake, app):
    tok = mint(fake, app)
    fake.suspend_installation(INSTALL)
    assert gh(fake, "GET", "/meta", token=tok).status == 401
    fake.suspend_installation(INSTALL, False)
    assert gh(fake, "GET", "/meta", token=tok).status == 200
    fake.remove_installation(INSTALL)
    assert gh(fake, "GET", "/meta", token=tok).status == 401
    r = as_app(fake, "POST", f"/app/installations/{INSTALL}/access_tokens", app_jwt(app, APP_ID))
    assert r.status == 404


def test_apps_over_http_control(fake, app_keys):
    (priv, pub), _ = app_keys
    r = request(fake.url, "POST", "/_fake/apps", body=json.dumps({
        "app_id": APP_ID, "public_key_pem": pub, "slug": "via-http", "token_lifetime": 600,
        "installations": {str(INSTALL): {"account": "octo-org", "type": "Organization"}}}))
    assert r.status == 200 and r.json()["slug"] == "via-http", r
    [listed] = request(fake.url, "GET", "/_fake/apps").json()
    assert listed["id"] == APP_ID and listed["token_lifetime"] == 600
    assert listed["keys"] == [app_key_fingerprint(pub)]
    assert [i["id"] for i in listed["installations"]] == [INSTALL]
    tok = mint(fake, priv)
    gh(fake, "GET", "/meta", token=tok)
    minted = request(fake.url, "GET", f"/_fake/app_tokens?installation_id={INSTALL}").json()
    assert [m["token"] for m in minted] == [tok] and minted[0]["login"] == "via-http[bot]"
    budget = request(fake.url, "GET", f"/_fake/budget?installation={INSTALL}").json()
    assert budget["core"]["used"] == 1
    log = fake_requests(fake.url, "/meta")
    assert (log[0]["auth"], log[0]["installation_id"], log[0]["app_id"]) == \
        ("installation", INSTALL, APP_ID)
    jwt_log = fake_requests(fake.url, "/app/")
    assert jwt_log[0]["auth"] == "jwt" and jwt_log[0]["jwt_claims"]["iss"] == APP_ID
    r = request(fake.url, "POST", "/_fake/app_clock", body=json.dumps({"advance": 30}))
    assert r.json() == {"offset": 30}
    r = request(fake.url, "POST", "/_fake/app_tokens/expire",
                body=json.dumps({"installation_id": INSTALL}))
    assert r.json() == {"expired": 1}
    assert gh(fake, "GET", "/meta", token=tok).status == 401
    _, (priv2, pub2) = app_keys
    r = request(fake.url, "POST", "/_fake/apps/keys",
                body=json.dumps({"app_id": APP_ID, "public_key_pem": pub2}))
    assert r.json() == {"fingerprint": app_key_fingerprint(pub2)}
    assert as_app(fake, "GET", "/app", app_jwt(priv2, APP_ID)).status == 200


def test_reset_forgets_apps_and_their_tokens(fake, app):
    tok = mint(fake, app)
    fake.advance_app_clock(10)
    fake.reset()
    assert fake.app_clock_offset == 0 and fake.mints() == []
    assert gh(fake, "GET", "/meta", token=tok).status == 401
    r = as_app(fake, "GET", "/app", app_jwt(app, APP_ID))
    assert r.status == 401 and r.json()["message"] == APP_NOT_FOUND_MSG
