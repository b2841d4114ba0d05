--[[
reserve-order.lua: decide one reservation atomically against the product's state, with the server
clock: sale window, stock (never below zero), the per-user limit over the user's live (reserved +
paid) orders, rate limit and Idempotency-Key. Overdue reservations are expired first, so their
stock is back before this decision.

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:rl:USER          this user's counter for the current rate window
KEYS[8]     {p:ID}:idem:USER:KEY    stored decision for the Idempotency-Key (never written without one)
KEYS[9]     {p:ID}:fence            set while a lost product waits to be rebuilt
KEYS[10]    {o:ORDERID}             order pointer -> productId (same slot by construction of the id)
KEYS[11]    {o:ORDERID}:pending     webhook events parked before the order was visible
KEYS[12]    {p:ID}:run:ORDERID      this request's first run, when it changed something (see below)
ARGV[1]  userId
ARGV[2]  qty
ARGV[3]  order id, made by the caller (see order-ids.ts)
ARGV[4]  request fingerprint, '' when the request has no Idempotency-Key
ARGV[5]  rate limit: requests allowed per window, 0 = no limit
ARGV[6]  rate window, ms
ARGV[7]  event log length kept
ARGV[8]  idempotency record lifetime, seconds
ARGV[9]  most overdue reservations expired in this run
ARGV[10] the Idempotency-Key ('' without one): carried by the order.reserved event, so that a rebuild
         from PostgreSQL restores the stored decision
ARGV[11] how long the run is kept, seconds

Reply (JSON string), every reply carries the server time `now` and the events of the run:
  {"ok":true,"pendingPayments":bool,"events":[...,order.reserved]}   the product and the order
      after the change are the last event's payload (not repeated: this is the hot path)
  {"ok":false,"code":"product_not_found"|"product_unavailable"|"idempotency_key_reused","events":[]}
  {"ok":false,"code":"rate_limited","retryAfterMs":N,"events":[]}
  {"ok":false,"code":"sale_not_active","events":[...]}
  {"ok":false,"code":"limit_exceeded","limit":N,"purchased":N,"events":[...]}
  {"ok":false,"code":"sold_out","available":N,"saleEndsAt":N (when the sale has an end),"events":[...]}
  a stored reply with "replayed":true when the key was seen with the same fingerprint (a replay
  counts toward the rate limit like any request: over it, rate_limited)
Decisions are stored under the Idempotency-Key; rate limiting and an unavailable product are not,
since retrying after them is the point.
The order id makes the run idempotent: run again with the same arguments (ioredis resends a command
whose reply was lost) it answers the first run's reply, events included, and takes no more units.

Cost (issue 17: a product's every decision runs on one shard, one script at a time): one HMGET of
the product's fields (also the existence check); a refusal with no overdue reservation to expire
(the stampede after the last unit) answers from the rules' four, the earliest deadline and the
user's count, without building or encoding the product; the accepted reply is written out.
]]
-- @include clock
-- @include int
-- @include rerun
-- @include fixed-window
-- @include stored-decision
local userId = ARGV[1]
local qty = tonumber(ARGV[2])
local orderId = ARGV[3]
local fingerprint = ARGV[4]

local again = rerun(KEYS[12], KEYS[5])
if again then return again end

-- The user's requests on this product in the current window; the refusal when over the limit.
local function overLimit()
  local ttl = windowLimited(KEYS[7], tonumber(ARGV[5]), tonumber(ARGV[6]))
  if ttl then
    return '{"ok":false,"code":"rate_limited","retryAfterMs":' .. int(ttl) .. ',"now":' .. int(now) .. ',"events":[]}'
  end
  return nil
end

local found, stored = storedDecision(KEYS[8], fingerprint, overLimit)
if found == 'limited' then return stored end
if found == 'reused' then return '{"ok":false,"code":"idempotency_key_reused","now":' .. int(now) .. ',"events":[]}' end
if found == 'replay' then return string.sub(stored, 1, -2) .. ',"replayed":true}' end

local function remember(encoded) return keepDecision(KEYS[8], fingerprint, encoded, tonumber(ARGV[8])) end

-- The rules' fields (every product has them all, so a missing one means no product here), then the
-- rest of the product (its event carries all of it: the fields create-product.lua and
-- restore-product.lua write): one HMGET serves the refusals and the reservation alike.
local rules = redis.call('HMGET', KEYS[1], 'available', 'saleStartsAt', 'saleEndsAt', 'perUserLimit', 'id', 'name',
  'price', 'stock', 'reservationTtlSeconds', 'seq', 'createdAt')
if not rules[1] then
  local code = redis.call('EXISTS', KEYS[9]) == 1 and 'product_unavailable' or 'product_not_found'
  -- Not stored under the key: the product may appear (created late, or rebuilt), and the retry
  -- of the same request must then be decided.
  return '{"ok":false,"code":"' .. code .. '","now":' .. int(now) .. ',"events":[]}'
end

local limited = overLimit()
if limited then return limited end

