"""The response cache: keys, freshness, revalidation, coalescing, stale-if-error, bounds,
/stats counters and what a cached answer looks like.

Black-box: the fake's request log tells what reached "GitHub" (and whether it cost
budget); ``X-Ghpool-Cache`` / ``Age`` / ``X-Ghpool-Identity`` and ``/stats`` tell what
ghpool did. TTLs are 1 s where expiry matters; a test sleeps only until an entry it
fetched has certainly expired.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter

import pytest

from conftest import free_port, identity_table, to_toml
from fake_github.client import Reply, raw_exchange

REPO = "/repos/octo-org/hello"
OTHER_REPO = "/repos/octo-org/world"
ISSUES = REPO + "/issues"
PAGE = ISSUES + "?per_page=5"
PULL = REPO + "/pulls/1"
DIFF = "application/vnd.github.diff"
TOKENS = {"alice": "tok_alice", "bob": "tok_bob"}
OUTCOMES = {"HIT", "MISS", "REVALIDATED", "COALESCED", "STALE"}
STATS_KEYS = {"entries", "bytes", "hits", "misses", "revalidations", "coalesced",
              "stale_served", "evictions", "invalidations", "not_modified_local", "hit_ratio",
              "upstream_requests_saved", "rate_limit_units_saved"}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def cache(**kw) -> dict:
    """A [cache] table with the cache on (the suite's default config turns it off)."""
    c = {"max_entries": 1000}
    c.update(kw)
    return c


def outcome(r: Reply) -> str | None:
    return r.header("X-Ghpool-Cache")


def ident(r: Reply) -> str | None:
    return r.header("X-Ghpool-Identity")


def age(r: Reply) -> int:
    v = r.header("Age")
    assert v is not None and v.isdigit(), f"bad Age {v!r}: {r.headers}"
    return int(v)


def get(g, target: str, headers: dict | None = None, expect: str | None = None,
        status: int = 200) -> Reply:
    """GET through ghpool; checks status, the cache headers and (if given) the outcome."""
    r = g.get(target, headers=headers, timeout=30)
    assert r.status == status, (r, r.headers)
    assert outcome(r) in OUTCOMES, f"X-Ghpool-Cache missing or odd: {r.headers}"
    age(r)
    assert ident(r) in TOKENS, f"X-Ghpool-Identity missing or odd: {r.headers}"
    if expect is not None:
        assert outcome(r) == expect, (f"{target} {headers or ''}: expected {expect}, got "
                                      f"{outcome(r)}; headers {dict(r.headers)}")
    return r


def upstream(fake, target: str, method: str = "GET"):
    """What reached the fake for exactly this raw target."""
    return [r for r in fake.requests() if r.path == target and r.method == method]


def expire(t_fetched: float, secs: float) -> None:
    """Sleep until secs have passed since t_fetched (a time taken after the answer arrived,
    so later than when ghpool stored the entry)."""
    left = t_fetched + secs - time.monotonic()
    if left > 0:
        time.sleep(left)


def fetch(g, target: str, headers: dict | None = None, expect: str | None = "MISS",
          status: int = 200) -> tuple[Reply, float]:
    r = get(g, target, headers, expect=expect, status=status)
    return r, time.monotonic()


def burst(g, n: int, make, timeout: float = 30.0) -> list[Reply]:
    """n concurrent GETs, each on its own connection (so both workers take some), released
    together; make(i) -> (target, headers). Returns the answers in order of i."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i: int) -> None:
        target, headers = make(i)
        try:
            barrier.wait(10)
            out[i] = g.get(target, headers=headers, timeout=timeout)
        except BaseException as e:  # reported below
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 15)
    errors = [x for x in out if not isinstance(x, Reply)]
    assert not errors, f"{len(errors)} of {n} requests failed: {errors[:3]}"
    return out


def stats(g) -> dict:
    st = g.stats()["cache"]
    assert set(st) >= STATS_KEYS, f"/stats cache lacks {STATS_KEYS - set(st)}: {st}"
    return st


def start_with_rules(ghpool, default_config, cache_table: dict, rules: list[tuple[str, int]],
                     **over):
    """ghpool with [[cache.rules]] (the fixture's TOML writer has no nested arrays)."""
    port = free_port()
    cfg = default_config(port)
    cfg.update(over)
    cfg["cache"] = cache_table
    cfg["identities"] = [identity_table(i) for i in cfg["identities"]]
    text = to_toml(cfg) + "".join(
        f"\n[[cache.rules]]\npattern = {json.dumps(p)}\nttl_secs = {t}\n" for p, t in rules)
    return ghpool(port=port, _raw=text)


def drain(fake, g, token: str, target: str) -> None:
    """Leave `token`'s core budget at 0, and ghpool knowing it, by one read through it."""
    fake.set_budget(token, "core", remaining=1)
    r = g.get(target)
    assert r.status == 200, r
    assert ident(r) == next(k for k, v in TOKENS.items() if v == token), r.headers
    who = ident(r)
    assert g.identity(who)["buckets"]["core"]["remaining"] == 0, g.identity(who)


# ---------------------------------------------------------------------------
# hits, misses and what a cached answer carries
# ---------------------------------------------------------------------------

def test_second_read_is_a_hit_with_the_same_answer(ghpool, fake):
    g = ghpool(cache=cache())
    first = get(g, PAGE, expect="MISS")
    assert age(first) == 0
    second = get(g, PAGE, expect="HIT")
    assert second.body == first.body
    assert ident(second) == ident(first)
    for h in ("Content-Type", "ETag", "Last-Modified", "Link", "X-GitHub-Request-Id",
              "X-GitHub-Media-Type", "Cache-Control", "Vary"):
        assert second.header(h) == first.header(h), (h, first.headers, second.headers)
    assert second.header("Content-Length") == str(len(second.body))
    assert second.header("X-RateLimit-Resource") == "core"
    recs = upstream(fake, PAGE)
    assert len(recs) == 1, recs
    assert recs[0].token == TOKENS[ident(first)]
    g.wait_log(r"access method=GET path=/repos/octo-org/hello/issues status=200 .*outcome=HIT")


def test_cache_off_sends_every_read_upstream_and_never_coalesces(ghpool, fake):
    g = ghpool()  # the suite default: [cache] max_entries = 0
    for _ in range(3):
        assert g.get(PAGE).status == 200
    assert len(upstream(fake, PAGE)) == 3
    target = ISSUES + "?per_page=3"
    fake.add_fault("latency", path=target, ms=500)
    answers = burst(g, 10, lambda i: (target, None))
    assert {r.status for r in answers} == {200}
    assert len(upstream(fake, target)) == 10, "reads were coalesced with the cache off"
    st = stats(g)
    assert (st["entries"], st["bytes"]) == (0, 0), st


def test_head_bypasses_the_cache(ghpool, fake):
    g = ghpool(cache=cache())
    h = g.request("HEAD", PAGE)
    assert h.status == 200 and h.body == b"", h
    get(g, PAGE, expect="MISS")  # the HEAD stored nothing
    h = g.request("HEAD", PAGE)
    assert h.status == 200, h
    get(g, PAGE, expect="HIT")
    methods = [r.method for r in fake.requests(PAGE)]
    assert methods == ["HEAD", "GET", "HEAD"], methods


# ---------------------------------------------------------------------------
# the key
# ---------------------------------------------------------------------------

ACCEPT_DEFAULTS = ["*/*", "application/json", "application/vnd.github+json",
                   "application/vnd.github.v3+json", "Application/Vnd.GitHub+JSON",
                   " application/vnd.github+json "]   # trimmed only: inner spaces are kept

KEY_CASES = [
    pytest.param((ISSUES + "?state=open&per_page=5", {}), (ISSUES + "?per_page=5&state=open", {}),
                 True, id="query-sorted-by-name"),
    pytest.param((ISSUES + "?labels=a&labels=b", {}), (ISSUES + "?labels=b&labels=a", {}),
                 False, id="repeated-param-order-matters"),
    pytest.param((ISSUES + "?labels=a&per_page=5&labels=b", {}),
                 (ISSUES + "?per_page=5&labels=a&labels=b", {}), True,
                 id="repeated-params-stable-sort"),
    pytest.param((ISSUES + "?per_page=5&&state=open", {}), (ISSUES + "?per_page=5&state=open", {}),
                 True, id="empty-param-ignored"),
    pytest.param((ISSUES + "?labels=a,b", {}), (ISSUES + "?labels=a%2Cb", {}), False,
                 id="raw-bytes-not-decoded"),
    pytest.param((REPO, {}), ("/repos/OCTO-ORG/hello", {}), False, id="raw-path-case"),
    pytest.param((REPO + "?x=1", {}), (REPO, {}), False, id="query-vs-none"),
    *[pytest.param((REPO, {}), (REPO, {"Accept": a}), True, id=f"accept-default-{i}")
      for i, a in enumerate(ACCEPT_DEFAULTS)],
    pytest.param((PULL, {}), (PULL, {"Accept": DIFF}), False, id="accept-diff-vs-json"),
    # Only trimmed: a spelling GitHub might read differently never shares an answer.
    pytest.param((PULL, {"Accept": DIFF}), (PULL, {"Accept": "Application/Vnd.GitHub.Diff"}),
                 False, id="accept-case-is-kept"),
    pytest.param((PULL, {"Accept": DIFF}), (PULL, {"Accept": "application/vnd.github .diff"}),
                 False, id="accept-inner-space-is-kept"),
    pytest.param((REPO, {}), (REPO, {"X-GitHub-Api-Version": "2022-11-28"}), False,
                 id="api-version-vs-none"),
    pytest.param((REPO, {"X-GitHub-Api-Version": "2022-11-28"}),
                 (REPO, {"X-GitHub-Api-Version": "2022-11-28"}), True, id="api-version-same"),
    pytest.param((REPO, {"User-Agent": "a", "Authorization": "token tok_client_a_zzz"}),
                 (REPO, {"User-Agent": "b"}), True, id="other-headers-not-in-key"),
]


@pytest.mark.parametrize("first,second,shared", KEY_CASES)
def test_cache_key(ghpool, fake, first, second, shared):
    g = ghpool(cache=cache())
    a = get(g, first[0], first[1], expect="MISS")
    b = get(g, second[0], second[1], expect="HIT" if shared else "MISS")
    ups = [r for r in fake.requests(method="GET") if r.path_only not in ("/rate_limit", "/user")]
    assert len(ups) == (1 if shared else 2), ups
    if shared:
        assert b.body == a.body
    assert stats(g)["entries"] == (1 if shared else 2)


def test_accept_variants_are_separate_entries(ghpool, fake):
    g = ghpool(cache=cache())
    js = get(g, PULL, expect="MISS")
    diff = get(g, PULL, {"Accept": DIFF}, expect="MISS")
    assert js.json()["number"] == 1
    assert diff.body.startswith(b"diff --git"), diff
    js2 = get(g, PULL, {"Accept": "application/vnd.github+json"}, expect="HIT")
    diff2 = get(g, PULL, {"Accept": DIFF}, expect="HIT")
    assert (js2.body, js2.header("Content-Type")) == (js.body, js.header("Content-Type"))
    assert (diff2.body, diff2.header("Content-Type")) == (diff.body, diff.header("Content-Type"))
    assert diff2.header("Content-Type").startswith("application/vnd.github.diff")
    assert len(upstream(fake, PULL)) == 2


# ---------------------------------------------------------------------------
# freshness: class TTLs, immutable objects, rules
# ---------------------------------------------------------------------------

def class_paths(fake) -> list[tuple[str, str]]:
    sha = fake.commit_shas("octo-org/hello")[0]
    return [
        ("repo_view", REPO),
        ("pr_view", PULL),
        ("issue_list", ISSUES),
        ("issue_list", ISSUES + "/1"),
        ("run_list", REPO + "/actions/runs"),
        ("commit_list", REPO + "/commits"),
        ("immutable", f"{REPO}/commits/{sha}"),
        ("immutable", f"{REPO}/contents/README.md?ref={sha}"),
        ("default", f"{REPO}/commits/main"),
        ("default", f"{REPO}/commits/{sha[:7]}"),
        ("default", f"{REPO}/contents/README.md"),
        ("default", "/orgs/octo-org"),
    ]


def test_each_route_class_has_its_own_ttl(ghpool, fake):
    """Two ghpools with opposite long/short TTLs per class: after 1 s each path is fresh
    on exactly the one whose TTL for its class is long."""
    long_a = {"repo_view", "issue_list", "commit_list", "default"}
    classes = {"repo_view", "pr_view", "issue_list", "run_list", "commit_list", "immutable",
               "default"}
    pools = {}
    for name, long in (("A", long_a), ("B", classes - long_a)):
        pools[name] = (ghpool(cache=cache(**{f"{c}_ttl_secs": 600 if c in long else 1
                                             for c in classes})), long)
    paths = class_paths(fake)
    t = 0.0
    for g, _ in pools.values():
        for _, p in paths:
            _, t = fetch(g, p)
    expire(t, 1.1)
    for name, (g, long) in pools.items():
        for cls, p in paths:
            get(g, p, expect="HIT" if cls in long else "REVALIDATED")


def test_immutable_commit_outlives_default_ttl(ghpool, fake):
    sha = fake.commit_shas("octo-org/hello")[1]
    g = ghpool(cache=cache(default_ttl_secs=1, immutable_ttl_secs=3600))
    full, _ = fetch(g, f"{REPO}/commits/{sha}")
    short, t = fetch(g, f"{REPO}/commits/{sha[:10]}")
    assert full.json()["sha"] == short.json()["sha"] == sha
    expire(t, 1.1)
    get(g, f"{REPO}/commits/{sha}", expect="HIT")
    get(g, f"{REPO}/commits/{sha[:10]}", expect="REVALIDATED")


def test_cache_rules_first_match_wins_over_classes(ghpool, fake, default_config):
    rules = [
        ("/repos/octo-org/hello/commits/*", 0),       # never fresh
        ("/repos/octo-org/world/issues", 1),          # beats issue_list_ttl_secs = 600
        ("/repos/octo-org/world/issues", 600),        # shadowed by the rule above
        ("/repos/*/hello/pulls/*", 600),              # beats pr_view_ttl_secs = 1
        ("/orgs/*", 600),                             # beats default_ttl_secs = 1
        ("/repos/octo-org/*", 600),                   # '*' stays within one segment
    ]
    g = start_with_rules(ghpool, default_config,
                         cache(default_ttl_secs=1, repo_view_ttl_secs=1, pr_view_ttl_secs=1,
                               issue_list_ttl_secs=600), rules)
    expect = [
        (f"{OTHER_REPO}/issues", "REVALIDATED"),
        (f"{OTHER_REPO}/issues?per_page=3", "REVALIDATED"),   # rules see the path only
        (f"{REPO}/issues", "HIT"),                            # no rule: its class
        (PULL, "HIT"),
        (PULL + "?x=1", "HIT"),
        ("/orgs/octo-org", "HIT"),
        (REPO, "HIT"),
        ("/repos/OCTO-ORG/hello", "REVALIDATED"),             # raw path, case-sensitive
        (f"{REPO}/contents/README.md", "REVALIDATED"),        # not matched by /repos/octo-org/*
    ]
    t = 0.0
    for p, _ in expect:
        _, t = fetch(g, p)
    # ttl 0: stale at once, revalidated on every read
    fetch(g, f"{REPO}/commits/main")
    get(g, f"{REPO}/commits/main", expect="REVALIDATED")
    get(g, f"{REPO}/commits/main", expect="REVALIDATED")
    expire(t, 1.1)
    for p, want in expect:
        get(g, p, expect=want)


# ---------------------------------------------------------------------------
# revalidation
# ---------------------------------------------------------------------------

def test_expired_entry_is_revalidated_by_the_identity_that_fetched_it(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1))
    first, t = fetch(g, PAGE)
    who = ident(first)
    expire(t, 1.1)
    r = get(g, PAGE, expect="REVALIDATED")
    assert (r.body, ident(r), r.header("ETag")) == (first.body, who, first.header("ETag"))
    assert age(r) == 0
    recs = upstream(fake, PAGE)
    assert len(recs) == 2, recs
    rv = recs[1]
    # the other identity had more budget left and fewer requests: only the rule sends it here
    assert rv.token == TOKENS[who], (rv, who)
    assert rv.header("If-None-Match") == first.header("ETag"), rv.headers
    assert (rv.status, rv.counted) == (304, False), rv
    get(g, PAGE, expect="HIT")  # renewed
    assert len(upstream(fake, PAGE)) == 2


def test_changed_data_is_fetched_in_full(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1))
    target = ISSUES + "/7"
    first, t = fetch(g, target)
    fake.set_issue_title("octo-org/hello", 7, "A new title")
    get(g, target, expect="HIT")  # still fresh: the old answer
    expire(t, 1.1)
    r = get(g, target, expect="MISS")
    assert r.json()["title"] == "A new title"
    assert r.header("ETag") != first.header("ETag")
    rv = upstream(fake, target)[1]
    assert rv.header("If-None-Match") == first.header("ETag")
    assert (rv.status, rv.counted, rv.token) == (200, True, TOKENS[ident(first)]), rv
    hit = get(g, target, expect="HIT")
    assert hit.json()["title"] == "A new title"


