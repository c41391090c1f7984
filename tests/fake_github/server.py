"""A fake GitHub REST/GraphQL API that behaves like the real one where ghpool cares.

Standard library only. One FakeGitHub instance = one HTTP/1.1 server (keep-alive,
always Content-Length except on 204/304) running in a daemon thread.

What it models
--------------
* Auth: ``Authorization: token X`` / ``Bearer X`` (and Basic with the token as
  password). Known, unrevoked token -> its login. Unknown/revoked -> 401 "Bad
  credentials". No Authorization -> unauthenticated budget per client address.
* Primary rate limits per *user* (as GitHub does: two tokens of the same login
  share one budget): buckets core (5000), search (30), code_search (10),
  graphql (5000); unauthenticated: core 60, search 10. Every answer carries the
  ``x-ratelimit-*`` headers of the bucket the request was routed to. A bucket
  whose reset time has passed is refilled. At 0 -> 403 primary-limit answer
  (REST; GraphQL answers RATE_LIMITED, see below).
* ``GET /rate_limit`` is free. Conditional requests (If-None-Match /
  If-Modified-Since) answered 304 are free for authorised tokens. ETags are weak
  and depend on the body *and* the token, like GitHub's.
* A small data set (4 repositories, issues paginated with absolute ``Link``
  headers pointing at ``/repositories/{id}/...``, pulls with diff/patch media
  types, contents with raw media type incl. a binary file, a renamed repository
  answering 301), commits (``/commits``, ``/commits/{sha|prefix|main}``), an empty
  ``/actions/runs``, search, a small GraphQL endpoint and simple writes. Further read-only
  endpoints as gh and Octokit use them: ``git/ref/{ref}``, ``git/refs[/...]``,
  ``git/matching-refs/{prefix}`` (``heads%2Fmain`` decodes like GitHub's), ``branches[/{b}]``
  (one is ``release/1.0``), ``tags``, ``releases[/latest|/tags/v1.0]``, ``labels``,
  ``readme``, ``pulls/{n}/files|commits|reviews|comments``, ``commits/{ref}/status|check-runs``,
  ``actions/workflows``, ``/networks/{o}/{r}/events``, owners' ``events``/``members``, the
  public ``/emojis``, ``/octocat``, ``/licenses``, ``/gitignore/templates``,
  ``/codes_of_conduct``, ``/versions``, ``/advisories`` and ``/events``; writes on the
  caller's own account ``POST /user/repos`` and ``POST /gists`` (201, recorded).
* What ghp's read commands read (docs/ghp-formats.md), on two more repositories left out
  of owner listings: ``octo-org/demo`` (hand-written DEMO_* data: issues with labels,
  assignees, a milestone, reactions, state_reason, closed_at and comments; pull requests
  in the same number space, listed by ``/issues`` too, one from a fork, a draft, a merged
  one, requested reviewers, reviews, auto-merge, per-PR diffs; check runs and combined
  statuses of the PR heads; Actions runs with branch/actor/event/status/head_sha filters,
  jobs with steps, annotations, artifacts, workflows by id or file name; releases with a
  draft, a pre-release and a latest; a README; description, homepage, topics, counts,
  license) and ``octo-org/big`` (120 open issues, no README, no releases), whose issues
  carry labels/assignees/milestone/reactions/state_reason/closed_at and full user objects
  (the older repositories keep their short issue shape). Everywhere: ``/issues`` honours
  state/labels/creator/assignee/mentioned/milestone/sort/direction, ``/search/issues``
  the usual qualifiers (repo: is: label: author: draft: sort: ..., newest first by
  default), ``GET /users/{login}`` gives a profile "name" (PEOPLE), repositories have
  gh's ``repo view`` fields (description, homepage, topics, counts, license ...).
* GraphQL (``POST /graphql``): a real parser for executable documents, the operation
  chosen as graphql-js's getOperationAST does (``operationName``; several operations
  without it, or a name naming nothing -> a GraphQL error). Query root fields
  ``viewer``, ``rateLimit``, ``repository(owner, name) { issue(number) issues(first) }``,
  ``node(id)``, ``search(query, first)``; also ``nodes(ids)``, ``organization(login)``,
  ``user(login)``, ``repositoryOwner(login)`` (``repositories(first)``,
  ``repository(name)``), ``__type(name)`` / ``__schema`` (a small slice of GitHub's schema,
  enough for gh's feature detection), and on repositories ``pullRequest(number)``,
  ``pullRequests``, ``issueOrPullRequest`` and the scalar fields gh's RepositoryInfo asks
  for; variables left out take their declared defaults; mutations ``addComment``, ``createIssue``,
  ``updateIssue`` (``input: {...}``) change the data (a later REST read shows it) and
  are recorded in ``fake.writes`` with method ``"GRAPHQL"``. Unknown fields -> an
  ``errors``-only answer; a resolver's failure -> ``data`` with null + ``errors``;
  unparsable -> a parse error. All HTTP 200, as GitHub answers them.
  Each request costs 1 point of the user's ``graphql`` bucket; at 0 -> HTTP 200
  ``{"data": null, "errors": [{"type": "RATE_LIMITED", ...}]}`` with
  ``x-ratelimit-remaining: 0`` and ``x-ratelimit-resource: graphql``.
* Writes (POST/PATCH/PUT/DELETE) need a valid token: none -> 401 "Requires
  authentication", unknown/revoked -> 401 "Bad credentials". Each one routed is recorded
  in ``fake.writes`` with its method, path, login, token and token fingerprint.
* gzip-compressed bodies when the request's Accept-Encoding allows it.
* A request log with the raw request target exactly as received, the token presented,
  whether it counted, for ``POST /graphql`` the operation type/name the fake would run,
  and for methods other than GET/HEAD the answer's body and headers (RequestRecord).
* Fault injection: secondary limits (403/429 + Retry-After), arbitrary status,
  hangs, TCP resets, latency, bad credentials / revocation.
* GitHub Apps (``add_app``): App JWTs (``Authorization: Bearer <jwt>``) verified for
  real -- three base64url segments, header ``alg`` RS256 only, the signature checked
  with the ``openssl`` command line against each of the App's public keys (nothing
  cached), ``iss`` = the app id (integer, its decimal string, or the App's client id),
  ``iat`` at most 60 s ahead, ``exp`` in the future, ``exp - iat`` <= 600 s; GitHub's
  own messages on failure (401). A JWT works on the App endpoints only, and only a
  JWT does: ``GET /app``, ``GET /app/installations[/{id}]``,
  ``POST /app/installations/{id}/access_tokens`` (201, a ``ghs_`` token),
  ``GET /orgs/{org}/installation`` (organisations only), ``GET /users/{login}/installation``
  (any account) and ``GET /repos/{o}/{r}/installation``; JWT requests count against the
  App's own budget. Installation tokens read like any token, as login ``<slug>[bot]``,
  on the *installation's* budget (shared by all its tokens, separate from every user's);
  ``GET /user`` answers them 403 "Resource not accessible by integration"; they expire
  at ``expires_at`` (then 401 Bad credentials). The App clock (JWT checks, expiry) can be
  skewed with ``advance_app_clock``; ``expire_app_tokens`` ends tokens now. Every request
  is logged with how it authenticated (``auth``: jwt / installation / token / unknown /
  None, ``app_id``, ``installation_id``, the JWT's header and claims, why it was refused);
  ``mints()`` lists the tokens minted.

Control
-------
Python methods (``reset``, ``requests``, ``add_fault``, ``set_budget``,
``budget``, ``set_issue_title``, ``commit_shas``, ``revoke``, ``add_token`` ...)
and the same over HTTP under ``/_fake/`` (never rate limited, never logged)::

    GET    /_fake/requests            the request log (JSON list)
    DELETE /_fake/requests            clear the log
    POST   /_fake/reset               log, faults, budgets, data, revocations, GraphQL
                                      resolvers -> initial state
    POST   /_fake/faults              add a rule (JSON, see add_fault) -> {"id": N}
    GET    /_fake/faults              list rules (with "fired" counters)
    DELETE /_fake/faults              remove all rules
    POST   /_fake/budget              {"token"|"login", "bucket", "remaining", "reset", "limit", "used"}
                                      (real GitHub never moves a window's reset earlier:
                                      mid-run, keep the reset or move it later)
    GET    /_fake/budget?token=X      all buckets of that token's user
    POST   /_fake/issue               {"repo": "octo-org/hello"|1001, "number": 1, "title": ...}
    POST   /_fake/revoke              {"token": ...}
    POST   /_fake/tokens              {"token": ..., "login": ...}
    POST   /_fake/apps                {"app_id", "public_key_pem" (str or list), "slug",
                                      "installations": {"678": {"account", "type"}},
                                      "token_lifetime", "name", "permissions", "client_id"}
    GET    /_fake/apps                the Apps, their keys' fingerprints and installations
    POST   /_fake/apps/keys           {"app_id", "public_key_pem", "remove": false}
    GET    /_fake/app_tokens?installation_id=N   the minted tokens (mints())
    POST   /_fake/app_tokens/expire   {"token"} or {"installation_id"} (none: all)
    POST   /_fake/app_clock           {"advance": seconds} -> {"offset": total}
    (/_fake/budget also takes "installation": N, or "app": N for the App's JWT budget)
"""

from __future__ import annotations

import base64
import binascii
import calendar
import copy
import email.utils
import gzip
import hashlib
import http
import http.server
import io
import itertools
import json
import math
import os
import random
import re
import secrets
import shlex
import shutil
import socket
import string
import struct
import subprocess
import tempfile
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, unquote

BUCKETS = ("core", "search", "code_search", "graphql")
DEFAULT_LIMITS = {"core": 5000, "search": 30, "code_search": 10, "graphql": 5000}
UNAUTH_LIMITS = {"core": 60, "search": 10, "code_search": 10, "graphql": 0}
RESET_WINDOW = 3600

DOC_REST = "https://docs.github.com/rest"
DOC_RATE = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
DOC_SECONDARY = DOC_RATE + "#about-secondary-rate-limits"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again. If you reach out to GitHub Support for help, please include "
    "the request ID {rid}."
)

JSON_TYPE = "application/json; charset=utf-8"
BASE_EPOCH = 1700000000  # 2023-11-14T22:13:20Z, "created_at" of everything

FAULT_KINDS = ("secondary", "status", "hang", "reset", "latency", "bad_credentials")

# GitHub Apps
APP_TOKEN_LIFETIME = 3600          # GitHub's installation tokens live one hour
JWT_MAX_LIFETIME = 600             # exp - iat ceiling
JWT_CLOCK_SKEW = 60                # iat may be this far ahead of GitHub's clock
DEFAULT_APP_PERMISSIONS = {"contents": "read", "issues": "read", "metadata": "read",
                           "pull_requests": "read"}
JWT_UNDECODABLE = "A JSON web token could not be decoded"
JWT_ISS_MSG = "'Issuer' claim ('iss') must be an Integer"
JWT_IAT_MSG = ("'Issued at' claim ('iat') must be an Integer representing the time that the "
               "assertion was issued")
JWT_EXP_MSG = ("'Expiration time' claim ('exp') must be a numeric value representing the "
               "future time at which the assertion expires")
JWT_EXP_TOO_FAR_MSG = "'Expiration time' claim ('exp') is too far in the future"
APP_NOT_FOUND_MSG = "Integration not found"
INTEGRATION_FORBIDDEN_MSG = "Resource not accessible by integration"
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def _json_bytes(obj: Any, pretty: bool = True) -> bytes:
    if pretty:
        return (json.dumps(obj, indent=2) + "\n").encode()
    return json.dumps(obj, separators=(",", ":")).encode()


def bucket_for(method: str, raw_path: str) -> str:
    """GitHub's resource for a request: /search/code, /search/*, POST /graphql, else core."""
    path = raw_path.split("?", 1)[0]
    if path == "/search/code" or path.startswith("/search/code/"):
        return "code_search"
    if path.startswith("/search/"):
        return "search"
    if path == "/graphql" and method == "POST":
        return "graphql"
    return "core"


# ----------------------------------------------------------------------------
# small value types
# ----------------------------------------------------------------------------


class Headers:
    """Request headers as received: ordered (name, value) pairs, case-insensitive lookup."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self.pairs = [(str(k), str(v)) for k, v in pairs]

    def get(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for k, v in self.pairs:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.pairs if k.lower() == lname]

    def __getitem__(self, name: str) -> str:
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def to_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.pairs:
            out[k] = out[k] + ", " + v if k in out else v
        return out

    def __repr__(self) -> str:
        return f"Headers({self.pairs!r})"


class RequestRecord:
    """One request the fake received (control endpoints excluded).

    path      raw request target (path + query) exactly as on the wire
    headers   Headers (case-insensitive .get / .header)
    token     the token presented (even if unknown), or None
    login     the login it authenticated as, or None
    counted   True when it decremented a rate-limit bucket
    bucket    core / search / code_search / graphql
    status    status sent, or None (not answered yet, hung, or connection reset)
    fault     kind of the fault rule that fired on it, or None
    gql_type  POST /graphql only: query | mutation | subscription, the operation the
              fake would run (see GqlInfo: "query" when it cannot tell); else None
    gql_name  POST /graphql only: that operation's name, or None
    gql_error POST /graphql only: None when the document parsed and the operation was
              chosen, else why not (also "not a GraphQL request body")
    response_body, response_headers
              what the fake answered (body before gzip; headers as (name, value) pairs),
              kept for methods other than GET and HEAD only (None otherwise)
    auth      how the request authenticated: "jwt" (a GitHub App JWT, valid or not: see
              auth_error), "installation" (an installation token, even expired), "token"
              (a known user token), "unknown" (any other credential), None (none)
    app_id    jwt: the App it verified as (None if it did not); installation: its App
    installation_id   installation tokens only
    jwt_header, jwt_claims   jwt: the decoded header and claims (None if undecodable)
    jwt_key   jwt: app_key_fingerprint() of the public key that verified the signature,
              or None
    auth_error  why the credential was refused (jwt problems, expiry, revocation), or None
    """

    __slots__ = ("seq", "time", "client", "method", "path", "headers", "body", "token",
                 "login", "counted", "bucket", "status", "fault", "request_id", "done",
                 "gql_type", "gql_name", "gql_error", "response_body", "response_headers",
                 "auth", "app_id", "installation_id", "jwt_header", "jwt_claims", "jwt_key",
                 "auth_error")

    def __init__(self, **kw: Any):
        for name in self.__slots__:
            setattr(self, name, kw.get(name))

    @property
    def query(self) -> str | None:
        return self.path.split("?", 1)[1] if "?" in self.path else None

    @property
    def path_only(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def authorization(self) -> str | None:
        """The Authorization header exactly as received (None if absent)."""
        return self.headers.get("Authorization")

    def response_json(self) -> Any:
        return json.loads((self.response_body or b"").decode("utf-8"))

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def copy(self) -> "RequestRecord":
        return RequestRecord(**{n: getattr(self, n) for n in self.__slots__})

    def to_json(self) -> dict[str, Any]:
        body = self.body or b""
        return {
            "seq": self.seq, "time": self.time, "client": self.client,
            "method": self.method, "path": self.path,
            "headers": self.headers.to_dict(), "header_list": [list(p) for p in self.headers.pairs],
            "token": self.token, "login": self.login, "counted": self.counted,
            "bucket": self.bucket, "status": self.status, "fault": self.fault,
            "request_id": self.request_id, "done": self.done,
            "body": body.decode("utf-8", "replace"), "body_length": len(body),
            "gql_type": self.gql_type, "gql_name": self.gql_name, "gql_error": self.gql_error,
            "response_body": (None if self.response_body is None
                              else self.response_body.decode("utf-8", "replace")),
            "response_headers": (None if self.response_headers is None
                                 else [list(p) for p in self.response_headers]),
            "auth": self.auth, "app_id": self.app_id, "installation_id": self.installation_id,
            "jwt_header": self.jwt_header, "jwt_claims": self.jwt_claims,
            "jwt_key": self.jwt_key, "auth_error": self.auth_error,
        }

    def __repr__(self) -> str:
        gql = f" gql={self.gql_type}:{self.gql_name}" if self.gql_type else ""
        auth = ""
        if self.auth in ("jwt", "installation"):
            auth = f" auth={self.auth} app={self.app_id}"
            if self.installation_id is not None:
                auth += f" installation={self.installation_id}"
            if self.auth_error:
                auth += f" ({self.auth_error})"
        token = self.token
        if self.auth == "jwt" and token:
            token = token[:12] + "..."
        return (f"<{self.method} {self.path} token={token} status={self.status} "
                f"counted={self.counted} bucket={self.bucket} fault={self.fault}{gql}{auth}>")


class Fault:
    _ids = itertools.count(1)

    def __init__(self, kind: str, path: str | None = None, token: str | None = None,
                 count: int | None = -2, method: str | None = None, status: int | None = None,
                 retry_after: int | None = -1, seconds: float | None = None, ms: float = 0,
                 body: Any = None, content_type: str | None = None,
                 headers: dict[str, str] | None = None, permanent: bool = False):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (one of {FAULT_KINDS})")
        self.id = next(Fault._ids)
        self.kind = kind
        self.path = path
        self.token = token
        self.method = method.upper() if method else None
        # count: how many times it fires; None or a negative value = forever.
        # Default: 1, except latency which applies to every matching answer.
        if count == -2:
            count = None if kind == "latency" else 1
        if count is not None and count < 0:
            count = None
        self.count = count
        if status is None:
            status = {"secondary": 403, "bad_credentials": 401}.get(kind, 500)
        self.status = int(status)
        if retry_after == -1:
            retry_after = 60 if kind == "secondary" else None
        self.retry_after = retry_after
        self.seconds = seconds
        self.ms = float(ms or 0)
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.permanent = bool(permanent)
        self.fired = 0

    def live(self) -> bool:
        return self.count is None or self.fired < self.count

    def matches(self, method: str, raw_path: str, token: str | None) -> bool:
        if not self.live():
            return False
        if self.method and self.method != method:
            return False
        if self.path is not None and not raw_path.startswith(self.path):
            return False
        if self.token is not None and self.token != token:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "id", "kind", "path", "token", "method", "count", "status", "retry_after",
            "seconds", "ms", "body", "content_type", "headers", "permanent", "fired")}


class Resp:
    """A response under construction."""

    def __init__(self, status: int, body: bytes = b"", content_type: str | None = JSON_TYPE,
                 headers: list[tuple[str, str]] | None = None, last_modified: float | None = None,
                 cacheable: bool = False):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])
        self.last_modified = last_modified
        self.cacheable = cacheable  # 200 GET answer that gets ETag/Last-Modified

    @classmethod
    def json(cls, status: int, obj: Any, pretty: bool = True, **kw: Any) -> "Resp":
        return cls(status, _json_bytes(obj, pretty), JSON_TYPE, **kw)


def error_body(status: int, message: str, doc: str = DOC_REST, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message}
    out.update(extra)
    out["documentation_url"] = doc
    out["status"] = str(status)
    return out


def not_found() -> Resp:
    return Resp.json(404, error_body(404, "Not Found"), pretty=False)


class _Abort(Exception):
    """Leave without answering (reset: RST the connection; hang forever: just close)."""

    def __init__(self, rst: bool):
        super().__init__("rst" if rst else "drop")
        self.rst = rst


class Ctx:
    """What a route handler sees about one request."""

    def __init__(self, method: str, raw: str, headers: Headers, body: bytes, client: str):
        self.method = method
        self.raw = raw
        self.raw_path, sep, q = raw.partition("?")
        self.raw_query: str | None = q if sep else None
        self.segments = [unquote(s) for s in self.raw_path.split("/")[1:]]
        self.query = parse_qsl(self.raw_query or "", keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.client = client
        self.token: str | None = None
        self.login: str | None = None
        self.bucket = "core"
        self.principal = "ip:" + client            # whose budget it is charged to
        self.auth: str | None = None               # see RequestRecord.auth
        self.app_id: int | None = None
        self.installation_id: int | None = None
        self.auth_error: str | None = None         # refused credential: GitHub's message
        self.media = parse_media(headers.get("Accept"))
        self.gql: GqlInfo | None = None        # POST /graphql: what the body asks for
        self.gql_args: dict[str, Any] = {}     # arguments of the GraphQL field resolved

    def q(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return default

    def json_body(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body.decode("utf-8"))


def parse_media(accept: str | None) -> dict[str, str | None]:
    """Parse GitHub's custom media types: application/vnd.github[.version][.param][+format]."""
    out: dict[str, str | None] = {"version": "v3", "param": None, "format": None}
    for part in (accept or "").split(","):
        mt = part.split(";", 1)[0].strip().lower()
        prefix = "application/vnd.github"
        if not mt.startswith(prefix):
            continue
        rest = mt[len(prefix):]
        rest, _, fmt = rest.partition("+")
        bits = [b for b in rest.split(".") if b]
        if bits and re.fullmatch(r"v\d+|[a-z0-9-]+-preview", bits[0]):
            out["version"] = bits.pop(0) if bits[0].startswith("v") else out["version"]
            if bits and bits[0].endswith("-preview"):
                bits.pop(0)
        if bits:
            out["param"] = bits[0]
        out["format"] = fmt or None
        break
    return out


def media_header(media: dict[str, str | None]) -> str:
    v = f"github.{media['version'] or 'v3'}"
    if media["param"] and not media["format"]:
        return f"{v}; param={media['param']}"
    if media["param"]:
        return f"{v}; param={media['param']}; format={media['format']}"
    return f"{v}; format={media['format'] or 'json'}"


# ----------------------------------------------------------------------------
# the data set
# ----------------------------------------------------------------------------

SEED_OWNERS = {
    "octo-org": {"id": 9001, "type": "Organization"},
    "alice": {"id": 9002, "type": "User"},
    "evil-corp": {"id": 9003, "type": "Organization"},
}
SEED_REPOS = [
    {"id": 1001, "owner": "octo-org", "name": "hello", "issues": 95, "private": False},
    {"id": 1002, "owner": "octo-org", "name": "world", "issues": 12, "private": False},
    {"id": 1003, "owner": "alice", "name": "tools", "issues": 7, "private": False},
    {"id": 1004, "owner": "evil-corp", "name": "secret", "issues": 3, "private": True},
    # For ghp's read commands (tests/e2e/test_ghp_reads.py). "unlisted": left out of the
    # owner's repository listings (REST and GraphQL) and of repository search, so the
    # older tests' listings stay as they were.
    #   demo: hand-made issues, pull requests (one from a fork), comments, labels, a
    #         milestone, check runs and statuses, Actions runs/jobs, releases, a README
    #         (see DEMO_* below); issues and pull requests share one number space and
    #         /issues lists pull requests too, as GitHub does.
    #   big:  120 generated open issues (paging past 100), no README, no releases.
    # "full": issues and comments in GitHub's full shape (labels, assignees, milestone,
    # reactions, state_reason, closed_at, user objects); the four above keep the short
    # shape the older tests size their caches on.
    {"id": 1005, "owner": "octo-org", "name": "demo", "issues": 0, "private": False,
     "unlisted": True, "rich": True, "full": True},
    {"id": 1006, "owner": "octo-org", "name": "big", "issues": 120, "private": False,
     "unlisted": True, "readme": False, "releases": False, "full": True},
]
RENAMED = {("octo-org", "old-name"): 1001}

BLOB = bytes(range(256))


def _files_for(owner: str, name: str) -> dict[str, bytes]:
    return {
        "README.md": f"# {name}\n\nThe {owner}/{name} repository of the fake GitHub.\n".encode(),
        "bin/blob.bin": BLOB,
        "docs/a b.md": "A file with a space (and ünïcödé) in its name.\n".encode(),
        "src/main.c": b'#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
    }


PR_DIFF = """diff --git a/README.md b/README.md
index 3b18e51..a8b2c3d 100644
--- a/README.md
+++ b/README.md
@@ -1,3 +1,4 @@
 # {name}
 
-The old description.
+The new description of pull request #{number}.
+Another line.
"""

PR_PATCH = """From 6dcb09b5b57875f334f61aebed695e2e4193db5e Mon Sep 17 00:00:00 2001
From: Alice <alice@example.com>
Date: Tue, 14 Nov 2023 22:13:20 +0000
Subject: [PATCH] Update README for #{number}

---
 README.md | 3 ++-
 1 file changed, 2 insertions(+), 1 deletion(-)

{diff}--
2.39.2

"""


# ----------------------------------------------------------------------------
# the ghp demo data (octo-org/demo), written out by hand so that golden files can be
# derived from it by reading. Every time is a literal UTC timestamp; the tests run ghp
# with GHP_NOW = DEMO_NOW.
# ----------------------------------------------------------------------------

DEMO_NOW = "2024-02-13T00:00:00Z"   # epoch 1707782400
DEMO_RID = 1005
DEMO_FORK_RID = 2005                # monalisa/demo: the head repository of PR #5 (not served)

