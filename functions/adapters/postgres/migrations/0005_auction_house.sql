-- 0005_auction_house: Buy It Now, tiered increments and the seller's controls (API.md v1.2,
-- "Auction house"; docs/auctions.md). As before, `auctions.state` keeps the raw Redis record (it
-- carries buyNowPrice, incrementTable, closedBy, cancelled, cancelReason, which a rebuild writes back
-- as is); these columns are for queries.
--
-- `min_increment` keeps its meaning: the increment in force at the row's seq (with a table, the
-- row of the current price, or of the starting price before the first bid).
-- `closed_by`: how the auction closed ('time' at endsAt, 'buy_now', 'seller' ending or cancelling);
-- NULL while open. An early close (seller, buy-now) also moves `ends_at` to the moment of the close,
-- so "closed_at is set only once ends_at has passed" still holds for the read model's listings.
ALTER TABLE auctions
  ADD COLUMN buy_now_price bigint CHECK (buy_now_price IS NULL OR buy_now_price > 0),
  ADD COLUMN increment_table jsonb,
  ADD COLUMN cancelled boolean NOT NULL DEFAULT false,
  ADD COLUMN closed_by text CHECK (closed_by IN ('time', 'buy_now', 'seller'));

-- Auctions closed before this migration closed at their end.
UPDATE auctions SET closed_by = 'time' WHERE closed_at IS NOT NULL;

ALTER TABLE auction_results
  ADD COLUMN closed_by text NOT NULL DEFAULT 'time' CHECK (closed_by IN ('time', 'buy_now', 'seller')),
  ADD COLUMN cancelled boolean NOT NULL DEFAULT false,
  ADD COLUMN cancel_reason text;
