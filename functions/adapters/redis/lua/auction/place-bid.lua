--[[
place-bid.lua: decide one bid atomically against the auction's state, with the server clock.

KEYS[1]  {a:ID}                  auction hash
KEYS[2]  {a:ID}:bids             recent bids, newest first (list)
KEYS[3]  {a:ID}:events           event log (zset, score = seq)
KEYS[4]  {a:ID}:outbox           events not yet acknowledged by SQS (hash eventId -> envelope)
KEYS[5]  {a:ID}:rl:USER          this bidder's counter for the current rate window
KEYS[6]  {a:ID}:idem:USER:KEY    stored decision for the Idempotency-Key (never written without one)
KEYS[7]  {a:ID}:run:BIDID        this request's first run, when it accepted the bid (see below)
ARGV[1]  bidderId
ARGV[2]  amount, decimal string
ARGV[3]  bid id, made by the caller (ULID)
ARGV[4]  request fingerprint, '' when the request has no Idempotency-Key
ARGV[5]  rate limit: bids allowed per window, 0 = no limit
ARGV[6]  rate window, ms
ARGV[7]  event log length kept
ARGV[8]  idempotency record lifetime, seconds
ARGV[9]  recent bids kept
ARGV[10] maxAmount, decimal string, '' when the bid has none (proxy bidding, API.md v1.1)
ARGV[11] the Idempotency-Key ('' without one): the last event of a decision made under a key carries
         it (`payload.idempotency`: userId, key, fingerprint and, on proxy-bidding replies, `reply`:
         outbid, maxRaised and the request's own bid when it is not that event's bid), so that a
         rebuild from PostgreSQL restores the stored decision (restore-auction.lua)
ARGV[12] how long an accepting run is kept, seconds

Tiered increments (API.md v1.2, includes/increments.lua): with an `incrementTable` in the record, the
increment in force at a price is the table's row for it; the next minimum, both proxy raises and the
ceiling follow it, and every price change rewrites `minIncrement` to the increment in force.
A close recorded before `startsAt` (a scheduled auction the seller cancelled or ended) answers
auction_closed, not auction_not_open.

Reply (JSON string), every reply carries the server time `now` (epoch ms):
  {"ok":true,"events":[{...}],"extended":bool}   a bid that changed the price once, as in v1:
      events[1].payload carries the state and the bid
  {"ok":true,"events":[...],"extended":bool,"outbid":bool,"maxRaised":bool,"bid":{...}}
      proxy bidding: the request's own bid (with its maxAmount), then the raise the proxy made, if
      any (a bid with proxy = true); a leader's raise of their maximum that moves no price is one
      bid.max_raised event without a bid, and `bid` is their standing bid with the new maximum.
      The state (payload.state) carries the leader's secret maximum as `leaderMax` ('' = none).
  {"ok":false,"code":"auction_not_found"}
  {"ok":false,"code":"rate_limited","retryAfterMs":N}
  {"ok":false,"code":"seller_cannot_bid"|"auction_not_open"|"auction_closed"|"already_leading"}
  {"ok":false,"code":"bid_too_low","minimumBid":"N"}
  {"ok":false,"code":"above_ceiling","field":"amount"|"maxAmount","maximumBid":"N"}   the amount or
      maximum is above MAX_SAFE_INTEGER - minIncrement (the table's largest increment with a table:
      the next minimum would not be safe)
  {"ok":false,"code":"idempotency_key_reused"}
  a stored reply with "replayed":true when the key was seen with the same fingerprint (a replay
  counts toward the rate limit like any attempt: over it, rate_limited)
Decisions (accepted or refused by a rule) are stored under the key; rate limiting and an unknown
auction are not, since retrying after them is the point.
The bid id makes the run idempotent: ioredis resends a command whose reply a reset connection lost,
so this script may run twice with the same arguments. A run that accepts keeps its reply's head
under KEYS[7] with the seq range of its events (still in the log); a second run answers that reply,
events included, and changes and counts nothing (not "already_leading"). A refusal changes nothing
but the rate counter, and is decided again.

Cost (issue 17: one auction's every decision runs on one shard, one script at a time): a refusal
reads the hash once and answers a few fields, never the state; the event log is trimmed only once
it is full and the recent-bids list only once it is over its length (npm run bench:redis).
]]
-- @include clock
-- @include int
-- @include auction-request
-- @include increments
local fingerprint = ARGV[4]

local answered, overLimit, remember = openAuctionRequest({
  run = KEYS[7], log = KEYS[3],
  counter = KEYS[5], limit = tonumber(ARGV[5]), windowMs = tonumber(ARGV[6]),
  decision = KEYS[6], fingerprint = fingerprint, decisionTtlSeconds = tonumber(ARGV[8]),
})
if answered then return answered end

-- An accepted bid's reply, from its head and its events (seq first..last), kept for a second run.
local function accepted(first, last, head, events)
  redis.call('SET', KEYS[7], int(first) .. ' ' .. int(last) .. ' ' .. head, 'EX', tonumber(ARGV[12]))
  return remember(head .. ',"events":[' .. events .. ']}')
end

-- What the decision's last event carries when it was made under an Idempotency-Key (ARGV[11]).
local function keyed(reply)
  if fingerprint == '' then return nil end
  return { userId = ARGV[1], key = ARGV[11], fingerprint = fingerprint, reply = reply }
end

-- The rules read a few fields: one HMGET, which is the existence check too (every auction has a
-- sellerId). The whole state (an HGETALL costs ~3x as much) is read only for an accepted bid, whose
-- event carries it.
local RULE_FIELDS = { 'sellerId', 'startsAt', 'endsAt', 'closedAt', 'leaderId', 'leaderMax', 'currentPrice',
  'startingPrice', 'minIncrement', 'incrementTable' }
local head = redis.call('HMGET', KEYS[1], 'sellerId', 'startsAt', 'endsAt', 'closedAt', 'leaderId', 'leaderMax',
  'currentPrice', 'startingPrice', 'minIncrement', 'incrementTable')
-- Not stored under the key: the auction may appear (created late, or rebuilt after Redis lost it),
-- and the retry of the same request must then be decided, not answered 404 again.
if not head[1] then
  return cjson.encode({ ok = false, now = now, code = 'auction_not_found' })
end

-- Input this auction cannot take: every price a bid can make is at most its amount or its maximum,
-- and the next minimum (price + minIncrement) must stay a safe integer (issue 24). Like the edge's
-- input errors, neither counted nor stored.
local tiers = parseTiers(head[10])
local ceiling = 9007199254740991 - (tiers and largestIncrement(tiers) or tonumber(head[9]))
local field = nil
if tonumber(ARGV[2]) > ceiling then field = 'amount' elseif ARGV[10] ~= '' and tonumber(ARGV[10]) > ceiling then
  field = 'maxAmount'
end
if field then
  return '{"ok":false,"code":"above_ceiling","field":"' .. field .. '","maximumBid":"' .. int(ceiling) .. '","now":' ..
    int(now) .. '}'
end

local limited = overLimit()
if limited then return limited end

local state = {}
for i = 1, #RULE_FIELDS do
  if head[i] then state[RULE_FIELDS[i]] = head[i] end
end

-- A refusal names its rule only: the HTTP answer says no more, so the state is not encoded.
local function refuse(code)
  return remember('{"ok":false,"code":"' .. code .. '","now":' .. int(now) .. '}')
end

local bidder = ARGV[1]
local amount = tonumber(ARGV[2])
local maxAmount = nil
if ARGV[10] ~= '' then maxAmount = tonumber(ARGV[10]) end
if bidder == state.sellerId then return refuse('seller_cannot_bid') end
local closed = state.closedAt ~= ''
if not closed and now < tonumber(state.startsAt) then return refuse('auction_not_open') end
if closed or now >= tonumber(state.endsAt) then
  return refuse('auction_closed')
end
-- The leader's maximum: their amount (the price) when they gave none. Records written before proxy
-- bidding have no leaderMax field.
local storedLeaderMax = state.leaderMax
local leaderMax = storedLeaderMax
if leaderMax == '' then leaderMax = nil end
if leaderMax ~= nil then leaderMax = tonumber(leaderMax) end
local leading = state.leaderId == bidder
if leading and (maxAmount == nil or maxAmount <= (leaderMax or tonumber(state.currentPrice))) then
  return refuse('already_leading')
end

-- The increment in force at a price: the table's row, else the fixed increment.
local fixedIncrement = tonumber(state.minIncrement)
local function incrementFor(price)
  if tiers then return incrementAt(tiers, price) end
  return fixedIncrement
end
local minimum
if state.currentPrice == '' then
  minimum = tonumber(state.startingPrice)
else
  minimum = tonumber(state.currentPrice) + incrementFor(tonumber(state.currentPrice))
end
if not leading and amount < minimum then
  return remember('{"ok":false,"code":"bid_too_low","minimumBid":"' .. int(minimum) .. '","now":' .. int(now) .. '}')
end

local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do state[flat[i]] = flat[i + 1] end

if maxAmount == nil and leaderMax == nil then
  -- Neither this bid nor the leader has a maximum: exactly v1, one price change at the amount.
  -- Kept inline, apart from the helpers below: their closures and tables cost this, the hot path,
  -- about 5% of its Redis time (npm run bench:bid-script).
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
  if tiers then
    state.minIncrement = int(incrementAt(tiers, amount))
    redis.call('HSET', KEYS[1], 'minIncrement', state.minIncrement)
  end
  local bid = { id = ARGV[3], auctionId = state.id, bidderId = bidder, amount = int(amount), seq = seq, placedAt = now }
  if redis.call('LPUSH', KEYS[2], cjson.encode(bid)) > tonumber(ARGV[9]) then
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[9]) - 1)
  end
  local event = {
    eventId = 'a:' .. state.id .. ':' .. state.seq, type = 'bid.accepted', entityType = 'auction',
    entityId = state.id, seq = seq, occurredAt = now,
    payload = { state = state, bid = bid, extended = extended, idempotency = keyed(nil) },
  }
  local encodedEvent = cjson.encode(event)
  redis.call('ZADD', KEYS[3], seq, encodedEvent)
  -- The log holds at most seq events: below its length there is nothing to trim.
  if seq > tonumber(ARGV[7]) then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[7]) + 1)) end
  redis.call('HSET', KEYS[4], event.eventId, encodedEvent)
  -- The event is spliced in as already encoded: encoding the state a second time is a good part
  -- of the script's cost.
  return accepted(seq, seq, '{"ok":true,"now":' .. int(now) .. ',"extended":' .. tostring(extended), encodedEvent)
