"""``aws:secretsmanager:<id>:<key>`` identities end to end (src/aws.c).

The real ghpool binary resolves identity tokens from the fake AWS (tests/fake_cloud/aws.py),
which verifies SigV4 independently and logs which kind of credentials signed each
GetSecretValue. Covered: every source of the credential chain in its turn and their
precedence (environment, web identity, shared files, container, EC2 IMDSv2 — the order the
AWS SDKs document), the cache of temporary credentials across resolutions in one process,
the errors (unknown secret, missing key, SecretString not JSON, bad signature, expired web
identity token, no region, no credentials ...), and a pooled read with a token from AWS.

Every run gets an environment with no AWS_* variable of the machine's and HOME in tmp_path,
so nothing outside the test can supply credentials. No output may contain a secret value,
a secret access key, a session token or a web identity token.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from conftest import SANITIZER_MARKERS, free_port  # noqa: E402
from fake_cloud import FakeAWS  # noqa: E402

REGION = "us-east-1"
AK, SK = "AKIAGHPOOLENV0000001", "env/secret+key/AAAAAAAAAAAAAAAAAAAAAAAAA"
FILE_AK, FILE_SK = "AKIAGHPOOLFILE000001", "file/secret+key/BBBBBBBBBBBBBBBBBBBBBBBB"
TMP_AK, TMP_SK = "ASIAGHPOOLSESSION001", "session/secret+key/CCCCCCCCCCCCCCCCCCCCCC"
TMP_TOKEN = "IQoJb3JpZ2luX2VjEGhwb29sLXNlc3Npb24tdG9rZW4+/=="
ROLE_ARN = "arn:aws:iam::123456789012:role/ghpool-irsa"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Z2hwb29sIn0.c2lnbmF0dXJl"
POD_TOKEN = "pod-identity-authorization-token-0123456789"
ECS_PATH = "/v2/credentials/5f3b-ghpool"
POD_PATH = "/v1/credentials"
SECRET_ID = "ghpool/tokens"
TOKEN = "ghp_FromSecretsManager0123456789abcdef"
SECRET = '{"token": "%s", "other": "ghp_OtherValue000"}' % TOKEN
REF = f"aws:secretsmanager:{SECRET_ID}:token"

# Never in any output.
NEVER = [SK, FILE_SK, TMP_SK, TMP_TOKEN, JWT, POD_TOKEN, TOKEN, "ghp_OtherValue000"]


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


@pytest.fixture(scope="module")
def aws_server():
    fake = FakeAWS(region=REGION).start()
    yield fake
    fake.stop()


@pytest.fixture
def aws(aws_server):
    """The module's FakeAWS, reset, with the env key, a file key and the secret."""
    aws_server.reset()
    aws_server.coral_namespace = False
    aws_server.add_credentials(AK, SK)
    aws_server.add_credentials(FILE_AK, FILE_SK)
    aws_server.put_secret(SECRET_ID, SECRET)
    yield aws_server
    aws_server.reset()  # also releases hung handlers
    aws_server.coral_namespace = False


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


