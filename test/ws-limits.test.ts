import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisClient } from '../functions/adapters/redis/client.js';
import { sourceKeys } from '../functions/adapters/redis/redis-keys.js';
import { connectClient, type RealtimeStack, startRealtimeStack, waitFor } from './ws-helpers.js';

/**
 * Issue 19, item 8: a per-source-address connection cap (refused at `$connect` with 429) and a
 * per-connection inbound message rate (one `rate_limited` error per window, then silence: a flood
 * costs no more management API calls than the limit), through the local gateway and real Redis.
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

  it('answers a message flood with one rate_limited error per window and nothing else; others unaffected', async () => {
    const [flooder, calm] = await Promise.all([
      connectClient(stack.gateway.url),
      connectClient(stack.gateway.url),
    ]);
    for (let i = 0; i < 40; i++) flooder.socket.send(JSON.stringify({ action: 'ping' }));
    await waitFor(() => flooder.messages.length >= 6, 5_000, 'pongs and the error');
    calm.socket.send(JSON.stringify({ action: 'ping' }));
    await waitFor(() => calm.messages.length === 1, 5_000, 'the calm pong');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received = flooder.json<{ type: string; code?: string }>();
    expect(received.filter((message) => message.type === 'pong')).toHaveLength(5);
    expect(received.filter((message) => message.type === 'error')).toEqual([
      expect.objectContaining({ type: 'error', code: 'rate_limited' }),
    ]);
    expect(received).toHaveLength(6);
    expect(calm.json()).toEqual([{ type: 'pong' }]);
    // The next window: served again.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    flooder.socket.send(JSON.stringify({ action: 'ping' }));
    await waitFor(() => flooder.messages.length === 7, 5_000, 'a pong in the next window');
    expect(flooder.json().at(-1)).toEqual({ type: 'pong' });
    await Promise.all([flooder.close(), calm.close()]);
  });
});
