--[[
registry-finish-part.lua: a part of a wave is done; the last one ends the wave (frees the lease).

KEYS[1]  {t:TOPIC}:lease
KEYS[2]  {t:TOPIC}:parts
ARGV[1]  token of the wave
Reply: parts still running (0: the wave ended here), or -1 when the wave was over already
]]
if redis.call('HGET', KEYS[2], 'token') ~= ARGV[1] then return -1 end
local left = redis.call('HINCRBY', KEYS[2], 'left', -1)
if left <= 0 then
  redis.call('DEL', KEYS[2])
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 0
end
return left
