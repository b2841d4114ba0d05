/**
 * `npm run seed` (or `npm run local -- --seed`): demo auctions and products created through the
 * HTTP API of a running `npm run local`, tokens for demo users and an admin signed with the local
 * JWT_SECRET, and ready-to-paste curl and WebSocket examples.
 *
 * Environment: HTTP_PORT / WS_PORT (or SEED_HTTP_URL / SEED_WS_URL), JWT_SECRET and WEBHOOK_SECRET
 * (default: the ones `npm run local` keeps in .local-data/secrets.json), LOCAL_DATA_DIR.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from 'hono/jwt';
import { EBAY_INCREMENT_TABLE } from '../functions/domain/increments.js';
import { secretsFile } from '../local-aws/index.js';
import { PROJECT_ROOT } from './build-functions.js';

export interface SeedOptions {
  httpUrl: string;
  wsUrl: string;
  jwtSecret: string;
  webhookSecret?: string | undefined;
  /** Where the output goes (default: stdout). */
  print?: (line: string) => void;
}

export interface SeedResult {
  auctions: { id: string; title: string }[];
  products: { id: string; name: string }[];
  tokens: Record<string, string>;
}

const TOKEN_TTL_SECONDS = 7 * 24 * 3600;
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

export function demoToken(sub: string, secret: string, admin = false): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    { sub, ...(admin ? { role: 'admin' } : {}), iat: now, exp: now + TOKEN_TTL_SECONDS },
    secret,
    'HS256',
  );
}

