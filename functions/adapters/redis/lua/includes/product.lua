--[[
product.lua: the helpers of the product scripts (flash-sale/), as one include: a product script
names it (`-- @include product`) where its helpers should begin, so a fast path before that line
(reserve-order.lua's refusals) does not create them (a dozen closures, a few microseconds per run).

Every product script declares the same first six keys, in this order:
KEYS[1]  {p:ID}            product hash (numbers as decimal strings, times epoch ms, '' = none)
KEYS[2]  {p:ID}:orders     hash orderId -> order JSON {id,productId,userId,qty,amount (string),
                           status,createdAt,expiresAt,paidAt (0 = not paid),refundRequired}
KEYS[3]  {p:ID}:held       hash userId -> units held by the user's live (reserved + paid) orders
KEYS[4]  {p:ID}:deadlines  zset orderId by expiresAt, reserved orders only
KEYS[5]  {p:ID}:events     event log (zset, score = seq)
KEYS[6]  {p:ID}:outbox     events not yet acknowledged by SQS (hash eventId -> envelope)

Every change to the product bumps its seq and emits one event (log + outbox, same step). Replies
are built with `respond` (or `reply`, from an encoded head), which appends the events of this run
as a JSON array `events`.

A deciding script can run twice with the same arguments: ioredis resends a command whose reply a
reset connection lost. Such a script names its request's run key ({p:ID}:run:REQUEST) in `runKey`
and starts with `rerun(runKey, KEYS[5])` (includes/rerun.lua): a run that changed something keeps
its reply's head there, with the seq range of its events (still in the log), for `runTtl` seconds;
a second run answers that reply again, events included, and changes nothing.
]]
-- @include clock
-- @include int
-- @include hash
local product = nil
local emitted = {}
local eventLogLength = 10000
local runKey, runTtl = nil, 0
local firstSeq, lastSeq = nil, nil

local function loadProduct()
  product = readHash(KEYS[1])
  return product
end

local function saveProduct()
  redis.call('HSET', KEYS[1], 'available', product.available, 'seq', product.seq)
end

local function readOrder(orderId)
  local raw = redis.call('HGET', KEYS[2], orderId)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function writeOrder(order)
  redis.call('HSET', KEYS[2], order.id, cjson.encode(order))
end

-- An encoded event into the log and the outbox, and into this run's reply.
local function storeEvent(seq, eventId, encoded)
  redis.call('ZADD', KEYS[5], seq, encoded)
  -- The log holds at most seq events: below its length there is nothing to trim.
  if seq > eventLogLength then redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -(eventLogLength + 1)) end
  redis.call('HSET', KEYS[6], eventId, encoded)
  emitted[#emitted + 1] = encoded
  firstSeq = firstSeq or seq
  lastSeq = seq
end

-- The event is encoded at once: the tables it names may change later in the same run.
-- `idempotency` ({userId, key, fingerprint}) rides on the event of a decision stored under an
-- Idempotency-Key, so that PostgreSQL keeps what a rebuild needs to replay it.
local function emit(eventType, order, payment, idempotency)
  local seq = tonumber(product.seq) + 1
  product.seq = int(seq)
  local event = {
    eventId = 'p:' .. product.id .. ':' .. product.seq, type = eventType, entityType = 'product',
    entityId = product.id, seq = seq, occurredAt = now,
    payload = { product = product, order = order, payment = payment, idempotency = idempotency },
  }
  storeEvent(seq, event.eventId, cjson.encode(event))
end

-- A reserved order leaves the live set: its units return to stock and to the user's allowance,
-- exactly once, since only a reserved order gets here and it leaves that status now.
local function releaseOrder(order, status)
  order.status = status
  product.available = int(tonumber(product.available) + order.qty)
  local left = redis.call('HINCRBY', KEYS[3], order.userId, -order.qty)
  if left <= 0 then redis.call('HDEL', KEYS[3], order.userId) end
  redis.call('ZREM', KEYS[4], order.id)
  writeOrder(order)
end

local function expireOrder(order)
  releaseOrder(order, 'expired')
  emit('order.expired', order, nil)
end

local function isOverdue(order)
  return order.status == 'reserved' and now >= tonumber(order.expiresAt)
end

-- Expires up to `max` overdue reservations; returns how many deadlines it looked at.
local function expireOverdue(max)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, max)
  for _, orderId in ipairs(ids) do
    local order = readOrder(orderId)
    if order and order.status == 'reserved' then
      expireOrder(order)
    else
      redis.call('ZREM', KEYS[4], orderId)
    end
  end
  return #ids
end

-- The reply from its encoded head (a JSON object without its closing brace) and this run's events;
-- a run that changed something is kept under its run key (see the header).
local function reply(head)
  if runKey and firstSeq then
    redis.call('SET', runKey, int(firstSeq) .. ' ' .. int(lastSeq) .. ' ' .. head, 'EX', runTtl)
  end
  return head .. ',"events":[' .. table.concat(emitted, ',') .. ']}'
end

local function respond(fields)
  fields.now = fields.now or now
  return reply(string.sub(cjson.encode(fields), 1, -2))
end
