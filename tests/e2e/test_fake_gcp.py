"""Self-tests of the fake GCP (tests/fake_cloud/gcp.py): OAuth JWT grant, metadata server,
Secret Manager, failure injection and control.

Needs neither the ghpool binary nor conftest's fixtures: the fake is started here, once per
module, and the JWTs are made here with ``openssl dgst -sha256 -sign`` (RSA keys generated
once per module), independently of the fake's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from fake_cloud.gcp import FakeGCP, crc32c  # noqa: E402
from fake_github.client import request  # noqa: E402  (stdlib HTTP helper)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
FORM = "application/x-www-form-urlencoded"
PROJECT, NUMBER = "ghpool-test", 424242424242
TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"
FLAVOR = {"Metadata-Flavor": "Google"}


# ---------------------------------------------------------------------------
# helpers: keys and JWTs made with the openssl command line
# ---------------------------------------------------------------------------

def openssl(*args: str, data: bytes | None = None) -> bytes:
    p = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seg(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


class Key:
    def __init__(self, path: Path):
        self.path = path
        self.pem = path.read_text()
        self.public_pem = openssl("pkey", "-in", str(path), "-pubout").decode()

    def sign(self, data: bytes) -> bytes:
        return openssl("dgst", "-sha256", "-sign", str(self.path), data=data)


def make_jwt(key: Key, header: dict, claims: dict) -> str:
    signing_input = seg(header) + "." + seg(claims)
    return signing_input + "." + b64url(key.sign(signing_input.encode()))


def std_claims(sa, gcp, **over) -> dict:
    now = int(time.time())
    claims = {"iss": sa.email, "scope": SCOPE, "aud": gcp.token_url, "iat": now,
              "exp": now + 3600}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def std_header(sa, **over) -> dict:
    h = {"alg": "RS256", "typ": "JWT", "kid": sa.private_key_id}
    h.update(over)
    return {k: v for k, v in h.items() if v is not None}


def grant(gcp, assertion: str | None, grant_type: str = JWT_BEARER,
          content_type: str = FORM):
    from urllib.parse import urlencode
    form = {"grant_type": grant_type}
    if assertion is not None:
        form["assertion"] = assertion
    return request(gcp.url, "POST", "/token", headers={"Content-Type": content_type},
                   body=urlencode(form))


def access(gcp, project: str, secret: str, version, token: str | None, scheme="Bearer"):
    h = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return request(gcp.url, "GET",
                   f"/v1/projects/{project}/secrets/{secret}/versions/{version}:access",
                   headers=h)


def md(gcp, path: str, headers: dict | None = None):
    return request(gcp.url, "GET", path, headers=headers or {})


def crc32c_bitwise(data: bytes) -> int:
    """An independent (bit-at-a-time) CRC-32C to cross-check the fake's table version."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def valid_token(gcp, sa, key) -> str:
    r = grant(gcp, make_jwt(key, std_header(sa), std_claims(sa, gcp)))
    assert r.status == 200, r
    return r.json()["access_token"]


