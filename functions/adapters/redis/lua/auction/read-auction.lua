--[[
read-auction.lua: the auction's state together with the server clock, read in one step so that
the status a reader sees is consistent with the state it sees.

KEYS[1]  {a:ID}   auction hash
Reply (JSON string): {"now":ms,"state":{...}} or {"now":ms} when the auction is unknown
]]
-- @include clock
-- @include hash
local state = readHash(KEYS[1])
if not state then return cjson.encode({ now = now }) end
return cjson.encode({ now = now, state = state })
