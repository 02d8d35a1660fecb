-- wrk script: toggles likes (ACTION=auto) round-robin over a range of
-- messages, so every request is a durable change. FIRST and COUNT come from
-- the environment (bench/like.sh sets them).
local first = tonumber(os.getenv("FIRST") or "1")
local count = tonumber(os.getenv("COUNT") or "1000")
local i = math.random(0, count - 1)

request = function()
  i = (i + 1) % count
  local body = '{"MESSAGE_ID":' .. (first + i) .. ',"ACTION":"auto"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
