"""Link and Location headers are rewritten to point at ghpool."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest


def parse_link(value: str | None) -> dict[str, str]:
    return {m.group(2): m.group(1)
            for m in re.finditer(r'<([^>]*)>;\s*rel="([^"]+)"', value or "")}


def test_link_on_first_page_rewritten_exactly(ghpool):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/issues?per_page=10")
    assert r.status == 200
    assert r.header("Link") == (
        f'<{g.url}/repos/octo-org/hello/issues?per_page=10&page=2>; rel="next", '
        f'<{g.url}/repos/octo-org/hello/issues?per_page=10&page=10>; rel="last"')


def test_link_on_middle_page_keeps_all_rels_and_params(ghpool):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/issues?state=open&per_page=10&page=4")
    links = parse_link(r.header("Link"))
    base = f"{g.url}/repos/octo-org/hello/issues?state=open&per_page=10"
    assert links == {"prev": f"{base}&page=3", "next": f"{base}&page=5",
                     "last": f"{base}&page=10", "first": f"{base}&page=1"}


def test_walking_next_through_ghpool_gets_all_95_issues(ghpool, fake, reads):
    g = ghpool()
    target = "/repos/octo-org/hello/issues?per_page=10"
    numbers, targets = [], []
    while target:
        targets.append(target)
        r = g.get(target)
        assert r.status == 200, r
        numbers += [i["number"] for i in r.json()]
        nxt = parse_link(r.header("Link")).get("next")
        if not nxt:
            break
        assert nxt.startswith(g.url + "/"), nxt
        u = urlsplit(nxt)
        target = u.path + ("?" + u.query if u.query else "")
    assert len(targets) == 10
    assert sorted(numbers) == list(range(1, 96))
    assert [r.path for r in reads(fake)] == targets


def test_link_uses_the_request_host_header(ghpool):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/issues?per_page=50",
              headers={"Host": "ghpool.internal.test:8443"})
    assert r.status == 200
    assert parse_link(r.header("Link"))["next"] == \
        "http://ghpool.internal.test:8443/repos/octo-org/hello/issues?per_page=50&page=2"


def test_link_uses_public_url_when_configured(ghpool):
    g = ghpool(public_url="https://pool.example.com")
    r = g.get("/repos/octo-org/hello/issues?per_page=50", headers={"Host": "ignored.test"})
    assert parse_link(r.header("Link")) == {
        "next": "https://pool.example.com/repos/octo-org/hello/issues?per_page=50&page=2",
        "last": "https://pool.example.com/repos/octo-org/hello/issues?per_page=50&page=2"}


def test_link_for_repositories_path_only_swaps_the_base(ghpool):
    g = ghpool(allowed_owners=["*"])
    r = g.get("/repositories/1001/issues?per_page=10&page=2")
    assert r.status == 200, r
    links = parse_link(r.header("Link"))
    assert links["next"] == f"{g.url}/repositories/1001/issues?per_page=10&page=3"
    assert links["first"] == f"{g.url}/repositories/1001/issues?per_page=10&page=1"


def test_link_for_search_only_swaps_the_base(ghpool):
    g = ghpool()
    r = g.get("/search/issues?q=issue+repo:octo-org/hello&per_page=10")
    assert r.status == 200, r
    assert parse_link(r.header("Link"))["next"] == \
        f"{g.url}/search/issues?q=issue+repo:octo-org/hello&per_page=10&page=2"


def test_link_of_other_owned_repo_path(ghpool):
    g = ghpool()
    r = g.get("/repos/OCTO-ORG/Hello/issues?per_page=60")
    assert r.status == 200
    # the client's own spelling of owner/repo is kept
    assert parse_link(r.header("Link"))["next"] == \
        f"{g.url}/repos/OCTO-ORG/Hello/issues?per_page=60&page=2"


@pytest.mark.parametrize("target,location", [
    ("/repos/octo-org/old-name", "/repositories/1001"),
    ("/repos/octo-org/old-name/issues?per_page=2", "/repositories/1001/issues?per_page=2"),
])
def test_location_of_renamed_repo_points_at_ghpool(ghpool, fake, target, location):
    g = ghpool()
    r = g.get(target)
    assert r.status == 301, r
    assert r.header("Location") == g.url + location
    # the body is passed through verbatim (it still names the upstream)
    assert r.json()["message"] == "Moved Permanently"
    assert r.json()["url"] == fake.url + location


def test_location_uses_public_url(ghpool):
    g = ghpool(public_url="https://pool.example.com")
    r = g.get("/repos/octo-org/old-name")
    assert r.header("Location") == "https://pool.example.com/repositories/1001"
