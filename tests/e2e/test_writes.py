"""REST writes (POST, PATCH, PUT, DELETE) and everything passed through with the client's
own token: forwarding, cache invalidation, who did it (login look-ups, access log, audit
log), methods ghpool does not serve.

The client (an agent) holds tok_carol (carol-gh) or tok_dave (dave-gh), never a token of
the pool (alice + bob). After every test, no pooled token may have reached the fake with
anything but a read or a GraphQL query (autouse fixture below).
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timezone

import pytest

from conftest import ID_TOKENS, SECRET_TOKENS
from fake_github.client import Reply, graphql_body, non_read_uses, wait_until

CLIENT_TOKEN = "tok_carol"
CLIENT_AUTH = f"token {CLIENT_TOKEN}"
DAVE_AUTH = "Bearer tok_dave"
POOL = {"alice": "tok_alice", "bob": "tok_bob"}
REPO = "/repos/octo-org/hello"
ISSUES = REPO + "/issues"
ISSUE1 = ISSUES + "/1"
OTHER = "/repos/octo-org/world"
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
# A query the access policy lets run pooled (viewer, the pooled identity itself, is denied).
POOLED_QUERY = '{ repository(owner: "octo-org", name: "hello") { name } }'
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                "x-ratelimit-reset", "x-ratelimit-resource")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def cache(**kw) -> dict:
    """A [cache] table with the cache on (the suite's default config turns it off)."""
    c = {"max_entries": 1000}
    c.update(kw)
    return c


def as_bytes(body) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body).encode()


def write(g, method: str, target: str, body=None, auth: str | None = CLIENT_AUTH,
          content_type: str | None = "application/json") -> Reply:
    """A write through ghpool; body: dict/list (sent as JSON), bytes, or None (no body)."""
    data = as_bytes(body)
    headers = {}
    if auth is not None:
        headers["Authorization"] = auth
    if data is not None and content_type is not None:
        headers["Content-Type"] = content_type
    return g.request(method, target, headers=headers, body=data, timeout=30)


def upstream_writes(fake):
    """Requests that reached the fake with a method other than GET/HEAD."""
    return [r for r in fake.requests() if r.method not in ("GET", "HEAD")]


def not_probes(fake):
    """Requests that reached the fake other than ghpool's start-up probes and login
    look-ups (GET /rate_limit, GET /user)."""
    return [r for r in fake.requests()
            if not (r.method == "GET" and r.path_only in ("/rate_limit", "/user"))]


def user_lookups(fake, token: str):
    return [r for r in fake.requests("/user") if r.path_only == "/user" and r.token == token]


def outcome(r: Reply) -> str | None:
    return r.header("X-Ghpool-Cache")


def assert_message(r: Reply, status: int) -> dict:
    assert r.status == status, (r, dict(r.headers))
    assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"], \
        body
    return body


def assert_passthrough(g, fake, r: Reply, rec, auth: str, body: bytes | None,
                       content_type: str | None) -> None:
    """The client's own request reached the fake unchanged; GitHub's answer came back."""
    assert rec.headers.get_all("Authorization") == [auth], rec.headers
    assert rec.body == (body or b""), (rec.body[:200], (body or b"")[:200])
    assert rec.headers.get_all("Content-Type") == ([content_type] if content_type else []), \
        rec.headers
    assert (r.status, r.body) == (rec.status, rec.response_body), (r, rec)
    assert outcome(r) == "BYPASS", dict(r.headers)
    assert r.header("X-Ghpool-Identity") is None, dict(r.headers)
    sent = {k.lower(): v for k, v in rec.response_headers}
    if "content-type" in sent:
        assert r.header("Content-Type") == sent["content-type"], r.headers
    if "location" in sent:
        assert sent["location"].startswith(fake.url), sent
        assert r.header("Location") == g.url + sent["location"][len(fake.url):], r.headers
    else:
        assert r.header("Location") is None, r.headers
    for h in RATE_HEADERS:     # the client's own budget, as GitHub told it
        assert r.header(h) == sent.get(h), (h, dict(r.headers), sent)


