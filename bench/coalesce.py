"""Coalescing: N identical concurrent misses for one cold key, through ghpool vs direct.

python3 bench/coalesce.py --ghpool http://127.0.0.1:P --fake http://127.0.0.1:F \
    --n 50,200 --rounds 5 --delay-ms 500 --out coalesce.json

The fake delays every answer under /repos/bench/r/contents/x?coalesce= by
--delay-ms (a `latency` fault rule), so all N requests are in flight while
the first is still upstream. Each round uses a fresh key (never asked
before, so cold in ghpool's cache). N threads each open a keep-alive
connection, wait at a barrier, then send the same GET at once; afterwards
the fake's request log says how many requests for that key reached it.

The baseline ("direct") sends the same N requests for its own fresh key
straight to the fake with one of ghpool's tokens: the fake sees N. Rounds
alternate ghpool / direct. Every request has a timeout and every thread is
joined with one. Loopback URLs only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter

from hit import alive, ghpool_stats, loopback_only

FAULT_PREFIX = "/repos/bench/r/contents/x?coalesce="


def control(fake: str, method: str, path: str, body: dict | None = None) -> dict | list:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(fake + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def burst(base: str, path: str, n: int, headers: dict[str, str], timeout: float) -> dict:
    """n connections, one barrier, n identical GETs at once. Returns what the clients saw."""
    u = urllib.parse.urlsplit(base)
    conns: list[http.client.HTTPConnection | None] = []
    for _ in range(n):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        try:
            c.connect()
        except OSError:
            c = None
        conns.append(c)
    barrier = threading.Barrier(n, timeout=timeout)
    results: list[dict | None] = [None] * n

    def client(i: int) -> None:
        c = conns[i]
        res: dict = {"status": None, "cache": None, "ms": None, "body": None, "error": None}
        try:
            barrier.wait()
            if c is None:
                raise OSError("connect failed")
            t0 = time.monotonic()
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            body = r.read()
            res.update(status=r.status, cache=r.getheader("X-Ghpool-Cache"),
                       ms=(time.monotonic() - t0) * 1000,
                       body=hashlib.sha256(body).hexdigest()[:16])
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as e:
            res["error"] = repr(e)
        finally:
            results[i] = res

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout + 5
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    for c in conns:
        if c is not None:
            c.close()
    got = [r for r in results if r is not None]
    lat = sorted(r["ms"] for r in got if r["ms"] is not None)
    return {
        "answered": sum(1 for r in got if r["status"] is not None),
        "statuses": dict(Counter(str(r["status"]) for r in got)),
        "outcomes": dict(Counter(str(r["cache"]) for r in got if r["status"] is not None)),
        "bodies": len({r["body"] for r in got if r["body"] is not None}),
        "errors": [r["error"] for r in got if r["error"]][:3] +
                  ([f"{n - len(got)} threads did not finish"] if len(got) < n else []),
        "p50_ms": statistics.median(lat) if lat else None,
        "max_ms": lat[-1] if lat else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ghpool", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--token", default="tok_alice")
    ap.add_argument("--n", default="50,200")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--delay-ms", type=int, default=500)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--pid", action="append", default=[], metavar="NAME=PID")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    gh, fake = a.ghpool.rstrip("/"), a.fake.rstrip("/")
    loopback_only(gh)
    loopback_only(fake)
    pids = {n: int(p) for n, _, p in (s.partition("=") for s in a.pid)}
    ns = [max(1, min(int(x), 1000)) for x in a.n.split(",")]
    rounds = max(1, min(a.rounds, 20))
    timeout = a.delay_ms / 1000 + 15
    tag = f"{int(time.time())}"
    fault = control(fake, "POST", "/_fake/faults",
                    {"kind": "latency", "path": FAULT_PREFIX, "ms": a.delay_ms})
    direct_headers = {"Authorization": f"Bearer {a.token}", "Accept": "*/*",
                      "Accept-Encoding": "deflate, gzip, br, zstd"}

    def log(msg: str) -> None:
        print(msg, flush=True)

    stats0 = ghpool_stats(gh)
    rows, problems = [], []
    try:
        for n in ns:
            for rnd in range(rounds):
                order = ("ghpool", "direct") if rnd % 2 == 0 else ("direct", "ghpool")
                for name in order:
                    # The trailing "." ends the key: no key is a prefix of another.
                    key = f"{FAULT_PREFIX}{tag}.{name}.{n}.{rnd}.&size={a.size}"
                    base, hdrs = (gh, {}) if name == "ghpool" else (fake, direct_headers)
                    t0 = time.monotonic()
                    res = burst(base, key, n, hdrs, timeout)
                    wall = (time.monotonic() - t0) * 1000
                    prefix = key.partition("&")[0]
                    cnt = control(fake, "GET", "/_fake/bench/count?path=" +
                                  urllib.parse.quote(prefix, safe=""))
                    row = {"target": name, "n": n, "round": rnd, "upstream": cnt["requests"],
                           "wall_ms": wall, **res}
                    rows.append(row)
                    log(f"  N={n:<4d} round {rnd} {name:6s} upstream {row['upstream']:4d}  "
                        f"answered {res['answered']}/{n} {res['statuses']}  "
                        f"{('outcomes ' + str(res['outcomes']) + '  ') if name == 'ghpool' else ''}p50 {res['p50_ms'] or 0:.0f} ms  "
                        f"max {res['max_ms'] or 0:.0f} ms")
                    bad = {k: v for k, v in res["statuses"].items() if k != "200"}
                    if bad or res["answered"] < n or res["errors"] or res["bodies"] > 1:
                        problems.append(f"{name} N={n} round {rnd}: non-200 {bad}, answered "
                                        f"{res['answered']}/{n}, distinct bodies "
                                        f"{res['bodies']}, errors {res['errors']}")
                    dead = alive(pids)
                    if dead:
                        problems.append(f"process died: {', '.join(dead)}")
                        raise StopIteration
    except StopIteration:
        pass
    finally:
        control(fake, "DELETE", "/_fake/faults")
    stats1 = ghpool_stats(gh)

    summary = []
    for n in ns:
        row = {"n": n}
        for name in ("ghpool", "direct"):
            rs = [r for r in rows if r["target"] == name and r["n"] == n]
            if rs:
                ups = [r["upstream"] for r in rs]
                outcomes: Counter = Counter()
                for r in rs:
                    outcomes.update(r["outcomes"])
                row[name] = {"rounds": len(rs), "upstream": ups,
                             "upstream_median": statistics.median(ups),
                             "upstream_max": max(ups),
                             "p50_ms": statistics.median(r["p50_ms"] or 0 for r in rs),
                             "max_ms": max(r["max_ms"] or 0 for r in rs),
                             "outcomes": dict(outcomes)}
        summary.append(row)
    delta = {k: stats1.get(k, 0) - stats0.get(k, 0)
             for k in ("hits", "misses", "coalesced")
             if isinstance(stats1.get(k), int)}
    out = {"kind": "coalesce", "delay_ms": a.delay_ms, "rounds": rounds, "fault": fault,
           "rows": rows, "summary": summary, "ghpool_cache_delta": delta,
           "problems": problems}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    return 1 if any(p.startswith("process died") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
