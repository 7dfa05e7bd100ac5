-- wrk scenario (c) a JSON array of $BENCH_BATCH (default 100) events per POST /v1/events/batch, durable (200, all stored).
-- Usage: wrk -t1 -c64 -d10s --latency -s bench/event_batch.lua -H "X-API-Key: $KEY" http://127.0.0.1:PORT
-- Unique event ids, error counting and the BENCH_RESULT line: see events_common.lua.
bench_mode = "batch"
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "events_common.lua")