def pool_budgets(g) -> dict:
    """Every identity's buckets as /stats shows them (in_flight left out)."""
    return {i["id"]: {name: {k: v for k, v in b.items() if k != "in_flight"}
                      for name, b in i["buckets"].items()}
            for i in g.stats()["identities"]}


# After a write, what it touched is refetched: a MISS where GitHub's answer
# changed, a free REVALIDATED (304 on the kept ETag) where it did not.
REFETCHED = ("MISS", "REVALIDATED")


def read(g, target: str, expect: str | tuple[str, ...]) -> Reply:
    r = g.get(target, timeout=30)
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") in POOL, r.headers
    allowed = (expect,) if isinstance(expect, str) else expect
    assert outcome(r) in allowed, f"{target}: expected {expect}, got {outcome(r)}"
    return r


def warm(g, targets) -> None:
    for t in targets:
        read(g, t, "MISS")
        read(g, t, "HIT")


@pytest.fixture(autouse=True)
def pool_never_writes(fake):
    """After each test: no pooled token reached the fake with a write, a mutation or a
    document the fake could not run as a query."""
    yield
    bad = non_read_uses(fake.requests(), set(ID_TOKENS.values()) - {CLIENT_TOKEN, "tok_dave"})
    assert bad == [], f"a pooled token did more than read: {bad}"


# ---------------------------------------------------------------------------
# 8. refused before anything is sent
# ---------------------------------------------------------------------------

REFUSAL_TARGETS = [
    ("POST", ISSUES, {"title": "x"}),
    ("POST", ISSUE1 + "/comments", {"body": "hi"}),
    ("PATCH", ISSUE1, {"state": "closed"}),
    ("PUT", ISSUE1 + "/lock", None),
    ("DELETE", ISSUES + "/comments/1", None),
    ("POST", "/markdown", {"text": "hi"}),
    ("PATCH", "/user", {"name": "x"}),
]


@pytest.mark.parametrize("method,target,body", REFUSAL_TARGETS)
def test_write_without_authorization_is_401(ghpool, fake, method, target, body):
    g = ghpool(cache=cache())
    r = write(g, method, target, body, auth=None)
    assert_message(r, 401)
    assert not_probes(fake) == [] and upstream_writes(fake) == []
    assert fake.writes == []


@pytest.mark.parametrize("method,target", [
    ("POST", "/repos/evil-corp/secret/issues"),
    ("PATCH", "/repos/EVIL-CORP/secret/issues/1"),
    ("PUT", "/repos/evil-corp/secret/issues/1/lock"),
    ("DELETE", "/repos/evil-corp/secret"),
    ("POST", "/orgs/evil-corp/repos"),
    ("POST", "/repositories/1004/issues"),          # evil-corp/secret, by id
])
def test_write_denied_by_owner_policy_is_403(ghpool, fake, method, target):
    g = ghpool(cache=cache())
    r = write(g, method, target, {"title": "x"})
    assert_message(r, 403)
    if target.startswith("/repositories/"):
        # the id is resolved to its owner first, by ghpool's own pooled read
        lookup = "/".join(target.split("/")[:3])
        assert [(x.method, x.path, x.token in POOL.values()) for x in not_probes(fake)] == \
            [("GET", lookup, True)], not_probes(fake)
    else:
        assert not_probes(fake) == []
    assert upstream_writes(fake) == []
    assert fake.writes == []


