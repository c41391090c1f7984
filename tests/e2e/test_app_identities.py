"""GitHub App installation identities (issue #5).

An identity is either a token, or a GitHub App installation:

    [[identities]]
    id = "acme-app"
    app_id = 12345
    private_key = "env:GHP_APP_KEY"   # any secret reference, or the PEM itself
    installation_id = 678             # or: owner = "octo-org" (discovered)

ghpool signs an RS256 JWT with the key (iss = app_id, iat = now - 60, exp = now + 540),
finds the installation of ``owner`` if asked to (GET /orgs/{owner}/installation, then
GET /users/{owner}/installation on 404), mints an installation token
(POST /app/installations/{id}/access_tokens) and pools it like any token, on the
installation's own rate-limit budget. It mints again 5 minutes before ``expires_at``; a
failed refresh is logged and retried while the old token serves. The JWT only ever
reaches the App endpoints; a mint that fails at start-up stops ghpool.

The fake GitHub verifies the JWTs for real (tests/fake_github/server.py, "GitHub Apps")
and logs how each request authenticated: ``auth`` is "jwt" (with ``app_id``) or
"installation" (with ``installation_id``). Keys are made with the openssl command line.
"""
from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import free_port, identity_table, to_toml
from fake_github.client import generate_app_key, graphql_body, non_read_uses, wait_until

APP_ID = 12345
INSTALL = 678
IDENT = "acme-app"                 # distinctive in logs (unlike "app")
REPO = "/repos/octo-org/hello"
MINT = f"/app/installations/{INSTALL}/access_tokens"
APP_ENDPOINT = re.compile(r"^(/app(/installations(/\d+(/access_tokens)?)?)?"
                          r"|/(orgs|users)/[^/?]+/installation"
                          r"|/repos/[^/?]+/[^/?]+/installation)$")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys():
    """RSA key pairs (private PEM, public PEM): "app" in the PKCS#1 form GitHub's
    downloaded .pem files have, "pkcs8" as ``openssl genpkey`` writes it, and "other"
    (a key that is not the App's)."""
    return {"app": generate_app_key(traditional=True), "pkcs8": generate_app_key(),
            "other": generate_app_key()}


@pytest.fixture(autouse=True)
def _no_app_secret_in_any_log(fake, keys, tmp_path):
    """After each test (ghpool stopped, the fake not yet reset): no key, installation token
    or JWT in the log of any ghpool the test started."""
    yield
    for log in sorted(tmp_path.glob("ghpool*.log")):
        assert_no_app_secrets(log.read_text(errors="replace"), fake, keys, log.name)


def app_identity(ident: str = IDENT, key: str = "env:GHP_APP_KEY", **kw) -> dict:
    """An App identity table; installation_id = 678 unless owner (or installation_id) is
    given; a None value leaves the key out."""
    t = {"id": ident, "app_id": APP_ID, "private_key": key}
    if "owner" not in kw:
        t["installation_id"] = INSTALL
    t.update(kw)
    return {k: v for k, v in t.items() if v is not None}


def register(fake, public_pem: str, lifetime: int = 3600, installations: dict | None = None):
    fake.add_app(APP_ID, public_pem, token_lifetime=lifetime,
                 installations=installations if installations is not None else
                 {INSTALL: {"account": "octo-org", "type": "Organization"}})


def start(ghpool, fake, keys, identities=None, lifetime: int = 3600, key: str = "app",
          installations: dict | None = None, env: dict | None = None, **cfg):
    """Register the App with the fake, start ghpool with its key in $GHP_APP_KEY."""
    priv, pub = keys[key]
    register(fake, pub, lifetime, installations)
    return ghpool(identities=identities or [app_identity()],
                  _env={"GHP_APP_KEY": priv, **(env or {})}, **cfg)


def minted(fake, installation: int = INSTALL) -> list[str]:
    return [m["token"] for m in fake.mints(installation)]


def last_read(fake, path: str = REPO):
    recs = fake.requests(path)
    assert recs, f"no request for {path} reached the fake"
    return recs[-1]


def key_lines(private_pem: str) -> list[str]:
    """The base64 lines of a PEM key (any of them in an output means the key leaked)."""
    return [ln for ln in private_pem.splitlines() if ln and not ln.startswith("-----")]


