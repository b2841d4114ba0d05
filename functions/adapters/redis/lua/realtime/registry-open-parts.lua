--[[
registry-open-parts.lua: split the wave holding a topic's lease into parts. The parts' receivers
are stored here, so that any fan-out invocation can send an unstarted part: the ones the fanout
queue hands them, and those waiting for this topic's lease (they help instead of waiting). The
lease stays taken until every part has finished (registry-finish-part.lua): no newer wave of the
topic starts while a part of this one may still post.

KEYS[1]  {t:TOPIC}:lease    token of the wave sending now
KEYS[2]  {t:TOPIC}:parts    hash: token, count, left (parts not finished), data (the message),
                            ids<INDEX> (JSON array of connection ids), p<INDEX> (part started)
ARGV[1]  token of this wave
ARGV[2]  lease duration, ms (renewed here)
ARGV[3]  the message, serialised once for every part
ARGV[4..] one JSON array of connection ids per part
Reply: 1 when opened, 0 when this wave no longer holds the lease
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local count = #ARGV - 3
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'token', ARGV[1], 'count', count, 'left', count, 'data', ARGV[3])
for i = 1, count do
  redis.call('HSET', KEYS[2], 'ids' .. (i - 1), ARGV[3 + i])
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
