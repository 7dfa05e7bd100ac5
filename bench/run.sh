#!/usr/bin/env bash
# bench/run.sh — Sluice ingestion throughput against this machine's bare HTTP ceiling.
#
# Builds `sluice` and `bare_server`, starts both on free loopback ports (temp data dir), creates a
# tenant with an effectively unlimited rate limit, runs each scenario with wrk and prints a Markdown
# table plus the ratio  sluice durable single-event req/s ÷ bare-server req/s.
# Everything it starts is stopped on exit (trap); loopback only; bounded in time.
#
# Usage: bench/run.sh [options]
#   -d, --duration SECS     seconds per wrk run                       (default 10)
#   -c, --connections LIST  connection counts, space/comma separated   (default "64 256")
#       --batch-connections LIST  the same for the two batch scenarios (default "64 128": at 256
#                           connections x 100 events Sluice's max_inflight_per_tenant of 20000
#                           answers part of the batches 429 too_many_in_flight, by design)
#   -t, --threads N         wrk threads                                (default 1)
#   -s, --scenarios LIST    any of: bare-single bare-batch sluice-single sluice-received sluice-batch
#                           (default: all five)
#       --io-threads N      SLUICE_IO_THREADS for sluice                (default: sluice's own, 1)
#       --shards N          SLUICE_SHARDS for sluice                    (default: sluice's own, 2)
#       --bare-threads N    io threads of bare_server                   (default 1)
#       --batch N           events per batch request                    (default 100)
#   -r, --repeat N          rounds; each round runs every scenario once, bare and sluice
#                           interleaved, and the table keeps each row's best round (default 1;
#                           use 2-3 on a box where other work comes and goes)
#       --warmup SECS       unrecorded warm-up run per server           (default 2)
#       --max-load L        wait until the 1-minute load average is < L (default 1.0)
#       --load-wait SECS    ...but wait at most this long               (default 90; 0 = don't wait)
#       --nice N            run servers and wrk under `nice -n N` (negative needs root). With the
#                           kernel's autogroup scheduling, nice only counts inside a session, so
#                           run.sh then re-executes itself in a session of its own (setsid) and
#                           gives that session's autogroup the same nice value: on a box shared
#                           with other sessions' compiles, -10 keeps them from halving the CPU the
#                           benchmark gets. Only processes started by run.sh are affected.
#       --budget SECS       skip remaining runs once measuring has taken this long (default 270;
#                           one round takes ~1 min 45 s; build and load wait come on top)
#       --no-build          do not run cmake --build
#       --keep              keep the temp dir (logs, LMDB data) for inspection
#   -h, --help
# Environment: BUILD_DIR (default build); BENCH_SLUICE_BIN (another sluice binary, for A/B runs).
# Any SLUICE_* variables are passed to sluice as usual.
#
# Results: the table on stdout; raw wrk output and server logs in the temp dir (printed with --keep).
# A row whose "errors" column is not 0 is void: it counts non-2xx answers, wrk socket errors,
# duplicate answers (event ids are unique, so there must be none) and rejected batch events.
set -euo pipefail

DURATION=10
CONNECTIONS="64 256"
BATCH_CONNECTIONS="64 128"
WRK_THREADS=1
SCENARIOS="bare-single bare-batch sluice-single sluice-received sluice-batch"
IO_THREADS=""
SHARDS=""
BARE_THREADS=1
BATCH=100
WARMUP=2
REPEAT=1
MAX_LOAD=1.0
LOAD_WAIT=90
BUDGET=270
NICE=0
BUILD=1
KEEP=0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    -d|--duration) DURATION="$2"; shift 2 ;;
    -c|--connections) CONNECTIONS="${2//,/ }"; shift 2 ;;
    --batch-connections) BATCH_CONNECTIONS="${2//,/ }"; shift 2 ;;
    -t|--threads) WRK_THREADS="$2"; shift 2 ;;
    -s|--scenarios) SCENARIOS="${2//,/ }"; shift 2 ;;
    --io-threads) IO_THREADS="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --bare-threads) BARE_THREADS="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    -r|--repeat) REPEAT="$2"; shift 2 ;;
    --max-load) MAX_LOAD="$2"; shift 2 ;;
    --load-wait) LOAD_WAIT="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --nice) NICE="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

