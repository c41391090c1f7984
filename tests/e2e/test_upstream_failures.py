"""Upstream trouble: secondary limits, revoked tokens, connection failures, timeouts."""

from __future__ import annotations

import socket
import time

import pytest

from fake_github import FakeGitHub
from fake_github.client import wait_until

from conftest import FAKE_TOKENS, free_port  # noqa: E402  (tests/e2e on sys.path)

TARGET = "/repos/octo-org/hello"


@pytest.fixture
def alice_first(fake):
    """Make alice the first choice: bob has spent more of his core budget."""
    fake.set_budget("tok_bob", "core", remaining=3000)


def assert_json_error(r, status):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert isinstance(r.json().get("message"), str) and r.json()["message"], r.body


# ---------------------------------------------------------------------------
# secondary rate limits
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_cools_identity_and_retries_elsewhere(ghpool, fake, reads, alice_first,
                                                              status):
    g = ghpool()
    fake.add_fault("secondary", token="tok_alice", status=status, retry_after=30)
    r = g.get(TARGET)
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") == "bob"
    assert [(x.token, x.status) for x in reads(fake)] == [("tok_alice", status), ("tok_bob", 200)]
    assert g.state("alice") == "cooling"
    assert g.state("bob") == "active"
    # alice has more budget left but is cooling down: reads keep going to bob
    for _ in range(3):
        assert g.get(TARGET).header("X-Ghpool-Identity") == "bob"
    assert {x.token for x in reads(fake)[2:]} == {"tok_bob"}


def test_secondary_limit_named_in_body_without_retry_after(ghpool, fake, reads, alice_first):
    g = ghpool()
    fake.add_fault("secondary", token="tok_alice", retry_after=None)
    r = g.get(TARGET)
    assert r.status == 200 and r.header("X-Ghpool-Identity") == "bob"
    assert g.state("alice") == "cooling"
    time.sleep(1.5)  # the default cooldown is 60 s, not a second or so
    assert g.state("alice") == "cooling"


def test_cooldown_expires_after_retry_after(ghpool, fake, reads, alice_first):
    g = ghpool()
    fake.add_fault("secondary", token="tok_alice", retry_after=2)
    assert g.get(TARGET).header("X-Ghpool-Identity") == "bob"
    assert g.state("alice") == "cooling"
    wait_until(lambda: g.state("alice") == "active", 8, interval=0.1,
               message="alice to leave the cooling state")
    assert g.get(TARGET).header("X-Ghpool-Identity") == "alice"


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_without_other_identity_returns_upstream_answer(ghpool, fake, reads,
                                                                        status):
    g = ghpool(identities=["alice"])
    fake.add_fault("secondary", token="tok_alice", status=status, retry_after=7)
    r = g.get(TARGET)
    assert r.status == status, r
    assert "secondary rate limit" in r.json()["message"]
    assert r.header("Retry-After") == "7"
    assert len(reads(fake)) == 1
    assert g.state("alice") == "cooling"


def test_secondary_limit_on_every_identity_is_retried_only_once(ghpool, fake, reads):
    g = ghpool()
    fake.add_fault("secondary", path=TARGET, retry_after=5, count=None)
    r = g.get(TARGET)
    assert r.status == 403, r
    assert "secondary rate limit" in r.json()["message"]
    assert r.header("Retry-After") == "5"
    assert len(reads(fake)) == 2, reads(fake)
    assert {x.token for x in reads(fake)} == {"tok_alice", "tok_bob"}
    assert g.state("alice") == "cooling" and g.state("bob") == "cooling"


def test_ordinary_403_is_delivered_without_cooldown(ghpool, fake, reads, alice_first):
    g = ghpool()
    body = {"message": "Resource not accessible by personal access token",
            "documentation_url": "https://docs.github.com/rest"}
    fake.add_fault("status", token="tok_alice", status=403, body=body)
    r = g.get(TARGET)
    assert r.status == 403 and r.json() == body
    assert len(reads(fake)) == 1
    assert g.state("alice") == "active"


# ---------------------------------------------------------------------------
# revoked token mid-run
# ---------------------------------------------------------------------------

def test_401_mid_run_disables_identity_and_retries(ghpool, fake, reads, alice_first):
    g = ghpool()
    fake.add_fault("bad_credentials", token="tok_alice", permanent=True)
    r = g.get(TARGET)
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") == "bob"
    assert [(x.token, x.status) for x in reads(fake)] == [("tok_alice", 401), ("tok_bob", 200)]
    assert g.state("alice") == "disabled"
    assert g.identity("alice")["errors"] >= 1
    for _ in range(4):
        assert g.get(TARGET).header("X-Ghpool-Identity") == "bob"
    assert len(fake.requests(token="tok_alice", path="/repos")) == 1
    g.wait_log(r"(?i)alice[^\n]*disabl")


