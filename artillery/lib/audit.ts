/**
 * The consistency audit after a load run, on the entities the run created (ids start with its run id):
 * - every 2xx write the load generator saw (auction, product, bid, order, payment, cancel) is in
 *   PostgreSQL, with the values it was answered with;
 * - every closed auction has exactly one result, whose winner and price are those of its last (highest)
 *   bid, and its bids form a valid ascending chain, all before the end: each bid of its own >= previous +
 *   minIncrement; a proxy raise (proxy bidding) >= previous, within the raised bidder's maximum and at
 *   most one increment above the maximum it answers, or at the reserve (checkBidChain in
 *   functions/domain/proxy-bidding.ts, with the maxima PostgreSQL keeps);
 * - no product is oversold: units held by reserved + paid orders never exceed the stock and equal
 *   stock - available, in PostgreSQL and in Redis (read through the API);
 * - Redis (through the API) and PostgreSQL agree on every entity's seq and state.
 * `npm run audit` (the persistence audit over whole keyspaces) runs besides this one.
 */
import type postgres from 'postgres';
import { type ChainBid, checkBidChain } from '../../functions/domain/proxy-bidding.js';
import type { WriteSample } from './samples.js';

export interface AuditCheck {
  name: string;
  ok: boolean;
  /** What was checked, e.g. "1,234 bids". */
  detail: string;
  /** The first few problems. */
  problems: string[];
}

interface ApiAuction {
  id: string;
  status: string;
  seq: number;
  currentPrice: number | null;
  leaderId: string | null;
  bidCount: number;
  winnerId: string | null;
  finalPrice: number | null;
  reserveMet: boolean;
  endsAt: string;
}

interface ApiProduct {
  id: string;
  stock: number;
  available: number;
  seq: number;
}

const MAX_PROBLEMS = 8;

class Check {
  readonly problems: string[] = [];
  private count = 0;
  constructor(
    readonly name: string,
    private readonly what: string,
  ) {}
  seen(n = 1) {
    this.count += n;
  }
  fail(problem: string) {
    this.problems.push(problem);
  }
  result(): AuditCheck {
    return {
      name: this.name,
      ok: this.problems.length === 0,
      detail: `${this.count.toLocaleString('en-US')} ${this.what}`,
      problems: this.problems
        .slice(0, MAX_PROBLEMS)
        .concat(
          this.problems.length > MAX_PROBLEMS ? [`... and ${this.problems.length - MAX_PROBLEMS} more`] : [],
        ),
    };
  }
}

const str = (value: unknown) => (value === null || value === undefined ? null : String(value));

async function getJson<T>(url: string): Promise<{ status: number; json: T }> {
  const response = await fetch(url);
  return { status: response.status, json: (await response.json()) as T };
}