# ---------------------------------------------------------------------------
# fixtures (module-scoped: RSA key generation happens once)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("gcp-keys")
    out = []
    for name in ("a", "b"):
        p = d / f"{name}.pem"
        p.write_bytes(openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"))
        out.append(Key(p))
    return out


@pytest.fixture(scope="module")
def gcp_server(keys, tmp_path_factory):
    fake = FakeGCP().start()
    d = tmp_path_factory.mktemp("gcp-sa")
    # Service accounts survive reset(): register them once.
    fake.sa = fake.create_service_account(d / "key.json",
                                          email=f"ghpool@{PROJECT}.iam.gserviceaccount.com",
                                          private_key_pem=keys[0].pem)
    fake.other_sa = fake.create_service_account(email=f"other@{PROJECT}.iam.gserviceaccount.com",
                                                private_key_pem=keys[1].pem)
    yield fake
    fake.close()


@pytest.fixture
def gcp(gcp_server):
    gcp_server.reset()
    yield gcp_server
    gcp_server.reset()  # also releases hung handlers


@pytest.fixture
def sa(gcp):
    return gcp.sa


# ---------------------------------------------------------------------------
# CRC32C
# ---------------------------------------------------------------------------

def test_crc32c_vectors():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA          # RFC 3720 B.4
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    for data in (b"tok_alice", bytes(range(256)) * 3):
        assert crc32c(data) == crc32c_bitwise(data)


# ---------------------------------------------------------------------------
# the key file and the JWT grant
# ---------------------------------------------------------------------------

def test_service_account_key_file_end_to_end(tmp_path):
    """create_service_account generates a key (openssl genpkey) and writes an ADC key file
    whose private key signs an assertion the fake accepts."""
    with FakeGCP() as fake:
        kf = tmp_path / "sa.json"
        sa = fake.create_service_account(kf)
        assert stat.S_IMODE(os.stat(kf).st_mode) == 0o600
        j = json.loads(kf.read_text())
        assert j["type"] == "service_account"
        assert j["project_id"] == PROJECT
        assert j["client_email"] == sa.email and sa.email.endswith(
            f"@{PROJECT}.iam.gserviceaccount.com")
        assert j["private_key_id"] == sa.private_key_id and len(sa.private_key_id) == 40
        assert j["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")
        assert j["token_uri"] == fake.token_url == fake.url + "/token"
        (tmp_path / "k.pem").write_text(j["private_key"])
        key = Key(tmp_path / "k.pem")
        r = grant(fake, make_jwt(key, std_header(sa), std_claims(sa, fake)))
        assert r.status == 200, r
        assert fake.env(kf) == {"GHPOOL_GCP_SECRETMANAGER_URL": fake.url,
                                "GCE_METADATA_HOST": fake.metadata_host,
                                "GOOGLE_APPLICATION_CREDENTIALS": str(kf)}


def test_valid_grant_then_secret_access(gcp, sa, keys):
    secret = b"tok_alice\x00\xff\n binary"
    assert gcp.add_secret_version(PROJECT, "gh-token", secret) == 1
    jwt = make_jwt(keys[0], std_header(sa), std_claims(sa, gcp))
    r = grant(gcp, jwt)
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert "no-store" in r.header("Cache-Control")
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    tok = body["access_token"]
    assert tok.startswith("ya29.")

    a = access(gcp, PROJECT, "gh-token", 1, tok)
    assert a.status == 200, a
    assert a.header("Content-Type") == "application/json; charset=UTF-8"
    j = a.json()
    assert j["name"] == f"projects/{NUMBER}/secrets/gh-token/versions/1"  # the project NUMBER
    data = base64.b64decode(j["payload"]["data"], validate=True)  # standard, padded
    assert data == secret
    assert isinstance(j["payload"]["dataCrc32c"], str)
    assert int(j["payload"]["dataCrc32c"]) == crc32c_bitwise(data)

    tj, sm = gcp.requests("token_jwt"), gcp.requests("secret_access")
    assert len(tj) == 1 and len(sm) == 1
    assert tj[0].verified is True and tj[0].reason is None and tj[0].status == 200
    assert tj[0].token == tok and tj[0].email == sa.email
    assert tj[0].grant_type == JWT_BEARER
    assert tj[0].jwt_header == {"alg": "RS256", "typ": "JWT", "kid": sa.private_key_id}
    assert tj[0].claims["aud"] == gcp.token_url
    assert sm[0].verified is True and sm[0].token == tok and sm[0].email == sa.email
    assert sm[0].secret == f"projects/{PROJECT}/secrets/gh-token/versions/1"
    assert sm[0].resolved == f"projects/{NUMBER}/secrets/gh-token/versions/1"


def test_iat_slightly_ahead_is_tolerated(gcp, sa, keys):
    now = int(time.time())
    r = grant(gcp, make_jwt(keys[0], std_header(sa),
                            std_claims(sa, gcp, iat=now + 30, exp=now + 30 + 3600)))
    assert r.status == 200, r


def _tampered(gcp, sa, keys):
    jwt = make_jwt(keys[0], std_header(sa), std_claims(sa, gcp))
    h, _, s = jwt.split(".")
    return ".".join([h, seg(std_claims(sa, gcp, scope=SCOPE + " extra")), s])


def _hs256(gcp, sa, keys):
    # the classic confusion attack: HMAC keyed with the (public) RSA key
    si = seg(std_header(sa, alg="HS256")) + "." + seg(std_claims(sa, gcp))
    mac = hmac.new(keys[0].public_pem.encode(), si.encode(), hashlib.sha256).digest()
    return si + "." + b64url(mac)


def _now(delta: int = 0) -> int:
    return int(time.time()) + delta


BAD_GRANTS = {
    "tampered_payload": (_tampered, "bad signature", "Invalid JWT Signature."),
    "wrong_key": (lambda g, sa, k: make_jwt(k[1], std_header(sa), std_claims(sa, g)),
                  "bad signature", "Invalid JWT Signature."),
    "alg_none": (lambda g, sa, k: seg(std_header(sa, alg="none")) + "."
                 + seg(std_claims(sa, g)) + ".", "alg 'none'", "Invalid JWT Signature."),
    "alg_none_with_signature": (
        lambda g, sa, k: make_jwt(k[0], std_header(sa, alg="none"), std_claims(sa, g)),
        "alg 'none'", "Invalid JWT Signature."),
    "hs256": (_hs256, "alg 'HS256'", "Invalid JWT Signature."),
    "rs512": (lambda g, sa, k: make_jwt(k[0], std_header(sa, alg="RS512"), std_claims(sa, g)),
              "alg 'RS512'", "Invalid JWT Signature."),
    "wrong_aud": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, aud="https://oauth2.googleapis.com/token")),
        "aud", "Failed audience check"),
    "expired": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, iat=_now(-4000), exp=_now(-400))),
        "expired", "short-lived token"),
    "iat_in_future": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, iat=_now(300), exp=_now(300 + 3600))),
        "in the future", "short-lived token"),
    "lifetime_over_an_hour": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, iat=_now(), exp=_now(3601))),
        "exp - iat", "short-lived token"),
    "no_exp": (lambda g, sa, k: make_jwt(k[0], std_header(sa), std_claims(sa, g, exp=None)),
               "exp missing", "short-lived token"),
    "wrong_iss_unknown": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, iss="nobody@elsewhere.iam.gserviceaccount.com")),
        "not a registered account", "Invalid grant: account not found"),
    "wrong_iss_other_account": (lambda g, sa, k: make_jwt(
        k[0], std_header(sa), std_claims(sa, g, iss=g.other_sa.email)),
        "not the kid's account", "Invalid JWT Signature."),
    "unknown_kid": (lambda g, sa, k: make_jwt(k[0], std_header(sa, kid="ab" * 20),
                                              std_claims(sa, g)),
                    "unknown kid", "Invalid JWT Signature."),
    "no_kid": (lambda g, sa, k: make_jwt(k[0], std_header(sa, kid=None), std_claims(sa, g)),
               "no kid", "Invalid JWT Signature."),
    "padded_base64": (lambda g, sa, k: make_jwt(k[0], std_header(sa), std_claims(sa, g)) + "==",
                      "base64url", "Bad Request"),
    "two_segments": (lambda g, sa, k: seg(std_header(sa)) + "." + seg(std_claims(sa, g)),
                     "2 segments", "Bad Request"),
}