def test_write_by_id_of_an_allowed_repository_passes_through(ghpool, fake):
    """/repositories/{id}: the owner is resolved (a pooled GET /repositories/{id}), then
    judged like /repos/{owner}/...; octo-org/hello is allowed, so the write goes with the
    client's token."""
    g = ghpool(cache=cache())
    target = "/repositories/1001/issues/1"
    r = write(g, "PATCH", target, {"title": "by id"})
    assert r.status == 200, r
    assert r.json()["title"] == "by id"
    assert [(x.method, x.path, x.authorization) for x in upstream_writes(fake)] == \
        [("PATCH", target, CLIENT_AUTH)]
    reads = [x for x in not_probes(fake) if x.method == "GET"]
    assert all(x.path == "/repositories/1001" and x.token in POOL.values() for x in reads), reads
    assert [(w["method"], w["path"], w["login"]) for w in fake.writes] == \
        [("PATCH", target, "carol-gh")]


@pytest.mark.parametrize("target", [
    "/repos/octo-org/hello/../../evil-corp/secret/issues",
    "/repos/octo-org/hello/%2e%2e/%2e%2e/evil-corp/secret/issues",
    "/repos/octo-org%2F..%2F..%2Fevil-corp/secret/issues",
    "//repos/evil-corp/secret/issues",
])
def test_write_to_a_malformed_path_is_refused(ghpool, fake, target):
    g = ghpool(cache=cache())
    r = write(g, "POST", target, {"title": "x"})
    assert r.status in (400, 403), r
    assert_message(r, r.status)
    assert not_probes(fake) == [] and upstream_writes(fake) == []


# ---------------------------------------------------------------------------
# 9. forwarded verbatim, GitHub's answer verbatim
# ---------------------------------------------------------------------------

ODD_JSON = b'{"title":  "Caf\xc3\xa9 \\u2603" ,\n  "body": "line1\\nline2"}  \n'

# (method, target, body, content type, Authorization, status the fake answers)
VERBATIM_CASES = [
    pytest.param("POST", ISSUES, ODD_JSON, "application/json; charset=utf-8", CLIENT_AUTH, 201,
                 id="create-issue"),
    pytest.param("POST", ISSUE1 + "/comments", {"body": "hi"}, "application/json", CLIENT_AUTH,
                 201, id="create-comment"),
    pytest.param("PATCH", ISSUES + "/2", {"state": "closed"}, "application/json", CLIENT_AUTH,
                 200, id="patch-issue"),
    pytest.param("PUT", ISSUES + "/3/lock", b"", None, CLIENT_AUTH, 204, id="put-empty-body"),
    pytest.param("DELETE", ISSUES + "/3/lock", None, None, CLIENT_AUTH, 204, id="delete-no-body"),
    pytest.param("POST", ISSUES, {}, "application/json", CLIENT_AUTH, 422, id="validation-422"),
    pytest.param("PATCH", ISSUES + "/999", {"title": "x"}, "application/json", CLIENT_AUTH, 404,
                 id="missing-issue-404"),
    pytest.param("POST", REPO + "/git/blobs", bytes(range(256)), "application/octet-stream",
                 CLIENT_AUTH, 400, id="binary-body"),
    pytest.param("POST", REPO + "/labels", {"name": "bug", "color": "f00"}, "application/json",
                 CLIENT_AUTH, 201, id="other-repo-endpoint"),
    pytest.param("POST", "/markdown", {"text": "**hi**"}, "application/json", CLIENT_AUTH, 404,
                 id="path-outside-repos"),
    pytest.param("PATCH", ISSUES + "/4", {"title": "by dave"}, "application/json", DAVE_AUTH,
                 200, id="bearer-token"),
    pytest.param("PATCH", ISSUES + "/5?x=1&y=%2F&z", {"title": "q"}, "application/json",
                 CLIENT_AUTH, 200, id="query-string-kept"),
    pytest.param("POST", "/repos/octo-org/old-name/issues", {"title": "x"}, "application/json",
                 CLIENT_AUTH, 301, id="renamed-repo-301"),
    pytest.param("POST", ISSUES, {"title": "no content type"}, None, CLIENT_AUTH, 201,
                 id="no-content-type"),
]


