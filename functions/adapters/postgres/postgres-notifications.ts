import type postgres from 'postgres';
import {
  deriveNotifications,
  isClosing,
  NOTIFICATION_RETENTION_MS,
  type NotificationDraft,
  type NotificationKind,
  type RecordedEvent,
  toNotificationView,
} from '../../domain/notifications.js';
import type {
  NotificationDeriver,
  NotificationPage,
  NotificationReader,
  NotificationRetention,
  StoredNotification,
} from '../../ports/notifications.js';
import type { Sql } from './client.js';

type Tx = postgres.TransactionSql;
type EntityKey = { entity_type: string; entity_id: string };

const key = (type: string, id: string) => `${type}\u0000${id}`;

export interface EntityRef {
  entityType: 'auction' | 'product';
  entityId: string;
}

/** Where the events after a cursor are read from: PostgreSQL's `events` (default) or a log in Redis. */
export type EventLoader = (entity: EntityRef, fromSeq: number) => Promise<RecordedEvent[]>;

export interface DeriveOptions {
  /** Events with seq >= fromSeq (the one at the cursor included when it is still there). */
  load?: EventLoader;
  stopBefore?: (event: RecordedEvent) => boolean;
  /**
   * Skip the entities whose cursor another transaction holds (the fast path: the writer holding it
   * derives those events itself; waiting for its batch would only delay the fan-out).
   */
  skipLocked?: boolean;
}

/**
 * Derives the notifications of the events just stored, inside the writer's transaction (after its
 * statements): numbering, storing and the cursor move commit or roll back with the events, so a
 * redelivered batch never makes a second notification and a failed one makes none.
 *
 * Locks, always in the same order (so two writers never deadlock): the entities' cursor rows sorted
 * by key, then the users' counter rows sorted by id.
 *
 * Round trips, because every one of them is paid per SQS batch by the writer and per wave by the
 * fan-out (bench:local measures them): the cursors are created and locked by one statement; an
 * entity whose cursor is already past every event given (the fan-out derived its bids first) reads
 * nothing; the cursor move and the numbering-and-storing of the notifications go out together.
 */
export async function deriveStoredNotifications(
  tx: Tx,
  entities: readonly { entityType: string; entityId: string; seq?: number }[],
  options: DeriveOptions = {},
): Promise<StoredNotification[]> {
  if (entities.length === 0) return [];
  // The newest seq given per entity (Infinity when unknown: the fast path reads what is there).
  const newestGiven = new Map<string, number>();
  for (const e of entities) {
    const k = key(e.entityType, e.entityId);
    newestGiven.set(k, Math.max(newestGiven.get(k) ?? 0, e.seq ?? Number.POSITIVE_INFINITY));
  }
  const wanted = [...new Map(entities.map((e) => [key(e.entityType, e.entityId), e])).values()]
    .map((e) => ({ entity_type: e.entityType, entity_id: e.entityId }))
    .sort((a, b) => (key(a.entity_type, a.entity_id) < key(b.entity_type, b.entity_id) ? -1 : 1));
  const json = (value: unknown) => tx.json(value as postgres.JSONValue);
  const locked = await lockCursors(tx, json(wanted), options.skipLocked === true);
  const cursors = locked.filter(
    (c) => (newestGiven.get(key(c.entity_type, c.entity_id)) ?? 0) > c.through_seq,
  );
  if (cursors.length === 0) return [];
  const loaded = options.load
    ? (
        await Promise.all(
          cursors.map((c) =>
            (options.load as EventLoader)(
              { entityType: c.entity_type as EntityRef['entityType'], entityId: c.entity_id },
              c.through_seq,
            ),
          ),
        )
      ).flat()
    : await loadStored(tx, cursors);
  const eventsByEntity = new Map<string, RecordedEvent[]>();
  const closing = new Set<string>();
  for (const event of loaded) {
    const k = key(event.entityType, event.entityId);
    const list = eventsByEntity.get(k) ?? [];
    list.push(event);
    eventsByEntity.set(k, list);
    if (isClosing(event) && !options.stopBefore?.(event)) closing.add(event.entityId);
  }
  const bidders = new Map<string, string[]>();
  if (closing.size > 0) {
    const found = await tx<{ auction_id: string; bidders: string[] }[]>`
      SELECT auction_id, array_agg(DISTINCT bidder_id) AS bidders FROM bids
      WHERE auction_id = ANY(${[...closing]}) GROUP BY auction_id`;
    for (const row of found) bidders.set(row.auction_id, row.bidders);
  }

  const drafts: NotificationDraft[] = [];
  const moved: (EntityKey & { through_seq: number })[] = [];
  for (const cursor of cursors) {
    const events = eventsByEntity.get(key(cursor.entity_type, cursor.entity_id)) ?? [];
    const previous = events.find((event) => event.seq === cursor.through_seq) ?? null;
    // Without the event at the cursor (a log that no longer holds it) the state before the next one
    // is unknown: leave the entity to a reader of the complete log (PostgreSQL).
    if (previous === null && cursor.through_seq > 0) continue;
    const result = deriveNotifications({
      previous,
      throughSeq: cursor.through_seq,
      events,
      bidders: bidders.get(cursor.entity_id) ?? [],
      ...(options.stopBefore ? { stopBefore: options.stopBefore } : {}),
    });
    drafts.push(...result.drafts);
    if (result.throughSeq !== cursor.through_seq) moved.push({ ...cursor, through_seq: result.throughSeq });
  }
  const [, stored] = await Promise.all([
    moved.length > 0
      ? tx`
          UPDATE notification_cursors c SET through_seq = r.through_seq
          FROM jsonb_to_recordset(${json(moved)}) AS r(entity_type text, entity_id text, through_seq bigint)
          WHERE c.entity_type = r.entity_type AND c.entity_id = r.entity_id`
      : undefined,
    storeDrafts(tx, drafts),
  ]);
  return stored;
}

