--[[
registry-unstarted-parts.lua: the parts of the topic's current split wave that nobody started yet
(read-only; registry-start-part.lua decides who sends each).

KEYS[1]  {t:TOPIC}:parts
Reply: { token, index, index, ... }, or {} when no split wave is running
]]
local token = redis.call('HGET', KEYS[1], 'token')
if not token then return {} end
local reply = { token }
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
for i = 0, count - 1 do
  if redis.call('HEXISTS', KEYS[1], 'p' .. i) == 0 then reply[#reply + 1] = tostring(i) end
end
return reply
