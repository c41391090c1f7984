"""Hardening regressions: hostile request lines and paths, HEAD framing, log forging,
same-account identities, exhaustion after a retry, env token checks, shutdown drain and
X-RateLimit-* for unknown buckets.

Black-box: requests a normal client would normalise are sent as raw bytes.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time

import pytest

from fake_github.client import raw_exchange, wait_until

TARGET = "/repos/octo-org/hello"
RATE_DOC = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

class Raw:
    """A parsed raw HTTP answer."""

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
                 head: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.head = head

    def header(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<Raw {self.status} {self.headers} {self.body[:300]!r}>"


def parse_head(head: bytes) -> tuple[int, str, list[tuple[str, str]]]:
    lines = head.split(b"\r\n")
    m = re.fullmatch(rb"HTTP/1\.[01] (\d{3})(?: (.*))?", lines[0])
    assert m, f"not a status line: {lines[0][:200]!r} (answer starts {head[:200]!r})"
    headers = []
    for line in lines[1:]:
        k, sep, v = line.partition(b":")
        assert sep, f"malformed header line {line!r}"
        headers.append((k.decode("latin-1").strip(), v.decode("latin-1").strip()))
    return int(m.group(1)), (m.group(2) or b"").decode("latin-1"), headers


def parse_raw(data: bytes, head_only: bool = False) -> Raw:
    """One complete answer from raw_exchange's bytes (Content-Length framed)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert sep, f"no complete answer: {data[:300]!r}"
    status, reason, headers = parse_head(head)
    r = Raw(status, reason, headers, b"", head)
    if not head_only:
        n = int(r.header("Content-Length") or len(rest))
        r.body = rest[:n]
    return r


def raw_request(g, data: bytes, timeout: float = 10.0) -> Raw:
    out = raw_exchange(g.url, data, timeout=timeout)
    assert out, f"ghpool sent nothing back for {data[:120]!r}"
    return parse_raw(out)


