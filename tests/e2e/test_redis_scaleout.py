"""[cache] backend = "redis" (issue #9): replicas sharing an L2 cache, fetch locks and
rate-limit budgets through one Redis, and serving on without it.

Black-box: a real ``redis-server`` (started here on a free loopback port, nothing saved
to disk, killed at teardown) and two or more ghpool processes in front of the fake
GitHub. The fake's request log tells how many reads reached "GitHub";
``X-Ghpool-Cache`` / ``X-Ghpool-Identity`` and ``/stats`` (section ``redis``) tell what
each replica did; a few raw Redis commands (``PUBSUB NUMSUB``, ``KEYS``) tell when the
replicas are subscribed and what they stored. Faults on Redis are signals to its
process: SIGKILL (gone, then restarted on the same port), SIGSTOP/SIGCONT (hung).

Timings are loose (the suite also runs under ASan): every wait is bounded with
wait_until, and "answered quickly" means within READ_BOUND seconds, far from the
seconds a read would take if it waited on a dead or hung Redis.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Ghpool, base_env, binary_required, free_port, identity_table, to_toml
from fake_github.client import Reply, wait_until
from test_metrics import promtool_check

REDIS_SERVER = Path("/usr/bin/redis-server")
PREFIX = "ghpool:"
REPO = "/repos/octo-org/hello"
ISSUES = REPO + "/issues"
TOKENS = {"alice": "tok_alice", "bob": "tok_bob"}
OUTCOMES = {"HIT", "MISS", "REVALIDATED", "COALESCED", "STALE"}
REDIS_STATS_KEYS = {"backend", "up", "links_up", "links", "down_ms", "l2_hits", "l2_misses",
                    "errors", "refused", "stores", "locks_acquired", "locks_held",
                    "waits_signalled", "waits_timed_out", "timeouts", "reconnects",
                    "budget_refreshes", "budget_refresh_failures", "replicas"}
# A read that waited on a dead or hung Redis would take seconds (connect and command
# deadlines, backoff); one that did not takes milliseconds, tens under ASan.
READ_BOUND = 1.0
# The fake GitHub answers this path slowly in the concurrency test.
SLOW_MS = 800
PASSWORD = "s3cret-Redis-pw-7f2c"
WRONG_PASSWORD = "not-the-pw-91ab"


# ---------------------------------------------------------------------------
# Redis: the server process and a minimal RESP client
# ---------------------------------------------------------------------------

class RedisError(Exception):
    pass


def _resp_encode(args: tuple) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _resp_read(f) -> Any:
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("Redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise ConnectionError(f"unexpected RESP line {line!r}")


class RedisServer:
    """One redis-server on 127.0.0.1:port, no persistence; kill/pause/restart at will."""

    def __init__(self, workdir: Path, port: int, password: str | None = None):
        self.workdir = workdir
        self.port = port
        self.password = password
        self.proc: subprocess.Popen | None = None
        self.paused = False
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "RedisServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        log = open(self.workdir / f"redis-{self.port}-{self.starts}.log", "wb")
        args = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                "--daemonize", "no", "--loglevel", "warning"]
        if self.password is not None:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        self.paused = False
        wait_until(lambda: self._ping(), timeout,
                   message=lambda: f"redis-server on port {self.port} answering PING")
        return self

    def _ping(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.proc.returncode}")
        try:
            return self.command("PING", timeout=0.5) == "PONG"
        except (OSError, ConnectionError, RedisError):
            return False

    def command(self, *args: Any, timeout: float = 2.0, db: int = 0) -> Any:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            f = s.makefile("rb")
            if self.password is not None:
                s.sendall(_resp_encode(("AUTH", self.password)))
                _resp_read(f)
            if db:
                s.sendall(_resp_encode(("SELECT", db)))
                _resp_read(f)
            s.sendall(_resp_encode(args))
            return _resp_read(f)

    def keys(self, pattern: str, db: int = 0) -> list[str]:
        return sorted(k.decode() for k in self.command("KEYS", pattern, db=db))

    def subscribers(self, channel: str = PREFIX + "filled") -> int:
        reply = self.command("PUBSUB", "NUMSUB", channel)
        return int(reply[1])

    def kill(self) -> None:
        """SIGKILL: gone at once, its sockets closed by the kernel."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.paused = False

    def pause(self) -> None:
        assert self.proc is not None and self.proc.poll() is None
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False


