"""Fixtures for ghpool's end-to-end tests.

* ``fake``      a FakeGitHub (tests/fake_github) shared by the session, reset before each test.
* ``ghpool``    factory: ``ghpool(**config)`` writes a TOML config, starts
                ``$GHPOOL_BUILD/ghpool --config FILE``, waits for ``/healthz`` and stops it
                (SIGTERM) at teardown, asserting exit code 0 and a clean sanitizer log.
* ``ghpool_cli`` runs the binary for CLI checks (``--check-config``, ``--version`` ...).
* ``ghpool_bin`` path of the binary (skips, or fails under CI / GHPOOL_E2E_REQUIRE_BINARY=1,
                when it does not exist).

Identities in ``ghpool(identities=[...])`` are ids ("alice", "bob", "carol", "alice2",
"dave") mapped to ``token = "env:GHP_TEST_TOK_<ID>"`` with the variable set for the
subprocess, or full tables (dicts) written as given.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from fake_github import FakeGitHub  # noqa: E402
from fake_github.client import Reply, request, wait_until  # noqa: E402

# token -> login known to the fake. alice2 is a second token of alice's GitHub user.
FAKE_TOKENS = {
    "tok_alice": "alice-gh",
    "tok_bob": "bob-gh",
    "tok_carol": "carol-gh",
    "tok_alice2": "alice-gh",
    "tok_dave": "dave-gh",
}
# identity id -> token ghpool gets through GHP_TEST_TOK_<ID>
ID_TOKENS = {"alice": "tok_alice", "bob": "tok_bob", "carol": "tok_carol",
             "alice2": "tok_alice2", "dave": "tok_dave"}
SECRET_TOKENS = set(FAKE_TOKENS) | {"tok_unknown_zzz", "tok_literal_dave"}

START_TIMEOUT = float(os.environ.get("GHPOOL_E2E_START_TIMEOUT", "15"))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                     "ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")


def env_name(identity_id: str) -> str:
    return "GHP_TEST_TOK_" + re.sub(r"[^A-Za-z0-9]", "_", identity_id).upper()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary() -> Path:
    build = os.environ.get("GHPOOL_BUILD", "build")
    p = Path(build)
    if not p.is_absolute():
        p = (Path.cwd() / build) if (Path.cwd() / build / "ghpool").exists() else REPO_ROOT / build
    return p / "ghpool"


def binary_required() -> bool:
    return (os.environ.get("GHPOOL_E2E_REQUIRE_BINARY") == "1"
            or os.environ.get("CI", "").lower() in ("1", "true"))


# ---------------------------------------------------------------------------
# TOML writing
# ---------------------------------------------------------------------------

def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a valid TOML basic string for our values
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def to_toml(cfg: dict[str, Any]) -> str:
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    arrays: list[tuple[str, list]] = []
    for k, v in cfg.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            lines.append(f"{k} = {toml_value(v)}")
    for k, t in tables:
        lines += ["", f"[{k}]"] + [f"{kk} = {toml_value(vv)}" for kk, vv in t.items()]
    for k, arr in arrays:
        for t in arr:
            lines += ["", f"[[{k}]]"] + [f"{kk} = {toml_value(vv)}" for kk, vv in t.items()]
    return "\n".join(lines) + "\n"


def identity_table(ident: Any) -> dict[str, Any]:
    if isinstance(ident, dict):
        return dict(ident)
    return {"id": ident, "token": f"env:{env_name(ident)}"}


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GHPOOL_", "GHP_TEST_"))}
    for ident, tok in ID_TOKENS.items():
        env[env_name(ident)] = tok
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


# ---------------------------------------------------------------------------
# the running ghpool
# ---------------------------------------------------------------------------

class Ghpool:
    def __init__(self, binary: Path, args: list[str], env: dict[str, str], cwd: Path,
                 log_path: Path, port: int, config_path: Path | None, config: dict | None):
        self.binary = binary
        self.args = args
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.config_path = config_path
        self.config = config
        self.returncode: int | None = None
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([str(binary)] + args, env=env, cwd=str(cwd),
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    # -- process ---------------------------------------------------------
    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(
                    f"ghpool exited with {rc} before /healthz answered.\n"
                    f"args: {self.args}\nconfig:\n{self.config_text()}\nlog:\n{self.log_text()}")
            try:
                r = request(self.url, "GET", "/healthz", timeout=2)
                if r.status == 200:
                    return
                last = f"status {r.status}: {r.body[:200]!r}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"ghpool /healthz not 200 within {timeout}s ({last}).\n"
                             f"config:\n{self.config_text()}\nlog:\n{self.log_text()}")

    def config_text(self) -> str:
        if self.config_path and self.config_path.exists():
            return self.config_path.read_text()
        return "(no config file)"

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait (then SIGKILL); returns the exit code (idempotent)."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
                    self.returncode = -9999  # marks "had to be killed"
            if self.returncode is None:
                self.returncode = self.proc.returncode
            self._log.close()
        return self.returncode

    def check_clean_exit(self) -> list[str]:
        problems = []
        rc = self.stop()
        log = self.log_text()
        if rc == -9999:
            problems.append("ghpool did not exit within 10 s of SIGTERM (SIGKILLed)")
        elif rc != 0:
            problems.append(f"ghpool exited with code {rc} after SIGTERM")
        for marker in SANITIZER_MARKERS:
            if marker in log:
                problems.append(f"log contains {marker!r}")
        for tok in SECRET_TOKENS:
            if tok in log:
                problems.append(f"log contains the token {tok!r}")
        return problems

    # -- HTTP ------------------------------------------------------------
    def request(self, method: str, target: str, headers: dict[str, str] | None = None,
                body: bytes | str | None = None, timeout: float = 15.0) -> Reply:
        r = request(self.url, method, target, headers=headers, body=body, timeout=timeout)
        assert_no_token(r)
        return r

    def get(self, target: str, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        return self.request("GET", target, headers=headers, **kw)

    def stats(self) -> dict[str, Any]:
        r = self.get("/stats")
        assert r.status == 200, r
        assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
        return r.json()

    def identity(self, ident: str) -> dict[str, Any]:
        for i in self.stats()["identities"]:
            if i["id"] == ident:
                return i
        raise AssertionError(f"no identity {ident!r} in /stats")

    def state(self, ident: str) -> str:
        return self.identity(ident)["state"]

    def wait_log(self, pattern: str, timeout: float = 5.0, flags: int = 0) -> re.Match:
        rx = re.compile(pattern, flags)
        return wait_until(lambda: rx.search(self.log_text()), timeout,
                          message=lambda: f"log matching {pattern!r}; log:\n{self.log_text()}")


def assert_no_token(r: Reply) -> None:
    blob = r.body + b"".join(f"{k}: {v}\n".encode("latin-1", "replace")
                             for k, v in r.headers.items())
    for tok in SECRET_TOKENS:
        assert tok.encode() not in blob, f"token {tok!r} leaked in a response: {r}"


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def fake_server():
    fake = FakeGitHub(FAKE_TOKENS).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_server):
    """The session's FakeGitHub, reset (log, faults, budgets, data) for this test."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()  # also releases hung handlers


