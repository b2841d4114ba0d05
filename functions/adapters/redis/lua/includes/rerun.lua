-- rerun: a deciding script run twice with the same arguments (ioredis resends a command whose reply
-- a reset connection lost) answers its first run's reply. A run that changed something keeps its
-- reply's head under its run key, with the seq range of its events ("FIRST LAST HEAD"), which are
-- still in the entity's event log.

-- The first run's reply when this request already ran, else nil.
local function rerun(runKey, logKey)
  local ran = redis.call('GET', runKey)
  if not ran then return nil end
  local first, last, head = string.match(ran, '^(%d+) (%d+) (.*)$')
  return head .. ',"events":[' .. table.concat(redis.call('ZRANGEBYSCORE', logKey, first, last), ',') .. ']}'
end
