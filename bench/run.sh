#!/usr/bin/env bash
# On-demand benchmarks for ghpool (never part of `make test`).
#
#   bash bench/run.sh [all|hit|miss|coalesce|memory|budget|redis]   (default: all)
#
# hit       cache-hit throughput and p99 with wrk: ghpool vs nginx proxy_cache,
#           2 KiB and 100 KiB bodies, 64 and 256 connections, interleaved runs
# miss      miss-path overhead: every request a distinct key, through ghpool
#           vs the same requests straight to the fake (1 connection, 8 paced,
#           8 flat out); added p50/p99 latency and req/s ratio
# coalesce  N identical concurrent misses for one cold key while the fake
#           delays its answer: upstream requests through ghpool vs direct (N)
# memory    ghpool's VmRSS with 10k and 100k cached entries of 1 KiB and
#           4 KiB vs the same process with an empty cache
# budget    rate-limit units per 1,000 client requests for a replayed agent
#           workload, revalidation on (TTL 1 s) vs cache off (max_entries = 0)
# redis     two replicas on one redis-server vs one memory-backend ghpool:
#           a second replica's read served from Redis vs its L1 hit, a miss
#           (MGET, lock, fetch, put) and a write (its answer waits for the new
#           group version) vs the memory backend's; per-request latency
#
# Knobs (environment): BENCH_DURATION (5) BENCH_WARMUP (2) BENCH_REPS (3)
# BENCH_SIZES (2048,102400) BENCH_CONNS (64,256) BENCH_MISS_CONNS (1,8)
# BENCH_MISS_RATE (500) BENCH_MISS_SIZE (2048) BENCH_COALESCE_N (50,200)
# BENCH_COALESCE_ROUNDS (5) BENCH_COALESCE_DELAY_MS (500)
# BENCH_MEM_SIZES (1024,4096) BENCH_MEM_ENTRIES (10000,100000)
# BENCH_MEM_CONNS (4) BENCH_MEM_MAX_SECS (150, per size) BENCH_AGENTS (8)
# BENCH_ROUNDS (40) BENCH_CHANGES (12) BENCH_REDIS_KEYS (2000)
# BENCH_REDIS_WRITES (500) BENCH_BUILD (build-release)
# BENCH_KEEP=1 keeps the run directory (configs, logs, JSON results);
# BENCH_OUT=DIR copies the JSON results and summary there.
# Everything listens on and talks to 127.0.0.1 only.
set -euo pipefail

NAME=${1:-all}
case "$NAME" in
all | hit | miss | coalesce | memory | budget | redis) ;;
-h | --help)
	sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: bash bench/run.sh [all|hit|miss|coalesce|memory|budget|redis]" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1   # nothing written under tests/
BUILD=${BENCH_BUILD:-build-release}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-2}
REPS=${BENCH_REPS:-3}
SIZES=${BENCH_SIZES:-2048,102400}
CONNS=${BENCH_CONNS:-64,256}
AGENTS=${BENCH_AGENTS:-8}
ROUNDS=${BENCH_ROUNDS:-40}
CHANGES=${BENCH_CHANGES:-12}
REDIS_KEYS=${BENCH_REDIS_KEYS:-2000}
REDIS_WRITES=${BENCH_REDIS_WRITES:-500}
MISS_CONNS=${BENCH_MISS_CONNS:-1,8}
MISS_RATE=${BENCH_MISS_RATE:-500}
MISS_SIZE=${BENCH_MISS_SIZE:-2048}
COALESCE_N=${BENCH_COALESCE_N:-50,200}
COALESCE_ROUNDS=${BENCH_COALESCE_ROUNDS:-5}
COALESCE_DELAY_MS=${BENCH_COALESCE_DELAY_MS:-500}
MEM_SIZES=${BENCH_MEM_SIZES:-1024,4096}
MEM_ENTRIES=${BENCH_MEM_ENTRIES:-10000,100000}
MEM_CONNS=${BENCH_MEM_CONNS:-4}
MEM_MAX_SECS=${BENCH_MEM_MAX_SECS:-150}

say() { printf '== %s\n' "$*"; }

