"""ghp's read commands, black box, against golden files.

ghp runs as a subprocess with GHPOOL_URL pointing at one ghpool (shared by the whole
module) in front of the fake GitHub, with GHP_NOW fixed so relative times are
deterministic, once piped (non-TTY) and once with ``GH_FORCE_TTY=80 NO_COLOR=1``
(TTY layout, 80 columns, no colour). stdout and stderr are compared byte for byte with
tests/e2e/golden/ghp/<golden>.stdout / <golden>.stderr (an absent .stderr means an
empty stderr) and the exit code with the table below.

Every golden file was written by hand from docs/ghp-formats.md and the fake's data
(tests/fake_github/server.py: DEMO_* for octo-org/demo, the generated issues of
octo-org/big and octo-org/hello) -- never by running ghp. golden/ghp/README.md says how
each layout was derived where that is not obvious.

Commands ghp does not answer itself (writes, --web, unknown flags) and every command
when ghpool cannot be reached must reach the stub "real gh" (gh-real on PATH, as in
test_ghp_api.py) with the same argv and stdin, and ghp must exit with its code.
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import fake_gh
from conftest import FAKE_TOKENS, Ghpool, base_env, free_port, identity_table, to_toml

GOLDEN = Path(__file__).resolve().parent / "golden" / "ghp"
GHP_NOW = "1707782400"            # 2024-02-13T00:00:00Z, the fake's DEMO_NOW
TTY_ENV = {"GH_FORCE_TTY": "80", "NO_COLOR": "1"}
# Everyone the demo data names: ghp looks their profile names up (GET /users/{login}).
ALLOWED_OWNERS = ["octo-org", "alice", "monalisa", "hubot", "octocat"]



# ---------------------------------------------------------------------------
# module-wide fixtures: one ghpool, one stub, the git checkouts
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ghp_bin() -> Path:
    return fake_gh.ghp_binary()


@pytest.fixture(scope="module")
def pool(fake_server, ghpool_bin, tmp_path_factory):
    """One ghpool for the module, in front of the session's fake (reset here, and given
    budgets large enough for every search the module's ghp runs make)."""
    fake = fake_server
    fake.reset()
    for login in set(FAKE_TOKENS.values()):
        for bucket in ("core", "search", "graphql"):
            fake.set_budget(login=login, bucket=bucket, limit=100000, remaining=100000)
    d = tmp_path_factory.mktemp("ghp_reads_pool")
    port = free_port()
    cfg = {
        "listen": "127.0.0.1", "port": port, "upstream_url": fake.url, "workers": 4,
        "upstream_timeout_secs": 5, "allowed_owners": ALLOWED_OWNERS,
        "pool": {"reserve": 0}, "cache": {"max_entries": 0},
        "identities": [identity_table(i) for i in ("alice", "bob")],
    }
    path = d / "ghpool.toml"
    path.write_text(to_toml(cfg))
    g = Ghpool(ghpool_bin, ["--config", str(path)], base_env(), d, d / "ghpool.log", port,
               path, cfg)
    try:
        g.wait_healthy()
        yield g
    finally:
        problems = g.check_clean_exit()
        assert not problems, "\n".join(problems) + "\n" + g.log_text()[-4000:]


@pytest.fixture(scope="module")
def stub_bin(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ghp_reads_fake_gh")
    fake_gh.install(d)
    return d


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, Path]:
    """Working directories: a plain directory (no git), and checkouts whose origin is
    octo-org/hello or octo-org/demo on github.com."""
    root = tmp_path_factory.mktemp("ghp_reads_cwd")
    out = {"plain": root / "plain", "home": root / "home"}
    out["plain"].mkdir()
    out["home"].mkdir()
    for name in ("hello", "demo"):
        d = root / name
        subprocess.run(["git", "init", "-q", "-b", "main", str(d)], check=True)
        subprocess.run(["git", "-C", str(d), "remote", "add", "origin",
                        f"https://github.com/octo-org/{name}.git"], check=True)
        out[name] = d
    return out


def ghp_env(url: str | None, stub_bin: Path, state: Path, home: Path,
            extra: dict[str, str] | None = None) -> dict[str, str]:
    e = {"PATH": f"{stub_bin}:/usr/bin:/bin", "GHP_FAKE_GH_DIR": str(state), "HOME": str(home),
         "GHP_NOW": GHP_NOW}
    if url is not None:
        e["GHPOOL_URL"] = url
    e.update(extra or {})
    return e


