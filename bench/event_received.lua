-- wrk scenario (b) one ~200-byte event per POST /v1/events?ack=received (202 expected).
-- Usage: wrk -t1 -c64 -d10s --latency -s bench/event_received.lua -H "X-API-Key: $KEY" http://127.0.0.1:PORT
-- Unique event ids, error counting and the BENCH_RESULT line: see events_common.lua.
bench_mode = "received"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "events_common.lua")
