#!/usr/bin/env bash
# Every option in config/config.cpp's table must appear in deploy/sluice.toml (commented out or
# set, in its [table]) and in docs/operations.md (with its SLUICE_* variable), and nothing else.
# Usage: check-config-coverage.sh <source dir>
set -euo pipefail
src=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

sed -n 's/^ *{"\([a-z_.]*\)", &c\..*/\1/p' "$src/config/config.cpp" | sort >"$dir/options"
[ "$(wc -l <"$dir/options")" -ge 20 ] || { echo "check-config-coverage: no option table found" >&2; exit 1; }

# Keys in the example file, with the [table] they sit in.
awk '/^\[[a-z_]+\]$/ { table = substr($0, 2, length($0) - 2) "."; next }
     match($0, /^#?[a-z_]+ = /) { key = $0; sub(/^#/, "", key); sub(/ = .*/, "", key); print table key }' \
  "$src/deploy/sluice.toml" | sort >"$dir/toml"

status=0
if ! diff -u "$dir/options" "$dir/toml" >"$dir/diff"; then
  echo "check-config-coverage: deploy/sluice.toml and config/config.cpp disagree (- code, + toml):" >&2
  cat "$dir/diff" >&2
  status=1
fi
while read -r name; do
  env="SLUICE_$(echo "$name" | tr 'a-z.' 'A-Z_')"
  grep -qF "\`$name\`" "$src/docs/operations.md" ||
    { echo "check-config-coverage: docs/operations.md does not mention \`$name\`" >&2; status=1; }
  grep -qF "\`$env\`" "$src/docs/operations.md" ||
    { echo "check-config-coverage: docs/operations.md does not mention \`$env\`" >&2; status=1; }
done <"$dir/options"
[ "$status" -eq 0 ] && echo "check-config-coverage: $(wc -l <"$dir/options") options covered"
exit "$status"
