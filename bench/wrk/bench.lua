-- wrk script of the UzbekHub benchmarks (bench/run.py sets the environment).
--   BENCH_TOKEN     access token sent as "Authorization: Bearer" (none: no header)
--   BENCH_POST_IDS  a file of post ids, one a line: each request POSTs {"post": id} with
--                   the next id of this thread's share, so no post is liked twice
--   BENCH_THREADS   wrk's -t, to split the ids between the threads
-- done() prints one line "BENCH_JSON {...}" with the figures run.py reads.

local token = os.getenv("BENCH_TOKEN")
local ids_file = os.getenv("BENCH_POST_IDS")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

if token and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

local next_index = 0

function setup(thread)
   thread:set("index", next_index)
   next_index = next_index + 1
end

function init(args)
   if ids_file and ids_file ~= "" then
      ids = {}
      local n = 0
      for line in io.lines(ids_file) do
         if n % thread_count == index then
            ids[#ids + 1] = line
         end
         n = n + 1
      end
      position = 0
      post_headers = {
         ["Host"] = wrk.host .. ":" .. wrk.port,
         ["Authorization"] = wrk.headers["Authorization"],
         ["Content-Type"] = "application/json",
      }
   end
end

function request()
   if ids then
      position = position % #ids + 1
      local body = '{"post": "' .. ids[position] .. '"}'
      return wrk.format("POST", nil, post_headers, body)
   end
   return wrk.request()
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
      '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
