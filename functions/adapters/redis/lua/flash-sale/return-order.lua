--[[
return-order.lua: bring a settled order PostgreSQL holds back into its product (it aged out of
Redis, or a rebuild restored live orders only), so that a payment webhook for it is decided by
apply-payment as for any order. Only a settled order, only if the product is there and does not
hold the order already; units held are untouched (see evict-orders.lua).

KEYS[1]  {p:ID}          product state
KEYS[2]  {p:ID}:orders
KEYS[3]  {o:ORDERID}     pointer
ARGV[1]  order record JSON (as PostgreSQL has it)
ARGV[2]  productId

Reply: 1 when the order is in the product now (returned or already there), 0 when the product is not
in Redis or the record is not settled.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local order = cjson.decode(ARGV[1])
if order.status == 'reserved' then return 0 end
redis.call('HSETNX', KEYS[2], order.id, ARGV[1])
redis.call('SET', KEYS[3], ARGV[2])
return 1
