--[[
registry-register.lua: add a connection to a topic as *pending*: fan-out waves skip it until the
subscribe handler has sent the `subscribed` snapshot and activated it (registry-activate.lua), so
the snapshot is always the first message of the subscription.

KEYS[1]  {t:TOPIC}:conns    zset connectionId -> expiry (epoch ms)
KEYS[2]  {t:TOPIC}:floors   hash connectionId -> last seq sent by the subscribe path, or
                            -(pending deadline, epoch ms) while pending
KEYS[3]  {t:TOPIC}:lease    token of the fan-out wave currently sending to this topic
ARGV[1]  connectionId
ARGV[2]  expiry of the connection, epoch ms
ARGV[3]  pending deadline, epoch ms (a subscribe that dies midway is treated as active after it)
ARGV[4]  lifetime of the topic keys, ms
Reply: the token of the wave sending right now, or '' (a wave that started before this call may
still send to this connection if it was subscribed before: the caller waits for it to end)
]]
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return redis.call('GET', KEYS[3]) or ''
