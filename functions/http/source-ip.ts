import type { Context } from 'hono';

/**
 * The caller's address: on Lambda, API Gateway's `requestContext.http.sourceIp` (hono/aws-lambda
 * passes the request context as `c.env.requestContext`); under @hono/node-server (tests, tools), the
 * socket's. Never a header: X-Forwarded-For is the client's to write. Undefined when neither exists:
 * only an in-process call (app.request in tests) has no address.
 */
export function sourceIpOf(c: Context): string | undefined {
  const env = c.env as
    | {
        requestContext?: { http?: { sourceIp?: unknown } };
        incoming?: { socket?: { remoteAddress?: unknown } };
      }
    | undefined;
  const fromGateway = env?.requestContext?.http?.sourceIp;
  if (typeof fromGateway === 'string' && fromGateway !== '') return fromGateway;
  const fromSocket = env?.incoming?.socket?.remoteAddress;
  if (typeof fromSocket === 'string' && fromSocket !== '') return fromSocket.replace(/^::ffff:/, '');
  return undefined;
}
