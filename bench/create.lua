-- wrk script for bench/run.py's creation measurement: POST one incident per request and count the statuses.
-- The token and the JSON body come from the environment (OPSDESK_BENCH_TOKEN, OPSDESK_BENCH_BODY); the
-- summary lines printed by done() are parsed by run.py.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSDESK_BENCH_TOKEN")
wrk.body = os.getenv("OPSDESK_BENCH_BODY")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  sample = nil
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 201 and sample == nil then
    sample = status .. " " .. string.sub(body, 1, 300)
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      counts[k] = (counts[k] or 0) + v
    end
    local s = t:get("sample")
    if s ~= nil then
      io.write("SAMPLE ", s, "\n")
    end
  end
  io.write("STATUSES")
  for k, v in pairs(counts) do
    io.write(" ", k, "=", v)
  end
  io.write("\n")
  io.write(string.format("LATENCY_US p50=%d p95=%d p99=%d max=%d\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max))
  local e = summary.errors
  io.write(string.format("SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout))
end
