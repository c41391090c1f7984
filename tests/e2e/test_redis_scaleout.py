"""[cache] backend = "redis" (issue #9): replicas sharing an L2 cache, fetch locks and
rate-limit budgets through one Redis, and serving on without it.

Black-box: a real ``redis-server`` (started here on a free loopback port, nothing saved
to disk, killed at teardown) and two or more ghpool processes in front of the fake
GitHub. The fake's request log tells how many reads reached "GitHub";
``X-Ghpool-Cache`` / ``X-Ghpool-Identity`` and ``/stats`` (section ``redis``) tell what
each replica did; a few raw Redis commands (``PUBSUB NUMSUB``, ``KEYS``) tell when the
replicas are subscribed and what they stored. Faults on Redis are signals to its
process: SIGKILL (gone, then restarted on the same port), SIGSTOP/SIGCONT (hung), or
``CLIENT PAUSE ... WRITE`` (reads answered, writes held).

Writes (section 8) pass through with the client's own token and give their groups new
versions in Redis: the tests check what the fake was asked after them (If-None-Match,
200 or a free 304) and that no replica serves an answer from before a write out of L2.

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
                    "budget_refreshes", "budget_refresh_failures", "replicas",
                    "lookup_errors", "outdated", "skipped_written", "superseded",
                    "versions_set", "version_retries", "versions_failed"}
# A read that waited on a dead or hung Redis would take seconds (connect and command
# deadlines, backoff); one that did not takes milliseconds, tens under ASan.
READ_BOUND = 1.0
# The fake GitHub answers this path slowly in the concurrency test.
SLOW_MS = 800
PASSWORD = "s3cret-Redis-pw-7f2c"
# Writes are passed through with the client's own token (never a pooled one).
CLIENT_TOKEN = "tok_carol"
CLIENT_AUTH = f"token {CLIENT_TOKEN}"
# A write confirmed by Redis has set one new version per group: /graphql and, for a
# REST write under a repository, the repository.
REST_WRITE_GROUPS = 2
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


def keyed(g, key: str):
    """g's /stats (and so rstats, wait_stat, wait_redis) asked with a [[clients]] key,
    which /stats needs once clients are configured."""
    def stats() -> dict[str, Any]:
        r = g.get("/stats", headers={"X-Ghpool-Key": key})
        assert r.status == 200, r
        return r.json()
    g.stats = stats
    return g


def start_replicas(ghpool, rs: RedisServer, n: int = 2, workers: int = 2,
                   stats_key: str | None = None, **kw: Any) -> list:
    """n ghpool processes on rs, each with its links up and every worker subscribed
    (stats_key: the [[clients]] key their /stats is asked with)."""
    cache_table = kw.pop("cache", None) or redis_cache(rs.url)
    kw.setdefault("allowed_owners", ["*"])
    kw.setdefault("identities", ["alice", "bob"])
    gs = [ghpool(cache=dict(cache_table), workers=workers, **kw) for _ in range(n)]
    for g in gs:
        if stats_key is not None:
            keyed(g, stats_key)
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


def get(g, target: str, expect: str | None = None, timeout: float = 30,
        headers: dict[str, str] | None = None) -> Reply:
    r = g.get(target, headers=headers, timeout=timeout)
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
        # Once per process: every worker's command links are one log group (pub/sub
        # losses are debug lines).
        assert count(log, r"unreachable") == 1, log

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


# ---------------------------------------------------------------------------
# 8. writes: group versions
# ---------------------------------------------------------------------------

def write(g, method: str, target: str, body: Any,
          headers: dict[str, str] | None = None) -> Reply:
    """A REST write through g with the client's own token; it must succeed."""
    r = g.request(method, target, headers={"Authorization": CLIENT_AUTH,
                                           "Content-Type": "application/json",
                                           **(headers or {})},
                  body=json.dumps(body), timeout=30)
    assert 200 <= r.status < 300, (r, r.headers)
    assert outcome(r) == "BYPASS", r.headers
    return r