def assert_no_app_secrets(text: str, fake, keys, where: str) -> None:
    """No private key material, minted installation token or App JWT in ``text``."""
    assert not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text), \
        f"{where}: a PEM private key"
    for name, (priv, _) in keys.items():
        for ln in key_lines(priv):
            assert ln not in text, f"{where}: a line of the {name!r} private key"
    for m in fake.mints():
        assert m["token"] not in text, f"{where}: the installation token {m['token'][:8]}..."
    for rec in fake.requests(auth="jwt"):
        if rec.token:
            assert rec.token not in text, f"{where}: an App JWT"
            assert rec.token.rsplit(".", 1)[-1] not in text, f"{where}: a JWT's signature"


def assert_reads_never_used_the_jwt(fake) -> None:
    for rec in fake.requests(auth="jwt"):
        assert APP_ENDPOINT.match(rec.path), f"the App JWT reached a non-App endpoint: {rec}"


def config_file(tmp_path: Path, fake, identities, name: str = "c.toml", **extra) -> Path:
    cfg = {"listen": "127.0.0.1", "port": free_port(), "upstream_url": fake.url, "workers": 2,
           "upstream_timeout_secs": 2, "allowed_owners": ["octo-org", "alice"],
           "pool": {"reserve": 0}, "cache": {"max_entries": 0},
           "identities": [identity_table(i) for i in identities]}
    cfg.update(extra)
    path = tmp_path / name
    path.write_text(to_toml(cfg))
    return path


