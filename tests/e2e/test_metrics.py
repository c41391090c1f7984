"""GET /metrics: the Prometheus exposition.

Black-box: traffic goes through the real ghpool to the fake GitHub, then the scrape is
validated by ``promtool check metrics`` (Debian's ``prometheus`` package) and parsed
here, and each series is compared with what the fake saw and what /stats says.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import binary_required, free_port
from fake_github.client import request

REPO = "/repos/octo-org/hello"
ISSUES = REPO + "/issues"
TOKENS = {"alice": "tok_alice", "bob": "tok_bob"}
CLIENT_AUTH = "token tok_carol"
METRICS_TYPE = "text/plain; version=0.0.4"
GITHUB_BUCKETS = {"core", "search", "code_search", "graphql", "integration_manifest",
                  "source_import", "code_scanning_upload", "actions_runner_registration",
                  "scim", "dependency_snapshots", "audit_log", "code_scanning_autofix"}
KEY = "metrics-team-key-5d1e9a"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
# Every label value ghpool may print, per label name: the closed sets of the issue.
CLOSED = {
    "route": {"none", "repos", "orgs", "users", "networks", "repositories", "search",
              "identity", "rate_limit", "public", "other", "graphql", "management"},
    "method": {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER"},
    "status": {"error", "1xx", "2xx", "3xx", "4xx", "5xx"},
    "cache": {"none", "hit", "miss", "revalidated", "coalesced", "stale"},
    "kind": {"pooled", "passthrough"},
    "result": {"not_modified", "modified", "failed"},
    "state": {"active", "cooling", "disabled", "removed"},
}


def cache(**kw) -> dict:
    c = {"max_entries": 1000}
    c.update(kw)
    return c


class Scrape:
    """A parsed exposition: samples as (name, labels) -> value, and the family types."""

    def __init__(self, text: str):
        self.text = text
        self.samples: dict[tuple[str, frozenset], float] = {}
        self.types: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            assert m, f"unparsable line {line!r}"
            labels = {}
            if m.group(3):
                pos = 0
                body = m.group(3)
                while pos < len(body):
                    lm = LABEL.match(body, pos)
                    assert lm, f"bad labels in {line!r}"
                    labels[lm.group(1)] = lm.group(2)
                    pos = lm.end()
            key = (m.group(1), frozenset(labels.items()))
            assert key not in self.samples, f"duplicate series {line!r}"
            self.samples[key] = float(m.group(4))

    def get(self, name: str, **labels) -> float:
        """The value of the one series with exactly these labels (0 when absent)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def sum(self, name: str, **labels) -> float:
        """Sum over every series of name whose labels include these."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and want <= ls)

    def series(self, name: str) -> list[dict[str, str]]:
        return [dict(ls) for (n, ls) in self.samples if n == name]


def scrape(g, headers: dict | None = None) -> Scrape:
    r = g.get("/metrics", headers=headers)
    assert r.status == 200, r
    assert (r.header("Content-Type") or "").startswith(METRICS_TYPE), r.headers
    return Scrape(r.body.decode())


def promtool() -> str | None:
    path = shutil.which("promtool")
    if path is None and binary_required():
        pytest.fail("promtool is missing: install Debian's prometheus package "
                    "(scripts/install-deps.sh does)")
    return path


def promtool_check(text: str) -> None:
    tool = promtool()
    if tool is None:
        pytest.skip("promtool not installed (Debian package prometheus)")
    p = subprocess.run([tool, "check", "metrics"], input=text.encode(), capture_output=True,
                       timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode == 0 and out.strip() == "", f"promtool check metrics:\n{out}"


def upstream_gets(fake, token: str) -> int:
    """Pooled reads the fake saw from token, beyond ghpool's start-up probes."""
    return len([r for r in fake.requests(token=token, method="GET")
                if r.path_only not in ("/rate_limit", "/user")])


# ---------------------------------------------------------------------------
# The whole exposition after varied traffic
# ---------------------------------------------------------------------------

