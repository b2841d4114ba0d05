--[[
registry-activate.lua: after the subscribe path sent a message with `seq` to a pending connection,
make the connection active with that seq as its floor (waves push only newer seqs to it), unless a
wave with a newer seq ran meanwhile and skipped it: then it stays pending and the caller sends the
newest state itself before activating again.

KEYS[1]  {t:TOPIC}:conns
KEYS[2]  {t:TOPIC}:floors
KEYS[3]  {t:TOPIC}:pushed   seq of the newest wave claimed for this topic
ARGV[1]  connectionId
ARGV[2]  seq just sent to the connection
ARGV[3]  new pending deadline, epoch ms, used when the reply is 'behind'
ARGV[4]  '1': activate even when behind, with max(seq, pushed) as floor (the reply says 'behind')
Reply: { 'active' | 'behind' | 'gone', pushed }
  gone: the connection left the topic meanwhile (unsubscribe, $disconnect, 410)
]]
local pushed = tonumber(redis.call('GET', KEYS[3]) or '0')
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return { 'gone', pushed }
end
if pushed > tonumber(ARGV[2]) then
  if ARGV[4] == '1' then
    redis.call('HSET', KEYS[2], ARGV[1], string.format('%.0f', pushed))
  else
    redis.call('HSET', KEYS[2], ARGV[1], '-' .. ARGV[3])
  end
  return { 'behind', pushed }
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return { 'active', pushed }
