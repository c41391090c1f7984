"""ghp: `ghp api` reads through ghpool, and everything else through the real gh.

ghp runs as a subprocess with GHPOOL_URL pointing at a real ghpool in front of the
fake GitHub. A fake "real gh" (tests/e2e/fake_gh.py) records its argv, stdin and exit code,
so a test can tell which path a command took without gh being installed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import fake_gh
from conftest import free_port



@pytest.fixture
def ghp_bin() -> Path:
    return fake_gh.ghp_binary()


@pytest.fixture
def stub(tmp_path):
    """A directory holding gh-real (the stub); returns (bin_dir, calls())."""
    d = tmp_path / "fakeghbin"
    d.mkdir()
    fake_gh.install(d)
    return d, lambda: fake_gh.calls(tmp_path)


@pytest.fixture
def run_ghp(ghp_bin, tmp_path, stub):
    bin_dir, _ = stub

    def run(args: list[str], url: str | None, cwd: Path | None = None, stdin: bytes = b"",
            env: dict[str, str] | None = None, path: str | None = None,
            argv0: str | None = None) -> subprocess.CompletedProcess:
        e = {"PATH": path or f"{bin_dir}:/usr/bin:/bin", "GHP_FAKE_GH_DIR": str(tmp_path),
             "HOME": str(tmp_path)}
        if url is not None:
            e["GHPOOL_URL"] = url
        e.update(env or {})
        exe = argv0 or str(ghp_bin)
        return subprocess.run([exe] + args, input=stdin, capture_output=True, env=e,
                              cwd=str(cwd or tmp_path), timeout=60)
    return run


def direct(g, target: str) -> bytes:
    r = g.get(target)
    assert r.status == 200, r
    return r.body


# ---------------------------------------------------------------------------
# reads answered through ghpool
# ---------------------------------------------------------------------------

def test_api_prints_the_body_as_served(ghpool, fake, run_ghp, stub):
    g = ghpool()
    for endpoint in ("repos/octo-org/hello", "/repos/octo-org/hello",
                     "repos/octo-org/hello/issues?per_page=3"):
        p = run_ghp(["api", endpoint], g.url)
        assert p.returncode == 0, p.stderr
        assert p.stdout == direct(g, "/" + endpoint.lstrip("/")), endpoint
        assert p.stderr == b""
    assert stub[1]() == []


JQ_CASES = [
    (".full_name", "repos/octo-org/hello", "octo-org/hello\n"),
    (".id", "repos/octo-org/hello", "1001\n"),
    (".private", "repos/octo-org/hello", "false\n"),
    (".nothing", "repos/octo-org/hello", "\n"),                       # null: an empty line
    ("length", "repos/octo-org/hello/issues?per_page=5", "5\n"),
    # the fake lists newest first, as GitHub does: 95, 94, ...
    ("map(select(.number % 2 == 0)) | length", "repos/octo-org/hello/issues?per_page=5", "2\n"),
    ('.[] | "\\(.number): \\(.title)"', "repos/octo-org/hello/issues?per_page=2",
     "95: Issue 95 of hello\n94: Issue 94 of hello\n"),
    (".[0] | {title, number}", "repos/octo-org/hello/issues?per_page=1",
     '{"number":95,"title":"Issue 95 of hello"}\n'),                # compact, keys sorted
    ("[.[].number]", "repos/octo-org/hello/issues?per_page=3", "[95,94,93]\n"),
    ('{"a": "<b>&"}', "repos/octo-org/hello", '{"a":"\\u003cb\\u003e\\u0026"}\n'),
]


@pytest.mark.parametrize("program,endpoint,expected", JQ_CASES,
                         ids=[c[0] for c in JQ_CASES])
def test_api_jq_with_the_real_jq(ghpool, run_ghp, program, endpoint, expected):
    g = ghpool()
    for flag in ("--jq", "-q"):
        p = run_ghp(["api", endpoint, flag, program], g.url)
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode() == expected


def test_api_jq_errors_exit_1(ghpool, run_ghp, stub):
    g = ghpool()
    p = run_ghp(["api", "repos/octo-org/hello", "--jq", ".[[["], g.url)
    assert p.returncode == 1 and b"jq" in p.stderr
    p = run_ghp(["api", "repos/octo-org/hello", "--jq", ".full_name | tonumber"], g.url)
    assert p.returncode == 1 and b"jq" in p.stderr
    assert stub[1]() == []


def test_api_paginate_joins_array_pages(ghpool, fake, run_ghp):
    g = ghpool()
    everything = []
    page = 1
    while True:
        chunk = json.loads(direct(g, f"/repos/octo-org/hello/issues?per_page=40&page={page}"))
        if not chunk:
            break
        everything += chunk
        page += 1
    assert len(everything) == 95
    p = run_ghp(["api", "repos/octo-org/hello/issues?per_page=40", "--paginate"], g.url)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == everything          # one array, not three
    numbers = run_ghp(["api", "repos/octo-org/hello/issues", "--paginate", "--jq", ".[].number"],
                      g.url)
    assert numbers.stdout.decode().split() == [str(i["number"]) for i in everything]
    slurp = run_ghp(["api", "repos/octo-org/hello/issues?per_page=40", "--paginate", "--slurp"],
                    g.url)
    pages = json.loads(slurp.stdout)
    assert [len(x) for x in pages] == [40, 40, 15]


def test_api_paginate_asks_for_100_per_page(ghpool, fake, run_ghp, reads):
    g = ghpool()
    p = run_ghp(["api", "repos/octo-org/hello/issues", "--paginate", "--jq", "length"], g.url)
    assert p.stdout.decode().split() == ["95"]
    assert [r.path for r in reads(fake)] == ["/repos/octo-org/hello/issues?per_page=100"]


def test_api_include_prints_status_and_sorted_headers(ghpool, run_ghp):
    g = ghpool()
    p = run_ghp(["api", "-i", "repos/octo-org/hello"], g.url)
    assert p.returncode == 0
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    status, _, headers = head.partition(b"\n")           # Go's Fprintln: no CR here
    assert status == b"HTTP/1.1 200 OK"
    lines = headers.split(b"\r\n")                       # each header ends in CRLF
    assert all(b"\n" not in ln and b": " in ln for ln in lines)
    names = [ln.split(b":")[0] for ln in lines]
    assert names == sorted(names)
    assert b"Content-Type" in names and b"X-Ghpool-Cache" in names
    assert b"X-Ratelimit-Remaining" in names                       # Go's canonical case
    assert json.loads(body)["full_name"] == "octo-org/hello"


def test_api_headers_reach_github(ghpool, fake, run_ghp, reads):
    g = ghpool()
    p = run_ghp(["api", "-H", "Accept: application/vnd.github.v3+json",
                 "--header", "X-GitHub-Api-Version: 2022-11-28", "repos/octo-org/hello"], g.url)
    assert p.returncode == 0, p.stderr
    [rec] = reads(fake)
    assert rec.header("Accept") == "application/vnd.github.v3+json"
    assert rec.header("X-GitHub-Api-Version") == "2022-11-28"


def test_api_get_fields_become_the_query(ghpool, fake, run_ghp, reads):
    g = ghpool()
    p = run_ghp(["api", "-X", "GET", "search/issues", "-f", "q=repo:octo-org/hello is:open",
                 "-f", "per_page=2", "--jq", ".items | length"], g.url)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"2\n"
    [rec] = reads(fake)
    assert rec.path == "/search/issues?per_page=2&q=repo%3Aocto-org%2Fhello+is%3Aopen"


def test_api_placeholders_come_from_the_checkout(ghpool, run_ghp, tmp_path):
    g = ghpool()
    repo = tmp_path / "checkout"
    repo.mkdir()
    for url in ("https://github.com/octo-org/hello.git", "git@github.com:octo-org/hello.git",
                "ssh://git@github.com/octo-org/hello"):
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "remote", "remove", "origin"],
                       capture_output=True)
        subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", url], check=True)
        p = run_ghp(["api", "repos/{owner}/{repo}", "--jq", ".full_name"], g.url, cwd=repo)
        assert p.returncode == 0, (url, p.stderr)
        assert p.stdout == b"octo-org/hello\n", url
    p = run_ghp(["api", "repos/{owner}/{repo}/branches/{branch}", "--jq", ".name"], g.url,
                cwd=repo)
    assert p.stdout == b"main\n", p.stderr


def test_api_error_answers_as_gh(ghpool, run_ghp, stub):
    g = ghpool()
    p = run_ghp(["api", "repos/octo-org/nope"], g.url)
    assert p.returncode == 1
    assert json.loads(p.stdout)["message"] == "Not Found"
    assert p.stderr == b"gh: Not Found (HTTP 404)\n"
    # ghpool's own refusal is an answer too, not a reason to bypass it
    p = run_ghp(["api", "repos/evil-corp/secret"], g.url)
    assert p.returncode == 1 and b"(HTTP 403)" in p.stderr
    assert stub[1]() == []


def test_api_client_key_comes_from_GHPOOL_KEY(ghpool, run_ghp):
    g = ghpool(clients=[{"id": "agents", "key": "env:AGENTS_KEY"}],
               _env={"AGENTS_KEY": "agents-key-0123456789"})
    p = run_ghp(["api", "repos/octo-org/hello", "--jq", ".name"], g.url,
                env={"GHPOOL_KEY": "agents-key-0123456789"})
    assert p.returncode == 0 and p.stdout == b"hello\n", p.stderr
    p = run_ghp(["api", "repos/octo-org/hello"], g.url)
    assert p.returncode == 4 and b"X-Ghpool-Key" in p.stderr


# ---------------------------------------------------------------------------
# everything else: the real gh, unchanged
# ---------------------------------------------------------------------------

FALLTHROUGH = [
    ["api", "-X", "POST", "repos/octo-org/hello/issues", "-f", "title=x"],
    ["api", "repos/octo-org/hello/issues", "-f", "title=x"],          # fields: a POST
    ["api", "--method", "PATCH", "repos/octo-org/hello"],
    ["api", "graphql", "-f", "query={ viewer { login } }"],
    ["api", "repos/octo-org/hello", "--template", "{{.name}}"],
    ["api", "repos/octo-org/hello", "--input", "-"],
    ["api", "repos/octo-org/hello", "--no-such-flag"],
    ["api", "https://api.github.com/zen"],
    ["issue", "create", "-R", "octo-org/hello", "-t", "title", "-b", "body"],
    ["issue", "comment", "1", "-R", "octo-org/hello", "-b", "hi"],
    ["pr", "create", "-R", "octo-org/hello", "-t", "t", "-b", "b"],
    ["issue", "view", "1", "-R", "octo-org/hello", "--web"],
    ["auth", "status"],
    ["no-such-command", "x"],
]


@pytest.mark.parametrize("args", FALLTHROUGH, ids=[" ".join(a) for a in FALLTHROUGH])
def test_writes_and_unknowns_reach_the_real_gh_unchanged(ghpool, fake, run_ghp, stub, args,
                                                         reads):
    g = ghpool()
    p = run_ghp(args, g.url, stdin=b"stdin bytes\x00\xff", env={"GHP_FAKE_GH_EXIT": "3"})
    assert p.returncode == 3, p.stderr
    assert p.stdout == b"real gh output\n"
    assert stub[1]() == [args]
    assert (stub[0].parent / "stdin").read_bytes() == b"stdin bytes\x00\xff"
    assert reads(fake) == []


def test_unreachable_ghpool_hands_reads_to_the_real_gh(run_ghp, stub):
    args = ["api", "repos/octo-org/hello", "--jq", ".name"]
    p = run_ghp(args, f"http://127.0.0.1:{free_port()}")
    assert p.returncode == 0 and p.stdout == b"real gh output\n"
    assert stub[1]() == [args]


def test_ghpool_5xx_hands_reads_to_the_real_gh(ghpool, fake, run_ghp, stub):
    g = ghpool()
    fake.add_fault("status", path="/repos/octo-org/hello", status=500, count=1)
    args = ["api", "repos/octo-org/hello"]
    p = run_ghp(args, g.url)
    assert p.stdout == b"real gh output\n" and stub[1]() == [args]


def test_installed_as_gh_never_runs_itself(ghp_bin, tmp_path, stub):
    """ghp linked as bin/gh, ahead of the real gh on PATH: the real one runs; with no
    real gh anywhere, a clear error instead of ghp calling itself forever."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "gh").symlink_to(ghp_bin)
    real = tmp_path / "real"
    real.mkdir()
    fake_gh.install(real, "gh")
    env = {"GHP_FAKE_GH_DIR": str(tmp_path), "HOME": str(tmp_path)}
    p = subprocess.run([str(mine / "gh"), "issue", "create", "-t", "x"], capture_output=True,
                       env={**env, "PATH": f"{mine}:{real}:/bin"}, timeout=30)
    assert p.returncode == 0 and p.stdout == b"real gh output\n", p.stderr
    assert stub[1]() == [["issue", "create", "-t", "x"]]
    p = subprocess.run([str(mine / "gh"), "issue", "create", "-t", "x"], capture_output=True,
                       env={**env, "PATH": f"{mine}:/bin"}, timeout=30)
    if Path("/usr/bin/gh").exists():
        pytest.skip("a real /usr/bin/gh is installed here")
    assert p.returncode == 1 and b"cannot find the real gh" in p.stderr