def test_exposition_passes_promtool_after_varied_traffic(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=60),
               identities=["alice", "bob"])
    assert g.get(REPO).status == 200                       # miss
    assert g.get(REPO).status == 200                       # hit
    assert g.get("/repos/octo-org/nope").status == 404     # a 404 miss
    assert g.get("/repos/evil-corp/x").status == 403       # denied before upstream
    assert g.get("/rate_limit").status == 200              # answered locally
    assert g.request("HEAD", REPO).status == 200
    assert g.request("POST", ISSUES, headers={"Authorization": CLIENT_AUTH,
                     "Content-Type": "application/json"},
                     body=json.dumps({"title": "t"})).status == 201
    q = {"query": '{ repository(owner: "octo-org", name: "hello") { name } }'}
    assert g.request("POST", "/graphql", headers={"Content-Type": "application/json"},
                     body=json.dumps(q)).status == 200
    assert g.request("OPTIONS", REPO).status == 405
    assert g.get("/repos/octo-org/../x").status == 400
    first = g.get(ISSUES)
    time.sleep(1.2)
    assert g.get(ISSUES).header("X-Ghpool-Cache") == "REVALIDATED"

    s = scrape(g)
    promtool_check(s.text)
    assert s.get("ghpool_ready") == 1
    assert s.get("ghpool_identities_usable") == 2
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="2xx",
                 cache="hit") == 1
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="2xx",
                 cache="miss") == 2          # REPO, ISSUES
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="4xx",
                 cache="miss") == 1          # the 404
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="4xx",
                 cache="none") == 1          # the denial
    assert s.sum("ghpool_requests_total", route="repos", method="HEAD", status="2xx") == 1
    assert s.get("ghpool_requests_total", route="repos", method="POST", status="2xx",
                 cache="none") == 1
    assert s.get("ghpool_requests_total", route="graphql", method="POST", status="2xx",
                 cache="miss") == 1
    assert s.get("ghpool_requests_total", route="rate_limit", method="GET", status="2xx",
                 cache="none") == 1
    assert s.get("ghpool_requests_total", route="none", method="OTHER", status="4xx",
                 cache="none") == 1          # the 405 comes before routing
    assert s.get("ghpool_requests_total", route="none", method="GET", status="4xx",
                 cache="none") == 1          # the dot segment
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="2xx",
                 cache="revalidated") == 1
    assert s.get("ghpool_cache_revalidations_total", result="not_modified") == 1
    assert s.get("ghpool_passthrough_requests_total", status="2xx") == 1
    assert s.get("ghpool_upstream_duration_seconds_count", kind="passthrough") == 1
    assert first.status == 200
    # Every label value comes from a closed set, the configuration or GitHub's buckets.
    for (name, labels) in s.samples:
        for k, v in labels:
            if k in CLOSED:
                assert v in CLOSED[k], (name, k, v)
            elif k == "identity":
                assert v in TOKENS, (name, v)
            elif k == "bucket":
                assert v in GITHUB_BUCKETS, (name, v)
            elif k not in ("le", "version", "client"):
                pytest.fail(f"unexpected label {k}={v} on {name}")


def test_request_histograms_agree_with_the_counters(ghpool, fake):
    g = ghpool(cache=cache())
    for _ in range(5):
        assert g.get(REPO).status == 200
    s = scrape(g)
    for labels in s.series("ghpool_request_duration_seconds_count"):
        count = s.get("ghpool_request_duration_seconds_count", **labels)
        assert count == s.sum("ghpool_requests_total", **labels), labels
        buckets = sorted(
            ((float(b["le"]), s.get("ghpool_request_duration_seconds_bucket", **b))
             for b in s.series("ghpool_request_duration_seconds_bucket")
             if {k: v for k, v in b.items() if k != "le"} == labels))
        values = [v for _, v in buckets]
        assert values == sorted(values), f"buckets not cumulative: {buckets}"
        assert buckets[-1][0] == math.inf and buckets[-1][1] == count
        assert s.get("ghpool_request_duration_seconds_sum", **labels) >= 0
    assert s.get("ghpool_request_duration_seconds_count", route="repos", cache="hit") == 4
    assert s.types["ghpool_request_duration_seconds"] == "histogram"
    assert s.types["ghpool_requests_total"] == "counter"


# ---------------------------------------------------------------------------
# Upstream, identities and budgets
# ---------------------------------------------------------------------------

