/**
 * `npm run audit`: compares Redis (the deciding store) and PostgreSQL (the write-behind store) for
 * every auction and product, and prints each difference; exit code 1 when there is any.
 * Run it after a load run once the persist queue is drained: then there must be none.
 *
 *   REDIS_URL, REDIS_CLUSTER (true for cluster mode), DATABASE_URL
 *
 * Compared per entity: presence on both sides (a closed auction only in PostgreSQL is fine: Redis
 * may evict it), seq, every field of the state record (the leader's secret maximum of proxy bidding
 * included, whose values are never printed), and for auctions the number of bids (proxy raises are
 * bids). Events still waiting in an outbox are differences too (not yet sent to SQS).
 */
import { pathToFileURL } from 'node:url';
import { Cluster } from 'ioredis';
import { createPostgresClient, type Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { outboxKeyOf, outboxMember } from '../functions/adapters/redis/redis-keys.js';

export interface AuditReport {
  auctions: { redis: number; postgres: number; archivedOnly: number };
  products: { redis: number; postgres: number };
  differences: string[];
}

async function scanStateKeys(redis: RedisClient, tag: 'a' | 'p'): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys = new Set<string>();
  const pattern = new RegExp(`^\\{${tag}:[^}]+\\}$`);
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `{${tag}:*}`, 'COUNT', 1000);
      cursor = next;
      for (const key of batch) if (pattern.test(key)) keys.add(key);
    } while (cursor !== '0');
  }
  return [...keys];
}

/** The id of a state key `{a:ID}` / `{p:ID}` (its part decoded, see redis-keys.ts). */
const idOf = (key: string) => decodeURIComponent(key.slice(3, -1));

/** Presence, then seq, then every field of the record: the first difference found per entity level. */
function compareEntity(
  label: string,
  record: Record<string, string>,
  row: { seq: number; state: Record<string, string> } | undefined,
): string[] {
  if (!row) return [`${label}: in Redis (seq ${record.seq}) but not in PostgreSQL`];
  if (Number(record.seq) !== row.seq) return [`${label}: seq redis=${record.seq} postgres=${row.seq}`];
  return compareRecords(label, record, row.state);
}

/** Fields compared but never printed: proxy bidding's maxima are secret, in any output. */
const SECRET_FIELDS = new Set(['leaderMax']);

function compareRecords(
  label: string,
  redis: Record<string, string>,
  postgres: Record<string, unknown>,
): string[] {
  const differences: string[] = [];
  for (const field of new Set([...Object.keys(redis), ...Object.keys(postgres)])) {
    const left = redis[field];
    const right = postgres[field] === undefined ? undefined : String(postgres[field]);
    if (left === right) continue;
    differences.push(
      SECRET_FIELDS.has(field)
        ? `${label}: ${field} differs (secret, not printed)`
        : `${label}: ${field} redis=${JSON.stringify(left)} postgres=${JSON.stringify(right)}`,
    );
  }
  return differences;
}

export async function audit(redis: RedisClient, sql: Sql): Promise<AuditReport> {
  const differences: string[] = [];

  const auctionKeysInRedis = await scanStateKeys(redis, 'a');
  const auctionRows = await sql<
    { id: string; seq: number; state: Record<string, string>; closed: boolean; bids: number }[]
  >`
    SELECT a.id, a.seq, a.state, a.closed_at IS NOT NULL AS closed,
           (SELECT count(*) FROM bids b WHERE b.auction_id = a.id)::int AS bids
    FROM auctions a`;
  const auctionsInPostgres = new Map(auctionRows.map((row) => [row.id, row]));
  const redisAuctions = await Promise.all(
    auctionKeysInRedis.map(async (key) => ({ id: idOf(key), record: await redis.hgetall(key) })),
  );
  const seen = new Set<string>();
  for (const { id, record } of redisAuctions) {
    seen.add(id);
    const row = auctionsInPostgres.get(id);
    const label = `auction ${id}`;
    differences.push(...compareEntity(label, record, row));
    if (row && Number(record.seq) === row.seq && Number(record.bidCount) !== row.bids) {
      differences.push(`${label}: bidCount ${record.bidCount} but ${row.bids} bid rows in PostgreSQL`);
    }
  }
  let archivedOnly = 0;
  for (const row of auctionRows) {
    if (seen.has(row.id)) continue;
    if (row.closed) archivedOnly++;
    else differences.push(`auction ${row.id}: open in PostgreSQL (seq ${row.seq}) but not in Redis`);
  }

  const productKeysInRedis = await scanStateKeys(redis, 'p');
  const productRows = await sql<{ id: string; seq: number; state: Record<string, string> }[]>`
    SELECT id, seq, state FROM products`;
  const productsInPostgres = new Map(productRows.map((row) => [row.id, row]));
  const seenProducts = new Set<string>();
  for (const key of productKeysInRedis) {
    const id = idOf(key);
    seenProducts.add(id);
    const record = await redis.hgetall(key);
    differences.push(...compareEntity(`product ${id}`, record, productsInPostgres.get(id)));
  }
  for (const row of productRows) {
    if (!seenProducts.has(row.id))
      differences.push(`product ${row.id}: in PostgreSQL (seq ${row.seq}) but not in Redis`);
  }

  const withOutbox = [
    ...auctionKeysInRedis.map((key) => outboxMember('auction', idOf(key))),
    ...productKeysInRedis.map((key) => outboxMember('product', idOf(key))),
  ];
  const pending = await Promise.all(
    withOutbox.map(async (member) => [member, await redis.hlen(outboxKeyOf(member))] as const),
  );
  for (const [member, count] of pending) {
    if (count > 0)
      differences.push(`${member}: ${count} event(s) still in the outbox (not acknowledged by SQS)`);
  }

  return {
    auctions: { redis: auctionKeysInRedis.length, postgres: auctionRows.length, archivedOnly },
    products: { redis: productKeysInRedis.length, postgres: productRows.length },
    differences,
  };
}

async function main(): Promise<number> {
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  if (!redisUrl || !databaseUrl) {
    console.error('REDIS_URL and DATABASE_URL must be set (REDIS_CLUSTER=true for cluster mode)');
    return 2;
  }
  const redis = createRedisClient({ url: redisUrl, cluster: process.env.REDIS_CLUSTER === 'true' });
  const sql = createPostgresClient({ url: databaseUrl, max: 2, name: 'live-sale-audit' });
  try {
    const report = await audit(redis, sql);
    console.log(
      `auctions: ${report.auctions.redis} in Redis, ${report.auctions.postgres} in PostgreSQL ` +
        `(${report.auctions.archivedOnly} closed and only in PostgreSQL)`,
    );
    console.log(`products: ${report.products.redis} in Redis, ${report.products.postgres} in PostgreSQL`);
    for (const difference of report.differences.slice(0, 200)) console.log(`  DIFF ${difference}`);
    if (report.differences.length > 200) console.log(`  ... and ${report.differences.length - 200} more`);
    console.log(
      report.differences.length === 0
        ? 'audit: no difference'
        : `audit: ${report.differences.length} difference(s)`,
    );
    return report.differences.length === 0 ? 0 : 1;
  } finally {
    await sql.end({ timeout: 5 });
    await redis.quit().catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
