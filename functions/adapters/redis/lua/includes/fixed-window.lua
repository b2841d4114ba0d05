-- fixed-window: a request counter per fixed window; the key expires with its window (PX = window).

-- Counts one request in the key's current window; returns the count so far.
local function countInWindow(key, windowMs)
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, windowMs) end
  return count
end

-- Ms left in the key's window; a counter that lost its expiry gets a whole window again.
local function windowLeft(key, windowMs)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, windowMs)
    ttl = windowMs
  end
  return ttl
end

-- Counts one request against `limit` per window (0 = no limit): nil within the limit, else the ms
-- left in the window.
local function windowLimited(key, limit, windowMs)
  if limit <= 0 then return nil end
  if countInWindow(key, windowMs) <= limit then return nil end
  return windowLeft(key, windowMs)
end
