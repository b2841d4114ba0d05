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
 * connections of many short-lived Lambda environments. Credentials are generated into Secrets
 * Manager; the secret's JSON (username, password, dbname, port, host) is what functions read,
 * with DATABASE_HOST overriding `host` by the proxy endpoint.
 */
export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  readonly secret: secretsmanager.ISecret;

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
      credentials: rds.Credentials.fromGeneratedSecret('livesale_admin'),
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

    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [this.secret],
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
   * Network path to the proxy, the credentials secret and the proxy endpoint, in one call.
   * Functions connect to the proxy only, never to the cluster.
   */
  connect(fn: lambda.Function): void {
    fn.connections.allowTo(this.proxy, ec2.Port.tcp(POSTGRES_PORT), `${fn.node.id} to RDS Proxy`);
    grantSecretValue(this.secret, fn);
    fn.addEnvironment('DATABASE_SECRET_ARN', this.secret.secretArn);
    fn.addEnvironment('DATABASE_HOST', this.proxy.endpoint);
  }
}