@pytest.mark.parametrize("method,target,body,ctype,auth,status", VERBATIM_CASES)
def test_write_is_forwarded_verbatim(ghpool, fake, method, target, body, ctype, auth, status):
    g = ghpool(cache=cache())
    data = as_bytes(body)
    r = write(g, method, target, data, auth=auth, content_type=ctype)
    recs = upstream_writes(fake)
    assert len(recs) == 1, recs
    rec = recs[0]
    assert (rec.method, rec.path) == (method, target)
    assert r.status == status, r
    assert_passthrough(g, fake, r, rec, auth, data, ctype)
    if status == 201 and target == ISSUES:
        assert r.header("Location") == f"{g.url}{ISSUES}/{r.json()['number']}"


def test_location_of_a_write_uses_public_url(ghpool, fake):
    g = ghpool(public_url="https://pool.example.com")
    r = write(g, "POST", ISSUE1 + "/comments", {"body": "hi"})
    assert r.status == 201, r
    cid = r.json()["id"]
    assert r.header("Location") == f"https://pool.example.com{ISSUES}/comments/{cid}"


def test_write_with_a_bad_client_token_gets_401(ghpool, fake):
    g = ghpool()
    r = write(g, "PATCH", ISSUE1, {"title": "x"}, auth="token tok_unknown_zzz")
    assert_message(r, 401)
    for rec in upstream_writes(fake):
        assert rec.headers.get_all("Authorization") == ["token tok_unknown_zzz"], rec
    assert fake.writes == []


def test_concurrent_identical_writes_all_reach_github(ghpool, fake):
    g = ghpool(cache=cache())
    n = 6
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(10)
        out[i] = write(g, "POST", ISSUE1 + "/comments", {"body": "same"})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [r.status for r in out] == [201] * n, out
    assert len({r.json()["id"] for r in out}) == n
    assert len(upstream_writes(fake)) == n
    assert fake.budget(CLIENT_TOKEN)["used"] >= n


# ---------------------------------------------------------------------------
# 10. a 2xx write drops that repository's entries; a failed one drops nothing
# ---------------------------------------------------------------------------

def _titles(r: Reply) -> dict[int, str]:
    return {i["number"]: i["title"] for i in r.json()}


INVALIDATION_CASES = [
    pytest.param("PATCH", ISSUE1, {"title": "Patched"},
                 [ISSUE1, ISSUES, ISSUES + "?per_page=100", ISSUES + "?state=open&per_page=100"],
                 [OTHER + "/issues/1", OTHER + "/issues"],
                 lambda got: (got[ISSUE1].json()["title"] == "Patched"
                              and _titles(got[ISSUES + "?per_page=100"])[1] == "Patched"),
                 id="patch-issue"),
    pytest.param("POST", ISSUE1 + "/comments", {"body": "my comment"},
                 [ISSUE1 + "/comments", ISSUE1],
                 [OTHER + "/issues/1/comments", OTHER + "/issues/1"],
                 lambda got: ([c["body"] for c in got[ISSUE1 + "/comments"].json()]
                              == ["my comment"] and got[ISSUE1].json()["comments"] == 1),
                 id="comment-on-issue"),
    pytest.param("POST", ISSUES, {"title": "Brand new"},
                 [ISSUES + "?per_page=100", ISSUES],
                 [OTHER + "/issues"],
                 lambda got: "Brand new" in _titles(got[ISSUES + "?per_page=100"]).values(),
                 id="create-issue"),
    pytest.param("PUT", ISSUE1 + "/lock", b"",
                 [ISSUE1], [OTHER + "/issues/1"],
                 lambda got: got[ISSUE1].json()["locked"] is True,
                 id="lock-issue"),
]


@pytest.mark.parametrize("method,target,body,dropped,kept,shows", INVALIDATION_CASES)
def test_successful_write_drops_that_repositorys_entries(ghpool, fake, method, target, body,
                                                          dropped, kept, shows):
    g = ghpool(cache=cache())
    warm(g, dropped + kept)
    r = write(g, method, target, body, content_type="application/json" if body else None)
    assert 200 <= r.status < 300, r
    got = {t: read(g, t, REFETCHED) for t in dropped}
    assert shows(got), {t: x.body[:300] for t, x in got.items()}
    for t in kept:
        read(g, t, "HIT")
    for t in dropped:                       # cached again after the miss
        read(g, t, "HIT")


