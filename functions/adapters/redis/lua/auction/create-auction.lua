--[[
create-auction.lua: create one auction, atomically, with the Redis server clock.

KEYS[1]  {a:ID}          auction hash
KEYS[2]  {a:ID}:events   event log (zset, score = seq)
KEYS[3]  {a:ID}:outbox   events not yet acknowledged by SQS (hash eventId -> envelope)
ARGV[1]  JSON {id,title,sellerId,startingPrice,minIncrement,reservePrice,startsAt,endsAt,
               antiWindow,antiExtend,antiMax}; money as decimal strings, times epoch ms ('' = none)
ARGV[2]  longest allowed distance from now to endsAt, ms
ARGV[3]  event log length kept

Reply (JSON string):
  {"ok":true,"now":ms,"state":{...},"event":{...}}
  {"ok":false,"now":ms,"code":"auction_exists"}
  {"ok":false,"now":ms,"code":"invalid_schedule","field":"endsAt","message":"..."}
]]
-- @include clock
-- @include int
-- @include hash

if redis.call('EXISTS', KEYS[1]) == 1 then
  return cjson.encode({ ok = false, now = now, code = 'auction_exists' })
end

local input = cjson.decode(ARGV[1])
local startsAt = now
if input.startsAt ~= '' then startsAt = tonumber(input.startsAt) end
local endsAt = tonumber(input.endsAt)
local function invalid(field, message)
  return cjson.encode({ ok = false, now = now, code = 'invalid_schedule', field = field, message = message })
end
if endsAt <= startsAt then return invalid('endsAt', 'endsAt must be after startsAt') end
if endsAt <= now then return invalid('endsAt', 'endsAt must be in the future') end
if endsAt - now > tonumber(ARGV[2]) then return invalid('endsAt', 'endsAt must be at most 30 days away') end

local state = {
  id = input.id, title = input.title, sellerId = input.sellerId,
  startingPrice = input.startingPrice, minIncrement = input.minIncrement,
  reservePrice = input.reservePrice,
  startsAt = int(startsAt), endsAt = int(endsAt),
  antiWindow = input.antiWindow, antiExtend = input.antiExtend, antiMax = input.antiMax,
  extensions = '0', currentPrice = '', leaderId = '', bidCount = '0', seq = '1',
  createdAt = int(now), closedAt = '',
  -- Auction house (API.md v1.2): absent (nil) when not given, so a v1 record keeps its fields.
  buyNowPrice = input.buyNowPrice, incrementTable = input.incrementTable,
}
writeHash(KEYS[1], state)

local event = {
  eventId = 'a:' .. input.id .. ':1', type = 'auction.created', entityType = 'auction',
  entityId = input.id, seq = 1, occurredAt = now, payload = { state = state },
}
local encoded = cjson.encode(event)
redis.call('ZADD', KEYS[2], 1, encoded)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('HSET', KEYS[3], event.eventId, encoded)

return cjson.encode({ ok = true, now = now, state = state, event = event })