class Conn:
    """One keep-alive connection: send requests, read answers framed by Content-Length."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        b = self.sock.recv(65536)
        if not b:
            raise AssertionError(f"connection closed; unread bytes {self.buf[:300]!r}")
        self.buf += b

    def read(self, head_only: bool = False) -> Raw:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status, reason, headers = parse_head(head)
        r = Raw(status, reason, headers, b"", head)
        if head_only or status in (204, 304) or 100 <= status < 200:
            return r
        cl = r.header("Content-Length")
        assert cl is not None, f"answer without Content-Length: {r}"
        n = int(cl)
        while len(self.buf) < n:
            self._fill()
        r.body, self.buf = self.buf[:n], self.buf[n:]
        return r

    def stray(self, wait: float = 0.3) -> bytes:
        """Bytes that arrive without a request (a HEAD body, say)."""
        self.sock.settimeout(wait)
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    break
                self.buf += b
        except (socket.timeout, BlockingIOError):
            pass
        finally:
            self.sock.settimeout(10.0)
        return self.buf

    def close(self) -> None:
        self.sock.close()


def req(method: str, target: bytes | str, extra: str = "") -> bytes:
    if isinstance(target, str):
        target = target.encode()
    return method.encode() + b" " + target + b" HTTP/1.1\r\nHost: x\r\n" + extra.encode() + b"\r\n"


def assert_json_answer(r, status: int) -> None:
    assert r.status == status, r
    assert (r.header("Content-Type") or "").startswith("application/json"), r
    body = r.json()
    assert isinstance(body.get("message"), str) and body["message"], body


def assert_still_serving(g) -> None:
    assert g.alive(), g.log_text()
    h = g.get("/healthz")
    assert h.status == 200 and h.body == b"ok", h


# ---------------------------------------------------------------------------
# 1. non-ASCII bytes in the request line
# ---------------------------------------------------------------------------

LONG_OWNER_E_ACUTE = b"/repos/" + b"a" * 99 + "é".encode() + b"/x"


@pytest.mark.parametrize("target", [b"/repos/\xff/x", LONG_OWNER_E_ACUTE],
                         ids=["raw-0xff", "99-chars-then-e-acute"])
def test_non_ascii_request_target_is_400(ghpool, fake, reads, target):
    g = ghpool()
    r = raw_request(g, req("GET", target))
    assert_json_answer(r, 400)
    assert reads(fake) == [], "a non-ASCII target reached upstream"
    assert_still_serving(g)
    # the log shows the bytes escaped, never raw
    line = g.wait_log(r"access method=GET path=\S*%[0-9A-F]{2}\S* status=400").group(0)
    assert "\ufffd" not in line and "é" not in line, line
    assert b"\xff" not in g.log_path.read_bytes()


# ---------------------------------------------------------------------------
# 2. HEAD answers carry no body
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("head_target,head_status", [
    ("/healthz", 200),
    ("/repos/evil-corp/x", 403),
    (TARGET, 200),
], ids=["healthz", "denied-403", "pooled-read"])
def test_head_then_get_on_one_keepalive_connection(ghpool, fake, reads, head_target,
                                                   head_status):
    g = ghpool()
    c = Conn(g.port)
    try:
        c.send(req("HEAD", head_target))
        h = c.read(head_only=True)
        assert h.status == head_status, h
        stray = c.stray(0.4)
        assert stray == b"", f"HEAD answer was followed by body bytes {stray[:200]!r}"
        c.send(req("GET", "/healthz"))
        r = c.read()
        assert r.status == 200, r
        assert r.body == b"ok", r
        assert c.stray(0.2) == b""
    finally:
        c.close()
    if head_status == 403:
        assert reads(fake) == []


def test_head_pipelined_with_get_parses_cleanly(ghpool):
    g = ghpool()
    c = Conn(g.port)
    try:
        c.send(req("HEAD", "/repos/evil-corp/x") + req("GET", "/healthz"))
        h = c.read(head_only=True)
        assert h.status == 403, h
        r = c.read()
        assert (r.status, r.body) == (200, b"ok"), r
    finally:
        c.close()


def test_head_content_length_matches_get_body(ghpool, fake, reads):
    g = ghpool()
    get = g.get(TARGET)
    assert get.status == 200, get
    assert int(get.header("Content-Length")) == len(get.body)
    head = g.request("HEAD", TARGET)
    assert head.status == 200, head
    assert head.body == b""
    assert head.header("Content-Length") == str(len(get.body)), (head.headers, len(get.body))
    recs = reads(fake, TARGET)
    assert [r.method for r in recs] == ["GET", "HEAD"], recs
    ae = recs[1].header("Accept-Encoding") or ""
    assert "gzip" not in ae.lower(), f"ghpool asked for gzip on HEAD: {ae!r}"


# ---------------------------------------------------------------------------
# 3. path hardening
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/repos/octo-org/hello/..%2f..%2fevil-corp",
    "/%72epos/evil-corp/x",
    "/repos/%6Fcto-org/hello",
    "/repos/octo-org/hello/a%1fb",
    "/repos/octo-org/hello/a%zz",
])
def test_disguised_paths_are_400(ghpool, fake, reads, target):
    g = ghpool()
    r = raw_request(g, req("GET", target))
    assert_json_answer(r, 400)
    assert reads(fake) == [], "a disguised path reached upstream"


@pytest.mark.parametrize("target", ["/REPOS/evil-corp/secret", "/organizations/9/repos",
                                    "/user/77"])
def test_case_and_id_forms_are_denied(ghpool, fake, reads, target):
    g = ghpool()  # allowed_owners = ["octo-org", "alice"]
    r = raw_request(g, req("GET", target))
    assert_json_answer(r, 403)
    assert reads(fake) == [], "a denied path reached upstream"


def test_mixed_case_family_of_allowed_owner_is_forwarded_verbatim(ghpool, fake, reads):
    g = ghpool()
    r = raw_request(g, req("GET", "/Repos/octo-org/hello"))
    assert r.status != 403 and r.status != 400, r
    assert [rec.path for rec in reads(fake)] == ["/Repos/octo-org/hello"]
    # the fake routes case-sensitively: its own 404 comes back
    assert r.status == reads(fake)[0].status == 404, r


# ---------------------------------------------------------------------------
# 4. malformed request targets
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    b"/repos/octo-org/hello?a=b c",
    b"/repos/octo-org/hello?a=\x01",
    b"/repos/octo-org/he llo",
], ids=["space-in-query", "ctrl-01-in-query", "space-in-path"])
def test_malformed_targets_are_400_without_upstream(ghpool, fake, reads, target):
    g = ghpool()
    out = raw_exchange(g.url, req("GET", target), timeout=5)
    assert out, "no answer"
    r = parse_raw(out)
    assert 400 <= r.status < 500, r
    assert_json_answer(r, 400)
    assert reads(fake) == [], "a malformed target reached upstream"
    assert {i["requests"] for i in g.stats()["identities"]} == {0}, "an identity was used"
    assert_still_serving(g)


# ---------------------------------------------------------------------------
# 5. log forging
# ---------------------------------------------------------------------------

def test_raw_cr_in_path_cannot_forge_a_log_line(ghpool, fake, reads):
    g = ghpool()
    out = raw_exchange(g.url, b"GET /x\rINJECTED status=200 HTTP/1.1\r\nHost: x\r\n\r\n",
                       timeout=5)
    assert out, "no answer"
    r = parse_raw(out)
    assert r.status == 400, r
    assert reads(fake) == []
    g.wait_log(r"access method=GET path=/x%0DINJECTED")
    # str.splitlines() also splits at a lone CR, as a terminal or log shipper might
    for line in g.log_text().splitlines():
        assert not line.startswith("INJECTED"), g.log_text()
    line = g.wait_log(r"access method=GET path=\S+ status=400[^\n]*").group(0)
    assert "path=/x%0DINJECTED%20status=200 status=400" in line, line
    assert "\r" not in g.log_text()


def test_quote_and_space_in_path_are_escaped_in_the_log(ghpool, fake, reads):
    g = ghpool()
    out = raw_exchange(g.url, b'GET /x" status=200 "y HTTP/1.1\r\nHost: x\r\n\r\n', timeout=5)
    assert out, "no answer"
    assert 400 <= parse_raw(out).status < 500
    assert reads(fake) == []
    line = g.wait_log(r"access method=GET path=/x\S* status=4\d\d[^\n]*").group(0)
    assert "path=/x%22%20status=200%20%22y status=" in line, line


# ---------------------------------------------------------------------------
# 6. two tokens of the same GitHub account
# ---------------------------------------------------------------------------

def rl(r, name: str) -> int:
    v = r.header(f"X-RateLimit-{name}")
    assert v is not None, f"missing X-RateLimit-{name}: {r.headers}"
    return int(v)


def test_revoked_sibling_token_keeps_the_shared_budget(ghpool, fake, reads):
    fake.set_budget("tok_bob", "core", remaining=3000)  # alice-gh is the first choice
    g = ghpool(identities=["alice", "alice2", "bob"])
    s = {i["id"]: i for i in g.stats()["identities"]}
    assert s["alice"]["login"] == s["alice2"]["login"] == "alice-gh"
    r = g.get(TARGET)
    assert r.status == 200, r
    assert rl(r, "Limit") == 10000  # alice-gh once, bob once
    fake.revoke("tok_alice2")
    for _ in range(6):
        r = g.get(TARGET)
        assert r.status == 200, r
        if fake.requests(TARGET, token="tok_alice2"):
            break
    else:
        raise AssertionError(f"alice2 never used: {reads(fake)}")
    assert g.state("alice2") == "disabled"
    # the 401 came with the per-IP budget (limit 60): it is nobody's pooled budget
    a401 = fake.requests(TARGET, token="tok_alice2")[-1]
    assert a401.status == 401
    # the retry left the account: bob, not alice (same budget as the revoked token)
    after = reads(fake, TARGET)[-1]
    assert after.token == "tok_bob" and after.status == 200, reads(fake)
    assert r.header("X-Ghpool-Identity") == "bob"
    s = {i["id"]: i for i in g.stats()["identities"]}
    assert s["alice"]["state"] == "active"
    truth = fake.budget("tok_alice")
    assert s["alice"]["buckets"]["core"]["limit"] == 5000, s["alice"]
    assert s["alice"]["buckets"]["core"]["remaining"] == truth["remaining"], (s["alice"], truth)
    assert s["alice"]["buckets"]["core"]["reset"] == truth["reset"], (s["alice"], truth)
    r = g.get(TARGET)
    assert r.status == 200, r
    assert rl(r, "Limit") == 10000, r.headers
    a, b = fake.budget("tok_alice"), fake.budget("tok_bob")
    assert rl(r, "Remaining") == a["remaining"] + b["remaining"], (r.headers, a, b)
    assert g.identity("alice")["buckets"]["core"]["limit"] == 5000


def test_secondary_limit_cools_the_whole_account(ghpool, fake, reads):
    fake.set_budget("tok_bob", "core", remaining=3000)  # alice-gh is the first choice
    g = ghpool(identities=["alice", "alice2", "bob"])
    fake.add_fault("secondary", token="tok_alice", retry_after=30)
    r = g.get(TARGET)
    assert r.status == 200, r
    assert r.header("X-Ghpool-Identity") == "bob", r.headers
    assert [(x.token, x.status) for x in reads(fake)] == [("tok_alice", 403), ("tok_bob", 200)]
    assert g.state("alice") == "cooling"
    assert g.state("alice2") == "cooling"
    assert g.state("bob") == "active"
    for _ in range(3):
        assert g.get(TARGET).header("X-Ghpool-Identity") == "bob"
    assert fake.requests(token="tok_alice2", path="/repos") == []


# ---------------------------------------------------------------------------
# 7. primary limit discovered by the only identity
# ---------------------------------------------------------------------------

def test_exhausted_after_retry_answers_403_with_retry_after(ghpool, fake, reads):
    g = ghpool(identities=["alice"])
    reset = fake.budget("tok_alice")["reset"]
    assert g.identity("alice")["buckets"]["core"]["remaining"] > 4000
    fake.set_budget("tok_alice", "core", remaining=0, reset=reset)  # same window
    r = g.get(TARGET)
    assert [(x.token, x.status) for x in reads(fake)] == [("tok_alice", 403)]
    assert r.status == 403, r
    assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
    assert "rate limit" in r.json()["message"].lower(), r.body
    assert r.header("X-RateLimit-Remaining") == "0", r.headers
    retry_after = r.header("Retry-After")
    assert retry_after is not None, r.headers
    assert 1 <= int(retry_after) <= reset - time.time() + 2, (retry_after, reset)
    assert int(retry_after) >= reset - time.time() - 5, (retry_after, reset)
    assert g.identity("alice")["state"] == "active"
    assert g.identity("alice")["buckets"]["core"]["remaining"] == 0
    # ghpool now knows: the next read is answered without asking upstream
    r2 = g.get(TARGET)
    assert r2.status == 403 and r2.header("X-RateLimit-Remaining") == "0", r2
    assert r2.header("Retry-After") is not None
    assert len(reads(fake)) == 1


# ---------------------------------------------------------------------------
# 8. token values from the environment
# ---------------------------------------------------------------------------

SECRET_VALUE = "tok_nl_secret_7f3a9"


def output(p) -> str:
    return (p.stdout or "") + (p.stderr or "")


def test_env_token_with_trailing_newline_is_rejected(ghpool_cli, tmp_path):
    cfg = tmp_path / "nl.toml"
    cfg.write_text('port = 18123\nupstream_url = "http://127.0.0.1:9"\n\n'
                   '[[identities]]\nid = "erin"\ntoken = "env:GHP_TEST_NL_TOKEN"\n')
    p = ghpool_cli(["--check-config", "--config", str(cfg)],
                   env={"GHP_TEST_NL_TOKEN": SECRET_VALUE + "\n"})
    out = output(p)
    assert p.returncode != 0, out
    assert "erin" in out and "GHP_TEST_NL_TOKEN" in out, out
    assert SECRET_VALUE not in out, out
    assert "secret_7f3a9" not in out, out


def test_env_only_pat_with_trailing_newline_is_rejected(ghpool_cli, tmp_path):
    empty = tmp_path / "empty-cwd"
    empty.mkdir()
    p = ghpool_cli(["--check-config"], cwd=empty,
                   env={"GHPOOL_PAT_ALICE": SECRET_VALUE + "\n", "GHPOOL_CONFIG": None,
                        "GHPOOL_UPSTREAM_URL": "http://127.0.0.1:9"})
    out = output(p)
    assert p.returncode != 0, out
    assert "GHPOOL_PAT_ALICE" in out, out
    assert SECRET_VALUE not in out and "secret_7f3a9" not in out, out


# ---------------------------------------------------------------------------
# 9. SIGTERM with a read in flight
# ---------------------------------------------------------------------------

def test_sigterm_answers_pending_read_with_502_and_exits_0(ghpool, fake):
    g = ghpool(upstream_timeout_secs=10, shutdown_grace_secs=0)
    fake.add_fault("hang", path=TARGET, seconds=5)
    s = socket.create_connection(("127.0.0.1", g.port), timeout=8)
    try:
        s.sendall(req("GET", TARGET))
        wait_until(lambda: fake.requests(TARGET), 5, message="the read to reach upstream")
        time.sleep(0.2)
        t0 = time.monotonic()
        g.proc.send_signal(signal.SIGTERM)
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            data += b
        answered = time.monotonic() - t0
    finally:
        s.close()
    rc = g.proc.wait(timeout=8)
    exited = time.monotonic() - t0
    assert data, f"the pending client got an empty read (after {answered:.2f}s)\n{g.log_text()}"
    r = parse_raw(data)
    assert_json_answer(r, 502)
    assert answered < 3.0, answered
    assert rc == 0, g.log_text()
    assert exited < 4.0, exited
    # the fixture's teardown finds the process gone and checks code and log


# ---------------------------------------------------------------------------
# 10. X-RateLimit-* absent while nobody knows the bucket
# ---------------------------------------------------------------------------

def test_ratelimit_headers_omitted_for_a_bucket_nobody_knows(ghpool, fake, reads):
    # /rate_limit fails at startup: ghpool learns only "core" (from /user's headers).
    fake.add_fault("status", path="/rate_limit", status=500, count=None)
    # Two identities get a 401 on the search read (401 headers teach nothing), the
    # third (carol) stays active but has never reported its search bucket.
    fake.add_fault("bad_credentials", path="/search/issues", count=2)
    g = ghpool(identities=["alice", "bob", "carol"])
    for ident in g.stats()["identities"]:
        assert set(ident["buckets"]) == {"core"}, ident
    r = g.get("/search/issues?q=issue+repo:octo-org/hello")
    assert r.status == 401, r
    assert len(reads(fake, "/search/issues")) == 2
    active = [i["id"] for i in g.stats()["identities"] if i["state"] == "active"]
    assert len(active) == 1, g.stats()
    for name in ("Limit", "Remaining", "Used", "Reset", "Resource"):
        assert r.header(f"X-RateLimit-{name}") is None, r.headers
    # core is known (from the startup /user answers): present there
    c = g.get(TARGET)
    assert c.status == 200 and c.header("X-Ghpool-Identity") == active[0], c
    assert rl(c, "Limit") == 5000 and c.header("X-RateLimit-Resource") == "core"
    # once the bucket has been reported, the headers describe it
    s = g.get("/search/issues?q=issue+repo:octo-org/hello")
    assert s.status == 200, s
    assert s.header("X-RateLimit-Resource") == "search"
    assert rl(s, "Limit") == 30


# 11. A connect timeout (502, not 504) needs a non-routable upstream address; only
# loopback is reachable here, so it is not tested.