@pytest.mark.parametrize("why", ["cooling", "drained"])
def test_revalidation_moves_on_when_the_fetching_identity_is_unusable(ghpool, fake, why):
    # bob starts poorer, so alice fetches first
    fake.set_budget("tok_bob", "core", remaining=4000)
    g = ghpool(cache=cache(issue_list_ttl_secs=1))
    first, t = fetch(g, PAGE)
    assert ident(first) == "alice", first.headers
    if why == "cooling":
        fake.add_fault("secondary", token="tok_alice", path=OTHER_REPO)
        r = g.get(OTHER_REPO)
        assert (r.status, ident(r)) == (200, "bob"), r
        assert g.state("alice") == "cooling"
    else:
        drain(fake, g, "tok_alice", OTHER_REPO)
    expire(t, 1.1)
    r = get(g, PAGE, expect="MISS")
    assert ident(r) == "bob"
    assert r.body == first.body
    rec = upstream(fake, PAGE)[-1]
    assert (rec.token, rec.status, rec.counted) == ("tok_bob", 200, True), rec
    assert rec.header("If-None-Match") is None, "bob was sent alice's ETag"
    hit = get(g, PAGE, expect="HIT")
    assert ident(hit) == "bob"


# ---------------------------------------------------------------------------
# the client's conditionals and Cache-Control
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("inm,local_304", [
    (lambda etag: etag, True),
    (lambda etag: etag[2:], True),                        # strong form of the weak tag
    (lambda etag: f'"nope", {etag}', True),
    (lambda etag: "*", True),
    (lambda etag: '"nope"', False),
    (lambda etag: 'W/"' + etag[3:-1][::-1] + '"', False),
], ids=["exact", "strong-form", "in-a-list", "star", "other", "other-weak"])
def test_client_if_none_match_is_answered_locally(ghpool, fake, inm, local_304):
    g = ghpool(cache=cache())
    first = get(g, PAGE, expect="MISS")
    etag = first.header("ETag")
    assert etag and etag.startswith('W/"'), first.headers
    before = stats(g)["not_modified_local"]
    r = get(g, PAGE, {"If-None-Match": inm(etag)}, expect="HIT",
            status=304 if local_304 else 200)
    if local_304:
        assert r.body == b""
        assert r.header("ETag") == etag
        assert stats(g)["not_modified_local"] == before + 1
    else:
        assert r.body == first.body
        assert stats(g)["not_modified_local"] == before
    assert len(upstream(fake, PAGE)) == 1, "a fresh entry went upstream"


