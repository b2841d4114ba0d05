import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { incrementTableProblem } from '../functions/domain/increments.js';
import { createHttpFixture, type HttpFixture } from './support/http-fixture.js';
import { writesDuring } from './support/redis-writes.js';
import { tokenFor } from './support/tokens.js';

/**
 * Throws malformed ids, bodies, headers and tokens at every auction route. Whatever comes in: never a
 * 5xx, every error is the JSON error shape, and nothing changes unless the answer was a 201.
 */
describe('malformed input on the auction routes', () => {
  let fx: HttpFixture;
  let auctionId: string;
  let userToken: string;
  const snapshot = async () => {
    const { auction } = (await (await fx.request(`/auctions/${auctionId}`)).json()) as {
      auction: { seq: number; bidCount: number; currentPrice: number | null };
    };
    return auction;
  };

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    auctionId = (await fx.createAuction({ startingPrice: 1_000, minIncrement: 100 })).id;
    userToken = await tokenFor('fuzzer');
  });
  afterAll(() => fx.close());

  const jsonish = fc.oneof(
    fc.json(),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '{"amount":}',
      '{"amount":1e400}',
      '\u0000',
      '{"__proto__":{"amount":1}}',
      '{"amount":1000,"\\ud800":1}',
      '{"amount":"\\udfff"}',
      '{"title":"\\u0000","startingPrice":1,"minIncrement":1,"endsAt":"2099-01-01T00:00:00Z"}',
    ),
    fc
      .record({
        amount: fc.oneof(
          fc.double(),
          fc.string(),
          fc.constant(null),
          fc.bigInt().map(String),
          fc.constant(-1),
          fc.constant(0),
          fc.constant(2 ** 60),
        ),
      })
      .map((v) => JSON.stringify(v)),
    fc
      .record({ amount: fc.integer({ min: 1, max: 10_000 }), extra: fc.anything() })
      .map((v) => JSON.stringify(v)),
    fc.record({ amount: fc.integer({ min: 1, max: 100_000 }) }).map((v) => JSON.stringify(v)),
    // Proxy bidding (API.md v1.1): maxima of every shape, below, at and above the amount.
    fc
      .record({
        amount: fc.integer({ min: 1, max: 100_000 }),
        maxAmount: fc.oneof(
          fc.integer({ min: -10, max: 200_000 }),
          fc.double(),
          fc.string(),
          fc.constant(null),
          fc.bigInt().map(String),
          fc.constant(2 ** 60),
        ),
      })
      .map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          id: fc.string({ maxLength: 80 }),
          title: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
          startingPrice: fc.oneof(fc.integer(), fc.double(), fc.string()),
          minIncrement: fc.oneof(fc.integer(), fc.double()),
          endsAt: fc.oneof(
            fc.string(),
            fc
              .date({ noInvalidDate: false })
              .map((d) => (Number.isNaN(d.getTime()) ? 'NaN' : d.toISOString())),
          ),
          antiSnipe: fc.anything(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  );
  const badId = fc.oneof(
    fc.string({ maxLength: 100 }),
    fc.constantFrom('', ' ', '../etc', '%00', 'a'.repeat(65), '{a:1}', 'ü', '*', '?'),
  );
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 100 }),
    fc.constantFrom('Bearer ', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'bearer x'),
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-8',
    '',
  );
  const idempotencyKey = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('k:1', 'k{1}', '%3A', 'k\u0000', '\ud800'),
  );

  it('never answers 5xx and never changes state without a 201', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('create', 'get', 'bid', 'bids', 'events'),
        badId,
        jsonish,
        authorization,
        fc.boolean(),
        contentType,
        idempotencyKey,
        fc.string({ maxLength: 30 }),
        async (route, id, body, auth, useRealToken, type, key, query) => {
          const before = await snapshot();
          const target = route === 'bid' && Math.random() < 0.5 ? auctionId : id;
          const encodedId = encodeURIComponent(target);
          const headers: Record<string, string> = {};
          const token = useRealToken ? `Bearer ${route === 'create' ? fx.adminToken : userToken}` : auth;
          if (token !== undefined) headers.authorization = token;
          if (type !== undefined) headers['content-type'] = type;
          if (key !== undefined) headers['idempotency-key'] = key;
          const request = {
            create: { method: 'POST', path: '/auctions', body },
            get: { method: 'GET', path: `/auctions/${encodedId}` },
            bid: { method: 'POST', path: `/auctions/${encodedId}/bids`, body },
            bids: { method: 'GET', path: `/auctions/${encodedId}/bids?limit=${encodeURIComponent(query)}` },
            events: {
              method: 'GET',
              path: `/auctions/${encodedId}/events?since=${encodeURIComponent(query)}`,
            },
          }[route] as { method: string; path: string; body?: string };
          let response: Response;
          try {
            response = await fx.app.request(request.path, {
              method: request.method,
              headers,
              ...(request.body !== undefined ? { body: request.body } : {}),
            });
          } catch (error) {
            // Only the test client itself may refuse (e.g. an invalid header value); the app must not throw.
            if (error instanceof TypeError) return;
            throw error;
          }
          seen.set(`${route} ${response.status}`, (seen.get(`${route} ${response.status}`) ?? 0) + 1);
          expect(response.status, `${request.method} ${request.path}`).toBeLessThan(500);
          const text = await response.text();
          const json = JSON.parse(text) as { error?: { code: string; message: string } };
          if (response.status >= 400) {
            expect(json.error?.code).toMatch(/^[a-z_]+$/);
            expect(typeof json.error?.message).toBe('string');
          }
          const after = await snapshot();
          if (!(route === 'bid' && response.status === 201)) expect(after).toEqual(before);
        },
      ),
      { numRuns: 600 },
    );
    expect(fx.redis.status).toBe('ready');
    // The generators must reach deep: auth, validation, media type, not-found and rule refusals.
    expect([...seen.keys()].filter((k) => k.startsWith('bid ')).length).toBeGreaterThanOrEqual(4);
  });
});