def stub_calls(state: Path) -> list[list[str]]:
    return fake_gh.calls(state)


# ---------------------------------------------------------------------------
# the golden cases
# ---------------------------------------------------------------------------

@dataclass
class Case:
    """One ghp invocation. golden: base name of the files for the piped run (default:
    name); tty: base name for the TTY run (default: <golden>.tty; None: not run in a TTY,
    "same": the piped files). cwd: a key of the places fixture."""
    name: str
    argv: list[str]
    rc: int = 0
    env: dict[str, str] = field(default_factory=dict)
    golden: str | None = None
    tty: str | None = "<default>"
    pipe: bool = True
    cwd: str = "plain"


R = ["-R", "octo-org/demo"]

CASES: list[Case] = [
    # --- issue list -------------------------------------------------------------------
    Case("issue_list", ["issue", "list"] + R),
    Case("issue_list_closed", ["issue", "list", "-s", "closed"] + R),
    Case("issue_list_all", ["issue", "list", "-s", "all"] + R),
    Case("issue_list_limit3", ["issue", "list", "-L", "3"] + R),     # pages past PRs
    Case("issue_list_big_150", ["issue", "list", "-R", "octo-org/big", "-L", "150"]),
    Case("issue_list_label", ["issue", "list", "-l", "bug"] + R),
    Case("issue_list_author", ["issue", "list", "-A", "monalisa"] + R,
         golden="issue_list_label"),
    Case("issue_list_author_one", ["issue", "list", "-A", "octocat", "-s", "all"] + R),
    Case("issue_list_json", ["issue", "list", "--json",
                             "number,title,labels,author,state,createdAt"] + R, tty="same"),
    Case("issue_list_jq_select", ["issue", "list", "--json", "number,labels", "--jq",
                                  'map(select(.labels | any(.name == "bug"))) | map(.number)']
         + R),
    Case("issue_list_jq_length", ["issue", "list", "--json", "number", "--jq", "length"] + R,
         tty="same"),
    Case("issue_list_jq_interp", ["issue", "list", "--json", "number,title,author", "-q",
                                  r'.[] | "#\(.number) \(.title) by \(.author.login)"'] + R,
         tty="same"),
    Case("issue_list_template_tablerow",
         ["issue", "list", "--json", "number,title,createdAt", "--template",
          '{{range .}}{{tablerow (printf "#%v" .number) .title (timeago .createdAt)}}{{end}}']
         + R, tty="same"),
    Case("issue_list_template_plain",
         ["issue", "list", "--json", "number,title", "-t",
          '{{range .}}{{.number}}: {{.title}}{{"\\n"}}{{end}}'] + R, tty="same"),
    Case("issue_list_jq_float", ["issue", "list", "--json", "number", "--jq",
                                 ".[0].number / 4"] + R, tty="same"),
    Case("issue_list_jq_object", ["issue", "list", "--json", "title", "--jq",
                                  '.[0] | {title, x: "<a&b>"}'] + R),   # TTY: indented
    Case("issue_list_jq_null", ["issue", "list", "--json", "milestone", "--jq",
                                ".[1].milestone, .[0].milestone.title"] + R, tty="same"),
    Case("issue_list_none", ["issue", "list", "-s", "closed", "-R", "octo-org/big"]),
    Case("issue_list_none_label", ["issue", "list", "-l", "nope"] + R),
    Case("issue_list_none_json", ["issue", "list", "-s", "closed", "--json", "number",
                                  "-R", "octo-org/big"], tty="same"),
    # -R forms, GH_REPO, the git checkout: all the same listing
    Case("issue_list_R_host", ["issue", "list", "-R", "github.com/octo-org/demo"],
         golden="issue_list"),
    Case("issue_list_R_url", ["issue", "list", "-R", "https://github.com/octo-org/demo"],
         golden="issue_list"),
    Case("issue_list_GH_REPO", ["issue", "list"], env={"GH_REPO": "octo-org/demo"},
         golden="issue_list"),
    Case("issue_list_checkout", ["issue", "list"], cwd="demo", golden="issue_list"),
    Case("issue_list_R_bad", ["issue", "list", "-R", "foo"], rc=1, tty="same"),
    Case("issue_list_not_git", ["issue", "list"], rc=1, tty="same"),
    # --json / --jq / --template errors
    Case("issue_list_json_no_fields", ["issue", "list"] + R + ["--json"], rc=1, tty="same"),
    Case("issue_list_json_unknown", ["issue", "list", "--json", "bogus"] + R, rc=1,
         tty="same"),
    Case("issue_list_jq_without_json", ["issue", "list", "--jq", ".[]"] + R, rc=1,
         tty="same"),
    Case("pr_list_template_without_json", ["pr", "list", "--template", "{{.}}"] + R, rc=1,
         tty="same"),
    # --- issue view -------------------------------------------------------------------
    Case("issue_view", ["issue", "view", "6"] + R, tty=None),          # body is markdown
    Case("issue_view_comments", ["issue", "view", "6", "-c"] + R, tty=None),
    Case("issue_view_empty_body", ["issue", "view", "10"] + R),
    Case("issue_view_url", ["issue", "view", "https://github.com/octo-org/demo/issues/4"]),
    Case("issue_view_json", ["issue", "view", "6", "--json",
                             "assignees,author,body,closed,closedAt,createdAt,labels,milestone,"
                             "number,reactionGroups,state,stateReason,title,url"] + R,
         tty="same"),
    Case("issue_view_json_closed", ["issue", "view", "#4", "--json",
                                    "closed,closedAt,state,stateReason,author"] + R,
         tty="same"),
    Case("issue_view_pr_number", ["issue", "view", "9"] + R, tty=None),
    Case("issue_view_not_found", ["issue", "view", "999"] + R, rc=1, tty="same"),
    Case("issue_view_bad_arg", ["issue", "view", "abc"] + R, rc=1, tty="same"),
    # --- pr list ----------------------------------------------------------------------
    Case("pr_list", ["pr", "list"] + R),
    Case("pr_list_closed", ["pr", "list", "-s", "closed"] + R),
    Case("pr_list_draft", ["pr", "list", "-d"] + R),
    Case("pr_list_author", ["pr", "list", "-A", "monalisa"] + R),
    Case("pr_list_json", ["pr", "list", "--json",
                          "number,title,headRefName,isCrossRepository,isDraft,state,baseRefName"]
         + R, tty="same"),
    Case("pr_list_none", ["pr", "list", "-B", "nope"] + R),
    Case("pr_list_R_scp", ["pr", "list", "-R", "git@github.com:octo-org/demo.git"],
         golden="pr_list"),
    # --- pr view / diff / checks --------------------------------------------------------
    Case("pr_view", ["pr", "view", "9"] + R, tty=None),
    Case("pr_view_branch", ["pr", "view", "feature/dark"] + R, golden="pr_view", tty=None),
    Case("pr_view_auto_merge", ["pr", "view", "12"] + R, tty=None),
    Case("pr_view_merged", ["pr", "view", "2"] + R, tty=None),
    Case("pr_view_draft", ["pr", "view", "https://github.com/octo-org/demo/pull/7"],
         tty=None),
    Case("pr_view_json", ["pr", "view", "9", "--json",
                          "author,baseRefName,headRefName,headRefOid,isDraft,labels,number,"
                          "reviewRequests,state,url"] + R, tty="same"),
    Case("pr_view_json_fork", ["pr", "view", "5", "--json",
                               "additions,baseRefName,changedFiles,deletions,headRefName,"
                               "headRepository,headRepositoryOwner,isCrossRepository,isDraft,"
                               "mergeable,mergedAt,number,state"] + R, tty="same"),
    Case("pr_view_json_merged", ["pr", "view", "2", "--json",
                                 "state,mergedAt,mergedBy,mergeCommit,potentialMergeCommit"] + R,
         tty="same"),
    Case("pr_view_not_found", ["pr", "view", "999"] + R, rc=1, tty="same"),
    Case("pr_diff", ["pr", "diff", "9"] + R, tty="same"),
    Case("pr_diff_control_char", ["pr", "diff", "5"] + R),
    Case("pr_diff_name_only", ["pr", "diff", "9", "--name-only"] + R, tty="same"),
    Case("pr_checks_pass", ["pr", "checks", "9"] + R),
    Case("pr_checks_fail", ["pr", "checks", "5"] + R, rc=1),
    Case("pr_checks_pending", ["pr", "checks", "12"] + R, rc=8),
    Case("pr_checks_none", ["pr", "checks", "7"] + R, rc=1, tty="same"),
    Case("pr_checks_jq", ["pr", "checks", "9", "--json", "name,bucket,state", "--jq",
                          r'sort_by(.name)[] | "\(.name) \(.bucket) \(.state)"'] + R,
         tty="same"),
    Case("pr_checks_jq_pending", ["pr", "checks", "12", "--json", "name,state", "--jq",
                                  'map(.state) | sort | join(",")'] + R, rc=8, tty="same"),
    # --- run list / view --------------------------------------------------------------
    Case("run_list", ["run", "list"] + R),
    Case("run_list_branch", ["run", "list", "-b", "main"] + R),
    Case("run_list_event", ["run", "list", "-e", "push"] + R, golden="run_list_branch",
         tty=None),
    Case("run_list_user", ["run", "list", "-u", "monalisa"] + R, tty=None),
    Case("run_list_status", ["run", "list", "-s", "failure"] + R, tty=None),
    Case("run_list_workflow", ["run", "list", "-w", "Release"] + R, tty=None),
    Case("run_list_limit", ["run", "list", "-L", "2"] + R, tty=None),
    Case("run_list_R_url_git", ["run", "list", "-R", "https://github.com/octo-org/demo.git"],
         golden="run_list"),
    Case("run_list_json", ["run", "list", "-L", "2", "--json",
                           "databaseId,status,conclusion,headBranch,event,workflowName,number,"
                           "createdAt,displayTitle"] + R, tty="same"),
    Case("run_list_none", ["run", "list", "-b", "nope"] + R),
    Case("run_view", ["run", "view", "3002"] + R, tty="same"),
    Case("run_view_exit_status", ["run", "view", "3002", "--exit-status"] + R, rc=1,
         golden="run_view", tty="same"),
    Case("run_view_json", ["run", "view", "3002", "--json",
                           "databaseId,conclusion,status,jobs"] + R, tty="same"),
    Case("run_view_not_found", ["run", "view", "99999"] + R, rc=1, tty="same"),
    # --- repo view --------------------------------------------------------------------
    Case("repo_view", ["repo", "view", "octo-org/demo"], tty=None),   # README is markdown
    Case("repo_view_checkout", ["repo", "view"], cwd="hello", tty=None),
    Case("repo_view_no_readme", ["repo", "view", "https://github.com/octo-org/big"]),
    Case("repo_view_json", ["repo", "view", "octo-org/demo", "--json",
                            "defaultBranchRef,description,forkCount,homepageUrl,isPrivate,"
                            "licenseInfo,name,nameWithOwner,owner,primaryLanguage,"
                            "repositoryTopics,stargazerCount,url,visibility,watchers"],
         tty="same"),
    Case("repo_view_json_empty", ["repo", "view", "octo-org/big", "--json",
                                  "description,licenseInfo,repositoryTopics,homepageUrl"],
         tty="same"),
    Case("repo_view_not_found", ["repo", "view", "octo-org/nope"], rc=1, tty="same"),
    # --- release list -----------------------------------------------------------------
    Case("release_list", ["release", "list"] + R),
    Case("release_list_R_host", ["release", "list", "-R", "GitHub.com/octo-org/demo"],
         golden="release_list"),
    Case("release_list_exclude_drafts", ["release", "list", "--exclude-drafts", "-L", "2"]
         + R),
    Case("release_list_asc", ["release", "list", "-O", "asc"] + R, tty=None),
    Case("release_list_json", ["release", "list", "--json",
                               "createdAt,isDraft,isLatest,isPrerelease,name,publishedAt,tagName"]
         + R, tty="same"),
    Case("release_list_none", ["release", "list", "-R", "octo-org/big"]),
]


