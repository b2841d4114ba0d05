import type { Environment } from 'aws-cdk-lib';
import type { FunctionName } from './functions.js';

/**
 * Every difference between dev and prod lives here, typed. Stacks read a `StageConfig` and never
 * branch on the stage name themselves. Queue and schedule settings, the same in every stage and
 * shared with the local runtime, are in ./event-sources.ts.
 */
/**
 * Sign-in with the users' identity provider (API.md v1.2). Either a Cognito user pool made by the
 * data stack, or an issuer of the team's choice (Auth0, Okta, Entra ID, another pool).
 */
export type AuthConfig = (
  | {
      readonly cognito: {
        /** Members of this user pool group are admins (`cognito:groups` contains it). */
        readonly adminGroup: string;
        /** The shop's sign-in redirect URLs (authorization code flow with PKCE). */
        readonly callbackUrls: string[];
        readonly logoutUrls?: string[];
      };
    }
  | {
      /** The issuer URL, exactly as the tokens' `iss` (Auth0: `https://TENANT.auth0.com/`, slash included). */
      readonly issuer: string;
      /** The API identifier / client id the tokens are for (`aud`, or Cognito's `client_id`). */
      readonly audience?: string;
      /** Default: the issuer + `/.well-known/jwks.json`. */
      readonly jwksUrl?: string;
      readonly adminClaim?: string;
      readonly adminValue?: string;
    }
) & {
  /** Keep accepting HS256 tokens of the generated JWT secret beside the issuer's (tools, tests); off in production. */
  readonly hs256: boolean;
};

export interface StageConfig {
  /** Absent: HS256 tokens of the generated JWT secret only (v1). */
  readonly auth?: AuthConfig;
  /** Short name used in stack names and physical names (`live-sale-<name>`). */
  readonly name: string;
  /**
   * Leave empty for an environment-agnostic stack (synth works offline, 2 AZs via Fn::GetAZs).
   * When pinned, `availabilityZones` must be given too, so that synth never needs an AZ lookup.
   */
  readonly env?: Environment;
  readonly availabilityZones?: string[];
  readonly network: {
    readonly maxAzs: number;
    /**
     * NAT gateways exist only for the API Gateway management API (PostToConnection): the
     * execute-api interface endpoint does not serve WebSocket APIs. See docs/DEPLOY.md.
     */
    readonly natGateways: number;
  };
  readonly redis: {
    readonly engine: 'valkey' | 'redis';
    readonly engineVersion: string;
    readonly parameterGroup: string;
    readonly nodeType: string;
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly multiAz: boolean;
    readonly snapshotRetentionDays: number;
  };
  readonly database: {
    readonly minCapacity: number;
    readonly maxCapacity: number;
    readonly readers: number;
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
  };
  /** Stateful resources: RETAIN in prod so a stack deletion never loses data. */
  readonly retainData: boolean;
  readonly logRetentionDays: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly http: {
    /** Requests/s for the whole HTTP API stage. The account shares 10k/s with PostToConnection. */
    readonly rateLimit: number;
    readonly burstLimit: number;
    readonly corsOrigins: string[];
  };
  readonly websocket: {
    readonly rateLimit: number;
    readonly burstLimit: number;
  };
  readonly functions: {
    readonly httpMemoryMb: number;
    /**
     * Reserved concurrency: a bid spike on http (which takes the unreserved rest) can never starve
     * $connect, the fan-out, the writer or the sweeper. Each queue consumer gets at least its event
     * source's maxConcurrency. The account must keep >= 100 unreserved (docs/DEPLOY.md).
     */
    readonly reservedConcurrency: Readonly<Partial<Record<FunctionName, number>>>;
  };
  /**
   * The stage must be pinned (account, region, AZs, CORS origins) by the CDK context key
   * `live-sale:<name>` before it can be synthesized for a deploy (see stageConfig).
   */
  readonly requiresPin?: boolean;
  readonly alarms: {
    readonly httpP99LatencyMs: number;
    readonly lambdaErrorsPer5Min: number;
    readonly redisCpuPercent: number;
    readonly redisMemoryPercent: number;
    readonly persistQueueOldestMessageSeconds: number;
    /** Optional address subscribed to the alarm topic (confirm the e-mail after deploy). */
    readonly email?: string;
  };
}

