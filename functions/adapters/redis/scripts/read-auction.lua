--[[
read-auction.lua: the auction's state together with the server clock, read in one step so that
the status a reader sees is consistent with the state it sees.

KEYS[1]  {a:ID}   auction hash
Reply (JSON string): {"now":ms,"state":{...}} or {"now":ms} when the auction is unknown
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return cjson.encode({ now = now }) end
local state = {}
for i = 1, #flat, 2 do state[flat[i]] = flat[i + 1] end
return cjson.encode({ now = now, state = state })
