"""Configuration from the environment: env-only mode and overrides of the file."""

from __future__ import annotations

from conftest import free_port


def env_only(fake, port, **extra):
    env = {
        "GHPOOL_PORT": str(port),
        "GHPOOL_LISTEN": "127.0.0.1",
        "GHPOOL_UPSTREAM_URL": fake.url,
        "GHPOOL_ALLOWED_OWNERS": "octo-org,alice",
        "GHPOOL_PAT_ALICE": "tok_alice",
        "GHPOOL_CONFIG": None,
    }
    env.update(extra)
    return env


def test_env_only_mode(ghpool, fake, tmp_path, reads):
    empty = tmp_path / "empty-cwd"
    empty.mkdir()
    port = free_port()
    g = ghpool(_no_config=True, _cwd=empty, _port=port, _env=env_only(fake, port))
    ids = g.stats()["identities"]
    assert [(i["id"], i["login"], i["state"]) for i in ids] == [("alice", "alice-gh", "active")]
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200 and r.header("X-Ghpool-Identity") == "alice"
    assert reads(fake)[0].token == "tok_alice"
    assert g.get("/repos/alice/tools").status == 200
    assert g.get("/repos/evil-corp/secret").status == 403


def test_env_only_mode_with_several_pats(ghpool, fake, tmp_path):
    empty = tmp_path / "empty-cwd"
    empty.mkdir()
    port = free_port()
    g = ghpool(_no_config=True, _cwd=empty, _port=port,
               _env=env_only(fake, port, GHPOOL_PAT_BOB="tok_bob"))
    assert sorted(i["id"] for i in g.stats()["identities"]) == ["alice", "bob"]
    # distinct queries: env-only mode runs with the cache on
    served = {g.get(f"/repos/octo-org/hello?n={i}").header("X-Ghpool-Identity") for i in range(6)}
    assert served == {"alice", "bob"}


def test_env_overrides_port_and_allowed_owners_of_the_file(ghpool, fake):
    file_port, env_port = free_port(), free_port()
    g = ghpool(port=file_port, allowed_owners=["octo-org"], _port=env_port,
               _env={"GHPOOL_PORT": str(env_port), "GHPOOL_ALLOWED_OWNERS": "alice"})
    assert g.url.endswith(f":{env_port}")
    assert g.get("/repos/alice/tools").status == 200
    assert g.get("/repos/octo-org/hello").status == 403


def test_ghpool_config_env_names_the_file(ghpool, fake, tmp_path, default_config):
    from conftest import identity_table, to_toml
    port = free_port()
    cfg = default_config(port)
    cfg["identities"] = [identity_table("bob")]
    path = tmp_path / "via-env.toml"
    path.write_text(to_toml(cfg))
    g = ghpool(_args=[], _port=port, _env={"GHPOOL_CONFIG": str(path)})
    assert [i["id"] for i in g.stats()["identities"]] == ["bob"]