def test_client_conditionals_are_not_forwarded_on_cached_reads(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1))
    # Cold: "*" and a future date would make the fake answer 304, which nobody can store.
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    r = g.get(PAGE, headers={"If-None-Match": "*", "If-Modified-Since": future})
    assert r.status == 304 and outcome(r) == "MISS", (r, r.headers)
    rec = upstream(fake, PAGE)[0]
    assert rec.header("If-None-Match") is None and rec.header("If-Modified-Since") is None, \
        rec.headers
    assert rec.status == 200, rec
    full, t = fetch(g, PAGE, expect="HIT")
    assert full.body and full.json()
    # If-Modified-Since alone: not forwarded, and not answered from the entry by ghpool
    target = ISSUES + "?per_page=4"
    r = g.get(target, headers={"If-Modified-Since": future})
    rec = upstream(fake, target)[0]
    assert rec.header("If-Modified-Since") is None and rec.status == 200, rec
    assert r.status in (200, 304), r
    assert r.status == 304 or r.json(), r
    # Expired: the revalidation carries the entry's ETag, not the client's
    expire(t, 1.1)
    r = get(g, PAGE, {"If-None-Match": '"client-tag"', "If-Modified-Since": future},
            expect="REVALIDATED")
    assert r.body == full.body
    rv = upstream(fake, PAGE)[-1]
    assert rv.headers.get_all("If-None-Match") == [full.header("ETag")], rv.headers
    assert rv.header("If-Modified-Since") is None, rv.headers