def test_write_with_other_spelling_of_the_repository_drops_its_entries(ghpool, fake):
    """GitHub's owner and repository names are case-insensitive: so is what a write drops."""
    g = ghpool(cache=cache())
    warm(g, [ISSUE1])
    r = write(g, "PATCH", "/repos/OCTO-ORG/Hello/issues/1", {"title": "Shouted"})
    assert r.status == 200, r
    assert read(g, ISSUE1, REFETCHED).json()["title"] == "Shouted"


BY_ID = "/repositories/1001"          # octo-org/hello, by id


@pytest.mark.parametrize("write_under,read_under", [
    pytest.param(BY_ID, REPO, id="write-by-id-read-by-name"),
    pytest.param(REPO, BY_ID, id="write-by-name-read-by-id"),
    pytest.param("/repos/Octo-Org/HELLO", BY_ID, id="write-by-other-case-read-by-id"),
])
def test_write_under_one_spelling_drops_reads_cached_under_the_other(ghpool, fake,
                                                                       write_under,
                                                                       read_under):
    """A repository's paths have two spellings, /repos/{owner}/{name} and
    /repositories/{id}; ghpool learns the pair when it resolves the id. A write under one
    must not leave the other's cached answer served as fresh."""
    g = ghpool(cache=cache())
    warm(g, [REPO + "/issues/1", BY_ID + "/issues/1", OTHER + "/issues/1"])
    r = write(g, "PATCH", write_under + "/issues/1", {"title": "Either way"})
    assert r.status == 200, r
    got = read(g, read_under + "/issues/1", REFETCHED)
    assert got.json()["title"] == "Either way", got.body[:300]
    read(g, OTHER + "/issues/1", "HIT")


@pytest.mark.parametrize("method,target,body,status", [
    ("POST", ISSUES, {}, 422),
    ("POST", ISSUE1 + "/comments", {}, 422),
    ("PATCH", ISSUES + "/999", {"title": "x"}, 404),
    ("POST", REPO + "/git/blobs", b"\xff not json", 400),
])
def test_failed_write_drops_nothing(ghpool, fake, method, target, body, status):
    g = ghpool(cache=cache())
    targets = [ISSUE1, ISSUES + "?per_page=100", ISSUE1 + "/comments", REPO]
    warm(g, targets)
    r = write(g, method, target, body)
    assert r.status == status, r
    assert r.header("X-Ghpool-Cache") == "BYPASS"
    for t in targets:
        read(g, t, "HIT")


# ---------------------------------------------------------------------------
# 11. the pool's budgets are not the writes' business
# ---------------------------------------------------------------------------

def test_writes_leave_the_pool_budgets_alone(ghpool, fake):
    g = ghpool(cache=cache(), allowed_owners=["*"])
    read(g, REPO, "MISS")
    pool_before = pool_budgets(g)
    fake_before = {t: {b: fake.budget(t, b) for b in ("core", "graphql")} for t in POOL.values()}
    for method, target, body in (("POST", ISSUES, {"title": "x"}), ("PATCH", ISSUE1, {"title": "y"}),
                                 ("POST", ISSUES, {}), ("DELETE", ISSUES + "/1/lock", None),
                                 ("PATCH", ISSUES + "/999", {"title": "z"})):
        write(g, method, target, body)
    r = g.request("POST", "/graphql", body=graphql_body(
        'mutation { addComment(input: {subjectId: "I_1001_1", body: "m"}) { subject { id } } }'),
        headers={"Authorization": DAVE_AUTH, "Content-Type": "application/json"})
    assert r.status == 200 and r.json()["data"]["addComment"], r
    assert len(upstream_writes(fake)) == 6
    assert pool_budgets(g) == pool_before
    assert {t: {b: fake.budget(t, b) for b in ("core", "graphql")} for t in POOL.values()} == \
        fake_before


