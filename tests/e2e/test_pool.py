"""The pool: X-RateLimit-* headers, identity selection, exhaustion."""

from __future__ import annotations

import threading
import time

import pytest

from fake_github.client import wait_until


def rl(r, name: str) -> int:
    v = r.header(f"X-RateLimit-{name}")
    assert v is not None, f"missing X-RateLimit-{name}: {r.headers}"
    return int(v)


def window_reset(fake, token="tok_alice", bucket="core") -> int:
    """Reset time of the fake's current window. A mid-run budget change keeps it or moves
    it later (a new window): GitHub never moves a window's reset earlier, and ghpool may
    rightly ignore an answer whose reset is older than one it has seen."""
    return fake.budget(token, bucket)["reset"]


def warm_both(g, target="/repos/octo-org/hello", max_reads=6):
    """Read until both alice and bob have served once (ghpool then knows both budgets)."""
    seen, last = set(), None
    for _ in range(max_reads):
        last = g.get(target)
        assert last.status == 200, last
        seen.add(last.header("X-Ghpool-Identity"))
        if seen == {"alice", "bob"}:
            return last
    raise AssertionError(f"only {seen} served in {max_reads} reads")


# ---------------------------------------------------------------------------
# X-RateLimit-* describe the pool
# ---------------------------------------------------------------------------

def test_ratelimit_headers_describe_the_pool(ghpool, fake):
    g = ghpool()
    r0 = window_reset(fake)
    fake.set_budget("tok_alice", "core", remaining=1000, reset=r0 + 100)
    fake.set_budget("tok_bob", "core", remaining=3000, reset=r0 + 200)
    warm_both(g)
    r = g.get("/repos/octo-org/hello")
    a, b = fake.budget("tok_alice"), fake.budget("tok_bob")
    assert rl(r, "Limit") == 10000
    assert rl(r, "Remaining") == a["remaining"] + b["remaining"]
    assert rl(r, "Used") == a["used"] + b["used"]
    assert rl(r, "Reset") == r0 + 100
    assert r.header("X-RateLimit-Resource") == "core"


def test_ratelimit_headers_subtract_the_reserve(ghpool, fake):
    g = ghpool(pool={"reserve": 100})
    r0 = window_reset(fake)
    fake.set_budget("tok_alice", "core", remaining=1000, reset=r0 + 100)
    fake.set_budget("tok_bob", "core", remaining=3000, reset=r0 + 50)
    warm_both(g)
    r = g.get("/repos/octo-org/hello")
    a, b = fake.budget("tok_alice"), fake.budget("tok_bob")
    assert rl(r, "Limit") == 10000
    assert rl(r, "Remaining") == (a["remaining"] - 100) + (b["remaining"] - 100)
    assert rl(r, "Reset") == r0 + 50


def test_reserve_never_makes_remaining_negative(ghpool, fake):
    g = ghpool(pool={"reserve": 100})
    fake.set_budget("tok_alice", "core", remaining=40)
    fake.set_budget("tok_bob", "core", remaining=3000)
    warm_both(g)
    r = g.get("/repos/octo-org/hello")
    assert rl(r, "Remaining") == fake.budget("tok_bob")["remaining"] - 100


def test_ratelimit_headers_for_search_bucket(ghpool, fake):
    g = ghpool()
    r = g.get("/search/issues?q=issue+repo:octo-org/hello")
    assert r.status == 200
    assert r.header("X-RateLimit-Resource") == "search"
    assert rl(r, "Limit") == 60
    a, b = fake.budget("tok_alice", "search"), fake.budget("tok_bob", "search")
    assert rl(r, "Remaining") == a["remaining"] + b["remaining"] == 59


def test_ratelimit_headers_for_code_search_bucket(ghpool, fake):
    g = ghpool()
    r = g.get("/search/code?q=main+repo:octo-org/hello")
    assert r.status == 200
    assert r.header("X-RateLimit-Resource") == "code_search"
    assert rl(r, "Limit") == 20 and rl(r, "Remaining") == 19


# ---------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------

def test_reads_avoid_an_identity_drained_before_start(ghpool, fake, reads):
    fake.set_budget("tok_alice", "core", remaining=5, reset=int(time.time()) + 3000)
    g = ghpool()
    for _ in range(6):
        r = g.get("/repos/octo-org/hello")
        assert r.status == 200 and r.header("X-Ghpool-Identity") == "bob"
    assert {rec.token for rec in reads(fake)} == {"tok_bob"}