def test_upstream_requests_and_budgets_match_the_fake(ghpool, fake):
    g = ghpool()   # the suite's default: cache off, every read goes upstream
    for i in range(6):
        assert g.get(f"{REPO}/issues/{1 + i % 2}").status == 200
    s = scrape(g)
    total = 0
    for ident, tok in TOKENS.items():
        sent = upstream_gets(fake, tok)
        got = s.get("ghpool_upstream_requests_total", identity=ident, bucket="core",
                    status="2xx")
        assert got == sent, (ident, got, sent)
        total += got
        budget = fake.budget(tok, "core")
        assert s.get("ghpool_rate_limit_remaining", identity=ident, bucket="core") == \
            budget["remaining"]
        assert s.get("ghpool_rate_limit_limit", identity=ident, bucket="core") == budget["limit"]
        assert s.get("ghpool_rate_limit_reset_timestamp_seconds", identity=ident,
                     bucket="core") == budget["reset"]
        assert s.get("ghpool_identity_state", identity=ident, state="active") == 1
        assert s.get("ghpool_identity_state", identity=ident, state="disabled") == 0
        age = s.get("ghpool_secret_resolution_age_seconds", identity=ident)
        assert 0 <= age <= s.get("ghpool_uptime_seconds") + 1
    assert total == 6
    assert s.get("ghpool_upstream_duration_seconds_count", kind="pooled") == 6
    assert s.get("ghpool_upstream_in_flight") == 0


def test_revoked_identity_shows_as_disabled_and_unready(ghpool, fake):
    g = ghpool(identities=["alice"])
    fake.revoke("tok_alice")
    r = g.get(REPO)
    assert r.status in (401, 503), r
    s = scrape(g)
    promtool_check(s.text)
    assert s.get("ghpool_identity_state", identity="alice", state="disabled") == 1
    assert s.get("ghpool_identity_state", identity="alice", state="active") == 0
    assert s.get("ghpool_upstream_requests_total", identity="alice", bucket="core",
                 status="4xx") == 1
    assert s.get("ghpool_identities_usable") == 0
    assert s.get("ghpool_ready") == 0
    assert g.get("/readyz").status == 503


def test_in_flight_gauge_and_coalescing(ghpool, fake):
    g = ghpool(cache=cache())
    fake.add_fault("latency", path=REPO, ms=1500)
    results: list[int] = []

    def read():
        results.append(g.get(REPO, timeout=30).status)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    seen = 0.0
    while time.monotonic() < deadline and seen < 1:
        seen = scrape(g).get("ghpool_upstream_in_flight")
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    assert results == [200] * 6
    assert seen == 1, "the slow read never showed as in flight"
    s = scrape(g)
    assert s.get("ghpool_upstream_in_flight") == 0
    assert len(fake.requests(REPO)) == 1
    assert s.get("ghpool_cache_coalesced_total") == 5
    assert s.sum("ghpool_requests_total", route="repos", cache="coalesced") == 5
    assert s.get("ghpool_upstream_duration_seconds_count", kind="pooled") == 1
    assert s.sum("ghpool_upstream_duration_seconds_sum") >= 1.4


def test_stale_and_failed_revalidation(ghpool, fake):
    g = ghpool(cache=cache(issue_list_ttl_secs=1, stale_if_error_secs=60))
    assert g.get(ISSUES).status == 200
    time.sleep(1.2)
    fake.add_fault("status", path=ISSUES, status=502, count=None)
    r = g.get(ISSUES)
    assert r.header("X-Ghpool-Cache") == "STALE", r.headers
    s = scrape(g)
    assert s.get("ghpool_cache_stale_served_total") == 1
    assert s.get("ghpool_cache_revalidations_total", result="failed") >= 1
    assert s.get("ghpool_requests_total", route="repos", method="GET", status="2xx",
                 cache="stale") == 1
    assert s.sum("ghpool_upstream_requests_total", status="5xx") >= 1


def test_cache_gauges_follow_stats(ghpool, fake):
    g = ghpool(cache=cache(max_entries=3))
    for n in range(1, 6):
        assert g.get(f"{ISSUES}/{n}").status == 200
    s = scrape(g)
    st = g.stats()["cache"]
    assert s.get("ghpool_cache_entries") == st["entries"] == 3
    assert s.get("ghpool_cache_bytes") == st["bytes"] > 0
    assert s.get("ghpool_cache_evictions_total") == st["evictions"] == 2
    assert s.get("ghpool_cache_max_entries") == 3
    assert s.get("ghpool_cache_max_bytes") == st["max_bytes"] > 0