/**
 * Creates the missing cursor rows and locks them all, sorted by key, in one round trip. The writer
 * waits for a cursor another transaction holds (an upsert locks the row it meets); the fast path
 * skips it (SKIP LOCKED, after an insert that never waits on a committed row).
 */
async function lockCursors(
  tx: Tx,
  wanted: postgres.Parameter,
  skipLocked: boolean,
): Promise<(EntityKey & { through_seq: number })[]> {
  if (!skipLocked) {
    return tx<(EntityKey & { through_seq: number })[]>`
      INSERT INTO notification_cursors AS c (entity_type, entity_id, through_seq)
      SELECT r.entity_type, r.entity_id, 0 FROM jsonb_to_recordset(${wanted}) AS r(entity_type text, entity_id text)
      ORDER BY r.entity_type, r.entity_id
      ON CONFLICT (entity_type, entity_id) DO UPDATE SET through_seq = c.through_seq
      RETURNING c.entity_type, c.entity_id, c.through_seq`;
  }
  const [, cursors] = await Promise.all([
    tx`
      INSERT INTO notification_cursors (entity_type, entity_id, through_seq)
      SELECT r.entity_type, r.entity_id, 0 FROM jsonb_to_recordset(${wanted}) AS r(entity_type text, entity_id text)
      ORDER BY r.entity_type, r.entity_id
      ON CONFLICT DO NOTHING`,
    tx<(EntityKey & { through_seq: number })[]>`
      SELECT c.entity_type, c.entity_id, c.through_seq FROM notification_cursors c
      JOIN jsonb_to_recordset(${wanted}) AS r(entity_type text, entity_id text)
        ON c.entity_type = r.entity_type AND c.entity_id = r.entity_id
      ORDER BY c.entity_type, c.entity_id
      FOR UPDATE OF c SKIP LOCKED`,
  ]);
  return cursors;
}

/**
 * Numbers the drafts per user (the counters, locked sorted by user id, move by each user's count)
 * and stores them, in one statement: a user's k-th draft gets `last_seq - n + k`.
 */
async function storeDrafts(tx: Tx, drafts: readonly NotificationDraft[]): Promise<StoredNotification[]> {
  if (drafts.length === 0) return [];
  const counts = new Map<string, number>();
  const rows = drafts.map((draft) => {
    const k = (counts.get(draft.userId) ?? 0) + 1;
    counts.set(draft.userId, k);
    return {
      user_id: draft.userId,
      k,
      kind: draft.kind,
      at: draft.at,
      auction_id: draft.auctionId ?? null,
      product_id: draft.productId ?? null,
      order_id: draft.orderId ?? null,
      amount: draft.amount ?? null,
      title: draft.title ?? null,
      source_event_id: draft.sourceEventId,
    };
  });
  const perUser = [...counts]
    .map(([user_id, n]) => ({ user_id, n }))
    .sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
  const json = (value: unknown) => tx.json(value as postgres.JSONValue);
  const numbered = await tx<{ user_id: string; last_seq: number; n: number }[]>`
    WITH counted AS (
      INSERT INTO notification_counters AS c (user_id, last_seq)
      SELECT r.user_id, r.n FROM jsonb_to_recordset(${json(perUser)}) AS r(user_id text, n bigint)
      ORDER BY r.user_id
      ON CONFLICT (user_id) DO UPDATE SET last_seq = c.last_seq + excluded.last_seq
      RETURNING c.user_id, c.last_seq
    ), given AS (
      SELECT * FROM jsonb_to_recordset(${json(rows)}) AS r(
        user_id text, k bigint, kind text, at bigint, auction_id text, product_id text, order_id text,
        amount bigint, title text, source_event_id text)
    ), per_user AS (
      SELECT * FROM jsonb_to_recordset(${json(perUser)}) AS r(user_id text, n bigint)
    ), inserted AS (
      INSERT INTO notifications (user_id, seq, kind, at, auction_id, product_id, order_id, amount, title,
        source_event_id)
      SELECT g.user_id, counted.last_seq - per_user.n + g.k, g.kind, to_timestamp(g.at / 1000.0), g.auction_id,
        g.product_id, g.order_id, g.amount, g.title, g.source_event_id
      FROM given g JOIN counted USING (user_id) JOIN per_user USING (user_id)
      RETURNING 1
    )
    SELECT counted.user_id, counted.last_seq, per_user.n, (SELECT count(*) FROM inserted) AS stored
    FROM counted JOIN per_user USING (user_id)`;
  const firstSeq = new Map<string, number>();
  for (const row of numbered) firstSeq.set(row.user_id, Number(row.last_seq) - Number(row.n) + 1);
  return rows.map((row, index) => {
    const draft = drafts[index] as NotificationDraft;
    const seq = (firstSeq.get(row.user_id) ?? 1) + row.k - 1;
    return { userId: draft.userId, notification: toNotificationView({ ...draft, seq }) };
  });
}

