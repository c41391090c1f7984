"""Access policy for pooled requests (issue #6): what a client may read with the pool's
tokens, which client it is ([[clients]] keys), and what it is told when it may not.

Black-box, like the rest of the suite: the fake GitHub's request log says what reached
"GitHub" and with which token; ghpool's answer says what the client was told.

* ATTACK corpus: requests that must never reach GitHub on a pooled token -- 400 for paths
  GitHub could route differently from the one judged, 403 {"message", "ghpool_rule"} (REST)
  or 403 {"errors": [{"message", "extensions": {"ghpool_rule"}}]} (GraphQL) for the rest.
  Only a /repositories/{id} lookup (ghpool's own GET /repositories/{id}) may reach the fake.
* LEGITIMATE corpus: what gh and Octokit send for octo-org's and alice's repositories;
  each must reach the fake exactly as sent (raw target or body bytes) on a pooled token
  and come back 2xx. test_legit_corpus_is_answered_by_the_fake checks the fake side alone.
* Client keys, passthrough_denied_reads, graphql_node_lookup, allow_paths, /rate_limit.

Each corpus chunk runs through one ghpool (a process start per request would be minutes);
every entry is still judged on its own (the fake's log is sliced per request) and all
failing entries of a chunk are reported together.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import base_env, free_port, to_toml
from fake_github.client import (Reply, graphql_body, non_read_uses, parse_raw_response,
                                raw_exchange, request)

POOL_TOKENS = {"tok_alice", "tok_bob"}           # the default pool: identities alice, bob
CLIENT_TOKEN = "tok_carol"                       # a client's own token (never the pool's)
CLIENT_AUTH = f"token {CLIENT_TOKEN}"
REST_RULES = {"owner", "repository_id", "search", "identity", "path"}
GQL_RULES = {"owner", "search", "identity", "graphql_field", "graphql_node"}
LOOKUP = re.compile(r"^/repositories/\d+$")      # ghpool's own id -> owner lookup

# [[clients]] keys (resolved values must be >= 16 characters)
KEY_A = "team-a-key-7f3c9e1d5b"
KEY_B_OLD = "team-b-old-key-0a1b2c3d"
KEY_B_NEW = "team-b-new-key-9z8y7x6w"
KEY_C = "sixteen-chars-16"              # exactly the minimum length
KEY_ENV = {"TEAM_A_KEY": KEY_A, "TEAM_B_OLD": KEY_B_OLD, "TEAM_B_NEW": KEY_B_NEW,
           "TEAM_C_KEY": KEY_C}
CLIENTS = [
    {"id": "team-a", "key": "env:TEAM_A_KEY", "allowed_owners": ["octo-org"]},
    {"id": "team-b", "keys": ["env:TEAM_B_OLD", "env:TEAM_B_NEW"]},
    {"id": "team-c", "key": "env:TEAM_C_KEY", "allowed_owners": ["alice"]},
]
ALL_KEYS = (KEY_A, KEY_B_OLD, KEY_B_NEW, KEY_C)


def cache_on() -> dict:
    return {"max_entries": 1000}


def sha(rid: int, n: int = 2) -> str:
    """The fake's fixed commit SHAs (n = 2 is "main")."""
    return hashlib.sha1(f"{rid}:{n}".encode()).hexdigest()


# ---------------------------------------------------------------------------
# corpus entries
# ---------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    method: str = "GET"
    target: str | bytes = "/"            # bytes: sent raw (control characters)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    gql: bool = False                    # POST /graphql with body
    status: tuple[int, ...] = (403,)     # acceptable statuses
    rules: tuple[str, ...] | None = None  # acceptable ghpool_rule values (None: any)
    lookup: bool = False                 # GET /repositories/{id} may reach the fake
    local: bool = False                  # legit: answered by ghpool itself
    any_body: bool = False               # 400 from the HTTP parser itself (raw NUL):
                                         # the body need not be ghpool's JSON


def bad(target: str | bytes, method: str = "GET", **kw: Any) -> Case:
    """A path GitHub could route differently from the one judged: 400."""
    return Case(id=f"400 {method} {target!r}", method=method, target=target, status=(400,), **kw)


def deny(target: str, *rules: str, method: str = "GET", **kw: Any) -> Case:
    return Case(id=f"403 {method} {target}", method=method, target=target,
                rules=rules or None, **kw)


def gdeny(name: str, query: str, *rules: str, variables: Any = None,
          operation_name: Any = None, status: tuple[int, ...] = (403,)) -> Case:
    return Case(id=f"gql {name}", method="POST", target="/graphql", gql=True,
                body=graphql_body(query, variables, operation_name),
                headers={"Content-Type": "application/json"}, rules=rules or None,
                status=status)


def write(method: str, target: str, *rules: str, status: tuple[int, ...] = (403,),
          **kw: Any) -> Case:
    return Case(id=f"write {method} {target}", method=method, target=target,
                headers={"Authorization": CLIENT_AUTH, "Content-Type": "application/json"},
                body=json.dumps({"title": "pwned", "body": "x"}).encode(), status=status,
                rules=rules or None, **kw)


# -- traversal, encodings, empty segments: 400 ------------------------------
TRAVERSAL = [
    bad("/repos/octo-org/hello/../../evil-corp/secret"),
    bad("/repos/octo-org/hello/.."),
    bad("/repos/octo-org/hello/./issues"),
    bad("/repos/octo-org/../evil-corp/secret"),
    bad("/repos/../repos/evil-corp/secret"),
    bad("/repos/octo-org/.."),
    bad("/repos/octo-org/hello/%2e%2e/%2e%2e/evil-corp/secret"),
    bad("/repos/octo-org/hello/%2E%2e/x"),
    bad("/repos/octo-org/hello/.%2e/x"),
    bad("/repos/octo-org/hello/%2e./x"),
    bad("/repos/octo-org/hello/%2e/issues"),
    bad("/repos/octo-org/hello/%2E"),
    bad("/repos/octo-org/hello/contents/a%2F..%2F..%2F..%2Fevil-corp%2Fsecret"),
    bad("/repos/octo-org/hello/contents/a%2f%2e%2e%2fb"),
    bad("/repos/octo-org/hello/contents/%2e%2e%2f%2e%2e%2fevil"),
    bad("/repos/octo-org/hello/git/ref/heads%2F..%2F..%2F..%2F..%2Fevil-corp"),
    bad("/repos/octo-org/hello/contents/docs%2F.%2Fa.md"),
    bad("/repos/octo-org/hello/issues%2F..%2F..%2F..%2Fevil-corp%2Fsecret"),
    bad("/repos/octo-org/hello\\..\\..\\evil-corp\\secret"),
    bad("/repos/octo-org/hello/%5c..%5c..%5cevil-corp"),
    bad("/repos/octo-org/hello/contents/a%5Cb"),
    bad("/repos/octo-org/hello/%00"),
    bad("/repos/octo-org/hello/issues%00"),
    bad("/repos/octo-org/hello/contents/a%00.md"),
    bad("/repos/octo-org/hello/%0d%0aX-Injected:%20yes"),
    bad("/repos/octo-org/hello/contents/a%0Ab"),
    bad("/repos/octo-org/hello/%09"),
    bad("/repos/octo-org/hello/%7f"),
    bad("/repos/octo-org/hello/contents/%1b%5b31m"),
    bad(b"/repos/octo-org/hello/\x01"),
    bad(b"/repos/octo-org/hello/issues\x7f"),
    bad(b"/repos/octo-org/hello/\x00x", any_body=True),
    bad("//repos/evil-corp/secret"),
    bad("/repos//octo-org/hello"),
    bad("/repos/octo-org//hello"),
    bad("/repos/octo-org/hello//issues"),
    bad("/repos/octo-org/hello/"),
    bad("/repos/octo-org/hello/issues/"),
    bad("/repos/octo-org/"),
    bad("/orgs/octo-org/"),
    bad("/repos/octo-org/hello//"),
    bad("/search/issues/?q=repo:octo-org/hello"),
    # any percent-encoding in the segments that decide the owner
    bad("/%72epos/evil-corp/secret"),
    bad("/%72%65%70%6f%73/evil-corp/secret"),
    bad("/repos/%65vil-corp/secret"),
    bad("/repos/octo%2Dorg/hello"),
    bad("/repos/%6Fcto-org/hello"),
    bad("/repos/octo-org/hell%6f"),
    bad("/repos/octo-org/hello%2Fissues"),
    bad("/repos/octo-org%2Fhello/issues"),
    bad("/repos/evil-corp%2Fsecret/x"),
    bad("/repos/%252e%252e/evil-corp"),
    bad("/repos/octo-org/%252e%252e"),
    bad("/repos/octo-org/%20hello"),
    bad("/repos/octo-org%20/hello"),
    bad("/orgs/%65vil-corp"),
    bad("/orgs/octo%2Dorg/repos"),
    bad("/users/al%69ce"),
    bad("/users/alice%2F..%2F..%2Fuser"),
    bad("/repositories/%31%30%30%34"),
    bad("/repositories/1001%2F..%2F1004"),
    bad("/networks/%65vil-corp/secret/events"),
    bad("/networks/octo-org/hell%6f/events"),
    bad("/search%2Fissues?q=repo:evil-corp/secret"),
    bad("/%75ser"),
    bad("/%75ser/repos"),
    bad("/repos/octo-org%00/hello"),
    bad("/repos/octo-org/hello%00/issues"),
    bad("/repos/AL%C4%B0CE/tools"),                  # dotted capital I, folds to "i"
    # absolute-form and asterisk-form request targets
    Case(id="raw absolute-form foreign", target=b"http://127.0.0.1/repos/evil-corp/secret",
         status=(400, 403), any_body=True),
    Case(id="raw absolute-form traversal",
         target=b"http://127.0.0.1/repos/octo-org/hello/../../evil-corp/secret",
         status=(400, 403), any_body=True),
    Case(id="raw absolute-form user", target=b"https://api.github.com/user",
         status=(400, 403), any_body=True),
    Case(id="raw asterisk-form", target=b"*", status=(400, 403, 405), any_body=True),
    bad("/repos/octo-org%2e/hello"),
    bad("/repositories/1001/../1004"),
]

# -- owner families: 403 "owner" ---------------------------------------------
OWNERS = [
    deny("/repos/evil-corp/secret", "owner"),
    deny("/repos/evil-corp/secret/issues?per_page=100", "owner"),
    deny("/repos/evil-corp/secret/contents/README.md?ref=main", "owner"),
    deny("/repos/evil-corp/secret/contents/src%2Fmain.c", "owner"),
    deny("/repos/evil-corp/secret/git/ref/heads%2Fmain", "owner"),
    deny("/repos/evil-corp/secret/pulls/1", "owner"),
    deny("/repos/EVIL-CORP/secret", "owner"),
    deny("/repos/Evil-Corp/Secret/pulls", "owner"),
    deny("/REPOS/evil-corp/secret", "owner"),
    deny("/Repos/evil-corp/secret/issues", "owner"),
    deny("/rePos/EVIL-corp/secret", "owner"),
    deny("/repos/octo-org-evil/hello", "owner"),
    deny("/repos/octo-or/hello", "owner"),
    deny("/repos/xocto-org/hello", "owner"),
    deny("/repos/alice-x/tools", "owner"),
    deny("/repos/xalice/tools", "owner"),
    deny("/repos/alice-gh/tools", "owner"),          # a pooled identity's own login
    deny("/repos/bob-gh/private", "owner"),
    deny("/repos/evil-corp", "owner"),
    deny("/repos/octo-org@evil-corp/hello", "owner", status=(400, 403)),
    deny("/repos/octo-org;evil-corp/hello", "owner", status=(400, 403)),
    deny("/repos/octo-org./hello", "owner", status=(400, 403)),
    deny("/orgs/evil-corp", "owner"),
    deny("/orgs/evil-corp/repos?per_page=100", "owner"),
    deny("/orgs/EVIL-CORP/members", "owner"),
    deny("/ORGS/evil-corp", "owner"),
    deny("/orgs/evil-corp/installation", "owner"),
    deny("/orgs/mallory-inc/teams", "owner"),
    deny("/users/evil-corp", "owner"),
    deny("/users/mallory/repos", "owner"),
    deny("/users/mallory/events/public", "owner"),
    deny("/Users/Mallory", "owner"),
    deny("/users/alice-gh", "owner"),
    deny("/users/bob-gh/repos", "owner"),
    deny("/networks/evil-corp/secret/events", "owner"),
    deny("/networks/EVIL-CORP/secret/events", "owner"),
    deny("/networks/mallory/x/events", "owner"),
    deny("/repos/evil-corp/secret", "owner", method="HEAD"),
    deny("/orgs/evil-corp", "owner", method="HEAD"),
]

