import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { startPrivateRedis } from './support/redis-servers.js';
import { tokenFor } from './support/tokens.js';

/**
 * Redis killed under the HTTP app, then started again (empty, as a node replacement would be):
 * while it is gone every answer is a quick 503 with Retry-After, never a 500 or a hang; once it is
 * back the same process serves again without a restart.
 */
describe('a Redis that dies and comes back', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let fx: HttpFixture;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    fx = await createHttpFixture({
      redisUrl: `redis://127.0.0.1:${redis.ports[0]}`,
      sqsEndpoint: inject('sqsEndpoint'),
    });
  });
  afterAll(async () => {
    await fx.close();
    await redis.stop();
  });

  it('answers 503 while Redis is down and serves again after it restarts', async () => {
    const auction = await fx.createAuction();
    const bidder = await tokenFor('outage-bidder');
    expect(
      (
        await fx.request(`/auctions/${auction.id}/bids`, {
          method: 'POST',
          token: bidder,
          body: { amount: 1_000 },
        })
      ).status,
    ).toBe(201);

    await redis.kill();
    const started = Date.now();
    const health = await fx.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      error: { code: 'dependency_unavailable', failing: ['redis'] },
    });
    const bid = await fx.request(`/auctions/${auction.id}/bids`, {
      method: 'POST',
      token: bidder,
      body: { amount: 2_000 },
    });
    expect(bid.status).toBe(503);
    expect(bid.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await bid.json()).toMatchObject({ error: { code: 'service_unavailable' } });
    const read = await fx.request(`/auctions/${auction.id}`);
    expect(read.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);

    await redis.start();
    let healthy = false;
    for (let attempt = 0; attempt < 50 && !healthy; attempt++) {
      healthy = (await fx.request('/health')).status === 200;
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy).toBe(true);
    const fresh = await fx.createAuction();
    expect(
      (
        await fx.request(`/auctions/${fresh.id}/bids`, {
          method: 'POST',
          token: bidder,
          body: { amount: 1_000 },
        })
      ).status,
    ).toBe(201);
  });
});
