import { Hono } from 'hono';
import { webhookBody } from '../../api/schemas.js';
import { InvalidRequestError } from '../../domain/errors.js';
import type { FlashSaleDeps } from '../../use-cases/flash-sales/flash-sale-use-cases.js';
import { receivePayment } from '../../use-cases/flash-sales/receive-payment.js';
import { parseWith, refuseMalformedStrings } from '../validation.js';
import { verifyWebhookSignature } from '../webhook-signature.js';

export function paymentRoutes(
  deps: FlashSaleDeps,
  webhookSecret: string,
  nowSeconds = () => Date.now() / 1000,
) {
  return new Hono().post('/webhook', async (c) => {
    // The signature covers the raw bytes as sent: verify before parsing anything.
    const raw = await c.req.text();
    verifyWebhookSignature(c.req.header('x-webhook-signature'), raw, webhookSecret, Math.floor(nowSeconds()));
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new InvalidRequestError('the body is not valid JSON');
    }
    refuseMalformedStrings(body);
    const event = parseWith(webhookBody, body);
    const status = await receivePayment(deps, {
      id: event.id,
      type: event.type,
      orderId: event.orderId,
      amount: event.amount,
    });
    return c.json({ received: true, status });
  });
}