# Accounts GET /users/{login} knows besides SEED_OWNERS and the tokens' logins, with the
# profile "name" (null for hubot). Issue/PR payloads carry no "name", as on GitHub.
PEOPLE: dict[str, dict[str, Any]] = {
    "alice": {"id": 9002, "name": "Alice Liddell", "type": "User"},
    "monalisa": {"id": 9101, "name": "Mona Lisa", "type": "User"},
    "hubot": {"id": 9102, "name": None, "type": "User"},
    "octocat": {"id": 9103, "name": "The Octocat", "type": "User"},
    "dependabot[bot]": {"id": 49699333, "name": None, "type": "Bot"},
}
ORG_NAMES = {"octo-org": "Octo Org", "evil-corp": "Evil Corp"}

# name -> (number, color, description)
DEMO_LABELS: dict[str, tuple[int, str, str | None]] = {
    "bug": (1, "d73a4a", "Something isn't working"),
    "enhancement": (2, "a2eeef", "New feature or request"),
    "help wanted": (3, "008672", "Extra attention is needed"),
    "Docs": (4, "0075ca", None),
}
DEMO_MILESTONES = {
    1: {"title": "v1.0", "description": "First stable release", "state": "open",
        "created": "2024-01-01T00:00:00Z", "due_on": "2024-03-01T08:00:00Z"},
}

# Issues (pull requests are below; one number space). Absent keys: no labels, no
# assignees, no milestone, no reactions, no comments, association NONE.
DEMO_ISSUES: list[dict[str, Any]] = [
    {"number": 1, "title": "First issue", "body": "The very first issue.", "state": "closed",
     "state_reason": "completed", "user": "alice", "association": "OWNER",
     "created": "2023-01-10T10:00:00Z", "updated": "2023-02-01T12:00:00Z",
     "closed": "2023-02-01T12:00:00Z"},
    {"number": 3, "title": "Crash on start", "body": "It crashes without a config file.",
     "state": "open", "user": "monalisa", "association": "CONTRIBUTOR", "labels": ["bug"],
     "created": "2024-01-05T08:00:00Z", "updated": "2024-02-01T09:30:00Z"},
    {"number": 4, "title": "Typo in README", "body": None, "state": "closed",
     "state_reason": "not_planned", "user": "octocat", "labels": ["Docs"],
     "created": "2023-12-01T00:00:00Z", "updated": "2024-01-20T00:00:00Z",
     "closed": "2024-01-20T00:00:00Z"},
    {"number": 6, "title": "Fix   the thing",
     "body": "Steps to reproduce:\n1. run it\n2. watch it fail", "state": "open",
     "user": "monalisa", "association": "CONTRIBUTOR", "labels": ["help wanted", "bug"],
     "assignees": ["hubot", "octocat"], "milestone": 1, "reactions": {"+1": 2, "hooray": 1},
     "created": "2024-02-10T20:00:00Z", "updated": "2024-02-12T18:00:00Z"},
    {"number": 8, "title": "Document the API", "body": "", "state": "open",
     "user": "dependabot[bot]", "labels": ["Docs", "enhancement"],
     "created": "2024-02-11T06:00:00Z", "updated": "2024-02-11T06:00:00Z"},
    {"number": 10, "title": "Add a --verbose flag", "body": None, "state": "open",
     "user": "alice", "association": "OWNER", "labels": ["enhancement"],
     "assignees": ["alice"], "milestone": 1, "reactions": {"+1": 2, "rocket": 1},
     "created": "2024-02-12T23:00:00Z", "updated": "2024-02-12T23:30:00Z"},
]
# Comments (created == updated: never edited), oldest first.
DEMO_COMMENTS: list[dict[str, Any]] = [
    {"id": 6001, "issue": 6, "user": "hubot", "association": "MEMBER",
     "body": "I can reproduce this.", "created": "2024-02-11T08:00:00Z"},
    {"id": 6002, "issue": 6, "user": "octocat", "association": "NONE",
     "body": "Same here.", "created": "2024-02-11T09:00:00Z"},
    {"id": 6003, "issue": 6, "user": "monalisa", "association": "CONTRIBUTOR",
     "body": "Fixed in #9.", "created": "2024-02-12T17:00:00Z"},
]


def _demo_sha(n: int) -> str:
    """The head commit of demo PR #n: its number, two digits, 20 times."""
    return f"{n:02d}" * 20


# Pull requests. head_owner: the fork's owner (cross-repository); requested: reviewers
# asked; reviews: (login, state, submitted_at, body); auto_merge: (enabled_by, method).
DEMO_PULLS: list[dict[str, Any]] = [
    {"number": 2, "title": "Initial implementation", "body": "First cut.", "state": "closed",
     "user": "alice", "association": "OWNER", "head": "initial", "base": "main",
     "created": "2023-01-11T10:00:00Z", "updated": "2023-01-12T10:00:00Z",
     "closed": "2023-01-12T10:00:00Z", "merged": "2023-01-12T10:00:00Z", "merged_by": "alice",
     "merge_commit_sha": "a2" * 20, "additions": 300, "deletions": 0, "changed_files": 12,
     "commits": 5, "mergeable": None, "mergeable_state": "unknown"},
    {"number": 5, "title": "Speed up startup", "body": "Caches the parsed config.",
     "state": "open", "user": "monalisa", "association": "CONTRIBUTOR", "head": "perf",
     "head_owner": "monalisa", "base": "main",
     "created": "2024-02-06T12:00:00Z", "updated": "2024-02-10T12:00:00Z",
     "merge_commit_sha": "a5" * 20, "additions": 10, "deletions": 2, "changed_files": 1,
     "commits": 1, "mergeable": True, "mergeable_state": "unstable",
     "maintainer_can_modify": True},
    {"number": 7, "title": "WIP: new parser", "body": "", "draft": True, "state": "open",
     "user": "hubot", "association": "MEMBER", "head": "parser", "base": "main",
     "created": "2024-02-08T00:00:00Z", "updated": "2024-02-09T00:00:00Z",
     "merge_commit_sha": "a7" * 20, "additions": 50, "deletions": 40, "changed_files": 4,
     "commits": 2, "mergeable": True, "mergeable_state": "draft"},
    {"number": 9, "title": "Add dark mode", "body": "Adds a dark colour scheme.",
     "state": "open", "user": "monalisa", "association": "CONTRIBUTOR",
     "head": "feature/dark", "base": "main", "labels": ["enhancement"],
     "assignees": ["monalisa"], "requested": ["octocat"],
     "reviews": [("hubot", "APPROVED", "2024-02-12T10:00:00Z", "LGTM")],
     "created": "2024-02-11T12:00:00Z", "updated": "2024-02-12T12:00:00Z",
     "merge_commit_sha": "a9" * 20, "additions": 120, "deletions": 7, "changed_files": 3,
     "commits": 3, "mergeable": True, "mergeable_state": "clean"},
    {"number": 11, "title": "Abandoned idea", "body": "Never mind.", "state": "closed",
     "user": "octocat", "head": "idea", "base": "main",
     "created": "2023-06-01T00:00:00Z", "updated": "2023-06-02T00:00:00Z",
     "closed": "2023-06-02T00:00:00Z", "merge_commit_sha": "b1" * 20, "additions": 1,
     "deletions": 1, "changed_files": 1, "commits": 1, "mergeable": False,
     "mergeable_state": "dirty"},
    {"number": 12, "title": "Update dependencies", "body": "Bumps libcurl.", "state": "open",
     "user": "octocat", "head": "deps/update", "base": "main",
     "auto_merge": ("octocat", "squash"),
     "created": "2024-02-12T06:00:00Z", "updated": "2024-02-12T06:30:00Z",
     "merge_commit_sha": "b2" * 20, "additions": 4, "deletions": 4, "changed_files": 2,
     "commits": 1, "mergeable": True, "mergeable_state": "blocked"},
]

DEMO_DIFFS: dict[int, bytes] = {
    9: b"""diff --git a/README.md b/README.md
index 1111111..2222222 100644
--- a/README.md
+++ b/README.md
@@ -1,3 +1,4 @@
 # Demo
 
+Now with a dark mode.
 Save 50% off with ghp, 100%% of the time.
diff --git a/src/theme.c b/src/theme.c
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/src/theme.c
@@ -0,0 +1,2 @@
+#include "theme.h"
+int dark = 1;
diff --git a/src/theme.h b/src/theme.h
new file mode 100644
index 0000000..4444444
--- /dev/null
+++ b/src/theme.h
@@ -0,0 +1 @@
+extern int dark;
""",
    # a BEL byte in a line, and no newline at the very end
    5: b"""diff --git a/src/main.c b/src/main.c
index 5555555..6666666 100644
--- a/src/main.c
+++ b/src/main.c
@@ -1 +1 @@
-int main(void) { return slow(); }
+int main(void) { return fast(); } /* \x07 */
\\ No newline at end of file""",
}

DEMO_README = b"# Demo\n\nSave 50% off with ghp, 100%% of the time.\n"

DEMO_WORKFLOWS: dict[int, dict[str, str]] = {
    161: {"name": "CI", "path": ".github/workflows/ci.yml"},
    162: {"name": "Release", "path": ".github/workflows/release.yml"},
}

# Actions runs, newest first. A job's check run has the job's id; steps are
# (name, status, conclusion). annotations: (path, line, level, message).
DEMO_RUNS: list[dict[str, Any]] = [
    {"id": 3005, "workflow": 161, "number": 5, "title": "Update dependencies",
     "branch": "deps/update", "sha": _demo_sha(12), "event": "pull_request", "pr": 12,
     "status": "in_progress", "conclusion": None, "actor": "octocat",
     "created": "2024-02-12T06:01:00Z", "updated": "2024-02-12T06:02:00Z",
     "jobs": [
         {"id": 4010, "name": "build", "status": "in_progress", "conclusion": None,
          "started": "2024-02-12T06:01:00Z", "completed": None,
          "steps": [("Set up job", "completed", "success"), ("Run tests", "in_progress", None)]},
         {"id": 4011, "name": "lint", "status": "completed", "conclusion": "success",
          "started": "2024-02-12T06:01:00Z", "completed": "2024-02-12T06:01:25Z",
          "steps": [("Set up job", "completed", "success"), ("Lint", "completed", "success")]},
     ]},
    {"id": 3004, "workflow": 161, "number": 4, "title": "Add dark mode",
     "branch": "feature/dark", "sha": _demo_sha(9), "event": "pull_request", "pr": 9,
     "status": "completed", "conclusion": "success", "actor": "monalisa",
     "created": "2024-02-11T12:01:00Z", "updated": "2024-02-11T12:03:31Z",
     "jobs": [
         {"id": 4008, "name": "build", "status": "completed", "conclusion": "success",
          "started": "2024-02-11T12:01:00Z", "completed": "2024-02-11T12:03:10Z",
          "steps": [("Set up job", "completed", "success"), ("Build", "completed", "success")]},
         {"id": 4009, "name": "lint", "status": "completed", "conclusion": "success",
          "started": "2024-02-11T12:01:00Z", "completed": "2024-02-11T12:01:25Z",
          "steps": [("Set up job", "completed", "success"), ("Lint", "completed", "success")]},
         {"id": 4012, "name": "docs", "status": "completed", "conclusion": "skipped",
          "started": "2024-02-11T12:01:00Z", "completed": "2024-02-11T12:01:00Z",
          "steps": []},
     ]},
    {"id": 3003, "workflow": 161, "number": 3, "title": "Speed up startup",
     "branch": "perf", "sha": _demo_sha(5), "event": "pull_request", "pr": 5,
     "head_owner": "monalisa",
     "status": "completed", "conclusion": "failure", "actor": "monalisa",
     "created": "2024-02-06T12:05:00Z", "updated": "2024-02-06T12:06:02Z",
     "jobs": [
         {"id": 4006, "name": "build", "status": "completed", "conclusion": "failure",
          "started": "2024-02-06T12:05:00Z", "completed": "2024-02-06T12:06:02Z",
          "steps": [("Set up job", "completed", "success"), ("Build", "completed", "failure")]},
         {"id": 4007, "name": "lint", "status": "completed", "conclusion": "success",
          "started": "2024-02-06T12:05:00Z", "completed": "2024-02-06T12:05:25Z",
          "steps": [("Set up job", "completed", "success"), ("Lint", "completed", "success")]},
     ]},
    {"id": 3002, "workflow": 161, "number": 2, "title": "Bump version",
     "branch": "main", "sha": "c2" * 20, "event": "push",
     "status": "completed", "conclusion": "failure", "actor": "alice",
     "created": "2024-01-20T09:00:00Z", "updated": "2024-01-20T09:01:30Z",
     "artifacts": [("coverage", False), ("logs", True)],
     "jobs": [
         {"id": 4004, "name": "build", "status": "completed", "conclusion": "failure",
          "started": "2024-01-20T09:00:10Z", "completed": "2024-01-20T09:01:22Z",
          "steps": [("Set up job", "completed", "success"), ("Run tests", "completed", "failure"),
                    ("Complete job", "completed", "success")],
          "annotations": [(".github", 12, "failure", "Process completed with exit code 1.")]},
         {"id": 4005, "name": "lint", "status": "completed", "conclusion": "success",
          "started": "2024-01-20T09:00:10Z", "completed": "2024-01-20T09:00:30Z",
          "steps": [("Set up job", "completed", "success"), ("Lint", "completed", "success")]},
     ]},
    {"id": 3001, "workflow": 162, "number": 1, "title": "Release v1.1.0",
     "branch": "main", "sha": "c1" * 20, "event": "push",
     "status": "completed", "conclusion": "success", "actor": "alice",
     "created": "2024-01-15T10:00:00Z", "updated": "2024-01-15T10:05:00Z",
     "jobs": [
         {"id": 4002, "name": "publish", "status": "completed", "conclusion": "success",
          "started": "2024-01-15T10:00:05Z", "completed": "2024-01-15T10:04:55Z",
          "steps": [("Set up job", "completed", "success"), ("Publish", "completed", "success")]},
     ]},
    {"id": 3000, "workflow": 161, "number": 1, "title": "Initial implementation",
     "branch": "main", "sha": "c0" * 20, "event": "push",
     "status": "completed", "conclusion": "cancelled", "actor": "alice",
     "created": "2023-01-12T10:05:00Z", "updated": "2023-01-12T10:06:00Z",
     "jobs": [
         {"id": 4000, "name": "build", "status": "completed", "conclusion": "cancelled",
          "started": "2023-01-12T10:05:00Z", "completed": "2023-01-12T10:06:00Z",
          "steps": [("Set up job", "completed", "success"), ("Build", "completed", "cancelled")]},
         {"id": 4001, "name": "lint", "status": "completed", "conclusion": "success",
          "started": "2023-01-12T10:05:00Z", "completed": "2023-01-12T10:05:20Z",
          "steps": [("Set up job", "completed", "success"), ("Lint", "completed", "success")]},
     ]},
]
# Commit statuses by commit: (context, state, target_url, description, created_at)
DEMO_STATUSES: dict[str, list[tuple[str, str, str, str, str]]] = {
    _demo_sha(5): [("security/scan", "success", "https://scan.example.com/r/5",
                    "No issues found", "2024-02-06T12:07:00Z")],
    _demo_sha(12): [("ci/circleci", "pending", "https://circleci.com/gh/octo-org/demo/12",
                     "Your tests are queued", "2024-02-12T06:02:00Z")],
}

# Releases, newest created first. published None: a draft.
DEMO_RELEASES: list[dict[str, Any]] = [
    {"id": 602, "tag": "v2.0.0", "name": None, "draft": True, "prerelease": False,
     "created": "2024-02-12T00:00:00Z", "published": None},
    {"id": 601, "tag": "v2.0.0-rc.1", "name": "v2.0.0 RC 1", "draft": False,
     "prerelease": True, "created": "2024-02-10T00:00:00Z", "published": "2024-02-10T01:00:00Z"},
    {"id": 600, "tag": "v1.1.0", "name": "v1.1.0", "draft": False, "prerelease": False,
     "created": "2024-01-15T10:00:00Z", "published": "2024-01-15T10:05:00Z"},
    {"id": 599, "tag": "v1.0.0", "name": "First   release", "draft": False,
     "prerelease": False, "created": "2023-06-01T00:00:00Z",
     "published": "2023-06-01T00:00:00Z"},
]
DEMO_LATEST_RELEASE = 600

DEMO_REPO_FIELDS: dict[str, Any] = {
    "description": "A demo repository for ghp", "homepage": "https://demo.example.com",
    "topics": ["cli", "demo"], "stargazers_count": 42, "watchers_count": 42,
    "forks_count": 7, "subscribers_count": 5, "size": 1234, "language": "C",
    "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT",
                "url": "https://api.github.com/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"},
    "created_at": "2023-01-10T09:00:00Z", "pushed_at": "2024-02-12T20:00:00Z",
    "updated_at": "2024-02-12T20:00:00Z",
}


def _epoch(iso: str | None) -> float | None:
    return None if iso is None else float(calendar.timegm(time.strptime(iso,
                                                                        "%Y-%m-%dT%H:%M:%SZ")))


def _search_tokens(q: str) -> list[str]:
    """Search words, honouring double quotes (label:"help wanted")."""
    try:
        return shlex.split(q)
    except ValueError:
        return q.split()


class _Data:
    """Mutable repository data (guarded by FakeGitHub._lock)."""

    def __init__(self) -> None:
        self.repos: dict[int, dict[str, Any]] = {}
        self.by_name: dict[tuple[str, str], int] = {}
        self.issues: dict[int, dict[int, dict[str, Any]]] = {}
        self.comments: dict[int, dict[int, dict[str, Any]]] = {}  # repo -> comment id -> comment
        self.pulls: dict[int, dict[int, dict[str, Any]]] = {}
        self.files: dict[int, dict[str, bytes]] = {}
        self.updated: dict[int, float] = {}
        self.next_comment = 5000001
        for r in SEED_REPOS:
            rid = r["id"]
            self.repos[rid] = dict(r)
            self.by_name[(r["owner"].lower(), r["name"].lower())] = rid
            self.updated[rid] = BASE_EPOCH + rid
            self.issues[rid] = {}
            for n in range(1, r["issues"] + 1):
                self.issues[rid][n] = {
                    "id": rid * 100000 + n, "number": n, "title": f"Issue {n} of {r['name']}",
                    "body": f"Body of issue {n}.", "state": "open",
                    "user": "alice", "comments": 0, "locked": False,
                    "created": BASE_EPOCH + n, "updated": BASE_EPOCH + n * 60,
                }
            self.comments[rid] = {}
            self.pulls[rid] = {
                n: {"id": rid * 1000 + n, "number": n, "title": f"Pull request {n}",
                    "state": "open", "head": f"feature-{n}", "base": "main"}
                for n in (1, 2, 3)
            }
            self.files[rid] = _files_for(r["owner"], r["name"])
            if r.get("readme") is False:
                del self.files[rid]["README.md"]
            if r.get("rich"):
                self._load_demo(rid)

    def _load_demo(self, rid: int) -> None:
        """octo-org/demo: DEMO_* as the issue/pull/comment records the routes read. The
        base keys are the generated ones' (times as epochs), the rest are extras."""
        self.updated[rid] = _epoch(DEMO_REPO_FIELDS["updated_at"])
        self.issues[rid] = {}
        for d in DEMO_ISSUES:
            n = d["number"]
            rec = {"id": rid * 100000 + n, "number": n, "title": d["title"], "body": d["body"],
                   "state": d["state"], "user": d["user"], "locked": False,
                   "comments": sum(1 for c in DEMO_COMMENTS if c["issue"] == n),
                   "created": _epoch(d["created"]), "updated": _epoch(d["updated"]),
                   "closed_at": _epoch(d.get("closed")), "state_reason": d.get("state_reason"),
                   "labels": list(d.get("labels", [])), "assignees": list(d.get("assignees", [])),
                   "milestone": d.get("milestone"), "reactions": dict(d.get("reactions", {})),
                   "association": d.get("association", "NONE")}
            self.issues[rid][n] = rec
        self.comments[rid] = {}
        for c in DEMO_COMMENTS:
            t = _epoch(c["created"])
            self.comments[rid][c["id"]] = {"id": c["id"], "issue": c["issue"], "body": c["body"],
                                           "user": c["user"], "created": t, "updated": t,
                                           "association": c["association"]}
        self.pulls[rid] = {}
        for d in DEMO_PULLS:
            n = d["number"]
            rec = dict(d)
            rec.update({"id": rid * 1000 + n, "created": _epoch(d["created"]),
                        "updated": _epoch(d["updated"]), "closed_at": _epoch(d.get("closed")),
                        "merged_at": _epoch(d.get("merged")), "draft": d.get("draft", False),
                        "labels": list(d.get("labels", [])),
                        "assignees": list(d.get("assignees", [])),
                        "association": d.get("association", "NONE")})
            rec.pop("closed", None)
            rec.pop("merged", None)
            self.pulls[rid][n] = rec
        files = {"README.md": DEMO_README,
                 "src/main.c": b"int main(void) { return slow(); }\n"}
        self.files[rid] = files

    def find(self, owner: str, name: str) -> int | None:
        return self.by_name.get((owner.lower(), name.lower()))

    def touch(self, rid: int) -> float:
        self.updated[rid] = max(time.time(), self.updated[rid] + 1)
        return self.updated[rid]


