-- wrk script for benchmarks/load_mix: a weighted mix of pre-computed requests.
--
-- usage: wrk ... -s mix.lua URL -- FILE NTHREADS WEIGHTS CUTOFF_S
--   FILE     one request a line: kind<TAB>once<TAB>method<TAB>path<TAB>cookie<TAB>body
--            once=1: the request is sent at most once (a ballot, an issue action): each thread
--            takes every NTHREADS-th line of its kind and never wraps, so no write is repeated;
--            once=0: the thread cycles through its lines (page views).
--   WEIGHTS  "kind:weight,kind:weight,..." (integers); a deck of these kinds, shuffled per
--            thread, decides what each next request is.
--   CUTOFF_S after this many seconds no more POSTs are started (0: never stop): the requests
--            still in flight when wrk stops are then page views only, so every write the server
--            committed has been answered and counted (the row check is exact).
--
-- Every response carries X-Bench (set by the app under test and by the baseline):
-- "<kind>:ok", "<kind>:refused", "<kind>:error" for writes, "read" for page views. The counts
-- per tag, the requests sent per kind and the page views that were not 200 come back on one
-- line: RESULT {json}. "sent" counts requests request() prepared (wrk may prepare one it never
-- sends when the time is up).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } lm_timeval;
  int gettimeofday(lm_timeval *tv, void *tz);
]]
local tv = ffi.new("lm_timeval")
local function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads, weights, cutoff = args[1], tonumber(args[2]), args[3], tonumber(args[4])
  pools, cursor, once, sent, tags = {}, {}, {}, {}, {}
  reads_bad, exhausted = 0, 0
  local seen = {}  -- lines of each kind so far: thread `id` takes every nthreads-th of each
  for line in io.lines(file) do
    local kind, o, method, path, cookie, body =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local i = kind and (seen[kind] or 0)
    if kind then seen[kind] = i + 1 end
    if kind and i % nthreads == id then
      local headers = { ["User-Agent"] = "wrk-bench" }
      if cookie ~= "" then headers["Cookie"] = cookie end
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
        body = nil
      end
      pools[kind] = pools[kind] or {}
      table.insert(pools[kind], wrk.format(method, path, headers, body))
      once[kind] = (o == "1")
      is_write = is_write or {}
      is_write[kind] = (method == "POST")
    end
  end
  deck, reads = {}, {}
  for kind, weight in weights:gmatch("([%w_]+):(%d+)") do
    assert(pools[kind], "no requests of kind " .. kind)
    cursor[kind], sent[kind] = 0, 0
    for _ = 1, tonumber(weight) do table.insert(deck, kind) end
    if not is_write[kind] then table.insert(reads, kind) end
  end
  math.randomseed(1000 + id)
  for j = #deck, 2, -1 do
    local k = math.random(j)
    deck[j], deck[k] = deck[k], deck[j]
  end
  pos, read_pos = 0, 0
  started = now()
  stop_writes_at = (cutoff > 0 and #reads > 0) and started + cutoff or nil
end

local function next_read()
  read_pos = read_pos % #reads + 1
  return reads[read_pos]
end

function request()
  pos = pos % #deck + 1
  local kind = deck[pos]
  if is_write[kind] then
    if stop_writes_at and now() >= stop_writes_at then
      kind = next_read()
    elseif once[kind] and cursor[kind] >= #pools[kind] then
      exhausted = exhausted + 1
      kind = #reads > 0 and next_read() or kind
    end
  end
  local pool = pools[kind]
  local c = cursor[kind]
  if once[kind] then
    c = math.min(c + 1, #pool)
  else
    c = c % #pool + 1
  end
  cursor[kind] = c
  sent[kind] = sent[kind] + 1
  return pool[c]
end

function response(status, headers, body)
  local tag = headers["X-Bench"] or "untagged"
  if tag == "read" then
    if status ~= 200 then reads_bad = reads_bad + 1 end
  else
    tags[tag] = (tags[tag] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_sent, total_tags = {}, {}
  local bad, out_of = 0, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("sent")) do total_sent[k] = (total_sent[k] or 0) + v end
    for k, v in pairs(t:get("tags")) do total_tags[k] = (total_tags[k] or 0) + v end
    bad = bad + t:get("reads_bad")
    out_of = out_of + t:get("exhausted")
  end
  local function obj(tbl)
    local parts = {}
    for k, v in pairs(tbl) do table.insert(parts, string.format('"%s": %d', k, v)) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"timeouts": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "mean_ms": %.2f, ' ..
    '"reads_not_200": %d, "writes_exhausted": %d, "sent": %s, "answered": %s}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, bad, out_of, obj(total_sent), obj(total_tags)))
end