/**
 * Free text (auction titles, product names): control characters (Unicode Cc: C0, DEL, C1) and lone
 * surrogates are refused with 400 and write nothing to Redis; any other text within the length
 * limits is accepted (issue 19, items 1 and 2).
 */
describe('text fields of the create routes', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(() => fx.close());

  const character = fc.oneof(
    fc.constantFrom(
      '\u0000',
      '\u0007',
      '\n',
      '\t',
      '\r',
      '\u001f',
      '\u007f',
      '\u0085',
      '\u009f',
      '\ud800',
      '\udfff',
    ),
    fc.constantFrom(' ', 'a', 'Z', '9', '-', ':', '{', 'é', '😀', '\u2028', '\u00a0', '\ufeff'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  );
  const text = fc.string({ unit: character, maxLength: 30 });
  const expected = (value: string) => {
    const trimmed = value.trim();
    if (trimmed.length === 0 || trimmed.length > 200) return 400;
    return /\p{Cc}|\p{Cs}/u.test(trimmed) ? 400 : 201;
  };

  it.each([
    ['/auctions', 'title', { startingPrice: 100, minIncrement: 10, endsAt: '2099-01-01T00:00:00.000Z' }],
    ['/products', 'name', { price: 100, stock: 3 }],
  ] as const)('POST %s: %s', async (path, field, rest) => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        const body = JSON.stringify({ ...rest, ...(path === '/auctions' ? { endsAt } : {}), [field]: value });
        const { result: response, writes } = await writesDuring(fx.redis, async () =>
          fx.request(path, { method: 'POST', token: fx.adminToken, body }),
        );
        expect(response.status, JSON.stringify(value)).toBe(expected(value));
        if (response.status !== 201) {
          const json = (await response.json()) as { error: { code: string; message: string } };
          expect(json.error.code).toBe('invalid_request');
          expect(json.error.message).toContain(field);
          expect(writes).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * The listings (API.md v1.1): malformed `status`, `active`, `limit` and `cursor` values (and repeats,
 * blanks, forged and foreign cursors, bad tokens) are a 400 invalid_request naming the parameter,
 * never a 5xx, with the real PostgreSQL read model behind the routes.
 */
describe('malformed input on the listing routes', () => {
  let fx: HttpFixture;
  let userToken: string;
  let realCursor: string;

  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      databaseUrl: inject('databaseUrl'),
    });
    userToken = await tokenFor('fuzzer');
    realCursor = Buffer.from(JSON.stringify(['auctions:open', Date.now(), 'x'])).toString('base64url');
  });
  afterAll(() => fx.close());

  const cursorOf = (listing: unknown, at: unknown, id: unknown) =>
    Buffer.from(JSON.stringify([listing, at, id])).toString('base64url');
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', ' ', 'open', 'OPEN', 'true', 'True', '1', '0', '-1', '101', '1.5', '1e2', 'NaN'),
    fc.integer({ min: -1_000, max: 1_000 }).map(String),
  );
  const cursor = fc.oneof(
    value,
    fc.constant('REAL'),
    fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s).toString('base64url')),
    fc
      .tuple(
        fc.constantFrom('auctions:open', 'auctions:closed', 'products:true', 'me:orders', 'me:bids', 'x'),
        fc.oneof(fc.double(), fc.maxSafeInteger(), fc.constant(-8.64e15), fc.constant(-1), fc.string()),
        fc.oneof(fc.string({ maxLength: 70 }), fc.constant('a'.repeat(65)), fc.integer()),
      )
      .map(([listing, at, id]) => cursorOf(listing, at, id)),
  );
  const param = (name: string, arbitrary: fc.Arbitrary<string>) =>
    fc.oneof(
      fc.constant(''),
      arbitrary.map((v) => `${name}=${encodeURIComponent(v)}`),
      fc
        .tuple(arbitrary, arbitrary)
        .map(([a, b]) => `${name}=${encodeURIComponent(a)}&${name}=${encodeURIComponent(b)}`),
      fc.constant(`${name}=`),
      fc.constant(name),
    );

  it('answers 400 invalid_request or 200, never 5xx', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/auctions', '/products', '/me/orders', '/me/bids'),
        param('status', value),
        param('active', value),
        param('limit', value),
        param('cursor', cursor),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant('real') },
          fc.constant(undefined),
          fc.string({ maxLength: 60 }),
        ),
        async (path, status, active, limit, rawCursor, auth) => {
          const query = [path === '/auctions' ? status : '', path === '/products' ? active : '', limit]
            .concat(rawCursor.replace('REAL', realCursor))
            .filter((part) => part !== '')
            .join('&');
          const headers: Record<string, string> = {};
          if (auth === 'real') headers.authorization = `Bearer ${userToken}`;
          else if (auth !== undefined) headers.authorization = auth;
          let response: Response;
          try {
            response = await fx.app.request(`${path}${query ? `?${query}` : ''}`, { headers });
          } catch (error) {
            if (error instanceof TypeError) return;
            throw error;
          }
          seen.set(`${path} ${response.status}`, (seen.get(`${path} ${response.status}`) ?? 0) + 1);
          expect(response.status, `${path}?${query}`).toBeLessThan(500);
          const json = (await response.json()) as { error?: { code: string; message: string } };
          if (response.status === 400) {
            expect(json.error?.code).toBe('invalid_request');
            expect(json.error?.message).toMatch(/^(status|active|limit|cursor)/);
          } else if (response.status !== 401) {
            expect(response.status).toBe(200);
          }
        },
      ),
      { numRuns: 800 },
    );
    // Validation is reached on every route (the next test makes each one answer 200 too).
    for (const path of ['/auctions', '/products', '/me/orders', '/me/bids']) {
      expect(seen.get(`${path} 400`) ?? 0, path).toBeGreaterThan(0);
    }
  });

  it('refuses each bad parameter value by name: forged, foreign and out-of-range cursors included', async () => {
    const listings = {
      '/auctions': 'auctions:open',
      '/auctions?status=closed': 'auctions:closed',
      '/products': 'products:true',
      '/me/orders': 'me:orders',
      '/me/bids': 'me:bids',
    };
    const headers = { authorization: `Bearer ${userToken}` };
    for (const [path, listing] of Object.entries(listings)) {
      const join = path.includes('?') ? '&' : '?';
      const bad = [
        ['limit', '0'],
        ['limit', '101'],
        ['limit', '2.5'],
        ['limit', 'ten'],
        ['limit', ''],
        ['cursor', ''],
        ['cursor', 'not a cursor'],
        ['cursor', 'x'.repeat(300)],
        ['cursor', cursorOf(listing === 'me:bids' ? 'me:orders' : 'me:bids', 0, 'a')],
        ['cursor', cursorOf(listing, -8.64e15, 'a')],
        ['cursor', cursorOf(listing, Number.MAX_SAFE_INTEGER, 'a')],
        ['cursor', cursorOf(listing, 1.5, 'a')],
        ['cursor', cursorOf(listing, 0, 'a'.repeat(65))],
        ['cursor', cursorOf(listing, 0, "a' OR 1=1 --")],
        ['cursor', Buffer.from('[1,2').toString('base64url')],
      ];
      if (path === '/auctions') bad.push(['status', 'live'], ['status', ''], ['status', 'OPEN']);
      if (path === '/products') bad.push(['active', 'yes'], ['active', '1'], ['active', '']);
      for (const [name, raw] of bad) {
        const url = `${path}${join}${name}=${encodeURIComponent(raw as string)}`;
        const response = await fx.app.request(url, { headers });
        const json = (await response.json()) as { error?: { code: string; message: string } };
        expect(response.status, url).toBe(400);
        expect(json.error?.code, url).toBe('invalid_request');
        expect(json.error?.message, url).toMatch(new RegExp(`^${name}`));
      }
      const repeated = await fx.app.request(`${path}${join}limit=1&limit=2`, { headers });
      expect(repeated.status).toBe(400);
      expect((await fx.app.request(`${path}${join}limit=100`, { headers })).status).toBe(200);
    }
  });
});

