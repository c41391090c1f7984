"""Memory: ghpool's resident set with 10k and 100k cached entries vs its own empty cache.

python3 bench/memory.py --ghpool http://127.0.0.1:P --pid PID --fake http://127.0.0.1:F \
    --size 1024 --entries 10000,100000 --conns 4 --out memory-1024.json

One fresh ghpool per body size, its cache large enough for every entry
(run.sh sets max_entries and max_bytes). Readings of /proc/PID/status
(VmRSS, RssAnon) and of GET /stats (cache.entries, cache.bytes):

  start   just after start-up, empty cache
  base    after a warm-up of --warmup distinct misses (the baseline: threads,
          upstream connections and allocator arenas exist, the cache is small)
  <N>     after N more distinct entries of exactly --size body bytes each
          (keys ...?size=S&k=1..N; the checkpoints are cumulative)

The fill is curl --parallel over URL ranges, in chunks of --chunk requests;
the fake's request log is cleared after each chunk (it would otherwise grow
by one record per request and slow the fake down). The whole fill stops
at --max-seconds (then the result says so). Loopback URLs only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter

from hit import alive, loopback_only


def control(fake: str, method: str, path: str) -> dict:
    req = urllib.request.Request(fake + path, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, VmHWM in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def cache_stats(gh: str) -> dict:
    with urllib.request.urlopen(gh + "/stats", timeout=10) as r:
        return json.loads(r.read())["cache"]


def reading(label: str, gh: str, pid: int) -> dict:
    time.sleep(0.5)  # let the last answers' buffers go
    st = proc_status(pid)
    c = cache_stats(gh)
    return {"label": label, "rss_kib": st["VmRSS"], "anon_kib": st.get("RssAnon"),
            "file_kib": st.get("RssFile"), "hwm_kib": st.get("VmHWM"),
            "entries": c["entries"], "bytes": c["bytes"], "evictions": c.get("evictions", 0)}


def fill(gh: str, fake: str, size: int, key: str, first: int, last: int, conns: int,
         chunk: int, deadline: float) -> tuple[Counter, int]:
    """GETs ...?size=S&<key>=first..last through ghpool; returns status counts and
    how many were answered (fewer than asked when the deadline passed: the
    running curl is killed then)."""
    statuses: Counter = Counter()
    sent = 0
    lo = first
    while lo <= last:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        hi = min(last, lo + chunk - 1)
        url = f"{gh}/repos/bench/r/contents/x?size={size}&{key}=[{lo}-{hi}]"
        cmd = ["curl", "-sS", "--no-progress-meter", "-Z", "--parallel-max", str(conns),
               "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}\\n", url]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=max(1.0, left))
            codes = p.stdout.split()
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            codes = out.split()
        statuses.update(codes)
        sent += len(codes)
        control(fake, "DELETE", "/_fake/requests")
        if len(codes) < hi - lo + 1:
            break
        lo = hi + 1
    return statuses, sent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ghpool", required=True)
    ap.add_argument("--pid", type=int, required=True, help="ghpool's pid")
    ap.add_argument("--fake", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--entries", default="10000,100000")
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--chunk", type=int, default=10000)
    ap.add_argument("--max-seconds", type=float, default=150)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    gh, fake = a.ghpool.rstrip("/"), a.fake.rstrip("/")
    loopback_only(gh)
    loopback_only(fake)
    checkpoints = sorted({int(x) for x in a.entries.split(",")})
    deadline = time.monotonic() + a.max_seconds
    problems: list[str] = []

    def log(msg: str) -> None:
        print(msg, flush=True)

    readings = [reading("start", gh, a.pid)]
    control(fake, "DELETE", "/_fake/requests")
    st, _ = fill(gh, fake, a.size, "w", 1, a.warmup, a.conns, a.chunk, deadline)
    readings.append(reading("base", gh, a.pid))
    base = readings[-1]
    t_start = time.monotonic()
    done = 0
    statuses: Counter = Counter(st)
    for n in checkpoints:
        st, sent = fill(gh, fake, a.size, "k", done + 1, n, a.conns, a.chunk, deadline)
        stopped = sent < n - done
        statuses.update(st)
        done += sent
        if alive({"ghpool": a.pid}):
            problems.append("process died: ghpool")
            break
        r = reading(str(n), gh, a.pid)
        r["n"] = n
        r["stopped"] = stopped
        r["filled"] = r["entries"] - base["entries"]
        r["fill_secs"] = time.monotonic() - t_start
        readings.append(r)
        d_rss = (r["rss_kib"] - base["rss_kib"]) * 1024
        d_bytes = r["bytes"] - base["bytes"]
        f = max(1, r["filled"])
        r["rss_per_entry"] = d_rss / f
        r["overhead_per_entry"] = (d_rss - f * a.size) / f
        r["cache_bytes_per_entry"] = d_bytes / f
        r["cache_bytes_over_rss"] = d_bytes / d_rss if d_rss > 0 else None
        log(f"  size {a.size} B, {r['filled']:6d} entries: VmRSS {r['rss_kib'] / 1024:7.1f} MiB "
            f"(base {base['rss_kib'] / 1024:.1f}), RSS/entry {r['rss_per_entry']:6.0f} B, "
            f"cache bytes/entry {r['cache_bytes_per_entry']:6.0f} B, "
            f"{r['fill_secs']:.0f} s so far")
        if stopped:
            problems.append(f"size {a.size}: fill stopped at the {a.max_seconds:.0f} s bound "
                            f"with {r['filled']} of {n} entries in the cache")
            break
        if r["filled"] != n or r["evictions"]:
            problems.append(f"size {a.size}: {r['filled']} new entries after {n} distinct "
                            f"requests (evictions {r['evictions']})")
    bad = {k: v for k, v in statuses.items() if k != "200"}
    if bad:
        problems.append(f"size {a.size}: non-200 answers during the fill: {bad}")
    out = {"kind": "memory", "size": a.size, "conns": a.conns, "warmup": a.warmup,
           "readings": readings, "statuses": dict(statuses), "problems": problems,
           "fill_secs": time.monotonic() - t_start}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    for p in problems:
        log(f"  PROBLEM: {p}")
    return 1 if any(p.startswith("process died") for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
