"""ghpool's command line: --version, --help, --check-config and config errors."""

from __future__ import annotations

import re
import subprocess
import textwrap

import pytest

GOOD = textwrap.dedent("""\
    listen = "127.0.0.1"
    port = 18123
    upstream_url = "http://127.0.0.1:9"
    workers = 2
    upstream_timeout_secs = 2
    allowed_owners = ["octo-org", "alice"]

    [pool]
    reserve = 0

    [[identities]]
    id = "alice"
    token = "env:GHP_TEST_TOK_ALICE"

    [[identities]]
    id = "dave"
    token = "tok_literal_dave"
    """)

IDENT_ALICE = 'id = "alice"\ntoken = "env:GHP_TEST_TOK_ALICE"\n'


def output(p: subprocess.CompletedProcess) -> str:
    return (p.stdout or "") + (p.stderr or "")


def names_line(text: str, line: int) -> bool:
    return re.search(rf"(line[\s:=#]*{line}\b|\.toml:{line}\b|:{line}:)", text, re.I) is not None


def test_version(ghpool_cli):
    p = ghpool_cli(["--version"])
    assert p.returncode == 0, output(p)
    assert re.search(r"\d+\.\d+\.\d+", output(p)), output(p)


def test_help(ghpool_cli):
    p = ghpool_cli(["--help"])
    assert p.returncode == 0, output(p)
    assert "--config" in output(p) and "--check-config" in output(p)


def test_check_config_prints_effective_config_with_tokens_masked(ghpool_cli, tmp_path):
    cfg = tmp_path / "ghpool.toml"
    cfg.write_text(GOOD)
    p = ghpool_cli(["--check-config", "--config", str(cfg)])
    out = output(p)
    assert p.returncode == 0, out
    assert "18123" in out and "http://127.0.0.1:9" in out
    assert "alice" in out and "dave" in out and "octo-org" in out
    assert "tok_alice" not in out, out          # value of the env variable
    assert "tok_literal_dave" not in out, out   # literal token
    assert "literal_dave" not in out, out


def test_check_config_does_not_start_a_server(ghpool_cli, tmp_path):
    cfg = tmp_path / "ghpool.toml"
    cfg.write_text(GOOD)
    p = ghpool_cli(["--check-config", "--config", str(cfg)], timeout=20)
    assert p.returncode == 0  # returned by itself (timeout would raise)


# (case id, config text, line to be named, key to be named)
MALFORMED = [
    ("port-not-an-integer",
     'listen = "127.0.0.1"\nupstream_url = "http://127.0.0.1:9"\nport = "x"\n\n[[identities]]\n'
     + IDENT_ALICE, 3, "port"),
    ("unknown-top-level-key",
     'listen = "127.0.0.1"\nport = 18123\nupstream_url = "http://127.0.0.1:9"\nbogus_key = 1\n\n'
     '[[identities]]\n' + IDENT_ALICE, 4, "bogus_key"),
    ("unknown-identity-key",
     'port = 18123\nupstream_url = "http://127.0.0.1:9"\n\n[[identities]]\n' + IDENT_ALICE
     + 'colour = "red"\n', 7, "colour"),
    ("unknown-pool-key",
     'port = 18123\nupstream_url = "http://127.0.0.1:9"\n[pool]\nreserve = 0\nfrobnicate = true\n'
     '\n[[identities]]\n' + IDENT_ALICE, 5, "frobnicate"),
    ("empty-token",
     'port = 18123\nupstream_url = "http://127.0.0.1:9"\n\n[[identities]]\nid = "alice"\n'
     'token = ""\n', 6, "token"),
    ("toml-syntax-error",
     'port = 18123\nupstream_url = "http://127.0.0.1:9\n\n[[identities]]\n' + IDENT_ALICE,
     2, None),  # a syntax error: file and line suffice
]


@pytest.mark.parametrize("text,line,key", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_check_config_rejects_malformed_config(ghpool_cli, tmp_path, text, line, key):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    p = ghpool_cli(["--check-config", "--config", str(cfg)])
    out = output(p)
    assert p.returncode != 0, out
    assert "bad.toml" in out, f"message does not name the file: {out!r}"
    assert names_line(out, line), f"message does not name line {line}: {out!r}"
    if key is not None:
        assert key in out, f"message does not name key {key!r}: {out!r}"


def test_check_config_rejects_duplicate_identity_id(ghpool_cli, tmp_path):
    text = ('port = 18123\nupstream_url = "http://127.0.0.1:9"\n\n'
            '[[identities]]\nid = "alice"\ntoken = "env:GHP_TEST_TOK_ALICE"\n\n'  # lines 4-6
            '[[identities]]\nid = "alice"\ntoken = "env:GHP_TEST_TOK_BOB"\n')     # lines 8-10
    cfg = tmp_path / "dup.toml"
    cfg.write_text(text)
    p = ghpool_cli(["--check-config", "--config", str(cfg)])
    out = output(p)
    assert p.returncode != 0, out
    assert "dup.toml" in out and "alice" in out, out
    assert names_line(out, 9) or names_line(out, 8), out
    assert re.search(r"\bid\b", out), out


def test_check_config_rejects_unset_env_variable(ghpool_cli, tmp_path):
    text = ('port = 18123\nupstream_url = "http://127.0.0.1:9"\n\n'
            '[[identities]]\nid = "erin"\ntoken = "env:GHP_TEST_NOT_SET_ANYWHERE"\n')
    cfg = tmp_path / "env.toml"
    cfg.write_text(text)
    p = ghpool_cli(["--check-config", "--config", str(cfg)],
                   env={"GHP_TEST_NOT_SET_ANYWHERE": None})
    out = output(p)
    assert p.returncode != 0, out
    assert "erin" in out and "GHP_TEST_NOT_SET_ANYWHERE" in out, out


def test_missing_config_file_is_an_error(ghpool_cli, tmp_path):
    p = ghpool_cli(["--check-config", "--config", str(tmp_path / "nope.toml")])
    assert p.returncode != 0
    assert "nope.toml" in output(p)


def test_server_refuses_to_start_with_malformed_config(ghpool_cli, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(MALFORMED[0][1])
    p = ghpool_cli(["--config", str(cfg)], timeout=20)
    assert p.returncode != 0
    assert "bad.toml" in output(p) and "port" in output(p)
