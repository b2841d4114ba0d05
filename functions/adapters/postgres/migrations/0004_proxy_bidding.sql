-- 0004_proxy_bidding: proxy bidding (API.md v1.1, "Proxy bidding (maxAmount)").
-- `proxy` marks a raise the auction's proxy made for a bidder; `max_amount` is the bidder's maximum
-- in force at that bid (NULL when they gave none). It is SECRET: only the bidder's own 201 answer
-- shows it; no read model, listing or log may select it. The leader's current maximum is kept in the
-- auction's record (`auctions.state->>'leaderMax'`), which a rebuild writes back to Redis as is.
ALTER TABLE bids
  ADD COLUMN proxy boolean NOT NULL DEFAULT false,
  ADD COLUMN max_amount bigint CHECK (max_amount IS NULL OR max_amount >= amount);
