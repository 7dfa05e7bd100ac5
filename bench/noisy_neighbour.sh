#!/usr/bin/env bash
# The noisy-neighbour harness. For each scenario of bench/scenarios/noisy_neighbour.json: a fresh
# `sluice serve` on a free loopback port with a temp data dir and the scenario's environment, the
# tenants created through the admin API, the open-loop generator (build/noisy_neighbour), the
# server stopped. Then bench/results/noisy_neighbour.{json,md,png}. Installs nothing: run
# scripts/install-deps.sh first (it brings gnuplot-nox).
#
#   bash bench/noisy_neighbour.sh [--duration SEC] [--only NAME]... [--scenarios FILE]
#                                 [--quiet-load L]   (wait up to 10 min for a 1-min load < L)
#                                 [--max-other-cores C] [--attempts N]  (run a scenario again, up
#                                 to N times, when other processes and the host's steal took more than C cores in it)
#                                 [--nice N]  (server and generator in their own session with
#                                 autogroup nice N, as bench/run.sh: other sessions' compiles
#                                 then cannot take their CPU; negative needs root)
set -euo pipefail
cd "$(dirname "$0")/.."
orig_args=("$@")

BUILD=${BUILD:-build}
scenarios=bench/scenarios/noisy_neighbour.json
duration=""
only=()
quiet_load=""
max_other=""
attempts=1
nice_level=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --quiet-load) quiet_load=$2; shift 2 ;;
    --max-other-cores) max_other=$2; shift 2 ;;
    --attempts) attempts=$2; shift 2 ;;
    --nice) nice_level=$2; shift 2 ;;
    *) echo "usage: $0 [--duration SEC] [--only NAME]... [--scenarios FILE] [--quiet-load L]" >&2
       exit 2 ;;
  esac
done
if [ "$nice_level" != 0 ] && [ -z "${NOISY_OWN_SESSION:-}" ]; then
  export NOISY_OWN_SESSION=1
  exec setsid --wait bash bench/noisy_neighbour.sh "${orig_args[@]}"
fi
if [ "$nice_level" != 0 ]; then
  echo "$nice_level" > /proc/self/autogroup 2> /dev/null ||
    echo "noisy_neighbour: could not set the autogroup nice to $nice_level (not root?)" >&2
fi
for tool in cmake gnuplot; do
  command -v "$tool" > /dev/null ||
    { echo "noisy_neighbour: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$BUILD" -j "$(nproc)" --target sluice noisy_neighbour

gen="$BUILD/noisy_neighbour"
results=bench/results
work=$results/tmp  # git-ignored: per-scenario results and server logs stay for a look
rm -rf "$work"
mkdir -p "$work"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# Every server starts from the scenario's environment alone: SLUICE_* variables of this shell
# (a developer's SLUICE_SHARDS, say) would make runs incomparable.
clear_env=()
for v in $(compgen -e | grep '^SLUICE_' || true); do clear_env+=(-u "$v"); done

# Which server was measured. Until the fairness switch lands, the server ignores
# SLUICE_FAIR_SCHEDULING and (b) and (c) measure the same code; the report says so.
if grep -q '"fair_scheduling"' config/config.cpp; then
  fair="fair_scheduling option present"
else
  fair="no fair_scheduling option in this build: SLUICE_FAIR_SCHEDULING is ignored, (b) and (c) run the same server"
fi
dirty=$(git diff --quiet HEAD -- actors http store config cli 2> /dev/null || echo " + local changes")
build_note="server code at $(git rev-parse --short HEAD)$dirty; $fair"

# On a shared machine other people's builds swamp the numbers: optionally wait for a lull.
wait_for_quiet() {
  [ -n "$quiet_load" ] || return 0
  for _ in $(seq 60); do
    awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v max="$quiet_load" 'BEGIN { exit !(l < max) }' &&
      return 0
    sleep 10
  done
  echo "noisy_neighbour: load still $(cut -d' ' -f1 /proc/loadavg) after 10 min; running anyway" >&2
}

# One scenario on a fresh server. Exit status 3: other processes disturbed the run.
run_scenario() {
  local name=$1 data port token status=0
  local -a server_env
  data=$(mktemp -d "${TMPDIR:-/tmp}/sluice-nn-$name.XXXXXX")
  port=$("$gen" free-port)
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mapfile -t server_env < <("$gen" env "$scenarios" "$name")
  echo "== scenario $name: load $(cut -d' ' -f1-3 /proc/loadavg); ${server_env[*]}"
  env "${clear_env[@]}" "${server_env[@]}" SLUICE_ADMIN_TOKEN="$token" \
    "$BUILD/sluice" serve --listen "127.0.0.1:$port" --data "$data" \
    > "$work/server-$name.out" 2> "$work/server-$name.log" &
  server_pid=$!
  SLUICE_ADMIN_TOKEN="$token" "$gen" run "$scenarios" "$name" --server "127.0.0.1:$port" \
    --server-pid "$server_pid" --out "$work/result-$name.json" \
    ${duration:+--duration "$duration"} ${max_other:+--max-other-cores "$max_other"} || status=$?
  stop_server
  rm -rf "$data"
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    echo "noisy_neighbour: scenario $name failed; server log:" >&2
    tail -n 20 "$work/server-$name.log" >&2
    exit 1
  fi
  return "$status"
}

outputs=()
for name in $("$gen" list "$scenarios"); do
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  for attempt in $(seq "$attempts"); do
    wait_for_quiet
    run_scenario "$name" && break
    [ "$attempt" -lt "$attempts" ] && echo "   disturbed; running $name again"
  done
  outputs+=("$work/result-$name.json")
done

"$gen" report "$scenarios" --out-dir "$results" --work "$work" --build "$build_note" "${outputs[@]}"
gnuplot "$work/noisy_neighbour.gp"
echo "wrote $results/noisy_neighbour.json, $results/noisy_neighbour.md, $results/noisy_neighbour.png"
