import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { grantSecretValue } from './app-function.js';

export const DATABASE_NAME = 'livesale';
export const POSTGRES_PORT = 5432;
/** The owner of the schema: the cluster's master user, used by the migrate function only. */
export const MASTER_USER = 'livesale_admin';
/** What http, writer and sweeper log in as: data rights on the tables, no DDL (migrate creates it). */
export const APPLICATION_USER = 'livesale_app';

/** Who a function connects as. */
export type DatabaseUser = 'application' | 'owner';

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly config: StageConfig['database'];
  readonly retainData: boolean;
  readonly clusterIdentifier: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Aurora PostgreSQL Serverless v2, reached only through RDS Proxy (TLS required), which pools the
 * connections of many short-lived Lambda environments. Two users, each with credentials generated
 * into Secrets Manager and registered with the proxy: the master user (owns the schema; the migrate
 * function only) and the application user (http, ws, writer, sweeper), which the migrate function
 * creates and grants data rights to. A secret's JSON (username, password, dbname, port, host) is
 * what functions read, with DATABASE_HOST overriding `host` by the proxy endpoint.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  /** The master user's secret. */
  readonly secret: secretsmanager.ISecret;
  /** The application user's secret. */
  readonly applicationSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const c = props.config;
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // Created here with its retention (rather than `cloudwatchLogsRetention`, which adds a
    // custom-resource Lambda): RDS writes to this exact name once log export is on.
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy,
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_9 }),
      clusterIdentifier: props.clusterIdentifier,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER),
      defaultDatabaseName: DATABASE_NAME,
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      readers: Array.from({ length: c.readers }, (_, i) =>
        rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, { scaleWithWriter: true }),
      ),
      serverlessV2MinCapacity: c.minCapacity,
      serverlessV2MaxCapacity: c.maxCapacity,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      storageEncrypted: true,
      iamAuthentication: true,
      deletionProtection: c.deletionProtection,
      backup: { retention: Duration.days(c.backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
      removalPolicy: props.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    this.cluster.node.addDependency(postgresLogs);
    if (!this.cluster.secret) throw new Error('the cluster must have a generated secret');
    this.secret = this.cluster.secret;
    // Secrets live as long as the data they open: a retained cluster without them is locked.
    (this.cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(removalPolicy);

    // Same generator and character set as the master secret; attached to the cluster, so the JSON
    // carries host, port and dbname too.
    const applicationSecret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: APPLICATION_USER,
      dbname: DATABASE_NAME,
    });
    applicationSecret.applyRemovalPolicy(removalPolicy);
    this.applicationSecret = applicationSecret.attach(this.cluster);

    this.proxy = this.cluster.addProxy('Proxy', {
      // The proxy logs in to PostgreSQL with the secret of the user the client names.
      secrets: [this.secret, this.applicationSecret],
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      requireTLS: true,
      // Lambda environments come and go; keep idle client connections short.
      idleClientTimeout: Duration.minutes(5),
      maxConnectionsPercent: 90,
    });
    // addProxy has already admitted the proxy's security group to the cluster, and nothing else.
  }

  /**
   * Network path to the proxy, the credentials secret of `user` and the proxy endpoint, in one call.
   * Functions connect to the proxy only, never to the cluster. The owner (migrate) also reads the
   * application user's secret, to create that user with its password and grant it data rights.
   */
  connect(fn: lambda.Function, user: DatabaseUser): void {
    fn.connections.allowTo(this.proxy, ec2.Port.tcp(POSTGRES_PORT), `${fn.node.id} to RDS Proxy`);
    const secret = user === 'owner' ? this.secret : this.applicationSecret;
    grantSecretValue(secret, fn);
    fn.addEnvironment('DATABASE_SECRET_ARN', secret.secretArn);
    fn.addEnvironment('DATABASE_HOST', this.proxy.endpoint);
    if (user === 'owner') {
      grantSecretValue(this.applicationSecret, fn);
      fn.addEnvironment('APP_DATABASE_SECRET_ARN', this.applicationSecret.secretArn);
    }
  }
}
