-- wrk script for api_bench.py: POSTs a JSON body whose "{n}" is a number unique to the request (GETs the URL
-- if the body is empty), and counts the answers whose status is not the expected one (wrk itself only counts
-- those outside 2xx and 3xx).
--   wrk ... URL -- EXPECTED_STATUS 'BODY WITH {n}'

local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  template = args[2]
  -- Each wrk thread numbers its requests apart from the others' so that no two bodies are alike.
  counter = number * 1000000000
  failures = 0
end

function request()
  if template == "" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local body = string.gsub(template, "{n}", tostring(counter))
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status ~= expected then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("failures")
  end
  io.write(string.format("unexpected_status %d\n", total))
end
