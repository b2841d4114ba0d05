--[[
ws-admit-message.lua: count one inbound WebSocket message of a connection in a fixed window.

KEYS[1]  {c:CONNECTION}:rate   the connection's message counter for the current window (PX = window)
ARGV[1]  messages allowed per window
ARGV[2]  window, ms
Reply (array): {count in this window, ms left in the window}
]]
-- @include fixed-window
local count = countInWindow(KEYS[1], tonumber(ARGV[2]))
return { count, windowLeft(KEYS[1], tonumber(ARGV[2])) }
