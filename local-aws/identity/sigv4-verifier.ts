/**
 * Checks AWS Signature Version 4 on requests to the local management API, as API Gateway does for
 * `execute-api:ManageConnections`: the local credentials are the only valid ones.
 *
 * Written here rather than taken from a signer library: verifying means rebuilding the canonical
 * request from exactly the headers the client listed in `SignedHeaders`, and a signer (aws4,
 * @smithy/signature-v4) chooses its own header set and re-encodes the path. This is local tooling;
 * the product's clients sign with aws4 or the SDK, and the tests prove both verify here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The path and query as sent on the wire (`/@connections/abc%2B`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
/** API Gateway refuses a request signed more than 5 minutes away from its clock. */
const MAX_SKEW_MS = 5 * 60 * 1000;

const encodeRfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [key = '', value = ''] = pair.split('=');
      const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
      return [encodeRfc3986(decode(key)), encodeRfc3986(decode(value))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** Parses `20261201T190000Z`. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

export class SigV4Verifier {
  /** Signing keys per date: the HMAC chain is the same for every request of a day. */
  private readonly keys = new Map<string, Buffer>();
  /**
   * The last body and its SHA-256: a fan-out wave posts the same bytes to every receiver, and
   * comparing them (memcmp) costs a fraction of hashing them again. Still checked per request.
   */
  private lastBody: { body: Buffer; hash: string } | undefined;
  /** The last X-Amz-Date parsed: the same for every request signed within a second. */
  private lastDate: { text: string; ms: number } | undefined;

  constructor(
    private readonly credentials: LocalCredentials,
    private readonly region: string,
    private readonly service = 'execute-api',
  ) {}

  /** Undefined when the signature is valid, else the message API Gateway would answer with 403. */
  verify(request: SignedRequest, now = Date.now()): string | undefined {
    const authorization = request.headers.authorization;
    if (!authorization) return 'Missing Authentication Token';
    const match = AUTHORIZATION.exec(authorization);
    if (!match)
      return 'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256)';
    const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
    if (accessKeyId !== this.credentials.accessKeyId)
      return 'The security token included in the request is invalid.';
    if (region !== this.region || service !== this.service)
      return `Credential should be scoped to a valid region and service (${this.region}/${this.service}).`;
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    if (this.lastDate?.text !== amzDate) this.lastDate = { text: amzDate, ms: parseAmzDate(amzDate) };
    const signedAt = this.lastDate.ms;
    if (!amzDate.startsWith(date as string) || Number.isNaN(signedAt))
      return 'X-Amz-Date is missing or does not match the credential scope.';
    if (Math.abs(now - signedAt) > MAX_SKEW_MS)
      return 'Signature expired: the request was signed more than 5 minutes away from the server clock.';
    const names = (signedHeaders as string).split(';');
    if (!names.includes('host')) return "'Host' must be a signed header.";
    const headerLines: string[] = [];
    for (const name of names) {
      const value = request.headers[name];
      if (value === undefined) return `Signed header ${name} is missing from the request.`;
      const text = Array.isArray(value) ? value.join(',') : value;
      headerLines.push(`${name}:${text.trim().replace(/\s+/g, ' ')}`);
    }
    const [path = '/', query = ''] = request.url.split('?', 2);
    const canonicalPath = path
      .split('/')
      .map((segment) => encodeRfc3986(segment))
      .join('/');
    const bodyHash = this.bodyHash(request.body);
    const payloadHash = String(request.headers['x-amz-content-sha256'] ?? bodyHash);
    if (request.headers['x-amz-content-sha256'] !== undefined && payloadHash !== bodyHash)
      return 'The provided x-amz-content-sha256 header does not match the body.';
    const canonicalRequest = [
      request.method,
      canonicalPath,
      canonicalQuery(query),
      `${headerLines.join('\n')}\n`,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    const expected = hmac(this.signingKey(date as string), stringToSign);
    const given = Buffer.from(signature as string, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return 'The request signature we calculated does not match the signature you provided.';
    return undefined;
  }

  private bodyHash(body: Buffer): string {
    if (!this.lastBody?.body.equals(body)) this.lastBody = { body, hash: sha256(body) };
    return this.lastBody.hash;
  }

  private signingKey(date: string): Buffer {
    let key = this.keys.get(date);
    if (!key) {
      const dateKey = hmac(`AWS4${this.credentials.secretAccessKey}`, date);
      key = hmac(hmac(hmac(dateKey, this.region), this.service), 'aws4_request');
      this.keys.set(date, key);
    }
    return key;
  }
}
