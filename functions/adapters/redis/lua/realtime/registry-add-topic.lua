--[[
registry-add-topic.lua: record that a connection subscribes to a topic, within the per-connection
topic limit. The connection's set expires with the connection (API Gateway's idle and maximum
durations), so sets of connections that vanished without $disconnect do not pile up.

KEYS[1]  {c:CONNECTION}:topics   set of topics of this connection
ARGV[1]  topic
ARGV[2]  maximum number of topics per connection
ARGV[3]  expiry of the connection, epoch ms
Reply: 'added' | 'exists' | 'limit'
]]
local reply
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  reply = 'exists'
elseif redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 'limit'
else
  redis.call('SADD', KEYS[1], ARGV[1])
  reply = 'added'
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return reply
