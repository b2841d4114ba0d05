--[[
create-product.lua: create one product, atomically, with the Redis server clock.

KEYS[1..6]  the product's core keys (see includes/product.lua)
KEYS[7]     {p:ID}:fence   set while a lost product waits to be rebuilt from PostgreSQL
ARGV[1]  JSON {id,name,price,stock,perUserLimit,saleStartsAt,saleEndsAt,reservationTtlSeconds};
         numbers as decimal strings, times epoch ms ('' = none)
ARGV[2]  event log length kept

Reply (JSON string), with the events of the run:
  {"ok":true,"now":ms,"product":{...},"events":[product.created]}
  {"ok":false,"now":ms,"code":"product_exists"|"product_unavailable","events":[]}
  {"ok":false,"now":ms,"code":"invalid_schedule","field":"saleEndsAt","message":"...","events":[]}
]]
-- @include product
eventLogLength = tonumber(ARGV[2])

if redis.call('EXISTS', KEYS[7]) == 1 then
  return respond({ ok = false, code = 'product_unavailable' })
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return respond({ ok = false, code = 'product_exists' })
end

local input = cjson.decode(ARGV[1])
local startsAt = now
if input.saleStartsAt ~= '' then startsAt = tonumber(input.saleStartsAt) end
if input.saleEndsAt ~= '' then
  local endsAt = tonumber(input.saleEndsAt)
  local function invalid(message)
    return respond({ ok = false, code = 'invalid_schedule', field = 'saleEndsAt', message = message })
  end
  if endsAt <= startsAt then return invalid('saleEndsAt must be after saleStartsAt') end
  if endsAt <= now then return invalid('saleEndsAt must be in the future') end
end

product = {
  id = input.id, name = input.name, price = input.price, stock = input.stock,
  available = input.stock, perUserLimit = input.perUserLimit,
  saleStartsAt = int(startsAt), saleEndsAt = input.saleEndsAt,
  reservationTtlSeconds = input.reservationTtlSeconds, seq = '0', createdAt = int(now),
}
emit('product.created', nil, nil)
writeHash(KEYS[1], product)

return respond({ ok = true, product = product })
