/**
 * One account budget, as on AWS: API Gateway throttles requests per account and Region "across
 * HTTP APIs, REST APIs, WebSocket APIs, and WebSocket callback APIs" (10,000 requests/s, burst
 * 5,000 by default). Locally the HTTP gateway's requests, the WebSocket gateway's connects and
 * inbound messages, and the management API's calls (every PostToConnection) all take from this
 * one bucket, so a crowd on the direct path spends what bids need, as it would on AWS.
 *
 * The AppSync Events API is another service with its own quotas: its publishes and deliveries do
 * not draw from this budget (that is the point of the broadcast channels).
 *
 * Configured by LOCAL_ACCOUNT_RPS (default 10000) and LOCAL_ACCOUNT_BURST (default 5000);
 * LOCAL_ACCOUNT_RPS=0 turns the throttle off.
 */
import { TokenBucket } from '../scripts/local/token-bucket.js';

export type BudgetUse = 'http' | 'connect' | 'message' | 'management';

export interface AccountBudgetStats {
  /** Requests allowed, by use. */
  taken: Record<BudgetUse, number>;
  /** Requests refused with 429, by use. */
  throttled: Record<BudgetUse, number>;
}

export interface AccountBudgetOptions {
  /** Requests per second refilled; 0 = unlimited. */
  ratePerSecond: number;
  burst: number;
}

export const AWS_ACCOUNT_BUDGET: AccountBudgetOptions = { ratePerSecond: 10_000, burst: 5_000 };

const zero = (): Record<BudgetUse, number> => ({ http: 0, connect: 0, message: 0, management: 0 });

export class AccountBudget {
  private readonly bucket: TokenBucket | undefined;
  private readonly counts: AccountBudgetStats = { taken: zero(), throttled: zero() };

  constructor(
    readonly options: AccountBudgetOptions = AWS_ACCOUNT_BUDGET,
    now?: () => number,
  ) {
    if (!(options.ratePerSecond >= 0) || !(options.burst >= 1))
      throw new Error(
        `account budget: rate ${options.ratePerSecond}/s, burst ${options.burst} is not a budget`,
      );
    this.bucket =
      options.ratePerSecond > 0 ? new TokenBucket(options.ratePerSecond, options.burst, now) : undefined;
  }

  /** One request of `use`: true if the budget allows it, false if API Gateway would answer 429. */
  take(use: BudgetUse): boolean {
    if (this.bucket && !this.bucket.take()) {
      this.counts.throttled[use]++;
      return false;
    }
    this.counts.taken[use]++;
    return true;
  }

  stats(): AccountBudgetStats {
    return { taken: { ...this.counts.taken }, throttled: { ...this.counts.throttled } };
  }
}

/** The budget LOCAL_ACCOUNT_RPS / LOCAL_ACCOUNT_BURST describe (AWS's defaults without them). */
export function accountBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): AccountBudget {
  const read = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`${name} must be a whole number >= 0, got ${text}`);
    return value;
  };
  return new AccountBudget({
    ratePerSecond: read('LOCAL_ACCOUNT_RPS', AWS_ACCOUNT_BUDGET.ratePerSecond),
    burst: read('LOCAL_ACCOUNT_BURST', AWS_ACCOUNT_BUDGET.burst),
  });
}

/**
 * How API Gateway answers a request over the budget, by where it arrived:
 * - HTTP API: 429 `{"message":"Too Many Requests"}`;
 * - management API (PostToConnection...): 429 with `x-amzn-ErrorType: LimitExceededException`,
 *   the error the SDK's ApiGatewayManagementApi client models for throttling;
 * - WebSocket connect: the handshake refused with 429;
 * - WebSocket message: the message is not routed, the client gets an error message on the socket.
 */
export const THROTTLED = {
  httpStatus: 429,
  httpBody: '{"message":"Too Many Requests"}',
  managementErrorType: 'LimitExceededException',
  managementBody: '{"message":"Rate exceeded"}',
  connectResponse: 'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  webSocketMessage: (connectionId: string, requestId: string) =>
    JSON.stringify({ message: 'Too Many Requests', connectionId, requestId }),
} as const;
