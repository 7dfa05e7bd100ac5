#!/usr/bin/env bash
# Installs every Debian bookworm package that Sluice's build, tests and benchmarks need.
# Idempotent: when everything is already installed it returns in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git
  libcaf-dev libboost-dev nlohmann-json3-dev liblmdb-dev lmdb-utils
  prometheus-cpp-dev catch2 libtomlplusplus-dev libcli11-dev libspdlog-dev
  libssl-dev zlib1g-dev libsimdjson-dev
  curl wrk procps
  # deploy checks and the scrape test: prometheus + promtool, systemd-analyze, jq
  prometheus systemd jq
  # the noisy-neighbour harness's chart (bench/noisy_neighbour.sh)
  gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run the OpenAPI linter (test openapi_lint). Any install will do (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package), so look for the commands.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them first" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The prometheus package ships a system service that would scrape itself on :9090. Tests start
# their own prometheus on a free loopback port, so the system one must neither run nor come back
# at boot. (In a container without systemd as init, policy-rc.d usually kept it from starting.)
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  else
    systemctl disable prometheus.service >/dev/null 2>&1 || true
    if [ -x /etc/init.d/prometheus ]; then
      /etc/init.d/prometheus stop >/dev/null 2>&1 || true
      update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
  fi
  # Whatever started it: a daemon owned by the prometheus user is the packaged service.
  if pids=$(pgrep -u prometheus -x prometheus); then
    kill $pids || true
  fi
fi