describe('malformed input on GET /me/notifications (API.md v1.2)', () => {
  let fx: HttpFixture;
  let userToken: string;

  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      databaseUrl: inject('databaseUrl'),
    });
    userToken = await tokenFor('fuzzer-notifications');
  });
  afterAll(() => fx.close());

  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', ' ', '0', '-1', '1', '100', '101', '1.5', '1e2', 'NaN', '9007199254740992', '0x10'),
    fc.integer({ min: -1_000, max: 1_000 }).map(String),
  );
  const param = (name: string) =>
    fc.oneof(
      fc.constant(''),
      value.map((v) => `${name}=${encodeURIComponent(v)}`),
      fc
        .tuple(value, value)
        .map(([a, b]) => `${name}=${encodeURIComponent(a)}&${name}=${encodeURIComponent(b)}`),
      fc.constant(`${name}=`),
      fc.constant(name),
    );

  it('answers 400 invalid_request naming since or limit, 401, or 200, never 5xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        param('since'),
        param('limit'),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant('real') },
          fc.constant(undefined),
          fc.string({ maxLength: 60 }),
        ),
        async (since, limit, auth) => {
          const query = [since, limit].filter((part) => part !== '').join('&');
          const headers: Record<string, string> = {};
          if (auth === 'real') headers.authorization = `Bearer ${userToken}`;
          else if (auth !== undefined) headers.authorization = auth;
          let response: Response;
          try {
            response = await fx.app.request(`/me/notifications${query ? `?${query}` : ''}`, { headers });
          } catch (error) {
            if (error instanceof TypeError) return;
            throw error;
          }
          seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
          expect(response.status, query).toBeLessThan(500);
          const json = (await response.json()) as {
            error?: { code: string; message: string };
            notifications?: unknown[];
          };
          if (response.status === 400) {
            expect(json.error?.code).toBe('invalid_request');
            expect(json.error?.message).toMatch(/^(since|limit)/);
          } else if (response.status === 200) {
            expect(json).toEqual({ notifications: [], next: null });
          } else {
            expect(response.status).toBe(401);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
    for (const [name, raw] of [
      ['since', '-1'],
      ['since', '1.5'],
      ['since', 'x'],
      ['since', '9007199254740992'],
      ['limit', '0'],
      ['limit', '101'],
      ['limit', ''],
    ]) {
      const response = await fx.app.request(
        `/me/notifications?${name}=${encodeURIComponent(raw as string)}`,
        {
          headers: { authorization: `Bearer ${userToken}` },
        },
      );
      expect(response.status, `${name}=${raw}`).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        new RegExp(`^${name}`),
      );
    }
    expect((await fx.app.request('/me/notifications')).status).toBe(401);
  });
});