def graphql(g, query: str, auth: str | None = None) -> Reply:
    hdrs = {"Content-Type": "application/json"}
    if auth is not None:
        hdrs["Authorization"] = auth
    r = g.request("POST", "/graphql", headers=hdrs, body=json.dumps({"query": query}),
                  timeout=30)
    assert r.status == 200, (r, r.headers)
    return r


def wait_stat(g, key: str, n: int, timeout: float = 5.0) -> dict[str, Any]:
    """Until g's /stats redis[key] >= n (fills and version SETs are fire and forget:
    Redis confirms them within milliseconds)."""
    def check():
        st = rstats(g)
        return st if st[key] >= n else None
    return wait_until(check, timeout, interval=0.01,
                      message=lambda: f"{key} >= {n} on {g.url}: {rstats(g)}")


def writes_upstream(fake, method: str) -> list:
    recs = fake.requests(method=method)
    assert recs and all(r.token == CLIENT_TOKEN for r in recs), \
        [(r.method, r.path, r.token) for r in recs]
    return recs


def title(r: Reply) -> str:
    return r.json()["title"]


def test_a_write_outdates_what_other_replicas_stored_before_it(redis_server, ghpool, fake):
    """Read-your-write across replicas. A fills the issue, B serves it from L2; B fills the
    listing. B writes the issue: B's next read asks GitHub with the old ETag, and so does
    A's first read of the listing (in L2 from before the write, outdated): neither is
    served the answer from before the write. (A's own L1 copy of the issue lives out its
    TTL: a documented limit, not tested here.)"""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    issue, listing = ISSUES + "/95", ISSUES + "?per_page=5"   # the listing shows #95
    first = get(a, issue, expect="MISS")
    wait_stat(a, "stores", 1)
    shared = get(b, issue, expect="HIT")
    assert shared.body == first.body and len(upstream(fake, issue)) == 1
    old_list = get(b, listing, expect="MISS")
    wait_stat(b, "stores", 1)
    assert title(first) in old_list.text

    new_title = "Edited through replica B"
    w = write(b, "PATCH", issue, {"title": new_title})
    assert title(w) == new_title
    assert len(writes_upstream(fake, "PATCH")) == 1
    wait_stat(b, "versions_set", REST_WRITE_GROUPS)

    # The writer reads its write: asked GitHub with the old ETag, got the new body.
    mine = get(b, issue)
    assert outcome(mine) != "HIT" and title(mine) == new_title, (mine.headers, mine.text)
    recs = upstream(fake, issue)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers

    # A never read the listing: Redis's copy predates the write and is not served.
    theirs = get(a, listing)
    assert outcome(theirs) not in ("HIT", "STALE"), theirs.headers
    assert new_title in theirs.text and title(first) not in theirs.text, theirs.text
    recs = upstream(fake, listing)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == old_list.header("ETag"), recs[1].headers
    assert recs[1].token == TOKENS[ident(old_list)], (recs[1].token, old_list.headers)
    sa, sb = rstats(a), rstats(b)
    assert sa["outdated"] == 1 and sa["l2_hits"] == 0, sa
    assert sb["outdated"] == 1 and sb["skipped_written"] == 0, sb

    # What A got after the write is current in L2: B (whose copy of the listing its own
    # write made stale) is served it from there, with no further upstream request.
    wait_stat(a, "stores", 2)
    again = get(b, listing, expect="HIT")
    assert again.body == theirs.body and len(upstream(fake, listing)) == 2, \
        upstream(fake, listing)


BY_ID = "/repositories/1001"          # octo-org/hello, by id


