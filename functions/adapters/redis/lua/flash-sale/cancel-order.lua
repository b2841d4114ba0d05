--[[
cancel-order.lua: the owner cancels a reserved order; its units return to stock, exactly once.

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:fence
KEYS[8]     {p:ID}:run:REQUEST  this request's first run, when it changed something
ARGV[1]  order id
ARGV[2]  user id of the caller (only the owner may cancel)
ARGV[3]  event log length kept
ARGV[4]  how long the run is kept, seconds

Reply (JSON string), with `now` and the events of the run:
  {"ok":true,"product":{...},"order":{...},"events":[order.cancelled]}
  {"ok":false,"code":"product_not_found"|"product_unavailable"|"order_not_found","events":[]}
  {"ok":false,"code":"order_not_cancellable","order":{...},"product":{...},"events":[...]}
An overdue reservation is expired first (order.expired), then refused as not cancellable.
Run again with the same arguments (ioredis resends a command whose reply was lost), it answers the
first run's reply (includes/rerun.lua): the cancel it made, not "not cancellable".
]]
-- @include product
-- @include rerun
local again = rerun(KEYS[8], KEYS[5])
if again then return again end
eventLogLength = tonumber(ARGV[3])
runKey, runTtl = KEYS[8], tonumber(ARGV[4])

if not loadProduct() then
  if redis.call('EXISTS', KEYS[7]) == 1 then return respond({ ok = false, code = 'product_unavailable' }) end
  return respond({ ok = false, code = 'product_not_found' })
end
local order = readOrder(ARGV[1])
if not order or order.userId ~= ARGV[2] then return respond({ ok = false, code = 'order_not_found' }) end

if isOverdue(order) then
  expireOrder(order)
  saveProduct()
end
if order.status ~= 'reserved' then
  return respond({ ok = false, code = 'order_not_cancellable', order = order, product = product })
end
releaseOrder(order, 'cancelled')
emit('order.cancelled', order, nil)
saveProduct()
return respond({ ok = true, order = order, product = product })
