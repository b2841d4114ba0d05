--[[
release-idempotency-claim.lua: give back a user-wide Idempotency-Key claim made for an entity that
turned out not to exist (404), so such requests leave nothing behind; only the claim of this very
fingerprint is removed (compare and delete on one key).

KEYS[1]  idem:{u:USER}:KEY   the claim
ARGV[1]  fingerprint of the request that made it
Reply: 1 removed, 0 left alone
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
