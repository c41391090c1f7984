"""A fake "real gh" for ghp's tests: a shell script that records its argv and stdin in
a directory and answers predictably, so a test can tell which path a command took
without gh being installed. Shared by test_ghp_api.py and test_ghp_reads.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import find_binary

# $GHP_FAKE_GH_DIR: where calls and stdin are recorded; $GHP_FAKE_GH_EXIT: its exit code.
SCRIPT = r"""#!/bin/sh
out="$GHP_FAKE_GH_DIR/calls"
{ printf '%s\n' "$0"; for a in "$@"; do printf 'arg:%s\n' "$a"; done; printf -- '--\n'; } >> "$out"
cat > "$GHP_FAKE_GH_DIR/stdin"
echo "real gh output"
exit "${GHP_FAKE_GH_EXIT:-0}"
"""


def install(directory: Path, name: str = "gh-real") -> Path:
    """Writes the fake gh as directory/name, executable."""
    p = directory / name
    p.write_text(SCRIPT)
    p.chmod(0o755)
    return p


def calls(state: Path) -> list[list[str]]:
    """The argv (without argv[0]) of every run recorded in state, in order."""
    f = state / "calls"
    if not f.exists():
        return []
    out, cur = [], []
    for line in f.read_text().splitlines():
        if line == "--":
            out.append(cur)
            cur = []
        elif line.startswith("arg:"):
            cur.append(line[4:])
    return out


def ghp_binary() -> Path:
    """ghp, next to the ghpool binary the suite runs."""
    p = find_binary().parent / "ghp"
    if not p.exists():
        pytest.fail(f"ghp binary not found at {p} (build it: ninja -C <build> ghp)")
    return p
