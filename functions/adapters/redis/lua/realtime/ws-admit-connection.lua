--[[
ws-admit-connection.lua: admit a new WebSocket connection unless its source address already holds
the maximum of live connections. Connections that vanished without $disconnect stop counting at
their expiry (API Gateway closes every connection after 2 hours at the latest).

KEYS[1]  {ip:ADDRESS}:conns   zset connectionId -> expiry (epoch ms)
ARGV[1]  connection id
ARGV[2]  the connection's expiry, epoch ms
ARGV[3]  most live connections per address
Reply: 1 admitted, 0 refused
]]
-- @include clock
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]), ARGV[1])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(newest[2]))
return 1