def _runs() -> list[Any]:
    out = []
    for c in CASES:
        base = c.golden or c.name
        if c.pipe:
            out.append(pytest.param(c, False, base, id=f"{c.name}-pipe"))
        if c.tty is not None:
            tb = base + ".tty" if c.tty == "<default>" else base if c.tty == "same" else c.tty
            out.append(pytest.param(c, True, tb, id=f"{c.name}-tty"))
    return out


def golden(base: str) -> tuple[bytes, bytes]:
    out = GOLDEN / f"{base}.stdout"
    err = GOLDEN / f"{base}.stderr"
    assert out.exists(), f"missing golden file {out}"
    return out.read_bytes(), (err.read_bytes() if err.exists() else b"")


def show(b: bytes) -> str:
    return b.decode("utf-8", "backslashreplace")


@pytest.mark.parametrize("case,tty,base", _runs())
def test_golden(case: Case, tty: bool, base: str, pool, ghp_bin, stub_bin, places, tmp_path):
    want_out, want_err = golden(base)
    env = ghp_env(pool.url, stub_bin, tmp_path, places["home"],
                  {**(TTY_ENV if tty else {}), **case.env})
    p = subprocess.run([str(ghp_bin)] + case.argv, capture_output=True, env=env,
                       cwd=str(places[case.cwd]), stdin=subprocess.DEVNULL, timeout=60)
    calls = stub_calls(tmp_path)
    assert calls == [], f"ghp handed {case.argv} to the real gh: {calls}\n{show(p.stderr)}"
    assert show(p.stdout) == show(want_out), f"stdout of {case.argv} (golden {base})"
    assert p.stdout == want_out
    assert show(p.stderr) == show(want_err), f"stderr of {case.argv} (golden {base})"
    assert p.returncode == case.rc, f"exit code of {case.argv}; stderr: {show(p.stderr)}"


