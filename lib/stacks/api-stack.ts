import * as path from 'node:path';
import {
  Annotations,
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
} from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { schedules } from '../config/event-sources.js';
import { functionTimeoutSeconds } from '../config/functions.js';
import { httpCors } from '../config/http-cors.js';
import type { StageConfig } from '../config/stages.js';
import { AppFunction, type FunctionName } from '../constructs/app-function.js';
import { AuctionCloser } from '../constructs/auction-closer.js';
import { BroadcastChannels } from '../constructs/broadcast-channels.js';
import { Monitoring } from '../constructs/monitoring.js';
import { authEnvironment } from '../constructs/user-directory.js';
import { acknowledge } from '../nag.js';
import type { DataStack } from './data-stack.js';

export const WEBSOCKET_STAGE = 'live';
/** Migrations are copied next to the migrate bundle (see docs/DEPLOY.md, "Migrations"). */
export const MIGRATIONS_SOURCE = path.join('functions', 'adapters', 'postgres', 'migrations');
export const MIGRATIONS_DIR_IN_LAMBDA = '/var/task/migrations';
export const DOCS_ASSETS_SOURCE = path.join('node_modules', 'swagger-ui-dist');
export const DOCS_ASSET_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

export interface ApiStackProps extends StackProps {
  readonly stage: StageConfig;
  readonly data: DataStack;
}

/**
 * Everything stateless: the six functions, both APIs, event sources, the schedule, the migration
 * trigger and the monitoring. It can be destroyed and redeployed without losing data.
 */
export class ApiStack extends Stack {
  readonly functions: Record<FunctionName, AppFunction>;
  readonly httpApi: apigwv2.HttpApi;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly broadcast: BroadcastChannels;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { stage, data } = props;
    const prefix = `live-sale-${stage.name}`;
    const common = { stage, serviceName: prefix, vpc: data.vpc };

