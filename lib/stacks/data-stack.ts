import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type QueueSettings, queueSettings } from '../config/event-sources.js';
import type { StageConfig } from '../config/stages.js';
import { Database } from '../constructs/database.js';
import { DurableQueue } from '../constructs/durable-queue.js';
import { RedisCluster } from '../constructs/redis-cluster.js';
import { UserDirectory } from '../constructs/user-directory.js';
import { acknowledge } from '../nag.js';

export interface DataStackProps extends StackProps {
  readonly stage: StageConfig;
}

/**
 * Everything that holds state or identity and must survive a redeploy of the code: network, Redis,
 * PostgreSQL, queues (with the events in flight) and the application secrets.
 */
export class DataStack extends Stack {
  readonly vpc: ec2.Vpc;
  /** Functions that must reach the internet: only for the API Gateway management API. */
  readonly egressSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  /** Functions and data stores that need no internet (AWS APIs through interface endpoints). */
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly sqsEndpoint: ec2.InterfaceVpcEndpoint;
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** The http function starts each auction's close execution (lib/constructs/auction-closer.ts). */
  readonly stepFunctionsEndpoint: ec2.InterfaceVpcEndpoint;
  readonly redis: RedisCluster;
  readonly database: Database;
  readonly persistQueue: DurableQueue;
  readonly fanoutQueue: DurableQueue;
  readonly jwtSecret: secretsmanager.Secret;
  readonly webhookSecret: secretsmanager.Secret;
  /** The stage's Cognito users, when its `auth` asks for a user pool. */
  readonly userDirectory: UserDirectory | undefined;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const prefix = `live-sale-${stage.name}`;
    const retention = stage.logRetentionDays as logs.RetentionDays;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ...(stage.availabilityZones
        ? { availabilityZones: stage.availabilityZones }
        : { maxAzs: stage.network.maxAzs }),
      natGateways: stage.network.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
      // The default security group is unused; leaving it as AWS creates it avoids a
      // custom-resource Lambda. Nothing in this app is attached to it.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
          ),
        },
      },
    });
    // Hot path (two SendMessage per accepted write) and cold-start secrets stay inside the VPC.
    // Closed by default: each function is let in by the binding that needs the service.
    const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) =>
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.isolatedSubnets,
        privateDnsEnabled: true,
        open: false,
      });
    this.sqsEndpoint = endpoint('Sqs', ec2.InterfaceVpcEndpointAwsService.SQS);
    this.secretsManagerEndpoint = endpoint(
      'SecretsManager',
      ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    );

    this.stepFunctionsEndpoint = endpoint('StepFunctions', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS);

    this.redis = new RedisCluster(this, 'Redis', {
      vpc: this.vpc,
      subnets: this.isolatedSubnets,
      replicationGroupId: prefix,
      config: stage.redis,
      retainData: stage.retainData,
    });

    this.database = new Database(this, 'Database', {
      vpc: this.vpc,
      subnets: this.isolatedSubnets,
      config: stage.database,
      retainData: stage.retainData,
      clusterIdentifier: prefix,
      logRetention: retention,
    });

    const queue = (id: string, settings: QueueSettings) =>
      new DurableQueue(this, id, { settings, prefix, retainData: stage.retainData });
    this.persistQueue = queue('Persist', queueSettings.persist);
    this.fanoutQueue = queue('Fanout', queueSettings.fanout);

    // Plain-string secrets, read by functions/config.ts `resolveSecret` without a JSON field.
    // Generated at creation; replace the value with the token issuer's / payment provider's one.
    const secretRemoval = stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
      description: `${prefix}: HS256 secret that signs client JWTs`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: secretRemoval,
    });
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: `${prefix}: HMAC secret of the payment provider webhook`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: secretRemoval,
    });

    // Users are stateful: the pool lives here, beside the other data.
    const auth = stage.auth;
    this.userDirectory =
      auth && 'cognito' in auth
        ? new UserDirectory(this, 'Users', {
            prefix,
            adminGroup: auth.cognito.adminGroup,
            callbackUrls: auth.cognito.callbackUrls,
            ...(auth.cognito.logoutUrls ? { logoutUrls: auth.cognito.logoutUrls } : {}),
            retain: stage.retainData,
          })
        : undefined;
    if (this.userDirectory) {
      new CfnOutput(this, 'UserPoolId', { value: this.userDirectory.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userDirectory.client.userPoolClientId });
      new CfnOutput(this, 'TokenIssuer', { value: this.userDirectory.issuer });
    }

    // Where to put the real values after the first deploy (docs/DEPLOY.md).
    new CfnOutput(this, 'JwtSecretArn', {
      value: this.jwtSecret.secretArn,
      description: 'HS256 secret for client JWTs',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: this.webhookSecret.secretArn,
      description: 'Payment webhook HMAC secret',
    });

    this.acknowledgeFindings(stage);
  }

  private acknowledgeFindings(stage: StageConfig): void {
    for (const secret of [this.jwtSecret, this.webhookSecret]) {
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        'Shared with an external party (token issuer, payment provider): rotation has to be coordinated with them, so it is a manual runbook step, not a rotation Lambda.',
      );
    }
    acknowledge(
      this.redis.authToken,
      'AwsSolutions-SMG4',
      'ElastiCache AUTH tokens rotate through ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE then SET), which Secrets Manager rotation does not drive; documented as a manual step in docs/DEPLOY.md.',
    );
    acknowledge(
      this.database.cluster.node.findChild('Secret'),
      'AwsSolutions-SMG4',
      'Functions read the credentials once per cold start; rotating under them would fail new proxy connections until every environment recycles. Enable addRotationSingleUser once the postgres adapter re-reads the secret on an authentication error.',
    );
    acknowledge(
      this.database.node.findChild('AppSecret'),
      'AwsSolutions-SMG4',
      'Functions read the application credentials once per cold start; a rotation under them would fail new proxy logins until every environment recycles. Rotate by hand: put a new password, redeploy with -c recycle (the migrate function sets it on the role), see docs/DEPLOY.md.',
    );
    acknowledge(
      this.redis.replicationGroup,
      'AwsSolutions-AEC5',
      'Port 6379 is the documented REDIS_URL contract; the security group admits only the functions that use Redis, and AUTH + TLS are required, so a non-default port adds nothing.',
    );
    acknowledge(
      this.database.cluster,
      'AwsSolutions-RDS11',
      'Clients reach PostgreSQL only through RDS Proxy, which listens on 5432 whatever the cluster port; the security groups admit only the proxy.',
    );
    if (!stage.database.deletionProtection) {
      acknowledge(
        this.database.cluster,
        'AwsSolutions-RDS10',
        `Stage ${stage.name} is disposable (cdk destroy must work); prod enables deletion protection (lib/config/stages.ts).`,
      );
    }
  }
}
