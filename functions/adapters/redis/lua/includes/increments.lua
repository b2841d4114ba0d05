-- increments: tiered bid increments (API.md v1.2; functions/domain/increments.ts is the same rule).
-- An auction's table is its record's `incrementTable` ("from:increment,..." with `from` ascending,
-- the first 0); '' or absent: none, the fixed `minIncrement` applies.

-- The table as a list of {from, increment}, or nil without one.
local function parseTiers(text)
  if not text or text == '' then return nil end
  local tiers = {}
  for from, increment in string.gmatch(text, '(%d+):(%d+)') do
    tiers[#tiers + 1] = { tonumber(from), tonumber(increment) }
  end
  return tiers
end

-- The increment in force at `price`: the row with the largest `from` <= price.
local function incrementAt(tiers, price)
  local increment = tiers[1][2]
  for i = 2, #tiers do
    if tiers[i][1] > price then break end
    increment = tiers[i][2]
  end
  return increment
end

-- The table's largest increment: what bounds the amounts the auction can take (above_ceiling).
local function largestIncrement(tiers)
  local largest = 0
  for i = 1, #tiers do
    if tiers[i][2] > largest then largest = tiers[i][2] end
  end
  return largest
end