@pytest.mark.parametrize("cc", ["no-cache", "No-Cache", "public, no-cache", "max-age=0, no-cache"])
def test_client_no_cache_forces_revalidation(ghpool, fake, cc):
    g = ghpool(cache=cache())
    first = get(g, PAGE, expect="MISS")
    r = get(g, PAGE, {"Cache-Control": cc}, expect="REVALIDATED")
    assert r.body == first.body
    rv = upstream(fake, PAGE)[-1]
    assert rv.header("If-None-Match") == first.header("ETag")
    assert (rv.token, rv.status) == (TOKENS[ident(first)], 304), rv
    assert rv.header("Cache-Control") is None, "Cache-Control was forwarded"
    get(g, PAGE, expect="HIT")
    assert len(upstream(fake, PAGE)) == 2


def test_client_max_age_bounds_the_age_accepted(ghpool, fake):
    g = ghpool(cache=cache())
    _, t = fetch(g, PAGE)
    expire(t, 1.2)
    r = get(g, PAGE, {"Cache-Control": "max-age=60"}, expect="HIT")
    assert age(r) >= 1
    r = get(g, PAGE, {"Cache-Control": "max-age=1"}, expect="REVALIDATED")
    assert age(r) == 0
    get(g, PAGE, {"Cache-Control": "max-age=1"}, expect="HIT")
    assert len(upstream(fake, PAGE)) == 2


