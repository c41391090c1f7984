"""Operations (#8): --health-check, the probes, graceful shutdown, and log format and level.

Black-box: the real binary against the fake GitHub. Time bounds are loose on purpose
(the suite also runs under ASan on loaded machines): they catch a shutdown that hangs
or ignores its grace period, not a slow one.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import SECRET_TOKENS, free_port, to_toml
from fake_github.client import raw_exchange, request, wait_until

REPO = "/repos/octo-org/hello"
KEY = "ops-client-key-4b7e1d0c9a"          # a [[clients]] key (>= 16 characters)
CLIENTS = [{"id": "ops", "key": "env:OPS_KEY"}]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LEVELS = {"DEBUG", "INFO", "WARN", "ERROR"}


def output(p: subprocess.CompletedProcess) -> str:
    return (p.stdout or "") + (p.stderr or "")


# ---------------------------------------------------------------------------
# helpers: small local HTTP servers, connections, signals
# ---------------------------------------------------------------------------

class FixedServer:
    """A stdlib HTTP server answering every GET with one status and body; records paths."""

    def __init__(self, status: int, body: bytes = b"SECRET-BODY-TEXT-do-not-print"):
        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fixed_server():
    made: list[FixedServer] = []

    def make(status: int, body: bytes = b"SECRET-BODY-TEXT-do-not-print") -> FixedServer:
        s = FixedServer(status, body)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def wait_exit(g, timeout: float) -> tuple[int, float]:
    """Waits for the process (not the fixture's stop); returns (code, seconds waited)."""
    t0 = time.monotonic()
    try:
        rc = g.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"ghpool still running {timeout} s after the signal:\n{g.log_text()}")
    return rc, time.monotonic() - t0


