--[[
count-request.lua: count one request of a user toward that user's rate limit on one entity, the
counter the entity's deciding script keeps (reserve-order.lua: {p:ID}:rl:USER), for a request answered
without that script (a product remembered sold out: sold-out-memo.ts). Same counter, same window,
same limit: a user's requests are limited alike whichever way they are answered.

KEYS[1]  {p:ID}:rl:USER   the user's counter for the current window (PX = window)
ARGV[1]  requests allowed per window (> 0)
ARGV[2]  window, ms
Reply: 0 (counted, within the limit) | ms until the window ends (over the limit)
]]
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
if count <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  ttl = tonumber(ARGV[2])
end
return math.max(ttl, 1)