def test_every_golden_file_is_used():
    used = set()
    for c in CASES:
        base = c.golden or c.name
        if c.pipe:
            used.add(base)
        if c.tty == "<default>":
            used.add(base + ".tty")
        elif c.tty not in (None, "same"):
            used.add(c.tty)
    files = {p.name.rsplit(".", 1)[0] for p in GOLDEN.glob("*.std*")}
    assert files - used == set(), "golden files no case uses"
    assert used - files == set(), "cases without golden files"


# ---------------------------------------------------------------------------
# the real gh: writes, --web, unknown flags, and no ghpool
# ---------------------------------------------------------------------------

FALLTHROUGH = [
    ["issue", "create", "-R", "octo-org/demo", "-t", "A title", "-b", "A body"],
    ["pr", "view", "1", "--web"] + R,
    ["run", "rerun", "1"] + R,
    ["issue", "list", "--no-such-flag"] + R,
    ["pr", "list", "--bogus", "x"] + R,
    ["release", "list", "--frobnicate"] + R,
]
# every read command, sent while ghpool is unreachable
READS = [
    ["issue", "list"] + R,
    ["issue", "view", "6"] + R,
    ["pr", "list"] + R,
    ["pr", "view", "9"] + R,
    ["pr", "diff", "9"] + R,
    ["pr", "checks", "9"] + R,
    ["run", "list"] + R,
    ["run", "view", "3002"] + R,
    ["repo", "view", "octo-org/demo"],
    ["release", "list"] + R,
    ["issue", "list", "--json", "number", "--jq", "length"] + R,
]


