--[[
restore-product.lua: rebuild a fenced product from its archived state (PostgreSQL) and lower the
fence, in one step. Only a fenced product without state and with an empty outbox is restored;
anything else is left alone: an event still in the outbox may not be in the archive (issue 24).
The orders, held units and deadlines are the archive's: whatever of them survived the loss is
replaced, never added to (held units counted twice would sell stock twice).

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:fence
KEYS[8]     {p:ID}:payments     webhook de-duplication (event id -> payment record)
KEYS[9..8+N]    {o:ORDERID} pointer of each archived order, in the order of ARGV[2] (N orders)
KEYS[9+N..]     {p:ID}:idem:USER:KEY of each archived decision, in the order of ARGV[5]
ARGV[1]  product record JSON (the hash fields, strings; seq = last persisted seq)
ARGV[2]  JSON array of the product's live order records (reserved, paid: they hold units); only the
         reserved ones are written back
ARGV[3]  event log length kept
ARGV[4]  JSON array of the payment records applied to its orders
ARGV[5]  JSON array of [seconds left, stored decision JSON] per Idempotency-Key decision

Reply (JSON string): {"ok":true,"restored":true,"product":{...},"events":[]} or
{"ok":true,"restored":false,"events":[]} (not fenced, the state is there, or the outbox is not empty)
No event: the product continues from the archived seq, so its next change is archived seq + 1.
]]
-- @include product
eventLogLength = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[7]) == 0 or redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HLEN', KEYS[6]) > 0 then
  return respond({ ok = true, restored = false })
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
product = cjson.decode(ARGV[1])
local orders = cjson.decode(ARGV[2])
local available = tonumber(product.stock)
for index, order in ipairs(orders) do
  if order.status == 'reserved' or order.status == 'paid' then
    available = available - order.qty
    redis.call('HINCRBY', KEYS[3], order.userId, order.qty)
  end
  -- Only live orders come back: settled ones are final in PostgreSQL and read from there (a webhook
  -- for one brings it back first, see return-order.lua), so a rebuild does not refill Redis.
  if order.status == 'reserved' then
    writeOrder(order)
    redis.call('SET', KEYS[8 + index], product.id)
    redis.call('ZADD', KEYS[4], order.expiresAt, order.id)
  end
end
product.available = int(available)
for _, payment in ipairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[8], payment.eventId, cjson.encode(payment))
end
for index, decision in ipairs(cjson.decode(ARGV[5])) do
  redis.call('SET', KEYS[8 + #orders + index], decision[2], 'EX', decision[1], 'NX')
end
writeHash(KEYS[1], product)
redis.call('DEL', KEYS[7])
return respond({ ok = true, restored = true, product = product })
