-- Shared body of the Sluice wrk scripts (event_single.lua, event_received.lua, event_batch.lua).
-- A scenario script sets the global `bench_mode` ("single" | "received" | "batch") and then
-- dofile()s this file.
--
-- Every event gets an event_id unique across all wrk threads and connections and across runs:
--   <nonce>-<mode>-t<thread>-<counter>[-<index in batch>]
-- where <nonce> comes from $BENCH_NONCE or, failing that, 6 random bytes of /dev/urandom.
-- Sluice deduplicates durably per tenant, so a reused id would be answered "duplicate" and the
-- benchmark would measure the dedup fast path instead of a store.
--
-- The API key comes from wrk's -H 'X-API-Key: ...' (the bare server ignores it).
-- Environment: BENCH_BATCH (events per batch, default 100), BENCH_NONCE, BENCH_BARE=1 (the
-- target is bench/bare_server: only the status class is checked, not Sluice's reply semantics).
--
-- done() prints one machine-readable line for bench/run.sh:
--   BENCH_RESULT requests=N duration_us=N rps=F events_per_req=N non2xx=N duplicates=N
--                rejected=N sock_connect=N sock_read=N sock_write=N sock_timeout=N
--                p50_us=N p90_us=N p99_us=N max_us=N statuses=201:N,...
-- plus a human-readable summary. Any non-2xx response, socket error, duplicate or rejected
-- event makes the run void.

local mode = bench_mode or os.getenv("BENCH_MODE") or "single"
local batch_size = tonumber(os.getenv("BENCH_BATCH") or "100") or 100
local bare = os.getenv("BENCH_BARE") == "1"

local function make_nonce()
  local env = os.getenv("BENCH_NONCE")
  if env and env ~= "" then return env end
  local f = io.open("/dev/urandom", "rb")
  if f then
    local bytes = f:read(6)
    f:close()
    return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
  end
  return tostring(os.time())
end

-- ---------------------------------------------------------------- main state (setup / done)
local threads = {}
local main_nonce = nil

function setup(thread)
  if not main_nonce then main_nonce = make_nonce() end
  thread:set("thread_index", #threads + 1)
  thread:set("nonce", main_nonce)
  table.insert(threads, thread)
end

-- ---------------------------------------------------------------- per-thread state
local counter = 0
non2xx = 0
duplicates = 0
rejected = 0
statuses = {}
local prefix = nil
local path = nil

-- ~200 bytes, as a typical page_view.
local function event_json(id)
  return '{"event_type":"page_view","timestamp":"2026-01-01T15:12:11Z","event_id":"' .. id ..
         '","session_id":"s1","properties":{"path":"/home"}}'
end

function init(args)
  prefix = string.format("%s-%s-t%d", nonce or make_nonce(), mode, thread_index or 0)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if mode == "single" then
    path = "/v1/events"
  elseif mode == "received" then
    path = "/v1/events?ack=received"
  elseif mode == "batch" then
    path = "/v1/events/batch"
  else
    error("unknown bench_mode " .. tostring(mode))
  end
end

function request()
  counter = counter + 1
  local body
  if mode == "batch" then
    local parts = {}
    local base = prefix .. "-" .. counter .. "-"
    for i = 1, batch_size do parts[i] = event_json(base .. i) end
    body = "[" .. table.concat(parts, ",") .. "]"
  else
    body = event_json(prefix .. "-" .. counter)
  end
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return
  end
  if bare then return end
  if mode == "single" and status == 200 then
    duplicates = duplicates + 1  -- 200 = {"status":"duplicate"}; a new event answers 201
  elseif mode == "batch" and body then
    local d = tonumber(body:match('"duplicates":(%d+)') or "0")
    local r = tonumber(body:match('"rejected":(%d+)') or "0")
    duplicates = duplicates + d
    rejected = rejected + r
  end
end

-- ---------------------------------------------------------------- main state again
function done(summary, latency, requests)
  local n2, dup, rej = 0, 0, 0
  local merged = {}
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    dup = dup + (t:get("duplicates") or 0)
    rej = rej + (t:get("rejected") or 0)
    local s = t:get("statuses") or {}
    for code, count in pairs(s) do merged[code] = (merged[code] or 0) + count end
  end
  local codes = {}
  for code, count in pairs(merged) do table.insert(codes, code .. ":" .. count) end
  table.sort(codes)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local rps = summary.requests / secs
  local per_req = (mode == "batch") and batch_size or 1
  io.write(string.format(
    "-- %s: %d requests in %.2fs, %.0f req/s, %.0f events/s; non-2xx %d, duplicates %d, " ..
    "rejected %d, socket errors connect %d read %d write %d timeout %d; statuses %s\n",
    mode, summary.requests, secs, rps, rps * per_req, n2, dup, rej,
    e.connect, e.read, e.write, e.timeout, table.concat(codes, ",")))
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f events_per_req=%d non2xx=%d duplicates=%d " ..
    "rejected=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d statuses=%s\n",
    summary.requests, summary.duration, rps, per_req, n2, dup, rej,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(codes, ",")))
end
