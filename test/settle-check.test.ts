import { createServer, request as httpRequest, type Server } from 'node:http';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../functions/adapters/postgres/client.js';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client.js';
import { auctionKeys } from '../functions/adapters/redis/redis-keys.js';
import { composeHttpApp } from '../functions/http/compose.js';
import { appCaller, createLot } from './support/app-caller.js';
import { recordingLogger, testSql } from './support/persistence.js';
import { createPipeline } from './support/pipeline.js';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens.js';
import { TEST_WEBHOOK_SECRET } from './support/webhooks.js';

/**
 * An SQS endpoint in front of the local SQS server that answers ReceiveMessage on one queue the way
 * AWS answers a role without `sqs:ReceiveMessage` on it (AccessDenied), and records every
 * ReceiveMessage request's body; everything else is passed on.
 */
async function startSqsGate(target: string) {
  const upstream = new URL(target);
  const receives: Array<{ QueueUrl?: string; WaitTimeSeconds?: number }> = [];
  let deniedQueueUrl: string | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.headers['x-amz-target'] === 'AmazonSQS.ReceiveMessage') {
        const input = JSON.parse(body.toString('utf8')) as { QueueUrl?: string; WaitTimeSeconds?: number };
        receives.push(input);
        if (deniedQueueUrl !== null && input.QueueUrl === deniedQueueUrl) {
          res.writeHead(400, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-query-error': 'AccessDenied;Sender',
          });
          res.end(
            JSON.stringify({
              __type: 'com.amazon.coral.service#AccessDeniedException',
              message:
                'User: arn:aws:sts::123456789012:assumed-role/http is not authorized to perform: sqs:receivemessage',
            }),
          );
          return;
        }
      }
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    receives,
    deny(queueUrl: string | null) {
      deniedQueueUrl = queueUrl;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Issue 24 item 2. The settle check of a rebuild reads the persist DLQ (whose dead letters they are)
 * with ReceiveMessage. A role without that grant got AccessDenied, which was answered 500 on every
 * read or bid of a lost entity, which was then never rebuilt. Now: the grant is there on AWS
 * (infra-test/api-stack.test.ts), any unexpected error of the check is "not settled yet" (503 with
 * Retry-After, the entity stays fenced), and the peek long-polls, so SQS looks at all its servers.
 */
describe('the settle check of a rebuild, when the DLQ holds a dead letter', () => {
  let sql: Sql;
  let redis: RedisClient;
  let pipeline: Awaited<ReturnType<typeof createPipeline>>;
  let gate: Awaited<ReturnType<typeof startSqsGate>>;
  let http: Awaited<ReturnType<typeof composeHttpApp>>;
  let admin: string;
  let alice: string;
  const logger = recordingLogger();

  beforeAll(async () => {
    const redisUrl = `${inject('redisUrl')}/6`;
    sql = testSql(inject('databaseUrl'));
    redis = createRedisClient({ url: redisUrl, cluster: false });
    pipeline = await createPipeline(inject('sqsEndpoint'), sql);
    gate = await startSqsGate(inject('sqsEndpoint'));
    const env = pipeline.env({
      REDIS_URL: redisUrl,
      DATABASE_URL: inject('databaseUrl'),
      SQS_ENDPOINT: gate.url,
      RECOVERY_SETTLE_MS: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      BID_RATE_LIMIT: '0',
    });
    http = await composeHttpApp(logger, env);
    [admin, alice] = await Promise.all([tokenFor('admin-settle', { admin: true }), tokenFor('alice-settle')]);
    // A dead letter of another auction: it does not hold this test's auctions back, once it is seen.
    await pipeline.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.persist.dlqUrl,
        MessageBody: JSON.stringify({ eventId: 'a:other:2', entityType: 'auction', entityId: 'other' }),
        MessageAttributes: { entity: { DataType: 'String', StringValue: 'auction:other' } },
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await http.close();
    await gate.close();
    await sql.end();
    await redis.quit();
  });

  const call = appCaller(() => http.app);
  const lostAuction = async () => {
    const id = await createLot(call, admin);
    expect(
      (await call(`/auctions/${id}/bids`, { method: 'POST', token: alice, body: { amount: 1_000 } })).status,
    ).toBe(201);
    await pipeline.drainPersist();
    const keys = auctionKeys(id);
    await redis.del(keys.state, keys.bids, keys.events);
    return id;
  };

  it('AccessDenied on the DLQ peek: 503 + Retry-After for reads and bids, never a 500', async () => {
    const id = await lostAuction();
    gate.deny(pipeline.persist.dlqUrl);
    try {
      const read = await call(`/auctions/${id}`);
      expect(read.status).toBe(503);
      expect(read.json.error.code).toBe('auction_unavailable');
      expect(read.headers.get('retry-after')).toBe('5');
      const bid = await call(`/auctions/${id}/bids`, {
        method: 'POST',
        token: alice,
        body: { amount: 2_000 },
      });
      expect(bid.status).toBe(503);
      expect(gate.receives.some((receive) => receive.QueueUrl === pipeline.persist.dlqUrl)).toBe(true);
    } finally {
      gate.deny(null);
    }
    // With the grant, the same auction is rebuilt (the dead letter is another auction's).
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the probe caches its view for 1 s
    const rebuilt = await call(`/auctions/${id}`);
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.json.auction).toMatchObject({ currentPrice: 1_000, leaderId: 'alice-settle' });
  });

  it('peeks the DLQ with long polling (short polling samples only some SQS servers)', async () => {
    const id = await lostAuction();
    gate.receives.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call(`/auctions/${id}`)).status).toBe(200);
    const peeks = gate.receives.filter((receive) => receive.QueueUrl === pipeline.persist.dlqUrl);
    expect(peeks.length).toBeGreaterThan(0);
    for (const peek of peeks) expect(peek.WaitTimeSeconds).toBeGreaterThan(0);
  });
});
