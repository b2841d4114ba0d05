import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { WAVE_POST_POLICY } from '../functions/adapters/apigw/signed-post-messenger.js';
import { readEnvironment } from '../functions/config.js';
import { FANOUT_LEASE_WAIT_MS } from '../functions/realtime/use-cases/fan-out.js';
import { buildApp } from '../lib/build-app.js';
import {
  type FunctionName,
  fanoutWork,
  fanoutWorstCaseMs,
  functionTimeoutSeconds,
} from '../lib/config/functions.js';
import { CHECK_ONLY_PIN, pinContextKey, stageConfig, stages } from '../lib/config/stages.js';
import { RECYCLE_CONTEXT } from '../lib/constructs/app-function.js';
import { RedisCluster } from '../lib/constructs/redis-cluster.js';
import {
  environmentOf,
  label,
  logicalId,
  NO_BUNDLING,
  RESOURCE_LABELS,
  resource,
  resources,
  type SynthesizedStage,
  synthesizeStage,
  TEST_PROD_PIN,
} from './support/synth.js';

/**
 * The deploy review of issue 19 (items 9-16), asserted on the templates of both stages. Templates
 * only: bundling is skipped here (the bundles are checked in api-stack.test.ts).
 */
const FUNCTIONS: Record<FunctionName, string> = {
  http: 'HttpFunction',
  ws: 'WsFunction',
  writer: 'WriterFunction',
  fanout: 'FanoutFunction',
  sweeper: 'SweeperFunction',
  migrate: 'MigrateFunction',
};
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];

let dev: SynthesizedStage;
let prod: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev', NO_BUNDLING);
  prod = synthesizeStage('prod', { ...NO_BUNDLING, [pinContextKey('prod')]: TEST_PROD_PIN });
});
const both = () =>
  [
    ['dev', dev],
    ['prod', prod],
  ] as const;

const fn = (s: SynthesizedStage, name: FunctionName) =>
  resource(s.api, 'AWS::Lambda::Function', FUNCTIONS[name]).Properties;

describe('item 9: timeouts sized from the work, visibility from the timeouts', () => {
  it('every function has the timeout of lib/config/functions.ts', () => {
    for (const [, s] of both())
      for (const name of NAMES) expect(fn(s, name).Timeout).toBe(functionTimeoutSeconds[name]);
  });

  it("the fan-out's timeout covers its lease wait and a post with every throttle retry, as the code has them", () => {
    // The figures the timeout is computed from are the fan-out's own.
    expect(fanoutWork.leaseWaitMs).toBe(FANOUT_LEASE_WAIT_MS);
    expect(fanoutWork.postTimeoutMs).toBe(
      readEnvironment({ REDIS_URL: 'redis://h:1' }).FANOUT_POST_TIMEOUT_MS,
    );
    expect(fanoutWork.throttleRetries).toBe(WAVE_POST_POLICY.throttleRetries);
    expect(fanoutWork.backoffMaxMs).toBe(WAVE_POST_POLICY.backoffMaxMs);
    const timeoutMs = Number(fn(dev, 'fanout').Timeout) * 1_000;
    expect(timeoutMs).toBeGreaterThanOrEqual(fanoutWorstCaseMs());
    expect(timeoutMs).toBeGreaterThan(FANOUT_LEASE_WAIT_MS + 3 * 3_000);
  });

  it('every SQS-triggered function: its queue keeps a message invisible >= 6x its timeout', () => {
    for (const [, s] of both()) {
      const mappings = Object.values(resources(s.api, 'AWS::Lambda::EventSourceMapping'));
      expect(mappings.length).toBe(2);
      const queues = resources(s.data, 'AWS::SQS::Queue');
      for (const mapping of mappings) {
        const source = JSON.stringify(mapping.Properties.EventSourceArn);
        const queueId = Object.keys(queues).find((id) => source.includes(id));
        const fnId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
        const timeout = Number(resources(s.api, 'AWS::Lambda::Function')[fnId]?.Properties.Timeout);
        expect(queueId).toBeDefined();
        expect(Number(queues[queueId as string]?.Properties.VisibilityTimeout)).toBeGreaterThanOrEqual(
          6 * timeout,
        );
      }
    }
  });
});

describe('item 10: the migration trigger waits for its network path', () => {
  it('depends on every security-group rule of the migrate function (proxy and Secrets Manager endpoint)', () => {
    const trigger = resource(dev.api, 'Custom::Trigger', 'RunMigrations');
    const rules = [
      ...Object.entries(resources(dev.api, 'AWS::EC2::SecurityGroupIngress')),
      ...Object.entries(resources(dev.api, 'AWS::EC2::SecurityGroupEgress')),
    ].filter(([, r]) => String(r.Properties.Description).startsWith('MigrateFunction'));
    expect(rules.map(([, r]) => r.Properties.Description)).toEqual(
      expect.arrayContaining(['MigrateFunction to RDS Proxy', 'MigrateFunction: Secrets Manager endpoint']),
    );
    expect(rules).toHaveLength(4); // each path: egress from the function, ingress at the target
    for (const [id] of rules) expect(trigger.DependsOn).toContain(id);
    expect(trigger.DependsOn).toContain(logicalId(dev.api, 'AWS::EC2::SecurityGroup', 'MigrateFunction'));
  });
});