@pytest.fixture
def redis_server(tmp_path):
    """Factory: ``redis_server(password=None)`` -> a running RedisServer on a free port;
    every one is killed at teardown (skips without /usr/bin/redis-server, or fails when
    binaries are required)."""
    started: list[RedisServer] = []

    def start(password: str | None = None) -> RedisServer:
        if not REDIS_SERVER.exists():
            msg = f"{REDIS_SERVER} not found (Debian package redis-server)"
            if binary_required():
                pytest.fail(msg)
            pytest.skip(msg)
        rs = RedisServer(tmp_path, free_port(), password)
        started.append(rs)
        return rs.start()

    yield start
    for rs in started:
        rs.resume()
        rs.kill()


# ---------------------------------------------------------------------------
# ghpool replicas
# ---------------------------------------------------------------------------

def redis_cache(url: str, **kw: Any) -> dict[str, Any]:
    """A [cache] table on Redis. redis_timeout_ms is 500 unless given (None: the default,
    50): a slow loaded machine (ASan, parallel CI) must not turn a test of sharing into
    one of timeouts; the tests of a dead or hung Redis use the default."""
    c: dict[str, Any] = {"max_entries": 1000, "backend": "redis", "redis_url": url,
                         "redis_timeout_ms": 500}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}


def rstats(g) -> dict[str, Any]:
    st = g.stats()["redis"]
    assert set(st) >= REDIS_STATS_KEYS, f"/stats redis lacks {REDIS_STATS_KEYS - set(st)}: {st}"
    assert st["backend"] == "redis", st
    return st


def wait_redis(g, up: bool = True, timeout: float = 10.0) -> dict[str, Any]:
    """Until /stats says every link of g is up (or, up=False, that Redis is down)."""
    def check():
        st = rstats(g)
        if up:
            return st if st["up"] and st["links_up"] == st["links"] > 0 else None
        return st if not st["up"] else None
    return wait_until(check, timeout, message=lambda: (
        f"/stats redis.up == {up} on {g.url}: {g.stats()['redis']}\nlog:\n{g.log_text()}"))


def start_replicas(ghpool, rs: RedisServer, n: int = 2, workers: int = 2,
                   **kw: Any) -> list:
    """n ghpool processes on rs, each with its links up and every worker subscribed."""
    cache_table = kw.pop("cache", None) or redis_cache(rs.url)
    kw.setdefault("allowed_owners", ["*"])
    kw.setdefault("identities", ["alice", "bob"])
    gs = [ghpool(cache=dict(cache_table), workers=workers, **kw) for _ in range(n)]
    for g in gs:
        wait_redis(g)
    # l2_wait refuses until the worker's subscription is confirmed: wait for all.
    wait_until(lambda: rs.subscribers() >= n * workers, 10,
               message=lambda: f"{n * workers} subscribers on {PREFIX}filled "
                               f"(have {rs.subscribers()})")
    return gs


def spawn_unmanaged(ghpool_bin: Path, tmp_path: Path, fake, url: str) -> Ghpool:
    """A ghpool outside the fixture (which would count a SIGKILL as a failure): the
    caller kills and stops it."""
    port = free_port()
    cfg = {"listen": "127.0.0.1", "port": port, "upstream_url": fake.url, "workers": 2,
           "upstream_timeout_secs": 2, "allowed_owners": ["*"], "pool": {"reserve": 0},
           "cache": redis_cache(url), "identities": [identity_table("alice"),
                                                     identity_table("bob")]}
    path = tmp_path / f"unmanaged-{port}.toml"
    path.write_text(to_toml(cfg))
    g = Ghpool(ghpool_bin, ["--config", str(path)], base_env(), tmp_path,
               tmp_path / f"unmanaged-{port}.log", port, path, cfg)
    try:
        g.wait_healthy()
    except BaseException:
        g.proc.kill()
        g.stop()
        raise
    return g


def _swallow(fn) -> None:
    try:
        fn()
    except OSError:
        pass


def outcome(r: Reply) -> str | None:
    return r.header("X-Ghpool-Cache")


def ident(r: Reply) -> str | None:
    return r.header("X-Ghpool-Identity")


def get(g, target: str, expect: str | None = None, timeout: float = 30) -> Reply:
    r = g.get(target, timeout=timeout)
    assert r.status == 200, (r, r.headers)
    assert outcome(r) in OUTCOMES, f"X-Ghpool-Cache missing or odd: {r.headers}"
    assert ident(r) in TOKENS, f"X-Ghpool-Identity missing or odd: {r.headers}"
    if expect is not None:
        assert outcome(r) == expect, (f"{target} via {g.url}: expected {expect}, got "
                                      f"{outcome(r)}; headers {dict(r.headers)}")
    return r


def timed_get(g, target: str, expect: str | None = None) -> tuple[Reply, float]:
    t0 = time.monotonic()
    r = get(g, target, expect=expect, timeout=10)
    return r, time.monotonic() - t0