# ----------------------------------------------------------------------------
# the HTTP plumbing
# ----------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes live connections itself
    request_queue_size = 256
    allow_reuse_address = True

    fake: "FakeGitHub"

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet on disconnects
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, OSError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
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

    # Every method goes through the same path.
    def do_GET(self) -> None: self._dispatch()  # noqa: E704
    def do_HEAD(self) -> None: self._dispatch()  # noqa: E704
    def do_POST(self) -> None: self._dispatch()  # noqa: E704
    def do_PUT(self) -> None: self._dispatch()  # noqa: E704
    def do_PATCH(self) -> None: self._dispatch()  # noqa: E704
    def do_DELETE(self) -> None: self._dispatch()  # noqa: E704
    def do_OPTIONS(self) -> None: self._dispatch()  # noqa: E704

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
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
        # The raw request target from the request line: self.path may have been
        # altered by http.server (leading '//' collapsed).
        words = self.requestline.split()
        raw = words[1] if len(words) >= 2 else self.path
        body = self._read_body()
        headers = Headers(self.headers.items())
        client = self.client_address[0]
        head_only = self.command == "HEAD"
        if raw.startswith("/_fake/") or raw == "/_fake":
            resp = fake._control(self.command, raw, headers, body)
            self._send(resp, fake._new_request_id(), head_only)
            return
        ctx = Ctx(self.command, raw, headers, body, client)
        try:
            resp, rid = fake._serve(ctx)
        except _Abort as abort:
            self.close_connection = True
            if abort.rst:
                self._rst()
            return
        if _accepts_gzip(headers.get("Accept-Encoding")) and resp.body and \
                resp.status not in (204, 304):
            # GitHub compresses when asked (curl asks when told to decode).
            resp.body = gzip.compress(resp.body, mtime=0)
            resp.headers.append(("Content-Encoding", "gzip"))
        self._send(resp, rid, head_only)

    def _rst(self) -> None:
        """Close the TCP connection abruptly (RST) without answering."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass
        # http.server flushes/closes these after the handler returns.
        self.rfile = io.BytesIO()
        self.wfile = io.BytesIO()

    def _send(self, resp: Resp, rid: str, head_only: bool) -> None:
        status = resp.status
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}",
                 f"Server: {self.server_version}",
                 f"Date: {_http_date(time.time())}"]
        if resp.content_type and status not in (204, 304):
            lines.append(f"Content-Type: {resp.content_type}")
        for k, v in resp.headers:
            lines.append(f"{k}: {v}")
        lines.append(f"X-GitHub-Request-Id: {rid}")
        if status not in (204, 304):
            lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only and status not in (204, 304):
            data += resp.body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


# ----------------------------------------------------------------------------
# the fake itself
# ----------------------------------------------------------------------------


class FakeGitHub:
    """A fake api.github.com. ``tokens`` maps token -> login."""

    def __init__(self, tokens: dict[str, str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, verbose: bool = False):
        self.host = host
        self.port = port
        self.verbose = verbose
        self._lock = threading.RLock()
        self._initial_tokens = dict(tokens or {})
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._rid_counter = itertools.count(1)
        self._seq = itertools.count(1)
        self._stopping = False
        self._app_tmpdir: str | None = None   # public keys of the Apps, for openssl
        self._init_state()

    # --- lifecycle ------------------------------------------------------------

    def _init_state(self) -> None:
        with self._lock:
            self.tokens: dict[str, str] = dict(self._initial_tokens)
            self.user_ids: dict[str, int] = {}
            for login in self.tokens.values():
                self._user_id(login)
            self.revoked: set[str] = set()
            self.budgets: dict[tuple[str, str], dict[str, int]] = {}
            self.faults: list[Fault] = []
            self.log: list[RequestRecord] = []
            self.writes: list[dict[str, Any]] = []
            self.data = _Data()
            # GitHub Apps: app id -> App; installation id -> installation; installation
            # token -> what was minted (also in self.tokens, as "<slug>[bot]"); every mint.
            self.apps: dict[int, dict[str, Any]] = {}
            self.installations: dict[int, dict[str, Any]] = {}
            self.app_tokens: dict[str, dict[str, Any]] = {}
            self.minted: list[dict[str, Any]] = []
            self.app_clock_offset = 0.0
            tmp = getattr(self, "_app_tmpdir", None)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                self._app_tmpdir = None
            # GraphQL Query root fields: name -> fn(fake, ctx, variables) -> value. The
            # field's arguments (variables substituted) are in ctx.gql_args. Values are
            # projected on the query's selection set: dict members that are callables
            # are called with that sub-field's arguments. Raise GqlFieldError for a
            # null field with an error. reset() restores these defaults.
            self.graphql_resolvers: dict[str, Callable[["FakeGitHub", Ctx, dict], Any]] = {
                "viewer": lambda fake, ctx, variables: fake._gql_viewer(ctx),
                "rateLimit": lambda fake, ctx, variables: fake._graphql_rate_limit(ctx),
                "repository": lambda fake, ctx, variables: fake._gql_repository(ctx),
                "node": lambda fake, ctx, variables: fake._gql_node(ctx.gql_args.get("id")),
                "nodes": lambda fake, ctx, variables: fake._gql_nodes(ctx.gql_args.get("ids")),
                "search": lambda fake, ctx, variables: fake._gql_search(ctx),
                "organization": lambda fake, ctx, variables: fake._gql_owner(
                    ctx.gql_args.get("login"), ("Organization",)),
                "user": lambda fake, ctx, variables: fake._gql_owner(
                    ctx.gql_args.get("login"), ("User",)),
                "repositoryOwner": lambda fake, ctx, variables: fake._gql_owner(
                    ctx.gql_args.get("login"), ("Organization", "User")),
                "__type": lambda fake, ctx, variables: _gql_introspect_type(
                    ctx.gql_args.get("name")),
                "__schema": lambda fake, ctx, variables: _gql_introspect_schema(),
            }
            # GraphQL Mutation root fields: name -> fn(fake, ctx, args) -> payload. Every
            # call is recorded in self.writes (method "GRAPHQL") before it runs.
            self.graphql_mutations: dict[str, Callable[["FakeGitHub", Ctx, dict], Any]] = {
                "addComment": lambda fake, ctx, args: fake._gql_add_comment(ctx, args),
                "createIssue": lambda fake, ctx, args: fake._gql_create_issue(ctx, args),
                "updateIssue": lambda fake, ctx, args: fake._gql_update_issue(ctx, args),
            }
            old = getattr(self, "_wake", None)
            self._wake = threading.Event()
            if old is not None:
                old.set()  # release hung handlers of the previous generation

    def start(self) -> "FakeGitHub":
        srv = _Server((self.host, self.port), _Handler)
        srv.fake = self
        self._server = srv
        self.port = srv.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-github-{self.port}", daemon=True)
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
        with self._lock:
            if self._app_tmpdir is not None:
                shutil.rmtree(self._app_tmpdir, ignore_errors=True)
                self._app_tmpdir = None

    def __enter__(self) -> "FakeGitHub":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # --- python control API ------------------------------------------------------

    def reset(self) -> None:
        """Clear log and faults; restore budgets, data, tokens and revocations."""
        self._init_state()

    def requests(self, path: str | None = None, method: str | None = None,
                 token: str | None = None, auth: str | None = None,
                 installation_id: int | None = None) -> list[RequestRecord]:
        """Copy of the request log, optionally filtered (path = raw-target prefix; auth =
        jwt / installation / token / unknown, see RequestRecord)."""
        with self._lock:
            recs = [r.copy() for r in self.log]
        return [r for r in recs
                if (path is None or r.path.startswith(path))
                and (method is None or r.method == method.upper())
                and (token is None or r.token == token)
                and (auth is None or r.auth == auth)
                and (installation_id is None or r.installation_id == int(installation_id))]

    def clear_requests(self) -> None:
        with self._lock:
            self.log.clear()

    def add_fault(self, kind: str, path: str | None = None, token: str | None = None,
                  count: int | None = -2, **opts: Any) -> int:
        """Add a fault rule; returns its id.

        kind: secondary | status | hang | reset | latency | bad_credentials
        path: raw-target prefix to match (None = any); token: only that token;
        method: only that method; count: times to fire (default 1, latency: forever;
        None or negative = forever).
        secondary: status=403|429, retry_after=N (None = no header, default 60), body
        status: status=N, body (dict/str/bytes), content_type, retry_after, headers (an
                x-ratelimit-* header given here replaces the fake's own)
        hang: seconds=N (None = never answer; released by stop()/reset())
        latency: ms=N (delay added to each matching answer, combines with others)
        bad_credentials: permanent=True also revokes the token for good
        """
        f = Fault(kind, path=path, token=token, count=count, **opts)
        with self._lock:
            self.faults.append(f)
        return f.id

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def fault_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self.faults]

    def add_token(self, token: str, login: str) -> None:
        with self._lock:
            self.tokens[token] = login
            self.revoked.discard(token)
            self._user_id(login)

    def revoke(self, token: str) -> None:
        """Revoke a token for good: it answers 401 Bad credentials from now on."""
        with self._lock:
            self.revoked.add(token)

    def _principal_of(self, token: str | None = None, login: str | None = None,
                      installation: int | None = None, app: int | None = None) -> str:
        if installation is not None:
            return f"installation:{int(installation)}"
        if app is not None:
            return f"app:{int(app)}"
        if login is None:
            if token is None or token not in self.tokens:
                raise KeyError(f"unknown token {token!r}")
            info = self.app_tokens.get(token)
            if info is not None:
                return f"installation:{info['installation_id']}"
            login = self.tokens[token]
        return "user:" + login

    def set_budget(self, token: str | None = None, bucket: str = "core",
                   remaining: int | None = None, reset: float | None = None,
                   limit: int | None = None, used: int | None = None,
                   login: str | None = None, installation: int | None = None,
                   app: int | None = None) -> dict[str, int]:
        """Set a bucket of the user behind ``token`` (or ``login``), of an App
        ``installation`` (shared by all its tokens; an installation token given as
        ``token`` means its installation), or of an ``app``'s JWT requests."""
        if bucket not in BUCKETS:
            raise ValueError(f"unknown bucket {bucket!r}")
        with self._lock:
            b = self._bucket(self._principal_of(token, login, installation, app), bucket,
                             refresh=False)
            if limit is not None:
                b["limit"] = int(limit)
            if remaining is not None:
                b["remaining"] = max(0, int(remaining))
                b["used"] = max(0, b["limit"] - b["remaining"]) if used is None else int(used)
            elif used is not None:
                b["used"] = int(used)
                b["remaining"] = max(0, b["limit"] - b["used"])
            if reset is not None:
                b["reset"] = int(reset)
            return dict(b)

    def budget(self, token: str | None = None, bucket: str = "core",
               login: str | None = None, installation: int | None = None,
               app: int | None = None) -> dict[str, int]:
        """Current state of a bucket (refilled first if its reset has passed)."""
        with self._lock:
            return dict(self._bucket(self._principal_of(token, login, installation, app),
                                     bucket))

    def set_issue_title(self, repo: str | int, number: int, title: str) -> dict[str, Any]:
        """Mutate an issue's title (changes bodies, ETags and Last-Modified)."""
        with self._lock:
            rid = self._repo_id(repo)
            issue = self.data.issues[rid][int(number)]
            issue["title"] = title
            issue["updated"] = self.data.touch(rid)
            return self._issue_json(rid, issue)

    def commit_shas(self, repo: str | int) -> list[str]:
        """The repository's (fixed) commit SHAs, oldest first; the last one is "main"."""
        with self._lock:
            return _commit_shas(self._repo_id(repo))

    # --- python control API: GitHub Apps -------------------------------------------

    def add_app(self, app_id: int, public_key_pem: str | Iterable[str],
                slug: str = "ghpool-test",
                installations: dict[int, dict[str, Any]] | None = None,
                token_lifetime: int = APP_TOKEN_LIFETIME, name: str | None = None,
                permissions: dict[str, str] | None = None, client_id: str | None = None,
                owner: str = "octo-org") -> dict[str, Any]:
        """Register a GitHub App (replacing one of the same id, and its installations).

        public_key_pem: the App's public key (PEM), or several (GitHub keeps up to 25 and
        accepts a JWT signed with any); a private key is accepted too (its public half is
        used). installations: {installation id: {"account": login, "type": "Organization"
        | "User", "permissions": {...}, "suspended": False}}. token_lifetime: seconds an
        installation token lives (GitHub: 3600). Returns what GET /app answers.
        """
        app_id = int(app_id)
        pems = [public_key_pem] if isinstance(public_key_pem, str) else list(public_key_pem)
        if not pems:
            raise ValueError("an App needs at least one public key")
        with self._lock:
            for iid in [i for i, inst in self.installations.items() if inst["app_id"] == app_id]:
                del self.installations[iid]
            default_client_id = "Iv1." + hashlib.sha1(str(app_id).encode()).hexdigest()[:16]
            app = {"id": app_id, "slug": str(slug), "name": name or str(slug),
                   "client_id": client_id or default_client_id,
                   "owner": str(owner), "token_lifetime": int(token_lifetime),
                   "permissions": dict(permissions or DEFAULT_APP_PERMISSIONS), "keys": {}}
            for pem in pems:
                self._register_app_key(app, pem)
            self.apps[app_id] = app
            for iid, spec in (installations or {}).items():
                self.add_installation(app_id, int(iid), **dict(spec))
            return self._app_json(app)

    def add_app_key(self, app_id: int, public_key_pem: str) -> str:
        """Add a key to an App (key rotation); returns its fingerprint."""
        with self._lock:
            return self._register_app_key(self.apps[int(app_id)], public_key_pem)

    def remove_app_key(self, app_id: int, public_key_pem: str) -> None:
        """Delete a key of an App: JWTs signed with it are refused from now on."""
        with self._lock:
            app = self.apps[int(app_id)]
            fp = app_key_fingerprint(public_key_pem)
            path = app["keys"].pop(fp)
            try:
                os.unlink(path)
            except OSError:
                pass

    def add_installation(self, app_id: int, installation_id: int, account: str,
                         type: str = "Organization",  # noqa: A002 - GitHub's word
                         permissions: dict[str, str] | None = None,
                         suspended: bool = False) -> dict[str, Any]:
        """Install App ``app_id`` on ``account`` (a login; type Organization or User)."""
        if type not in ("Organization", "User"):
            raise ValueError(f"installation type must be Organization or User, not {type!r}")
        with self._lock:
            app = self.apps[int(app_id)]
            inst = {"id": int(installation_id), "app_id": app["id"], "account": str(account),
                    "type": type, "suspended": bool(suspended),
                    "permissions": dict(permissions or app["permissions"])}
            self.installations[inst["id"]] = inst
            return self._installation_json(inst)

    def remove_installation(self, installation_id: int) -> None:
        """Uninstall: the installation is gone, and so are its tokens (401)."""
        with self._lock:
            self.installations.pop(int(installation_id))
            for tok, info in self.app_tokens.items():
                if info["installation_id"] == int(installation_id):
                    self.revoked.add(tok)

    def set_app(self, app_id: int, token_lifetime: int | None = None,
                slug: str | None = None) -> None:
        """Change an App's token lifetime (for later mints) or slug."""
        with self._lock:
            app = self.apps[int(app_id)]
            if token_lifetime is not None:
                app["token_lifetime"] = int(token_lifetime)
            if slug is not None:
                app["slug"] = str(slug)

    def suspend_installation(self, installation_id: int, suspended: bool = True) -> None:
        """A suspended installation mints nothing (403) and its tokens stop working."""
        with self._lock:
            self.installations[int(installation_id)]["suspended"] = bool(suspended)

    def mints(self, installation_id: int | None = None,
              app_id: int | None = None) -> list[dict[str, Any]]:
        """Every installation token minted, oldest first: token, installation_id, app_id,
        login, expires_at (epoch seconds, as answered), minted_at (time.time()),
        permissions, repository_selection, expired (forced by expire_app_tokens)."""
        with self._lock:
            return [dict(m) for m in self.minted
                    if (installation_id is None or m["installation_id"] == int(installation_id))
                    and (app_id is None or m["app_id"] == int(app_id))]

    def app_token_info(self, token: str) -> dict[str, Any] | None:
        """What was minted as ``token`` (see mints), or None."""
        with self._lock:
            info = self.app_tokens.get(token)
            return dict(info) if info is not None else None

    def expire_app_tokens(self, installation_id: int | None = None,
                          token: str | None = None) -> int:
        """End installation tokens now (all, one installation's, or one); returns how many."""
        n = 0
        with self._lock:
            for tok, info in self.app_tokens.items():
                if token is not None and tok != token:
                    continue
                if installation_id is not None and info["installation_id"] != int(installation_id):
                    continue
                info["expired"] = True
                n += 1
        return n

    def advance_app_clock(self, seconds: float) -> float:
        """Move GitHub's App clock (JWT iat/exp checks, token expiry, the expires_at of new
        tokens) ``seconds`` ahead of this machine's (negative: behind): clock skew between
        ghpool and GitHub. Returns the total offset. reset() sets it back to 0."""
        with self._lock:
            self.app_clock_offset += float(seconds)
            return self.app_clock_offset

    def app_list(self) -> list[dict[str, Any]]:
        """The Apps as GET /app shows them, plus keys (fingerprints), token_lifetime and
        installations (as GET /app/installations/{id} shows them)."""
        with self._lock:
            out = []
            for app_id, app in sorted(self.apps.items()):
                a = self._app_json(app)
                a["keys"] = sorted(app["keys"])
                a["token_lifetime"] = app["token_lifetime"]
                a["installations"] = [self._installation_json(i) for _, i in
                                      sorted(self.installations.items())
                                      if i["app_id"] == app_id]
                out.append(a)
            return out

    def app_now(self) -> float:
        """GitHub's App clock (time.time() + the offset advance_app_clock set)."""
        return time.time() + self.app_clock_offset

    def _app_dir(self) -> str:
        if self._app_tmpdir is None or not os.path.isdir(self._app_tmpdir):
            self._app_tmpdir = tempfile.mkdtemp(prefix="fake-github-apps-")
        return self._app_tmpdir

    def _register_app_key(self, app: dict[str, Any], pem: str) -> str:
        pem = _public_pem(pem)
        fp = app_key_fingerprint(pem)
        if fp in app["keys"]:
            return fp
        path = os.path.join(self._app_dir(), f"app{app['id']}-{fp}.pem")
        with open(path, "w") as f:
            f.write(pem)
        p = _openssl(["pkey", "-pubin", "-in", path, "-noout"])
        if p.returncode != 0:
            os.unlink(path)
            raise ValueError("not a PEM public key: " + p.stderr.decode(errors="replace"))
        app["keys"][fp] = path
        return fp

    def _account_id(self, login: str) -> int:
        info = SEED_OWNERS.get(login.lower())
        return info["id"] if info else 100000 + self._user_id(login)

    def _app_json(self, app: dict[str, Any]) -> dict[str, Any]:
        owner = app["owner"]
        return {
            "id": app["id"], "slug": app["slug"], "node_id": f"A_{app['id']}",
            "client_id": app["client_id"], "name": app["name"],
            "owner": {"login": owner, "id": self._account_id(owner),
                      "type": SEED_OWNERS.get(owner.lower(), {}).get("type", "User")},
            "description": "", "external_url": "https://example.com/ghpool",
            "html_url": f"https://github.com/apps/{app['slug']}",
            "created_at": _iso(BASE_EPOCH), "updated_at": _iso(BASE_EPOCH),
            "permissions": dict(app["permissions"]), "events": [],
            "installations_count": sum(1 for i in self.installations.values()
                                       if i["app_id"] == app["id"]),
        }

    def _installation_json(self, inst: dict[str, Any]) -> dict[str, Any]:
        app = self.apps[inst["app_id"]]
        account, org = inst["account"], inst["type"] == "Organization"
        acc = {"login": account, "id": self._account_id(account), "type": inst["type"],
               "url": f"{self.url}/{'orgs' if org else 'users'}/{account}",
               "html_url": f"https://github.com/{account}"}
        iid = inst["id"]
        settings = f"organizations/{account}/settings" if org else "settings"
        return {
            "id": iid, "account": acc, "app_id": app["id"], "app_slug": app["slug"],
            "client_id": app["client_id"], "target_id": acc["id"], "target_type": inst["type"],
            "repository_selection": "all",
            "access_tokens_url": f"{self.url}/app/installations/{iid}/access_tokens",
            "repositories_url": f"{self.url}/installation/repositories",
            "html_url": f"https://github.com/{settings}/installations/{iid}",
            "permissions": dict(inst["permissions"]), "events": [],
            "created_at": _iso(BASE_EPOCH), "updated_at": _iso(BASE_EPOCH),
            "single_file_name": None, "has_multiple_single_files": False,
            "suspended_by": None,
            "suspended_at": _iso(BASE_EPOCH) if inst["suspended"] else None,
        }

    # --- internals: identities and budgets --------------------------------------

    def _user_id(self, login: str) -> int:
        if login not in self.user_ids:
            self.user_ids[login] = len(self.user_ids) + 1
        return self.user_ids[login]

    def _repo_id(self, repo: str | int) -> int:
        if isinstance(repo, int) or (isinstance(repo, str) and repo.isdigit()):
            rid = int(repo)
            if rid not in self.data.repos:
                raise KeyError(f"no repository {repo}")
            return rid
        owner, _, name = str(repo).partition("/")
        rid = self.data.find(owner, name)
        if rid is None:
            raise KeyError(f"no repository {repo}")
        return rid

    def _bucket(self, principal: str, bucket: str, refresh: bool = True) -> dict[str, int]:
        key = (principal, bucket)
        now = time.time()
        b = self.budgets.get(key)
        limits = UNAUTH_LIMITS if principal.startswith("ip:") else DEFAULT_LIMITS
        if b is None:
            lim = limits[bucket]
            b = {"limit": lim, "remaining": lim, "used": 0, "reset": int(now) + RESET_WINDOW}
            self.budgets[key] = b
        elif refresh and now >= b["reset"]:
            b["remaining"] = b["limit"]
            b["used"] = 0
            b["reset"] = int(now) + RESET_WINDOW
        return b

    def _new_request_id(self) -> str:
        n = next(self._rid_counter)
        r = random.getrandbits(48)
        return f"{n:04X}:{r >> 32:04X}:{(r >> 8) & 0xFFFFFF:06X}:{random.getrandbits(24):06X}:{int(time.time()):08X}"

    def _rate_headers(self, b: dict[str, int], bucket: str) -> list[tuple[str, str]]:
        return [("x-ratelimit-limit", str(b["limit"])),
                ("x-ratelimit-remaining", str(b["remaining"])),
                ("x-ratelimit-reset", str(b["reset"])),
                ("x-ratelimit-used", str(b["used"])),
                ("x-ratelimit-resource", bucket)]

    # --- internals: serving -------------------------------------------------------

    def _serve(self, ctx: Ctx) -> tuple[Resp, str]:
        rid = self._new_request_id()
        received = time.time()
        ctx.token = _token_of(ctx.headers.get("Authorization"))
        ctx.bucket = bucket_for(ctx.method, ctx.raw)
        jwt = self._authenticate(ctx)  # may run openssl: outside the lock
        rec = RequestRecord(seq=next(self._seq), time=received, client=ctx.client,
                            method=ctx.method, path=ctx.raw, headers=ctx.headers, body=ctx.body,
                            token=ctx.token, login=None, counted=False, bucket=ctx.bucket,
                            status=None, fault=None, request_id=rid, done=False,
                            auth=ctx.auth, app_id=ctx.app_id,
                            installation_id=ctx.installation_id, auth_error=jwt.get("reason"),
                            jwt_header=jwt.get("header"), jwt_claims=jwt.get("claims"),
                            jwt_key=jwt.get("key"))
        if ctx.method == "POST" and ctx.raw_path == "/graphql":
            ctx.gql = gql_request_info(ctx.body)
            if ctx.gql is None:
                rec.gql_error = "not a GraphQL request body"
            else:
                rec.gql_type, rec.gql_name, rec.gql_error = \
                    ctx.gql.type, ctx.gql.name, ctx.gql.error
        with self._lock:
            self.log.append(rec)
            wake = self._wake
            # fault rules: latency ones accumulate, the first other one fires
            delay_ms = 0.0
            fired: Fault | None = None
            for f in self.faults:
                if not f.matches(ctx.method, ctx.raw, ctx.token):
                    continue
                if f.kind == "latency":
                    f.fired += 1
                    delay_ms += f.ms
                elif fired is None:
                    f.fired += 1
                    fired = f
            if fired is not None:
                rec.fault = fired.kind
                if fired.kind == "bad_credentials" and fired.permanent and ctx.token:
                    self.revoked.add(ctx.token)
        try:
            if delay_ms:
                wake.wait(delay_ms / 1000.0)
            if fired is not None:
                resp = self._fire(fired, ctx, rid, wake)
                if resp is not None:
                    return self._finish(rec, resp, ctx, rid), rid
            if self._stopping:
                raise _Abort(rst=False)
            resp = self._answer(ctx, rec)
            return self._finish(rec, resp, ctx, rid), rid
        except _Abort:
            with self._lock:
                rec.done = True
            raise

    def _finish(self, rec: RequestRecord, resp: Resp, ctx: Ctx, rid: str) -> Resp:
        resp.headers.append(("X-GitHub-Media-Type", media_header(ctx.media)))
        resp.headers.append(("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding"))
        with self._lock:
            rec.status = resp.status
            rec.login = ctx.login
            if ctx.method not in ("GET", "HEAD"):
                rec.response_body = resp.body
                rec.response_headers = ([("Content-Type", resp.content_type)]
                                        if resp.content_type else []) + list(resp.headers)
            rec.done = True
        return resp

    def _fire(self, f: Fault, ctx: Ctx, rid: str, wake: threading.Event) -> Resp | None:
        """Apply a fault. Returns a response, None to continue normally, or raises _Abort."""
        if f.kind == "reset":
            raise _Abort(rst=True)
        if f.kind == "hang":
            if f.seconds is None:
                wake.wait()
                raise _Abort(rst=False)
            if wake.wait(f.seconds) and self._stopping:
                raise _Abort(rst=False)
            return None
        with self._lock:
            login = self.tokens.get(ctx.token) if ctx.token else None
            principal = ("user:" + login) if login else "ip:" + ctx.client
            if ctx.token in self.app_tokens:
                principal = f"installation:{self.app_tokens[ctx.token]['installation_id']}"
            elif ctx.auth == "jwt" and ctx.app_id is not None:
                principal, login = f"app:{ctx.app_id}", self.apps[ctx.app_id]["slug"]
            b = dict(self._bucket(principal, ctx.bucket))
        rate = self._rate_headers(b, ctx.bucket)
        if f.kind == "bad_credentials":
            return Resp.json(f.status, error_body(401, "Bad credentials"), pretty=False,
                             headers=rate)
        if f.kind == "secondary":
            body = f.body if f.body is not None else {
                "message": SECONDARY_MESSAGE.format(rid=rid), "documentation_url": DOC_SECONDARY}
            headers = list(rate)
            if f.retry_after is not None:
                headers.append(("Retry-After", str(f.retry_after)))
            headers += list(f.headers.items())
            resp = _resp_from_body(f.status, body, f.content_type, headers)
            ctx.login = login
            return resp
        if f.kind == "status":
            body = f.body
            if body is None:
                try:
                    phrase = http.HTTPStatus(f.status).phrase
                except ValueError:
                    phrase = "Error"
                body = {"message": phrase, "documentation_url": DOC_REST, "status": str(f.status)}
            # A rule's own x-ratelimit-* headers replace the fake's, not follow them.
            own = {k.lower() for k in f.headers}
            headers = [(k, v) for k, v in rate if k.lower() not in own]
            if f.retry_after is not None:
                headers.append(("Retry-After", str(f.retry_after)))
            headers += list(f.headers.items())
            ctx.login = login
            return _resp_from_body(f.status, body, f.content_type, headers)
        raise AssertionError(f.kind)

    def _refuse(self, ctx: Ctx, rec: RequestRecord, message: str, why: str,
                status: int = 401) -> Resp:
        """An authentication failure: not counted, the client address's core headers."""
        rec.auth_error = rec.auth_error or why
        b = dict(self._bucket("ip:" + ctx.client, "core"))
        return Resp.json(status, error_body(status, message), pretty=False,
                         headers=self._rate_headers(b, "core"))

    def _answer(self, ctx: Ctx, rec: RequestRecord) -> Resp:
        with self._lock:
            app_endpoint = _is_app_endpoint(ctx.method, ctx.segments)
            if ctx.auth == "jwt":
                if ctx.app_id is None or ctx.app_id not in self.apps:
                    return self._refuse(ctx, rec, ctx.auth_error or JWT_UNDECODABLE,
                                        "App unknown")
                if not app_endpoint:
                    return self._refuse(ctx, rec, JWT_UNDECODABLE,
                                        "an App JWT used on an endpoint that is not an App one")
                ctx.login = self.apps[ctx.app_id]["slug"]
                ctx.principal = f"app:{ctx.app_id}"
            elif ctx.token is not None:
                if ctx.token not in self.tokens or ctx.token in self.revoked:
                    return self._refuse(ctx, rec, "Bad credentials",
                                        "revoked" if ctx.token in self.revoked else "unknown")
                info = self.app_tokens.get(ctx.token)
                if info is not None:
                    inst = self.installations.get(info["installation_id"])
                    if info["expired"] or self.app_now() >= info["expires_at"]:
                        return self._refuse(ctx, rec, "Bad credentials",
                                            "installation token expired")
                    if inst is None or inst["suspended"]:
                        return self._refuse(ctx, rec, "Bad credentials",
                                            "installation removed or suspended")
                    ctx.principal = f"installation:{info['installation_id']}"
                else:
                    ctx.principal = "user:" + self.tokens[ctx.token]
                if app_endpoint:
                    return self._refuse(ctx, rec, JWT_UNDECODABLE,
                                        "an App endpoint without an App JWT")
                ctx.login = self.tokens[ctx.token]
            elif app_endpoint:
                return self._refuse(ctx, rec, JWT_UNDECODABLE,
                                    "an App endpoint without an App JWT")
            principal = ctx.principal
            b = self._bucket(principal, ctx.bucket)
            if ctx.raw_path == "/rate_limit" and ctx.method in ("GET", "HEAD"):
                return self._rate_limit_resp(principal)
            needs_auth = (ctx.bucket in ("graphql", "code_search")
                          or ctx.method not in ("GET", "HEAD"))
            if ctx.login is None and needs_auth:
                msg = ("This endpoint requires you to be authenticated."
                       if ctx.bucket == "graphql" else "Requires authentication")
                return Resp.json(401, error_body(401, msg), pretty=False,
                                 headers=self._rate_headers(b, ctx.bucket))
            if b["remaining"] <= 0 and ctx.bucket == "graphql" and ctx.login:
                # GitHub's GraphQL primary limit: HTTP 200 and a RATE_LIMITED error.
                msg = f"API rate limit already exceeded for {self._limited_who(ctx)}."
                return Resp.json(200, {"data": None, "errors": [
                    {"type": "RATE_LIMITED", "code": "graphql_rate_limit", "message": msg}]},
                    pretty=False, headers=self._rate_headers(b, ctx.bucket))
            if b["remaining"] <= 0:
                if ctx.login:
                    who = self._limited_who(ctx)
                    msg = (f"API rate limit exceeded for {who}. If you reach out to GitHub "
                           f"Support for help, please include the request ID {rec.request_id} "
                           f"and timestamp {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC.")
                else:
                    msg = (f"API rate limit exceeded for {ctx.client}. (But here's the good news: "
                           "Authenticated requests get a higher rate limit. Check out the "
                           "documentation for more details.)")
                return Resp.json(403, {"message": msg, "documentation_url": DOC_RATE}, pretty=False,
                                 headers=self._rate_headers(b, ctx.bucket))
            b["remaining"] -= 1
            b["used"] += 1
            rec.counted = True
        try:
            resp = self._route(ctx)
        except (ValueError, json.JSONDecodeError):
            resp = Resp.json(400, error_body(400, "Problems parsing JSON"), pretty=False)
        with self._lock:
            if resp.status == 200 and resp.cacheable and ctx.method in ("GET", "HEAD"):
                etag = 'W/"' + hashlib.sha256(
                    (ctx.token or "").encode() + b"\0" + resp.body).hexdigest()[:40] + '"'
                resp.headers.append(("ETag", etag))
                if resp.last_modified is not None:
                    resp.headers.append(("Last-Modified", _http_date(resp.last_modified)))
                if _not_modified(ctx.headers, etag, resp.last_modified):
                    resp = Resp(304, b"", None, headers=[h for h in resp.headers
                                                         if h[0] in ("ETag", "Last-Modified")])
                    if ctx.login:  # free for authorised requests
                        b["remaining"] += 1
                        b["used"] -= 1
                        rec.counted = False
            if ctx.login:
                resp.headers.append(("Cache-Control", "private, max-age=60, s-maxage=60"))
                if ctx.auth == "token":  # classic tokens only; never Apps' tokens
                    resp.headers.append(("X-OAuth-Scopes", "repo, read:org"))
            else:
                resp.headers.append(("Cache-Control", "public, max-age=60, s-maxage=60"))
            resp.headers += self._rate_headers(b, ctx.bucket)
        return resp

    def _rate_limit_resp(self, principal: str) -> Resp:
        res = {}
        for name in BUCKETS:
            b = self._bucket(principal, name)
            res[name] = {"limit": b["limit"], "used": b["used"], "remaining": b["remaining"],
                         "reset": b["reset"], "resource": name}
        core = self._bucket(principal, "core")
        return Resp.json(200, {"resources": res, "rate": dict(res["core"])},
                         headers=self._rate_headers(core, "core"))

    def _limited_who(self, ctx: Ctx) -> str:
        """Who GitHub names in a primary-limit message."""
        kind, _, ident = ctx.principal.partition(":")
        if kind == "installation":
            return f"installation ID {ident}"
        if kind == "app":
            return f"integration ID {ident}"
        return f"user ID {self._user_id(str(ctx.login))}"

    def _graphql_rate_limit(self, ctx: Ctx) -> dict[str, Any]:
        b = self._bucket(ctx.principal, "graphql")
        return {"limit": b["limit"], "cost": 1, "remaining": b["remaining"],
                "used": b["used"], "resetAt": _iso(b["reset"])}

    # --- internals: GitHub Apps -----------------------------------------------------

    def _authenticate(self, ctx: Ctx) -> dict[str, Any]:
        """Classify the credential (ctx.auth, app_id, installation_id); verify an App JWT.
        Returns the JWT's header / claims / key / reason for the log ({} otherwise)."""
        tok = ctx.token
        if tok is None:
            return {}
        scheme = (ctx.headers.get("Authorization") or "").strip().partition(" ")[0].lower()
        if scheme == "bearer" and "." in tok:
            ctx.auth = "jwt"
            v = self._verify_app_jwt(tok)
            ctx.app_id = v.get("app_id")
            ctx.auth_error = v.get("error")
            return v
        with self._lock:
            info = self.app_tokens.get(tok)
            if info is not None:
                ctx.auth = "installation"
                ctx.app_id, ctx.installation_id = info["app_id"], info["installation_id"]
            else:
                ctx.auth = "token" if tok in self.tokens else "unknown"
        return {}

    def _verify_app_jwt(self, jwt: str) -> dict[str, Any]:
        """GitHub's checks of an App JWT. Returns header, claims, app_id (set only when
        every check passed), key (fingerprint of the key that verified it), error
        (GitHub's message) and reason (what exactly was wrong)."""
        out: dict[str, Any] = {}

        def fail(message: str, reason: str) -> dict[str, Any]:
            out["error"], out["reason"] = message, reason
            return out

        parts = jwt.split(".")
        if len(parts) != 3:
            return fail(JWT_UNDECODABLE, f"{len(parts)} segments, not 3")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError) as e:
            return fail(JWT_UNDECODABLE, f"malformed JWT: {e}")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return fail(JWT_UNDECODABLE, "header or claims not a JSON object")
        out["header"], out["claims"] = header, claims
        alg = header.get("alg")
        if alg != "RS256":
            return fail(JWT_UNDECODABLE, f"alg {alg!r} is not RS256")
        iss = claims.get("iss")
        with self._lock:
            app = None
            if isinstance(iss, int) and not isinstance(iss, bool):
                app = self.apps.get(iss)
            elif isinstance(iss, str) and iss.isdigit() and iss.isascii():
                app = self.apps.get(int(iss))
            elif isinstance(iss, str) and iss:
                app = next((a for a in self.apps.values() if a["client_id"] == iss), None)
            else:
                return fail(JWT_ISS_MSG, f"iss {iss!r} is neither an app id nor a client id")
            if app is None:
                return fail(APP_NOT_FOUND_MSG, f"no App {iss!r}")
            keys = list(app["keys"].items())
            app_id = app["id"]
            tmpdir = self._app_dir()
        if not signature:
            return fail(JWT_UNDECODABLE, "empty signature")
        signed = (parts[0] + "." + parts[1]).encode("ascii")
        for fp, path in keys:
            if _rs256_verify(path, signed, signature, tmpdir):
                out["key"] = fp
                break
        else:
            return fail(JWT_UNDECODABLE, f"the signature verifies with no key of App {app_id}")
        iat, exp = claims.get("iat"), claims.get("exp")
        if isinstance(iat, bool) or not isinstance(iat, (int, float)):
            return fail(JWT_IAT_MSG, "iat missing or not a number")
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            return fail(JWT_EXP_MSG, "exp missing or not a number")
        now = self.app_now()
        if iat > now + JWT_CLOCK_SKEW:
            return fail(JWT_IAT_MSG, f"iat is {iat - now:.0f}s ahead of GitHub's clock")
        if exp <= now:
            return fail(JWT_EXP_MSG, f"expired {now - exp:.0f}s ago")
        if exp - iat > JWT_MAX_LIFETIME:
            return fail(JWT_EXP_TOO_FAR_MSG, f"exp - iat = {exp - iat}s > {JWT_MAX_LIFETIME}s")
        out["app_id"] = app_id
        return out

    def _route_app(self, ctx: Ctx, seg: list[str]) -> Resp:
        """The App endpoints, for a verified JWT of App ctx.app_id."""
        app = self.apps[int(ctx.app_id)]  # type: ignore[arg-type]
        mine = {i: inst for i, inst in self.installations.items() if inst["app_id"] == app["id"]}
        if seg == ["app"]:
            return Resp.json(200, self._app_json(app))
        if seg == ["app", "installations"]:
            return Resp.json(200, [self._installation_json(i) for _, i in sorted(mine.items())])
        if len(seg) >= 3 and seg[:2] == ["app", "installations"]:
            inst = mine.get(int(seg[2])) if seg[2].isdigit() else None
            if inst is None:
                return not_found()
            if len(seg) == 3:
                return Resp.json(200, self._installation_json(inst))
            return self._mint(ctx, app, inst)
        if seg[0] in ("orgs", "users"):
            login = seg[1].lower()
            for _, inst in sorted(mine.items()):
                if inst["account"].lower() == login and (
                        seg[0] == "users" or inst["type"] == "Organization"):
                    return Resp.json(200, self._installation_json(inst))
            return not_found()
        if seg[0] == "repos":
            if self.data.find(seg[1], seg[2]) is None:
                return not_found()
            for _, inst in sorted(mine.items()):
                if inst["account"].lower() == seg[1].lower():
                    return Resp.json(200, self._installation_json(inst))
            return not_found()
        return not_found()

    def _mint(self, ctx: Ctx, app: dict[str, Any], inst: dict[str, Any]) -> Resp:
        """POST /app/installations/{id}/access_tokens."""
        doc = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
        if inst["suspended"]:
            return Resp.json(403, error_body(403, "This installation has been suspended", doc),
                             pretty=False)
        payload = ctx.json_body() if ctx.body.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        perms = dict(inst["permissions"])
        asked = payload.get("permissions")
        if asked is not None:
            order = {"read": 1, "write": 2, "admin": 3}
            if not isinstance(asked, dict) or any(
                    k not in perms or order.get(str(v), 9) > order.get(perms[k], 0)
                    for k, v in asked.items()):
                return Resp.json(422, error_body(
                    422, "The permissions requested are not granted to this installation.", doc),
                    pretty=False)
            perms = dict(asked)
        selection, repos = "all", None
        names = payload.get("repositories")
        if names is not None:
            repos = []
            for n in names if isinstance(names, list) else [None]:
                rid = self.data.find(inst["account"], n) if isinstance(n, str) else None
                if rid is None:
                    return Resp.json(422, error_body(
                        422, "There is at least one repository that does not exist or is not "
                        "accessible to the parent installation.", doc), pretty=False)
                repos.append(self._repo_json(rid))
            selection = "selected"
        now = self.app_now()
        expires = int(now) + int(app["token_lifetime"])
        token = "ghs_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                                 for _ in range(36))
        login = app["slug"] + "[bot]"
        info = {"token": token, "installation_id": inst["id"], "app_id": app["id"],
                "login": login, "expires_at": expires, "minted_at": time.time(),
                "permissions": perms, "repository_selection": selection, "expired": False}
        self.app_tokens[token] = info
        self.minted.append(info)
        self.tokens[token] = login
        self._user_id(login)
        body: dict[str, Any] = {"token": token, "expires_at": _iso(expires),
                                "permissions": perms, "repository_selection": selection}
        if repos is not None:
            body["repositories"] = repos
        return Resp.json(201, body)

    # --- routes -------------------------------------------------------------------

    def _route(self, ctx: Ctx) -> Resp:
        seg = ctx.segments
        m = ctx.method
        if ctx.auth == "jwt":  # _answer let it through: an App endpoint
            with self._lock:
                return self._route_app(ctx, seg)
        if m == "POST" and seg == ["graphql"]:
            return self._graphql(ctx)
        if m in ("GET", "HEAD"):
            with self._lock:
                return self._route_get(ctx, seg)
        if m in ("POST", "PATCH", "PUT", "DELETE"):
            with self._lock:
                return self._route_write(ctx, seg)
        return not_found()

    def _resolve_repo(self, ctx: Ctx, seg: list[str]) -> tuple[int | None, list[str], Resp | None]:
        """seg after 'repos' or 'repositories' -> (repo id, rest segments, redirect/404)."""
        if seg[0] == "repos" and len(seg) >= 3:
            owner, name, rest = seg[1], seg[2], seg[3:]
            rid = self.data.find(owner, name)
            if rid is None:
                target = RENAMED.get((owner.lower(), name.lower()))
                if target is not None:
                    rest_raw = ctx.raw_path.split("/", 4)[4] if len(seg) > 3 else ""
                    loc = f"{self.url}/repositories/{target}" + (f"/{rest_raw}" if rest_raw else "")
                    if ctx.raw_query is not None:
                        loc += "?" + ctx.raw_query
                    return None, rest, Resp.json(
                        301, {"message": "Moved Permanently", "url": loc,
                              "documentation_url": "https://docs.github.com/v3/#http-redirects"},
                        headers=[("Location", loc)])
                return None, rest, not_found()
            return rid, rest, None
        if seg[0] == "repositories" and len(seg) >= 2 and seg[1].isdigit():
            rid = int(seg[1])
            if rid not in self.data.repos:
                return None, seg[2:], not_found()
            return rid, seg[2:], None
        return None, [], not_found()

    def _route_get(self, ctx: Ctx, seg: list[str]) -> Resp:
        if seg == ["user"]:
            if ctx.login is None:
                return Resp.json(401, error_body(401, "Requires authentication"), pretty=False)
            if ctx.auth == "installation":
                return Resp.json(403, error_body(
                    403, INTEGRATION_FORBIDDEN_MSG,
                    "https://docs.github.com/rest/users/users#get-the-authenticated-user"),
                    pretty=False)
            return Resp.json(200, self._user_json(ctx.login), cacheable=True,
                             last_modified=BASE_EPOCH)
        if len(seg) >= 2 and seg[0] == "users":
            return self._get_owner(ctx, seg[1], seg[2:], users=True)
        if len(seg) >= 2 and seg[0] == "orgs":
            return self._get_owner(ctx, seg[1], seg[2:], users=False)
        if seg == ["meta"]:
            return Resp.json(200, {"verifiable_password_authentication": False,
                                   "hooks": ["192.0.2.0/24"], "api": ["192.0.2.0/24"]},
                             cacheable=True, last_modified=BASE_EPOCH)
        if seg == ["zen"]:
            return Resp(200, b"Keep it logically awesome.", "text/plain;charset=utf-8",
                        cacheable=True)
        if seg and seg[0] == "search" and len(seg) == 2:
            return self._search(ctx, seg[1])
        public = self._get_public(ctx, seg)
        if public is not None:
            return public
        if len(seg) == 4 and seg[0] == "networks" and seg[3] == "events":
            if self.data.find(seg[1], seg[2]) is None:
                return not_found()
            return Resp.json(200, [], cacheable=True, last_modified=BASE_EPOCH)
        if seg and seg[0] in ("repos", "repositories"):
            rid, rest, early = self._resolve_repo(ctx, seg)
            if early is not None:
                return early
            assert rid is not None
            return self._get_repo_sub(ctx, rid, rest)
        return not_found()

    def _get_public(self, ctx: Ctx, seg: list[str]) -> Resp | None:
        """GitHub's public, account-independent endpoints (None: not one of them)."""
        def ok(body: Any) -> Resp:
            return Resp.json(200, body, cacheable=True, last_modified=BASE_EPOCH)
        head, rest = (seg[0], seg[1:]) if seg else ("", [])
        if seg == ["emojis"]:
            return ok({"+1": "https://github.githubassets.com/images/icons/emoji/unicode/1f44d.png",
                       "octocat": "https://github.githubassets.com/images/icons/emoji/octocat.png"})
        if seg == ["octocat"]:
            return Resp(200, b"  MMM.           .MMM\n  (octocat)\n", "application/octocat-stream",
                        cacheable=True)
        if seg == ["versions"]:
            return ok(["2022-11-28"])
        if head == "licenses" and len(rest) <= 1:
            lic = {"key": "mit", "name": "MIT License", "spdx_id": "MIT",
                   "url": f"{self.url}/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"}
            if not rest:
                return ok([lic])
            return ok(dict(lic, body="MIT License ...")) if rest[0] == "mit" else not_found()
        if seg[:2] == ["gitignore", "templates"] and len(seg) <= 3:
            if len(seg) == 2:
                return ok(["C", "Python"])
            if seg[2] in ("C", "Python"):
                return ok({"name": seg[2], "source": "*.o\n" if seg[2] == "C" else "*.pyc\n"})
            return not_found()
        if head == "codes_of_conduct" and len(rest) <= 1:
            coc = {"key": "contributor_covenant", "name": "Contributor Covenant",
                   "url": f"{self.url}/codes_of_conduct/contributor_covenant"}
            if not rest:
                return ok([coc])
            return ok(dict(coc, body="# Contributor Covenant ...")) \
                if rest[0] == "contributor_covenant" else not_found()
        if head == "advisories" and len(rest) <= 1:
            adv = {"ghsa_id": "GHSA-abcd-efgh-ijkl", "summary": "A fake advisory",
                   "severity": "high", "url": f"{self.url}/advisories/GHSA-abcd-efgh-ijkl"}
            if not rest:
                return self._paginate(ctx, [adv], "/advisories", BASE_EPOCH)
            return ok(adv) if rest[0] == adv["ghsa_id"] else not_found()
        if seg == ["events"]:
            return self._paginate(ctx, [], "/events", BASE_EPOCH)
        return None

    def _get_owner(self, ctx: Ctx, name: str, rest: list[str], users: bool) -> Resp:
        lname = name.lower()
        owner = next((k for k in SEED_OWNERS if k == lname), None)
        if owner is None:
            person = next((k for k in PEOPLE if k.lower() == lname), None)
            if person is not None and users:
                if rest:
                    return Resp.json(200, [], cacheable=True, last_modified=BASE_EPOCH)
                return Resp.json(200, self._profile_json(person), cacheable=True,
                                 last_modified=BASE_EPOCH)
            login = next((v for v in self.tokens.values() if v.lower() == lname), None)
            if login is None or not users:
                return not_found()
            if rest:
                return Resp.json(200, [], cacheable=True, last_modified=BASE_EPOCH)
            return Resp.json(200, self._user_json(login), cacheable=True, last_modified=BASE_EPOCH)
        info = SEED_OWNERS[owner]
        if not users and info["type"] != "Organization":
            return not_found()
        if not rest:
            return Resp.json(200, self._profile_json(owner), cacheable=True,
                             last_modified=BASE_EPOCH)
        if rest == ["repos"]:
            repos = [self._repo_json(rid) for rid, r in sorted(self.data.repos.items())
                     if r["owner"] == owner and not r.get("unlisted")]
            return Resp.json(200, repos, cacheable=True, last_modified=BASE_EPOCH)
        if rest in (["events"], ["events", "public"], ["members"], ["teams"], ["orgs"]):
            return self._paginate(ctx, [], f"/{'users' if users else 'orgs'}/{owner}/"
                                  + "/".join(rest), BASE_EPOCH)
        return not_found()

    def _get_repo_sub(self, ctx: Ctx, rid: int, rest: list[str]) -> Resp:
        lm = self.data.updated[rid]
        if not rest:
            return Resp.json(200, self._repo_json(rid), cacheable=True, last_modified=lm)
        rich = self.data.repos[rid].get("rich")
        if rest == ["issues"]:
            return self._list_issues(ctx, rid, lm)
        if len(rest) == 2 and rest[0] == "issues" and rest[1].isdigit():
            issue = self.data.issues[rid].get(int(rest[1]))
            if issue is None:
                pull = self.data.pulls[rid].get(int(rest[1])) if rich else None
                if pull is not None:  # a pull request is an issue too
                    return Resp.json(200, self._pull_issue_json(rid, pull), cacheable=True,
                                     last_modified=pull["updated"])
                return not_found()
            return Resp.json(200, self._issue_json(rid, issue), cacheable=True,
                             last_modified=issue["updated"])
        if len(rest) == 3 and rest[0] == "issues" and rest[1].isdigit() and rest[2] == "comments":
            n = int(rest[1])
            if n not in self.data.issues[rid] and not (rich and n in self.data.pulls[rid]):
                return not_found()
            comments = [c for _, c in sorted(self.data.comments[rid].items()) if c["issue"] == n]
            return self._paginate(ctx, [self._comment_json(rid, c) for c in comments],
                                  f"/repositories/{rid}/issues/{n}/comments", lm)
        if rich:
            answer = self._get_rich(ctx, rid, rest, lm)
            if answer is not None:
                return answer
        if rest == ["pulls"]:
            pulls = [self._pull_json(rid, p) for _, p in sorted(self.data.pulls[rid].items())]
            return self._paginate(ctx, pulls, f"/repositories/{rid}/pulls", lm)
        if len(rest) == 2 and rest[0] == "pulls" and rest[1].isdigit():
            pr = self.data.pulls[rid].get(int(rest[1]))
            if pr is None:
                return not_found()
            param = ctx.media["param"]
            name = self.data.repos[rid]["name"]
            diff = PR_DIFF.format(name=name, number=pr["number"])
            if param == "diff":
                return Resp(200, diff.encode(), "application/vnd.github.diff; charset=utf-8",
                            cacheable=True, last_modified=lm)
            if param == "patch":
                patch = PR_PATCH.format(number=pr["number"], diff=diff)
                return Resp(200, patch.encode(), "application/vnd.github.patch; charset=utf-8",
                            cacheable=True, last_modified=lm)
            return Resp.json(200, self._pull_json(rid, pr), cacheable=True, last_modified=lm)
        if rest == ["commits"]:
            commits = [self._commit_json(rid, sha, n) for n, sha in enumerate(_commit_shas(rid))]
            commits.reverse()  # newest first
            return self._paginate(ctx, commits, f"/repositories/{rid}/commits", lm)
        if len(rest) == 2 and rest[0] == "commits":
            shas = _commit_shas(rid)
            ref = rest[1].lower()
            if ref == "main":
                ref = shas[-1]
            hit = [n for n, sha in enumerate(shas) if len(ref) >= 7 and sha.startswith(ref)]
            if len(hit) != 1:
                return not_found()
            return Resp.json(200, self._commit_json(rid, shas[hit[0]], hit[0]), cacheable=True,
                             last_modified=BASE_EPOCH + hit[0])
        if rest == ["actions", "runs"]:
            return Resp.json(200, {"total_count": 0, "workflow_runs": []}, cacheable=True,
                             last_modified=lm)
        more = self._get_repo_more(ctx, rid, rest, lm)
        if more is not None:
            return more
        if rest and rest[0] == "contents":
            return self._contents(ctx, rid, "/".join(rest[1:]), lm)
        return not_found()

    def _refs(self, rid: int) -> dict[str, str]:
        """The repository's refs ("refs/heads/main" -> sha), sorted by name."""
        shas = _commit_shas(rid)
        refs = {f"refs/heads/{b}": shas[n % len(shas)]
                for n, b in enumerate(["feature-1", "feature-2", "feature-3", "release/1.0"])}
        refs["refs/heads/main"] = shas[-1]
        refs["refs/tags/v1.0"] = shas[0]
        return dict(sorted(refs.items()))

    def _ref_json(self, rid: int, ref: str, sha: str) -> dict[str, Any]:
        full = self._full(rid)
        return {"ref": ref, "node_id": "REF_" + hashlib.sha1(f"{rid}:{ref}".encode()).hexdigest()[:12],
                "url": f"{self.url}/repos/{full}/git/{ref}",
                "object": {"sha": sha, "type": "commit",
                           "url": f"{self.url}/repos/{full}/git/commits/{sha}"}}

    def _get_repo_more(self, ctx: Ctx, rid: int, rest: list[str], lm: float) -> Resp | None:
        """Further read-only repository endpoints (None: not one of them). Segments are
        percent-decoded, so git/ref/heads%2Fmain and git/ref/heads/main are the same ref,
        as on GitHub."""
        full = self._full(rid)
        name = self.data.repos[rid]["name"]
        shas = _commit_shas(rid)
        refs = self._refs(rid)

        def ok(body: Any) -> Resp:
            return Resp.json(200, body, cacheable=True, last_modified=lm)
        if len(rest) >= 3 and rest[:2] == ["git", "ref"]:
            ref = "refs/" + "/".join(rest[2:])
            return ok(self._ref_json(rid, ref, refs[ref])) if ref in refs else not_found()
        if len(rest) >= 2 and rest[0] == "git" and rest[1] in ("refs", "matching-refs"):
            prefix = "/".join(["refs"] + rest[2:])
            if rest[1] == "refs" and prefix in refs:
                return ok(self._ref_json(rid, prefix, refs[prefix]))
            hits = [self._ref_json(rid, r, sha) for r, sha in refs.items()
                    if r.startswith(prefix)]
            if rest[1] == "refs" and not hits:
                return not_found()
            return self._paginate(ctx, hits, f"/repositories/{rid}/git/{rest[1]}", lm)
        if rest == ["branches"]:
            items = [{"name": r[len("refs/heads/"):], "protected": r == "refs/heads/main",
                      "commit": {"sha": sha, "url": f"{self.url}/repos/{full}/commits/{sha}"}}
                     for r, sha in refs.items() if r.startswith("refs/heads/")]
            return self._paginate(ctx, items, f"/repositories/{rid}/branches", lm)
        if len(rest) >= 2 and rest[0] == "branches":
            b = "/".join(rest[1:])
            sha = refs.get(f"refs/heads/{b}")
            if sha is None:
                return not_found()
            return ok({"name": b, "protected": b == "main",
                       "commit": {"sha": sha, "url": f"{self.url}/repos/{full}/commits/{sha}"},
                       "_links": {"self": f"{self.url}/repos/{full}/branches/{b}"}})
        if rest == ["tags"]:
            return self._paginate(ctx, [{"name": r[len("refs/tags/"):], "commit": {"sha": sha}}
                                        for r, sha in refs.items()
                                        if r.startswith("refs/tags/")],
                                  f"/repositories/{rid}/tags", lm)
        release = {"id": rid * 10 + 1, "tag_name": "v1.0", "name": "v1.0", "draft": False,
                   "prerelease": False, "target_commitish": "main",
                   "url": f"{self.url}/repos/{full}/releases/{rid * 10 + 1}",
                   "created_at": _iso(BASE_EPOCH), "published_at": _iso(BASE_EPOCH),
                   "assets": []}
        no_releases = self.data.repos[rid].get("releases") is False
        if rest == ["releases"]:
            return self._paginate(ctx, [] if no_releases else [release],
                                  f"/repositories/{rid}/releases", lm)
        if no_releases and rest and rest[0] == "releases":
            return not_found()
        if rest == ["milestones"]:
            return self._paginate(ctx, [], f"/repositories/{rid}/milestones", lm)
        if rest in (["releases", "latest"], ["releases", "tags", "v1.0"],
                    ["releases", str(release["id"])]):
            return ok(release)
        if rest == ["labels"]:
            labels = [{"id": rid * 10 + n, "name": lab, "color": col, "default": True}
                      for n, (lab, col) in enumerate([("bug", "d73a4a"),
                                                      ("enhancement", "a2eeef")])]
            return self._paginate(ctx, labels, f"/repositories/{rid}/labels", lm)
        if rest == ["readme"]:
            return self._contents(ctx, rid, "README.md", lm)
        if rest in (["languages"],):
            return ok({"C": 64})
        if rest == ["topics"]:
            return ok({"names": []})
        if rest == ["contributors"]:
            return self._paginate(ctx, [{"login": "alice", "contributions": len(shas)}],
                                  f"/repositories/{rid}/contributors", lm)
        if len(rest) == 3 and rest[0] == "pulls" and rest[1].isdigit() and \
                rest[2] in ("files", "commits", "reviews", "comments"):
            n = int(rest[1])
            if n not in self.data.pulls[rid]:
                return not_found()
            if rest[2] == "files":
                items = [{"sha": shas[-1], "filename": "README.md", "status": "modified",
                          "additions": 2, "deletions": 1, "changes": 3,
                          "patch": PR_DIFF.format(name=name, number=n).split("@@", 1)[-1]}]
            elif rest[2] == "commits":
                items = [self._commit_json(rid, shas[-1], len(shas) - 1)]
            else:
                items = []
            return self._paginate(ctx, items, f"/repositories/{rid}/pulls/{n}/{rest[2]}", lm)
        if len(rest) == 3 and rest[0] == "commits" and rest[2] in ("status", "check-runs"):
            if rest[2] == "status":
                return ok({"state": "success", "statuses": [], "total_count": 0,
                           "sha": shas[-1]})
            return ok({"total_count": 0, "check_runs": []})
        if rest == ["actions", "workflows"]:
            return ok({"total_count": 0, "workflows": []})
        return None

    # --- ghp's read endpoints: issue filters, and octo-org/demo's richer data ---------

    def _list_issues(self, ctx: Ctx, rid: int, lm: float) -> Resp:
        """GET /repos/{o}/{r}/issues: state, labels, creator, assignee, mentioned, milestone
        filters, sort=created|updated|comments, direction (default desc). Pull requests
        are listed too (with "pull_request") in repositories that have real ones (demo)."""
        recs: list[tuple[dict[str, Any], bool]] = \
            [(i, False) for i in self.data.issues[rid].values()]
        if self.data.repos[rid].get("rich"):
            recs += [(p, True) for p in self.data.pulls[rid].values()]
        state = ctx.q("state", "open")
        if state in ("open", "closed"):
            recs = [x for x in recs if x[0]["state"] == state]
        labels = [v.strip().lower() for v in (ctx.q("labels") or "").split(",") if v.strip()]
        if labels:
            recs = [x for x in recs
                    if all(v in [n.lower() for n in x[0].get("labels", [])] for v in labels)]
        creator = ctx.q("creator")
        if creator:
            recs = [x for x in recs if x[0]["user"].lower() == creator.lower()]
        assignee = ctx.q("assignee")
        if assignee == "none":
            recs = [x for x in recs if not x[0].get("assignees")]
        elif assignee == "*":
            recs = [x for x in recs if x[0].get("assignees")]
        elif assignee:
            recs = [x for x in recs
                    if assignee.lower() in [a.lower() for a in x[0].get("assignees", [])]]
        mentioned = ctx.q("mentioned")
        if mentioned:
            recs = [x for x in recs if f"@{mentioned.lower()}" in (x[0].get("body") or "").lower()]
        milestone = ctx.q("milestone")
        if milestone == "none":
            recs = [x for x in recs if not x[0].get("milestone")]
        elif milestone == "*":
            recs = [x for x in recs if x[0].get("milestone")]
        elif milestone:
            recs = [x for x in recs if str(x[0].get("milestone")) == milestone]
        recs = self._sorted(recs, ctx.q("sort", "created"), ctx.q("direction"))
        items = [self._pull_issue_json(rid, rec) if is_pr else self._issue_json(rid, rec)
                 for rec, is_pr in recs]
        return self._paginate(ctx, items, f"/repositories/{rid}/issues", lm)

    @staticmethod
    def _sorted(recs: list, sort: str | None, direction: str | None) -> list:
        """Issue/PR records (or (record, flag) pairs) sorted as GitHub sorts them."""
        field = {"updated": "updated", "comments": "comments"}.get(sort or "", "created")

        def key(x: Any) -> tuple:
            rec = x[0] if isinstance(x, tuple) else x
            return (rec.get(field) or 0, rec["number"])
        return sorted(recs, key=key, reverse=(direction or "desc") != "asc")

    def _get_rich(self, ctx: Ctx, rid: int, rest: list[str], lm: float) -> Resp | None:
        """octo-org/demo's pulls, checks, Actions, releases, labels, milestones (None: an
        endpoint answered like any other repository's)."""
        full = self._full(rid)
        pulls = self.data.pulls[rid]

        def ok(body: Any, last: float = lm) -> Resp:
            return Resp.json(200, body, cacheable=True, last_modified=last)
        if rest == ["pulls"]:
            recs = list(pulls.values())
            state = ctx.q("state", "open")
            if state in ("open", "closed"):
                recs = [p for p in recs if p["state"] == state]
            head = ctx.q("head")
            if head:
                owner, _, ref = head.rpartition(":")
                recs = [p for p in recs if p["head"] == ref and
                        (not owner or owner.lower() ==
                         (p.get("head_owner") or self.data.repos[rid]["owner"]).lower())]
            base = ctx.q("base")
            if base:
                recs = [p for p in recs if p["base"] == base]
            sort = ctx.q("sort", "created")
            direction = ctx.q("direction") or ("desc" if sort == "created" else "asc")
            if sort == "popularity" or sort == "long-running":
                sort = "created"
            recs = self._sorted(recs, sort, direction)
            return self._paginate(ctx, [self._rich_pull_json(rid, p, False) for p in recs],
                                  f"/repositories/{rid}/pulls", lm)
        if len(rest) >= 2 and rest[0] == "pulls" and rest[1].isdigit():
            p = pulls.get(int(rest[1]))
            if p is None:
                return not_found()
            n = p["number"]
            if len(rest) == 2:
                param = ctx.media["param"]
                diff = DEMO_DIFFS.get(n) or (
                    f"diff --git a/NOTES.md b/NOTES.md\nindex 7777777..8888888 100644\n"
                    f"--- a/NOTES.md\n+++ b/NOTES.md\n@@ -1 +1 @@\n-old\n+"
                    f"{p['title']}\n").encode()
                if param == "diff":
                    return Resp(200, diff, "application/vnd.github.diff; charset=utf-8",
                                cacheable=True, last_modified=p["updated"])
                if param == "patch":
                    patch = PR_PATCH.format(number=n, diff=diff.decode("utf-8", "replace"))
                    return Resp(200, patch.encode(),
                                "application/vnd.github.patch; charset=utf-8",
                                cacheable=True, last_modified=p["updated"])
                return ok(self._rich_pull_json(rid, p, True), p["updated"])
            if len(rest) == 3 and rest[2] == "reviews":
                items = [{"id": 7000 + n * 10 + k, "node_id": f"PRR_{rid}_{n}_{k}",
                          "user": self._user_ref(login), "body": body, "state": state,
                          "html_url": f"https://github.com/{full}/pull/{n}"
                                      f"#pullrequestreview-{7000 + n * 10 + k}",
                          "pull_request_url": f"{self.url}/repos/{full}/pulls/{n}",
                          "author_association": "MEMBER", "submitted_at": at,
                          "commit_id": _demo_sha(n)}
                         for k, (login, state, at, body) in enumerate(p.get("reviews", []))]
                return self._paginate(ctx, items, f"/repositories/{rid}/pulls/{n}/reviews", lm)
            if len(rest) == 3 and rest[2] == "commits":
                items = []
                for k in range(p.get("commits", 1)):
                    sha = _demo_sha(n) if k == p.get("commits", 1) - 1 else \
                        hashlib.sha1(f"{rid}:{n}:{k}".encode()).hexdigest()
                    who = p["user"]
                    items.append({"sha": sha, "node_id": f"C_{sha[:12]}",
                                  "commit": {"message": f"{p['title']} ({k + 1})",
                                             "author": {"name": who, "email": f"{who}@example.com",
                                                        "date": _iso(p["created"])},
                                             "committer": {"name": who,
                                                           "email": f"{who}@example.com",
                                                           "date": _iso(p["created"])}},
                                  "author": self._user_ref(who), "committer": self._user_ref(who),
                                  "url": f"{self.url}/repos/{full}/commits/{sha}"})
                return self._paginate(ctx, items, f"/repositories/{rid}/pulls/{n}/commits", lm)
            if len(rest) == 3 and rest[2] == "files":
                names = re.findall(rb"^diff --git a/\S+ b/(\S+)$", DEMO_DIFFS.get(n, b""), re.M)
                items = [{"sha": "0" * 40, "filename": f.decode(), "status": "modified",
                          "additions": 1, "deletions": 0, "changes": 1} for f in names]
                return self._paginate(ctx, items, f"/repositories/{rid}/pulls/{n}/files", lm)
            if len(rest) == 3 and rest[2] == "comments":
                return self._paginate(ctx, [], f"/repositories/{rid}/pulls/{n}/comments", lm)
            return not_found()
        if len(rest) == 3 and rest[0] == "commits" and rest[2] in ("check-runs", "status",
                                                                   "statuses"):
            sha = rest[1].lower()
            if rest[2] == "check-runs":
                runs = [self._check_run_json(rid, run, job) for run in DEMO_RUNS
                        if run["sha"] == sha for job in run["jobs"]]
                name = ctx.q("check_name")
                if name:
                    runs = [c for c in runs if c["name"] == name]
                return self._paginate(ctx, runs, f"/repositories/{rid}/commits/{sha}/check-runs",
                                      lm, envelope="check_runs")
            statuses = [{"id": 8000 + k, "node_id": f"SC_{sha[:8]}_{k}", "state": state,
                         "description": desc, "target_url": url, "context": context,
                         "created_at": at, "updated_at": at,
                         "url": f"{self.url}/repos/{full}/statuses/{sha}",
                         "avatar_url": None, "creator": self._user_ref("octocat")}
                        for k, (context, state, url, desc, at)
                        in enumerate(DEMO_STATUSES.get(sha, []))]
            if rest[2] == "statuses":
                return self._paginate(ctx, statuses,
                                      f"/repositories/{rid}/commits/{sha}/statuses", lm)
            states = {x["state"] for x in statuses}
            overall = ("failure" if states & {"failure", "error"} else
                       "pending" if not states or "pending" in states else "success")
            return ok({"state": overall, "statuses": statuses, "sha": sha,
                       "total_count": len(statuses), "repository": self._repo_json(rid),
                       "commit_url": f"{self.url}/repos/{full}/commits/{sha}",
                       "url": f"{self.url}/repos/{full}/commits/{sha}/status"})
        if len(rest) == 3 and rest[0] == "check-runs" and rest[1].isdigit() and \
                rest[2] == "annotations":
            for run in DEMO_RUNS:
                for job in run["jobs"]:
                    if job["id"] == int(rest[1]):
                        return self._paginate(ctx, [
                            {"path": path, "start_line": line, "end_line": line,
                             "start_column": None, "end_column": None,
                             "annotation_level": level, "title": "", "message": msg,
                             "raw_details": None,
                             "blob_href": f"https://github.com/{full}/blob/{run['sha']}/{path}"}
                            for path, line, level, msg in job.get("annotations", [])],
                            f"/repositories/{rid}/check-runs/{job['id']}/annotations", lm)
            return not_found()
        if len(rest) == 2 and rest[0] == "check-runs" and rest[1].isdigit():
            for run in DEMO_RUNS:
                for job in run["jobs"]:
                    if job["id"] == int(rest[1]):
                        return ok(self._check_run_json(rid, run, job))
            return not_found()
        if rest[:1] == ["actions"]:
            return self._get_actions(ctx, rid, rest[1:], lm)
        if rest == ["releases"]:
            return self._paginate(ctx, [self._release_json(rid, r) for r in DEMO_RELEASES],
                                  f"/repositories/{rid}/releases", lm)
        if len(rest) >= 2 and rest[0] == "releases":
            want = "/".join(rest[1:])
            for r in DEMO_RELEASES:
                if (want == "latest" and r["id"] == DEMO_LATEST_RELEASE) or \
                        want == str(r["id"]) or (want == f"tags/{r['tag']}" and not r["draft"]):
                    return ok(self._release_json(rid, r))
            return not_found()
        if rest == ["tags"]:
            shas = _commit_shas(rid)
            return self._paginate(ctx, [{"name": r["tag"], "commit": {"sha": shas[-1]}}
                                        for r in DEMO_RELEASES if not r["draft"]],
                                  f"/repositories/{rid}/tags", lm)
        if rest == ["labels"]:
            return self._paginate(ctx, [self._label_json(rid, n) for n in DEMO_LABELS],
                                  f"/repositories/{rid}/labels", lm)
        if rest == ["milestones"]:
            state = ctx.q("state", "open")
            items = [self._milestone_json(rid, n) for n, m in sorted(DEMO_MILESTONES.items())
                     if state == "all" or m["state"] == state]
            return self._paginate(ctx, items, f"/repositories/{rid}/milestones", lm)
        if len(rest) == 2 and rest[0] == "milestones" and rest[1].isdigit():
            n = int(rest[1])
            return ok(self._milestone_json(rid, n)) if n in DEMO_MILESTONES else not_found()
        if rest == ["topics"]:
            return ok({"names": list(DEMO_REPO_FIELDS["topics"])})
        if rest in (["assignees"], ["collaborators"]):
            return self._paginate(ctx, [self._user_ref(x) for x in
                                        ("alice", "hubot", "monalisa", "octocat")],
                                  f"/repositories/{rid}/{rest[0]}", lm)
        return None

    def _check_run_json(self, rid: int, run: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        html = f"https://github.com/{full}/actions/runs/{run['id']}/job/{job['id']}"
        return {"id": job["id"], "node_id": f"CR_{job['id']}", "head_sha": run["sha"],
                "external_id": f"ext-{job['id']}",
                "url": f"{self.url}/repos/{full}/check-runs/{job['id']}",
                "html_url": html, "details_url": html, "status": job["status"],
                "conclusion": job["conclusion"], "started_at": job["started"],
                "completed_at": job["completed"], "name": job["name"],
                "output": {"title": None, "summary": None, "text": None,
                           "annotations_count": len(job.get("annotations", [])),
                           "annotations_url": f"{self.url}/repos/{full}/check-runs/"
                                              f"{job['id']}/annotations"},
                "check_suite": {"id": run["id"] + 2000},
                "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
                "pull_requests": []}

    def _run_json(self, rid: int, run: dict[str, Any], with_prs: bool) -> dict[str, Any]:
        full = self._full(rid)
        wf = DEMO_WORKFLOWS[run["workflow"]]
        base = f"{self.url}/repos/{full}/actions/runs/{run['id']}"
        prs = []
        if with_prs and run.get("pr") and not run.get("head_owner"):
            p = self.data.pulls[rid][run["pr"]]
            prs = [{"url": f"{self.url}/repos/{full}/pulls/{p['number']}", "id": p["id"],
                    "number": p["number"],
                    "head": {"ref": p["head"], "sha": run["sha"],
                             "repo": {"id": rid, "url": f"{self.url}/repos/{full}",
                                      "name": self.data.repos[rid]["name"]}},
                    "base": {"ref": p["base"], "sha": _commit_shas(rid)[-1],
                             "repo": {"id": rid, "url": f"{self.url}/repos/{full}",
                                      "name": self.data.repos[rid]["name"]}}}]
        repo = self._repo_json(rid)
        head_repo = (self._fork_repo_json(run["head_owner"], rid) if run.get("head_owner")
                     else repo)
        actor = self._user_ref(run["actor"])
        return {"id": run["id"], "name": wf["name"], "node_id": f"WFR_{run['id']}",
                "head_branch": run["branch"], "head_sha": run["sha"], "path": wf["path"],
                "display_title": run["title"], "run_number": run["number"],
                "event": run["event"], "status": run["status"],
                "conclusion": run["conclusion"], "workflow_id": run["workflow"],
                "check_suite_id": run["id"] + 2000,
                "check_suite_node_id": f"CS_{run['id'] + 2000}", "url": base,
                "html_url": f"https://github.com/{full}/actions/runs/{run['id']}",
                "pull_requests": prs, "created_at": run["created"],
                "updated_at": run["updated"], "actor": actor, "run_attempt": 1,
                "referenced_workflows": [], "run_started_at": run["created"],
                "triggering_actor": actor, "jobs_url": base + "/jobs",
                "logs_url": base + "/logs", "artifacts_url": base + "/artifacts",
                "cancel_url": base + "/cancel", "rerun_url": base + "/rerun",
                "check_suite_url": f"{self.url}/repos/{full}/check-suites/{run['id'] + 2000}",
                "previous_attempt_url": None,
                "workflow_url": f"{self.url}/repos/{full}/actions/workflows/{run['workflow']}",
                "head_commit": {"id": run["sha"], "tree_id": "f" * 40, "message": run["title"],
                                "timestamp": run["created"],
                                "author": {"name": run["actor"],
                                           "email": f"{run['actor']}@example.com"},
                                "committer": {"name": run["actor"],
                                              "email": f"{run['actor']}@example.com"}},
                "repository": repo, "head_repository": head_repo}

    def _job_json(self, rid: int, run: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        wf = DEMO_WORKFLOWS[run["workflow"]]
        return {"id": job["id"], "run_id": run["id"],
                "run_url": f"{self.url}/repos/{full}/actions/runs/{run['id']}",
                "run_attempt": 1, "node_id": f"CR_{job['id']}", "head_sha": run["sha"],
                "head_branch": run["branch"], "workflow_name": wf["name"],
                "url": f"{self.url}/repos/{full}/actions/jobs/{job['id']}",
                "html_url": f"https://github.com/{full}/actions/runs/{run['id']}/job/{job['id']}",
                "status": job["status"], "conclusion": job["conclusion"],
                "created_at": job["started"], "started_at": job["started"],
                "completed_at": job["completed"], "name": job["name"],
                "steps": [{"name": name, "status": st, "conclusion": concl, "number": k + 1,
                           "started_at": job["started"],
                           "completed_at": job["completed"] if st == "completed" else None}
                          for k, (name, st, concl) in enumerate(job["steps"])],
                "check_run_url": f"{self.url}/repos/{full}/check-runs/{job['id']}",
                "labels": ["ubuntu-latest"], "runner_id": 1, "runner_name": "GitHub Actions 1",
                "runner_group_id": 2, "runner_group_name": "GitHub Actions"}

    def _workflow_json(self, rid: int, wid: int) -> dict[str, Any]:
        full = self._full(rid)
        wf = DEMO_WORKFLOWS[wid]
        return {"id": wid, "node_id": f"W_{wid}", "name": wf["name"], "path": wf["path"],
                "state": "active", "created_at": "2023-01-10T09:00:00Z",
                "updated_at": "2023-01-10T09:00:00Z",
                "url": f"{self.url}/repos/{full}/actions/workflows/{wid}",
                "html_url": f"https://github.com/{full}/blob/main/{wf['path']}",
                "badge_url": f"https://github.com/{full}/workflows/{wf['name']}/badge.svg"}

    def _get_actions(self, ctx: Ctx, rid: int, rest: list[str], lm: float) -> Resp | None:
        """/repos/{o}/{r}/actions/... of the demo repository."""
        def ok(body: Any) -> Resp:
            return Resp.json(200, body, cacheable=True, last_modified=lm)

        def find_workflow(key: str) -> int | None:
            for wid, wf in DEMO_WORKFLOWS.items():
                if key == str(wid) or key == wf["path"].rsplit("/", 1)[-1]:
                    return wid
            return None

        def list_runs(runs: list[dict[str, Any]], link: str) -> Resp:
            for name, field in (("branch", "branch"), ("actor", "actor"), ("event", "event"),
                                ("head_sha", "sha")):
                v = ctx.q(name)
                if v:
                    runs = [r for r in runs if r[field] == v]
            status = ctx.q("status")
            if status:
                runs = [r for r in runs if status in (r["status"], r["conclusion"])]
            with_prs = ctx.q("exclude_pull_requests") != "true"
            return self._paginate(ctx, [self._run_json(rid, r, with_prs) for r in runs], link,
                                  lm, envelope="workflow_runs")
        if rest == ["runs"]:
            return list_runs(list(DEMO_RUNS), f"/repositories/{rid}/actions/runs")
        if rest == ["workflows"]:
            return self._paginate(ctx, [self._workflow_json(rid, w) for w in DEMO_WORKFLOWS],
                                  f"/repositories/{rid}/actions/workflows", lm,
                                  envelope="workflows")
        if len(rest) >= 2 and rest[0] == "workflows":
            wid = find_workflow(rest[1])
            if wid is None:
                return not_found()
            if len(rest) == 2:
                return ok(self._workflow_json(rid, wid))
            if rest[2:] == ["runs"]:
                return list_runs([r for r in DEMO_RUNS if r["workflow"] == wid],
                                 f"/repositories/{rid}/actions/workflows/{wid}/runs")
            return not_found()
        if len(rest) >= 2 and rest[0] == "runs" and rest[1].isdigit():
            run = next((r for r in DEMO_RUNS if r["id"] == int(rest[1])), None)
            if run is None:
                return not_found()
            more = rest[2:]
            if more in ([], ["attempts", "1"]):
                return ok(self._run_json(rid, run, ctx.q("exclude_pull_requests") != "true"))
            if more in (["jobs"], ["attempts", "1", "jobs"]):
                return self._paginate(ctx, [self._job_json(rid, run, j) for j in run["jobs"]],
                                      f"/repositories/{rid}/actions/runs/{run['id']}/jobs", lm,
                                      envelope="jobs")
            if more == ["artifacts"]:
                full = self._full(rid)
                arts = [{"id": run["id"] * 10 + k, "node_id": f"MDg6QXJ0aWZhY3{k}",
                         "name": name, "size_in_bytes": 1024, "expired": expired,
                         "url": f"{self.url}/repos/{full}/actions/artifacts/{run['id'] * 10 + k}",
                         "archive_download_url": f"{self.url}/repos/{full}/actions/artifacts/"
                                                 f"{run['id'] * 10 + k}/zip",
                         "created_at": run["updated"], "updated_at": run["updated"],
                         "expires_at": run["updated"],
                         "workflow_run": {"id": run["id"], "head_branch": run["branch"],
                                          "head_sha": run["sha"]}}
                        for k, (name, expired) in enumerate(run.get("artifacts", []))]
                return self._paginate(ctx, arts,
                                      f"/repositories/{rid}/actions/runs/{run['id']}/artifacts",
                                      lm, envelope="artifacts")
            return not_found()
        if len(rest) == 2 and rest[0] == "jobs" and rest[1].isdigit():
            for run in DEMO_RUNS:
                for job in run["jobs"]:
                    if job["id"] == int(rest[1]):
                        return ok(self._job_json(rid, run, job))
            return not_found()
        return None

    def _release_json(self, rid: int, r: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        tag = r["tag"] if not r["draft"] else f"untagged-{r['id']:x}"
        return {"url": f"{self.url}/repos/{full}/releases/{r['id']}",
                "assets_url": f"{self.url}/repos/{full}/releases/{r['id']}/assets",
                "html_url": f"https://github.com/{full}/releases/tag/{tag}",
                "id": r["id"], "node_id": f"RE_{r['id']}", "author": self._user_ref("alice"),
                "tag_name": r["tag"], "target_commitish": "main", "name": r["name"],
                "draft": r["draft"], "prerelease": r["prerelease"],
                "created_at": r["created"], "published_at": r["published"], "assets": [],
                "tarball_url": None if r["draft"] else
                f"{self.url}/repos/{full}/tarball/{r['tag']}",
                "zipball_url": None if r["draft"] else
                f"{self.url}/repos/{full}/zipball/{r['tag']}",
                "body": f"Release notes of {r['tag']}."}

    def _search_issues(self, ctx: Ctx, q: str) -> Resp:
        """GET /search/issues. Words without a qualifier must all be in the title; the
        qualifiers ghp and gh use are honoured (repo: org: user: is: type: state: label:
        author: assignee: mentions: milestone: draft: base: head: no: sort:, any of them
        negated with -), unknown ones ignored. Default order: newest created first."""
        cands: list[tuple[int, dict[str, Any], bool]] = []
        for rid in sorted(self.data.issues):
            cands += [(rid, i, False) for _, i in sorted(self.data.issues[rid].items())]
            if self.data.repos[rid].get("rich"):
                cands += [(rid, p, True) for _, p in sorted(self.data.pulls[rid].items())]
        sort, order = ctx.q("sort"), ctx.q("order")
        tests: list[Callable[[int, dict[str, Any], bool], bool]] = []
        words: list[str] = []
        for tok in _search_tokens(q):
            neg = tok.startswith("-") and len(tok) > 1 and ":" in tok
            key, sep, val = (tok[1:] if neg else tok).partition(":")
            key = key.lower()
            if not sep or not re.fullmatch(r"[a-z-]+", key):
                if ":" not in tok:
                    words.append(tok.lower())
                continue
            v = val.lower()
            test: Callable[[int, dict[str, Any], bool], bool] | None = None
            if key == "repo":
                test = lambda rid, x, pr, v=v: self._full(rid).lower() == v
            elif key in ("org", "user", "owner"):
                test = lambda rid, x, pr, v=v: self.data.repos[rid]["owner"].lower() == v
            elif key in ("is", "type", "state"):
                if v in ("issue", "pr", "pull-request"):
                    test = lambda rid, x, pr, v=v: pr == (v != "issue")
                elif v in ("open", "closed"):
                    test = lambda rid, x, pr, v=v: x["state"] == v
                elif v == "merged":
                    test = lambda rid, x, pr: pr and x.get("merged_at") is not None
                elif v == "unmerged":
                    test = lambda rid, x, pr: pr and x.get("merged_at") is None
                elif v == "draft":
                    test = lambda rid, x, pr: pr and bool(x.get("draft"))
            elif key == "draft":
                test = lambda rid, x, pr, v=v: pr and bool(x.get("draft")) == (v == "true")
            elif key == "label":
                test = lambda rid, x, pr, v=v: v in [n.lower() for n in x.get("labels", [])]
            elif key == "author":
                test = lambda rid, x, pr, v=v: x["user"].lower() in (v, v.removeprefix("app/")
                                                                     + "[bot]")
            elif key == "assignee":
                test = lambda rid, x, pr, v=v: v in [a.lower() for a in x.get("assignees", [])]
            elif key == "mentions":
                test = lambda rid, x, pr, v=v: f"@{v}" in (x.get("body") or "").lower()
            elif key == "milestone":
                test = lambda rid, x, pr, v=v: x.get("milestone") is not None and \
                    DEMO_MILESTONES.get(x["milestone"], {}).get("title", "").lower() == v
            elif key in ("base", "head"):
                test = lambda rid, x, pr, v=v, key=key: pr and x.get(key, "").lower() == v
            elif key == "no":
                field = {"label": "labels", "assignee": "assignees",
                         "milestone": "milestone"}.get(v)
                if field:
                    test = lambda rid, x, pr, field=field: not x.get(field)
            elif key == "sort":
                sort, _, order = v.partition("-")
            if test is not None:
                tests.append((lambda t, neg: (lambda rid, x, pr: t(rid, x, pr) != neg))(test, neg))
        hits = [(rid, x, pr) for rid, x, pr in cands
                if all(w in x["title"].lower() for w in words)
                and all(t(rid, x, pr) for t in tests)]
        field = {"updated": "updated", "comments": "comments"}.get(sort or "", "created")
        hits.sort(key=lambda h: (h[1].get(field) or 0, h[0], h[1]["number"]),
                  reverse=(order or "desc") != "asc")
        items = [dict(self._pull_issue_json(rid, x) if pr else self._issue_json(rid, x),
                      score=1.0) for rid, x, pr in hits]
        return self._paginate(ctx, items, "/search/issues", BASE_EPOCH, envelope=True)

    def _contents(self, ctx: Ctx, rid: int, path: str, lm: float) -> Resp:
        files = self.data.files[rid]
        r = self.data.repos[rid]
        full = f"{r['owner']}/{r['name']}"
        path = path.strip("/")
        if path in files:
            data = files[path]
            if ctx.media["param"] == "raw":
                return Resp(200, data, "application/vnd.github.raw", cacheable=True,
                            last_modified=lm)
            sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            b64 = base64.encodebytes(data).decode()
            return Resp.json(200, {
                "type": "file", "encoding": "base64", "size": len(data),
                "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha, "content": b64,
                "url": f"{self.url}/repos/{full}/contents/{path}?ref=main",
            }, cacheable=True, last_modified=lm)
        prefix = path + "/" if path else ""
        entries: dict[str, str] = {}
        for p in files:
            if p.startswith(prefix):
                head, _, tail = p[len(prefix):].partition("/")
                entries[head] = "dir" if tail else "file"
        if not entries:
            return not_found()
        listing = [{"type": t, "name": n, "path": prefix + n} for n, t in sorted(entries.items())]
        return Resp.json(200, listing, cacheable=True, last_modified=lm)

    def _search(self, ctx: Ctx, kind: str) -> Resp:
        q = ctx.q("q")
        if kind not in ("repositories", "issues", "code", "users", "commits"):
            return not_found()
        if q is None or q.strip() == "":
            return Resp.json(422, {
                "message": "Validation Failed",
                "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
                "documentation_url": f"https://docs.github.com/v3/search", "status": "422"},
                pretty=False)
        terms = [t.lower() for t in q.split() if ":" not in t]
        items: list[dict[str, Any]] = []
        if kind == "repositories":
            for rid, r in sorted(self.data.repos.items()):
                if r.get("unlisted"):
                    continue
                if all(t in f"{r['owner']}/{r['name']}".lower() for t in terms):
                    items.append(self._repo_json(rid))
        elif kind == "issues":
            return self._search_issues(ctx, q)
        page = self._paginate(ctx, items, f"/search/{kind}", BASE_EPOCH, envelope=True)
        return page

    def _paginate(self, ctx: Ctx, items: list[Any], link_path: str, lm: float,
                  envelope: bool | str = False) -> Resp:
        """One page of items, with GitHub's Link header. envelope=True: a search answer
        ({"total_count", "incomplete_results", "items"}); a string: {"total_count", <it>}
        (Actions and checks lists)."""
        def as_int(v: str | None, default: int) -> int:
            try:
                return int(v) if v is not None else default
            except ValueError:
                return default
        per_page = as_int(ctx.q("per_page"), 30)
        if per_page <= 0:
            per_page = 30
        per_page = min(per_page, 100)
        page = max(1, as_int(ctx.q("page"), 1))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers: list[tuple[str, str]] = []
        if last > 1 or page > 1:
            kept = [p for p in (ctx.raw_query or "").split("&")
                    if p and unquote(p.split("=", 1)[0]) != "page"]

            def link(n: int, rel: str) -> str:
                qs = "&".join(kept + [f"page={n}"])
                return f'<{self.url}{link_path}?{qs}>; rel="{rel}"'
            rels = []
            if page > 1:
                rels.append(link(page - 1, "prev"))
            if page < last:
                rels.append(link(page + 1, "next"))
                rels.append(link(last, "last"))
            if page > 1:
                rels.append(link(1, "first"))
            headers.append(("Link", ", ".join(rels)))
        body: Any = chunk
        if isinstance(envelope, str):
            body = {"total_count": len(items), envelope: chunk}
        elif envelope:
            body = {"total_count": len(items), "incomplete_results": False, "items": chunk}
        return Resp.json(200, body, headers=headers, cacheable=True, last_modified=lm)

    def _graphql(self, ctx: Ctx) -> Resp:
        bad = Resp.json(400, {"message": "Problems parsing JSON",
                              "documentation_url": "https://docs.github.com/graphql"},
                        pretty=False)
        try:
            req = ctx.json_body()
        except (ValueError, UnicodeDecodeError):
            return bad
        if not isinstance(req, dict) or not isinstance(req.get("query"), str):
            return bad
        variables = req.get("variables")
        if variables is None:
            variables = {}
        if not isinstance(variables, dict):
            return bad
        info = ctx.gql if ctx.gql is not None else gql_request_info(ctx.body)
        if info is None:
            return bad
        if info.syntax is not None:
            e = info.syntax
            return Resp.json(200, {"errors": [{"message": e.message, "locations": [
                {"line": e.line, "column": e.column}]}]}, pretty=False)
        if info.error is not None or info.operation is None or info.document is None:
            return Resp.json(200, {"errors": [{"message": info.error}]}, pretty=False)
        op, frags = info.operation, info.document.fragments
        # Variables the request leaves out take their declared defaults (an explicit
        # null stays null), as GitHub's executor does.
        missing = {k: gql_value(v, {}) for k, v in op.defaults.items() if k not in variables}
        if missing:
            variables = {**missing, **variables}
        if op.type == "subscription":
            return Resp.json(200, {"errors": [{"message": "Subscriptions are not supported "
                                               "by the GitHub GraphQL API."}]}, pretty=False)
        mutation = op.type == "mutation"
        resolvers = self.graphql_mutations if mutation else self.graphql_resolvers
        type_name = "Mutation" if mutation else "Query"
        fields = gql_fields(op.selections, frags)
        undefined = [{"path": [op.type, f.name], "extensions": {
                          "code": "undefinedField", "typeName": type_name, "fieldName": f.name},
                      "message": f"Field '{f.name}' doesn't exist on type '{type_name}'"}
                     for f in fields if f.name not in resolvers and f.name != "__typename"]
        if undefined:  # a validation error: nothing runs
            return Resp.json(200, {"errors": undefined}, pretty=False)
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        with self._lock:
            for f in fields:
                if f.name == "__typename":
                    data[f.key] = type_name
                    continue
                args = gql_args(f, variables)
                ctx.gql_args = args
                try:
                    if mutation:
                        self.writes.append({
                            "method": "GRAPHQL", "path": ctx.raw, "operation": op.name,
                            "operation_type": op.type, "field": f.name, "login": ctx.login,
                            "token": ctx.token, "token_fingerprint": token_fingerprint(ctx.token),
                            "json": args})
                        value = resolvers[f.name](self, ctx, args)
                    else:
                        value = resolvers[f.name](self, ctx, variables)
                    data[f.key] = self._gql_project(value, f.selections, frags, variables)
                except GqlFieldError as e:
                    data[f.key] = None
                    errors.append({"type": e.type, "path": [f.key], "message": e.message})
        out: dict[str, Any] = {"data": data}
        if errors:
            out["errors"] = errors
        return Resp.json(200, out, pretty=False)

    def _gql_project(self, value: Any, selections: list | None, frags: dict[str, list],
                     variables: dict[str, Any]) -> Any:
        """value shaped by a selection set (callable members get the field's arguments)."""
        if selections is None or value is None:
            return value
        if isinstance(value, list):
            return [self._gql_project(v, selections, frags, variables) for v in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for f in gql_fields(selections, frags):
            v = value.get(f.name)
            if callable(v):
                v = v(gql_args(f, variables))
            out[f.key] = self._gql_project(v, f.selections, frags, variables)
        return out

    # --- GraphQL objects and resolvers ------------------------------------------

    def _gql_viewer(self, ctx: Ctx) -> dict[str, Any]:
        login = str(ctx.login)
        return {"__typename": "User", "login": login, "id": f"U_{login}",
                "databaseId": self._user_id(login), "name": login,
                "url": f"https://github.com/{login}"}

    def _gql_repo(self, rid: int) -> dict[str, Any]:
        r = self.data.repos[rid]
        full = self._full(rid)

        def issue(args: dict[str, Any]) -> Any:
            i = self.data.issues[rid].get(args.get("number"))
            if i is None:
                raise GqlFieldError(f"Could not resolve to an issue or pull request with the "
                                    f"number of {args.get('number')}.")
            return self._gql_issue(rid, i)

        def issues(args: dict[str, Any]) -> dict[str, Any]:
            items = sorted(self.data.issues[rid].values(), key=lambda i: i["number"])
            states = args.get("states")
            if isinstance(states, str):
                states = [states]
            if isinstance(states, list):
                items = [i for i in items if i["state"].upper() in states]
            first = args.get("first")
            nodes = items[:first] if isinstance(first, int) else items
            return {"totalCount": len(items), "nodes": [self._gql_issue(rid, i) for i in nodes],
                    "pageInfo": {"hasNextPage": len(nodes) < len(items), "endCursor": None}}

        def pull_request(args: dict[str, Any]) -> Any:
            p = self.data.pulls[rid].get(args.get("number"))
            if p is None:
                raise GqlFieldError(f"Could not resolve to a PullRequest with the number of "
                                    f"{args.get('number')}.")
            return self._gql_pull(rid, p)

        def pull_requests(args: dict[str, Any]) -> dict[str, Any]:
            items = [p for _, p in sorted(self.data.pulls[rid].items())]
            states = args.get("states")
            if isinstance(states, str):
                states = [states]
            if isinstance(states, list):
                items = [p for p in items if p["state"].upper() in states]
            first = args.get("first")
            nodes = items[:first] if isinstance(first, int) else items
            return {"totalCount": len(items), "nodes": [self._gql_pull(rid, p) for p in nodes],
                    "pageInfo": {"hasNextPage": len(nodes) < len(items), "endCursor": None}}

        def issue_or_pr(args: dict[str, Any]) -> Any:
            n = args.get("number")
            if n in self.data.issues[rid]:
                return self._gql_issue(rid, self.data.issues[rid][n])
            if n in self.data.pulls[rid]:
                return self._gql_pull(rid, self.data.pulls[rid][n])
            raise GqlFieldError(f"Could not resolve to an issue or pull request with the "
                                f"number of {n}.")
        main = _commit_shas(rid)[-1]
        return {"__typename": "Repository", "id": f"R_{rid}", "databaseId": rid,
                "name": r["name"], "nameWithOwner": full, "isPrivate": r["private"],
                "owner": {"__typename": SEED_OWNERS[r["owner"]]["type"], "login": r["owner"],
                          "id": self._gql_owner_id(r["owner"])},
                "url": f"https://github.com/{full}",
                "description": f"The {full} repository of the fake GitHub.",
                "hasIssuesEnabled": True, "hasWikiEnabled": False, "hasProjectsEnabled": False,
                "hasDiscussionsEnabled": False, "isArchived": False, "isFork": False,
                "isTemplate": False, "isEmpty": False, "isInOrganization":
                    SEED_OWNERS[r["owner"]]["type"] == "Organization",
                "viewerPermission": "READ", "stargazerCount": 0, "forkCount": 0,
                "mergeCommitAllowed": True, "squashMergeAllowed": True,
                "rebaseMergeAllowed": True, "deleteBranchOnMerge": False, "parent": None,
                "defaultBranchRef": {"name": "main", "target": {"__typename": "Commit",
                                                                "oid": main}},
                "createdAt": _iso(BASE_EPOCH), "updatedAt": _iso(self.data.updated[rid]),
                "pushedAt": _iso(self.data.updated[rid]),
                "issue": issue, "issues": issues, "pullRequest": pull_request,
                "pullRequests": pull_requests, "issueOrPullRequest": issue_or_pr}

    def _gql_issue(self, rid: int, i: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        return {"__typename": "Issue", "id": _issue_node_id(rid, i["number"]),
                "databaseId": i["id"], "number": i["number"], "title": i["title"],
                "body": i["body"], "state": i["state"].upper(), "locked": i["locked"],
                "url": f"https://github.com/{full}/issues/{i['number']}",
                "author": {"login": i["user"]}, "comments": {"totalCount": i["comments"]},
                "repository": {"id": f"R_{rid}", "nameWithOwner": full},
                "createdAt": _iso(i["created"]), "updatedAt": _iso(i["updated"])}

    def _gql_pull(self, rid: int, p: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        shas = _commit_shas(rid)
        return {"__typename": "PullRequest", "id": f"PR_{rid}_{p['number']}",
                "databaseId": p["id"], "number": p["number"], "title": p["title"],
                "body": f"Body of pull request {p['number']}.", "state": p["state"].upper(),
                "isDraft": False, "closed": p["state"] != "open", "merged": False,
                "mergeable": "MERGEABLE", "mergeStateStatus": "CLEAN", "locked": False,
                "url": f"https://github.com/{full}/pull/{p['number']}",
                "headRefName": p["head"], "baseRefName": p["base"],
                "headRefOid": shas[-1], "baseRefOid": shas[0],
                "headRepository": {"name": self.data.repos[rid]["name"]},
                "headRepositoryOwner": {"login": self.data.repos[rid]["owner"]},
                "isCrossRepository": False, "maintainerCanModify": False,
                "author": {"login": "alice"}, "additions": 2, "deletions": 1,
                "changedFiles": 1, "comments": {"totalCount": 0, "nodes": []},
                "reviewDecision": None, "reviewRequests": {"totalCount": 0, "nodes": []},
                "labels": {"totalCount": 0, "nodes": []},
                "assignees": {"totalCount": 0, "nodes": []},
                "repository": {"id": f"R_{rid}", "nameWithOwner": full},
                "createdAt": _iso(BASE_EPOCH + p["number"]),
                "updatedAt": _iso(BASE_EPOCH + p["number"] * 60)}

    def _gql_owner_id(self, login: str) -> str:
        """The GraphQL id of an account: O_<id> for organisations, U_<login> for users
        (the REST node_id of _user_json)."""
        info = SEED_OWNERS.get(login)
        if info is not None and info["type"] == "Organization":
            return f"O_{info['id']}"
        return f"U_{login}"

    def _gql_owner(self, login: Any, kinds: tuple[str, ...]) -> dict[str, Any]:
        """organization(login:) / user(login:) / repositoryOwner(login:)."""
        lname = login.lower() if isinstance(login, str) else None
        owner = next((k for k in SEED_OWNERS if k == lname), None)
        kind = None
        if owner is not None:
            kind = SEED_OWNERS[owner]["type"]
        elif lname is not None:
            owner = next((v for v in self.tokens.values() if v.lower() == lname), None)
            kind = "User" if owner is not None else None
        if owner is None or kind not in kinds:
            what = "an Organization" if kinds == ("Organization",) else \
                "a User" if kinds == ("User",) else "a RepositoryOwner"
            raise GqlFieldError(f"Could not resolve to {what} with the login of '{login}'.")
        rids = [rid for rid, r in sorted(self.data.repos.items())
                if r["owner"] == owner and not r.get("unlisted")]

        def repositories(args: dict[str, Any]) -> dict[str, Any]:
            first = args.get("first")
            nodes = rids[:first] if isinstance(first, int) else rids
            return {"totalCount": len(rids), "nodes": [self._gql_repo(x) for x in nodes],
                    "pageInfo": {"hasNextPage": len(nodes) < len(rids), "endCursor": None}}

        def repository(args: dict[str, Any]) -> Any:
            rid = self.data.find(owner, str(args.get("name")))
            return None if rid is None else self._gql_repo(rid)
        info = SEED_OWNERS.get(owner)
        return {"__typename": kind, "id": self._gql_owner_id(owner),
                "databaseId": info["id"] if info else self._user_id(owner),
                "login": owner, "name": owner, "url": f"https://github.com/{owner}",
                "avatarUrl": f"https://avatars.githubusercontent.com/u/"
                             f"{info['id'] if info else self._user_id(owner)}",
                "repositories": repositories, "repository": repository}

    def _gql_nodes(self, ids: Any) -> list[Any]:
        """nodes(ids:): one entry per id, null for an id that resolves to nothing."""
        out: list[Any] = []
        for i in ids if isinstance(ids, list) else [ids]:
            try:
                out.append(self._gql_node(i))
            except GqlFieldError:
                out.append(None)
        return out

    def _gql_comment(self, rid: int, c: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        return {"__typename": "IssueComment", "id": f"IC_{c['id']}", "databaseId": c["id"],
                "body": c["body"], "author": {"login": c["user"]},
                "url": f"https://github.com/{full}/issues/{c['issue']}#issuecomment-{c['id']}",
                "createdAt": _iso(c["created"])}

    def _gql_repository(self, ctx: Ctx) -> dict[str, Any]:
        owner, name = ctx.gql_args.get("owner"), ctx.gql_args.get("name")
        rid = self.data.find(str(owner), str(name))
        if rid is None:
            raise GqlFieldError(f"Could not resolve to a Repository with the name "
                                f"'{owner}/{name}'.")
        return self._gql_repo(rid)

    def _gql_find_issue(self, node_id: Any) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"I_(\d+)_(\d+)", str(node_id))
        if m:
            rid, n = int(m.group(1)), int(m.group(2))
            if rid in self.data.issues and n in self.data.issues[rid]:
                return rid, self.data.issues[rid][n]
        raise GqlFieldError(f"Could not resolve to a node with the global id of '{node_id}'.")

    def _gql_node(self, node_id: Any) -> dict[str, Any]:
        s = str(node_id)
        m = re.fullmatch(r"R_(\d+)", s)
        if m and int(m.group(1)) in self.data.repos:
            return self._gql_repo(int(m.group(1)))
        m = re.fullmatch(r"PR_(\d+)_(\d+)", s)
        if m and int(m.group(1)) in self.data.pulls and \
                int(m.group(2)) in self.data.pulls[int(m.group(1))]:
            return self._gql_pull(int(m.group(1)), self.data.pulls[int(m.group(1))][int(m.group(2))])
        m = re.fullmatch(r"O_(\d+)", s)
        if m:
            org = next((k for k, v in SEED_OWNERS.items()
                        if v["id"] == int(m.group(1)) and v["type"] == "Organization"), None)
            if org is not None:
                return self._gql_owner(org, ("Organization",))
        m = re.fullmatch(r"U_(.+)", s)
        if m:
            try:
                return self._gql_owner(m.group(1), ("User",))
            except GqlFieldError:
                pass
        m = re.fullmatch(r"IC_(\d+)", s)
        if m:
            for rid, cs in self.data.comments.items():
                if int(m.group(1)) in cs:
                    return self._gql_comment(rid, cs[int(m.group(1))])
        rid, issue = self._gql_find_issue(node_id)
        return self._gql_issue(rid, issue)

    def _gql_search(self, ctx: Ctx) -> dict[str, Any]:
        q = str(ctx.gql_args.get("query") or "")
        terms = [t.lower() for t in q.split() if ":" not in t]
        nodes = [self._gql_issue(rid, i) for rid in sorted(self.data.issues)
                 for _, i in sorted(self.data.issues[rid].items())
                 if all(t in i["title"].lower() for t in terms)]
        first = ctx.gql_args.get("first")
        return {"issueCount": len(nodes),
                "nodes": nodes[:first] if isinstance(first, int) else nodes}

    def _gql_input(self, args: dict[str, Any]) -> dict[str, Any]:
        inp = args.get("input")
        if not isinstance(inp, dict):
            raise GqlFieldError("Argument 'input' on Field is required.", "INVALID_ARGUMENT")
        return inp

    def _gql_add_comment(self, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
        inp = self._gql_input(args)
        rid, issue = self._gql_find_issue(inp.get("subjectId"))
        if not inp.get("body"):
            raise GqlFieldError("Body can't be blank", "UNPROCESSABLE")
        c = self._add_comment(rid, issue["number"], str(inp["body"]), str(ctx.login))
        return {"clientMutationId": inp.get("clientMutationId"),
                "commentEdge": {"node": self._gql_comment(rid, c)},
                "subject": self._gql_issue(rid, issue)}

    def _gql_create_issue(self, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
        inp = self._gql_input(args)
        m = re.fullmatch(r"R_(\d+)", str(inp.get("repositoryId")))
        if not m or int(m.group(1)) not in self.data.repos:
            raise GqlFieldError(f"Could not resolve to a node with the global id of "
                                f"'{inp.get('repositoryId')}'.")
        if not inp.get("title"):
            raise GqlFieldError("Title can't be blank", "UNPROCESSABLE")
        rid = int(m.group(1))
        issue = self._create_issue(rid, str(inp["title"]), inp.get("body"), str(ctx.login))
        return {"clientMutationId": inp.get("clientMutationId"),
                "issue": self._gql_issue(rid, issue)}

    def _gql_update_issue(self, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
        inp = self._gql_input(args)
        rid, issue = self._gql_find_issue(inp.get("id"))
        for k in ("title", "body"):
            if isinstance(inp.get(k), str):
                issue[k] = inp[k]
        if inp.get("state") in ("OPEN", "CLOSED"):
            issue["state"] = inp["state"].lower()
        issue["updated"] = self.data.touch(rid)
        return {"clientMutationId": inp.get("clientMutationId"),
                "issue": self._gql_issue(rid, issue)}

    # --- data changes shared by REST and GraphQL --------------------------------

    def _create_issue(self, rid: int, title: str, body: Any, login: str) -> dict[str, Any]:
        issues = self.data.issues[rid]
        n = max(list(issues) + list(self.data.pulls[rid]) + [0]) + 1
        now = self.data.touch(rid)
        issues[n] = {"id": rid * 100000 + n, "number": n, "title": title,
                     "body": body or "", "state": "open", "user": login,
                     "comments": 0, "locked": False, "created": now, "updated": now}
        return issues[n]

    def _add_comment(self, rid: int, n: int, body: str, login: str) -> dict[str, Any]:
        cid = self.data.next_comment
        self.data.next_comment += 1
        now = self.data.touch(rid)
        c = {"id": cid, "issue": n, "body": body, "user": login, "created": now, "updated": now}
        self.data.comments[rid][cid] = c
        self.data.issues[rid][n]["comments"] += 1
        self.data.issues[rid][n]["updated"] = now
        return c

    def _route_write(self, ctx: Ctx, seg: list[str]) -> Resp:
        if ctx.method == "POST" and seg in (["user", "repos"], ["gists"]):
            # Writes on the caller's own account: recorded, echoed.
            payload = ctx.json_body() if ctx.body else {}
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            self.writes.append({"method": ctx.method, "path": ctx.raw, "login": ctx.login,
                                "token": ctx.token,
                                "token_fingerprint": token_fingerprint(ctx.token),
                                "json": payload})
            return Resp.json(201, {"ok": True, "method": ctx.method, "path": ctx.raw_path,
                                   "owner": {"login": ctx.login}, "received": payload})
        if not seg or seg[0] not in ("repos", "repositories"):
            return not_found()
        rid, rest, early = self._resolve_repo(ctx, seg)
        if early is not None:
            return early
        assert rid is not None
        payload = ctx.json_body() if ctx.body else {}
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        self.writes.append({"method": ctx.method, "path": ctx.raw, "login": ctx.login,
                            "token": ctx.token, "token_fingerprint": token_fingerprint(ctx.token),
                            "json": payload})
        issues = self.data.issues[rid]
        if ctx.method == "POST" and rest == ["issues"]:
            title = payload.get("title")
            if not title:
                return Resp.json(422, {"message": "Validation Failed", "errors": [
                    {"resource": "Issue", "code": "missing_field", "field": "title"}],
                    "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    "status": "422"}, pretty=False)
            n = self._create_issue(rid, str(title), payload.get("body"), str(ctx.login))["number"]
            return Resp.json(201, self._issue_json(rid, issues[n]),
                             headers=[("Location", f"{self.url}/repos/{self._full(rid)}/issues/{n}")])
        if len(rest) == 2 and rest[0] == "issues" and rest[1].isdigit():
            issue = issues.get(int(rest[1]))
            if issue is None:
                return not_found()
            if ctx.method == "PATCH":
                for k in ("title", "body", "state"):
                    if k in payload:
                        issue[k] = payload[k]
                issue["updated"] = self.data.touch(rid)
                return Resp.json(200, self._issue_json(rid, issue))
            return not_found()
        if len(rest) == 3 and rest[0] == "issues" and rest[1].isdigit() and rest[2] == "comments":
            n = int(rest[1])
            if n not in issues or ctx.method != "POST":
                return not_found()
            if not payload.get("body"):
                return Resp.json(422, {"message": "Validation Failed", "errors": [
                    {"resource": "IssueComment", "code": "missing_field", "field": "body"}],
                    "documentation_url": DOC_REST, "status": "422"}, pretty=False)
            c = self._add_comment(rid, n, str(payload["body"]), str(ctx.login))
            cid = c["id"]
            return Resp.json(201, self._comment_json(rid, c), headers=[
                ("Location", f"{self.url}/repos/{self._full(rid)}/issues/comments/{cid}")])
        if len(rest) == 3 and rest[:2] == ["issues", "comments"] and rest[2].isdigit():
            c = self.data.comments[rid].get(int(rest[2]))
            if c is None:
                return not_found()
            if ctx.method == "DELETE":
                del self.data.comments[rid][c["id"]]
                issues[c["issue"]]["comments"] -= 1
                self.data.touch(rid)
                return Resp(204, b"", None)
            if ctx.method == "PATCH":
                c["body"] = str(payload.get("body", c["body"]))
                c["updated"] = self.data.touch(rid)
                return Resp.json(200, self._comment_json(rid, c))
            return not_found()
        if (len(rest) == 3 and rest[0] == "issues" and rest[1].isdigit() and rest[2] == "lock"
                and ctx.method in ("PUT", "DELETE")):
            issue = issues.get(int(rest[1]))
            if issue is None:
                return not_found()
            issue["locked"] = ctx.method == "PUT"
            issue["updated"] = self.data.touch(rid)
            return Resp(204, b"", None)
        # Anything else under an existing repository: accepted and echoed.
        if ctx.method == "DELETE":
            return Resp(204, b"", None)
        status = 201 if ctx.method == "POST" else 200
        return Resp.json(status, {"ok": True, "method": ctx.method, "path": ctx.raw_path,
                                  "repository": self._full(rid), "received": payload})

    # --- JSON renderers --------------------------------------------------------------

    def _full(self, rid: int) -> str:
        r = self.data.repos[rid]
        return f"{r['owner']}/{r['name']}"

    def _user_json(self, login: str | None, short: bool = False) -> dict[str, Any]:
        if short:
            return {"login": login}
        return {"login": login, "id": self._user_id(str(login)), "node_id": f"U_{login}",
                "type": "User", "site_admin": False, "url": f"{self.url}/users/{login}",
                "html_url": f"https://github.com/{login}", "name": login}

    def _owner_json(self, owner: str) -> dict[str, Any]:
        info = SEED_OWNERS[owner]
        return {"login": owner, "id": info["id"], "node_id": self._gql_owner_id(owner),
                "type": info["type"],
                "url": f"{self.url}/{'orgs' if info['type'] == 'Organization' else 'users'}/{owner}",
                "repos_url": f"{self.url}/users/{owner}/repos"}

    def _profile_json(self, login: str) -> dict[str, Any] | None:
        """GET /users/{login} (and /orgs/{org}) of a seed owner or one of PEOPLE: the
        account with its profile name (None: not one of them)."""
        if login in SEED_OWNERS:
            out = self._owner_json(login)
            name = ORG_NAMES.get(login) if out["type"] == "Organization" else \
                PEOPLE.get(login, {}).get("name")
        elif login in PEOPLE:
            out = self._user_ref(login)
            name = PEOPLE[login]["name"]
        else:
            return None
        out.update({"html_url": f"https://github.com/{login}", "name": name, "company": None,
                    "blog": "", "location": None, "email": None, "bio": None,
                    "public_repos": sum(1 for r in self.data.repos.values()
                                        if r["owner"] == login and not r["private"]),
                    "created_at": _iso(BASE_EPOCH), "updated_at": _iso(BASE_EPOCH)})
        return out

    def _user_node_id(self, login: str) -> str:
        if PEOPLE.get(login, {}).get("type") == "Bot":
            return "BOT_" + login.removesuffix("[bot]")
        return self._gql_owner_id(login)

    def _user_ref(self, login: str) -> dict[str, Any]:
        """A user as issue/PR/comment payloads embed it (GitHub's simple-user: no name)."""
        if login in PEOPLE:
            uid, typ = PEOPLE[login]["id"], PEOPLE[login]["type"]
        elif login in SEED_OWNERS:
            uid, typ = SEED_OWNERS[login]["id"], SEED_OWNERS[login]["type"]
        else:
            uid, typ = self._user_id(login), "User"
        return {"login": login, "id": uid, "node_id": self._user_node_id(login),
                "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
                "url": f"{self.url}/users/{login}", "html_url": f"https://github.com/{login}",
                "type": typ, "site_admin": False}

    def _repo_json(self, rid: int) -> dict[str, Any]:
        r = self.data.repos[rid]
        full = f"{r['owner']}/{r['name']}"
        open_issues = sum(1 for i in self.data.issues[rid].values() if i["state"] == "open")
        out = {
            "id": rid, "node_id": f"R_{rid}", "name": r["name"], "full_name": full,
            "private": r["private"], "owner": self._owner_json(r["owner"]),
            "html_url": f"https://github.com/{full}", "url": f"{self.url}/repos/{full}",
            "issues_url": f"{self.url}/repos/{full}/issues{{/number}}",
            "default_branch": "main", "open_issues_count": open_issues,
            "created_at": _iso(BASE_EPOCH), "updated_at": _iso(self.data.updated[rid]),
            # the fields `gh repo view` reads (added for ghp; same for every repository
            # unless DEMO_REPO_FIELDS says otherwise)
            "description": None, "homepage": None, "topics": [], "stargazers_count": 0,
            "watchers_count": 0, "forks_count": 0, "subscribers_count": 0, "size": 108,
            "language": "C", "license": None,
            "visibility": "private" if r["private"] else "public", "fork": False,
            "archived": False, "disabled": False, "is_template": False, "mirror_url": None,
            "has_issues": True, "has_projects": True, "has_wiki": True,
            "has_discussions": False, "pushed_at": _iso(self.data.updated[rid]),
            "ssh_url": f"git@github.com:{full}.git", "clone_url": f"https://github.com/{full}.git",
        }
        if r.get("rich"):
            out.update(copy.deepcopy(DEMO_REPO_FIELDS))
            out["open_issues_count"] = open_issues + sum(
                1 for p in self.data.pulls[rid].values() if p["state"] == "open")
        out.update({"forks": out["forks_count"], "watchers": out["watchers_count"],
                    "open_issues": out["open_issues_count"]})
        return out

    def _fork_repo_json(self, owner: str, rid: int) -> dict[str, Any]:
        """A fork of rid owned by owner, as a PR's head.repo shows it."""
        name = self.data.repos[rid]["name"]
        full = f"{owner}/{name}"
        return {"id": DEMO_FORK_RID, "node_id": f"R_{DEMO_FORK_RID}", "name": name,
                "full_name": full, "private": False, "owner": self._user_ref(owner),
                "html_url": f"https://github.com/{full}", "url": f"{self.url}/repos/{full}",
                "fork": True, "default_branch": "main", "visibility": "public",
                "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-02-06T11:00:00Z",
                "pushed_at": "2024-02-06T11:59:00Z"}

    def _label_json(self, rid: int, name: str) -> dict[str, Any]:
        num, color, desc = DEMO_LABELS.get(name, (0, "ededed", None))
        full = self._full(rid)
        return {"id": rid * 1000 + num, "node_id": f"LA_{rid}_{num}",
                "url": f"{self.url}/repos/{full}/labels/{name.replace(' ', '%20')}",
                "name": name, "color": color,
                "default": name in ("bug", "enhancement", "help wanted"), "description": desc}

    def _milestone_json(self, rid: int, number: int) -> dict[str, Any]:
        m = DEMO_MILESTONES[number]
        full = self._full(rid)
        on = [i for i in self.data.issues[rid].values() if i.get("milestone") == number]
        return {"url": f"{self.url}/repos/{full}/milestones/{number}",
                "html_url": f"https://github.com/{full}/milestone/{number}",
                "labels_url": f"{self.url}/repos/{full}/milestones/{number}/labels",
                "id": rid * 100 + number, "node_id": f"MI_{rid}_{number}", "number": number,
                "title": m["title"], "description": m["description"],
                "creator": self._user_ref("alice"),
                "open_issues": sum(1 for i in on if i["state"] == "open"),
                "closed_issues": sum(1 for i in on if i["state"] == "closed"),
                "state": m["state"], "created_at": m["created"], "updated_at": m["created"],
                "due_on": m["due_on"], "closed_at": None}

    def _reactions_json(self, url: str, counts: dict[str, int]) -> dict[str, Any]:
        keys = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
        out: dict[str, Any] = {"url": url + "/reactions",
                               "total_count": sum(counts.get(k, 0) for k in keys)}
        out.update({k: counts.get(k, 0) for k in keys})
        return out

    def _issue_json(self, rid: int, i: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        if not self.data.repos[rid].get("full"):
            return {
                "id": i["id"], "node_id": _issue_node_id(rid, i["number"]),
                "number": i["number"], "title": i["title"], "body": i["body"],
                "state": i["state"], "locked": i["locked"], "comments": i["comments"],
                "user": {"login": i["user"]},
                "url": f"{self.url}/repos/{full}/issues/{i['number']}",
                "repository_url": f"{self.url}/repos/{full}",
                "html_url": f"https://github.com/{full}/issues/{i['number']}",
                "created_at": _iso(i["created"]), "updated_at": _iso(i["updated"]),
            }
        n = i["number"]
        url = f"{self.url}/repos/{full}/issues/{n}"
        assignees = [self._user_ref(a) for a in i.get("assignees", [])]
        closed_at = i.get("closed_at")
        if closed_at is None and i["state"] == "closed":
            closed_at = i["updated"]
        return {
            "id": i["id"], "node_id": _issue_node_id(rid, n),
            "number": n, "title": i["title"], "body": i["body"],
            "state": i["state"], "locked": i["locked"], "comments": i["comments"],
            "user": self._user_ref(i["user"]),
            "url": url, "repository_url": f"{self.url}/repos/{full}",
            "labels_url": url + "/labels{/name}", "comments_url": url + "/comments",
            "events_url": url + "/events", "timeline_url": url + "/timeline",
            "html_url": f"https://github.com/{full}/issues/{n}",
            "created_at": _iso(i["created"]), "updated_at": _iso(i["updated"]),
            "closed_at": None if closed_at is None else _iso(closed_at),
            "labels": [self._label_json(rid, name) for name in i.get("labels", [])],
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "milestone": (self._milestone_json(rid, i["milestone"]) if i.get("milestone")
                          else None),
            "author_association": i.get("association", "NONE"),
            "active_lock_reason": None, "state_reason": i.get("state_reason"),
            "reactions": self._reactions_json(url, i.get("reactions", {})),
            "performed_via_github_app": None,
        }

    def _pull_issue_json(self, rid: int, p: dict[str, Any]) -> dict[str, Any]:
        """A demo pull request as the issues endpoints show it (with "pull_request")."""
        full = self._full(rid)
        n = p["number"]
        url = f"{self.url}/repos/{full}/issues/{n}"
        assignees = [self._user_ref(a) for a in p.get("assignees", [])]
        merged = p.get("merged_at")
        return {
            "id": rid * 100000 + n, "node_id": f"PR_{rid}_{n}", "number": n,
            "title": p["title"], "body": p.get("body"), "state": p["state"], "locked": False,
            "comments": sum(1 for c in self.data.comments[rid].values() if c["issue"] == n),
            "user": self._user_ref(p["user"]), "url": url,
            "repository_url": f"{self.url}/repos/{full}",
            "labels_url": url + "/labels{/name}", "comments_url": url + "/comments",
            "events_url": url + "/events", "timeline_url": url + "/timeline",
            "html_url": f"https://github.com/{full}/pull/{n}",
            "created_at": _iso(p["created"]), "updated_at": _iso(p["updated"]),
            "closed_at": None if p.get("closed_at") is None else _iso(p["closed_at"]),
            "labels": [self._label_json(rid, name) for name in p.get("labels", [])],
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "milestone": None, "author_association": p.get("association", "NONE"),
            "active_lock_reason": None, "draft": p.get("draft", False), "state_reason": None,
            "pull_request": {"url": f"{self.url}/repos/{full}/pulls/{n}",
                             "html_url": f"https://github.com/{full}/pull/{n}",
                             "diff_url": f"https://github.com/{full}/pull/{n}.diff",
                             "patch_url": f"https://github.com/{full}/pull/{n}.patch",
                             "merged_at": None if merged is None else _iso(merged)},
            "reactions": self._reactions_json(url, {}), "performed_via_github_app": None,
        }

    def _rich_pull_json(self, rid: int, p: dict[str, Any], single: bool) -> dict[str, Any]:
        """A demo pull request as /pulls (single=False) or /pulls/{n} (single=True) shows it."""
        full = self._full(rid)
        n = p["number"]
        r = self.data.repos[rid]
        base_repo = self._repo_json(rid)
        head_owner = p.get("head_owner") or r["owner"]
        head_repo = self._fork_repo_json(head_owner, rid) if p.get("head_owner") else base_repo
        head_user = self._user_ref(head_owner) if p.get("head_owner") else \
            self._owner_json(r["owner"])
        assignees = [self._user_ref(a) for a in p.get("assignees", [])]
        merged = p.get("merged_at")
        auto = None
        if p.get("auto_merge"):
            who, method = p["auto_merge"]
            auto = {"enabled_by": self._user_ref(who), "merge_method": method,
                    "commit_title": p["title"], "commit_message": ""}
        main = _commit_shas(rid)[-1]
        out = {
            "url": f"{self.url}/repos/{full}/pulls/{n}", "id": p["id"],
            "node_id": f"PR_{rid}_{n}", "html_url": f"https://github.com/{full}/pull/{n}",
            "diff_url": f"https://github.com/{full}/pull/{n}.diff",
            "patch_url": f"https://github.com/{full}/pull/{n}.patch",
            "issue_url": f"{self.url}/repos/{full}/issues/{n}",
            "number": n, "state": p["state"], "locked": False, "title": p["title"],
            "user": self._user_ref(p["user"]), "body": p.get("body"),
            "created_at": _iso(p["created"]), "updated_at": _iso(p["updated"]),
            "closed_at": None if p.get("closed_at") is None else _iso(p["closed_at"]),
            "merged_at": None if merged is None else _iso(merged),
            "merge_commit_sha": p.get("merge_commit_sha"),
            "assignee": assignees[0] if assignees else None, "assignees": assignees,
            "requested_reviewers": [self._user_ref(x) for x in p.get("requested", [])],
            "requested_teams": [],
            "labels": [self._label_json(rid, name) for name in p.get("labels", [])],
            "milestone": None, "draft": p.get("draft", False),
            "head": {"label": f"{head_owner}:{p['head']}", "ref": p["head"],
                     "sha": _demo_sha(n), "user": head_user, "repo": head_repo},
            "base": {"label": f"{r['owner']}:{p['base']}", "ref": p["base"], "sha": main,
                     "user": self._owner_json(r["owner"]), "repo": base_repo},
            "author_association": p.get("association", "NONE"), "auto_merge": auto,
            "active_lock_reason": None,
        }
        if single:
            out.update({
                "merged": merged is not None, "mergeable": p.get("mergeable"),
                "rebaseable": p.get("mergeable"), "mergeable_state": p.get("mergeable_state"),
                "merged_by": (self._user_ref(p["merged_by"]) if p.get("merged_by") else None),
                "comments": sum(1 for c in self.data.comments[rid].values() if c["issue"] == n),
                "review_comments": 0,
                "maintainer_can_modify": p.get("maintainer_can_modify", False),
                "commits": p.get("commits", 1), "additions": p.get("additions", 0),
                "deletions": p.get("deletions", 0), "changed_files": p.get("changed_files", 0),
            })
        return out

    def _comment_json(self, rid: int, c: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        if not self.data.repos[rid].get("full"):
            return {"id": c["id"], "node_id": f"IC_{c['id']}", "body": c["body"],
                    "user": {"login": c["user"]},
                    "url": f"{self.url}/repos/{full}/issues/comments/{c['id']}",
                    "issue_url": f"{self.url}/repos/{full}/issues/{c['issue']}",
                    "created_at": _iso(c["created"]), "updated_at": _iso(c["updated"])}
        return {"id": c["id"], "node_id": f"IC_{c['id']}", "body": c["body"],
                "user": self._user_ref(c["user"]),
                "url": f"{self.url}/repos/{full}/issues/comments/{c['id']}",
                "html_url": f"https://github.com/{full}/issues/{c['issue']}"
                            f"#issuecomment-{c['id']}",
                "issue_url": f"{self.url}/repos/{full}/issues/{c['issue']}",
                "author_association": c.get("association", "NONE"),
                "created_at": _iso(c["created"]), "updated_at": _iso(c["updated"]),
                "reactions": self._reactions_json(
                    f"{self.url}/repos/{full}/issues/comments/{c['id']}", {}),
                "performed_via_github_app": None}

    def _commit_json(self, rid: int, sha: str, n: int) -> dict[str, Any]:
        full = self._full(rid)
        return {"sha": sha, "url": f"{self.url}/repos/{full}/commits/{sha}",
                "commit": {"message": f"Commit {n} of {full}",
                           "author": {"name": "alice", "date": _iso(BASE_EPOCH + n)}}}

    def _pull_json(self, rid: int, p: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        return {"id": p["id"], "number": p["number"], "title": p["title"], "state": p["state"],
                "url": f"{self.url}/repos/{full}/pulls/{p['number']}",
                "diff_url": f"https://github.com/{full}/pull/{p['number']}.diff",
                "head": {"ref": p["head"]}, "base": {"ref": p["base"]}}

    # --- control over HTTP -----------------------------------------------------------

    def _control(self, method: str, raw: str, headers: Headers, body: bytes) -> Resp:
        path, _, query = raw.partition("?")
        q = dict(parse_qsl(query, keep_blank_values=True))
        try:
            payload = json.loads(body.decode()) if body.strip() else {}
        except ValueError:
            return Resp.json(400, {"message": "control body is not JSON"})
        try:
            if path == "/_fake/requests" and method == "GET":
                return Resp.json(200, [r.to_json() for r in self.requests()])
            if path == "/_fake/requests" and method == "DELETE":
                self.clear_requests()
                return Resp.json(200, {"ok": True})
            if path == "/_fake/reset" and method == "POST":
                self.reset()
                return Resp.json(200, {"ok": True})
            if path == "/_fake/faults" and method == "POST":
                kind = payload.pop("kind")
                return Resp.json(200, {"id": self.add_fault(kind, **payload)})
            if path == "/_fake/faults" and method == "GET":
                return Resp.json(200, self.fault_list())
            if path == "/_fake/faults" and method == "DELETE":
                self.clear_faults()
                return Resp.json(200, {"ok": True})
            if path == "/_fake/budget" and method == "POST":
                return Resp.json(200, self.set_budget(**payload))
            if path == "/_fake/budget" and method == "GET":
                tok, login = q.get("token"), q.get("login")
                inst, app = q.get("installation"), q.get("app")
                return Resp.json(200, {b: self.budget(tok, b, login=login, installation=inst,
                                                      app=app) for b in BUCKETS})
            if path == "/_fake/issue" and method == "POST":
                return Resp.json(200, self.set_issue_title(payload["repo"], payload["number"],
                                                           payload["title"]))
            if path == "/_fake/revoke" and method == "POST":
                self.revoke(payload["token"])
                return Resp.json(200, {"ok": True})
            if path == "/_fake/tokens" and method == "POST":
                self.add_token(payload["token"], payload["login"])
                return Resp.json(200, {"ok": True})
            if path == "/_fake/apps" and method == "POST":
                spec = dict(payload)
                app_id, pem = spec.pop("app_id"), spec.pop("public_key_pem")
                insts = {int(k): v for k, v in (spec.pop("installations", None) or {}).items()}
                return Resp.json(200, self.add_app(app_id, pem, installations=insts, **spec))
            if path == "/_fake/apps" and method == "GET":
                return Resp.json(200, self.app_list())
            if path == "/_fake/apps/keys" and method == "POST":
                if payload.get("remove"):
                    self.remove_app_key(payload["app_id"], payload["public_key_pem"])
                    return Resp.json(200, {"ok": True})
                return Resp.json(200, {"fingerprint": self.add_app_key(
                    payload["app_id"], payload["public_key_pem"])})
            if path == "/_fake/app_tokens" and method == "GET":
                iid = q.get("installation_id")
                return Resp.json(200, self.mints(int(iid) if iid else None))
            if path == "/_fake/app_tokens/expire" and method == "POST":
                return Resp.json(200, {"expired": self.expire_app_tokens(
                    payload.get("installation_id"), payload.get("token"))})
            if path == "/_fake/app_clock" and method == "POST":
                offset = self.advance_app_clock(payload.get("advance", 0))
                return Resp.json(200, {"offset": offset})
        except (KeyError, TypeError, ValueError) as e:
            return Resp.json(400, {"message": f"bad control request: {e!r}"})
        return Resp.json(404, {"message": "unknown control endpoint"})


def _issue_node_id(rid: int, number: int) -> str:
    """The GraphQL id of an issue (REST "node_id")."""
    return f"I_{rid}_{number}"


# Introspection: a small slice of GitHub's schema, enough for clients' feature detection
# (gh asks __type(name: "PullRequest") { fields(includeDeprecated: true) { name } }).
GQL_OBJECT_FIELDS: dict[str, list[str]] = {
    "Query": ["__schema", "__type", "node", "nodes", "organization", "rateLimit", "repository",
              "repositoryOwner", "search", "user", "viewer"],
    "Repository": ["createdAt", "databaseId", "defaultBranchRef", "description",
                   "hasIssuesEnabled", "hasWikiEnabled", "id", "isArchived", "isFork",
                   "isPrivate", "issue", "issueOrPullRequest", "issues", "name", "nameWithOwner",
                   "owner", "pullRequest", "pullRequests", "url", "viewerPermission"],
    "Issue": ["author", "body", "comments", "createdAt", "databaseId", "id", "locked", "number",
              "repository", "state", "title", "updatedAt", "url"],
    "PullRequest": ["additions", "author", "autoMergeRequest", "baseRefName", "body",
                    "changedFiles", "closed", "createdAt", "deletions", "headRefName", "id",
                    "isDraft", "isInMergeQueue", "isMergeQueueEnabled", "mergeStateStatus",
                    "mergeable", "merged", "number", "projectItems", "repository",
                    "reviewDecision", "state", "title", "updatedAt", "url"],
    "Commit": ["author", "committedDate", "id", "message", "oid", "statusCheckRollup", "url"],
    "User": ["avatarUrl", "databaseId", "id", "login", "name", "repositories", "repository",
             "url"],
    "Organization": ["avatarUrl", "databaseId", "id", "login", "name", "repositories",
                     "repository", "url"],
    "IssueComment": ["author", "body", "createdAt", "databaseId", "id", "url"],
    "RateLimit": ["cost", "limit", "nodeCount", "remaining", "resetAt", "used"],
}
GQL_ENUMS: dict[str, list[str]] = {
    "PullRequestState": ["CLOSED", "MERGED", "OPEN"],
    "IssueState": ["CLOSED", "OPEN"],
    "MergeStateStatus": ["BEHIND", "BLOCKED", "CLEAN", "DIRTY", "DRAFT", "HAS_HOOKS",
                         "UNKNOWN", "UNSTABLE"],
    "RepositoryPermission": ["ADMIN", "MAINTAIN", "READ", "TRIAGE", "WRITE"],
}


def _gql_introspect_type(name: Any) -> dict[str, Any] | None:
    """__type(name:): the type, or null when the schema has no such type (as GitHub)."""
    if name in GQL_OBJECT_FIELDS:
        fields = GQL_OBJECT_FIELDS[name]
        return {"__typename": "__Type", "name": name, "kind": "OBJECT", "description": None,
                "fields": lambda args: [{"name": f, "description": None, "args": [],
                                         "isDeprecated": False, "deprecationReason": None}
                                        for f in fields],
                "enumValues": None, "interfaces": [], "possibleTypes": None,
                "inputFields": None}
    if name in GQL_ENUMS:
        values = GQL_ENUMS[name]
        return {"__typename": "__Type", "name": name, "kind": "ENUM", "description": None,
                "fields": None, "interfaces": None, "possibleTypes": None, "inputFields": None,
                "enumValues": lambda args: [{"name": v, "description": None,
                                             "isDeprecated": False, "deprecationReason": None}
                                            for v in values]}
    return None


def _gql_introspect_schema() -> dict[str, Any]:
    types = [{"name": n, "kind": "OBJECT"} for n in sorted(GQL_OBJECT_FIELDS)] + \
        [{"name": n, "kind": "ENUM"} for n in sorted(GQL_ENUMS)]
    return {"__typename": "__Schema", "description": None,
            "queryType": {"name": "Query", "kind": "OBJECT"},
            "mutationType": {"name": "Mutation", "kind": "OBJECT"},
            "subscriptionType": None, "types": types, "directives": []}


def token_fingerprint(token: str | None) -> str | None:
    """First 8 hex digits of the token's SHA-256 (how ghpool tells tokens apart)."""
    return None if token is None else hashlib.sha256(token.encode()).hexdigest()[:8]


def _commit_shas(rid: int) -> list[str]:
    """Three fixed commits per repository (40-hex SHAs), oldest first."""
    return [hashlib.sha1(f"{rid}:{n}".encode()).hexdigest() for n in range(3)]


def _resp_from_body(status: int, body: Any, content_type: str | None,
                    headers: list[tuple[str, str]]) -> Resp:
    if isinstance(body, (bytes, bytearray)):
        return Resp(status, bytes(body), content_type or "application/octet-stream", headers=headers)
    if isinstance(body, str):
        return Resp(status, body.encode(), content_type or "text/plain; charset=utf-8",
                    headers=headers)
    return Resp(status, _json_bytes(body, pretty=False), content_type or JSON_TYPE, headers=headers)


def _accepts_gzip(value: str | None) -> bool:
    for part in (value or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


def _is_app_endpoint(method: str, seg: list[str]) -> bool:
    """An endpoint that takes an App JWT (and nothing else)."""
    if method in ("GET", "HEAD"):
        if seg in (["app"], ["app", "installations"]):
            return True
        if len(seg) == 3 and seg[:2] == ["app", "installations"]:
            return True
        if len(seg) == 3 and seg[0] in ("orgs", "users") and seg[1] and seg[2] == "installation":
            return True
        if len(seg) == 4 and seg[0] == "repos" and seg[1] and seg[2] and seg[3] == "installation":
            return True
    return (method == "POST" and len(seg) == 4 and seg[:2] == ["app", "installations"]
            and seg[3] == "access_tokens")


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


def _openssl(args: list[str], data: bytes | None = None,
             timeout: float = 30.0) -> subprocess.CompletedProcess:
    exe = shutil.which("openssl")
    if exe is None:
        raise RuntimeError("the fake GitHub's Apps need the openssl command line")
    return subprocess.run([exe, *args], input=data, capture_output=True, timeout=timeout)


def _public_pem(pem: str) -> str:
    pem = pem.strip() + "\n"
    return public_key_of(pem) if "PRIVATE KEY" in pem else pem


def app_key_fingerprint(pem: str) -> str:
    """How the fake names an App key (RequestRecord.jwt_key, GET /_fake/apps): 16 hex
    digits of the SHA-256 of its public PEM (a private key PEM gives its public key's)."""
    return hashlib.sha256(_public_pem(pem).strip().encode()).hexdigest()[:16]


def public_key_of(private_pem: str) -> str:
    """The public key (SubjectPublicKeyInfo PEM) of a private key PEM (PKCS#1 or #8)."""
    p = _openssl(["pkey", "-pubout"], data=private_pem.encode())
    if p.returncode != 0:
        raise ValueError("not a private key: " + p.stderr.decode(errors="replace"))
    return p.stdout.decode("ascii")


def _rs256_verify(pubfile: str, signed: bytes, signature: bytes, tmpdir: str) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256, checked by ``openssl dgst -verify`` every time."""
    try:
        fd, sigfile = tempfile.mkstemp(dir=tmpdir, suffix=".sig")
    except OSError:  # reset() removed the directory meanwhile
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(signature)
        p = _openssl(["dgst", "-sha256", "-verify", pubfile, "-signature", sigfile], data=signed)
        return p.returncode == 0 and b"Verified OK" in p.stdout
    finally:
        try:
            os.unlink(sigfile)
        except OSError:
            pass


def _token_of(auth: str | None) -> str | None:
    """The token in an Authorization header ("token X", "Bearer X", Basic user:X)."""
    if not auth:
        return None
    scheme, _, value = auth.strip().partition(" ")
    value = value.strip()
    s = scheme.lower()
    if s in ("token", "bearer"):
        return value or ""
    if s == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return ""
    return auth.strip()


def _etag_key(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _not_modified(headers: Headers, etag: str, last_modified: float | None) -> bool:
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or _etag_key(etag) in {_etag_key(t) for t in tags}
    ims = headers.get("If-Modified-Since")
    if ims and last_modified is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return int(last_modified) <= since
    return False


# ----------------------------------------------------------------------------
# GraphQL: a small parser for executable documents, operation choice, values
# ----------------------------------------------------------------------------


class GqlSyntaxError(ValueError):
    """A document the fake's parser refuses (GitHub answers it with a parse error)."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class GqlFieldError(Exception):
    """Raised by a resolver: the field becomes null and an error names it (GitHub's way)."""

    def __init__(self, message: str, type_: str = "NOT_FOUND"):
        super().__init__(message)
        self.message = message
        self.type = type_


_GQL_IGNORED = re.compile(r"(?:[\ufeff \t\r\n,]|#[^\r\n]*)+")
_GQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_GQL_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_GQL_STRING = re.compile(r'"(?:[^"\\\n\r]|\\.)*"')
_GQL_PUNCT = set("!$&()=:@[]{}|")
_GQL_OP_TYPES = ("query", "mutation", "subscription")


def _gql_pos(src: str, offset: int) -> tuple[int, int]:
    line = src.count("\n", 0, offset) + 1
    return line, offset - (src.rfind("\n", 0, offset) + 1) + 1


def _gql_lex(src: str) -> list[tuple[str, Any, int]]:
    """Tokens (kind, value, offset); kinds: punct, name, string, number."""
    toks: list[tuple[str, Any, int]] = []
    i, n = 0, len(src)
    while True:
        m = _GQL_IGNORED.match(src, i)
        if m:
            i = m.end()
        if i >= n:
            return toks
        c = src[i]
        if src.startswith("...", i):
            toks.append(("punct", "...", i))
            i += 3
        elif c in _GQL_PUNCT:
            toks.append(("punct", c, i))
            i += 1
        elif src.startswith('"""', i):
            j, buf = i + 3, []
            while True:
                if j >= n:
                    raise GqlSyntaxError("Unterminated string.", *_gql_pos(src, i))
                if src.startswith('\\"""', j):
                    buf.append('"""')
                    j += 4
                elif src.startswith('"""', j):
                    break
                else:
                    buf.append(src[j])
                    j += 1
            toks.append(("string", "".join(buf), i))
            i = j + 3
        elif c == '"':
            m = _GQL_STRING.match(src, i)
            try:
                if m is None:
                    raise ValueError
                value = json.loads(m.group(0), strict=False)
            except ValueError:
                raise GqlSyntaxError("Unterminated string or invalid escape.",
                                     *_gql_pos(src, i)) from None
            toks.append(("string", value, i))
            i = m.end()
        elif c == "-" or c.isdigit():
            m = _GQL_NUMBER.match(src, i)
            if m is None or (m.end() < n and (src[m.end()] in "._" or src[m.end()].isalnum())):
                raise GqlSyntaxError(f"Invalid number near {src[i:i + 10]!r}.", *_gql_pos(src, i))
            text = m.group(0)
            toks.append(("number", float(text) if any(x in text for x in ".eE") else int(text), i))
            i = m.end()
        else:
            m = _GQL_NAME.match(src, i)
            if m is None:
                raise GqlSyntaxError(f"Unexpected character {c!r}.", *_gql_pos(src, i))
            toks.append(("name", m.group(0), i))
            i = m.end()


class GqlField:
    __slots__ = ("alias", "name", "args", "selections")

    def __init__(self, alias: str | None, name: str, args: dict[str, Any],
                 selections: list | None):
        self.alias, self.name, self.args, self.selections = alias, name, args, selections

    @property
    def key(self) -> str:
        return self.alias or self.name


class GqlOperation:
    __slots__ = ("type", "name", "selections", "defaults")

    def __init__(self, type_: str, name: str | None, selections: list,
                 defaults: dict[str, Any] | None = None):
        self.type, self.name, self.selections = type_, name, selections
        self.defaults = defaults or {}   # variable name -> default value tree


class GqlDocument:
    def __init__(self, operations: list[GqlOperation], fragments: dict[str, list]):
        self.operations = operations
        self.fragments = fragments


class _GqlParser:
    """Recursive descent over the executable-document grammar (values kept as small trees:
    ("var", name) | ("list", [...]) | ("object", {...}) | ("enum", name) | ("const", value))."""

    def __init__(self, src: str):
        self.src = src
        self.toks = _gql_lex(src)
        self.i = 0

    def _fail(self, what: str) -> GqlSyntaxError:
        if self.i < len(self.toks):
            kind, value, off = self.toks[self.i]
            return GqlSyntaxError(f"Parse error on {value!r} ({kind}): expected {what}.",
                                  *_gql_pos(self.src, off))
        return GqlSyntaxError(f"Parse error on end of document: expected {what}.",
                              *_gql_pos(self.src, len(self.src)))

    def peek(self, kind: str, value: Any = None) -> bool:
        if self.i >= len(self.toks):
            return False
        k, v, _ = self.toks[self.i]
        return k == kind and (value is None or v == value)

    def take(self, kind: str, value: Any = None) -> Any:
        if not self.peek(kind, value):
            raise self._fail(repr(value) if value is not None else kind)
        self.i += 1
        return self.toks[self.i - 1][1]

    def document(self) -> GqlDocument:
        ops: list[GqlOperation] = []
        frags: dict[str, list] = {}
        if not self.toks:
            raise self._fail("a definition")
        while self.i < len(self.toks):
            if self.peek("punct", "{"):
                ops.append(GqlOperation("query", None, self.selection_set()))
            elif self.peek("name") and self.toks[self.i][1] in _GQL_OP_TYPES:
                type_ = self.take("name")
                name = self.take("name") if self.peek("name") else None
                defaults: dict[str, Any] = {}
                if self.peek("punct", "("):
                    defaults = self.variable_definitions()
                self.directives()
                ops.append(GqlOperation(type_, name, self.selection_set(), defaults))
            elif self.peek("name", "fragment"):
                self.take("name")
                name = self.take("name")
                if name == "on":
                    raise self._fail("a fragment name")
                self.take("name", "on")
                self.take("name")
                self.directives()
                frags[name] = self.selection_set()
            else:
                raise self._fail("query, mutation, subscription, fragment or {")
        return GqlDocument(ops, frags)

    def variable_definitions(self) -> dict[str, Any]:
        """Parses ($a: T = default ...); returns the defaults (name -> value tree)."""
        self.take("punct", "(")
        defaults: dict[str, Any] = {}
        while True:
            self.take("punct", "$")
            name = self.take("name")
            self.take("punct", ":")
            self.type_ref()
            if self.peek("punct", "="):
                self.take("punct", "=")
                defaults[name] = self.value()
            self.directives()
            if self.peek("punct", ")"):
                break
        self.take("punct", ")")
        return defaults

    def type_ref(self) -> None:
        if self.peek("punct", "["):
            self.take("punct", "[")
            self.type_ref()
            self.take("punct", "]")
        else:
            self.take("name")
        if self.peek("punct", "!"):
            self.take("punct", "!")

    def directives(self) -> None:
        while self.peek("punct", "@"):
            self.take("punct", "@")
            self.take("name")
            if self.peek("punct", "("):
                self.arguments()

    def arguments(self) -> dict[str, Any]:
        self.take("punct", "(")
        args: dict[str, Any] = {}
        while True:
            name = self.take("name")
            self.take("punct", ":")
            args[name] = self.value()
            if self.peek("punct", ")"):
                break
        self.take("punct", ")")
        return args

    def value(self) -> tuple[str, Any]:
        if self.peek("punct", "$"):
            self.take("punct", "$")
            return ("var", self.take("name"))
        if self.peek("punct", "["):
            self.take("punct", "[")
            items = []
            while not self.peek("punct", "]"):
                items.append(self.value())
            self.take("punct", "]")
            return ("list", items)
        if self.peek("punct", "{"):
            self.take("punct", "{")
            fields: dict[str, Any] = {}
            while not self.peek("punct", "}"):
                name = self.take("name")
                self.take("punct", ":")
                fields[name] = self.value()
            self.take("punct", "}")
            return ("object", fields)
        if self.peek("string"):
            return ("const", self.take("string"))
        if self.peek("number"):
            return ("const", self.take("number"))
        if self.peek("name"):
            name = self.take("name")
            consts = {"true": True, "false": False, "null": None}
            return ("const", consts[name]) if name in consts else ("enum", name)
        raise self._fail("a value")

    def selection_set(self) -> list:
        self.take("punct", "{")
        sels: list = []
        while not self.peek("punct", "}"):
            sels.append(self.selection())
        self.take("punct", "}")
        if not sels:
            raise self._fail("a selection")
        return sels

    def selection(self) -> Any:
        if self.peek("punct", "..."):
            self.take("punct", "...")
            if self.peek("name", "on"):
                self.take("name")
                self.take("name")
                self.directives()
                return ("inline", self.selection_set())
            if self.peek("name"):
                name = self.take("name")
                self.directives()
                return ("spread", name)
            self.directives()
            return ("inline", self.selection_set())
        first = self.take("name")
        alias, name = None, first
        if self.peek("punct", ":"):
            self.take("punct", ":")
            alias, name = first, self.take("name")
        args = self.arguments() if self.peek("punct", "(") else {}
        self.directives()
        sels = self.selection_set() if self.peek("punct", "{") else None
        return GqlField(alias, name, args, sels)


def gql_parse(src: str) -> GqlDocument:
    """Parse a GraphQL executable document; raises GqlSyntaxError."""
    return _GqlParser(src).document()


def gql_value(v: tuple[str, Any], variables: dict[str, Any]) -> Any:
    kind, x = v
    if kind == "var":
        return variables.get(x)
    if kind == "list":
        return [gql_value(i, variables) for i in x]
    if kind == "object":
        return {k: gql_value(i, variables) for k, i in x.items()}
    return x


def gql_args(field: GqlField, variables: dict[str, Any]) -> dict[str, Any]:
    return {k: gql_value(v, variables) for k, v in field.args.items()}


def gql_fields(selections: list, fragments: dict[str, list]) -> list[GqlField]:
    """The fields of a selection set with fragment spreads and inline fragments expanded."""
    out: list[GqlField] = []
    for sel in selections:
        if isinstance(sel, GqlField):
            out.append(sel)
        elif sel[0] == "inline":
            out += gql_fields(sel[1], fragments)
        elif sel[0] == "spread" and sel[1] in fragments:
            out += gql_fields(fragments[sel[1]], fragments)
    return out


class GqlInfo:
    """What the fake makes of a GraphQL request: the operation that would run.

    type   query | mutation | subscription; when it cannot tell (unparsable document,
           several operations without operationName, operationName naming nothing): the
           crude guess from the document's keywords, else "query"
    name   the operation's name, or None
    error  None when the document parsed and the operation was chosen, else why not
    """

    __slots__ = ("type", "name", "error", "document", "operation", "syntax")

    def __init__(self, type_: str, name: str | None, error: str | None = None,
                 document: GqlDocument | None = None, operation: GqlOperation | None = None,
                 syntax: GqlSyntaxError | None = None):
        self.type, self.name, self.error = type_, name, error
        self.document, self.operation, self.syntax = document, operation, syntax


def _gql_crude_ops(src: str) -> list[tuple[str, str | None]]:
    """Operations of a document the parser refused: keywords at brace depth 0 (strings,
    block strings and comments skipped), "{" at depth 0 outside an operation = a query."""
    ops: list[tuple[str, str | None]] = []
    depth, i, n = 0, 0, len(src)
    pending = False  # an operation keyword (or fragment) seen at depth 0, body not opened
    while i < n:
        c = src[i]
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if src.startswith('"""', i):
            j = src.find('"""', i + 3)
            i = n if j < 0 else j + 3
            continue
        if c == '"':
            m = _GQL_STRING.match(src, i)
            i = m.end() if m else n
            continue
        if c == "{":
            if depth == 0 and not pending:
                ops.append(("query", None))
            pending = False if depth == 0 else pending
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and (c.isalpha() or c == "_"):
            m = _GQL_NAME.match(src, i)
            word = m.group(0) if m else c
            j = i + len(word)
            if word in _GQL_OP_TYPES or word == "fragment":
                k = _GQL_IGNORED.match(src, j)
                k = k.end() if k else j
                m2 = _GQL_NAME.match(src, k)
                name = m2.group(0) if m2 else None
                if word != "fragment":
                    ops.append((word, name))
                pending = True
                if m2:
                    j = m2.end()
            i = j
            continue
        i += 1
    return ops


def gql_classify(query: str, operation_name: str | None = None) -> GqlInfo:
    """The operation a GraphQL request would run (as graphql-js's getOperationAST picks it
    after the executable-definitions / lone-anonymous / unique-names rules)."""
    try:
        doc = gql_parse(query)
    except GqlSyntaxError as e:
        ops = _gql_crude_ops(query)
        pick = _gql_pick_crude(ops, operation_name)
        return GqlInfo(pick[0], pick[1], f"syntax error: {e.message}", syntax=e)
    ops = doc.operations
    crude = [(o.type, o.name) for o in ops]
    if not ops:
        return GqlInfo("query", None, "document has no operation", doc)
    if len(ops) > 1 and any(o.name is None for o in ops):
        t, nm = _gql_pick_crude(crude, operation_name)
        return GqlInfo(t, nm, "This anonymous operation must be the only defined operation.",
                       doc)
    names = [o.name for o in ops]
    dup = next((nm for nm in names if names.count(nm) > 1), None)
    if dup is not None:
        t, nm = _gql_pick_crude(crude, operation_name)
        return GqlInfo(t, nm, f'There can be only one operation named "{dup}".', doc)
    if operation_name is None:
        if len(ops) > 1:
            t, nm = _gql_pick_crude(crude, None)
            return GqlInfo(t, nm, "Must provide operation name if query contains multiple "
                                  "operations.", doc)
        op = ops[0]
    else:
        op = next((o for o in ops if o.name == operation_name), None)
        if op is None:
            return GqlInfo("query", None, f'Unknown operation named "{operation_name}".', doc)
    return GqlInfo(op.type, op.name, None, doc, op)


def _gql_pick_crude(ops: list[tuple[str, str | None]],
                    operation_name: str | None) -> tuple[str, str | None]:
    if operation_name is not None:
        hit = [o for o in ops if o[1] == operation_name]
        return hit[0] if hit and len({t for t, _ in hit}) == 1 else ("query", None)
    if len(ops) == 1:
        return ops[0]
    types = {t for t, _ in ops}
    return (types.pop(), None) if len(types) == 1 else ("query", None)


def gql_request_info(body: bytes) -> GqlInfo | None:
    """GqlInfo of a POST /graphql body, or None when the body is not a GraphQL request."""
    try:
        req = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(req, dict) or not isinstance(req.get("query"), str):
        return None
    name = req.get("operationName")
    if name is not None and not isinstance(name, str):
        return None
    if req.get("variables") is not None and not isinstance(req["variables"], dict):
        return None
    return gql_classify(req["query"], name)