def aws_env(aws: FakeAWS, home: Path, **extra: str | None) -> dict[str, str | None]:
    """Extra env for base_env(): the machine's AWS_* unset, HOME in tmp_path, the fake as
    every endpoint, IMDS off unless a test turns it on. None unsets."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("AWS_")}
    env.update({"HOME": str(home), "AWS_REGION": aws.region, "AWS_ENDPOINT_URL": aws.url,
                "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(extra)
    return env


def static_env(**extra: str | None) -> dict[str, str | None]:
    return {"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK, **extra}


def write_config(tmp_path: Path, refs: list[str], name: str = "ghpool.toml") -> Path:
    lines = ['listen = "127.0.0.1"', "port = 0", 'upstream_url = "http://127.0.0.1:9"',
             "upstream_timeout_secs = 5"]
    for i, ref in enumerate(refs):
        ident = "a" if i == 0 else f"a{i}"
        lines += ["", "[[identities]]", f'id = "{ident}"', f'token = "{ref}"']
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def token_line(cfg: Path, n: int = 0) -> int:
    lines = [i + 1 for i, line in enumerate(cfg.read_text().splitlines())
             if line.startswith("token = ")]
    return lines[n]


def check_clean(p: subprocess.CompletedProcess) -> str:
    out = p.stdout + p.stderr
    for s in NEVER:
        assert s not in out, f"output contains a secret ({s[:6]}...):\n{out}"
    for marker in SANITIZER_MARKERS:
        assert marker not in out, out
    return out


def check_config(ghpool_cli, tmp_path, env, refs=(REF,)) -> subprocess.CompletedProcess:
    cfg = write_config(tmp_path, list(refs))
    p = ghpool_cli(["--config", str(cfg), "--check-config"], env=env, timeout=60)
    p.config = cfg  # type: ignore[attr-defined]
    check_clean(p)
    return p


def assert_resolved(p, ref: str = REF, token: str = TOKEN) -> None:
    assert p.returncode == 0, p.stderr
    assert re.search(r'token = "\*\*\*\*"\s+# from ' + re.escape(ref) + r", sha256 "
                     + fingerprint(token), p.stdout), p.stdout


def assert_fails(p, *needles: str, ref: str = REF) -> str:
    """Non-zero exit with ghpool's config error naming the identity, the reference and
    each needle."""
    assert p.returncode != 0, p.stdout
    line = token_line(p.config)
    m = re.search(r"ghpool: configuration error: .*: line (\d+): identity 'a': "
                  + re.escape(ref) + r": (.*)", p.stderr)
    assert m, p.stderr
    assert int(m.group(1)) == line, p.stderr
    for n in needles:
        assert n in m.group(2), p.stderr
    return m.group(2)


def sm_requests(aws: FakeAWS):
    return aws.requests("secretsmanager")


def signed_by(aws: FakeAWS) -> list[tuple[str | None, str | None]]:
    """(credential kind, access key) of each GetSecretValue, all of which must verify."""
    reqs = sm_requests(aws)
    assert reqs, "no GetSecretValue reached the fake"
    for r in reqs:
        assert r.signature_ok is True, r
        assert r.region == REGION and r.service == "secretsmanager", r
        assert r.operation == "secretsmanager.GetSecretValue", r
        assert r.status == 200, (r, r.response_body)
    return [(r.credential_kind, r.access_key) for r in reqs]


# ---------------------------------------------------------------------------
# set-ups of each source
# ---------------------------------------------------------------------------

def setup_web_identity(aws: FakeAWS, tmp_path: Path, lifetime: int = 3600) -> dict[str, str]:
    aws.add_web_identity_role(ROLE_ARN, JWT, lifetime=lifetime)
    f = tmp_path / "web-identity-token"
    f.write_text(JWT + "\n")  # projected tokens may end in a newline
    return {"AWS_WEB_IDENTITY_TOKEN_FILE": str(f), "AWS_ROLE_ARN": ROLE_ARN}


def setup_shared(home: Path, profile: str = "default") -> dict[str, str]:
    d = home / ".aws"
    d.mkdir(exist_ok=True)
    header = "[default]" if profile == "default" else f"[{profile}]"
    (d / "credentials").write_text(
        "# written by the test\n"
        "[someone-else]\n"
        "aws_access_key_id = AKIAOTHERPROFILE0001\n"
        "aws_secret_access_key = other/secret\n\n"
        f"{header}\n"
        "  ; indented comment\n"
        f"AWS_Access_Key_Id   =   {FILE_AK}\n"
        f"aws_secret_access_key={FILE_SK}\n")
    return {} if profile == "default" else {"AWS_PROFILE": profile}


def setup_container(aws: FakeAWS, lifetime: int = 3600) -> dict[str, str]:
    aws.add_ecs_credentials(ECS_PATH, lifetime=lifetime)
    return {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ECS_PATH,
            "GHPOOL_AWS_CONTAINER_HOST": f"127.0.0.1:{aws.port}"}


def setup_imds(aws: FakeAWS, lifetime: int = 3600) -> dict[str, str | None]:
    aws.set_imds_role("ghpool-instance", lifetime=lifetime)
    return {"AWS_EC2_METADATA_DISABLED": None, "AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.url}


# ---------------------------------------------------------------------------
# each source, and their order
# ---------------------------------------------------------------------------

def test_environment_keys(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()))
    assert_resolved(p)
    assert signed_by(aws) == [("static", AK)]
    r = sm_requests(aws)[0]
    assert r.secret_id == SECRET_ID and not r.session_token_present
    assert r.header("Content-Type") == "application/x-amz-json-1.1"
    assert not aws.requests("sts") and not aws.requests("imds")


def test_environment_session_token_is_sent_and_signed(ghpool_cli, tmp_path, aws, home):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN, expires_in=3600)
    env = aws_env(aws, home, AWS_ACCESS_KEY_ID=TMP_AK, AWS_SECRET_ACCESS_KEY=TMP_SK,
                  AWS_SESSION_TOKEN=TMP_TOKEN)
    aws.require_signed_token = True
    try:
        p = check_config(ghpool_cli, tmp_path, env)
    finally:
        aws.require_signed_token = False
    assert_resolved(p)
    assert signed_by(aws) == [("static", TMP_AK)]
    r = sm_requests(aws)[0]
    assert r.session_token == TMP_TOKEN and r.session_token_signed


def test_secret_id_may_be_an_arn_with_colons(ghpool_cli, tmp_path, aws, home):
    arn = aws.put_secret("ghpool/arn-test", '{"gh": "%s"}' % TOKEN)["ARN"]
    ref = f"aws:secretsmanager:{arn}:gh"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()), refs=[ref])
    assert_resolved(p, ref=ref)
    assert sm_requests(aws)[0].secret_id == arn


def test_web_identity(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, **setup_web_identity(aws, tmp_path))
    p = check_config(ghpool_cli, tmp_path, env)
    assert_resolved(p)
    (sts,) = aws.requests("sts")
    assert sts.status == 200 and sts.method == "POST"
    assert sts.action == "AssumeRoleWithWebIdentity" and sts.version == "2011-06-15"
    assert sts.role_arn == ROLE_ARN
    assert sts.web_identity_token == JWT  # the file's newline trimmed
    assert re.fullmatch(r"ghpool-\d+", sts.role_session_name)
    assert sts.header("Authorization") is None  # STS's web identity call is unsigned
    assert signed_by(aws) == [("sts", sts.issued_access_key)]


def test_web_identity_session_name_and_sts_endpoint(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, **setup_web_identity(aws, tmp_path),
                  AWS_ROLE_SESSION_NAME="ghpool-ci@example.com",
                  AWS_ENDPOINT_URL="http://127.0.0.1:9",  # nothing there: the overrides win
                  AWS_ENDPOINT_URL_STS=aws.url + "/",
                  AWS_ENDPOINT_URL_SECRETS_MANAGER=aws.url)
    p = check_config(ghpool_cli, tmp_path, env)
    assert_resolved(p)
    assert aws.requests("sts")[0].role_session_name == "ghpool-ci@example.com"
    assert signed_by(aws)[0][0] == "sts"


@pytest.mark.parametrize("profile", ["default", "ci"])
def test_shared_credentials_file_with_region_from_config(ghpool_cli, tmp_path, aws, home,
                                                          profile):
    extra = setup_shared(home, profile)
    section = "[default]" if profile == "default" else f"[profile {profile}]"
    (home / ".aws" / "config").write_text(
        "[profile elsewhere]\nregion = eu-west-3\n\n"
        f"{section}  # comment after the header\n"
        f"region = {REGION} ; inline comment\n"
        "s3 =\n  max_concurrent_requests = 4\n")
    env = aws_env(aws, home, AWS_REGION=None, **extra)
    p = check_config(ghpool_cli, tmp_path, env)
    assert_resolved(p)
    assert signed_by(aws) == [("static", FILE_AK)]


def test_shared_files_at_explicit_paths_credentials_in_config(ghpool_cli, tmp_path, aws,
                                                              home):
    cfg = tmp_path / "aws-config"
    cfg.write_text(f"[profile build]\nregion = {REGION}\naws_access_key_id = {FILE_AK}\n"
                   f"aws_secret_access_key = {FILE_SK}\n")
    env = aws_env(aws, home, AWS_REGION=None, AWS_PROFILE="build", AWS_CONFIG_FILE=str(cfg),
                  AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "does-not-exist"))
    p = check_config(ghpool_cli, tmp_path, env)
    assert_resolved(p)
    assert signed_by(aws) == [("static", FILE_AK)]


def test_shared_credentials_with_session_token(ghpool_cli, tmp_path, aws, home):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN, expires_in=3600)
    d = home / ".aws"
    d.mkdir()
    (d / "credentials").write_text(f"[default]\naws_access_key_id={TMP_AK}\n"
                                   f"aws_secret_access_key={TMP_SK}\n"
                                   f"aws_session_token={TMP_TOKEN}\n")
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home))
    assert_resolved(p)
    assert signed_by(aws) == [("static", TMP_AK)]
    assert sm_requests(aws)[0].session_token == TMP_TOKEN


def test_container_relative_uri(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **setup_container(aws)))
    assert_resolved(p)
    (ecs,) = aws.requests("ecs")
    assert ecs.method == "GET" and ecs.path == ECS_PATH and ecs.status == 200
    assert signed_by(aws) == [("ecs", ecs.issued_access_key)]


@pytest.mark.parametrize("how", ["token_file", "token_env"])
def test_container_full_uri_pod_identity(ghpool_cli, tmp_path, aws, home, how):
    aws.add_pod_identity(POD_PATH, token=POD_TOKEN)
    extra = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": aws.url + POD_PATH}
    if how == "token_file":
        f = tmp_path / "eks-pod-identity-token"
        f.write_text(POD_TOKEN + "\n")
        extra["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(f)
        extra["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "the-file-wins"
    else:
        extra["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = POD_TOKEN
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra))
    assert_resolved(p)
    (pod,) = aws.requests("pod_identity")
    assert pod.authorization == POD_TOKEN and pod.status == 200
    assert signed_by(aws) == [("pod_identity", pod.issued_access_key)]


def test_imds_v2(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **setup_imds(aws)))
    assert_resolved(p)
    kinds = [(r.kind, r.method, r.status) for r in aws.requests("imds")]
    assert kinds == [("imds_token", "PUT", 200), ("imds_role_list", "GET", 200),
                     ("imds_creds", "GET", 200)]
    put, listing, creds = aws.requests("imds")
    assert put.ttl == "21600"
    assert listing.imds_token_ok and creds.imds_token_ok
    assert creds.path.endswith("/security-credentials/ghpool-instance")
    assert signed_by(aws) == [("imds", creds.issued_access_key)]


SOURCES = ["environment", "web identity", "shared files", "container", "instance metadata"]


@pytest.mark.parametrize("first", range(len(SOURCES)), ids=SOURCES)
def test_precedence(ghpool_cli, tmp_path, aws, home, first):
    """Every source configured from `first` on: the first of them signs, and nothing
    later in the chain is even asked."""
    extra: dict[str, str | None] = {}
    setups = [lambda: static_env(), lambda: setup_web_identity(aws, tmp_path),
              lambda: setup_shared(home), lambda: setup_container(aws),
              lambda: setup_imds(aws)]
    for setup in setups[first:]:
        extra.update(setup())
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra))
    assert_resolved(p)
    want = ["static", "sts", "static", "ecs", "imds"][first]
    ((kind, key),) = signed_by(aws)
    assert kind == want
    if first == 0:
        assert key == AK
    if first == 2:
        assert key == FILE_AK
    later = {1: "sts", 3: "ecs", 4: "imds"}
    for i, k in later.items():
        if i != first:
            assert not aws.requests(k), (SOURCES[first], aws.requests(k))


# ---------------------------------------------------------------------------
# temporary credentials: cached while they last, fetched again near expiry
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("source,fetch_kind", [("web identity", "sts"), ("container", "ecs"),
                                              ("instance metadata", "imds_creds")])
@pytest.mark.parametrize("lifetime,fetches", [(3600, 1), (240, 2)])
def test_temporary_credentials_cached_until_five_minutes_before_expiry(
        ghpool_cli, tmp_path, aws, home, source, fetch_kind, lifetime, fetches):
    """Two identities resolve in one process: credentials with an hour left are fetched
    once; ones within five minutes of their Expiration are fetched again."""
    aws.put_secret("ghpool/second", '{"token": "ghp_SecondIdentity0000"}')
    extra = {"web identity": lambda: setup_web_identity(aws, tmp_path, lifetime),
             "container": lambda: setup_container(aws, lifetime),
             "instance metadata": lambda: setup_imds(aws, lifetime)}[source]()
    refs = [REF, "aws:secretsmanager:ghpool/second:token"]
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra), refs=refs)
    assert_resolved(p)
    assert_resolved(p, ref=refs[1], token="ghp_SecondIdentity0000")
    assert "ghp_SecondIdentity0000" not in p.stdout + p.stderr
    assert len(aws.requests(fetch_kind)) == fetches
    used = signed_by(aws)
    assert len(used) == 2
    if fetches == 1:
        assert used[0] == used[1]


def test_cached_credentials_refused_are_fetched_again_once(ghpool_cli, tmp_path, aws, home):
    """Cached web-identity credentials that AWS refuses before their Expiration (revoked,
    rotated) are dropped: the resolution fetches new ones once and succeeds."""
    aws.put_secret("ghpool/second", '{"token": "ghp_SecondIdentity0000"}')
    env = aws_env(aws, home, **setup_web_identity(aws, tmp_path))
    # The first GetSecretValue is served normally (a hang of 0 s), the second refused.
    aws.add_fault(kind="secretsmanager", hang=0.0, count=1)
    aws.add_fault(kind="secretsmanager", status=403, code="UnrecognizedClientException",
                  message="The security token included in the request is invalid.", count=1)
    refs = [REF, "aws:secretsmanager:ghpool/second:token"]
    p = check_config(ghpool_cli, tmp_path, env, refs=refs)
    assert_resolved(p)
    assert_resolved(p, ref=refs[1], token="ghp_SecondIdentity0000")
    assert [r.error for r in sm_requests(aws)] == [None, "UnrecognizedClientException", None]
    assert len(aws.requests("sts")) == 2
    # (the refused request was answered by the fault, before the fake read its key)
    keys = [re.search(r"Credential=([^/]+)/", r.header("Authorization")).group(1)
            for r in sm_requests(aws)]
    assert keys[0] == keys[1] != keys[2]


def test_static_credentials_refused_are_not_retried(ghpool_cli, tmp_path, aws, home):
    aws.add_fault(kind="secretsmanager", status=403, code="UnrecognizedClientException",
                  count=1)
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()))
    assert_fails(p, "UnrecognizedClientException")
    assert len(sm_requests(aws)) == 1


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

def test_unknown_secret(ghpool_cli, tmp_path, aws, home):
    ref = "aws:secretsmanager:ghpool/missing:token"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()), refs=[ref])
    assert assert_fails(p, ref=ref) == ("AWS Secrets Manager: ResourceNotFoundException: "
                                        "Secrets Manager can't find the specified secret.")


def test_missing_json_key(ghpool_cli, tmp_path, aws, home):
    ref = f"aws:secretsmanager:{SECRET_ID}:tokne"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()), refs=[ref])
    assert_fails(p, "no key 'tokne'", ref=ref)


@pytest.mark.parametrize("value,needle", [
    ("ghp_PlainSecretNotJson00", "not a JSON object"),
    ('["ghp_PlainSecretNotJson00"]', "not a JSON object"),
    ('{"token": 12345}', "not a string"),
    ('{"token": ""}', "empty"),
])
def test_secret_string_of_the_wrong_shape(ghpool_cli, tmp_path, aws, home, value, needle):
    aws.put_secret("ghpool/odd", value)
    ref = "aws:secretsmanager:ghpool/odd:token"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()), refs=[ref])
    assert_fails(p, needle, ref=ref)
    assert "ghp_PlainSecretNotJson00" not in p.stdout + p.stderr


def test_secret_binary_is_refused(ghpool_cli, tmp_path, aws, home):
    aws.put_secret("ghpool/binary", secret_binary=b'{"token": "ghp_BinarySecret0000"}')
    ref = "aws:secretsmanager:ghpool/binary:token"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()), refs=[ref])
    assert_fails(p, "SecretBinary", ref=ref)
    assert "ghp_BinarySecret0000" not in p.stdout + p.stderr


def test_secret_marked_for_deletion(ghpool_cli, tmp_path, aws, home):
    aws.delete_secret(SECRET_ID)
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()))
    assert_fails(p, "AWS Secrets Manager: InvalidRequestException: ", "marked for deletion")


def test_wrong_secret_key_is_a_signature_error(ghpool_cli, tmp_path, aws, home):
    wrong = "wrong/secret+key/DDDDDDDDDDDDDDDDDDDDDDDD"
    env = aws_env(aws, home, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=wrong)
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "AWS Secrets Manager: InvalidSignatureException: ",
                 "The request signature we calculated does not match")
    assert wrong not in p.stdout + p.stderr
    assert sm_requests(aws)[0].signature_ok is False


@pytest.mark.parametrize("coral", [False, True])
def test_unknown_access_key(ghpool_cli, tmp_path, aws, home, coral):
    aws.coral_namespace = coral
    env = aws_env(aws, home, AWS_ACCESS_KEY_ID="AKIAUNKNOWN000000001",
                  AWS_SECRET_ACCESS_KEY="unknown/secret/EEEEEEEEEEEEEEEE")
    p = check_config(ghpool_cli, tmp_path, env)
    text = assert_fails(p, "AWS Secrets Manager: UnrecognizedClientException: ",
                        "security token included in the request is invalid")
    assert "coral" not in text and "unknown/secret/EEEEEEEEEEEEEEEE" not in p.stderr


def test_expired_session_credentials(ghpool_cli, tmp_path, aws, home):
    aws.add_credentials(TMP_AK, TMP_SK, session_token=TMP_TOKEN, expires_in=-60)
    env = aws_env(aws, home, AWS_ACCESS_KEY_ID=TMP_AK, AWS_SECRET_ACCESS_KEY=TMP_SK,
                  AWS_SESSION_TOKEN=TMP_TOKEN)
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "ExpiredTokenException")


def test_expired_web_identity_token(ghpool_cli, tmp_path, aws, home):
    extra = setup_web_identity(aws, tmp_path)
    aws.add_web_identity_role(ROLE_ARN, JWT, expired=True)
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra))
    assert_fails(p, "AWS web identity: STS AssumeRoleWithWebIdentity: ExpiredTokenException: ",
                 "Token expired")
    assert not sm_requests(aws)


@pytest.mark.parametrize("case,needle", [
    ("invalid token", "InvalidIdentityToken"),
    ("unknown role", "AccessDenied"),
    ("missing file", "cannot read AWS_WEB_IDENTITY_TOKEN_FILE"),
    ("empty file", "is empty"),
    ("no role arn", "AWS_ROLE_ARN is not"),
    ("bad session name", "ValidationError"),
])
def test_web_identity_errors_are_reported_not_skipped(ghpool_cli, tmp_path, aws, home, case,
                                                      needle):
    """A configured web identity that fails is the error, even with later sources
    (here: instance metadata) able to give credentials."""
    extra: dict[str, str | None] = {**setup_web_identity(aws, tmp_path), **setup_imds(aws)}
    f = Path(extra["AWS_WEB_IDENTITY_TOKEN_FILE"])
    if case == "invalid token":
        f.write_text("eyJub3QiOiJyZWdpc3RlcmVkIn0.e30.c2ln")
    elif case == "unknown role":
        extra["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/someone-else"
    elif case == "missing file":
        f.unlink()
    elif case == "empty file":
        f.write_text("\n")
    elif case == "no role arn":
        extra["AWS_ROLE_ARN"] = None
    elif case == "bad session name":
        extra["AWS_ROLE_SESSION_NAME"] = "has spaces in it"
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra))
    assert_fails(p, "AWS web identity", needle)
    assert not aws.requests("imds") and not sm_requests(aws)


def test_container_authorization_refused(ghpool_cli, tmp_path, aws, home):
    aws.add_pod_identity(POD_PATH, token=POD_TOKEN)
    env = aws_env(aws, home, AWS_CONTAINER_CREDENTIALS_FULL_URI=aws.url + POD_PATH,
                  AWS_CONTAINER_AUTHORIZATION_TOKEN="not-the-pod-token")
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "AWS container credentials: ", "HTTP 403", "AccessDeniedException")


def test_container_full_uri_must_be_local_or_https(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://203.0.113.9/creds")
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https")
    assert not aws.requests()


def test_container_unreachable(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=ECS_PATH,
                  GHPOOL_AWS_CONTAINER_HOST=f"127.0.0.1:{free_port()}")
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "AWS container credentials: cannot reach http://127.0.0.1:")


@pytest.mark.parametrize("feature", ["role_arn", "source_profile", "credential_process",
                                     "sso_session"])
def test_profile_with_unsupported_feature(ghpool_cli, tmp_path, aws, home, feature):
    d = home / ".aws"
    d.mkdir()
    (d / "config").write_text(f"[profile deploy]\n{feature} = something\n")
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, AWS_PROFILE="deploy"))
    assert_fails(p, f"profile 'deploy' uses {feature}, which ghpool does not support")


def test_profile_named_but_missing(ghpool_cli, tmp_path, aws, home):
    setup_shared(home)
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, AWS_PROFILE="nope"))
    assert_fails(p, "AWS profile 'nope' (AWS_PROFILE) is in neither")


def test_profile_with_half_a_key(ghpool_cli, tmp_path, aws, home):
    d = home / ".aws"
    d.mkdir()
    (d / "credentials").write_text(f"[default]\naws_access_key_id = {FILE_AK}\n")
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home))
    assert_fails(p, "AWS profile 'default' has aws_access_key_id but no aws_secret_access_key")


def test_environment_with_half_a_key(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, AWS_ACCESS_KEY_ID=AK))
    assert_fails(p, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")


def test_no_region(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, AWS_REGION=None, **static_env()))
    assert_fails(p, "no AWS region")
    assert not aws.requests()


def test_default_region_variable(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, AWS_REGION=None, AWS_DEFAULT_REGION=REGION, **static_env())
    assert_resolved(check_config(ghpool_cli, tmp_path, env))


def test_wrong_region_is_refused_by_the_signature_scope(ghpool_cli, tmp_path, aws, home):
    p = check_config(ghpool_cli, tmp_path,
                     aws_env(aws, home, AWS_REGION="eu-central-1", **static_env()))
    assert_fails(p, "InvalidSignatureException", "region")


@pytest.mark.parametrize("imds", ["no role", "disabled", "unreachable"])
def test_no_credentials_at_all(ghpool_cli, tmp_path, aws, home, imds):
    extra: dict[str, str | None] = {}
    if imds == "no role":
        extra = {"AWS_EC2_METADATA_DISABLED": None, "AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.url}
        aws.set_imds_role(None)
    elif imds == "unreachable":
        extra = {"AWS_EC2_METADATA_DISABLED": None,
                 "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    # A config file with settings only is not a credential source.
    d = home / ".aws"
    d.mkdir()
    (d / "config").write_text("[default]\noutput = json\n")
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **extra))
    text = assert_fails(p, "no AWS credentials found (tried environment, web identity, shared "
                           "files, container, EC2 instance metadata")
    assert {"no role": "no IAM role", "disabled": "disabled by AWS_EC2_METADATA_DISABLED",
            "unreachable": "not reachable"}[imds] in text
    assert not sm_requests(aws)


def test_endpoint_unreachable(ghpool_cli, tmp_path, aws, home):
    env = aws_env(aws, home, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", **static_env())
    p = check_config(ghpool_cli, tmp_path, env)
    assert_fails(p, "AWS Secrets Manager: cannot reach http://127.0.0.1:")


def test_secrets_manager_server_error_without_json(ghpool_cli, tmp_path, aws, home):
    aws.add_fault(kind="secretsmanager", status=502, body="<html>bad gateway</html>")
    p = check_config(ghpool_cli, tmp_path, aws_env(aws, home, **static_env()))
    assert_fails(p, "AWS Secrets Manager answered HTTP 502")


# ---------------------------------------------------------------------------
# a running server with a token from AWS
# ---------------------------------------------------------------------------

def test_pooled_read_uses_the_token_from_secrets_manager(ghpool, fake, aws, home, tmp_path):
    fake.add_token(TOKEN, "aws-gh")
    env = aws_env(aws, home, **setup_web_identity(aws, tmp_path))
    g = ghpool(identities=[{"id": "from-aws", "token": REF}], _env=env)
    ident = g.identity("from-aws")
    assert ident["state"] == "active" and ident["login"] == "aws-gh"
    r = g.get("/repos/octo-org/hello")
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") == "from-aws"
    reads = fake.requests("/repos/octo-org/hello")
    assert reads and all(x.token == TOKEN for x in reads)
    assert signed_by(aws)[0][0] == "sts"
    log = g.log_text()
    for s in NEVER:
        assert s not in log, f"log contains a secret ({s[:6]}...)"
