"""tests/e2e/test_graphql_oracle.py - owned by the gql module: graphql-js (v16, pinned in
tests/graphql/package-lock.json) as the oracle for tests/graphql/corpus.jsonl, the corpus
tests/unit/test_gql.c runs src/gql.c over. So each answer there is graphql-js's answer, except
where src/gql.c is deliberately stricter (those entries say "stricter" in their names; the
oracle applies the same rules and checks the names).

graphql-js is installed once into tests/graphql/node_modules (gitignored) with `npm ci`. node
and npm must be on PATH (scripts/install-deps.sh installs them); without them the oracle test
fails, unless GHPOOL_SKIP_ORACLE=1, which skips it.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GQL_DIR = os.path.join(ROOT, "tests", "graphql")
CORPUS = os.path.join(GQL_DIR, "corpus.jsonl")
KINDS = {"query", "mutation", "subscription", "invalid"}


def load_corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_corpus_is_generated():
    proc = subprocess.run([sys.executable, os.path.join(GQL_DIR, "make_corpus.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_corpus_shape():
    entries = load_corpus()
    assert len(entries) >= 220
    names = [e["name"] for e in entries]
    assert len(set(names)) == len(names), "entry names must be unique"
    for e in entries:
        valid = e["expect"] != "invalid"
        assert set(e) == {"name", "query", "operationName", "expect"} | ({"selects"} if valid else set()), e["name"]
        assert e["expect"] in KINDS, e["name"]
        assert e["operationName"] is None or isinstance(e["operationName"], str), e["name"]
        assert isinstance(e["query"], str), e["name"]
    kinds = {e["expect"] for e in entries}
    assert kinds == KINDS
    assert any("stricter" in n for n in names)


def pinned_version():
    with open(os.path.join(GQL_DIR, "package.json"), encoding="utf-8") as f:
        return json.load(f)["dependencies"]["graphql"]


def installed_version():
    try:
        with open(os.path.join(GQL_DIR, "node_modules", "graphql", "package.json"), encoding="utf-8") as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def node():
    if os.environ.get("GHPOOL_SKIP_ORACLE") == "1":
        pytest.skip("GHPOOL_SKIP_ORACLE=1")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the GraphQL oracle needs node and npm on PATH (scripts/install-deps.sh installs "
                    "them); set GHPOOL_SKIP_ORACLE=1 to skip it")
    if installed_version() != pinned_version():
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error",
                               "--prefix", GQL_DIR], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"npm ci failed:\n{proc.stdout}\n{proc.stderr}"
        assert installed_version() == pinned_version()
    return node


def test_graphql_js_agrees_with_every_entry(node):
    proc = subprocess.run([node, os.path.join(GQL_DIR, "oracle.mjs"), CORPUS],
                          capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    assert lines, proc.stderr
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1])
    assert m, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (int(m[1]), int(m[2])) == (len(load_corpus()), 0)
