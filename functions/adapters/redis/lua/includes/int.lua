-- int: an integer as a decimal string. Lua numbers are doubles and `tostring` prints `%.14g`.
local function int(n) return string.format('%.0f', n) end
