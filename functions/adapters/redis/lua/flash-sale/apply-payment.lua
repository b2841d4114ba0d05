--[[
apply-payment.lua: apply one payment webhook event to its order, atomically, exactly once per event id.

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:fence
KEYS[8]     {p:ID}:payments        hash webhook event id -> payment record JSON (de-duplication)
KEYS[9]     {o:ORDERID}:pending    parked events of this order; this event is removed from it
KEYS[10]    {p:ID}:run:REQUEST     this request's first run, when it changed something
ARGV[1]  webhook event id
ARGV[2]  'payment.succeeded' | 'payment.failed'
ARGV[3]  order id
ARGV[4]  amount, decimal string
ARGV[5]  event log length kept
ARGV[6]  how long the run is kept, seconds

Rules: succeeded on a reserved order with its amount -> paid (order.paid); failed on a reserved
order -> cancelled, units returned (order.cancelled); succeeded on an expired, cancelled or already
paid order, or with another amount -> status unchanged, refundRequired (payment.received); failed
on an order that is no longer reserved -> no effect, recorded (payment.received). An overdue
reservation is expired first (order.expired): it can no longer be paid.

Reply (JSON string), with `now` and the events of the run:
  {"ok":true,"status":"applied","payment":{...},"order":{...},"product":{...},"events":[...]}
  {"ok":true,"status":"duplicate","payment":{...},"events":[]}
  {"ok":false,"code":"product_not_found"|"product_unavailable"|"order_not_found","events":[]}
Run again with the same arguments (ioredis resends a command whose reply was lost), it answers the
first run's reply (includes/rerun.lua): "applied", not "duplicate". A new request with the same
webhook event id (the provider's retry) is a duplicate.
]]
-- @include product
-- @include rerun
local again = rerun(KEYS[10], KEYS[5])
if again then return again end
eventLogLength = tonumber(ARGV[5])
runKey, runTtl = KEYS[10], tonumber(ARGV[6])
local eventId = ARGV[1]

if not loadProduct() then
  if redis.call('EXISTS', KEYS[7]) == 1 then return respond({ ok = false, code = 'product_unavailable' }) end
  return respond({ ok = false, code = 'product_not_found' })
end

local seen = redis.call('HGET', KEYS[8], eventId)
if seen then
  redis.call('HDEL', KEYS[9], eventId)
  return respond({ ok = true, status = 'duplicate', payment = cjson.decode(seen) })
end

local order = readOrder(ARGV[3])
if not order then return respond({ ok = false, code = 'order_not_found' }) end

if isOverdue(order) then expireOrder(order) end

local payment = {
  eventId = eventId, type = ARGV[2], orderId = order.id, amount = ARGV[4], receivedAt = now,
}
if ARGV[2] == 'payment.succeeded' then
  if order.status == 'reserved' and ARGV[4] == order.amount then
    order.status = 'paid'
    order.paidAt = now
    redis.call('ZREM', KEYS[4], order.id)
    writeOrder(order)
    payment.outcome = 'paid'
    emit('order.paid', order, payment)
  else
    order.refundRequired = true
    writeOrder(order)
    payment.outcome = 'refund'
    emit('payment.received', order, payment)
  end
elseif order.status == 'reserved' then
  releaseOrder(order, 'cancelled')
  payment.outcome = 'cancelled'
  emit('order.cancelled', order, payment)
else
  payment.outcome = 'ignored'
  emit('payment.received', order, payment)
end
saveProduct()
redis.call('HSET', KEYS[8], eventId, cjson.encode(payment))
redis.call('HDEL', KEYS[9], eventId)

return respond({ ok = true, status = 'applied', payment = payment, order = order, product = product })
