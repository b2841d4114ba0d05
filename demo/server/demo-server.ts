/**
 * The demo web app's server (local runtime only, see API.md "Demo app"): the pages' HTML shell and
 * their esbuild bundle, plus `POST /token`, which signs a user token for a demo user name with the
 * local JWT_SECRET. The pages talk to the HTTP and WebSocket APIs directly, like any client.
 * Nothing here is part of the CDK app or of a Lambda bundle.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DemoConfig } from '../src/demo-config.js';
import { type Asset, buildPages } from './build-pages.js';
import { demoUserName, signDemoToken } from './demo-token.js';

export interface DemoServerOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** The URLs the browser uses for the APIs (printed by the local runtime). */
  httpUrl: string;
  wsUrl: string;
  /** The Events API of the broadcast channels (its origin), whose real-time socket the pages may open. */
  eventsUrl?: string | undefined;
  jwtSecret: string;
  /**
   * Signs the demo's users in at the local OIDC issuer (npm run local's default), so the pages use
   * an ES256 token verified against a JWKS, as production's are; without it, an HS256 token signed
   * with jwtSecret.
   */
  issueUserToken?: ((user: string, options?: { admin?: boolean }) => Promise<string>) | undefined;
  /**
   * Host names besides loopback's (and the bound address) that `POST /token` answers, e.g. the
   * machine's LAN name when the runtime was started with --allow-remote.
   */
  allowedHosts?: readonly string[];
}

export interface DemoServer {
  url: string;
  stop: () => Promise<void>;
}

const PAGE_PATH = /^\/(?:|auctions\/[^/]+|auctions\/[^/]+\/seller|products\/[^/]+)$/;
const MAX_TOKEN_BODY_BYTES = 1_024;

function shell(config: DemoConfig): string {
  // `<` escaped: a URL can never close the data block.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>live-sale demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script id="demo-config" type="application/json">${json}</script>
</body>
</html>
`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, extra = {}) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json', JSON.stringify(value), { 'cache-control': 'no-store' });

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_TOKEN_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_TOKEN_BODY_BYTES ? undefined : Buffer.concat(chunks).toString()));
    req.on('error', () => resolve(undefined));
  });
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * `POST /token` mints a token for any name, so only this server's own pages may ask: the Host must
 * name this server (a DNS-rebinding page's requests carry its own name) and a browser's Origin
 * must be this server's origin (a cross-site form post carries another, or `null`).
 */
function isOwnRequest(req: IncomingMessage, hostnames: ReadonlySet<string>, port: number): boolean {
  const addressed = (value: string | undefined): boolean => {
    if (!value) return false;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    return (
      url.protocol === 'http:' &&
      url.pathname === '/' &&
      hostnames.has(url.hostname) &&
      (url.port || '80') === String(port)
    );
  };
  const host = req.headers.host;
  if (host === undefined || !addressed(`http://${host}`)) return false;
  const origin = req.headers.origin;
  return origin === undefined || addressed(origin);
}

/** `expiresAt` of a JWT from its `exp` claim. */
function expiryOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp: number;
  };
  return new Date(payload.exp * 1000).toISOString();
}

async function issueToken(
  req: IncomingMessage,
  res: ServerResponse,
  options: Pick<DemoServerOptions, 'jwtSecret' | 'issueUserToken'>,
): Promise<void> {
  const raw = await readBody(req);
  let user: string | undefined;
  // A seller's token (the admin role) for the seller view of an auction (API.md v1.2): the API
  // still lets only the admin who created an auction end or cancel it.
  let seller = false;
  try {
    const body = JSON.parse(raw ?? '') as { user?: unknown; seller?: unknown };
    user = demoUserName(body.user);
    seller = body.seller === true;
  } catch {
    user = undefined;
  }
  if (!user) {
    sendJson(res, 400, {
      error: { code: 'invalid_request', message: 'user: 1-32 letters, digits, _ or -' },
    });
    return;
  }
  if (options.issueUserToken) {
    const token = await options.issueUserToken(user, { admin: seller });
    sendJson(res, 200, { user, token, expiresAt: expiryOf(token) });
    return;
  }
  sendJson(res, 200, {
    user,
    ...(await signDemoToken(user, options.jwtSecret, undefined, { admin: seller })),
  });
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const assets: Map<string, Asset> = await buildPages();
  const config: DemoConfig = { httpUrl: options.httpUrl, wsUrl: options.wsUrl };
  const html = shell(config);
  // Only this server's own files and the two APIs: a page that tried a CDN asset would fail here.
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${new URL(options.httpUrl).origin} ${new URL(options.wsUrl).origin}${
      options.eventsUrl ? ` ${new URL(options.eventsUrl).origin.replace(/^http/, 'ws')}` : ''
    }`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

  const hostnames = new Set(
    [...LOOPBACK_NAMES, ...(options.allowedHosts ?? [])].map((name) => name.trim().toLowerCase()),
  );
  // The bound address itself, unless it is a wildcard (which is no name a browser uses).
  if (options.host !== '0.0.0.0' && options.host !== '::') {
    hostnames.add(
      new URL(`http://${options.host.includes(':') ? `[${options.host}]` : options.host}`).hostname,
    );
  }
  let boundPort = options.port;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && path === '/token') {
      if (!isOwnRequest(req, hostnames, boundPort)) {
        sendJson(res, 403, {
          error: { code: 'forbidden', message: 'POST /token answers only the demo pages of this server' },
        });
        return;
      }
      void issueToken(req, res, options);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'method_not_allowed', message: `${req.method} ${path}` } });
      return;
    }
    const asset = assets.get(path);
    if (asset) {
      send(res, 200, asset.contentType, asset.body, { 'cache-control': 'no-cache' });
      return;
    }
    if (PAGE_PATH.test(path)) {
      send(res, 200, 'text/html; charset=utf-8', html, {
        'content-security-policy': csp,
        'cache-control': 'no-cache',
      });
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  boundPort = port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
