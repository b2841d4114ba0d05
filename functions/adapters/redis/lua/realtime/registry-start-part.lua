--[[
registry-start-part.lua: may this part of a wave post now? Only while its wave still holds the
lease (a part that starts after the lease expired could post an older seq after a newer wave), and
only once (SQS may deliver a part twice, and waiting invocations help with unstarted parts; a
second run would repeat the seq). Starting renews the lease: a wave lives while its parts start.

KEYS[1]  {t:TOPIC}:lease
KEYS[2]  {t:TOPIC}:parts
ARGV[1]  token of the wave
ARGV[2]  index of the part
ARGV[3]  lease duration, ms
Reply: { 'started', message, connection ids (JSON) } | { 'duplicate' } (started already)
       | { 'stale' } (its wave is over, or no such part)
]]
local ids = redis.call('HGET', KEYS[2], 'ids' .. ARGV[2])
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('HGET', KEYS[2], 'token') ~= ARGV[1] or not ids then
  return { 'stale' }
end
if redis.call('HSETNX', KEYS[2], 'p' .. ARGV[2], 1) == 0 then return { 'duplicate' } end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return { 'started', redis.call('HGET', KEYS[2], 'data'), ids }
