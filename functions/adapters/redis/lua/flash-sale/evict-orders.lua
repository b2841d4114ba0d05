--[[
evict-orders.lua: drop settled orders of one product from Redis once PostgreSQL holds their newest
state (issue 19 item 5: orders must not stay in Redis for ever). An order is dropped only if Redis'
copy is settled and equals what PostgreSQL has (status, refund flag, payment time), so a change not
persisted yet keeps it. Units held (`{p:ID}:held`) are untouched: a paid order still counts for the
per-user limit, and a cancelled or expired one gave its units back when it settled.

KEYS[1]       {p:ID}:orders
KEYS[2..N+1]  {o:ORDERID} pointer of each candidate, in the order of ARGV[1]
ARGV[1]  JSON array of [orderId, status, refundRequired, paidAt] as PostgreSQL has them

Reply (JSON string): {"evicted":[orderId...],"gone":[orderId...]} (gone: Redis has no such order)
]]
local candidates = cjson.decode(ARGV[1])
local evicted, gone = {}, {}
for index, candidate in ipairs(candidates) do
  local orderId = candidate[1]
  local raw = redis.call('HGET', KEYS[1], orderId)
  if not raw then
    gone[#gone + 1] = orderId
  else
    local order = cjson.decode(raw)
    if order.status ~= 'reserved' and order.status == candidate[2]
      and (order.refundRequired == true) == (candidate[3] == true)
      and tonumber(order.paidAt or 0) == tonumber(candidate[4] or 0) then
      redis.call('HDEL', KEYS[1], orderId)
      redis.call('DEL', KEYS[1 + index])
      evicted[#evicted + 1] = orderId
    end
  end
end
-- Empty Lua tables encode as {}: make both lists arrays for the caller.
return '{"evicted":' .. (#evicted > 0 and cjson.encode(evicted) or '[]')
  .. ',"gone":' .. (#gone > 0 and cjson.encode(gone) or '[]') .. '}'
