"""GraphQL (POST /graphql): queries the access policy allows (issue #6) pooled and cached,
everything else that is not a query passed through with the client's own token.

Black-box, like test_cache.py: the fake's request log says what reached "GitHub", with
which token (``token``/``login``), and what the fake made of the document (``gql_type``/
``gql_name``/``gql_error``: the operation it would run); ``X-Ghpool-Cache`` /
``X-Ghpool-Identity`` and ``/stats`` say what ghpool did. ``viewer`` is the pooled identity
itself and is denied (test_access_policy.py): pooled queries here ask about octo-org's
repositories, and the record's token/login says which identity ran them. After every test,
no pooled token may have reached the fake with anything but a read or a GraphQL query
(autouse fixture below).

The client (an agent) holds tok_carol / tok_dave, which are never the pool's
(the pool is alice + bob), so "whose token reached GitHub" is always decidable.
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import ID_TOKENS
from fake_github.client import (Reply, graphql_body, non_read_uses, parse_raw_response,
                                raw_exchange)

CLIENT_TOKEN = "tok_carol"
CLIENT_AUTH = f"token {CLIENT_TOKEN}"
POOL = {"alice": "tok_alice", "bob": "tok_bob"}
LOGINS = {"alice": "alice-gh", "bob": "bob-gh"}
EVERYONE = ["*"]           # any owner (viewer stays denied even so)
MIB = 1024 * 1024

ADD_COMMENT = ('mutation { addComment(input: {subjectId: "I_1001_1", body: "hi"}) '
               '{ commentEdge { node { id body } } } }')
ADD_COMMENT_VARS = ("mutation AddComment($input: AddCommentInput!) { addComment(input: $input) "
                    "{ commentEdge { node { id } } } }")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def cache(**kw) -> dict:
    """A [cache] table with the cache on (the suite's default config turns it off)."""
    c = {"max_entries": 1000}
    c.update(kw)
    return c


def gql(g, query: str | None = None, variables=None, operation_name=None,
        auth: str | None = None, body: bytes | None = None) -> Reply:
    """POST /graphql through ghpool (Content-Type JSON; Authorization only if given)."""
    if body is None:
        body = graphql_body(query, variables, operation_name)
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    return g.request("POST", "/graphql", headers=headers, body=body, timeout=30)


def upstream(fake):
    """What reached the fake on POST /graphql, oldest first."""
    return fake.requests("/graphql", method="POST")


def outcome(r: Reply) -> str | None:
    return r.header("X-Ghpool-Cache")


def ident(r: Reply) -> str | None:
    return r.header("X-Ghpool-Identity")


def assert_json_error(r: Reply, status: int) -> dict:
    assert r.status == status, (r, dict(r.headers))
    assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict), body
    return body


def assert_message(r: Reply, status: int) -> None:
    body = assert_json_error(r, status)
    assert isinstance(body.get("message"), str) and body["message"], body


def assert_pooled(r: Reply, rec, expect: str | None = None) -> str:
    """A query answered through a pooled identity: that identity's token reached the fake,
    never the client's; returns the identity."""
    assert r.status == 200, (r, dict(r.headers))
    who = ident(r)
    assert who in POOL, f"X-Ghpool-Identity missing or odd: {dict(r.headers)}"
    assert rec.token == POOL[who], (rec, who)
    sent = " ".join(v for _, v in rec.headers)
    assert CLIENT_TOKEN not in sent and "tok_dave" not in sent, rec.headers
    if expect is not None:
        assert outcome(r) == expect, f"expected {expect}, got {outcome(r)}: {dict(r.headers)}"
    return who


def assert_passthrough(r: Reply, rec, auth: str, body: bytes) -> None:
    """GitHub's answer to the client's own request: exactly the client's Authorization and
    body reached the fake; status and body came back verbatim; no pooled identity."""
    assert rec.headers.get_all("Authorization") == [auth], rec.headers
    assert rec.body == body, (rec.body[:200], body[:200])
    assert (r.status, r.body) == (rec.status, rec.response_body), (r, rec)
    assert outcome(r) == "BYPASS", dict(r.headers)
    assert ident(r) is None, dict(r.headers)


def pool_budgets(g) -> dict:
    """Every identity's buckets as /stats shows them (in_flight left out)."""
    return {i["id"]: {name: {k: v for k, v in b.items() if k != "in_flight"}
                      for name, b in i["buckets"].items()}
            for i in g.stats()["identities"]}


