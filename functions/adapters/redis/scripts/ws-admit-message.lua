--[[
ws-admit-message.lua: count one inbound WebSocket message of a connection in a fixed window.

KEYS[1]  {c:CONNECTION}:rate   the connection's message counter for the current window (PX = window)
ARGV[1]  messages allowed per window
ARGV[2]  window, ms
Reply (array): {count in this window, ms left in the window}
]]
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  ttl = tonumber(ARGV[2])
end
return { count, ttl }