# ---------------------------------------------------------------------------
# coalescing
# ---------------------------------------------------------------------------

def _same_key_spellings(i: int):
    if i % 2:
        return ISSUES + "?per_page=5&state=open", {"Accept": "application/vnd.github+json"}
    return ISSUES + "?state=open&per_page=5", None


@pytest.mark.parametrize("make,keys", [
    (lambda i: (PAGE, None), 1),
    (_same_key_spellings, 1),
    (lambda i: (PULL, {"Accept": DIFF} if i % 2 else None), 2),
], ids=["identical", "equivalent-spellings", "two-keys"])
def test_concurrent_reads_are_coalesced(ghpool, fake, make, keys):
    g = ghpool(cache=cache())
    fake.add_fault("latency", path=REPO, ms=1000)
    answers = burst(g, 50, make)
    ups = [r for r in fake.requests(REPO) if r.method == "GET"]
    assert len(ups) == keys, ups
    assert {r.status for r in answers} == {200}, answers
    by_key: dict = {}
    for i, r in enumerate(answers):
        by_key.setdefault((make(i)[1] or {}).get("Accept") == DIFF, []).append(r)
    for group in by_key.values():
        assert len({r.body for r in group}) == 1, "coalesced answers differ"
        assert len({ident(r) for r in group}) == 1
    seen = Counter(outcome(r) for r in answers)
    assert seen["MISS"] == keys, seen
    assert set(seen) <= {"MISS", "COALESCED", "HIT"}, seen
    assert seen["COALESCED"] >= 1, seen
    st = stats(g)
    assert (st["coalesced"], st["misses"], st["hits"]) == \
        (seen["COALESCED"], seen["MISS"], seen["HIT"]), (st, seen)


@pytest.mark.parametrize("upstream_fails", [False, True], ids=["revalidated", "stale"])
def test_concurrent_reads_of_an_expired_entry_go_upstream_once(ghpool, fake, upstream_fails):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=60))
    first, t = fetch(g, PAGE)
    fake.add_fault("latency", path=PAGE, ms=800)
    if upstream_fails:
        fake.add_fault("status", path=PAGE, status=502)  # once
    expire(t, 1.1)
    answers = burst(g, 30, lambda i: (PAGE, None))
    recs = upstream(fake, PAGE)
    assert len(recs) == 2, recs
    assert recs[1].header("If-None-Match") == first.header("ETag")
    assert recs[1].status == (502 if upstream_fails else 304), recs[1]
    assert {(r.status, r.body) for r in answers} == {(200, first.body)}
    seen = Counter(outcome(r) for r in answers)
    if upstream_fails:
        # followers of a stale answer are told it is stale, not just coalesced
        assert set(seen) == {"STALE"}, seen
    else:
        assert seen["REVALIDATED"] == 1 and set(seen) <= {"REVALIDATED", "COALESCED", "HIT"}, seen
    if upstream_fails:
        # every one of them got the old answer, and its Age says so
        assert min(age(r) for r in answers) >= 1, [r.headers.get("Age") for r in answers]


