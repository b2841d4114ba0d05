--[[
reserve-order.lua: decide one reservation atomically against the product's state, with the server
clock: sale window, stock (never below zero), the per-user limit over the user's live (reserved +
paid) orders, rate limit and Idempotency-Key. Overdue reservations are expired first, so their
stock is back before this decision.

KEYS[1..6]  the product's core keys (see product-prelude.lua)
KEYS[7]     {p:ID}:rl:USER          this user's counter for the current rate window
KEYS[8]     {p:ID}:idem:USER:KEY    stored decision for the Idempotency-Key (never written without one)
KEYS[9]     {p:ID}:fence            set while a lost product waits to be rebuilt
KEYS[10]    {o:ORDERID}             order pointer -> productId (same slot by construction of the id)
KEYS[11]    {o:ORDERID}:pending     webhook events parked before the order was visible
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

Reply (JSON string), every reply carries the server time `now` and the events of the run:
  {"ok":true,"pendingPayments":bool,"events":[...,order.reserved]}   the product and the order
      after the change are the last event's payload (not repeated: this is the hot path)
  {"ok":false,"code":"product_not_found"|"product_unavailable"|"idempotency_key_reused","events":[]}
  {"ok":false,"code":"rate_limited","retryAfterMs":N,"events":[]}
  {"ok":false,"code":"sale_not_active","events":[...]}
  {"ok":false,"code":"limit_exceeded","limit":N,"purchased":N,"events":[...]}
  {"ok":false,"code":"sold_out","available":N,"events":[...]}
  a stored reply with "replayed":true when the key was seen with the same fingerprint
Decisions are stored under the Idempotency-Key; rate limiting and an unavailable product are not,
since retrying after them is the point.
]]
eventLogLength = tonumber(ARGV[7])
local userId = ARGV[1]
local qty = tonumber(ARGV[2])
local orderId = ARGV[3]
local fingerprint = ARGV[4]

if fingerprint ~= '' then
  local stored = redis.call('GET', KEYS[8])
  if stored then
    local record = cjson.decode(stored)
    if record.fp ~= fingerprint then
      return respond({ ok = false, code = 'idempotency_key_reused' })
    end
    return string.sub(record.reply, 1, -2) .. ',"replayed":true}'
  end
end

local function decide(reply)
  local encoded = respond(reply)
  if fingerprint ~= '' then
    redis.call('SET', KEYS[8], cjson.encode({ fp = fingerprint, reply = encoded }), 'EX', tonumber(ARGV[8]))
  end
  return encoded
end

if not loadProduct() then
  if redis.call('EXISTS', KEYS[9]) == 1 then return respond({ ok = false, code = 'product_unavailable' }) end
  -- Not stored under the key: the product may appear (created late, or rebuilt), and the retry
  -- of the same request must then be decided.
  return respond({ ok = false, code = 'product_not_found' })
end

local limit = tonumber(ARGV[5])
if limit > 0 then
  local count = redis.call('INCR', KEYS[7])
  if count == 1 then redis.call('PEXPIRE', KEYS[7], tonumber(ARGV[6])) end
  if count > limit then
    local ttl = redis.call('PTTL', KEYS[7])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[7], tonumber(ARGV[6]))
      ttl = tonumber(ARGV[6])
    end
    return respond({ ok = false, code = 'rate_limited', retryAfterMs = ttl })
  end
end

local before = product.seq
expireOverdue(tonumber(ARGV[9]))
local function refuse(reply)
  if product.seq ~= before then saveProduct() end
  return decide(reply)
end

if now < tonumber(product.saleStartsAt) or (product.saleEndsAt ~= '' and now >= tonumber(product.saleEndsAt)) then
  return refuse({ ok = false, code = 'sale_not_active' })
end

local perUserLimit = tonumber(product.perUserLimit)
local purchased = tonumber(redis.call('HGET', KEYS[3], userId) or '0')
if purchased + qty > perUserLimit then
  return refuse({ ok = false, code = 'limit_exceeded', limit = perUserLimit, purchased = purchased })
end

local available = tonumber(product.available)
if qty > available then
  return refuse({ ok = false, code = 'sold_out', available = available })
end

product.available = int(available - qty)
local order = {
  id = orderId, productId = product.id, userId = userId, qty = qty,
  amount = int(tonumber(product.price) * qty), status = 'reserved', createdAt = now,
  expiresAt = now + tonumber(product.reservationTtlSeconds) * 1000, paidAt = 0, refundRequired = false,
}
writeOrder(order)
redis.call('HINCRBY', KEYS[3], userId, qty)
redis.call('ZADD', KEYS[4], order.expiresAt, orderId)
redis.call('SET', KEYS[10], product.id)
local idempotency = nil
if fingerprint ~= '' then idempotency = { userId = userId, key = ARGV[10], fingerprint = fingerprint } end
emit('order.reserved', order, nil, idempotency)
saveProduct()

return decide({ ok = true, pendingPayments = redis.call('EXISTS', KEYS[11]) == 1 })
