"""tests/e2e/test_toml_oracle.py — owned by the TOML module: differential test of ghpool's
TOML parser (through the toml-dump tool) against Python's tomllib as the oracle.

* valid: seeded random documents inside the supported subset (no floats / date-times /
  NUL escapes / integers beyond int64) must parse to the identical tree, key order included;
* conflicts: random header / dotted-key / inline-table mixes over a tiny key alphabet must be
  accepted or rejected exactly when tomllib accepts or rejects them;
* mutations: damaged valid documents must be rejected whenever tomllib rejects them, and
  otherwise parse identically (or fail with an "unsupported" message);
* invalid: hand-written documents that tomllib rejects must fail with the right line.

toml-dump is found at $GHPOOL_BUILD/toml-dump (GHPOOL_BUILD defaults to "build").
"""

import json
import os
import random
import re
import subprocess
import tomllib

import pytest

BUILD = os.environ.get("GHPOOL_BUILD", "build")
DUMP = os.path.join(BUILD, "toml-dump")

VALID_DOCS = 300
CONFLICT_DOCS = 400
MUTATED_DOCS = 400

BARE_RE = re.compile(r"[A-Za-z0-9_-]+\Z")
BARE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
COMMON_KEYS = ["name", "port", "a", "b", "x-y", "under_score", "123", "true", "false", "inf",
               "nan", "0x1F", "-", "_", "A1", "1979-05-27", "key.with.dots", "", " ",
               "é", "中文", "quote\"d", "apos'd", "back\\slash", "tab\tkey"]
STR_CHARS = (list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 _-.,:;=#[]{}+")
             + ['"', '"', "'", "'", "\\", "\t", "\n", "\n", "\r", "\x01", "\x08", "\x0c",
                "\x1b", "\x1f", "\x7f", "é", "ß", "中", "文", "😀", "\u2028", "\ufeff",
                "\U0010FFFF", "\ufffd", "\u00a0", "\u0085"])
COMMENT_CHARS = list("abc xyz 0123 #=[]{}\"'\\.,") + ["\t", "é", "😀", "中"]
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
                 '"': '\\"', "\\": "\\\\"}


def is_control(ch):
    return ord(ch) < 0x20 or ord(ch) == 0x7F


# ---- running the two parsers ---------------------------------------------------------------


