--[[
release-outbox-index.lua: remove an entity from the outbox index only if no new intent arrived since
the sweeper read its score (compare and delete on one key).

KEYS[1]  outbox:index   zset, member `a:ID` / `p:ID`, score = newest intent (ms)
ARGV[1]  member
ARGV[2]  score as read (compared as a number: ZSCAN and ZSCORE may print one score differently)
Reply: 1 removed, 0 left alone (changed or already gone)
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