async function loadStored(
  tx: Tx,
  cursors: readonly (EntityKey & { through_seq: number })[],
): Promise<RecordedEvent[]> {
  const rows = await tx<
    (EntityKey & {
      event_id: string;
      seq: number;
      type: string;
      occurred_ms: number;
      payload: Record<string, unknown>;
    })[]
  >`
    SELECT e.entity_type, e.entity_id, e.event_id, e.seq, e.type,
      (extract(epoch FROM e.occurred_at) * 1000)::bigint AS occurred_ms, e.payload
    FROM events e
    JOIN jsonb_to_recordset(${tx.json(cursors as unknown as postgres.JSONValue)}) AS c(entity_type text, entity_id text, through_seq bigint)
      ON e.entity_type = c.entity_type AND e.entity_id = c.entity_id AND e.seq >= c.through_seq
    ORDER BY e.entity_type, e.entity_id, e.seq`;
  return rows.map((row) => ({
    eventId: row.event_id,
    type: row.type,
    entityType: row.entity_type as RecordedEvent['entityType'],
    entityId: row.entity_id,
    seq: row.seq,
    occurredAt: row.occurred_ms,
    payload: row.payload,
  }));
}

interface NotificationRow {
  seq: number;
  kind: NotificationKind;
  at_ms: number;
  auction_id: string | null;
  product_id: string | null;
  order_id: string | null;
  amount: number | null;
  title: string | null;
}

export class PostgresNotifications implements NotificationReader, NotificationRetention, NotificationDeriver {
  constructor(
    private readonly sql: Sql,
    private readonly now: () => number = Date.now,
  ) {}

  async list(userId: string, since: number, limit: number): Promise<NotificationPage> {
    const cutoff = new Date(this.now() - NOTIFICATION_RETENTION_MS);
    const rows = await this.sql<NotificationRow[]>`
      SELECT seq, kind, (extract(epoch FROM at) * 1000)::bigint AS at_ms, auction_id, product_id, order_id, amount, title
      FROM notifications WHERE user_id = ${userId} AND seq > ${since} AND at > ${cutoff}
      ORDER BY seq LIMIT ${limit + 1}`;
    const page = rows.slice(0, limit).map((row) =>
      toNotificationView({
        seq: row.seq,
        kind: row.kind,
        at: row.at_ms,
        ...(row.auction_id === null ? {} : { auctionId: row.auction_id }),
        ...(row.product_id === null ? {} : { productId: row.product_id }),
        ...(row.order_id === null ? {} : { orderId: row.order_id }),
        ...(row.amount === null ? {} : { amount: row.amount }),
        ...(row.title === null ? {} : { title: row.title }),
      }),
    );
    const last = page.at(-1);
    return { notifications: page, next: rows.length > limit && last ? last.seq : null };
  }

  /** The fan-out's fast path: its own transaction, events read from the deciding store's log. */
  deriveFromLog(
    entities: readonly EntityRef[],
    load: EventLoader,
    stopBefore: (event: RecordedEvent) => boolean,
  ): Promise<StoredNotification[]> {
    return this.sql.begin((tx) =>
      deriveStoredNotifications(tx, entities, { load, stopBefore, skipLocked: true }),
    );
  }

  async latestSeq(userId: string): Promise<number> {
    const rows = await this.sql<{ last_seq: number }[]>`
      SELECT last_seq FROM notification_counters WHERE user_id = ${userId}`;
    return rows[0]?.last_seq ?? 0;
  }

  /** In slices, so a large backlog never holds one long transaction. */
  async deleteOlderThan(cutoffMs: number): Promise<number> {
    const cutoff = new Date(cutoffMs);
    let deleted = 0;
    for (;;) {
      const result = await this.sql`
        DELETE FROM notifications WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM notifications WHERE at < ${cutoff} LIMIT 5000))`;
      deleted += result.count;
      if (result.count < 5000) return deleted;
    }
  }
}
