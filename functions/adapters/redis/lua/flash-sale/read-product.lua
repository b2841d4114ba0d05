--[[
read-product.lua: the product's state (and optionally one of its orders) together with the server
clock, read in one step so that the status a reader sees is consistent with the state it sees.

KEYS[1]  {p:ID}          product hash
KEYS[2]  {p:ID}:orders   orders of the product
KEYS[3]  {p:ID}:fence    set while a lost product waits to be rebuilt
ARGV[1]  order id, '' for the product only

Reply (JSON string): {"now":ms,"product":{...},"order":{...}}; `product` is absent when unknown
(then "fenced":true if it waits to be rebuilt), `order` when no order id was given or it is unknown.
]]
-- @include clock
-- @include hash
local product = readHash(KEYS[1])
if not product then return cjson.encode({ now = now, fenced = redis.call('EXISTS', KEYS[3]) == 1 }) end
local reply = { now = now, product = product }
if ARGV[1] ~= '' then
  local raw = redis.call('HGET', KEYS[2], ARGV[1])
  if raw then reply.order = cjson.decode(raw) end
end
return cjson.encode(reply)