def test_version_prints_ghp_then_gh(run_ghp, stub):
    p = run_ghp(["--version"], None)
    lines = p.stdout.decode().splitlines()
    assert lines[0].startswith("ghp version ")
    assert lines[1] == "real gh output"
    assert stub[1]() == [["--version"]]


def test_control_characters_are_made_inert(ghpool, fake, run_ghp):
    """As gh does: a title cannot move the cursor, retitle the terminal or plant a link."""
    fake.set_issue_title("octo-org/hello", 1, "Bug\x1b]0;owned\x07\x1b[2J\u009b31m done\tok")
    g = ghpool()
    p = run_ghp(["api", "repos/octo-org/hello/issues/1", "--jq", ".title"], g.url)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Bug^[]0;owned^G^[[2J^[[31m done\tok\n".encode()
    for args in (["api", "repos/octo-org/hello/issues/1"],
                 ["issue", "view", "1", "-R", "octo-org/hello"],
                 ["issue", "list", "-R", "octo-org/hello", "-L", "100"]):
        p = run_ghp(args, g.url, env={"GH_FORCE_TTY": "80", "NO_COLOR": "1"})
        assert p.returncode == 0, (args, p.stderr)
        assert b"\x1b" not in p.stdout and b"\x07" not in p.stdout, args
        assert "\u009b".encode() not in p.stdout, args


def test_two_ghp_copies_do_not_hand_over_forever(ghp_bin, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "gh").write_bytes(ghp_bin.read_bytes())
        (d / "gh").chmod(0o755)
    p = subprocess.run([str(a / "gh"), "issue", "create", "-t", "x"], capture_output=True,
                       env={"PATH": f"{a}:{b}:/bin", "HOME": str(tmp_path)}, timeout=30)
    assert p.returncode == 1 and b"hands commands back to ghp" in p.stderr, p.stderr


def test_repositories_on_other_hosts_are_not_github_com(ghpool, fake, run_ghp, stub, tmp_path,
                                                       reads):
    """corp/tool on a GitHub Enterprise host is not github.com's corp/tool: ghp never asks
    ghpool (which fronts github.com) about it."""
    g = ghpool()
    repo = tmp_path / "ghe"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin",
                    "https://ghe.corp.example/octo-org/hello.git"], check=True)
    p = run_ghp(["issue", "list"], g.url, cwd=repo)
    assert p.returncode == 1 and b"none of the git remotes" in p.stderr, p.stderr
    for r in ("ghe.corp.example/octo-org/hello", "https://github.com.evil.example/octo-org/hello",
              "git@ghe.corp.example:octo-org/hello.git"):
        p = run_ghp(["issue", "list", "-R", r], g.url)
        assert p.returncode == 1 and p.stdout == b"", (r, p.stdout)
    p = run_ghp(["api", "repos/{owner}/{repo}"], g.url, cwd=repo)
    assert p.stdout == b"real gh output\n"          # gh knows that host; ghp does not
    assert reads(fake) == []
