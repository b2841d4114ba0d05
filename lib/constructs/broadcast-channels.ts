import { Duration, Expiration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as appsync from 'aws-cdk-lib/aws-appsync';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { acknowledge } from '../nag.js';
import type { AppFunction } from './app-function.js';

/** The channel namespace of every topic's channel (`/live/auction/{id}`, `/live/product/{id}`). */
export const BROADCAST_NAMESPACE = 'live';

/**
 * AppSync API keys expire (at most 365 days after they are set). The expiry is written at synth
 * time, so every deploy pushes it a year ahead; the key's value does not change. A stage left
 * undeployed for a year loses its channels' subscribe key (GET /realtime keeps answering it,
 * subscribes are refused), which a deploy repairs.
 */
const API_KEY_LIFETIME = Duration.days(365);

export interface BroadcastChannelsProps {
  readonly prefix: string;
  readonly stage: StageConfig;
}

/**
 * Broadcast channels for crowds (API.md v1.2): an AppSync Events API whose namespace `live` is
 * published to by IAM only (the fan-out's role: `publishFrom`) and subscribed to with an API key
 * that is public by design (docs/realtime.md, "Who may publish, who may subscribe").
 *
 * Connecting needs the API key too: a watcher's socket never publishes, and the fan-out publishes
 * over HTTP, so no IAM connection mode is configured.
 */
export class BroadcastChannels extends Construct {
  readonly api: appsync.EventApi;
  readonly namespace: appsync.ChannelNamespace;
  readonly apiKey: appsync.CfnApiKey;

  constructor(scope: Construct, id: string, props: BroadcastChannelsProps) {
    super(scope, id);
    this.api = new appsync.EventApi(this, 'EventApi', {
      apiName: `${props.prefix}-events`,
      ownerContact: props.prefix,
      authorizationConfig: {
        authProviders: [
          {
            authorizationType: appsync.AppSyncAuthorizationType.API_KEY,
            apiKeyConfig: {
              name: 'watchers',
              description: 'Public subscribe key of the live channels (returned by GET /realtime)',
              expires: Expiration.after(API_KEY_LIFETIME),
            },
          },
          { authorizationType: appsync.AppSyncAuthorizationType.IAM },
        ],
        connectionAuthModeTypes: [appsync.AppSyncAuthorizationType.API_KEY],
        defaultPublishAuthModeTypes: [appsync.AppSyncAuthorizationType.IAM],
        defaultSubscribeAuthModeTypes: [appsync.AppSyncAuthorizationType.API_KEY],
      },
    });
    this.logErrors(props.stage);
    this.namespace = this.api.addChannelNamespace('Live', {
      channelNamespaceName: BROADCAST_NAMESPACE,
      authorizationConfig: {
        publishAuthModeTypes: [appsync.AppSyncAuthorizationType.IAM],
        subscribeAuthModeTypes: [appsync.AppSyncAuthorizationType.API_KEY],
      },
    });
    const key = this.api.apiKeys.watchers;
    if (!key) throw new Error('the Events API has no watchers key');
    this.apiKey = key;
  }

  /**
   * Errors only (an INFO line per event would log every bid a crowd watches), to a log group made
   * here with the stage's retention. Set on the CfnApi rather than through `logConfig`, which
   * adds a log-retention custom-resource function and a role with an AWS-managed policy; this
   * role may write to this one group only.
   */
  private logErrors(stage: StageConfig): void {
    // AppSync writes to /aws/appsync/apis/{apiId}, creating it on first write unless it exists.
    const group = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/appsync/apis/${this.api.apiId}`,
      retention: stage.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'LogsRole', {
      assumedBy: new iam.ServicePrincipal('appsync.amazonaws.com'),
      description: 'AppSync Events writes its error logs to its own log group',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${group.logGroupArn}`],
      }),
    );
    const cfn = this.api.node.defaultChild as appsync.CfnApi;
    cfn.addPropertyOverride('EventConfig.LogConfig', {
      CloudWatchLogsRoleArn: role.roleArn,
      LogLevel: 'ERROR',
    });
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(group.node.defaultChild as logs.CfnLogGroup)}.Arn>]`,
      'The log group ARN ends in :* (all its streams, which AppSync names at runtime); the grant is this one group.',
    );
  }

  /** `https://{http domain}/event`: where the fan-out publishes. */
  get httpUrl(): string {
    return `https://${this.api.httpDns}/event`;
  }

  /** `wss://{realtime domain}/event/realtime`: where watchers subscribe. */
  get realtimeUrl(): string {
    return `wss://${this.api.realtimeDns}/event/realtime`;
  }

  /**
   * What a function needs to tell watchers where the channels are (GET /realtime, `subscribed`
   * and `delivery.changed`): the realtime URL, and the authorization object's host and API key.
   */
  describeTo(f: AppFunction): void {
    f.addEnvironment('EVENTS_REALTIME_URL', this.realtimeUrl);
    f.addEnvironment('EVENTS_HOST', this.api.httpDns);
    f.addEnvironment('EVENTS_API_KEY', this.apiKey.attrApiKey);
  }

  /**
   * Publishing to the `live` namespace, for this function only: `appsync:EventPublish` on the
   * namespace's channels, the HTTP endpoint and the signing region in its environment, HTTPS out
   * (the Events API is public; no VPC endpoint serves it).
   */
  publishFrom(f: AppFunction): void {
    this.namespace.grantPublish(f);
    f.addEnvironment('EVENTS_HTTP_URL', this.httpUrl);
    f.addEnvironment('EVENTS_REGION', this.api.env.region);
    f.connections.allowToAnyIpv4(ec2.Port.tcp(443), `${f.node.id}: AppSync Events publish via NAT`);
  }
}
