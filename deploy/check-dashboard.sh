#!/usr/bin/env bash
# Checks deploy/grafana-dashboard.json: it parses, has the `tenant` template variable, every
# per-tenant query is filtered by it, and every query is valid PromQL (the queries, with Grafana's
# variables substituted, are handed to `promtool check rules` as recording rules).
# Usage: check-dashboard.sh <grafana-dashboard.json>
set -euo pipefail
dashboard=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

jq empty "$dashboard"

fail() { echo "check-dashboard: $*" >&2; exit 1; }

jq -e '.title and .uid and (.panels | length > 0)' "$dashboard" >/dev/null ||
  fail "no title, uid or panels"
jq -e '[.templating.list[] | select(.name == "tenant" and .type == "query")] | length == 1' \
  "$dashboard" >/dev/null || fail "no query variable named tenant"
jq -e '[.panels[].id] | length == (unique | length)' "$dashboard" >/dev/null ||
  fail "panel ids are not unique"
jq -e 'all(.panels[] | select(.type != "row"); (.targets | length > 0) and
         all(.targets[]; (.expr | length > 0) and .refId))' "$dashboard" >/dev/null ||
  fail "a panel without queries"
untenanted=$(jq -r '.panels[].targets[]?.expr
  | select(test("sluice_(events_|rate_limited|ingest_|tenant_|dead_letters)"))
  | select(contains("tenant=~\"$tenant\"") | not)' "$dashboard")
[ -z "$untenanted" ] || fail "per-tenant queries not filtered by \$tenant: $untenanted"

# JSON is YAML: one recording rule per query.
jq '{groups: [{name: "dashboard", rules: [
      [.panels[].targets[]?.expr] | to_entries[] |
      {record: "dashboard:query_\(.key)",
       expr: (.value | gsub("\\$__rate_interval"; "5m") | gsub("\\$tenant"; "alpha")
                     | gsub("\\$instance"; "n1:9464"))}]}]}' "$dashboard" >"$dir/rules.yml"
promtool check rules "$dir/rules.yml" >"$dir/out" 2>&1 || { cat "$dir/out" >&2; fail "bad PromQL"; }
echo "check-dashboard: $dashboard OK ($(jq '[.panels[].targets[]?] | length' "$dashboard") queries)"