describe('item 11: Redis keeps a replica per shard in every stage', () => {
  it('no stage runs cluster mode with automatic failover and no replica', () => {
    for (const [, s] of both()) {
      const [group] = Object.values(resources(s.data, 'AWS::ElastiCache::ReplicationGroup'));
      expect(group?.Properties).toMatchObject({ ClusterMode: 'enabled', AutomaticFailoverEnabled: true });
      expect(Number(group?.Properties.ReplicasPerNodeGroup)).toBeGreaterThanOrEqual(1);
    }
  });

  it('the construct refuses a shard without replica', () => {
    const stack = new Stack(new App(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    expect(
      () =>
        new RedisCluster(stack, 'Redis', {
          vpc,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          replicationGroupId: 'x',
          config: { ...stages.dev.redis, replicasPerShard: 0 },
          retainData: false,
        }),
    ).toThrow(/replica/);
  });
});

describe('item 12: a dead-letter queue outlives its source', () => {
  it('every queue with a redrive policy keeps messages shorter than its DLQ', () => {
    for (const [, s] of both()) {
      const queues = resources(s.data, 'AWS::SQS::Queue');
      const sources = Object.values(queues).filter((q) => q.Properties.RedrivePolicy);
      expect(sources).toHaveLength(2);
      for (const q of sources) {
        const dlqId = (q.Properties.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': string[] } })
          .deadLetterTargetArn['Fn::GetAtt'][0] as string;
        expect(Number(q.Properties.MessageRetentionPeriod)).toBeLessThan(
          Number(queues[dlqId]?.Properties.MessageRetentionPeriod),
        );
      }
    }
  });
});

describe('item 13: secrets live as long as the data they open', () => {
  it('prod retains every secret (Redis AUTH, database master and application user, JWT, webhook); dev deletes them', () => {
    const all = (s: SynthesizedStage) =>
      Object.entries(s.data.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
        .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
        .map(([id, r]) => [label(id, RESOURCE_LABELS), r.DeletionPolicy]);
    const names = ['appDatabaseSecret', 'databaseSecret', 'jwtSecret', 'redisAuthToken', 'webhookSecret'];
    expect(all(prod).sort()).toEqual(names.map((n) => [n, 'Retain']));
    expect(all(dev).sort()).toEqual(names.map((n) => [n, 'Delete']));
  });
});

describe('item 14: reserved concurrency', () => {
  it('every function but http has some; each queue consumer at least its event source concurrency', () => {
    for (const [stage, s] of both()) {
      for (const name of NAMES) {
        const reserved = fn(s, name).ReservedConcurrentExecutions;
        if (name === 'http') expect(reserved).toBeUndefined();
        else expect({ stage, name, reserved: Number(reserved) > 0 }).toEqual({ stage, name, reserved: true });
      }
      for (const mapping of Object.values(resources(s.api, 'AWS::Lambda::EventSourceMapping'))) {
        const fnId = (mapping.Properties.FunctionName as { Ref: string }).Ref;
        const reserved = resources(s.api, 'AWS::Lambda::Function')[fnId]?.Properties
          .ReservedConcurrentExecutions;
        const max = (mapping.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency;
        expect(Number(reserved)).toBeGreaterThanOrEqual(max);
      }
    }
  });

  it('leaves at least 100 unreserved in an account of the default 1,000', () => {
    for (const [, s] of both()) {
      const total = NAMES.reduce(
        (sum, name) => sum + Number(fn(s, name).ReservedConcurrentExecutions ?? 0),
        0,
      );
      expect(total).toBeLessThanOrEqual(900);
    }
  });
});

describe('item 15: the application does not log in as the master user', () => {
  it('the application user has its own generated secret, attached to the cluster', () => {
    dev.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: Match.stringLikeRegexp('"username":"livesale_app"'),
        GenerateStringKey: 'password',
      }),
    });
    dev.data.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      SecretId: { Ref: Match.stringLikeRegexp('DatabaseAppSecret') },
      TargetType: 'AWS::RDS::DBCluster',
    });
  });

  it('http, writer and sweeper read the application secret; migrate the master one and the application one', () => {
    for (const name of ['http', 'writer', 'sweeper'] as const) {
      const env = environmentOf(dev.api, FUNCTIONS[name]);
      expect(label(env.DATABASE_SECRET_ARN, RESOURCE_LABELS)).toBe('appDatabaseSecret');
      expect(env.APP_DATABASE_SECRET_ARN).toBeUndefined();
    }
    const migrate = environmentOf(dev.api, FUNCTIONS.migrate);
    expect(label(migrate.DATABASE_SECRET_ARN, RESOURCE_LABELS)).toBe('databaseSecret');
    expect(label(migrate.APP_DATABASE_SECRET_ARN, RESOURCE_LABELS)).toBe('appDatabaseSecret');
  });
});

