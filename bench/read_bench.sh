#!/usr/bin/env bash
# bench/read_bench.sh — read latency over 1 million stored events.
#
# Starts `sluice serve` on a free loopback port with a temp data dir, loads 1,000,000 events for
# tenant "big" plus 20,000 for each of ten neighbours (read_bench --load-only), prints the data
# dir's size, then times count / stats / session page and the contrast reads (read_bench
# --skip-load) and prints a Markdown table. The server is stopped and the data dir removed on
# exit, whatever happens (trap). Each phase runs under `timeout`.
#
# Usage: bench/read_bench.sh [options]
#       --events N          events for tenant "big"                    (default 1000000)
#       --threads N         loader client threads                      (default 4)
#       --reps N            timed calls per query                      (default 30)
#       --load-timeout S    limit for the load phase, seconds          (default 300)
#       --max-load L        wait until the 1-minute load average is < L (default 1.5)
#       --load-wait S       ...but wait at most this long              (default 120; 0 = don't wait)
#       --no-build          do not run cmake --build
#       --keep              keep the temp dir (server log, data) for inspection
#   -h, --help
# Environment: BUILD_DIR (default build); SLUICE_* variables reach the server as usual.
set -euo pipefail

EVENTS=1000000
THREADS=4
REPS=30
LOAD_TIMEOUT=300
MAX_LOAD=1.5
LOAD_WAIT=120
BUILD=1
KEEP=0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --load-timeout) LOAD_TIMEOUT="$2"; shift 2 ;;
    --max-load) MAX_LOAD="$2"; shift 2 ;;
    --load-wait) LOAD_WAIT="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "read_bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
T0=$SECONDS
say() { echo "[read_bench.sh +$((SECONDS - T0))s] $*" >&2; }

WORK="$(mktemp -d /tmp/sluice-read-bench.XXXXXX)"
SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

if [ "$BUILD" = 1 ]; then
  say "building sluice and read_bench"
  { cmake -S . -B "$BUILD_DIR" && cmake --build "$BUILD_DIR" -j2 --target sluice read_bench; } \
    >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; exit 1; }
fi
SLUICE="$ROOT/$BUILD_DIR/sluice"
BENCH="$ROOT/$BUILD_DIR/read_bench"
if [ ! -x "$SLUICE" ] || [ ! -x "$BENCH" ]; then
  echo "read_bench.sh: binaries missing in $BUILD_DIR" >&2; exit 1
fi

load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
  if [ "$waited" -ge "$LOAD_WAIT" ]; then say "load $(load1) still >= $MAX_LOAD; measuring anyway"; break; fi
  [ "$waited" = 0 ] && say "1-minute load $(load1) >= $MAX_LOAD; waiting (at most ${LOAD_WAIT}s)"
  sleep 5; waited=$((waited + 5))
done

# A loopback port below the ephemeral range that no socket holds in any state.
pick_port() {
  local lo p
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$lo" -gt 12000 ] || lo=32768
  for _ in $(seq 1 50); do
    p=$((11000 + RANDOM % (lo - 11000)))
    ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

TOKEN="read-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DATA="$WORK/data"
PORT=""
for attempt in 1 2 3; do
  PORT=$(pick_port) || { echo "read_bench.sh: no free port" >&2; exit 1; }
  SLUICE_ADMIN_TOKEN="$TOKEN" SLUICE_LOG_LEVEL="${SLUICE_LOG_LEVEL:-warn}" \
    "$SLUICE" serve --listen "127.0.0.1:$PORT" --data "$DATA" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break 2
    sleep 0.1
  done
  say "server did not come up on port $PORT (attempt $attempt)"; tail -5 "$WORK/server.log" >&2
  stop_server; rm -rf "$DATA"
  [ "$attempt" = 3 ] && exit 1
done
say "sluice pid $SERVER_PID on 127.0.0.1:$PORT, data $DATA"

say "loading (at most ${LOAD_TIMEOUT}s)"
timeout "$LOAD_TIMEOUT" "$BENCH" --port "$PORT" --admin-token "$TOKEN" --events "$EVENTS" \
  --threads "$THREADS" --load-only
echo "data dir after loading: $(du -sh "$DATA" | cut -f1)  ($(du -sh --apparent-size "$DATA" | cut -f1) apparent)"

say "timing reads"
timeout 300 "$BENCH" --port "$PORT" --admin-token "$TOKEN" --events "$EVENTS" --reps "$REPS" \
  --skip-load
say "done"
