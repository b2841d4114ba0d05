/**
 * The local AppSync Events stand-in's protocol, spoken by a raw `ws` client: the handshake and
 * its subprotocols, connection_init / connection_ack / connection_error, ka, subscribe and its
 * errors (auth, channel rules, namespace, duplicates, the per-connection limit), data frames,
 * unsubscribe, publish over HTTP (SigV4 only) and over the socket, and the limits of a publish.
 */
import aws4 from 'aws4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type EventsApi, startEventsApi } from '../local-aws/index.js';
import { LOCAL_IAM, signedPublish, within } from './support/events-api.js';

const API_KEY = 'da2-protocol-key';
let api: EventsApi;

const headerProtocol = (authorization: Record<string, string>) =>
  `header-${Buffer.from(JSON.stringify(authorization)).toString('base64url')}`;

type Message = Record<string, unknown> & { type: string };

/** A raw client: every message it receives, in order, and a way to wait for the next matching one. */
class Client {
  readonly messages: Message[] = [];
  private waiters: { match: (message: Message) => boolean; resolve: (message: Message) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      this.messages.push(message);
      const waiter = this.waiters.find((candidate) => candidate.match(message));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** The first message (already received or to come) that `match` accepts and no earlier call took. */
  next(match: (message: Message) => boolean, what = 'a message'): Promise<Message> {
    const taken = (this as unknown as { taken?: Set<Message> }).taken ?? new Set<Message>();
    (this as unknown as { taken: Set<Message> }).taken = taken;
    const already = this.messages.find((message) => !taken.has(message) && match(message));
    if (already) {
      taken.add(already);
      return Promise.resolve(already);
    }
    return within(
      new Promise<Message>((resolve) =>
        this.waiters.push({
          match,
          resolve: (message) => {
            taken.add(message);
            resolve(message);
          },
        }),
      ),
      what,
    );
  }

  ofType(type: string, id?: string): Promise<Message> {
    return this.next((message) => message.type === type && (id === undefined || message.id === id), type);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(id: string, channel: string, authorization: Record<string, string> = { 'x-api-key': API_KEY }) {
    this.send({ type: 'subscribe', id, channel, authorization });
  }
}

async function open(
  target: EventsApi,
  protocols: string[] = ['aws-appsync-event-ws', headerProtocol({ host: target.host, 'x-api-key': API_KEY })],
): Promise<Client> {
  const ws = new WebSocket(target.realtimeUrl, protocols);
  const client = new Client(ws);
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    'the WebSocket handshake',
  );
  return client;
}

async function connected(target = api): Promise<Client> {
  const client = await open(target);
  client.send({ type: 'connection_init' });
  await client.ofType('connection_ack');
  return client;
}

/** The HTTP status of a refused handshake. */
function refusedHandshake(url: string, protocols: string[]): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('the handshake was accepted')));
      ws.on('error', () => undefined);
    }),
    'the refused handshake',
  );
}

/** The authorization of a publish over the socket: a SigV4 signature of the HTTP publish, as Amplify makes it. */
function socketPublishAuthorization(channel: string, events: string[]) {
  return aws4.sign(
    {
      host: api.host,
      method: 'POST',
      path: '/event',
      service: 'appsync',
      region: 'us-east-1',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel, events }),
    },
    LOCAL_IAM,
  ).headers;
}

const clients: Client[] = [];
async function track(client: Promise<Client>): Promise<Client> {
  const opened = await client;
  clients.push(opened);
  return opened;
}

beforeAll(async () => {
  api = await startEventsApi({
    apiKey: API_KEY,
    keepAliveMs: 200,
    limits: { maxSubscriptionsPerConnection: 3 },
  });
});

afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await api?.stop();
});