describe('malformed Authorization headers', () => {
  let fx: HttpFixture;
  let auctionId: string;
  let good: string;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    auctionId = (await fx.createAuction()).id;
    good = await tokenFor('fuzz-auth');
  });
  afterAll(() => fx.close());

  const b64 = (value: string) => Buffer.from(value).toString('base64url');
  const header = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Basic abc',
      'bearer  ',
      'Bearer a.b',
      'Bearer ...',
      'Bearer a.b.c.d',
    ),
    // A good token with one part replaced, or bytes flipped.
    fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.oneof(fc.string({ maxLength: 60 }), fc.json().map(b64)))
      .map(([index, part]) => {
        const parts = good.split('.');
        parts[index] = part;
        return `Bearer ${parts.join('.')}`;
      }),
    fc
      .record(
        {
          alg: fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'HS512', ''),
          kid: fc.string({ maxLength: 20 }),
          crit: fc.array(fc.string(), { maxLength: 2 }),
        },
        { requiredKeys: ['alg'] },
      )
      .map((fields) => {
        const [, payload, signature] = good.split('.');
        return `Bearer ${b64(JSON.stringify(fields))}.${payload}.${signature}`;
      }),
  );

  it('answers 401 JSON for any header but a valid token, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        let response: Response;
        try {
          response = await fx.request(`/auctions/${auctionId}/bids`, {
            method: 'POST',
            body: { amount: 1_000_000 },
            headers: { authorization },
          });
        } catch {
          return; // not a header value fetch would send: it never reaches the app
        }
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The auction house routes and fields (API.md v1.2): malformed ids, bodies, headers and tokens at
 * buy-now, end and cancel, and malformed increment tables and Buy It Now prices at create. Never a
 * 5xx, every error the JSON error shape, the target auction unchanged unless the answer was a 2xx,
 * and an auction is created only with a table the domain rule accepts.
 */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Json = Record<string, any>;

describe('malformed input on the auction house routes', () => {
  let fx: HttpFixture;
  let auctionId: string;
  let userToken: string;
  let otherAdminToken: string;
  const fresh = async () =>
    (
      await fx.createAuction({
        startingPrice: 1_000,
        minIncrement: 100,
        reservePrice: 2_000,
        buyNowPrice: 5_000,
      })
    ).id;
  const snapshot = async () =>
    ((await (await fx.request(`/auctions/${auctionId}`)).json()) as { auction: Record<string, unknown> })
      .auction;

  beforeAll(async () => {
    fx = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
    auctionId = await fresh();
    userToken = await tokenFor('fuzzer');
    otherAdminToken = await tokenFor('admin-2', { admin: true });
  });
  afterAll(() => fx.close());

  const number = fc.oneof(
    fc.integer({ min: -10, max: 10_000 }),
    fc.double(),
    fc.string({ maxLength: 5 }),
    fc.constant(null),
    fc.constant(2 ** 53),
    fc.constant(Number.MAX_SAFE_INTEGER),
  );
  const row = fc.oneof(
    fc.record({ from: number, increment: number }, { requiredKeys: [] }),
    fc.record({ from: fc.nat(20_000), increment: fc.integer({ min: 1, max: 500 }) }),
    fc.anything(),
  );
  const table = fc.oneof(
    fc.array(row, { maxLength: 40 }),
    // Well-formed rows whose order may or may not hold.
    fc
      .array(fc.record({ from: fc.nat(5_000), increment: fc.integer({ min: 1, max: 100 }) }), {
        minLength: 1,
        maxLength: 6,
      })
      .map((rows) => (Math.random() < 0.5 ? [{ from: 0, increment: 5 }, ...rows] : rows)),
    fc.anything(),
  );
  const createBody = fc
    .record(
      {
        title: fc.constant('Fuzzed lot'),
        startingPrice: fc.oneof(fc.integer({ min: 1, max: 10_000 }), number),
        minIncrement: number,
        incrementTable: table,
        reservePrice: number,
        buyNowPrice: number,
        endsAt: fc.constant(new Date(Date.now() + 3_600_000).toISOString()),
      },
      { requiredKeys: ['title', 'endsAt'] },
    )
    .map((v) => JSON.stringify(v));
  const houseBody = fc.oneof(
    fc.constant(undefined),
    fc.json(),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc
      .record({ reason: fc.oneof(fc.string({ maxLength: 600 }), number, fc.anything()) })
      .map((v) => JSON.stringify(v)),
    fc.constantFrom('{"reason":"\\u0000"}', '{"reason":"\\ud800"}', '{"reason":"ok","x":1}', '{'),
  );
  const badId = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.constantFrom('', '../x', 'a'.repeat(65), '%00', 'nope'),
  );
  const who = fc.constantFrom('none', 'user', 'seller', 'other-admin', 'garbage');

  it('never answers 5xx, changes the auction only with a 2xx, creates only valid tables', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('buy-now', 'end', 'cancel', 'create'),
        fc.boolean(),
        badId,
        houseBody,
        createBody,
        who,
        fc.option(fc.string({ maxLength: 130 }), { nil: undefined }),
        async (route, onTarget, id, body, created, as, key) => {
          const before = await snapshot();
          const path =
            route === 'create'
              ? '/auctions'
              : `/auctions/${encodeURIComponent(onTarget ? auctionId : id)}/${route}`;
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          const token = {
            none: undefined,
            user: userToken,
            seller: fx.adminToken,
            'other-admin': otherAdminToken,
            garbage: 'x.y.z',
          }[as];
          if (token !== undefined) headers.authorization = `Bearer ${token}`;
          if (key !== undefined) headers['idempotency-key'] = key;
          const sent = route === 'create' ? created : body;
          let response: Response;
          try {
            response = await fx.app.request(path, {
              method: 'POST',
              headers,
              ...(sent !== undefined ? { body: sent } : {}),
            });
          } catch (error) {
            if (error instanceof TypeError) return;
            throw error;
          }
          seen.set(`${route} ${response.status}`, (seen.get(`${route} ${response.status}`) ?? 0) + 1);
          expect(response.status, `POST ${path} ${sent}`).toBeLessThan(500);
          const json = (await response.json()) as {
            error?: { code: string; message: string };
            auction?: Json;
          };
          if (response.status >= 400) {
            expect(json.error?.code).toMatch(/^[a-z_]+$/);
            expect(typeof json.error?.message).toBe('string');
          }
          if (route === 'create' && response.status === 201) {
            const input = JSON.parse(created) as { incrementTable?: unknown };
            if (input.incrementTable !== undefined) {
              expect(
                incrementTableProblem(input.incrementTable as { from: unknown; increment: unknown }[]),
              ).toBeNull();
              expect(json.auction?.incrementTable).toEqual(input.incrementTable);
            }
          }
          const after = await snapshot();
          if (route !== 'create' && onTarget && response.status < 300) {
            expect(after.status).toBe('closed');
            auctionId = await fresh();
          } else expect(after).toEqual(before);
        },
      ),
      { numRuns: 500 },
    );
    expect(fx.redis.status).toBe('ready');
    // Deep enough: auth refusals, validation and rule answers on each route.
    for (const route of ['buy-now', 'end', 'cancel', 'create'])
      expect([...seen.keys()].filter((k) => k.startsWith(`${route} `)).length, route).toBeGreaterThanOrEqual(
        3,
      );
  });
});

