--[[
fence-product.lua: raise the recovery fence of a product whose state Redis has lost (PostgreSQL
knows it). While the fence stands, every product script answers product_unavailable (503 with
Retry-After) instead of product_not_found, and the id cannot be created anew.

KEYS[1]  {p:ID}         product hash
KEYS[2]  {p:ID}:fence   fence: JSON {since: ms}
Reply (JSON string): {"now":ms,"exists":true} when the state is there (nothing to fence), else
{"now":ms,"exists":false,"since":ms} (since = when the fence was first raised)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({ now = now, exists = true }) end
redis.call('SET', KEYS[2], cjson.encode({ since = now }), 'NX')
local fence = cjson.decode(redis.call('GET', KEYS[2]))
return cjson.encode({ now = now, exists = false, since = fence.since })