async function post<T>(url: string, token: string, body: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = { raw: text } as T;
  }
  return { status: response.status, json };
}

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const { httpUrl, wsUrl } = options;
  try {
    const health = await fetch(`${httpUrl}/health`);
    if (!health.ok) throw new Error(`GET /health answered ${health.status}`);
  } catch (error) {
    throw new Error(
      `the HTTP API does not answer at ${httpUrl} (${(error as Error).message}): start it with \`npm run local\` first`,
    );
  }

  const tokens: Record<string, string> = { admin: await demoToken('admin', options.jwtSecret, true) };
  for (const user of DEMO_USERS) tokens[user] = await demoToken(user, options.jwtSecret);
  const admin = tokens.admin as string;

  const auctionBodies = [
    { title: 'Leica M3 (1957), serviced', startingPrice: 90_000, minIncrement: 2_500, endsAt: inMinutes(60) },
    {
      title: 'Signed first edition, anti-snipe on',
      startingPrice: 5_000,
      minIncrement: 500,
      reservePrice: 20_000,
      endsAt: inMinutes(15),
      antiSnipe: { windowSeconds: 60, extendSeconds: 60, maxExtensions: 10 },
    },
    {
      title: 'Mechanical keyboard, closes in 3 minutes',
      startingPrice: 2_000,
      minIncrement: 100,
      endsAt: inMinutes(3),
    },
    {
      // API.md v1.2: Buy It Now until the reserve is met, eBay's increments (docs/auctions.md).
      title: 'Vintage chronograph, Buy It Now 450.00',
      startingPrice: 9_900,
      incrementTable: EBAY_INCREMENT_TABLE,
      reservePrice: 30_000,
      buyNowPrice: 45_000,
      endsAt: inMinutes(45),
    },
    {
      title: 'Concert tickets, opens in 2 minutes',
      startingPrice: 4_000,
      minIncrement: 200,
      startsAt: inMinutes(2),
      endsAt: inMinutes(30),
    },
  ];
  const auctions: SeedResult['auctions'] = [];
  for (const body of auctionBodies) {
    const { status, json } = await post<{ auction?: { id: string; title: string }; error?: unknown }>(
      `${httpUrl}/auctions`,
      admin,
      body,
    );
    if (status !== 201 || !json.auction)
      throw new Error(`POST /auctions answered ${status}: ${JSON.stringify(json)}`);
    auctions.push({ id: json.auction.id, title: json.auction.title });
  }

  const productBodies = [
    { name: 'Limited sneakers (flash sale)', price: 12_000, stock: 50, perUserLimit: 2 },
    { name: 'Console bundle, 5 units', price: 49_900, stock: 5, perUserLimit: 1, reservationTtlSeconds: 120 },
  ];
  const products: SeedResult['products'] = [];
  let productsNote: string | undefined;
  for (const body of productBodies) {
    const { status, json } = await post<{
      product?: { id: string; name: string };
      error?: { code?: string };
    }>(`${httpUrl}/products`, admin, body);
    if (status === 404 && json.error?.code === 'route_not_found') {
      productsNote = 'products: this build does not serve /products yet, skipped';
      break;
    }
    if (status !== 201 || !json.product)
      throw new Error(`POST /products answered ${status}: ${JSON.stringify(json)}`);
    products.push({ id: json.product.id, name: json.product.name });
  }

  const auction = auctions[0] as { id: string };
  const lines = [
    '',
    '# Demo data',
    ...auctions.map((a) => `auction ${a.id}  ${a.title}`),
    ...products.map((p) => `product ${p.id}  ${p.name}`),
    ...(productsNote ? [productsNote] : []),
    '',
    `# Tokens (HS256 with the local JWT_SECRET, valid ${TOKEN_TTL_SECONDS / 86_400} days): paste into your shell`,
    `export API=${httpUrl}`,
    `export ADMIN_TOKEN=${tokens.admin}`,
    ...DEMO_USERS.map((user) => `export ${user.toUpperCase()}_TOKEN=${tokens[user]}`),
    `export AUCTION=${auction.id}`,
    ...(products[0] ? [`export PRODUCT=${products[0].id}`] : []),
    '',
    '# Try it',
    'curl -s $API/auctions/$AUCTION',
    `curl -s -X POST $API/auctions/$AUCTION/bids -H "authorization: Bearer $ALICE_TOKEN" -H 'content-type: application/json' -d '{"amount": 90000}'`,
    `curl -s -X POST $API/auctions/$AUCTION/bids -H "authorization: Bearer $BOB_TOKEN" -H 'content-type: application/json' -H 'idempotency-key: bob-1' -d '{"amount": 92500}'`,
    'curl -s "$API/auctions/$AUCTION/bids?limit=5"',
    'curl -s "$API/auctions/$AUCTION/events?since=0"',
    ...(products[0]
      ? [
          `curl -s -X POST $API/orders -H "authorization: Bearer $CAROL_TOKEN" -H 'content-type: application/json' -d "{\\"productId\\": \\"$PRODUCT\\", \\"qty\\": 1}"`,
        ]
      : []),
    '',
    '# Live updates over WebSocket (subscribe, then bid from another terminal)',
    `npx wscat -c "${wsUrl}?token=$ALICE_TOKEN" -x '{"action":"subscribe","topic":"auction:'$AUCTION'"}' -w 600`,
    `# or, without installing anything (ws is a dev dependency):`,
    `node -e 'const W=require("ws");const s=new W(process.argv[1]);s.on("open",()=>s.send(JSON.stringify({action:"subscribe",topic:"auction:"+process.argv[2]})));s.on("message",m=>console.log(String(m)))' "${wsUrl}?token=$ALICE_TOKEN" $AUCTION`,
  ];
  if (options.webhookSecret && products[0]) {
    lines.push(
      '',
      '# Payment webhook for an order (set ORDER and AMOUNT from the order above)',
      `export WEBHOOK_SECRET=${options.webhookSecret}`,
      `BODY="{\\"id\\":\\"evt-$(date +%s)\\",\\"type\\":\\"payment.succeeded\\",\\"orderId\\":\\"$ORDER\\",\\"amount\\":$AMOUNT}"; T=$(date +%s); SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | sed 's/^.* //')`,
      `curl -s -X POST $API/payments/webhook -H 'content-type: application/json' -H "x-webhook-signature: t=$T,v1=$SIG" -d "$BODY"`,
    );
  }
  for (const line of lines) print(line);
  return { auctions, products, tokens };
}

function localSecret(name: 'JWT_SECRET' | 'WEBHOOK_SECRET'): string | undefined {
  if (process.env[name]) return process.env[name];
  const dir = process.env.LOCAL_DATA_DIR;
  const file = secretsFile(
    dir ? (isAbsolute(dir) ? dir : join(process.cwd(), dir)) : join(PROJECT_ROOT, '.local-data'),
  );
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)[name];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const jwtSecret = localSecret('JWT_SECRET');
  if (!jwtSecret) {
    console.error(
      'no JWT_SECRET: start `npm run local` once (it generates .local-data/secrets.json), or set JWT_SECRET',
    );
    process.exit(1);
  }
  try {
    await seed({
      httpUrl: process.env.SEED_HTTP_URL ?? `http://127.0.0.1:${process.env.HTTP_PORT || 3000}`,
      wsUrl: process.env.SEED_WS_URL ?? `ws://127.0.0.1:${process.env.WS_PORT || 3001}`,
      jwtSecret,
      webhookSecret: localSecret('WEBHOOK_SECRET'),
    });
  } catch (error) {
    console.error(`seed failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
