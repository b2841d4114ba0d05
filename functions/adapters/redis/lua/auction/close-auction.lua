--[[
close-auction.lua: record the close of an auction whose end has passed, once, with the server clock.
The winner is already decided by the clock (the view reads closed from endsAt on); this makes it a
state change with its own event, persisted like any other. The close itself is includes/close-now.lua,
the same as a buy-now's and the seller's (closedBy "time" here).

KEYS[1]  {a:ID}          auction hash
KEYS[2]  {a:ID}:events   event log (zset, score = seq)
KEYS[3]  {a:ID}:outbox   events not yet acknowledged by SQS (hash eventId -> envelope)
ARGV[1]  event log length kept

Reply (JSON string), every reply carries the server time `now` (epoch ms):
  {"ok":true,"state":{...},"event":{...}}                   closed now: closedAt = now, seq + 1
  {"ok":false,"code":"auction_not_found"}
  {"ok":false,"code":"already_closed","state":{...}}
  {"ok":false,"code":"not_ended","endsAt":"ms"}              e.g. extended by anti-sniping
]]
-- @include clock
-- @include int
-- @include hash
-- @include close-now

local state = readHash(KEYS[1])
if not state then return cjson.encode({ ok = false, now = now, code = 'auction_not_found' }) end

if state.closedAt ~= '' then
  return cjson.encode({ ok = false, now = now, code = 'already_closed', state = state })
end
if now < tonumber(state.endsAt) then
  return cjson.encode({ ok = false, now = now, code = 'not_ended', endsAt = state.endsAt })
end

local encoded = closeNow(state, 'time', {}, KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
return '{"ok":true,"now":' .. int(now) .. ',"state":' .. cjson.encode(state) .. ',"event":' .. encoded .. '}'