# ---------------------------------------------------------------- tools
install_missing() {
	local missing=() nginx_pkg=""
	command -v python3 >/dev/null 2>&1 || missing+=(python3)
	case "$NAME" in
	all | hit | miss) command -v wrk >/dev/null 2>&1 || missing+=(wrk) ;;
	esac
	case "$NAME" in
	all | hit)
		command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || nginx_pkg=nginx-light
		;;
	esac
	case "$NAME" in
	all | memory) command -v curl >/dev/null 2>&1 || missing+=(curl) ;;
	esac
	case "$NAME" in
	all | redis) command -v redis-server >/dev/null 2>&1 || missing+=(redis-server) ;;
	esac
	[ -n "$nginx_pkg" ] && missing+=("$nginx_pkg")
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench needs: ${missing[*]} (run as root, or: apt-get install -y ${missing[*]})" >&2
		exit 1
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -qq
		if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
			# nginx-light is gone from newer releases: plain nginx has proxy_cache too.
			local alt=("${missing[@]/nginx-light/nginx}")
			apt-get install -y -qq --no-install-recommends "${alt[@]}" >/dev/null
		fi
	fi
}
install_missing
PATH=$PATH:/usr/sbin
./scripts/install-deps.sh

# ---------------------------------------------------------------- build
# BENCH_BUILD is relative to the repository, or absolute: a build directory
# set up elsewhere (say, of a git worktree at another commit) is rebuilt
# from its own sources, and only its ghpool is used.
case "$BUILD" in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
if [ ! -f "$BUILD/build.ninja" ]; then
	say "meson setup $BUILD --buildtype=release"
	meson setup "$BUILD" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" >/dev/null
GHPOOL_BIN=$BUILD/ghpool
say "ghpool: $("$GHPOOL_BIN" --version 2>&1 | head -1) ($BUILD)"

# ---------------------------------------------------------------- processes
RUN=$(mktemp -d /tmp/ghpool-bench.XXXXXX)
chmod 755 "$RUN"
declare -A PID_OF=()
STATUS_NOTES=()

stop_proc() { # name: TERM, wait up to 10 s, then KILL; records the exit status
	local name=$1 pid=${PID_OF[$1]:-} rc=0 i
	[ -n "$pid" ] || return 0
	unset "PID_OF[$name]"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			STATUS_NOTES+=("$name (pid $pid) ignored SIGTERM for 10 s: killed")
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		STATUS_NOTES+=("$name (pid $pid) exited with status $rc")
	fi
}

cleanup() {
	local name
	trap - EXIT INT TERM
	for name in "${!PID_OF[@]}"; do
		stop_proc "$name"
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # url pid-name: up to 15 s for a 200
	"$PY" - "$1" "${PID_OF[$2]}" <<'EOF'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
end = time.monotonic() + 15
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"process {pid} exited before {url} answered")
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.1)
sys.exit(f"{url} did not answer within 15 s")
EOF
}

FAKE_PORT=$(free_port)
FAKE=http://127.0.0.1:$FAKE_PORT
"$PY" bench/fake_bench.py --port "$FAKE_PORT" \
	--token tok_alice=alice-gh --token tok_bob=bob-gh --token tok_carol=carol-gh \
	--token tok_nginx=nginx-gh --token tok_writer=writer-gh >"$RUN/fake.log" 2>&1 &
PID_OF[fake]=$!
wait_http "$FAKE/_fake/faults" fake
say "fake GitHub (bench extension) on $FAKE"

ghpool_config() { # file port cache-section [identity ids, default "alice bob carol"]
	local id ids=${4:-alice bob carol}
	cat >"$1" <<EOF
port = $2
listen = "127.0.0.1"
upstream_url = "$FAKE"
workers = 2
upstream_timeout_secs = 10
allowed_owners = ["*"]

[pool]
reserve = 50

[cache]
$3
EOF
	for id in $ids; do
		printf '\n[[identities]]\nid = "%s"\ntoken = "tok_%s"\n' "$id" "$id" >>"$1"
	done
}

start_ghpool() { # name cache-section [identity ids] -> sets GHPOOL_URL
	local name=$1 port
	port=$(free_port)
	ghpool_config "$RUN/$name.toml" "$port" "$2" "${3:-}"
	"$GHPOOL_BIN" --config "$RUN/$name.toml" 2>"$RUN/$name.log" &
	PID_OF[$name]=$!
	GHPOOL_URL=http://127.0.0.1:$port
	wait_http "$GHPOOL_URL/healthz" "$name"
	say "$name on $GHPOOL_URL (pid ${PID_OF[$name]})"
}