class Dumper:
    """Runs toml-dump on documents written to a scratch directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.count = 0

    def _write(self, data):
        self.count += 1
        path = self.workdir / f"doc{self.count}.toml"
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return str(path)

    def __call__(self, data):
        """Single-file mode: returns (exit status, stdout, stderr)."""
        proc = subprocess.run([DUMP, self._write(data)], capture_output=True, timeout=60)
        return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")

    def many(self, docs):
        """--jsonl mode: one process for many documents (fast even under ASan).
        Returns a list of {"tree": ...} / {"error": "..."} dicts."""
        results = []
        for start in range(0, len(docs), 200):
            paths = [self._write(d) for d in docs[start:start + 200]]
            proc = subprocess.run([DUMP, "--jsonl", *paths], capture_output=True, timeout=120)
            assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
            lines = proc.stdout.decode("utf-8").split("\n")[:-1]  # not splitlines(): U+2028 is data
            assert len(lines) == len(paths)
            results += [json.loads(line) for line in lines]
        return results


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    if not os.access(DUMP, os.X_OK):
        pytest.fail(f"{DUMP} not found: build it first or set GHPOOL_BUILD")
    return Dumper(tmp_path_factory.mktemp("toml"))


def canon(v):
    """Ordered, type-tagged form: keeps key order and stops True == 1 from matching."""
    if isinstance(v, dict):
        return ("table", [(k, canon(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("array", [canon(x) for x in v])
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, str):
        return ("str", v)
    return ("unsupported", repr(v))


def unordered(v):
    """Order-insensitive form, used only to check the generator against its own model."""
    if isinstance(v, dict):
        return ("table", sorted((k, unordered(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("array", [unordered(x) for x in v])
    return canon(v)


def in_subset(v):
    """True if every value of a tomllib tree is representable by our parser."""
    if isinstance(v, dict):
        return all("\0" not in k and in_subset(x) for k, x in v.items())
    if isinstance(v, list):
        return all(in_subset(x) for x in v)
    if isinstance(v, bool):
        return True
    if isinstance(v, int):
        return -2**63 <= v < 2**63
    if isinstance(v, str):
        return "\0" not in v
    return False


def tomllib_result(doc):
    try:
        return True, tomllib.loads(doc)
    except tomllib.TOMLDecodeError as e:
        return False, str(e)


ERROR_RE = re.compile(r"\bline (\d+): \S")
UNSUPPORTED = ("floats are not supported", "date-times are not supported", "out of range",
               "(NUL) is not allowed")


def assert_rejected(got, doc):
    assert "error" in got, f"toml-dump accepted a document tomllib rejects:\n{doc!r}"
    assert ERROR_RE.match(got["error"]), f"malformed error {got['error']!r}"


# ---- random valid documents -----------------------------------------------------------------


class DocGen:
    """Builds a random model tree, then writes it as TOML in randomly chosen styles."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.out = []

    # model -----------------------------------------------------------------------------
    def key(self):
        x = self.r.random()
        if x < 0.45:
            return self.r.choice(COMMON_KEYS)
        if x < 0.75:
            return "".join(self.r.choice(BARE_CHARS) for _ in range(self.r.randint(1, 8)))
        return self.text(0, 6)

    def text(self, lo=0, hi=14):
        s = "".join(self.r.choice(STR_CHARS) for _ in range(self.r.randint(lo, hi)))
        if self.r.random() < 0.15:
            # Quotes next to the closing delimiter of a multi-line string are a corner case.
            s += self.r.choice(['"', "'"]) * self.r.randint(1, 2)
        return s

    def integer(self):
        r = self.r
        x = r.random()
        if x < 0.15:
            return r.choice([0, 1, -1, 2**63 - 1, -2**63, 2**32, -(2**31), 10**18])
        if x < 0.5:
            return r.randint(-1000, 1000)
        v = r.getrandbits(r.randint(1, 63))
        return -v if r.random() < 0.3 else v

    def scalar(self):
        x = self.r.random()
        if x < 0.4:
            return self.integer()
        if x < 0.55:
            return self.r.random() < 0.5
        return self.text()

    def array(self, depth):
        items = []
        for _ in range(self.r.randint(0, 5)):
            x = self.r.random()
            if depth < 3 and x < 0.15:
                items.append(self.array(depth + 1))
            elif depth < 3 and x < 0.25:
                items.append(self.table(depth + 1, small=True))
            else:
                items.append(self.scalar())
        return items

    def table(self, depth, small=False):
        t = {}
        for _ in range(self.r.randint(0, 3 if small else 6)):
            k = self.key()
            if k in t:
                continue
            x = self.r.random()
            if depth >= 4 or x < 0.5:
                t[k] = self.scalar()
            elif x < 0.65:
                t[k] = self.array(depth + 1)
            elif x < 0.85:
                t[k] = self.table(depth + 1, small)
            else:
                t[k] = [self.table(depth + 1, True) for _ in range(self.r.randint(1, 3))]
        return t

    # lexical pieces --------------------------------------------------------------------
    def ws(self):
        return self.r.choice(["", "", " ", " ", "  ", "\t", " \t "])

    def comment(self):
        return "#" + "".join(self.r.choice(COMMENT_CHARS) for _ in range(self.r.randint(0, 12)))

    def trailer(self):
        x = self.r.random()
        if x < 0.15:
            return self.ws() + self.comment()
        return self.ws() if x < 0.4 else ""

    def underscored(self, digits):
        out = digits[0]
        for d in digits[1:]:
            out += ("_" if self.r.random() < 0.15 else "") + d
        return out

    def render_int(self, n):
        r = self.r
        if n >= 0 and r.random() < 0.35:
            prefix, fmt = r.choice([("0x", "x"), ("0o", "o"), ("0b", "b")])
            digits = format(n, fmt)
            if fmt == "x":
                digits = "".join(c.upper() if r.random() < 0.5 else c for c in digits)
            if r.random() < 0.2:
                digits = "0" * r.randint(1, 3) + digits
            return prefix + self.underscored(digits)
        sign = "-" if n < 0 else r.choice(["", "", "+"] + (["-"] if n == 0 else []))
        return sign + self.underscored(str(abs(n)))

    def basic_char(self, ch, multiline):
        r = self.r
        if ch == "\n" and multiline:
            return "\n" if r.random() < 0.8 else "\\n"
        # Raw tabs are fine anywhere and raw quotes inside """...""" (render_ml_basic breaks
        # up runs of three); everything else in SHORT_ESCAPES must be escaped somehow.
        may_be_raw = ch == "\t" or (ch == '"' and multiline)
        if ch in SHORT_ESCAPES and (not may_be_raw or r.random() < 0.5):
            return SHORT_ESCAPES[ch] if r.random() < 0.85 else "\\u%04X" % ord(ch)
        if (is_control(ch) and ch != "\t") or r.random() < 0.08:
            cp = ord(ch)
            if cp > 0xFFFF or r.random() < 0.3:
                return "\\U%08X" % cp if r.random() < 0.5 else "\\U%08x" % cp
            return "\\u%04X" % cp if r.random() < 0.5 else "\\u%04x" % cp
        return ch

    def render_basic(self, s):
        return '"' + "".join(self.basic_char(c, False) for c in s) + '"'

    def render_ml_basic(self, s):
        tokens, run = [], 0
        for c in s:
            tok = self.basic_char(c, True)
            if tok == '"':
                run += 1
                if run == 3:  # three raw quotes would close the string
                    tok, run = '\\"', 0
            else:
                run = 0
            tokens.append(tok)
        body = ""
        for tok in tokens + [None]:
            # A line-ending backslash eats the whitespace after it, so only put one in
            # front of a token that does not start with whitespace.
            if (tok is None or tok[0] not in " \t\n") and self.r.random() < 0.1:
                body += "\\" + self.ws() + "\n" + self.r.choice(["", "  ", "\n  ", "\t\n"])
            if tok is not None:
                body += tok
        lead = "\n" if body.startswith("\n") or self.r.random() < 0.5 else ""
        return '"""' + lead + body + '"""'

    def render_literal(self, s):
        return "'" + s + "'"

    def render_ml_literal(self, s):
        lead = "\n" if s.startswith("\n") or self.r.random() < 0.5 else ""
        return "'''" + lead + s + "'''"

    def render_str(self, s):
        styles = [self.render_basic, self.render_ml_basic]
        if not any(is_control(c) and c != "\t" for c in s) and "'" not in s:
            styles.append(self.render_literal)
        if not any(is_control(c) and c not in "\t\n" for c in s) and "'''" not in s:
            styles.append(self.render_ml_literal)
        return self.r.choice(styles)(s)

    def render_key_part(self, k):
        if BARE_RE.match(k) and self.r.random() < 0.75:
            return k
        if "'" not in k and not any(is_control(c) and c != "\t" for c in k) \
                and self.r.random() < 0.4:
            return self.render_literal(k)
        return self.render_basic(k)

    def render_key(self, parts):
        return ".".join(
            (self.ws() if i else "") + self.render_key_part(p) + (self.ws() if i < len(parts) - 1 else "")
            for i, p in enumerate(parts))

    def array_space(self):
        x = self.r.random()
        if x < 0.5:
            return self.ws()
        if x < 0.75:
            return self.ws() + "\n" + self.ws()
        return self.ws() + self.comment() + "\n" + self.ws()

    def render_array(self, items):
        out = "["
        for i, v in enumerate(items):
            out += self.array_space() + self.render_value(v) + self.array_space()
            if i < len(items) - 1 or self.r.random() < 0.3:
                out += ","
        return out + self.array_space() + "]"

    def inline_entries(self, prefix, t):
        entries = []
        for k, v in t.items():
            if isinstance(v, dict) and v and self.r.random() < 0.3:
                entries += self.inline_entries(prefix + [k], v)
            else:
                entries.append((prefix + [k], v))
        return entries

    def render_inline(self, t):
        entries = self.inline_entries([], t)
        if not entries:
            return "{" + self.ws() + "}"
        body = ("," + self.ws()).join(
            self.render_key(k) + self.ws() + "=" + self.ws() + self.render_value(v) + self.ws()
            for k, v in entries)
        return "{" + self.ws() + body + "}"

    def render_value(self, v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return self.render_int(v)
        if isinstance(v, str):
            return self.render_str(v)
        if isinstance(v, list):
            return self.render_array(v)
        return self.render_inline(v)

    # document layout -------------------------------------------------------------------
    def emit(self, text):
        r = self.r
        if r.random() < 0.1:
            self.out.append("\n")
        if r.random() < 0.08:
            self.out.append(self.ws() + self.comment() + "\n")
        self.out.append(self.ws() + text + self.trailer() + "\n")

    def plan(self, path, rel, t, kv, deferred):
        """Splits a table's content into key/value lines (kv) and later sections (deferred).
        Returns True if any dotted key was used."""
        dotted = False
        for k, v in t.items():
            if isinstance(v, dict):
                x = self.r.random()
                if x < 0.3:
                    kv.append((rel + [k], v))
                elif x < 0.55 and v:
                    self.plan(path, rel + [k], v, kv, deferred)
                    dotted = True
                else:
                    deferred.append(("table", path + rel + [k], v))
            elif isinstance(v, list) and v and all(isinstance(e, dict) for e in v) \
                    and self.r.random() < 0.7:
                deferred.append(("aot", path + rel + [k], v))
            else:
                kv.append((rel + [k], v))
        return dotted

    def header(self, path, aot):
        open_, close = ("[[", "]]") if aot else ("[", "]")
        self.emit(open_ + self.ws() + self.render_key(path) + self.ws() + close)

    def emit_kv(self, kv):
        if self.r.random() < 0.3:
            self.r.shuffle(kv)
        for k, v in kv:
            self.emit(self.render_key(k) + self.ws() + "=" + self.ws() + self.render_value(v))

    def emit_deferred(self, deferred):
        for kind, path, v in deferred:
            if kind == "table":
                self.emit_section(path, v)
            else:
                for elem in v:
                    self.header(path, aot=True)
                    self.emit_body(path, elem)

    def emit_body(self, path, t):
        kv, deferred = [], []
        self.plan(path, [], t, kv, deferred)
        self.emit_kv(kv)
        self.emit_deferred(deferred)

    def emit_section(self, path, t):
        kv, deferred = [], []
        dotted = self.plan(path, [], t, kv, deferred)
        x = self.r.random()
        if not kv and deferred and x < 0.4:
            self.emit_deferred(deferred)          # [a.b] alone creates a implicitly
        elif deferred and not dotted and x < 0.6:
            self.emit_deferred(deferred)          # sub-tables first, [a] afterwards
            self.header(path, aot=False)
            self.emit_kv(kv)
        else:
            self.header(path, aot=False)
            self.emit_kv(kv)
            self.emit_deferred(deferred)

    def document(self, small=False):
        model = self.table(0, small)
        for _ in range(self.r.randint(0, 2) if small else self.r.randint(2, 5)):
            k = self.key()
            model.setdefault(k, self.table(1) if self.r.random() < 0.6 else
                             [self.table(2, True) for _ in range(self.r.randint(1, 3))])
        self.emit_body([], model)
        return model, "".join(self.out)


def valid_case(seed):
    """Returns (document text for tomllib, bytes for toml-dump, model)."""
    model, doc = DocGen(seed).document()
    r = random.Random(seed)
    if r.random() < 0.3:
        doc = doc.replace("\n", "\r\n")
    data = doc.encode("utf-8")
    if r.random() < 0.15:
        data = b"\xef\xbb\xbf" + data  # tomllib rejects a BOM in str input; we accept it
    return doc, data, model


# Appended to a valid document, this must fail on the document's last line + 1: a cheap
# check that line counting never drifts, whatever the document contains.
TRAILER = b"@ not a statement\n"


@pytest.fixture(scope="module")
def valid_results(dump):
    cases = [valid_case(seed) for seed in range(VALID_DOCS)]
    results = dump.many([data for _, data, _ in cases] + [data + TRAILER for _, data, _ in cases])
    return list(zip(cases, results[:VALID_DOCS], results[VALID_DOCS:]))


@pytest.mark.parametrize("seed", range(VALID_DOCS))
def test_random_valid_documents_match_tomllib(valid_results, seed):
    (doc, _, model), got, _ = valid_results[seed]
    ok, expected = tomllib_result(doc)
    assert ok, f"generator produced a document tomllib rejects ({expected}):\n{doc}"
    assert unordered(expected) == unordered(model), f"generator/model mismatch:\n{doc}"
    assert "tree" in got, f"toml-dump rejected a valid document: {got.get('error')}\n{doc}"
    assert canon(got["tree"]) == canon(expected), f"trees differ for:\n{doc}"


@pytest.mark.parametrize("seed", range(VALID_DOCS))
def test_line_numbers_do_not_drift(valid_results, seed):
    (_, data, _), _, got = valid_results[seed]
    want = data.count(b"\n") + 1
    assert got.get("error", "").startswith(f"line {want}: expected a key or table header"), \
        f"want an error on line {want}, got {got}:\n{data.decode()}"


@pytest.mark.parametrize("seed", range(5))
def test_single_file_mode_agrees_with_batch_mode(dump, valid_results, seed):
    (doc, data, _), got, _ = valid_results[seed]
    rc, out, err = dump(data)
    assert rc == 0, err
    assert canon(json.loads(out)) == canon(got["tree"])


# ---- define-once rules: parity with tomllib on random conflicts ------------------------------

CONFLICT_VALUES = ["1", '"s"', "true", "[]", "[1, 2]", "{}", "{ x = 1 }", "[{ y = 2 }]",
                   "{ a.b = 1 }", "{ a = { b = 1 } }", "{ a = 1, a.b = 2 }",
                   "{ a.b = 1, a.c = 2 }", "{ a = { b = 1 }, a.c = 2 }", "[[], [{}]]"]


def conflict_doc(seed):
    r = random.Random(seed)
    # Few keys make collisions likely; the wider alphabet keeps ~1/3 of documents valid.
    keys = r.choice([["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d", "e"]])

    def path():
        return ".".join(r.choice(keys) for _ in range(r.randint(1, 3)))

    lines = []
    for _ in range(r.randint(2, 8)):
        x = r.random()
        if x < 0.25:
            lines.append(f"[{path()}]")
        elif x < 0.45:
            lines.append(f"[[{path()}]]")
        else:
            lines.append(f"{path()} = {r.choice(CONFLICT_VALUES)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def conflict_results(dump):
    docs = [conflict_doc(seed) for seed in range(CONFLICT_DOCS)]
    return list(zip(docs, dump.many(docs)))


@pytest.mark.parametrize("seed", range(CONFLICT_DOCS))
def test_define_once_rules_match_tomllib(conflict_results, seed):
    doc, got = conflict_results[seed]
    ok, expected = tomllib_result(doc)
    if ok:
        assert "tree" in got, f"toml-dump rejected what tomllib accepts: {got}\n{doc}"
        assert canon(got["tree"]) == canon(expected), f"trees differ for:\n{doc}"
    else:
        assert_rejected(got, doc)


# ---- mutated documents ------------------------------------------------------------------------

MUTATION_CHARS = list("\"'=[]{},.#\n \\0_x-+:e") + ["\t", "\r", "\r\n", '"""', "'''", "é"]


def mutate(doc, r):
    for _ in range(r.randint(1, 3)):
        i = r.randrange(len(doc) + 1)
        x = r.random()
        if x < 0.4:
            doc = doc[:i] + r.choice(MUTATION_CHARS) + doc[i + 1:]
        elif x < 0.7:
            doc = doc[:i] + r.choice(MUTATION_CHARS) + doc[i:]
        elif x < 0.9:
            doc = doc[:i] + doc[i + 1:]
        else:
            lines = doc.split("\n")
            j = r.randrange(len(lines))
            lines.insert(j, lines[r.randrange(len(lines))])  # duplicated line
            doc = "\n".join(lines)
    return doc


def mutated_doc(seed):
    _, doc = DocGen(10_000 + seed).document(small=True)
    return mutate(doc, random.Random(seed))


@pytest.fixture(scope="module")
def mutated_results(dump):
    docs = [mutated_doc(seed) for seed in range(MUTATED_DOCS)]
    return list(zip(docs, dump.many(docs)))


@pytest.mark.parametrize("seed", range(MUTATED_DOCS))
def test_mutated_documents_match_tomllib(mutated_results, seed):
    doc, got = mutated_results[seed]
    ok, expected = tomllib_result(doc)
    if not ok:
        assert_rejected(got, doc)
    elif in_subset(expected):
        assert "tree" in got, f"toml-dump rejected what tomllib accepts: {got}\n{doc!r}"
        assert canon(got["tree"]) == canon(expected), f"trees differ for:\n{doc!r}"
    else:
        err = got.get("error", "")
        assert any(u in err for u in UNSUPPORTED), \
            f"unsupported value not reported as such ({got}):\n{doc!r}"


# ---- hand-written invalid documents -----------------------------------------------------------

INVALID = [
    # (document, line we must report, text the message must contain)
    ("a = 1\na = 2\n", 2, "duplicate key 'a'"),
    ("[server]\nhost = 'x'\nport = 1\nport = 2\n", 4, "duplicate key 'port'"),
    ("a = 1\r\n\r\na = 2\r\n", 3, "duplicate key 'a'"),
    ("[a]\nx = 1\n\n[a]\n", 4, "table 'a' is already defined"),
    ("[a.b]\n[a.b]\n", 2, "table 'a.b' is already defined"),
    ("[[x]]\n[x.y]\n[x.y]\n", 3, "table 'x.y' is already defined"),
    ("a = 1\n[a]\n", 2, "duplicate key 'a'"),
    ("a = 1\n[a.b]\n", 2, "'a' is an integer"),
    ("a.b = 1\n[a]\n", 2, "by dotted keys"),
    ("[a]\nb = 1\n[a.b]\n", 3, "duplicate key 'a.b'"),
    ("a = {}\n[a]\n", 2, "inline table"),
    ("a = {b = 1}\na.c = 2\n", 2, "cannot add key 'a.c'"),
    ("a = [1]\n[[a]]\n", 2, "array of tables 'a'"),
    ("[[a]]\n[a]\n", 2, "array of tables"),
    ("[a]\n[[a]]\n", 2, "already defined as a table"),
    ("[a.b]\nx = 1\n[a]\nb.y = 2\n", 4, "cannot add key 'b.y'"),
    ("[[a]]\nb.c = 1\n[a.b]\n", 3, "table 'a.b'"),
    ("a = [{b = 1}]\n[a.c]\n", 2, "'a' is an array"),
    ("a.b = 1\na.b.c = 2\n", 2, "cannot add key 'a.b.c'"),
    ("a = {b = 1, b = 2}\n", 1, "duplicate key 'b'"),
    ("a = {b = {c = 1}, b.d = 2}\n", 1, "cannot add key 'b.d'"),
    ("x = 1\ny\n", 2, "expected '=' after key 'y'"),
    ("x = 1\nport 8080\n", 2, "expected '=' after key 'port'"),
    ("a = \n", 1, "missing value"),
    ("a = 1\nb = 2 3\n", 2, "after value of key 'b'"),
    ("[a] b = 1\n", 1, "after table header 'a'"),
    ("[a\n", 1, "expected ']'"),
    ("[[a]\n", 1, "expected ']]'"),
    ("[]\n", 1, "expected a key"),
    ("\n= 1\n", 2, "expected a key"),
    ("a = 1\n\x01 = 2\n", 2, "control character 0x01"),
    ("a = 1 # \x7f\n", 1, "control character 0x7F"),
    ("a = 1\nb = \"x\ry\"\n", 2, "control character 0x0D"),
    ("a = 1\rb = 2\n", 1, "control character 0x0D"),
    ("a = 'x\x00y'\n", 1, "control character 0x00"),
    ("a = \"abc\nb = 1\n", 1, "unterminated string"),
    ("a = 'abc\n", 1, "unterminated string"),
    ("x = 1\na = \"\"\"abc\n\nb = 2\n", 2, "unterminated string"),
    ("x = 1\na = '''abc\n\nb = 2\n", 2, "unterminated string"),
    ("name = \"\\q\"\n", 1, "invalid escape sequence '\\q' (key 'name')"),
    ("a = \"\\x41\"\n", 1, "invalid escape sequence '\\x'"),
    ("a = \"\\u12\"\n", 1, "4 hex digits"),
    ("a = \"\\uDFFF\"\n", 1, "surrogate"),
    ("a = \"\\U00110000\"\n", 1, "beyond U+10FFFF"),
    ("a = \"\"\"\nx \\ y\n\"\"\"\n", 2, "line-ending backslash"),
    ("a = [1, 2\nb = 3\n", 2, "expected ',' or ']'"),
    ("x = 1\na = [\n1,\n2\n", 2, "unterminated array"),
    ("a = [1,,2]\n", 1, "invalid value"),
    ("a = {b = 1,}\n", 1, "trailing comma"),
    ("a = {b = 1\n}\n", 1, "unterminated inline table"),
    ("\n\na = 0123\n", 3, "leading zeros"),
    ("a = 1__2\n", 1, "underscores"),
    ("a = 1_\n", 1, "underscores"),
    ("a = _1\n", 1, "invalid value"),
    ("a = +0x1\n", 1, "invalid decimal integer"),
    ("a = 0b102\n", 1, "invalid binary integer"),
    ("a = 0o\n", 1, "missing digits"),
    ("a = 12abc\n", 1, "invalid decimal integer"),
    ("a = tru\n", 1, "invalid value"),
    ("a = True\n", 1, "invalid value"),
    ("a = truex\n", 1, "after value of key 'a'"),
    ("a = 1.\n", 1, "floats are not supported"),
    ("\"\"\"k\"\"\" = 1\n", 1, "expected '='"),
]


@pytest.mark.parametrize("doc,line,text", INVALID, ids=[repr(c[0])[:40] for c in INVALID])
def test_invalid_documents(dump, doc, line, text):
    ok, _ = tomllib_result(doc)
    assert not ok, "tomllib accepts this document; it does not belong in INVALID"
    rc, _, err = dump(doc)
    assert rc == 1, f"toml-dump accepted:\n{doc}"
    m = ERROR_RE.search(err)
    assert m, f"malformed error {err!r}"
    assert int(m.group(1)) == line, f"error on line {m.group(1)}, want {line}: {err!r}"
    assert text in err, f"{text!r} not in {err!r}"


UNSUPPORTED_DOCS = [
    ("ratio = 1.5\n", 1, "floats are not supported (key 'ratio')"),
    ("x = 1\na = [1, -2e3]\n", 2, "floats are not supported"),
    ("a = inf\n", 1, "floats are not supported"),
    ("a = -nan\n", 1, "floats are not supported"),
    ("\nwhen = 1979-05-27\n", 2, "date-times are not supported (key 'when')"),
    ("a = 1979-05-27T07:32:00-08:00\n", 1, "date-times are not supported"),
    ("a = { t = 07:32:00 }\n", 1, "date-times are not supported"),
    ("a = 9223372036854775808\n", 1, "out of range"),
    ("a = -9223372036854775809\n", 1, "out of range"),
    ("a = 0xFFFFFFFFFFFFFFFF\n", 1, "out of range"),
    ("x = 1\n\nname = \"a\\u0000b\"\n", 3, "(NUL) is not allowed"),
]


@pytest.mark.parametrize("doc,line,text", UNSUPPORTED_DOCS,
                         ids=[repr(c[0])[:40] for c in UNSUPPORTED_DOCS])
def test_unsupported_but_valid_toml_is_rejected_clearly(dump, doc, line, text):
    ok, _ = tomllib_result(doc)
    assert ok, "tomllib rejects this document; it belongs in INVALID"
    rc, _, err = dump(doc)
    assert rc == 1
    m = ERROR_RE.search(err)
    assert m and int(m.group(1)) == line, f"want line {line}: {err!r}"
    assert text in err, f"{text!r} not in {err!r}"


def test_limits_match_tomllib(dump):
    doc = "min = -9223372036854775808\nmax = 0x7FFFFFFFFFFFFFFF\n"
    rc, out, err = dump(doc)
    assert rc == 0, err
    assert canon(json.loads(out)) == canon(tomllib.loads(doc))


def test_bom_and_crlf(dump):
    doc = "a = 1\r\n[t]\r\ns = \"\"\"x\r\ny\"\"\"\r\n"
    rc, out, err = dump(b"\xef\xbb\xbf" + doc.encode())
    assert rc == 0, err
    assert canon(json.loads(out)) == canon(tomllib.loads(doc))