end

-- Proxy bidding. Every price change below is a recorded bid with its own seq and event.
local antiWindow = state.antiWindow ~= '' and tonumber(state.antiWindow) * 1000 or nil
local extendedAny = false
local entries = {}
local outboxFields = {}
local encodedEvents = {}
local seq = tonumber(state.seq)
local firstSeq = seq + 1

local function recordEvent(type, payload)
  seq = seq + 1
  state.seq = int(seq)
  local event = {
    eventId = 'a:' .. state.id .. ':' .. state.seq, type = type, entityType = 'auction',
    entityId = state.id, seq = seq, occurredAt = now, payload = payload,
  }
  local encoded = cjson.encode(event)
  redis.call('ZADD', KEYS[3], seq, encoded)
  outboxFields[#outboxFields + 1] = event.eventId
  outboxFields[#outboxFields + 1] = encoded
  encodedEvents[#encodedEvents + 1] = encoded
end

-- One price change: anti-sniping (a change inside the window moves the end to acceptedAt +
-- extendSeconds, never earlier than it already is, at most antiMax times; the second change of a
-- request happens at the same instant, so it never moves the end again), the state, the bid.
local function priceChange(id, bidderId, price, proxy, bidMax, idempotency)
  local extended = false
  if antiWindow then
    local endsAt = tonumber(state.endsAt)
    local newEnd = now + tonumber(state.antiExtend) * 1000
    if endsAt - now < antiWindow and tonumber(state.extensions) < tonumber(state.antiMax) and newEnd > endsAt then
      state.endsAt = int(newEnd)
      state.extensions = int(tonumber(state.extensions) + 1)
      extended = true
      extendedAny = true
    end
  end
  state.currentPrice = int(price)
  if tiers then state.minIncrement = int(incrementAt(tiers, price)) end
  state.leaderId = bidderId
  state.bidCount = int(tonumber(state.bidCount) + 1)
  local bid = { id = id, auctionId = state.id, bidderId = bidderId, amount = int(price), seq = seq + 1, placedAt = now }
  if proxy then bid.proxy = true end
  -- The recent-bids list is public: it never holds a maximum.
  entries[#entries + 1] = cjson.encode(bid)
  if bidMax then bid.maxAmount = int(bidMax) end
  recordEvent('bid.accepted', { state = state, bid = bid, extended = extended, idempotency = idempotency })
  return bid
end

local function finish(reply)
  redis.call('HSET', KEYS[1], 'seq', state.seq, 'currentPrice', state.currentPrice, 'leaderId', state.leaderId,
    'bidCount', state.bidCount, 'endsAt', state.endsAt, 'extensions', state.extensions)
  if state.leaderMax ~= storedLeaderMax then redis.call('HSET', KEYS[1], 'leaderMax', state.leaderMax) end
  if tiers then redis.call('HSET', KEYS[1], 'minIncrement', state.minIncrement) end
  if #entries > 0 and redis.call('LPUSH', KEYS[2], unpack(entries)) > tonumber(ARGV[9]) then
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[9]) - 1)
  end
  if seq > tonumber(ARGV[7]) then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[7]) + 1)) end
  redis.call('HSET', KEYS[4], unpack(outboxFields))
  -- Events are spliced in as already encoded: encoding the state a second time is a good part of
  -- the script's cost.
  local events = #encodedEvents == 1 and encodedEvents[1] or table.concat(encodedEvents, ',')
  return accepted(firstSeq, seq, '{"ok":true,"now":' .. int(now) .. ',"extended":' .. tostring(extendedAny) .. reply,
    events)
