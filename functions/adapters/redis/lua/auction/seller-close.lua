--[[
seller-close.lua: the seller ends their auction now, or cancels it (API.md v1.2, "Auction house"),
with the server clock, on the auction's slot: the same close as at endsAt (close-now), decided
atomically with bids and buy-nows. An end keeps the winner as at endsAt (the leader if the reserve
is met); a cancel marks the auction `cancelled` (no winner, no final price) with the seller's reason.

KEYS[1]  {a:ID}              auction hash
KEYS[2]  {a:ID}:events       event log (zset, score = seq)
KEYS[3]  {a:ID}:outbox       events not yet acknowledged by SQS (hash eventId -> envelope)
KEYS[4]  {a:ID}:run:REQUEST  this request's first run, when it closed (a resent command repeats it)
ARGV[1]  the caller (must be the auction's sellerId)
ARGV[2]  'end' | 'cancel'
ARGV[3]  the reason of a cancel ('' for an end)
ARGV[4]  event log length kept
ARGV[5]  how long an accepting run is kept, seconds

Reply (JSON string), every reply carries the server time `now` (epoch ms):
  {"ok":true,"events":[{...}]}      the auction.closed event (closedBy "seller"), state in its payload
  {"ok":false,"code":"auction_not_found"}
  {"ok":false,"code":"forbidden"}            another user's auction
  {"ok":false,"code":"auction_closed"}       closed already (by the clock, a buy-now or the seller)
]]
-- @include clock
-- @include int
-- @include hash
-- @include rerun
-- @include close-now

local again = rerun(KEYS[4], KEYS[2])
if again then return again end

local state = readHash(KEYS[1])
if not state then return cjson.encode({ ok = false, now = now, code = 'auction_not_found' }) end
if state.sellerId ~= ARGV[1] then return cjson.encode({ ok = false, now = now, code = 'forbidden' }) end
if (state.closedAt or '') ~= '' or now >= tonumber(state.endsAt) then
  return cjson.encode({ ok = false, now = now, code = 'auction_closed' })
end

local changed = {}
if ARGV[2] == 'cancel' then
  state.cancelled = '1'
  state.cancelReason = ARGV[3]
  changed = { 'cancelled', 'cancelReason' }
end
local encoded = closeNow(state, 'seller', changed, KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[4]))
local head = '{"ok":true,"now":' .. int(now)
redis.call('SET', KEYS[4], state.seq .. ' ' .. state.seq .. ' ' .. head, 'EX', tonumber(ARGV[5]))
return head .. ',"events":[' .. encoded .. ']}'
