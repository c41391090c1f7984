"""Scale-out with Redis: what L2 saves a second replica, and what a write pays.

python3 bench/redis.py --a http://127.0.0.1:P --b http://127.0.0.1:Q \
    --memory http://127.0.0.1:R --fake http://127.0.0.1:F --out redis.json

A and B are two ghpool replicas on one Redis ([cache] backend = "redis");
"memory" is one ghpool with the in-process cache only: the baseline. Every
cell is a sequential client on one kept-alive connection, so each number is
one request's latency, not a throughput:

  read, L2 hit      B reads --keys distinct keys that A fetched (each key is
                    an L1 miss on B, served from Redis)
  read, L1 hit      B reads them again (its own memory)
  read, miss        A's first reads (L1 and L2 miss: MGET, lock, fetch, put)
                    vs the memory baseline's first reads of other keys
  write             PATCHes with a client token through A (the answer waits
                    until Redis has the group's new version) vs through the
                    memory baseline

Keys are /repos/bench/r/contents/x?size=S&k=<n>: distinct, S bytes each.
Loopback URLs only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

from hit import loopback_only

WRITE_TOKEN = "tok_writer"   # a client's own token: writes never use the pool's


class Conn:
    """One kept-alive HTTP/1.1 connection; request() returns (status, headers, ms)."""

    def __init__(self, url: str):
        u = urlsplit(url)
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], float]:
        h = {"Accept": "application/vnd.github+json"}
        h.update(headers or {})
        t0 = time.perf_counter()
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        r.read()
        ms = (time.perf_counter() - t0) * 1000
        return r.status, {k.lower(): v for k, v in r.getheaders()}, ms


def summary(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"n": len(s), "p50": statistics.median(s), "p90": s[int(len(s) * 0.9)],
            "p99": s[min(len(s) - 1, int(len(s) * 0.99))]}


def reads(conn: Conn, paths: list[str], want: str) -> list[float]:
    out = []
    for p in paths:
        status, h, ms = conn.request("GET", p)
        got = h.get("x-ghpool-cache", "")
        if status != 200 or got != want:
            sys.exit(f"redis.py: GET {p}: {status} {got}, expected 200 {want}")
        out.append(ms)
    return out


def writes(conn: Conn, n: int) -> list[float]:
    out = []
    for i in range(n):
        body = json.dumps({"title": f"bench write {i}"}).encode()
        status, h, ms = conn.request("PATCH", f"/repos/octo-org/hello/issues/{1 + i % 20}",
                                     body=body, headers={
                                         "Authorization": f"token {WRITE_TOKEN}",
                                         "Content-Type": "application/json"})
        if status != 200 or h.get("x-ghpool-cache") != "BYPASS":
            sys.exit(f"redis.py: PATCH {i}: {status} {h.get('x-ghpool-cache')}")
        out.append(ms)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--memory", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--keys", type=int, default=2000)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--writes", type=int, default=500)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    for u in (args.a, args.b, args.memory, args.fake):
        loopback_only(u)

    path = "/repos/bench/r/contents/x?size=%d&k=%%s%%d" % args.size
    ours = [path % ("r", i) for i in range(args.keys)]
    base = [path % ("m", i) for i in range(args.keys)]
    a, b, mem = Conn(args.a), Conn(args.b), Conn(args.memory)
    # Connections, login look-ups and the first Redis round trips out of the way.
    reads(a, [path % ("w", i) for i in range(20)], "MISS")
    reads(mem, [path % ("w", i) for i in range(20)], "MISS")
    writes(a, 10)
    writes(mem, 10)

    cells = {}
    cells["miss_redis"] = summary(reads(a, ours, "MISS"))
    cells["miss_memory"] = summary(reads(mem, base, "MISS"))
    time.sleep(0.2)   # A's puts are fire and forget: let the last ones land
    cells["l2_hit"] = summary(reads(b, ours, "HIT"))
    cells["l1_hit"] = summary(reads(b, ours, "HIT"))
    w_mem, w_red = [], []
    for half in range(2):   # alternate, so drift hits both alike
        w_mem += writes(mem, args.writes // 2)
        w_red += writes(a, args.writes // 2)
    cells["write_memory"] = summary(w_mem)
    cells["write_redis"] = summary(w_red)
    doc = {"kind": "redis", "keys": args.keys, "size": args.size, "writes": args.writes,
           "cells": cells}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    for name, c in cells.items():
        print(f"   {name:13s} p50 {c['p50']:7.3f} ms  p90 {c['p90']:7.3f} ms  "
              f"p99 {c['p99']:7.3f} ms  (n={c['n']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