def _stub_run(ghp_bin, stub_bin, places, tmp_path, url, args, tty):
    env = ghp_env(url, stub_bin, tmp_path, places["home"],
                  {"GHP_FAKE_GH_EXIT": "3", **(TTY_ENV if tty else {})})
    return subprocess.run([str(ghp_bin)] + args, input=b"stdin bytes\x00\xff\n",
                          capture_output=True, env=env, cwd=str(places["plain"]), timeout=60)


@pytest.mark.parametrize("args", FALLTHROUGH, ids=[" ".join(a[:3]) for a in FALLTHROUGH])
def test_fallthrough_reaches_the_real_gh(args, pool, ghp_bin, stub_bin, places, tmp_path):
    p = _stub_run(ghp_bin, stub_bin, places, tmp_path, pool.url, args, tty=False)
    assert stub_calls(tmp_path) == [args], show(p.stderr)
    assert (tmp_path / "stdin").read_bytes() == b"stdin bytes\x00\xff\n"
    assert p.stdout == b"real gh output\n"
    assert p.returncode == 3


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "tty"])
@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:3]) for a in READS])
def test_unreachable_ghpool_hands_reads_to_the_real_gh(args, tty, ghp_bin, stub_bin, places,
                                                       tmp_path):
    url = f"http://127.0.0.1:{free_port()}"           # nothing listens there
    p = _stub_run(ghp_bin, stub_bin, places, tmp_path, url, args, tty)
    assert stub_calls(tmp_path) == [args], show(p.stderr)
    assert (tmp_path / "stdin").read_bytes() == b"stdin bytes\x00\xff\n"
    assert p.stdout == b"real gh output\n"
    assert p.returncode == 3


