/**
 * Authorization of the local AppSync Events stand-in, as the API is configured in the CDK app:
 * connecting and subscribing by API key (`x-api-key` in the authorization object), publishing by
 * IAM only (SigV4 for the service `appsync`, the local credentials standing in for the fan-out's
 * role). An authorization object is what a client sends base64url-encoded in the `header-`
 * subprotocol and as is in each `subscribe` / `publish`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Verifier } from '../identity/sigv4-verifier.js';

export type Authorization = Record<string, string>;

/** The prefix of the subprotocol that carries the connection's authorization object. */
export const HEADER_PROTOCOL_PREFIX = 'header-';
export const EVENTS_PROTOCOL = 'aws-appsync-event-ws';

/** The authorization object of a `header-<base64url(JSON)>` subprotocol, or undefined if it is not one. */
export function decodeHeaderProtocol(protocol: string): Authorization | undefined {
  if (!protocol.startsWith(HEADER_PROTOCOL_PREFIX)) return undefined;
  try {
    const text = Buffer.from(protocol.slice(HEADER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
    return asAuthorization(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Its string (and number: a signed Content-Length) entries as header values, names lower-cased. */
export function asAuthorization(value: unknown): Authorization | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const result: Authorization = {};
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry === 'string' || typeof entry === 'number') result[name.toLowerCase()] = String(entry);
  }
  return result;
}

export function hasApiKey(authorization: Authorization | undefined, apiKey: string): boolean {
  return authorization !== undefined && authorization['x-api-key'] === apiKey;
}

/**
 * Whether an authorization object sent over the WebSocket is a valid SigV4 signature of the HTTP
 * publish of `body` (what the Amplify client signs for an IAM publish or connect: POST to the
 * `/event` endpoint, the message's JSON as the body).
 */
export function hasIamSignature(
  authorization: Authorization | undefined,
  body: string,
  verifier: SigV4Verifier,
): boolean {
  if (!authorization?.authorization) return false;
  const headers: IncomingHttpHeaders = { ...authorization };
  return (
    verifier.verify({ method: 'POST', url: '/event', headers, body: Buffer.from(body, 'utf8') }) === undefined
  );
}