fake_fresh() { # reset the fake (data, budgets, log, faults); [big]: budgets no run can spend
	"$PY" - "$FAKE" "${1:-}" <<'EOF'
import json, sys, urllib.request
fake, big = sys.argv[1], sys.argv[2] == "big"
def post(path, body):
    req = urllib.request.Request(fake + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()
post("/_fake/reset", {})
if big:  # miss and memory send ~10^5 counted reads per token, coalesce N per burst
    for tok in ("tok_alice", "tok_bob", "tok_carol"):
        post("/_fake/budget", {"token": tok, "bucket": "core",
                               "limit": 100000000, "remaining": 100000000})
EOF
}

log_summary() { # name: access-log outcomes and status codes, warnings and errors
	local f=$RUN/$1.log
	[ -f "$f" ] || return 0
	echo "   $1 log: $(wc -l <"$f") lines; outcome/status counts: $(awk '
		$3 == "access" {
			o = "?"; s = "?"
			for (i = 4; i <= NF; i++) {
				if ($i ~ /^status=/) s = substr($i, 8)
				else if ($i ~ /^outcome=/) o = substr($i, 9)
			}
			n[o "/" s]++
		}
		END { for (k in n) printf "%s=%d ", k, n[k] }' "$f")"
	grep -E '^[^ ]+ (WARN|ERROR|FATAL)' "$f" | cut -d' ' -f2- | sed 's/[0-9]\{1,\}/N/g' |
		sort | uniq -c | sort -rn | head -5 | sed 's/^/   /' || true
}

# ---------------------------------------------------------------- hit
run_hit() {
	local nginx_port nginx_dir static_port
	start_ghpool ghpool-hit "max_entries = 10000"
	local gh_url=$GHPOOL_URL

	nginx_port=$(free_port)
	static_port=$(free_port)
	nginx_dir=$RUN/nginx
	mkdir -p "$nginx_dir/cache" "$nginx_dir/tmp" "$nginx_dir/logs" "$nginx_dir/static"
	chmod 777 "$nginx_dir/cache" "$nginx_dir/tmp" "$nginx_dir/logs"
	local size
	for size in ${SIZES//,/ }; do
		"$PY" - "$FAKE/repos/bench/r/contents/x?size=$size" "$nginx_dir/static/body-$size.json" <<'PYEOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "token tok_nginx"})
with urllib.request.urlopen(req, timeout=10) as r, open(sys.argv[2], "wb") as f:
    f.write(r.read())
PYEOF
	done
	chmod -R a+rX "$nginx_dir/static"
	cat >"$nginx_dir/nginx.conf" <<EOF
# nginx as a caching proxy in front of the same upstream as ghpool.
worker_processes 2;
daemon off;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/logs/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    # nginx at its best here: with tcp_nopush on, 100 KiB answers stall
    # ~40 ms on loopback (TCP_CORK + delayed ACK); tcp_nodelay is on.
    sendfile on;
    tcp_nopush off;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    client_body_temp_path $nginx_dir/tmp/body;
    proxy_temp_path $nginx_dir/tmp/proxy;
    fastcgi_temp_path $nginx_dir/tmp/fastcgi;
    uwsgi_temp_path $nginx_dir/tmp/uwsgi;
    scgi_temp_path $nginx_dir/tmp/scgi;
    proxy_cache_path $nginx_dir/cache levels=1:2 keys_zone=gh:16m max_size=1g inactive=10m use_temp_path=off;
    upstream fake {
        server 127.0.0.1:$FAKE_PORT;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$nginx_port reuseport backlog=4096;
        location / {
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "token tok_nginx";
            proxy_cache gh;
            proxy_cache_key \$request_uri;
            proxy_cache_valid 200 60s;
            proxy_cache_lock on;
            # The fake (like GitHub) marks authenticated answers private.
            proxy_ignore_headers Cache-Control Expires Set-Cookie;
            add_header X-Cache-Status \$upstream_cache_status;
        }
    }
    # The ceiling: the same bytes as plain files, no proxy, no cache lookup.
    server {
        listen 127.0.0.1:$static_port reuseport backlog=4096;
        default_type "application/json; charset=utf-8";
        location = /repos/bench/r/contents/x {
            root $nginx_dir/static;
            try_files /body-\$arg_size.json =404;
        }
    }
}
EOF
	nginx -t -q -p "$nginx_dir" -e "$nginx_dir/logs/error.log" -c "$nginx_dir/nginx.conf"
	nginx -p "$nginx_dir" -e "$nginx_dir/logs/error.log" -c "$nginx_dir/nginx.conf" &
	PID_OF[nginx]=$!
	wait_http "http://127.0.0.1:$nginx_port/repos/bench/r/contents/x?size=16" nginx
	say "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') proxy_cache on http://127.0.0.1:$nginx_port (pid ${PID_OF[nginx]})"

	say "hit: sizes $SIZES, connections $CONNS, ${DURATION}s x $REPS reps, warm-up ${WARMUP}s"
	local rc=0
	"$PY" bench/hit.py --target "ghpool=$gh_url" --target "nginx=http://127.0.0.1:$nginx_port" \
		--ceiling "static=http://127.0.0.1:$static_port" \
		--sizes "$SIZES" --conns "$CONNS" --duration "$DURATION" --warmup "$WARMUP" \
		--reps "$REPS" --pid "ghpool=${PID_OF[ghpool-hit]}" --pid "nginx=${PID_OF[nginx]}" \
		--ghpool-stats "$gh_url" --out "$RUN/hit.json" || rc=$?
	stop_proc nginx
	stop_proc ghpool-hit
	log_summary ghpool-hit
	if [ -s "$nginx_dir/logs/error.log" ]; then
		echo "   nginx error log: $(wc -l <"$nginx_dir/logs/error.log") lines; first:"
		head -3 "$nginx_dir/logs/error.log" | sed 's/^/   /'
	fi
	return $rc
}

# ---------------------------------------------------------------- miss
run_miss() {
	# One identity, alice: the direct baseline uses the same token.
	fake_fresh big
	start_ghpool ghpool-miss "max_entries = 10000" alice
	say "miss: $MISS_SIZE-byte bodies, connections $MISS_CONNS (+ paced at $MISS_RATE req/s), ${DURATION}s x $REPS reps"
	local rc=0
	"$PY" bench/miss.py --ghpool "$GHPOOL_URL" --fake "$FAKE" --token tok_alice \
		--size "$MISS_SIZE" --conns "$MISS_CONNS" --rate "$MISS_RATE" \
		--duration "$DURATION" --warmup "$WARMUP" --reps "$REPS" \
		--pid "ghpool=${PID_OF[ghpool-miss]}" --pid "fake=${PID_OF[fake]}" \
		--out "$RUN/miss.json" || rc=$?
	stop_proc ghpool-miss
	log_summary ghpool-miss
	return $rc
}

# ---------------------------------------------------------------- coalesce
run_coalesce() {
	fake_fresh big
	start_ghpool ghpool-coalesce "max_entries = 10000"
	say "coalesce: N = $COALESCE_N, $COALESCE_ROUNDS rounds each, upstream delay $COALESCE_DELAY_MS ms"
	local rc=0
	"$PY" bench/coalesce.py --ghpool "$GHPOOL_URL" --fake "$FAKE" --token tok_alice \
		--n "$COALESCE_N" --rounds "$COALESCE_ROUNDS" --delay-ms "$COALESCE_DELAY_MS" \
		--pid "ghpool=${PID_OF[ghpool-coalesce]}" --pid "fake=${PID_OF[fake]}" \
		--out "$RUN/coalesce.json" || rc=$?
	stop_proc ghpool-coalesce
	log_summary ghpool-coalesce
	return $rc
}

# ---------------------------------------------------------------- memory
run_memory() {
	local size most max_entries rc=0
	most=$(tr ',' '\n' <<<"$MEM_ENTRIES" | sort -n | tail -1)
	for size in ${MEM_SIZES//,/ }; do
		# Room for every entry (and the warm-up's) with its key and headers:
		# nothing may be evicted.
		max_entries=$((most + 10000))
		fake_fresh big
		start_ghpool "ghpool-mem-$size" "max_entries = $max_entries
max_bytes = $((max_entries * (size + 4096)))
max_entry_bytes = $((size + 65536))"
		say "memory: $size-byte bodies, checkpoints $MEM_ENTRIES entries, $MEM_CONNS connections, at most ${MEM_MAX_SECS}s"
		"$PY" bench/memory.py --ghpool "$GHPOOL_URL" --pid "${PID_OF[ghpool-mem-$size]}" \
			--fake "$FAKE" --size "$size" --entries "$MEM_ENTRIES" --conns "$MEM_CONNS" \
			--max-seconds "$MEM_MAX_SECS" --out "$RUN/memory-$size.json" || rc=$?
		stop_proc "ghpool-mem-$size"
		log_summary "ghpool-mem-$size"
		[ $rc -eq 0 ] || break
	done
	return $rc
}

# ---------------------------------------------------------------- budget
run_budget() {
	local common=(--fake "$FAKE" --agents "$AGENTS" --rounds "$ROUNDS" --interval 0.25
		--changes "$CHANGES" --change-interval 0.5 --quiet 2 --settle 2.5 --max-seconds 120)
	say "budget: $AGENTS agents x $ROUNDS rounds, $CHANGES changes every 0.5 s"
	start_ghpool ghpool-on "max_entries = 10000
pr_view_ttl_secs = 1
issue_list_ttl_secs = 1
run_list_ttl_secs = 1
repo_view_ttl_secs = 1
commit_list_ttl_secs = 1
default_ttl_secs = 1"
	"$PY" bench/agents.py --ghpool "$GHPOOL_URL" --label on --out "$RUN/budget-on.json" "${common[@]}"
	stop_proc ghpool-on
	log_summary ghpool-on

	start_ghpool ghpool-off "max_entries = 0"
	"$PY" bench/agents.py --ghpool "$GHPOOL_URL" --label off --out "$RUN/budget-off.json" "${common[@]}"
	stop_proc ghpool-off
	log_summary ghpool-off
}

# ---------------------------------------------------------------- redis
run_redis() {
	local rport rc=0 a b
	fake_fresh big
	rport=$(free_port)
	redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
		--logfile "$RUN/redis.log" &
	PID_OF[redis]=$!
	for _ in $(seq 50); do
		redis-cli -p "$rport" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	local redis_cache="max_entries = 100000
backend = \"redis\"
redis_url = \"redis://127.0.0.1:$rport/0\""
	start_ghpool ghpool-redis-a "$redis_cache"
	a=$GHPOOL_URL
	start_ghpool ghpool-redis-b "$redis_cache"
	b=$GHPOOL_URL
	start_ghpool ghpool-redis-mem "max_entries = 100000"
	say "redis: $REDIS_KEYS keys of 2 KiB, $REDIS_WRITES writes, sequential, one connection each"
	"$PY" bench/redis.py --a "$a" --b "$b" --memory "$GHPOOL_URL" --fake "$FAKE" \
		--keys "$REDIS_KEYS" --writes "$REDIS_WRITES" --out "$RUN/redis.json" || rc=$?
	stop_proc ghpool-redis-a
	stop_proc ghpool-redis-b
	stop_proc ghpool-redis-mem
	stop_proc redis
	log_summary ghpool-redis-a
	log_summary ghpool-redis-b
	return $rc
}

START=$SECONDS
RC=0
case "$NAME" in
all)
	run_hit || RC=$?
	run_miss || RC=$?
	run_coalesce || RC=$?
	run_memory || RC=$?
	run_budget || RC=$?
	run_redis || RC=$?
	;;
hit) run_hit || RC=$? ;;
miss) run_miss || RC=$? ;;
coalesce) run_coalesce || RC=$? ;;
memory) run_memory || RC=$? ;;
budget) run_budget || RC=$? ;;
redis) run_redis || RC=$? ;;
esac

"$PY" bench/report.py "$RUN/hit.json" "$RUN/miss.json" "$RUN/coalesce.json" \
	"$RUN"/memory-*.json "$RUN/budget-on.json" "$RUN/budget-off.json" "$RUN/redis.json" | tee "$RUN/summary.txt"
for note in "${STATUS_NOTES[@]}"; do
	echo "PROBLEM: $note"
	RC=1
done
echo "total bench time: $((SECONDS - START)) s"
if [ -n "${BENCH_OUT:-}" ]; then
	mkdir -p "$BENCH_OUT"
	cp "$RUN"/*.json "$RUN/summary.txt" "$BENCH_OUT"/ 2>/dev/null || true
	echo "results copied to $BENCH_OUT"
fi
exit $RC