# ---------------------------------------------------------------------------
# the fake serves what the spec's REST mapping reads (through ghpool, as ghp sees it)
# ---------------------------------------------------------------------------

def _get(pool, target: str, accept: str | None = None):
    r = pool.get(target, headers={"Accept": accept} if accept else None)
    assert r.status == 200, (target, r.status, r.body[:300])
    return r


def _json(pool, target: str) -> Any:
    return _get(pool, target).json()


def _follow(pool, target: str, key: str | None = None) -> list[Any]:
    """Every page, following ghpool's Link rel="next" (absolute URLs)."""
    items: list[Any] = []
    while target:
        r = _get(pool, target)
        body = r.json()
        items += body[key] if key else body
        link = r.header("Link") or ""
        nxt = [p.split(";")[0].strip("<> ") for p in link.split(",") if 'rel="next"' in p]
        target = nxt[0].split(pool.url, 1)[1] if nxt else ""
        if nxt:
            assert nxt[0].startswith(pool.url), link
    return items


D = "/repos/octo-org/demo"


def test_fake_issues_as_the_spec_reads_them(pool):
    page = _json(pool, D + "/issues?state=open&sort=created&direction=desc&per_page=3")
    assert [i["number"] for i in page] == [10, 12, 9]                 # PRs listed too
    assert ["pull_request" in i for i in page] == [False, True, True]
    everything = _follow(pool, D + "/issues?state=all&per_page=5")
    assert [i["number"] for i in everything] == [10, 12, 9, 8, 6, 7, 5, 3, 4, 11, 2, 1]
    six = _json(pool, D + "/issues/6")
    assert [lab["name"] for lab in six["labels"]] == ["help wanted", "bug"]
    assert six["labels"][1] == {**six["labels"][1], "node_id": "LA_1005_1", "color": "d73a4a",
                                "description": "Something isn't working"}
    assert [a["login"] for a in six["assignees"]] == ["hubot", "octocat"]
    assert six["milestone"]["title"] == "v1.0" and six["milestone"]["due_on"]
    assert six["reactions"]["+1"] == 2 and six["reactions"]["hooray"] == 1
    assert six["user"] == {**six["user"], "login": "monalisa", "node_id": "U_monalisa",
                           "type": "User"} and "name" not in six["user"]
    assert six["comments"] == 3 and six["state_reason"] is None and six["closed_at"] is None
    four = _json(pool, D + "/issues/4")
    assert (four["state"], four["state_reason"], four["closed_at"], four["body"]) == \
        ("closed", "not_planned", "2024-01-20T00:00:00Z", None)
    assert _json(pool, D + "/issues/8")["user"]["type"] == "Bot"
    comments = _json(pool, D + "/issues/6/comments")
    assert [(c["user"]["login"], c["author_association"]) for c in comments] == \
        [("hubot", "MEMBER"), ("octocat", "NONE"), ("monalisa", "CONTRIBUTOR")]
    assert all(c["created_at"] == c["updated_at"] for c in comments)
    assert [i["number"] for i in _json(pool, D + "/issues?labels=bug")] == [6, 3]
    assert [i["number"] for i in _json(pool, D + "/issues?creator=octocat&state=all")] == \
        [12, 4, 11]
    assert [i["number"] for i in _json(pool, D + "/issues?assignee=octocat")] == [6]
    assert [i["number"] for i in _json(pool, D + "/issues?milestone=1")] == [10, 6]
    assert pool.get(D + "/issues/999").status == 404
    names = {login: _json(pool, f"/users/{login}")["name"]
             for login in ("alice", "monalisa", "hubot", "octocat")}
    assert names == {"alice": "Alice Liddell", "monalisa": "Mona Lisa", "hubot": None,
                     "octocat": "The Octocat"}
    big = _follow(pool, "/repos/octo-org/big/issues?per_page=100")
    assert [i["number"] for i in big] == list(range(120, 0, -1))


