import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalFunction } from '../../lambda/functions.js';
import { describeError, log } from '../../shared/log.js';
import { type AccountBudget, THROTTLED } from '../account-budget.js';
import { applyCors } from './cors.js';

/** HTTP API quotas imitated: 10 MB request payload, 30 s integration timeout. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
export const INTEGRATION_TIMEOUT_MS = 30_000;

/** Bodies of these content types reach the handler as text; any other body is base64 encoded. */
const TEXT_CONTENT_TYPE =
  /^\s*(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|graphql|x-ndjson)\b|[^;]*\+(json|xml)\b)/i;

export interface HttpGatewayStats {
  requests: number;
  byStatus: Record<string, number>;
  handlerErrors: number;
  timeouts: number;
  /** Answered 429 over the account budget, the function not invoked. */
  throttled: number;
}

export interface HttpGateway {
  url: string;
  stats: HttpGatewayStats;
  /** Stops accepting connections and waits for the requests in progress. */
  stop: () => Promise<void>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
let cachedSecond = 0;
let cachedTime = '';
/** `requestContext.time` as API Gateway writes it (`22/Nov/2026:04:53:53 +0000`), cached per second. */
function requestTime(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    const d = new Date(now);
    cachedSecond = second;
    cachedTime = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  }
  return cachedTime;
}

const requestIdPrefix = `${Date.now().toString(36)}`;
let requestCounter = 0;

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** `queryStringParameters`: decoded, repeated names joined with commas (as API Gateway does). */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const result: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
    const previous = result[name];
    result[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return result;
}

/** The API Gateway HTTP API payload format 2.0 event of one request. */
export function toHttpApiEvent(
  req: IncomingMessage,
  body: Buffer | undefined,
  port: number,
  requestId: string,
): APIGatewayProxyEventV2 {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQueryString = q < 0 ? '' : url.slice(q + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      cookies ??= [];
      for (const cookie of value.split(';')) {
        const trimmed = cookie.trim();
        if (trimmed !== '') cookies.push(trimmed);
      }
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(port);
  headers['x-forwarded-proto'] = 'http';
  const host = headers.host ?? `127.0.0.1:${port}`;
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (body !== undefined && body.length > 0) {
    const contentType = headers['content-type'] ?? '';
    const text = TEXT_CONTENT_TYPE.test(contentType) && headers['content-encoding'] === undefined;
    event.body = text ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

function sendJson(res: ServerResponse, status: number, message: string, requestId: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'apigw-requestid': requestId,
  });
  res.end(body);
}

/** Writes a payload 2.0 response: statusCode, headers, cookies, body (base64 decoded when flagged). */
function writeResult(res: ServerResponse, result: unknown, requestId: string): number {
  const structured = result as APIGatewayProxyStructuredResultV2 | null;
  if (structured === null || typeof structured !== 'object' || structured.statusCode === undefined) {
    // A handler that returns anything else: API Gateway answers 200 with it as JSON.
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'apigw-requestid': requestId,
    });
    res.end(body);
    return 200;
  }
  const headers: Record<string, string | number | string[]> = {};
  if (structured.headers) {
    for (const name in structured.headers) headers[name] = String(structured.headers[name]);
  }
  if (structured.cookies && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  const payload =
    structured.body === undefined
      ? ''
      : structured.isBase64Encoded
        ? Buffer.from(structured.body, 'base64')
        : structured.body;
  headers['content-length'] = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  headers['apigw-requestid'] = requestId;
  res.writeHead(structured.statusCode, headers);
  res.end(payload);
  return structured.statusCode;
}

/**
 * A Node HTTP server standing in for an API Gateway HTTP API with one `$default` route to the
 * http function: every request becomes a payload 2.0 event for the real handler.
 */
export function startHttpGateway(
  fn: LocalFunction,
  port: number,
  host: string,
  options: {
    /** The account's one request budget (shared with the WebSocket API and its management API). */
    accountBudget?: AccountBudget | undefined;
  } = {},
): Promise<HttpGateway> {
  const stats: HttpGatewayStats = { requests: 0, byStatus: {}, handlerErrors: 0, timeouts: 0, throttled: 0 };
  const count = (status: number) => {
    const key = `${Math.floor(status / 100)}xx`;
    stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
  };
  let boundPort = port;

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) => {
    stats.requests++;
    const requestId = `${requestIdPrefix}-${(++requestCounter).toString(36)}`;
    let event: APIGatewayProxyEventV2;
    try {
      event = toHttpApiEvent(req, body, boundPort, requestId);
    } catch (error) {
      log.error('http', `could not build the event: ${describeError(error)}`);
      count(400);
      sendJson(res, 400, 'Bad Request', requestId);
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      stats.timeouts++;
      count(503);
      log.error(
        'http',
        `${req.method} ${event.rawPath}: no response within ${INTEGRATION_TIMEOUT_MS} ms (integration timeout)`,
      );
      sendJson(res, 503, 'Service Unavailable', requestId);
    }, INTEGRATION_TIMEOUT_MS);
    fn.invoke(event).then(
      (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          count(writeResult(res, result, requestId));
        } catch (error) {
          stats.handlerErrors++;
          count(502);
          log.error(
            'http',
            `${req.method} ${event.rawPath}: malformed Lambda response: ${describeError(error)}`,
          );
          if (!res.headersSent) sendJson(res, 502, 'Internal Server Error', requestId);
          else res.destroy();
        }
      },
      (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stats.handlerErrors++;
        count(500);
        log.error(
          'http',
          `${req.method} ${event.rawPath}: the handler threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        sendJson(res, 500, 'Internal Server Error', requestId);
      },
    );
  };

  const server: Server = createServer((req, res) => {
    if (applyCors(req, res)) return;
    if (options.accountBudget && !options.accountBudget.take('http')) {
      // API Gateway's throttle answer, before the function is invoked.
      stats.throttled++;
      count(THROTTLED.httpStatus);
      res.writeHead(THROTTLED.httpStatus, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(THROTTLED.httpBody),
      });
      res.end(THROTTLED.httpBody);
      req.resume();
      return;
    }
    const length = req.headers['content-length'];
    if (length === undefined && req.headers['transfer-encoding'] === undefined) {
      handle(req, res, undefined);
      return;
    }
    if (length !== undefined && Number(length) > MAX_REQUEST_BYTES) {
      count(413);
      sendJson(res, 413, 'Request Entity Too Large', '-');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let rejected = false;
    req.on('data', (chunk: Buffer) => {
      if (rejected) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        rejected = true;
        count(413);
        sendJson(res, 413, 'Request Entity Too Large', '-');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!rejected) handle(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      boundPort = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host}:${boundPort}`,
        stats,
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            // Requests still running get a moment; then the connections are cut.
            setTimeout(() => server.closeAllConnections(), 3_000).unref();
          }),
      });
    });
  });
}