export const stages = {
  dev: {
    name: 'dev',
    network: { maxAzs: 2, natGateways: 1 },
    redis: {
      engine: 'valkey',
      engineVersion: '8.0',
      parameterGroup: 'default.valkey8.cluster.on',
      nodeType: 'cache.t4g.small',
      shards: 1,
      // One replica: updates of a cluster-mode group with no replica and automatic failover on
      // (which cluster mode requires) are reported to fail. The replica is also what a failover
      // test in dev needs.
      replicasPerShard: 1,
      multiAz: true,
      snapshotRetentionDays: 1,
    },
    database: {
      minCapacity: 0.5,
      maxCapacity: 4,
      readers: 0,
      backupRetentionDays: 1,
      deletionProtection: false,
    },
    retainData: false,
    logRetentionDays: 7,
    logLevel: 'DEBUG',
    http: { rateLimit: 500, burstLimit: 1_000, corsOrigins: ['*'] },
    websocket: { rateLimit: 200, burstLimit: 400 },
    functions: {
      httpMemoryMb: 1024,
      reservedConcurrency: { ws: 10, writer: 5, fanout: 10, sweeper: 1, migrate: 1 },
    },
    alarms: {
      httpP99LatencyMs: 500,
      lambdaErrorsPer5Min: 5,
      redisCpuPercent: 80,
      redisMemoryPercent: 80,
      persistQueueOldestMessageSeconds: 300,
    },
  },
  prod: {
    name: 'prod',
    network: { maxAzs: 2, natGateways: 2 },
    redis: {
      engine: 'valkey',
      engineVersion: '8.0',
      parameterGroup: 'default.valkey8.cluster.on',
      nodeType: 'cache.r7g.large',
      shards: 2,
      replicasPerShard: 1,
      multiAz: true,
      snapshotRetentionDays: 7,
    },
    database: {
      minCapacity: 2,
      maxCapacity: 32,
      readers: 1,
      backupRetentionDays: 14,
      deletionProtection: true,
    },
    retainData: true,
    logRetentionDays: 90,
    logLevel: 'INFO',
    // The origins come from the pin (requiresPin): there is no safe default for a shop's origin.
    http: { rateLimit: 5_000, burstLimit: 5_000, corsOrigins: [] },
    websocket: { rateLimit: 2_000, burstLimit: 2_000 },
    functions: {
      httpMemoryMb: 1769,
      // $connect: 500 new connections/s (the account quota) x ~20 ms is ~10 in flight; 100 is room.
      reservedConcurrency: { ws: 100, writer: 5, fanout: 10, sweeper: 1, migrate: 1 },
    },
    requiresPin: true,
    alarms: {
      httpP99LatencyMs: 250,
      lambdaErrorsPer5Min: 1,
      redisCpuPercent: 70,
      redisMemoryPercent: 75,
      persistQueueOldestMessageSeconds: 120,
    },
  },
} satisfies Record<string, StageConfig>;

export type StageName = keyof typeof stages;

/** Where a stage that `requiresPin` is deployed, from the CDK context key `live-sale:<stage>`. */
export interface StagePin {
  readonly account: string;
  readonly region: string;
  readonly availabilityZones: string[];
  readonly corsOrigins: string[];
  readonly alarmEmail?: string;
}

export const pinContextKey = (stage: string) => `live-sale:${stage}`;

/**
 * Used when every stage is synthesized for checks (`npm run synth`, tests) and the pin is absent:
 * an account no credentials belong to, so a deploy of such a template is refused by the CDK CLI
 * before anything is created, and an origin under `.invalid` (RFC 2606), which never resolves.
 */
export const CHECK_ONLY_PIN: StagePin = {
  account: '000000000000',
  region: 'us-east-1',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  corsOrigins: ['https://unpinned.invalid'],
};