def test_fake_search_counts_as_the_spec_reads_them(pool):
    def search(q: str, total: int | None = None) -> list[int]:
        body = _json(pool, "/search/issues?q=" + q.replace(" ", "+").replace('"', "%22"))
        assert body["total_count"] == (len(body["items"]) if total is None else total)
        return [i["number"] for i in body["items"]]
    assert search("repo:octo-org/demo is:issue is:open") == [10, 8, 6, 3]
    assert search("repo:octo-org/demo is:issue is:closed") == [4, 1]
    assert search("repo:octo-org/demo is:issue") == [10, 8, 6, 3, 4, 1]
    assert search("repo:octo-org/demo is:issue is:open label:bug") == [6, 3]
    assert search('repo:octo-org/demo is:issue label:"help wanted"') == [6]
    assert search("repo:octo-org/demo is:issue author:octocat") == [4]
    assert search("repo:octo-org/demo is:issue is:open author:app/dependabot") == [8]
    assert search("repo:octo-org/demo is:pr is:open draft:true") == [7]
    assert search("repo:octo-org/demo is:pr is:open author:monalisa sort:created-desc") == [9, 5]
    assert search("repo:octo-org/demo is:pr is:merged") == [2]
    assert search("repo:octo-org/big is:issue is:open", total=120)[:2] == [120, 119]


def test_fake_pulls_as_the_spec_reads_them(pool):
    assert [p["number"] for p in _json(pool, D + "/pulls?state=open&sort=created"
                                       "&direction=desc&per_page=30")] == [12, 9, 7, 5]
    r = _get(pool, D + "/pulls?state=open&per_page=1")
    assert 'page=4>; rel="last"' in r.header("Link")
    assert [p["number"] for p in _json(pool, D + "/pulls?state=closed")] == [11, 2]
    assert _json(pool, D + "/pulls?base=nope") == []
    fork = _json(pool, D + "/pulls/5")
    assert fork["head"]["label"] == "monalisa:perf"
    assert fork["head"]["repo"]["full_name"] != fork["base"]["repo"]["full_name"]
    assert (fork["additions"], fork["deletions"], fork["changed_files"], fork["mergeable"]) == \
        (10, 2, 1, True)
    listed = _json(pool, D + "/pulls?head=monalisa:perf")
    assert [p["number"] for p in listed] == [5] and "additions" not in listed[0]
    nine = _json(pool, D + "/pulls/9")
    assert [u["login"] for u in nine["requested_reviewers"]] == ["octocat"]
    assert nine["head"]["sha"] == "09" * 20 and nine["draft"] is False
    assert [(r["user"]["login"], r["state"]) for r in _json(pool, D + "/pulls/9/reviews")] == \
        [("hubot", "APPROVED")]
    assert _json(pool, D + "/pulls/7")["draft"] is True
    two = _json(pool, D + "/pulls/2")
    assert two["merged_at"] and two["merged_by"]["login"] == "alice"
    assert _json(pool, D + "/pulls/12")["auto_merge"]["merge_method"] == "squash"
    for accept in ("application/vnd.github.v3.diff", "application/vnd.github.diff"):
        diff = _get(pool, D + "/pulls/9", accept).body
        assert diff.startswith(b"diff --git a/README.md b/README.md\n") and diff.endswith(b"\n")
    assert _get(pool, D + "/pulls/5", "application/vnd.github.v3.diff").body.endswith(
        b"\x07 */\n\\ No newline at end of file")


def test_fake_checks_as_the_spec_reads_them(pool):
    def checks(n: int) -> list[tuple]:
        sha = f"{n:02d}" * 20
        body = _json(pool, f"{D}/commits/{sha}/check-runs?per_page=100")
        return [(c["name"], c["status"], c["conclusion"], c["check_suite"]["id"])
                for c in body["check_runs"]]
    assert checks(9) == [("build", "completed", "success", 5004),
                         ("lint", "completed", "success", 5004),
                         ("docs", "completed", "skipped", 5004)]
    assert checks(5)[0][:3] == ("build", "completed", "failure")
    assert checks(12)[0][:3] == ("build", "in_progress", None)
    assert checks(7) == []
    st = _json(pool, f"{D}/commits/{'12' * 20}/status")
    assert st["state"] == "pending" and st["statuses"][0]["context"] == "ci/circleci"
    assert _json(pool, f"{D}/commits/{'07' * 20}/status")["statuses"] == []
    runs = _json(pool, f"{D}/actions/runs?head_sha={'09' * 20}")["workflow_runs"]
    assert [(r["name"], r["event"], r["check_suite_id"]) for r in runs] == \
        [("CI", "pull_request", 5004)]


