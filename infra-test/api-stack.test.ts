import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCS_ASSETS } from '../functions/http/routes/docs.js';
import { PROJECT_ROOT } from '../lib/constructs/app-function.js';
import { DOCS_ASSET_FILES, DOCS_ASSETS_SOURCE, MIGRATIONS_SOURCE } from '../lib/stacks/api-stack.js';
import {
  environmentOf,
  label,
  logicalId,
  type Permission,
  permissionsOf,
  RESOURCE_LABELS,
  resource,
  resources,
  type SynthesizedStage,
  synthesizeStage,
} from './support/synth.js';

let s: SynthesizedStage;
beforeAll(() => {
  s = synthesizeStage('dev', undefined, { bundle: true });
});

const FUNCTIONS = ['Http', 'Ws', 'Writer', 'Fanout', 'Sweeper', 'Migrate'] as const;
const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const read = (...secrets: string[]): Permission[] =>
  secrets.map((resource) => ({ action: 'secretsmanager:GetSecretValue', resource }));
const send = (...queues: string[]): Permission[] =>
  queues.map((resource) => ({ action: 'sqs:SendMessage', resource }));
const consume = (queue: string): Permission[] => CONSUME.map((action) => ({ action, resource: queue }));
// The recovery fence reads the depth of the persist queue and its DLQ, and peeks into the DLQ to
// tell whose dead letters they are (persist-queue-probe.ts): ReceiveMessage there, nothing to delete.
const probe: Permission[] = [
  { action: 'sqs:GetQueueAttributes', resource: 'persistQueue' },
  { action: 'sqs:GetQueueAttributes', resource: 'persistDlq' },
  { action: 'sqs:ReceiveMessage', resource: 'persistDlq' },
];
const post: Permission[] = [{ action: 'execute-api:ManageConnections', resource: 'webSocketPost' }];
const sorted = (ps: Permission[]) =>
  [...ps].sort((a, b) => `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`));

describe('IAM: least privilege, exact actions on exact resources', () => {
  const expected: Record<(typeof FUNCTIONS)[number], Permission[]> = {
    Http: [
      ...send('persistQueue', 'fanoutQueue'),
      ...probe,
      ...read('jwtSecret', 'webhookSecret', 'redisAuthToken', 'appDatabaseSecret'),
      // Starts each auction's close execution at create (issue 27, lib/constructs/auction-closer.ts).
      { action: 'states:StartExecution', resource: 'auctionCloser' },
    ],
    // DELETE: a connection over its message limit is closed (issue 24 item 10).
    Ws: [
      ...read('jwtSecret', 'redisAuthToken', 'appDatabaseSecret'),
      ...post,
      { action: 'execute-api:ManageConnections', resource: 'webSocketDelete' },
    ],
    // The application user for the request path; the schema owner's secret only for migrate,
    // which also reads the application user's to create it.
    // The writer sends the notifications it committed to the fan-out (issue 27); the fan-out numbers
    // the fast path's in PostgreSQL.
    Writer: [...consume('persistQueue'), ...send('fanoutQueue'), ...read('appDatabaseSecret')],
    // appsync:EventPublish: the broadcast channels (API.md v1.2), the fan-out's alone (broadcast.test.ts).
    Fanout: [
      ...consume('fanoutQueue'),
      ...send('fanoutQueue'),
      ...read('redisAuthToken', 'appDatabaseSecret'),
      ...post,
      { action: 'appsync:EventPublish', resource: 'liveChannels' },
    ],
    Sweeper: [
      ...send('persistQueue', 'fanoutQueue'),
      ...probe,
      ...read('redisAuthToken', 'appDatabaseSecret'),
    ],
    Migrate: read('databaseSecret', 'appDatabaseSecret'),
  };
  for (const name of FUNCTIONS) {
    it(`${name} function gets exactly what it needs`, () => {
      expect(permissionsOf(s.api, `${name}Function`)).toEqual(sorted(expected[name]));
    });
  }

  it('ManageConnections is scoped to this API, its stage and POST (ws: also DELETE) only', () => {
    const policies = resources(s.api, 'AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> })
          .Statement,
    );
    const manage = statements.filter((st) => st.Action === 'execute-api:ManageConnections');
    expect(manage).toHaveLength(2);
    const api = logicalId(s.api, 'AWS::ApiGatewayV2::Api', 'WebSocketApi');
    for (const st of manage) {
      expect(JSON.stringify(st.Resource)).toContain(`{"Ref":"${api}"},"/live/POST/@connections/*"`);
      for (const resource of ([] as unknown[]).concat(st.Resource)) {
        expect(JSON.stringify(resource)).toMatch(/"\/live\/(POST|DELETE)\/@connections\/\*"/);
      }
    }
    expect(manage.filter((st) => JSON.stringify(st.Resource).includes('/live/DELETE/'))).toHaveLength(1);
  });

  it('no inline statement grants a wildcard action or Resource "*"', () => {
    for (const policy of Object.values(resources(s.api, 'AWS::IAM::Policy'))) {
      for (const st of (
        policy.Properties.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }
      ).Statement) {
        expect(([] as unknown[]).concat(st.Action).some((a) => String(a).includes('*'))).toBe(false);
        expect(([] as unknown[]).concat(st.Resource)).not.toContain('*');
      }
    }
  });
});