@pytest.mark.parametrize("fault,status", [("status", 502), ("hang", 504)])
def test_failed_leader_hands_its_error_to_followers(ghpool, fake, fault, status):
    g = ghpool(cache=cache(), upstream_timeout_secs=2 if fault == "status" else 1)
    if fault == "status":
        fake.add_fault("latency", path=PAGE, ms=800)
        fake.add_fault("status", path=PAGE, status=502)  # once: a second fetch would get 200
    else:
        fake.add_fault("hang", path=PAGE, seconds=None)  # once
    answers = burst(g, 30, lambda i: (PAGE, None))
    assert len(upstream(fake, PAGE)) == 1, upstream(fake, PAGE)
    assert [r.status for r in answers] == [status] * 30, Counter(r.status for r in answers)
    assert len({r.json()["message"] for r in answers}) == 1, {r.body for r in answers}
    assert stats(g)["entries"] == 0
    # the error was not kept: the next read fetches again
    get(g, PAGE, expect="MISS")
    assert len(upstream(fake, PAGE)) == 2


def test_followers_of_an_exhausted_leader_get_the_same_answer(ghpool, fake):
    """The leader learns mid-flight that the only identity's budget is gone: it answers
    GitHub-style (403, X-RateLimit-Remaining: 0, Retry-After); so must its followers."""
    g = ghpool(cache=cache(), identities=["alice"])
    fake.set_budget("tok_alice", "core", remaining=0)  # ghpool still thinks it has budget
    fake.add_fault("latency", path=PAGE, ms=1000)
    answers = burst(g, 20, lambda i: (PAGE, None))
    assert len(upstream(fake, PAGE)) == 1, upstream(fake, PAGE)
    assert {r.status for r in answers} == {403}, answers
    bad = [(outcome(r), dict(r.headers)) for r in answers
           if r.header("Retry-After") is None or r.header("X-RateLimit-Remaining") != "0"]
    assert not bad, f"{len(bad)} of 20 answers lack Retry-After / X-RateLimit-Remaining: 0: " \
                    f"{bad[0]}"


# ---------------------------------------------------------------------------
# stale-if-error
# ---------------------------------------------------------------------------

STALE_FAILURES = ["500", "502", "503", "timeout", "reset", "pool-exhausted",
                  "pool-exhausted-learned-upstream"]


@pytest.mark.parametrize("failure", STALE_FAILURES)
def test_stale_entry_stands_in_for_an_error(ghpool, fake, failure):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=60),
               upstream_timeout_secs=1)
    if failure == "pool-exhausted":
        fake.set_budget("tok_alice", "core", remaining=1)
        fake.set_budget("tok_bob", "core", remaining=1)
    first, t = fetch(g, PAGE)
    if failure == "pool-exhausted":
        # the fetch spent its identity's last unit; spend the other's elsewhere
        other = "tok_bob" if ident(first) == "alice" else "tok_alice"
        r = g.get(OTHER_REPO)
        assert r.status == 200 and ident(r) == {v: k for k, v in TOKENS.items()}[other], r
        for who in TOKENS:
            assert g.identity(who)["buckets"]["core"]["remaining"] == 0, g.identity(who)
    elif failure == "pool-exhausted-learned-upstream":
        fake.set_budget("tok_alice", "core", remaining=0)
        fake.set_budget("tok_bob", "core", remaining=0)
    elif failure == "timeout":
        fake.add_fault("hang", path=PAGE, seconds=None, count=None)
    elif failure == "reset":
        fake.add_fault("reset", path=PAGE, count=None)
    else:
        fake.add_fault("status", path=PAGE, status=int(failure), count=None)
    n_before = len(upstream(fake, PAGE))
    expire(t, 1.1)
    r = get(g, PAGE, expect="STALE")
    assert r.body == first.body
    assert r.header("ETag") == first.header("ETag")
    assert ident(r) == ident(first)
    assert age(r) >= 1
    tried = len(upstream(fake, PAGE)) - n_before
    if failure == "pool-exhausted":
        assert tried == 0, "an exhausted pool still sent the read"
    else:
        assert tried >= 1, "ghpool served stale without trying upstream"
    st = stats(g)
    assert st["stale_served"] == 1, st
    if failure in ("500", "502", "503", "timeout", "reset"):
        fake.clear_faults()
        get(g, PAGE, expect="REVALIDATED")  # the entry survived its stale use


@pytest.mark.parametrize("stale_secs,wait", [(0, 1.1), (1, 2.3)], ids=["no-window", "past-window"])
def test_too_old_entry_is_not_served_on_error(ghpool, fake, stale_secs, wait):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=stale_secs))
    _, t = fetch(g, PAGE)
    fake.add_fault("status", path=PAGE, status=502, count=None)
    expire(t, wait)
    r = g.get(PAGE)
    assert r.status == 502, (r, r.headers)
    assert outcome(r) != "STALE"
    assert stats(g)["stale_served"] == 0


