--[[
registry-claim-wave.lua: claim the right to push `seq` to a topic's connections. One wave per topic
at a time (a lease), and only a seq newer than every wave before (`pushed`), so duplicate or
reordered SQS deliveries and concurrent fan-out invocations never push an older or equal state
after a newer one. Connections whose floor (the seq the subscribe path sent them) is >= seq, and
pending ones, are skipped. Expired connections are dropped here.

KEYS[1]  {t:TOPIC}:conns    zset connectionId -> expiry (epoch ms)
KEYS[2]  {t:TOPIC}:floors   hash connectionId -> floor seq, or -(pending deadline)
KEYS[3]  {t:TOPIC}:pushed   seq of the newest wave
KEYS[4]  {t:TOPIC}:lease    token of the wave sending now
ARGV[1]  seq
ARGV[2]  token of this wave
ARGV[3]  lease duration, ms
ARGV[4]  now, epoch ms
ARGV[5]  lifetime of the topic keys, ms
Reply: { 'stale', pushed } when seq <= pushed (nothing to do)
       { 'busy', pushed }  when another wave holds the lease (retry shortly)
       { 'claimed', pushed, connectionId... } the connections to push to
]]
local seq = tonumber(ARGV[1])
local now = tonumber(ARGV[4])
local pushed = tonumber(redis.call('GET', KEYS[3]) or '0')
if seq <= pushed then return { 'stale', pushed } end
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[2] then return { 'busy', pushed } end

redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[3], string.format('%.0f', seq), 'PX', ARGV[5])

local function hdel_all(ids)
  for i = 1, #ids, 1000 do
    redis.call('HDEL', KEYS[2], unpack(ids, i, math.min(i + 999, #ids)))
  end
end

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  hdel_all(expired)
end

local floors = {}
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do floors[flat[i]] = tonumber(flat[i + 1]) end

local reply = { 'claimed', seq }
local covered = {}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local floor = floors[id]
  if floor == nil then
    reply[#reply + 1] = id
  elseif floor < 0 then
    if -floor <= now then
      reply[#reply + 1] = id
      covered[#covered + 1] = id
    end
  elseif floor < seq then
    reply[#reply + 1] = id
    -- from now on `pushed` bounds what this connection may receive: its floor is no longer needed
    covered[#covered + 1] = id
  end
end
if #covered > 0 then hdel_all(covered) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return reply
