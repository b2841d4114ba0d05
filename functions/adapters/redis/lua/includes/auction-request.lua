-- auction-request: the opening of a user's keyed request on an auction (a bid, a buy-now), one
-- piece so both answer alike: the user's attempts in the current window (the counter both share),
-- then what the request's Idempotency-Key holds (a replay skips the decision, not the rate limit:
-- issue 24).
-- @include clock
-- @include fixed-window
-- @include stored-decision

-- Returns the answer to give at once (over the limit before a replay, the key reused by another
-- request, the stored reply) or nil; then `overLimit()`, the refusal when the user is over the
-- limit (the caller counts the attempt once it knows the auction), and `remember(encoded)`, which
-- keeps a decision under the key and returns it.
local function openAuctionRequest(counterKey, limit, windowMs, decisionKey, fingerprint, decisionTtlSeconds)
  local function overLimit()
    local ttl = windowLimited(counterKey, limit, windowMs)
    if ttl then return cjson.encode({ ok = false, now = now, code = 'rate_limited', retryAfterMs = ttl }) end
    return nil
  end
  local function remember(encoded) return keepDecision(decisionKey, fingerprint, encoded, decisionTtlSeconds) end
  local found, stored = storedDecision(decisionKey, fingerprint, overLimit)
  if found == 'limited' then return stored, overLimit, remember end
  if found == 'reused' then
    return cjson.encode({ ok = false, now = now, code = 'idempotency_key_reused' }), overLimit, remember
  end
  if found == 'replay' then
    local reply = cjson.decode(stored)
    reply.replayed = true
    return cjson.encode(reply), overLimit, remember
  end
  return nil, overLimit, remember
end
