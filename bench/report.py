"""Prints the summary table from the JSON files hit.py and agents.py wrote.

python3 bench/report.py [hit.json] [budget-on.json] [budget-off.json]  (missing files are skipped)
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


def main(argv: list[str]) -> int:
    hit = on = off = None
    for p in argv:
        d = load(p)
        if d is None:
            continue
        if d.get("kind") == "hit":
            hit = d
        elif d.get("label") == "on":
            on = d
        elif d.get("label") == "off":
            off = d
    lines = ["", "=" * 96, "ghpool benchmark summary", "=" * 96]
    if hit:
        lines += hit_table(hit) + [""]
    if on or off:
        lines += budget_table(on, off)
    lines.append("=" * 96)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