/**
 * `GET /realtime` (API.md v1.2): public, the same answer whatever comes with the request; other
 * methods are not routes. Never a 5xx; without a configured WebSocket API, 404 in the error shape.
 */
describe('GET /realtime', () => {
  let fx: HttpFixture;
  let bare: HttpFixture;
  const configured = {
    websocketUrl: 'ws://127.0.0.1:3001',
    broadcast: {
      realtimeUrl: 'ws://127.0.0.1:3003/event/realtime',
      authorization: { host: '127.0.0.1:3003', 'x-api-key': 'da2-fuzz' },
      channels: { auction: '/live/auction/{id}', product: '/live/product/{id}' },
    },
  };

  beforeAll(async () => {
    fx = await createHttpFixture({
      redisUrl: inject('redisUrl'),
      sqsEndpoint: inject('sqsEndpoint'),
      env: {
        PUBLIC_WS_URL: configured.websocketUrl,
        EVENTS_REALTIME_URL: configured.broadcast.realtimeUrl,
        EVENTS_HOST: configured.broadcast.authorization.host,
        EVENTS_API_KEY: configured.broadcast.authorization['x-api-key'],
      },
    });
    bare = await createHttpFixture({ redisUrl: inject('redisUrl'), sqsEndpoint: inject('sqsEndpoint') });
  });
  afterAll(async () => {
    await fx?.close();
    await bare?.close();
  });

  it('answers the same endpoints to any query, header and token; other methods 404/405; never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.string({ maxLength: 60 }),
        fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 })),
        fc.oneof(fc.constant(undefined), fc.json()),
        async (method, query, authorization, body) => {
          const response = await fx.app.request(`/realtime?${encodeURIComponent(query)}`, {
            method,
            headers: {
              ...(authorization !== undefined ? { authorization } : {}),
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined && method !== 'GET' ? { body } : {}),
          });
          expect(response.status).toBeLessThan(500);
          const json = (await response.json()) as Record<string, unknown>;
          if (method === 'GET') {
            expect(response.status).toBe(200);
            expect(json).toEqual(configured);
          } else {
            expect([404, 405]).toContain(response.status);
            expect(json).toHaveProperty('error.code');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('without a WebSocket API configured: 404 realtime_not_configured', async () => {
    const response = await bare.request('/realtime');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'realtime_not_configured',
    );
  });
});