@pytest.fixture(autouse=True)
def pool_never_writes(fake):
    """After each test: no pooled token ever reached the fake with a mutation, a write, or a
    document the fake could not run as a query."""
    yield
    bad = non_read_uses(fake.requests(), set(ID_TOKENS.values()) - {CLIENT_TOKEN, "tok_dave"})
    assert bad == [], f"a pooled token did more than read: {bad}"


# ---------------------------------------------------------------------------
# 1. the request body
# ---------------------------------------------------------------------------

# A query the policy allows with the default allowed_owners (octo-org, alice) or "*".
REPO = 'repository(owner: "octo-org", name: "hello") { name }'
Q = "{ " + REPO + " }"
Q_ANSWER = {"data": {"repository": {"name": "hello"}}}
# The pooled identity's own data: denied whatever allowed_owners is.
VIEWER = "{ viewer { login } }"

MALFORMED = [
    pytest.param(b"{nope", id="not-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"{ viewer { login } }"', id="string"),
    pytest.param(b"null", id="null"),
    pytest.param(b"42", id="number"),
    pytest.param(b'{"variables": {}}', id="no-query"),
    pytest.param(b'{"query": null}', id="query-null"),
    pytest.param(b'{"query": 1}', id="query-number"),
    pytest.param(b'{"query": ["{ viewer { login } }"]}', id="query-list"),
    pytest.param(b'{"query": {"q": "{ viewer { login } }"}}', id="query-object"),
    pytest.param(b'{"query": true}', id="query-bool"),
    pytest.param(graphql_body(Q, variables=[]), id="variables-list"),
    pytest.param(graphql_body(Q, variables="{}"), id="variables-string"),
    pytest.param(graphql_body(Q, variables=1), id="variables-number"),
    pytest.param(graphql_body(Q, variables=True), id="variables-bool"),
    pytest.param(graphql_body(Q, operation_name=1), id="operationName-number"),
    pytest.param(graphql_body(Q, operation_name={}), id="operationName-object"),
    pytest.param(graphql_body(Q, operation_name=["A"]), id="operationName-list"),
    pytest.param(graphql_body(Q, operation_name=True), id="operationName-bool"),
    pytest.param(b'{"query": "{ viewer { login } }\xff"}', id="invalid-utf8"),
    pytest.param(b'{"query": "{ viewer { login } }"} x', id="trailing-garbage"),
    pytest.param(b'{"query": "{ viewer { login } }"', id="truncated"),
]


@pytest.mark.parametrize("auth", [None, CLIENT_AUTH], ids=["no-auth", "client-auth"])
@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_body_is_400_and_nothing_reaches_github(ghpool, fake, body, auth):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    r = gql(g, body=body, auth=auth)
    assert_message(r, 400)
    assert upstream(fake) == []


def _padded(size: int) -> bytes:
    """A valid query body of exactly size bytes (JSON white space before the closing brace)."""
    head, tail = b'{"query": ' + json.dumps(Q).encode(), b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


def test_body_of_exactly_1_mib_is_served(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    body = _padded(MIB)
    assert len(body) == MIB
    r = gql(g, body=body)
    rec = upstream(fake)[-1]
    who = assert_pooled(r, rec)
    assert rec.body == body and rec.login == LOGINS[who], rec
    assert r.json() == Q_ANSWER


@pytest.mark.parametrize("auth", [None, CLIENT_AUTH], ids=["no-auth", "client-auth"])
def test_body_over_1_mib_is_413_and_nothing_reaches_github(ghpool, fake, auth):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    body = _padded(MIB + 1)
    head = (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{g.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + (f"Authorization: {auth}\r\n" if auth else "") + "Connection: close\r\n\r\n")
    r = parse_raw_response(raw_exchange(g.url, head.encode() + body, timeout=15))
    assert_message(r, 413)
    assert upstream(fake) == []
    assert g.get("/healthz").status == 200


# ---------------------------------------------------------------------------
# 2. queries: pooled, cached
# ---------------------------------------------------------------------------

POOLED_DOCS = [
    pytest.param("{ " + REPO + " }", None, None, id="shorthand"),
    pytest.param("query { " + REPO + " }", None, None, id="anonymous-query"),
    pytest.param("query Which { " + REPO + " }", None, None, id="named-query"),
    pytest.param("query Which { " + REPO + " }", "Which", None, id="named-query-with-name"),
    pytest.param("# mutation { addComment }\nquery { " + REPO + " }", None, None,
                 id="mutation-in-a-comment"),
    pytest.param("{ " + REPO + ' search(query: "repo:octo-org/hello mutation { addComment }", '
                 "first: 1) { issueCount } }", None, None, id="mutation-in-a-string"),
    pytest.param("query { " + REPO + ' search(query: """repo:octo-org/hello mutation {""", '
                 "first: 1) { issueCount } }", None, None, id="mutation-in-a-block-string"),
    pytest.param("\ufeff,, \n\tquery { " + REPO + " }", None, None,
                 id="bom-commas-whitespace"),
    pytest.param("query A { " + REPO + " } "
                 'mutation B { addComment(input: {subjectId: "I_1001_1", body: "x"}) '
                 "{ subject { id } } }", "A", None, id="operationName-selects-the-query"),
    pytest.param('fragment V on Repository { name } query { repository(owner: "octo-org", '
                 'name: "hello") { ...V } }', None, None, id="fragment-first"),
    pytest.param("query($o: String!, $n: String!) { "
                 "repository(owner: $o, name: $n) { name nameWithOwner } }", None,
                 {"o": "octo-org", "n": "hello"}, id="variables"),
]


@pytest.mark.parametrize("auth", [None, CLIENT_AUTH], ids=["no-auth", "client-auth"])
@pytest.mark.parametrize("doc,op_name,variables", POOLED_DOCS)
def test_query_runs_pooled_and_is_cached(ghpool, fake, doc, op_name, variables, auth):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    first = gql(g, doc, variables, op_name, auth=auth)
    recs = upstream(fake)
    assert len(recs) == 1, recs
    who = assert_pooled(first, recs[0], expect="MISS")
    assert (recs[0].gql_type, recs[0].gql_error) == ("query", None), recs[0]
    assert recs[0].login == LOGINS[who]                     # run with that identity's token
    data = first.json()
    assert "errors" not in data, data
    assert data["data"]["repository"]["name"] == "hello", data
    again = gql(g, doc, variables, op_name, auth=auth)
    assert (again.status, outcome(again), ident(again)) == (200, "HIT", who), again.headers
    assert again.body == first.body
    assert len(upstream(fake)) == 1
    assert fake.writes == []


def test_client_authorization_is_never_forwarded_on_queries(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE)  # cache off: each query reaches the fake
    for auth in (CLIENT_AUTH, "Bearer tok_dave", "token tok_unknown_zzz"):
        r = gql(g, Q, auth=auth)
        assert_pooled(r, upstream(fake)[-1])
    assert len(upstream(fake)) == 3
    assert fake.requests(token=CLIENT_TOKEN) == fake.requests(token="tok_dave") == []
    assert fake.requests(token="tok_unknown_zzz") == []


# (first request, second request, same cache entry?) -- a request: (doc, variables, opName)
# or raw body bytes
TWO_OPS = "query A { " + REPO + " } query B { " + REPO + " }"
VARS_DOC = "query($q: String!, $f: Int) { search(query: $q, first: $f) { issueCount } }"
OBJ_DOC = "query($x: Filter) { " + REPO + " }"
CACHE_KEY_CASES = [
    pytest.param((Q, None, None), ('{repository(owner:"octo-org",name:"hello"){name}}', None,
                                   None), True, id="whitespace"),
    pytest.param(("query { " + REPO + " }", None, None),
                 ('query {\n  # which one\n  repository(owner: "octo-org", name: "hello",), '
                  "{ name, },\n}\n", None, None), True, id="comments-and-commas"),
    pytest.param((VARS_DOC, {"q": "of world", "f": 1}, None),
                 (VARS_DOC, {"q": "of world", "f": 2}, None), False, id="variables-differ"),
    pytest.param((VARS_DOC, {"q": "of world", "f": 1}, None),
                 (VARS_DOC, {"f": 1, "q": "of world"}, None), True, id="variables-key-order"),
    pytest.param((OBJ_DOC, {"x": {"a": 1, "b": [1, {"c": 2, "d": 3}]}}, None),
                 (OBJ_DOC, {"x": {"b": [1, {"d": 3, "c": 2}], "a": 1}}, None), True,
                 id="nested-variables-key-order"),
    pytest.param((OBJ_DOC, {"x": {"b": [1, 2]}}, None), (OBJ_DOC, {"x": {"b": [2, 1]}}, None),
                 False, id="list-order-matters"),
    pytest.param(b'{"query":' + json.dumps(Q).encode() + b'}',
                 b'{\n  "query" : ' + json.dumps(Q).encode() + b'\n}\n', True, id="json-spacing"),
    pytest.param((TWO_OPS, None, "A"), (TWO_OPS, None, "B"), False, id="operationName-differs"),
    pytest.param((TWO_OPS, None, "A"), (TWO_OPS, None, "A"), True, id="operationName-same"),
    pytest.param(('{ search(query: "of world", first: 1) { issueCount } }', None, None),
                 ('{ search(query: "of  world", first: 1) { issueCount } }', None, None), False,
                 id="string-contents-kept"),
    pytest.param(("{ " + REPO + " rateLimit { cost } }", None, None),
                 ("{ rateLimit { cost } " + REPO + " }", None, None), False,
                 id="field-order-matters"),
]


def _send(g, req, auth=None) -> Reply:
    if isinstance(req, bytes):
        return gql(g, body=req, auth=auth)
    doc, variables, op_name = req
    return gql(g, doc, variables, op_name, auth=auth)


@pytest.mark.parametrize("first,second,shared", CACHE_KEY_CASES)
def test_graphql_cache_key(ghpool, fake, first, second, shared):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    a = _send(g, first)
    assert_pooled(a, upstream(fake)[-1], expect="MISS")
    assert "errors" not in a.json(), a
    b = _send(g, second)
    assert_pooled(b, upstream(fake)[-1], expect="HIT" if shared else "MISS")
    assert len(upstream(fake)) == (1 if shared else 2), upstream(fake)
    if shared:
        assert b.body == a.body


def test_graphql_ttl_is_its_own(ghpool, fake):
    """[cache] graphql_ttl_secs governs pooled queries (and only them)."""
    short_gql = ghpool(allowed_owners=EVERYONE, cache=cache(graphql_ttl_secs=1,
                                                             default_ttl_secs=600))
    long_gql = ghpool(allowed_owners=EVERYONE, cache=cache(graphql_ttl_secs=600,
                                                            default_ttl_secs=1))
    for g in (short_gql, long_gql):
        assert_pooled(gql(g, Q), upstream(fake)[-1], expect="MISS")
        assert g.get("/meta").header("X-Ghpool-Cache") == "MISS"
    time.sleep(1.2)
    assert len(upstream(fake)) == 2
    r = gql(short_gql, Q)
    assert_pooled(r, upstream(fake)[-1], expect="MISS")      # no ETag: refetched in full
    assert len(upstream(fake)) == 3
    assert outcome(gql(short_gql, Q)) == "HIT"
    assert short_gql.get("/meta").header("X-Ghpool-Cache") == "HIT"
    assert outcome(gql(long_gql, Q)) == "HIT"
    assert long_gql.get("/meta").header("X-Ghpool-Cache") != "HIT"
    assert len(upstream(fake)) == 3


# GitHub validates the whole document and answers a field its type lacks with errors only.
# ghpool now denies unknown *root* fields before GitHub sees them, and the fake validates
# root fields only, so for a nested unknown field the fake is told to give GitHub's answer.
UNKNOWN_FIELD = "{ repository(owner: \"octo-org\", name: \"hello\") { name nope } }"
UNKNOWN_FIELD_ANSWER = {"errors": [{
    "path": ["query", "repository", "nope"],
    "extensions": {"code": "undefinedField", "typeName": "Repository", "fieldName": "nope"},
    "locations": [{"line": 1, "column": 55}],
    "message": "Field 'nope' doesn't exist on type 'Repository'"}]}
ERROR_ANSWERS = [
    pytest.param(UNKNOWN_FIELD, UNKNOWN_FIELD_ANSWER, id="unknown-field-errors-only"),
    pytest.param('{ organization(login: "octo-org") { login } '
                 'repository(owner: "octo-org", name: "nope") { id } }', None,
                 id="partial-data-with-errors"),
]


@pytest.mark.parametrize("doc,answer", ERROR_ANSWERS)
def test_answers_with_errors_are_never_cached(ghpool, fake, doc, answer):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    if answer is not None:
        fake.add_fault("status", path="/graphql", method="POST", status=200, body=answer,
                       count=None)
    for n in (1, 2, 3):
        r = gql(g, doc)
        recs = upstream(fake)
        assert len(recs) == n, recs
        assert_pooled(r, recs[-1])
        assert outcome(r) != "HIT", r.headers
        assert r.body == recs[-1].response_body
        assert r.json()["errors"], r.json()
        if answer is None:
            assert r.json()["data"]["organization"] == {"login": "octo-org"}, r.json()
    assert g.stats()["cache"]["entries"] == 0


# ---------------------------------------------------------------------------
# 4. RATE_LIMITED: the identity's graphql bucket is empty; retried once elsewhere
# ---------------------------------------------------------------------------

def test_rate_limited_identity_is_marked_empty_and_the_query_retried(ghpool, fake):
    fake.set_budget("tok_bob", "graphql", remaining=3000)   # alice, fuller, goes first
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    assert g.identity("alice")["buckets"]["graphql"]["remaining"] == 5000
    fake.set_budget("tok_alice", "graphql", remaining=0)     # same window, learnt mid-run
    r = gql(g, Q)
    recs = upstream(fake)
    assert [(x.token, x.status, x.counted) for x in recs] == \
        [("tok_alice", 200, False), ("tok_bob", 200, True)], recs
    assert "RATE_LIMITED" in recs[0].response_body.decode()
    assert_pooled(r, recs[1], expect="MISS")
    assert ident(r) == "bob" and recs[1].login == "bob-gh"
    assert r.json() == Q_ANSWER
    assert b"RATE_LIMITED" not in r.body
    assert g.identity("alice")["buckets"]["graphql"]["remaining"] == 0
    # the good answer was cached; the next query goes straight to bob
    hit = gql(g, Q)
    assert (outcome(hit), hit.body) == ("HIT", r.body)
    other = gql(g, "query { rateLimit { remaining } }")
    assert_pooled(other, upstream(fake)[-1], expect="MISS")
    assert ident(other) == "bob"
    assert [x.token for x in upstream(fake)] == ["tok_alice", "tok_bob", "tok_bob"]


def test_rate_limited_everywhere_is_not_cached_and_stops_the_pool(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    for tok in POOL.values():
        fake.set_budget(tok, "graphql", remaining=0)
    r = gql(g, Q)
    recs = upstream(fake)
    assert sorted(x.token for x in recs) == ["tok_alice", "tok_bob"], recs  # retried once
    assert outcome(r) != "HIT"
    assert not (r.status == 200 and (r.json() or {}).get("data")), r
    if r.status == 200:
        assert b"RATE_LIMITED" in r.body, r
    else:
        assert r.status in (403, 429), r
    for who in POOL:
        assert g.identity(who)["buckets"]["graphql"]["remaining"] == 0, g.identity(who)
    assert g.stats()["cache"]["entries"] == 0
    again = gql(g, Q)
    assert outcome(again) != "HIT" and b'"hello"' not in again.body, again
    assert len(upstream(fake)) == 2, "ghpool kept sending queries to empty identities"


# ---------------------------------------------------------------------------
# 5. passthrough: mutations and everything not provably a query
# ---------------------------------------------------------------------------

PASSTHROUGH_DOCS = [
    pytest.param(ADD_COMMENT, None, None, id="mutation"),
    pytest.param(ADD_COMMENT_VARS, None, {"input": {"subjectId": "I_1001_1", "body": "v"}},
                 id="named-mutation-with-variables"),
    pytest.param(ADD_COMMENT_VARS, "AddComment", {"input": {"subjectId": "I_1001_1", "body": "v"}},
                 id="named-mutation-with-operationName"),
    pytest.param("# just a query\n" + ADD_COMMENT, None, None, id="comment-then-mutation"),
    pytest.param("fragment C on IssueComment { id body }\n"
                 'mutation { addComment(input: {subjectId: "I_1001_1", body: "f"}) '
                 "{ commentEdge { node { ...C } } } }", None, None, id="fragment-then-mutation"),
    pytest.param("query A { viewer { login } } "
                 'mutation B { addComment(input: {subjectId: "I_1001_1", body: "b"}) '
                 "{ subject { id } } }", "B", None, id="operationName-selects-the-mutation"),
    pytest.param('query Q { viewer { login } } # }\nmutation M { updateIssue(input: '
                 '{id: "I_1001_2", title: "t"}) { issue { title } } }', "M", None,
                 id="mutation-after-commented-brace"),
    pytest.param('mutation { addComment(input: {subjectId: "I_1001_1", '
                 'body: "query { viewer { login } }"}) { subject { id } } }', None, None,
                 id="query-inside-a-string-argument"),
    pytest.param('mutation { addComment(input: {subjectId: "I_1001_1", '
                 'body: """\n{ query }\n"""}) { subject { id } } }', None, None,
                 id="query-inside-a-block-string"),
    pytest.param("\ufeff" + ADD_COMMENT, None, None, id="bom-before-mutation"),
    pytest.param(",,, \n\t\r\n" + ADD_COMMENT, None, None, id="commas-whitespace-before-mutation"),
    pytest.param("subscription { issueUpdated { id } }", None, None, id="subscription"),
    pytest.param('mutation { addComment(input: {subjectId: "I_1001_1"', None, None,
                 id="unparsable-mutation"),
    pytest.param("{ viewer { login }", None, None, id="unparsable-query"),
    pytest.param("{ viewer { login } } }", None, None, id="extra-closing-brace"),
    pytest.param("MUTATION { viewer { login } }", None, None, id="keyword-in-capitals"),
    pytest.param("", None, None, id="empty-document"),
    pytest.param("fragment V on User { login }", None, None, id="fragments-only"),
    pytest.param("query A { viewer { login } } query B { viewer { login } }", None, None,
                 id="two-queries-without-operationName"),
    pytest.param("query A { viewer { login } } "
                 'mutation B { addComment(input: {subjectId: "I_1001_1", body: "b"}) '
                 "{ subject { id } } }", None, None, id="query-and-mutation-without-operationName"),
    pytest.param("query A { viewer { login } }", "Nope", None, id="operationName-names-nothing"),
    pytest.param("{ viewer { login } }", "A", None, id="operationName-on-anonymous-query"),
    pytest.param("query A { viewer { login } } { rateLimit { cost } }", "A", None,
                 id="anonymous-beside-named"),
    pytest.param("query A { viewer { login } } query A { rateLimit { cost } }", "A", None,
                 id="duplicate-operation-names"),
]


@pytest.mark.parametrize("doc,op_name,variables", PASSTHROUGH_DOCS)
def test_non_query_passes_through_with_the_clients_token(ghpool, fake, doc, op_name, variables):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    body = graphql_body(doc, variables, op_name)
    for n in (1, 2):                       # never cached: the repeat reaches GitHub again
        r = gql(g, body=body, auth=CLIENT_AUTH)
        recs = [x for x in upstream(fake)]
        assert len(recs) == n, recs
        assert_passthrough(r, recs[-1], CLIENT_AUTH, body)
    assert g.stats()["cache"]["entries"] == 0
    for tok in POOL.values():
        assert fake.budget(tok, "graphql")["used"] == 0


@pytest.mark.parametrize("doc,op_name,variables", PASSTHROUGH_DOCS)
def test_non_query_without_authorization_is_401(ghpool, fake, doc, op_name, variables):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    r = gql(g, doc, variables, op_name)
    assert_message(r, 401)
    assert upstream(fake) == []
    assert fake.writes == []


@pytest.mark.parametrize("auth", ["token tok_carol", "Bearer tok_dave", "bearer tok_carol",
                                  "token   tok_carol"])
def test_passthrough_sends_the_authorization_header_verbatim(ghpool, fake, auth):
    g = ghpool(allowed_owners=EVERYONE)
    body = graphql_body(ADD_COMMENT)
    r = gql(g, body=body, auth=auth)
    assert_passthrough(r, upstream(fake)[-1], auth, body)
    assert r.json()["data"]["addComment"]["commentEdge"]["node"]["body"] == "hi"
    login = "dave-gh" if "dave" in auth else "carol-gh"
    assert [(w["field"], w["login"]) for w in fake.writes] == [("addComment", login)]


def test_mutation_runs_as_the_client_and_changes_data(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    before = g.get("/repos/octo-org/hello/issues/2")
    assert before.json()["title"] == "Issue 2 of hello"
    body = graphql_body('mutation Rename { updateIssue(input: {id: "I_1001_2", title: "New"}) '
                        "{ issue { title } } }", operation_name="Rename")
    r = gql(g, body=body, auth=CLIENT_AUTH)
    assert_passthrough(r, upstream(fake)[-1], CLIENT_AUTH, body)
    assert r.json() == {"data": {"updateIssue": {"issue": {"title": "New"}}}}
    rec = upstream(fake)[-1]
    assert (rec.gql_type, rec.gql_name, rec.token) == ("mutation", "Rename", CLIENT_TOKEN)
    assert [(w["method"], w["operation"], w["login"], w["token"]) for w in fake.writes] == \
        [("GRAPHQL", "Rename", "carol-gh", CLIENT_TOKEN)]


# ---------------------------------------------------------------------------
# 6. the client's rate limit on passthrough answers; the pool's stays put
# ---------------------------------------------------------------------------

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                "x-ratelimit-reset", "x-ratelimit-resource")


def test_passthrough_answer_carries_the_clients_rate_limit(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    assert gql(g, Q).status == 200              # the pool has served something
    pool_before = pool_budgets(g)
    fake_before = {t: fake.budget(t, "graphql") for t in POOL.values()}
    reset = fake.budget(CLIENT_TOKEN, "graphql")["reset"] + 100
    fake.set_budget(CLIENT_TOKEN, "graphql", remaining=777, reset=reset)
    body = graphql_body(ADD_COMMENT)
    r = gql(g, body=body, auth=CLIENT_AUTH)
    rec = upstream(fake)[-1]
    assert_passthrough(r, rec, CLIENT_AUTH, body)
    sent = {k.lower(): v for k, v in rec.response_headers}
    for h in RATE_HEADERS:
        assert r.header(h) == sent[h], (h, dict(r.headers), sent)
    assert (r.header("X-RateLimit-Remaining"), r.header("X-RateLimit-Reset"),
            r.header("X-RateLimit-Resource")) == ("776", str(reset), "graphql")
    assert pool_budgets(g) == pool_before
    assert {t: fake.budget(t, "graphql") for t in POOL.values()} == fake_before


def test_passthrough_rate_limited_client_gets_githubs_answer_and_no_retry(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    pool_before = pool_budgets(g)
    fake.set_budget(CLIENT_TOKEN, "graphql", remaining=0)
    body = graphql_body(ADD_COMMENT)
    r = gql(g, body=body, auth=CLIENT_AUTH)
    recs = upstream(fake)
    assert len(recs) == 1, recs
    assert_passthrough(r, recs[0], CLIENT_AUTH, body)
    assert r.status == 200 and r.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert r.header("X-RateLimit-Remaining") == "0"
    assert pool_budgets(g) == pool_before
    assert fake.writes == []


def test_passthrough_with_a_bad_client_token_gets_401(ghpool, fake):
    g = ghpool(allowed_owners=EVERYONE)
    r = gql(g, ADD_COMMENT, auth="token tok_unknown_zzz")
    assert_message(r, 401)
    for rec in upstream(fake):
        assert rec.headers.get_all("Authorization") == ["token tok_unknown_zzz"], rec
    assert fake.writes == []


# ---------------------------------------------------------------------------
# 7. without "*" in allowed_owners: queries about allowed owners are pooled, the rest is
#    refused; the client's own token only with [policy] passthrough_denied_reads
# ---------------------------------------------------------------------------

def assert_denied(r: Reply, rule: str) -> None:
    """ghpool's GraphQL-shaped 403 naming the policy rule."""
    body = assert_json_error(r, 403)
    assert isinstance(body.get("errors"), list) and body["errors"], body
    assert isinstance(body["errors"][0].get("message"), str) and body["errors"][0]["message"]
    assert body["errors"][0].get("extensions", {}).get("ghpool_rule") == rule, body


@pytest.mark.parametrize("auth", [None, CLIENT_AUTH], ids=["no-auth", "client-auth"])
def test_query_about_an_allowed_owner_runs_pooled_without_wildcard_owner(ghpool, fake, auth):
    g = ghpool(cache=cache())                 # allowed_owners = ["octo-org", "alice"]
    docs = [Q, '{ user(login: "alice") { login } }']
    for doc in docs:
        r = gql(g, doc, auth=auth)
        rec = upstream(fake)[-1]
        who = assert_pooled(r, rec, expect="MISS")
        assert rec.login == LOGINS[who] and "errors" not in r.json(), r.json()
        again = gql(g, doc, auth=auth)
        assert (again.status, outcome(again), again.body) == (200, "HIT", r.body), again
    assert r.json() == {"data": {"user": {"login": "alice"}}}
    assert len(upstream(fake)) == len(docs)
    assert fake.requests(token=CLIENT_TOKEN) == []


OWNERS_CASES = [pytest.param(["octo-org", "alice"], id="some-owners"),
                pytest.param([], id="none")]


def _denied_docs(owners: list[str]) -> list[tuple[str, str]]:
    """(document, rule) pairs the policy refuses under allowed_owners = owners."""
    docs = [(VIEWER, "identity"),
            ('{ repository(owner: "evil-corp", name: "secret") { name } }', "owner")]
    if not owners:
        docs.append((Q, "owner"))
    return docs


@pytest.mark.parametrize("owners", OWNERS_CASES)
def test_denied_query_with_authorization_is_403(ghpool, fake, owners):
    """Without passthrough_denied_reads the client's Authorization does not turn a denied
    query into one run with the client's token (it used to, without "*")."""
    g = ghpool(allowed_owners=owners, cache=cache())
    for doc, rule in _denied_docs(owners):
        for _ in (1, 2):
            assert_denied(gql(g, doc, auth=CLIENT_AUTH), rule)
    assert upstream(fake) == []


@pytest.mark.parametrize("owners", OWNERS_CASES)
def test_denied_query_uses_the_clients_token_with_passthrough_denied_reads(ghpool, fake,
                                                                            owners):
    g = ghpool(allowed_owners=owners, cache=cache(),
               policy={"passthrough_denied_reads": True})
    for doc, _ in _denied_docs(owners):
        body = graphql_body(doc)
        for _ in (1, 2):                      # never cached: each reaches GitHub
            before = len(upstream(fake))
            r = gql(g, body=body, auth=CLIENT_AUTH)
            recs = upstream(fake)
            assert len(recs) == before + 1, recs
            assert_passthrough(r, recs[-1], CLIENT_AUTH, body)
            assert recs[-1].login == "carol-gh"
    assert gql(g, VIEWER, auth=CLIENT_AUTH).json() == {"data": {"viewer": {"login": "carol-gh"}}}
    assert [x for x in upstream(fake) if x.token in POOL.values()] == []


@pytest.mark.parametrize("owners", OWNERS_CASES)
@pytest.mark.parametrize("doc", [VIEWER, ADD_COMMENT], ids=["query", "mutation"])
def test_graphql_without_wildcard_owner_nor_authorization_is_refused(ghpool, fake, owners, doc):
    g = ghpool(allowed_owners=owners, cache=cache())
    r = gql(g, doc)
    assert upstream(fake) == []
    if doc == ADD_COMMENT:                 # a mutation needs the client's token: 401 as ever
        assert_message(r, 401)
        return
    body = assert_json_error(r, 403)
    assert isinstance(body.get("errors"), list) and body["errors"], body
    assert isinstance(body["errors"][0].get("message"), str) and body["errors"][0]["message"]
    assert upstream(fake) == []


# ---------------------------------------------------------------------------
# the JSON body: duplicate members must not smuggle a mutation onto a pooled token
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    pytest.param(b'{"query": "' + ADD_COMMENT.replace('"', '\\"').encode()
                 + b'", "query": "{ viewer { login } }"}', id="mutation-then-query"),
    pytest.param(b'{"query": "{ viewer { login } }", "query": "'
                 + ADD_COMMENT.replace('"', '\\"').encode() + b'"}', id="query-then-mutation"),
    pytest.param(b'{"query": "query A { viewer { login } } mutation B { addComment(input: {}) '
                 b'{ subject { id } } }", "operationName": "A", "operationName": "B"}',
                 id="two-operationNames"),
])
def test_duplicate_json_members_never_run_pooled(ghpool, fake, body):
    """GitHub's JSON parser and ghpool's could pick different duplicates: either refuse (400)
    or pass the body through with the client's token; never a pooled token."""
    g = ghpool(allowed_owners=EVERYONE, cache=cache())
    r = gql(g, body=body, auth=CLIENT_AUTH)
    if r.status == 400:
        assert_message(r, 400)
        assert upstream(fake) == []
    else:
        assert_passthrough(r, upstream(fake)[-1], CLIENT_AUTH, body)
    assert [x for x in upstream(fake) if x.token in POOL.values()] == []