# ---------------------------------------------------------------------------
# what is never stored
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("target,fault,status", [
    (ISSUES + "/9999", None, 404),
    (PAGE, {"kind": "status", "status": 500}, 500),
    (PAGE, {"kind": "status", "status": 403,
            "body": {"message": "Resource not accessible by integration"}}, 403),
    (PAGE, {"kind": "status", "status": 422}, 422),
    ("/repos/octo-org/old-name", None, 301),
], ids=["404", "500", "403", "422", "301"])
def test_errors_are_never_cached(ghpool, fake, target, fault, status):
    g = ghpool(cache=cache())
    if fault:
        f = dict(fault)
        fake.add_fault(f.pop("kind"), path=target, count=None, **f)
    a = get(g, target, status=status)
    b = get(g, target, status=status)
    assert outcome(b) != "HIT" and a.body == b.body
    assert len(upstream(fake, target)) == 2
    st = stats(g)
    assert (st["entries"], st["hits"]) == (0, 0), st


# ---------------------------------------------------------------------------
# bounds
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("limits", [{"max_bytes": 12000}, {"max_entries": 3}],
                         ids=["bytes", "entries"])
def test_bounds_evict(ghpool, fake, limits):
    g = ghpool(cache=cache(**limits))
    pages = [f"{PAGE}&page={n}" for n in range(1, 7)]
    get(g, pages[0], expect="MISS")
    one = stats(g)["bytes"]
    if "max_bytes" in limits:   # ~3 issue pages fit, 4 do not
        assert 3 * one <= limits["max_bytes"] < 4 * one - 400, (one, limits)
    for p in pages[1:]:
        get(g, p, expect="MISS")
    st = stats(g)
    assert st["evictions"] >= 3, st
    assert st["entries"] <= 3, st
    assert st["bytes"] <= limits.get("max_bytes", 1 << 40), st
    get(g, pages[-1], expect="HIT")      # the newest stays
    get(g, pages[0], expect="MISS")      # the oldest went
    assert len(upstream(fake, pages[0])) == 2
    assert stats(g)["bytes"] <= limits.get("max_bytes", 1 << 40)


def test_eviction_spares_recently_used_entries(ghpool, fake):
    """SIEVE: a hit marks an entry; the hand passes over it and evicts an unmarked one."""
    g = ghpool(cache=cache(max_entries=3))
    k = [f"{PAGE}&page={n}" for n in range(1, 5)]
    for p in k[:3]:
        get(g, p, expect="MISS")
    get(g, k[0], expect="HIT")
    get(g, k[3], expect="MISS")          # evicts k[1], the oldest unvisited
    get(g, k[0], expect="HIT")
    get(g, k[2], expect="HIT")
    get(g, k[1], expect="MISS")
    assert stats(g)["evictions"] == 2


def test_answers_over_max_entry_bytes_are_served_but_not_stored(ghpool, fake):
    g = ghpool(cache=cache(max_entry_bytes=20000))
    big = ISSUES + "?per_page=100"
    a = get(g, big, expect="MISS")
    assert len(a.body) > 20000 and len(a.json()) == 95
    b = get(g, big, expect="MISS")
    assert b.body == a.body
    assert len(upstream(fake, big)) == 2
    get(g, PAGE, expect="MISS")
    get(g, PAGE, expect="HIT")
    st = stats(g)
    assert st["entries"] == 1 and st["bytes"] <= 20000, st


# ---------------------------------------------------------------------------
# /stats
# ---------------------------------------------------------------------------

def test_stats_counters_follow_the_outcomes(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=60))
    st0 = stats(g)
    assert all(st0[k] == 0 for k in STATS_KEYS), st0
    seen: Counter = Counter()
    local_304 = 0

    def read(target, headers=None, expect=None, status=200):
        nonlocal local_304
        r = get(g, target, headers, expect=expect, status=status)
        seen[outcome(r)] += 1
        local_304 += r.status == 304
        return r

    first = read(PAGE, expect="MISS")
    t = time.monotonic()
    read(PAGE, expect="HIT")
    read(PAGE, expect="HIT")
    read(PAGE, {"If-None-Match": first.header("ETag")}, expect="HIT", status=304)
    expire(t, 1.1)
    read(PAGE, expect="REVALIDATED")
    t = time.monotonic()
    expire(t, 1.1)
    fake.add_fault("status", path=PAGE, status=502)
    read(PAGE, expect="STALE")
    b = ISSUES + "?per_page=7"
    fake.add_fault("latency", path=b, ms=800)
    for r in burst(g, 12, lambda i: (b, None)):
        assert r.status == 200
        seen[outcome(r)] += 1
    assert seen["COALESCED"] >= 1, seen

    st = stats(g)
    h, m, rv, c, s = (seen[k] for k in ("HIT", "MISS", "REVALIDATED", "COALESCED", "STALE"))
    assert (st["hits"], st["misses"], st["revalidations"], st["coalesced"],
            st["stale_served"]) == (h, m, rv, c, s), (st, seen)
    assert (m, rv, s) == (2, 1, 1)
    assert st["not_modified_local"] == local_304 == 1
    assert st["hit_ratio"] == pytest.approx((h + c) / (h + m + rv + c + s), abs=1e-6)
    assert st["upstream_requests_saved"] == h + c + s
    assert st["rate_limit_units_saved"] == h + c + s + rv
    assert st["entries"] == 2 and st["bytes"] > 0, st
    assert (st["evictions"], st["invalidations"]) == (0, 0), st
    # the fake agrees: GitHub saw MISS, REVALIDATED (free) and the failed try for PAGE
    recs = upstream(fake, PAGE)
    assert [(r.status, r.counted) for r in recs] == [(200, True), (304, False), (502, False)]
    assert len(upstream(fake, b)) == 1


