import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, signWebhook, verifyWebhookSignature } from './webhook-signature.js';

const secret = 'whsec-test-0123456789abcdef';
const body = '{"id":"evt_1","type":"payment.succeeded","orderId":"o1","amount":100}';
const now = 1_700_000_000;

describe('webhook signature', () => {
  it('accepts a signature made with the secret over "<t>.<raw body>"', () => {
    expect(() => verifyWebhookSignature(signWebhook(body, secret, now), body, secret, now)).not.toThrow();
  });

  it('accepts any matching v1 among several (secret rotation)', () => {
    const good = signWebhook(body, secret, now).split(',')[1];
    const header = `t=${now},v1=${'0'.repeat(64)},${good}`;
    expect(() => verifyWebhookSignature(header, body, secret, now)).not.toThrow();
  });

  it.each([
    ['no header', undefined],
    ['empty header', ''],
    ['garbage', 'hello'],
    ['no v1', `t=${now}`],
    ['no t', `v1=${'a'.repeat(64)}`],
    ['short v1', `t=${now},v1=abcd`],
    ['non-hex v1', `t=${now},v1=${'z'.repeat(64)}`],
    ['wrong secret', signWebhook(body, 'another-secret-0123456789', now)],
    ['other body', signWebhook(`${body} `, secret, now)],
    ['other timestamp', signWebhook(body, secret, now).replace(`t=${now}`, `t=${now + 1}`)],
  ])('refuses %s', (_, header) => {
    expect(() => verifyWebhookSignature(header, body, secret, now)).toThrow(InvalidSignatureError);
  });

  it('refuses timestamps more than 300 s away in either direction, accepts the boundary', () => {
    for (const offset of [-301, 301]) {
      expect(() =>
        verifyWebhookSignature(signWebhook(body, secret, now + offset), body, secret, now),
      ).toThrow(/tolerance/);
    }
    for (const offset of [-300, 300]) {
      expect(() =>
        verifyWebhookSignature(signWebhook(body, secret, now + offset), body, secret, now),
      ).not.toThrow();
    }
  });
});
