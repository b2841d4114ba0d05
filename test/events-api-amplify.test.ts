/**
 * Fidelity of the local AppSync Events stand-in, checked with a client nobody here wrote: the
 * Events client of `aws-amplify` (`events.connect` in `aws-amplify/data`) connects with an API key,
 * subscribes to a channel of the `live` namespace and receives an event published over HTTP with
 * SigV4 (service `appsync`, signed by aws4), as the fan-out publishes on AWS.
 *
 * Amplify turns an endpoint that is not an AppSync domain into `<endpoint>/realtime` and rewrites
 * `http(s)://` to `wss://`; the local endpoint is therefore given as `ws://host:port/event`, which
 * Amplify keeps (`ws://host:port/event/realtime`). Node 24's global WebSocket is the transport.
 */
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { signedPublish, within } from './support/events-api.js';

const API_KEY = 'da2-local-events-key';
let api: EventsApi;

beforeAll(async () => {
  api = await startEventsApi({ apiKey: API_KEY });
  Amplify.configure({
    API: {
      Events: {
        endpoint: api.httpUrl.replace('http://', 'ws://'),
        region: 'us-east-1',
        defaultAuthMode: 'apiKey',
        apiKey: API_KEY,
      },
    },
  });
});

afterAll(async () => {
  await api?.stop();
  await within(events.closeAll(), 'closing the Amplify client', 5_000).catch(() => undefined);
});

describe('the aws-amplify Events client against the local AppSync Events API', () => {
  it('connects, subscribes to /live/auction/{id} and receives an event published over HTTP with SigV4', async () => {
    const channel = await events.connect('/live/auction/amplify-1');
    const received: unknown[] = [];
    let arrive: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const subscription = channel.subscribe({
      next: (message: unknown) => {
        received.push(message);
        arrive();
      },
      error: (error: unknown) => received.push({ error }),
    });
    // Publish only once the service has acknowledged the subscription (subscribe_success).
    await (subscription as unknown as { ready: Promise<unknown> }).ready;
    const update = { type: 'auction.updated', topic: 'auction:amplify-1', seq: 7 };
    const response = await signedPublish(api, {
      channel: '/live/auction/amplify-1',
      events: [JSON.stringify(update)],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { successful: { index: number }[]; failed: unknown[] };
    expect(body.failed).toEqual([]);
    expect(body.successful.map((entry) => entry.index)).toEqual([0]);
    await within(arrived, 'the published event');
    expect(received).toHaveLength(1);
    expect((received[0] as { event: unknown }).event).toEqual({
      type: 'auction.updated',
      topic: 'auction:amplify-1',
      seq: 7,
    });
    expect(api.stats().deliveries).toBe(1);
    channel.close();
  });

  it('a wildcard subscription /live/* receives what is published below it', async () => {
    const channel = await events.connect('/live/*');
    let next: (message: unknown) => void = () => undefined;
    const arrived = new Promise<unknown>((resolve) => {
      next = resolve;
    });
    const subscription = channel.subscribe({ next, error: next });
    await (subscription as unknown as { ready: Promise<unknown> }).ready;
    expect((await signedPublish(api, { channel: '/live/product/p-9', events: ['{"seq":3}'] })).status).toBe(
      200,
    );
    expect(((await within(arrived, 'the event below /live')) as { event: unknown }).event).toEqual({
      seq: 3,
    });
    channel.close();
  });

  it('a subscription with a wrong API key is refused: ready rejects with UnauthorizedException', async () => {
    const channel = await events.connect('/live/auction/amplify-2');
    const subscription = channel.subscribe(
      { next: () => undefined, error: () => undefined },
      { apiKey: 'da2-wrong' },
    );
    await expect((subscription as unknown as { ready: Promise<unknown> }).ready).rejects.toThrow(
      /UnauthorizedException/,
    );
    channel.close();
  });
});