describe('functions', () => {
  it('are Node 24 on ARM64, JSON logs, source maps on', () => {
    const fns = resources(s.api, 'AWS::Lambda::Function');
    const app = Object.entries(fns).filter(([id]) => FUNCTIONS.some((n) => id.startsWith(`${n}Function`)));
    expect(app).toHaveLength(6);
    for (const [, fn] of app) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON' },
      });
      expect(fn.Properties?.Environment).toMatchObject({
        Variables: { NODE_OPTIONS: '--enable-source-maps' },
      });
    }
  });

  it('log to their own log group with the stage retention', () => {
    for (const name of FUNCTIONS) {
      const fn = resource(s.api, 'AWS::Lambda::Function', `${name}Function`);
      const group = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources(s.api, 'AWS::Logs::LogGroup')[group]?.Properties).toMatchObject({
        RetentionInDays: 7,
      });
    }
  });

  const common = ['LOG_LEVEL', 'NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'];
  const redis = ['REDIS_AUTH_SECRET_ARN', 'REDIS_CLUSTER', 'REDIS_URL'];
  const db = ['DATABASE_HOST', 'DATABASE_SECRET_ARN'];
  const queues = ['FANOUT_QUEUE_URL', 'PERSIST_QUEUE_URL', 'PERSIST_DLQ_URL'];
  // Where watchers read the broadcast channels (GET /realtime, `subscribed`, `delivery.changed`).
  const channels = ['EVENTS_API_KEY', 'EVENTS_HOST', 'EVENTS_REALTIME_URL'];
  const env: Record<(typeof FUNCTIONS)[number], string[]> = {
    Http: [
      ...common,
      ...redis,
      ...db,
      ...queues,
      ...channels,
      'JWT_SECRET_ARN',
      'WEBHOOK_SECRET_ARN',
      'AUCTION_CLOSER_ARN',
      'PUBLIC_WS_URL',
    ],
    Ws: [...common, ...redis, ...db, ...channels, 'JWT_SECRET_ARN', 'WS_MANAGEMENT_ENDPOINT'],
    Writer: [...common, ...db, 'FANOUT_QUEUE_URL'],
    Fanout: [
      ...common,
      ...redis,
      ...db,
      ...channels,
      'EVENTS_HTTP_URL',
      'EVENTS_REGION',
      'FANOUT_QUEUE_URL',
      'WS_MANAGEMENT_ENDPOINT',
    ],
    Sweeper: [...common, ...redis, ...db, ...queues],
    Migrate: [...common, ...db, 'APP_DATABASE_SECRET_ARN', 'MIGRATIONS_DIR'],
  };
  for (const name of FUNCTIONS) {
    it(`${name} gets exactly the variables of docs/CONVENTIONS.md it uses`, () => {
      expect(Object.keys(environmentOf(s.api, `${name}Function`)).sort()).toEqual([...env[name]].sort());
    });
  }

  it('wire Redis as a TLS cluster URL, the proxy as database host, and the stage callback URL', () => {
    const http = environmentOf(s.api, 'HttpFunction');
    expect(http.REDIS_CLUSTER).toBe('true');
    expect(JSON.stringify(http.REDIS_URL)).toMatch(
      /rediss:\/\/.*RedisReplicationGroup.*ConfigurationEndPoint.*:6379/,
    );
    expect(JSON.stringify(http.DATABASE_HOST)).toMatch(/DatabaseClusterProxy.*Endpoint/);
    expect(label(http.PERSIST_QUEUE_URL, RESOURCE_LABELS)).toBe('persistQueue');
    expect(label(http.FANOUT_QUEUE_URL, RESOURCE_LABELS)).toBe('fanoutQueue');
    expect(http.POWERTOOLS_SERVICE_NAME).toBe('live-sale-dev-http');
    // GET /realtime answers the WebSocket stage's own wss:// URL.
    expect(JSON.stringify(http.PUBLIC_WS_URL)).toMatch(/wss:\/\/.*WebSocketApi.*\/live/);
    expect(http.POWERTOOLS_METRICS_NAMESPACE).toBe('live-sale-dev');
    const fanout = environmentOf(s.api, 'FanoutFunction');
    expect(JSON.stringify(fanout.WS_MANAGEMENT_ENDPOINT)).toMatch(
      /https:\/\/.*WebSocketApi.*execute-api.*\/live"/,
    );
  });

  it('sit in the VPC: isolated subnets, except ws and fanout (management API through NAT)', () => {
    for (const name of FUNCTIONS) {
      const fn = resource(s.api, 'AWS::Lambda::Function', `${name}Function`);
      const subnets = JSON.stringify((fn.Properties.VpcConfig as { SubnetIds: unknown }).SubnetIds);
      const kind = name === 'Ws' || name === 'Fanout' ? 'functions' : 'data';
      expect(subnets).toMatch(new RegExp(`Vpc${kind}Subnet1`));
      expect(subnets).toMatch(new RegExp(`Vpc${kind}Subnet2`));
      expect(subnets).not.toMatch(new RegExp(`Vpc${kind === 'data' ? 'functions' : 'data'}Subnet`));
    }
  });

  it('open egress only where needed: 443 to the internet for ws and fanout alone', () => {
    const groups = resources(s.api, 'AWS::EC2::SecurityGroup');
    for (const name of FUNCTIONS) {
      const sg = groups[logicalId(s.api, 'AWS::EC2::SecurityGroup', `${name}FunctionSecurityGroup`)];
      const egress =
        (sg?.Properties?.SecurityGroupEgress as Array<{ CidrIp?: string; FromPort?: number }>) ?? [];
      const open = egress.filter((e) => e.CidrIp === '0.0.0.0/0');
      if (name === 'Ws' || name === 'Fanout')
        expect(open).toEqual([expect.objectContaining({ FromPort: 443, ToPort: 443 })]);
      else expect(open).toEqual([]);
    }
  });

  it('are the only clients Redis (6379) and the RDS Proxy (5432) admit', () => {
    const ingress = Object.values(resources(s.api, 'AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties ?? {},
    );
    const from = (port: number) =>
      ingress
        .filter((r) => r.FromPort === port)
        .map((r) => JSON.stringify(r.SourceSecurityGroupId).match(/"(\w+)FunctionSecurityGroup/)?.[1])
        .sort();
    expect(from(6379)).toEqual(['Fanout', 'Http', 'Sweeper', 'Ws']);
    expect(from(5432)).toEqual(['Fanout', 'Http', 'Migrate', 'Sweeper', 'Writer', 'Ws']);
  });
});

describe('event sources', () => {
  it('persist -> writer: batches of 100 within 1 s, partial batch responses, bounded concurrency', () => {
    s.api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(s.api, 'AWS::Lambda::Function', 'WriterFunction') },
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('PersistQueue') },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('fanout -> fanout: no batching window (latency first), so at most 10 per batch, partial batch responses', () => {
    s.api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(s.api, 'AWS::Lambda::Function', 'FanoutFunction') },
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('FanoutQueue') },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('queue visibility timeouts are at least 6x the consumer timeouts', () => {
    const queues = resources(s.data, 'AWS::SQS::Queue');
    for (const [fnName, queuePrefix] of [
      ['WriterFunction', 'PersistQueue'],
      ['FanoutFunction', 'FanoutQueue'],
    ] as const) {
      const fn = resource(s.api, 'AWS::Lambda::Function', fnName);
      const queue = queues[logicalId(s.data, 'AWS::SQS::Queue', queuePrefix)];
      expect(Number(queue?.Properties?.VisibilityTimeout)).toBeGreaterThanOrEqual(
        6 * Number(fn?.Properties?.Timeout),
      );
    }
  });

  it('the sweeper runs every minute, without retries (the next run redoes the work)', () => {
    s.api.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(s.api, 'AWS::Lambda::Function', 'SweeperFunction'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
  });
});

describe('APIs', () => {
  it('HTTP API: one $default route to the http function (payload v2), CORS, throttled stage with access logs', () => {
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['*'],
        AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        ExposeHeaders: ['retry-after'],
      }),
    });
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('WebSocket API: route selection on body.action, $connect/$disconnect/$default to ws, throttled stage "live"', () => {
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    const routes = Object.values(resources(s.api, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties?.RouteKey,
    );
    expect(routes.sort()).toEqual(['$connect', '$default', '$default', '$disconnect']);
    s.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
    const wsFn = logicalId(s.api, 'AWS::Lambda::Function', 'WsFunction');
    const permissions = Object.values(resources(s.api, 'AWS::Lambda::Permission')).filter(
      (p) =>
        JSON.stringify(p.Properties?.FunctionName).includes(wsFn) &&
        p.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    expect(permissions).toHaveLength(3);
  });

  it('outputs the HTTP URL, the WebSocket URL and the management endpoint', () => {
    s.api.hasOutput('HttpApiUrl', {});
    s.api.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['wss://'])] } });
    s.api.hasOutput('WebSocketManagementEndpoint', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://'])] },
    });
    s.api.hasOutput('PersistDeadLetterQueueArn', {});
  });
});