def test_401_with_single_identity_leaves_no_usable_identity(ghpool, fake, reads):
    g = ghpool(identities=["alice"])
    fake.add_fault("bad_credentials", token="tok_alice", permanent=True)
    first = g.get(TARGET)
    assert first.status in (401, 503), first
    assert g.state("alice") == "disabled"
    r = g.get(TARGET)
    assert_json_error(r, 503)
    assert len(reads(fake)) == 1


# ---------------------------------------------------------------------------
# connection failures and timeouts
# ---------------------------------------------------------------------------

def test_upstream_gone_gives_502_and_ghpool_keeps_serving(ghpool):
    other = FakeGitHub(FAKE_TOKENS).start()
    try:
        g = ghpool(upstream_url=other.url)
        assert g.get(TARGET).status == 200
    finally:
        other.stop()
    for _ in range(2):
        assert_json_error(g.get(TARGET), 502)
    assert g.get("/healthz").status == 200
    assert g.get("/stats").status == 200


def test_upstream_closed_port_at_startup(ghpool):
    g = ghpool(upstream_url=f"http://127.0.0.1:{free_port()}")
    assert g.get("/healthz").status == 200
    assert_json_error(g.get(TARGET), 502)
    assert g.get("/healthz").status == 200


def test_connection_reset_gives_502(ghpool, fake):
    g = ghpool()
    fake.add_fault("reset", path=TARGET, count=None)
    assert_json_error(g.get(TARGET), 502)
    assert fake.requests(TARGET), "the read never reached upstream"
    fake.clear_faults()
    assert g.get(TARGET).status == 200


def test_upstream_timeout_gives_504(ghpool, fake):
    g = ghpool()  # upstream_timeout_secs = 2
    fake.add_fault("hang", path=TARGET, seconds=6, count=None)
    t0 = time.monotonic()
    r = g.get(TARGET, timeout=30)
    elapsed = time.monotonic() - t0
    assert_json_error(r, 504)
    assert 1.5 <= elapsed < 5.5, elapsed
    fake.clear_faults()
    assert g.get(TARGET).status == 200
    assert g.get("/repos/octo-org/hello/issues?per_page=1").status == 200


@pytest.mark.parametrize("hang", [1.5, None], ids=["answer-after-client-left", "timeout-after-client-left"])
def test_client_disconnect_mid_fetch(ghpool, fake, hang):
    g = ghpool()
    path = "/repos/octo-org/hello/issues?per_page=3"
    fake.add_fault("hang", path="/repos/octo-org/hello/issues", seconds=hang, count=3)
    socks = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", g.port), timeout=5)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        socks.append(s)
    wait_until(lambda: fake.requests("/repos/octo-org/hello/issues"), 10,
               message="the reads to reach upstream")
    time.sleep(0.3)
    for s in socks:
        s.close()
    # meanwhile ghpool serves others
    assert g.get("/healthz").status == 200
    assert g.get("/repos/alice/tools").status == 200
    time.sleep(2.5)  # the hung answers arrive / time out with nobody to deliver to
    assert g.alive(), g.log_text()
    assert g.get("/healthz").status == 200
    fake.clear_faults()
    assert g.get(path).status == 200



def test_hung_reads_do_not_block_other_reads(ghpool, fake):
    # Two reads hang upstream (within the timeout); unrelated reads must not queue
    # behind them, also right after startup when no upstream connection is warm yet.
    g = ghpool(upstream_timeout_secs=10)
    fake.add_fault("hang", path="/repos/octo-org/hello/issues", seconds=4, count=2)
    socks = []
    for n in (1, 2):
        s = socket.create_connection(("127.0.0.1", g.port), timeout=10)
        s.sendall(f"GET /repos/octo-org/hello/issues?page={n} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        socks.append(s)
    try:
        wait_until(lambda: fake.requests("/repos/octo-org/hello/issues"), 10,
                   message="a slow read to be upstream")
        time.sleep(0.3)
        for target in ("/repos/alice/tools", "/repos/octo-org/world", "/meta"):
            t0 = time.monotonic()
            r = g.get(target)
            assert r.status == 200, r
            assert time.monotonic() - t0 < 1.5, f"{target} waited behind the hung reads"
    finally:
        for s in socks:
            s.close()
