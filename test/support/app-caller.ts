import type { Hono } from 'hono';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
export type Json = Record<string, any>;

export interface CallInit {
  method?: string;
  /** A bearer token. */
  token?: string | undefined;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * `call(path, init)` against an HTTP app in-process (`app.request`): JSON in, and the status,
 * headers, raw text and parsed JSON out, for the tests that drive the composed app directly.
 * `app` is asked per call: the app is usually composed in a beforeAll.
 */
export function appCaller(app: () => Pick<Hono, 'request'>) {
  return async (path: string, init: CallInit = {}) => {
    const response = await app().request(path, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as Json };
  };
}

/** An open auction "Lot" (1,000, increment 100) created as `adminToken` through `call`; its id. */
export async function createLot(
  call: ReturnType<typeof appCaller>,
  adminToken: string,
  endsInMs = 3_600_000,
): Promise<string> {
  const created = await call('/auctions', {
    method: 'POST',
    token: adminToken,
    body: {
      title: 'Lot',
      startingPrice: 1_000,
      minIncrement: 100,
      endsAt: new Date(Date.now() + endsInMs).toISOString(),
    },
  });
  if (created.status !== 201) throw new Error(`create auction: ${created.status} ${created.text}`);
  return created.json.auction.id as string;
}