end

local reserve = state.reservePrice ~= '' and state.reservePrice ~= nil and tonumber(state.reservePrice) or nil
-- The reserve lift: a leader whose maximum reaches the reserve is raised to it.
local function lifted(price, max)
  if reserve == nil or max < reserve or price >= reserve then return price end
  return math.min(max, reserve)
end

if leading then
  -- The leader raises their own maximum: no price change, unless it lifts the price to the reserve.
  state.leaderMax = int(maxAmount)
  local price = tonumber(state.currentPrice)
  local raisedTo = lifted(price, maxAmount)
  local own
  if raisedTo ~= price then
    own = priceChange(ARGV[3], bidder, raisedTo, true, maxAmount, keyed({ outbid = false, maxRaised = true }))
  else
    -- The newest recorded bid is always the leader's, at the price.
    local standing = redis.call('LINDEX', KEYS[2], 0)
    own = standing and cjson.decode(standing) or
      { id = ARGV[3], auctionId = state.id, bidderId = bidder, amount = state.currentPrice, seq = seq + 1, placedAt = now }
    own.maxAmount = int(maxAmount)
    recordEvent('bid.max_raised', { state = state, idempotency = keyed({ outbid = false, maxRaised = true, bid = own }) })
  end
  return finish(',"outbid":false,"maxRaised":true,"bid":' .. cjson.encode(own))
