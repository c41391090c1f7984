"""Budget benchmark: a replayed agent workload through ghpool.

python3 bench/agents.py --ghpool http://127.0.0.1:P --fake http://127.0.0.1:F \
    --label on --out budget-on.json

N agents (threads) poll the same pull requests, issues and workflow runs
through ghpool for a fixed number of rounds, while a changer modifies one
resource every --change-interval seconds through the fake's control API.
The fake is reset first (data, budgets, request log), so every phase starts
from the same state and makes the same changes. Afterwards the fake's log
says how many requests reached it and how many counted against a rate
limit (its 304s to conditional requests are free, as on GitHub).

Changes stop --quiet seconds before the agents' last round, so every change
is seen inside the measured window. Each change alters exactly two polled resources (the object and the list it
appears in), so a perfect cache spends len(PATHS) units to fill plus two per
change: the "floor" in the output.

After the counts are taken, the agents' view is checked: once the longest
TTL has passed, ghpool must answer every path with the fake's current body.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

ACCEPT = "application/vnd.github+json"

# What a fleet of agents watching one PR queue polls: PR views and list,
# issue views and list, workflow runs list and views.
PATHS = [
    "/repos/octo-org/hello/pulls/1",
    "/repos/octo-org/hello/pulls/2",
    "/repos/octo-org/hello/pulls/3",
    "/repos/octo-org/hello/pulls",
    "/repos/alice/tools/issues/1",
    "/repos/alice/tools/issues/2",
    "/repos/alice/tools/issues/3",
    "/repos/alice/tools/issues",
    "/repos/octo-org/hello/actions/runs",
    "/repos/octo-org/hello/actions/runs/1",
    "/repos/octo-org/hello/actions/runs/2",
]
KEYS_PER_CHANGE = 2


def change_for(k: int) -> tuple[str, dict]:
    """The k-th change: issue title, PR title, run status in turn (all real changes)."""
    kind, n = k % 3, (k // 3)
    if kind == 0:
        return "/_fake/issue", {"repo": "alice/tools", "number": 1 + n % 3,
                                "title": f"bench change {k}"}
    if kind == 1:
        return "/_fake/bench/pull", {"repo": "octo-org/hello", "number": 1 + n % 3,
                                     "title": f"bench change {k}"}
    status = "in_progress" if n % 2 == 0 else "completed"
    return "/_fake/bench/run", {"repo": "octo-org/hello", "id": 1 + n % 2, "status": status,
                                "conclusion": None if status == "in_progress" else "success"}


def hostport(url: str) -> tuple[str, int]:
    u = urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"agents.py: {url} is not a loopback URL")
    return u.hostname, u.port or 80


class Client:
    """One keep-alive connection; reconnects once per failed request."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.host, self.port = hostport(url)
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, payload=None):
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, data = self.request(method, path, {"Content-Type": "application/json"}, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {data[:200]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ghpool", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--fake-token", default="tok_alice", help="for the direct convergence check")
    ap.add_argument("--label", required=True)
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--interval", type=float, default=0.25, help="seconds between an agent's rounds")
    ap.add_argument("--changes", type=int, default=12)
    ap.add_argument("--change-interval", type=float, default=0.5)
    ap.add_argument("--quiet", type=float, default=2.0,
                    help="no changes in the last QUIET seconds of polling, so every change "
                         "is seen (and paid for) inside the measured window (> TTL + interval)")
    ap.add_argument("--settle", type=float, default=2.5,
                    help="wait before the convergence check (> longest TTL)")
    ap.add_argument("--max-seconds", type=float, default=120, help="hard bound on the polling")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    agents = max(1, min(a.agents, 64))
    rounds = max(1, min(a.rounds, 1000))

    fake = Client(a.fake)
    fake.json("POST", "/_fake/reset")   # same data, budgets and empty log every phase
    gh = Client(a.ghpool)
    st, _, body = gh.request("GET", "/stats")
    stats0 = json.loads(body).get("cache", {}) if st == 200 else {}

    lock = threading.Lock()
    statuses: Counter = Counter()
    outcomes: Counter = Counter()
    errors: list[str] = []
    latencies: list[float] = []
    sent = [0]
    stop = threading.Event()
    start_gate = threading.Barrier(agents + 2)
    deadline = [0.0]

    def agent(i: int) -> None:
        rng = random.Random(a.seed * 1000 + i)
        c = Client(a.ghpool)
        my_lat = []
        start_gate.wait()
        for _ in range(rounds):
            if time.monotonic() > deadline[0]:
                break
            t_round = time.monotonic()
            order = PATHS[:]
            rng.shuffle(order)
            for p in order:
                t0 = time.monotonic()
                try:
                    st, h, _ = c.request("GET", p, {"Accept": ACCEPT})
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        sent[0] += 1
                        statuses["error"] += 1
                        if len(errors) < 20:
                            errors.append(f"{p}: {e!r}")
                    continue
                my_lat.append(time.monotonic() - t0)
                with lock:
                    sent[0] += 1
                    statuses[st] += 1
                    outcomes[h.get("x-ghpool-cache", "-")] += 1
                    if st != 200 and len(errors) < 20:
                        errors.append(f"{p}: HTTP {st}")
            pause = a.interval - (time.monotonic() - t_round)
            if pause > 0:
                time.sleep(pause)
        c.close()
        with lock:
            latencies.extend(my_lat)

    changes = [0]

    # Agents poll for at least rounds * interval seconds in every phase.
    last_change_at = rounds * a.interval - a.quiet

    def changer() -> None:
        c = Client(a.fake)
        start_gate.wait()
        t_start = time.monotonic()
        for k in range(max(0, a.changes)):
            if stop.wait(a.change_interval) or time.monotonic() - t_start > last_change_at:
                break
            path, payload = change_for(k)
            c.json("POST", path, payload)
            changes[0] += 1
        c.close()

    threads = [threading.Thread(target=agent, args=(i,), daemon=True) for i in range(agents)]
    ch = threading.Thread(target=changer, daemon=True)
    for t in threads:
        t.start()
    ch.start()
    t0 = time.monotonic()
    deadline[0] = t0 + a.max_seconds
    start_gate.wait()
    for t in threads:
        t.join(a.max_seconds + 30)
    elapsed = time.monotonic() - t0
    stop.set()
    ch.join(30)

    count = fake.json("GET", "/_fake/bench/count")
    st, _, body = gh.request("GET", "/stats")
    stats1 = json.loads(body).get("cache", {}) if st == 200 else {}

    # Convergence: after the longest TTL, ghpool serves what the fake has now.
    time.sleep(max(0.0, a.settle))
    converged, stale = 0, []
    for p in PATHS:
        st1, _, via = gh.request("GET", p, {"Accept": ACCEPT})
        st2, _, direct = fake.request("GET", p, {"Accept": ACCEPT,
                                                 "Authorization": f"token {a.fake_token}"})
        if st1 == st2 == 200 and via == direct:
            converged += 1
        else:
            stale.append(p)
    gh.close()
    fake.close()

    n = sent[0]
    latencies.sort()
    units = count["counted"]
    floor = len(PATHS) + KEYS_PER_CHANGE * changes[0]
    out = {
        "kind": "budget", "label": a.label, "agents": agents, "rounds": rounds,
        "paths": len(PATHS), "elapsed_s": round(elapsed, 2),
        "client_requests": n, "client_statuses": {str(k): v for k, v in statuses.items()},
        "client_errors": errors,
        "ghpool_cache_outcomes": dict(outcomes),
        "client_p50_ms": round(1000 * latencies[len(latencies) // 2], 2) if latencies else None,
        "client_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
        "upstream_requests": count["requests"], "upstream_not_modified": count["not_modified"],
        "upstream_errors": count["errors"],
        "units": units, "units_per_1000": round(1000.0 * units / n, 2) if n else None,
        "changes": changes[0], "floor_units": floor,
        "ghpool_cache_delta": {k: stats1.get(k, 0) - stats0.get(k, 0)
                               for k in ("hits", "misses", "revalidations", "coalesced",
                                         "stale_served") if isinstance(stats1.get(k), int)},
        "converged": converged, "stale_paths": stale,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    print(f"  budget[{a.label}]: {n} client requests in {elapsed:.1f}s, "
          f"{count['requests']} upstream ({count['not_modified']} x 304), units {units} "
          f"({out['units_per_1000']} per 1000), changes {changes[0]}, floor {floor}, "
          f"converged {converged}/{len(PATHS)}", flush=True)
    if errors:
        print("  client errors (first): " + "; ".join(errors[:5]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
