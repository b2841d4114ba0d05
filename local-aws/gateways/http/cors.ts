import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpCors } from '../../../lib/config/http-cors.js';

const ALLOW_METHODS = httpCors.allowMethods.join(',');
const ALLOW_HEADERS = httpCors.allowHeaders.join(',');
const EXPOSE_HEADERS = httpCors.exposeHeaders.join(',');

/**
 * API Gateway's `corsPreflight` imitated for any origin (as the dev stage): a preflight (OPTIONS
 * with Origin and Access-Control-Request-Method) is answered by the gateway itself, never reaching
 * the function; any other request with an Origin gets the allow/expose headers on its response.
 * Returns true when the request was answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': String(httpCors.maxAgeSeconds),
    });
    res.end();
    req.resume();
    return true;
  }
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  return false;
}
