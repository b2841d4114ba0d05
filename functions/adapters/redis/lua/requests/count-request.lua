--[[
count-request.lua: count one request of a user toward that user's rate limit on one entity, the
counter the entity's deciding script keeps (reserve-order.lua: {p:ID}:rl:USER), for a request answered
without that script (a product remembered sold out: sold-out-memo.ts). Same counter, same window,
same limit: a user's requests are limited alike whichever way they are answered.

KEYS[1]  {p:ID}:rl:USER   the user's counter for the current window (PX = window)
ARGV[1]  requests allowed per window (> 0)
ARGV[2]  window, ms
Reply: 0 (counted, within the limit) | ms until the window ends (over the limit)
]]
-- @include fixed-window
if countInWindow(KEYS[1], tonumber(ARGV[2])) <= tonumber(ARGV[1]) then return 0 end
return math.max(windowLeft(KEYS[1], tonumber(ARGV[2])), 1)
