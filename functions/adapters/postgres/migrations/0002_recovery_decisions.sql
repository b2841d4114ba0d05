-- 0002_recovery_decisions: what a rebuild of a product needs beyond its state and orders (issue 19
-- item 3). Idempotency-Key decisions ride on the event they produced (`payload.idempotency`); the
-- writer records them here, keyed like the Redis record they restore, once each. Payment events are
-- already in payment_events (their provider ids restore the webhook de-duplication).
CREATE TABLE idempotency_decisions (
  entity_type  text        NOT NULL CHECK (entity_type IN ('auction', 'product')),
  entity_id    text        NOT NULL,
  user_id      text        NOT NULL,
  idem_key     text        NOT NULL,
  fingerprint  text        NOT NULL,
  event_id     text        NOT NULL,
  decided_at   timestamptz NOT NULL,
  PRIMARY KEY (entity_type, entity_id, user_id, idem_key)
);
-- API.md keeps decisions 24 h: a rebuild reads the recent ones; older rows may be deleted by age.
CREATE INDEX idempotency_decisions_by_time ON idempotency_decisions (decided_at);
