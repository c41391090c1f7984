-- wrk script: one machine-readable line at the end of a run.
-- Latencies are wrk's (microseconds, coordinated-omission uncorrected).
local hdr = os.getenv("BENCH_WRK_HEADER")
if hdr and hdr ~= "" then
  local k, v = hdr:match("^([^:]+):%s*(.*)$")
  if k then wrk.headers[k] = v end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"bytes":%d,"rps":%.1f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, secs, summary.bytes, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