# -- /repositories/{id}: resolved through ghpool's own lookup -----------------
# An id resolved to a foreign owner may be named by either rule: "repository_id" (the
# id's rule) or "owner" (what the resolved owner failed); an unknown id is "repository_id".
FOREIGN_ID = ("repository_id", "owner")
IDS = [
    deny("/repositories/1004", *FOREIGN_ID, lookup=True),
    deny("/repositories/1004/issues?per_page=100", *FOREIGN_ID, lookup=True),
    deny("/repositories/1004/contents/README.md", *FOREIGN_ID, lookup=True),
    deny("/repositories/1004/pulls/1", *FOREIGN_ID, lookup=True),
    deny("/repositories/9999", "repository_id", lookup=True),           # unknown id
    deny("/repositories/9999/issues", "repository_id", lookup=True),
    deny("/REPOSITORIES/1004", *FOREIGN_ID, "path", lookup=True),
    deny("/repositories/1004", *FOREIGN_ID, method="HEAD", lookup=True),
    deny("/repositories/01004", *FOREIGN_ID, "path", status=(400, 403), lookup=True),
    deny("/repositories/1004abc", "repository_id", "path", status=(400, 403), lookup=True),
    deny("/repositories/-1", "repository_id", "path", status=(400, 403), lookup=True),
    deny("/repositories/+1004", *FOREIGN_ID, "path", status=(400, 403), lookup=True),
    deny("/repositories/1004.json", *FOREIGN_ID, "path", status=(400, 403), lookup=True),
    deny("/repositories/99999999999999999999999", "repository_id", "path",
         status=(400, 403), lookup=True),
]

# -- /search/*: one q, owner qualifiers, all allowed ---------------------------
S = "/search/issues?q="
SEARCH = [
    deny("/search/repositories?q=hello", "search"),
    deny(S + "is:open", "search"),
    deny(S + "is:open+is:pr+author:alice", "search"),
    deny("/search/issues", "search"),
    deny(S, "search"),
    deny(S + "repo:evil-corp/secret", "search"),
    deny(S + "repo%3Aevil-corp%2Fsecret", "search"),
    deny(S + "repo:octo-org/hello+repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%20repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%09repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%0Arepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%0Drepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%0Brepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%0Crepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%C2%A0repo:evil-corp/secret", "search"),
    deny(S + "org:evil-corp", "search"),
    deny(S + "user:mallory", "search"),
    deny(S + "user:alice-gh", "search"),
    deny(S + "org:octo-org+org:evil-corp", "search"),
    deny(S + "user:alice+user:evil-corp", "search"),
    deny(S + "repo:octo-org/hello+user:evil-corp", "search"),
    deny(S + "-repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello+-repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello+-org:evil-corp", "search"),
    deny(S + "-repo:octo-org/hello", "search"),
    deny(S + "is:open+-org:octo-org", "search"),
    deny(S + "REPO:evil-corp/secret", "search"),
    deny(S + "Repo:octo-org/hello+rEpO:evil-corp/x", "search"),
    deny(S + "repo:octo-org/hello+ORG:evil-corp", "search"),
    deny(S + "repo:octo-org/hello+r%65po:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello+OR+repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello+OR+is:open", "search"),
    deny(S + "repo:octo-org/hello+AND+bug", "search"),
    deny(S + "repo:octo-org/hello+NOT+bug", "search"),
    deny(S + "(repo:octo-org/hello)", "search"),
    deny(S + "repo:octo-org/hello+(is:open+OR+is:closed)", "search"),
    deny(S + "repo:octo-org/hello+foo,repo:evil-corp/x", "search"),
    deny(S + "repo:octo-org/hello+%22repo:evil-corp/x%22", "search"),
    deny(S + "repo:octo-org/hello+x%22repo:evil-corp/x", "search"),
    deny(S + "repo:%22evil-corp/secret%22", "search"),
    deny(S + "repo:octo-org/hello/../../evil-corp/secret", "search"),
    deny(S + "repo:octo-org", "search"),
    deny(S + "repo:octo-org/hello/extra", "search"),
    deny(S + "repo:*/hello", "search"),
    deny(S + "org:octo-org,evil-corp", "search"),
    deny(S + "repo:octo-org/hello+repo:", "search"),
    deny(S + "repo:octo-org/hello%2Brepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello+%2Brepo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello%00repo:evil-corp/secret", "search", status=(400, 403)),
    deny(S + "repo:octo-org/hello%00+repo:evil-corp/secret", "search", status=(400, 403)),
    deny(S + "%22repo:octo-org/hello%22", "search"),
    deny(S + "repo:octo-org/hello&q", "search"),
    deny(S + "repo:octo-org/hello&q=repo:evil-corp/secret", "search"),
    deny(S + "repo:evil-corp/secret&q=repo:octo-org/hello", "search"),
    deny(S + "repo:octo-org/hello&q=", "search"),
    deny("/search/issues?q[]=repo:evil-corp/secret", "search"),
    deny("/search/issues?q[]=repo:evil-corp/secret&q=repo:octo-org/hello", "search"),
    deny("/search/issues?q=repo:octo-org/hello&%71=repo:evil-corp/secret", "search",
         status=(400, 403)),
    deny(S + "repo:octo-org/hello;q=repo:evil-corp/secret", "search"),
    deny(S + "repo:octo-org/hello;repo:evil-corp/secret", "search"),
    deny("/search/code?q=org:evil-corp+password", "search"),
    deny("/search/commits?q=repo:evil-corp/secret+fix", "search"),
    deny("/search/users?q=mallory", "search"),
    deny("/search/topics?q=secret", "search"),
    deny("/Search/issues?q=repo:evil-corp/secret", "search", "path"),
    deny("/SEARCH/issues?q=is:open", "search", "path"),
]

# -- the pooled identities' own data: 403 "identity" ---------------------------
IDENTITY = [
    deny("/user", "identity"),
    deny("/user/repos?per_page=100&visibility=private", "identity"),
    deny("/user/12", "identity"),
    deny("/user/orgs", "identity"),
    deny("/user/emails", "identity"),
    deny("/user/keys", "identity"),
    deny("/user/installations", "identity"),
    deny("/user/starred/octo-org/hello", "identity"),
    deny("/user/subscriptions", "identity"),
    deny("/User", "identity", "path"),
    deny("/USER/repos", "identity", "path"),
    deny("/notifications", "identity"),
    deny("/notifications?all=true&participating=false", "identity"),
    deny("/notifications/threads/1", "identity"),
    deny("/issues", "identity"),
    deny("/issues?filter=all&state=open", "identity"),
    deny("/gists", "identity"),
    deny("/gists/public", "identity"),
    deny("/gists/starred", "identity"),
    deny("/gists/aa5a315d61ae9438b18d", "identity"),
    deny("/installation/repositories", "identity"),
    deny("/user", "identity", method="HEAD"),
]

# -- everything else without allow_paths: 403 "path" ---------------------------
PATHS = [
    deny("/advisories", "path"),
    deny("/advisories/GHSA-abcd-efgh-ijkl", "path"),
    deny("/events", "path"),
    deny("/feeds", "path"),
    deny("/organizations", "path"),
    deny("/organizations/123", "path"),
    deny("/organizations/9001/repos", "path"),
    deny("/repositories", "path"),
    deny("/users", "path"),
    deny("/users?since=100", "path"),
    deny("/enterprises/x", "path"),
    deny("/enterprises/x/actions/runners", "path"),
    deny("/projects/1", "path"),
    deny("/projects/columns/1", "path"),
    deny("/teams/1", "path"),
    deny("/teams/1/repos", "path"),
    deny("/app", "path"),
    deny("/app/installations", "path"),
    deny("/marketplace_listing/plans", "path"),
    deny("/applications/grants", "path"),
    deny("/authorizations", "path"),
    deny("/scim/v2/organizations/octo-org/Users", "path"),
    deny("/admin/users", "path"),
    deny("/nope", "path"),
    deny("/_fake/requests", "path"),
]

# -- writes (client's own token): owner families still judged -------------------
WRITES = [
    write("POST", "/repos/evil-corp/secret/issues", "owner"),
    write("PATCH", "/repos/evil-corp/secret/issues/1", "owner"),
    write("DELETE", "/repos/evil-corp/secret", "owner"),
    write("PUT", "/repos/evil-corp/secret/contents/x.md", "owner"),
    write("POST", "/repos/EVIL-CORP/secret/issues/1/comments", "owner"),
    write("POST", "/orgs/evil-corp/repos", "owner"),
    write("PATCH", "/networks/evil-corp/secret", "owner"),
    write("POST", "/repositories/1004/issues", "repository_id", "owner", lookup=True),
    write("POST", "/repos/%65vil-corp/secret/issues", "owner", status=(400, 403)),
    write("POST", "/repos/octo-org/hello/%2e%2e/%2e%2e/evil-corp/secret/issues",
          status=(400,)),
]

