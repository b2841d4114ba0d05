import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auctionResponse, placeBidResponse } from '../functions/api/schemas.js';
import type { Json } from './support/app-caller.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { tokenFor } from './support/tokens.js';

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Issue 24 item 6. Only the create-time sum startingPrice + minIncrement was bounded: a bid near the
 * cap made `minimumNextBid` (and a later `minimumBid`) pass MAX_SAFE_INTEGER, an answer that fails
 * the project's own schema. The bid's script now refuses an amount or maxAmount above
 * MAX_SAFE_INTEGER - minIncrement (400 naming the field, with `maximumBid`), so every price it can
 * make, plus the increment, is a safe integer.
 */
describe.each([
  { name: 'single Redis', url: () => inject('redisUrl'), cluster: false },
  { name: '3-node Redis Cluster', url: () => inject('redisClusterUrl'), cluster: true },
])('bids near MAX_SAFE_INTEGER on $name', ({ url, cluster }) => {
  let fx: HttpFixture;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: url(), cluster, sqsEndpoint: inject('sqsEndpoint') });
    [alice, bob] = await Promise.all([tokenFor('alice-ceiling'), tokenFor('bob-ceiling')]);
  });
  afterAll(() => fx.close());

  const bid = async (auctionId: string, token: string, body: Record<string, number>) => {
    const response = await fx.request(`/auctions/${auctionId}/bids`, { method: 'POST', token, body });
    return { status: response.status, json: (await response.json()) as Json };
  };

  it('refuses an amount whose next minimum would not be a safe integer; the answers stay in the schema', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 1_000 });
    const over = await bid(auction.id, alice, { amount: MAX });
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject({
      code: 'invalid_request',
      field: 'amount',
      maximumBid: MAX - 1_000,
    });
    const top = await bid(auction.id, alice, { amount: MAX - 1_000 });
    expect(top.status).toBe(201);
    expect(placeBidResponse.safeParse(top.json).success).toBe(true);
    expect(top.json.auction.minimumNextBid).toBe(MAX);
    const tooLow = await bid(auction.id, bob, { amount: MAX - 1_000 });
    expect(tooLow.status).toBe(409);
    expect(tooLow.json.error).toMatchObject({ code: 'bid_too_low', minimumBid: MAX });
    const read = await fx.request(`/auctions/${auction.id}`);
    expect(auctionResponse.safeParse(await read.json()).success).toBe(true);
  });

  it('refuses a maxAmount above the ceiling too (a proxy raise could reach it)', async () => {
    const auction = await fx.createAuction({ startingPrice: 1_000, minIncrement: 500 });
    const over = await bid(auction.id, alice, { amount: 1_000, maxAmount: MAX - 499 });
    expect(over.status).toBe(400);
    expect(over.json.error).toMatchObject({ field: 'maxAmount', maximumBid: MAX - 500 });
    expect((await bid(auction.id, alice, { amount: 1_000, maxAmount: MAX - 500 })).status).toBe(201);
    const raised = await bid(auction.id, bob, { amount: 1_500, maxAmount: MAX - 500 });
    expect(raised.status).toBe(201);
    expect(raised.json.outbid).toBe(true); // equal maxima: the earlier bidder leads, at the maximum
    expect(raised.json.auction).toMatchObject({ currentPrice: MAX - 500, minimumNextBid: MAX });
    expect(placeBidResponse.safeParse(raised.json).success).toBe(true);
  });
});