@pytest.mark.parametrize("case", list(BAD_GRANTS))
def test_bad_assertion_is_invalid_grant(gcp, sa, keys, case):
    maker, reason, description = BAD_GRANTS[case]
    r = grant(gcp, maker(gcp, sa, keys))
    assert r.status == 400, r
    body = r.json()
    assert body["error"] == "invalid_grant", body
    assert description in body["error_description"]
    assert "access_token" not in body
    (rec,) = gcp.requests("token_jwt")
    assert rec.verified is False and rec.status == 400 and rec.token is None
    assert reason in rec.reason, rec.reason
    assert gcp.token_list() == []


def test_missing_scope_is_invalid_scope(gcp, sa, keys):
    r = grant(gcp, make_jwt(keys[0], std_header(sa), std_claims(sa, gcp, scope=None)))
    assert r.status == 400
    assert r.json() == {"error": "invalid_scope",
                        "error_description": "Invalid OAuth scope or ID token audience provided."}


def test_token_endpoint_request_errors(gcp, sa, keys):
    jwt = make_jwt(keys[0], std_header(sa), std_claims(sa, gcp))
    r = grant(gcp, jwt, grant_type="refresh_token")
    assert (r.status, r.json()["error"]) == (400, "unsupported_grant_type")
    r = grant(gcp, None)
    assert r.status == 400 and r.json() == {
        "error": "invalid_request", "error_description": "Missing required parameter: assertion"}
    r = grant(gcp, jwt, content_type="application/json")
    assert (r.status, r.json()["error"]) == (400, "invalid_request")
    r = request(gcp.url, "POST", "/token", headers={"Content-Type": FORM},
                body=f"grant_type={JWT_BEARER}&assertion={jwt}&assertion={jwt}")
    assert (r.status, r.json()["error"]) == (400, "invalid_request")
    r = request(gcp.url, "GET", "/token")
    assert r.status == 405
    assert all(rec.verified is None for rec in gcp.requests("token_jwt"))


