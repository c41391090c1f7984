-- wrk script: one machine-readable line at the end of a run.
-- Latencies are wrk's, in microseconds, as wrk 4 hands them to done(): already
-- corrected for coordinated omission (wrk's stats_correct: every sample
-- longer than twice the run's mean interval per connection adds samples at
-- that interval below it, as if requests had kept coming at the mean rate).
--
-- Environment (all optional):
--   BENCH_WRK_HEADER   one "Name: value" header added to every request
--   BENCH_WRK_HEADERS  several, one per line
--   BENCH_WRK_UNIQUE   a tag: every request gets its own query parameter
--                      u=<tag>-<thread>-<n>, so no two requests of a run (or
--                      of runs with different tags) share a URL: each one is
--                      a cache miss.
--   BENCH_WRK_DELAY_MS  pacing: before each request a connection waits a
--                      random time, exponentially distributed with this mean
--                      (ms), so c connections offer about c * 1000 / mean
--                      requests per second in Poisson-like arrivals instead
--                      of as fast as answers come. wrk's latency clock
--                      starts when the request is written, after the wait.
local function add_header(line)
  local k, v = line:match("^%s*([^:]+):%s*(.-)%s*$")
  if k then wrk.headers[k] = v end
end
add_header(os.getenv("BENCH_WRK_HEADER") or "")
for line in (os.getenv("BENCH_WRK_HEADERS") or ""):gmatch("[^\n]+") do
  add_header(line)
end

-- Each thread's number, as the global tid in its own Lua state.
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local unique = os.getenv("BENCH_WRK_UNIQUE")
if unique and unique ~= "" then
  local n = 0
  function request()
    n = n + 1
    local sep = wrk.path:find("?", 1, true) and "&" or "?"
    return wrk.format(nil, string.format("%s%su=%s-%d-%d", wrk.path, sep, unique,
                                         tid or 0, n))
  end
end

local pace = tonumber(os.getenv("BENCH_WRK_DELAY_MS") or "")
if pace and pace > 0 then
  function init(args)
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + math.floor(os.clock() * 1e6))
  end

  function delay()
    return math.floor(-math.log(1 - math.random()) * pace + 0.5)
  end
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