def run_to_exit(ghpool_cli, args: list[str], env: dict | None = None,
                timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ghpool expecting it to exit by itself (start-up failure or --check-config)."""
    try:
        return ghpool_cli(args, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"ghpool {args} did not exit within {timeout}s; output:\n"
                    f"{e.stdout!r}\n{e.stderr!r}")


def output(p: subprocess.CompletedProcess) -> str:
    return (p.stdout or "") + (p.stderr or "")


# ---------------------------------------------------------------------------
# start-up: the JWT, discovery, the first token
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["app", "pkcs8"])
def test_startup_mints_a_token_for_the_configured_installation(ghpool, fake, keys, key):
    t0 = time.time()
    g = start(ghpool, fake, keys, key=key)
    assert len(fake.mints(INSTALL)) == 1
    [rec] = fake.requests(MINT, method="POST")
    assert rec.status == 201 and rec.auth == "jwt" and rec.app_id == APP_ID, rec
    assert rec.authorization.startswith("Bearer ")
    assert rec.jwt_header["alg"] == "RS256"
    c = rec.jwt_claims
    assert c["iss"] in (APP_ID, str(APP_ID)), c
    assert t0 - 62 <= c["iat"] <= time.time() - 58, c          # iat = now - 60
    assert t0 + 538 <= c["exp"] <= time.time() + 542, c        # exp = now + 540
    # No discovery when the installation is configured.
    assert fake.requests("/orgs/") == [] and fake.requests("/users/") == []
    r = g.get(REPO)
    assert r.status == 200 and r.header("X-Ghpool-Identity") == IDENT, r
    assert last_read(fake).token == minted(fake)[0]
    assert_reads_never_used_the_jwt(fake)


def test_owner_of_an_organisation_is_discovered(ghpool, fake, keys):
    g = start(ghpool, fake, keys, identities=[app_identity(owner="octo-org")],
              installations={4242: {"account": "octo-org", "type": "Organization"}})
    disc = [r for r in fake.requests(auth="jwt") if r.path.endswith("/installation")]
    assert [(r.path, r.status) for r in disc] == [("/orgs/octo-org/installation", 200)]
    assert len(fake.mints(4242)) == 1
    assert [r.path for r in fake.requests("/app/installations/", method="POST")] == \
        ["/app/installations/4242/access_tokens"]
    assert g.get(REPO).status == 200
    assert last_read(fake).installation_id == 4242


def test_owner_that_is_a_user_is_found_after_the_organisation_404(ghpool, fake, keys):
    g = start(ghpool, fake, keys, identities=[app_identity(owner="alice")],
              installations={5151: {"account": "alice", "type": "User"}})
    disc = [(r.path, r.status) for r in fake.requests(auth="jwt")
            if r.path.endswith("/installation")]
    assert disc == [("/orgs/alice/installation", 404), ("/users/alice/installation", 200)]
    assert len(fake.mints(5151)) == 1
    r = g.get("/repos/alice/tools")
    assert r.status == 200 and r.header("X-Ghpool-Identity") == IDENT
    assert last_read(fake, "/repos/alice/tools").installation_id == 5151


def test_private_key_given_as_the_pem_itself(ghpool, fake, keys):
    priv, pub = keys["app"]
    register(fake, pub)
    g = ghpool(identities=[app_identity(key=priv)])     # the PEM text in the TOML file
    assert g.get(REPO).status == 200
    assert last_read(fake).auth == "installation"
    assert_no_app_secrets(g.log_text(), fake, keys, "the log")


# ---------------------------------------------------------------------------
# reads: the installation token, in the pool, on the installation's budget
# ---------------------------------------------------------------------------

def test_reads_use_the_installation_token_never_the_jwt(ghpool, fake, keys):
    g = start(ghpool, fake, keys, allowed_owners=["*"])   # the unscoped search below needs "*"
    [tok] = minted(fake)
    for target in (REPO, f"{REPO}/issues?per_page=5", "/search/issues?q=x",
                   "/repos/alice/tools/contents/README.md"):
        r = g.get(target)
        assert r.status == 200 and r.header("X-Ghpool-Identity") == IDENT, r
        assert last_read(fake, target.split("?")[0]).token == tok
    q = g.request("POST", "/graphql", headers={"Content-Type": "application/json"},
                  body=graphql_body('{ repository(owner: "octo-org", name: "hello") '
                                    '{ issue(number: 1) { title } } }'))
    assert q.status == 200 and "errors" not in q.json(), q
    assert last_read(fake, "/graphql").token == tok
    # A write goes with the client's own token, never the pool's.
    w = g.request("POST", f"{REPO}/issues/1/comments", body='{"body": "hi"}',
                  headers={"Authorization": "token tok_carol",
                           "Content-Type": "application/json"})
    assert w.status == 201, w
    assert fake.writes[-1]["token"] == "tok_carol"
    assert non_read_uses(fake.requests(), [tok]) == []
    assert_reads_never_used_the_jwt(fake)
    for rec in fake.requests():
        if rec.auth == "installation":
            assert rec.token == tok and rec.installation_id == INSTALL
    assert fake.budget(installation=INSTALL)["used"] >= 3
    assert fake.budget(installation=INSTALL, bucket="search")["used"] == 1


def test_app_and_token_identities_are_pooled_side_by_side(ghpool, fake, keys):
    g = start(ghpool, fake, keys, identities=[app_identity(), "alice"])
    [tok] = minted(fake)
    served = []
    for _ in range(12):
        r = g.get(REPO)
        assert r.status == 200
        who = r.header("X-Ghpool-Identity")
        served.append(who)
        rec = last_read(fake)
        assert rec.token == {IDENT: tok, "alice": "tok_alice"}[who], (who, rec)
        assert rec.auth == {IDENT: "installation", "alice": "token"}[who]
    assert set(served) == {IDENT, "alice"}, served
    assert_reads_never_used_the_jwt(fake)
    # Each on its own budget: the App's reads are the installation's, not alice's.
    app_reads = sum(1 for r in fake.requests(REPO) if r.auth == "installation")
    assert app_reads == served.count(IDENT)
    assert fake.budget("tok_alice")["used"] <= served.count("alice") + 1   # + the /user probe


@pytest.mark.parametrize("drained", ["installation", "alice"])
def test_the_installation_budget_is_its_own(ghpool, fake, keys, drained):
    """GitHub meters an installation apart from every user: draining one moves the
    reads to the other."""
    reset = int(time.time()) + 1800
    if drained == "installation":
        fake.set_budget(installation=INSTALL, remaining=0, reset=reset)
    else:
        fake.set_budget("tok_alice", remaining=0, reset=reset)
    g = start(ghpool, fake, keys, identities=[app_identity(), "alice"])
    other = "alice" if drained == "installation" else IDENT
    for _ in range(4):
        r = g.get(REPO)
        assert r.status == 200 and r.header("X-Ghpool-Identity") == other, r
    app = g.identity(IDENT)
    if drained == "installation":
        assert app["buckets"]["core"]["remaining"] == 0, app
    else:
        assert app["buckets"]["core"]["remaining"] > 4000, app


def test_identities_on_one_installation_share_its_budget(ghpool, fake, keys):
    """Like two tokens of one GitHub user: two identities that are the same installation
    (one configured by id, one discovered from its owner) are one budget; another
    installation of the same App is another budget."""
    g = start(ghpool, fake, keys, identities=[
        app_identity(), app_identity("acme-app-2", owner="octo-org"),
        app_identity("acme-app-alice", installation_id=679)],
        installations={INSTALL: {"account": "octo-org", "type": "Organization"},
                       679: {"account": "alice", "type": "User"}})
    assert len(fake.mints(INSTALL)) == 2 and len(fake.mints(679)) == 1
    s = {i["id"]: i for i in g.stats()["identities"]}
    assert s["acme-app-2"].get("shares_budget_with") == IDENT, s["acme-app-2"]
    assert s["acme-app-alice"].get("shares_budget_with") is None, s["acme-app-alice"]
    r = g.get(REPO)
    assert r.status == 200, r
    assert r.header("X-RateLimit-Limit") == "10000", dict(r.headers)   # 678 once, 679 once


# ---------------------------------------------------------------------------
# /stats
# ---------------------------------------------------------------------------

def test_stats_show_the_kind_and_the_token_expiry(ghpool, fake, keys):
    t0 = int(time.time())
    g = start(ghpool, fake, keys, identities=[app_identity(), "alice"])
    g.get(REPO)
    r = g.get("/stats")
    assert_no_app_secrets(r.text, fake, keys, "/stats")
    app, alice = g.identity(IDENT), g.identity("alice")
    assert app["kind"] == "app" and alice["kind"] == "token"
    [m] = fake.mints(INSTALL)
    assert app["token_expires_at"] == m["expires_at"], app
    assert alice.get("token_expires_at") is None, alice
    assert app["state"] == "active"
    assert t0 - 5 <= app["secret_resolved_at"] <= time.time() + 1, app
    assert isinstance(alice["secret_resolved_at"], int)


# ---------------------------------------------------------------------------
# refresh
# ---------------------------------------------------------------------------

def test_the_token_is_minted_again_five_minutes_before_it_expires(ghpool, fake, keys):
    g = start(ghpool, fake, keys, lifetime=304)           # due ~4 s after the first mint
    [first] = fake.mints(INSTALL)
    assert g.get(REPO).status == 200
    assert last_read(fake).token == first["token"]
    before = g.identity(IDENT)
    assert before["token_expires_at"] == first["expires_at"]
    wait_until(lambda: len(fake.mints(INSTALL)) >= 2, 20, interval=0.1,
               message="the second mint")
    second = fake.mints(INSTALL)[1]
    due = first["expires_at"] - 300
    assert due - 1.5 <= second["minted_at"] <= due + 8, (due, second["minted_at"])
    refresh = fake.requests(MINT, method="POST")[1]
    assert refresh.auth == "jwt" and refresh.status == 201
    assert refresh.jwt_claims["exp"] > second["minted_at"]           # a JWT valid then
    r = g.get(REPO)
    assert r.status == 200 and r.header("X-Ghpool-Identity") == IDENT
    assert last_read(fake).token == second["token"]
    after = g.identity(IDENT)
    assert after["token_expires_at"] == second["expires_at"]
    assert after["requests"] >= before["requests"] + 1              # counters survive
    assert after["state"] == "active"
    # Minting again once, not in a loop: the next one is due ~4 s after this one.
    wait_until(lambda: time.time() >= second["minted_at"] + 2, 5)
    assert len(fake.mints(INSTALL)) == 2
    assert_reads_never_used_the_jwt(fake)
    assert_no_app_secrets(g.log_text(), fake, keys, "the log")


def test_a_token_shorter_lived_than_the_margin_is_refreshed_at_half_life(ghpool, fake, keys):
    """A token that lives less than 5 minutes (never on github.com, possible on a
    GHES) is minted again half way through its life, not in a loop."""
    g = start(ghpool, fake, keys, lifetime=8)              # due ~4 s after the first mint
    [first] = fake.mints(INSTALL)
    time.sleep(2)
    assert len(fake.mints(INSTALL)) == 1                   # not before half-life
    wait_until(lambda: len(fake.mints(INSTALL)) >= 2, 10, interval=0.1,
               message="the half-life refresh")
    second = fake.mints(INSTALL)[1]
    assert second["minted_at"] >= first["minted_at"] + 3, (first, second)
    assert g.get(REPO).status == 200
    assert last_read(fake).token == second["token"]


def test_a_failed_refresh_keeps_the_old_token_serving_and_is_retried(ghpool, fake, keys):
    g = start(ghpool, fake, keys, lifetime=306)           # refresh due ~6 s after start
    [first] = fake.mints(INSTALL)
    fake.add_fault("status", path=MINT, method="POST", status=502, count=1)
    wait_until(lambda: any(r.status == 502 for r in fake.requests(MINT)), 20, interval=0.1,
               message="the refresh to hit the failing mint")
    g.wait_log(rf"{IDENT}\b.*\b502\b", timeout=5)
    r = g.get(REPO)                                       # the old token still serves
    assert r.status == 200 and r.header("X-Ghpool-Identity") == IDENT, r
    assert last_read(fake).token == first["token"]
    assert g.state(IDENT) == "active"
    wait_until(lambda: len(fake.mints(INSTALL)) >= 2, 75, interval=0.2,
               message="a retried refresh")
    second = fake.mints(INSTALL)[1]
    assert g.get(REPO).status == 200
    assert last_read(fake).token == second["token"]
    assert g.identity(IDENT)["token_expires_at"] == second["expires_at"]
    assert g.state(IDENT) == "active"
    assert_no_app_secrets(g.log_text(), fake, keys, "the log")


def test_sighup_reads_the_key_again_and_mints(ghpool, fake, keys):
    """Key rotation: the App gets a second key, the config the new PEM, GitHub drops the
    old key; after SIGHUP the mint is signed with the new key and reads use its token."""
    old_priv, old_pub = keys["app"]
    new_priv, new_pub = keys["pkcs8"]
    register(fake, old_pub)
    g = ghpool(identities=[app_identity(key=old_priv)])
    assert g.get(REPO).status == 200
    first = minted(fake)
    assert len(first) == 1
    fake.add_app_key(APP_ID, new_pub)
    g.config_path.write_text(to_toml({**g.config, "identities": [
        identity_table(i) for i in [app_identity(key=new_priv)]]}))
    fake.remove_app_key(APP_ID, old_pub)
    g.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: len(fake.mints(INSTALL)) >= 2, 15, message="a mint after SIGHUP")
    mint_recs = [r for r in fake.requests(MINT, method="POST") if r.status == 201]
    from fake_github.server import app_key_fingerprint
    assert mint_recs[-1].jwt_key == app_key_fingerprint(new_pub)
    wait_until(lambda: g.get(REPO).status == 200 and
               last_read(fake).token == minted(fake)[-1], 10,
               message="reads on the token minted after the reload")
    assert g.state(IDENT) == "active"
    assert_no_app_secrets(g.log_text(), fake, keys, "the log")


# ---------------------------------------------------------------------------
# start-up failures
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["wrong-key", "wrong-app-id", "unknown-installation",
                                  "unknown-owner", "not-a-pem"])
def test_a_mint_that_fails_at_start_up_stops_ghpool(ghpool_cli, fake, keys, tmp_path, case):
    priv, pub = keys["app"]
    register(fake, pub)
    fake.add_installation(APP_ID, 679, "alice", type="User")
    ident, env = app_identity(), {"GHP_APP_KEY": priv}
    if case == "wrong-key":
        env["GHP_APP_KEY"] = keys["other"][0]
    elif case == "wrong-app-id":
        ident["app_id"] = 54321
    elif case == "unknown-installation":
        ident["installation_id"] = 99999
    elif case == "unknown-owner":
        ident = app_identity(owner="evil-corp")
    elif case == "not-a-pem":
        env["GHP_APP_KEY"] = "not-a-pem-zzz-secret-value"
    # A healthy token identity next to it does not save the day.
    cfg = config_file(tmp_path, fake, ["alice", ident])
    p = run_to_exit(ghpool_cli, ["--config", str(cfg)], env=env)
    out = output(p)
    assert p.returncode != 0, out
    assert IDENT in out, out
    assert "not-a-pem-zzz-secret-value" not in out
    assert_no_app_secrets(out, fake, keys, "the output")
    if case == "unknown-owner":
        assert "evil-corp" in out, out
    if case != "not-a-pem":
        assert fake.requests(auth="jwt"), "ghpool never asked GitHub"
    assert fake.mints() == []
    assert_reads_never_used_the_jwt(fake)


ID_TABLE_START = 5   # the [[identities]] line in the configs below


def app_config_text(fake, port: int, body: str) -> str:
    head = (f'port = {port}\nupstream_url = "{fake.url}"\nallowed_owners = ["octo-org"]\n\n')
    assert head.count("\n") == ID_TABLE_START - 1
    return head + "[[identities]]\n" + body


# (case, the [[identities]] table, whether the error must name the identity: the shape of
# an identity is about that identity; a value of the wrong type is about its key)
@pytest.mark.parametrize("case,body,names_identity", [
    ("installation-and-owner",
     'id = "acme-app"\napp_id = 12345\nprivate_key = "env:GHP_APP_KEY"\n'
     'installation_id = 678\nowner = "octo-org"\n', True),
    ("neither-installation-nor-owner",
     'id = "acme-app"\napp_id = 12345\nprivate_key = "env:GHP_APP_KEY"\n', True),
    ("no-private-key",
     'id = "acme-app"\napp_id = 12345\ninstallation_id = 678\n', True),
    ("no-app-id",
     'id = "acme-app"\nprivate_key = "env:GHP_APP_KEY"\ninstallation_id = 678\n', True),
    ("token-and-app",
     'id = "acme-app"\ntoken = "env:GHP_TEST_TOK_ALICE"\napp_id = 12345\n'
     'private_key = "env:GHP_APP_KEY"\ninstallation_id = 678\n', True),
    ("empty-private-key",
     'id = "acme-app"\napp_id = 12345\nprivate_key = ""\ninstallation_id = 678\n', False),
    ("app-id-not-a-number",
     'id = "acme-app"\napp_id = "twelve"\nprivate_key = "env:GHP_APP_KEY"\n'
     'installation_id = 678\n', False),
])
def test_an_incomplete_app_identity_is_a_config_error_with_its_line(
        ghpool_cli, fake, keys, tmp_path, case, body, names_identity):
    cfg = tmp_path / "c.toml"
    text = app_config_text(fake, free_port(), body)
    cfg.write_text(text)
    last_line = text.count("\n")
    p = run_to_exit(ghpool_cli, ["--check-config", "--config", str(cfg)],
                    env={"GHP_APP_KEY": keys["app"][0]})
    out = output(p)
    assert p.returncode != 0, out
    m = re.search(r"line (\d+)", out)
    assert m, out
    assert ID_TABLE_START <= int(m.group(1)) <= last_line, out
    if names_identity:
        assert "acme-app" in out, out
    assert_no_app_secrets(out, fake, keys, "the output")
    assert fake.requests() == []          # a config error: GitHub was never asked


def test_missing_private_key_variable_names_the_identity(ghpool_cli, fake, keys, tmp_path):
    register(fake, keys["app"][1])
    cfg = config_file(tmp_path, fake, [app_identity(key="env:GHP_APP_KEY_UNSET_ZZZ")])
    p = run_to_exit(ghpool_cli, ["--config", str(cfg)], env={"GHP_APP_KEY_UNSET_ZZZ": None})
    out = output(p)
    assert p.returncode != 0, out
    assert IDENT in out and "GHP_APP_KEY_UNSET_ZZZ" in out, out
    assert fake.mints() == []


# ---------------------------------------------------------------------------
# secrets stay secret
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("inline", [False, True])
def test_check_config_shows_no_key_material(ghpool_cli, fake, keys, tmp_path, inline):
    priv, pub = keys["app"]
    register(fake, pub)
    ident = app_identity(key=priv if inline else "env:GHP_APP_KEY")
    cfg = config_file(tmp_path, fake, [ident, "alice"])
    p = run_to_exit(ghpool_cli, ["--check-config", "--config", str(cfg)],
                    env={"GHP_APP_KEY": priv})
    out = output(p)
    assert p.returncode == 0, out
    assert IDENT in out, out
    assert_no_app_secrets(out, fake, keys, "--check-config")
    assert "tok_alice" not in out


def test_no_key_token_or_jwt_in_any_output(ghpool, fake, keys):
    g = start(ghpool, fake, keys, identities=[app_identity(), "alice"], lifetime=302)
    wait_until(lambda: len(fake.mints(INSTALL)) >= 2, 20, message="a refresh")
    replies = [g.get(REPO), g.get("/stats"), g.get("/healthz"), g.get("/user"),
               g.get("/rate_limit")]
    for r in replies:
        blob = r.text + "".join(f"{k}: {v}\n" for k, v in r.headers.items())
        assert_no_app_secrets(blob, fake, keys, f"the answer to {r.target}")
    for r in fake.requests(auth="jwt"):
        assert r.token and r.token not in g.log_text()
    g.stop()
    assert_no_app_secrets(g.log_text(), fake, keys, "the log")