@pytest.mark.parametrize("read_under,write_under", [
    pytest.param(BY_ID, REPO, id="read-by-id-write-by-name"),
    pytest.param(REPO, BY_ID, id="read-by-name-write-by-id"),
])
def test_a_write_outdates_entries_read_under_the_other_spelling(redis_server, ghpool, fake,
                                                                read_under, write_under):
    """A fills an issue read under one spelling of the repository (/repos/{owner}/{name}
    or /repositories/{id}); B writes it under the other. B's first read under A's spelling
    must not be the entry from before the write. Reads by id are grouped in Redis by the
    name their id resolved to, so a replica that writes by name need not know the id.
    (Ids are resolved only when allowed_owners names owners: with "*" they are not, and
    the two spellings stay apart; the README says so.)"""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, allowed_owners=["octo-org"])
    issue = "/issues/4"
    first = get(a, read_under + issue, expect="MISS")
    wait_stat(a, "stores", 1)
    new_title = "Written under the other spelling"
    write(b, "PATCH", write_under + issue, {"title": new_title})
    wait_stat(b, "versions_set", REST_WRITE_GROUPS)
    theirs = get(b, read_under + issue)
    assert outcome(theirs) not in ("HIT", "STALE"), theirs.headers
    assert title(theirs) == new_title and title(first) != new_title, theirs.text
    assert rstats(b)["outdated"] == 1, rstats(b)