for s in $SCENARIOS; do
  case "$s" in bare-single|bare-batch|sluice-single|sluice-received|sluice-batch) ;;
    *) echo "run.sh: unknown scenario $s" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "$NICE" != 0 ] && [ -r /proc/sys/kernel/sched_autogroup_enabled ] &&
   [ "$(cat /proc/sys/kernel/sched_autogroup_enabled)" = 1 ] && command -v setsid >/dev/null; then
  if [ -z "${BENCH_OWN_SESSION:-}" ]; then
    export BENCH_OWN_SESSION=1
    exec setsid --wait bash "$ROOT/bench/run.sh" "${ORIG_ARGS[@]}"
  fi
  if echo "$NICE" >/proc/self/autogroup 2>/dev/null; then
    echo "[run.sh] own session, $(cat /proc/self/autogroup)" >&2
  else
    echo "[run.sh] could not set the autogroup nice to $NICE (not root?)" >&2
  fi
fi
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
START_TS=$SECONDS
log() { echo "[run.sh +$((SECONDS - START_TS))s] $*" >&2; }

command -v wrk >/dev/null || { echo "run.sh: wrk is not installed" >&2; exit 1; }
command -v curl >/dev/null || { echo "run.sh: curl is not installed" >&2; exit 1; }

# ------------------------------------------------------------------------------ cleanup
TMP="$(mktemp -d /tmp/sluice-bench.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -z "$pid" ] && continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------ build
if [ "$BUILD" = 1 ]; then
  targets=$(cmake --build "$BUILD_DIR" --target help 2>/dev/null || true)
  if ! grep -q bare_server <<<"$targets"; then
    log "configuring $BUILD_DIR (bare_server target not known yet)"
    cmake -S . -B "$BUILD_DIR" >/dev/null
  fi
  log "building sluice and bare_server"
  cmake --build "$BUILD_DIR" -j2 --target sluice bare_server >"$TMP/build.log" 2>&1 ||
    { tail -30 "$TMP/build.log" >&2; exit 1; }
fi
SLUICE_BIN="${BENCH_SLUICE_BIN:-$ROOT/$BUILD_DIR/sluice}"
BARE_BIN="$ROOT/$BUILD_DIR/bare_server"
for _ in $(seq 1 30); do  # another build may be relinking them right now
  [ -x "$SLUICE_BIN" ] && [ -x "$BARE_BIN" ] && break
  sleep 2
done
[ -x "$SLUICE_BIN" ] && [ -x "$BARE_BIN" ] || { echo "run.sh: binaries missing in $BUILD_DIR" >&2; exit 1; }
# Run private copies: the build dir is shared, and a relink mid-run must not change what we measure.
cp "$SLUICE_BIN" "$TMP/sluice" && cp "$BARE_BIN" "$TMP/bare_server"
SLUICE_BUILT=$(date -r "$SLUICE_BIN" +%H:%M:%S)
log "measuring $SLUICE_BIN (built $SLUICE_BUILT) and $BARE_BIN"
SLUICE_BIN="$TMP/sluice"
BARE_BIN="$TMP/bare_server"

# ------------------------------------------------------------------------------ helpers
load1() { cut -d' ' -f1 /proc/loadavg; }
wait_for_load() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN{exit !(l >= m)}'; do
    if [ "$waited" -ge "$LOAD_WAIT" ]; then
      log "load $(load1) still >= $MAX_LOAD after ${waited}s; measuring anyway"
      return
    fi
    [ "$waited" = 0 ] && log "1-minute load $(load1) >= $MAX_LOAD; waiting (at most ${LOAD_WAIT}s)"
    sleep 5; waited=$((waited + 5))
  done
}