class Slow:
    """One GET through ghpool in a thread: its Reply, or the exception it ended with.
    Returns once the read has reached the fake, so it is in flight in ghpool."""

    def __init__(self, g, fake, path: str, timeout: float = 30.0):
        fake.clear_requests()
        self.reply = None
        self.error: BaseException | None = None
        self.t = threading.Thread(target=self._run, args=(g, path, timeout), daemon=True)
        self.t.start()
        wait_until(lambda: [r for r in fake.requests() if r.path_only == path], 10,
                   message=f"{path} to reach the fake")

    def _run(self, g, path: str, timeout: float) -> None:
        try:
            self.reply = request(g.url, "GET", path, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            self.error = e

    def join(self, timeout: float = 30.0):
        self.t.join(timeout)
        assert not self.t.is_alive(), "the client is still waiting"
        return self.reply


def strict_log(g) -> str:
    """The log as written: its bytes must be valid UTF-8 (log_text() would hide it)."""
    data = g.log_path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError(f"the log is not valid UTF-8 ({e}): {data[max(0, e.start - 200):e.end + 50]!r}")


def json_lines(log: str) -> list[dict[str, Any]]:
    """Every line of the log, each parsed as JSON (an unparsable one fails the test)."""
    out = []
    for n, line in enumerate(log.splitlines(), 1):
        if not line:
            continue
        try:
            doc = json.loads(line)
        except ValueError as e:
            raise AssertionError(f"line {n} is not JSON ({e}): {line!r}\n--- log ---\n{log}")
        assert isinstance(doc, dict), line
        out.append(doc)
    return out


def check_json_line(doc: dict[str, Any]) -> None:
    assert isinstance(doc.get("time"), str) and RFC3339.match(doc["time"]), doc
    assert doc.get("level") in LEVELS, doc
    assert isinstance(doc.get("msg"), str), doc
    if doc["msg"] != "access":
        return
    assert doc["level"] == "INFO", doc
    for k in ("method", "path", "identity", "outcome"):
        assert isinstance(doc.get(k), str), (k, doc)
    for k in ("status", "bytes", "duration_ms"):
        assert type(doc.get(k)) is int and doc[k] >= 0, (k, doc)
    for k in ("client", "login", "op"):
        assert k not in doc or isinstance(doc[k], str), (k, doc)


def access_lines(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("msg") == "access"]


def assert_no_secret(log: str, *more: str) -> None:
    for tok in list(SECRET_TOKENS) + list(more):
        assert tok not in log, f"{tok!r} in the log"


# ---------------------------------------------------------------------------
# --health-check
# ---------------------------------------------------------------------------

# Any proxy in the environment must be ignored: a dead one proves it.
DEAD_PROXY = {"http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
              "https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "no_proxy": None, "NO_PROXY": None}


def test_health_check_against_running_ghpool(ghpool, ghpool_cli, tmp_path):
    g = ghpool()
    # It reads no configuration: a broken one next to it and in GHPOOL_CONFIG changes nothing.
    (tmp_path / "config.toml").write_text("this is = not [ toml\n")
    env = {**DEAD_PROXY, "GHPOOL_CONFIG": str(tmp_path / "config.toml")}
    for args in (["--health-check", g.url], ["--health-check", g.url + "/"],
                 [f"--health-check={g.url}/healthz"], [f"--health-check={g.url}"]):
        p = ghpool_cli(args, env=env)
        assert p.returncode == 0, (args, output(p))
        assert p.stdout == "" and p.stderr == "", (args, output(p))
    # Without a URL: GHPOOL_PORT's port on 127.0.0.1.
    p = ghpool_cli(["--health-check"], env={**env, "GHPOOL_PORT": str(g.port)})
    assert p.returncode == 0, output(p)
    # /readyz is a URL like any other: 200 here, with usable identities.
    p = ghpool_cli(["--health-check", g.url + "/readyz"], env=env)
    assert p.returncode == 0, output(p)


def test_health_check_closed_port(ghpool_cli):
    port = free_port()
    for args, env in ((["--health-check", f"http://127.0.0.1:{port}"], None),
                      ([f"--health-check=http://127.0.0.1:{port}/healthz"], None),
                      (["--health-check"], {"GHPOOL_PORT": str(port)})):
        t0 = time.monotonic()
        p = ghpool_cli(args, env=env)
        assert p.returncode == 1, (args, output(p))
        assert p.stdout == "", output(p)
        lines = p.stderr.splitlines()
        assert len(lines) == 1, p.stderr
        assert lines[0].startswith(f"ghpool: health check of http://127.0.0.1:{port}/healthz: "), \
            p.stderr
        assert time.monotonic() - t0 < 10


def test_health_check_default_port_is_8080_without_a_valid_ghpool_port(ghpool_cli):
    for port in (None, "", "0", "70000", "80x"):
        p = ghpool_cli(["--health-check"], env={"GHPOOL_PORT": port})
        # Whether or not something listens on 8080 here, the URL is the default one.
        assert "http://127.0.0.1:8080/healthz" in p.stderr or p.returncode == 0, (port, output(p))


def test_health_check_error_status_and_body_never_printed(ghpool_cli, fixed_server, fake):
    s503 = fixed_server(503)
    p = ghpool_cli(["--health-check", s503.url], env=DEAD_PROXY)
    assert p.returncode == 1, output(p)
    assert p.stderr.strip() == f"ghpool: health check of {s503.url}/healthz: HTTP 503", p.stderr
    assert "SECRET-BODY" not in output(p)
    # No path and "/" both became /healthz; a path given is kept.
    p = ghpool_cli([f"--health-check={s503.url}/"])
    assert p.returncode == 1
    p = ghpool_cli(["--health-check", s503.url + "/readyz?x=1"])
    assert p.returncode == 1
    assert s503.paths == ["/healthz", "/healthz", "/readyz?x=1"], s503.paths

    # 200 is the only success, and its body is not printed either.
    s200 = fixed_server(200)
    p = ghpool_cli(["--health-check", s200.url])
    assert p.returncode == 0 and output(p) == "", output(p)
    s204 = fixed_server(204, b"")
    p = ghpool_cli(["--health-check", s204.url])
    assert p.returncode == 1 and "HTTP 204" in p.stderr, output(p)

    # The fake GitHub has no /healthz: its 404 is a failure.
    p = ghpool_cli(["--health-check", fake.url])
    assert p.returncode == 1 and p.stderr.strip().endswith(": HTTP 404"), output(p)


def test_health_check_rejects_other_schemes(ghpool_cli):
    for url in ("ftp://127.0.0.1/healthz", "file:///etc/passwd", "127.0.0.1:8080", "nonsense"):
        p = ghpool_cli(["--health-check", url])
        assert p.returncode == 1, (url, output(p))
        assert p.stderr.startswith("ghpool: health check of ") and "http://" in p.stderr, p.stderr
        assert "root:" not in output(p)


def test_health_check_times_out(ghpool_cli):
    """A server that accepts and never answers: the check gives up in about 5 s."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(8)
        url = f"http://127.0.0.1:{lst.getsockname()[1]}"
        t0 = time.monotonic()
        p = ghpool_cli(["--health-check", url], timeout=30)
        took = time.monotonic() - t0
    assert p.returncode == 1, output(p)
    assert p.stderr.startswith(f"ghpool: health check of {url}/healthz: "), p.stderr
    assert 3 <= took < 15, took


def test_help_mentions_health_check(ghpool_cli):
    p = ghpool_cli(["--help"])
    assert p.returncode == 0 and "--health-check" in p.stdout, output(p)


# ---------------------------------------------------------------------------
# /readyz and /healthz, and which endpoints need a key
# ---------------------------------------------------------------------------

def test_readyz_ready_with_a_usable_identity(ghpool):
    g = ghpool()
    r = g.get("/readyz")
    assert r.status == 200, r
    doc = r.json()
    assert doc["ready"] is True and doc["usable_identities"] == 2, doc
    assert g.get("/healthz").status == 200


def test_readyz_not_ready_without_identities(ghpool):
    g = ghpool(identities=None)
    g.wait_log(r"no identities configured")
    r = g.get("/readyz")
    assert r.status == 503, r
    doc = r.json()
    assert doc["ready"] is False and doc["usable_identities"] == 0, doc
    assert isinstance(doc.get("reason"), str) and doc["reason"], doc
    # Alive all the same: liveness must not restart a pod that waits for tokens.
    assert g.get("/healthz").status == 200


def test_readyz_not_ready_when_every_token_is_revoked(ghpool, fake):
    fake.revoke("tok_alice")
    fake.revoke("tok_bob")
    g = ghpool()
    r = g.get("/readyz")
    assert r.status == 503, r
    assert r.json()["ready"] is False
    assert g.get("/healthz").status == 200


def test_probes_need_no_key_but_stats_and_metrics_do(ghpool):
    g = ghpool(clients=CLIENTS, _env={"OPS_KEY": KEY})
    for path in ("/healthz", "/readyz"):
        assert g.get(path).status == 200, path
    for path in ("/stats", "/metrics"):
        assert g.get(path).status == 401, path
        assert g.get(path, headers={"X-Ghpool-Key": "wrong-key-0123456789"}).status == 401, path
        assert g.get(path, headers={"Authorization": "Bearer wrong-key-0123456789"}).status \
            == 401, path
        r = g.get(path, headers={"X-Ghpool-Key": KEY})
        assert r.status == 200, (path, r)
        r = g.get(path, headers={"Authorization": f"Bearer {KEY}"})
        assert r.status == 200, (path, r)
        assert KEY.encode() not in r.body
    assert_no_secret(g.log_text(), KEY)


# ---------------------------------------------------------------------------
# Graceful shutdown
# ---------------------------------------------------------------------------

def test_sigterm_finishes_the_request_in_flight(ghpool, fake):
    """SIGTERM with a slow read in flight: the read gets its whole answer, /readyz turns
    503 with Connection: close on a kept-alive connection, new connections are refused,
    and ghpool exits 0 long before its 20 s grace period ends."""
    g = ghpool(workers=1, upstream_timeout_secs=30)   # one worker: the kept-alive connection shares it with the read
    want = request(fake.url, "GET", REPO, headers={"Authorization": "token tok_carol"})
    assert want.status == 200
    keep = http.client.HTTPConnection("127.0.0.1", g.port, timeout=15)
    keep.request("GET", "/healthz")
    r = keep.getresponse()
    assert r.status == 200 and r.read() == b"ok"

    fake.add_fault("latency", path=REPO, ms=3000)
    slow = Slow(g, fake, REPO)
    t0 = time.monotonic()
    g.proc.send_signal(signal.SIGTERM)
    g.wait_log(r"received SIGTERM: draining for up to 20 s")

    # Asked on the connection it already had, ghpool says it is going away.
    keep.request("GET", "/readyz")
    r = keep.getresponse()
    body = r.read()
    assert r.status == 503, (r.status, body)
    assert json.loads(body)["ready"] is False
    assert (r.getheader("Connection") or "").lower() == "close", r.getheaders()
    keep.close()

    # The listening socket is gone: new clients go elsewhere at once.
    wait_until(lambda: refused(g.port), 3, message="new connections to be refused")

    reply = slow.join()
    assert slow.error is None, slow.error
    assert reply.status == 200, reply
    assert reply.header("Content-Length") == str(len(reply.body))
    assert reply.json()["full_name"] == want.json()["full_name"] == "octo-org/hello"

    rc, _ = wait_exit(g, 15)
    took = time.monotonic() - t0
    assert rc == 0, g.log_text()
    assert took < 15, took
    log = g.log_text()
    m = re.search(r"stopped after (\d+) ms", log)
    assert m and int(m.group(1)) < 15000, log
    # The read was answered during the drain, not before it.
    drain_at = log.index("received SIGTERM: draining")
    read_at = log.index(f"access method=GET path={REPO} status=200")
    assert drain_at < read_at, log
    assert "still open after the shutdown grace period" not in log, log


def test_grace_shorter_than_the_request(ghpool, fake):
    """shutdown_grace_secs = 1 and a 4 s read: the client gets an error answer (or the
    connection closes), and ghpool exits 0 shortly after the grace period."""
    g = ghpool(shutdown_grace_secs=1, upstream_timeout_secs=30)
    fake.add_fault("latency", path=REPO, ms=4000)
    slow = Slow(g, fake, REPO)
    t0 = time.monotonic()
    g.proc.send_signal(signal.SIGTERM)
    rc, _ = wait_exit(g, 1 + 5)
    took = time.monotonic() - t0
    assert rc == 0, g.log_text()
    assert took < 1 + 4, took
    reply = slow.join(10)
    assert slow.error is not None or reply.status >= 500, reply
    assert "received SIGTERM: draining for up to 1 s" in g.log_text()


def test_sigint_drains_like_sigterm(ghpool, fake):
    g = ghpool(shutdown_grace_secs=30, upstream_timeout_secs=30)
    fake.add_fault("latency", path=REPO, ms=1500)
    slow = Slow(g, fake, REPO)
    g.proc.send_signal(signal.SIGINT)
    rc, took = wait_exit(g, 15)
    assert rc == 0, g.log_text()
    reply = slow.join()
    assert slow.error is None and reply.status == 200, (slow.error, reply)
    log = g.log_text()
    assert "received SIGINT: draining for up to 30 s" in log, log
    assert re.search(r"stopped after \d+ ms", log), log


def test_idle_shutdown_is_quick(ghpool):
    g = ghpool()
    g.get(REPO)
    g.proc.send_signal(signal.SIGTERM)
    rc, took = wait_exit(g, 10)
    assert rc == 0 and took < 5, (rc, took, g.log_text())


def test_second_signal_stops_at_once(ghpool, fake):
    g = ghpool(shutdown_grace_secs=60, upstream_timeout_secs=30)
    fake.add_fault("latency", path=REPO, ms=8000)
    slow = Slow(g, fake, REPO)
    t0 = time.monotonic()
    g.proc.send_signal(signal.SIGTERM)
    g.wait_log(r"draining for up to 60 s")
    g.proc.send_signal(signal.SIGINT)
    rc, _ = wait_exit(g, 10)
    assert rc == 0, g.log_text()
    assert time.monotonic() - t0 < 7, "did not stop before the slow read ended"
    reply = slow.join(10)
    assert slow.error is not None or reply.status >= 500, reply
    assert "received SIGINT while draining: stopping now" in g.log_text()


def test_shutdown_grace_from_the_environment(ghpool):
    g = ghpool(_env={"GHPOOL_SHUTDOWN_GRACE_SECS": "7"})
    g.proc.send_signal(signal.SIGTERM)
    rc, _ = wait_exit(g, 10)
    assert rc == 0
    assert "draining for up to 7 s" in g.log_text(), g.log_text()


# ---------------------------------------------------------------------------
# Log format and level
# ---------------------------------------------------------------------------

def test_json_log_lines(ghpool, fake):
    g = ghpool(log_format="json", cache={"max_entries": 1000}, clients=CLIENTS,
               _env={"OPS_KEY": KEY})
    k = {"X-Ghpool-Key": KEY}
    assert g.get(REPO, headers=k).header("X-Ghpool-Cache") == "MISS"
    assert g.get(REPO, headers=k).header("X-Ghpool-Cache") == "HIT"
    assert g.get("/repos/octo-org/nope", headers=k).status == 404
    assert g.get("/repos/evil-corp/secret", headers=k).status == 403
    assert g.get(REPO).status == 401                       # no key
    w = g.request("POST", "/repos/octo-org/hello/issues",
                  headers={**k, "Authorization": "token tok_carol"},
                  body=json.dumps({"title": "from the ops test"}))
    assert w.status == 201, w
    q = g.request("POST", "/graphql", headers=k,
                  body=json.dumps({"query": 'query Repo { repository(owner: "octo-org", name: "hello") '
                                   '{ name } }'}))
    assert q.status == 200, q
    # A path with bytes JSON must escape or replace: a quote, a backslash, DEL, bytes that
    # are no UTF-8 (a surrogate, an overlong '/', past U+10FFFF, a sequence cut short), and
    # valid two- and four-byte characters, which stay.
    odd = (b'/repos/octo-org/x"y\\z\x7f\xff\xfe\xc3\xa9\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80'
           b'\xf0\x9f\x98\x80\xe2\x82')
    raw_exchange(g.url, b"GET " + odd + b" HTTP/1.1\r\nHost: x\r\nX-Ghpool-Key: " +
                 KEY.encode() + b"\r\nConnection: close\r\n\r\n")
    # A path longer than a line: cut, and the line is still an object.
    long_path = "/repos/octo-org/" + '"' * 1500
    raw_exchange(g.url, b"GET " + long_path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Ghpool-Key: "
                 + KEY.encode() + b"\r\nConnection: close\r\n\r\n")
    g.wait_log(r'"path":"/repos/octo-org/\\"\\"')
    assert g.stop() == 0
    log = strict_log(g)
    assert_no_secret(log, KEY)
    docs = json_lines(log)
    for d in docs:
        check_json_line(d)
    assert all(len(line.encode()) <= 2048 for line in log.splitlines()), "a line over the cap"
    acc = access_lines(docs)

    def one(**want: Any) -> dict[str, Any]:
        found = [d for d in acc if all(d.get(kk) == v for kk, v in want.items())]
        assert len(found) >= 1, (want, acc)
        return found[0]

    miss = one(path=REPO, outcome="MISS")
    assert miss["status"] == 200 and miss["method"] == "GET" and miss["client"] == "ops"
    assert miss["identity"] in ("alice", "bob") and miss["bytes"] > 0, miss
    hit = one(path=REPO, outcome="HIT")
    assert hit["identity"] == miss["identity"] and hit["bytes"] == miss["bytes"], hit
    assert one(path="/repos/octo-org/nope")["status"] == 404
    denied = one(path="/repos/evil-corp/secret")
    assert denied["status"] == 403 and denied["outcome"] == "denied", denied
    assert one(path=REPO, status=401)["identity"] == "-"
    write = one(method="POST", path="/repos/octo-org/hello/issues")
    assert write["status"] == 201 and write["login"] == "carol-gh", write
    gql = one(method="POST", path="/graphql")
    assert gql["op"] == "query:Repo", gql
    strange = [d for d in acc if d["path"].startswith('/repos/octo-org/x"')]
    # One U+FFFD per byte that starts no well-formed sequence.
    assert strange and strange[0]["path"] == ('/repos/octo-org/x"y\\z\x7f' + "\ufffd" * 2 + "\u00e9"
                                              + "\ufffd" * 9 + "\U0001f600" + "\ufffd" * 2), strange
    cut = [d for d in acc if d["path"].startswith('/repos/octo-org/""')]
    assert cut and 100 < len(cut[0]["path"]) < 1500, cut
    assert type(cut[0]["status"]) is int and cut[0]["outcome"], cut
    assert any(d["msg"].startswith("ghpool ") and "listening on" in d["msg"] for d in docs), docs
    assert any(d["msg"].startswith("received SIGTERM: draining") for d in docs), docs
    # Operational lines carry exactly the three fields.
    assert all(set(d) == {"time", "level", "msg"} for d in docs if d["msg"] != "access")
    # JSON escapes every control character: the log stays one line per record.
    assert "\x7f" not in log


def test_log_level_warn_keeps_only_warnings_and_errors(ghpool):
    g = ghpool(log_level="warn", allowed_owners=[])
    for _ in range(3):
        g.get(REPO)
    g.get("/nope")
    assert g.stop() == 0
    log = g.log_text()
    assert "allowed_owners is empty" in log, log
    lines = [ln for ln in log.splitlines() if ln]
    assert lines and all(re.match(r"^\S+ (WARN|ERROR) ", ln) for ln in lines), log
    assert "access" not in log and " INFO " not in log, log


def test_log_level_error_in_json(ghpool):
    g = ghpool(log_format="json", log_level="error", allowed_owners=[])
    g.get(REPO)
    assert g.stop() == 0
    docs = json_lines(strict_log(g))
    assert all(d["level"] == "ERROR" for d in docs), docs


def test_environment_wins_and_debug_is_accepted(ghpool):
    g = ghpool(log_format="text", log_level="error",
               _env={"GHPOOL_LOG_FORMAT": "json", "GHPOOL_LOG_LEVEL": "debug"})
    assert g.get(REPO).status == 200
    g.proc.send_signal(signal.SIGHUP)   # the reload's lines, and a debug line for the signal
    g.wait_log(r'"msg":"reloaded ')
    assert g.stop() == 0
    docs = json_lines(strict_log(g))
    for d in docs:
        check_json_line(d)
    assert [d for d in access_lines(docs) if d["path"] == REPO and d["status"] == 200], docs
    assert any(d["level"] == "DEBUG" for d in docs), docs


def test_text_format_is_the_default(ghpool):
    g = ghpool()
    r = g.get(REPO)
    ident = r.header("X-Ghpool-Identity")
    m = g.wait_log(r"(?m)^(\S+) INFO access method=GET path=/repos/octo-org/hello status=200 "
                   r"bytes=\d+ duration_ms=\d+ identity=(\S+) outcome=\S+$")
    assert RFC3339.match(m.group(1)) and m.group(2) == ident, m.group(0)
    assert "{" not in g.log_text().splitlines()[0]


def test_reload_switches_format_and_level(ghpool):
    g = ghpool()
    g.get(REPO)
    # Workers write their lines once per loop turn, just after the answers.
    g.wait_log(r"INFO access method=GET path=/repos/octo-org/hello ")
    cfg = dict(g.config)
    cfg.update(log_format="json", shutdown_grace_secs=9)
    Path(g.config_path).write_text(to_toml(cfg))
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r'"msg":"reloaded ')
    g.get("/repos/octo-org/hello/issues")
    g.wait_log(r'"path":"/repos/octo-org/hello/issues"')
    text_part, _, json_part = g.log_text().partition('{"time"')
    assert "INFO access method=GET path=/repos/octo-org/hello " in text_part
    docs = json_lines('{"time"' + json_part)
    for d in docs:
        check_json_line(d)

    cfg.update(log_level="warn")
    Path(g.config_path).write_text(to_toml(cfg))
    g.proc.send_signal(signal.SIGHUP)
    time.sleep(2)   # the reload's own lines are INFO now: nothing to wait for
    before = g.log_text()
    g.get(REPO)
    g.proc.send_signal(signal.SIGTERM)
    rc, _ = wait_exit(g, 15)
    assert rc == 0
    after = g.log_text()[len(before):]
    # Level warn: neither the access line nor the drain's INFO lines.
    assert after == "", after
    # Both keys apply on reload: no "needs a restart" warning for them.
    assert not re.search(r"restart", before), before


def test_reloaded_grace_is_used(ghpool):
    g = ghpool()
    cfg = dict(g.config)
    cfg.update(shutdown_grace_secs=9)
    Path(g.config_path).write_text(to_toml(cfg))
    g.proc.send_signal(signal.SIGHUP)
    g.wait_log(r"reloaded ")
    g.proc.send_signal(signal.SIGTERM)
    rc, _ = wait_exit(g, 15)
    assert rc == 0
    log = g.log_text()
    assert "draining for up to 9 s" in log, log
    assert "takes effect when ghpool restarts" not in log, log


def test_messages_before_the_config_loads_stay_text(ghpool_cli, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('log_format = "json"\nport = "x"\n')
    p = ghpool_cli(["--config", str(cfg)], env={"GHPOOL_LOG_FORMAT": "json"})
    assert p.returncode == 1
    assert p.stderr.startswith("ghpool: configuration error: "), p.stderr
    assert "line 2" in p.stderr and "'port'" in p.stderr, p.stderr
    for bad, key in (('log_format = "xml"\n', "log_format"), ('log_level = "loud"\n', "log_level"),
                     ("shutdown_grace_secs = 3601\n", "shutdown_grace_secs")):
        cfg.write_text(bad)
        p = ghpool_cli(["--check-config", "--config", str(cfg)])
        assert p.returncode == 1 and f"line 1: key '{key}'" in p.stderr, output(p)
    for var, val in (("GHPOOL_LOG_FORMAT", "yaml"), ("GHPOOL_LOG_LEVEL", "WARNING"),
                     ("GHPOOL_SHUTDOWN_GRACE_SECS", "-1")):
        cfg.write_text("")
        p = ghpool_cli(["--check-config", "--config", str(cfg)], env={var: val})
        assert p.returncode == 1 and f"environment: {var} must be" in p.stderr, output(p)


def test_check_config_prints_the_new_keys(ghpool_cli, tmp_path):
    cfg = tmp_path / "ops.toml"
    cfg.write_text('log_format = "json"\nlog_level = "debug"\nshutdown_grace_secs = 0\n')
    p = ghpool_cli(["--check-config", "--config", str(cfg)])
    assert p.returncode == 0, output(p)
    assert 'log_format = "json"\nlog_level = "debug"\nshutdown_grace_secs = 0\n' in p.stdout
    p = ghpool_cli(["--check-config", "--config", str(cfg)],
                   env={"GHPOOL_LOG_LEVEL": "warn", "GHPOOL_SHUTDOWN_GRACE_SECS": "45"})
    assert 'log_level = "warn"\nshutdown_grace_secs = 45\n' in p.stdout, output(p)
