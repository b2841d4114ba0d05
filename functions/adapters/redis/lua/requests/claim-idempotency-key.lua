--[[
claim-idempotency-key.lua: count one request of a user toward the user-wide rate limit and, if it
carries an Idempotency-Key and is within the limit, claim the key user-wide (first fingerprint
wins). Both keys carry the user's hash tag `{u:USER}`: one slot. Runs before anything else of a bid
or a reservation is written, so a user over the limit writes nothing but this counter.

Every request counts, a replay of a claimed key too (issue 24: 300 replays with every limit at 2
per minute were 300 answers and 300 scripts on the item's shard): a replay may skip the decision,
not the rate limit. Over the limit a replay is a 429 with Retry-After, which a client that lost an
answer must read as "retry with the same key after that", not as "not placed".

A claim can carry its decision (ARGV[5]), bound when the claim is made: the HTTP function answers
a reservation of a product it remembers sold out without the product's script (sold-out-memo.ts),
and the decision must be the one every later request with the key replays. Made in the same step as
the claim, no request with the key can slip in between and be decided otherwise.

KEYS[1]  rl:{u:USER}          the user's request counter for the current window (PX = window)
KEYS[2]  idem:{u:USER}:KEY    the claim: the request fingerprint, then a newline and the decision
                              when one was bound to it (never written without a key)
ARGV[1]  requests allowed per window, 0 = no limit
ARGV[2]  window, ms
ARGV[3]  request fingerprint, '' = no Idempotency-Key (count only)
ARGV[4]  claim lifetime, seconds
ARGV[5]  the decision to bind to a new claim ('' = none: the entity's script decides)
Reply (array): {'limited', retryAfterMs} | {'admitted'} (no key) | {'new'} | {'same'} |
               {'same', decision} | {'different'}
]]
-- @include fixed-window
local fingerprint = ARGV[3]
local limit = tonumber(ARGV[1])
local retryAfter = windowLimited(KEYS[1], limit, tonumber(ARGV[2]))
if retryAfter then return { 'limited', retryAfter } end
if fingerprint == '' then return { 'admitted' } end
local claimed = redis.call('GET', KEYS[2])
if claimed then
  local newline = string.find(claimed, '\n', 1, true)
  local claimedBy = newline and string.sub(claimed, 1, newline - 1) or claimed
  if claimedBy ~= fingerprint then return { 'different' } end
  if newline then return { 'same', string.sub(claimed, newline + 1) } end
  return { 'same' }
end
-- Unclaimed, and a script runs alone: this SET always creates the claim.
local decision = ARGV[5] or ''
redis.call('SET', KEYS[2], decision == '' and fingerprint or fingerprint .. '\n' .. decision, 'EX', tonumber(ARGV[4]))
return { 'new' }
