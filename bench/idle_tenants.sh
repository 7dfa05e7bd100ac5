#!/usr/bin/env bash
# Memory per registered-but-idle tenant: starts sluice (tenant actors passivate after 1 s), runs
# bench/idle_tenants against it, stops it. Usage: bench/idle_tenants.sh [tenants, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
tenants=${1:-100000}
cmake --build build -j2 --target sluice idle_tenants > /dev/null
data=$(mktemp -d /tmp/sluice-idle-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18190)
token=bench-admin-token-0123456789
SLUICE_ADMIN_TOKEN=$token SLUICE_TENANT_IDLE_SEC=1 SLUICE_ACCESS_LOG=false \
  build/sluice serve --listen 127.0.0.1:$port --data "$data" > "$data.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$data.log"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz > /dev/null && break; sleep 0.1; done
build/idle_tenants --port $port --pid $pid --admin-token $token --tenants "$tenants"
