-- close-now: the close of an auction, the same whoever closes it (the clock at endsAt, a buy-now,
-- the seller): closedAt = now, closedBy, an early close moves endsAt back to now (the read model's
-- "ended" stays "closed"), seq + 1, one auction.closed event with the full state, written to the log
-- and the outbox in this step. `state` is the whole record (readHash); `changed` names the further
-- fields the caller set on it. Returns the event, encoded.
-- @include clock
-- @include int
local function closeNow(state, closedBy, changed, stateKey, logKey, outboxKey, logLength)
  local seq = tonumber(state.seq) + 1
  state.seq = int(seq)
  state.closedAt = int(now)
  state.closedBy = closedBy
  if now < tonumber(state.endsAt) then state.endsAt = int(now) end
  local fields = { 'seq', state.seq, 'closedAt', state.closedAt, 'closedBy', closedBy, 'endsAt', state.endsAt }
  for _, name in ipairs(changed) do
    fields[#fields + 1] = name
    fields[#fields + 1] = state[name]
  end
  redis.call('HSET', stateKey, unpack(fields))
  local event = {
    eventId = 'a:' .. state.id .. ':' .. state.seq, type = 'auction.closed', entityType = 'auction',
    entityId = state.id, seq = seq, occurredAt = now, payload = { state = state },
  }
  local encoded = cjson.encode(event)
  redis.call('ZADD', logKey, seq, encoded)
  -- The log holds at most seq events: below its length there is nothing to trim.
  if seq > logLength then redis.call('ZREMRANGEBYRANK', logKey, 0, -(logLength + 1)) end
  redis.call('HSET', outboxKey, event.eventId, encoded)
  return encoded
end
