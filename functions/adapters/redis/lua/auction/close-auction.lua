--[[
close-auction.lua: record the close of an auction whose end has passed, once, with the server clock.
The winner is already decided by the clock (the view reads closed from endsAt on); this makes it a
state change with its own event, persisted like any other.

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

local state = readHash(KEYS[1])
if not state then return cjson.encode({ ok = false, now = now, code = 'auction_not_found' }) end

if state.closedAt ~= '' then
  return cjson.encode({ ok = false, now = now, code = 'already_closed', state = state })
end
if now < tonumber(state.endsAt) then
  return cjson.encode({ ok = false, now = now, code = 'not_ended', endsAt = state.endsAt })
end

local seq = tonumber(state.seq) + 1
state.seq = int(seq)
state.closedAt = int(now)
redis.call('HSET', KEYS[1], 'seq', state.seq, 'closedAt', state.closedAt)

local event = {
  eventId = 'a:' .. state.id .. ':' .. state.seq, type = 'auction.closed', entityType = 'auction',
  entityId = state.id, seq = seq, occurredAt = now, payload = { state = state },
}
local encoded = cjson.encode(event)
redis.call('ZADD', KEYS[2], seq, encoded)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[1]) + 1))
redis.call('HSET', KEYS[3], event.eventId, encoded)

return cjson.encode({ ok = true, now = now, state = state, event = event })