def test_a_read_racing_a_write_is_not_shared(redis_server, ghpool, fake):
    """B's read is at GitHub (slow) when a write through A lands: B's answer may predate the
    write, so it is not stored in Redis (superseded), and A's later read of the same key
    asks GitHub rather than taking B's answer from L2."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "/93"
    fake.add_fault("latency", path=target, method="GET", ms=1500)
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("b", b.get(target, timeout=30)))
    t.start()
    try:
        # B read the group's version and took the key's lock; its fetch is at GitHub.
        wait_until(lambda: upstream(fake, target) and rs.keys(PREFIX + "l:*"), 5,
                   interval=0.01, message="B's slow read at the fake, holding the lock")
        new_title = "Edited while B was reading"
        write(a, "PATCH", target, {"title": new_title})
        wait_stat(a, "versions_set", REST_WRITE_GROUPS)
        (slow_rec,) = upstream(fake, target)
        assert slow_rec.status is None, "B's read ended before the write: no race"
    finally:
        t.join(30)
    fake.clear_faults()
    slow = out["b"]
    assert slow.status == 200 and outcome(slow) == "MISS", (slow, slow.headers)
    sb = wait_stat(b, "superseded", 1)
    assert sb["stores"] == 0, sb
    assert rs.keys(PREFIX + "e:*") == [], "the raced answer was stored in Redis"
    assert rs.keys(PREFIX + "l:*") == [], "B's lock was left behind"

    fresh = get(a, target, expect="MISS")
    assert title(fresh) == new_title
    recs = upstream(fake, target)
    assert len(recs) == 2 and recs[1].status == 200, recs
    assert recs[1].header("If-None-Match") is None, recs[1].headers
    sa = rstats(a)
    assert sa["l2_hits"] == 0 and sa["outdated"] == 0, sa


def test_an_outdated_entry_revalidates_for_free_then_is_current_for_all(redis_server,
                                                                        ghpool, fake):
    """A write to another issue of the repository (named in another case) outdates A's
    entry; B's first read revalidates it with its ETag and its fetcher's token: a free
    304. B writes the confirmed entry back under the new version, so C is served it."""
    rs = redis_server()
    a, b, c = start_replicas(ghpool, rs, n=3)
    target = ISSUES + "/1"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    write(b, "PATCH", "/repos/Octo-Org/HELLO/issues/2", {"title": "Another issue edited"})
    wait_stat(b, "versions_set", REST_WRITE_GROUPS)

    again = get(b, target, expect="REVALIDATED")
    assert again.body == first.body and again.header("ETag") == first.header("ETag")
    assert ident(again) == ident(first)
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 304], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    assert recs[1].token == TOKENS[ident(first)], (recs[1].token, first.headers)
    assert recs[1].counted is False, "the revalidation was not free"
    sb = wait_stat(b, "stores", 1)
    assert sb["outdated"] == 1 and sb["l2_hits"] == 0, sb

    third = get(c, target, expect="HIT")
    assert third.body == first.body
    assert len(upstream(fake, target)) == 2, upstream(fake, target)
    sc = rstats(c)
    assert sc["l2_hits"] == 1 and sc["outdated"] == 0, sc


def test_a_revalidation_refreshes_the_shared_entry(redis_server, ghpool, fake):
    """Expired on both tiers: A's read revalidates (304) and writes the refreshed entry back
    to Redis, so B (which never read it) is served it without asking GitHub again."""
    rs = redis_server()
    ttl = 2
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, issue_list_ttl_secs=ttl))
    target = ISSUES + "/4"
    first = get(a, target, expect="MISS")
    fetched = time.monotonic()
    wait_stat(a, "stores", 1)
    time.sleep(max(0.0, fetched + ttl + 0.2 - time.monotonic()))   # past the TTL

    again = get(a, target, expect="REVALIDATED")
    assert again.body == first.body
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 304], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    wait_stat(a, "stores", 2)

    shared = get(b, target, expect="HIT")
    assert shared.body == first.body and shared.header("ETag") == first.header("ETag")
    assert len(upstream(fake, target)) == 2, upstream(fake, target)
    sb = rstats(b)
    assert sb["l2_hits"] == 1 and sb["outdated"] == 0, sb


@pytest.mark.parametrize("how", ["rest", "graphql"])
def test_a_write_outdates_shared_graphql_answers(redis_server, ghpool, fake, how):
    """A GraphQL query cached through A; then a write through A (REST, or a GraphQL
    mutation, both with the client's token) changes what it asks for. B, which never ran
    the query, asks GitHub and gets the new answer rather than Redis's copy."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    query = ('query { repository(owner: "octo-org", name: "hello") '
             '{ issue(number: 5) { id title } } }')
    ga = graphql(a, query)
    assert outcome(ga) == "MISS", ga.headers
    wait_stat(a, "stores", 1)
    node = ga.json()["data"]["repository"]["issue"]
    new_title = f"Edited by a {how} write"
    if how == "rest":
        write(a, "PATCH", ISSUES + "/5", {"title": new_title})
        writes_upstream(fake, "PATCH")
        groups = REST_WRITE_GROUPS
    else:
        m = graphql(a, 'mutation { updateIssue(input: {id: "%s", title: "%s"}) '
                       '{ issue { title } } }' % (node["id"], new_title), auth=CLIENT_AUTH)
        assert outcome(m) == "BYPASS" and "errors" not in m.json(), (m.headers, m.text)
        muts = [r for r in fake.requests("/graphql", method="POST") if r.gql_type == "mutation"]
        assert [r.token for r in muts] == [CLIENT_TOKEN], muts
        groups = 1
    wait_stat(a, "versions_set", groups)

    gb = graphql(b, query)
    assert outcome(gb) in ("MISS", "REVALIDATED"), gb.headers
    assert gb.json()["data"]["repository"]["issue"]["title"] == new_title, gb.text
    queries = [r for r in fake.requests("/graphql", method="POST") if r.gql_type == "query"]
    assert len(queries) == 2 and all(r.token in TOKENS.values() for r in queries), queries
    sb = rstats(b)
    assert sb["outdated"] == 1 and sb["l2_hits"] == 0, sb


def test_a_write_is_answered_once_its_version_is_in_redis(redis_server, ghpool, fake):
    """Redis holds write commands (CLIENT PAUSE WRITE) while reads go on: A's write cannot
    set the new version yet, so Redis still offers the entry from before it as current.
    The writer's answer waits for the version (within redis_timeout_ms), so no client holds
    a write's answer while any replica may serve what it changed. Meanwhile another read of
    that group through A skips L2 (skipped_written) and asks GitHub."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=1000))
    target = ISSUES + "/6"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    assert rs.command("CLIENT", "PAUSE", 700, "WRITE") == "OK"
    new_title = "Edited while Redis held writes"
    done: dict[str, Any] = {}
    t0 = time.monotonic()

    def send():
        done["reply"] = write(a, "PATCH", target, {"title": new_title})
        done["secs"] = time.monotonic() - t0

    writer = threading.Thread(target=send)
    writer.start()
    # Not only at GitHub: A has its answer and has invalidated (a read before that is
    # simply concurrent with the write, and may be A's own L1 hit).
    wait_until(lambda: a.stats()["cache"]["invalidations"] >= 1 or None, 5, interval=0.005,
               message="A never invalidated after the PATCH")
    mine = get(a, target)
    st = rstats(a)
    assert "reply" not in done, "the write was answered before Redis had its version"
    assert st["versions_set"] == 0, f"the pause did not hold the version back: {st}"
    assert st["skipped_written"] >= 1, st
    assert title(mine) == new_title and outcome(mine) != "HIT", (mine.headers, mine.text)
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers

    writer.join(10)
    assert "reply" in done, "the write was never answered"
    assert done["secs"] >= 0.4, f"answered after {done['secs']:.3f} s, before Redis resumed"
    st = rstats(a)
    assert st["versions_set"] == REST_WRITE_GROUPS, st
    # B, with nothing of its own, finds the entry A refetched, not the one from before.
    theirs = get(b, target)
    assert title(theirs) == new_title, theirs.text
    skipped = st["skipped_written"]
    other = ISSUES + "/7"
    get(a, other, expect="MISS")
    st = rstats(a)
    assert st["skipped_written"] == skipped and st["l2_misses"] >= 2, st
    assert st["up"] and st["timeouts"] == 0, st


def test_a_write_is_answered_within_the_deadline_when_redis_hangs(redis_server, ghpool, fake):
    """Redis stops answering (SIGSTOP) as A passes a write: the answer waits no longer than
    redis_timeout_ms for the version, and the write itself is never lost."""
    rs = redis_server()
    a, _b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=200))
    target = ISSUES + "/8"
    get(a, target, expect="MISS")
    rs.pause()
    try:
        t0 = time.monotonic()
        write(a, "PATCH", target, {"title": "Written while Redis hung"})
        secs = time.monotonic() - t0
    finally:
        rs.resume()
    assert secs < 1.5, f"the write waited {secs:.3f} s on Redis"
    assert len(writes_upstream(fake, "PATCH")) == 1


def test_an_outdated_entry_never_stands_in_for_an_error(redis_server, ghpool, fake):
    """stale-if-error is for expired entries: one from before a write may say what the
    write changed, so when GitHub fails, B answers with the failure, not with it."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, stale_if_error_secs=60))
    target = ISSUES + "/1"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    new_title = "Edited before GitHub failed"
    write(b, "PATCH", target, {"title": new_title})
    wait_stat(b, "versions_set", REST_WRITE_GROUPS)

    fake.add_fault("status", path=target, status=502, count=1)
    failed = b.get(target)
    assert failed.status == 502, (failed, failed.headers)
    assert outcome(failed) != "STALE" and title(first).encode() not in failed.body, \
        (failed.headers, failed.body[:200])
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 502], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers

    ok = get(b, target)
    assert title(ok) == new_title, ok.text
    assert [r.status for r in upstream(fake, target)] == [200, 502, 200]
    sb = rstats(b)
    assert sb["outdated"] == 2 and sb["l2_hits"] == 0, sb


