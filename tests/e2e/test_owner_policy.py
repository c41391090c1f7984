"""Owner policy: allowed_owners decides which /repos, /orgs, /users, /repositories/{id} paths
and which searches may be read."""

from __future__ import annotations

import re

import pytest

LOOKUP = re.compile(r"^/repositories/\d+$")      # ghpool's own id -> owner lookup
POOL_TOKENS = {"tok_alice", "tok_bob"}

ALLOWED = [
    "/repos/octo-org/hello",
    "/repos/octo-org/hello/issues?per_page=2",
    "/repos/OCTO-ORG/hello",
    "/repos/Alice/tools",
    "/repos/alice/tools/contents/README.md",
    "/orgs/octo-org",
    "/orgs/Octo-Org/repos",
    "/users/alice",
    "/users/ALICE/repos",
]

DENIED = [
    "/repos/evil-corp/secret",
    "/repos/evil-corp/secret/issues?per_page=1",
    "/repos/EVIL-CORP/secret",
    "/repos/evil-corp",
    "/orgs/evil-corp",
    "/orgs/evil-corp/repos",
    "/users/evil-corp",
    "/users/mallory/repos",
    "/repos/octo-org-evil/hello",   # prefix of an allowed owner is not that owner
    "/repos/alice-x/tools",
    "/repositories/1004/issues",    # evil-corp/secret by id: resolved, then denied
    "/repositories/9999/issues",    # an id nobody knows: cannot be tied to an owner
]

ALLOWED_IDS = ["/repositories/1001", "/repositories/1003/issues?per_page=1"]

# Searches must name an allowed owner in a repo:, org: or user: qualifier.
OTHER_ALLOWED = ["/meta", "/search/repositories?q=hello+org:octo-org",
                 "/search/issues?q=issue+repo:octo-org/hello"]


def assert_denied(r, fake, reads, target):
    assert r.status == 403, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert r.json().get("message"), r.body
    assert reads(fake, target.split("?")[0]) == [], "a denied read reached upstream"


def id_lookups(target: str) -> list[str]:
    """What a read of target may send upstream before it is judged: for /repositories/{id}
    paths, ghpool's own GET /repositories/{id} (on a pooled token) to learn the owner."""
    m = re.match(r"^(/repositories/\d+)", target)
    return [m.group(1)] if m else []


def assert_only_lookups(fake, reads, target):
    recs = reads(fake)
    assert [x.path for x in recs] == id_lookups(target), recs
    assert all(x.method == "GET" and LOOKUP.match(x.path) and x.token in POOL_TOKENS
               for x in recs), recs


@pytest.mark.parametrize("target", ALLOWED)
def test_allowed_owner_is_served(ghpool, fake, reads, target):
    g = ghpool()
    r = g.get(target)
    assert r.status == 200, r
    assert [rec.path for rec in reads(fake)] == [target]


@pytest.mark.parametrize("target", DENIED)
def test_other_owner_is_denied_without_upstream_request(ghpool, fake, reads, target):
    g = ghpool()
    assert_denied(g.get(target), fake, reads, target)
    assert_only_lookups(fake, reads, target)


@pytest.mark.parametrize("target", ALLOWED_IDS)
def test_repository_id_of_an_allowed_owner_is_served(ghpool, fake, reads, target):
    g = ghpool()
    r = g.get(target)
    assert r.status == 200, r
    recs = reads(fake)
    assert recs and recs[-1].path == target, recs
    assert all(LOOKUP.match(x.path) and x.token in POOL_TOKENS for x in recs[:-1]), recs
    assert [x.path for x in recs[:-1]] in ([], id_lookups(target)), recs


def test_rate_limit_is_answered_locally(ghpool, fake):
    g = ghpool()
    before = len(fake.requests())  # after the startup probes
    r = g.get("/rate_limit")
    assert r.status == 200, r
    assert r.header("X-Ghpool-Cache") == "LOCAL", r.headers
    assert "core" in r.json()["resources"], r.body
    assert fake.requests()[before:] == []


@pytest.mark.parametrize("target", OTHER_ALLOWED)
def test_paths_without_owner_are_allowed(ghpool, fake, target):
    g = ghpool()
    before = len(fake.requests())  # after the startup probes
    r = g.get(target)
    assert r.status == 200, r
    assert [rec.path for rec in fake.requests()[before:]] == [target]


def test_head_is_subject_to_policy(ghpool, fake, reads):
    g = ghpool()
    r = g.request("HEAD", "/repos/evil-corp/secret")
    assert r.status == 403
    assert reads(fake) == []


@pytest.mark.parametrize("target", ["/repos/evil-corp/secret", "/repositories/1004",
                                    "/repositories/1001/issues?per_page=1", "/orgs/evil-corp"])
def test_star_allows_every_owner(ghpool, fake, reads, target):
    g = ghpool(allowed_owners=["*"])
    r = g.get(target)
    assert r.status == 200, r
    assert [rec.path for rec in reads(fake)] == [target]


@pytest.mark.parametrize("target,status", [
    ("/repos/octo-org/hello", 403), ("/orgs/octo-org", 403), ("/users/alice", 403),
    ("/repositories/1001", 403), ("/meta", 200), ("/search/issues?q=x", 403),
    ("/search/issues?q=x+repo:octo-org/hello", 403)])
def test_empty_list_allows_no_owner(ghpool, fake, reads, target, status):
    g = ghpool(allowed_owners=[])
    r = g.get(target)
    assert r.status == status, r
    if status == 200:
        assert [x.path for x in reads(fake)] == [target]
    else:
        # No owner can pass, so not even a /repositories/{id} lookup is spent.
        assert reads(fake) == []


def test_denied_answer_does_not_consume_budget(ghpool, fake):
    g = ghpool()
    before = {t: fake.budget(t)["remaining"] for t in ("tok_alice", "tok_bob")}
    for _ in range(5):
        assert g.get("/repos/evil-corp/secret").status == 403
    assert {t: fake.budget(t)["remaining"] for t in ("tok_alice", "tok_bob")} == before
