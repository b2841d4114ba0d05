--[[
registry-claim-wave.lua: claim the right to push `seq` to a topic's connections. One wave per topic
at a time (a lease), and only a seq newer than every wave before (`pushed`), so duplicate or
reordered SQS deliveries and concurrent fan-out invocations never push an older or equal state
after a newer one.

The connections are read by the caller right after (MULTI: ZRANGEBYSCORE conns + HGETALL floors),
not here: returning 10,000 ids through a Lua table blocks Redis ~6 times longer than a plain
ZRANGEBYSCORE. This script keeps that read cheap: it drops expired connections (a bounded number
per wave) and the floors this wave makes useless (0 <= floor < seq: every later wave is newer), so
`floors` only holds pending subscriptions and snapshots newer than the newest wave.

KEYS[1]  {t:TOPIC}:conns    zset connectionId -> expiry (epoch ms)
KEYS[2]  {t:TOPIC}:floors   hash connectionId -> floor seq, or -(pending deadline, epoch ms)
KEYS[3]  {t:TOPIC}:pushed   seq of the newest wave
KEYS[4]  {t:TOPIC}:lease    token of the wave sending now
ARGV[1]  seq
ARGV[2]  token of this wave
ARGV[3]  lease duration, ms
ARGV[4]  now, epoch ms
ARGV[5]  lifetime of the topic keys, ms
ARGV[6]  expired connections dropped per call at most
Reply: { 'stale', pushed } when seq <= pushed (nothing to do)
       { 'busy', pushed }  when another wave holds the lease (retry shortly)
       { 'claimed', seq }  this wave may push
]]
local seq = tonumber(ARGV[1])
local now = tonumber(ARGV[4])
local pushed = tonumber(redis.call('GET', KEYS[3]) or '0')
if seq <= pushed then return { 'stale', pushed } end
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[2] then return { 'busy', pushed } end

redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[3], string.format('%.0f', seq), 'PX', ARGV[5])

local drop = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  for _, id in ipairs(expired) do drop[#drop + 1] = id end
end
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do
  local floor = tonumber(flat[i + 1])
  if (floor >= 0 and floor < seq) or (floor < 0 and -floor <= now) then drop[#drop + 1] = flat[i] end
end
for i = 1, #drop, 1000 do
  redis.call('HDEL', KEYS[2], unpack(drop, i, math.min(i + 999, #drop)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return { 'claimed', seq }
