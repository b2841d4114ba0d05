--[[
expire-reservations.lua: expire the product's overdue reservations (units return to stock exactly
once) and say when to look again.

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:fence
ARGV[1]  most reservations expired in this run
ARGV[2]  event log length kept

Reply (JSON string), with `now` and the events of the run (order.expired each):
  {"ok":true,"expired":N,"nextCheck":ms}   look again at nextCheck (now when more are overdue)
  {"ok":true,"expired":N,"done":true}      the sale is over and nothing is reserved: never again
  {"ok":false,"code":"product_not_found"|"product_unavailable","events":[]}
nextCheck is never later than now + reservationTtlSeconds, so a reservation made after this run
(whose deadline is at least that far) is never missed.
]]
-- @include product
eventLogLength = tonumber(ARGV[2])
local max = tonumber(ARGV[1])

if not loadProduct() then
  if redis.call('EXISTS', KEYS[7]) == 1 then return respond({ ok = false, code = 'product_unavailable' }) end
  return respond({ ok = false, code = 'product_not_found' })
end

local before = product.seq
local looked = expireOverdue(max)
if product.seq ~= before then saveProduct() end
local expired = tonumber(product.seq) - tonumber(before)

if looked >= max then return respond({ ok = true, expired = expired, nextCheck = now }) end
local saleOver = product.saleEndsAt ~= '' and now >= tonumber(product.saleEndsAt)
local earliest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if #earliest == 0 and saleOver then return respond({ ok = true, expired = expired, done = true }) end
local nextCheck = now + tonumber(product.reservationTtlSeconds) * 1000
if #earliest > 0 and tonumber(earliest[2]) < nextCheck then nextCheck = tonumber(earliest[2]) end
return respond({ ok = true, expired = expired, nextCheck = nextCheck })
