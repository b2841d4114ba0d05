--[[
buy-now.lua: a buyer takes the auction at its Buy It Now price, which closes it at once (API.md
v1.2, "Auction house"). Decided on the auction's slot with the server clock, so a buy-now and a bid
are never both accepted: whichever script runs first decides, the other sees its effect (a bid after
a buy-now: auction_closed; a buy-now after the bid that made it unavailable: buy_now_unavailable).

KEYS[1]  {a:ID}                  auction hash
KEYS[2]  {a:ID}:events           event log (zset, score = seq)
KEYS[3]  {a:ID}:outbox           events not yet acknowledged by SQS (hash eventId -> envelope)
KEYS[4]  {a:ID}:rl:USER          the buyer's counter for the current rate window (shared with bids)
KEYS[5]  {a:ID}:idem:USER:KEY    stored decision for the Idempotency-Key (never written without one)
KEYS[6]  {a:ID}:run:REQUEST      this request's first run, when it bought (a resent command repeats it)
ARGV[1]  buyerId
ARGV[2]  request fingerprint, '' when the request has no Idempotency-Key
ARGV[3]  rate limit: attempts allowed per window, 0 = no limit
ARGV[4]  rate window, ms
ARGV[5]  event log length kept
ARGV[6]  idempotency record lifetime, seconds
ARGV[7]  how long an accepting run is kept, seconds

Buy It Now is available while the auction is open, has a buyNowPrice, and no bid has been placed
(without a reserve) or the reserve is not met yet (with one); the price only rises and a close is
final, so once unavailable it stays so. The buyer becomes the leader at buyNowPrice (the winner of
the closed auction), the leader's secret maximum is dropped; no bid is recorded (bidCount unchanged).

Reply (JSON string), every reply carries the server time `now` (epoch ms):
  {"ok":true,"events":[{...}]}      the auction.closed event (closedBy "buy_now"), state in its payload
  {"ok":false,"code":"auction_not_found"}
  {"ok":false,"code":"rate_limited","retryAfterMs":N}
  {"ok":false,"code":"seller_cannot_bid"|"auction_not_open"|"auction_closed"|"buy_now_unavailable"}
  {"ok":false,"code":"idempotency_key_reused"}
  a stored reply with "replayed":true when the key was seen with the same fingerprint
Decisions are stored under the key as for bids (place-bid.lua); rate limiting and an unknown auction
are not.
]]
-- @include clock
-- @include int
-- @include hash
-- @include auction-request
-- @include increments
-- @include close-now
local fingerprint = ARGV[2]

local answered, overLimit, remember = openAuctionRequest({
  run = KEYS[6], log = KEYS[2],
  counter = KEYS[4], limit = tonumber(ARGV[3]), windowMs = tonumber(ARGV[4]),
  decision = KEYS[5], fingerprint = fingerprint, decisionTtlSeconds = tonumber(ARGV[6]),
})
if answered then return answered end

local state = readHash(KEYS[1])
-- Not stored under the key: the auction may appear (created late, or rebuilt after Redis lost it).
if not state then return cjson.encode({ ok = false, now = now, code = 'auction_not_found' }) end
local limited = overLimit()
if limited then return limited end

local function refuse(code)
  return remember('{"ok":false,"code":"' .. code .. '","now":' .. int(now) .. '}')
end

local buyer = ARGV[1]
if buyer == state.sellerId then return refuse('seller_cannot_bid') end
-- A close recorded before the start (a scheduled auction the seller cancelled) is a close.
local closed = (state.closedAt or '') ~= ''
if not closed and now < tonumber(state.startsAt) then return refuse('auction_not_open') end
if closed or now >= tonumber(state.endsAt) then return refuse('auction_closed') end
local buyNowPrice = state.buyNowPrice or ''
if buyNowPrice == '' then return refuse('buy_now_unavailable') end
local reserve = state.reservePrice or ''
if state.currentPrice ~= '' and (reserve == '' or tonumber(state.currentPrice) >= tonumber(reserve)) then
  return refuse('buy_now_unavailable')
end

state.leaderId = buyer
state.currentPrice = buyNowPrice
state.leaderMax = ''
local changed = { 'leaderId', 'currentPrice', 'leaderMax' }
local tiers = parseTiers(state.incrementTable)
if tiers then
  state.minIncrement = int(incrementAt(tiers, tonumber(buyNowPrice)))
  changed[#changed + 1] = 'minIncrement'
end
local encoded = closeNow(state, 'buy_now', changed, KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[5]))
local head = '{"ok":true,"now":' .. int(now)
redis.call('SET', KEYS[6], state.seq .. ' ' .. state.seq .. ' ' .. head, 'EX', tonumber(ARGV[7]))
return remember(head .. ',"events":[' .. encoded .. ']}')