describe('item 16: log levels, alarm subscribers, CORS, pinned prod, operator names', () => {
  it("Lambda's JSON log filter lets the stage's level through (dev DEBUG, prod INFO)", () => {
    for (const [stage, s] of both()) {
      for (const name of NAMES) {
        const props = fn(s, name);
        const level = (props.Environment as { Variables: Record<string, string> }).Variables.LOG_LEVEL;
        expect(level).toBe(stage === 'dev' ? 'DEBUG' : 'INFO');
        expect(props.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: level });
      }
    }
  });

  it('each function is named live-sale-<stage>-<name> and logs to /aws/lambda/<that name>', () => {
    for (const [stage, s] of both()) {
      for (const name of NAMES) {
        const props = fn(s, name);
        expect(props.FunctionName).toBe(`live-sale-${stage}-${name}`);
        const group = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(resources(s.api, 'AWS::Logs::LogGroup')[group]?.Properties.LogGroupName).toBe(
          `/aws/lambda/live-sale-${stage}-${name}`,
        );
      }
    }
  });

  it('says so when alarms notify nobody (dev), and subscribes the pinned address (prod)', () => {
    dev.api.resourceCountIs('AWS::SNS::Subscription', 0);
    dev.api.hasOutput('AlarmSubscriptions', { Value: Match.stringLikeRegexp('^none') });
    Annotations.fromStack(dev.stacks.api).hasWarning('*', Match.stringLikeRegexp('alarms notify nobody'));
    prod.api.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: TEST_PROD_PIN.alarmEmail,
    });
    prod.api.hasOutput('AlarmSubscriptions', { Value: TEST_PROD_PIN.alarmEmail });
    expect(
      Annotations.fromStack(prod.stacks.api).findWarning('*', Match.stringLikeRegexp('notify nobody')),
    ).toEqual([]);
  });

  it('prod is pinned to the account, region and CORS origins of its pin', () => {
    for (const stack of [prod.stacks.data, prod.stacks.api]) {
      expect(stack.account).toBe(TEST_PROD_PIN.account);
      expect(stack.region).toBe(TEST_PROD_PIN.region);
    }
    prod.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: TEST_PROD_PIN.corsOrigins }),
    });
  });

  it('prod refuses to synthesize for a deploy without a pin, and refuses placeholder pins', () => {
    expect(() => stageConfig('prod', { forDeploy: true })).toThrow(/live-sale:prod/);
    const bad = [
      { ...TEST_PROD_PIN, corsOrigins: ['https://example.com'] },
      { ...TEST_PROD_PIN, corsOrigins: ['*'] },
      { ...TEST_PROD_PIN, corsOrigins: [] },
      { ...TEST_PROD_PIN, account: '12345' },
      { ...TEST_PROD_PIN, availabilityZones: ['us-east-1a', 'us-east-1b'] },
    ];
    for (const pin of bad) expect(() => stageConfig('prod', { pin, forDeploy: true })).toThrow(/invalid/);
    expect(stageConfig('prod', { pin: JSON.stringify(TEST_PROD_PIN), forDeploy: true }).env).toEqual({
      account: TEST_PROD_PIN.account,
      region: TEST_PROD_PIN.region,
    });
  });

  it('synthesizing every stage (checks) pins an unpinned prod to an account no deploy can use', () => {
    const app = new App({ context: NO_BUNDLING, outdir: undefined });
    const all = buildApp(app);
    expect(all.prod?.api.account).toBe(CHECK_ONLY_PIN.account);
    expect(stageConfig('prod').http.corsOrigins).toEqual(['https://unpinned.invalid']);
    expect(all.dev?.api.account).toMatch(/^\$\{Token/); // dev: environment-agnostic
    // Offline: a pinned stage must not need a context lookup (the CLI would need credentials).
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });

  it('-c recycle=<value> changes every function, so each gets fresh environments (new secrets)', () => {
    const recycled = synthesizeStage('dev', { ...NO_BUNDLING, [RECYCLE_CONTEXT]: '1733000000' });
    for (const name of NAMES)
      expect(environmentOf(recycled.api, FUNCTIONS[name]).RECYCLED_AT).toBe('1733000000');
    for (const name of NAMES) expect(environmentOf(dev.api, FUNCTIONS[name]).RECYCLED_AT).toBeUndefined();
  });
});
