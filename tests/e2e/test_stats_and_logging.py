"""GET /stats and the per-request log line; tokens never shown."""

from __future__ import annotations

import re

from conftest import SECRET_TOKENS


def test_stats_shape(ghpool):
    g = ghpool(identities=["alice", "bob", "carol"])
    s = g.stats()
    assert isinstance(s["version"], str) and re.search(r"\d+\.\d+", s["version"])
    assert isinstance(s["uptime_secs"], (int, float)) and s["uptime_secs"] >= 0
    assert [i["id"] for i in s["identities"]] == ["alice", "bob", "carol"]
    for ident in s["identities"]:
        assert ident["login"] == {"alice": "alice-gh", "bob": "bob-gh", "carol": "carol-gh"}[ident["id"]]
        assert ident["state"] == "active"
        assert isinstance(ident["requests"], int) and isinstance(ident["errors"], int)
        assert {"core", "search"} <= set(ident["buckets"])
        for name, b in ident["buckets"].items():
            for k in ("limit", "remaining", "used", "reset"):
                assert isinstance(b[k], int), (name, k, b)
        assert ident["buckets"]["core"]["limit"] == 5000
        assert ident["buckets"]["search"]["limit"] == 30


def test_stats_counts_requests_per_identity(ghpool):
    g = ghpool()
    served = [g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") for _ in range(6)]
    s = {i["id"]: i for i in g.stats()["identities"]}
    assert s["alice"]["requests"] == served.count("alice")
    assert s["bob"]["requests"] == served.count("bob")
    assert s["alice"]["errors"] == s["bob"]["errors"] == 0


def test_stats_remaining_follows_upstream(ghpool, fake):
    g = ghpool(identities=["alice"])
    for _ in range(3):
        g.get("/repos/octo-org/hello")
    core = g.identity("alice")["buckets"]["core"]
    truth = fake.budget("tok_alice")
    assert core["remaining"] == truth["remaining"]
    assert core["used"] == truth["used"]
    assert core["reset"] == truth["reset"]


def test_uptime_grows(ghpool):
    import time
    g = ghpool()
    a = g.stats()["uptime_secs"]
    time.sleep(1.1)
    assert g.stats()["uptime_secs"] >= a + 1


def test_no_token_in_stats_responses_or_log(ghpool, fake):
    g = ghpool(identities=["alice", "bob", {"id": "dave", "token": "tok_dave"}])
    bodies = [g.get("/stats").body,
              g.get("/repos/octo-org/hello", headers={"Authorization": "token tok_carol"}).body,
              g.get("/repos/evil-corp/secret").body,
              g.get("/nope").body]
    fake.add_fault("bad_credentials", path="/repos/octo-org/world", count=None)
    bodies.append(g.get("/repos/octo-org/world").body)   # 401s disable identities
    bodies.append(g.get("/repos/octo-org/hello").body)
    bodies.append(g.get("/stats").body)
    for body in bodies:
        for tok in SECRET_TOKENS:
            assert tok.encode() not in body
    log = g.log_text()
    for tok in SECRET_TOKENS:
        assert tok not in log, f"{tok} in the log"


def find_access_line(log: str, method: str, path: str, status: int, ident: str):
    for line in log.splitlines():
        if (re.search(rf"\b{method}\b", line) and path in line
                and re.search(rf"\b{status}\b", line) and re.search(rf"\b{re.escape(ident)}\b", line)):
            return line
    return None


def test_one_log_line_per_request(ghpool, fake):
    g = ghpool()
    r = g.get("/repos/octo-org/hello/issues?per_page=3")
    ident = r.header("X-Ghpool-Identity")
    g.wait_log(r"/repos/octo-org/hello/issues")
    assert find_access_line(g.log_text(), "GET", "/repos/octo-org/hello/issues", 200, ident), \
        g.log_text()
    r = g.request("HEAD", "/repos/alice/tools")
    g.wait_log(r"/repos/alice/tools")
    assert find_access_line(g.log_text(), "HEAD", "/repos/alice/tools", 200,
                            r.header("X-Ghpool-Identity")), g.log_text()
    g.get("/repos/octo-org/nope")
    g.wait_log(r"/repos/octo-org/nope")
    before = g.log_text()
    for i in range(5):
        g.get(f"/repos/octo-org/hello/issues/{i + 1}")
    g.wait_log(r"/repos/octo-org/hello/issues/5\b")
    new = g.log_text()[len(before):]
    for i in range(5):
        lines = [ln for ln in new.splitlines() if re.search(rf"/repos/octo-org/hello/issues/{i + 1}\b", ln)]
        assert len(lines) == 1, (i, lines)


def test_denied_and_refused_requests_are_logged(ghpool):
    g = ghpool()
    g.get("/repos/evil-corp/secret")
    g.request("DELETE", "/repos/octo-org/hello")
    m1 = g.wait_log(r".*/repos/evil-corp/secret.*")
    assert "403" in m1.group(0)
    m2 = g.wait_log(r".*DELETE.*/repos/octo-org/hello.*")
    assert "status=401" in m2.group(0) and "outcome=no_token" in m2.group(0)
