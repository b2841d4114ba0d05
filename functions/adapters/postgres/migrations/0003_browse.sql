-- 0003_browse: keyset indexes of the read model's listings (GET /auctions, /products, /me/orders,
-- /me/bids; functions/adapters/postgres/postgres-read-model.ts). Each listing walks one btree of
-- (time, id) from its cursor, forwards or backwards, and stops after one page.
-- The (ends_at, id), (bidder_id, placed_at, id) and (user_id, created_at, id) indexes answer every
-- lookup the indexes they replace answered, so the writer maintains no more indexes than before
-- for auctions, bids and orders; products gain one (sale_starts_at never changes after creation,
-- so product updates stay HOT-eligible).

-- open / scheduled: ends_at > now, soonest first; closed: ends_at <= now, most recent first.
CREATE INDEX auctions_by_end ON auctions (ends_at, id);
DROP INDEX auctions_open_by_end;

CREATE INDEX products_by_sale_start ON products (sale_starts_at, id);

CREATE INDEX orders_by_user_created ON orders (user_id, created_at, id);
DROP INDEX orders_by_user;

CREATE INDEX bids_by_bidder_placed ON bids (bidder_id, placed_at, id);
DROP INDEX bids_by_bidder;