# ---------------------------------------------------------------------------
# Bounded labels, no secrets
# ---------------------------------------------------------------------------

def test_labels_stay_bounded_and_secret_free(ghpool, fake):
    g = ghpool(cache=cache(), allowed_owners=["*"])
    for i in range(3):
        g.get(f"/repos/octo-org/repo-{i}")
    before = scrape(g)
    for i in range(3, 60):
        g.get(f"/repos/octo-org/repo-{i}?page={i}")
        g.get(f"/made-up/path-{i}")
        g.get(f"/users/someone-{i}")
    after = scrape(g)
    new = {k for k in after.samples if k[0] != "ghpool_requests_total"} - set(before.samples)
    # Only series for route/status/cache combinations met for the first time may appear.
    assert len(new) <= 80, sorted(new)[:20]
    text = after.text
    for secret in list(TOKENS.values()) + ["tok_carol"]:
        assert secret not in text
    for i in range(3, 60):
        assert f"repo-{i}" not in text and f"path-{i}" not in text and f"someone-{i}" not in text


def test_odd_bucket_names_from_github_never_become_labels(ghpool, fake):
    """A bucket name is whatever x-ratelimit-resource says; one not shaped like
    GitHub's (lower case and underscores) is not taken, so it can neither break the
    exposition nor grow its series."""
    g = ghpool(identities=["alice"])
    odd = ['we"ird', "back\\slash", "Core", "a b", "x" * 40, "n\u00e9e"]
    for i, name in enumerate(odd):
        fake.add_fault("status", path=f"{ISSUES}/{i + 1}", status=200, body={"id": i},
                       count=1, headers={"X-RateLimit-Resource": name,
                                         "X-RateLimit-Remaining": "42"})
        assert g.get(f"{ISSUES}/{i + 1}").status == 200
    s = scrape(g)
    promtool_check(s.text)
    buckets = {ls["bucket"] for ls in s.series("ghpool_rate_limit_remaining")}
    assert buckets <= GITHUB_BUCKETS, buckets
    # Each odd answer taught the read's own bucket instead.
    assert s.get("ghpool_rate_limit_remaining", identity="alice", bucket="core") == 42
    assert s.get("ghpool_upstream_requests_total", identity="alice", bucket="core",
                 status="2xx") == len(odd)


# ---------------------------------------------------------------------------
# Access with [[clients]]
# ---------------------------------------------------------------------------

def test_metrics_need_a_client_key_and_accept_bearer(ghpool, fake):
    g = ghpool(clients=[{"id": "scraper", "key": "env:SCRAPE_KEY"}], allowed_owners=["*"],
               _env={"SCRAPE_KEY": KEY})
    assert g.get("/metrics").status == 401
    assert g.get("/metrics", headers={"Authorization": "Bearer wrong-key-0123456789"}).status \
        == 401
    assert g.get(REPO, headers={"X-Ghpool-Key": KEY}).status == 200
    assert g.get("/repos/octo-org/x", headers={"Authorization": f"Bearer {KEY}"}).status == 401, \
        "a bearer key is for ghpool's own endpoints only"
    s = scrape(g, headers={"Authorization": f"Bearer {KEY}"})
    promtool_check(s.text)
    s2 = scrape(g, headers={"X-Ghpool-Key": KEY})
    assert s2.get("ghpool_client_requests_total", client="scraper") >= 3
    assert s.get("ghpool_client_denied_total", client="scraper") == 0
    assert KEY not in s.text
    # The probes stay open: kubelets carry no key.
    assert g.get("/healthz").status == 200
    assert g.get("/readyz").status == 200
    assert g.request("POST", "/metrics", headers={"X-Ghpool-Key": KEY}).status == 405


def test_metrics_free_of_charge(ghpool, fake):
    """A scrape is answered locally: nothing reaches GitHub, no budget is spent."""
    g = ghpool()
    n = len(fake.requests())
    for _ in range(3):
        scrape(g)
    assert len(fake.requests()) == n