def upstream(fake, target: str) -> list:
    """GETs that reached the fake for exactly this raw target."""
    return [r for r in fake.requests() if r.path == target and r.method == "GET"]


def count(log: str, pattern: str) -> int:
    return len(re.findall(pattern, log))


def burst(calls: list, timeout: float = 30.0) -> list[Reply]:
    """Run the callables concurrently, released together; their answers in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(10)
            out[i] = calls[i]()
        except BaseException as e:  # reported below
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 15)
    errors = [x for x in out if not isinstance(x, Reply)]
    assert not errors, f"{len(errors)} of {len(calls)} requests failed: {errors[:3]}"
    return out


# ---------------------------------------------------------------------------
# 1. the shared tier
# ---------------------------------------------------------------------------

def test_read_through_one_replica_is_a_hit_on_the_other(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "?per_page=5"
    first = get(a, target, expect="MISS")
    # The fill is fire and forget: wait until Redis confirmed it.
    wait_until(lambda: rstats(a)["stores"] >= 1, 5, message=lambda: f"a store: {rstats(a)}")
    entries = rs.keys(PREFIX + "e:*")
    assert len(entries) == 1, entries
    assert rs.command("PTTL", entries[0]) > 0, "the entry has no expiry"
    assert rs.keys(PREFIX + "l:*") == [], "the fill left its lock behind"

    second = get(b, target, expect="HIT")
    assert second.body == first.body
    assert second.header("ETag") == first.header("ETag") is not None
    assert ident(second) == ident(first)
    assert len(upstream(fake, target)) == 1, upstream(fake, target)
    assert rstats(b)["l2_hits"] == 1, rstats(b)
    assert rstats(a)["l2_misses"] >= 1 and rstats(a)["locks_acquired"] >= 1, rstats(a)

    # Kept in B's L1: a second read there does not ask Redis again.
    third = get(b, target, expect="HIT")
    assert third.body == first.body
    assert rstats(b)["l2_hits"] == 1, rstats(b)
    assert len(upstream(fake, target)) == 1


# ---------------------------------------------------------------------------
# 2. one fetch for concurrent misses on every replica
# ---------------------------------------------------------------------------

def test_concurrent_misses_on_two_replicas_make_one_upstream_request(redis_server, ghpool,
                                                                       fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "?per_page=7"
    fake.add_fault("latency", path=target, ms=SLOW_MS)
    calls = [(lambda g=g: g.get(target, timeout=30)) for g in [a] * 5 + [b] * 5]
    answers = burst(calls)
    assert [r.status for r in answers] == [200] * 10, answers
    assert len({r.body for r in answers}) == 1, "replicas served different bodies"
    assert len({r.header("ETag") for r in answers}) == 1, [r.headers for r in answers]
    recs = upstream(fake, target)
    assert len(recs) == 1, f"{len(recs)} upstream requests: {recs}"
    outcomes = sorted(outcome(r) for r in answers)
    assert outcomes.count("MISS") == 1, outcomes
    sa, sb = rstats(a), rstats(b)
    # One replica took the lock and fetched; the other waited for its fill, signalled.
    assert sa["locks_acquired"] + sb["locks_acquired"] == 1, (sa, sb)
    assert sa["locks_held"] + sb["locks_held"] >= 1, (sa, sb)
    assert sa["waits_signalled"] + sb["waits_signalled"] >= 1, (sa, sb)
    assert sa["waits_timed_out"] + sb["waits_timed_out"] == 0, (sa, sb)


def test_an_expired_shared_entry_stands_in_and_revalidates_with_its_identity(
        redis_server, ghpool, fake):
    """Redis keeps an entry for its TTL plus stale_if_error_secs, with the id of the
    identity that fetched it: once expired, B (which never saw it) serves it STALE when
    GitHub fails, then revalidates it with that identity's token (GitHub's ETags are per
    token), for free."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, issue_list_ttl_secs=1,
                                                        stale_if_error_secs=60))
    target = ISSUES + "?per_page=6"
    first = get(a, target, expect="MISS")
    fetched = time.monotonic()
    wait_until(lambda: rstats(a)["stores"] >= 1, 5, message=lambda: f"a store: {rstats(a)}")
    (entry,) = rs.keys(PREFIX + "e:*")
    assert 1000 < rs.command("PTTL", entry) <= 61000, rs.command("PTTL", entry)
    time.sleep(max(0.0, fetched + 1.5 - time.monotonic()))

    fake.add_fault("status", path=target, status=502, count=1)
    stale = get(b, target, expect="STALE")
    assert stale.body == first.body
    again = get(b, target, expect="REVALIDATED")
    assert again.body == first.body
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 502, 304], recs
    assert recs[2].header("If-None-Match") == first.header("ETag"), recs[2]
    assert recs[2].token == TOKENS[ident(first)], (recs[2], first.headers)
    assert ident(again) == ident(first)


