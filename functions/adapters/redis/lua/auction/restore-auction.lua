--[[
restore-auction.lua: rebuild a fenced auction from its archived state (PostgreSQL) and lower the
fence, in one step. Only a fenced auction without state and with an empty outbox is restored
(an outbox entry means an event may still reach SQS after the check that cleared the fence).

KEYS[1]  {a:ID}          auction hash
KEYS[2]  {a:ID}:bids     recent bids, newest first
KEYS[3]  {a:ID}:events   event log (zset, score = seq)
KEYS[4]  {a:ID}:fence
KEYS[5]  {a:ID}:outbox
KEYS[6..]  {a:ID}:idem:USER:KEY of each archived decision, in the order of ARGV[4]
ARGV[1]  auction record JSON (the hash fields, strings; seq = last persisted seq)
ARGV[2]  JSON array of bid JSON strings, newest first
ARGV[3]  JSON array of {seq, json} event log entries
ARGV[4]  JSON array of [seconds left, stored decision JSON] per Idempotency-Key decision
Reply (JSON string): {"now":ms,"restored":true} or {"now":ms,"restored":false,"reason":"..."}
No event: the auction continues from the archived seq, so its next change is archived seq + 1.
]]
-- @include clock
-- @include hash
if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({ now = now, restored = false, reason = 'present' }) end
if redis.call('EXISTS', KEYS[4]) == 0 then return cjson.encode({ now = now, restored = false, reason = 'not_fenced' }) end
if redis.call('HLEN', KEYS[5]) > 0 then return cjson.encode({ now = now, restored = false, reason = 'outbox_pending' }) end

local record = cjson.decode(ARGV[1])
writeHash(KEYS[1], record)
redis.call('DEL', KEYS[2], KEYS[3])
for _, bid in ipairs(cjson.decode(ARGV[2])) do redis.call('RPUSH', KEYS[2], bid) end
for _, entry in ipairs(cjson.decode(ARGV[3])) do redis.call('ZADD', KEYS[3], entry.seq, entry.json) end
for index, decision in ipairs(cjson.decode(ARGV[4])) do
  redis.call('SET', KEYS[5 + index], decision[2], 'EX', decision[1], 'NX')
end
redis.call('DEL', KEYS[4])
return cjson.encode({ now = now, restored = true })
