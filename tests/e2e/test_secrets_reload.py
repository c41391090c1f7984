"""Kubernetes secret references, and rotation without a restart.

A mounted Kubernetes secret is a directory with one file per key, written by the
kubelet through a `..data` symlink it swaps atomically; these tests lay it out the
same way. SIGHUP (and `secrets_refresh_secs`) re-read the configuration and
re-resolve every secret: a rotated file moves traffic to the new token, a broken
reload keeps the old identities serving, budgets of unchanged ids survive.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from fake_github.client import wait_until
# A redis-server child on a free port, killed at teardown (fixture).
from test_redis_scaleout import PASSWORD as REDIS_PASSWORD, redis_server  # noqa: F401

REPO = "/repos/octo-org/hello"


def kubelet_secret(root: Path, name: str, data: dict[str, str], generation: int = 1) -> None:
    """Write secret `name` the way the kubelet does: <root>/<name>/..<ts>/<key> files,
    a `..data` symlink to that directory, and <key> -> ..data/<key> symlinks. Calling
    it again swaps `..data` atomically to a new generation."""
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    gen = d / f"..2026_11_29_{generation:04d}"
    gen.mkdir()
    for k, v in data.items():
        (gen / k).write_text(v)
    tmp = d / "..data_tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(gen.name)
    os.replace(tmp, d / "..data")
    for k in data:
        link = d / k
        if not link.is_symlink():
            link.symlink_to(f"..data/{k}")


def k8s_identity(ident: str, key: str, secret: str = "ghpool-pats") -> dict:
    return {"id": ident, "token": f"k8s:default/{secret}:{key}"}


def tokens_seen(fake, path: str = REPO) -> list[str]:
    return [r.token for r in fake.requests(path)]


def test_k8s_reference_resolves_through_the_kubelet_layout(ghpool, fake, tmp_path):
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat_alice": "tok_alice\n"})
    g = ghpool(k8s_secrets_dir=str(root), identities=[k8s_identity("alice", "pat_alice")])
    assert g.get(REPO).status == 200
    assert tokens_seen(fake) == ["tok_alice"]       # the trailing newline is trimmed
    assert "tok_alice" not in g.log_text()


@pytest.mark.parametrize("case,setup,expect", [
    ("missing-file", lambda root: kubelet_secret(root, "ghpool-pats", {"other": "x"}),
     "cannot read"),
    ("empty", lambda root: kubelet_secret(root, "ghpool-pats", {"pat_alice": ""}),
     "the secret is empty"),
    ("inner-space", lambda root: kubelet_secret(root, "ghpool-pats", {"pat_alice": "tok alice"}),
     "whitespace or control characters"),
    ("not-mounted", lambda root: None, "is the secret 'ghpool-pats' mounted there?"),
])
def test_unresolvable_k8s_secret_stops_start_up(ghpool_cli, tmp_path, case, setup, expect):
    root = tmp_path / "secrets"
    root.mkdir()
    setup(root)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'k8s_secrets_dir = "{root}"\n\n[[identities]]\nid = "alice"\n'
                   f'token = "k8s:default/ghpool-pats:pat_alice"\n')
    p = ghpool_cli(["--config", str(cfg), "--check-config"])
    assert p.returncode != 0, p.stdout
    assert "line 5: identity 'alice': k8s:default/ghpool-pats:pat_alice: " in p.stderr, p.stderr
    assert expect in p.stderr, p.stderr
    assert "tok alice" not in p.stderr + p.stdout


def test_check_config_shows_where_each_secret_came_from(ghpool_cli, tmp_path):
    root = tmp_path / "secrets"
    kubelet_secret(root, "pats", {"a": "tok_alice"})
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'k8s_secrets_dir = "{root}"\n\n[[identities]]\nid = "alice"\n'
                   f'token = "k8s:default/pats:a"\n')
    p = ghpool_cli(["--config", str(cfg), "--check-config"])
    assert p.returncode == 0, p.stderr
    assert 'token = "****"  # from k8s:default/pats:a, sha256 ' in p.stdout, p.stdout
    assert "tok_alice" not in p.stdout


def test_sighup_moves_traffic_to_a_rotated_token(ghpool, fake, tmp_path):
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice"})
    g = ghpool(k8s_secrets_dir=str(root), identities=[k8s_identity("main", "pat")])
    assert g.get(REPO).status == 200
    before = g.identity("main")
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice2"}, generation=2)
    time.sleep(1.1)                                   # resolved_at moves by whole seconds
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded .*1 new or rotated")
    assert g.get(REPO).status == 200
    assert tokens_seen(fake) == ["tok_alice", "tok_alice2"]
    after = g.identity("main")
    assert after["requests"] >= before["requests"] + 1    # counters survived the reload
    assert after["secret_resolved_at"] > before["secret_resolved_at"]


def test_a_broken_reload_keeps_serving(ghpool, fake, tmp_path):
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice"})
    g = ghpool(k8s_secrets_dir=str(root), identities=[k8s_identity("main", "pat")])
    # The secret disappears: the reload cannot resolve it.
    (root / "ghpool-pats" / "pat").unlink()
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reload failed, the running configuration stays: .*identity 'main'")
    # A syntax error in the file: same.
    g.config_path.write_text(g.config_path.read_text() + "\nport = \n")
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reload failed.*line \d+")
    assert g.get(REPO).status == 200
    assert tokens_seen(fake) == ["tok_alice"]
    assert g.identity("main")["state"] == "active"


def test_reload_adds_and_removes_identities(ghpool, fake, tmp_path):
    g = ghpool(identities=["alice"])
    text = g.config_path.read_text().replace('id = "alice"', 'id = "bob"').replace(
        "GHP_TEST_TOK_ALICE", "GHP_TEST_TOK_BOB")
    g.config_path.write_text(text)
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded .*1 new or rotated")
    assert g.identity("alice")["state"] == "removed"
    assert g.identity("bob")["state"] == "active"
    for _ in range(3):
        assert g.get(REPO).header("X-Ghpool-Identity") == "bob"
    assert set(tokens_seen(fake)) == {"tok_bob"}


def test_secrets_refresh_secs_rotates_without_a_signal(ghpool, fake, tmp_path):
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice"})
    g = ghpool(k8s_secrets_dir=str(root), secrets_refresh_secs=1,
               identities=[k8s_identity("main", "pat")])
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice2"}, generation=2)
    g.wait_log(r"reloaded .*1 new or rotated", timeout=10)
    wait_until(lambda: g.get(REPO).status == 200 and tokens_seen(fake)[-1] == "tok_alice2",
               10, message="traffic on the rotated token")


def test_reload_applies_owners_reserve_and_ttls_and_names_what_needs_a_restart(ghpool, fake):
    g = ghpool(allowed_owners=["octo-org"], cache={"max_entries": 100, "default_ttl_secs": 60})
    assert g.get("/repos/alice/tools").status == 403
    text = g.config_path.read_text()
    assert 'allowed_owners = ["octo-org"]' in text, text
    text = text.replace('allowed_owners = ["octo-org"]', 'allowed_owners = ["octo-org", "alice"]')
    text = text.replace("workers = 2", "workers = 3")
    g.config_path.write_text(text)
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded ")
    g.wait_log(r"reload: 'workers' changed; it takes effect when ghpool restarts")
    assert g.get("/repos/alice/tools").status == 200
    # and back: a reload that removes an owner denies it at once
    g.config_path.write_text(text.replace('allowed_owners = ["octo-org", "alice"]',
                                          'allowed_owners = ["octo-org"]'))
    g.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: g.get("/repos/alice/tools").status == 403, 5,
               message="alice denied again after the second reload")


def test_a_401_for_the_rotated_away_token_does_not_disable_the_new_one(ghpool, fake, tmp_path):
    """Rotate, then revoke the old token: the usual PAT workflow. A read still in
    flight with the old token gets 401; the identity, which holds the new token
    by then, stays active."""
    import threading
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice"})
    g = ghpool(k8s_secrets_dir=str(root), identities=[k8s_identity("main", "pat")])
    fake.add_fault("latency", path=REPO, token="tok_alice", ms=1300, count=None)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", g.get(REPO, timeout=30)))
    t.start()
    time.sleep(0.5)
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice2"}, generation=2)
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded .*1 new or rotated")
    fake.revoke("tok_alice")
    t.join(30)
    assert g.identity("main")["state"] == "active"
    r = g.get(REPO)
    assert r.status == 200, r
    assert tokens_seen(fake)[-1] == "tok_alice2"


def test_reload_keeps_the_redis_password_when_its_secret_is_gone(redis_server, ghpool, fake,
                                                                 tmp_path):
    """The Redis keys take effect on restart only, so a reload does not resolve
    redis_password again: its secret gone (or a reference changed to one that cannot
    be resolved) fails nothing, the identities' rotated tokens apply, Redis stays up on
    the password it started with, and a changed reference is named as needing a
    restart."""
    rs = redis_server(password=REDIS_PASSWORD)
    root = tmp_path / "secrets"
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice"})
    kubelet_secret(root, "ghpool-redis", {"password": REDIS_PASSWORD + "\n"})
    g = ghpool(k8s_secrets_dir=str(root), identities=[k8s_identity("main", "pat")],
               cache={"max_entries": 100, "backend": "redis", "redis_url": rs.url,
                      "redis_password": "k8s:default/ghpool-redis:password",
                      "redis_timeout_ms": 500})

    def redis_up() -> bool:
        return g.stats()["redis"]["up"] is True

    wait_until(redis_up, 10, message=lambda: f"Redis up: {g.stats()['redis']}\n{g.log_text()}")
    assert g.get(REPO).status == 200
    # The Redis secret is unmounted and the PAT rotates: the reload still applies.
    (root / "ghpool-redis" / "password").unlink()
    kubelet_secret(root, "ghpool-pats", {"pat": "tok_alice2"}, generation=2)
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded .*1 new or rotated")
    log = g.log_text()
    assert "reload failed" not in log, log
    assert "cache.redis_password' changed" not in log, log
    r = g.get(REPO + "/issues")
    assert r.status == 200, r
    assert tokens_seen(fake, REPO + "/issues")[-1] == "tok_alice2"
    assert redis_up(), g.stats()["redis"]

    # A reference that cannot be resolved either: named as restart-only, not a failure.
    g.config_path.write_text(g.config_path.read_text().replace(
        "k8s:default/ghpool-redis:password", "env:GHPOOL_TEST_REDIS_PW_UNSET"))
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reload: 'cache\.redis_password' changed; it takes effect when ghpool restarts")
    wait_until(lambda: g.log_text().count("reloaded ") == 2, 5,
               message=lambda: f"a second reload; log:\n{g.log_text()}")
    log = g.log_text()
    assert "reload failed" not in log, log
    assert "unreachable" not in log, log
    assert REDIS_PASSWORD not in log, log
    assert redis_up(), g.stats()["redis"]
