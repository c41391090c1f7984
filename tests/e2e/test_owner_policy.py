"""Owner policy: allowed_owners decides which /repos, /orgs, /users paths may be read."""

from __future__ import annotations

import pytest

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
    "/repositories/1001",           # ids cannot be checked against the owner yet: fail closed
    "/repositories/1004/issues",
]

OTHER_ALLOWED = ["/rate_limit", "/meta", "/search/repositories?q=hello", "/search/issues?q=issue"]


def assert_denied(r, fake, reads, target):
    assert r.status == 403, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert r.json().get("message"), r.body
    assert reads(fake, target.split("?")[0]) == [], "a denied read reached upstream"


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
    assert reads(fake) == []


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
    ("/repositories/1001", 403), ("/meta", 200), ("/search/issues?q=x", 200)])
def test_empty_list_allows_no_owner(ghpool, fake, reads, target, status):
    g = ghpool(allowed_owners=[])
    r = g.get(target)
    assert r.status == status, r
    assert len(reads(fake)) == (1 if status == 200 else 0)


def test_denied_answer_does_not_consume_budget(ghpool, fake):
    g = ghpool()
    before = {t: fake.budget(t)["remaining"] for t in ("tok_alice", "tok_bob")}
    for _ in range(5):
        assert g.get("/repos/evil-corp/secret").status == 403
    assert {t: fake.budget(t)["remaining"] for t in ("tok_alice", "tok_bob")} == before