def test_token_lifetime_is_configurable_and_enforced(gcp, sa, keys):
    gcp.set_token_lifetime(1)
    gcp.add_secret_version(PROJECT, "s", b"v")
    r = grant(gcp, make_jwt(keys[0], std_header(sa), std_claims(sa, gcp)))
    assert r.json()["expires_in"] == 1
    tok = r.json()["access_token"]
    assert access(gcp, PROJECT, "s", 1, tok).status == 200
    time.sleep(1.1)
    r = access(gcp, PROJECT, "s", 1, tok)
    assert r.status == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert gcp.requests("secret_access")[-1].reason == "token expired"


def test_key_rotation(tmp_path, keys):
    with FakeGCP() as fake:
        old = fake.create_service_account(email="rot@p.iam.gserviceaccount.com",
                                          private_key_pem=keys[0].pem)
        new = fake.add_key(old.email, private_key_pem=keys[1].pem)
        assert new.email == old.email and new.private_key_id != old.private_key_id
        assert grant(fake, make_jwt(keys[1], std_header(new), std_claims(new, fake))).status == 200
        assert grant(fake, make_jwt(keys[0], std_header(old), std_claims(old, fake))).status == 200
        fake.delete_key(old.private_key_id)
        r = grant(fake, make_jwt(keys[0], std_header(old), std_claims(old, fake)))
        assert r.status == 400 and r.json()["error"] == "invalid_grant"
        assert grant(fake, make_jwt(keys[1], std_header(new), std_claims(new, fake))).status == 200


# ---------------------------------------------------------------------------
# metadata server
# ---------------------------------------------------------------------------

def test_metadata_token_with_header(gcp):
    r = md(gcp, TOKEN_PATH, FLAVOR)
    assert r.status == 200, r
    assert r.header("Metadata-Flavor") == "Google"
    assert r.header("Content-Type") == "application/json"
    assert b" " not in r.body  # compact JSON, as the metadata server answers
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 3599 and body["token_type"] == "Bearer"
    gcp.add_secret_version(PROJECT, "gh", b"x")
    assert access(gcp, PROJECT, "gh", "latest", body["access_token"]).status == 200
    (rec,) = gcp.requests("metadata_token")
    assert rec.verified is True and rec.token == body["access_token"]
    assert rec.email == f"{NUMBER}-compute@developer.gserviceaccount.com"
    assert gcp.requests("secret_access")[0].email == rec.email


def test_metadata_without_header_is_403(gcp):
    r = md(gcp, TOKEN_PATH)
    assert r.status == 403
    assert r.header("Content-Type").startswith("text/html")
    assert "Missing Metadata-Flavor:Google header." in r.text
    assert TOKEN_PATH in r.text
    assert "access_token" not in r.text
    (rec,) = gcp.requests("metadata_token")
    assert rec.verified is False and "Metadata-Flavor" in rec.reason and rec.token is None
    assert gcp.token_list() == []