def test_large_bodies_and_graphql_queries_are_shared_too(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    big = "/repos/octo-org/big/issues?per_page=100"   # ~160 KB: past L1's in-memory size
    first = get(a, big, expect="MISS")
    assert len(first.body) > 100_000, len(first.body)
    wait_until(lambda: rstats(a)["stores"] >= 1, 5, message=lambda: f"a store: {rstats(a)}")
    second = get(b, big, expect="HIT")
    assert second.body == first.body
    assert second.header("Content-Length") == str(len(first.body))
    assert len(upstream(fake, big)) == 1

    query = json.dumps({"query": 'query { repository(owner: "octo-org", name: "hello") '
                                 '{ name } }'})
    hdrs = {"Content-Type": "application/json"}
    ga = a.request("POST", "/graphql", headers=hdrs, body=query)
    assert ga.status == 200 and outcome(ga) == "MISS", (ga, ga.headers)
    wait_until(lambda: rstats(a)["stores"] >= 2, 5, message=lambda: f"a store: {rstats(a)}")
    gb = b.request("POST", "/graphql", headers=hdrs, body=query)
    assert gb.status == 200 and outcome(gb) == "HIT", (gb, gb.headers)
    assert gb.body == ga.body
    assert len(fake.requests("/graphql", method="POST")) == 1


def test_a_failed_fetch_wakes_the_other_replica_at_once(redis_server, ghpool, fake):
    """The lock holder's fetch fails (a 500 after a delay): it stores nothing, but says
    so, and the waiting replica fetches for itself without sitting out its wait."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "?per_page=9"
    fake.add_fault("latency", path=target, ms=1500)   # B must arrive while A fetches
    fake.add_fault("status", path=target, status=500, count=1)
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("a", a.get(target, timeout=30)))
    t.start()
    try:
        wait_until(lambda: rs.keys(PREFIX + "l:*"), 5, interval=0.01,
                   message="A holding the fetch lock")
        get(b, target, expect="MISS")
    finally:
        t.join(30)
    assert out["a"].status >= 500, out["a"]
    assert len(upstream(fake, target)) == 2, upstream(fake, target)
    sb = rstats(b)
    assert sb["locks_held"] == 1 and sb["waits_signalled"] == 1, sb
    assert sb["waits_timed_out"] == 0, sb
    assert rs.keys(PREFIX + "l:*") == [], "a lock was left behind"


def test_a_replica_dying_with_the_lock_delays_the_other_only_for_its_wait(
        redis_server, ghpool, fake, ghpool_bin, tmp_path):
    """A holds the key's lock and is SIGKILLed mid-fetch: nobody announces. B waits for at
    most its bound (upstream_timeout_secs + 1 s = 3 s here), looks again, fetches itself."""
    rs = redis_server()
    (b,) = start_replicas(ghpool, rs, n=1)
    a = spawn_unmanaged(ghpool_bin, tmp_path, fake, rs.url)
    try:
        wait_redis(a)
        target = ISSUES + "?per_page=10"
        fake.add_fault("hang", path=target, seconds=5, count=1)
        t = threading.Thread(target=lambda: _swallow(lambda: a.get(target, timeout=10)))
        t.start()
        # A holds the lock and its fetch is hanging at GitHub (the fault is spent).
        wait_until(lambda: rs.keys(PREFIX + "l:*") and upstream(fake, target), 5,
                   interval=0.01, message="A holding the fetch lock, its fetch upstream")
        a.proc.kill()
        a.proc.wait(10)
        t.join(15)
    finally:
        a.proc.kill()
        a.stop()
    r, dt = timed_get(b, target, expect="MISS")
    assert r.status == 200
    assert 1.0 < dt < 8.0, f"B answered after {dt:.2f}s"
    sb = rstats(b)
    assert sb["locks_held"] == 1 and sb["waits_timed_out"] == 1, sb
    assert len(upstream(fake, target)) == 2, upstream(fake, target)


def test_key_prefix_and_database_keep_deployments_apart(redis_server, ghpool, fake):
    rs = redis_server()
    url = f"redis://127.0.0.1:{rs.port}/3"
    a1 = ghpool(cache=redis_cache(url, redis_key_prefix="team-a:"), allowed_owners=["*"])
    b1 = ghpool(cache=redis_cache(url, redis_key_prefix="team-b:"), allowed_owners=["*"])
    a2 = ghpool(cache=redis_cache(url, redis_key_prefix="team-a:"), allowed_owners=["*"])
    for g in (a1, b1, a2):
        wait_redis(g)
    wait_until(lambda: rs.subscribers("team-a:filled") >= 4, 10)
    target = ISSUES + "?per_page=4"
    get(a1, target, expect="MISS")
    wait_until(lambda: rstats(a1)["stores"] >= 1, 5)
    get(b1, target, expect="MISS")          # another deployment: its own entry
    get(a2, target, expect="HIT")           # the same one: shared
    assert len(upstream(fake, target)) == 2, upstream(fake, target)
    wait_until(lambda: rstats(b1)["stores"] >= 1, 5)
    assert len(rs.keys("team-a:e:*", db=3)) == 1 and len(rs.keys("team-b:e:*", db=3)) == 1
    assert rs.keys("*", db=0) == [], "something was written outside database 3"


# ---------------------------------------------------------------------------
# 3. shared budgets
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("backend, expected", [("redis", "bob"), ("memory", "alice")])
def test_budget_drained_through_one_replica_steers_the_other(redis_server, ghpool, fake,
                                                             backend, expected):
    """B starts preferring alice (bob has less left); A, which has only alice, sees her
    nearly empty. With Redis, B hears of it and picks bob; the control (memory) shows B
    would have kept picking alice on its own."""
    fake.set_budget("tok_bob", "core", remaining=3000)
    if backend == "redis":
        rs = redis_server()
        cache_table = redis_cache(rs.url)
    else:
        cache_table = {"max_entries": 1000}
    b = ghpool(cache=dict(cache_table), allowed_owners=["*"], identities=["alice", "bob"])
    a = ghpool(cache=dict(cache_table), allowed_owners=["*"], identities=["alice"])
    if backend == "redis":
        wait_redis(a)
        wait_redis(b)
    alice0 = b.identity("alice")["buckets"]["core"]["remaining"]
    assert alice0 > b.identity("bob")["buckets"]["core"]["remaining"] > 20, b.stats()

    fake.set_budget("tok_alice", "core", remaining=20)  # same window: reset unchanged
    r = get(a, REPO + "/issues?per_page=2", expect="MISS")
    assert ident(r) == "alice"
    assert a.identity("alice")["buckets"]["core"]["remaining"] == 19, a.identity("alice")

    if backend == "redis":
        wait_until(lambda: b.identity("alice")["buckets"]["core"]["remaining"] <= 19, 8,
                   message=lambda: f"B learning alice's budget: {b.identity('alice')}, "
                                   f"redis {rstats(b)}")
    else:
        time.sleep(2.0)  # as long as a refresh would have had, and more
        assert b.identity("alice")["buckets"]["core"]["remaining"] == alice0

    # B's first cache-missing read after the drain is the proof: it goes where B's own
    # view sends it (the memory control then learns alice's state from that answer).
    first = get(b, f"{ISSUES}?per_page=11", expect="MISS")
    assert ident(first) == expected, (first.headers, b.stats()["identities"])
    if backend == "redis":
        more = [ident(get(b, f"{ISSUES}?per_page={n}", expect="MISS")) for n in (12, 13)]
        assert more == ["bob", "bob"], more
        tokens = [r.token for n in (11, 12, 13)
                  for r in upstream(fake, f"{ISSUES}?per_page={n}")]
        assert tokens == ["tok_bob"] * 3, tokens
        # Both replicas are counted once they have each said they are alive.
        wait_until(lambda: rstats(b)["replicas"] == 2 and rstats(a)["replicas"] == 2, 5,
                   message=lambda: f"2 replicas: {rstats(a)} {rstats(b)}")
        assert rstats(b)["budget_refreshes"] >= 1, rstats(b)


# ---------------------------------------------------------------------------
# 4. Redis gone, then back
# ---------------------------------------------------------------------------

def test_redis_killed_both_serve_on_then_reconnect(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=None))
    warm = ISSUES + "?per_page=3"
    get(a, warm, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 1, 5)
    get(b, warm, expect="HIT")

    rs.kill()   # and read at once: the replicas may not have noticed yet
    slowest = 0.0
    t_end = time.monotonic() + 2.5  # several reconnect attempts fail meanwhile
    n = 20
    while time.monotonic() < t_end:
        n += 1
        for g in (a, b):
            _, dt = timed_get(g, warm, expect="HIT")
            slowest = max(slowest, dt)
        fresh = f"{ISSUES}?per_page=2&page={n}"
        for g in (a, b):   # no L2: each replica fetches for itself
            _, dt = timed_get(g, fresh, expect="MISS")
            slowest = max(slowest, dt)
        assert len(upstream(fake, fresh)) == 2, upstream(fake, fresh)
        time.sleep(0.1)
    assert slowest < READ_BOUND, f"a read took {slowest:.3f}s with Redis gone"
    if os.environ.get("GHPOOL_E2E_SHOW_TIMINGS"):
        print(f"slowest read with Redis gone: {slowest:.3f}s")
    for g in (a, b):
        st = rstats(g)
        assert st["up"] is False and st["links_up"] == 0 and st["down_ms"] > 0, st
        assert st["refused"] > 0, st
        log = g.log_text()
        assert count(log, r"redis l2: unreachable at 127\.0\.0\.1:%d" % rs.port) == 1, log
        assert count(log, r"unreachable") <= 2, log   # the pub/sub link may say so too, once

    rs.start()
    for g in (a, b):
        st = wait_redis(g, up=True, timeout=8)
        assert st["reconnects"] >= 1, st
        g.wait_log(r"redis l2: reconnected", timeout=2)
    wait_until(lambda: rs.subscribers() >= 4, 8,
               message=lambda: f"4 subscribers again (have {rs.subscribers()})")
    again = REPO + "/pulls?per_page=2"
    first = get(a, again, expect="MISS")
    wait_until(lambda: rs.keys(PREFIX + "e:*"), 5, message="the new entry in Redis")
    second = get(b, again, expect="HIT")
    assert second.body == first.body
    assert len(upstream(fake, again)) == 1, upstream(fake, again)
    for g in (a, b):
        assert count(g.log_text(), r"redis l2: unreachable") == 1, g.log_text()


# ---------------------------------------------------------------------------
# 5. Redis hung, then back
# ---------------------------------------------------------------------------

def test_redis_paused_reads_stay_quick_then_recover(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=None))
    warm = ISSUES + "?per_page=3"
    get(a, warm, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 1, 5)

    rs.pause()
    slowest, n = 0.0, 20
    t_end = time.monotonic() + 3.0   # long enough for reconnect attempts to a hung server
    while time.monotonic() < t_end:
        n += 1
        fresh = f"{ISSUES}?per_page=2&page={n}"
        for g in (a, b):
            _, dt = timed_get(g, fresh, expect="MISS")
            slowest = max(slowest, dt)
        _, dt = timed_get(a, warm, expect="HIT")
        slowest = max(slowest, dt)
        assert len(upstream(fake, fresh)) == 2, upstream(fake, fresh)
        time.sleep(0.05)
    assert slowest < READ_BOUND, f"a read took {slowest:.3f}s with Redis paused"
    if os.environ.get("GHPOOL_E2E_SHOW_TIMINGS"):
        print(f"slowest read with Redis paused: {slowest:.3f}s")
    for g in (a, b):
        st = rstats(g)
        assert st["timeouts"] >= 1, st
        assert st["up"] is False, st
        log = g.log_text()
        assert count(log, r"redis l2: unreachable at 127\.0\.0\.1:%d" % rs.port) == 1, log
        assert count(log, r"redis l2: reconnected") == 0, log

    # A hung Redis does not hold up a shutdown either.
    t0 = time.monotonic()
    assert b.stop() == 0, b.log_text()
    assert time.monotonic() - t0 < 5, f"SIGTERM took {time.monotonic() - t0:.1f}s"

    rs.resume()
    wait_redis(a, up=True, timeout=10)
    a.wait_log(r"redis l2: reconnected", timeout=2)
    c = start_replicas(ghpool, rs, n=1, cache=redis_cache(rs.url, redis_timeout_ms=None))[0]
    wait_until(lambda: rs.subscribers() >= 4, 10,
               message=lambda: f"4 subscribers again (have {rs.subscribers()})")
    again = REPO + "/pulls?per_page=2"
    first = get(a, again, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 2, 5, message=lambda: f"a store: {rstats(a)}")
    second = get(c, again, expect="HIT")
    assert second.body == first.body
    assert len(upstream(fake, again)) == 1, upstream(fake, again)


# ---------------------------------------------------------------------------
# 6. configuration
# ---------------------------------------------------------------------------

def write_config(tmp_path: Path, fake, cache_lines: str, name: str = "redis.toml") -> Path:
    p = tmp_path / name
    p.write_text(
        f'listen = "127.0.0.1"\nport = {free_port()}\nupstream_url = "{fake.url}"\n'
        f'workers = 1\nallowed_owners = ["*"]\n\n[cache]\nmax_entries = 100\n{cache_lines}\n'
        f'\n[[identities]]\nid = "alice"\ntoken = "env:GHP_TEST_TOK_ALICE"\n')
    return p


@pytest.mark.parametrize("cache_lines, names", [
    ('backend = "redis"', "cache.redis_url"),
    ('backend = "redis"\nredis_url = "rediss://127.0.0.1:6379/0"', "cache.redis_url"),
    ('backend = "redis"\nredis_url = "redis://127.0.0.1:99999/0"', "cache.redis_url"),
    ('backend = "redis"\nredis_url = "redis://127.0.0.1:port/0"', "cache.redis_url"),
    ('backend = "redis"\nredis_url = "http://127.0.0.1:6379"', "cache.redis_url"),
    ('redis_url = "redis://127.0.0.1:6379/0"', "cache.redis_url"),
    ('redis_password = "env:REDIS_PW"', "cache.redis_password"),
    ('backend = "valkey"\nredis_url = "redis://127.0.0.1:6379/0"', "cache.backend"),
    ('backend = "redis"\nredis_url = "redis://127.0.0.1:6379/0"\nredis_timeout_ms = 0',
     "cache.redis_timeout_ms"),
    ('backend = "redis"\nredis_url = "redis://127.0.0.1:6379/0"\nredis_timeout_ms = 5000',
     "cache.redis_timeout_ms"),
    ('backend = "redis"\nredis_url = "redis://127.0.0.1:6379/0"\nredis_key_prefix = "a b"',
     "cache.redis_key_prefix"),
])
def test_bad_redis_configuration_is_a_startup_error(ghpool_cli, fake, tmp_path, cache_lines,
                                                    names):
    cfg = write_config(tmp_path, fake, cache_lines)
    for args in (["--config", str(cfg)], ["--config", str(cfg), "--check-config"]):
        p = ghpool_cli(args, env={"REDIS_PW": PASSWORD}, timeout=20)
        out = p.stdout + p.stderr
        assert p.returncode != 0, f"{args} exited 0:\n{out}"
        assert names in out, f"error does not name {names}:\n{out}"
        assert PASSWORD not in out


@pytest.mark.parametrize("env, names", [
    ({"GHPOOL_CACHE_BACKEND": "redis"}, "redis_url"),
    ({"GHPOOL_CACHE_BACKEND": "redis", "GHPOOL_REDIS_URL": "rediss://h:1"},
     "GHPOOL_REDIS_URL"),
    ({"GHPOOL_CACHE_BACKEND": "redis", "GHPOOL_REDIS_URL": "redis://h:0"},
     "GHPOOL_REDIS_URL"),
    ({"GHPOOL_CACHE_BACKEND": "disk"}, "GHPOOL_CACHE_BACKEND"),
])
def test_bad_redis_environment_is_a_startup_error(ghpool_cli, fake, env, names):
    env = dict(env, GHPOOL_PAT_ALICE="tok_alice", GHPOOL_UPSTREAM_URL=fake.url,
               GHPOOL_PORT=str(free_port()))
    p = ghpool_cli(["--check-config"], env=env, timeout=20)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert names in out, out


def test_check_config_masks_the_url_password(ghpool_cli, fake, tmp_path):
    cfg = write_config(tmp_path, fake, 'backend = "redis"\n'
                       f'redis_url = "redis://ghpool:{PASSWORD}@127.0.0.1:6390/2"\n'
                       'redis_timeout_ms = 80\nredis_key_prefix = "team-a:"')
    p = ghpool_cli(["--config", str(cfg), "--check-config"], timeout=20)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert PASSWORD not in out, out
    assert re.search(r'^backend = "redis"$', out, re.M), out
    assert re.search(r'^redis_url = "redis://ghpool:\*\*\*@127\.0\.0\.1:6390/2"$', out,
                     re.M), out
    assert re.search(r'^redis_key_prefix = "team-a:"$', out, re.M), out

    cfg = write_config(tmp_path, fake, 'backend = "redis"\n'
                       'redis_url = "redis://127.0.0.1:6390"\nredis_password = "env:REDIS_PW"',
                       name="ref.toml")
    p = ghpool_cli(["--config", str(cfg), "--check-config"], env={"REDIS_PW": PASSWORD},
                   timeout=20)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert PASSWORD not in out, out
    assert re.search(r'^redis_password = "env:REDIS_PW"$', out, re.M), out


def test_check_config_masks_a_url_password_holding_an_at_sign(ghpool_cli, fake, tmp_path):
    """The URL parser ends the credentials at the authority's last '@' (so 'Pa@ss...' is
    the password); --check-config must mask all of it, not stop at its first '@'."""
    pw = "Pa@ssw0rd-Secret-5e1"
    cfg = write_config(tmp_path, fake, 'backend = "redis"\n'
                       f'redis_url = "redis://ghpool:{pw}@127.0.0.1:6390/0"')
    p = ghpool_cli(["--config", str(cfg), "--check-config"], timeout=20)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert re.search(r'^redis_url = "redis://ghpool:\*\*\*@127\.0\.0\.1:6390/0"$', out,
                     re.M), out
    for part in pw.split("@"):
        assert part not in out, f"--check-config prints {part!r} of the password:\n{out}"


def test_password_from_a_secret_reference_shares_the_cache(redis_server, ghpool, fake):
    rs = redis_server(password=PASSWORD)
    cache_table = redis_cache(rs.url, redis_password="env:REDIS_PW")
    a, b = start_replicas(ghpool, rs, cache=cache_table, _env={"REDIS_PW": PASSWORD})
    target = ISSUES + "?per_page=4"
    first = get(a, target, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 1, 5, message=lambda: f"a store: {rstats(a)}")
    second = get(b, target, expect="HIT")
    assert second.body == first.body
    assert len(upstream(fake, target)) == 1
    for g in (a, b):
        assert PASSWORD not in g.log_text()
        assert "unreachable" not in g.log_text(), g.log_text()


def test_redis_from_the_environment_with_the_password_overriding_the_urls(
        redis_server, ghpool, fake):
    """GHPOOL_CACHE_BACKEND, GHPOOL_REDIS_URL (with a wrong password in it) and
    GHPOOL_REDIS_PASSWORD (the right one, which wins) over a file that names no backend."""
    rs = redis_server(password=PASSWORD)
    env = {"GHPOOL_CACHE_BACKEND": "redis",
           "GHPOOL_REDIS_URL": f"redis://:{WRONG_PASSWORD}@127.0.0.1:{rs.port}/0",
           "GHPOOL_REDIS_PASSWORD": "env:REDIS_PW", "REDIS_PW": PASSWORD}
    a, b = start_replicas(ghpool, rs, cache={"max_entries": 1000, "redis_timeout_ms": 500},
                          _env=env)
    target = ISSUES + "?per_page=6"
    first = get(a, target, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 1, 5, message=lambda: f"a store: {rstats(a)}")
    second = get(b, target, expect="HIT")
    assert second.body == first.body
    assert len(upstream(fake, target)) == 1
    for g in (a, b):
        assert PASSWORD not in g.log_text() and WRONG_PASSWORD not in g.log_text()


def test_wrong_password_degrades_and_says_so_once(redis_server, ghpool, fake):
    rs = redis_server(password=PASSWORD)
    g = ghpool(cache=redis_cache(rs.url, redis_password="env:REDIS_PW"), allowed_owners=["*"],
               workers=2, _env={"REDIS_PW": WRONG_PASSWORD})
    g.wait_log(r"redis l2: unreachable at 127\.0\.0\.1:%d" % rs.port, timeout=5)
    time.sleep(2.0)   # several attempts fail meanwhile
    for n in (1, 2, 3):
        _, dt = timed_get(g, f"{ISSUES}?per_page={n}", expect="MISS")
        assert dt < READ_BOUND, dt
        get(g, f"{ISSUES}?per_page={n}", expect="HIT")
    st = rstats(g)
    assert st["up"] is False and st["links_up"] == 0, st
    log = g.log_text()
    assert count(log, r"redis l2: unreachable") == 1, log
    assert PASSWORD not in log and WRONG_PASSWORD not in log, log


def test_memory_backend_says_so_in_stats(ghpool, fake):
    g = ghpool(cache={"max_entries": 100})
    assert g.stats()["redis"] == {"backend": "memory"}


# ---------------------------------------------------------------------------
# 7. /metrics
# ---------------------------------------------------------------------------

def test_metrics_with_redis_pass_promtool(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "?per_page=8"
    get(a, target, expect="MISS")
    wait_until(lambda: rstats(a)["stores"] >= 1, 5)
    get(b, target, expect="HIT")
    for g in (a, b):
        r = g.get("/metrics")
        assert r.status == 200, r
        promtool_check(r.text)
        assert re.search(r"^ghpool_redis_up 1$", r.text, re.M), r.text
    # And while Redis is gone (a down time is a fraction of seconds).
    rs.kill()
    wait_redis(a, up=False, timeout=5)
    time.sleep(0.2)
    r = a.get("/metrics")
    assert r.status == 200, r
    promtool_check(r.text)
    assert re.search(r"^ghpool_redis_up 0$", r.text, re.M), r.text