def test_drain_discovered_mid_run_moves_reads_to_bob(ghpool, fake, reads):
    g = ghpool()
    fake.set_budget("tok_alice", "core", remaining=3)  # same window
    served = [g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") for _ in range(8)]
    assert served.count("alice") <= 1, served
    assert served[-6:] == ["bob"] * 6, served
    assert [r.token for r in reads(fake)][-6:] == ["tok_bob"] * 6


def test_equal_budgets_share_the_load(ghpool):
    g = ghpool()
    served = [g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") for _ in range(10)]
    assert abs(served.count("alice") - served.count("bob")) <= 2, served


def test_three_identities_all_used(ghpool):
    g = ghpool(identities=["alice", "bob", "carol"])
    served = {g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") for _ in range(9)}
    assert served == {"alice", "bob", "carol"}


def test_in_flight_reads_spread_over_identities(ghpool, fake):
    g = ghpool()
    fake.add_fault("latency", path="/repos/octo-org/hello", ms=600)
    results = []
    lock = threading.Lock()

    def read():
        r = g.get("/repos/octo-org/hello")
        with lock:
            results.append((r.status, r.header("X-Ghpool-Identity")))
    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [s for s, _ in results] == [200] * 4
    assert {i for _, i in results} == {"alice", "bob"}, results


def test_selection_is_per_bucket(ghpool, fake):
    fake.set_budget("tok_alice", "search", remaining=2)
    fake.set_budget("tok_bob", "core", remaining=100)
    fake.set_budget("tok_bob", "code_search", remaining=1)
    g = ghpool()
    assert g.get("/search/issues?q=x+repo:octo-org/hello").header("X-Ghpool-Identity") == "bob"
    assert g.get("/search/repositories?q=x+org:octo-org").header("X-Ghpool-Identity") == "bob"
    assert g.get("/search/code?q=x+repo:octo-org/hello").header("X-Ghpool-Identity") == "alice"
    assert g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") == "alice"
    buckets = {(r.token, r.bucket) for r in fake.requests() if r.path.startswith(("/search", "/repos"))}
    assert buckets == {("tok_bob", "search"), ("tok_alice", "code_search"), ("tok_alice", "core")}


def test_bucket_past_its_reset_counts_as_full(ghpool, fake):
    reset = int(time.time()) + 4
    fake.set_budget("tok_alice", "core", remaining=0, reset=reset)
    fake.set_budget("tok_bob", "core", remaining=100)
    g = ghpool()
    if time.time() < reset - 1:
        assert g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") == "bob"
    wait_until(lambda: time.time() > reset + 1.05, 10, interval=0.1, message="alice's reset")
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200
    assert r.header("X-Ghpool-Identity") == "alice"


# ---------------------------------------------------------------------------
# exhaustion
# ---------------------------------------------------------------------------

def assert_pool_exhausted_answer(r, earliest_reset):
    assert r.status == 403, r
    body = r.json()
    assert body["message"].startswith("API rate limit exceeded"), body
    assert body.get("documentation_url"), body
    assert r.header("X-RateLimit-Remaining") == "0"
    assert r.header("X-RateLimit-Reset") == str(earliest_reset)
    retry_after = int(r.header("Retry-After"))
    assert 1 <= retry_after <= earliest_reset - time.time() + 2, retry_after
    assert retry_after >= earliest_reset - time.time() - 5, retry_after


def test_exhausted_pool_answers_403_and_sends_nothing(ghpool, fake, reads):
    now = int(time.time())
    fake.set_budget("tok_alice", "core", remaining=0, reset=now + 600)
    fake.set_budget("tok_bob", "core", remaining=0, reset=now + 300)
    g = ghpool()
    for _ in range(3):
        assert_pool_exhausted_answer(g.get("/repos/octo-org/hello"), now + 300)
    assert reads(fake) == []
    assert {i["state"] for i in g.stats()["identities"]} != {"disabled"}


def test_exhaustion_discovered_mid_run(ghpool, fake, reads):
    g = ghpool()
    r0 = window_reset(fake)
    fake.set_budget("tok_alice", "core", remaining=0, reset=r0 + 50)
    fake.set_budget("tok_bob", "core", remaining=0, reset=r0 + 40)
    for _ in range(4):  # upstream's own 403s teach ghpool the budgets
        before = len(reads(fake))
        r = g.get("/repos/octo-org/hello")
        assert r.status == 403, r
        if len(reads(fake)) == before:
            break
    else:
        raise AssertionError(f"ghpool kept sending reads upstream: {reads(fake)}")
    assert_pool_exhausted_answer(r, r0 + 40)


def test_exhausted_search_bucket_leaves_core_usable(ghpool, fake, reads):
    now = int(time.time())
    fake.set_budget("tok_alice", "search", remaining=0, reset=now + 100)
    fake.set_budget("tok_bob", "search", remaining=0, reset=now + 200)
    g = ghpool()
    r = g.get("/search/issues?q=x+repo:octo-org/hello")
    assert_pool_exhausted_answer(r, now + 100)
    assert r.header("X-RateLimit-Resource") in (None, "search")
    assert g.get("/repos/octo-org/hello").status == 200
    assert [rec.path for rec in reads(fake)] == ["/repos/octo-org/hello"]


@pytest.mark.parametrize("target", ["/repos/octo-org/hello", "/meta", "/users/alice"])
def test_exhausted_pool_covers_every_core_path(ghpool, fake, reads, target):
    now = int(time.time())
    fake.set_budget("tok_alice", "core", remaining=0, reset=now + 60)
    fake.set_budget("tok_bob", "core", remaining=0, reset=now + 90)
    g = ghpool()
    assert_pool_exhausted_answer(g.get(target), now + 60)
    assert reads(fake) == []
