-- 0001_initial: the write-behind store. Redis decides; these tables record what was decided.
-- Every row is written by the writer from event envelopes, idempotently (by event id) and
-- order-independently (a row only moves forward: a higher seq wins, a terminal state beats a live one).

-- Every event exactly once, whatever SQS delivers twice. The payload is the envelope's payload as sent
-- (full entity record + bid / order), enough to rebuild an entity and its event log.
CREATE TABLE events (
  event_id     text        PRIMARY KEY,
  entity_type  text        NOT NULL CHECK (entity_type IN ('auction', 'product')),
  entity_id    text        NOT NULL,
  seq          bigint      NOT NULL,
  type         text        NOT NULL,
  occurred_at  timestamptz NOT NULL,
  payload      jsonb       NOT NULL,
  persisted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_entity ON events (entity_type, entity_id, seq);

-- The newest known state of each auction. `state` is the raw Redis record at `seq` (strings), kept so
-- that a rebuild writes back exactly what the deciding script wrote; the columns are for queries.
CREATE TABLE auctions (
  id              text        PRIMARY KEY,
  title           text        NOT NULL,
  seller_id       text        NOT NULL,
  starting_price  bigint      NOT NULL,
  min_increment   bigint      NOT NULL,
  reserve_price   bigint,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  extensions      integer     NOT NULL,
  current_price   bigint,
  leader_id       text,
  bid_count       integer     NOT NULL,
  seq             bigint      NOT NULL,
  created_at      timestamptz NOT NULL,
  closed_at       timestamptz,
  state           jsonb       NOT NULL,
  last_event_at   timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auctions_open_by_end ON auctions (ends_at) WHERE closed_at IS NULL;

CREATE TABLE bids (
  id          text        PRIMARY KEY,
  auction_id  text        NOT NULL,
  bidder_id   text        NOT NULL,
  amount      bigint      NOT NULL CHECK (amount > 0),
  seq         bigint      NOT NULL,
  placed_at   timestamptz NOT NULL,
  UNIQUE (auction_id, seq)
);
CREATE INDEX bids_by_bidder ON bids (bidder_id, placed_at);

-- One row per closed auction, written from its auction.closed event (the close happens once).
CREATE TABLE auction_results (
  auction_id   text        PRIMARY KEY,
  winner_id    text,
  final_price  bigint,
  reserve_met  boolean     NOT NULL,
  bid_count    integer     NOT NULL,
  ends_at      timestamptz NOT NULL,
  closed_at    timestamptz NOT NULL,
  seq          bigint      NOT NULL
);

-- Flash sales. Columns are nullable where the product record may not carry them; `state` is the raw
-- record of the event payload, as for auctions.
CREATE TABLE products (
  id                       text        PRIMARY KEY,
  name                     text,
  price                    bigint,
  stock                    integer,
  available                integer,
  per_user_limit           integer,
  sale_starts_at           timestamptz,
  sale_ends_at             timestamptz,
  reservation_ttl_seconds  integer,
  seq                      bigint      NOT NULL,
  state                    jsonb       NOT NULL,
  last_event_at            timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL DEFAULT now()
);

-- `seq` is the product seq of the order's last change; `status_rank` makes terminal states
-- (paid, cancelled, expired) beat `reserved` whatever the arrival order.
CREATE TABLE orders (
  id               text        PRIMARY KEY,
  product_id       text        NOT NULL,
  user_id          text,
  qty              integer,
  amount           bigint,
  status           text        NOT NULL,
  status_rank      smallint    NOT NULL,
  created_at       timestamptz,
  expires_at       timestamptz,
  paid_at          timestamptz,
  refund_required  boolean     NOT NULL DEFAULT false,
  seq              bigint      NOT NULL,
  record           jsonb       NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_product ON orders (product_id);
CREATE INDEX orders_by_user ON orders (user_id);

-- Payment provider events as received (by the provider's event id), once each.
CREATE TABLE payment_events (
  id           text        PRIMARY KEY,
  order_id     text,
  type         text,
  amount       bigint,
  outcome      text,
  received_at  timestamptz NOT NULL,
  event_id     text        NOT NULL,
  payload      jsonb       NOT NULL
);
CREATE INDEX payment_events_by_order ON payment_events (order_id);
