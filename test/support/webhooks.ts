import { signWebhook } from '../../functions/http/webhook-signature.js';

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** Headers of a payment webhook request signed like the provider does (now, unless told). */
export function signedWebhookHeaders(
  rawBody: string,
  options: { secret?: string; timestampSeconds?: number } = {},
): Record<string, string> {
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-webhook-signature': signWebhook(rawBody, options.secret ?? TEST_WEBHOOK_SECRET, timestamp),
  };
}