describe('handshake and connection', () => {
  it('selects the aws-appsync-event-ws subprotocol and acknowledges connection_init with connectionTimeoutMs', async () => {
    const client = await track(open(api));
    expect(client.ws.protocol).toBe('aws-appsync-event-ws');
    client.send({ type: 'connection_init' });
    expect(await client.ofType('connection_ack')).toEqual({
      type: 'connection_ack',
      connectionTimeoutMs: 300_000,
    });
  });

  it('refuses a handshake without the aws-appsync-event-ws subprotocol (400) or off /event/realtime (404)', async () => {
    const header = headerProtocol({ 'x-api-key': API_KEY });
    expect(await refusedHandshake(api.realtimeUrl, [header])).toBe(400);
    expect(
      await refusedHandshake(api.realtimeUrl.replace('/event/realtime', '/graphql'), [
        'aws-appsync-event-ws',
        header,
      ]),
    ).toBe(404);
  });

  it('answers connection_init with connection_error UnauthorizedException and closes, for a wrong or missing API key', async () => {
    for (const protocols of [
      ['aws-appsync-event-ws', headerProtocol({ host: api.host, 'x-api-key': 'da2-wrong' })],
      ['aws-appsync-event-ws'],
      ['aws-appsync-event-ws', 'header-not-base64-json!'],
    ]) {
      const client = await track(open(api, protocols));
      client.send({ type: 'connection_init' });
      const error = await client.ofType('connection_error');
      expect(error.errors).toEqual([{ errorType: 'UnauthorizedException', message: expect.any(String) }]);
      await within(client.closed, 'the close after connection_error');
    }
    expect(api.stats().unauthorized).toBeGreaterThanOrEqual(3);
  });

  it('refuses other messages before connection_init, and anything that is not a JSON object', async () => {
    const client = await track(open(api));
    client.subscribe('early', '/live/a');
    expect((await client.ofType('error')).errors).toEqual([
      { errorType: 'BadRequestException', message: 'Send connection_init first' },
    ]);
    client.send({ type: 'connection_init' });
    await client.ofType('connection_ack');
    client.send('not json');
    expect(((await client.ofType('error')).errors as { errorType: string }[])[0]?.errorType).toBe(
      'BadRequestException',
    );
    client.send({ type: 'start', id: 'graphql-style' });
    expect(await client.ofType('error', 'graphql-style')).toMatchObject({
      errors: [{ errorType: 'UnsupportedOperation' }],
    });
  });

  it('sends ka to an acknowledged connection every keep-alive period', async () => {
    const client = await track(connected());
    await client.ofType('ka');
    await client.ofType('ka');
  });
});

