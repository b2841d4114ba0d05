import type { Environment } from 'aws-cdk-lib';

/**
 * Every difference between dev and prod lives here, typed. Stacks read a `StageConfig` and never
 * branch on the stage name themselves. Queue and schedule settings, the same in every stage and
 * shared with the local runtime, are in ./event-sources.ts.
 */
export interface StageConfig {
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
  };
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
      replicasPerShard: 0,
      multiAz: false,
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
    functions: { httpMemoryMb: 1024 },
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
    http: { rateLimit: 5_000, burstLimit: 5_000, corsOrigins: ['https://example.com'] },
    websocket: { rateLimit: 2_000, burstLimit: 2_000 },
    functions: { httpMemoryMb: 1769 },
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

export function stageConfig(name: string): StageConfig {
  if (!(name in stages)) {
    throw new Error(`unknown stage "${name}"; expected one of: ${Object.keys(stages).join(', ')}`);
  }
  const config: StageConfig = stages[name as StageName];
  if (config.env?.region && !config.availabilityZones) {
    throw new Error(`stage "${name}" pins a region: give availabilityZones too, so synth needs no AZ lookup`);
  }
  return config;
}
