-- 0005_notifications: personal notifications (API.md v1.2, "Personal notifications"; issue 27,
-- docs/notifications.md). The writer derives them from the events it stores, in the same transaction.

-- One row per user: the newest notification seq. `UPDATE ... SET last_seq = last_seq + n RETURNING`
-- numbers a user's notifications strictly increasing and without gaps, whichever auction or product
-- (hash slot) they come from; PostgreSQL is the truth, so a Redis FLUSHALL cannot renumber them.
CREATE TABLE notification_counters (
  user_id  text PRIMARY KEY,
  last_seq bigint NOT NULL CHECK (last_seq >= 0)
);

-- Per entity: every event with seq <= through_seq has been derived. Events arrive out of order; the
-- derivation walks them in seq order (an outbid needs the leader before the bid, a close every bid),
-- and the row lock serialises writers of the same entity.
CREATE TABLE notification_cursors (
  entity_type text NOT NULL,
  entity_id   text NOT NULL,
  through_seq bigint NOT NULL,
  PRIMARY KEY (entity_type, entity_id)
);

CREATE TABLE notifications (
  user_id         text NOT NULL,
  seq             bigint NOT NULL,
  kind            text NOT NULL,
  at              timestamptz NOT NULL,
  auction_id      text,
  product_id      text,
  order_id        text,
  amount          bigint,
  title           text,
  source_event_id text NOT NULL,
  PRIMARY KEY (user_id, seq),
  -- A redelivered event never makes a second notification (the cursor already prevents it; this
  -- states the rule where the data lives).
  UNIQUE (user_id, source_event_id, kind)
);

-- Kept 30 days: the sweeper deletes by age.
CREATE INDEX notifications_by_time ON notifications (at);

-- Entities already recorded start with their history derived: no notifications for the past.
INSERT INTO notification_cursors (entity_type, entity_id, through_seq)
SELECT entity_type, entity_id, max(seq) FROM events GROUP BY entity_type, entity_id;