describe('subscribe, data, unsubscribe', () => {
  it('delivers each published event as data {id, event: the JSON text} to every subscription, in publish order', async () => {
    const first = await track(connected());
    const second = await track(connected());
    first.subscribe('s-1', '/live/auction/a1');
    first.subscribe('s-2', 'live/auction/a1');
    second.subscribe('s-3', '/live/auction/a1');
    await Promise.all([
      first.ofType('subscribe_success', 's-1'),
      first.ofType('subscribe_success', 's-2'),
      second.ofType('subscribe_success', 's-3'),
    ]);
    const texts = Array.from({ length: 20 }, (_, seq) =>
      JSON.stringify({ topic: 'auction:a1', seq, note: 'é "q"' }),
    );
    for (let at = 0; at < texts.length; at += 5) {
      const response = await signedPublish(api, {
        channel: '/live/auction/a1',
        events: texts.slice(at, at + 5),
      });
      expect(response.status).toBe(200);
    }
    for (const [client, id] of [
      [first, 's-1'],
      [first, 's-2'],
      [second, 's-3'],
    ] as const) {
      const got: string[] = [];
      for (let n = 0; n < texts.length; n++) {
        const data = await client.ofType('data', id);
        expect(Object.keys(data).sort()).toEqual(['event', 'id', 'type']);
        got.push(data.event as string);
      }
      expect(got).toEqual(texts);
    }
  });

  it('a wildcard /live/* receives every channel below it; other channels and namespaces are not delivered', async () => {
    const client = await track(connected());
    client.subscribe('all', '/live/*');
    client.subscribe('one', '/live/product/p1');
    await client.ofType('subscribe_success', 'all');
    await client.ofType('subscribe_success', 'one');
    await signedPublish(api, { channel: '/live/auction/x/y', events: ['1'] });
    await signedPublish(api, { channel: '/live/product/p1', events: ['2'] });
    expect((await client.ofType('data', 'all')).event).toBe('1');
    expect((await client.ofType('data', 'all')).event).toBe('2');
    expect((await client.ofType('data', 'one')).event).toBe('2');
    expect(client.messages.filter((message) => message.type === 'data')).toHaveLength(3);
    client.send({ type: 'unsubscribe', id: 'all' });
    await client.ofType('unsubscribe_success', 'all');
  });

  it('refuses a subscribe without the API key (UnauthorizedException) and with a bad channel (BadRequestException)', async () => {
    const client = await track(connected());
    client.subscribe('no-key', '/live/a', { host: api.host });
    client.subscribe('wrong-key', '/live/a', { 'x-api-key': 'da2-other' });
    client.send({ type: 'subscribe', id: 'no-auth', channel: '/live/a' });
    for (const id of ['no-key', 'wrong-key', 'no-auth']) {
      expect(await client.ofType('subscribe_error', id)).toEqual({
        type: 'subscribe_error',
        id,
        errors: [{ errorType: 'UnauthorizedException', message: expect.any(String) }],
      });
    }
    const bad = {
      'six-segments': '/live/a/b/c/d/e',
      'long-segment': `/live/${'x'.repeat(51)}`,
      'bad-character': '/live/auction_1',
      'empty-segment': '/live//a',
      'dash-at-end': '/live/a-',
      'wildcard-inside': '/live/*/a',
      'unknown-namespace': '/default/a',
      'no-channel': undefined,
    };
    for (const [id, channel] of Object.entries(bad)) client.subscribe(id, channel as string);
    for (const id of Object.keys(bad)) {
      expect(await client.ofType('subscribe_error', id)).toMatchObject({
        errors: [{ errorType: 'BadRequestException' }],
      });
    }
    client.subscribe('fifty', `/live/${'x'.repeat(50)}/a/b/c`);
    await client.ofType('subscribe_success', 'fifty');
  });

  it('refuses a duplicate subscription id and a subscription past the per-connection limit', async () => {
    const client = await track(connected());
    for (const id of ['a', 'b', 'c']) client.subscribe(id, `/live/limit/${id}`);
    for (const id of ['a', 'b', 'c']) await client.ofType('subscribe_success', id);
    client.subscribe('a', '/live/limit/again');
    expect(await client.ofType('subscribe_error', 'a')).toMatchObject({
      errors: [{ errorType: 'DuplicatedOperationError' }],
    });
    client.subscribe('d', '/live/limit/d');
    expect(await client.ofType('subscribe_error', 'd')).toMatchObject({
      errors: [{ errorType: 'MaxSubscriptionsReachedError' }],
    });
    // Unsubscribing frees a place.
    client.send({ type: 'unsubscribe', id: 'c' });
    await client.ofType('unsubscribe_success', 'c');
    client.subscribe('d', '/live/limit/d');
    await client.ofType('subscribe_success', 'd');
  });

  it('unsubscribe stops the deliveries of that subscription only; an unknown id is an unsubscribe_error', async () => {
    const client = await track(connected());
    client.subscribe('stay', '/live/u');
    client.subscribe('go', '/live/u');
    await client.ofType('subscribe_success', 'stay');
    await client.ofType('subscribe_success', 'go');
    client.send({ type: 'unsubscribe', id: 'go' });
    expect(await client.ofType('unsubscribe_success', 'go')).toEqual({
      type: 'unsubscribe_success',
      id: 'go',
    });
    await signedPublish(api, { channel: '/live/u', events: ['"after"'] });
    expect((await client.ofType('data', 'stay')).event).toBe('"after"');
    expect(client.messages.filter((message) => message.type === 'data' && message.id === 'go')).toEqual([]);
    client.send({ type: 'unsubscribe', id: 'never' });
    expect(await client.ofType('unsubscribe_error', 'never')).toMatchObject({
      errors: [{ errorType: expect.any(String) }],
    });
  });

  it('a closed connection leaves the index: its subscriptions are not counted and get nothing', async () => {
    const client = await connected();
    client.subscribe('gone', '/live/closing');
    await client.ofType('subscribe_success', 'gone');
    const before = api.stats().subscriptions;
    client.ws.close();
    await within(client.closed, 'the close');
    await within(
      (async () => {
        while (api.stats().subscriptions !== before - 1)
          await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      'the subscription leaving the index',
    );
    expect((await signedPublish(api, { channel: '/live/closing', events: ['1'] })).status).toBe(200);
  });
});

describe('publishing', () => {
  it('HTTP publish is IAM only: an API key, a wrong secret or no signature is 401 UnauthorizedException', async () => {
    const body = JSON.stringify({ channel: '/live/p', events: ['1'] });
    const withKey = await fetch(api.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body,
    });
    expect(withKey.status).toBe(401);
    expect(await withKey.json()).toEqual({
      errors: [{ errorType: 'UnauthorizedException', message: expect.any(String) }],
    });
    const wrongSecret = await signedPublish(api, body, { accessKeyId: 'local', secretAccessKey: 'nope' });
    expect(wrongSecret.status).toBe(401);
    const otherKeyId = await signedPublish(api, body, { accessKeyId: 'AKIAOTHER', secretAccessKey: 'local' });
    expect(otherKeyId.status).toBe(401);
  });

  it('refuses what AWS refuses: more than 5 events, no events, a wildcard or unknown namespace, a body that is not JSON', async () => {
    const cases: [unknown, string][] = [
      [{ channel: '/live/p', events: ['1', '2', '3', '4', '5', '6'] }, 'At most 5'],
      [{ channel: '/live/p', events: [] }, 'non-empty'],
      [{ channel: '/live/*', events: ['1'] }, 'Wildcards'],
      [{ channel: '/default/p', events: ['1'] }, 'namespace'],
      [{ channel: '/live/a/b/c/d/e', events: ['1'] }, 'segments'],
      [{ events: ['1'] }, 'channel'],
      ['{not json', 'not JSON'],
      [[1, 2], 'must be'],
    ];
    for (const [body, message] of cases) {
      const response = await signedPublish(api, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { errors: { errorType: string; message: string }[] };
      expect(answer.errors[0]?.errorType).toBe('BadRequestException');
      expect(answer.errors[0]?.message).toContain(message);
    }
    expect((await fetch(api.httpUrl, { method: 'GET' })).status).toBe(405);
  });

  it('an event that is not JSON text or is over 240 KB fails alone; the others are delivered', async () => {
    const client = await track(connected());
    client.subscribe('mixed', '/live/mixed');
    await client.ofType('subscribe_success', 'mixed');
    const big = JSON.stringify('x'.repeat(240 * 1024));
    const response = await signedPublish(api, {
      channel: '/live/mixed',
      events: ['{"ok":1}', '{broken', big, 7, '"last"'],
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      successful: { identifier: string; index: number }[];
      failed: { identifier: string; index: number; code: number; message: string }[];
    };
    expect(answer.successful.map((entry) => entry.index)).toEqual([0, 4]);
    expect(answer.failed.map((entry) => [entry.index, entry.code])).toEqual([
      [1, 400],
      [2, 400],
      [3, 400],
    ]);
    for (const entry of [...answer.successful, ...answer.failed])
      expect(entry.identifier).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.ofType('data', 'mixed')).event).toBe('{"ok":1}');
    expect((await client.ofType('data', 'mixed')).event).toBe('"last"');
  });

  it('publish over the socket: refused with an API key, accepted when IAM-signed as Amplify signs it', async () => {
    const client = await track(connected());
    client.subscribe('ws-sub', '/live/ws');
    await client.ofType('subscribe_success', 'ws-sub');
    const events = ['{"via":"socket"}'];
    client.send({
      type: 'publish',
      id: 'p-key',
      channel: '/live/ws',
      events,
      authorization: { 'x-api-key': API_KEY },
    });
    expect(await client.ofType('publish_error', 'p-key')).toMatchObject({
      errors: [{ errorType: 'UnauthorizedException' }],
    });
    client.send({
      type: 'publish',
      id: 'p-iam',
      channel: '/live/ws',
      events,
      authorization: socketPublishAuthorization('/live/ws', events),
    });
    const success = await client.ofType('publish_success', 'p-iam');
    expect(success).toMatchObject({ successful: [{ index: 0 }], failed: [] });
    expect((await client.ofType('data', 'ws-sub')).event).toBe('{"via":"socket"}');
  });

  it('publishes that arrive while an earlier one to the channel waits join it: one socket write per subscription, every event still its own data message, in order', async () => {
    const watchers = await Promise.all([track(connected()), track(connected())]);
    const publisher = await track(connected());
    for (const [n, client] of watchers.entries()) {
      client.subscribe(`j${n}-a`, '/live/joined');
      client.subscribe(`j${n}-b`, '/live/joined');
    }
    await Promise.all(
      watchers.flatMap((client, n) => [
        client.ofType('subscribe_success', `j${n}-a`),
        client.ofType('subscribe_success', `j${n}-b`),
      ]),
    );
    const texts = Array.from({ length: 7 }, (_, seq) => JSON.stringify({ seq }));
    const before = api.stats();
    // Seven publishes in one TCP write: the stand-in reads them in one turn, before its delivery
    // queue runs, so the first one's job is still waiting when the other six arrive.
    const socket = (publisher.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.cork();
    for (const [n, text] of texts.entries())
      publisher.send({
        type: 'publish',
        id: `jp-${n}`,
        channel: '/live/joined',
        events: [text],
        authorization: socketPublishAuthorization('/live/joined', [text]),
      });
    socket.uncork();
    for (let n = 0; n < texts.length; n++) await publisher.ofType('publish_success', `jp-${n}`);
    for (const [n, client] of watchers.entries()) {
      for (const id of [`j${n}-a`, `j${n}-b`]) {
        const got: string[] = [];
        for (let k = 0; k < texts.length; k++) got.push((await client.ofType('data', id)).event as string);
        expect(got).toEqual(texts);
      }
    }
    const after = api.stats();
    expect(after.deliveries - before.deliveries).toBe(4 * texts.length);
    expect(after.writes - before.writes).toBe(4);
  });
});

describe('a crowd', () => {
  it('500 connections on one channel each receive every event exactly once, in order', async () => {
    const crowd = await Promise.all(Array.from({ length: 500 }, () => track(connected())));
    for (const [n, client] of crowd.entries()) client.subscribe(`w${n}`, '/live/auction/crowd');
    await Promise.all(crowd.map((client, n) => client.ofType('subscribe_success', `w${n}`)));
    const before = api.stats().deliveries;
    for (let seq = 1; seq <= 3; seq++)
      await signedPublish(api, { channel: '/live/auction/crowd', events: [`{"seq":${seq}}`] });
    for (const [n, client] of crowd.entries()) {
      for (let seq = 1; seq <= 3; seq++)
        expect((await client.ofType('data', `w${n}`)).event).toBe(`{"seq":${seq}}`);
    }
    expect(api.stats().deliveries - before).toBe(1500);
  });
});