def test_metadata_refuses_x_forwarded_for(gcp):
    r = md(gcp, TOKEN_PATH, dict(FLAVOR, **{"X-Forwarded-For": "10.0.0.1"}))
    assert r.status == 403 and "access_token" not in r.text
    assert gcp.requests("metadata_token")[0].reason == "X-Forwarded-For present"
    assert gcp.token_list() == []


def test_metadata_other_endpoints(gcp):
    r = md(gcp, "/computeMetadata/v1/project/project-id", FLAVOR)
    assert (r.status, r.text, r.header("Metadata-Flavor")) == (200, PROJECT, "Google")
    r = md(gcp, "/computeMetadata/v1/project/numeric-project-id", FLAVOR)
    assert (r.status, r.text) == (200, str(NUMBER))
    r = md(gcp, "/computeMetadata/v1/instance/service-accounts/default/email", FLAVOR)
    assert (r.status, r.text) == (200, f"{NUMBER}-compute@developer.gserviceaccount.com")
    assert md(gcp, "/computeMetadata/v1/project/project-id").status == 403
    assert md(gcp, "/computeMetadata/v1/instance/nothing", FLAVOR).status == 404
    r = md(gcp, "/")  # the GCE ping needs no header
    assert r.status == 200 and r.header("Metadata-Flavor") == "Google"
    gcp.set_metadata(email="wi@p.iam.gserviceaccount.com", project_id="p")
    assert md(gcp, "/computeMetadata/v1/project/project-id", FLAVOR).text == "p"
    r = md(gcp, "/computeMetadata/v1/instance/service-accounts/wi@p.iam.gserviceaccount.com/token",
           FLAVOR)
    assert r.status == 200
    assert gcp.token_list()[0]["email"] == "wi@p.iam.gserviceaccount.com"


# ---------------------------------------------------------------------------
# Secret Manager
# ---------------------------------------------------------------------------

def test_secret_access_needs_a_valid_token(gcp, sa, keys):
    gcp.add_secret_version(PROJECT, "gh", b"v")
    r = access(gcp, PROJECT, "gh", 1, None)
    assert r.status == 401
    err = r.json()["error"]
    assert err["code"] == 401 and err["status"] == "UNAUTHENTICATED"
    assert err["message"].startswith("Request is missing required authentication credential")
    assert r.header("WWW-Authenticate") == 'Bearer realm="https://accounts.google.com/"'

    tok = valid_token(gcp, sa, keys[0])
    for bad, scheme, reason in (("ya29.c.unknown", "Bearer", "unknown token"),
                                (tok, "token", "not a Bearer token")):
        r = access(gcp, PROJECT, "gh", 1, bad, scheme=scheme)
        assert r.status == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
        assert r.json()["error"]["message"].startswith(
            "Request had invalid authentication credentials")
        assert 'error="invalid_token"' in r.header("WWW-Authenticate")
        assert gcp.requests("secret_access")[-1].reason.startswith(reason)
    assert access(gcp, PROJECT, "gh", 1, tok, scheme="bearer").status == 200

    gcp.expire_tokens()
    r = access(gcp, PROJECT, "gh", 1, tok)
    assert r.status == 401 and gcp.requests("secret_access")[-1].reason == "token expired"

    tok2 = gcp.issue_token(sa.email)
    assert access(gcp, PROJECT, "gh", 1, tok2).status == 200
    gcp.revoke_tokens()
    r = access(gcp, PROJECT, "gh", 1, tok2)
    assert r.status == 401 and gcp.requests("secret_access")[-1].reason == "token revoked"
    assert [rec.verified for rec in gcp.requests("secret_access")] == \
        [False, False, False, True, False, True, False]


def test_token_born_expired(gcp):
    gcp.add_secret_version(PROJECT, "gh", b"v")
    gcp.set_token_lifetime(0)
    r = md(gcp, TOKEN_PATH, FLAVOR)
    assert r.json()["expires_in"] == 0
    assert access(gcp, PROJECT, "gh", 1, r.json()["access_token"]).status == 401


