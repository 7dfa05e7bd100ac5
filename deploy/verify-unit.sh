#!/usr/bin/env bash
# Checks deploy/sluice.service with `systemd-analyze verify`. The unit runs /usr/local/bin/sluice,
# which verify requires to exist, so a copy whose ExecStart points at the given (built) binary is
# checked instead. verify exits 0 even for unknown keys or bad values (it only warns), so any
# output at all counts as a failure.
# Usage: verify-unit.sh <sluice.service> <path to the sluice binary>
set -euo pipefail
unit=$1
binary=$(realpath "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

grep -q '^ExecStart=/usr/local/bin/sluice ' "$unit" || {
  echo "verify-unit: $unit has no 'ExecStart=/usr/local/bin/sluice ...' line" >&2
  exit 1
}
sed "s|^ExecStart=/usr/local/bin/sluice |ExecStart=$binary |" "$unit" >"$dir/sluice.service"

status=0
output=$(systemd-analyze verify "$dir/sluice.service" 2>&1) || status=$?
if [ "$status" -ne 0 ] || [ -n "$output" ]; then
  echo "$output" >&2
  echo "verify-unit: systemd-analyze verify failed (exit $status)" >&2
  exit 1
fi
echo "verify-unit: $unit OK"