# -- GraphQL: root fields judged ------------------------------------------------
EVIL = 'repository(owner: "evil-corp", name: "secret") { id nameWithOwner }'
HELLO = 'repository(owner: "octo-org", name: "hello") { id }'
GRAPHQL = [
    gdeny("viewer", "{ viewer { login } }", "identity"),
    gdeny("viewer-named", "query Who { viewer { login email } }", "identity"),
    gdeny("viewer-alias", "{ me: viewer { login } }", "identity"),
    gdeny("viewer-beside-allowed", "{ rateLimit { cost } " + HELLO + " viewer { login } }",
          "identity"),
    gdeny("viewer-alias-typename", "{ __typename: viewer { login } }", "identity"),
    gdeny("viewer-in-inline-fragment", "{ " + HELLO + " ... on Query { viewer { login } } }",
          "identity"),
    gdeny("foreign-repository", "{ " + EVIL + " }", "owner"),
    gdeny("foreign-repository-case", '{ repository(owner: "EVIL-CORP", name: "secret") '
          "{ id } }", "owner"),
    gdeny("alias-hides-foreign", "{ hello: " + HELLO + " other: " + EVIL + " }", "owner"),
    gdeny("alias-named-like-allowed-field", "{ rateLimit: " + EVIL + " }", "owner"),
    gdeny("alias-named-repository", '{ repository: repository(owner: "evil-corp", '
          'name: "secret") { id } }', "owner"),
    gdeny("named-fragment", "query { ...F } fragment F on Query { " + EVIL + " }", "owner"),
    gdeny("fragment-defined-first", "fragment F on Query { " + EVIL + " } query Q { ...F }",
          "owner"),
    gdeny("nested-fragments", "query { ...A } fragment A on Query { rateLimit { cost } ...B } "
          "fragment B on Query { ...C } fragment C on Query { " + EVIL + " }", "owner"),
    gdeny("fragment-beside-allowed", "query { " + HELLO + " ...F } fragment F on Query { "
          + EVIL + " }", "owner"),
    gdeny("inline-fragment-typed", "{ ... on Query { " + EVIL + " } }", "owner"),
    gdeny("inline-fragment-untyped", "{ ... { " + EVIL + " } }", "owner"),
    gdeny("inline-in-named-fragment", "query { ...F } fragment F on Query { ... on Query { "
          "... { " + EVIL + " } } }", "owner"),
    gdeny("inline-with-directive", "{ ... @include(if: true) { " + EVIL + " } }", "owner"),
    gdeny("field-with-skip-false", '{ repository(owner: "evil-corp", name: "secret") '
          "@skip(if: false) { id } }", "owner"),
    gdeny("variable", "query($o: String!, $n: String!) { repository(owner: $o, name: $n) "
          "{ id } }", "owner", variables={"o": "evil-corp", "n": "secret"}),
    gdeny("variable-default", 'query($o: String = "evil-corp") { repository(owner: $o, '
          'name: "secret") { id } }', "owner"),
    gdeny("variable-default-empty-variables", 'query($o: String = "evil-corp") '
          '{ repository(owner: $o, name: "secret") { id } }', "owner", variables={}),
    gdeny("variable-overrides-allowed-default", 'query($o: String = "octo-org") '
          '{ repository(owner: $o, name: "secret") { id } }', "owner",
          variables={"o": "evil-corp"}),
    gdeny("variable-in-fragment", "query Q($o: String!) { ...F } fragment F on Query { "
          'repository(owner: $o, name: "secret") { id } }', "owner",
          variables={"o": "evil-corp"}),
    gdeny("variable-null-over-allowed-default", 'query($o: String = "octo-org") '
          '{ repository(owner: $o, name: "hello") { id } }', variables={"o": None}),
    gdeny("variable-missing", 'query($o: String) { repository(owner: $o, name: "hello") '
          "{ id } }"),
    gdeny("variable-object", 'query($o: String) { repository(owner: $o, name: "hello") '
          "{ id } }", variables={"o": {"login": "octo-org"}}),
    gdeny("variable-list", 'query($o: String) { repository(owner: $o, name: "hello") '
          "{ id } }", variables={"o": ["octo-org"]}),
    gdeny("owner-missing", '{ repository(name: "hello") { id } }'),
    gdeny("owner-number", '{ repository(owner: 42, name: "hello") { id } }'),
    gdeny("owner-enum", '{ repository(owner: OCTO_ORG, name: "hello") { id } }'),
    gdeny("owner-null", '{ repository(owner: null, name: "hello") { id } }'),
    gdeny("owner-list", '{ repository(owner: ["octo-org"], name: "hello") { id } }'),
    gdeny("owner-dotless-i", '{ repository(owner: "al\u0131ce", name: "tools") { id } }',
          "owner"),
    gdeny("owner-kelvin-sign", '{ repository(owner: "octo-org\u212A", name: "x") { id } }',
          "owner"),
    gdeny("duplicate-owner-argument", '{ repository(owner: "octo-org", owner: "evil-corp", '
          'name: "secret") { id } }', status=(400, 403)),
    gdeny("duplicate-owner-argument-reversed", '{ repository(owner: "evil-corp", name: '
          '"secret", owner: "octo-org") { id } }', status=(400, 403)),
    gdeny("fragment-cycle-with-foreign", "query { ...A } fragment A on Query { ...B " + EVIL
          + " } fragment B on Query { ...A }", status=(400, 403)),
    gdeny("node-variable-default", 'query($id: ID = "R_1004") { node(id: $id) { id } }',
          "graphql_node"),
    gdeny("owner-unicode-escape", '{ repository(owner: "evil\\u002Dcorp", name: "secret") '
          "{ id } }", "owner"),
    gdeny("owner-block-string", '{ repository(owner: """evil-corp""", name: "secret") '
          "{ id } }", "owner"),
    gdeny("field-after-comment-ended-by-cr", "{ rateLimit { cost } # x\r " + EVIL + " }",
          "owner", status=(400, 403)),
    gdeny("field-after-comment-ended-by-crlf", "{ rateLimit { cost } # x\r\n" + EVIL + " }",
          "owner"),
    gdeny("block-string-with-escaped-quotes", '{ search(query: """repo:octo-org/hello '
          '\\""" repo:evil-corp/secret""", type: ISSUE, first: 1) { issueCount } }',
          status=(400, 403)),
    gdeny("variable-name-case", 'query($o: String = "octo-org", $O: String) '
          '{ repository(owner: $O, name: "secret") { id } }', "owner",
          variables={"O": "evil-corp", "o": "octo-org"}),
    gdeny("owner-after-comment", '{ repository(owner: # "octo-org"\n "evil-corp", '
          'name: "secret") { id } }', "owner"),
    gdeny("organization", '{ organization(login: "evil-corp") { id login } }', "owner"),
    gdeny("organization-variable", "query($l: String!) { organization(login: $l) "
          "{ repositories(first: 5) { nodes { name } } } }", "owner",
          variables={"l": "evil-corp"}),
    gdeny("organization-no-login", "{ organization { login } }"),
    gdeny("user", '{ user(login: "mallory") { login } }', "owner"),
    gdeny("user-pool-identity", '{ user(login: "alice-gh") { login repositories(first: 5) '
          "{ nodes { name } } } }", "owner"),
    gdeny("repositoryOwner", '{ repositoryOwner(login: "evil-corp") { login } }', "owner"),
    gdeny("repositoryOwner-login-number", "{ repositoryOwner(login: 9003) { login } }"),
    gdeny("search-no-qualifier", '{ search(query: "is:open", type: ISSUE, first: 5) '
          "{ issueCount } }", "search"),
    gdeny("search-foreign", '{ search(query: "repo:evil-corp/secret", type: ISSUE, first: 5) '
          "{ issueCount } }", "search"),
    gdeny("search-or", '{ search(query: "repo:octo-org/hello OR repo:evil-corp/secret", '
          "type: ISSUE, first: 5) { issueCount } }", "search"),
    gdeny("search-negated-foreign", '{ search(query: "repo:octo-org/hello -org:evil-corp", '
          "type: ISSUE, first: 5) { issueCount } }", "search"),
    gdeny("search-quoted-qualifier", '{ search(query: "repo:octo-org/hello '
          '\\"repo:evil-corp/x\\"", type: ISSUE, first: 5) { issueCount } }', "search"),
    gdeny("search-variable", "query($q: String!) { search(query: $q, type: ISSUE, first: 5) "
          "{ issueCount } }", "search", variables={"q": "org:evil-corp"}),
    gdeny("search-variable-default", 'query($q: String = "user:mallory") '
          "{ search(query: $q, type: REPOSITORY, first: 5) { repositoryCount } }", "search"),
    gdeny("search-no-query", "{ search(type: ISSUE, first: 5) { issueCount } }"),
    gdeny("search-in-fragment", "query { ...S } fragment S on Query { search("
          'query: "org:evil-corp", type: ISSUE, first: 1) { issueCount } }', "search"),
    gdeny("resource-foreign", '{ resource(url: "https://github.com/evil-corp/secret") '
          "{ __typename } }", "graphql_field"),
    gdeny("resource-allowed-owner", '{ resource(url: "https://github.com/octo-org/hello") '
          "{ __typename } }", "graphql_field"),
    gdeny("relay", "{ relay { viewer { login } } }", "graphql_field", "identity"),
    gdeny("enterprise", '{ enterprise(slug: "x") { id } }', "graphql_field"),
    gdeny("topic", '{ topic(name: "x") { id } }', "graphql_field"),
    gdeny("securityAdvisories", "{ securityAdvisories(first: 1) { nodes { ghsaId } } }",
          "graphql_field"),
    gdeny("license", '{ license(key: "mit") { name } }', "graphql_field"),
    gdeny("codeOfConduct", '{ codeOfConduct(key: "x") { name } }', "graphql_field"),
    gdeny("marketplaceListings", "{ marketplaceListings(first: 1) { nodes { slug } } }",
          "graphql_field"),
    gdeny("sponsorables", "{ sponsorables(first: 1) { nodes { __typename } } }",
          "graphql_field"),
    gdeny("unknown-beside-allowed", "{ " + HELLO + ' meta { gitIpAddresses } }',
          "graphql_field"),
    gdeny("node-foreign-repo", '{ node(id: "R_1004") { id } }', "graphql_node"),
    gdeny("node-allowed-but-unseen", '{ node(id: "I_1001_1") { id } }', "graphql_node"),
    gdeny("node-alias", '{ n: node(id: "O_9003") { id } }', "graphql_node"),
    gdeny("node-variable", "query($id: ID!) { node(id: $id) { id } }", "graphql_node",
          variables={"id": "I_1004_1"}),
    gdeny("node-in-fragment", 'query { ...N } fragment N on Query { node(id: "R_1004") '
          "{ id } }", "graphql_node"),
    gdeny("nodes", '{ nodes(ids: ["R_1001", "R_1004"]) { id } }', "graphql_node"),
    gdeny("nodes-variable", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
          "graphql_node", variables={"ids": ["I_1004_1"]}),
    gdeny("node-no-id", "{ node { id } }"),
    gdeny("operationName-picks-foreign", "query A { " + HELLO + " } query B { " + EVIL + " }",
          "owner", operation_name="B"),
]

def graw(name: str, body: bytes, *rules: str, status: tuple[int, ...] = (400, 403)) -> Case:
    """A hand-written JSON body (duplicate members, escapes the encoder would not make):
    duplicates may be refused as JSON (400) or denied (403)."""
    return Case(id=f"gql-json {name}", method="POST", target="/graphql", gql=True, body=body,
                headers={"Content-Type": "application/json"}, status=status,
                rules=rules or None)


_VQ = b'"query": "query($o: String!) { repository(owner: $o, name: \\"secret\\") { id } }"'
GRAPHQL += [
    graw("duplicate-variables-members", b"{" + _VQ + b', "variables": {"o": "octo-org"}, '
         b'"variables": {"o": "evil-corp"}}'),
    graw("duplicate-variables-members-reversed", b"{" + _VQ + b', "variables": '
         b'{"o": "evil-corp"}, "variables": {"o": "octo-org"}}'),
    graw("duplicate-variable", b"{" + _VQ + b', "variables": {"o": "octo-org", '
         b'"o": "evil-corp"}}'),
    graw("duplicate-variable-reversed", b"{" + _VQ + b', "variables": {"o": "evil-corp", '
         b'"o": "octo-org"}}'),
    graw("escaped-variable-name", b"{" + _VQ + b', "variables": {"\\u006f": "evil-corp"}}',
         "owner", status=(403,)),
    graw("variables-null-foreign-default",
         b'{"query": "query($o: String = \\"evil-corp\\") { repository(owner: $o, '
         b'name: \\"secret\\") { id } }", "variables": null}', "owner", status=(403,)),
    graw("escaped-operationName",
         b'{"query": "query A { repository(owner: \\"octo-org\\", name: \\"hello\\") '
         b'{ id } } query B { repository(owner: \\"evil-corp\\", name: \\"secret\\") '
         b'{ id } }", "operationName": "\\u0042"}', "owner", status=(403,)),
    graw("escaped-variable-value", b"{" + _VQ + b', "variables": {"o": "evil\\u002dcorp"}}',
         "owner", status=(403,)),
]

