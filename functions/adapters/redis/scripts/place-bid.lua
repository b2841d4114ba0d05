--[[
place-bid.lua: decide one bid atomically against the auction's state, with the server clock.

KEYS[1]  {a:ID}                  auction hash
KEYS[2]  {a:ID}:bids             recent bids, newest first (list)
KEYS[3]  {a:ID}:events           event log (zset, score = seq)
KEYS[4]  {a:ID}:outbox           events not yet acknowledged by SQS (hash eventId -> envelope)
KEYS[5]  {a:ID}:rl:USER          this bidder's counter for the current rate window
KEYS[6]  {a:ID}:idem:USER:KEY    stored decision for the Idempotency-Key (never written without one)
ARGV[1]  bidderId
ARGV[2]  amount, decimal string
ARGV[3]  bid id, made by the caller (ULID)
ARGV[4]  request fingerprint, '' when the request has no Idempotency-Key
ARGV[5]  rate limit: bids allowed per window, 0 = no limit
ARGV[6]  rate window, ms
ARGV[7]  event log length kept
ARGV[8]  idempotency record lifetime, seconds
ARGV[9]  recent bids kept

Reply (JSON string), every reply carries the server time `now` (epoch ms):
  {"ok":true,"event":{...},"extended":bool}   (event.payload carries the state and the bid)
  {"ok":false,"code":"auction_not_found"}
  {"ok":false,"code":"rate_limited","retryAfterMs":N}
  {"ok":false,"code":"seller_cannot_bid"|"auction_not_open"|"auction_closed"|"already_leading","state":{...}}
  {"ok":false,"code":"bid_too_low","minimumBid":"N","state":{...}}
  {"ok":false,"code":"idempotency_key_reused"}
  a stored reply with "replayed":true when the key was seen with the same fingerprint
Decisions (accepted or refused by a rule) are stored under the key; rate limiting and an unknown
auction are not, since retrying after them is the point.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(n) return string.format('%.0f', n) end
local fingerprint = ARGV[4]

if fingerprint ~= '' then
  local stored = redis.call('GET', KEYS[6])
  if stored then
    local record = cjson.decode(stored)
    if record.fp ~= fingerprint then
      return cjson.encode({ ok = false, now = now, code = 'idempotency_key_reused' })
    end
    local reply = cjson.decode(record.reply)
    reply.replayed = true
    return cjson.encode(reply)
  end
end

local function remember(encoded)
  if fingerprint ~= '' then
    redis.call('SET', KEYS[6], cjson.encode({ fp = fingerprint, reply = encoded }), 'EX', tonumber(ARGV[8]))
  end
  return encoded
end

local function decide(reply)
  reply.now = reply.now or now
  return remember(cjson.encode(reply))
end

-- Not stored under the key: the auction may appear (created late, or rebuilt after Redis lost it),
-- and the retry of the same request must then be decided, not answered 404 again.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return cjson.encode({ ok = false, now = now, code = 'auction_not_found' })
end

local limit = tonumber(ARGV[5])
if limit > 0 then
  local count = redis.call('INCR', KEYS[5])
  if count == 1 then redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[6])) end
  if count > limit then
    local ttl = redis.call('PTTL', KEYS[5])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[6]))
      ttl = tonumber(ARGV[6])
    end
    return cjson.encode({ ok = false, now = now, code = 'rate_limited', retryAfterMs = ttl })
  end
end

local flat = redis.call('HGETALL', KEYS[1])
local state = {}
for i = 1, #flat, 2 do state[flat[i]] = flat[i + 1] end

local bidder = ARGV[1]
local amount = tonumber(ARGV[2])
if bidder == state.sellerId then return decide({ ok = false, code = 'seller_cannot_bid', state = state }) end
if now < tonumber(state.startsAt) then return decide({ ok = false, code = 'auction_not_open', state = state }) end
if state.closedAt ~= '' or now >= tonumber(state.endsAt) then
  return decide({ ok = false, code = 'auction_closed', state = state })
end
if state.leaderId == bidder then return decide({ ok = false, code = 'already_leading', state = state }) end

local minimum
if state.currentPrice == '' then
  minimum = tonumber(state.startingPrice)
else
  minimum = tonumber(state.currentPrice) + tonumber(state.minIncrement)
end
if amount < minimum then
  return decide({ ok = false, code = 'bid_too_low', minimumBid = int(minimum), state = state })
end

-- Accepted. Anti-sniping: a bid inside the window moves the end to acceptedAt + extendSeconds,
-- never earlier than it already is, and at most antiMax times.
local extended = false
local endsAt = tonumber(state.endsAt)
if state.antiWindow ~= '' then
  local window = tonumber(state.antiWindow) * 1000
  local newEnd = now + tonumber(state.antiExtend) * 1000
  if endsAt - now < window and tonumber(state.extensions) < tonumber(state.antiMax) and newEnd > endsAt then
    state.endsAt = int(newEnd)
    state.extensions = int(tonumber(state.extensions) + 1)
    extended = true
  end
end

local seq = tonumber(state.seq) + 1
state.seq = int(seq)
state.currentPrice = int(amount)
state.leaderId = bidder
state.bidCount = int(tonumber(state.bidCount) + 1)
redis.call('HSET', KEYS[1], 'seq', state.seq, 'currentPrice', state.currentPrice, 'leaderId', bidder,
  'bidCount', state.bidCount, 'endsAt', state.endsAt, 'extensions', state.extensions)

local bid = { id = ARGV[3], auctionId = state.id, bidderId = bidder, amount = int(amount), seq = seq, placedAt = now }
redis.call('LPUSH', KEYS[2], cjson.encode(bid))
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[9]) - 1)

local event = {
  eventId = 'a:' .. state.id .. ':' .. state.seq, type = 'bid.accepted', entityType = 'auction',
  entityId = state.id, seq = seq, occurredAt = now,
  payload = { state = state, bid = bid, extended = extended },
}
local encodedEvent = cjson.encode(event)
redis.call('ZADD', KEYS[3], seq, encodedEvent)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[7]) + 1))
redis.call('HSET', KEYS[4], event.eventId, encodedEvent)

-- The accepted reply carries the event only (its payload holds the state and the bid), spliced in
-- as already encoded: encoding the state a second time is a good part of the script's cost.
return remember('{"ok":true,"now":' .. int(now) .. ',"extended":' .. tostring(extended) .. ',"event":' .. encodedEvent .. '}')
