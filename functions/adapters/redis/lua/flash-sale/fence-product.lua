--[[
fence-product.lua: raise the recovery fence of a product whose state Redis has lost (PostgreSQL
knows it). While the fence stands, every product script answers product_unavailable (503 with
Retry-After) instead of product_not_found, and the id cannot be created anew. As for auctions
(fence-auction.lua), while the outbox still holds events (the sweeper is re-sending them) the time
restarts, so the settle period counts from the last moment anything could still be sent to SQS,
and the rebuild waits for an empty outbox (issue 24).

KEYS[1]  {p:ID}         product hash
KEYS[2]  {p:ID}:fence   fence: JSON {since: ms}
KEYS[3]  {p:ID}:outbox  events not yet acknowledged by SQS
Reply (JSON string): {"now":ms,"exists":true} when the state is there (nothing to fence), else
{"now":ms,"exists":false,"since":ms,"outboxPending":N} (since = when the fence was last restarted)
]]
-- @include clock
if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({ now = now, exists = true }) end
local pending = redis.call('HLEN', KEYS[3])
if pending > 0 then
  redis.call('SET', KEYS[2], cjson.encode({ since = now }))
else
  redis.call('SET', KEYS[2], cjson.encode({ since = now }), 'NX')
end
local fence = cjson.decode(redis.call('GET', KEYS[2]))
return cjson.encode({ now = now, exists = false, since = fence.since, outboxPending = pending })