ATTACKS = {
    "traversal": TRAVERSAL, "owners": OWNERS, "repository-ids": IDS, "search": SEARCH,
    "identity": IDENTITY, "paths": PATHS, "writes": WRITES, "graphql": GRAPHQL,
}


# ---------------------------------------------------------------------------
# the legitimate corpus: gh and Octokit, octo-org and alice
# ---------------------------------------------------------------------------

GH = {"User-Agent": "GitHub CLI 2.45.0", "Accept": "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28"}
OCTOKIT = {"User-Agent": "octokit-rest.js/20.0.2 octokit-core.js/5.0.2 Node.js/20",
           "Accept": "application/vnd.github.v3+json"}


def ok(target: str, headers: dict[str, str] | None = None, method: str = "GET",
       **kw: Any) -> Case:
    return Case(id=f"{method} {target}", method=method, target=target,
                headers=dict(GH if headers is None else headers), status=(200,), **kw)


def gok(name: str, query: str, variables: Any = None, operation_name: Any = None) -> Case:
    return Case(id=f"gql {name}", method="POST", target="/graphql", gql=True,
                body=graphql_body(query, variables, operation_name),
                headers={"Content-Type": "application/json", **GH}, status=(200,))


PR_BY_NUMBER = """query PullRequestByNumber($owner: String!, $repo: String!, $pr_number: Int!) {
	repository(owner: $owner, name: $repo) {
		pullRequest(number: $pr_number) {
			id
			number
			title
			state
			url
			isDraft
			headRefName
			baseRefName
			author{login}
		}
	}
}"""

REPOSITORY_INFO = """query RepositoryInfo($owner: String!, $name: String!) {
	repository(owner: $owner, name: $name) {
		id
		name
		owner { login }
		hasIssuesEnabled
		description
		hasWikiEnabled
		viewerPermission
		defaultBranchRef {
			name
		}
	}
}"""

FEATURE_DETECTION = """query PullRequest_fields {
	PullRequest: __type(name: "PullRequest") {
		fields(includeDeprecated: true) {
			name
		}
	}
	Commit: __type(name: "Commit") {
		fields(includeDeprecated: true) {
			name
		}
	}
}"""

ISSUE_LIST = """fragment issue on Issue {
	id
	number
	title
	state
	url
	author { login }
}
query IssueList($owner: String!, $repo: String!, $limit: Int, $states: [IssueState!] = OPEN) {
	repository(owner: $owner, name: $repo) {
		hasIssuesEnabled
		issues(first: $limit, states: $states) {
			totalCount
			nodes { ...issue }
		}
	}
}"""

ISSUE_BY_NUMBER = """query IssueByNumber($owner: String!, $repo: String!, $issue_number: Int!) {
	repository(owner: $owner, name: $repo) {
		hasIssuesEnabled
		issue: issueOrPullRequest(number: $issue_number) {
			__typename
			... on Issue { id title state }
			... on PullRequest { id title state }
		}
	}
}"""

PR_SEARCH = """query PullRequestSearch($q: String!, $limit: Int!) {
	search(query: $q, type: ISSUE, first: $limit) {
		issueCount
		nodes {
			... on PullRequest { number title }
			... on Issue { number title }
		}
	}
}"""


def legit_corpus() -> list[Case]:
    s1001, s1002 = sha(1001), sha(1002)
    return [
        ok("/repos/octo-org/hello"),
        ok("/repos/octo-org/hello/issues?state=open&per_page=30"),
        ok("/repos/octo-org/hello/issues?per_page=100&state=all&page=1", OCTOKIT),
        ok("/repositories/1001/issues?per_page=30&page=2", lookup=True),  # a followed Link
        ok("/repos/octo-org/hello/issues/1"),
        ok("/repos/octo-org/hello/issues/1/comments?per_page=100", OCTOKIT),
        ok("/repos/octo-org/hello/pulls?state=open&per_page=30&sort=created&direction=desc"),
        ok("/repos/octo-org/hello/pulls?head=octo-org%3Afeature-1&state=all"),
        ok("/repos/octo-org/hello/pulls/1"),
        ok("/repos/octo-org/hello/pulls/1", {**GH, "Accept": "application/vnd.github.v3.diff"}),
        ok("/repos/octo-org/hello/pulls/1/files?per_page=100"),
        ok("/repos/octo-org/hello/pulls/1/commits?per_page=100"),
        ok("/repos/octo-org/hello/contents/README.md?ref=main"),
        ok("/repos/octo-org/hello/contents/src%2Fmain.c?ref=main"),
        ok("/repos/octo-org/hello/contents/docs%2Fa%20b.md", OCTOKIT),
        ok("/repos/octo-org/hello/contents/bin/blob.bin",
           {**GH, "Accept": "application/vnd.github.raw"}),
        ok("/repos/octo-org/hello/readme"),
        ok("/repos/octo-org/hello/git/ref/heads%2Fmain", OCTOKIT),
        ok("/repos/octo-org/hello/git/ref/heads/release%2F1.0"),
        ok("/repos/octo-org/hello/git/refs/heads/main"),
        ok("/repos/octo-org/hello/git/matching-refs/tags%2Fv"),
        ok("/repos/octo-org/hello/branches?per_page=100"),
        ok("/repos/octo-org/hello/branches/release%2F1.0"),
        ok(f"/repos/octo-org/hello/commits/{s1001}"),
        ok("/repos/octo-org/hello/commits?sha=main&per_page=1"),
        ok(f"/repos/octo-org/hello/commits/{s1001}/status"),
        ok(f"/repos/octo-org/hello/commits/{s1001}/check-runs?filter=latest"),
        ok("/repos/octo-org/hello/actions/runs?per_page=20&branch=release%2F1.0&event=push"),
        ok("/repos/octo-org/hello/actions/workflows"),
        ok("/repos/octo-org/hello/releases?per_page=30"),
        ok("/repos/octo-org/hello/releases/latest"),
        ok("/repos/octo-org/hello/releases/tags/v1.0"),
        ok("/repos/octo-org/hello/labels?per_page=100"),
        ok("/repos/OCTO-ORG/hello/issues/2"),
        ok("/repos/Alice/tools"),
        ok("/repos/alice/tools/issues?creator=alice&state=all&per_page=50", OCTOKIT),
        ok(f"/repos/octo-org/world/commits/{s1002[:12]}"),
        ok("/repos/octo-org/world/tags"),
        ok("/orgs/octo-org"),
        ok("/orgs/octo-org/repos?per_page=100&type=all", OCTOKIT),
        ok("/users/alice"),
        ok("/users/alice/repos?per_page=100&sort=updated"),
        ok("/users/Octo-Org/repos"),
        ok("/networks/octo-org/hello/events"),
        ok("/search/issues?q=repo%3Aocto-org%2Fhello+is%3Apr+is%3Aopen&per_page=30"),
        ok("/search/issues?q=repo%3Aocto-org%2Fhello%20type%3Aissue%20state%3Aopen%20Issue"
           "&sort=created&order=desc", OCTOKIT),
        ok("/search/issues?q=repo:octo-org/hello+is:issue+in:title+Issue+label:bug"),
        ok("/search/issues?q=repo%3Aocto-org%2Fhello+-repo%3Aalice%2Ftools"),
        ok("/search/issues?q=org%3Aocto-org+is%3Aissue+-label%3Abug"),
        ok("/search/repositories?q=user%3Aalice+tools&per_page=10"),
        ok("/search/issues?q=REPO:Octo-Org/hello+Repo:alice/tools"),
        ok("/search/commits?q=repo%3Aocto-org%2Fhello+fix"),
        ok("/search/code?q=main+repo%3Aocto-org%2Fhello"),
        ok("/meta"),
        ok("/zen"),
        ok("/emojis"),
        ok("/octocat"),
        ok("/licenses"),
        ok("/licenses/mit"),
        ok("/gitignore/templates"),
        ok("/gitignore/templates/C"),
        ok("/codes_of_conduct"),
        ok("/codes_of_conduct/contributor_covenant"),
        ok("/versions"),
        ok("/rate_limit", local=True),
        ok("/repositories/1001", lookup=True),
        ok("/repositories/1003/contents/README.md", OCTOKIT, lookup=True),
        ok("/repos/octo-org/hello", method="HEAD"),
        ok("/repositories/1002", method="HEAD", lookup=True),
        # GraphQL
        gok("PullRequestByNumber", PR_BY_NUMBER,
            {"owner": "octo-org", "repo": "hello", "pr_number": 1}),
        gok("RepositoryInfo", REPOSITORY_INFO, {"owner": "octo-org", "name": "hello"}),
        gok("feature-detection", FEATURE_DETECTION),
        gok("rateLimit", "query RateLimit { rateLimit { limit cost remaining resetAt } }"),
        gok("IssueList-fragment", ISSUE_LIST,
            {"owner": "octo-org", "repo": "hello", "limit": 5}),
        gok("node-of-a-served-issue", "query($id: ID!) { node(id: $id) { ... on Issue "
            "{ id number title repository { nameWithOwner } } } }", {"id": "I_1001_3"}),
        gok("nodes-of-served-ids", '{ nodes(ids: ["PR_1001_1", "I_1001_2"]) { id '
            "... on PullRequest { title } ... on Issue { title } } }"),
        gok("node-of-a-served-repository", '{ node(id: "R_1001") { ... on Repository '
            "{ nameWithOwner } } }"),
        gok("organization", "query($login: String!) { organization(login: $login) { login "
            "repositories(first: 10) { totalCount nodes { nameWithOwner } } } }",
            {"login": "octo-org"}),
        gok("user", '{ user(login: "alice") { login repositories(first: 5) '
            "{ nodes { name } } } }"),
        gok("repositoryOwner", "query RepositoryOwner($owner: String!) { repositoryOwner("
            "login: $owner) { __typename login ... on Organization { id } ... on User { id } } }",
            {"owner": "Alice"}),
        gok("PullRequestSearch", PR_SEARCH,
            {"q": "repo:octo-org/hello is:pr is:open sort:created-desc", "limit": 30}),
        gok("search-org", '{ search(query: "org:octo-org Issue", type: ISSUE, first: 3) '
            "{ issueCount } }"),
        gok("__schema", "{ __schema { queryType { name } mutationType { name } } }"),
        gok("__typename", "{ __typename }"),
        gok("aliases", '{ a: repository(owner: "octo-org", name: "hello") { nameWithOwner } '
            'b: repository(owner: "alice", name: "tools") { nameWithOwner } '
            "rl: rateLimit { remaining } }"),
        gok("variable-defaults", 'query Repo($owner: String = "octo-org", $name: String = '
            '"world") { repository(owner: $owner, name: $name) { nameWithOwner '
            "issues(first: 2) { nodes { number } } } }"),
        gok("root-fragment", "query { ...Repos } fragment Repos on Query { repository("
            'owner: "octo-org", name: "hello") { ...R } } fragment R on Repository '
            "{ nameWithOwner }"),
        gok("octokit-operationName", "query issue($owner:String!,$repo:String!,$number:Int!)"
            "{repository(owner:$owner,name:$repo){issue(number:$number){title body}}}",
            {"owner": "alice", "repo": "tools", "number": 1}, "issue"),
        gok("IssueByNumber", ISSUE_BY_NUMBER,
            {"owner": "octo-org", "repo": "hello", "issue_number": 2}),
    ]


# ---------------------------------------------------------------------------
# sending and judging
# ---------------------------------------------------------------------------

