-- stored-decision: a deciding script's decision kept under the request's Idempotency-Key as
-- {fp = request fingerprint, reply = encoded reply}, so that a later request with the key replays it.
-- `fingerprint` '' means the request carries no key: nothing is read or kept.

-- What a request finds under its key: nil (no decision there); 'limited' and `overLimit()`'s reply
-- (a replay skips the decision, not the rate limit: issue 24; the stored decision implies the entity
-- exists, so counting writes nothing for an unknown id); 'reused' (another request's key); or
-- 'replay' and the stored reply.
local function storedDecision(key, fingerprint, overLimit)
  if fingerprint == '' then return nil end
  local stored = redis.call('GET', key)
  if not stored then return nil end
  local limited = overLimit()
  if limited then return 'limited', limited end
  local record = cjson.decode(stored)
  if record.fp ~= fingerprint then return 'reused' end
  return 'replay', record.reply
end

-- Keeps the encoded reply as the request's decision for `ttlSeconds`; returns it.
local function keepDecision(key, fingerprint, encoded, ttlSeconds)
  if fingerprint ~= '' then
    redis.call('SET', key, cjson.encode({ fp = fingerprint, reply = encoded }), 'EX', ttlSeconds)
  end
  return encoded
end