export async function auditRun(options: {
  sql: postgres.Sql;
  httpUrl: string;
  runId: string;
  writes: WriteSample[];
}): Promise<AuditCheck[]> {
  const { sql, httpUrl, runId, writes } = options;
  const prefix = `${runId}%`;
  const auctions = await sql`select * from auctions where id like ${prefix} order by id`;
  const results = await sql`select * from auction_results where auction_id like ${prefix}`;
  const bids = await sql`
    select b.* from bids b where b.auction_id like ${prefix} order by b.auction_id, b.seq`;
  // A leader's raise of their own maximum is an event, not a bid: the chain check needs the new maximum.
  const maxRaises = await sql`
    select entity_id, seq, payload->'state'->>'leaderId' as bidder_id,
           payload->'state'->>'leaderMax' as max_amount
    from events where entity_type = 'auction' and entity_id like ${prefix} and type = 'bid.max_raised'`;
  const products = await sql`select * from products where id like ${prefix} order by id`;
  const orders = await sql`select * from orders where product_id like ${prefix}`;
  const payments = await sql`select * from payment_events where order_id in (
    select id from orders where product_id like ${prefix})`;

  const byId = <T extends Record<string, unknown>>(rows: T[], key = 'id') =>
    new Map(rows.map((row) => [String(row[key]), row]));
  const auctionRows = byId(auctions);
  const productRows = byId(products);
  const bidRows = byId(bids);
  const orderRows = byId(orders);
  const paymentRows = byId(payments);
  const resultRows = byId(results, 'auction_id');

  // 1. Every 2xx write is in PostgreSQL.
  const persisted = new Check('every 2xx write is in PostgreSQL', 'accepted writes');
  for (const write of writes) {
    const r = write.record;
    const id = String(r.id);
    persisted.seen();
    switch (write.kind) {
      case 'auction':
        if (!auctionRows.has(id)) persisted.fail(`auction ${id} missing`);
        break;
      case 'product':
        if (!productRows.has(id)) persisted.fail(`product ${id} missing`);
        break;
      case 'bid': {
        const row = bidRows.get(id);
        if (!row) persisted.fail(`bid ${id} (${r.auctionId}, seq ${r.seq}) missing`);
        else if (
          str(row.amount) !== str(r.amount) ||
          row.bidder_id !== r.bidderId ||
          str(row.seq) !== str(r.seq)
        )
          persisted.fail(
            `bid ${id} differs: amount ${row.amount} vs ${r.amount}, seq ${row.seq} vs ${r.seq}`,
          );
        break;
      }
      case 'order': {
        const row = orderRows.get(id);
        if (!row) persisted.fail(`order ${id} missing`);
        else if (str(row.qty) !== str(r.qty) || str(row.amount) !== str(r.amount))
          persisted.fail(
            `order ${id} differs: qty ${row.qty} vs ${r.qty}, amount ${row.amount} vs ${r.amount}`,
          );
        break;
      }
      case 'payment': {
        const order = orderRows.get(String(r.orderId));
        if (!paymentRows.has(id)) persisted.fail(`payment event ${id} (order ${r.orderId}) missing`);
        if (r.status === 'applied' && order) {
          const expected = r.type === 'payment.failed' ? 'cancelled' : 'paid';
          // A cancel may have come first; then the payment leaves the status and asks for a refund.
          if (order.status !== expected && !(order.status === 'cancelled' && order.refund_required))
            persisted.fail(`order ${r.orderId} is ${order.status} after an applied ${r.type}`);
        }
        break;
      }
      case 'cancel': {
        const row = orderRows.get(id);
        if (!row) persisted.fail(`cancelled order ${id} missing`);
        else if (row.status !== 'cancelled')
          persisted.fail(`order ${id} is ${row.status} after a 200 cancel`);
        break;
      }
    }
  }

  // 2. One winner per closed auction, at the highest valid bid.
  const winners = new Check('one winner per closed auction, at the highest valid bid', 'closed auctions');
  const chain = new Check('bids of every auction form a valid ascending chain', 'bids');
  const bidsByAuction = new Map<string, Record<string, unknown>[]>();
  for (const bid of bids) {
    const list = bidsByAuction.get(bid.auction_id) ?? [];
    list.push(bid);
    bidsByAuction.set(bid.auction_id, list);
  }
  const acceptedByAuction = new Map<string, number>();
  for (const write of writes.filter((w) => w.kind === 'bid')) {
    const auctionId = String(write.record.auctionId);
    acceptedByAuction.set(
      auctionId,
      Math.max(acceptedByAuction.get(auctionId) ?? 0, Number(write.record.amount)),
    );
  }
  const apiAuctions = new Map<string, ApiAuction>();
  for (const auction of auctions) {
    const { status, json } = await getJson<{ auction?: ApiAuction }>(`${httpUrl}/auctions/${auction.id}`);
    if (status === 200 && json.auction) apiAuctions.set(auction.id, json.auction);
  }
  const maxRaisesByAuction = new Map<string, ChainBid[]>();
  for (const raise of maxRaises) {
    const list = maxRaisesByAuction.get(raise.entity_id) ?? [];
    list.push({
      seq: Number(raise.seq),
      bidderId: String(raise.bidder_id),
      amount: 0,
      proxy: false,
      maxAmount: raise.max_amount ? Number(raise.max_amount) : null,
      maxRaise: true,
    });
    maxRaisesByAuction.set(raise.entity_id, list);
  }
  for (const auction of auctions) {
    const list = bidsByAuction.get(auction.id) ?? [];
    for (const bid of list) {
      chain.seen();
      if (new Date(bid.placed_at as string) >= new Date(auction.ends_at))
        chain.fail(
          `${auction.id} seq ${bid.seq} placed at ${bid.placed_at}, after the end ${auction.ends_at}`,
        );
    }
    const links: ChainBid[] = [
      ...list.map((bid) => ({
        seq: Number(bid.seq),
        bidderId: String(bid.bidder_id),
        amount: Number(bid.amount),
        proxy: bid.proxy === true,
        maxAmount: bid.max_amount === null || bid.max_amount === undefined ? null : Number(bid.max_amount),
      })),
      ...(maxRaisesByAuction.get(auction.id) ?? []),
    ].sort((a, b) => a.seq - b.seq);
    const settings = {
      startingPrice: Number(auction.starting_price),
      minIncrement: Number(auction.min_increment),
      reservePrice: auction.reserve_price === null ? null : Number(auction.reserve_price),
      // Tiered increments (API.md v1.2): min_increment is then the increment in force, the table rules.
      incrementTable: (auction.increment_table ?? null) as { from: number; increment: number }[] | null,
    };
    for (const problem of checkBidChain(settings, links)) chain.fail(`${auction.id} ${problem}`);
    const api = apiAuctions.get(auction.id);
    if (api?.status !== 'closed') continue;
    winners.seen();
    const result = resultRows.get(auction.id);
    // The chain ascends, so the last bid is the highest; a proxy raise may equal the bid before it
    // (equal maxima go to the earlier bidder), and then the last one is the winner.
    const top = list.at(-1);
    if (top && list.some((bid) => Number(bid.amount) > Number(top.amount)))
      winners.fail(`${auction.id}: the last bid ${top.amount} is not the highest`);
    // API.md v1.2: a buy-now wins at buyNowPrice without a bid; a cancelled auction has no winner.
    const boughtNow = auction.closed_by === 'buy_now';
    const reserveMet =
      !boughtNow &&
      auction.cancelled !== true &&
      top !== undefined &&
      (auction.reserve_price === null || Number(top.amount) >= Number(auction.reserve_price));
    const expectedWinner = boughtNow ? str(auction.leader_id) : reserveMet ? String(top?.bidder_id) : null;
    const expectedPrice = boughtNow ? str(auction.buy_now_price) : str(top?.amount);
    if (!result) {
      winners.fail(`${auction.id} reads closed but has no auction_results row`);
      continue;
    }
    if (str(result.winner_id) !== expectedWinner)
      winners.fail(`${auction.id}: winner ${result.winner_id}, highest valid bid by ${expectedWinner}`);
    if ((reserveMet || boughtNow) && str(result.final_price) !== expectedPrice)
      winners.fail(`${auction.id}: final price ${result.final_price}, expected ${expectedPrice}`);
    if (Number(result.bid_count) !== list.length)
      winners.fail(`${auction.id}: result counts ${result.bid_count} bids, PostgreSQL holds ${list.length}`);
    if (
      api.winnerId !== expectedWinner ||
      ((reserveMet || boughtNow) && str(api.finalPrice) !== expectedPrice)
    )
      winners.fail(`${auction.id}: Redis says winner ${api.winnerId} at ${api.finalPrice}`);
    // With proxy raises the top bid may be above every 201 answer (no request answered it), never below.
    const seenTop = acceptedByAuction.get(auction.id);
    const proxied = list.some((bid) => bid.proxy === true);
    if (
      seenTop !== undefined &&
      (proxied ? seenTop > Number(top?.amount) : str(seenTop) !== str(top?.amount))
    )
      winners.fail(
        `${auction.id}: highest 201 bid seen by the load test ${seenTop}, highest persisted ${top?.amount}`,
      );
  }

  // 3. No product oversold.
  const oversold = new Check('no product oversold', 'products');
  const apiProducts = new Map<string, ApiProduct>();
  for (const product of products) {
    const { status, json } = await getJson<{ product?: ApiProduct }>(`${httpUrl}/products/${product.id}`);
    if (status === 200 && json.product) apiProducts.set(product.id, json.product);
  }
  for (const product of products) {
    oversold.seen();
    const held = orders
      .filter((o) => o.product_id === product.id && (o.status === 'reserved' || o.status === 'paid'))
      .reduce((sum, o) => sum + Number(o.qty), 0);
    const stock = Number(product.stock);
    if (held > stock) oversold.fail(`${product.id}: ${held} units held by orders, stock ${stock}`);
    if (Number(product.available) < 0)
      oversold.fail(`${product.id}: available ${product.available} in PostgreSQL`);
    if (stock - Number(product.available) !== held)
      oversold.fail(
        `${product.id}: PostgreSQL stock ${stock} - available ${product.available} != ${held} held`,
      );
    const api = apiProducts.get(product.id);
    if (!api) oversold.fail(`${product.id}: GET /products answered no product`);
    else if (api.available < 0 || api.stock - api.available !== held)
      oversold.fail(`${product.id}: Redis stock ${api.stock} - available ${api.available} != ${held} held`);
  }

  // 4. Redis (through the API) and PostgreSQL agree.
  const agree = new Check('Redis and PostgreSQL agree (seq and state)', 'entities');
  for (const auction of auctions) {
    agree.seen();
    const api = apiAuctions.get(auction.id);
    if (!api) {
      agree.fail(`auction ${auction.id}: GET /auctions answered no auction`);
      continue;
    }
    const pairs: [string, unknown, unknown][] = [
      ['seq', api.seq, auction.seq],
      ['currentPrice', api.currentPrice, auction.current_price],
      ['leaderId', api.leaderId, auction.leader_id],
      ['bidCount', api.bidCount, auction.bid_count],
    ];
    for (const [field, redis, pg] of pairs)
      if (str(redis) !== str(pg))
        agree.fail(`auction ${auction.id} ${field}: Redis ${redis}, PostgreSQL ${pg}`);
  }
  for (const product of products) {
    agree.seen();
    const api = apiProducts.get(product.id);
    if (!api) continue;
    if (str(api.seq) !== str(product.seq) || str(api.available) !== str(product.available))
      agree.fail(
        `product ${product.id}: Redis seq ${api.seq} available ${api.available}, PostgreSQL seq ${product.seq} available ${product.available}`,
      );
  }

  return [persisted.result(), winners.result(), chain.result(), oversold.result(), agree.result()];
}
