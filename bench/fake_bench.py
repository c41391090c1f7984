"""The tests' fake GitHub plus what the benchmarks need, without touching tests/.

Run: python3 bench/fake_bench.py --port N --token TOKEN=LOGIN [--token ...]

Adds to tests/fake_github (same auth, rate limits, ETags, request log):

  GET /repos/bench/r/contents/x?size=N   a JSON body of exactly N bytes
                                         (1..1048576), weak ETag, Last-Modified,
                                         x-ratelimit-* headers, counted like
                                         any other read (304s free)
  GET /repos/{o}/{r}/actions/runs        workflow runs of any seeded repo
  GET /repos/{o}/{r}/actions/runs/{id}   one run (ids 1..5)

  POST /_fake/bench/pull  {"repo": "octo-org/hello", "number": 1, "title": ...}
  POST /_fake/bench/run   {"repo": "octo-org/hello", "id": 1,
                           "status": ..., "conclusion": ...}
  GET  /_fake/bench/count[?path=PREFIX]
                           {"requests": n, "counted": n, "not_modified": n,
                            "errors": n} (same log as /_fake/requests, without
                           the bodies; path: only requests whose raw target,
                           query included, starts with PREFIX)

The sized bodies are built once per size and kept (up to 64 sizes), so a run
of distinct URLs of one size costs the fake no body generation.

/_fake/reset also restores the runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from fake_github.standalone import run  # noqa: E402
from fake_github.server import (  # noqa: E402
    BASE_EPOCH, JSON_TYPE, FakeGitHub, Resp, _iso, not_found)

MAX_SIZE = 1 << 20
RUN_IDS = (1, 2, 3, 4, 5)


def fixed_body(size: int) -> bytes:
    """Valid JSON of exactly size bytes (size >= 1)."""
    head = b'{"size":%d,"pad":"' % size
    tail = b'"}\n'
    pad = size - len(head) - len(tail)
    if pad < 0:  # too small for the object: a JSON string/number of that size
        return (b"0" * size) if size < 2 else b'"' + b"x" * (size - 2) + b'"'
    return head + b"x" * pad + tail


class BenchFake(FakeGitHub):
    def _init_state(self) -> None:
        super()._init_state()
        with self._lock:
            self.bench_bodies: dict[int, bytes] = {}
            self.bench_runs: dict[int, dict[int, dict[str, Any]]] = {
                rid: {n: {"id": n, "name": "CI", "run_number": n, "status": "completed",
                          "conclusion": "success", "head_branch": f"feature-{n}",
                          "updated": BASE_EPOCH + n}
                      for n in RUN_IDS}
                for rid in self.data.repos}

    # --- reads -----------------------------------------------------------------

    def _route_get(self, ctx, seg):
        if len(seg) == 5 and seg[:4] == ["repos", "bench", "r", "contents"]:
            try:
                size = int(ctx.q("size", "2048") or "2048")
            except ValueError:
                size = 0
            if not 1 <= size <= MAX_SIZE:
                return not_found()
            body = self.bench_bodies.get(size)
            if body is None:
                if len(self.bench_bodies) >= 64:
                    self.bench_bodies.clear()
                body = self.bench_bodies[size] = fixed_body(size)
            return Resp(200, body, JSON_TYPE, cacheable=True, last_modified=BASE_EPOCH)
        return super()._route_get(ctx, seg)

    def _run_json(self, rid: int, run: dict[str, Any]) -> dict[str, Any]:
        full = self._full(rid)
        return {"id": run["id"], "name": run["name"], "run_number": run["run_number"],
                "status": run["status"], "conclusion": run["conclusion"],
                "head_branch": run["head_branch"],
                "url": f"{self.url}/repos/{full}/actions/runs/{run['id']}",
                "updated_at": _iso(run["updated"])}

    def _get_repo_sub(self, ctx, rid, rest):
        if rest[:2] == ["actions", "runs"]:
            runs = self.bench_runs[rid]
            if len(rest) == 2:
                items = [self._run_json(rid, r) for _, r in sorted(runs.items(), reverse=True)]
                return Resp.json(200, {"total_count": len(items), "workflow_runs": items},
                                 cacheable=True, last_modified=self.data.updated[rid])
            if len(rest) == 3 and rest[2].isdigit() and int(rest[2]) in runs:
                run = runs[int(rest[2])]
                return Resp.json(200, self._run_json(rid, run), cacheable=True,
                                 last_modified=run["updated"])
            return not_found()
        return super()._get_repo_sub(ctx, rid, rest)

    # --- control -----------------------------------------------------------------

    def _control(self, method, raw, headers, body):
        path, _, query = raw.partition("?")
        if path.startswith("/_fake/bench/"):
            import json
            try:
                payload = json.loads(body.decode()) if body.strip() else {}
                return self._bench_control(method, path, payload,
                                           dict(parse_qsl(query, keep_blank_values=True)))
            except (KeyError, TypeError, ValueError) as e:
                return Resp.json(400, {"message": f"bad control request: {e!r}"})
        return super()._control(method, raw, headers, body)

    def _bench_control(self, method: str, path: str, p: dict[str, Any],
                       q: dict[str, str]) -> Resp:
        if path == "/_fake/bench/count" and method == "GET":
            prefix = q.get("path")
            with self._lock:
                recs = [r for r in self.log if prefix is None or r.path.startswith(prefix)]
            return Resp.json(200, {
                "requests": len(recs),
                "counted": sum(1 for r in recs if r.counted),
                "not_modified": sum(1 for r in recs if r.status == 304),
                "errors": sum(1 for r in recs if r.status is None or r.status >= 500)})
        if path == "/_fake/bench/pull" and method == "POST":
            with self._lock:
                rid = self._repo_id(p["repo"])
                pr = self.data.pulls[rid][int(p["number"])]
                pr["title"] = str(p["title"])
                self.data.touch(rid)
                return Resp.json(200, self._pull_json(rid, pr))
        if path == "/_fake/bench/run" and method == "POST":
            with self._lock:
                rid = self._repo_id(p["repo"])
                run = self.bench_runs[rid][int(p["id"])]
                run["status"] = str(p.get("status", run["status"]))
                run["conclusion"] = p.get("conclusion", run["conclusion"])
                run["updated"] = self.data.touch(rid)
                return Resp.json(200, self._run_json(rid, run))
        return Resp.json(404, {"message": "unknown bench control endpoint"})


def main(argv=None) -> int:
    return run(BenchFake, argv, prog="fake_bench", doc=__doc__,
               default_tokens={"tok_alice": "alice-gh"})


if __name__ == "__main__":
    sys.exit(main())
