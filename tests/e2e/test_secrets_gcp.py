"""Identity tokens from Google Secret Manager (``gcp:secretmanager:<resource>``), end to end.

The real ghpool binary against tests/fake_cloud/gcp.py (a token endpoint that verifies the
RS256 JWT with openssl, a metadata server and Secret Manager on one loopback URL): the
service-account key flow, the metadata-server flow, version forms, payload checks (trailing
newline, CRC32C, NUL bytes), Google's error answers, bad key files and references, the token
cache with its one retry after a 401, and a pooled read reaching the fake GitHub with the
resolved token. No test may see a secret, an access token or a private key in ghpool's output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import SANITIZER_MARKERS, base_env  # noqa: E402  (tests/e2e on sys.path)
from fake_cloud.gcp import FakeGCP, crc32c
from fake_github.client import wait_until

PROJECT = "ghpool-test"
NUMBER = 424242424242
SECRET = "tok_gcp_secret_7f3a"  # never to appear in ghpool's output


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gcp_server():
    g = FakeGCP().start()
    yield g
    g.close()


@pytest.fixture(scope="module")
def sa_key_pem(gcp_server):
    # One RSA key for the module: keygen is the slow part of the fake.
    return gcp_server.create_service_account().private_key_pem


@pytest.fixture
def gcp(gcp_server):
    gcp_server.reset()
    yield gcp_server
    gcp_server.reset()  # releases hung handlers


@pytest.fixture
def sa(gcp, sa_key_pem, tmp_path):
    """A registered service account with its key file in tmp_path (token_uri -> the fake)."""
    return gcp.create_service_account(tmp_path / "sa-key.json", private_key_pem=sa_key_pem)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when we return: connections are refused


def config_text(identities: list[tuple[str, str]], timeout: int = 5,
                upstream: str = "http://127.0.0.1:9") -> str:
    lines = [f'upstream_url = "{upstream}"', f"upstream_timeout_secs = {timeout}", ""]
    for ident, ref in identities:
        lines += ["[[identities]]", f"id = {json.dumps(ident)}", f"token = {json.dumps(ref)}", ""]
    return "\n".join(lines)


def gcp_env(gcp, key_file=None, metadata=True) -> dict[str, str | None]:
    """The fake's environment; a key file only when asked (the host's own ADC never leaks in)."""
    env: dict[str, str | None] = {"GOOGLE_APPLICATION_CREDENTIALS": None,
                                  "GCE_METADATA_HOST": None}
    env.update(gcp.env(key_file=key_file, metadata=metadata))
    return env


class Run:
    def __init__(self, p: subprocess.CompletedProcess, elapsed: float):
        self.rc = p.returncode
        self.out = (p.stdout or "") + (p.stderr or "")
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return f"<exit {self.rc} after {self.elapsed:.1f}s>\n{self.out}"


def check_config(ghpool_bin: Path, tmp_path: Path, identities: list[tuple[str, str]],
                 env: dict[str, str | None], timeout: int = 5) -> Run:
    cfg = tmp_path / "ghpool.toml"
    cfg.write_text(config_text(identities, timeout))
    t0 = time.monotonic()
    p = subprocess.run([str(ghpool_bin), "--config", str(cfg), "--check-config"],
                       env=base_env(env), cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return Run(p, time.monotonic() - t0)


def assert_no_secrets(run_or_text, gcp, extra: tuple[str, ...] = ()) -> None:
    """No payload, access token, private key or assertion; no sanitizer report."""
    out = run_or_text.out if isinstance(run_or_text, Run) else run_or_text
    for rec in gcp.requests():
        if rec.token:
            assert rec.token not in out, "an access token leaked"
        if rec.kind == "token_jwt" and rec.body:
            assertion = dict(x.split("=", 1) for x in rec.body.decode().split("&")).get(
                "assertion", "")
            assert not assertion or assertion not in out, "the JWT assertion leaked"
    for tok in gcp.token_list():
        assert tok["token"] not in out, "an access token leaked"
    for sa in gcp.service_accounts():
        for line in sa.private_key_pem.splitlines():
            if "PRIVATE KEY" not in line and len(line) > 20:
                assert line not in out, "private key material leaked"
    for s in (SECRET,) + extra:
        assert s not in out, f"the secret {s!r} leaked"
    for marker in SANITIZER_MARKERS:
        assert marker not in out, f"sanitizer report:\n{out}"


def assert_fails(run: Run, ident: str, ref: str, *needles: str) -> None:
    """Non-zero exit; ghpool: configuration error: <file>: line N: identity '<id>': <ref>: ..."""
    assert run.rc != 0, run
    assert f"identity '{ident}'" in run.out, run
    assert re.search(r"line \d+", run.out), run
    assert ref in run.out, run
    for n in needles:
        assert n in run.out, f"{n!r} not in\n{run.out}"


def masked_line(ref: str, token: str) -> str:
    return f'token = "****"  # from {ref}, sha256 {fingerprint(token)}'


REF = f"gcp:secretmanager:projects/{PROJECT}/secrets/gh/versions/latest"


# ---------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------

def test_service_account_key_flow(ghpool_bin, tmp_path, gcp, sa):
    gcp.add_secret_version(PROJECT, "gh", SECRET + "\n")  # as `echo tok | gcloud ...` stores it
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert run.rc == 0, run
    assert masked_line(REF, SECRET) in run.out, run
    assert_no_secrets(run, gcp)

    (grant,) = gcp.requests("token_jwt")
    assert grant.verified is True and grant.status == 200, grant.reason
    assert grant.method == "POST"
    assert grant.jwt_header == {"alg": "RS256", "typ": "JWT", "kid": sa.kid}
    claims = grant.claims
    assert claims["iss"] == sa.email
    assert claims["aud"] == gcp.token_url
    assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 60
    assert grant.header("Content-Type") == "application/x-www-form-urlencoded"
    # the metadata server is never asked when a key file is configured
    assert gcp.requests("metadata_token") == []

    (access,) = gcp.requests("secret_access")
    assert access.verified is True and access.status == 200
    assert access.token == grant.token  # the token the JWT bought
    assert access.secret == f"projects/{PROJECT}/secrets/gh/versions/latest"
    assert access.method == "GET"


def test_metadata_server_flow(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert run.rc == 0, run
    assert masked_line(REF, SECRET) in run.out, run
    assert_no_secrets(run, gcp)
    (md,) = gcp.requests("metadata_token")
    assert md.verified is True, md.reason  # Metadata-Flavor: Google, no X-Forwarded-For
    assert md.path == "/computeMetadata/v1/instance/service-accounts/default/token"
    assert gcp.requests("token_jwt") == []
    (access,) = gcp.requests("secret_access")
    assert access.verified is True and access.token == md.token


def test_metadata_server_refusing_is_reported(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.fail("metadata", status=404)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "metadata server", "404")
    assert_no_secrets(run, gcp)
    assert gcp.requests("secret_access") == []


def test_no_credentials_at_all(ghpool_bin, tmp_path, gcp):
    port = closed_port()
    env = gcp_env(gcp, metadata=False)
    env["GCE_METADATA_HOST"] = f"127.0.0.1:{port}"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], env)
    assert_fails(run, "gcpbot", REF,
                 "no Google credentials found (GOOGLE_APPLICATION_CREDENTIALS is unset and "
                 f"the metadata server at 127.0.0.1:{port} did not answer)")
    assert run.elapsed < 10, run
    assert gcp.requests() == []


def test_metadata_server_that_hangs_is_given_up(ghpool_bin, tmp_path, gcp):
    gcp.fail("metadata", hang=30)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp), timeout=2)
    assert_fails(run, "gcpbot", REF, "no Google credentials found")
    assert run.elapsed < 10, run


def test_empty_credentials_variable_means_unset(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    env = gcp_env(gcp)
    env["GOOGLE_APPLICATION_CREDENTIALS"] = ""
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], env)
    assert run.rc == 0, run
    assert len(gcp.requests("metadata_token")) == 1


@pytest.mark.parametrize("content, needle", [
    ("{ not json", "not a JSON key file"),
    ("[1, 2]", "not a JSON key file"),
    ('{"client_email": "x@y"}', 'no "type"'),
    ('{"type": "service_account", "private_key": "x"}', "lacks client_email"),
    ('{"type": "service_account", "client_email": "x@y"}', "lacks private_key"),
])
def test_invalid_key_file(ghpool_bin, tmp_path, gcp, content, needle):
    kf = tmp_path / "bad.json"
    kf.write_text(content)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, kf))
    assert_fails(run, "gcpbot", REF, "GOOGLE_APPLICATION_CREDENTIALS", str(kf), needle)
    assert gcp.requests() == []


def test_missing_key_file(ghpool_bin, tmp_path, gcp):
    kf = tmp_path / "nope.json"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, kf))
    assert_fails(run, "gcpbot", REF, str(kf), "No such file or directory")
    assert gcp.requests() == []


def test_key_file_with_broken_private_key(ghpool_bin, tmp_path, gcp, sa):
    key = json.loads(Path(sa.key_file).read_text())
    pem_lines = key["private_key"].splitlines()
    # drop half the base64: still PEM-shaped, no longer a key
    key["private_key"] = "\n".join(pem_lines[:1] + pem_lines[1:len(pem_lines) // 2]
                                   + pem_lines[-1:]) + "\n"
    Path(sa.key_file).write_text(json.dumps(key))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, "private key")
    assert_no_secrets(run, gcp)
    assert gcp.requests() == []


def test_key_file_with_ec_private_key(ghpool_bin, tmp_path, gcp, sa):
    ec = subprocess.run(["openssl", "genpkey", "-algorithm", "EC",
                         "-pkeyopt", "ec_paramgen_curve:P-256"],
                        capture_output=True, text=True, check=True).stdout
    key = json.loads(Path(sa.key_file).read_text())
    key["private_key"] = ec
    Path(sa.key_file).write_text(json.dumps(key))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, "not RSA")
    for line in ec.splitlines():
        if "PRIVATE KEY" not in line:
            assert line not in run.out
    assert gcp.requests() == []


@pytest.mark.parametrize("kind, extra", [
    ("authorized_user", {"client_id": "123.apps.googleusercontent.com",
                         "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
                         "refresh_token": "1//0gREFRESHtok_zzzz"}),
    ("external_account", {"audience": "//iam.googleapis.com/projects/1/x",
                          "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                          "credential_source": {"file": "/var/run/token"}}),
    ("impersonated_service_account",
     {"source_credentials": {"refresh_token": "1//0gREFRESHtok_zzzz"}}),
])
def test_unsupported_credential_type(ghpool_bin, tmp_path, gcp, kind, extra):
    kf = tmp_path / "adc.json"
    kf.write_text(json.dumps(dict({"type": kind}, **extra)))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, kf))
    assert_fails(run, "gcpbot", REF, f"credential type '{kind}' is not supported")
    assert_no_secrets(run, gcp, extra=("d-FL95Q19q7MQmFpd7hHD0Ty", "1//0gREFRESHtok_zzzz"))
    assert gcp.requests() == []


def test_jwt_signed_with_the_wrong_key_is_refused(ghpool_bin, tmp_path, gcp, sa):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    other = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                            "-pkeyopt", "rsa_keygen_bits:2048"],
                           capture_output=True, text=True, check=True).stdout
    key = json.loads(Path(sa.key_file).read_text())
    key["private_key"] = other  # same kid, a key the account never registered
    Path(sa.key_file).write_text(json.dumps(key))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, f"token endpoint {gcp.token_url}: HTTP 400: invalid_grant: "
                 "Invalid JWT Signature.")
    assert gcp.requests("token_jwt")[0].reason
    assert_no_secrets(run, gcp)
    for line in other.splitlines():
        if "PRIVATE KEY" not in line:
            assert line not in run.out
    assert gcp.requests("secret_access") == []


def test_deleted_key_is_refused(ghpool_bin, tmp_path, gcp, sa):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.delete_key(sa.kid)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, "token endpoint", "invalid_grant")
    assert_no_secrets(run, gcp)
    assert gcp.requests("secret_access") == []


def test_key_without_private_key_id_signs_without_kid(ghpool_bin, tmp_path, gcp, sa):
    key = json.loads(Path(sa.key_file).read_text())
    del key["private_key_id"]
    Path(sa.key_file).write_text(json.dumps(key))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    # the fake insists on a kid (Google would try every key of the account)
    assert_fails(run, "gcpbot", REF, "token endpoint", "invalid_grant")
    assert gcp.requests("token_jwt")[0].jwt_header == {"alg": "RS256", "typ": "JWT"}


@pytest.mark.parametrize("endpoint, body, needle", [
    ("token", {"token_type": "Bearer"}, "no usable access_token"),
    ("token", {"access_token": "ya29 with spaces", "expires_in": 10}, "no usable access_token"),
    ("token", {"access_token": "ya29.x", "expires_in": "soon"}, "expires_in"),
    ("token", {"access_token": "ya29.x", "expires_in": -5}, "expires_in"),
    ("token", "not json", "no usable access_token"),
])
def test_malformed_token_answers(ghpool_bin, tmp_path, gcp, sa, endpoint, body, needle):
    gcp.fail(endpoint, status=200, body=body)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, "token endpoint", needle)
    assert gcp.requests("secret_access") == []


def test_malformed_metadata_answer_and_host(ghpool_bin, tmp_path, gcp):
    gcp.fail("metadata", status=200, body={"access_token": "", "expires_in": 3599})
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "metadata server", "no usable access_token")
    env = gcp_env(gcp)
    env["GCE_METADATA_HOST"] = "127.0.0.1/evil?"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], env)
    assert_fails(run, "gcpbot", REF, "GCE_METADATA_HOST")
    assert len(gcp.requests("metadata_token")) == 1  # the bad host was never asked


def test_oversized_secret_manager_answer(ghpool_bin, tmp_path, gcp):
    gcp.fail("secretmanager", status=200, body="x" * (2 * 1024 * 1024))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "larger than")


def test_token_endpoint_failure(ghpool_bin, tmp_path, gcp, sa):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.fail("token", status=500)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp, sa.key_file))
    assert_fails(run, "gcpbot", REF, "token endpoint", "500")
    assert gcp.requests("secret_access") == []


# ---------------------------------------------------------------------------
# references and versions
# ---------------------------------------------------------------------------

def test_latest_explicit_and_short_form_versions(ghpool_bin, tmp_path, gcp):
    values = ["tok_gcp_v1_a1", "tok_gcp_v2_b2", "tok_gcp_v3_c3"]
    for v in values:
        gcp.add_secret_version(PROJECT, "gh", v)
    base = f"gcp:secretmanager:projects/{PROJECT}/secrets/gh"
    cases = [  # id, reference, value, the version name Secret Manager was asked for
        ("full-latest", f"{base}/versions/latest", values[2], "latest"),
        ("full-1", f"{base}/versions/1", values[0], "1"),
        ("short-2", f"{base}:2", values[1], "2"),
        ("short-latest", f"{base}:latest", values[2], "latest"),
        ("bare", base, values[2], "latest"),
        ("by-number", f"gcp:secretmanager:projects/{NUMBER}/secrets/gh/versions/1", values[0],
         "1"),
    ]
    run = check_config(ghpool_bin, tmp_path, [(c[0], c[1]) for c in cases], gcp_env(gcp))
    assert run.rc == 0, run
    for ident, ref, value, _ in cases:
        assert masked_line(ref, value) in run.out, (ident, run)
    assert_no_secrets(run, gcp, extra=tuple(values))
    asked = [r.secret for r in gcp.requests("secret_access")]
    assert asked == [f"projects/{NUMBER if c[0] == 'by-number' else PROJECT}/secrets/gh/"
                     f"versions/{c[3]}" for c in cases]
    # one access token serves every identity: it is cached
    assert len(gcp.requests("metadata_token")) == 1
    assert len({r.token for r in gcp.requests("secret_access")}) == 1


@pytest.mark.parametrize("payload, value", [
    (b"tok_gcp_lf\n", "tok_gcp_lf"),
    (b"tok_gcp_crlf\r\n", "tok_gcp_crlf"),
    (b"tok_gcp_bare", "tok_gcp_bare"),
])
def test_one_trailing_newline_is_trimmed(ghpool_bin, tmp_path, gcp, payload, value):
    gcp.add_secret_version(PROJECT, "gh", payload)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert run.rc == 0, run
    assert masked_line(REF, value) in run.out, run
    assert_no_secrets(run, gcp, extra=(value,))


def test_only_one_newline_is_trimmed(ghpool_bin, tmp_path, gcp):
    # "tok\n" after trimming one newline is not a usable token: refused, not silently fixed
    gcp.add_secret_version(PROJECT, "gh", b"tok_gcp_two_nl\n\n")
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF)
    assert_no_secrets(run, gcp, extra=("tok_gcp_two_nl",))


def test_payload_with_nul_byte_is_refused(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", b"tok_gcp\x00tail")
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "NUL", "header")
    assert_no_secrets(run, gcp, extra=("tok_gcp", "tail"))


def test_empty_payload_is_refused(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", b"\n")
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "empty")


def forged_answer(data: bytes, crc: int | str | None) -> dict:
    payload: dict = {"data": base64.b64encode(data).decode()}
    if crc is not None:
        payload["dataCrc32c"] = str(crc)
    return {"name": f"projects/{NUMBER}/secrets/gh/versions/1", "payload": payload}


def test_crc32c_mismatch_is_refused(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    good = crc32c(SECRET.encode())
    gcp.fail("secretmanager", status=200, body=forged_answer(SECRET.encode(), good ^ 1))
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "CRC32C")
    assert_no_secrets(run, gcp)


def test_crc32c_check_vector_and_absent_crc(ghpool_bin, tmp_path, gcp):
    # crc32c("123456789") = 0xE3069283: our CRC agrees with the reference vector
    assert crc32c(b"123456789") == 0xE3069283
    gcp.fail("secretmanager", status=200, body=forged_answer(b"123456789", 0xE3069283))
    gcp.fail("secretmanager", status=200, body=forged_answer(b"tok_no_crc", None))
    gcp.fail("secretmanager", status=200, body=forged_answer(b"tok_bad_crc", "12ab"))
    run = check_config(ghpool_bin, tmp_path, [("vector", REF), ("nocrc", REF)], gcp_env(gcp))
    assert run.rc == 0, run
    assert masked_line(REF, "123456789") in run.out, run
    assert masked_line(REF, "tok_no_crc") in run.out, run
    run = check_config(ghpool_bin, tmp_path, [("badcrc", REF)], gcp_env(gcp))
    assert_fails(run, "badcrc", REF, "dataCrc32c")


@pytest.mark.parametrize("data", ["not base64!", "QUJD=", "QQ", "QUJDRA=x"])
def test_malformed_base64_payload(ghpool_bin, tmp_path, gcp, data):
    body = {"name": "x", "payload": {"data": data}}
    gcp.fail("secretmanager", status=200, body=body)
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    if data == "QQ":  # unpadded but well formed: "A", a one-byte token
        assert run.rc == 0 and masked_line(REF, "A") in run.out, run
    else:
        assert_fails(run, "gcpbot", REF, "base64")


def test_unknown_secret(ghpool_bin, tmp_path, gcp):
    ref = f"gcp:secretmanager:projects/{PROJECT}/secrets/nope/versions/latest"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", ref)], gcp_env(gcp))
    assert_fails(run, "gcpbot", ref, "GCP Secret Manager: NOT_FOUND: Secret "
                 f"[projects/{NUMBER}/secrets/nope] not found or has no versions.")


def test_unknown_version(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    ref = f"gcp:secretmanager:projects/{PROJECT}/secrets/gh/versions/9"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", ref)], gcp_env(gcp))
    assert_fails(run, "gcpbot", ref, "NOT_FOUND", "versions/9] not found.")


def test_disabled_version(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", "tok_gcp_old")
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.disable_version(PROJECT, "gh", 2)
    for ref in (REF, f"gcp:secretmanager:projects/{PROJECT}/secrets/gh:2"):
        run = check_config(ghpool_bin, tmp_path, [("gcpbot", ref)], gcp_env(gcp))
        assert_fails(run, "gcpbot", ref, "GCP Secret Manager: FAILED_PRECONDITION: ",
                     "is in DISABLED state.")
        assert_no_secrets(run, gcp, extra=("tok_gcp_old",))
    run = check_config(ghpool_bin, tmp_path,
                       [("gcpbot", f"gcp:secretmanager:projects/{PROJECT}/secrets/gh:1")],
                       gcp_env(gcp))
    assert run.rc == 0 and fingerprint("tok_gcp_old") in run.out, run


def test_permission_denied_and_non_json_errors(ghpool_bin, tmp_path, gcp):
    gcp.fail("secretmanager", status=403, body={"error": {
        "code": 403, "status": "PERMISSION_DENIED",
        "message": "Permission 'secretmanager.versions.access' denied for resource 'x'."}})
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "GCP Secret Manager: PERMISSION_DENIED: Permission "
                 "'secretmanager.versions.access' denied")
    gcp.fail("secretmanager", status=502, body="<html>bad gateway</html>")
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "GCP Secret Manager: HTTP 502")


def test_secret_manager_unreachable(ghpool_bin, tmp_path, gcp):
    env = gcp_env(gcp)
    env["GHPOOL_GCP_SECRETMANAGER_URL"] = f"http://127.0.0.1:{closed_port()}"
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], env)
    assert_fails(run, "gcpbot", REF, "GCP Secret Manager at http://127.0.0.1:")
    assert_no_secrets(run, gcp)


def test_secret_manager_redirect_is_not_followed(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.fail("secretmanager", status=302, body="",
             headers={"Location": gcp.url + f"/v1/projects/{PROJECT}/secrets/gh/versions/1:access"})
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "HTTP 302")
    assert len(gcp.requests("secret_access")) == 1


@pytest.mark.parametrize("resource", [
    "projects/p/secrets/s/versions/",
    "projects/p/secrets/s:",
    "projects//secrets/s",
    "projects/p/secrets/",
    "projects/p/secrets/a b",
    "projects/p/secrets/s?alt=json",
    "projects/p/secrets/s#frag",
    "projects/p/secrets/%2e%2e/versions/1",
    "projects/p/secrets/s/versions/1/extra",
    "projects/p/secrets/s/versions/..",
    "projects/p/buckets/s",
    "projects/../secrets/s",
])
def test_bad_references_are_refused_before_any_request(ghpool_bin, tmp_path, gcp, resource):
    ref = "gcp:secretmanager:" + resource
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", ref)], gcp_env(gcp))
    assert run.rc != 0, run
    assert "identity 'gcpbot'" in run.out, run
    assert gcp.requests() == [], gcp.requests()


# ---------------------------------------------------------------------------
# the token cache
# ---------------------------------------------------------------------------

def test_revoked_cached_token_is_replaced_once(ghpool_bin, tmp_path, gcp):
    """A 401 to a cached token: fetch a fresh one and retry, once."""
    gcp.add_secret_version(PROJECT, "a", "tok_gcp_a_111")
    gcp.add_secret_version(PROJECT, "b", "tok_gcp_b_222")
    # 1st access answers normally; the 2nd waits, and meanwhile every token is revoked
    gcp.fail("secretmanager", hang=0.01, count=1)
    gcp.fail("secretmanager", hang=1.5, count=1)
    refs = [("ida", f"gcp:secretmanager:projects/{PROJECT}/secrets/a"),
            ("idb", f"gcp:secretmanager:projects/{PROJECT}/secrets/b")]

    def revoke_during_second_access():
        wait_until(lambda: len(gcp.requests("secret_access")) >= 2, 20,
                   message="a second access")
        gcp.revoke_tokens()

    th = threading.Thread(target=revoke_during_second_access, daemon=True)
    th.start()
    run = check_config(ghpool_bin, tmp_path, refs, gcp_env(gcp))
    th.join(5)
    assert run.rc == 0, run
    assert masked_line(refs[1][1], "tok_gcp_b_222") in run.out, run
    assert [r.status for r in gcp.requests("secret_access")] == [200, 401, 200]
    tokens = [r.token for r in gcp.requests("metadata_token")]
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert [r.token for r in gcp.requests("secret_access")] == [tokens[0], tokens[0], tokens[1]]
    assert_no_secrets(run, gcp, extra=("tok_gcp_a_111", "tok_gcp_b_222"))


def test_401_to_a_fresh_token_is_not_retried(ghpool_bin, tmp_path, gcp):
    gcp.add_secret_version(PROJECT, "gh", SECRET)
    gcp.fail("secretmanager", status=401, body={"error": {
        "code": 401, "status": "UNAUTHENTICATED",
        "message": "Request had invalid authentication credentials."}})
    run = check_config(ghpool_bin, tmp_path, [("gcpbot", REF)], gcp_env(gcp))
    assert_fails(run, "gcpbot", REF, "GCP Secret Manager: UNAUTHENTICATED: Request had invalid")
    assert len(gcp.requests("secret_access")) == 1
    assert len(gcp.requests("metadata_token")) == 1


def test_short_lived_token_is_not_reused(ghpool_bin, tmp_path, gcp):
    # a token with a minute or less to live serves one call; the next gets a fresh one
    gcp.set_token_lifetime(45)
    gcp.add_secret_version(PROJECT, "a", "tok_gcp_a_111")
    gcp.add_secret_version(PROJECT, "b", "tok_gcp_b_222")
    run = check_config(ghpool_bin, tmp_path,
                       [("ida", f"gcp:secretmanager:projects/{PROJECT}/secrets/a"),
                        ("idb", f"gcp:secretmanager:projects/{PROJECT}/secrets/b")],
                       gcp_env(gcp))
    assert run.rc == 0, run
    assert len(gcp.requests("metadata_token")) == 2


# ---------------------------------------------------------------------------
# the server
# ---------------------------------------------------------------------------

def test_pooled_read_uses_the_resolved_token(ghpool, fake, tmp_path, gcp, sa):
    gcp.add_secret_version(PROJECT, "gh", SECRET + "\n")
    fake.add_token(SECRET, "gcp-bot-gh")
    g = ghpool(identities=[{"id": "gcpbot", "token": REF}], upstream_timeout_secs=5,
               _env=gcp_env(gcp, sa.key_file))
    assert g.state("gcpbot") == "active"
    assert g.identity("gcpbot")["login"] == "gcp-bot-gh"
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") == "gcpbot"
    seen = [rec.path_only for rec in fake.requests(token=SECRET)]
    assert seen[:2] == ["/rate_limit", "/user"], seen
    assert "/repos/octo-org/hello" in seen
    assert gcp.requests("token_jwt")[0].verified is True
    for rec in g.stats()["identities"]:
        assert SECRET not in json.dumps(rec)
    assert SECRET.encode() not in r.body
    g.stop()
    assert_no_secrets(g.log_text(), gcp)