def send(g, case: Case, extra: dict[str, str] | None = None) -> Reply:
    headers = {**case.headers, **(extra or {})}
    if isinstance(case.target, bytes):
        head = (f"{case.method} ".encode() + case.target + b" HTTP/1.1\r\n"
                + f"Host: 127.0.0.1:{g.port}\r\n".encode()
                + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
                + b"Connection: close\r\n\r\n")
        return parse_raw_response(raw_exchange(g.url, head, timeout=10))
    return g.request(case.method, case.target, headers=headers, body=case.body, timeout=20)


def denial_rule(r: Reply, gql: bool) -> tuple[str | None, str | None]:
    """(rule, problem) of a 403 answer."""
    if not (r.header("Content-Type") or "").startswith("application/json"):
        return None, f"403 without a JSON Content-Type: {r.header('Content-Type')!r}"
    try:
        body = r.json()
    except ValueError:
        return None, f"403 body is not JSON: {r.body[:200]!r}"
    if gql:
        errs = body.get("errors") if isinstance(body, dict) else None
        if not (isinstance(errs, list) and errs and isinstance(errs[0], dict)):
            return None, f"GraphQL 403 without errors[]: {body!r}"
        if not (isinstance(errs[0].get("message"), str) and errs[0]["message"]):
            return None, f"GraphQL 403 without errors[0].message: {body!r}"
        rule = (errs[0].get("extensions") or {}).get("ghpool_rule")
    else:
        if not (isinstance(body, dict) and isinstance(body.get("message"), str)
                and body["message"]):
            return None, f"403 without a message: {body!r}"
        rule = body.get("ghpool_rule")
    if not isinstance(rule, str):
        return None, f"403 without ghpool_rule: {body!r}"
    return rule, None


def check_attack(g, fake, case: Case, extra: dict[str, str] | None = None) -> list[str]:
    before = len(fake.requests())
    writes_before = len(fake.writes)
    try:
        r = send(g, case, extra)
    except Exception as e:  # noqa: BLE001 - report, keep going
        return [f"{case.id}: request failed: {e!r}"]
    problems = []
    if r.status not in case.status:
        problems.append(f"status {r.status}, expected {case.status}: {r.body[:300]!r}")
    elif case.method == "HEAD" or (r.status == 400 and case.any_body):
        pass                                   # no body to judge
    elif r.status == 400:
        try:
            msg = r.json().get("message")
        except (ValueError, AttributeError):
            msg = None
        if not (isinstance(msg, str) and msg):
            problems.append(f"400 without a JSON message: {r.body[:200]!r}")
    else:
        rule, why = denial_rule(r, case.gql)
        if why:
            problems.append(why)
        else:
            allowed = set(case.rules) if case.rules else (GQL_RULES if case.gql else REST_RULES)
            if rule not in allowed:
                problems.append(f"ghpool_rule {rule!r}, expected one of {sorted(allowed)}")
    for rec in fake.requests()[before:]:
        if case.lookup and rec.method == "GET" and LOOKUP.match(rec.path) \
                and rec.token in POOL_TOKENS:
            continue
        problems.append(f"reached the fake: {rec!r}")
    if len(fake.writes) != writes_before:
        problems.append(f"a write happened: {fake.writes[writes_before:]!r}")
    return [f"{case.id}: {p}" for p in problems]


def check_legit(g, fake, case: Case, extra: dict[str, str] | None = None) -> list[str]:
    before = len(fake.requests())
    try:
        r = send(g, case, extra)
    except Exception as e:  # noqa: BLE001
        return [f"{case.id}: request failed: {e!r}"]
    recs = fake.requests()[before:]
    problems = []
    if not 200 <= r.status < 300:
        problems.append(f"status {r.status}: {r.body[:300]!r}")
    if case.local:
        if recs:
            problems.append(f"answered locally, yet reached the fake: {recs!r}")
        if r.header("X-Ghpool-Cache") != "LOCAL":
            problems.append(f"X-Ghpool-Cache {r.header('X-Ghpool-Cache')!r}, expected LOCAL")
        return [f"{case.id}: {p}" for p in problems]
    same = [x for x in recs if x.method == case.method and x.path == case.target]
    other = [x for x in recs if x not in same]
    if case.lookup:   # ghpool's own id lookup(s), and the request itself
        other = [x for x in other if not (x.method == "GET" and LOOKUP.match(x.path))]
        lookups_of_target = case.method == "GET" and LOOKUP.match(str(case.target))
        if not 1 <= len(same) <= (2 if lookups_of_target else 1):
            problems.append(f"the fake saw {len(same)} copies of the request: {recs!r}")
    elif len(same) != 1:
        problems.append(f"the fake did not see exactly the request: {recs!r}")
    if other:
        problems.append(f"other requests reached the fake: {other!r}")
    if same:
        rec = same[-1]
        if rec.token not in POOL_TOKENS:
            problems.append(f"sent with token {rec.token!r}, not a pooled one")
        if r.status != rec.status:
            problems.append(f"status {r.status} but the fake answered {rec.status}")
        if rec.header("X-Ghpool-Key") is not None:
            problems.append("X-Ghpool-Key was forwarded")
        if case.gql:
            if rec.body != case.body:
                problems.append(f"GraphQL body changed: {rec.body[:200]!r}")
            if rec.gql_type != "query" or rec.gql_error is not None:
                problems.append(f"the fake could not run it: {rec.gql_type} {rec.gql_error}")
            if r.body != rec.response_body:
                problems.append(f"answer changed: {r.body[:200]!r} vs "
                                f"{(rec.response_body or b'')[:200]!r}")
            try:
                answer = json.loads(rec.response_body or b"{}")
            except ValueError:
                answer = {}
            if "errors" in answer or not answer.get("data"):
                problems.append(f"the fake answered with errors: {answer!r}")
    return [f"{case.id}: {p}" for p in problems]


