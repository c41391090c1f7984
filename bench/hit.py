"""Cache-hit throughput and latency: wrk against ghpool and nginx, interleaved.

python3 bench/hit.py --target ghpool=http://127.0.0.1:P --target nginx=http://127.0.0.1:Q \
    --path '/repos/bench/r/contents/x?size={size}' --out hit.json

For every body size, each target is primed (one miss, then a check that the
next read is a cache hit) and warmed up with wrk; then, for every repetition,
size and connection count, the targets run one after the other (the order
alternates between repetitions). Every wrk run is bounded by --duration and a
hard subprocess timeout. Loopback URLs only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk_report.lua")
CACHE_HEADERS = ("X-Ghpool-Cache", "X-Cache-Status")


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"hit.py: {url} is not a loopback URL")


def fetch(url: str, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.github+json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def cache_status(headers: dict[str, str]) -> str:
    for h in CACHE_HEADERS:
        if h.lower() in headers:
            return headers[h.lower()]
    return "?"


def prime(name: str, url: str, size: int, log, caches: bool = True) -> None:
    """One miss fills the cache; bounded retries until the target answers HIT.

    A target that does not cache (the static-file ceiling) only has to answer."""
    for attempt in range(10):
        status, headers, body = fetch(url)
        if status != 200 or len(body) != size:
            sys.exit(f"hit.py: {name} {url} answered {status} with {len(body)} bytes "
                     f"(want 200 with {size})")
        cs = cache_status(headers) if caches else "n/a (static file)"
        log(f"  prime {name} size={size}: {status} {len(body)} B cache={cs}")
        if not caches or (cs == "HIT" and attempt > 0):
            return
        time.sleep(0.2)
    sys.exit(f"hit.py: {name} never answered a cache HIT for {url}")


def alive(pids: dict[str, int]) -> list[str]:
    dead = []
    for name, pid in pids.items():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append(name)
        except PermissionError:
            pass
    return dead


def run_wrk(url: str, conns: int, threads: int, duration: int, timeout_s: int,
            env: dict[str, str] | None = None) -> dict:
    """One wrk run; env: extra environment for wrk_report.lua (BENCH_WRK_*)."""
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", f"--timeout={timeout_s}s",
           "--latency", "-s", LUA, url]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout_s + 20,
                       env={**os.environ, **env} if env else None)
    for line in p.stdout.splitlines():
        if line.startswith("WRKJSON "):
            res = json.loads(line[len("WRKJSON "):])
            res["wrk_rc"] = p.returncode
            return res
    sys.exit(f"hit.py: wrk gave no result (rc {p.returncode}):\n{p.stdout}\n{p.stderr}")


def ghpool_stats(url: str | None) -> dict:
    if not url:
        return {}
    try:
        status, _, body = fetch(url.rstrip("/") + "/stats", timeout=5)
        return json.loads(body).get("cache", {}) if status == 200 else {}
    except (OSError, ValueError):
        return {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", action="append", required=True, metavar="NAME=URL")
    ap.add_argument("--ceiling", metavar="NAME=URL",
                    help="a server answering the same bytes as a plain file: the most "
                         "any HTTP server on this machine can do, run like the targets")
    ap.add_argument("--path", default="/repos/bench/r/contents/x?size={size}")
    ap.add_argument("--sizes", default="2048,102400")
    ap.add_argument("--conns", default="64,256")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--wrk-timeout", type=int, default=5, help="wrk per-request timeout (s)")
    ap.add_argument("--probe-c1", type=int, default=2, metavar="SECS",
                    help="after the warm-up, one wrk -t1 -c1 run per size and target "
                         "(single-connection latency); 0 = skip")
    ap.add_argument("--pid", action="append", default=[], metavar="NAME=PID",
                    help="processes that must stay alive (checked after every run)")
    ap.add_argument("--ghpool-stats", help="ghpool base URL for /stats")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    targets = []
    for spec in a.target:
        name, _, url = spec.partition("=")
        loopback_only(url)
        targets.append((name, url.rstrip("/")))
    ceiling = None
    if a.ceiling:
        ceiling, _, url = a.ceiling.partition("=")
        loopback_only(url)
        targets.append((ceiling, url.rstrip("/")))
    pids = {n: int(p) for n, _, p in (s.partition("=") for s in a.pid)}
    sizes = [int(s) for s in a.sizes.split(",")]
    conns = [int(c) for c in a.conns.split(",")]
    reps = max(1, min(a.reps, 10))

    def log(msg: str) -> None:
        print(msg, flush=True)

    runs = []
    problems = []
    stats0 = ghpool_stats(a.ghpool_stats)
    for size in sizes:
        for name, base in targets:
            prime(name, base + a.path.format(size=size), size, log, caches=name != ceiling)
    if a.warmup > 0:
        for size in sizes:
            for name, base in targets:
                r = run_wrk(base + a.path.format(size=size), max(conns), a.threads, a.warmup,
                            a.wrk_timeout)
                log(f"  warm-up {name:7s} size={size:<6d} c={max(conns):<3d} "
                    f"{r['rps']:10.0f} req/s")
    probes = []
    if a.probe_c1 > 0:
        for size in sizes:
            for name, base in targets:
                r = run_wrk(base + a.path.format(size=size), 1, 1, a.probe_c1, a.wrk_timeout)
                r.update(target=name, size=size, conns=1)
                probes.append(r)
                log(f"  1-connection probe {name:7s} size={size:<6d} {r['rps']:9.0f} req/s  "
                    f"p50 {r['p50_ms']:7.3f} ms  p99 {r['p99_ms']:7.3f} ms")
    for rep in range(reps):
        order = targets if rep % 2 == 0 else list(reversed(targets))
        for size in sizes:
            for c in conns:
                for name, base in order:
                    r = run_wrk(base + a.path.format(size=size), c, a.threads, a.duration,
                                a.wrk_timeout)
                    r.update(target=name, size=size, conns=c, rep=rep)
                    runs.append(r)
                    errs = r["err_connect"] + r["err_read"] + r["err_write"] + \
                        r["err_status"] + r["err_timeout"]
                    log(f"  rep {rep} {name:7s} size={size:<6d} c={c:<3d} "
                        f"{r['rps']:10.0f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                        f"p99 {r['p99_ms']:7.2f} ms  errors {errs}")
                    if errs:
                        problems.append(f"{name} size={size} c={c} rep={rep}: "
                                        f"connect {r['err_connect']} read {r['err_read']} "
                                        f"write {r['err_write']} status {r['err_status']} "
                                        f"timeout {r['err_timeout']}")
                    dead = alive(pids)
                    if dead:
                        problems.append(f"process died: {', '.join(dead)} "
                                        f"(after {name} size={size} c={c} rep={rep})")
                        log(f"  !! {problems[-1]}")
                        break
                else:
                    continue
                break
    stats1 = ghpool_stats(a.ghpool_stats)

    summary = []
    names = [n for n, _ in targets]
    for size in sizes:
        for c in conns:
            row = {"size": size, "conns": c}
            for n in names:
                rs = [r for r in runs if r["target"] == n and r["size"] == size and r["conns"] == c]
                if rs:
                    row[n] = {"rps": statistics.median(r["rps"] for r in rs),
                              "p99_ms": statistics.median(r["p99_ms"] for r in rs),
                              "p50_ms": statistics.median(r["p50_ms"] for r in rs),
                              "errors": sum(r["err_connect"] + r["err_read"] + r["err_write"] +
                                            r["err_status"] + r["err_timeout"] for r in rs),
                              "reps": len(rs)}
            summary.append(row)
    hit_delta = {k: stats1.get(k, 0) - stats0.get(k, 0)
                 for k in ("hits", "misses", "revalidations", "coalesced", "stale_served")
                 if isinstance(stats1.get(k), int)}
    out = {"kind": "hit", "targets": names, "ceiling": ceiling, "duration_s": a.duration, "reps": reps,
           "threads": a.threads, "runs": runs, "summary": summary, "probes": probes,
           "ghpool_cache_delta": hit_delta, "problems": problems}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    return 1 if any(p.startswith("process died") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