def test_unknown_secret_and_version(gcp):
    tok = gcp.issue_token()
    r = access(gcp, PROJECT, "nope", "latest", tok)
    assert r.status == 404
    assert r.json() == {"error": {
        "code": 404, "status": "NOT_FOUND",
        "message": f"Secret [projects/{NUMBER}/secrets/nope] not found or has no versions."}}
    gcp.add_secret_version(PROJECT, "gh", b"v1")
    for v in (2, 0, "abc"):
        r = access(gcp, PROJECT, "gh", v, tok)
        assert r.status == 404 and r.json()["error"]["message"] == \
            f"Secret Version [projects/{NUMBER}/secrets/gh/versions/{v}] not found."
    assert access(gcp, "other-project", "gh", 1, tok).status == 404
    assert request(gcp.url, "GET", f"/v1/projects/{PROJECT}/secrets/gh/versions/1",
                   headers={"Authorization": f"Bearer {tok}"}).status == 404


def test_latest_and_disabled_versions(gcp):
    tok = gcp.issue_token()
    for v in (b"one", b"two", b"three"):
        gcp.add_secret_version(PROJECT, "gh", v)

    def get(version):
        return access(gcp, PROJECT, "gh", version, tok)

    r = get("latest")
    assert r.status == 200
    assert r.json()["name"] == f"projects/{NUMBER}/secrets/gh/versions/3"
    assert base64.b64decode(r.json()["payload"]["data"]) == b"three"
    assert base64.b64decode(get(1).json()["payload"]["data"]) == b"one"

    gcp.disable_version(PROJECT, "gh", 3)
    r = get(3)
    assert r.status == 400 and r.json()["error"] == {
        "code": 400, "status": "FAILED_PRECONDITION",
        "message": f"Secret Version [projects/{NUMBER}/secrets/gh/versions/3] is in "
                   "DISABLED state."}
    # the real API: latest = most recently created version, whatever its state
    r = get("latest")
    assert r.status == 400 and "versions/3] is in DISABLED state" in r.text
    assert gcp.requests("secret_access")[-1].resolved.endswith("/versions/3")
    # opt-in: latest = newest ENABLED version
    gcp.set_latest_policy("newest_enabled")
    r = get("latest")
    assert r.status == 200 and r.json()["name"].endswith("/versions/2")
    assert base64.b64decode(r.json()["payload"]["data"]) == b"two"

    gcp.destroy_version(PROJECT, "gh", 2)
    assert "is in DESTROYED state" in get(2).text
    assert get("latest").json()["name"].endswith("/versions/1")
    gcp.enable_version(PROJECT, "gh", 3)
    assert base64.b64decode(get("latest").json()["payload"]["data"]) == b"three"
    gcp.add_secret_version(PROJECT, "gh", b"four", enabled=False)
    assert get("latest").json()["name"].endswith("/versions/3")


def test_project_number_and_unregistered_project(gcp):
    tok = gcp.issue_token()
    gcp.add_secret_version(PROJECT, "gh", b"v")
    r = access(gcp, str(NUMBER), "gh", 1, tok)  # by number: same secret
    assert r.status == 200 and r.json()["name"] == f"projects/{NUMBER}/secrets/gh/versions/1"
    gcp.add_secret_version("loose", "gh", b"w")
    r = access(gcp, "loose", "gh", 1, tok)  # unregistered: the id as given
    assert r.json()["name"] == "projects/loose/secrets/gh/versions/1"
    gcp.add_project("loose", 7)
    assert access(gcp, "7", "gh", 1, tok).json()["name"] == "projects/7/secrets/gh/versions/1"