def report(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def budgets(fake) -> dict:
    return {(t, b): fake.budget(t, b)["used"] for t in sorted(POOL_TOKENS)
            for b in ("core", "search", "code_search", "graphql")}


@pytest.fixture(autouse=True)
def pool_never_writes(fake):
    """After each test: no pooled token reached the fake with a write or a mutation."""
    yield
    bad_uses = non_read_uses(fake.requests(), POOL_TOKENS)
    assert bad_uses == [], f"a pooled token did more than read: {bad_uses}"


def ghpool_with_clients(ghpool, **kw: Any):
    return ghpool(clients=CLIENTS, _env=dict(KEY_ENV), **kw)


def key(k: str, **more: str) -> dict[str, str]:
    return {"X-Ghpool-Key": k, **more}


def stats(g, k: str | None = None) -> dict:
    r = g.get("/stats", headers=key(k) if k else None)
    assert r.status == 200, r
    return r.json()


def client_stats(doc: dict) -> dict:
    """The per-client counters of /stats: "clients" at the top or in the "policy" object."""
    found = doc.get("clients")
    if found is None:
        found = (doc.get("policy") or {}).get("clients")
    assert isinstance(found, dict), f"no per-client counters in /stats: {doc}"
    return found


# ---------------------------------------------------------------------------
# 1. the attack corpus
# ---------------------------------------------------------------------------

def test_attack_corpus_is_large_enough():
    cases = [c for chunk in ATTACKS.values() for c in chunk]
    assert len(cases) >= 120, len(cases)
    assert len(GRAPHQL) >= 40
    ids = [c.id for c in cases]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, dup


@pytest.mark.parametrize("chunk", list(ATTACKS))
def test_attack_corpus(ghpool, fake, chunk):
    g = ghpool()
    before = budgets(fake)
    ident_before = {i["id"]: {b: v["remaining"] for b, v in i["buckets"].items()}
                    for i in g.stats()["identities"]}
    problems = []
    for case in ATTACKS[chunk]:
        problems += check_attack(g, fake, case)
    if not any(c.lookup for c in ATTACKS[chunk]):
        after = budgets(fake)
        if after != before:
            problems.append(f"the pool's budgets changed: {before} -> {after}")
        ident_after = {i["id"]: {b: v["remaining"] for b, v in i["buckets"].items()}
                       for i in g.stats()["identities"]}
        if ident_after != ident_before:
            problems.append(f"/stats budgets changed: {ident_before} -> {ident_after}")
    assert g.get("/healthz").status == 200
    report(problems)


def test_attack_graphql_with_authorization_is_still_denied(ghpool, fake):
    """passthrough_denied_reads is off by default: the client's own Authorization does not
    turn a denied read into a passthrough (REST or GraphQL)."""
    g = ghpool()
    problems = []
    for case in GRAPHQL[:12] + OWNERS[:6] + SEARCH[:6] + IDENTITY[:4] + PATHS[:4]:
        problems += check_attack(g, fake, case, {"Authorization": CLIENT_AUTH})
    assert fake.requests(token=CLIENT_TOKEN) == []
    report(problems)


def test_repository_id_lookup_is_pooled_and_cached(ghpool, fake):
    g = ghpool()
    for _ in range(3):
        r = g.get("/repositories/1004/issues")
        assert r.status == 403, r
        assert r.json().get("ghpool_rule") in FOREIGN_ID, r.body
    looks = fake.requests("/repositories/")
    assert all(x.method == "GET" and LOOKUP.match(x.path) and x.token in POOL_TOKENS
               for x in looks), looks
    assert len(looks) == 1, f"the id was looked up more than once: {looks}"
    # an allowed id: looked up once, then every read goes through
    for _ in range(2):
        assert g.get("/repositories/1003/issues?per_page=1").status == 200
    assert len(fake.requests("/repositories/1003/issues")) == 2
    assert len([x for x in fake.requests("/repositories/1003")
                if x.path == "/repositories/1003"]) <= 1


def test_foreign_and_unknown_ids_are_indistinguishable(ghpool, fake):
    """The lookup ran on a pooled token, which may see private repositories: the denial
    must not tell the client who owns a private repository id, nor that it exists (an id
    of a foreign owner and an id GitHub does not know get the same answer)."""
    g = ghpool()
    foreign = g.get("/repositories/1004")          # evil-corp/secret, private
    unknown = g.get("/repositories/9999")
    for r in (foreign, unknown):
        assert r.status == 403, r
        assert r.json().get("ghpool_rule") == "repository_id", r.body
    assert b"evil-corp" not in foreign.body and b"secret" not in foreign.body, foreign.body
    assert foreign.body.replace(b"1004", b"ID") == unknown.body.replace(b"9999", b"ID"), \
        (foreign.body, unknown.body)


def test_cached_answers_are_judged_per_client(ghpool, fake):
    """An answer team-b filled the cache with is no way around team-a's narrowing."""
    g = ghpool_with_clients(ghpool, cache=cache_on())
    a, b = key(KEY_A), key(KEY_B_NEW)
    q = graphql_body('{ repository(owner: "alice", name: "tools") { nameWithOwner } }')
    gh = {"Content-Type": "application/json"}
    for target in ("/repos/alice/tools", "/repositories/1003", "/users/alice/repos",
                   "/search/issues?q=repo:alice/tools"):
        assert g.get(target, headers=b).status == 200
        assert g.get(target, headers=b).header("X-Ghpool-Cache") == "HIT"
    assert g.request("POST", "/graphql", headers={**gh, **b}, body=q).status == 200
    assert g.request("POST", "/graphql", headers={**gh, **b}, body=q) \
        .header("X-Ghpool-Cache") == "HIT"
    n = len(fake.requests())
    for target in ("/repos/alice/tools", "/repositories/1003", "/users/alice/repos",
                   "/search/issues?q=repo:alice/tools"):
        r = g.get(target, headers=a)
        assert r.status == 403, (target, r)
        assert b"tools" not in r.body or b"ghpool_rule" in r.body, r
    r = g.request("POST", "/graphql", headers={**gh, **a}, body=q)
    assert r.status == 403 and gql_rule(r) == "owner", r
    assert len(fake.requests()) == n


# ---------------------------------------------------------------------------
# 2. the legitimate corpus
# ---------------------------------------------------------------------------

def test_legit_corpus_is_large_enough():
    assert len(legit_corpus()) >= 40


def test_legit_corpus_is_answered_by_the_fake(fake):
    """The fake side alone: each legitimate request, sent straight to the fake with a
    pooled token, gets a GitHub-like 2xx (GraphQL: data and no errors)."""
    problems = []
    for case in legit_corpus():
        r = request(fake.url, case.method, case.target,
                    headers={**case.headers, "Authorization": "token tok_alice"},
                    body=case.body)
        if not 200 <= r.status < 300:
            problems.append(f"{case.id}: the fake answered {r.status}: {r.body[:200]!r}")
        elif case.gql:
            answer = r.json()
            if "errors" in answer or not answer.get("data"):
                problems.append(f"{case.id}: {answer!r}")
        rec = fake.requests()[-1]
        if rec.path != case.target:
            problems.append(f"{case.id}: the fake recorded {rec.path!r}")
    report(problems)


def test_legit_corpus_passes_untouched(ghpool, fake):
    g = ghpool()
    problems = []
    for case in legit_corpus():
        problems += check_legit(g, fake, case)
    report(problems)


def test_legit_corpus_through_a_client_key(ghpool, fake):
    """The same corpus from a client with a key and no narrowing: nothing changes, and the
    key never reaches GitHub."""
    g = ghpool_with_clients(ghpool)
    problems = []
    for case in legit_corpus():
        problems += check_legit(g, fake, case, key(KEY_B_NEW))
    for rec in fake.requests():
        if rec.header("X-Ghpool-Key") is not None:
            problems.append(f"X-Ghpool-Key forwarded: {rec!r}")
    report(problems)


def test_double_encoding_is_not_decoded_twice(ghpool, fake):
    """%25 is '%': %252e%252e past the owner-deciding segments is a literal name (GitHub
    looks up a file called "%2e%2e"), forwarded byte for byte, not a dot segment."""
    g = ghpool()
    for target in ("/repos/octo-org/hello/contents/%252e%252e",
                   "/repos/octo-org/hello/contents/a%252F..%252Fb",
                   "/repos/octo-org/hello/git/ref/heads%2Ffeature-1"):
        before = len(fake.requests())
        r = g.get(target)
        recs = fake.requests()[before:]
        assert [x.path for x in recs] == [target], (target, recs, r)
        assert r.status == recs[0].status, r


# ---------------------------------------------------------------------------
# 3. allowed_owners = ["*"]
# ---------------------------------------------------------------------------

def test_star_allows_every_owner_but_not_identity_or_other_paths(ghpool, fake):
    g = ghpool(allowed_owners=["*"])
    problems = []
    for target in ("/repos/evil-corp/secret", "/repositories/1004", "/orgs/evil-corp",
                   "/search/issues?q=is:open", "/search/repositories?q=secret",
                   "/networks/evil-corp/secret/events"):
        problems += check_legit(g, fake, ok(target, lookup=target.startswith("/repositories")))
    for case in IDENTITY + PATHS + TRAVERSAL[:20]:
        problems += check_attack(g, fake, case)
    for case in [gok("foreign-repo", "{ " + EVIL + " }"),
                 gok("foreign-org", '{ organization(login: "evil-corp") { login } }'),
                 gok("search-anything", '{ search(query: "is:open", type: ISSUE, first: 1) '
                     "{ issueCount } }"),
                 gok("node-unseen", '{ node(id: "R_1004") { id } }')]:
        problems += check_legit(g, fake, case)
    for case in GRAPHQL:
        if case.rules and set(case.rules) & {"identity", "graphql_field"} \
                and not set(case.rules) & {"owner", "search", "graphql_node"}:
            problems += check_attack(g, fake, case)
    report(problems)


def test_star_with_a_narrowing_client_judges_that_client(ghpool, fake):
    g = ghpool(allowed_owners=["*"], clients=CLIENTS, _env=dict(KEY_ENV))
    a, b = key(KEY_A), key(KEY_B_OLD)
    r = g.get("/repos/evil-corp/secret", headers=a)
    assert r.status == 403 and r.json()["ghpool_rule"] == "owner", r
    assert g.get("/repos/evil-corp/secret", headers=b).status == 200
    body = graphql_body('{ node(id: "R_1004") { id } }')
    r = g.request("POST", "/graphql", headers={"Content-Type": "application/json", **a},
                  body=body)
    assert r.status == 403, r


# ---------------------------------------------------------------------------
# 4. /rate_limit answered by ghpool
# ---------------------------------------------------------------------------

def test_rate_limit_is_answered_locally(ghpool, fake):
    g = ghpool()
    before = len(fake.requests())
    r = g.get("/rate_limit")
    assert r.status == 200, r
    assert r.header("X-Ghpool-Cache") == "LOCAL", dict(r.headers)
    assert (r.header("Content-Type") or "").startswith("application/json")
    assert len(fake.requests()) == before, fake.requests()[before:]
    doc = r.json()
    for name in ("core", "search", "graphql"):
        res = doc["resources"][name]
        for k in ("limit", "used", "remaining", "reset"):
            assert isinstance(res[k], int) and not isinstance(res[k], bool), (name, k, res)
        assert res["limit"] > 0 and 0 <= res["remaining"] <= res["limit"], res
    assert {k: doc["rate"][k] for k in ("limit", "used", "remaining", "reset")} == \
        {k: doc["resources"]["core"][k] for k in ("limit", "used", "remaining", "reset")}
    # the pool's view moves with pooled reads
    core0 = doc["resources"]["core"]["remaining"]
    for _ in range(3):
        assert g.get("/repos/octo-org/hello").status == 200
    mid = len(fake.requests())
    again = g.get("/rate_limit", headers={"Authorization": CLIENT_AUTH})
    assert again.status == 200 and again.header("X-Ghpool-Cache") == "LOCAL"
    assert len(fake.requests()) == mid
    assert again.json()["resources"]["core"]["remaining"] < core0, again.json()


# ---------------------------------------------------------------------------
# 5. [policy] allow_paths
# ---------------------------------------------------------------------------

def test_allow_paths_opens_only_the_matching_paths(ghpool, fake):
    g = ghpool(policy={"allow_paths": ["/advisories", "/advisories/*"]})
    problems = []
    for target in ("/advisories", "/advisories?per_page=1",
                   "/advisories/GHSA-abcd-efgh-ijkl"):
        problems += check_legit(g, fake, ok(target))
    # '*' stays within one segment, and an encoded slash ends one too: some
    # GitHub routes decode it
    for case in (deny("/advisories/GHSA-abcd-efgh-ijkl/x", "path"),
                 deny("/advisories/GHSA%2Fx", "path"), deny("/advisories/GHSA%2fx", "path"),
                 deny("/advisoriesX", "path"), deny("/events", "path"),
                 deny("/repos/evil-corp/secret", "owner"), deny("/user", "identity")):
        problems += check_attack(g, fake, case)
    problems += check_attack(g, fake, bad("/advisories/%2e%2e"))
    report(problems)


def test_allow_paths_double_star_crosses_segments(ghpool, fake):
    g = ghpool(policy={"allow_paths": ["/advisories/**", "/events"]})
    problems = []
    for target in ("/advisories/GHSA-abcd-efgh-ijkl", "/events"):
        problems += check_legit(g, fake, ok(target))
    before = len(fake.requests())
    r = g.get("/advisories/a/b/c")   # allowed: forwarded, the fake's 404 comes back
    recs = fake.requests()[before:]
    if [x.path for x in recs] != ["/advisories/a/b/c"] or r.status != recs[0].status:
        problems.append(f"/advisories/a/b/c not forwarded: {r!r} {recs!r}")
    problems += check_attack(g, fake, deny("/events/x", "path"))
    report(problems)


def test_allow_paths_do_not_open_owner_or_identity_rules(ghpool, fake):
    """allow_paths is about "everything else": it never opens a foreign owner's
    repositories or the pooled identities' own data."""
    g = ghpool(policy={"allow_paths": ["/repos/**", "/user", "/user/**", "/search/**"]})
    problems = []
    for case in (deny("/repos/evil-corp/secret", "owner"), deny("/user", "identity"),
                 deny("/user/repos", "identity"),
                 deny("/search/issues?q=repo:evil-corp/secret", "search")):
        problems += check_attack(g, fake, case)
    report(problems)


# ---------------------------------------------------------------------------
# 6. passthrough_denied_reads
# ---------------------------------------------------------------------------

def test_passthrough_denied_reads_off_by_default(ghpool, fake):
    g = ghpool(cache=cache_on())
    for target, rule in (("/repos/evil-corp/secret", "owner"), ("/user", "identity"),
                         ("/search/issues?q=is:open", "search"), ("/events", "path")):
        r = g.get(target, headers={"Authorization": CLIENT_AUTH})
        assert r.status == 403 and r.json()["ghpool_rule"] == rule, r
    r = g.request("POST", "/graphql", headers={"Authorization": CLIENT_AUTH,
                                               "Content-Type": "application/json"},
                  body=graphql_body("{ viewer { login } }"))
    assert r.status == 403, r
    assert r.json()["errors"][0]["extensions"]["ghpool_rule"] == "identity", r.body
    assert fake.requests(token=CLIENT_TOKEN) == []


def test_passthrough_denied_reads_uses_the_clients_token(ghpool, fake):
    g = ghpool(cache=cache_on(), policy={"passthrough_denied_reads": True})
    auth = {"Authorization": CLIENT_AUTH}
    for target in ("/repos/evil-corp/secret", "/user", "/search/issues?q=is:open",
                   "/repositories/1004"):
        for n in (1, 2):                      # never cached: both reach GitHub
            before = len(fake.requests())
            r = g.get(target, headers=auth)
            mine = [x for x in fake.requests()[before:]
                    if x.path == target and x.token == CLIENT_TOKEN]
            assert r.status == 200, (target, r)
            assert len(mine) == 1, (target, n, fake.requests()[before:])
            assert mine[0].authorization == CLIENT_AUTH
            assert r.header("X-Ghpool-Cache") != "HIT", dict(r.headers)
            assert r.header("X-Ghpool-Identity") is None, dict(r.headers)
        # without Authorization: still the 403, and nothing cached from the passthrough
        before = len(fake.requests())
        r = g.get(target)
        assert r.status == 403, (target, r)
        assert all(LOOKUP.match(x.path) and x.token in POOL_TOKENS
                   for x in fake.requests()[before:]), fake.requests()[before:]
    assert g.get("/user", headers=auth).json()["login"] == "carol-gh"
    # GraphQL: a denied query runs as the client
    body = graphql_body("{ viewer { login } }")
    r = g.request("POST", "/graphql", headers={**auth, "Content-Type": "application/json"},
                  body=body)
    assert r.status == 200 and r.json() == {"data": {"viewer": {"login": "carol-gh"}}}, r
    rec = fake.requests("/graphql")[-1]
    assert rec.token == CLIENT_TOKEN and rec.body == body
    r = g.request("POST", "/graphql", headers={"Content-Type": "application/json"}, body=body)
    assert r.status == 403, r
    # ids in a passthrough answer were not served by the pool: they open no node lookup
    r = g.request("POST", "/graphql", headers={**auth, "Content-Type": "application/json"},
                  body=graphql_body('{ repository(owner: "evil-corp", name: "secret") '
                                    "{ id issues(first: 1) { nodes { id } } } }"))
    assert r.status == 200 and fake.requests("/graphql")[-1].token == CLIENT_TOKEN, r
    assert r.json()["data"]["repository"]["id"] == "R_1004"
    for node_id in ("R_1004", "I_1004_1"):
        r = gql(g, NODE, {"id": node_id})
        assert r.status == 403 and gql_rule(r) == "graphql_node", (node_id, r)
    # 400s stay 400s, allowed reads stay pooled
    before = len(fake.requests())
    assert g.get("/repos/octo-org/hello/%2e%2e", headers=auth).status == 400
    assert len(fake.requests()) == before
    r = g.get("/repos/octo-org/world", headers=auth)
    assert r.status == 200 and fake.requests()[-1].token in POOL_TOKENS


# ---------------------------------------------------------------------------
# 7. graphql_node_lookup
# ---------------------------------------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { id ... on Issue { title } } }"
ISSUE_IDS = ('query($o: String!, $n: String!) { repository(owner: $o, name: $n) '
             "{ issues(first: 3) { nodes { id } } } }")


def gql(g, query: str, variables: Any = None, headers: dict[str, str] | None = None) -> Reply:
    return g.request("POST", "/graphql", body=graphql_body(query, variables),
                     headers={"Content-Type": "application/json", **(headers or {})})


def gql_rule(r: Reply) -> str | None:
    try:
        return r.json()["errors"][0]["extensions"]["ghpool_rule"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def test_node_lookup_seen_allows_only_served_ids(ghpool, fake):
    g = ghpool()
    r = gql(g, NODE, {"id": "I_1001_2"})
    assert r.status == 403 and gql_rule(r) == "graphql_node", r
    served = gql(g, ISSUE_IDS, {"o": "octo-org", "n": "hello"})
    assert served.status == 200, served
    ids = [n["id"] for n in served.json()["data"]["repository"]["issues"]["nodes"]]
    assert "I_1001_2" in ids, ids
    before = len(fake.requests())
    r = gql(g, NODE, {"id": "I_1001_2"})
    assert r.status == 200, r
    assert r.json()["data"]["node"]["title"] == "Issue 2 of hello"
    assert fake.requests()[before:][-1].token in POOL_TOKENS
    # one unseen id among seen ones: denied
    r = gql(g, '{ nodes(ids: ["I_1001_1", "I_1001_9"]) { id } }')
    assert r.status == 403 and gql_rule(r) == "graphql_node", r
    r = gql(g, '{ nodes(ids: ["I_1001_1", "I_1001_3"]) { id } }')
    assert r.status == 200, r
    # ids the pool never served to anyone
    for node_id in ("I_1004_1", "R_1004", "I_1003_1"):
        r = gql(g, NODE, {"id": node_id})
        assert r.status == 403 and gql_rule(r) == "graphql_node", (node_id, r)


def test_node_lookup_seen_is_per_client(ghpool, fake):
    """An id served to a client that may read alice is not a key into alice's data for a
    client limited to octo-org."""
    g = ghpool_with_clients(ghpool)
    a, b = key(KEY_A), key(KEY_B_NEW)
    served = gql(g, ISSUE_IDS, {"o": "alice", "n": "tools"}, b)
    assert served.status == 200, served
    assert gql(g, NODE, {"id": "I_1003_1"}, b).status == 200
    r = gql(g, NODE, {"id": "I_1003_1"}, a)
    assert r.status == 403 and gql_rule(r) == "graphql_node", r
    # ids about octo-org, served to team-b, are fine for team-a
    assert gql(g, ISSUE_IDS, {"o": "octo-org", "n": "world"}, b).status == 200
    assert gql(g, NODE, {"id": "I_1002_1"}, a).status == 200


def test_node_lookup_seen_needs_every_owner_of_the_answer(ghpool, fake):
    """An answer about octo-org and alice makes its ids lookups for clients that may read
    both: a client limited to octo-org cannot tell which owner an id belongs to."""
    g = ghpool_with_clients(ghpool)
    a, b = key(KEY_A), key(KEY_B_NEW)
    both = gql(g, '{ x: repository(owner: "octo-org", name: "world") { issue(number: 7) '
               '{ id } } y: repository(owner: "alice", name: "tools") { issue(number: 7) '
               "{ id } } }", headers=b)
    assert both.status == 200, both
    for node_id in ("I_1002_7", "I_1003_7"):
        assert gql(g, NODE, {"id": node_id}, b).status == 200
        r = gql(g, NODE, {"id": node_id}, a)
        assert r.status == 403 and gql_rule(r) == "graphql_node", (node_id, r)


NODE_FEEDERS = [
    pytest.param('{ repository(owner: "octo-org", name: "hello") { issue(number: 1) '
                 "{ id: title } } }", id="alias"),
    pytest.param('{ repository(owner: "octo-org", name: "hello") { issue(number: 1) '
                 "{ ... on Issue { id: title } } } }", id="alias-in-inline-fragment"),
    pytest.param('query { repository(owner: "octo-org", name: "hello") { issue(number: 1) '
                 "{ ...T } } } fragment T on Issue { id: title }", id="alias-in-fragment"),
    pytest.param('{ search(query: "repo:octo-org/hello R_1004", type: ISSUE, first: 5) '
                 "{ nodes { ... on Issue { id: title } } } }", id="alias-in-search"),
    pytest.param('{ repository(owner: "octo-org", name: "hello") { issues(first: 1) '
                 "{ nodes { id: title } } } }", id="alias-in-list"),
]


@pytest.mark.parametrize("feeder", NODE_FEEDERS)
def test_node_lookup_seen_is_not_fed_by_aliased_strings(ghpool, fake, feeder):
    """Anyone can title an issue in a public repository; aliased to "id", that title is
    not an id ghpool served. Otherwise a foreign node id written into an allowed repo
    becomes a key to the foreign (private) object on a pooled token."""
    fake.set_issue_title("octo-org/hello", 1, "R_1004")
    g = ghpool()
    r = gql(g, feeder)
    assert r.status in (200, 403), r
    before = len(fake.requests())
    for q in ('{ node(id: "R_1004") { ... on Repository { nameWithOwner isPrivate } } }',
              '{ nodes(ids: ["R_1004"]) { id } }'):
        r = gql(g, q)
        assert r.status == 403 and gql_rule(r) == "graphql_node", (q, r)
    assert fake.requests()[before:] == []


def test_node_lookup_deny(ghpool, fake):
    g = ghpool(policy={"graphql_node_lookup": "deny"})
    assert gql(g, ISSUE_IDS, {"o": "octo-org", "n": "hello"}).status == 200
    before = len(fake.requests())
    for q, v in ((NODE, {"id": "I_1001_1"}), ('{ nodes(ids: ["I_1001_1"]) { id } }', None)):
        r = gql(g, q, v)
        assert r.status == 403 and gql_rule(r) == "graphql_node", r
    assert len(fake.requests()) == before


def test_node_lookup_allow(ghpool, fake):
    g = ghpool(policy={"graphql_node_lookup": "allow"})
    for q, v in ((NODE, {"id": "I_1001_1"}), (NODE, {"id": "R_1004"}),
                 ('{ nodes(ids: ["I_1003_1", "I_1004_2"]) { id } }', None)):
        before = len(fake.requests())
        r = gql(g, q, v)
        assert r.status == 200, r
        assert [x.token in POOL_TOKENS for x in fake.requests()[before:]] == [True]
    # other rules still apply
    r = gql(g, "{ viewer { login } }")
    assert r.status == 403 and gql_rule(r) == "identity", r


# ---------------------------------------------------------------------------
# 8. client keys
# ---------------------------------------------------------------------------

def test_client_key_missing_or_wrong_is_401(ghpool, fake):
    g = ghpool_with_clients(ghpool)
    assert g.get("/healthz").status == 200           # no key needed
    before = len(fake.requests())
    targets = [("GET", "/repos/octo-org/hello", None, {}),
               ("GET", "/repos/evil-corp/secret", None, {}),
               ("GET", "/stats", None, {}),
               ("GET", "/rate_limit", None, {}),
               ("HEAD", "/repos/octo-org/hello", None, {}),
               ("POST", "/graphql", graphql_body("{ rateLimit { cost } }"),
                {"Content-Type": "application/json"}),
               ("POST", "/repos/octo-org/hello/issues", b'{"title": "x"}',
                {"Authorization": CLIENT_AUTH, "Content-Type": "application/json"})]
    wrong = [None, "", "x" * 24, KEY_A.upper(), KEY_A[:-1], KEY_A + "x", "env:TEAM_A_KEY",
             KEY_B_OLD + KEY_B_NEW]
    problems = []
    for method, target, body, headers in targets:
        for k in wrong:
            h = dict(headers)
            if k is not None:
                h["X-Ghpool-Key"] = k
            r = g.request(method, target, headers=h, body=body)
            if r.status != 401:
                problems.append(f"{method} {target} key={k!r}: {r.status}")
            elif method != "HEAD":
                try:
                    msg = r.json().get("message")
                except ValueError:
                    msg = None
                if not (isinstance(msg, str) and msg):
                    problems.append(f"{method} {target} key={k!r}: 401 without message")
    report(problems)
    assert fake.requests()[before:] == []
    assert fake.writes == []


def _raw_get(g, target: str, header_lines: list[str]) -> Reply:
    head = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{g.port}\r\n"
            + "".join(f"{h}\r\n" for h in header_lines) + "Connection: close\r\n\r\n")
    return parse_raw_response(raw_exchange(g.url, head.encode(), timeout=10))


def test_client_key_header_forms(ghpool, fake):
    g = ghpool_with_clients(ghpool)
    # header names are case-insensitive
    assert _raw_get(g, "/repos/octo-org/hello", [f"x-ghpool-key: {KEY_A}"]).status == 200
    assert _raw_get(g, "/repos/octo-org/hello", [f"X-GHPOOL-KEY: {KEY_B_OLD}"]).status == 200
    r = _raw_get(g, "/repos/alice/tools", [f"x-ghpool-key: {KEY_A}"])
    assert r.status == 403 and r.json()["ghpool_rule"] == "owner", r
    assert all(x.header("X-Ghpool-Key") is None for x in fake.requests())
    log = g.log_text()
    for k in ALL_KEYS:
        assert k not in log


def test_client_keys_rotation_and_narrowing(ghpool, fake):
    g = ghpool_with_clients(ghpool)
    a, old, new = key(KEY_A), key(KEY_B_OLD), key(KEY_B_NEW)
    for k in (a, old, new):
        assert g.get("/repos/octo-org/hello", headers=k).status == 200
    # team-c's key has exactly the minimum 16 characters; team-c may read alice only
    assert g.get("/repos/alice/tools", headers=key(KEY_C)).status == 200
    r = g.get("/repos/octo-org/hello", headers=key(KEY_C))
    assert r.status == 403 and r.json().get("ghpool_rule") == "owner", r
    for k in (old, new):                         # both keys of the rotation work
        assert g.get("/repos/alice/tools", headers=k).status == 200
        assert g.get("/users/alice/repos", headers=k).status == 200
    problems = []
    for case in (deny("/repos/alice/tools", "owner"), deny("/users/alice", "owner"),
                 deny("/repos/Alice/tools/issues?per_page=1", "owner"),
                 deny("/repositories/1003", *FOREIGN_ID, lookup=True),
                 deny("/search/issues?q=repo:alice/tools", "search"),
                 deny("/search/issues?q=repo:octo-org/hello+repo:alice/tools", "search"),
                 write("POST", "/repos/alice/tools/issues", "owner"),
                 gdeny("alice-repo", '{ repository(owner: "alice", name: "tools") { id } }',
                       "owner"),
                 gdeny("alice-user", '{ user(login: "alice") { login } }', "owner"),
                 gdeny("alice-search", '{ search(query: "user:alice", type: REPOSITORY, '
                       "first: 1) { repositoryCount } }", "search")):
        problems += check_attack(g, fake, case, a)
    for case in (ok("/repos/alice/tools/issues?per_page=1"), ok("/repositories/1003",
                 lookup=True), ok("/search/issues?q=repo:alice/tools"),
                 gok("alice-repo", '{ repository(owner: "alice", name: "tools") { id } }')):
        problems += check_legit(g, fake, case, old)
    # the narrowed client still reads octo-org, GraphQL included
    problems += check_legit(g, fake, gok("hello", "{ " + HELLO + " }"), a)
    report(problems)


def test_client_key_is_never_forwarded(ghpool, fake):
    g = ghpool_with_clients(ghpool, cache=cache_on())
    a = key(KEY_A)
    assert g.get("/repos/octo-org/hello/issues?per_page=2", headers=a).status == 200
    assert gql(g, "{ " + HELLO + " }", headers=a).status == 200
    w = g.request("POST", "/repos/octo-org/hello/issues",
                  headers={**a, "Authorization": CLIENT_AUTH,
                           "Content-Type": "application/json"},
                  body=b'{"title": "from team-a"}')
    assert w.status == 201, w
    m = g.request("POST", "/graphql", headers={**a, "Authorization": CLIENT_AUTH,
                                               "Content-Type": "application/json"},
                  body=graphql_body('mutation { addComment(input: {subjectId: "I_1001_1", '
                                    'body: "hi"}) { subject { id } } }'))
    assert m.status == 200, m
    assert [x["login"] for x in fake.writes] == ["carol-gh", "carol-gh"], fake.writes
    recs = fake.requests()
    assert {x.method for x in recs} >= {"GET", "POST"}
    for rec in recs:
        assert rec.header("X-Ghpool-Key") is None, rec
        blob = " ".join(f"{k}: {v}" for k, v in rec.headers) + (rec.body or b"").decode(
            "utf-8", "replace")
        for k in ALL_KEYS:
            assert k not in blob, (k, rec)
    # the writes used the client's token, never a pooled one
    assert {x.token for x in recs if x.method == "POST" and x.gql_type != "query"} == \
        {CLIENT_TOKEN}


def test_stats_and_log_name_the_client(ghpool, fake):
    g = ghpool_with_clients(ghpool)
    a, b = key(KEY_A), key(KEY_B_OLD)
    s0 = client_stats(stats(g, KEY_B_NEW))
    assert {"team-a", "team-b", "team-c"} <= set(s0), s0
    for _ in range(2):
        assert g.get("/repos/octo-org/hello", headers=a).status == 200
    assert g.get("/repos/alice/tools", headers=a).status == 403
    assert g.get("/user", headers=a).status == 403
    assert g.get("/repos/alice/tools", headers=b).status == 200
    doc1 = stats(g, KEY_B_NEW)
    s1 = client_stats(doc1)
    ca0, ca1 = s0["team-a"], s1["team-a"]
    cb0, cb1 = s0["team-b"], s1["team-b"]
    assert ca1["requests"] >= ca0["requests"] + 4, (ca0, ca1)
    assert ca1["denied"] >= ca0["denied"] + 2, (ca0, ca1)
    assert cb1["requests"] >= cb0["requests"] + 1, (cb0, cb1)
    assert cb1["denied"] == cb0["denied"], (cb0, cb1)
    g.wait_log(r"client=team-a\b")
    g.wait_log(r"client=team-b\b")
    log = g.log_text()
    line = next((ln for ln in log.splitlines() if "/repos/alice/tools" in ln
                 and "client=team-a" in ln), None)
    assert line is not None and "403" in line, log[-3000:]
    body = json.dumps(doc1)
    for k in ALL_KEYS:
        assert k not in log, f"key {k!r} in the log"
        assert k not in body, f"key {k!r} in /stats"


def _start_fails(ghpool_bin, default_config, tmp_path, clients, env) -> str:
    cfg = default_config(free_port())
    cfg["identities"] = [{"id": i, "token": f"env:GHP_TEST_TOK_{i.upper()}"}
                         for i in ("alice", "bob")]
    cfg["clients"] = clients
    path = tmp_path / "short-key.toml"
    path.write_text(to_toml(cfg))
    try:
        p = subprocess.run([str(ghpool_bin), "--config", str(path)], env=base_env(env),
                           cwd=str(tmp_path), stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ghpool started with clients {clients}")
    out = (p.stdout or "") + (p.stderr or "")
    assert p.returncode != 0, out
    return out


@pytest.mark.parametrize("clients,env", [
    pytest.param([{"id": "short", "key": "env:SHORT_KEY"}], {"SHORT_KEY": "fifteen-chars15"},
                 id="key-of-15-chars"),
    pytest.param([{"id": "rot", "keys": ["env:OK_KEY", "env:SHORT_KEY"]}],
                 {"OK_KEY": "a-long-enough-key-123", "SHORT_KEY": "short"},
                 id="one-rotated-key-short"),
    pytest.param([{"id": "unset", "key": "env:UNSET_CLIENT_KEY"}], {"UNSET_CLIENT_KEY": None},
                 id="key-variable-unset"),
    pytest.param([{"id": "empty", "key": "env:EMPTY_KEY"}], {"EMPTY_KEY": ""},
                 id="key-empty"),
])
def test_bad_client_keys_refuse_to_start(ghpool, ghpool_bin, default_config, tmp_path,
                                         clients, env):
    out = _start_fails(ghpool_bin, default_config, tmp_path, clients, env)
    for v in env.values():
        if v and len(v) >= 8:
            assert v not in out, f"the key {v!r} appears in the error output:\n{out}"
    # control: the same clients with keys of 16 characters and more start
    good = {k: "long-enough-key-" + k.lower() for k in env}
    g = ghpool(clients=clients, _env=good)
    assert g.get("/repos/octo-org/hello", headers=key(next(iter(good.values())))).status == 200


def test_writes_skip_the_read_only_rules(ghpool, fake):
    """Writes go with the client's own token and are judged by owner only: the identity,
    search and "everything else" rules are about pooled reads."""
    g = ghpool()
    auth = {"Authorization": CLIENT_AUTH, "Content-Type": "application/json"}
    for method, target, status in (("POST", "/user/repos", 201), ("POST", "/gists", 201),
                                   ("POST", "/repos/octo-org/hello/issues", 201),
                                   ("PATCH", "/repos/alice/tools/issues/1", 200)):
        before = len(fake.requests())
        r = g.request(method, target, headers=auth, body=b'{"title": "t", "name": "n"}')
        # (ghpool may learn the client token's login first: GET /user with that token)
        recs = [x for x in fake.requests()[before:]
                if (x.method, x.path, x.token) != ("GET", "/user", CLIENT_TOKEN)]
        assert r.status == status, (target, r)
        assert [(x.method, x.path, x.token) for x in recs] == [(method, target, CLIENT_TOKEN)]
    assert [w["login"] for w in fake.writes] == ["carol-gh"] * 4


def test_audit_records_name_the_client(ghpool, fake, tmp_path):
    """A write's audit record says which client sent it; a denied read passed through
    with the client's token is in the access log, not the audit log (which records writes)."""
    audit = tmp_path / "audit.jsonl"
    g = ghpool_with_clients(ghpool, audit_log=str(audit),
                            policy={"passthrough_denied_reads": True})
    w = g.request("POST", "/repos/octo-org/hello/issues/1/comments", body=b'{"body": "hi"}',
                  headers=key(KEY_A, **{"Authorization": CLIENT_AUTH,
                                        "Content-Type": "application/json"}))
    assert w.status == 201, w
    r = g.get("/user", headers=key(KEY_B_NEW, Authorization=CLIENT_AUTH))
    assert r.status == 200, r
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not audit.read_text().strip():
        time.sleep(0.05)
    lines = [json.loads(x) for x in audit.read_text().splitlines() if x.strip()]
    assert [(x["client"], x["method"], x["path"]) for x in lines] == [
        ("team-a", "POST", "/repos/octo-org/hello/issues/1/comments")], lines
    # Workers write their access lines just after the answers: wait for them.
    g.wait_log(r"client=team-b")
    g.wait_log(r"client=team-a")


# ---------------------------------------------------------------------------
# regressions from the security review
# ---------------------------------------------------------------------------

PLANTERS = [
    pytest.param('{ repository(owner: "octo-org", name: "hello") { id } '
                 'search(query: "secret", type: ISSUE, first: 10) '
                 '{ nodes { ... on Issue { id repository { id } } } } }', id="unscoped-search"),
    pytest.param('{ repository(owner: "octo-org", name: "hello") { id } '
                 'node(id: "R_1004") { ... on Repository { id issues(first: 3) '
                 '{ nodes { id } } } } }', id="unseen-node"),
    pytest.param('{ search(query: "repo:octo-org/hello OR secret", type: ISSUE, first: 10) '
                 '{ nodes { ... on Issue { id repository { id } } } } }', id="or-search"),
]


@pytest.mark.parametrize("planter", PLANTERS)
def test_unrestricted_client_cannot_plant_ids_for_a_narrowed_one(ghpool, fake, planter):
    """Under "*", an unnarrowed client's answer may hold any owner's ids; tied to the one
    allowed owner its query also named, they would open other owners to a narrowed client."""
    g = ghpool(allowed_owners=["*"], clients=CLIENTS, _env=dict(KEY_ENV))
    a, b = key(KEY_A), key(KEY_B_NEW)      # team-a: octo-org only; team-b: everything
    r = gql(g, planter, headers=b)
    assert r.status in (200, 502), r       # the fake models no OR: it may answer an error
    for node_id in ("R_1004", "I_1004_1", "I_1004_2"):
        before = len(fake.requests())
        r = gql(g, NODE, {"id": node_id}, a)
        assert r.status == 403 and gql_rule(r) == "graphql_node", (node_id, r)
        assert len(fake.requests()) == before


@pytest.mark.parametrize("target", [
    "/search/labels?repository_id=1004&q=repo:octo-org/hello+bug",
    "/search/issues?q=repo:octo-org/hello&q]=org:evil-corp",
    "/search/issues?q=repo:octo-org/hello&[q]=org:evil-corp",
    "/search/issues?q=repo:octo-org/hello&%5Bq%5D=org:evil-corp",
])
def test_search_takes_only_paging_parameters(ghpool, fake, reads, target):
    g = ghpool()
    r = g.get(target)
    assert r.status == 403 and r.json().get("ghpool_rule") == "search", r
    assert reads(fake) == []


def test_a_rate_limited_owner_lookup_is_not_remembered(ghpool, fake):
    """A secondary limit on the /repositories/{id} lookup is GitHub's trouble: the client
    gets a 502 now, and the next request looks the owner up again and is served."""
    g = ghpool()
    fake.add_fault("secondary", path="/repositories/1001", count=1)
    r = g.get("/repositories/1001/issues")
    assert r.status == 502, r
    r = g.get("/repositories/1001/issues")
    assert r.status == 200, r


@pytest.mark.parametrize("target", ["/repositories/01001", "/repositories/" + "0" * 300 + "1001",
                                    "/repositories/12345678901234567890"])
def test_repository_ids_have_one_spelling(ghpool, fake, reads, target):
    g = ghpool()
    for _ in range(2):
        r = g.get(target)
        assert r.status == 403 and r.json().get("ghpool_rule") == "path", r
    assert reads(fake) == []
