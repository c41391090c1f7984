"""Prints the summary tables from the JSON files the phases wrote.

python3 bench/report.py [hit.json] [miss.json] [coalesce.json] [memory-*.json]
                        [budget-on.json] [budget-off.json]   (missing files are skipped)

Files are told apart by their "kind" (hit, miss, coalesce, memory) or "label"
(on, off: the budget phase), not by name.
"""

from __future__ import annotations

import json
import os
import sys


def load(path: str):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def size_name(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} B"


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def hit_table(h: dict) -> list[str]:
    names = h["targets"]
    if len(names) < 2:
        return []
    g, n = names[0], names[1]
    ceil = h.get("ceiling")
    out = [f"Cache-hit throughput: wrk -t{h['threads']}, {h['duration_s']} s per run, "
           f"{h['reps']} interleaved run(s) per cell, median shown",
           f"{'body':>8} {'conns':>5} | {g + ' req/s':>13} {'p99 ms':>7} | "
           f"{n + ' req/s':>12} {'p99 ms':>7} | {'req/s ratio':>11} {'p99 ratio':>9} | target"
           + (f" | {ceil + ' req/s':>12} {g + '/' + ceil:>13}" if ceil else ""),
           "-" * (96 + (30 if ceil else 0))]
    for row in h["summary"]:
        a, b = row.get(g), row.get(n)
        if not a or not b:
            continue
        c = row.get(ceil) if ceil else None
        tail = (f" | {c['rps']:>12.0f} {ratio(a['rps'], c['rps']):>13}" if c else "")
        met = a["rps"] >= 1.5 * b["rps"] and a["p99_ms"] <= b["p99_ms"]
        errs = ""
        if a["errors"] or b["errors"]:
            errs = f"  (errors {g} {a['errors']}, {n} {b['errors']})"
        out.append(f"{size_name(row['size']):>8} {row['conns']:>5} | {a['rps']:>13.0f} "
                   f"{a['p99_ms']:>7.2f} | {b['rps']:>12.0f} {b['p99_ms']:>7.2f} | "
                   f"{ratio(a['rps'], b['rps']):>11} {ratio(a['p99_ms'], b['p99_ms']):>9} | "
                   f"{'met' if met else 'NOT met':<7}{tail}{errs}")
    out.append(f"  ratios are {g}/{n}; target: req/s ratio >= 1.5 and p99 ratio <= 1.0")
    if ceil:
        out.append(f"  {ceil}: nginx serving the same body as a plain file (no proxy, no cache "
                   f"lookup), the fastest answer this machine gives wrk; where {n} x 1.5 "
                   f"exceeds it, the target is out of reach for any server")
    probes = h.get("probes") or []
    if probes:
        out.append("  1-connection probe (wrk -t1 -c1, one run; p50 / p99 ms, req/s):")
        for size in sorted({p["size"] for p in probes}):
            cells = []
            for name in names:
                p = next((p for p in probes if p["size"] == size and p["target"] == name), None)
                if p:
                    cells.append(f"{name} {p['p50_ms']:.3f} / {p['p99_ms']:.3f} ms, "
                                 f"{p['rps']:.0f} req/s")
            out.append(f"    {size_name(size):>8}: " + "   ".join(cells))
    d = h.get("ghpool_cache_delta") or {}
    if d:
        out.append("  ghpool cache during the runs: " +
                   ", ".join(f"{k} {v}" for k, v in d.items()))
    for p in h.get("problems", []):
        out.append(f"  PROBLEM: {p}")
    return out


def miss_table(m: dict) -> list[str]:
    out = [f"Miss path: every request a distinct key ({size_name(m['size'])} bodies), "
           f"ghpool vs the same requests straight to the fake; wrk, {m['duration_s']} s per "
           f"run, {m['reps']} interleaved run(s) per cell, median shown",
           f"{'cell':>11} | {'ghpool req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | "
           f"{'direct req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | {'req/s ratio':>11} "
           f"{'+p50 ms':>8} {'+p99 ms':>8}",
           "-" * 104]
    for row in m["summary"]:
        g, d = row.get("ghpool"), row.get("direct")
        if not g or not d:
            continue
        errs = ""
        if g["errors"] or d["errors"]:
            errs = f"  (errors ghpool {g['errors']}, direct {d['errors']})"
        out.append(f"{row['cell']:>11} | {g['rps']:>12.0f} {g['p50_ms']:>7.2f} "
                   f"{g['p99_ms']:>7.2f} | {d['rps']:>12.0f} {d['p50_ms']:>7.2f} "
                   f"{d['p99_ms']:>7.2f} | {ratio(g['rps'], d['rps']):>11} "
                   f"{g['p50_ms'] - d['p50_ms']:>+8.2f} {g['p99_ms'] - d['p99_ms']:>+8.2f}{errs}")
    out.append("  req/s ratio = ghpool / direct (1.00x: no throughput lost); +p50 / +p99 = "
               "ghpool's minus direct's: the latency a miss adds")
    if m.get("rate"):
        out.append(f"  paced: a random pause before each request, about {m['rate']} req/s offered "
                   f"in all, well under the fake's capacity: compare latencies, not req/s; "
                   f"the p99s to compare (same rate on both sides)")
    out.append("  unpaced p99s: wrk's coordinated-omission correction weighs each stall by the "
               "run's rate, so the faster side's p99 is inflated more (README: Caveats)")
    d = m.get("ghpool_cache_delta") or {}
    if d:
        out.append("  ghpool cache during the runs: " + ", ".join(f"{k} {v}" for k, v in d.items()))
    for p in m.get("problems", []):
        out.append(f"  PROBLEM: {p}")
    return out