# A port below the ephemeral range (ip_local_port_range) that no socket uses in any state: a
# listener cannot bind a port that an outgoing connection holds, even with SO_REUSEADDR.
port_in_use() { ss -Htan "sport = :$1" 2>/dev/null | grep -q .; }
free_port() {
  local p lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$lo" -gt 12000 ] || lo=32768
  for _ in $(seq 1 50); do
    p=$((10000 + RANDOM % (lo - 10000)))
    port_in_use "$p" || { echo "$p"; return; }
  done
  echo "run.sh: no free port found" >&2; return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# ------------------------------------------------------------------------------ servers
BARE_PORT="" SLUICE_PORT="" BARE_PID="" SLUICE_PID="" API_KEY=""
ADMIN_TOKEN="bench-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

start_bare() {
  nice -n "$NICE" "$BARE_BIN" --port 0 --threads "$BARE_THREADS" >"$TMP/bare.log" 2>&1 &
  BARE_PID=$!; PIDS+=("$BARE_PID")
  for _ in $(seq 1 100); do
    BARE_PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' "$TMP/bare.log")
    [ -n "$BARE_PORT" ] && break
    kill -0 "$BARE_PID" 2>/dev/null || { cat "$TMP/bare.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$BARE_PORT" ] || { echo "run.sh: bare_server did not start" >&2; exit 1; }
  log "bare_server pid $BARE_PID on 127.0.0.1:$BARE_PORT ($BARE_THREADS io thread(s))"
}

start_sluice() {
  local attempt env=(SLUICE_ADMIN_TOKEN="$ADMIN_TOKEN")
  [ -n "$IO_THREADS" ] && env+=(SLUICE_IO_THREADS="$IO_THREADS")
  [ -n "$SHARDS" ] && env+=(SLUICE_SHARDS="$SHARDS")
  for attempt in 1 2 3 4 5; do
    SLUICE_PORT=$(free_port)
    rm -rf "$TMP/data"
    nice -n "$NICE" env "${env[@]}" "$SLUICE_BIN" serve --listen "127.0.0.1:$SLUICE_PORT" --data "$TMP/data" \
      >"$TMP/sluice.log" 2>&1 &
    SLUICE_PID=$!; PIDS+=("$SLUICE_PID")
    for _ in $(seq 1 200); do
      kill -0 "$SLUICE_PID" 2>/dev/null || break
      if curl -fsS -o /dev/null "http://127.0.0.1:$SLUICE_PORT/healthz" 2>/dev/null; then
        log "sluice pid $SLUICE_PID on 127.0.0.1:$SLUICE_PORT (io_threads=${IO_THREADS:-${SLUICE_IO_THREADS:-default 1}}, shards=${SHARDS:-${SLUICE_SHARDS:-default 2}})"
        return
      fi
      sleep 0.1
    done
    log "sluice did not come up on port $SLUICE_PORT (attempt $attempt):"; tail -5 "$TMP/sluice.log" >&2
    kill -KILL "$SLUICE_PID" 2>/dev/null || true; wait "$SLUICE_PID" 2>/dev/null || true
  done
  exit 1
}

create_tenant() {
  local reply
  reply=$(curl -fsS -X POST "http://127.0.0.1:$SLUICE_PORT/v1/admin/tenants" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"id":"bench","rate_limit":{"events_per_sec":100000000,"burst":100000000}}')
  API_KEY=$(printf '%s' "$reply" | sed -n 's/.*"api_key" *: *"\([^"]*\)".*/\1/p')
  [ -n "$API_KEY" ] || { echo "run.sh: tenant creation failed: $reply" >&2; exit 1; }
  log "tenant bench created"
}

# SIGTERM, then SIGKILL after 5 s (a graceful stop takes ~1 s). The stored-event count is taken
# from LMDB before stopping, so it does not depend on how the stop goes.
stop_sluice() {
  [ -n "$SLUICE_PID" ] || return 0
  kill -TERM "$SLUICE_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SLUICE_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SLUICE_PID" 2>/dev/null; then
    log "sluice still running 5 s after SIGTERM; sending SIGKILL"
    kill -KILL "$SLUICE_PID" 2>/dev/null || true
  fi
  wait "$SLUICE_PID" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$SLUICE_PID" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
  SLUICE_PID=""
}

# ------------------------------------------------------------------------------ runs
ORDER=()          # scenario:conns in the order first run
declare -A ROW    # scenario:conns -> markdown row of the best round
declare -A RPS    # scenario:conns -> req/s of the best round
declare -A EVS    # scenario:conns -> good events/s of the best round
declare -A ERRS   # scenario:conns -> errors summed over all rounds
declare -A ALL    # scenario:conns -> req/s of every round
ACKED_STORED=0    # events wrk saw acknowledged as stored/accepted by sluice (recorded runs + warm-up)
VOID=0

# run_wrk NAME MODE TARGET PORT CONNS SECS RECORD
run_wrk() {
  local name=$1 mode=$2 target=$3 port=$4 conns=$5 secs=$6 record=$7
  local key="$name:$conns" round=${ROUND:-0}
  local out="$TMP/wrk-$name-c$conns-r$round.txt" pid t0 t1 bare=0 threads=$WRK_THREADS
  [ "$target" = bare ] && pid=$BARE_PID bare=1 || pid=$SLUICE_PID
  [ "$threads" -gt "$conns" ] && threads=$conns
  t0=$(cpu_ticks "$pid")
  BENCH_BARE=$bare BENCH_BATCH=$BATCH BENCH_NONCE="$(date +%s%N)-$name-c$conns" \
    timeout $((secs + 60)) nice -n "$NICE" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$ROOT/bench/event_$mode.lua" -H "X-API-Key: $API_KEY" "http://127.0.0.1:$port" \
    >"$out" 2>&1 || { log "wrk failed for $name c=$conns:"; tail -5 "$out" >&2; }
  t1=$(cpu_ticks "$pid")
  local line; line=$(grep '^BENCH_RESULT' "$out" || true)
  if [ -z "$line" ]; then
    log "no result from $name c=$conns"
    [ "$record" = 1 ] || return 0
    VOID=1
    [ -n "${ROW[$key]:-}" ] || { ORDER+=("$key"); ROW[$key]="| $name | $conns | – | – | – | – | run failed | – | – |"; }
    ERRS[$key]=$(( ${ERRS[$key]:-0} + 1 ))
    return 0
  fi
  local requests rps per dur non2xx dup rej sc sr sw st p50 p99
  get() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  requests=$(get requests); rps=$(get rps); per=$(get events_per_req); dur=$(get duration_us)
  non2xx=$(get non2xx); dup=$(get duplicates); rej=$(get rejected)
  sc=$(get sock_connect); sr=$(get sock_read); sw=$(get sock_write); st=$(get sock_timeout)
  p50=$(get p50_us); p99=$(get p99_us)
  local errors=$((non2xx + dup + rej + sc + sr + sw + st))
  local good_events=$(( (requests - non2xx) * per - dup - rej ))
  [ "$target" = sluice ] && ACKED_STORED=$((ACKED_STORED + (requests - non2xx) * per - dup - rej))
  [ "$record" = 1 ] || return 0
  [ "$errors" -gt 0 ] && VOID=1
  local cpu_cores cpu_us err_text="$errors"
  cpu_cores=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v us="$dur" 'BEGIN{printf "%.2f", d / hz / (us / 1e6)}')
  cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" -v per="$per" \
    'BEGIN{ if (n > 0) printf "%.1f", d / hz * 1e6 / (n * per); else print "–" }')
  [ "$errors" -gt 0 ] && err_text="**$errors** (non-2xx $non2xx, dup $dup, rejected $rej, socket $((sc + sr + sw + st)))"
  [ -n "${ROW[$key]:-}" ] || ORDER+=("$key")
  ERRS[$key]=$(( ${ERRS[$key]:-0} + errors ))
  ALL[$key]="${ALL[$key]:-}${ALL[$key]:+ / }$(printf '%.0f' "$rps")"
  log "$name c=$conns: $(printf '%.0f' "$rps") req/s, errors $errors"
  if [ -n "${RPS[$key]:-}" ] && awk -v a="$rps" -v b="${RPS[$key]}" 'BEGIN{exit !(a <= b)}'; then
    return 0  # an earlier round was better
  fi
  RPS[$key]=$rps
  # events/s counts only events acknowledged as stored (accepted for ack=received).
  ROW[$key]="$(awk -v n="$name" -v c="$conns" -v r="$rps" -v ge="$good_events" -v us="$dur" -v p50="$p50" -v p99="$p99" \
      -v e="$err_text" -v cc="$cpu_cores" -v cu="$cpu_us" \
      'BEGIN{printf "| %s | %d | %.0f | %.0f | %.2f ms | %.2f ms | %s | %s | %s |", n, c, r, ge / (us / 1e6), p50 / 1000, p99 / 1000, e, cc, cu}')"
  EVS[$key]=$(awk -v ge="$good_events" -v us="$dur" 'BEGIN{printf "%.1f", ge / (us / 1e6)}')
}