@pytest.fixture(scope="session")
def ghpool_bin() -> Path:
    p = find_binary()
    if not p.exists():
        msg = f"ghpool binary not found at {p} (set GHPOOL_BUILD)"
        if binary_required():
            pytest.fail(msg)
        pytest.skip(msg)
    return p


@pytest.fixture
def ghpool_cli(ghpool_bin, tmp_path):
    """Run ``ghpool ARGS`` to completion: returns CompletedProcess (text, stdout/stderr)."""
    def run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([str(ghpool_bin)] + list(args), env=base_env(env),
                              cwd=str(cwd or tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
    return run


@pytest.fixture
def default_config(fake):
    def make(port: int) -> dict[str, Any]:
        return {
            "listen": "127.0.0.1",
            "port": port,
            "upstream_url": fake.url,
            "workers": 2,
            "upstream_timeout_secs": 2,
            "allowed_owners": ["octo-org", "alice"],
            "pool": {"reserve": 0},
            # The pass-through tests watch every read reach the fake: the
            # cache (and coalescing) is off unless a test turns it on.
            "cache": {"max_entries": 0},
            "identities": ["alice", "bob"],
        }
    return make


@pytest.fixture
def ghpool(ghpool_bin, fake, tmp_path, default_config):
    """Factory: ``ghpool(**config)`` -> running Ghpool.

    Config keys override the defaults (value None removes a key). Options:
    _env (extra env, None value unsets), _args (replace the CLI args),
    _no_config (no --config, env-only), _cwd, _raw (TOML text used verbatim),
    _wait (default True: wait for /healthz), _port (port clients use, if env overrides it).
    """
    started: list[Ghpool] = []
    counter = [0]

    def start(**kw: Any) -> Ghpool:
        counter[0] += 1
        n = counter[0]
        env_extra = kw.pop("_env", None)
        args = kw.pop("_args", None)
        no_config = kw.pop("_no_config", False)
        cwd = kw.pop("_cwd", None)
        raw = kw.pop("_raw", None)
        wait = kw.pop("_wait", True)
        port_override = kw.pop("_port", None)
        port = kw.get("port") or free_port()
        cfg = default_config(port)
        for k, v in kw.items():
            if v is None:
                cfg.pop(k, None)
            else:
                cfg[k] = v
        if "identities" in cfg:
            cfg["identities"] = [identity_table(i) for i in cfg["identities"]]
        config_path: Path | None = None
        if not no_config:
            config_path = tmp_path / f"ghpool{n}.toml"
            config_path.write_text(raw if raw is not None else to_toml(cfg))
        if args is None:
            args = [] if no_config else ["--config", str(config_path)]
        run_dir = Path(cwd) if cwd else tmp_path
        g = Ghpool(ghpool_bin, args, base_env(env_extra), run_dir, tmp_path / f"ghpool{n}.log",
                   port_override or port, config_path, None if raw else cfg)
        started.append(g)
        if wait:
            g.wait_healthy()
        return g

    yield start

    problems = []
    for g in started:
        for p in g.check_clean_exit():
            problems.append(f"{p}\n--- log of {g.args} ---\n{g.log_text()[-6000:]}")
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="session")
def token_of() -> dict[str, str]:
    """identity id -> the token ghpool holds for it."""
    return dict(ID_TOKENS)


def upstream_reads(fake, path: str | None = None):
    """Requests the fake saw, minus ghpool's startup probes (/rate_limit, /user)."""
    return [r for r in fake.requests(path)
            if r.path_only not in ("/rate_limit", "/user")]


@pytest.fixture
def reads():
    """``reads(fake, path_prefix=None)``: upstream requests other than the startup probes."""
    return upstream_reads
