-- wrk script: POST one JSON body with a bearer token, an X-Actor and an Idempotency-Key
-- unique to each request; at the end print one line "BENCH_JSON {...}" with the figures.
--
--   wrk -t1 -c32 -d20s -s bench/wrk/post.lua http://127.0.0.1:PORT -- PATH BODY_FILE TOKEN NONCE
--
-- NONCE keeps keys unique across runs against the same database.

local threads = {}
local counter = 0
local path, token, nonce, body
local headers = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  path, token, nonce = args[1], args[3], args[4]
  local file = assert(io.open(args[2], "rb"))
  body = file:read("*a")
  file:close()
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. token
  headers["X-Actor"] = "bench-actor"
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = nonce .. "-" .. thread_no .. "-" .. counter
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