describe('migrations at deploy', () => {
  it('a trigger runs the migrate function before http, writer and sweeper are updated', () => {
    const triggerId = logicalId(s.api, 'Custom::Trigger', 'RunMigrations');
    const trigger = resources(s.api, 'Custom::Trigger')[triggerId];
    expect(JSON.stringify(trigger?.Properties?.HandlerArn)).toContain('MigrateFunction');
    for (const name of ['Http', 'Writer', 'Sweeper']) {
      const fn = resource(s.api, 'AWS::Lambda::Function', `${name}Function`);
      expect(fn?.DependsOn ?? []).toContain(triggerId);
    }
  });

  it('the migrate bundle carries the SQL migrations next to index.mjs', () => {
    const fnId = logicalId(s.api, 'AWS::Lambda::Function', 'MigrateFunction');
    const fn = s.api.toJSON().Resources[fnId] as { Metadata: Record<string, string> };
    const bundle = join(s.assembly.directory, fn.Metadata['aws:asset:path'] as string);
    expect(readdirSync(bundle)).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map', 'migrations']));
    const source = join(PROJECT_ROOT, MIGRATIONS_SOURCE);
    const expected = existsSync(source)
      ? readdirSync(source)
          .filter((f) => f.endsWith('.sql'))
          .sort()
      : [];
    expect(readdirSync(join(bundle, 'migrations')).sort()).toEqual(expected);
  });

  it('the http bundle carries the API reference page assets next to index.mjs', () => {
    const fnId = logicalId(s.api, 'AWS::Lambda::Function', 'HttpFunction');
    const fn = s.api.toJSON().Resources[fnId] as { Metadata: Record<string, string> };
    const bundle = join(s.assembly.directory, fn.Metadata['aws:asset:path'] as string);
    expect(readdirSync(join(bundle, 'docs-assets')).sort()).toEqual([...DOCS_ASSET_FILES].sort());
    expect(Object.keys(DOCS_ASSETS).sort()).toEqual([...DOCS_ASSET_FILES].sort());
    for (const file of DOCS_ASSET_FILES) {
      expect(readFileSync(join(bundle, 'docs-assets', file))).toEqual(
        readFileSync(join(PROJECT_ROOT, DOCS_ASSETS_SOURCE, file)),
      );
    }
  });

  it('no Lambda bundle carries anything of the demo app (demo/ runs in npm run local only)', () => {
    let checked = 0;
    for (const fn of Object.values(resources(s.api, 'AWS::Lambda::Function'))) {
      const assetPath = (fn as { Metadata?: Record<string, string> }).Metadata?.['aws:asset:path'];
      const map = assetPath ? join(s.assembly.directory, assetPath, 'index.mjs.map') : undefined;
      if (!map || !existsSync(map)) continue;
      const sources = (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources;
      expect(sources.length).toBeGreaterThan(0);
      expect(sources.filter((source) => /(^|\/)demo\//.test(source))).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('bundles are ESM with the createRequire banner', () => {
    const fnId = logicalId(s.api, 'AWS::Lambda::Function', 'HttpFunction');
    const fn = s.api.toJSON().Resources[fnId] as { Metadata: Record<string, string> };
    const code = readFileSync(
      join(s.assembly.directory, fn.Metadata['aws:asset:path'] as string, 'index.mjs'),
      'utf8',
    );
    expect(code.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
  });
});

describe('alarms and dashboard', () => {
  const alarms = () =>
    Object.values(resources(s.api, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});

  it('every alarm notifies the alarm topic', () => {
    const topic = logicalId(s.api, 'AWS::SNS::Topic', 'MonitoringAlarmTopic');
    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it('a message in either dead-letter queue alarms at once', () => {
    for (const queue of ['PersistDeadLetter', 'FanoutDeadLetter']) {
      expect(
        alarms().filter(
          (a) =>
            a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            a.Threshold === 0 &&
            a.ComparisonOperator === 'GreaterThanThreshold' &&
            JSON.stringify(a.Dimensions).includes(queue),
        ),
      ).toHaveLength(1);
    }
  });

  it('errors and throttles of every function, HTTP p99 latency, persist backlog age', () => {
    for (const name of FUNCTIONS) {
      const fnId = logicalId(s.api, 'AWS::Lambda::Function', `${name}Function`);
      for (const metric of ['Errors', 'Throttles']) {
        expect(
          alarms().filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(fnId)),
        ).toHaveLength(1);
      }
    }
    expect(
      alarms().filter(
        (a) => a.MetricName === 'Latency' && a.ExtendedStatistic === 'p99' && a.Threshold === 500,
      ),
    ).toHaveLength(1);
    expect(alarms().filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')).toHaveLength(1);
  });

  it('Redis CPU and memory alarm on the worst node', () => {
    for (const metric of ['EngineCPUUtilization', 'DatabaseMemoryUsagePercentage']) {
      const matching = alarms().filter((a) => JSON.stringify(a.Metrics ?? []).includes(metric));
      expect(matching).toHaveLength(1);
      expect(JSON.stringify(matching[0]?.Metrics)).toContain('live-sale-dev-0001-001');
    }
  });

  it('a dashboard exists', () => {
    s.api.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