local function outsideSale(startsAt, endsAt)
  return now < tonumber(startsAt) or (endsAt and endsAt ~= '' and now >= tonumber(endsAt))
end

local available = tonumber(rules[1])
if qty > available then
  -- Not enough stock unless an overdue reservation gives units back: with none overdue (the
  -- earliest deadline is still ahead) the answer follows from the rules' fields alone, in the
  -- rules' order, and nothing changes (no event).
  local earliest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  if earliest[2] == nil or tonumber(earliest[2]) > now then
    local stamp = ',"now":' .. int(now) .. ',"events":[]}'
    if outsideSale(rules[2], rules[3]) then return remember('{"ok":false,"code":"sale_not_active"' .. stamp) end
    local perUserLimit = tonumber(rules[4])
    local purchased = tonumber(redis.call('HGET', KEYS[3], userId) or '0')
    if purchased + qty > perUserLimit then
      return remember('{"ok":false,"code":"limit_exceeded","limit":' .. int(perUserLimit) .. ',"purchased":' ..
        int(purchased) .. stamp)
    end
    local endsAt = (rules[3] and rules[3] ~= '') and ',"saleEndsAt":' .. rules[3] or ''
    return remember('{"ok":false,"code":"sold_out","available":' .. int(available) .. endsAt .. stamp)
  end
end

-- The product helpers from here on, not on the refusals above (see includes/product.lua).
-- @include product
eventLogLength = tonumber(ARGV[7])
runKey, runTtl = KEYS[12], tonumber(ARGV[11])
local function decide(reply) return remember(respond(reply)) end

-- A field the product lacks reads false: left out (nil), as HGETALL would leave it.
product = {
  available = rules[1], saleStartsAt = rules[2], saleEndsAt = rules[3], perUserLimit = rules[4],
  id = rules[5] or nil, name = rules[6] or nil, price = rules[7] or nil, stock = rules[8] or nil,
  reservationTtlSeconds = rules[9] or nil, seq = rules[10] or nil, createdAt = rules[11] or nil,
}
local before = product.seq
expireOverdue(tonumber(ARGV[9]))
local function refuse(reply)
  if product.seq ~= before then saveProduct() end
  return decide(reply)
end

if outsideSale(product.saleStartsAt, product.saleEndsAt) then
  return refuse({ ok = false, code = 'sale_not_active' })
end

local perUserLimit = tonumber(product.perUserLimit)
available = tonumber(product.available)
local purchased
if qty > available then
  purchased = tonumber(redis.call('HGET', KEYS[3], userId) or '0')
else
  -- Counted first, taken back on a refusal: one call fewer on the path that reserves.
  purchased = redis.call('HINCRBY', KEYS[3], userId, qty) - qty
  if purchased + qty > perUserLimit then
    if redis.call('HINCRBY', KEYS[3], userId, -qty) <= 0 then redis.call('HDEL', KEYS[3], userId) end
  end
end
if purchased + qty > perUserLimit then
  return refuse({ ok = false, code = 'limit_exceeded', limit = perUserLimit, purchased = purchased })
end
if qty > available then
  local endsAt = (product.saleEndsAt and product.saleEndsAt ~= '') and tonumber(product.saleEndsAt) or nil
  return refuse({ ok = false, code = 'sold_out', available = available, saleEndsAt = endsAt })
end

product.available = int(available - qty)
local order = {
  id = orderId, productId = product.id, userId = userId, qty = qty,
  amount = int(tonumber(product.price) * qty), status = 'reserved', createdAt = now,
  expiresAt = now + tonumber(product.reservationTtlSeconds) * 1000, paidAt = 0, refundRequired = false,
}
-- The order is encoded once, for its hash and, spliced in, for its event (as emit would make it).
local orderJson = cjson.encode(order)
redis.call('HSET', KEYS[2], orderId, orderJson)
redis.call('ZADD', KEYS[4], order.expiresAt, orderId)
redis.call('SET', KEYS[10], product.id)
local seq = tonumber(product.seq) + 1
product.seq = int(seq)
local eventId = 'p:' .. product.id .. ':' .. product.seq
local idempotency = ''
if fingerprint ~= '' then
  idempotency = ',"idempotency":' .. cjson.encode({ userId = userId, key = ARGV[10], fingerprint = fingerprint })
end
-- Ids are [A-Za-z0-9_-] (API.md; order ids are made by order-ids.ts): quoted as they are.
storeEvent(seq, eventId, '{"eventId":"' .. eventId ..
  '","type":"order.reserved","entityType":"product","entityId":"' .. product.id .. '"' ..
  ',"seq":' .. product.seq .. ',"occurredAt":' .. int(now) .. ',"payload":{"product":' .. cjson.encode(product) ..
  ',"order":' .. orderJson .. idempotency .. '}}')
saveProduct()

-- The reply as respond() would make it, written out: no table to build and encode on the hot path.
local pending = redis.call('EXISTS', KEYS[11]) == 1 and 'true' or 'false'
return remember(reply('{"ok":true,"pendingPayments":' .. pending .. ',"now":' .. int(now)))