function parsePin(stage: string, raw: unknown): StagePin {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<StagePin> | null;
  const problems: string[] = [];
  if (!value || typeof value !== 'object') problems.push('not an object');
  const pin = value ?? {};
  if (!/^\d{12}$/.test(String(pin.account))) problems.push('account: 12 digits');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(String(pin.region))) problems.push('region: e.g. eu-west-1');
  const azs = Array.isArray(pin.availabilityZones) ? pin.availabilityZones : [];
  if (azs.length < 2 || azs.some((az) => !String(az).startsWith(String(pin.region))))
    problems.push('availabilityZones: two or more zones of the region');
  const origins = Array.isArray(pin.corsOrigins) ? pin.corsOrigins : [];
  if (
    origins.length === 0 ||
    origins.some((o) => !/^https:\/\/[^/*]+$/.test(String(o)) || /example\.com$/.test(String(o)))
  )
    problems.push('corsOrigins: the real https:// origins of the shop (no wildcard, no placeholder)');
  if (problems.length > 0) {
    throw new Error(`context ${pinContextKey(stage)} is invalid: ${problems.join('; ')}`);
  }
  return pin as StagePin;
}

export interface StageOptions {
  /** The value of the context key `live-sale:<stage>` (object, or JSON when given with -c). */
  readonly pin?: unknown;
  /**
   * True when this stage alone is synthesized (`-c stage=<name>`, the deploy path): a stage that
   * requires a pin then refuses to synthesize without one.
   */
  readonly forDeploy?: boolean;
  /** The value of the context key `live-sale:<stage>:auth`: the stage's AuthConfig (object or JSON). */
  readonly auth?: unknown;
}

export const authContextKey = (stage: string) => `live-sale:${stage}:auth`;

/** A stage's sign-in from context, checked so a typo fails the synth rather than a sign-in later. */
export function parseAuth(stage: string, raw: unknown): AuthConfig {
  const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown> | null;
  const problems: string[] = [];
  if (!value || typeof value !== 'object')
    throw new Error(`context ${authContextKey(stage)} must be an object`);
  if (typeof value.hs256 !== 'boolean') problems.push('hs256: true or false');
  const https = (url: unknown) => typeof url === 'string' && /^https:\/\/[^\s]+$/.test(url);
  if ('cognito' in value) {
    const cognito = value.cognito as Record<string, unknown> | null;
    if (!cognito || typeof cognito.adminGroup !== 'string' || cognito.adminGroup === '')
      problems.push('cognito.adminGroup: the admin group name');
    const urls = cognito?.callbackUrls;
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every(https))
      problems.push('cognito.callbackUrls: https:// URLs of the shop');
    if ('issuer' in value) problems.push('either cognito or issuer, not both');
  } else if (!https(value.issuer)) {
    problems.push('issuer: the https:// issuer URL (or cognito: {...})');
  } else if (value.jwksUrl !== undefined && !https(value.jwksUrl)) {
    problems.push('jwksUrl: an https:// URL');
  }
  if (problems.length > 0)
    throw new Error(`context ${authContextKey(stage)} is invalid: ${problems.join('; ')}`);
  return value as unknown as AuthConfig;
}

export function stageConfig(name: string, options: StageOptions = {}): StageConfig {
  if (!(name in stages)) {
    throw new Error(`unknown stage "${name}"; expected one of: ${Object.keys(stages).join(', ')}`);
  }
  let config: StageConfig = stages[name as StageName];
  if (options.auth !== undefined) config = { ...config, auth: parseAuth(name, options.auth) };
  if (config.requiresPin) {
    if (options.pin === undefined && options.forDeploy) {
      throw new Error(
        `stage "${name}" must be pinned before a deploy: set the context key ${pinContextKey(name)} ` +
          '(cdk.json "context", or -c) to {"account": "<12 digits>", "region": "<region>", ' +
          '"availabilityZones": ["<region>a", "<region>b"], "corsOrigins": ["https://<shop origin>"], ' +
          '"alarmEmail": "<optional>"}; see docs/DEPLOY.md',
      );
    }
    const pin = options.pin === undefined ? CHECK_ONLY_PIN : parsePin(name, options.pin);
    config = {
      ...config,
      env: { account: pin.account, region: pin.region },
      availabilityZones: pin.availabilityZones,
      http: { ...config.http, corsOrigins: pin.corsOrigins },
      alarms: { ...config.alarms, ...(pin.alarmEmail ? { email: pin.alarmEmail } : {}) },
    };
  }
  if (config.env?.region && !config.availabilityZones) {
    throw new Error(`stage "${name}" pins a region: give availabilityZones too, so synth needs no AZ lookup`);
  }
  return config;
}
