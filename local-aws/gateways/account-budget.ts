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
 * LOCAL_ACCOUNT_RPS=0 turns the throttle off. The management API's old LOCAL_MANAGEMENT_RPS /
 * LOCAL_MANAGEMENT_BURST are read when the new names are unset.
 */
export type BudgetUse = 'http' | 'connect' | 'message' | 'management';

const USES: readonly BudgetUse[] = ['http', 'connect', 'message', 'management'];

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

export interface AccountBudgetShare {
  memory: SharedArrayBuffer;
  options: AccountBudgetOptions;
}

export const AWS_ACCOUNT_BUDGET: AccountBudgetOptions = { ratePerSecond: 10_000, burst: 5_000 };

/**
 * The bucket lives in shared memory, because the gateways do not share a thread (the WebSocket
 * gateway runs on its own): each thread attaches to the same SharedArrayBuffer (`budget.memory`
 * sent in workerData) and takes under a spin lock held for a few instructions.
 * Layout: Int32[0] the lock; Float64[1] tokens, Float64[2] last refill (ms since the epoch, from
 * performance.timeOrigin + now(), comparable across threads); Float64[3..10] the counters.
 */
const BYTES = 8 * 11;

export class AccountBudget {
  readonly memory: SharedArrayBuffer;
  private readonly lock: Int32Array;
  private readonly cells: Float64Array;
  private readonly now: () => number;

  /** A new budget (full bucket), or one attached to `memory` another thread made. */
  constructor(
    readonly options: AccountBudgetOptions = AWS_ACCOUNT_BUDGET,
    settings: { memory?: SharedArrayBuffer; now?: () => number } = {},
  ) {
    if (!(options.ratePerSecond >= 0) || !(options.burst >= 1))
      throw new Error(
        `account budget: rate ${options.ratePerSecond}/s, burst ${options.burst} is not a budget`,
      );
    this.now = settings.now ?? (() => performance.timeOrigin + performance.now());
    this.memory = settings.memory ?? new SharedArrayBuffer(BYTES);
    this.lock = new Int32Array(this.memory, 0, 1);
    this.cells = new Float64Array(this.memory);
    if (!settings.memory) {
      this.cells[1] = options.burst;
      this.cells[2] = this.now();
    }
  }

  /** One request of `use`: true if the budget allows it, false if API Gateway would answer 429. */
  take(use: BudgetUse): boolean {
    const counter = 3 + USES.indexOf(use);
    let allowed = true;
    this.acquire();
    try {
      if (this.options.ratePerSecond > 0) {
        const now = this.now();
        const elapsed = Math.max(0, now - (this.cells[2] as number));
        const tokens = Math.min(
          this.options.burst,
          (this.cells[1] as number) + (elapsed / 1000) * this.options.ratePerSecond,
        );
        this.cells[2] = Math.max(now, this.cells[2] as number);
        allowed = tokens >= 1;
        this.cells[1] = allowed ? tokens - 1 : tokens;
      }
      const at = allowed ? counter : counter + USES.length;
      this.cells[at] = (this.cells[at] as number) + 1;
    } finally {
      Atomics.store(this.lock, 0, 0);
      Atomics.notify(this.lock, 0, 1);
    }
    return allowed;
  }

  /** What another thread needs to take from this same budget (structured-cloneable: workerData). */
  share(): AccountBudgetShare {
    return { memory: this.memory, options: this.options };
  }

  static attach(share: AccountBudgetShare): AccountBudget {
    return new AccountBudget(share.options, { memory: share.memory });
  }

  stats(): AccountBudgetStats {
    const read = (offset: number) =>
      Object.fromEntries(USES.map((use, index) => [use, this.cells[3 + offset + index] as number])) as Record<
        BudgetUse,
        number
      >;
    return { taken: read(0), throttled: read(USES.length) };
  }

  private acquire(): void {
    for (let spins = 0; Atomics.compareExchange(this.lock, 0, 0, 1) !== 0; spins++) {
      // The holder is another thread a few instructions from done, unless the OS paused it.
      if (spins > 100) Atomics.wait(this.lock, 0, 1, 1);
    }
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
  // LOCAL_MANAGEMENT_RPS / _BURST: the names of the management API's budget before it became the
  // account's (issue 26), still read.
  return new AccountBudget({
    ratePerSecond: read('LOCAL_ACCOUNT_RPS', read('LOCAL_MANAGEMENT_RPS', AWS_ACCOUNT_BUDGET.ratePerSecond)),
    burst: read('LOCAL_ACCOUNT_BURST', read('LOCAL_MANAGEMENT_BURST', AWS_ACCOUNT_BUDGET.burst)),
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