def test_payload_encoding_edge_cases(gcp):
    tok = gcp.issue_token()
    for i, data in enumerate((b"", b"a", b"ab", b"abc", bytes(range(256)) * 40)):
        gcp.add_secret_version(PROJECT, "s", data)
        p = access(gcp, PROJECT, "s", i + 1, tok).json()["payload"]
        assert base64.b64decode(p["data"], validate=True) == data
        assert len(p["data"]) % 4 == 0  # padded standard base64
        assert p["dataCrc32c"] == str(crc32c_bitwise(data))
    gcp.add_secret_version(PROJECT, "s", b"\xfb\xff")  # "+/" in standard, not "-_"
    assert access(gcp, PROJECT, "s", 6, tok).json()["payload"]["data"] == "+/8="


# ---------------------------------------------------------------------------
# failure injection
# ---------------------------------------------------------------------------

def test_fail_status_for_next_n_requests(gcp, sa, keys):
    gcp.add_secret_version(PROJECT, "gh", b"v")
    tok = gcp.issue_token()
    fid = gcp.fail("secretmanager", status=503, count=2)
    for _ in range(2):
        r = access(gcp, PROJECT, "gh", 1, tok)
        assert r.status == 503 and r.json()["error"]["status"] == "UNAVAILABLE"
    assert access(gcp, PROJECT, "gh", 1, tok).status == 200
    assert [x["fired"] for x in gcp.failure_list()] == [2]
    assert [rec.fault for rec in gcp.requests("secret_access")] == \
        [f"{fid}:status 503", f"{fid}:status 503", None]
    assert [rec.verified for rec in gcp.requests("secret_access")] == [None, None, True]

    gcp.fail("token", status=500)
    assert md(gcp, TOKEN_PATH, FLAVOR).status == 200  # other endpoints unaffected
    r = grant(gcp, make_jwt(keys[0], std_header(sa), std_claims(sa, gcp)))
    assert r.status == 500 and r.json()["error"] == "internal_failure"
    gcp.fail("metadata", status=429, headers={"Retry-After": "3"})
    r = md(gcp, TOKEN_PATH, FLAVOR)
    assert r.status == 429 and r.header("Retry-After") == "3"
    assert r.header("Metadata-Flavor") == "Google"
    gcp.fail("any", status=403, body={"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                 "message": "denied"}})
    r = access(gcp, PROJECT, "gh", 1, tok)
    assert r.status == 403 and r.json()["error"]["message"] == "denied"


def test_fail_hang_then_answer(gcp):
    gcp.fail("metadata", hang=0.4)
    t0 = time.monotonic()
    r = md(gcp, TOKEN_PATH, FLAVOR)
    assert r.status == 200 and time.monotonic() - t0 >= 0.35
    gcp.fail("metadata", hang=0.2, status=500)
    t0 = time.monotonic()
    assert md(gcp, TOKEN_PATH, FLAVOR).status == 500 and time.monotonic() - t0 >= 0.15


def test_fail_drop_and_hang_released_by_reset(gcp):
    gcp.fail("metadata", drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        md(gcp, TOKEN_PATH, FLAVOR)
    assert md(gcp, TOKEN_PATH, FLAVOR).status == 200

    gcp.fail("secretmanager", hang=60)
    outcome = []

    def hung():
        try:
            outcome.append(access(gcp, PROJECT, "gh", 1, "x").status)
        except (http.client.HTTPException, OSError) as e:
            outcome.append(type(e).__name__)

    th = threading.Thread(target=hung)
    th.start()
    deadline = time.monotonic() + 5
    while not gcp.requests("secret_access") and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    gcp.reset()
    th.join(5)
    assert not th.is_alive() and time.monotonic() - t0 < 2
    assert outcome and outcome[0] != 200


# ---------------------------------------------------------------------------
# control over HTTP and the standalone runner
# ---------------------------------------------------------------------------

def ctl(gcp, method, path, payload=None):
    r = request(gcp.url, method, path, headers={"Content-Type": "application/json"},
                body=None if payload is None else json.dumps(payload))
    return r.status, (r.json() if r.body else None)


def test_http_control(gcp, tmp_path):
    assert ctl(gcp, "POST", "/_fake/secrets", {"project": PROJECT, "secret": "s", "data": "v1"}) \
        == (200, {"version": 1, "name": f"projects/{NUMBER}/secrets/s/versions/1"})
    assert ctl(gcp, "POST", "/_fake/secrets", {
        "project": PROJECT, "secret": "s", "data_b64": base64.b64encode(b"\x00v2").decode(),
        "enabled": False})[1]["version"] == 2
    st, tokj = ctl(gcp, "POST", "/_fake/tokens", {"lifetime": 100})
    assert st == 200 and tokj["expires_in"] == 100
    tok = tokj["access_token"]
    assert access(gcp, PROJECT, "s", 2, tok).status == 400
    assert ctl(gcp, "POST", "/_fake/secrets/state",
               {"project": PROJECT, "secret": "s", "version": 2, "state": "ENABLED"})[0] == 200
    assert base64.b64decode(access(gcp, PROJECT, "s", "latest", tok).json()["payload"]["data"]) \
        == b"\x00v2"
    st, cfg = ctl(gcp, "POST", "/_fake/config", {"token_lifetime": 42,
                                                  "latest_policy": "newest_enabled"})
    assert st == 200 and cfg["token_lifetime"] == 42 and cfg["latest_policy"] == "newest_enabled"
    assert cfg["token_url"] == gcp.token_url and cfg["metadata_host"] == gcp.metadata_host
    assert md(gcp, TOKEN_PATH, FLAVOR).json()["expires_in"] == 42
    assert ctl(gcp, "POST", "/_fake/projects", {"project_id": "q", "number": 9})[0] == 200
    assert ctl(gcp, "POST", "/_fake/faults", {"endpoint": "secretmanager", "status": 502})[1] \
        == {"id": gcp.failure_list()[0]["id"]}
    assert access(gcp, PROJECT, "s", 1, tok).status == 502
    assert ctl(gcp, "GET", "/_fake/faults")[1][0]["fired"] == 1
    assert ctl(gcp, "DELETE", "/_fake/faults")[0] == 200 and gcp.failure_list() == []
    assert ctl(gcp, "POST", "/_fake/revoke", {"token": tok})[0] == 200
    assert access(gcp, PROJECT, "s", 1, tok).status == 401
    st, log = ctl(gcp, "GET", "/_fake/requests?kind=secret_access")
    assert st == 200 and [e["status"] for e in log] == [400, 200, 502, 401]
    assert log[-1]["verified"] is False and log[-1]["reason"] == "token revoked"
    assert log[-1]["token"] == tok
    assert len(ctl(gcp, "GET", "/_fake/tokens")[1]) == 2
    assert ctl(gcp, "POST", "/_fake/faults", {"endpoint": "nope"})[0] == 400
    assert ctl(gcp, "POST", "/_fake/nothing")[0] == 404
    assert ctl(gcp, "POST", "/_fake/reset")[0] == 200
    assert gcp.requests() == [] and gcp.token_list() == [] and gcp.secrets == {}
    assert gcp.token_lifetime == 3599 and gcp.latest_policy == "newest"
    assert "q" not in gcp.projects


def test_standalone_main(tmp_path):
    kf = tmp_path / "key.json"
    code = "import sys; from fake_cloud.gcp import main; sys.exit(main(sys.argv[1:]))"
    p = subprocess.Popen([sys.executable, "-c", code, "--project", "proj=77",
                          "--secret", "proj/gh=hello", "--secret", "proj/gh=world",
                          "--service-account-key", str(kf)],
                         cwd=TESTS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert " listening on http://127.0.0.1:" in line, line + p.stderr.read()
        url = line.rsplit(" ", 1)[1].strip()
        assert "key file" in p.stdout.readline()
        assert json.loads(kf.read_text())["token_uri"] == url + "/token"
        tok = json.loads(request(url, "GET", "/computeMetadata/v1/instance/service-accounts/"
                                 "default/token", headers=FLAVOR).body)["access_token"]
        r = request(url, "GET", "/v1/projects/proj/secrets/gh/versions/latest:access",
                    headers={"Authorization": f"Bearer {tok}"})
        assert r.status == 200 and r.json()["name"] == "projects/77/secrets/gh/versions/2"
        assert base64.b64decode(r.json()["payload"]["data"]) == b"world"
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
