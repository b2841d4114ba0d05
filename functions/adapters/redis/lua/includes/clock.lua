-- clock: `now`, the Redis server's time in epoch ms (the one clock of every decision).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
