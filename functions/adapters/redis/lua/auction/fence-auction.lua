--[[
fence-auction.lua: raise the recovery fence of an auction whose state Redis has lost (PostgreSQL
knows it). The fence records since when the auction is known lost; while the outbox still holds
events (the sweeper is re-sending them), the time restarts, so the settle period counts from the
last moment anything of this auction could still be sent to SQS.

KEYS[1]  {a:ID}          auction hash
KEYS[2]  {a:ID}:fence    fence: JSON {since: ms}
KEYS[3]  {a:ID}:outbox   events not yet acknowledged by SQS
ARGV[1]  fence lifetime, seconds (a fence nobody follows up on goes away)
Reply (JSON string): {"now":ms,"exists":true} when the state is there (nothing to fence), else
{"now":ms,"exists":false,"since":ms,"outboxPending":N}
]]
-- @include clock
if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({ now = now, exists = true }) end
local pending = redis.call('HLEN', KEYS[3])
if pending > 0 then
  redis.call('SET', KEYS[2], cjson.encode({ since = now }), 'EX', tonumber(ARGV[1]))
else
  redis.call('SET', KEYS[2], cjson.encode({ since = now }), 'NX', 'EX', tonumber(ARGV[1]))
end
local fence = cjson.decode(redis.call('GET', KEYS[2]))
return cjson.encode({ now = now, exists = false, since = fence.since, outboxPending = pending })