# ---------------------------------------------------------------------------
# 12. who did it: login look-ups, the access log, the audit log
# ---------------------------------------------------------------------------

ADD_COMMENT_VARS = ("mutation AddComment($input: AddCommentInput!) { addComment(input: $input) "
                    "{ commentEdge { node { id } } } }")


def gql_mutation(g, auth: str, body_text: str, literal: str = "x") -> Reply:
    """AddComment with the comment body in a variable and a literal elsewhere in the doc."""
    doc = f"# {literal}\n" + ADD_COMMENT_VARS
    body = graphql_body(doc, {"input": {"subjectId": "I_1001_1", "body": body_text}},
                        "AddComment")
    return g.request("POST", "/graphql", body=body,
                     headers={"Authorization": auth, "Content-Type": "application/json"})


def access_line(g, method: str, path: str, status: int, login: str) -> str:
    return g.wait_log(rf"access method={method} path={re.escape(path)} status={status}\b"
                      rf"[^\n]*\blogin={re.escape(login)}\b").group(0)


def test_login_is_looked_up_once_per_client_token(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    done = []
    done.append((write(g, "POST", ISSUES, {"title": "a"}), "POST", ISSUES, "carol-gh"))
    done.append((gql_mutation(g, DAVE_AUTH, "b"), "POST", "/graphql", "dave-gh"))
    done.append((write(g, "PATCH", ISSUE1, {"title": "c"}), "PATCH", ISSUE1, "carol-gh"))
    done.append((write(g, "POST", ISSUES, {}), "POST", ISSUES, "carol-gh"))
    done.append((gql_mutation(g, CLIENT_AUTH, "d"), "POST", "/graphql", "carol-gh"))
    done.append((write(g, "DELETE", ISSUE1 + "/lock", None, auth=DAVE_AUTH), "DELETE",
                 ISSUE1 + "/lock", "dave-gh"))
    assert [r.status for r, *_ in done] == [201, 200, 200, 422, 200, 204]
    wait_until(lambda: user_lookups(fake, CLIENT_TOKEN) and user_lookups(fake, "tok_dave"), 5,
               message="a GET /user per client token")
    for r, method, path, login in done:
        line = access_line(g, method, path, r.status, login)
        for tok in SECRET_TOKENS:
            assert tok not in line, line
    time.sleep(0.2)
    assert len(user_lookups(fake, CLIENT_TOKEN)) == 1, user_lookups(fake, CLIENT_TOKEN)
    assert len(user_lookups(fake, "tok_dave")) == 1, user_lookups(fake, "tok_dave")
    assert user_lookups(fake, CLIENT_TOKEN)[0].status == 200
    log = g.log_text()
    carol_lines = [ln for ln in log.splitlines()
                   if re.search(r"access method=\S+ path=\S+ .*\blogin=carol-gh\b", ln)]
    assert len(carol_lines) == 4, carol_lines
    for tok in SECRET_TOKENS:
        assert tok not in log


def test_reads_and_queries_look_up_no_client_login(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    assert g.get(REPO, headers={"Authorization": CLIENT_AUTH}).status == 200
    r = g.request("POST", "/graphql", body=graphql_body(POOLED_QUERY),
                  headers={"Authorization": CLIENT_AUTH, "Content-Type": "application/json"})
    assert r.status == 200 and r.header("X-Ghpool-Identity") in POOL, r
    time.sleep(0.2)
    assert fake.requests(token=CLIENT_TOKEN) == []


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _audit_lines(path) -> list[str]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.mark.parametrize("fsync", [None, False, True], ids=["default", "no-fsync", "fsync"])
def test_audit_log_has_one_line_per_passthrough(ghpool, fake, tmp_path, fsync):
    audit = tmp_path / "audit.jsonl"
    audit.write_text('{"old": 1}\n')                  # appended to, never truncated
    extra = {} if fsync is None else {"audit_fsync": fsync}
    g = ghpool(allowed_owners=["*"], cache=cache(), audit_log=str(audit), **extra)
    secret_var = "MARKER-var-5f1c2e9a"
    secret_literal = "MARKER-literal-0b7d44"
    t0 = datetime.now(timezone.utc)
    expected = []
    r = write(g, "POST", ISSUES, {"title": "audited"})
    expected.append(({"login": "carol-gh", "method": "POST", "path": ISSUES}, r.status, 201))
    r = write(g, "PATCH", ISSUES + "/999", {"title": "x"})
    expected.append(({"login": "carol-gh", "method": "PATCH", "path": ISSUES + "/999"},
                     r.status, 404))
    r = gql_mutation(g, CLIENT_AUTH, secret_var, literal=secret_literal)
    expected.append(({"login": "carol-gh", "method": "POST",
                      "operation": {"type": "mutation", "name": "AddComment"}}, r.status, 200))
    r = write(g, "DELETE", ISSUE1 + "/lock", None, auth=DAVE_AUTH)
    expected.append(({"login": "dave-gh", "method": "DELETE", "path": ISSUE1 + "/lock"},
                     r.status, 204))
    # not passthroughs: a pooled read, a pooled query, a refused write
    assert g.get(REPO).status == 200
    q = g.request("POST", "/graphql", body=graphql_body(POOLED_QUERY),
                  headers={"Content-Type": "application/json"})
    assert q.status == 200 and q.header("X-Ghpool-Identity") in POOL, q
    assert write(g, "POST", ISSUES, {"title": "no"}, auth=None).status == 401
    assert [(got, want) for _, got, want in expected if got != want] == []
    # the marker really went to GitHub, in the variables
    assert secret_var.encode() in upstream_writes(fake)[2].body

    wait_until(lambda: len(_audit_lines(audit)) >= 1 + len(expected), 5,
               message=lambda: f"{len(expected)} audit lines; file: {audit.read_text()!r}")
    time.sleep(0.2)
    lines = _audit_lines(audit)
    assert lines[0] == '{"old": 1}'
    assert len(lines) == 1 + len(expected), lines
    t1 = datetime.now(timezone.utc)
    for line, (want, status, _) in zip(lines[1:], expected):
        rec = json.loads(line)
        assert isinstance(rec, dict), line
        for k, v in want.items():
            assert rec.get(k) == v, (k, rec)
        assert rec["status"] == status, rec
        assert isinstance(rec["duration_ms"], int) and 0 <= rec["duration_ms"] < 30000, rec
        assert RFC3339.fullmatch(rec["time"]), rec
        when = datetime.fromisoformat(rec["time"].replace("Z", "+00:00"))
        assert t0.timestamp() - 2 <= when.timestamp() <= t1.timestamp() + 2, (rec, t0, t1)
        if "path" in want:
            assert "operation" not in rec, rec
    text = audit.read_text()
    for secret in [secret_var, secret_literal, *SECRET_TOKENS]:
        assert secret not in text, f"{secret} in the audit log"
        assert secret not in g.log_text(), f"{secret} in the log"


# ---------------------------------------------------------------------------
# 13. other methods
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
@pytest.mark.parametrize("target", [REPO, "/graphql", ISSUES + "?x=1"])
@pytest.mark.parametrize("auth", [None, CLIENT_AUTH], ids=["no-auth", "client-auth"])
def test_other_methods_are_405_with_allow(ghpool, fake, method, target, auth):
    g = ghpool(cache=cache(), allowed_owners=["*"])
    r = g.request(method, target, headers={"Authorization": auth} if auth else None)
    assert_message(r, 405)
    allow = {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}
    assert allow == {"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}, r.header("Allow")
    assert not_probes(fake) == []
