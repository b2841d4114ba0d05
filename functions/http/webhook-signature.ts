import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';

/** The provider's clock may differ from ours by at most this much; older signatures are replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export class InvalidSignatureError extends AppError {
  constructor(message = 'missing or invalid webhook signature') {
    super(401, 'invalid_signature', message);
  }
}

export function signWebhook(rawBody: string, secret: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * Verifies a Stripe-style `X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * "<t>.<raw body>", as sent (so it must run on the raw text, before any parsing). Several v1 values
 * are allowed (secret rotation); one match suffices. Comparison is constant-time.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): void {
  if (!header || header.length > 1_024) throw new InvalidSignatureError();
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value !== undefined && /^[0-9a-fA-F]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === null || signatures.length === 0) throw new InvalidSignatureError();
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new InvalidSignatureError('webhook signature timestamp outside the tolerance');
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  let matched = false;
  for (const signature of signatures) {
    // Every candidate is compared, so the time taken does not depend on which one matched.
    if (timingSafeEqual(signature, expected)) matched = true;
  }
  if (!matched) throw new InvalidSignatureError();
}
