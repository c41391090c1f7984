"""Startup: identity probes, disabled identities, shared budgets, /healthz."""

from __future__ import annotations

import re
import socket
import time

from fake_github.client import request, wait_until


def test_healthz_answers_ok(ghpool):
    g = ghpool()
    r = g.get("/healthz")
    assert r.status == 200
    assert r.body.strip() == b"ok"


def test_probes_rate_limit_then_user_for_each_identity(ghpool, fake, token_of):
    ghpool(identities=["alice", "bob", "carol"])
    for ident in ("alice", "bob", "carol"):
        seen = [r.path_only for r in fake.requests(token=token_of[ident])]
        assert seen[:2] == ["/rate_limit", "/user"], (ident, seen)
        assert all(r.method == "GET" for r in fake.requests(token=token_of[ident]))


def test_listens_only_after_probes_complete(ghpool, fake):
    # Slow down every /user probe; ghpool must not accept connections before they finish.
    fake.add_fault("hang", path="/user", seconds=1.0, count=None)
    g = ghpool(_wait=False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert g.alive(), g.log_text()
        try:
            socket.create_connection(("127.0.0.1", g.port), timeout=0.5).close()
        except OSError:
            time.sleep(0.02)
            continue
        user_probes = fake.requests("/user")
        assert len(user_probes) == 2 and all(r.status == 200 for r in user_probes), \
            f"ghpool listened before its /user probes finished: {user_probes}"
        break
    else:
        raise AssertionError("ghpool never listened\n" + g.log_text())
    g.wait_healthy()


def test_budgets_are_seeded_from_the_probes(ghpool, fake):
    reset = int(time.time()) + 777
    fake.set_budget("tok_alice", "search", remaining=7, reset=reset)
    fake.set_budget("tok_bob", "core", remaining=1234)
    g = ghpool()
    alice, bob = g.identity("alice"), g.identity("bob")
    assert alice["login"] == "alice-gh" and bob["login"] == "bob-gh"
    search = alice["buckets"]["search"]
    assert {k: search[k] for k in ("limit", "remaining", "used", "reset")} == \
        {"limit": 30, "remaining": 7, "used": 23, "reset": reset}
    truth = fake.budget("tok_bob", "core")
    assert bob["buckets"]["core"]["reset"] == truth["reset"]
    assert bob["buckets"]["core"]["limit"] == 5000
    assert bob["buckets"]["core"]["remaining"] in (1234, 1233)


def test_user_probe_cost_is_reflected_in_the_budget(ghpool, fake):
    # /rate_limit is free but the /user probe costs a core point; its answer's
    # x-ratelimit-* headers are the freshest word on the budget.
    fake.set_budget("tok_bob", "core", remaining=1234)
    g = ghpool()
    truth = fake.budget("tok_bob", "core")
    assert truth["remaining"] == 1233
    assert g.identity("bob")["buckets"]["core"]["remaining"] == truth["remaining"]


def test_revoked_token_disables_identity_at_startup(ghpool, fake):
    fake.revoke("tok_bob")
    g = ghpool()
    assert g.state("bob") == "disabled"
    assert g.state("alice") == "active"
    assert any("bob" in line and re.search(r"disabl|401|credential", line, re.I)
               for line in g.log_text().splitlines()), g.log_text()
    served_by = {g.get("/repos/octo-org/hello").header("X-Ghpool-Identity") for _ in range(4)}
    assert served_by == {"alice"}
    assert not fake.requests(token="tok_bob", path="/repos/")


def test_zero_usable_identities_still_starts_and_answers_503(ghpool, fake, reads):
    fake.revoke("tok_alice")
    fake.revoke("tok_bob")
    g = ghpool()
    assert g.get("/healthz").status == 200
    r = g.get("/repos/octo-org/hello")
    assert r.status == 503, r
    assert r.header("Content-Type", "").startswith("application/json")
    assert r.json().get("message")
    assert reads(fake) == []
    assert {i["state"] for i in g.stats()["identities"]} == {"disabled"}


def test_identities_with_same_login_share_one_budget(ghpool, fake):
    g = ghpool(identities=["alice", "alice2"])
    assert any(re.search(r"warn", line, re.I) and "alice2" in line
               for line in g.log_text().splitlines()), g.log_text()
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200
    # one GitHub user -> one budget in the pool, not two
    assert r.header("X-RateLimit-Limit") == "5000"
    truth = fake.budget("tok_alice", "core")
    assert r.header("X-RateLimit-Remaining") == str(truth["remaining"])


def test_literal_token_in_config(ghpool, fake):
    g = ghpool(identities=[{"id": "dave", "token": "tok_dave"}])
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200 and r.header("X-Ghpool-Identity") == "dave"
    assert fake.requests("/repos/octo-org/hello")[0].token == "tok_dave"
    assert g.identity("dave")["login"] == "dave-gh"


def test_sigterm_exits_cleanly_while_idle_connections_are_open(ghpool):
    g = ghpool()
    s = socket.create_connection(("127.0.0.1", g.port))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_until(lambda: b"ok" in s.recv(4096), 5, message="healthz on keep-alive socket")
        assert g.stop() == 0, g.log_text()
    finally:
        s.close()


def test_healthz_is_not_a_pooled_read(ghpool, fake, reads):
    g = ghpool()
    for _ in range(3):
        assert request(g.url, "GET", "/healthz").status == 200
    assert reads(fake) == []