def coalesce_table(c: dict) -> list[str]:
    out = [f"Coalescing: N identical concurrent GETs of one cold key, upstream delayed "
           f"{c['delay_ms']} ms; {c['rounds']} round(s) per N, a fresh key each",
           f"{'N':>5} | {'ghpool upstream':>15} {'median':>6} {'max':>4} {'per N':>6} | "
           f"{'direct upstream':>15} | {'ratio':>7} | {'ghpool p50/max ms':>17} "
           f"{'direct p50/max ms':>17}",
           "-" * 104]
    for row in c["summary"]:
        g, d = row.get("ghpool"), row.get("direct")
        if not g or not d:
            continue
        n = row["n"]
        ups = ",".join(str(u) for u in g["upstream"])
        out.append(f"{n:>5} | {ups:>15} {g['upstream_median']:>6g} {g['upstream_max']:>4} "
                   f"{g['upstream_median'] / n:>6.3f} | {d['upstream_median']:>15g} | "
                   f"{ratio(d['upstream_median'], g['upstream_median']):>7} | "
                   f"{g['p50_ms']:>8.0f}/{g['max_ms']:<8.0f} {d['p50_ms']:>8.0f}/{d['max_ms']:<8.0f}")
    out.append("  upstream = requests for the key the fake received (ghpool: every round); "
               "per N = ghpool median / N (ideal 1/N); ratio = direct / ghpool (ideal N)")
    outcomes: dict[str, int] = {}
    for row in c["summary"]:
        for k, v in (row.get("ghpool") or {}).get("outcomes", {}).items():
            outcomes[k] = outcomes.get(k, 0) + v
    if outcomes:
        out.append("  ghpool's X-Ghpool-Cache answers: " +
                   ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    for p in c.get("problems", []):
        out.append(f"  PROBLEM: {p}")
    return out


def memory_table(mems: list[dict]) -> list[str]:
    out = ["Memory: ghpool's VmRSS after filling its cache with distinct entries, against the "
           "same process with an (almost) empty cache",
           f"{'body':>6} {'entries':>7} | {'RSS MiB':>7} {'base MiB':>8} {'start MiB':>9} | "
           f"{'RSS B/entry':>11} {'beyond body':>11} | {'cache B/entry':>13} "
           f"{'cache/RSS':>9} | {'anon MiB':>8} {'fill s':>6}",
           "-" * 110]
    for m in sorted(mems, key=lambda m: m["size"]):
        rd = m["readings"]
        start = next((r for r in rd if r["label"] == "start"), None)
        base = next((r for r in rd if r["label"] == "base"), None)
        for r in rd:
            if "n" not in r:
                continue
            cb = r["cache_bytes_over_rss"]
            filled = f"{r['filled']}{'*' if r.get('stopped') else ''}"
            out.append(f"{size_name(m['size']):>6} {filled:>7} | {r['rss_kib'] / 1024:>7.1f} "
                       f"{base['rss_kib'] / 1024:>8.1f} {start['rss_kib'] / 1024:>9.1f} | "
                       f"{r['rss_per_entry']:>11.0f} {r['overhead_per_entry']:>11.0f} | "
                       f"{r['cache_bytes_per_entry']:>13.0f} "
                       f"{(f'{cb:.2f}' if cb is not None else 'n/a'):>9} | "
                       f"{(r['anon_kib'] or 0) / 1024:>8.1f} {r['fill_secs']:>6.0f}")
    out.append("  base = after start-up and a warm-up of a few hundred misses (start: before "
               "it); per entry = (RSS - base) / new entries")
    out.append("  beyond body = per entry minus the body bytes; cache/RSS = growth of the "
               "cache's own byte count (/stats cache.bytes) / RSS growth")
    if any(r.get("stopped") for m in mems for r in m["readings"]):
        out.append("  * the fill stopped at its time bound (BENCH_MEM_MAX_SECS) before the "
                   "checkpoint: fewer entries than asked")
    for m in mems:
        for p in m.get("problems", []):
            out.append(f"  PROBLEM: {p}")
    return out


def budget_table(on: dict | None, off: dict | None) -> list[str]:
    rows = [r for r in (on, off) if r]
    if not rows:
        return []
    r0 = rows[0]
    out = [f"Budget: {r0['agents']} agents x {r0['rounds']} rounds x {r0['paths']} paths, "
           f"changer through the fake's control API",
           f"{'phase':>16} | {'client req':>10} {'upstream':>8} {'304s':>5} {'units':>6} "
           f"{'units/1000':>10} | {'changes':>7} {'floor':>5} | {'converged':>9} {'p99 ms':>7}",
           "-" * 96]
    for r in rows:
        name = {"on": "revalidation on", "off": "cache off"}.get(r["label"], r["label"])
        out.append(f"{name:>16} | {r['client_requests']:>10} {r['upstream_requests']:>8} "
                   f"{r['upstream_not_modified']:>5} {r['units']:>6} {r['units_per_1000']:>10} | "
                   f"{r['changes']:>7} {r['floor_units']:>5} | "
                   f"{r['converged']:>4}/{r['paths']:<4} {r['client_p99_ms']:>7}")
    if on and off:
        out.append(f"  units per 1000 requests, cache off / on: "
                   f"{ratio(off['units_per_1000'], on['units_per_1000'])}")
    if on:
        out.append(f"  revalidation on: units / real changes = {ratio(on['units'], on['changes'])}; "
                   f"units / floor = {ratio(on['units'], on['floor_units'])} "
                   f"(floor = {on['paths']} cold fills + 2 polled resources per change)")
    for r in rows:
        bad = {k: v for k, v in r["client_statuses"].items() if k != "200"}
        if bad or r["client_errors"] or r["stale_paths"] or r["upstream_errors"]:
            out.append(f"  PROBLEM [{r['label']}]: non-200 {bad}, upstream errors "
                       f"{r['upstream_errors']}, stale after settle {r['stale_paths']}, "
                       f"first errors {r['client_errors'][:3]}")
    return out


def redis_table(r: dict) -> list[str]:
    c = r["cells"]
    rows = [("read, L2 hit (other replica's fetch)", "l2_hit", "l1_hit", "its L1 hit"),
            ("read, miss with Redis", "miss_redis", "miss_memory", "memory miss"),
            ("write with Redis (waits for version)", "write_redis", "write_memory",
             "memory write")]
    out = [f"Redis scale-out: {r['keys']} keys of {size_name(r['size'])}, {r['writes']} writes, "
           f"sequential (latency per request)",
           f"{'cell':>38} | {'p50 ms':>7} {'p99 ms':>7} | {'baseline':>12} {'p50 ms':>7} "
           f"{'p99 ms':>7} | {'p50 diff':>8}",
           "-" * 96]
    for name, k, base, bname in rows:
        a, b = c[k], c[base]
        out.append(f"{name:>38} | {a['p50']:>7.3f} {a['p99']:>7.3f} | {bname:>12} "
                   f"{b['p50']:>7.3f} {b['p99']:>7.3f} | {a['p50'] - b['p50']:>+8.3f}")
    out.append(f"  an L2 hit costs {ratio(c['l2_hit']['p50'], c['l1_hit']['p50'])} an L1 hit "
               f"and {ratio(c['l2_hit']['p50'], c['miss_memory']['p50'])} a miss to the "
               f"(loopback) fake at p50")
    return out


def main(argv: list[str]) -> int:
    hit = on = off = miss = coal = red = None
    mems = []
    for p in argv:
        d = load(p)
        if d is None:
            continue
        if d.get("kind") == "hit":
            hit = d
        elif d.get("kind") == "miss":
            miss = d
        elif d.get("kind") == "coalesce":
            coal = d
        elif d.get("kind") == "memory":
            mems.append(d)
        elif d.get("kind") == "redis":
            red = d
        elif d.get("label") == "on":
            on = d
        elif d.get("label") == "off":
            off = d
    lines = ["", "=" * 96, "ghpool benchmark summary", "=" * 96]
    if hit:
        lines += hit_table(hit) + [""]
    if miss:
        lines += miss_table(miss) + [""]
    if coal:
        lines += coalesce_table(coal) + [""]
    if mems:
        lines += memory_table(mems) + [""]
    if on or off:
        lines += budget_table(on, off)
    if red:
        lines += [""] + redis_table(red)
    lines.append("=" * 96)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
