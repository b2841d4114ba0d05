-- auction-request: the opening of a user's keyed request on an auction (a bid, a buy-now), one
-- piece so both answer alike: a second run of the same command repeats the first (rerun), then the
-- user's attempts in the current window (the counter both share), then what the request's
-- Idempotency-Key holds (a replay skips the decision, not the rate limit: issue 24).
-- @include clock
-- @include rerun
-- @include fixed-window
-- @include stored-decision

-- `request`: { run, log (rerun's keys), counter, limit, windowMs (the user's window), decision,
-- fingerprint, decisionTtlSeconds (the Idempotency-Key's stored decision) }.
-- Returns the answer to give at once (the first run's; over the limit before a replay; the key
-- reused by another request; the stored reply) or nil; then `overLimit()`, the refusal when the
-- user is over the limit (the caller counts the attempt once it knows the auction), and
-- `remember(encoded)`, which keeps a decision under the key and returns it.
local function openAuctionRequest(request)
  local function overLimit()
    local ttl = windowLimited(request.counter, request.limit, request.windowMs)
    if ttl then return cjson.encode({ ok = false, now = now, code = 'rate_limited', retryAfterMs = ttl }) end
    return nil
  end
  local function remember(encoded)
    return keepDecision(request.decision, request.fingerprint, encoded, request.decisionTtlSeconds)
  end
  local again = rerun(request.run, request.log)
  if again then return again, overLimit, remember end
  local found, stored = storedDecision(request.decision, request.fingerprint, overLimit)
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