def test_fake_actions_as_the_spec_reads_them(pool):
    runs = _follow(pool, D + "/actions/runs?per_page=4&exclude_pull_requests=true",
                   "workflow_runs")
    assert [r["id"] for r in runs] == [3005, 3004, 3003, 3002, 3001, 3000]
    assert all(r["pull_requests"] == [] for r in runs)

    def ids(q: str) -> list[int]:
        return [r["id"] for r in _json(pool, D + "/actions/runs?" + q)["workflow_runs"]]
    assert ids("branch=main") == [3002, 3001, 3000]
    assert ids("actor=monalisa") == [3004, 3003]
    assert ids("event=push") == [3002, 3001, 3000]
    assert ids("status=failure") == [3003, 3002]
    assert ids("status=in_progress") == [3005]
    assert ids("branch=nope") == []
    wfs = _json(pool, D + "/actions/workflows")["workflows"]
    assert [(w["id"], w["name"]) for w in wfs] == [(161, "CI"), (162, "Release")]
    assert [r["id"] for r in _json(pool, D + "/actions/workflows/162/runs")["workflow_runs"]] \
        == [3001]
    assert _json(pool, D + "/actions/workflows/release.yml")["id"] == 162
    run = _json(pool, D + "/actions/runs/3002?exclude_pull_requests=true")
    assert (run["display_title"], run["conclusion"], run["run_started_at"]) == \
        ("Bump version", "failure", "2024-01-20T09:00:00Z")
    jobs = _json(pool, D + "/actions/runs/3002/jobs?per_page=100")["jobs"]
    assert [(j["id"], j["name"], j["conclusion"], len(j["steps"])) for j in jobs] == \
        [(4004, "build", "failure", 3), (4005, "lint", "success", 2)]
    notes = _json(pool, D + "/check-runs/4004/annotations")
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in notes] == \
        [(".github", 12, "failure")]
    assert _json(pool, D + "/check-runs/4005/annotations") == []
    arts = _json(pool, D + "/actions/runs/3002/artifacts")["artifacts"]
    assert [(a["name"], a["expired"]) for a in arts] == [("coverage", False), ("logs", True)]
    assert pool.get(D + "/actions/runs/99999?exclude_pull_requests=true").status == 404
    assert _json(pool, "/repos/octo-org/hello/actions/runs")["workflow_runs"] == []


def test_fake_releases_and_repository_as_the_spec_reads_them(pool):
    rels = _follow(pool, D + "/releases?per_page=2")
    assert [(r["tag_name"], r["name"], r["draft"], r["prerelease"]) for r in rels] == [
        ("v2.0.0", None, True, False), ("v2.0.0-rc.1", "v2.0.0 RC 1", False, True),
        ("v1.1.0", "v1.1.0", False, False), ("v1.0.0", "First   release", False, False)]
    assert rels[0]["published_at"] is None
    assert _json(pool, D + "/releases/latest")["tag_name"] == "v1.1.0"
    assert _json(pool, "/repos/octo-org/big/releases") == []
    assert pool.get("/repos/octo-org/big/releases/latest").status == 404
    repo = _json(pool, D)
    assert {k: repo[k] for k in ("description", "homepage", "topics", "stargazers_count",
                                 "forks_count", "subscribers_count", "default_branch",
                                 "visibility", "language")} == {
        "description": "A demo repository for ghp", "homepage": "https://demo.example.com",
        "topics": ["cli", "demo"], "stargazers_count": 42, "forks_count": 7,
        "subscribers_count": 5, "default_branch": "main", "visibility": "public",
        "language": "C"}
    assert repo["license"]["key"] == "mit" and repo["owner"]["node_id"] == "O_9001"
    big = _json(pool, "/repos/octo-org/big")
    assert (big["description"], big["license"], big["topics"]) == (None, None, [])
    readme = _json(pool, D + "/readme")
    assert base64.b64decode(readme["content"]) == \
        b"# Demo\n\nSave 50% off with ghp, 100%% of the time.\n"
    assert _get(pool, D + "/readme", "application/vnd.github.raw").body.startswith(b"# Demo")
    assert pool.get("/repos/octo-org/big/readme").status == 404
    assert pool.get("/repos/octo-org/nope").status == 404
    assert b"1005" not in _get(pool, "/orgs/octo-org/repos").body      # unlisted
    assert pool.get("/repos/evil-corp/secret").status == 403            # still refused