# ---------------------------------------------------------------------------
# per-client rendering of a shared entry
# ---------------------------------------------------------------------------

def parse_link(value: str | None) -> dict[str, str]:
    return {m.group(2): m.group(1)
            for m in re.finditer(r'<([^>]*)>;\s*rel="([^"]+)"', value or "")}


def test_link_of_a_cached_entry_follows_each_clients_host(ghpool, fake):
    g = ghpool(cache=cache())
    target = ISSUES + "?per_page=10&page=2"
    bases = ["http://a.example.test:1111", "http://b.example.test:2222", g.url]
    for i, base in enumerate(bases):
        host = base.split("//", 1)[1]
        r = get(g, target, {"Host": host}, expect="MISS" if i == 0 else "HIT")
        q = f"{base}{ISSUES}?per_page=10"
        assert parse_link(r.header("Link")) == {
            "prev": f"{q}&page=1", "next": f"{q}&page=3", "last": f"{q}&page=10",
            "first": f"{q}&page=1"}, r.header("Link")
    assert len(upstream(fake, target)) == 1


def test_client_authorization_is_never_used_and_reads_share_the_pool_cache(ghpool, fake):
    g = ghpool(cache=cache())
    own = "tok_client_own_zzz"
    first = get(g, PAGE, {"Authorization": f"token {own}"}, expect="MISS")
    assert ident(first) in TOKENS
    get(g, PAGE, {"Authorization": f"Bearer {own}"}, expect="HIT")
    get(g, PAGE, {"Authorization": "token tok_client_other_zzz"}, expect="HIT")
    get(g, PAGE, expect="HIT")
    assert stats(g)["entries"] == 1
    for rec in fake.requests():
        assert rec.token in TOKENS.values(), rec
        blob = " ".join(f"{k}: {v}" for k, v in rec.headers)
        assert "tok_client" not in blob, rec.headers


# ---------------------------------------------------------------------------
# review regressions: what must not share a key, gone resources, shutdown
# ---------------------------------------------------------------------------

def raw_get(g, target: str, header_lines: list[str]) -> tuple[str, bytes]:
    """One request with exactly these header lines (http.client would merge)."""
    req = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           + "".join(line + "\r\n" for line in header_lines) + "\r\n")
    head, _, body = raw_exchange(g.url, req.encode()).partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_odd_accept_spelling_cannot_poison_the_diff_entry(ghpool, fake):
    g = ghpool(cache=cache())
    raw_get(g, PULL, ["Accept: application/vnd.github .diff"])
    r = get(g, PULL, {"Accept": DIFF})
    assert outcome(r) == "MISS", "an answer to another spelling was served as the diff"
    assert r.body.startswith(b"diff --git"), r.body[:60]


@pytest.mark.parametrize("lines", [
    ["Accept: application/json", "Accept: application/vnd.github.diff"],
    ["X-GitHub-Api-Version: 2022-11-28", "X-GitHub-Api-Version: 2099-01-01"],
    ["Time-Zone: Europe/Amsterdam"],
    ["Accept-Language: fr"],
], ids=["duplicate-accept", "duplicate-api-version", "time-zone", "accept-language"])
def test_requests_keyed_ambiguously_pass_through_uncached(ghpool, fake, lines):
    g = ghpool(cache=cache())
    target = PULL if "Accept:" in lines[0] else REPO
    head, _ = raw_get(g, target, lines)
    assert "X-Ghpool-Cache: MISS" in head, head
    head, _ = raw_get(g, target, lines)
    assert "X-Ghpool-Cache: MISS" in head, "an ambiguous request was answered from the cache"
    r = get(g, target)
    assert outcome(r) == "MISS", "a plain request got what the ambiguous one fetched"
    assert len(upstream(fake, target)) == 3


def test_gone_resource_is_dropped_not_served_stale(ghpool, fake):
    g = ghpool(cache=cache(repo_view_ttl_secs=1, stale_if_error_secs=60))
    _, t = fetch(g, REPO)
    expire(t, 1.1)
    fake.add_fault("status", path=REPO, status=404)
    assert g.get(REPO).status == 404
    fake.add_fault("status", path=REPO, status=502)
    r = g.get(REPO)
    assert r.status == 502 and outcome(r) != "STALE", (r.status, outcome(r))


def test_sigterm_answers_every_follower_of_a_hung_flight(ghpool, fake):
    import signal
    g = ghpool(cache=cache(), workers=4, upstream_timeout_secs=30, shutdown_grace_secs=0)
    fake.add_fault("hang", path=ISSUES, seconds=20)
    statuses: list = []
    lock = threading.Lock()

    def one() -> None:
        try:
            st = g.get(ISSUES, timeout=20).status
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            st = type(e).__name__
        with lock:
            statuses.append(st)

    threads = [threading.Thread(target=one) for _ in range(60)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 10
    while not upstream(fake, ISSUES) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    g.proc.send_signal(signal.SIGTERM)
    for th in threads:
        th.join(25)
    assert Counter(statuses) == Counter({502: 60}), Counter(statuses)
    assert g.proc.wait(10) == 0