MEASURE_START=$SECONDS
over_budget() { [ $((SECONDS - MEASURE_START)) -ge "$BUDGET" ]; }

want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }

wait_for_load
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before measuring: $LOAD_BEFORE"
MEASURE_START=$SECONDS

SKIPPED=""
run_scenario() {  # run_scenario SCENARIO
  local s=$1 mode=${1#*-} target=${1%%-*} port conns list=$CONNECTIONS
  want "$s" || return 0
  [ "$target" = bare ] && port=$BARE_PORT || port=$SLUICE_PORT
  [ "$mode" = batch ] && list=$BATCH_CONNECTIONS
  for conns in $list; do
    if over_budget; then SKIPPED+=" $s/c$conns/round$ROUND"; continue; fi
    run_wrk "$s" "$mode" "$target" "$port" "$conns" "$DURATION" 1
  done
}

if want bare-single || want bare-batch; then
  start_bare
  [ "$WARMUP" -gt 0 ] && run_wrk warmup-bare single bare "$BARE_PORT" 64 "$WARMUP" 0
fi
if want sluice-single || want sluice-received || want sluice-batch; then
  start_sluice
  create_tenant
  [ "$WARMUP" -gt 0 ] && run_wrk warmup-sluice single sluice "$SLUICE_PORT" 64 "$WARMUP" 0
fi
# Both servers stay up; each round interleaves them so that whatever else the machine does
# hits both alike. An idle server costs next to nothing.
for ROUND in $(seq 1 "$REPEAT"); do
  [ "$REPEAT" -gt 1 ] && log "round $ROUND of $REPEAT"
  for s in bare-single sluice-single sluice-received bare-batch sluice-batch; do run_scenario "$s"; done
done

STORED_CHECK=""
if [ -n "$SLUICE_PID" ]; then
  # Let ack=received events drain, then count what LMDB holds (events DB, all shards; LMDB lets
  # another process read a live environment).
  sleep 2
  if command -v mdb_stat >/dev/null; then
    total=0
    for shard in "$TMP"/data/shard-*; do
      n=$(mdb_stat -s events "$shard" 2>/dev/null | sed -n 's/^ *Entries: *//p')
      total=$((total + ${n:-0}))
    done
    STORED_CHECK="LMDB holds $total events at the end; wrk saw $ACKED_STORED acknowledged (stored/accepted). "
    if [ "$total" -lt "$ACKED_STORED" ]; then
      STORED_CHECK+="**FEWER than acknowledged: acknowledged events are missing.**"; VOID=1
    else
      STORED_CHECK+="OK (the surplus, if any, is requests in flight when wrk stopped)."
    fi
  fi
  stop_sluice
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------ report
echo
echo "### Sluice ingestion benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); wrk -t$WRK_THREADS, ${DURATION}s per run, best of $REPEAT round(s);" \
  "nice $NICE; bare_server io threads $BARE_THREADS; sluice io_threads ${IO_THREADS:-${SLUICE_IO_THREADS:-1}}, shards ${SHARDS:-${SLUICE_SHARDS:-2}};" \
  "batch $BATCH events (connections $BATCH_CONNECTIONS); load average before $LOAD_BEFORE, after $LOAD_AFTER;" \
  "sluice binary built $SLUICE_BUILT; source tree at $(git -C "$ROOT" log -1 --format='%h (committed %cd)' --date=format:%H:%M:%S 2>/dev/null || echo '?')" \
  "with $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) uncommitted paths (a binary older than the commit may not contain it)."
echo
echo "| scenario | conns | requests/s | events/s | p50 | p99 | errors | server CPU (cores) | server CPU µs/event |"
echo "|---|---:|---:|---:|---:|---:|---|---:|---:|"
for k in "${ORDER[@]:-}"; do [ -n "$k" ] && echo "${ROW[$k]}"; done
echo
best_s=0 best_b=0
for conns in $CONNECTIONS; do
  s=${RPS["sluice-single:$conns"]:-}; b=${RPS["bare-single:$conns"]:-}
  [ -n "$s" ] && best_s=$(awk -v a="$s" -v b="$best_s" 'BEGIN{print (a > b) ? a : b}')
  [ -n "$b" ] && best_b=$(awk -v a="$b" -v b="$best_b" 'BEGIN{print (a > b) ? a : b}')
  if [ -n "$s" ] && [ -n "$b" ]; then
    awk -v s="$s" -v b="$b" -v c="$conns" \
      'BEGIN{printf "- ratio at %d connections: sluice durable single %.0f / bare %.0f = **%.1f%%**\n", c, s, b, 100 * s / b}'
  fi
done
if awk -v s="$best_s" -v b="$best_b" 'BEGIN{exit !(s > 0 && b > 0)}'; then
  awk -v s="$best_s" -v b="$best_b" \
    'BEGIN{printf "- ratio best vs best: %.0f / %.0f = **%.1f%%** (target ≥ 50%%: %s)\n", s, b, 100 * s / b, (s / b >= 0.5) ? "met" : "NOT met"}'
fi
best_batch=0
for conns in $BATCH_CONNECTIONS; do
  r=${EVS["sluice-batch:$conns"]:-}
  [ -n "$r" ] && best_batch=$(awk -v a="$r" -v b="$best_batch" 'BEGIN{print (a > b) ? a : b}')
done
if [ "$best_batch" != 0 ]; then
  awk -v e="$best_batch" -v n="$BATCH" \
    'BEGIN{printf "- best durable batch rate: %.0f events/s in %d-event batches (target ≥ 300000: %s)\n", e, n, (e >= 300000) ? "met" : "NOT met"}'
fi
if [ "$REPEAT" -gt 1 ]; then
  echo "- best of $REPEAT rounds; requests/s of every round:"
  for k in "${ORDER[@]:-}"; do [ -n "$k" ] && echo "  - ${k%%:*} c=${k#*:}: ${ALL[$k]:-–}"; done
fi
for k in "${ORDER[@]:-}"; do
  [ -n "$k" ] && [ "${ERRS[$k]:-0}" -gt 0 ] && echo "- ${k%%:*} c=${k#*:}: **${ERRS[$k]} errors over all rounds** (see the raw wrk output)"
done
[ -n "$STORED_CHECK" ] && echo "- $STORED_CHECK"
[ -n "$SKIPPED" ] && echo "- skipped (time budget of ${BUDGET}s reached):$SKIPPED"
[ "$VOID" = 1 ] && echo "- **At least one run had errors or failed: those figures are void.**"
[ "$KEEP" = 1 ] && echo "- raw wrk output and logs: $TMP"
echo
log "done in $((SECONDS - START_TS))s"
