-- wrk script for bench/bare_order_view.py, as research/performance-anchors.md §3.1 has it:
-- POST /order with 10 lines, line i from the i-th tenth of 1..100000, qty 1..10.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  local parts = {}
  for i = 1, 10 do
    parts[i] = string.format("[%d,%d]", (i - 1) * 10000 + math.random(1, 10000), math.random(1, 10))
  end
  local body = string.format('{"customer":%d,"lines":[%s]}', math.random(1, 100000), table.concat(parts, ","))
  return wrk.format(nil, "/order", nil, body)
end