    const fn = (
      name: FunctionName,
      description: string,
      extra: Partial<ConstructorParameters<typeof AppFunction>[2]> = {},
    ) =>
      new AppFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        ...common,
        name,
        description,
        subnets: data.isolatedSubnets,
        ...extra,
      });

    // With an identity provider, http fetches its JWKS over the internet (Cognito's too): NAT.
    const http = fn('http', 'HTTP API (Hono): validate, decide on Redis, enqueue, answer', {
      ...(stage.auth ? { subnets: data.egressSubnets } : {}),
      memorySize: stage.functions.httpMemoryMb,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // GET /docs serves Swagger UI's files from beside the bundle (functions/http/routes/docs.ts):
        // the page works without any network, and index.mjs stays small (they are read on first use).
        afterBundling: (inputDir: string, outputDir: string) => [
          `mkdir -p "${outputDir}/docs-assets"`,
          ...DOCS_ASSET_FILES.map(
            (file) => `cp "${inputDir}/${DOCS_ASSETS_SOURCE}/${file}" "${outputDir}/docs-assets/${file}"`,
          ),
        ],
      },
    });
    // ws and fanout call the management API, which no VPC endpoint serves: they need the NAT.
    const ws = fn('ws', 'WebSocket $connect / $disconnect / $default', { subnets: data.egressSubnets });
    // Timeouts come from lib/config/functions.ts (sized from each function's work; the queues'
    // visibility timeouts are six times their consumer's).
    const writer = fn('writer', 'SQS persist -> PostgreSQL, idempotent, partial batch failures');
    const fanout = fn('fanout', 'SQS fanout -> newest state per topic -> PostToConnection', {
      subnets: data.egressSubnets,
      memorySize: 1024,
    });
    const sweeper = fn('sweeper', 'Every minute: close ended auctions, expire reservations, re-send outbox');
    const migrate = fn('migrate', 'Runs the SQL migrations at deploy (CDK Trigger)', {
      memorySize: 256,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // Plain SQL files are not imports, so esbuild would not see them: copy them beside the
        // bundle. Tolerates a missing folder so synth works before the first migration exists.
        afterBundling: (inputDir: string, outputDir: string) => [
          `mkdir -p "${outputDir}/migrations"`,
          `if [ -d "${inputDir}/${MIGRATIONS_SOURCE}" ]; then find "${inputDir}/${MIGRATIONS_SOURCE}" -maxdepth 1 -name '*.sql' -exec cp {} "${outputDir}/migrations/" \\; ; fi`,
        ],
      },
    });
    migrate.addEnvironment('MIGRATIONS_DIR', MIGRATIONS_DIR_IN_LAMBDA);
    this.functions = { http, ws, writer, fanout, sweeper, migrate };

    // --- bindings: each call sets the env var(s) and the matching grant / network rule -----------
    for (const f of [http, ws, fanout, sweeper]) data.redis.connect(f);
    // The application user for the request path; the schema owner only for migrations. ws reads
    // PostgreSQL so that a subscribe to an entity Redis lost is answered truthfully (closed auctions
    // from PostgreSQL, lost live ones `temporarily_unavailable`, see realtime/use-cases/recover-topic.ts).
    // fanout: the notifications' fast path numbers them in PostgreSQL (docs/notifications.md).
    for (const f of [http, ws, writer, fanout, sweeper]) data.database.connect(f, 'application');
    data.database.connect(migrate, 'owner');
    for (const f of [http, sweeper]) {
      data.persistQueue.sendFrom(f, 'PERSIST_QUEUE_URL');
      data.fanoutQueue.sendFrom(f, 'FANOUT_QUEUE_URL');
      // Both rebuild entities Redis lost, fenced until the persist queue and its DLQ are drained.
      data.persistQueue.probedBy(f, 'PERSIST_DLQ_URL');
    }
    // The fan-out splits waves to many watchers into parts and points other invocations at them
    // through its own queue (functions/realtime/use-cases/wave-parts.ts).
    data.fanoutQueue.sendFrom(fanout, 'FANOUT_QUEUE_URL');
    // The writer sends the notifications it committed to the fan-out, which pushes them (issue 27).
    data.fanoutQueue.sendFrom(writer, 'FANOUT_QUEUE_URL');
    // Every function reads at least one secret at cold start; only producers reach SQS.
    for (const f of Object.values(this.functions))
      f.reaches(data.secretsManagerEndpoint, 'Secrets Manager endpoint');
    for (const f of [http, sweeper, fanout, writer]) f.reaches(data.sqsEndpoint, 'SQS endpoint');
    http.readsSecret(data.webhookSecret, 'WEBHOOK_SECRET_ARN');
    // Sign-in (API.md v1.2): HS256 with the generated secret unless the stage names an identity
    // provider; then its issuer, and HS256 only if the stage keeps it. One verifier in http and ws.
    for (const f of [http, ws]) {
      if (!stage.auth || stage.auth.hs256) f.readsSecret(data.jwtSecret, 'JWT_SECRET_ARN');
      for (const [name, value] of Object.entries(authEnvironment(stage.auth, data.userDirectory))) {
        f.addEnvironment(name, value);
      }
    }
    if (stage.auth) {
      http.connections.allowToAnyIpv4(ec2.Port.tcp(443), 'http: the token issuer JWKS via NAT');
    }

    // Batch size, window and concurrency come from lib/config/event-sources.ts (shared with the
    // local runtime); see lambdaBatching for how a sub-second window maps onto Lambda.
    data.persistQueue.consumeBy(writer);
    data.fanoutQueue.consumeBy(fanout);

    // --- HTTP API ------------------------------------------------------------------------------
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${prefix}-http`,
      description: 'Live auctions and flash sales, public API v1',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('HttpIntegration', http, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
      corsPreflight: {
        allowOrigins: stage.http.corsOrigins,
        allowMethods: httpCors.allowMethods.map((method) => apigwv2.CorsHttpMethod[method]),
        allowHeaders: [...httpCors.allowHeaders],
        exposeHeaders: [...httpCors.exposeHeaders],
        maxAge: Duration.seconds(httpCors.maxAgeSeconds),
      },
    });
    new apigwv2.HttpStage(this, 'HttpStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: stage.http.rateLimit, burstLimit: stage.http.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'HttpAccessLogs', {
            retention: stage.logRetentionDays as logs.RetentionDays,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
      },
    });

    // --- WebSocket API ---------------------------------------------------------------------------
    const wsIntegration = (id: string) => new WebSocketLambdaIntegration(id, ws);
    this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      apiName: `${prefix}-ws`,
      description: 'Live updates: subscribe to auction:ID / product:ID topics',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration: wsIntegration('ConnectIntegration') },
      disconnectRouteOptions: { integration: wsIntegration('DisconnectIntegration') },
      defaultRouteOptions: { integration: wsIntegration('DefaultIntegration') },
    });
    this.webSocketStage = new apigwv2.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: stage.websocket.rateLimit, burstLimit: stage.websocket.burstLimit },
    });
    // GET /realtime tells clients where to connect (API.md v1.2).
    http.addEnvironment('PUBLIC_WS_URL', this.webSocketStage.url);
    this.allowManageConnections(fanout, ['POST']);
    // DELETE: the ws function closes a connection over its message limit (realtime/use-cases/connection-events.ts).
    this.allowManageConnections(ws, ['POST', 'DELETE']);

    // --- broadcast channels (API.md v1.2) --------------------------------------------------------
    // A topic's updates are published once to its channel of an AppSync Events API, which delivers
    // them to any number of watchers: one request per update instead of one PostToConnection per
    // watcher from the account's shared API Gateway budget (docs/realtime.md). Only the fan-out
    // publishes; http, ws and the fan-out tell watchers where to read.
    this.broadcast = new BroadcastChannels(this, 'Broadcast', { prefix, stage });
    this.broadcast.publishFrom(fanout);
    for (const f of [http, ws, fanout]) this.broadcast.describeTo(f);

    // --- schedule and migrations -----------------------------------------------------------------
    // A missed or failed sweep is redone by the next one a minute later: no retries, no backlog.
    sweeper.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.seconds(60) });
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the sweeper every minute',
      schedule: events.Schedule.rate(Duration.minutes(schedules.sweeper.awsRateMinutes)),
      targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 0, maxEventAge: Duration.seconds(60) })],
    });
    // Each auction closes about a second after its end (issue 27), the sweeper above staying the
    // safety net: one Step Functions execution per auction, started by the http function at create.
    const closer = new AuctionCloser(this, 'AuctionCloser', {
      closeFunction: sweeper,
      stateMachineName: `${prefix}-auction-closer`,
    });
    closer.grantStart(http);
    http.addEnvironment('AUCTION_CLOSER_ARN', closer.stateMachine.stateMachineArn);
    http.reaches(data.stepFunctionsEndpoint, 'Step Functions endpoint');
    // Runs on every deploy whose migrate bundle (code or SQL files) changed, after the data stack
    // and before the functions that need the new schema are updated. It waits for the migrate
    // function's security-group rules (to the proxy, to the Secrets Manager endpoint): on a first
    // deploy CloudFormation would otherwise invoke it before its packets may leave the function
    // (and the handler retries the connect while the rules take effect).
    const trigger = new triggers.Trigger(this, 'RunMigrations', {
      handler: migrate,
      executeOnHandlerChange: true,
      executeBefore: [http, writer, sweeper],
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.seconds(functionTimeoutSeconds.migrate),
    });
    trigger.executeAfter(...this.securityGroupRulesOf(migrate));

    // --- observability and outputs ---------------------------------------------------------------
    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      stage,
      functions: this.functions,
      httpApi: this.httpApi,
      webSocketApi: this.webSocketApi,
      webSocketStageName: WEBSOCKET_STAGE,
      queues: { persist: data.persistQueue, fanout: data.fanoutQueue },
      redis: data.redis,
      databaseClusterIdentifier: prefix,
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.apiEndpoint, description: 'HTTP API base URL' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.webSocketStage.url,
      description: 'WebSocket URL (wss://)',
    });
    new CfnOutput(this, 'WebSocketManagementEndpoint', {
      value: this.webSocketStage.callbackUrl,
      description: 'API Gateway management API (WS_MANAGEMENT_ENDPOINT)',
    });
    new CfnOutput(this, 'EventsRealtimeUrl', {
      value: this.broadcast.realtimeUrl,
      description: 'AppSync Events real-time endpoint of the broadcast channels (wss://)',
    });
    new CfnOutput(this, 'PersistDeadLetterQueueArn', {
      value: data.persistQueue.deadLetterQueue.queueArn,
      description: 'Source ARN for aws sqs start-message-move-task (redrive)',
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'AlarmSubscriptions', {
      value: stage.alarms.email ?? 'none: alarms notify nobody until the topic has a subscriber',
      description: 'Who the alarm topic notifies (alarms.email in lib/config/stages.ts or the pin)',
    });
    if (!stage.alarms.email) {
      // Printed by synth and deploy: an alarm that reaches no one is easy to miss.
      Annotations.of(this).addWarningV2(
        'live-sale:alarms-unsubscribed',
        `stage ${stage.name}: the alarm topic has no subscription, alarms notify nobody. Set alarms.email (or "alarmEmail" in the pin), or subscribe to the AlarmTopicArn output (docs/DEPLOY.md).`,
      );
    }

    this.acknowledgeFindings();
  }

  /**
   * `execute-api:ManageConnections` for the given methods (POST: PostToConnection, DELETE:
   * DeleteConnection) on this API's own stage only. WS_MANAGEMENT_ENDPOINT points at the same stage.
   */
  private allowManageConnections(f: AppFunction, methods: ReadonlyArray<'POST' | 'DELETE'>): void {
    // The management API is public (no VPC endpoint serves WebSocket APIs): HTTPS out via NAT.
    f.connections.allowToAnyIpv4(ec2.Port.tcp(443), `${f.node.id}: API Gateway management API via NAT`);
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['execute-api:ManageConnections'],
        resources: methods.map((method) =>
          this.formatArn({
            service: 'execute-api',
            resource: this.webSocketApi.apiId,
            resourceName: `${WEBSOCKET_STAGE}/${method}/@connections/*`,
          }),
        ),
      }),
    );
    f.addEnvironment('WS_MANAGEMENT_ENDPOINT', this.webSocketStage.callbackUrl);
  }

  /**
   * The security-group rules that open a function's network paths. Rules to resources of the data
   * stack are separate resources (AWS::EC2::SecurityGroupIngress/Egress) in this stack; the
   * function's own group carries its egress rules inline.
   */
  private securityGroupRulesOf(f: AppFunction): CfnElement[] {
    const groups = new Set(f.connections.securityGroups.map((g) => g.securityGroupId));
    const rules: CfnElement[] = [];
    for (const child of this.node.findAll()) {
      if (!(child instanceof ec2.CfnSecurityGroupIngress || child instanceof ec2.CfnSecurityGroupEgress))
        continue;
      const ends = [
        child instanceof ec2.CfnSecurityGroupIngress ? child.sourceSecurityGroupId : child.groupId,
        child instanceof ec2.CfnSecurityGroupEgress ? child.destinationSecurityGroupId : undefined,
      ];
      if (ends.some((end) => end !== undefined && groups.has(end))) rules.push(child);
    }
    for (const group of f.connections.securityGroups) {
      const cfn = group.node.defaultChild;
      if (cfn instanceof ec2.CfnSecurityGroup) rules.push(cfn);
    }
    if (rules.length < 2) throw new Error(`${f.node.id}: expected its security-group rules`);
    return rules;
  }

  private acknowledgeFindings(): void {
    for (const [name, f] of Object.entries(this.functions)) {
      acknowledge(
        f,
        'AwsSolutions-L1',
        "Pinned to Node.js 24 (LTS), the project's one Node line (package.json engines): the bundles target node24 and the code is developed and tested on it; a newer runtime is a deliberate upgrade with its own test run, not something a synth should do silently.",
      );
      const role = f.role?.node.defaultChild ?? f;
      for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
        acknowledge(
          role,
          `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
          `AWS-managed execution policy of the ${name} function: CloudWatch Logs writes and the VPC network-interface actions, which IAM cannot scope to a resource; every application permission is a separate least-privilege statement.`,
        );
      }
    }
    // cdk-nag names an environment-agnostic stack's region and account by their pseudo parameters.
    const region = Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region;
    const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    const grants: Array<[AppFunction, string]> = [
      [this.functions.ws, 'POST'],
      [this.functions.ws, 'DELETE'],
      [this.functions.fanout, 'POST'],
    ];
    for (const [f, method] of grants) {
      acknowledge(
        f,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${region}:${account}:<${this.getLogicalId(this.webSocketApi.node.defaultChild as CfnElement)}>/${WEBSOCKET_STAGE}/${method}/@connections/*]`,
        `Connection ids are created at runtime by API Gateway; the grant is already scoped to this API, its one stage and the ${method} method (${method === 'POST' ? 'PostToConnection' : 'DeleteConnection'}).`,
      );
    }
    acknowledge(
      this.httpApi.node.findChild('DefaultRoute'),
      'AwsSolutions-APIG4',
      'Authorization happens in the function: routes mix public reads, HS256 JWT users/admins and an HMAC-signed webhook, and API Gateway JWT authorizers only verify asymmetric (JWKS) tokens, not HS256.',
    );
    for (const route of ['$connect', '$disconnect', '$default']) {
      acknowledge(
        this.webSocketApi.node.findChild(`${route}-Route`),
        'AwsSolutions-APIG4',
        'Watchers may connect anonymously (public auction updates); an optional ?token= JWT is verified by the ws function at $connect and an invalid one is refused there.',
      );
    }
    acknowledge(
      this.webSocketStage,
      'AwsSolutions-APIG1',
      'WebSocket access logs need the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), a per-region singleton this app must not own; the ws function logs every connect, disconnect and message instead.',
    );
  }
}