def test_a_version_lost_with_redis_is_set_when_it_is_back(redis_server, ghpool, fake):
    """Redis hangs (SIGSTOP) as A passes a write through: the new version cannot be set.
    A sends it again once its link is back, before B (which never read the issue) can
    take the entry from before the write as current."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=None))
    target = ISSUES + "/1"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)

    rs.pause()
    try:
        new_title = "Edited while Redis hung"
        t0 = time.monotonic()
        write(a, "PATCH", target, {"title": new_title})
        assert time.monotonic() - t0 < READ_BOUND, "the write waited on a hung Redis"
        wait_redis(a, up=False, timeout=5)
        assert rstats(a)["versions_set"] == 0, rstats(a)
    finally:
        rs.resume()
    wait_redis(a, up=True, timeout=10)
    sa = wait_stat(a, "versions_set", REST_WRITE_GROUPS, timeout=5)
    assert sa["version_retries"] >= REST_WRITE_GROUPS and sa["reconnects"] >= 1, sa
    assert count(a.log_text(), r"redis l2: unreachable") == 1, a.log_text()

    wait_redis(b, up=True, timeout=10)
    theirs = get(b, target)
    assert outcome(theirs) not in ("HIT", "STALE") and title(theirs) == new_title, \
        (theirs.headers, theirs.text)
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    assert rstats(b)["outdated"] == 1, rstats(b)


# Two [[clients]] under allowed_owners ["*"]: R may read octo-org only, so a replica
# serving R resolves repository ids to their names (and a read by id is then in both
# groups); S may read anything, so for S nobody resolves (its reads by id are in the
# /repositories/{id} group alone).
R_KEY, S_KEY = "reader-r-key-5d1e9a3c", "writer-s-key-8b2f7c04"
MIXED_CLIENTS = [{"id": "reader-r", "key": "env:R_KEY", "allowed_owners": ["octo-org"]},
                 {"id": "writer-s", "key": "env:S_KEY"}]
MIXED_ENV = {"R_KEY": R_KEY, "S_KEY": S_KEY}


@pytest.mark.parametrize("reader_key", [pytest.param(S_KEY, id="unrestricted-reader"),
                                        pytest.param(R_KEY, id="restricted-reader")])
def test_a_write_by_id_outdates_an_entry_a_resolving_replica_filled(redis_server, ghpool,
                                                                    fake, reader_key):
    """Mixed policy. C fills an issue read by id for R: C resolved the id, so the entry
    is in both /repositories/1001 and /repos/octo-org/hello. A passes S's write to the
    same issue by id without resolving it: only /repositories/1001 (and /graphql) get new
    versions. B, which learnt nothing before, then reads it by id for S (no name: one
    group) or for R (resolves: both groups): either way the entry is outdated, not a HIT
    with the title from before the write."""
    rs = redis_server()
    a, b, c = start_replicas(ghpool, rs, n=3, stats_key=S_KEY, clients=MIXED_CLIENTS,
                             _env=dict(MIXED_ENV))
    target = BY_ID + "/issues/4"
    r_hdrs, reader = {"X-Ghpool-Key": R_KEY}, {"X-Ghpool-Key": reader_key}
    first = get(c, target, expect="MISS", headers=r_hdrs)
    wait_stat(c, "stores", 1)
    # C's fill created both groups' versions: the entry is in both.
    assert len(rs.keys(PREFIX + "v:*")) == 2, rs.keys(PREFIX + "v:*")

    new_title = "Edited by id by an unrestricted client"
    write(a, "PATCH", target, {"title": new_title}, headers={"X-Ghpool-Key": S_KEY})
    assert len(writes_upstream(fake, "PATCH")) == 1
    wait_stat(a, "versions_set", REST_WRITE_GROUPS)

    theirs = get(b, target, headers=reader)
    assert outcome(theirs) not in ("HIT", "STALE"), theirs.headers
    assert title(theirs) == new_title and title(first) != new_title, theirs.text
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    sb = rstats(b)
    assert sb["outdated"] >= 1 and sb["l2_hits"] == 0, sb


def test_a_lost_version_outdates_its_entries(redis_server, ghpool, fake):
    """A's fill created its group's version (no entry is stored under a missing one).
    Redis then loses every version key (as an eviction or a fail-over may): B's read of
    the entry is not a HIT but a revalidation with its ETag, a free 304."""
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "/3"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    versions = rs.keys(PREFIX + "v:*")
    assert len(versions) == 1, f"the fill set no version of its group: {versions}"
    assert rs.command("PTTL", versions[0]) > 0, "the version has no expiry"
    assert rs.command("DEL", *versions) == len(versions)

    again = get(b, target, expect="REVALIDATED")
    assert again.body == first.body and again.header("ETag") == first.header("ETag")
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 304], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    assert recs[1].token == TOKENS[ident(first)], (recs[1].token, first.headers)
    sb = wait_stat(b, "stores", 1)
    assert sb["outdated"] >= 1 and sb["l2_hits"] == 0, sb
    # Written back under a fresh version of the group.
    assert len(rs.keys(PREFIX + "v:*")) == 1, rs.keys(PREFIX + "v:*")


def test_a_version_redis_refused_is_set_once_it_accepts(redis_server, ghpool, fake):
    """Redis answers the write's version SET with an error (OOM: maxmemory 1 under
    noeviction refuses writes, reads go on). The write is answered at once, not held;
    A tries the version again every 250 ms, and once Redis takes writes again (maxmemory
    0) it is set within a second: B's read of an entry filled before the write is then
    outdated, not a HIT. Nothing is given up, so nothing is logged."""
    rs = redis_server()
    timeout_ms = 500
    a, b = start_replicas(ghpool, rs, cache=redis_cache(rs.url, redis_timeout_ms=timeout_ms))
    target = ISSUES + "/2"
    first = get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    (vkey,) = rs.keys(PREFIX + "v:*")
    old_version = rs.command("GET", vkey)

    assert rs.command("CONFIG", "SET", "maxmemory-policy", "noeviction") == "OK"
    assert rs.command("CONFIG", "SET", "maxmemory", "1") == "OK"
    try:
        with pytest.raises(RedisError, match="OOM"):
            rs.command("SET", "probe", "x")
        new_title = "Edited while Redis refused writes"
        t0 = time.monotonic()
        write(a, "PATCH", target, {"title": new_title})
        secs = time.monotonic() - t0
        assert secs < timeout_ms / 1000 + READ_BOUND, f"the write waited {secs:.3f} s"
        sa = wait_stat(a, "version_retries", 1, timeout=3)
        assert sa["versions_set"] == 0 and sa["errors"] >= REST_WRITE_GROUPS, sa
        assert rs.command("GET", vkey) == old_version, "the version was set under OOM"
    finally:
        assert rs.command("CONFIG", "SET", "maxmemory", "0") == "OK"
    t1 = time.monotonic()
    sa = wait_stat(a, "versions_set", REST_WRITE_GROUPS, timeout=1.0)
    assert sa["version_retries"] >= 1 and sa["up"], sa
    assert sa["versions_failed"] == 0, sa
    assert rs.command("GET", vkey) != old_version
    assert "could not be set" not in a.log_text(), a.log_text()
    if os.environ.get("GHPOOL_E2E_SHOW_TIMINGS"):
        print(f"version set {time.monotonic() - t1:.3f}s after Redis accepted writes")

    theirs = get(b, target)
    assert outcome(theirs) not in ("HIT", "STALE") and title(theirs) == new_title, \
        (theirs.headers, theirs.text)
    recs = upstream(fake, target)
    assert [r.status for r in recs] == [200, 200], recs
    assert recs[1].header("If-None-Match") == first.header("ETag"), recs[1].headers
    assert rstats(b)["outdated"] == 1, rstats(b)


def test_metrics_count_versions_and_outdated_entries(redis_server, ghpool, fake):
    rs = redis_server()
    a, b = start_replicas(ghpool, rs)
    target = ISSUES + "/8"
    get(a, target, expect="MISS")
    wait_stat(a, "stores", 1)
    write(a, "PATCH", ISSUES + "/9", {"title": "Edited for the metrics"})
    sa = wait_stat(a, "versions_set", REST_WRITE_GROUPS)
    get(b, target, expect="REVALIDATED")
    sb = wait_stat(b, "outdated", 1)
    series = {"ghpool_l2_outdated_total": "outdated",
              "ghpool_l2_superseded_total": "superseded",
              "ghpool_l2_skipped_written_total": "skipped_written",
              "ghpool_l2_versions_set_total": "versions_set"}
    for g, st in ((a, sa), (b, sb)):
        r = g.get("/metrics")
        assert r.status == 200, r
        promtool_check(r.text)
        st = rstats(g)
        for name, key in series.items():
            m = re.search(r"^%s (\d+)$" % name, r.text, re.M)
            assert m, f"{name} missing:\n{r.text}"
            assert int(m.group(1)) == st[key], (name, m.group(0), st)
        m = re.search(r'^ghpool_l2_requests_total\{result="error"\} (\d+)$', r.text, re.M)
        assert m and int(m.group(1)) == st["lookup_errors"], (m, st)
    assert rstats(a)["versions_set"] == REST_WRITE_GROUPS
    assert rstats(b)["versions_set"] == 0 and rstats(b)["outdated"] == 1
