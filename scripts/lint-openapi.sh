#!/usr/bin/env bash
# Lints the OpenAPI document with Redocly's CLI, under docs/redocly.yaml beside it (every
# recommended rule as an error). Usage: lint-openapi.sh DOC NPM_PREFIX. The CLI is installed into
# NPM_PREFIX (the build tree) on the first run and reused afterwards, so later runs stay offline.
# Pinned to the 1.x line: 2.x needs Node >= 20.19, Debian bookworm ships Node 18.
set -euo pipefail

version=1.34.20
doc=$1
prefix=$2
cli="$prefix/node_modules/.bin/redocly"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "lint-openapi: node and npm are needed (scripts/install-deps.sh installs them)" >&2
  exit 1
fi
if [ ! -x "$cli" ] || [ "$("$cli" --version 2>/dev/null)" != "$version" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@redocly/cli@$version"
fi
exec "$cli" lint --config "$(dirname "$doc")/redocly.yaml" "$doc"
