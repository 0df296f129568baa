-- The API half of bench/order_intake.py measured the way research/performance-anchors.md does it:
-- wrk (C, next to no CPU of its own) instead of Python client processes. Run the bench once so
-- its database is seeded, start gunicorn on it, then:
--
--   TOKEN=<bench-api token> wrk -t2 -c4 -d15s --latency -s bench/order_intake_wrk.lua http://127.0.0.1:8121/
--
-- (DATABASE_URL=<db>_bench DJANGO_SETTINGS_MODULE as bench/order_intake.py writes it; the token is
-- the bench-api user's.) Every request places one 10-line web order with a fresh Idempotency-Key.
local token = os.getenv("TOKEN")
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  counter = counter + 1
  local lines = {}
  for i = 0, 9 do
    lines[#lines + 1] = string.format('{"sku":"P%06d","quantity":%d}', i * 10000 + math.random(0, 9999), math.random(1, 3))
  end
  local body = string.format(
    '{"channel":"web","customer":{"number":"C-%06d"},"payment_method":"ideal","shipping_address":{"street":"Oudegracht","house_number":"12A","postal_code":"3511 AB","city":"Utrecht","country":"NL"},"lines":[%s]}',
    math.random(1, 1000), table.concat(lines, ","))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Token " .. token,
    ["Idempotency-Key"] = string.format("wrk-%d-%d-%d", os.time(), math.random(1, 1e9), counter),
  }
  return wrk.format("POST", "/api/v1/orders/", headers, body)
end
