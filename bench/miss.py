"""Miss-path overhead: every request a cache miss, through ghpool vs straight to the fake.

python3 bench/miss.py --ghpool http://127.0.0.1:P --fake http://127.0.0.1:F \
    --token tok_alice --conns 1,8 --rate 500 --out miss.json

Every request carries its own query parameter (wrk_report.lua's
BENCH_WRK_UNIQUE: u=<tag>-<thread>-<n>), so through ghpool each one is a
cache miss that goes upstream: the real miss path (cache lookup, coalescing
table, pool pick, upstream fetch, store in the cache), not a cache switched
off. The baseline ("direct") sends the same paths to the fake with the
headers ghpool sends upstream: the same token, Accept and Accept-Encoding
(so the fake compresses for both), a User-Agent.

Cells, per repetition, ghpool and direct back to back (order alternating):
  c=<n>           wrk -c<n>, as fast as answers come (closed loop)
  c=<n> paced     wrk -c<n> with a random pause before each request so the
                  offered load is about --rate req/s in total (--rate 0: none)

The fake's request log is cleared before each run, so every run starts the
fake from the same state. Every wrk run is bounded by --duration and a hard
subprocess timeout. Loopback URLs only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from hit import alive, fetch, ghpool_stats, loopback_only, run_wrk

PATH = "/repos/bench/r/contents/x?size={size}"


def control(fake: str, method: str, path: str, body: dict | None = None) -> dict:
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(fake + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ghpool", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--token", default="tok_alice",
                    help="the direct baseline's token: one of ghpool's identities")
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--conns", default="1,8")
    ap.add_argument("--rate", type=int, default=500,
                    help="offered req/s of the paced cell at the largest --conns (0: none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--wrk-timeout", type=int, default=5)
    ap.add_argument("--pid", action="append", default=[], metavar="NAME=PID")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    gh, fake = a.ghpool.rstrip("/"), a.fake.rstrip("/")
    loopback_only(gh)
    loopback_only(fake)
    pids = {n: int(p) for n, _, p in (s.partition("=") for s in a.pid)}
    conns = [int(c) for c in a.conns.split(",")]
    reps = max(1, min(a.reps, 10))
    path = PATH.format(size=a.size)
    direct_headers = "\n".join([
        f"Authorization: Bearer {a.token}",
        "Accept: */*",
        "Accept-Encoding: deflate, gzip, br, zstd",
        "User-Agent: ghpool-bench",
    ])
    targets = [("ghpool", gh + path, ""), ("direct", fake + path, direct_headers)]

    # Cells: (label, conns, mean pause per request in ms or 0).
    cells = [(f"c={c}", c, 0.0) for c in conns]
    if a.rate > 0:
        c = max(conns)
        cells.insert(len(cells) - 1 if len(cells) > 1 else len(cells),
                     (f"c={c} paced", c, c * 1000.0 / a.rate))

    def log(msg: str) -> None:
        print(msg, flush=True)

    # Both paths answer, and ghpool's answer is a miss with the fake's bytes.
    status, headers, body = fetch(gh + path + "&u=check-ghpool")
    if status != 200 or len(body) != a.size or headers.get("x-ghpool-cache") != "MISS":
        sys.exit(f"miss.py: ghpool answered {status}, {len(body)} B, "
                 f"X-Ghpool-Cache {headers.get('x-ghpool-cache')} (want 200, {a.size}, MISS)")

    seq = [0]

    def one(name: str, url: str, hdrs: str, c: int, pause_ms: float, secs: int) -> dict:
        seq[0] += 1
        control(fake, "DELETE", "/_fake/requests")
        env = {"BENCH_WRK_UNIQUE": f"{name[0]}{seq[0]}-{int(time.time())}",
               "BENCH_WRK_HEADERS": hdrs, "BENCH_WRK_DELAY_MS": f"{pause_ms:g}"}
        r = run_wrk(url, c, min(a.threads, c), secs, a.wrk_timeout, env=env)
        upstream = control(fake, "GET", "/_fake/bench/count")
        r["upstream"] = upstream["requests"]
        return r

    stats0 = ghpool_stats(gh)
    if a.warmup > 0:
        for name, url, hdrs in targets:
            r = one(name, url, hdrs, max(conns), 0, a.warmup)
            log(f"  warm-up {name:6s} c={max(conns):<2d} {r['rps']:8.0f} req/s")

    runs, problems = [], []
    for rep in range(reps):
        order = targets if rep % 2 == 0 else list(reversed(targets))
        for label, c, pause in cells:
            for name, url, hdrs in order:
                r = one(name, url, hdrs, c, pause, a.duration)
                r.update(target=name, cell=label, conns=c, pause_ms=pause, rep=rep)
                runs.append(r)
                errs = r["err_connect"] + r["err_read"] + r["err_write"] + \
                    r["err_status"] + r["err_timeout"]
                log(f"  rep {rep} {name:6s} {label:12s} {r['rps']:8.0f} req/s  "
                    f"p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
                    f"upstream {r['upstream']}  errors {errs}")
                if errs:
                    problems.append(f"{name} {label} rep={rep}: connect {r['err_connect']} "
                                    f"read {r['err_read']} write {r['err_write']} status "
                                    f"{r['err_status']} timeout {r['err_timeout']}")
                # Every request through ghpool must have gone upstream (a miss).
                if name == "ghpool" and r["upstream"] < r["requests"]:
                    problems.append(f"ghpool {label} rep={rep}: {r['requests']} requests but "
                                    f"only {r['upstream']} upstream (not all misses)")
                dead = alive(pids)
                if dead:
                    problems.append(f"process died: {', '.join(dead)}")
                    log(f"  !! {problems[-1]}")
                    break
            else:
                continue
            break
        else:
            continue
        break
    stats1 = ghpool_stats(gh)

    summary = []
    for label, c, pause in cells:
        row = {"cell": label, "conns": c, "pause_ms": pause}
        for name, _, _ in targets:
            rs = [r for r in runs if r["target"] == name and r["cell"] == label]
            if rs:
                row[name] = {k: statistics.median(r[k] for r in rs)
                             for k in ("rps", "p50_ms", "p90_ms", "p99_ms")}
                row[name]["errors"] = sum(r["err_connect"] + r["err_read"] + r["err_write"] +
                                          r["err_status"] + r["err_timeout"] for r in rs)
                row[name]["reps"] = len(rs)
        summary.append(row)
    delta = {k: stats1.get(k, 0) - stats0.get(k, 0)
             for k in ("hits", "misses", "coalesced", "evictions")
             if isinstance(stats1.get(k), int)}
    out = {"kind": "miss", "size": a.size, "duration_s": a.duration, "reps": reps,
           "threads": a.threads, "rate": a.rate, "runs": runs, "summary": summary,
           "ghpool_cache_delta": delta, "problems": problems}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    return 1 if any(p.startswith("process died") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