end


-- The request's own bid, as in v1: its bidder leads at its amount for one seq. Then the proxy
-- raises whoever leads by the rule to the price the rule gives (a bid with its own seq), if that
-- is not already the state.
local challenge = maxAmount or amount
local defender = state.leaderId
local defended = leaderMax or tonumber(state.currentPrice)
local winner, winnerMax, price = bidder, maxAmount, amount
if defender ~= '' then
  if challenge > defended then
    -- One increment of the tier of the maximum that was beaten.
    price = math.max(amount, math.min(challenge, defended + incrementFor(defended)))
  else
    -- Equal maxima go to the earlier bidder: the leader.
    winner, winnerMax = defender, leaderMax
    price = math.min(defended, challenge + incrementFor(challenge))
  end
end
price = lifted(price, winnerMax or price)
local raised = winner ~= bidder or price ~= amount
state.leaderMax = maxAmount and int(maxAmount) or ''
local own = priceChange(ARGV[3], bidder, amount, false, maxAmount,
  not raised and keyed({ outbid = false, maxRaised = false }) or nil)
if raised then
  state.leaderMax = winnerMax and int(winnerMax) or ''
  priceChange(ARGV[3] .. '-p', winner, price, true, winnerMax,
    keyed({ outbid = winner ~= bidder, maxRaised = false, bid = own }))
end
return finish(',"outbid":' .. tostring(winner ~= bidder) .. ',"maxRaised":false,"bid":' .. cjson.encode(own))
