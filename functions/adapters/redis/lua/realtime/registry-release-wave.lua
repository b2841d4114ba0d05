--[[
registry-release-wave.lua: end a wave: drop the topic's lease if this wave still holds it.

KEYS[1]  {t:TOPIC}:lease
ARGV[1]  token of the wave
Reply: 1 when released, 0 when the lease had expired or belongs to another wave
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
