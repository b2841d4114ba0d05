-- The close of an auction, the same whoever closes it (the clock at endsAt, a buy-now, the seller):
-- closedAt = now, closedBy, an early close moves endsAt to now (so the read model's "ended" stays
-- "closed"), seq + 1, one auction.closed event with the full state, to the log and the outbox.
-- `state` is the whole record (HGETALL); `changed` names further fields the caller set on it.
-- Needs `now`, `int`; KEYS: `state_key`, `events_key`, `outbox_key`, `log_length` as given.
local function close_now(state, closed_by, changed, state_key, events_key, outbox_key, log_length)
  local seq = tonumber(state.seq) + 1
  state.seq = int(seq)
  state.closedAt = int(now)
  state.closedBy = closed_by
  if now < tonumber(state.endsAt) then state.endsAt = int(now) end
  local fields = { 'seq', state.seq, 'closedAt', state.closedAt, 'closedBy', closed_by, 'endsAt', state.endsAt }
  for _, name in ipairs(changed) do
    fields[#fields + 1] = name
    fields[#fields + 1] = state[name]
  end
  redis.call('HSET', state_key, unpack(fields))
  local event = {
    eventId = 'a:' .. state.id .. ':' .. state.seq, type = 'auction.closed', entityType = 'auction',
    entityId = state.id, seq = seq, occurredAt = now, payload = { state = state },
  }
  local encoded = cjson.encode(event)
  redis.call('ZADD', events_key, seq, encoded)
  if seq > log_length then redis.call('ZREMRANGEBYRANK', events_key, 0, -(log_length + 1)) end
  redis.call('HSET', outbox_key, event.eventId, encoded)
  return encoded
end
