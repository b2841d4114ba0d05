import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient } from '../functions/adapters/redis/client.js';
import { sourceKeys } from '../functions/adapters/redis/redis-keys.js';
import { connectClient, type RealtimeStack, startRealtimeStack, waitFor } from './ws-helpers.js';

/**
 * Issue 19, item 8: a per-source-address connection cap (refused at `$connect` with 429) and a
 * per-connection inbound message rate (issue 24: the first message over it is answered
 * `rate_limited` and closes the connection, so no later message runs a function), through the local
 * gateway and real Redis.
 */
describe('WebSocket abuse limits', () => {
  let stack: RealtimeStack;
  beforeAll(async () => {
    // Every test's clients come from 127.0.0.1: start from an empty count for that address, whatever
    // an earlier file (a runtime stopped before its $disconnects ran) left in the shared Redis.
    const redis = createRedisClient({ url: inject('redisUrl'), cluster: false });
    await redis.del(sourceKeys('127.0.0.1').connections, sourceKeys('::ffff:127.0.0.1').connections);
    await redis.quit();
    stack = await startRealtimeStack({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      env: { WS_CONNECTIONS_PER_IP: '3', WS_MESSAGE_RATE_LIMIT: '5', WS_MESSAGE_RATE_WINDOW_MS: '1500' },
    });
  });
  afterAll(() => stack.stop());

  it('refuses the 4th live connection from one address with 429, and admits again once one left', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(stack.gateway.url)));
    await expect(connectClient(stack.gateway.url)).rejects.toThrow('handshake refused: 429');
    await clients[0]?.close();
    // $disconnect gives the slot back.
    let again: Awaited<ReturnType<typeof connectClient>> | undefined;
    for (let attempt = 0; attempt < 20 && !again; attempt++) {
      again = await connectClient(stack.gateway.url).catch(() => undefined);
      if (!again) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again).toBeDefined();
    await Promise.all([...clients.slice(1), again].map((client) => client?.close()));
  });

  it('closes a flooding connection at its first message over the limit: no later message runs the ws function', async () => {
    // Issue 24 item 10: a connection left open after its limit still spends an invocation and a
    // request of the account-wide budget per message, though each is dropped.
    const [flooder, calm] = await Promise.all([
      connectClient(stack.gateway.url),
      connectClient(stack.gateway.url),
    ]);
    try {
      for (let i = 0; i < 40; i++) flooder.socket.send(JSON.stringify({ action: 'ping' }));
      calm.socket.send(JSON.stringify({ action: 'ping' }));
      await waitFor(() => flooder.closed, 5_000, 'the flooder closed');
      await waitFor(() => calm.messages.length === 1, 5_000, 'the calm pong');
      // The error, then the close; pongs of the 5 admitted pings still in flight when the close
      // landed are lost with the connection.
      const received = flooder.json<{ type: string; code?: string }>();
      expect(received.filter((message) => message.type === 'error')).toEqual([
        expect.objectContaining({ code: 'rate_limited' }),
      ]);
      expect(received.filter((message) => message.type === 'pong').length).toBeLessThanOrEqual(5);
      expect(received.every((message) => message.type === 'pong' || message.type === 'error')).toBe(true);
      expect(calm.json()).toEqual([{ type: 'pong' }]);
      // Whatever arrives later has no connection to run on; a new connection is served.
      const again = await connectClient(stack.gateway.url);
      again.socket.send(JSON.stringify({ action: 'ping' }));
      await waitFor(() => again.messages.length === 1, 5_000, 'a pong on a new connection');
      expect(again.json()).toEqual([{ type: 'pong' }]);
      await again.close();
    } finally {
      await Promise.all([flooder.close(), calm.close()]);
    }
  });
});
