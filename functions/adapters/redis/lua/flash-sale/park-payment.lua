--[[
park-payment.lua: keep a webhook event for an order that is not visible yet, unless it just appeared.

KEYS[1]  {o:ORDERID}           order pointer -> productId
KEYS[2]  {o:ORDERID}:pending   hash webhook event id -> event JSON
ARGV[1]  webhook event id
ARGV[2]  event JSON {id,type,orderId,amount}
ARGV[3]  lifetime of the parked events, seconds

Reply (JSON string):
  {"parked":false,"productId":"..."}      the order exists now: apply the event to it
  {"parked":true,"duplicate":bool}        kept (or already kept) until the order appears
]]
local productId = redis.call('GET', KEYS[1])
if productId then return cjson.encode({ parked = false, productId = productId }) end
local added = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return cjson.encode({ parked = true, duplicate = added == 0 })
