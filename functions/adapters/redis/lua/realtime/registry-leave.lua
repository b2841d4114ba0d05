--[[
registry-leave.lua: remove connections from a topic (unsubscribe, $disconnect, 410 Gone).

KEYS[1]  {t:TOPIC}:conns
KEYS[2]  {t:TOPIC}:floors
ARGV...  connectionIds
Reply: number of connections removed
]]
local removed = 0
for i = 1, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  removed = removed + redis.call('ZREM', KEYS[1], unpack(ARGV, i, last))
  redis.call('HDEL', KEYS[2], unpack(ARGV, i, last))
end
return removed
